"""What test accuracy to expect from the Train page's settings, from measured runs.

The figures in cnn_core.config.MEASURED_TEST_ACCURACY were measured on this app by
bench/expected_accuracy.py. Between two measured subset sizes the estimate is interpolated
on a log scale of the number of images (accuracy grows roughly with its logarithm); it never
extrapolates beyond the measured range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cnn_core import config
from cnn_core.models.specs import MODEL_PRESETS


@dataclass(frozen=True)
class Expectation:
    accuracy: float           # expected test accuracy, 0..1
    images: int               # the subset size asked about
    epochs: int               # the epochs the figure is for (at most the measured ones)
    measured: tuple[tuple[int, float], ...]  # (images, accuracy) the figure comes from
    more_epochs: bool         # more epochs asked for than were measured: expect at least this
    default_settings: bool    # the model settings are the ones measured

    @property
    def exact(self) -> bool:
        return len(self.measured) == 1 and self.measured[0][0] == self.images

    def sentence(self) -> str:
        """One sentence for the page, saying where the figure comes from."""
        about = "at least about" if self.more_epochs else "about"
        epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        runs = " and ".join(f"{n:,} images gave {a:.1%}" for n, a in self.measured)
        how = ("measured" if self.exact else "estimated from runs") + " on this app"
        settings = "" if self.default_settings else " with the model's default settings"
        return (f"Expect {about} {self.accuracy:.0%} test accuracy ({how}{settings}: {runs} "
                f"after {epochs}, one run each, so yours will differ a little).")


def _measured_key(preset: str, hparams: dict[str, Any]) -> tuple[str, int]:
    units = hparams.get("dense_units", MODEL_PRESETS[preset].defaults["dense_units"])
    return preset, int(units)


def expected_accuracy(dataset: str, preset: str, hparams: dict[str, Any], images: int,
                      epochs: int) -> Expectation | None:
    """The test accuracy measured (or interpolated) for these settings; None if nothing was
    measured for this data set, model and dense layer size, or `images` is outside the range."""
    preset_name, units = _measured_key(preset, hparams)
    table = config.MEASURED_TEST_ACCURACY.get((dataset, preset_name, units))
    if not table or images < 1 or epochs < 1:
        return None
    sizes = sorted({n for n, _ in table})
    if not sizes[0] <= images <= sizes[-1]:
        return None
    below = max(n for n in sizes if n <= images)
    above = min(n for n in sizes if n >= images)
    measured_epochs = min(max(e for n, e in table if n == size) for size in (below, above))
    used = min(epochs, measured_epochs)
    low, high = table[(below, used)], table[(above, used)]
    if below == above:
        accuracy, points = low, ((below, low),)
    else:
        t = (math.log(images) - math.log(below)) / (math.log(above) - math.log(below))
        accuracy, points = low + t * (high - low), ((below, low), (above, high))
    defaults = MODEL_PRESETS[preset].defaults
    default_settings = all(hparams.get(k, v) == v for k, v in defaults.items()
                           if k != "dense_units")
    return Expectation(accuracy, images, used, points, epochs > used, default_settings)
