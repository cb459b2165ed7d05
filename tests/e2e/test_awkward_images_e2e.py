"""Real browser: a generated corpus of awkward image files (one pixel, one row, one column, very
thin, CMYK, 16-bit, palette with transparency, animated, EXIF-rotated, not an image, cut off)
uploaded at every upload point that takes a picture. None may end in a traceback; a file the
app refuses gets a one-sentence error; a file it accepts is shown at its true size.

The upload points: the Image kernels page's photo uploader, the Draw and predict page's digit
photo (ui/photo_ui.py and ui/draw_ui.py), and Your own images' many-photos uploader and zip of
class folders (ui/own_images_ui.py; its Try it photo goes through the same `load_image`, and the
Train page's uploader takes .keras models).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.e2e.conftest import choose, open_page, wait_for_idle

pytestmark = pytest.mark.e2e

EXCEPTION = "[data-testid='stException']"
ERROR = "[data-testid='stAlertContentError']"
KERNEL_HINT = "Choose a photo from your computer to filter it."
DRAW_HINT = "Choose a photo of one handwritten digit to see what the network makes of it."
# A page without a file shows its hint and no error; with the file, the hint goes or an error
# comes (both pages keep the hint beside the error of a refused file).
NO_FILE_STATE = ("([hint, error]) => {{ const main = () => "
                 "document.querySelector('[data-testid=\"stMain\"]'); return {}; }}")


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    mime: str
    size: tuple[int, int] | None  # (width, height) after EXIF rotation; None: not an image

    @property
    def file(self) -> dict:
        return {"name": self.name, "mimeType": self.mime, "buffer": self.data}


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _pattern(width: int, height: int) -> np.ndarray:
    """Dark strokes on light paper, so every size has some contrast to filter."""
    rows, cols = np.mgrid[0:height, 0:width]
    return np.where((rows + cols) % 7 < 2, 30, 225).astype(np.uint8)


def _rgb(width: int, height: int) -> Image.Image:
    grey = _pattern(width, height)
    return Image.fromarray(np.stack([grey, grey // 2 + 60, 255 - grey // 3], axis=2))


def _upload(name: str, data: bytes, mime: str) -> Upload:
    """The expected size comes from decoding the file here, EXIF rotation applied."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            size = ImageOps.exif_transpose(image).size
    except (OSError, SyntaxError):
        size = None
    return Upload(name, data, mime, size)


