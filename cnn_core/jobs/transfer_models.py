"""The models of "Your own images": a small CNN from scratch, and transfer learning, a frozen
pretrained base with a new head (then, optionally, the top of the base fine-tuned).

Two bases (`BASES`): "shipped", a small CNN in assets/models trained by
scripts/build_own_images_assets.py on the 7 CIFAR-10 classes the built-in examples never use
(so the demonstration is honest: the base has never seen a cat, a dog or a bird), and
"mobilenet_v2", Keras' MobileNetV2 (alpha 0.35) with ImageNet weights, usable when the Keras
cache holds them (`mobilenet_weights_cached`).

Every model here takes what every model in the app takes: float32 pictures in [0, 1], as
`cnn_core.data.pixels.to_model_input`, `TrainingJob` and `jobs.inference` feed them, so a
picture is never divided by 255 twice. MobileNetV2's own scaling (to [-1, 1]) is a layer
inside the base. Keras is imported inside the functions only: call them in a worker.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cnn_core import config
from cnn_core.models.specs import INPUT_NAME

SHIPPED = "shipped"
MOBILENET = "mobilenet_v2"
SHIPPED_BASE_PATH = config.MODELS_DIR / "transfer_base.keras"
SHIPPED_CARD_PATH = config.MODELS_DIR / "transfer_base.json"
# The CIFAR-10 classes the shipped base learnt: all but bird, cat and dog, the examples' classes.
SHIPPED_BASE_CLASSES = ("airplane", "automobile", "deer", "frog", "horse", "ship", "truck")
FEATURES_LAYER = "features"  # the shipped base's last layer before its 7-way classifier
HEAD_LAYER = "classifier"
MOBILENET_ALPHA = 0.35
MOBILENET_SIZE = 96
# The name keras.applications.MobileNetV2 gives the no-top weights it fetches into its cache
# (keras/src/applications/mobilenet_v2.py), alpha printed as a float.
MOBILENET_WEIGHTS_FILE = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
                          f"{float(MOBILENET_ALPHA)}_{MOBILENET_SIZE}_no_top.h5")
HEAD_DROPOUT = 0.3
LEARNING_RATE = 1e-3
FINE_TUNE_LEARNING_RATE = 1e-5
# The recipe bench/transfer_cats_dogs.py measures, chosen on held-out training photos (never
# the test photos) with 200 photos a class, random shifts of 10% and mirror images. Both ways
# get the same 70 passes over the photos. A head on the shipped base's frozen features alone
# does little better than scratch (about 66% against 59-62%); fine-tuning the whole base (its
# 5 convolutions; BatchNorm stays frozen) at 1e-4 is what lifts it to about 70%; 3e-4 was
# worse, 1e-5 barely moves the weights in 40 epochs of 13 batches. The page fine-tunes the
# same way (BaseInfo.fine_tune_layers and fine_tune_learning_rate).
SCRATCH_EPOCHS = 70
SCRATCH_LONG_EPOCHS = 120  # scratch given more time, so its gap is not just a slow start
HEAD_EPOCHS = 30
FINE_TUNE_EPOCHS = 40
SHIPPED_FINE_TUNE_LAYERS = 5  # all of the shipped base's convolutions
SHIPPED_FINE_TUNE_LEARNING_RATE = 1e-4
# MobileNetV2 is far deeper (52 convolutions) and learnt from far more photos, so only its top
# inverted-residual blocks move, at the usual 1e-5 of Keras' fine-tuning guide; not measured
# here (no internet to fetch its weights), unlike the shipped base's recipe.
MOBILENET_FINE_TUNE_LAYERS = 12
BATCH_SIZE = 32
AUGMENT_SHIFT = 0.1


@dataclass(frozen=True)
class BaseInfo:
    """What the page says about a base before loading it."""

    name: str
    title: str
    input_size: int  # pictures are resized to input_size x input_size before training
    trained_on: str
    shipped: bool  # False: fetched into the Keras cache the first time
    # Fine-tuning (`unfreeze_top`): how many weighted layers from the top of the base learn,
    # and at what learning rate (the new head learnt at LEARNING_RATE).
    fine_tune_layers: int
    fine_tune_learning_rate: float


BASES: dict[str, BaseInfo] = {
    SHIPPED: BaseInfo(
        SHIPPED, "Small CNN shipped with the app", 32,
        "35,000 CIFAR-10 photos of 7 classes (airplane, automobile, deer, frog, horse, ship, "
        "truck): never a bird, a cat or a dog", shipped=True,
        fine_tune_layers=SHIPPED_FINE_TUNE_LAYERS,
        fine_tune_learning_rate=SHIPPED_FINE_TUNE_LEARNING_RATE),
    MOBILENET: BaseInfo(
        MOBILENET, "MobileNetV2 (alpha 0.35)", MOBILENET_SIZE,
        "1.3 million ImageNet photos of 1,000 classes", shipped=False,
        fine_tune_layers=MOBILENET_FINE_TUNE_LAYERS,
        fine_tune_learning_rate=FINE_TUNE_LEARNING_RATE),
}


class BaseUnavailable(ValueError):
    """A pretrained base cannot be loaded; the message says why in one sentence."""


def _info(name: str) -> BaseInfo:
    try:
        return BASES[name]
    except KeyError:
        raise BaseUnavailable(f"There is no pretrained base called {name!r}; choose one of "
                              f"{', '.join(BASES)}.") from None


def base_input_size(name: str) -> int:
    """The side, in pixels, of the square pictures the base takes."""
    return _info(name).input_size


def shipped_base_card() -> dict:
    """The shipped base's card (assets/models/transfer_base.json): data, classes, accuracy,
    seed, time, epochs, date, parameters. Raises BaseUnavailable when it is missing."""
    try:
        return json.loads(SHIPPED_CARD_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BaseUnavailable(f"The shipped base's card {SHIPPED_CARD_PATH.name} is missing or "
                              f"damaged; run scripts/build_own_images_assets.py.") from None


def keras_model_dirs() -> list[Path]:
    """Where Keras caches application weights: $KERAS_HOME/models or ~/.keras/models, and
    /tmp/.keras/models when the home folder is read-only (as Keras itself falls back)."""
    dirs = [config.keras_datasets_dir().parent / "models"]
    if not os.environ.get("KERAS_HOME") and not os.access(Path.home(), os.W_OK):
        dirs.append(Path("/tmp/.keras/models"))
    return dirs


def mobilenet_weights_cached() -> bool:
    """Whether MobileNetV2's ImageNet weights are already in the Keras cache, so loading
    that base needs no download."""
    return any((folder / MOBILENET_WEIGHTS_FILE).is_file() for folder in keras_model_dirs())


def load_base(name: str):
    """The frozen feature extractor of a base: a keras.Model from (N, S, S, 3) float32
    pictures in [0, 1] (S = base_input_size(name)) to (N, F) features. For "mobilenet_v2"
    this downloads the weights when the cache lacks them. Raises BaseUnavailable."""
    _info(name)
    extractor = _shipped_base() if name == SHIPPED else _mobilenet_base(weights="imagenet")
    extractor.trainable = False
    return extractor


def _shipped_base():
    import keras

    if not SHIPPED_BASE_PATH.is_file():
        raise BaseUnavailable(f"The shipped base {SHIPPED_BASE_PATH.name} is missing; run "
                              f"scripts/build_own_images_assets.py to create it.")
    try:
        model = keras.models.load_model(SHIPPED_BASE_PATH, compile=False)
        features = model.get_layer(FEATURES_LAYER).output
    except Exception:  # a damaged or foreign file: whatever Keras raises, it is unusable
        raise BaseUnavailable(f"The shipped base {SHIPPED_BASE_PATH.name} cannot be read; run "
                              f"scripts/build_own_images_assets.py to create it again.") from None
    return keras.Model(model.inputs, features, name="shipped_base")


def _mobilenet_base(weights: str | None = "imagenet"):
    """MobileNetV2 without its top, global-average pooled (1280 features for alpha 0.35),
    behind its own scaling: [0, 1] * 2 - 1 is preprocess_input's x / 127.5 - 1 of 0..255."""
    import keras

    inputs = keras.Input((MOBILENET_SIZE, MOBILENET_SIZE, 3), name=INPUT_NAME)
    scaled = keras.layers.Rescaling(2.0, offset=-1.0, name="mobilenet_scaling")(inputs)
    try:
        network = keras.applications.MobileNetV2(
            input_shape=(MOBILENET_SIZE, MOBILENET_SIZE, 3), alpha=MOBILENET_ALPHA,
            include_top=False, weights=weights, pooling="avg")
    except Exception:  # no network, a proxy, a damaged cache file: all end the same way here
        raise BaseUnavailable("MobileNetV2's ImageNet weights could not be fetched or read; "
                              "use the shipped base, or connect to the internet and try "
                              "again.") from None
    return keras.Model(inputs, network(scaled), name="mobilenet_v2_base")


