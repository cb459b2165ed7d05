"""load_image on generated fixtures for every kind of input a learner may upload."""

from __future__ import annotations

import base64
import io
import random
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from cnn_core.config import SAMPLES_DIR
from cnn_core.data.images import (
    ImageError,
    encode_png,
    fit_within,
    load_image,
    resize_to,
    resize_to_side,
    shift_image,
    to_greyscale,
)


def save(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def gradient_rgb(h=12, w=16) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, 90)], -1).astype(
        np.uint8)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"])
def test_every_upload_format_gives_rgb_uint8(fmt):
    image = gradient_rgb()
    out = load_image(save(Image.fromarray(image), fmt))
    assert out.shape == (12, 16, 3) and out.dtype == np.uint8
    tolerance = 60 if fmt in ("JPEG", "WEBP", "GIF") else 0
    assert np.abs(out.astype(int) - image).max() <= tolerance


def test_sources_bytes_path_and_file_like(tmp_path):
    data = save(Image.fromarray(gradient_rgb()), "PNG")
    path = tmp_path / "x.png"
    path.write_bytes(data)
    for source in (data, bytearray(data), path, str(path), io.BytesIO(data)):
        assert load_image(source).shape == (12, 16, 3)


def test_greyscale_becomes_three_equal_channels():
    out = load_image(save(Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)), "PNG"))
    assert out.shape == (8, 8, 3)
    assert (out[:, :, 0] == out[:, :, 2]).all() and out[7, 7, 1] == 63


