"""A network edited layer by layer, as the Train page's builder does it; pure, no Streamlit.

The builder edits the hidden layers only. `with_output` adds the output layer (dense, one unit
per class, softmax) after them, so whatever a learner does, the network still answers with one
probability per class. Every edit renames the layers by kind and position (conv_1, pool_1,
...), so names stay unique and say what each layer is.

Limits keep a learner's network small enough for a shared server: every number within its
`Field`'s range, at most MAX_PARAMETERS parameters, and at most MAX_ACTIVATIONS numbers coming
out of the layers for each image (what a training batch keeps in memory for the backward
pass). `check_network` says which layer breaks one, in one sentence.

`network_text` and `parse_network_text` write and read the compact form a link holds:
"conv-16-3-same-relu,maxpool-2,flatten,dense-64-relu" (see `parse_network_text`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cnn_core.models.specs import (
    LAYER_KINDS,
    MAX_LAYERS,
    LayerRow,
    LayerSpec,
    check_stack,
    layer_settings,
    layer_table,
)

MAX_HIDDEN = MAX_LAYERS - 1          # the output layer takes the last place
MAX_PARAMETERS = 5_000_000
# Numbers per image summed over every layer's output: a batch of 256 then keeps about 0.5 GB
# of them for the backward pass, which a shared classroom server can afford a few times over.
MAX_ACTIVATIONS = 500_000
MAX_TEXT_CHARS = 2_000
OUTPUT_NAME = "output"
ACTIVATION_CHOICES = ("relu", None, "sigmoid", "tanh", "elu", "gelu", "swish", "leaky_relu")
EXAMPLE_TEXT = "conv-16-3-same-relu,maxpool-2,flatten,dense-64-relu"


@dataclass(frozen=True)
class Field:
    """One setting of a layer as the builder shows it: a whole number from low to high (a
    decimal when step is below 1), or one of choices."""

    name: str            # the Keras argument (or "operation" for pooling)
    label: str
    low: float = 0
    high: float = 0
    step: float = 1
    choices: tuple = ()
    help: str = ""


_PADDING = Field("padding", "Padding", choices=("valid", "same"),
                 help='"same" adds a border of zeros so the size stays the same (with stride '
                      '1); "valid" only uses whole windows, so the picture shrinks.')
_ACTIVATION = Field("activation", "Activation", choices=ACTIVATION_CHOICES,
                    help="What each number goes through afterwards; relu keeps positives and "
                         "turns negatives into 0.")

FIELDS: dict[str, tuple[Field, ...]] = {
    "conv": (
        Field("filters", "Filters", 1, 256,
              help="How many patterns this layer looks for; each makes one feature map."),
        Field("kernel_size", "Kernel size", 1, 11, help="Each filter's width and height."),
        Field("strides", "Stride", 1, 4,
              help="How many pixels the filter jumps each step; 2 halves the size."),
        _PADDING, _ACTIVATION),
    "pool": (
        Field("operation", "Keep", choices=("max", "average"),
              help="The largest number of each window, or their average."),
        Field("pool_size", "Window size", 1, 8, help="2 keeps one number of each 2x2 square."),
        Field("strides", "Stride", choices=(None, 1, 2, 3, 4),
              help="How far the window jumps; usually as far as it is wide."),
        _PADDING),
    "batchnorm": (),
    "dropout": (
        Field("rate", "Share switched off", 0.0, 0.9, 0.05,
              help="0.25 switches off a random quarter of the numbers at every training step."),),
    "flatten": (),
    "global_pool": (
        Field("operation", "Keep", choices=("average", "max"),
              help="Each feature map's average, or its largest number."),),
    "dense": (
        Field("units", "Units", 1, 2048, help="How many numbers this layer gives out."),
        _ACTIVATION),
}

KIND_TITLES = {
    "conv": "Conv2D (convolution)", "pool": "Pooling (max or average)",
    "batchnorm": "BatchNormalization", "dropout": "Dropout",
    "flatten": "Flatten (maps to one row)", "global_pool": "GlobalAveragePooling2D",
    "dense": "Dense (every input to every unit)"}
KIND_HELP = {
    "conv": "Slides each filter over the picture and makes one feature map per filter.",
    "pool": "Keeps one number of each small window, so the feature maps get smaller.",
    "batchnorm": "Rescales each channel to a steady range, which often helps training. "
                 "Nothing to set.",
    "dropout": "While training, switches off a random share of the numbers, so the network "
               "cannot rely on any single one.",
    "flatten": "Lays the feature maps out as one long row of numbers, which a dense layer "
               "needs. Nothing to set.",
    "global_pool": "Turns each feature map into one number, so a dense layer can follow.",
    "dense": "Every unit looks at every number that reaches it.",
}
# A new layer's settings: the common choice of keras-io's examples.
NEW_LAYER: dict[str, dict[str, Any]] = {
    "conv": {"filters": 16, "kernel_size": 3, "strides": 1, "padding": "same",
             "activation": "relu"},
    "pool": {"operation": "max", "pool_size": 2, "strides": None, "padding": "valid"},
    "batchnorm": {},
    "dropout": {"rate": 0.25},
    "flatten": {},
    "global_pool": {"operation": "average"},
    "dense": {"units": 64, "activation": "relu"},
}


@dataclass(frozen=True)
class NetworkCheck:
    """What the builder shows: a row for each layer that works, in order (every layer when
    problem is ""), their parameters, and one sentence naming the layer at fault, or ""."""

    rows: tuple[LayerRow, ...]
    total: int
    problem: str


# ---- Building and editing ---------------------------------------------------------------------

def renumber(hidden: Sequence[LayerSpec]) -> list[LayerSpec]:
    """The same layers named by kind and position: conv_1, pool_1, conv_2, ..."""
    counts: dict[str, int] = {}
    named = []
    for layer in hidden:
        counts[layer.kind] = counts.get(layer.kind, 0) + 1
        named.append(LayerSpec(layer.kind, f"{layer.kind}_{counts[layer.kind]}",
                               dict(layer.params)))
    return named


def hidden_of(layers: Sequence[LayerSpec]) -> list[LayerSpec]:
    """A whole network (a preset's, output last) as the builder edits it: without its output
    layer, renamed, with every setting the builder shows filled in."""
    return renumber([LayerSpec(layer.kind, layer.name, _shown_params(layer))
                     for layer in list(layers)[:-1]])


def with_output(hidden: Sequence[LayerSpec], num_classes: int) -> list[LayerSpec]:
    """The hidden layers and the fixed output layer: num_classes units with softmax."""
    return [*hidden, LayerSpec("dense", OUTPUT_NAME,
                               {"units": int(num_classes), "activation": "softmax"})]


def new_layer(kind: str) -> LayerSpec:
    if kind not in LAYER_KINDS:
        raise ValueError(f"There is no layer kind {kind!r}; choose one of "
                         f"{', '.join(LAYER_KINDS)}.")
    return LayerSpec(kind, kind, dict(NEW_LAYER[kind]))


def add_layer(hidden: Sequence[LayerSpec], kind: str, position: int) -> list[LayerSpec]:
    """A new layer of `kind` with NEW_LAYER's settings, inserted before hidden[position]
    (position len(hidden): last, just before the output layer)."""
    if len(hidden) >= MAX_HIDDEN:
        raise ValueError(f"A network here has at most {MAX_LAYERS} layers, the output layer "
                         "included; remove one before adding another.")
    if not 0 <= position <= len(hidden):
        raise ValueError(f"A new layer goes at a place from 0 to {len(hidden)}, not {position}.")
    layers = list(hidden)
    layers.insert(position, new_layer(kind))
    return renumber(layers)


def remove_layer(hidden: Sequence[LayerSpec], index: int) -> list[LayerSpec]:
    _check_index(hidden, index)
    return renumber([layer for i, layer in enumerate(hidden) if i != index])


def move_layer(hidden: Sequence[LayerSpec], index: int, step: int) -> list[LayerSpec]:
    """hidden[index] moved `step` places (-1: up, towards the input; 1: down)."""
    _check_index(hidden, index)
    target = index + step
    if not 0 <= target < len(hidden):
        raise ValueError("That layer cannot move further: the input comes first and the "
                         "output layer stays last.")
    layers = list(hidden)
    layers.insert(target, layers.pop(index))
    return renumber(layers)


def edit_layer(hidden: Sequence[LayerSpec], index: int,
               values: Mapping[str, Any]) -> list[LayerSpec]:
    """hidden[index] with some of its FIELDS set. A value outside a field's range is brought
    inside it, and one of the wrong kind (or not among the choices) is ignored, so whatever a
    browser sends, the layer stays one the builder can show."""
    _check_index(hidden, index)
    layer = hidden[index]
    params = _shown_params(layer)
    for field in FIELDS[layer.kind]:
        if field.name in values:
            params[field.name] = _fit(field, values[field.name], params.get(field.name))
    layers = list(hidden)
    layers[index] = LayerSpec(layer.kind, layer.name, params)
    return layers


def _check_index(hidden: Sequence[LayerSpec], index: int) -> None:
    if not 0 <= index < len(hidden):
        raise ValueError(f"There is no layer {index + 1}: the network has {len(hidden)} "
                         "before its output layer.")


def _shown_params(layer: LayerSpec) -> dict[str, Any]:
    """The layer's params with every field the builder shows filled in (Keras' defaults)."""
    params = dict(layer.params)
    if layer.kind not in FIELDS:
        return params
    try:
        settings = layer_settings(layer)
    except ValueError:
        return params
    for field in FIELDS[layer.kind]:
        params.setdefault(field.name, settings.get(field.name))
    return params


def _fit(field: Field, value: Any, old: Any) -> Any:
    if field.choices:
        return value if any(value == c and type(value) is type(c)
                            for c in field.choices) else old
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return old
    value = min(field.high, max(field.low, value))
    # Steps of 0.05 arrive as 0.15000000000000002; the link writes 0.15.
    return int(round(value)) if field.step == 1 else round(float(value), 4)


# ---- Checking ---------------------------------------------------------------------------------

def layer_summary(layer: LayerSpec) -> str:
    """The layer's settings in a few words: "16 filters of 3x3, same, relu"."""
    try:
        s = layer_settings(layer)
    except ValueError:
        return "settings that do not work"
    kind = layer.kind
    if kind == "conv":
        parts = [f"{s['filters']} filter{'s' if s['filters'] != 1 else ''} of "
                 f"{_size(s['kernel_size'])}"]
        if s["strides"] != 1:
            parts.append(f"stride {_size(s['strides'], square=False)}")
        parts += [s["padding"], _activation(s["activation"])]
    elif kind == "pool":
        parts = [f"{s['operation']} of each {_size(s['pool_size'])}"]
        if s["strides"] is not None and s["strides"] != s["pool_size"]:
            parts.append(f"stride {_size(s['strides'], square=False)}")
        if s["padding"] == "same":
            parts.append("same")
    elif kind == "global_pool":
        parts = [f"{s['operation']} of each map"]
    elif kind == "dropout":
        parts = [f"{s['rate']:.0%} switched off"]
    elif kind == "dense":
        parts = [f"{s['units']:,} unit{'s' if s['units'] != 1 else ''}",
                 _activation(s["activation"])]
    elif kind == "flatten":
        parts = ["maps to one row"]
    else:
        parts = ["rescales each channel"]
    return ", ".join(parts)