def awkward_corpus() -> list[Upload]:
    png, jpeg = "image/png", "image/jpeg"
    files = [_upload(f"tiny-{w}x{h}.png", _encode(_rgb(w, h), "PNG"), png)
             for w, h in ((1, 1), (2, 2), (1, 50), (50, 1), (10_000, 10), (3, 3))]
    cmyk = _rgb(40, 30).convert("CMYK")
    files.append(_upload("cmyk.jpg", _encode(cmyk, "JPEG"), jpeg))
    deep = Image.fromarray(_pattern(33, 21).astype(np.uint16) * 257)  # mode I;16
    files.append(_upload("sixteen-bit.png", _encode(deep, "PNG"), png))
    palette = Image.frombytes("P", (24, 17), (_pattern(24, 17) // 100).tobytes())  # 0 to 2
    palette.putpalette([255, 255, 255, 0, 0, 0, 200, 30, 30] + [0] * 759)
    files.append(_upload("palette-alpha.png", _encode(palette, "PNG", transparency=0), png))
    frames = [_rgb(26, 19).rotate(90 * i) for i in range(3)]
    files.append(_upload("animated.gif", _encode(frames[0], "GIF", save_all=True,
                                                 append_images=frames[1:], duration=80, loop=0),
                         "image/gif"))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view": 44 x 20 stored, 20 x 44 shown
    files.append(_upload("exif-rotated.jpg", _encode(_rgb(44, 20), "JPEG", exif=exif), jpeg))
    files.append(_upload("letter.png", b"Dear learner, this is not a picture.\n", png))
    whole = _encode(_rgb(60, 40), "PNG")
    files.append(_upload("cut-off.png", whole[: len(whole) // 2], png))
    return files


CORPUS = awkward_corpus()


def test_the_corpus_is_what_it_claims():
    """The awkward cases really are awkward: a mistake here would make the browser test easy."""
    by_name = {u.name: u for u in CORPUS}
    assert by_name["exif-rotated.jpg"].size == (20, 44)
    assert by_name["letter.png"].size is None
    with Image.open(io.BytesIO(by_name["cmyk.jpg"].data)) as image:
        assert image.mode == "CMYK"
    with Image.open(io.BytesIO(by_name["sixteen-bit.png"].data)) as image:
        assert image.mode.startswith("I")
    with Image.open(io.BytesIO(by_name["palette-alpha.png"].data)) as image:
        assert image.mode == "P" and "transparency" in image.info
    with Image.open(io.BytesIO(by_name["animated.gif"].data)) as image:
        assert image.n_frames == 3
    with pytest.raises(OSError), Image.open(io.BytesIO(by_name["cut-off.png"].data)) as image:
        image.load()


def one_sentence(text: str) -> bool:
    text = text.strip()
    return ("\n" not in text and text[-1:] in ".!?"
            and re.search(r"[.!?]\s+[A-Z]", text) is None)


def settle(page) -> None:
    """Wait until the script run has finished and no element of the last run is left over."""
    wait_for_idle(page, timeout=90_000)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')",
                           timeout=90_000)


def send(page, uploader_key: str, upload: Upload, no_file_hint: str) -> None:
    """Upload one file and wait until the page has finished its run with it: first remove the
    previous file and wait for the page's no-file hint, then upload and wait for the hint to
    go or an error to come (a rerun still showing the last file's results would look like
    this file's)."""
    uploader = page.locator(f".st-key-{uploader_key}")
    remove = uploader.get_by_test_id("stFileChipDeleteBtn")
    if remove.count():
        remove.first.click()
    no_file = "!document.querySelector(error) && main().innerText.includes(hint)"
    page.wait_for_function(NO_FILE_STATE.format(no_file), arg=[no_file_hint, ERROR],
                           timeout=90_000)
    settle(page)
    uploader.locator("input[type='file']").set_input_files(files=[upload.file])
    page.wait_for_function(NO_FILE_STATE.format(f"!({no_file})"), arg=[no_file_hint, ERROR],
                           timeout=90_000)
    settle(page)


def problems_on_screen(page, upload: Upload) -> list[str]:
    """What is wrong with the page after this upload, as readable lines (empty: all well)."""
    found = []
    exceptions = page.locator(EXCEPTION)
    if exceptions.count():
        first = exceptions.first.inner_text().strip().splitlines()
        found.append(f"{upload.name}: exception on screen: {first[0] if first else '?'}")
    for text in page.locator(ERROR).all_inner_texts():
        if not one_sentence(text):
            found.append(f"{upload.name}: error is not one sentence: {text!r}")
    if upload.size is None and page.locator(ERROR).count() == 0:
        found.append(f"{upload.name}: refused file without an error message")
    return found


def test_kernel_page_survives_every_awkward_upload(page, app_url):
    open_page(page, app_url, "Image_kernels")
    page.get_by_text("Upload your own").click()
    wait_for_idle(page)
    main = page.locator("[data-testid='stMain']")
    problems = []
    for upload in CORPUS:
        send(page, "photo_upload", upload, KERNEL_HINT)
        found = problems_on_screen(page, upload)
        if upload.size is not None and not found:
            width, height = upload.size
            if f"Original ({width} x {height} pixels)" not in main.inner_text():
                found.append(f"{upload.name}: not shown as {width} x {height} pixels")
        problems += found

    # A kernel larger than the image: the 8x8 mean blur on the 3x3 picture, every border
    # (zero padding first: it is the default).
    three = next(u for u in CORPUS if u.name == "tiny-3x3.png")
    send(page, "photo_upload", three, KERNEL_HINT)
    choose(page, "Preset", "Mean blur 8x8")
    settle(page)
    for border in (None, "Reflect the edge", "Valid"):
        if border is not None:
            page.locator("[data-testid='stSelectbox']").filter(has_text="Borders").first.click()
            page.keyboard.type(border)  # the select box filters its options as one types
            page.keyboard.press("Enter")
            settle(page)
        where = f"8x8 kernel on 3x3, {border or 'Zero padding'} border"
        problems += [f"{where}: {p}" for p in problems_on_screen(page, three)]
        refused = page.locator(ERROR).count() > 0
        if refused != (border == "Valid"):  # "valid" leaves no output pixel: say so
            problems.append(f"{where}: {'refused' if refused else 'no one-sentence refusal'}")
    assert not problems, "\n".join(problems)


def test_draw_page_survives_every_awkward_upload(page, app_url):
    open_page(page, app_url, "Draw_and_predict")
    page.locator(".st-key-draw_source").get_by_text("Upload a photo").click()
    wait_for_idle(page)
    problems = []
    for upload in CORPUS:
        send(page, "draw_upload", upload, DRAW_HINT)
        problems += problems_on_screen(page, upload)
        # An accepted picture either gets a prediction or one sentence saying it has no digit.
        answered = page.locator(f"{ERROR}, .st-key-draw_probabilities").count()
        if upload.size is not None and not answered:
            problems.append(f"{upload.name}: neither a prediction nor a message")
    assert not problems, "\n".join(problems)


def _corpus_zip() -> bytes:
    """Every awkward file in one class folder, two plain pictures in the other."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for upload in CORPUS:
            archive.writestr(f"awkward/{upload.name}", upload.data)
        for i in range(2):
            archive.writestr(f"plain/{i}.png", _encode(_rgb(30 + i, 20), "PNG"))
    return buffer.getvalue()


def test_own_images_page_survives_every_awkward_upload(page, app_url):
    """Your own images takes many photos at once and zips of class folders: every awkward
    file is either added or skipped and counted, in the one sentence that reports the add."""
    page.set_default_timeout(60_000)
    open_page(page, app_url, "Your_own_images")
    page.locator(".st-key-own_source").get_by_text("My own pictures").click()
    wait_for_idle(page)
    main = page.get_by_test_id("stMain")
    readable = sum(u.size is not None for u in CORPUS)
    skipped = len(CORPUS) - readable
    main.locator("[class*='st-key-own_files_'] input[type='file']").set_input_files(
        files=[u.file for u in CORPUS])
    page.get_by_role("button", name=f"Add {len(CORPUS)} photos to").click()
    settle(page)
    problems = []
    expect_text = [f"Added {readable} pictures to", f"{skipped} files were skipped"]
    problems += [f"photos: no {text!r}" for text in expect_text
                 if text not in main.inner_text()]
    # (The page also says, rightly, that the other class has no pictures yet.)
    if page.locator(EXCEPTION).count():
        problems.append("photos: an exception on screen")

    main.locator("[data-testid='stFileUploader']").filter(has_text="zip with one folder") \
        .locator("input[type='file']").set_input_files(
            files=[{"name": "awkward.zip", "mimeType": "application/zip",
                    "buffer": _corpus_zip()}])
    settle(page)
    wanted = f"Read {readable + 2} pictures in 2 classes from awkward.zip."
    if wanted not in main.inner_text():
        problems.append(f"zip: no {wanted!r}")
    if f"{skipped} files were skipped" not in main.inner_text():
        problems.append("zip: the skipped files are not counted")
    problems += [f"zip: {p}" for p in problems_on_screen(page, CORPUS[0])]
    assert not problems, "\n".join(problems)
