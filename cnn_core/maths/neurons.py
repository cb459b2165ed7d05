"""One neuron, its activation functions, training iterations, and what a layer costs.

The maths behind the "Neurons and layers" page: a neuron's weighted sum written out term by
term, the activation functions a Keras layer names (numerically stable for any input), how
many iterations an epoch takes for a batch size, and why a convolution layer needs far fewer
weights than a dense layer on the same image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cnn_core.maths.convolution import conv_parameters
from cnn_core.maths.frames import format_number, format_term
from cnn_core.models.specs import dense_parameters

# ---- Activation functions ----------------------------------------------------------------


def sigmoid(x) -> np.ndarray:
    """1 / (1 + e^-x), element-wise: any real numbers in, float64 in [0, 1] out.

    Each side of 0 uses the form whose exponential cannot overflow, so sigmoid(-1000) is 0
    and sigmoid(1000) is 1 without warnings.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    # exp(x) / (1 + exp(x)) keeps tiny outputs accurate, where 1 - something would round to 0.
    e = np.exp(x[~positive])
    out[~positive] = e / (1.0 + e)
    return out


def tanh(x) -> np.ndarray:
    """Hyperbolic tangent, element-wise: float64 in [-1, 1]."""
    return np.tanh(np.asarray(x, dtype=np.float64))


def relu(x) -> np.ndarray:
    """max(0, x), element-wise: float64, negative numbers become 0."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def softmax(x, axis: int = -1) -> np.ndarray:
    """e^(x_i) / sum_j e^(x_j) along `axis`: float64 probabilities that sum to 1.

    x: at least one number along `axis`. Subtracting the largest value first leaves the
    result unchanged and keeps every exponential at most 1, so [1000, 1000, 0] gives
    [0.5, 0.5, 0] instead of overflowing.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError("Softmax needs at least one number to turn into probabilities.")
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


class Activation(NamedTuple):
    function: Callable[..., np.ndarray]
    description: str
    latex: str


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(
        sigmoid,
        "Squashes any number into a value between 0 and 1, so it can be read as a probability.",
        r"\sigma(z) = \frac{1}{1 + e^{-z}}",
    ),
    "tanh": Activation(
        tanh,
        "Squashes any number into a value between -1 and 1, centred on 0.",
        r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
    ),
    "relu": Activation(
        relu,
        "Passes positive numbers through unchanged and turns negative numbers into 0.",
        r"\mathrm{ReLU}(z) = \max(0, z)",
    ),
    "softmax": Activation(
        softmax,
        "Turns a whole layer's sums into probabilities that add up to 1, one for each class.",
        r"\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}",
    ),
}

# Softmax needs a whole layer: on one neuron's single sum it would always give 1.
NEURON_ACTIVATIONS = ("sigmoid", "tanh", "relu")


# ---- One neuron --------------------------------------------------------------------------


@dataclass(frozen=True)
class NeuronResult:
    """One neuron's calculation, every step kept for the page to write out.

    inputs, weights, terms: (n,) float64, terms[i] = inputs[i] * weights[i];
    z = sum(terms) + bias; output = activation(z).
    """

    inputs: np.ndarray
    weights: np.ndarray
    bias: float
    terms: np.ndarray
    z: float
    activation: str
    output: float

    @property
    def arithmetic(self) -> str:
        """The weighted sum written out, e.g. "2x0.5 + 3x(-1) + 0.1 = -1.9"."""
        products = [f"{format_term(x)}x{format_term(w)}"
                    for x, w in zip(self.inputs, self.weights, strict=True)]
        return f"{' + '.join([*products, format_term(self.bias)])} = {format_number(self.z)}"


