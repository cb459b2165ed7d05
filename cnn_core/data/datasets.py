"""MNIST, Fashion-MNIST and CIFAR-10 as uint8 numpy arrays, from wherever they can be found.

Sources, in order: the local data folder (env CNN_CLASSROOM_DATA; Debian's Fashion-MNIST
package counts as local), the Keras download cache, a Keras download (in a short-lived
subprocess, so this process never imports Keras; not when CNN_CLASSROOM_OFFLINE=1), and for
MNIST the bundled 6,000 + 1,000 digit subset. No Streamlit, no TensorFlow here; callers cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np

from cnn_core import config
from cnn_core.data import formats as files
from cnn_core.jobs.dataset_download import download as _download
from cnn_core.jobs.dataset_download import downloads_allowed, keras_dirs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetInfo:
    """What the app says about a data set before loading it."""

    name: str
    title: str
    image_shape: tuple[int, ...]  # (28, 28) greyscale or (32, 32, 3) RGB
    class_names: tuple[str, ...]
    n_train: int
    n_test: int
    description: str
    how_to_get: str
    # Photos of things, where a mirror image shows the same class: horizontal flips are offered
    # as augmentation. Never digits (a mirrored 2 is no digit).
    photos: bool = False


def _how_to_get(name: str, also: str) -> str:
    mb = config.DOWNLOAD_SIZES_MB[name]
    return (f"Connect to the internet and it downloads automatically (about {mb} MB), {also}"
            f" in the folder named by {config.DATA_DIR_ENV}.")


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "mnist", "MNIST", (28, 28), tuple(config.MNIST_CLASSES), 60_000, 10_000,
        "70,000 handwritten digits from 0 to 9, 28x28 pixels in greyscale.",
        _how_to_get("mnist", "or put mnist.npz")),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist", "Fashion-MNIST", (28, 28), tuple(config.FASHION_MNIST_CLASSES),
        60_000, 10_000,
        "70,000 greyscale 28x28 pictures of clothes in 10 classes, harder than digits.",
        _how_to_get("fashion_mnist", "install the Debian package dataset-fashion-mnist, or put "
                    "its four .gz files in a fashion-mnist folder")),
    "cifar10": DatasetInfo(
        "cifar10", "CIFAR-10", (32, 32, 3), tuple(config.CIFAR10_CLASSES), 50_000, 10_000,
        "60,000 tiny 32x32 colour photos of animals and vehicles in 10 classes.",
        _how_to_get("cifar10", "or put cifar10_jpg.zip"), photos=True),
}


class DatasetUnavailable(ValueError):
    """No source has the data set; the message tells the learner what to do."""


@dataclass(frozen=True)
class DataSource:
    """Where a data set comes from: kind is "local", "keras_cache", "download" or "bundled".

    description names the place only ("local data folder (/data/mnist.npz)"); a page that has
    loaded the data counts its images itself. known_counts: (training, test) images where
    they are known without reading the file (the bundled subset's), for the home page.
    """

    kind: str
    path: str
    description: str
    known_counts: tuple[int, int] | None = None


@dataclass(frozen=True, eq=False)
class Dataset:
    """A loaded data set. x_*: (N, 28, 28) or (N, 32, 32, 3) uint8 in 0..255; y_*: (N,) uint8
    class indices into class_names. The arrays are read-only: copy before changing them."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str] = field(default_factory=list)
    source: DataSource | None = None

    @property
    def info(self) -> DatasetInfo:
        return DATASETS[self.name]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, train={self.x_train.shape} {self.x_train.dtype}, "
                f"test={self.x_test.shape} {self.x_test.dtype}, {self.num_classes} classes, "
                f"from {self.source.description if self.source else 'unknown source'})")


Reader = Callable[[], files.Arrays]


# ---- sources -----------------------------------------------------------------------------

