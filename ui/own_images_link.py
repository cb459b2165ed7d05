"""What a link to the Your own images page holds: the built-in example and its size, the
base and the training settings. Pictures a learner adds are never in a link, and a link never
trains: both networks start only from the Train button."""

from __future__ import annotations

from cnn_core.data.examples import EXAMPLES
from cnn_core.jobs.transfer_models import BASES, SHIPPED
from cnn_core.views.links import Setting, choice, flag, whole

PAGE = "own_images"
NOT_IN_LINK = ("Your own pictures and trained networks are not in the link: whoever opens it "
               "starts from the built-in example or adds pictures of their own.")

SOURCES = {"example": "A built-in example", "own": "My own pictures"}
DEFAULT_EXAMPLE = "cats_vs_dogs"
# 200 a class is where bench/transfer_cats_dogs.py measured the base's lead (about 12 points).
MIN_EXAMPLE_PER_CLASS, DEFAULT_PER_CLASS = 10, 200
MAX_EPOCHS, DEFAULT_EPOCHS = 60, 20
MAX_FINE_TUNE_EPOCHS, DEFAULT_FINE_TUNE_EPOCHS = 20, 5


def max_per_class() -> int:
    return min(example.max_per_class for example in EXAMPLES.values())


def own_images_settings() -> list[Setting]:
    return [
        choice("source", "Pictures from", list(SOURCES), "example", key="own_source"),
        choice("example", "Built-in example", list(EXAMPLES), DEFAULT_EXAMPLE,
               key="own_example"),
        whole("per_class", "Photos per class", MIN_EXAMPLE_PER_CLASS, max_per_class(),
              DEFAULT_PER_CLASS, key="own_per_class"),
        choice("base", "Pretrained base", list(BASES), SHIPPED, key="own_base"),
        whole("epochs", "Epochs", 1, MAX_EPOCHS, DEFAULT_EPOCHS, key="own_epochs"),
        flag("fine_tune", "Fine-tune the top of the base", False, key="own_fine_tune"),
        whole("fine_tune_epochs", "Fine-tuning epochs", 1, MAX_FINE_TUNE_EPOCHS,
              DEFAULT_FINE_TUNE_EPOCHS, key="own_fine_tune_epochs"),
    ]