def _head(features, num_classes: int):
    import keras

    x = keras.layers.Dropout(HEAD_DROPOUT, name="head_dropout")(features)
    # float32 keeps the softmax exact under mixed precision, as in jobs.builder.
    return keras.layers.Dense(num_classes, activation="softmax", name=HEAD_LAYER,
                              dtype="float32")(x)


def _compile(model, learning_rate: float) -> None:
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def conv_block(x, filters: int, index: int, convolutions: int = 1):
    """`convolutions` 3x3 convolutions (BatchNorm, ReLU) then 2x2 max pooling, named
    conv_<index>[_<k>], bn_..., pool_<index>: the blocks of both the scratch model and the
    shipped base."""
    import keras

    for k in range(convolutions):
        suffix = f"{index}_{k + 1}" if convolutions > 1 else f"{index}"
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False,
                                name=f"conv_{suffix}")(x)
        x = keras.layers.BatchNormalization(name=f"bn_{suffix}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{suffix}")(x)
    return keras.layers.MaxPooling2D(2, name=f"pool_{index}")(x)


def build_scratch_model(input_size: int, num_classes: int, seed: int):
    """A small CNN that starts from random weights: three conv blocks (32, 64, 128 filters),
    global average pooling, dropout and a softmax. Takes (N, input_size, input_size, 3)
    float32 in [0, 1]; compiled with Adam (sparse categorical cross-entropy, accuracy)."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((input_size, input_size, 3), name=INPUT_NAME)
    x = inputs
    for index, filters in enumerate((32, 64, 128), start=1):
        x = conv_block(x, filters, index)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    model = keras.Model(inputs, _head(x, num_classes), name="from_scratch")
    _compile(model, LEARNING_RATE)
    return model


def build_transfer_model(base_name: str, num_classes: int, seed: int):
    """The frozen base (`load_base`) and a new head (dropout, dense softmax) that alone is
    trained. The base runs in inference mode (its BatchNorm statistics never move, even after
    `unfreeze_top`), the keras-io way. Compiled with Adam. Raises BaseUnavailable."""
    import keras

    base = load_base(base_name)
    keras.utils.set_random_seed(seed)
    size = base_input_size(base_name)
    inputs = keras.Input((size, size, 3), name=INPUT_NAME)
    features = base(inputs, training=False)
    model = keras.Model(inputs, _head(features, num_classes), name=f"transfer_{base_name}")
    _compile(model, LEARNING_RATE)
    return model


def unfreeze_top(model, layers: int, learning_rate: float = FINE_TUNE_LEARNING_RATE) -> list[str]:
    """Fine-tuning: make the top `layers` layers with weights of the transfer model's base
    trainable (BatchNormalization layers stay frozen and are not counted), then recompile at
    a low learning rate so the pretrained weights move only a little. Returns the names of
    the unfrozen layers, top last."""
    import keras

    if layers < 0:
        raise ValueError(f"The number of layers to fine-tune must be 0 or more, not {layers}.")
    base = base_of(model)
    candidates = [layer for layer in _leaf_layers(base)
                  if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    chosen = candidates[len(candidates) - layers:] if layers else []
    base.trainable = True  # Keras needs the container trainable for any layer inside to train
    for layer in _leaf_layers(base):
        layer.trainable = False
    for layer in chosen:
        layer.trainable = True
    _compile(model, learning_rate)
    return [layer.name for layer in chosen]


def base_of(model):
    """The base inside a transfer model (the one layer that is itself a model)."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Model):
            return layer
    raise ValueError(f"The model {model.name} has no pretrained base to fine-tune.")


def _leaf_layers(model) -> list:
    """The layers of a model in order, nested models (MobileNetV2 inside its wrapper) opened."""
    found = []
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            found.extend(_leaf_layers(layer))
        else:
            found.append(layer)
    return found