def _candidates(name: str, kind: str) -> list[tuple[DataSource, Callable[[], bool], Reader]]:
    """(source, is-present check, reader) for the local folder or the Keras cache, in order."""
    info = DATASETS[name]
    found = []

    def add(path: Path, where: str, present: Callable[[], bool], read: Reader) -> None:
        found.append((DataSource(kind, str(path), f"{where} ({path})"), present, read))

    if kind == "local":
        folders = [(config.data_dir(), "local data folder")]
    else:
        folders = [(d, "Keras download cache") for d in keras_dirs()]
    for folder, where in folders:
        if name == "mnist":
            path = folder / "mnist.npz"
            add(path, where, path.is_file, partial(files.read_npz, path))
        elif name == "fashion_mnist":
            subfolders = [folder / "fashion-mnist"] + ([folder] if kind == "local" else [])
            for sub in subfolders:
                add(sub, where, partial(_has_idx, sub), partial(files.read_idx_folder, sub))
        elif kind == "local":  # cifar10
            shape, classes = info.image_shape, info.class_names
            zip_path, tree = folder / "cifar10_jpg.zip", folder / "cifar10"
            add(zip_path, where, zip_path.is_file, partial(
                _cached_folder, "cifar10-zip", zip_path, files.read_image_zip, classes, shape))
            add(tree, where, partial(files.image_tree_present, tree), partial(
                _cached_folder, "cifar10-tree", tree, files.read_image_tree, classes, shape))
        else:
            for sub in ("cifar-10-batches-py-target/cifar-10-batches-py", "cifar-10-batches-py"):
                path = folder / sub
                add(path, where, partial(files.cifar_batches_present, path),
                    partial(files.read_cifar_batches, path))
    if name == "fashion_mnist" and kind == "local":
        path = config.DEBIAN_FASHION_MNIST_DIR
        add(path, "Debian package dataset-fashion-mnist", partial(_has_idx, path),
            partial(files.read_idx_folder, path))
    return found


def _has_idx(folder: Path) -> bool:
    return files.idx_files(folder) is not None


def _cached_folder(prefix, path, read, classes, shape) -> files.Arrays:
    return files.cached(prefix, files.cache_key(path), partial(read, path, classes, shape))


def _bundled() -> tuple[DataSource, Callable[[], bool], Reader]:
    path = config.BUNDLED_MNIST
    source = DataSource("bundled", str(path), "bundled subset of MNIST (offline fallback)",
                        known_counts=(config.BUNDLED_MNIST_TRAIN, config.BUNDLED_MNIST_TEST))
    return source, path.is_file, partial(files.read_npz, path)


def _check_info(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise ValueError(f"There is no data set called {name!r}; choose one of "
                         f"{', '.join(DATASETS)}.")
    return DATASETS[name]


def locate_dataset(name: str) -> DataSource | None:
    """The source `load_dataset(name)` would use without downloading, or None if it would
    have to download (or fail). Only checks that files exist; it reads nothing."""
    _check_info(name)
    options = _candidates(name, "local") + _candidates(name, "keras_cache")
    if name == "mnist":
        options.append(_bundled())
    return next((source for source, present, _ in options if present()), None)


# ---- loading -----------------------------------------------------------------------------

def _validated(info: DatasetInfo, source: DataSource, arrays: files.Arrays) -> Dataset:
    x_train, y_train, x_test, y_test = arrays
    checked = []
    for x, y in ((x_train, y_train), (x_test, y_test)):
        y = y.reshape(-1) if y.ndim == 2 and y.shape[1:] == (1,) else y
        if x.shape[1:] != info.image_shape or y.shape != (len(x),) or len(x) == 0:
            raise files.DatasetFileError(
                f"{source.path} holds images {x.shape} and labels {y.shape}, expected "
                f"(N, {', '.join(map(str, info.image_shape))}) and (N,).")
        if x.dtype != np.uint8 or not np.issubdtype(y.dtype, np.integer):
            raise files.DatasetFileError(
                f"{source.path} holds {x.dtype} images and {y.dtype} labels, not uint8 and ints.")
        if y.size and (int(y.min()) < 0 or int(y.max()) >= len(info.class_names)):
            raise files.DatasetFileError(
                f"{source.path} has labels outside 0..{len(info.class_names) - 1}.")
        for a in (x, y.astype(np.uint8, copy=False)):
            a.flags.writeable = False  # shared by every session once a page caches it
            checked.append(a)
    return Dataset(info.name, *checked, class_names=list(info.class_names), source=source)


def _try(info: DatasetInfo, options) -> Dataset | None:
    for source, present, read in options:
        if not present():
            continue
        try:
            return _validated(info, source, read())
        except (files.DatasetFileError, OSError) as err:
            log.warning("Skipping %s: %s", source.description, err)
    return None


def load_dataset(name: str, download: bool | None = None) -> Dataset:
    """Load data set `name` ("mnist", "fashion_mnist" or "cifar10") from the first source
    that works: local data folder, Keras cache, a Keras download (unless `download=False` or
    env CNN_CLASSROOM_OFFLINE=1), then for MNIST the bundled subset. `dataset.source` says
    which. Raises DatasetUnavailable (a ValueError) with one sentence saying what to do."""
    info = _check_info(name)
    found = _try(info, _candidates(name, "local") + _candidates(name, "keras_cache"))
    tried_download = False
    if found is None and downloads_allowed(download):
        tried_download = True
        if _download(name):
            found = _try(info, _candidates(name, "keras_cache"))
            if found is not None:
                path = found.source.path
                found = replace(found, source=DataSource(
                    "download", path, f"Keras download cache, just downloaded ({path})"))
    if found is None and name == "mnist":
        found = _try(info, [_bundled()])
    if found is None:
        what = "could not be found or downloaded" if tried_download else "is not on this computer"
        hint = info.how_to_get[0].lower() + info.how_to_get[1:].rstrip(".")
        raise DatasetUnavailable(
            f"{info.title} {what}: {hint} (the data folder is now {config.data_dir()}).")
    return found


# ---- subsets for teaching ----------------------------------------------------------------

def _check_pair(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    if y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"Give one label per image: {len(x)} images but labels of shape "
                         f"{y.shape}.")
    return y


def class_counts(y: np.ndarray, num_classes: int) -> np.ndarray:
    """How many labels of each class: y (N,) ints in 0..num_classes-1 -> (num_classes,) int64."""
    y = np.asarray(y).reshape(-1)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"Labels must lie between 0 and {num_classes - 1}.")
    return np.bincount(y.astype(np.int64), minlength=num_classes)


