"""How fast the kernel page reacts, for the bundled photo and a 12 MP photo.

Prints, per photo: decode time (load_image), apply_kernel time against a bare
cv2.filter2D call on the full image (and their ratio), and the page's server-side time
from a kernel change to the result image being sent (an AppTest rerun of the real page
script, which includes encoding the result image). Target: under 0.3 s on a 12 MP upload
once it has been decoded.

Usage: python bench/kernel_latency.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cnn_core.config import SAMPLES_DIR  # noqa: E402
from cnn_core.data.images import load_image  # noqa: E402
from cnn_core.maths.convolution import apply_kernel  # noqa: E402
from cnn_core.maths.kernels import get_kernel  # noqa: E402


def timed(function, repeats: int) -> float:
    """Median wall time of `function()` in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def twelve_megapixel_jpeg() -> bytes:
    """A 4000 x 3000 JPEG made from a sample photo plus fine noise, as a phone would send."""
    base = cv2.imread(str(SAMPLES_DIR / "coffee.png"))
    big = cv2.resize(base, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(0).normal(0, 6, big.shape)
    big = np.clip(big + noise, 0, 255).astype(np.uint8)
    return cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def page_rerun_seconds(photo_bytes: bytes, name: str, repeats: int) -> float:
    """Median server-side time of the kernel page after a preset change, photo already decoded."""
    from streamlit.testing.v1 import AppTest

    import ui.photo_ui as photo_ui

    decoded = photo_ui._make_photo(name, load_image(photo_bytes))
    original = photo_ui.photo_ui
    # An upload decoded once, as on the page.
    photo_ui.photo_ui = lambda key="photo", link=None: decoded
    try:
        app = AppTest.from_file(str(REPO_ROOT / "app_pages/1_Image_kernels.py"), default_timeout=60)
        app.run()
        presets = ["Sobel y", "Box blur 3x3", "Sharpen", "Emboss", "Sobel x", "Mean blur 8x8"]
        times = []
        for i in range(repeats):
            widget = app.selectbox(key="kernel_preset").set_value(presets[i % len(presets)])
            start = time.perf_counter()
            widget.run()
            times.append(time.perf_counter() - start)
            assert not app.exception, app.exception
        return statistics.median(times)
    finally:
        photo_ui.photo_ui = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sobel = get_kernel("Sobel x").matrix
    kernel32 = sobel.astype(np.float32)
    photos = {"bundled cat (451x300 PNG)": (SAMPLES_DIR / "chelsea.png").read_bytes(),
              "12 MP JPEG (4000x3000)": twelve_megapixel_jpeg()}
    print(f"{'photo':28} {'decode s':>9} {'apply_kernel s':>15} {'bare filter2D s':>16} "
          f"{'ratio':>6} {'page rerun s':>13}")
    for name, data in photos.items():
        decode = timed(lambda data=data: load_image(data), args.repeats)
        image = load_image(data)
        ours = timed(lambda image=image: apply_kernel(image, sobel), args.repeats)
        bare = timed(lambda image=image: cv2.filter2D(image, -1, kernel32), args.repeats)
        rerun = page_rerun_seconds(data, name, args.repeats)
        print(f"{name:28} {decode:9.3f} {ours:15.4f} {bare:16.4f} {ours / bare:6.2f} "
              f"{rerun:13.3f}")
    print("Display modes on the 12 MP photo (apply_kernel, seconds):")
    image = load_image(photos["12 MP JPEG (4000x3000)"])
    for display in ("clip", "abs", "rescale"):
        seconds = timed(lambda d=display: apply_kernel(image, sobel, display=d), args.repeats)
        print(f"  {display:8} {seconds:.4f}")


if __name__ == "__main__":
    main()
