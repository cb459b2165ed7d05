"""Constants shared by the whole app: paths, sizes, seeds, colour scales, class names.

One place for every number that is a choice rather than a computation, so pages and
tests agree on them.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"
SAMPLES_DIR = ASSETS_DIR / "samples"
TEXT_DIR = ASSETS_DIR / "text"
MODELS_DIR = ASSETS_DIR / "models"
BUNDLED_MNIST = ASSETS_DIR / "mnist_subset.npz"
# A file, not a ":material/...:" icon: the browser fetches those from a font server.
FAVICON = ASSETS_DIR / "favicon.png"

# Where full data sets live on this machine. CNN_CLASSROOM_DATA wins; otherwise a `data/`
# folder beside the code (ignored by git) so a teacher can drop files there.
DATA_DIR_ENV = "CNN_CLASSROOM_DATA"
DEFAULT_DATA_DIR = REPO_ROOT / "data"
# Debian's `dataset-fashion-mnist` package installs the original files here.
DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
# Decoded copies of slow-to-read sources (e.g. 60,000 CIFAR JPEGs) are cached here.
CACHE_DIR_ENV = "CNN_CLASSROOM_CACHE"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "cnn_classroom"


def data_dir() -> Path:
    """The local data folder, read from the environment at call time (tests change it)."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR)


def keras_datasets_dir() -> Path:
    """Where `keras.datasets.*.load_data()` caches downloads (KERAS_HOME or ~/.keras)."""
    keras_home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    return Path(keras_home) / "datasets"


# Images: uploads above this many pixels are refused before decoding (decompression bombs).
# 50 MP comfortably admits phone photos (12-48 MP) while refusing crafted giants.
MAX_IMAGE_PIXELS = 50_000_000
MAX_UPLOAD_BYTES = 60 * 1024 * 1024
# Longest side of the copy the kernel page filters and shows; the full image is only
# filtered for the download.
PREVIEW_MAX_SIDE = 800
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif"]

# Kernels typed by a learner.
MAX_KERNEL_SIZE = 15

# Sliding-window and pooling pages keep grids small enough to print every number.
MAX_GRID_SIZE = 16

SEED = 42

# Colour scales that stay readable when printed in greyscale (monotonic lightness).
SEQUENTIAL_SCALE = "Viridis"
GREY_SCALE = "gray"
# Diverging values (signed kernel outputs, weights): blue - white - red keeps its order in
# greyscale poorly, so signed maps use a lightness-monotonic scale and show the sign in text.
SIGNED_SCALE = "Cividis"

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]
CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]

# How long a dataset download may take before we fall back, so pages never hang offline.
DOWNLOAD_TIMEOUT_S = 20.0

# Bundled photos for the kernel page, in the order offered (the cat first).
SAMPLE_PHOTOS = {
    "Cat (Chelsea)": "chelsea.png",
    "Coffee cup": "coffee.png",
    "Astronaut": "astronaut.png",
    "Cameraman (greyscale)": "camera.png",
}

# Data sets (cnn_core.data.datasets). Setting CNN_CLASSROOM_OFFLINE=1 forbids downloads (tests do).
OFFLINE_ENV = "CNN_CLASSROOM_OFFLINE"
# Where `keras.datasets.<name>.load_data()` downloads from, and roughly how much.
DOWNLOAD_HOSTS = {
    "mnist": "storage.googleapis.com",
    "fashion_mnist": "storage.googleapis.com",
    "cifar10": "www.cs.toronto.edu",
}
DOWNLOAD_SIZES_MB = {"mnist": 11, "fashion_mnist": 30, "cifar10": 170}
# A download may take DOWNLOAD_TIMEOUT_S (TensorFlow's import plus slack) plus its size at
# this slow-but-usable speed; a quick connection check first keeps offline users from waiting.
DOWNLOAD_MIN_MB_PER_S = 1.0
CONNECT_CHECK_TIMEOUT_S = 3.0
# The bundled MNIST subset (scripts/build_mnist_subset.py makes assets/mnist_subset.npz).
BUNDLED_MNIST_TRAIN = 6000
BUNDLED_MNIST_TEST = 1000
# Image-folder trees (cifar10_jpg.zip) list files class by class; they are put in this
# fixed shuffled order, as in the original batches, so Keras' validation_split takes every class.
FOLDER_ORDER_SEED = 0

