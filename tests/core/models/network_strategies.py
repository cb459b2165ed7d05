"""Hypothesis strategies for whole networks of LayerSpecs that Keras builds without complaint.

The stacks are drawn layer by layer from what may follow the shape reached so far (the
shape is tracked here with TensorFlow's two size formulas, not with `layer_table`, which is
what the tests check): windows only on images, dense only on flat rows, a "valid" window
never larger than the image. Params are left out at random so Keras' defaults are exercised,
and sizes come as ints or (h, w) pairs.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from cnn_core.models.specs import LayerSpec

ACTIVATIONS = (None, "relu", "sigmoid", "tanh", "softmax", "linear", "elu", "gelu", "swish")


def _size(n: int, k: int, stride: int, padding: str) -> int:
    return math.ceil(n / stride) if padding == "same" else (n - k) // stride + 1


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _side_or_pair(draw, low: int, high: int):
    side = st.integers(low, high)
    return draw(st.one_of(side, st.tuples(side, side)))


def _window(draw, shape, params: dict, size_key: str, strides_default) -> tuple[int, ...]:
    """Fill a conv's or pool's size, strides and padding; the shape that comes out."""
    size = params[size_key] = _side_or_pair(draw, 1, 5)
    if draw(st.booleans()):
        params["strides"] = _side_or_pair(draw, 1, 3)
    strides = _pair(params.get("strides", strides_default(size)))
    k = _pair(size)
    fits = all(ki <= n for ki, n in zip(k, shape[:2], strict=True))
    padding = draw(st.sampled_from(["valid", "same", None])) if fits else "same"
    if padding is not None:
        params["padding"] = padding
    padding = padding or "valid"
    return tuple(_size(n, ki, si, padding) for n, ki, si in zip(shape[:2], k, strides,
                                                                  strict=True))


@st.composite
def valid_networks(draw, max_hidden: int = 6):
    """(layers, input_shape, num_classes): an image (8..32 px, 1 or 3 channels) or, now and
    then, a flat row of numbers; up to max_hidden layers; a dense softmax output."""
    if draw(st.integers(0, 5)) == 0:
        shape: tuple[int, ...] = (draw(st.integers(1, 12)),)
    else:
        shape = (draw(st.integers(8, 32)), draw(st.integers(8, 32)),
                 draw(st.sampled_from([1, 3])))
    input_shape = shape
    layers = []
    for i in range(draw(st.integers(0, max_hidden))):
        image = len(shape) == 3
        kinds = (["conv", "pool", "batchnorm", "dropout", "flatten", "global_pool"] if image
                 else ["dense", "batchnorm", "dropout", "flatten"])
        kind = draw(st.sampled_from(kinds))
        params: dict = {}
        if kind == "conv":
            params["filters"] = draw(st.integers(1, 8))
            h, w = _window(draw, shape, params, "kernel_size", lambda size: 1)
            activation = draw(st.sampled_from(ACTIVATIONS))
            if activation is not None:
                params["activation"] = activation
            shape = (h, w, params["filters"])
        elif kind == "pool":
            h, w = _window(draw, shape, params, "pool_size", lambda size: size)
            operation = draw(st.sampled_from(["max", "average", None]))
            if operation is not None:
                params["operation"] = operation
            shape = (h, w, shape[2])
        elif kind == "global_pool":
            operation = draw(st.sampled_from(["max", "average", None]))
            if operation is not None:
                params["operation"] = operation
            shape = (shape[2],)
        elif kind == "flatten":
            shape = (math.prod(shape),)
        elif kind == "dropout":
            params["rate"] = draw(st.sampled_from([0.0, 0.1, 0.5, 0.9]))
        elif kind == "dense":
            params["units"] = draw(st.integers(1, 16))
            activation = draw(st.sampled_from(ACTIVATIONS))
            if activation is not None:
                params["activation"] = activation
            shape = (params["units"],)
        layers.append(LayerSpec(kind, f"{kind}_{i + 1}", params))
    if len(shape) == 3:
        kind = draw(st.sampled_from(["flatten", "global_pool"]))
        layers.append(LayerSpec(kind, f"{kind}_last"))
    num_classes = draw(st.integers(2, 10))
    layers.append(LayerSpec("dense", "output", {"units": num_classes, "activation": "softmax"}))
    return layers, input_shape, num_classes