def _size(value: int | tuple[int, int], square: bool = True) -> str:
    if isinstance(value, tuple):
        return f"{value[0]}x{value[1]}"
    return f"{value}x{value}" if square else str(value)


def _activation(name: str | None) -> str:
    return name if name is not None else "no activation"


def check_limits(layer: LayerSpec) -> None:
    """ValueError, one sentence naming the layer, for a number outside its field's range."""
    settings = layer_settings(layer)
    for field in FIELDS[layer.kind]:
        value = settings.get(field.name)
        if field.choices:
            numbers = [c for c in field.choices if isinstance(c, int)]
            if numbers and value is not None and value not in numbers:
                raise ValueError(f"{layer.name}: {field.label.lower()} must be one of "
                                 f"{', '.join(map(str, numbers))} here, not {value}.")
            continue
        if value is None:
            continue
        for v in value if isinstance(value, tuple) else (value,):
            if not field.low <= v <= field.high:
                low, high = (f"{field.low:g}", f"{field.high:g}")
                raise ValueError(f"{layer.name}: {field.label.lower()} must be from {low} to "
                                 f"{high} here, not {v:g}.")


def check_network(layers: Sequence[LayerSpec], input_shape: tuple[int, ...]) -> NetworkCheck:
    """Rows of the layer table up to the first layer that does not work, and why.

    layers: the whole network, output included; input_shape: (H, W, C) or (N,). Beyond the
    layer table's own checks (sizes, flat inputs, names, MAX_LAYERS), each number must be
    within its Field's range, the network within MAX_PARAMETERS and MAX_ACTIVATIONS.
    """
    try:
        layers = check_stack(layers)
    except ValueError as error:
        return NetworkCheck((), 0, str(error))
    rows: list[LayerRow] = []
    numbers = 0
    for end, layer in enumerate(layers, start=1):
        try:
            check_limits(layer)
            row = layer_table(layers[:end], input_shape)[-1]
        except ValueError as error:
            return NetworkCheck(tuple(rows), sum(r.parameters for r in rows), str(error))
        rows.append(row)
        numbers += math.prod(row.output_shape)
        if numbers > MAX_ACTIVATIONS:
            return NetworkCheck(tuple(rows), sum(r.parameters for r in rows), (
                f"{layer.name}: the layers up to here give out {numbers:,} numbers for every "
                f"image, more than the {MAX_ACTIVATIONS:,} this app can keep in memory while "
                "training; use fewer filters, a stride of 2, or pooling earlier."))
    total = sum(r.parameters for r in rows)
    if total > MAX_PARAMETERS:
        biggest = max(rows, key=lambda r: r.parameters)
        return NetworkCheck(tuple(rows), total, (
            f"{biggest.name}: it alone learns {biggest.parameters:,} of the network's "
            f"{total:,} parameters, more than the {MAX_PARAMETERS:,} this app trains; give it "
            "fewer units or filters, or make the maps smaller before it."))
    return NetworkCheck(tuple(rows), total, "")