# Sliding-window and pooling pages (cnn_core.maths.frames, cnn_core.data.grids,
# cnn_core.views.grid_figures).
CLASSIC_GRID = (
    (3, 2, 3, 1, 8),
    (1, 9, 1, 3, 2),
    (2, 3, 5, 6, 6),
    (3, 2, 3, 5, 9),
    (1, 1, 2, 4, 5),
)
# Three columns of 8 beside three of 0: a vertical edge down the middle.
EDGE_GRID = ((8, 8, 8, 0, 0, 0),) * 6
MIN_GRID_SIZE = 3
# Custom kernels on the sliding-window page stay small enough to print every product.
MAX_WINDOW_KERNEL = 5
DEFAULT_WINDOW_KERNEL = "Vertical edge"
MAX_STRIDE = 3
# Photo-based pooling input: the photo is shrunk to this side, then an edge kernel is applied.
POOL_PHOTO_SIDE = 28
# The pooling page opens on a digit's edge map this many cells a side (8x8 pools to 4x4), and
# says so when a map from the sliding-window page is smaller than MIN_POOL_MAP.
POOL_DIGIT_SIDE = 8
MIN_POOL_MAP = 6
# The shift study (cnn_core.maths.pooling.shift_study): this many maps of each kind, each
# this many cells a side (shifts of up to 3 cells leave a 16x16 middle to compare).
SHIFT_STUDY_COUNT = 200
SHIFT_STUDY_SIDE = 22
# Grids larger than this (a 16x16 input plus its padding fits) are drawn as heat maps
# without a number in every cell.
MAX_NUMBERED_GRID = 20
# Play speed of the step-by-step players (milliseconds per output cell).
ANIMATION_FRAME_MS = 700
# The window and output cell are outlined twice (dark, then bright inside) so the
# highlight reads on any colour and in greyscale.
HIGHLIGHT_OUTER = "#111111"
HIGHLIGHT_INNER = "#ff4b4b"
PADDING_FILL = "#e6e6e6"
# The sliding-window page leaves its latest output here for the pooling page.
SLIDING_WINDOW_OUTPUT_KEY = "sliding_window_output"

# Draw and predict page (cnn_core.data.digits, cnn_core.jobs.digit_lessons,
# scripts/train_pretrained.py).
# Models shipped in assets/models, and the JSON with their measured test accuracies.
PRETRAINED_CNN = "mnist_cnn"
PRETRAINED_DENSE = "mnist_dense"
PRETRAINED_INFO = MODELS_DIR / "pretrained.json"
# MNIST's recipe: the digit is scaled into a DIGIT_BOX square inside a DIGIT_SIZE field.
DIGIT_SIZE = 28
DIGIT_BOX = 20
# Pixels brighter than this (0..1, after the background is removed) count as ink.
INK_THRESHOLD = 0.1
# Separate blobs smaller than this share of the biggest one are specks, not part of the digit.
SPECK_FRACTION = 0.05
# Below this contrast (grey levels between background and ink) the image counts as empty.
MIN_INK_CONTRAST = 40
# Drawing canvas: side in screen pixels (9 x 28; fits half the page on a 1024-pixel-wide
# projector with the sidebar open), brush sizes (default about MNIST's stroke width).
CANVAS_SIDE = 252
BRUSH_RANGE = (8, 36)
BRUSH_DEFAULT = 20
# "Shift it" lesson: shifts from -MAX_SHIFT to +MAX_SHIFT pixels; accuracy is measured on
# SHIFT_TEST_IMAGES test digits; "train with shifted copies" uses this subset and settings.
MAX_SHIFT = 8
SHIFT_TEST_IMAGES = 300
SHIFT_TRAIN_IMAGES = 12_000
SHIFT_TRAIN_EPOCHS = 2
SHIFT_AUGMENT = 0.3