def neuron(inputs, weights, bias: float, activation: str) -> NeuronResult:
    """A single neuron: z = sum(x_i * w_i) + b, then output a = f(z).

    inputs, weights: sequences of the same length n >= 1 (any real numbers); activation:
    one of NEURON_ACTIVATIONS.
    """
    x = np.asarray(inputs, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("A neuron needs at least one input.")
    if x.shape != w.shape:
        raise ValueError(f"Each input needs its own weight: {x.size} inputs but "
                         f"{w.size} weights.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w)) and math.isfinite(bias)):
        raise ValueError("Inputs, weights and the bias must all be ordinary (finite) numbers.")
    if activation not in NEURON_ACTIVATIONS:
        if activation == "softmax":
            raise ValueError("Softmax compares the sums of a whole layer of neurons; on a "
                             "single neuron it always gives 1. Pick sigmoid, tanh or relu.")
        raise ValueError(f"Activation must be one of {', '.join(NEURON_ACTIVATIONS)}, "
                         f"not {activation!r}.")
    terms = x * w
    z = float(terms.sum() + bias)
    output = float(ACTIVATIONS[activation].function(z))
    return NeuronResult(x, w, float(bias), terms, z, activation, output)


# ---- Batches, iterations and epochs ------------------------------------------------------


@dataclass(frozen=True)
class StepsResult:
    """How training walks through the data.

    An iteration is one batch (one weight update); an epoch is one pass over all examples.
    last_batch_size equals batch_size when the batches divide the data evenly;
    batch_larger_than_data: the batch size exceeds the number of examples, so each epoch is
    a single iteration on all of them.
    """

    n_examples: int
    batch_size: int
    epochs: int
    iterations_per_epoch: int
    last_batch_size: int
    total_iterations: int
    batch_larger_than_data: bool

    @property
    def partial_last_batch(self) -> bool:
        return self.last_batch_size < self.batch_size


def _check_count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"The {what} must be a whole number, not {value!r}.")
    if value < 1:
        raise ValueError(f"The {what} must be at least 1, not {value}.")
    return int(value)


def training_steps(n_examples: int, batch_size: int, epochs: int) -> StepsResult:
    """Iterations per epoch (ceil(n / batch)), the last batch's size, and the total.

    1,000 examples with batch size 500 make 2 iterations per epoch. All three arguments are
    whole numbers of at least 1; a batch bigger than the data set is allowed (1 iteration).
    """
    n = _check_count(n_examples, "number of examples")
    batch = _check_count(batch_size, "batch size")
    epochs = _check_count(epochs, "number of epochs")
    per_epoch = -(-n // batch)
    last = n - (per_epoch - 1) * batch
    return StepsResult(n, batch, epochs, per_epoch, last, per_epoch * epochs, batch > n)


# ---- What a layer costs ------------------------------------------------------------------


@dataclass(frozen=True)
class LayerCost:
    """Learned numbers of one layer: weights, biases (one per unit or filter), total."""

    weights: int
    biases: int
    total: int


def dense_layer_cost(height: int, width: int, channels: int, units: int) -> LayerCost:
    """A dense layer of `units` neurons fed a flattened height x width x channels image.

    Every pixel value connects to every unit, so the weights grow with the image: a 64x64x3
    image into 128 units needs 1,572,992 weights and biases.
    """
    shape = tuple(_check_count(v, what) for v, what in
                  ((height, "image height"), (width, "image width"), (channels, "channel count")))
    units = _check_count(units, "number of units")
    total = dense_parameters(shape, units)
    return LayerCost(total - units, units, total)


def conv_layer_cost(kernel_size: int, channels: int, filters: int) -> LayerCost:
    """A Conv2D layer of `filters` kernel_size x kernel_size filters on `channels` channels.

    The same small filters slide over the whole image, so the count does not depend on the
    image's size at all.
    """
    k = _check_count(kernel_size, "kernel size")
    c = _check_count(channels, "channel count")
    f = _check_count(filters, "number of filters")
    weights = conv_parameters(k, c, f, bias=False)
    total = conv_parameters(k, c, f)
    return LayerCost(weights, total - weights, total)


# ---- The same maths as formulas on screen ------------------------------------------------

_LARGE = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


def format_count(n: int, max_chars: int = 11) -> str:
    """A whole number with thousands separators ("1,572,992") when it fits in max_chars;
    otherwise in words to three significant digits ("503 billion", "14.3 million"), for a
    box too narrow for every digit (the formula beside it keeps them all)."""
    n = int(n)
    exact = f"{n:,}"
    if len(exact) <= max_chars:
        return exact
    for size, word in _LARGE:
        if abs(n) >= size:
            value = n / size
            shown = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
            return f"{shown} {word}"
    return exact

ACTIVATION_SYMBOLS = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}


def _tex(value: float) -> str:
    """A number as the page writes it (format_term), with KaTeX's thousands separator."""
    return format_term(value).replace(",", "{,}")


def _count(value: int) -> str:
    return f"{int(value):,}".replace(",", "{,}")


def neuron_latex(result: NeuronResult) -> list[str]:
    """The neuron's two steps as LaTeX lines: the sum in symbols, the sum with the numbers,
    and the activation, e.g. z = 2 × 0.5 + 3 × (-1) + 0.1 = -1.9, a = σ(-1.9) = 0.13."""
    n = len(result.inputs)
    symbols = " + ".join(f"x_{i} w_{i}" for i in range(1, n + 1))
    products = " + ".join(rf"{_tex(x)} \times {_tex(w)}"
                          for x, w in zip(result.inputs, result.weights, strict=True))
    f = ACTIVATION_SYMBOLS[result.activation]
    return [
        rf"z = {symbols} + b",
        rf"z = {products} + {_tex(result.bias)} = {format_number(result.z)}",
        rf"a = {f}(z) = {f}({format_number(result.z)}) = {format_number(result.output)}",
    ]


def softmax_latex(names, scores) -> str:
    """Softmax of the highest score written out with the numbers: p = e^z / (sum of e^z)."""
    scores = [float(s) for s in scores]
    probabilities = softmax(scores)
    top = int(np.argmax(scores))
    powers = " + ".join(f"e^{{{format_number(s)}}}" for s in scores)
    return (rf"p_{{\text{{{names[top]}}}}} = \frac{{e^{{{format_number(scores[top])}}}}}"
            rf"{{{powers}}} = {format_number(probabilities[top])}")


def steps_latex(steps: StepsResult) -> list[str]:
    """Iterations per epoch (rounded up) and in all, with the calculator's numbers."""
    return [
        rf"\text{{iterations per epoch}} = \left\lceil \frac{{{_count(steps.n_examples)}}}"
        rf"{{{_count(steps.batch_size)}}} \right\rceil = {_count(steps.iterations_per_epoch)}",
        rf"\text{{iterations in all}} = {_count(steps.iterations_per_epoch)} \times "
        rf"{_count(steps.epochs)} = {_count(steps.total_iterations)}",
    ]


def steps_sentence(steps: StepsResult) -> str:
    """The calculator's answer in words, with the partial last batch explained."""
    n, b, per_epoch = steps.n_examples, steps.batch_size, steps.iterations_per_epoch
    examples = f"{n:,} example{'s' if n != 1 else ''}"
    if steps.batch_larger_than_data:
        return (f"The batch size is larger than the {examples}, so each epoch is a single "
                f"iteration on all of them; training makes {steps.total_iterations:,} weight "
                f"update{'s' if steps.total_iterations != 1 else ''} in all.")
    full = per_epoch - (1 if steps.partial_last_batch else 0)
    text = (f"Each epoch the network sees all {examples} in {per_epoch:,} "
            f"batch{'es' if per_epoch > 1 else ''} and updates its weights after "
            f"{'each one' if per_epoch > 1 else 'it'}: {steps.total_iterations:,} "
            f"update{'s' if steps.total_iterations != 1 else ''} in {steps.epochs:,} "
            f"epoch{'s' if steps.epochs > 1 else ''}.")
    if steps.partial_last_batch:
        text += (f" {b:,} does not divide {n:,} evenly: {n:,} = {full:,} x {b:,} + "
                 f"{steps.last_batch_size:,}, so the last batch of each epoch holds only the "
                 f"{steps.last_batch_size:,} examples left over. It still counts as an "
                 "iteration, which is why the division is rounded up.")
    return text


def dense_cost_latex(height: int, width: int, channels: int, units: int) -> str:
    """Weights (every pixel value to every unit) plus one bias per unit, with the numbers."""
    cost = dense_layer_cost(height, width, channels, units)
    return (rf"{_count(height)} \times {_count(width)} \times {_count(channels)} \times "
            rf"{_count(units)} + {_count(units)} = {_count(cost.total)}")


def conv_cost_latex(kernel_size: int, channels: int, filters: int) -> str:
    """Each filter's weights plus one bias per filter: no image size anywhere."""
    cost = conv_layer_cost(kernel_size, channels, filters)
    return (rf"{_count(kernel_size)} \times {_count(kernel_size)} \times {_count(channels)} "
            rf"\times {_count(filters)} + {_count(filters)} = {_count(cost.total)}")