# ---- The text form a link holds -----------------------------------------------------------------

_WHOLE = re.compile(r"[0-9]{1,5}")
_DECIMAL = re.compile(r"[0-9]{0,2}(\.[0-9]{1,4})?")
_STRIDE = re.compile(r"s([0-9]{1,5})")


def network_text(hidden: Sequence[LayerSpec]) -> str:
    """The hidden layers as one line: "conv-16-3-same-relu,maxpool-2,flatten,dense-64-relu".

    Settings at Keras' default are left out. ValueError for a layer the text cannot hold (a
    non-square kernel, an activation outside ACTIVATION_CHOICES)."""
    return ",".join(_layer_text(layer) for layer in hidden)


def _layer_text(layer: LayerSpec) -> str:
    s = layer_settings(layer)
    kind = layer.kind
    if kind in ("conv", "pool"):
        size = s["kernel_size"] if kind == "conv" else s["pool_size"]
        if isinstance(size, tuple) or isinstance(s["strides"], tuple):
            raise ValueError(f"{layer.name}: only square windows fit in a link.")
    if kind == "conv":
        parts = ["conv", str(s["filters"]), str(s["kernel_size"])]
        if s["strides"] != 1:
            parts.append(f"s{s['strides']}")
    elif kind == "pool":
        parts = ["maxpool" if s["operation"] == "max" else "avgpool", str(s["pool_size"])]
        if s["strides"] is not None:
            parts.append(f"s{s['strides']}")
    elif kind == "global_pool":
        return "gap" if s["operation"] == "average" else "gmp"
    elif kind == "batchnorm":
        return "bn"
    elif kind == "flatten":
        return "flatten"
    elif kind == "dropout":
        return f"drop-{s['rate']:g}"
    else:
        parts = ["dense", str(s["units"])]
    if s.get("padding") == "same":
        parts.append("same")
    if s.get("activation") is not None:
        if s["activation"] not in ACTIVATION_CHOICES:
            raise ValueError(f"{layer.name}: the activation {s['activation']} has no place in "
                             "a link.")
        parts.append(s["activation"])
    return "-".join(parts)


