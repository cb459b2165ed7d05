"""A learner's own classes of pictures, as the "Your own images" page collects them.

Pictures arrive one class at a time (uploads, webcam snapshots), or all classes at once (a
zip of class folders, a built-in example). Each is kept once, at STORE_SIDE x STORE_SIDE
RGB uint8, the input size of the largest base; `training_set` resizes them to the chosen
base's input size. Functions here return new lists and never change the ones given, so a
page can keep the classes in its session and replace them in one step.

Bounds: at most MAX_CLASSES classes and MAX_PICTURES pictures in all (about 28 MB a
learner at 96 x 96), since thirty learners share one server.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from cnn_core.data.image_folders import (
    MAX_CLASSES,
    MIN_CLASSES,
    ImageFolders,
    decode_picture,
    duplicate_pairs,
)
from cnn_core.data.images import resize_to

STORE_SIDE = 96
MAX_PICTURES = 1_000
MAX_NAME_LENGTH = 40
FEW_PICTURES = 10      # below this a class gets a warning: too few to learn from
UNEQUAL_RATIO = 3.0    # the largest class this many times the smallest gets a warning
MIN_PER_CLASS = 2      # one to train on and one to validate on, at the very least


class ClassSetError(ValueError):
    """A name or a change the classes cannot take; one sentence says why."""


@dataclass(frozen=True)
class OwnClass:
    name: str
    pictures: tuple[np.ndarray, ...] = field(default=(), repr=False)

    @property
    def count(self) -> int:
        return len(self.pictures)


@dataclass(frozen=True)
class Added:
    """What adding files did: the classes after it, how many pictures went in, and what was
    left out (by reason, as cnn_core.data.image_folders names them)."""

    classes: list[OwnClass]
    added: int
    skipped: dict[str, int]
    capped: int  # pictures not added because the page holds MAX_PICTURES already

    def notes(self) -> list[str]:
        notes = []
        if self.skipped:
            total = sum(self.skipped.values())
            parts = ", ".join(f"{n:,} {reason}" for reason, n in self.skipped.items())
            notes.append(f"{total:,} file{'s were' if total != 1 else ' was'} skipped "
                         f"({parts}).")
        if self.capped:
            notes.append(f"{self.capped:,} picture{'s were' if self.capped != 1 else ' was'} "
                         f"not added: this page holds at most {MAX_PICTURES:,} pictures.")
        return notes


def total_pictures(classes: Sequence[OwnClass]) -> int:
    return sum(c.count for c in classes)


def clean_name(name: str, others: Iterable[str] = ()) -> str:
    """A class name as shown: spaces tidied, at most MAX_NAME_LENGTH characters, not empty,
    not the name of another class (compared without case)."""
    text = re.sub(r"\s+", " ", str(name)).strip()[:MAX_NAME_LENGTH].strip()
    if not text:
        raise ClassSetError("A class needs a name.")
    if text.casefold() in {o.casefold() for o in others}:
        raise ClassSetError(f'There is already a class called "{text}".')
    return text


def new_class_name(classes: Sequence[OwnClass]) -> str:
    taken = {c.name.casefold() for c in classes}
    number = len(classes) + 1
    while f"class {number}" in taken:
        number += 1
    return f"Class {number}"


def add_class(classes: Sequence[OwnClass], name: str | None = None) -> list[OwnClass]:
    if len(classes) >= MAX_CLASSES:
        raise ClassSetError(f"You can have at most {MAX_CLASSES} classes.")
    name = new_class_name(classes) if name is None else clean_name(name, [c.name for c in classes])
    return [*classes, OwnClass(name)]


def rename_class(classes: Sequence[OwnClass], index: int, name: str) -> list[OwnClass]:
    others = [c.name for i, c in enumerate(classes) if i != index]
    renamed = replace(classes[index], name=clean_name(name, others))
    return [renamed if i == index else c for i, c in enumerate(classes)]


def remove_class(classes: Sequence[OwnClass], index: int) -> list[OwnClass]:
    return [c for i, c in enumerate(classes) if i != index]


def remove_pictures(classes: Sequence[OwnClass], index: int,
                    positions: Iterable[int]) -> list[OwnClass]:
    """Class `index` without its pictures at `positions` (0-based)."""
    gone = set(positions)
    kept = tuple(p for i, p in enumerate(classes[index].pictures) if i not in gone)
    return [replace(c, pictures=kept) if i == index else c for i, c in enumerate(classes)]


def add_files(classes: Sequence[OwnClass], index: int,
              files: Iterable[bytes]) -> Added:
    """Decode each file as a picture and add it to class `index`; files that are not usable
    pictures are skipped and counted, pictures past MAX_PICTURES are counted, not added."""
    room = MAX_PICTURES - total_pictures(classes)
    pictures, skipped, capped = [], Counter(), 0
    for data in files:
        if len(pictures) >= room:
            capped += 1
            continue
        picture = decode_picture(data, (STORE_SIDE, STORE_SIDE))
        if isinstance(picture, str):
            skipped[picture] += 1
        else:
            pictures.append(picture)
    return _added(classes, index, pictures, dict(skipped), capped)


def add_pictures(classes: Sequence[OwnClass], index: int,
                 pictures: Iterable[np.ndarray]) -> Added:
    """Add decoded RGB uint8 pictures (any size) to class `index`."""
    room = MAX_PICTURES - total_pictures(classes)
    pictures = list(pictures)
    kept = [to_store_size(p) for p in pictures[:max(room, 0)]]
    return _added(classes, index, kept, {}, len(pictures) - len(kept))


def _added(classes, index, pictures, skipped, capped) -> Added:
    grown = replace(classes[index], pictures=classes[index].pictures + tuple(pictures))
    new = [grown if i == index else c for i, c in enumerate(classes)]
    return Added(new, len(pictures), skipped, capped)


def to_store_size(picture: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 picture squashed to STORE_SIDE x STORE_SIDE, as the zip reader does."""
    return resize_pictures(np.asarray(picture, dtype=np.uint8)[None], STORE_SIDE)[0]