def test_alpha_is_composited_on_white():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:2, :, 3] = 255  # top half opaque red, bottom half fully transparent (black RGB)
    out = load_image(save(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert tuple(out[0, 0]) == (200, 0, 0)
    assert tuple(out[3, 3]) == (255, 255, 255)


def test_grey_with_alpha():
    la = Image.fromarray(np.stack([np.full((3, 3), 50, np.uint8), np.full((3, 3), 0, np.uint8)],
                                  -1), "LA")
    assert tuple(load_image(save(la, "PNG"))[1, 1]) == (255, 255, 255)


def test_palette_images_with_and_without_transparency():
    palette = Image.fromarray(gradient_rgb()).convert("P", palette=Image.Palette.ADAPTIVE,
                                                      colors=16)
    out = load_image(save(palette, "PNG"))
    assert out.shape == (12, 16, 3)
    palette.info["transparency"] = 0
    out = load_image(save(palette, "PNG", transparency=0))
    assert out.shape == (12, 16, 3)
    assert (out == 255).all(axis=2).any()  # colour 0 is now transparent -> white


def test_cmyk_jpeg_is_converted_to_rgb():
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # pure red in CMYK
    out = load_image(save(cmyk, "JPEG", quality=95))
    red, green, blue = out[4, 4].astype(int)
    assert red > 200 and green < 60 and blue < 60


def test_16_bit_grey_png_is_scaled_not_clipped():
    deep = np.array([[0, 257 * 128, 65535, 1000]], dtype=np.uint16)
    ok, png = cv2.imencode(".png", deep)
    out = load_image(png.tobytes())
    assert list(out[0, :, 0]) == [0, 128, 255, 4]


def test_16_bit_rgb_png_is_scaled_not_clipped():
    deep = np.zeros((2, 2, 3), np.uint16)
    deep[0, 0] = (65535, 32896, 0)  # BGR in OpenCV
    ok, png = cv2.imencode(".png", deep)
    out = load_image(png.tobytes())
    assert tuple(out[0, 0]) == (0, 128, 255)


def test_16_bit_tiff_is_scaled_not_clipped():
    deep = np.array([[0, 65535], [32896, 1000]], dtype=np.uint16)
    ok, tiff = cv2.imencode(".tiff", deep)
    out = load_image(tiff.tobytes())
    assert list(out[:, :, 0].ravel()) == [0, 255, 128, 4]


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("RGB", (6, 6), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    out = load_image(buffer.getvalue())
    assert out[3, 3, 0] > 200 and out[3, 3, 2] < 50


def test_animated_webp_gives_its_first_frame():
    frames = [Image.new("RGB", (6, 6), colour) for colour in ((0, 255, 0), (255, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:], lossless=True)
    out = load_image(buffer.getvalue())
    assert tuple(out[3, 3]) == (0, 255, 0)


def test_exif_orientation_is_applied():
    image = Image.fromarray(gradient_rgb(10, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    out = load_image(save(image, "JPEG", exif=exif.tobytes(), quality=95))
    assert out.shape == (20, 10, 3)
    # The left edge (red = 0) ends up on top after a clockwise turn.
    assert out[0, :, 0].mean() < out[-1, :, 0].mean()


def test_one_pixel_image():
    out = load_image(save(Image.new("RGB", (1, 1), (1, 2, 3)), "PNG"))
    assert out.shape == (1, 1, 3) and tuple(out[0, 0]) == (1, 2, 3)


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"hello, this is a text file\n", "not an image"),
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not an image"),
    (b"\x89PNG\r\n\x1a\n", "not an image"),
])
def test_non_images_are_refused_in_one_sentence(data, message):
    with pytest.raises(ImageError, match=message) as info:
        load_image(data)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files_are_refused(fmt):
    noisy = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = save(Image.fromarray(noisy), fmt)
    with pytest.raises(ImageError, match="damaged|not an image"):
        load_image(data[: len(data) // 2])


# A 16 x 16 TIFF with a few bytes changed, found by the fuzzing below: one of its tags has the
# wrong type, and Pillow's TIFF plugin raised TypeError from inside load().
CRAFTED_TIFF = base64.b64decode(
    "SUkqAAgAAAALAAABBAABAAAAEAAAAAEBBAABAAAAEAAAAAIBAwADAAAAkgAAAAMBAwABAAAAAQAAAAYBAwABAAAA"
    "AgAAABEBBQABAAAAmAAAABIBAwABAAAAAwAAABUBAwABAAAAAwAAABYBBAABAAAAEAAAABcBBAABAAAAAAMAABwB"
    "AwABAAAAAQAAAAAAAAAIAAgACACiRAoEz+iauoru0ADaCLos3IpMawcfq6WcYf76rqWvYyK3hU974u5bkVKXVmPj"
    "OZ4V1Mg93w5VJnLLOg1nMheTTKsy8F0aoOxw839snv3xdcF+hshpu7XtHbns9gPc+vQl+OLRejvM60OJcO0KupwH"
    "twTBguwQ1hFXbfaPQj3iOR9JlY3Ojklp0J/0XoyX2CVn6ArRadMCXRSmRbPwINwPYW18+MVORNzgglf9UC7gz6r0"
    "7L7bPySqtipk6AmTMYaFFvqRAcX5llEvqzGTmfUSf70tYhC5FmTeeOjD6SASEd2hfimrUbV1gckXkzLOfPwu9cx6"
    "z5mn6BDUYVP9x3tr3xa0yctSyzlcaoocZwC92SOz0frXbPn4gMDpedyySsPkF2MSeW1slR/urtLklAq1kdKHz/5Z"
    "K2PAcJYguUcwMo975RWxUyysXFTwMoIGKeHJjTiOA7W2pJsSPpJk/OsmlrEiT7blVzzRlXlBEgSTMPjZc2Q7vqS5"
    "FVmEbAox8CnZ0WN30q3VwbDo0S2+FmxlM+8YAVL8Q9MslfS2+pL61cbioVqGOcYrk4irwRyfaZywlbqEdkk6sbEx"
    "96uH1nx5QSe116xeko/uYirf5AwyosmaMB2BzzcTjDARxdFlSkZck4ZaoqyOYp+WVk2LnJthkPtt1hTf8EIDey73"
    "5PSZg9SmP+5wxX8uS5IkA27CnFK2e/7F00ImMm6CMcbdUIGXuCVHupDlcmdOO6VD20WrkKDkKyYfE4gqzQVfeDda"
    "OEfsamKbqagVlLvKliEVUux45HXAe7RQ4kMBt6ynr5UdqgEua2AebJ9gtDokvqptIqm/Ka9a6b9FdQYvPbqGdjjA"
    "HT/Nc9+ZyS9QYH540SzZ4hMCSmb3Esd5IV1hPktr9XXyBxAHqTiSylQ+uHkmFrvb44InOXPZpUXAb/pt1QO3ZX8y"
    "7TKPmNp204XztujwzB8fnUViLMLZIYNkyXa6kPlr+2kux0WQpDII+9Af2EE/xcHXIr53U7vXUif86knPFug=")


def test_a_crafted_tiff_is_refused_in_one_sentence():
    with pytest.raises(ImageError, match="damaged|not an image"):
        load_image(CRAFTED_TIFF)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's notes on the damaged tags
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF"])
def test_randomly_damaged_files_give_a_picture_or_one_sentence(fmt):
    """A few hundred copies of a small image with a few bytes changed: each decodes or is
    refused with ImageError, never another exception (an upload costs only a sentence)."""
    image = Image.fromarray(gradient_rgb(16, 16))
    if fmt == "TIFF":
        exif = Image.Exif()
        exif[0x0112] = 3  # an orientation tag, so exif_transpose reads the tags too
        original = save(image, fmt, exif=exif)
    else:
        original = save(image, fmt)
    rng = random.Random(fmt)
    for _ in range(300):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            picture = load_image(bytes(damaged))
        except ImageError as error:
            assert "\n" not in str(error)
        else:
            assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3


def _png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a giant size: what a decompression bomb looks like."""
    data = save(Image.new("L", (1, 1)), "PNG")
    ihdr = struct.pack(">II", width, height) + data[24:29]
    chunk = b"IHDR" + ihdr
    return data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


@pytest.mark.parametrize("size", [(20_000, 20_000), (100_000, 100_000), (60_000, 1_000)])
def test_decompression_bombs_are_refused_before_decoding(size, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("pixels were decoded")

    bomb = _png_claiming_size(*size)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(ImageError, match="too many pixels|limit") as info:
        load_image(bomb)
    assert "\n" not in str(info.value)


def test_max_pixels_argument():
    data = save(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(ImageError, match="limit"):
        load_image(data, max_pixels=9_999)
    assert load_image(data, max_pixels=10_000).shape == (100, 100, 3)


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(ImageError, match="no image file"):
        load_image(tmp_path / "nope.png")


def test_bundled_samples_load():
    samples = sorted(SAMPLES_DIR.glob("*.png"))
    assert samples, "assets/samples should ship sample photos"
    for path in samples:
        assert load_image(path).ndim == 3


def test_fit_within_keeps_aspect_and_small_images():
    image = np.zeros((3000, 4000, 3), np.uint8)
    small, scale = fit_within(image, 800)
    assert small.shape == (600, 800, 3) and scale == pytest.approx(0.2)
    same, scale = fit_within(np.zeros((10, 10, 3), np.uint8), 800)
    assert same.shape == (10, 10, 3) and scale == 1.0


def test_encode_png_round_trips_and_greyscale():
    image = gradient_rgb()
    assert (load_image(encode_png(image)) == image).all()
    grey = to_greyscale(image)
    assert grey.shape == (12, 16)
    assert (load_image(encode_png(grey))[:, :, 0] == grey).all()


@pytest.mark.parametrize("shape, side", [((300, 451, 3), 16), ((451, 300), 16), ((1, 500), 20),
                                         ((7, 3, 1), 28), ((2, 2), 40), ((5, 9), 9)])
def test_resize_to_side_keeps_aspect_layout_and_dtype(shape, side):
    image = np.random.default_rng(3).integers(0, 256, shape).astype(np.uint8)
    out = resize_to_side(image, side)
    height, width = shape[:2]
    scale = side / max(height, width)
    assert out.shape == (max(1, round(height * scale)), max(1, round(width * scale)), *shape[2:])
    assert out.dtype == np.uint8


def test_shrinking_averages_areas_and_enlarging_keeps_flat_regions_flat():
    image = np.random.default_rng(4).random((12, 18)).astype(np.float32)
    blocks = image.reshape(4, 3, 6, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(resize_to_side(image, 6), blocks, rtol=1e-5)
    flat = np.full((3, 4, 3), 77, np.uint8)
    assert (resize_to_side(flat, 40) == 77).all()
    with pytest.raises(ValueError, match="Cannot resize"):
        resize_to_side(np.zeros((0, 4)), 10)


def test_fit_within_shrinks_through_resize_to_side_only():
    image = np.random.default_rng(5).integers(0, 256, (90, 120, 3)).astype(np.uint8)
    small, scale = fit_within(image, 40)
    np.testing.assert_array_equal(small, resize_to_side(image, 40))
    assert scale == pytest.approx(40 / 120)
    assert fit_within(image, 500)[0] is image


@pytest.mark.parametrize("down, right", [(0, 0), (0, 1), (3, 0), (-5, 2), (8, -8), (0, 27),
                                         (-30, 0), (2, -20)])
def test_shift_image_is_a_roll_with_zero_fill(down, right):
    image = np.random.default_rng(6).integers(1, 256, (20, 27, 3)).astype(np.uint8)
    moved = shift_image(image, down, right)
    expected = np.roll(image, (down, right), axis=(0, 1))
    rows, cols = np.mgrid[:20, :27]
    came_from_outside = ((rows - down < 0) | (rows - down >= 20)
                         | (cols - right < 0) | (cols - right >= 27))
    expected[came_from_outside] = 0
    np.testing.assert_array_equal(moved, expected)
    assert moved.dtype == image.dtype and moved is not image
    np.testing.assert_array_equal(shift_image(image[:, :, 0], down, right), expected[:, :, 0])


def test_greyscale_is_bt601_luminance_in_every_layout():
    image = np.random.default_rng(7).integers(0, 256, (9, 11, 3)).astype(np.uint8)
    grey = to_greyscale(image)
    weighted = image.astype(np.float64) @ [0.299, 0.587, 0.114]
    assert grey.dtype == np.uint8 and grey.shape == (9, 11)
    assert np.abs(grey - weighted).max() <= 0.51
    np.testing.assert_array_equal(to_greyscale(image / 255), grey)  # float in [0, 1] too
    np.testing.assert_array_equal(to_greyscale(grey[:, :, None]), grey)
    assert to_greyscale(grey) is grey


@pytest.mark.parametrize("image, message", [
    (np.zeros((4, 4, 4), np.uint8), "RGB"),
    (np.zeros((4, 4, 3, 1), np.uint8), "RGB"),
    (np.full((4, 4, 3), 200.0), "from 0 to 1"),
])
def test_greyscale_refuses_other_layouts_and_ranges(image, message):
    with pytest.raises(ValueError, match=message):
        to_greyscale(image)


@pytest.mark.parametrize("shape", [(12, 18), (12, 18, 3), (12, 18, 1)])
def test_resize_to_is_the_one_rule_areas_when_shrinking_bilinear_when_growing(shape):
    import cv2

    image = np.random.default_rng(6).integers(0, 256, shape).astype(np.uint8)
    assert resize_to(image, 12, 18) is image
    for height, width, method in ((6, 9, cv2.INTER_AREA), (6, 30, cv2.INTER_LINEAR),
                                  (24, 36, cv2.INTER_LINEAR)):
        out = resize_to(image, height, width)
        assert out.shape == (height, width, *shape[2:]) and out.dtype == np.uint8
        expected = cv2.resize(image, (width, height), interpolation=method)
        np.testing.assert_array_equal(out, expected.reshape(out.shape))
    with pytest.raises(ValueError, match="Cannot resize"):
        resize_to(image, 0, 5)