def parse_network_text(text: str) -> list[LayerSpec]:
    """The hidden layers written in `text`, renamed conv_1, pool_1, ...; "" is no layers.

    Layers are separated by commas, their parts by hyphens:
    conv-FILTERS-KERNEL, maxpool-SIZE (or pool-SIZE), avgpool-SIZE, then optional parts in any
    order: sN (stride), same or valid (padding), an activation (relu, sigmoid, ...; conv and
    dense only, none when left out); drop-RATE, dense-UNITS, bn, flatten, gap (global average
    pooling) and gmp (global max pooling). Every number within its Field's range.

    Raises ValueError, one sentence naming the layer by its place and text, for anything
    else; a text longer than MAX_TEXT_CHARS or of more than MAX_HIDDEN layers is not read.
    """
    if not isinstance(text, str):
        raise ValueError("A network is written as text, such as " + EXAMPLE_TEXT + ".")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"The network's text is longer than {MAX_TEXT_CHARS:,} characters.")
    text = "".join(text.split()).lower()
    if not text:
        return []
    tokens = text.split(",", MAX_HIDDEN)
    if len(tokens) > MAX_HIDDEN:
        raise ValueError(f"A network here has at most {MAX_HIDDEN} layers before its output "
                         "layer; this one has more.")
    layers = []
    for place, token in enumerate(tokens, start=1):
        layer = _parse_layer(place, token)
        try:
            check_limits(layer)
        except ValueError as error:
            raise ValueError(f"Layer {place} ({_shown(token)}): "
                             f"{str(error).split(': ', 1)[1]}") from None
        layers.append(layer)
    return renumber(layers)


