"""The built-in examples of "Your own images": CIFAR-10 cats vs dogs, and bird vs not-bird.

Both are cut from one bundled zip of class folders (assets/examples/cifar_pets_birds.zip:
bird/, cat/, dog/, PER_FOLDER training photos each, built by
scripts/build_own_images_assets.py), read by the same `read_image_folders` as a learner's
zip, so the page treats an example exactly like an upload. "Not bird" mixes cats and dogs
evenly: classes the shipped pretrained base never saw, like bird. A few CIFAR-10 test photos
of each class (assets/examples/cifar_try/) stay out of the zip for the page's "try it".
Pure numpy, no Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from cnn_core import config
from cnn_core.data.image_folders import ImageFolders, read_image_folders

EXAMPLES_DIR = config.ASSETS_DIR / "examples"
EXAMPLES_ZIP = EXAMPLES_DIR / "cifar_pets_birds.zip"
TRY_DIR = EXAMPLES_DIR / "cifar_try"
EXAMPLE_CLASSES = ("bird", "cat", "dog")  # the zip's folders
PER_FOLDER = 400  # photos in each folder of the zip
EXAMPLE_SIZE = 32  # CIFAR-10's side: larger sizes only enlarge these photos


@dataclass(frozen=True)
class Example:
    """A built-in example: its classes, each made of one or more folders of the zip."""

    name: str
    title: str
    classes: dict[str, tuple[str, ...]]  # class name -> zip folders, mixed evenly
    description: str

    @property
    def max_per_class(self) -> int:
        """The most photos each class can have (a mixed class takes equal shares)."""
        return min(PER_FOLDER * len(folders) for folders in self.classes.values())


EXAMPLES: dict[str, Example] = {
    "cats_vs_dogs": Example(
        "cats_vs_dogs", "Cats vs dogs", {"cat": ("cat",), "dog": ("dog",)},
        "CIFAR-10 photos of cats and dogs, 32x32 pixels: the classic test of transfer "
        "learning, hard with few photos."),
    "bird_vs_not_bird": Example(
        "bird_vs_not_bird", "Bird vs not-bird", {"bird": ("bird",), "not bird": ("cat", "dog")},
        "CIFAR-10 photos of birds, against a mix of cats and dogs, 32x32 pixels."),
}


def _example(name: str) -> Example:
    try:
        return EXAMPLES[name]
    except KeyError:
        raise ValueError(f"There is no built-in example called {name!r}; choose one of "
                         f"{', '.join(EXAMPLES)}.") from None


def load_example(name: str, per_class: int, image_size: int | tuple[int, int] = EXAMPLE_SIZE,
                 seed: int = config.SEED) -> ImageFolders:
    """`per_class` photos of each class of an example, as `read_image_folders` gives a zip.

    x: (N, H, W, 3) uint8 at image_size, class by class; y: (N,) int64; class_names sorted.
    The choice within each folder is a seeded shuffle, so a smaller per_class keeps a subset
    of a larger one's photos; a class made of several folders takes them in equal shares.
    per_class: 1 to the example's max_per_class, else ValueError. Raises ImageFolderError
    (a ValueError) if the bundled zip is missing or damaged.
    """
    example = _example(name)
    whole = isinstance(per_class, int | np.integer) and not isinstance(per_class, bool)
    if not whole or not 1 <= per_class <= example.max_per_class:
        raise ValueError(f"Choose 1 to {example.max_per_class} photos a class for "
                         f"{example.title}, not {per_class!r}.")
    read = read_image_folders(EXAMPLES_ZIP, image_size,
                              max_images=PER_FOLDER * len(EXAMPLE_CLASSES))
    rng = np.random.default_rng(seed)
    # One shuffle of every folder, drawn whatever the example, so each folder's order is fixed.
    order = {folder: rng.permutation(np.flatnonzero(read.y == read.class_names.index(folder)))
             for folder in EXAMPLE_CLASSES}
    class_names = sorted(example.classes)
    picked, labels = [], []
    for label, cls in enumerate(class_names):
        folders = example.classes[cls]
        for i, folder in enumerate(folders):
            share = per_class // len(folders) + (i < per_class % len(folders))
            rows = np.sort(order[folder][:share])
            picked.append(rows)
            labels.append(np.full(len(rows), label, dtype=np.int64))
    rows = np.concatenate(picked)
    names = [read.names[i] for i in rows]
    kept = set(names)
    return replace(read, x=read.x[rows], y=np.concatenate(labels), class_names=class_names,
                   names=names, capped=per_class < example.max_per_class, found=len(rows),
                   duplicates=[pair for pair in read.duplicates if set(pair) <= kept])


def try_photos(name: str) -> list[tuple[Path, str]]:
    """The held-out test photos for "try it": (path of a 32x32 JPEG, its class in the
    example), class by class; none of them is in the training zip."""
    example = _example(name)
    photos = []
    for cls in sorted(example.classes):
        for folder in example.classes[cls]:
            photos += [(path, cls) for path in sorted((TRY_DIR / folder).glob("*.jpg"))]
    return photos
