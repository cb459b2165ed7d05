"""The built-in examples: the bundled zip keeps its promises, and each example is cut from it
as the page expects (classes, counts, mixing, the same photos every time)."""

from __future__ import annotations

import hashlib
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cnn_core.data.examples import (
    EXAMPLE_CLASSES,
    EXAMPLES,
    EXAMPLES_ZIP,
    PER_FOLDER,
    TRY_DIR,
    load_example,
    try_photos,
)


def _folder_counts(names: list[str]) -> Counter:
    return Counter(name.split("/")[0] for name in names)


def test_the_bundled_zip_holds_the_promised_folders_and_stays_small():
    assert EXAMPLES_ZIP.stat().st_size <= 2_000_000
    with zipfile.ZipFile(EXAMPLES_ZIP) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
    assert _folder_counts(names) == {cls: PER_FOLDER for cls in EXAMPLE_CLASSES}


def test_the_zip_holds_cifar_training_photos_unchanged(shared_data):
    source = shared_data / "cifar10_jpg.zip"
    if not source.is_file():
        pytest.skip(f"needs {source}")
    with zipfile.ZipFile(EXAMPLES_ZIP) as ours, zipfile.ZipFile(source) as theirs:
        for name in ours.namelist()[::37]:
            assert ours.read(name) == theirs.read(f"train/{name}"), name


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_gives_per_class_photos_of_its_sorted_classes(name):
    example = EXAMPLES[name]
    read = load_example(name, 12)
    assert read.class_names == sorted(example.classes)
    assert read.x.shape == (12 * len(example.classes), 32, 32, 3)
    assert read.x.dtype == np.uint8 and read.y.dtype == np.int64
    assert np.bincount(read.y).tolist() == [12] * len(example.classes)
    for label, cls in enumerate(read.class_names):
        folders = {n.split("/")[0] for n, y in zip(read.names, read.y, strict=True) if y == label}
        assert folders <= set(example.classes[cls])
    assert read.capped and not read.skipped


def test_not_bird_mixes_cats_and_dogs_evenly():
    read = load_example("bird_vs_not_bird", 7)
    not_bird = [n for n, y in zip(read.names, read.y, strict=True)
                if read.class_names[y] == "not bird"]
    assert _folder_counts(not_bird) == {"cat": 4, "dog": 3}
    assert EXAMPLES["bird_vs_not_bird"].max_per_class == PER_FOLDER


def test_the_choice_is_fixed_and_grows_by_adding_photos():
    small, again = load_example("cats_vs_dogs", 10), load_example("cats_vs_dogs", 10)
    assert small.names == again.names and np.array_equal(small.x, again.x)
    large = load_example("cats_vs_dogs", 50)
    assert set(small.names) < set(large.names)
    everything = load_example("cats_vs_dogs", PER_FOLDER)
    assert len(everything.names) == 2 * PER_FOLDER and not everything.capped


def test_pictures_come_at_the_requested_size():
    read = load_example("cats_vs_dogs", 3, image_size=96)
    assert read.x.shape == (6, 96, 96, 3)


@pytest.mark.parametrize("per_class", [0, -1, PER_FOLDER + 1, True, 2.5])
def test_impossible_counts_get_a_sentence(per_class):
    with pytest.raises(ValueError, match=f"1 to {PER_FOLDER}"):
        load_example("cats_vs_dogs", per_class)


def test_an_unknown_example_gets_a_sentence():
    with pytest.raises(ValueError, match="cats_vs_dogs"):
        load_example("horses", 5)


def test_try_photos_are_labelled_and_never_in_the_training_zip():
    with zipfile.ZipFile(EXAMPLES_ZIP) as zf:
        trained = {hashlib.sha256(zf.read(n)).digest() for n in zf.namelist()}
    for name, example in EXAMPLES.items():
        photos = try_photos(name)
        assert {cls for _, cls in photos} == set(example.classes)
        assert all(hashlib.sha256(Path(p).read_bytes()).digest() not in trained
                   for p, _ in photos)
    labels = Counter(cls for _, cls in try_photos("bird_vs_not_bird"))
    per_folder = len(list((TRY_DIR / "bird").glob("*.jpg")))
    assert per_folder >= 5 and labels == {"bird": per_folder, "not bird": 2 * per_folder}
