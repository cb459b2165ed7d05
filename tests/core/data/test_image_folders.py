"""read_image_folders on zips and folders generated here: good layouts, and every bad input
a learner (or an attacker) can upload: no class folders, one or eleven classes, junk, damaged
files, unsafe names and links, zip bombs, lying sizes, too many files."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnn_core.data import image_folders
from cnn_core.data.image_folders import (
    DAMAGED,
    LOCKED,
    NOT_PICTURE,
    OUTSIDE,
    TOO_LARGE,
    UNSAFE,
    ImageFolderError,
    ReadLimits,
    load_image_folders,
    read_image_folders,
)

COLOURS = {"birds": (220, 30, 30), "cats": (30, 200, 30), "dogs": (30, 30, 210)}


def picture(colour, size=(10, 8), fmt="PNG", mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def make_zip(members, method=zipfile.ZIP_DEFLATED) -> bytes:
    """members: {name: bytes}, or (name, bytes) pairs; a name ending in "/" is a folder."""
    buffer = io.BytesIO()
    items = members.items() if isinstance(members, dict) else members
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as zf:
        warnings.simplefilter("ignore")  # duplicate names, in the property test
        for name, data in items:
            zf.writestr(name, data)
    return buffer.getvalue()


def class_zip(prefix="", per_class=2, classes=("dogs", "cats", "birds")) -> dict[str, bytes]:
    members = {}
    for name in classes:  # deliberately not in sorted order
        for i in range(per_class):
            members[f"{prefix}{name}/{i}.png"] = picture(COLOURS[name], (10 + i, 8))
    return members


def colour_of(x: np.ndarray) -> tuple[int, ...]:
    return tuple(int(v) for v in np.rint(x.reshape(-1, 3).mean(0)))


def assert_labels_match_colours(x, y, class_names):
    for image, label in zip(x, y, strict=True):
        assert colour_of(image) == COLOURS[class_names[label]]


def patch_directory(raw: bytes, name: str, *, file_size=None, flags=None) -> bytes:
    """Rewrite one member's declared size or flags in the central directory (what zipfile
    believes), as a crafted archive would."""
    data = bytearray(raw)
    end = raw.rfind(b"PK\x05\x06")
    count, _, at = struct.unpack_from("<HII", raw, end + 10)
    for _ in range(count):
        assert data[at:at + 4] == b"PK\x01\x02"
        n, m, k = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + n].decode() == name:
            if file_size is not None:
                struct.pack_into("<I", data, at + 24, file_size)
            if flags is not None:
                struct.pack_into("<H", data, at + 8, flags)
            return bytes(data)
        at += 46 + n + m + k
    raise AssertionError(f"{name} is not in the zip")


# ---- good input ---------------------------------------------------------------------------

def test_class_names_sorted_labels_follow_them_and_pictures_have_the_size():
    x, y, class_names = load_image_folders(make_zip(class_zip()), 16)
    assert class_names == ["birds", "cats", "dogs"]
    assert x.shape == (6, 16, 16, 3) and x.dtype == np.uint8
    assert y.dtype == np.int64 and y.tolist() == [0, 0, 1, 1, 2, 2]
    assert_labels_match_colours(x, y, class_names)


def test_height_width_pair_and_enlarging_and_shrinking():
    members = {"cats/big.png": picture(COLOURS["cats"], (300, 200)),
               "dogs/tiny.png": picture(COLOURS["dogs"], (3, 2))}
    read = read_image_folders(make_zip(members), (12, 20))
    assert read.x.shape == (2, 12, 20, 3)
    assert read.names == ["cats/big.png", "dogs/tiny.png"]
    assert_labels_match_colours(read.x, read.y, read.class_names)
    assert read.skipped == {} and read.notes() == [] and not read.capped and read.found == 2


def test_every_kind_of_zip_source_gives_the_same(tmp_path):
    raw = make_zip(class_zip())
    path = tmp_path / "photos.zip"
    path.write_bytes(raw)

    class Stream:  # an upload that can only be read once, front to back
        def __init__(self):
            self.inner = io.BytesIO(raw)

        def read(self, n=-1):
            return self.inner.read(n)

    reference = read_image_folders(raw, 8)
    for source in (bytearray(raw), memoryview(raw), path, str(path), io.BytesIO(raw), Stream()):
        read = read_image_folders(source, 8)
        assert read.class_names == reference.class_names
        assert np.array_equal(read.x, reference.x) and np.array_equal(read.y, reference.y)


def test_a_wrapper_folder_and_mac_and_windows_junk_are_looked_through_silently():
    members = class_zip(prefix="My photos/")
    members |= {
        "__MACOSX/My photos/cats/._0.png": b"\x00\x05\x16\x07 resource fork",
        "My photos/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "My photos/cats/Thumbs.db": b"not a picture",
        "My photos/dogs/desktop.ini": b"[.ShellClassInfo]",
        "My photos/.hidden/5.png": picture((1, 2, 3)),
        "My photos/dogs/.secret.png": picture((1, 2, 3)),
    }
    read = read_image_folders(make_zip(members), 8)
    assert read.class_names == ["birds", "cats", "dogs"] and len(read.x) == 6
    assert read.skipped == {} and read.empty_classes == []
    assert read.names[0] == "birds/0.png"


def test_a_wrapper_inside_a_wrapper_and_deeper_folders_inside_a_class():
    members = {"Archive/photos/cats/2019/a.png": picture(COLOURS["cats"]),
               "Archive/photos/cats/2020/summer/b.png": picture(COLOURS["cats"]),
               "Archive/photos/dogs/c.png": picture(COLOURS["dogs"]),
               "Archive/photos/readme.txt": b"my pictures",
               "Archive/photos/stray.png": picture(COLOURS["dogs"])}
    read = read_image_folders(make_zip(members), 8)
    assert read.class_names == ["cats", "dogs"]
    assert read.names == ["cats/2019/a.png", "cats/2020/summer/b.png", "dogs/c.png"]
    assert read.y.tolist() == [0, 0, 1]
    assert read.skipped == {NOT_PICTURE: 1, OUTSIDE: 1}


def test_pictures_go_through_the_apps_decoder_transparency_onto_white_and_jpeg():
    clear = io.BytesIO()
    Image.new("RGBA", (6, 6), (0, 0, 0, 0)).save(clear, format="PNG")
    members = {"cats/clear.png": clear.getvalue(),
               "dogs/photo.jpg": picture(COLOURS["dogs"], (64, 48), "JPEG"),
               "dogs/grey.png": picture(128, (5, 5), mode="L")}
    read = read_image_folders(make_zip(members), 4)
    assert (read.x[0] == 255).all()  # transparent pixels shown on white, not black
    assert np.abs(read.x[2].astype(int) - COLOURS["dogs"]).max() <= 6
    assert (read.x[1] == 128).all()


def test_a_big_rotated_photo_is_decoded_small_but_upright():
    photo = np.zeros((600, 800, 3), np.uint8)
    photo[:, :400], photo[:, 400:] = COLOURS["birds"], COLOURS["dogs"]  # left red, right blue
    image = Image.fromarray(photo)
    exif = image.getexif()
    exif[0x0112] = 6  # the camera was turned: show it rotated 90 degrees clockwise
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    members = {"cats/photo.jpg": buffer.getvalue(), "dogs/b.png": picture(COLOURS["dogs"])}
    read = read_image_folders(make_zip(members), (8, 6))
    upright = read.x[0].astype(int)  # now red on top, blue below
    assert np.abs(upright[0] - COLOURS["birds"]).max() <= 12
    assert np.abs(upright[-1] - COLOURS["dogs"]).max() <= 12


# ---- bad layouts ---------------------------------------------------------------------------

def test_pictures_at_the_top_level_ask_for_class_folders():
    with pytest.raises(ImageFolderError, match="its own folder") as err:
        read_image_folders(make_zip({"a.png": picture((1, 1, 1)), "b.jpg": picture((2, 2, 2))}),
                           8)
    assert err.value.args[0].count(".") == 1  # one sentence


def test_a_zip_with_nothing_usable_says_there_are_no_pictures():
    for members in ({}, {"notes.txt": b"hello"}, {".DS_Store": b"x", "__MACOSX/a.png": b"x"}):
        with pytest.raises(ImageFolderError, match="no pictures"):
            read_image_folders(make_zip(members), 8)


def test_one_class_is_refused_even_inside_a_wrapper():
    for prefix in ("", "wrapper/"):
        with pytest.raises(ImageFolderError, match="at least 2 classes"):
            read_image_folders(make_zip(class_zip(prefix, classes=("cats",))), 8)


def test_eleven_classes_are_refused_ten_are_fine():
    members = {f"class{i:02d}/a.png": picture((i * 20, 0, 0)) for i in range(11)}
    with pytest.raises(ImageFolderError, match="at most 10 classes"):
        read_image_folders(make_zip(members), 4)
    del members["class10/a.png"]
    assert len(read_image_folders(make_zip(members), 4).class_names) == 10


def test_empty_class_folders_are_reported_and_cannot_make_up_the_two_classes():
    members = class_zip(classes=("cats", "dogs")) | {
        "birds/": b"", "fish/notes.txt": b"fish", "frogs/broken.jpg": b"\xff\xd8\xff\xe0 cut"}
    read = read_image_folders(make_zip(members), 8)
    assert read.class_names == ["cats", "dogs"]
    assert read.empty_classes == ["birds", "fish", "frogs"]
    assert any("birds, fish, frogs" in note for note in read.notes())
    one_left = {"cats/a.png": picture((1, 2, 3)), "dogs/": b"", "fish/notes.txt": b"fish"}
    with pytest.raises(ImageFolderError, match="Only one class folder"):
        read_image_folders(make_zip(one_left), 8)


def test_non_pictures_and_damaged_files_are_skipped_and_counted_by_reason():
    noise = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="JPEG")
    good = buffer.getvalue()  # mostly scan data, so half of it is a cut-off picture
    members = class_zip(classes=("cats", "dogs")) | {
        "cats/notes.txt": b"these are my cats",
        "dogs/fake.png": b"this is not a png at all",
        "dogs/cut.jpg": good[:len(good) // 2],
    }
    read = read_image_folders(make_zip(members), 8)
    assert len(read.x) == 4
    assert read.skipped == {NOT_PICTURE: 2, DAMAGED: 1}
    assert read.skipped_sentence() == "3 files were skipped: 2 not pictures, 1 damaged."


def test_nothing_readable_is_one_sentence_naming_the_reasons():
    members = {"cats/a.png": b"nope", "dogs/b.jpg": b"\xff\xd8\xff broken"}
    with pytest.raises(ImageFolderError, match=r"None of the files .* \(2 not pictures\)"):
        read_image_folders(make_zip(members), 8)


def test_not_a_zip_is_one_sentence(tmp_path):
    for source in (b"", b"hello", picture((1, 2, 3)), b"PK\x05\x06" + b"\x00" * 10):
        with pytest.raises(ImageFolderError, match="not a zip archive"):
            read_image_folders(source, 8)
    with pytest.raises(ImageFolderError, match="no zip file or folder"):
        read_image_folders(tmp_path / "missing.zip", 8)
    with pytest.raises(ImageFolderError):
        read_image_folders(12345, 8)


# ---- unsafe names and links -----------------------------------------------------------------

def test_unsafe_member_names_are_never_followed_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = picture((250, 250, 0))
    members = class_zip(classes=("cats", "dogs")) | {
        "../evil/a.png": evil, "/etc/b.png": evil, "C:/Windows/c.png": evil,
        "C:evil.png": evil, "cats\\..\\..\\d.png": evil, "cats/../../e.png": evil,
        "dogs/../../../f.png": evil, "evil\\g.png": evil,
    }
    read = read_image_folders(make_zip(members), 8)
    assert read.class_names == ["cats", "dogs"] and len(read.x) == 4
    assert read.skipped == {UNSAFE: 8}
    assert all(colour_of(image) != (250, 250, 0) for image in read.x)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_source_with_the_same_rules_and_links_out_never_followed(tmp_path):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.png").write_bytes(picture((250, 250, 0)))
    root = tmp_path / "upload" / "My photos"  # a wrapper folder, looked through
    for name in ("cats", "dogs", "birds/empty"):
        (root / name).mkdir(parents=True)
    (root / "cats" / "a.png").write_bytes(picture(COLOURS["cats"]))
    (root / "dogs" / "b.png").write_bytes(picture(COLOURS["dogs"]))
    (root / "dogs" / "notes.txt").write_text("dogs")
    (root / "cats" / "Thumbs.db").write_bytes(b"x")
    (root / ".git").mkdir()
    (root / ".git" / "c.png").write_bytes(picture((1, 2, 3)))
    (root / "cats" / "inside.png").symlink_to(root / "cats" / "a.png")
    (root / "cats" / "leak.png").symlink_to(outside / "secret.png")
    (root / "dogs" / "leak").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "dogs" / "pipe.png")  # reading it would wait forever

    for source in (tmp_path / "upload", str(tmp_path / "upload")):
        read = read_image_folders(source, 8)
        assert read.class_names == ["cats", "dogs"]
        assert read.names == ["cats/a.png", "cats/inside.png", "dogs/b.png"]
        assert_labels_match_colours(read.x, read.y, read.class_names)
        assert read.skipped == {NOT_PICTURE: 2, UNSAFE: 2}
        assert read.empty_classes == ["birds"]


# ---- zip bombs and lying sizes --------------------------------------------------------------

@pytest.fixture(scope="module")
def bomb() -> bytes:
    """300 MB of zeros packed to about 300 KB, written in 1 MB pieces (never all in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("cats/a.png", picture(COLOURS["cats"]))
        zf.writestr("dogs/b.png", picture(COLOURS["dogs"]))
        with zf.open("cats/zeros.png", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(300):
                member.write(chunk)
    return buffer.getvalue()


def forbid_reading(monkeypatch) -> list[str]:
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(self, name, *args, **kwargs)
    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return opened


def test_a_zip_bomb_is_refused_from_its_directory_before_any_member_is_read(bomb, monkeypatch):
    assert len(bomb) < 2_000_000
    opened = forbid_reading(monkeypatch)
    tracemalloc.start()
    try:
        with pytest.raises(ImageFolderError, match="zip bomb"):
            read_image_folders(bomb, 8)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert opened == []
    assert peak < 20_000_000


def test_too_much_in_all_is_refused_before_reading(monkeypatch):
    rng = np.random.default_rng(0)
    members = class_zip(classes=("cats", "dogs")) | {
        f"cats/noise{i}.bin": rng.bytes(300_000) for i in range(4)}  # packs 1:1, no bomb
    raw = make_zip(members)
    opened = forbid_reading(monkeypatch)
    with pytest.raises(ImageFolderError, match="would unpack to"):
        read_image_folders(raw, 8, limits=ReadLimits(max_total_bytes=1_000_000))
    assert opened == []
    big = read_image_folders(raw, 8, limits=ReadLimits(max_file_bytes=200_000))
    assert big.skipped == {TOO_LARGE: 4} and len(big.x) == 4
    assert sorted(opened) == ["cats/0.png", "cats/1.png", "dogs/0.png", "dogs/1.png"]


def test_a_member_holding_more_than_it_declares_is_cut_at_the_declared_size():
    rng = np.random.default_rng(1)
    noise = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(noise, "PNG")
    members = class_zip(classes=("cats", "dogs")) | {"cats/liar.png": noise.getvalue()}
    honest = read_image_folders(make_zip(members), 8)
    assert len(honest.x) == 5  # the picture itself is fine
    lying = patch_directory(make_zip(members), "cats/liar.png", file_size=100)
    read = read_image_folders(lying, 8)
    assert len(read.x) == 4 and read.skipped == {DAMAGED: 1}


def test_password_protected_members_are_counted_not_opened(monkeypatch):
    raw = patch_directory(make_zip(class_zip(classes=("cats", "dogs"))), "dogs/0.png",
                          flags=0x1)
    opened = forbid_reading(monkeypatch)
    read = read_image_folders(raw, 8)
    assert read.skipped == {LOCKED: 1} and len(read.x) == 3 and "dogs/0.png" not in opened


def test_too_many_entries_are_refused_from_the_end_record_before_parsing(monkeypatch):
    raw = make_zip({f"cats/{i}.txt": b"" for i in range(40)} | class_zip())
    parsed = []
    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents",
                        lambda self: parsed.append(1) or pytest.fail("directory parsed"))
    with pytest.raises(ImageFolderError, match="lists 46 files"):
        read_image_folders(raw, 8, limits=ReadLimits(max_entries=45))
    assert parsed == []


# ---- caps and duplicates --------------------------------------------------------------------

def test_max_images_caps_the_total_and_keeps_classes_balanced():
    members = {}
    for name, count in (("birds", 10), ("cats", 10), ("dogs", 2)):
        for i in range(count):
            members[f"{name}/{i:02d}.png"] = picture(COLOURS[name], (8 + i, 8))
    raw = make_zip(members)
    read = read_image_folders(raw, 8, max_images=12)
    assert len(read.x) == 12 and np.bincount(read.y).tolist() == [5, 5, 2]
    assert read.capped and read.found == 22
    assert any("Only 12 of the 22 files" in note for note in read.notes())
    again = read_image_folders(raw, 8, max_images=12)
    assert again.names == read.names  # the choice within a class is fixed
    assert np.bincount(read_image_folders(raw, 8, max_per_class=3).y).tolist() == [3, 3, 2]
    full = read_image_folders(raw, 8)
    assert len(full.x) == 22 and not full.capped
    x, y, _ = load_image_folders(raw, 8, max_images=7)
    assert len(x) == len(y) == 7 and np.bincount(y).tolist() == [3, 2, 2]


def test_identical_pictures_in_two_classes_are_flagged_not_within_one():
    same = picture((90, 90, 90))
    members = class_zip(classes=("cats", "dogs")) | {
        "cats/x.png": same, "cats/x_copy.png": same, "dogs/x.bmp": picture((90, 90, 90),
                                                                           fmt="BMP")}
    read = read_image_folders(make_zip(members), 8)
    assert read.duplicates == [("cats/x.png", "dogs/x.bmp")]
    assert any("appear in two classes" in note for note in read.notes())
    assert read_image_folders(make_zip(class_zip()), 8).duplicates == []


def test_bad_arguments_are_plain_value_errors():
    raw = make_zip(class_zip())
    for size in (0, (8,), (8, 0), "8", 8.0, True, 5000):
        with pytest.raises(ValueError, match="image_size"):
            read_image_folders(raw, size)
    with pytest.raises(ValueError, match="max_images"):
        read_image_folders(raw, 8, max_images=0)


# ---- any member name at all ------------------------------------------------------------------

NAME_PIECES = st.one_of(
    st.sampled_from(["/", "\\", ".", "..", ":", "C:", "__MACOSX", "Thumbs.db", "cats", "a.png",
                     " ", "\x00", "~", "é", "e\u0301"]),
    st.text(max_size=4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example([".", "./", "\x00hidden.png", "a/./b.png", "cats/../dogs/c.png", "C:", "//x"], True)
@example(["..", "x/..", "\\\\server\\share\\d.png", "__MACOSX", "cats/\u00e9.png"], False)
@given(st.lists(st.lists(NAME_PIECES, max_size=6).map("".join), max_size=6),
       st.booleans())
def test_arbitrary_member_names_never_raise_anything_but_image_folder_error(names, as_picture):
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore")  # duplicate names
        zf.writestr("cats/a.png", picture(COLOURS["cats"]))
        zf.writestr("dogs/b.png", picture(COLOURS["dogs"]))
        for name in names:
            # zipfile cannot write an empty name ("" or "\x00..."): that one is left out
            with contextlib.suppress(IndexError):
                zf.writestr(name, picture((9, 9, 9)) if as_picture else b"junk")
    raw = buffer.getvalue()
    try:
        read = read_image_folders(raw, 4)
    except ImageFolderError:
        return
    assert len(read.x) == len(read.y) == len(read.names) >= 2
    assert read.class_names == sorted(read.class_names)
    assert all(name and "/" not in name and not name.startswith(".") and "\\" not in name
               for name in read.class_names)
    assert all(".." not in name.split("/") for name in read.names)


def test_module_constants_used_by_the_page():
    assert image_folders.MAX_CLASSES == 10 and image_folders.MIN_CLASSES == 2
    assert issubclass(ImageFolderError, ValueError)