def from_folders(folders: ImageFolders) -> list[OwnClass]:
    """Classes from a zip of class folders or a built-in example (pictures at any size).
    Folder names become class names as the name box would tidy them: a blank or repeated
    one becomes "Class N"."""
    x = resize_pictures(folders.x, STORE_SIDE)
    classes: list[OwnClass] = []
    for k, folder in enumerate(folders.class_names[:MAX_CLASSES]):
        try:
            name = clean_name(folder, [c.name for c in classes])
        except ClassSetError:
            name = new_class_name(classes)
        classes.append(OwnClass(name, tuple(x[folders.y == k])))
    return classes


def resize_pictures(x: np.ndarray, side: int) -> np.ndarray:
    """(N, H, W, 3) uint8 at side x side (`images.resize_to`: areas averaged when shrinking)."""
    if x.shape[1:3] == (side, side):
        return np.ascontiguousarray(x, dtype=np.uint8)
    out = np.empty((len(x), side, side, 3), dtype=np.uint8)
    for i, picture in enumerate(x):
        out[i] = resize_to(picture, side, side)
    return out


def problems(classes: Sequence[OwnClass]) -> list[str]:
    """Why these classes cannot be trained on yet, one sentence each (empty: they can)."""
    found = []
    if len(classes) < MIN_CLASSES:
        found.append(f"Make at least {MIN_CLASSES} classes: a network learns to tell things "
                     "apart.")
    for c in classes:
        if c.count == 0:
            found.append(f'"{c.name}" has no pictures yet: add some, or remove the class.')
        elif c.count < MIN_PER_CLASS:
            found.append(f'"{c.name}" needs at least {MIN_PER_CLASS} pictures: one to learn '
                         "from and one to check with.")
    return found


def warnings(classes: Sequence[OwnClass]) -> list[str]:
    """What will make the result weak or misleading, one sentence each."""
    found = []
    counts = [c.count for c in classes if c.count]
    few = [c.name for c in classes if 0 < c.count < FEW_PICTURES]
    if few:
        found.append(f"Fewer than {FEW_PICTURES} pictures in {_names(few)}: with so few, the "
                     "validation accuracy jumps around by whole pictures; add more if you can.")
    if len(counts) >= 2 and max(counts) >= UNEQUAL_RATIO * min(counts):
        found.append(f"The classes are very unequal ({min(counts):,} to {max(counts):,} "
                     "pictures): a network can score well by mostly guessing the biggest class.")
    pairs = duplicate_pairs(*_labelled(classes))
    if pairs:
        first, second = pairs[0]
        found.append(f"{len(pairs):,} picture{'s appear' if len(pairs) != 1 else ' appears'} in "
                     f"two classes (for example {first} and {second}); give each picture one "
                     "class.")
    return found


def _names(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _labelled(classes: Sequence[OwnClass]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    pictures = [p for c in classes for p in c.pictures]
    x = np.stack(pictures) if pictures else np.zeros((0, STORE_SIDE, STORE_SIDE, 3), np.uint8)
    y = np.array([k for k, c in enumerate(classes) for _ in c.pictures], dtype=np.int64)
    names = [f"{c.name} #{i + 1}" for c in classes for i in range(c.count)]
    return x, y, names


def training_set(classes: Sequence[OwnClass], side: int
                 ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(x uint8 (N, side, side, 3), y int64 (N,), class names) for training; raises
    ClassSetError with the first of `problems` when the classes are not ready."""
    found = problems(classes)
    if found:
        raise ClassSetError(found[0])
    x, y, _ = _labelled(classes)
    return resize_pictures(x, side), y, tuple(c.name for c in classes)
