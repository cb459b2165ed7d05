"""One neuron, activations, iterations per epoch and layer costs, checked against Keras itself."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from cnn_core.maths.convolution import conv_parameters
from cnn_core.maths.frames import format_number
from cnn_core.maths.neurons import (
    ACTIVATIONS,
    NEURON_ACTIVATIONS,
    conv_cost_latex,
    conv_layer_cost,
    dense_cost_latex,
    dense_layer_cost,
    format_count,
    neuron,
    neuron_latex,
    relu,
    sigmoid,
    softmax,
    softmax_latex,
    steps_latex,
    steps_sentence,
    tanh,
    training_steps,
)
from cnn_core.models.specs import dense_parameters


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


# Wide enough to reach where a naive exp() overflows (|x| > 709).
VALUES = st.floats(-2_000, 2_000, allow_nan=False, allow_infinity=False)
ARRAYS = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                elements=VALUES)


# ---- Activations ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")  # size-1 rows are fine
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@settings(max_examples=60, deadline=None)
@given(x=ARRAYS)
def test_each_activation_matches_keras(keras, name, x):
    expected = keras.ops.convert_to_numpy(getattr(keras.activations, name)(x))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        got = ACTIVATIONS[name].function(x)
    assert got.shape == x.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("function, x", [
    (softmax, [1000.0, 1000.0, 0.0]),
    (softmax, [-1000.0, -1000.0, 0.0]),
    (sigmoid, [-1000.0, 1000.0]),
    (tanh, [-1000.0, 1000.0]),
    (relu, [-1000.0, 1000.0]),
])
def test_extreme_inputs_give_no_warning_and_no_nan(function, x):
    # Underflow to 0 is the right answer (e^-1000); overflow or 0/0 would be a bug.
    with np.errstate(over="raise", invalid="raise", divide="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = function(x)
    assert np.all(np.isfinite(out))


def test_extreme_values_land_on_their_limits():
    np.testing.assert_array_equal(sigmoid([-1000.0, 1000.0]), [0.0, 1.0])
    # Two equal large scores share the probability; the far smaller one gets none.
    np.testing.assert_allclose(softmax([1000.0, 1000.0, 0.0]), [0.5, 0.5, 0.0], atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(x=ARRAYS)
def test_softmax_rows_are_probabilities_and_ignore_a_shift(x):
    p = softmax(x)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    # Adding the same number to every score changes nothing (the stable form relies on it).
    np.testing.assert_allclose(softmax(x + 7.0), p, atol=1e-12)


def test_softmax_along_another_axis_matches_the_transpose():
    x = np.random.default_rng(0).normal(size=(3, 5)) * 10
    np.testing.assert_allclose(softmax(x, axis=0), softmax(x.T).T)


@pytest.mark.parametrize("x", [[], 3.0])
def test_softmax_of_nothing_is_refused_with_a_sentence(x):
    with pytest.raises(ValueError, match="at least one number"):
        softmax(x)


def test_every_activation_has_a_one_sentence_description_and_a_formula():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "softmax"}
    assert set(NEURON_ACTIVATIONS) < set(ACTIVATIONS)
    for name, (function, description, latex) in ACTIVATIONS.items():
        assert callable(function)
        assert description.endswith(".") and ". " not in description, name
        assert description[0].isupper() and len(description) < 120
        assert "\\" in latex and "=" in latex, name


# ---- One neuron ----------------------------------------------------------------------------

NEURON_CASES = st.integers(1, 6).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-10, 10), min_size=n, max_size=n),
    st.lists(st.floats(-10, 10), min_size=n, max_size=n),
    st.floats(-10, 10),
    st.sampled_from(NEURON_ACTIVATIONS),
))


@settings(max_examples=80, deadline=None)
@given(case=NEURON_CASES)
def test_neuron_keeps_every_step_of_its_sum(case):
    inputs, weights, bias, activation = case
    result = neuron(inputs, weights, bias, activation)
    np.testing.assert_array_equal(result.terms, np.multiply(inputs, weights))
    assert result.z == pytest.approx(np.dot(inputs, weights) + bias, abs=1e-9)
    assert result.z == pytest.approx(math.fsum(result.terms) + bias, abs=1e-9)
    assert result.output == ACTIVATIONS[activation].function(result.z)
    # One product per input plus the bias, then the total.
    assert result.arithmetic.count(" + ") == len(inputs)
    assert result.arithmetic.count("x") == len(inputs)


def test_neuron_arithmetic_reads_like_the_sum_on_paper():
    result = neuron([2, 3], [0.5, -1], 0.1, "relu")
    assert result.arithmetic == "2x0.5 + 3x(-1) + 0.1 = -1.9"
    assert result.output == 0.0  # relu of a negative sum


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(case=NEURON_CASES)
def test_neuron_matches_a_one_unit_keras_dense_layer(keras, case):
    inputs, weights, bias, activation = case
    layer = keras.layers.Dense(1, activation=activation, dtype="float64")
    layer.build((1, len(inputs)))
    layer.set_weights([np.array(weights, dtype=np.float64)[:, None], np.array([bias])])
    expected = keras.ops.convert_to_numpy(layer(np.array([inputs], dtype=np.float64)))[0, 0]
    assert neuron(inputs, weights, bias, activation).output == pytest.approx(expected, rel=1e-9,
                                                                             abs=1e-12)


@pytest.mark.parametrize("inputs, weights, bias, activation, message", [
    ([], [], 0.0, "relu", "at least one input"),
    ([1, 2], [1], 0.0, "relu", "2 inputs but 1 weights"),
    ([1, float("nan")], [1, 1], 0.0, "relu", "finite"),
    ([1], [1], float("inf"), "relu", "finite"),
    ([1], [1], 0.0, "softmax", "whole layer"),
    ([1], [1], 0.0, "swish", "must be one of"),
])
def test_neuron_refuses_bad_input_with_a_sentence(inputs, weights, bias, activation, message):
    with pytest.raises(ValueError, match=message):
        neuron(inputs, weights, bias, activation)


# ---- Iterations per epoch ------------------------------------------------------------------

def test_the_materials_example_1000_examples_in_batches_of_500():
    steps = training_steps(1000, 500, 1)
    assert steps.iterations_per_epoch == 2
    assert steps.last_batch_size == 500 and not steps.partial_last_batch


@given(n=st.integers(1, 10_000), batch=st.integers(1, 12_000), epochs=st.integers(1, 50))
def test_the_batches_cover_every_example_exactly_once_per_epoch(n, batch, epochs):
    steps = training_steps(n, batch, epochs)
    sizes = [batch] * (steps.iterations_per_epoch - 1) + [steps.last_batch_size]
    assert sum(sizes) == n and 1 <= steps.last_batch_size <= batch
    assert steps.partial_last_batch == (n % batch != 0)
    assert steps.total_iterations == steps.iterations_per_epoch * epochs
    assert steps.batch_larger_than_data == (batch > n)
    if batch >= n:
        assert (steps.iterations_per_epoch, steps.last_batch_size) == (1, n)


@pytest.mark.parametrize("n, batch, epochs, message", [
    (0, 10, 1, "number of examples must be at least 1"),
    (10, 0, 1, "batch size must be at least 1"),
    (10, 5, 0, "number of epochs must be at least 1"),
    (10, 2.5, 1, "batch size must be a whole number"),
    (10, 5, True, "epochs must be a whole number"),
    ("10", 5, 1, "examples must be a whole number"),
])
def test_training_steps_refuses_bad_counts_with_a_sentence(n, batch, epochs, message):
    with pytest.raises(ValueError, match=message):
        training_steps(n, batch, epochs)


@pytest.mark.slow
@pytest.mark.parametrize("n, batch, epochs", [(1000, 500, 2), (10, 3, 2), (5, 8, 1)])
def test_training_steps_match_what_keras_fit_does(keras, n, batch, epochs):
    sizes: list[int] = []
    calls: list[int] = []

    class RecordBatch(keras.layers.Layer):
        def call(self, x):
            if x.shape[0] is not None:  # None while Keras traces shapes; real when eager
                sizes.append(int(x.shape[0]))
            return x

    class CountBatches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            calls.append(batch)

    model = keras.Sequential([keras.Input((1,)), RecordBatch(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    rng = np.random.default_rng(n)
    model.fit(rng.normal(size=(n, 1)), rng.normal(size=(n, 1)), batch_size=batch,
              epochs=epochs, verbose=0, shuffle=False, callbacks=[CountBatches()])

    steps = training_steps(n, batch, epochs)
    assert len(calls) == steps.total_iterations
    per_epoch = [batch] * (steps.iterations_per_epoch - 1) + [steps.last_batch_size]
    assert sizes == per_epoch * epochs


# ---- What a layer costs --------------------------------------------------------------------

def test_the_materials_dense_examples():
    small = dense_layer_cost(64, 64, 3, 128)
    assert small.total == 1_572_992 and small.biases == 128
    big = dense_layer_cost(256, 256, 3, 1000)
    assert (big.weights, big.biases) == (196_608_000, 1000)
    assert big.total == 196_608_000 + 1000


@given(h=st.integers(1, 512), w=st.integers(1, 512), c=st.integers(1, 4),
       units=st.integers(1, 2048))
def test_dense_cost_wraps_the_layer_tables_count(h, w, c, units):
    cost = dense_layer_cost(h, w, c, units)
    assert cost.total == dense_parameters((h, w, c), units) == cost.weights + cost.biases
    assert cost.biases == units
    assert dense_layer_cost(2 * h, w, c, units).weights == 2 * cost.weights


@given(k=st.integers(1, 11), c=st.integers(1, 64), f=st.integers(1, 128))
def test_conv_cost_wraps_the_convolution_count(k, c, f):
    cost = conv_layer_cost(k, c, f)
    assert cost.total == conv_parameters(k, c, f) == cost.weights + cost.biases
    assert cost.biases == f


@pytest.mark.slow
@pytest.mark.parametrize("h, w, c, units", [(8, 8, 1, 4), (5, 7, 3, 16), (28, 28, 1, 128)])
def test_dense_cost_matches_keras(keras, h, w, c, units):
    model = keras.Sequential([keras.Input((h, w, c)), keras.layers.Flatten(),
                              keras.layers.Dense(units)])
    assert dense_layer_cost(h, w, c, units).total == model.count_params()


@pytest.mark.slow
@pytest.mark.parametrize("k, c, f", [(3, 3, 32), (5, 1, 6), (1, 16, 8)])
def test_conv_cost_matches_keras_and_ignores_the_image_size(keras, k, c, f):
    counts = set()
    for side in (k, 32, 97):
        model = keras.Sequential([keras.Input((side, side + 3, c)), keras.layers.Conv2D(f, k)])
        counts.add(model.count_params())
    assert counts == {conv_layer_cost(k, c, f).total}


@pytest.mark.parametrize("call, message", [
    (lambda: dense_layer_cost(0, 64, 3, 128), "image height must be at least 1"),
    (lambda: dense_layer_cost(64, 64, 3, -1), "number of units must be at least 1"),
    (lambda: dense_layer_cost(64, 64.5, 3, 1), "image width must be a whole number"),
    (lambda: conv_layer_cost(0, 3, 8), "kernel size must be at least 1"),
    (lambda: conv_layer_cost(3, 0, 8), "channel count must be at least 1"),
    (lambda: conv_layer_cost(3, 3, None), "filters must be a whole number"),
])
def test_layer_costs_refuse_bad_sizes_with_a_sentence(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- Formulas on screen --------------------------------------------------------------------

def test_neuron_formula_writes_the_numbers_and_the_activation():
    result = neuron([2, 3, -1], [0.5, -1, 0.25], 0.1, "sigmoid")
    symbols, numbers, output = neuron_latex(result)
    assert symbols == "z = x_1 w_1 + x_2 w_2 + x_3 w_3 + b"
    assert numbers == (r"z = 2 \times 0.5 + 3 \times (-1) + (-1) \times 0.25 + 0.1 = -2.15")
    assert output == rf"a = \sigma(z) = \sigma(-2.15) = {format_number(result.output)}"
    relu = neuron_latex(neuron([1], [2], -0.5, "relu"))
    assert relu[2] == r"a = \mathrm{ReLU}(z) = \mathrm{ReLU}(1.5) = 1.5"


def test_softmax_formula_works_out_the_top_class():
    text = softmax_latex(["cat", "dog", "bird"], [1.0, 3.0, -0.5])
    assert text.startswith(r"p_{\text{dog}} = \frac{e^{3}}{e^{1} + e^{3} + e^{-0.5}}")
    assert text.endswith(f"= {format_number(softmax([1.0, 3.0, -0.5])[1])}")


def test_steps_and_layer_cost_formulas_carry_the_calculators_numbers():
    per_epoch, total = steps_latex(training_steps(1_000, 300, 5))
    assert r"\frac{1{,}000}{300} \right\rceil = 4" in per_epoch
    assert total.endswith(r"4 \times 5 = 20")
    assert dense_cost_latex(64, 64, 3, 128) == (
        r"64 \times 64 \times 3 \times 128 + 128 = 1{,}572{,}992")
    assert dense_cost_latex(256, 256, 3, 1_000).endswith("= 196{,}609{,}000")
    assert conv_cost_latex(3, 3, 32) == r"3 \times 3 \times 3 \times 32 + 32 = 896"


@pytest.mark.parametrize("n, max_chars, shown", [
    (1_572_992, 11, "1,572,992"),
    (196_609_000, 11, "196,609,000"),
    (142_857_150_000, 10, "143 billion"),
    (30_000_000_100_000, 14, "30 trillion"),
    (14_285_715, 9, "14.3 million"),
    (12_345, 3, "12.3 thousand"),
    (999, 2, "999"),  # nothing shorter in words: every digit
    (5_000_000_000_000_000, 10, "5,000 trillion"),
])
def test_counts_too_wide_for_their_box_are_written_in_words(n, max_chars, shown):
    assert format_count(n, max_chars) == shown


def test_the_steps_in_words_explain_a_partial_last_batch():
    even = steps_sentence(training_steps(1_000, 500, 5))
    assert even.startswith("Each epoch the network sees all 1,000 examples in 2 batches")
    assert "10 updates in 5 epochs" in even and "evenly" not in even
    partial = steps_sentence(training_steps(1_000, 300, 1))
    assert "1,000 = 3 x 300 + 100" in partial and "rounded up" in partial
    assert "after it: 1 update in 1 epoch." in steps_sentence(training_steps(1, 1, 1))
    larger = steps_sentence(training_steps(1_000, 5_000, 3))
    assert "larger than the 1,000 examples" in larger and "3 weight updates" in larger
