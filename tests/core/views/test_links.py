"""Links: every kind of setting comes back exactly from its own text, and a hostile link
(wrong types, NaN, huge numbers, essays, unknown names, a 1,000 x 1,000 kernel) is refused
with one plain sentence that names the setting, never an exception."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnn_core.config import MAX_KERNEL_SIZE
from cnn_core.maths.kernels import PRESET_KERNELS
from cnn_core.views.links import (
    HIDE,
    LOCK,
    MAX_TASK_CHARS,
    TASK,
    LinkReading,
    LinkValueError,
    TeacherOptions,
    choice,
    decimal,
    flag,
    format_matrix,
    kernel_matrix,
    link_params,
    read_link,
    whole,
)

PRESETS = list(PRESET_KERNELS)
SETTINGS = [
    choice("kernel", "Preset kernel", PRESETS, "Sobel x"),
    choice("size", "Pool size", [2, 3, 4], 2),
    whole("row", "Inspected pixel: row", 0, 500, None),
    whole("epochs", "Epochs", 1, 20, 2),
    decimal("share", "Share of birds", 0.01, 0.5, 0.05),
    flag("augment", "Augmentation", False),
    kernel_matrix("matrix", "Custom kernel"),
]
BY_NAME = {s.name: s for s in SETTINGS}


def sentences(note: str) -> int:
    """Sentences in a note: a full stop followed by a capital starts the next one."""
    return len(re.split(r"(?<=[.!?])\s+(?=[A-Z])", note.strip()))


# ---- Every kind comes back exactly ------------------------------------------------------------

@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_round_trips(name):
    setting = BY_NAME["kernel"]
    assert setting.parse(setting.format(name)) == name


@pytest.mark.parametrize("size", [2, 3, 4])
def test_a_choice_of_numbers_comes_back_as_the_number(size):
    setting = BY_NAME["size"]
    assert setting.parse(setting.format(size)) == size
    assert type(setting.parse(setting.format(size))) is int


@given(st.integers(0, 500))
def test_whole_numbers_round_trip(value):
    setting = BY_NAME["row"]
    assert setting.parse(setting.format(value)) == value


@given(st.sampled_from([True, False]))
def test_flags_round_trip(value):
    setting = BY_NAME["augment"]
    assert setting.parse(setting.format(value)) is value


@given(st.integers(1, 50).map(lambda hundredths: hundredths / 100))
def test_decimals_on_a_slider_step_round_trip_exactly(value):
    setting = BY_NAME["share"]
    assert setting.parse(setting.format(value)) == value


@given(st.floats(0.01, 0.5))
def test_any_decimal_comes_back_to_six_significant_digits_and_then_stays(value):
    # The decimal kind writes "%g" (short links); a slider never needs more digits.
    setting = BY_NAME["share"]
    back = setting.parse(setting.format(value))
    assert back == pytest.approx(value, rel=1e-5)
    assert setting.format(back) == setting.format(value)


def test_a_ninth_comes_back_to_the_last_digit():
    setting = BY_NAME["matrix"]
    blur = np.full((3, 3), 1 / 9)
    text = setting.format(blur)
    assert "0.1111111111111111" in text
    back = setting.parse(text)
    assert back.dtype == np.float64 and np.array_equal(back, blur)
    assert back[0, 0] == 1 / 9


def test_whole_kernels_are_written_without_decimal_points():
    assert format_matrix(PRESET_KERNELS["Sobel x"].matrix) == "-1,0,1;-2,0,2;-1,0,1"


@settings(max_examples=150, deadline=None)
@given(hnp.arrays(np.float64,
                  hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=MAX_KERNEL_SIZE),
                  elements=st.floats(allow_nan=False, allow_infinity=False, width=64)))
def test_any_kernel_round_trips_exactly(matrix):
    setting = BY_NAME["matrix"]
    text = setting.format(matrix)
    assert len(text) <= setting.max_chars
    reading = read_link({"matrix": text}, SETTINGS)
    assert reading.note == ""
    assert np.array_equal(reading.values["matrix"], matrix)


def test_the_largest_kernel_of_long_fractions_fits_in_its_own_link():
    """A learner's 15x15 blur of 1/225 is almost 5,000 characters: still read back."""
    blur = np.full((MAX_KERNEL_SIZE, MAX_KERNEL_SIZE), 1 / 225)
    reading = read_link({"matrix": format_matrix(blur)}, SETTINGS)
    assert reading.note == "" and np.array_equal(reading.values["matrix"], blur)