# Train a CNN page (ui/train_ui.py). Share of the chosen training images held out, stratified,
# to validate on after every epoch; the test split is used once, at the end.
VALIDATION_FRACTION = 0.1
VALIDATION_CHOICES = (0.0, 0.05, 0.1, 0.15, 0.2)
# The classic result: the MNIST CNN on all 60,000 training digits for 2 epochs.
CLASSIC_IMAGES = 60_000
CLASSIC_EPOCHS = 2
CLASSIC_PRESET = "mnist_cnn"
# The material's CIFAR-10 recipe: the CIFAR-10 DCNN trained on photos shifted by up to 10% and
# mirrored left to right at random, toward 79% test accuracy (bench/reproduce_cifar.py). The
# Train page starts that data set and model with those augmentations ticked.
CIFAR_RECIPE_PRESET = "cifar_dcnn"
CIFAR_RECIPE_SHIFT = 0.1
CIFAR_RECIPE_TARGET = 0.79
RECIPE_AUGMENTATION = {("cifar10", CIFAR_RECIPE_PRESET): ("shift", "flip")}
# Test accuracy measured on this app by bench/expected_accuracy.py (CPU, seed 0, batch 64,
# 10% of the images held out for validation, default settings), per (data set, preset, dense
# units): {(images chosen, epochs): accuracy}. cnn_core.models.expectations reads it.
MEASURED_TEST_ACCURACY: dict[tuple[str, str, int], dict[tuple[int, int], float]] = {
    ("mnist", "mnist_cnn", 128): {
        (2_000, 1): 0.8174, (2_000, 2): 0.8976, (2_000, 3): 0.9149, (2_000, 4): 0.9361,
        (2_000, 5): 0.9443, (6_000, 1): 0.9183, (6_000, 2): 0.957, (6_000, 3): 0.9622,
        (12_000, 1): 0.9492, (12_000, 2): 0.9623, (12_000, 3): 0.9732, (60_000, 1): 0.9833,
        (60_000, 2): 0.9879,
    },
    ("mnist", "dense_baseline", 16): {
        (12_000, 1): 0.8599, (12_000, 2): 0.8949,
    },
    ("mnist", "dense_baseline", 128): {
        (12_000, 1): 0.9038, (12_000, 2): 0.9226,
    },
}

# Precision and recall page (cnn_core.data.imbalance, ui/imbalance_*.py).
# The positive-share slider, in percent of the images, and where it starts.
PR_SHARE_RANGE = (1, 50)
PR_DEFAULT_SHARE = 5
# One seed for the page's imbalanced test split and the training worker's, so both see the
# same test images; also seeds the "random guess" baseline.
PR_SEED = 0
# Decision thresholds the slider offers: fine steps near 0 and 1, where the scores of a model
# trained on a rare class often sit, and 0.5 (the model's own argmax decision) in between.
PR_THRESHOLD_GRID = tuple(sorted({0.001, 0.002, 0.005, 0.995, 0.998, 0.999,
                                  *(round(i / 100, 2) for i in range(1, 100))}))
PR_DEFAULT_THRESHOLD = 0.5
# Example images shown in each cell of the confusion matrix.
PR_EXAMPLES_PER_CELL = 8
# Training the page's small CNN: subset sizes offered ("all" is added), and per data set the
# default (images, epochs); about 10 s of training each on a 2-core CPU.
PR_TRAIN_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000)
PR_TRAIN_DEFAULTS = {"mnist": (5_000, 2), "cifar10": (10_000, 2)}
PR_MAX_EPOCHS = 10
PR_BATCH_SIZE = 64
# "Pick the threshold that gives recall of at least X" starts at X = 95%.
PR_DEFAULT_TARGET_RECALL = 95
# The calculator's worked example: TP, FP, FN, TN of a 15,000-image validation set with
# precision 97% and recall 90%.
PR_CALCULATOR_EXAMPLE = (900, 28, 100, 13_972)
