"""The network builder's edits: layers added, removed, moved and changed keep unique names and
sizes the app can train; every stack that cannot work gets one sentence naming the layer; the
text a link holds reads back the same network and refuses anything else in a sentence."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnn_core.models.network_edits import (
    EXAMPLE_TEXT,
    FIELDS,
    MAX_ACTIVATIONS,
    MAX_HIDDEN,
    MAX_PARAMETERS,
    MAX_TEXT_CHARS,
    NEW_LAYER,
    add_layer,
    check_limits,
    check_network,
    edit_layer,
    hidden_of,
    layer_summary,
    move_layer,
    network_text,
    new_layer,
    parse_network_text,
    remove_layer,
    renumber,
    with_output,
)
from cnn_core.models.specs import (
    LAYER_KINDS,
    MAX_LAYERS,
    MODEL_PRESETS,
    LayerSpec,
    count_parameters,
    layer_table,
    model_spec,
)

MNIST = (28, 28, 1)


def names(layers) -> list[str]:
    return [layer.name for layer in layers]


@pytest.mark.parametrize("preset", list(MODEL_PRESETS))
def test_a_preset_opens_in_the_builder_as_the_same_network(preset):
    layers = model_spec(preset, 10)
    hidden = hidden_of(layers)
    rebuilt = with_output(hidden, 10)
    assert rebuilt[-1] == LayerSpec("dense", "output", {"units": 10, "activation": "softmax"})
    check = check_network(rebuilt, (32, 32, 3))
    assert check.problem == ""
    assert check.total == count_parameters(layers, (32, 32, 3))
    assert [r.output_shape for r in check.rows] == [
        r.output_shape for r in layer_table(layers, (32, 32, 3))]
    # Every setting the builder shows is filled in, so its widgets always have a value.
    for layer in hidden:
        assert {f.name for f in FIELDS[layer.kind]} <= set(layer.params)


def test_cifar_names_are_renumbered_by_kind():
    hidden = hidden_of(model_spec("cifar_dcnn", 10))
    assert names(hidden) == ["conv_1", "conv_2", "pool_1", "dropout_1", "conv_3", "conv_4",
                             "pool_2", "dropout_2", "flatten_1", "dense_1", "dropout_3"]


def test_add_remove_and_move_keep_names_unique_and_in_order():
    hidden = hidden_of(model_spec("mnist_cnn", 10))
    added = add_layer(hidden, "batchnorm", 1)
    assert names(added)[:3] == ["conv_1", "batchnorm_1", "pool_1"]
    assert len(added) == len(hidden) + 1
    assert added[1].params == NEW_LAYER["batchnorm"]
    added = add_layer(added, "conv", 0)
    assert names(added)[:3] == ["conv_1", "conv_2", "batchnorm_1"]
    assert added[1].params["filters"] == 16 and added[1].params["kernel_size"] == 5
    moved = move_layer(hidden, 1, -1)
    assert [layer.kind for layer in moved[:2]] == ["pool", "conv"]
    assert names(moved)[:2] == ["pool_1", "conv_1"]
    removed = remove_layer(hidden, 0)
    assert names(removed)[:2] == ["pool_1", "conv_1"]
    assert removed[1].params["filters"] == 32  # the second convolution, renamed
    for layers in (added, moved, removed):
        assert len(set(names(layers))) == len(layers)


def test_edits_that_cannot_be_done_say_why():
    hidden = hidden_of(model_spec("dense_baseline", 10))  # flatten, dense
    with pytest.raises(ValueError, match="cannot move further"):
        move_layer(hidden, 0, -1)
    with pytest.raises(ValueError, match="cannot move further"):
        move_layer(hidden, 1, 1)
    with pytest.raises(ValueError, match="There is no layer 3"):
        remove_layer(hidden, 2)
    with pytest.raises(ValueError, match="no layer kind 'lstm'"):
        add_layer(hidden, "lstm", 0)
    full = [new_layer("batchnorm")] * MAX_HIDDEN
    with pytest.raises(ValueError, match=f"at most {MAX_LAYERS} layers"):
        add_layer(full, "dropout", 0)
    assert len(add_layer(full[:-1], "dropout", 0)) == MAX_HIDDEN


def test_edited_values_are_brought_within_range_and_wrong_ones_ignored():
    hidden = [new_layer("conv"), new_layer("dropout"), new_layer("pool")]
    edited = edit_layer(hidden, 0, {"filters": 10_000, "kernel_size": 0, "strides": 2.6,
                                    "padding": "weird", "activation": None, "units": 5})
    assert edited[0].params == {"filters": 256, "kernel_size": 1, "strides": 3,
                                "padding": "same", "activation": None}
    for bad in (float("nan"), float("inf"), "3", True, None, [3]):
        assert edit_layer(hidden, 0, {"filters": bad})[0].params["filters"] == 16
    edited = edit_layer(hidden, 1, {"rate": 0.15000000000000002})
    assert edited[1].params["rate"] == 0.15
    assert edit_layer(hidden, 1, {"rate": 3})[1].params["rate"] == 0.9
    assert edit_layer(hidden, 2, {"strides": 5})[2].params["strides"] is None  # not a choice
    assert edit_layer(hidden, 2, {"strides": 1})[2].params["strides"] == 1
    assert hidden[0].params["filters"] == 16  # the list given is never changed


def test_check_network_sentences_name_the_layer():
    def problem(hidden, shape=MNIST):
        return check_network(with_output(hidden, 10), shape).problem

    # A size that reaches 0: three 2x2 poolings bring 28 to 3, a "valid" 5x5 kernel cannot fit.
    hidden = renumber([new_layer("pool"), new_layer("pool"), new_layer("pool"),
                       LayerSpec("conv", "c", {"filters": 8, "kernel_size": 5})])
    assert problem(hidden).startswith("conv_1: a 5x5 kernel does not fit the 3x3 image")
    check = check_network(with_output(hidden, 10), MNIST)
    assert [r.name for r in check.rows] == ["pool_1", "pool_2", "pool_3"]
    # Dense on feature maps without a flatten.
    assert problem([new_layer("conv")]).startswith(
        "output: a dense layer needs a flat row of numbers, but 28 x 28 x 16 feature maps")
    # 200 layers.
    many = renumber([new_layer("batchnorm")] * 199)
    assert problem(many).startswith(f"batchnorm_{MAX_LAYERS + 1}: a network may have at most "
                                    f"{MAX_LAYERS} layers and this one has 200")
    # Numbers outside the builder's ranges, however the layer was made.
    huge = [LayerSpec("conv", "big", {"filters": 100_000, "kernel_size": 3}), new_layer("flatten")]
    assert problem(huge) == "big: filters must be from 1 to 256 here, not 100000."
    assert problem([new_layer("flatten"), LayerSpec("dense", "d", {"units": 0})]).startswith(
        "d: units must be a whole number of at least 1")


def test_networks_too_big_for_the_server_are_refused():
    wide = [new_layer("flatten")] + [LayerSpec("dense", "d", {"units": 2048})] * 3
    check = check_network(with_output(renumber(wide), 10), MNIST)
    assert check.total > MAX_PARAMETERS and len(check.rows) == 5
    assert check.problem.startswith(f"dense_2: it alone learns {2048 * 2048 + 2048:,} of the "
                                    f"network's {check.total:,} parameters")
    conv = LayerSpec("conv", "c", {"filters": 256, "kernel_size": 3, "padding": "same"})
    check = check_network(with_output(renumber([conv] * 3 + [new_layer("flatten")]), 10), MNIST)
    assert 2 * 28 * 28 * 256 <= MAX_ACTIVATIONS < 3 * 28 * 28 * 256
    assert check.problem.startswith(f"conv_3: the layers up to here give out "
                                    f"{3 * 28 * 28 * 256:,} numbers for every image")
    assert len(check.rows) == 3


def test_check_network_of_a_working_network_matches_the_layer_table():
    layers = with_output(hidden_of(model_spec("mnist_cnn", 10)), 10)
    check = check_network(layers, MNIST)
    assert check.problem == "" and check.total == 215_370
    assert list(check.rows) == layer_table(layers, MNIST)
    assert check_network([], MNIST).problem.startswith("The network has no layers")


def test_layer_summaries_read_as_words():
    hidden = hidden_of(model_spec("mnist_cnn", 10))
    assert [layer_summary(layer) for layer in hidden] == [
        "16 filters of 5x5, same, relu", "max of each 2x2", "32 filters of 5x5, same, relu",
        "max of each 2x2", "maps to one row", "128 units, relu", "40% switched off"]
    odd = [LayerSpec("conv", "c", {"filters": 1, "kernel_size": (3, 1), "strides": 2}),
           LayerSpec("pool", "p", {"operation": "average", "pool_size": 3, "strides": 1,
                                   "padding": "same"}),
           LayerSpec("global_pool", "g"), LayerSpec("batchnorm", "b"),
           LayerSpec("dense", "d", {"units": 1}), LayerSpec("dense", "x", {"units": -1})]
    assert [layer_summary(layer) for layer in odd] == [
        "1 filter of 3x1, stride 2, valid, no activation", "average of each 3x3, stride 1, same",
        "average of each map", "rescales each channel", "1 unit, no activation",
        "settings that do not work"]


def test_the_link_text_of_a_preset():
    text = network_text(hidden_of(model_spec("mnist_cnn", 10)))
    assert text == ("conv-16-5-same-relu,maxpool-2,conv-32-5-same-relu,maxpool-2,flatten,"
                    "dense-128-relu,drop-0.4")
    assert parse_network_text(text) == hidden_of(model_spec("mnist_cnn", 10))
    assert check_network(with_output(parse_network_text(EXAMPLE_TEXT), 10), MNIST).problem == ""


def test_the_link_text_is_forgiving_about_case_spaces_and_order():
    assert parse_network_text(" Conv-8-3-RELU-s2-same , pool-2 ,GAP, bn, drop-.5") == [
        LayerSpec("conv", "conv_1", {"filters": 8, "kernel_size": 3, "strides": 2,
                                     "padding": "same", "activation": "relu"}),
        LayerSpec("pool", "pool_1", {"operation": "max", "pool_size": 2, "strides": None,
                                     "padding": "valid"}),
        LayerSpec("global_pool", "global_pool_1", {"operation": "average"}),
        LayerSpec("batchnorm", "batchnorm_1", {}),
        LayerSpec("dropout", "dropout_1", {"rate": 0.5})]
    assert parse_network_text("") == [] and network_text([]) == ""


@pytest.mark.parametrize("text,sentence", [
    ("conv-999-3", "Layer 1 ('conv-999-3'): filters must be from 1 to 256 here, not 999."),
    ("flatten,dense-0", "Layer 2 ('dense-0'): units must be a whole number of at least 1"),
    ("conv-16-3-s0", "Layer 1 ('conv-16-3-s0'): strides must be a whole number"),
    ("maxpool-2-s9", "Layer 1 ('maxpool-2-s9'): stride must be one of 1, 2, 3, 4 here"),
    ("drop-1.5", "Layer 1 ('drop-1.5'): the dropout rate is the share of inputs switched off"),
    ("drop-0.95", "Layer 1 ('drop-0.95'): share switched off must be from 0 to 0.9 here"),
    ("drop-", "Layer 1 ('drop-'): write the share switched off, such as drop-0.25."),
    ("conv-16", "Layer 1 ('conv-16'): it needs whole numbers, such as conv-16-3."),
    ("conv-99999999999999-3", "it needs whole numbers"),
    ("conv-١٦-3", "it needs whole numbers"),
    ("dense-1e3", "it needs whole numbers, such as dense-64"),
    ("dense-64-same", "Layer 1 ('dense-64-same'): 'same' is not a setting of it."),
    ("maxpool-2-relu", "'relu' is not a setting of it"),
    ("conv-16-3-softmax", "'softmax' is not a setting of it"),
    ("bn-2", "Layer 1 ('bn-2'): bn takes no settings."),
    ("flatten,,dense-4", "Layer 2 (''): it starts with none of conv, maxpool"),
    ("<script>alert(1)</script>" * 2, "Layer 1 ('<script>alert(1)</script><s...')"),
    (",".join(["bn"] * MAX_LAYERS), f"at most {MAX_HIDDEN} layers before its output layer"),
    ("bn," * 10_000, f"longer than {MAX_TEXT_CHARS:,} characters"),
])
def test_a_hostile_link_text_gets_a_sentence(text, sentence):
    with pytest.raises(ValueError) as error:
        parse_network_text(text)
    assert sentence in str(error.value)
    assert "\n" not in str(error.value) and len(str(error.value)) < 300


def test_the_longest_network_fits_in_a_link():
    longest = renumber([LayerSpec("conv", "c", {"filters": 256, "kernel_size": 11, "strides": 4,
                                                "padding": "same", "activation": "leaky_relu"})
                        ] * MAX_HIDDEN)
    text = network_text(longest)
    assert len(text) <= MAX_TEXT_CHARS
    assert parse_network_text(text) == longest


def _field_values(kind: str):
    values = {}
    for field in FIELDS[kind]:
        if field.choices:
            values[field.name] = st.sampled_from(field.choices)
        elif field.step == 1:
            values[field.name] = st.integers(int(field.low), int(field.high))
        else:
            values[field.name] = st.integers(0, round(field.high / field.step)).map(
                lambda n: round(n * 0.05, 2))
    return st.fixed_dictionaries(values)


builder_layers = st.sampled_from(LAYER_KINDS).flatmap(
    lambda kind: _field_values(kind).map(lambda params: LayerSpec(kind, kind, params)))


@given(st.lists(builder_layers, max_size=MAX_HIDDEN))
def test_every_network_the_builder_makes_reads_back_from_its_link(hidden):
    hidden = renumber(hidden)
    text = network_text(hidden)
    assert len(text) <= MAX_TEXT_CHARS
    assert parse_network_text(text) == hidden
    for layer in hidden:
        check_limits(layer)


def test_input_numbers_stay_small_for_every_field():
    # The ranges are what keep a learner's network trainable; a change here is a decision.
    ranges = {(kind, f.name): (f.low, f.high) for kind, fields in FIELDS.items()
              for f in fields if not f.choices}
    assert ranges == {("conv", "filters"): (1, 256), ("conv", "kernel_size"): (1, 11),
                      ("conv", "strides"): (1, 4), ("pool", "pool_size"): (1, 8),
                      ("dropout", "rate"): (0.0, 0.9), ("dense", "units"): (1, 2048)}
    assert math.isclose(MAX_PARAMETERS, 5e6) and MAX_HIDDEN == MAX_LAYERS - 1