def test_huge_whole_weights_stay_short_and_exact():
    matrix = np.array([[1e300, -(2.0 ** 60)], [3.0, 0.5]])
    text = format_matrix(matrix)
    assert len(text) < 60
    assert np.array_equal(BY_NAME["matrix"].parse(text), matrix)


# ---- Writing a link ---------------------------------------------------------------------------

def test_link_params_leaves_defaults_out():
    values = {"kernel": "Sobel x", "size": 2, "epochs": 2, "share": 0.05, "augment": False}
    assert link_params(values, SETTINGS) == {}


def test_a_setting_without_a_default_is_always_written():
    assert link_params({"row": 0}, SETTINGS) == {"row": "0"}


def test_link_params_keeps_the_declared_order_whatever_the_order_of_the_values():
    values = {"matrix": np.eye(2), "augment": True, "share": 0.2, "epochs": 5, "row": 7,
              "size": 3, "kernel": "Emboss"}
    teacher = TeacherOptions(locked=frozenset({"matrix", "kernel"}),
                             hidden=frozenset({"augment", "size"}), task="Find the edges")
    params = link_params(values, SETTINGS, teacher)
    assert list(params) == ["kernel", "size", "row", "epochs", "share", "augment", "matrix",
                            LOCK, HIDE, TASK]
    assert params[LOCK] == "kernel,matrix" and params[HIDE] == "size,augment"
    assert params["matrix"] == "1,0;0,1"


def test_link_params_skips_values_a_control_no_longer_holds():
    assert link_params({"epochs": "three", "kernel": "Emboss"}, SETTINGS) == {"kernel": "Emboss"}


def test_link_params_caps_the_task():
    params = link_params({}, SETTINGS, TeacherOptions(task="x" * 1000))
    assert len(params[TASK]) == MAX_TASK_CHARS


# ---- Reading a hostile link -------------------------------------------------------------------

HOSTILE = [
    ("epochs", "three", "Epochs"),                          # wrong type
    ("epochs", "2.5", "Epochs"),
    ("epochs", "nan", "Epochs"),                            # NaN
    ("share", "nan", "Share of birds"),
    ("share", "NaN", "Share of birds"),
    ("share", "inf", "Share of birds"),                     # infinity
    ("share", "-infinity", "Share of birds"),
    ("share", "1e309", "Share of birds"),                   # huge numbers
    ("epochs", "9" * 400, "Epochs"),
    ("row", "-1", "Inspected pixel: row"),
    ("row", str(10 ** 30), "Inspected pixel: row"),
    ("augment", "maybe", "Augmentation"),
    ("size", "2.0", "Pool size"),
    ("kernel", "Sobel z", "Preset kernel"),                 # unknown preset
    ("kernel", "sobel x", "Preset kernel"),
    ("kernel", "x" * 10_000, "Preset kernel"),              # 10,000 characters
    ("epochs", "1" * 10_000, "Epochs"),
    ("matrix", "9" * 10_000, "Custom kernel"),
    ("matrix", "1,nan;0,1", "Custom kernel"),
    ("matrix", "1,inf;0,1", "Custom kernel"),
    ("matrix", "1e999", "Custom kernel"),
    ("matrix", "1,2;3", "Custom kernel"),
    ("matrix", "", "Custom kernel"),
    ("matrix", ";".join([",".join(["1"] * 16)] * 16), "Custom kernel"),
    ("matrix", ";".join([",".join(["0"] * 1000)] * 1000), "Custom kernel"),  # 1,000 x 1,000
]


@pytest.mark.parametrize(("name", "raw", "label"), HOSTILE,
                         ids=[f"{n}={r[:12]}" for n, r, _ in HOSTILE])
def test_a_hostile_value_is_left_at_its_default_with_one_sentence_naming_it(name, raw, label):
    good = {"size": "3"} if name != "size" else {"epochs": "3"}
    reading = read_link({name: raw, **good}, SETTINGS)
    assert name not in reading.values
    assert reading.values == {n: 3 for n in good}   # the good parts of a link are still used
    assert label in reading.note
    assert "default" in reading.note
    assert sentences(reading.note) == 1 and reading.note.endswith(".")
    assert len(reading.note) < 400                # the bad value is not echoed back