def _shown(token: str) -> str:
    return repr(token if len(token) <= 30 else token[:27] + "...")


def _parse_layer(place: int, token: str) -> LayerSpec:
    def fail(why: str) -> ValueError:
        return ValueError(f"Layer {place} ({_shown(token)}): {why}.")

    parts = token.split("-", 8)
    head, rest = parts[0], parts[1:]
    simple = {"bn": ("batchnorm", {}), "flatten": ("flatten", {}),
              "gap": ("global_pool", {"operation": "average"}),
              "gmp": ("global_pool", {"operation": "max"})}
    if head in simple:
        if rest:
            raise fail(f"{head} takes no settings")
        kind, params = simple[head]
        return LayerSpec(kind, kind, dict(params))
    if head == "drop":
        if len(rest) != 1 or not _DECIMAL.fullmatch(rest[0]) or rest[0] in ("", "."):
            raise fail("write the share switched off, such as drop-0.25")
        return LayerSpec("dropout", "dropout", {"rate": float(rest[0])})
    wanted = {"conv": 2, "maxpool": 1, "pool": 1, "avgpool": 1, "dense": 1}
    if head not in wanted:
        raise fail("it starts with none of conv, maxpool, avgpool, drop, dense, bn, flatten, "
                   "gap, gmp")
    numbers, options = rest[:wanted[head]], rest[wanted[head]:]
    if len(numbers) < wanted[head] or not all(_WHOLE.fullmatch(n) for n in numbers):
        example = {"conv": "conv-16-3", "dense": "dense-64"}.get(head, f"{head}-2")
        raise fail(f"it needs whole numbers, such as {example}")
    if head == "conv":
        params: dict[str, Any] = {"filters": int(numbers[0]), "kernel_size": int(numbers[1]),
                                  "strides": 1, "padding": "valid", "activation": None}
    elif head == "dense":
        params = {"units": int(numbers[0]), "activation": None}
    else:
        params = {"operation": "average" if head == "avgpool" else "max",
                  "pool_size": int(numbers[0]), "strides": None, "padding": "valid"}
    for option in options:
        stride = _STRIDE.fullmatch(option)
        if option in ("same", "valid") and head != "dense":
            params["padding"] = option
        elif stride and head != "dense":
            params["strides"] = int(stride.group(1))
        elif option in ACTIVATION_CHOICES and option is not None and "activation" in params:
            params["activation"] = option
        else:
            raise fail(f"{option!r} is not a setting of it")
    kind = {"conv": "conv", "dense": "dense"}.get(head, "pool")
    return LayerSpec(kind, kind, params)