def _quotas(counts: np.ndarray, n: int) -> np.ndarray:
    """Split n over classes in proportion to counts (largest remainders), at least one per
    class when n allows, never more than a class has."""
    exact = counts * (n / counts.sum())
    quota = np.floor(exact).astype(np.int64)
    if n >= len(counts):
        quota = np.maximum(quota, 1)
    for i in np.argsort(-(exact - quota), kind="stable")[: max(0, n - quota.sum())]:
        quota[i] += 1
    while quota.sum() > n:  # the minimum of one overshot: take back where it hurts least
        quota[np.argmax(np.where(quota > 1, quota - exact, -np.inf))] -= 1
    return np.minimum(quota, counts)


def subsample(x: np.ndarray, y: np.ndarray, n: int, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """A random subset of n images keeping each class's share (stratified), shuffled.

    x: (N, ...) any dtype; y: (N,) integer labels. Returns (x[idx], y[idx]) with n rows, the
    same for the same seed; a smaller n with the same seed gives (nearly) a subset of a larger
    one. n >= N returns x and y unchanged (no copy)."""
    y = _check_pair(x, y)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"The number of images to keep must be a whole number of at least 1, "
                         f"not {n!r}.")
    if n >= len(y):
        return x, y
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    rng = np.random.default_rng(seed)
    by_class = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    keep = [rng.permutation(by_class[s:s + c])[:q]
            for s, c, q in zip(starts, counts, _quotas(counts, int(n)), strict=True)]
    idx = rng.permutation(np.concatenate(keep))
    return x[idx], y[idx]


def make_imbalanced(x: np.ndarray, y: np.ndarray, positive_class: int,
                    positive_fraction: float, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The binary task "positive_class vs the rest" with the requested share of positives.

    x: (N, ...); y: (N,) integer class labels. Keeps as many images as it can: the side that
    is over-represented is randomly subsampled, the other kept whole. Returns (x_sub,
    y_binary) with y_binary (M,) uint8, 1 for positive_class, shuffled (same for the same
    seed). The share matches positive_fraction within 1% whenever there are more than ~100
    images on the smaller side (a handful of images cannot hit 1% exactly)."""
    y = _check_pair(x, y)
    fraction = float(positive_fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"The share of positive images must be between 0 and 1 (say 0.05 for "
                         f"5%), not {positive_fraction!r}.")
    is_pos = y == positive_class
    pos, neg = np.flatnonzero(is_pos), np.flatnonzero(~is_pos)
    if len(pos) == 0:
        raise ValueError(f"There are no images of class {positive_class!r}, so it cannot be "
                         f"the positive class.")
    if len(neg) == 0:
        raise ValueError(f"Every image is of class {positive_class!r}, so there is no 'rest' "
                         f"to tell it apart from.")
    rng = np.random.default_rng(seed)
    if len(pos) / (len(pos) + len(neg)) > fraction:  # too many positives: drop some
        n_pos = max(1, round(fraction * len(neg) / (1.0 - fraction)))
        pos = rng.choice(pos, size=min(n_pos, len(pos)), replace=False)
    else:
        n_neg = max(1, round(len(pos) * (1.0 - fraction) / fraction))
        neg = rng.choice(neg, size=min(n_neg, len(neg)), replace=False)
    idx = rng.permutation(np.concatenate([pos, neg]))
    return x[idx], is_pos[idx].astype(np.uint8)