def test_unknown_names_are_ignored_with_one_sentence():
    reading = read_link({"kernal": "Emboss", "x" * 5000: "1"}, SETTINGS)
    assert reading.values == {}
    assert "'kernal'" in reading.note and "no setting" in reading.note
    assert sentences(reading.note) == 1
    assert len(reading.note) < 200


def test_a_clean_link_has_no_note():
    reading = read_link({"kernel": "Emboss", "epochs": "5", "share": "0.25",
                         "augment": "yes", "matrix": "1/9,1/9;1/9,1/9"}, SETTINGS)
    assert reading.note == ""
    assert reading.values["kernel"] == "Emboss" and reading.values["epochs"] == 5
    assert reading.values["augment"] is True
    assert np.array_equal(reading.values["matrix"], np.full((2, 2), 1 / 9))


def test_many_problems_still_make_a_short_note():
    params = {name: "nan" for name in BY_NAME} | {f"junk{i}": "1" for i in range(50)}
    note = read_link(params, SETTINGS).note
    assert len(note) < 800 and "..." in note


# ---- Teacher options --------------------------------------------------------------------------

def test_teacher_options_keep_only_known_setting_names():
    reading = read_link({LOCK: "kernel, bogus,,matrix ,__class__", HIDE: "epochs,row;drop",
                         TASK: "  Make the\n vertical   edges disappear  "}, SETTINGS)
    assert reading.teacher.locked == {"kernel", "matrix"}
    assert reading.teacher.hidden == {"epochs"}
    assert reading.teacher.task == "Make the vertical edges disappear"
    assert reading.note == ""   # teacher options are not settings of the page


def test_the_task_is_capped():
    reading = read_link({TASK: "Find the edges. " * 1000}, SETTINGS)
    assert 0 < len(reading.teacher.task) <= MAX_TASK_CHARS


def test_a_lock_list_of_10000_characters_is_harmless():
    reading = read_link({LOCK: "kernel," * 2000, HIDE: "x" * 10_000}, SETTINGS)
    assert reading.teacher.locked == {"kernel"} and reading.teacher.hidden == frozenset()


def test_teacher_options_round_trip_through_a_link():
    teacher = TeacherOptions(frozenset({"kernel"}), frozenset({"row", "share"}), "Blur the cat")
    reading = read_link(link_params({"kernel": "Emboss"}, SETTINGS, teacher), SETTINGS)
    assert reading == LinkReading({"kernel": "Emboss"}, teacher, "")


# ---- Arbitrary text never raises --------------------------------------------------------------

NAMES = st.sampled_from([*BY_NAME, LOCK, HIDE, TASK]) | st.text(max_size=30)
VALUES = (st.text(max_size=200)
          | st.sampled_from(["nan", "inf", "-0", "1e999", "0x10", "1_000", "١٢", "1/0",
                             "[[1,2],[3,4]]", "1,2;3,4", "Emboss", "true", " 3 "])
          | st.builds(lambda n: ";".join([",".join(["1"] * n)] * n), st.integers(0, 40)))


def _same(a, b) -> bool:
    return np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, VALUES, max_size=12))
def test_arbitrary_text_never_raises_and_what_is_kept_comes_back(params):
    reading = read_link(params, SETTINGS)
    assert isinstance(reading.note, str)
    assert set(reading.values) <= set(BY_NAME)
    assert reading.teacher.locked <= set(BY_NAME) and reading.teacher.hidden <= set(BY_NAME)
    assert len(reading.teacher.task) <= MAX_TASK_CHARS
    for value in reading.values.values():
        if isinstance(value, float):
            assert math.isfinite(value)
    # What was kept makes a link that reads back to the same values, with no note.
    again = read_link(link_params(reading.values, SETTINGS, reading.teacher), SETTINGS)
    assert again.note == "" and again.teacher == reading.teacher
    for name, value in again.values.items():
        assert _same(value, reading.values[name]) or BY_NAME[name].is_default(value)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=10),
                       st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.text())),
                       max_size=6))
def test_values_that_are_not_text_never_raise(params):
    assert isinstance(read_link(params, SETTINGS).note, str)


def test_a_note_about_an_unknown_choice_names_only_a_few_options():
    """Enough to show what is meant, short enough for one line above a lesson."""
    setting = choice("kernel", "Preset", [f"Kernel {i}" for i in range(12)], "Kernel 0")
    with pytest.raises(LinkValueError) as caught:
        setting.parse("nope")
    assert str(caught.value) == "one of Kernel 0, Kernel 1, Kernel 2, Kernel 3, ..."
