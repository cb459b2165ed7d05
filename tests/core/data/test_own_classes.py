"""The learner's own classes: names, adding and removing pictures, the bounds, and the
sentences that say what is not ready or will mislead."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnn_core.data import own_classes as oc
from cnn_core.data.image_folders import NOT_PICTURE, ImageFolders


def png(colour, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def two_classes(n_first=3, n_second=3) -> list[oc.OwnClass]:
    classes = oc.add_class(oc.add_class([], "cats"), "dogs")
    classes = oc.add_files(classes, 0, [png((200, 10 * i, 0)) for i in range(n_first)]).classes
    return oc.add_files(classes, 1, [png((0, 10 * i, 200)) for i in range(n_second)]).classes


def test_names_are_tidied_unique_and_never_empty():
    assert oc.clean_name("  my   cat  ") == "my cat"
    assert len(oc.clean_name("x" * 500)) == oc.MAX_NAME_LENGTH
    with pytest.raises(oc.ClassSetError, match="needs a name"):
        oc.clean_name("   ")
    with pytest.raises(oc.ClassSetError, match="already a class"):
        oc.clean_name("Cats", ["cats"])
    classes = oc.add_class(oc.add_class([]), "Class 2")
    assert [c.name for c in classes] == ["Class 1", "Class 2"]
    assert oc.new_class_name(classes) == "Class 3"
    renamed = oc.rename_class(classes, 0, "Santa")
    assert [c.name for c in renamed] == ["Santa", "Class 2"] and classes[0].name == "Class 1"


def test_at_most_ten_classes():
    classes = []
    for _ in range(oc.MAX_CLASSES):
        classes = oc.add_class(classes)
    with pytest.raises(oc.ClassSetError, match="at most 10"):
        oc.add_class(classes)


def test_files_are_decoded_to_the_store_size_and_bad_ones_counted():
    classes = oc.add_class([], "a")
    added = oc.add_files(classes, 0, [png((255, 0, 0)), b"not a picture", png((0, 255, 0), (1, 1))])
    assert added.added == 2 and added.skipped == {NOT_PICTURE: 1}
    assert added.notes() == ["1 file was skipped (1 not a picture)."]
    pictures = added.classes[0].pictures
    assert all(p.shape == (oc.STORE_SIDE, oc.STORE_SIDE, 3) and p.dtype == np.uint8
               for p in pictures)
    assert tuple(pictures[0][50, 50]) == (255, 0, 0)
    assert classes[0].count == 0  # the classes given are never changed


def test_the_page_holds_a_bounded_number_of_pictures(monkeypatch):
    monkeypatch.setattr(oc, "MAX_PICTURES", 4)
    classes = two_classes(2, 1)
    added = oc.add_files(classes, 1, [png((9, 9, 9))] * 3)
    assert added.added == 1 and added.capped == 2
    assert oc.total_pictures(added.classes) == 4
    assert "at most 4 pictures" in added.notes()[0]
    snapshots = oc.add_pictures(added.classes, 0, [np.zeros((5, 7, 3), np.uint8)])
    assert snapshots.added == 0 and snapshots.capped == 1


def test_removing_pictures_and_classes():
    classes = two_classes(3, 2)
    fewer = oc.remove_pictures(classes, 0, [0, 2])
    assert fewer[0].count == 1 and classes[0].count == 3
    np.testing.assert_array_equal(fewer[0].pictures[0], classes[0].pictures[1])
    assert [c.name for c in oc.remove_class(classes, 0)] == ["dogs"]


def test_problems_name_what_blocks_training():
    assert oc.problems(two_classes()) == []
    assert "at least 2 classes" in oc.problems(oc.add_class([], "only"))[0]
    empty = oc.add_class(two_classes(), "birds")
    assert oc.problems(empty) == ['"birds" has no pictures yet: add some, or remove the class.']
    with pytest.raises(oc.ClassSetError, match="birds"):
        oc.training_set(empty, 32)
    assert "at least 2 pictures" in oc.problems(two_classes(1, 3))[0]


def test_warnings_for_few_unequal_and_duplicated_pictures():
    few = oc.warnings(two_classes(3, 12))
    assert len(few) == 2
    assert few[0].startswith('Fewer than 10 pictures in "cats"')
    assert "very unequal (3 to 12" in few[1]
    classes = two_classes(12, 12)
    assert oc.warnings(classes) == []
    same = oc.add_pictures(classes, 1, [classes[0].pictures[4]]).classes
    assert "appears in two classes (for example cats #5 and dogs #13)" in oc.warnings(same)[0]


def test_training_set_resizes_to_the_base_and_labels_in_class_order():
    classes = two_classes(3, 2)
    x, y, names = oc.training_set(classes, 32)
    assert x.shape == (5, 32, 32, 3) and x.dtype == np.uint8
    assert y.tolist() == [0, 0, 0, 1, 1] and names == ("cats", "dogs")
    assert tuple(x[0, 16, 16]) == (200, 0, 0)


def test_classes_from_folders_keep_their_names_and_pictures():
    x = np.zeros((3, 32, 32, 3), np.uint8)
    x[2] = 255
    folders = ImageFolders(x, np.array([0, 0, 1]), ["bird", "cat"], ["a", "b", "c"], {}, [],
                           False, 3, [])
    classes = oc.from_folders(folders)
    assert [(c.name, c.count) for c in classes] == [("bird", 2), ("cat", 1)]
    assert classes[1].pictures[0].shape == (96, 96, 3) and classes[1].pictures[0].min() == 255


def test_folder_names_become_tidy_distinct_class_names():
    # A blank folder name, doubled spaces and two names that differ only in case: the
    # classes get names the name box would accept, so training never meets a nameless class.
    names = [" ", "my   cats", "Dogs", "dogs", "x" * 60]
    x = np.zeros((5, 8, 8, 3), np.uint8)
    folders = ImageFolders(x, np.arange(5), names, list("abcde"), {}, [], False, 5, [])
    classes = oc.from_folders(folders)
    assert [c.name for c in classes] == ["Class 1", "my cats", "Dogs", "Class 4",
                                         "x" * oc.MAX_NAME_LENGTH]
    assert [c.count for c in classes] == [1] * 5
