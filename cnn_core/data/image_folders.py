"""A learner's own pictures: a zip (or a folder) holding one folder of pictures per class.

`read_image_folders(source, image_size)` returns `ImageFolders`: the pictures as uint8
(N, H, W, 3) RGB, int64 labels, the sorted class names, and what was left out and why, so a
page can say "3 files were skipped: 2 not pictures, 1 damaged". `load_image_folders` returns
just (x, y, class_names). A source that cannot be used raises `ImageFolderError` (a
ValueError) with one plain sentence.

Layout. Each folder at the top is a class, named after the folder; pictures anywhere below
it (sub-folders too) belong to it. One folder wrapping everything (what zipping a folder on
Windows or macOS gives) is looked through, as is a wrapper inside a wrapper. Pictures at the
top level, beside the class folders, are skipped. `__MACOSX/`, hidden files and folders
(names starting with "."), `Thumbs.db` and `desktop.ini` are ignored without a word.

Safety. Nothing is ever extracted or written: zip members are read into memory one at a
time. Before any member is read, the central directory's declared sizes are checked (number
of entries, total size, size of each file, compression ratio of each file), and reading is
bounded by those sizes, since a crafted zip may declare less than it holds; only stored and
deflated members are read (others can expand without bound in one step). Member names with
"..", a leading "/", a backslash or a drive letter ("C:") are never followed, only counted.
In a folder source, symbolic links that lead outside the folder are never followed, and
linked folders are never entered. Each picture is decoded by `cnn_core.data.images.load_image`
(decompression bombs, CMYK, 16-bit, alpha, palette, animation, EXIF rotation, truncation).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import operator
import os
import re
import stat
import struct
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from cnn_core import config
from cnn_core.data.images import ImageError, load_image, resize_to

MIN_CLASSES = 2
MAX_CLASSES = 10
DEFAULT_MAX_IMAGES = 2_000
# The longest side a picture may be resized to (memory: N x H x W x 3 bytes).
MAX_IMAGE_SIDE = 1024
# Used only to decide the layout (a wrapper folder, pictures at the top level): every file in
# a class folder is tried as a picture whatever its name, so "photo.jfif" or "IMG_1" work.
PICTURE_SUFFIXES = tuple(f".{kind}" for kind in config.UPLOAD_TYPES) + (".jfif",)
_IGNORED_NAMES = frozenset({"__macosx", "thumbs.db", "desktop.ini", "icon\r"})
_DRIVE = re.compile(r"^[A-Za-z]:")
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_BATCH = 16  # members read into memory at a time, then decoded on threads

# Why a file was skipped: the keys of `ImageFolders.skipped`.
NOT_PICTURE = "not a picture"
DAMAGED = "damaged"
TOO_LARGE = "too large"
LOCKED = "password-protected"
UNSUPPORTED = "unsupported packing"
OUTSIDE = "outside class folders"
UNSAFE = "unsafe name"
_LABELS = {  # (one, many), as the skipped sentence says them
    NOT_PICTURE: ("not a picture", "not pictures"),
    DAMAGED: ("damaged", "damaged"),
    TOO_LARGE: ("too large", "too large"),
    LOCKED: ("password-protected", "password-protected"),
    UNSUPPORTED: ("packed in a way we cannot unpack", "packed in a way we cannot unpack"),
    OUTSIDE: ("outside the class folders", "outside the class folders"),
    UNSAFE: ("with a name or link pointing outside", "with names or links pointing outside"),
}
_IMAGE_REASONS = {"not an image": NOT_PICTURE, "too many pixels": TOO_LARGE}

MB = 1024 * 1024


class ImageFolderError(ValueError):
    """The zip or folder cannot be used as class folders of pictures; one sentence says why."""


@dataclass(frozen=True)
class ReadLimits:
    """What a source may hold before it is refused (zip bombs) or a file is skipped."""

    max_total_bytes: int = 500 * MB  # all members of a zip together, as declared and as read
    max_file_bytes: int = 50 * MB  # a bigger file is skipped as too large, never read
    max_ratio: float = 100.0  # unpacked / packed size of one zip member
    ratio_floor_bytes: int = 1 * MB  # smaller members are never treated as bombs
    max_entries: int = 50_000  # files and folders listed in the zip or found in the folder
    max_directory_bytes: int = 8 * MB  # the zip's central directory (its list of members)


DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True)
class ImageFolders:
    """Pictures read from class folders, and what was left out.

    x: (N, H, W, 3) uint8 RGB, class by class, by name within a class. y: (N,) int64 index
    into class_names (sorted). names: each picture's path below the class folders' parent,
    e.g. "cats/a.jpg". skipped: files left out, by reason (the module's NOT_PICTURE, DAMAGED,
    TOO_LARGE, LOCKED, UNSUPPORTED, OUTSIDE, UNSAFE), only reasons that happened.
    empty_classes: folders left out because none of their files was a usable picture.
    capped: some files were never read because of max_images (or max_per_class).
    found: files in the class folders, before that cap. duplicates: pairs of names of the
    same picture (identical pixels at image_size) in two different classes.
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    names: list[str]
    skipped: dict[str, int]
    empty_classes: list[str]
    capped: bool
    found: int
    duplicates: list[tuple[str, str]]

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skipped_sentence(self) -> str | None:
        """"3 files were skipped: 2 not pictures, 1 damaged." (None when nothing was)."""
        total = self.skipped_total
        if not total:
            return None
        parts = [f"{n:,} {_LABELS[reason][n != 1]}" for reason, n in self.skipped.items()]
        verb = "file was" if total == 1 else "files were"
        return f"{total:,} {verb} skipped: {', '.join(parts)}."

    def notes(self) -> list[str]:
        """Every sentence a page should show about what was left out, in one list."""
        notes = [self.skipped_sentence()] if self.skipped_total else []
        if self.empty_classes:
            names = ", ".join(self.empty_classes)
            one = len(self.empty_classes) == 1
            notes.append(f"{'This folder has' if one else 'These folders have'} no usable "
                         f"pictures and {'was' if one else 'were'} left out: {names}.")
        if self.capped:
            notes.append(f"Only {len(self.y):,} of the {self.found:,} files were used, about "
                         f"as many from each class, to keep training quick.")
        if self.duplicates:
            first, second = self.duplicates[0]
            notes.append(f"{len(self.duplicates):,} pictures appear in two classes (for example "
                         f"{first} and {second}); give each picture one class.")
        return notes


def load_image_folders(
    source, image_size: int | tuple[int, int], max_images: int = DEFAULT_MAX_IMAGES,
    **options,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(x, y, class_names) from a zip or folder of class folders; see `read_image_folders`."""
    read = read_image_folders(source, image_size, max_images, **options)
    return read.x, read.y, read.class_names


def read_image_folders(
    source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO,
    image_size: int | tuple[int, int],
    max_images: int = DEFAULT_MAX_IMAGES,
    *,
    max_per_class: int | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ImageFolders:
    """Read class folders of pictures from a zip (bytes, a path or an open file) or a folder.

    image_size: (height, width), or one number for a square. Each picture is stretched to it
    (area averaging when shrinking, bilinear when enlarging), as Keras'
    image_dataset_from_directory does. max_images: at most this many pictures in all, shared
    as evenly as the classes allow (a class with few pictures keeps them all; the others get
    equal shares; a fixed random choice within a class); max_per_class caps each class too.
    Needs 2 to 10 classes with usable pictures; raises ImageFolderError otherwise, and for a
    file that is not a zip, a zip bomb, or too many files.
    """
    size = _image_size(image_size)
    if isinstance(max_images, bool) or operator.index(max_images) < 1:
        raise ValueError(f"max_images must be a positive whole number, not {max_images!r}.")
    if max_per_class is not None and operator.index(max_per_class) < 1:
        raise ValueError(f"max_per_class must be a positive whole number, not {max_per_class!r}.")
    skipped: Counter[str] = Counter()
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.is_dir():
            files, folders = _scan_folder(path, limits, skipped)
            return _assemble(files, folders, skipped, "folder", size, max_images, max_per_class,
                             limits)
        if not path.is_file():
            raise ImageFolderError(f"There is no zip file or folder at {path}.")
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError:
            raise ImageFolderError(f"The file {path.name} cannot be opened.") from None
    elif isinstance(source, bytes | bytearray | memoryview):
        stream = io.BytesIO(bytes(source))
    elif hasattr(source, "read") and hasattr(source, "seek"):
        stream = source
    elif hasattr(source, "read"):
        stream = io.BytesIO(source.read(limits.max_total_bytes + 1))
    else:
        raise ImageFolderError("Give the pictures as a zip file (bytes, a path or an open "
                               "file) or as a folder.")
    try:
        zf = _open_zip(stream, limits)
        with zf:
            files, folders = _scan_zip(zf, limits, skipped)
            return _assemble(files, folders, skipped, "zip", size, max_images, max_per_class,
                             limits)
    finally:
        if stream is not source:
            stream.close()


# ---- sources: a zip or a folder, as a list of files with a way to read each -------------

@dataclass(frozen=True)
class _File:
    parts: tuple[str, ...]  # the path's names, NFC-normalised, no "", "." or ".."
    read: Callable[[], bytes]  # the bytes, at most limits.max_file_bytes (else _TooLarge)
    problem: str | None = None  # a reason known before reading (too large, locked, ...)


class _TooLarge(Exception):
    pass


def _image_size(image_size) -> tuple[int, int]:
    try:
        if isinstance(image_size, bool):
            raise TypeError
        if isinstance(image_size, int | np.integer):
            height = width = operator.index(image_size)
        else:
            height, width = (operator.index(side) for side in image_size)
    except (TypeError, ValueError):
        raise ValueError(f"image_size must be a whole number or a (height, width) pair, not "
                         f"{image_size!r}.") from None
    if not (1 <= height <= MAX_IMAGE_SIDE and 1 <= width <= MAX_IMAGE_SIDE):
        raise ValueError(f"image_size sides must be 1 to {MAX_IMAGE_SIDE} pixels, not "
                         f"{height}x{width}.")
    return height, width


def _name_parts(name: str) -> tuple[str, tuple[str, ...]]:
    """("ok" | "ignored" | "unsafe", parts) for a path as the archive or folder spells it."""
    if "\\" in name or name.startswith("/") or _DRIVE.match(name):
        return "unsafe", ()
    parts = tuple(unicodedata.normalize("NFC", p) for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        return "unsafe", ()
    if not parts or any(p.startswith(".") or p.lower() in _IGNORED_NAMES for p in parts):
        return "ignored", ()
    return "ok", parts


def _directory_size(stream: BinaryIO) -> tuple[int, int] | None:
    """(entries, bytes) of a zip's central directory from its end record, read without
    parsing the directory itself; None when there is no end record (not a zip)."""
    stream.seek(0, io.SEEK_END)
    end = stream.tell()
    tail_length = min(end, 22 + 65_535)  # the end record, after at most a 64 KB comment
    stream.seek(end - tail_length)
    tail = stream.read(tail_length)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    entries, size = struct.unpack_from("<HI", tail, at + 10)
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and at >= 20 \
            and tail[at - 20:at - 16] == b"PK\x06\x07":  # ZIP64: the real counts are elsewhere
        (offset,) = struct.unpack_from("<Q", tail, at - 20 + 8)
        stream.seek(offset)
        record = stream.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            entries, size = struct.unpack_from("<QQ", record, 32)
    return entries, size


def _open_zip(stream: BinaryIO, limits: ReadLimits) -> zipfile.ZipFile:
    not_zip = ImageFolderError("This file is not a zip archive we can open; zip a folder "
                               "that holds one folder of pictures per class.")
    try:
        listed = _directory_size(stream)
        if listed is None:
            raise not_zip
        entries, size = listed
        if entries > limits.max_entries:
            raise ImageFolderError(
                f"This zip lists {entries:,} files, more than the {limits.max_entries:,} it may "
                f"hold; use fewer pictures.")
        if size > limits.max_directory_bytes:
            raise ImageFolderError(f"This zip's list of files alone takes {_mb(size)}, more "
                                   f"than we read; use fewer pictures.")
        stream.seek(0)
        return zipfile.ZipFile(stream)
    except ImageFolderError:
        raise
    # A hostile or damaged zip can fail inside zipfile in many ways (BadZipFile, OSError,
    # EOFError, struct.error, an unsupported compression method); each is the same sentence.
    except Exception:
        raise not_zip from None


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; zips without the UTF-8 flag (macOS, Linux `zip`) often still hold
    UTF-8, which Python decodes as cp437: undo that when it gives valid UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeError):
            name = name.encode("cp437").decode("utf-8")
    return name


def _mb(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n / 1024:,.0f} KB"


def _scan_zip(zf: zipfile.ZipFile, limits: ReadLimits, skipped: Counter
              ) -> tuple[list[_File], set[tuple[str, ...]]]:
    """The zip's files and folders; refuses zip bombs from the declared sizes first."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ImageFolderError(f"This zip lists {len(infos):,} files, more than the "
                               f"{limits.max_entries:,} it may hold; use fewer pictures.")
    members = [info for info in infos if not info.is_dir()]
    for info in members:
        if info.file_size > limits.ratio_floor_bytes \
                and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ImageFolderError(
                f"This zip looks like a zip bomb (one file would grow from "
                f"{_mb(info.compress_size)} to {_mb(info.file_size)}), so it was not opened.")
    total = sum(info.file_size for info in members)
    if total > limits.max_total_bytes:
        raise ImageFolderError(f"This zip would unpack to {_mb(total)}, more than the "
                               f"{_mb(limits.max_total_bytes)} allowed; use fewer or smaller "
                               f"pictures.")
    files, folders = [], set()
    for info in infos:
        kind, parts = _name_parts(_member_name(info))
        if kind == "unsafe" and not info.is_dir():
            skipped[UNSAFE] += 1
        if kind != "ok":
            continue
        if info.is_dir():
            folders.add(parts)
            continue
        problem = None
        if info.flag_bits & 0x1:
            problem = LOCKED
        elif info.compress_type not in _READABLE_METHODS:
            problem = UNSUPPORTED
        elif info.file_size > limits.max_file_bytes:
            problem = TOO_LARGE
        files.append(_File(parts, _zip_reader(zf, info, limits), problem))
    return files, folders


def _zip_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits):
    def read() -> bytes:
        # zipfile stops at the declared size and then checks the CRC, so a member holding
        # more than it declares fails here instead of filling memory.
        with zf.open(info) as member:
            data = member.read(limits.max_file_bytes + 1)
        if len(data) > limits.max_file_bytes:
            raise _TooLarge
        return data
    return read


def _file_reader(path: Path, limits: ReadLimits):
    def read() -> bytes:
        with open(path, "rb") as f:
            data = f.read(limits.max_file_bytes + 1)
        if len(data) > limits.max_file_bytes:
            raise _TooLarge
        return data
    return read


def _scan_folder(root: Path, limits: ReadLimits, skipped: Counter
                 ) -> tuple[list[_File], set[tuple[str, ...]]]:
    """The folder's files and sub-folders; links out of the folder are counted, not followed."""
    base = root.resolve()
    files, folders = [], set()
    seen = 0

    def inside(path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(base)
        except (OSError, RuntimeError):  # a link loop leads nowhere safe
            return False

    for where, dirnames, filenames in os.walk(base, followlinks=False):
        here = Path(where)
        relative = here.relative_to(base).parts
        kept = []
        for name in sorted(dirnames):
            kind, parts = _name_parts("/".join((*relative, name)))
            if kind != "ok":
                continue
            if (here / name).is_symlink():  # never entered; one leading out is counted
                if not inside(here / name):
                    skipped[UNSAFE] += 1
                continue
            kept.append(name)
            folders.add(parts)
        dirnames[:] = kept
        seen += len(kept) + len(filenames)
        if seen > limits.max_entries:
            raise ImageFolderError(f"This folder holds more than {limits.max_entries:,} files "
                                   f"and folders; use fewer pictures.")
        for name in sorted(filenames):
            kind, parts = _name_parts("/".join((*relative, name)))
            if kind != "ok":
                continue
            path = here / name
            if path.is_symlink() and not inside(path):
                skipped[UNSAFE] += 1
                continue
            try:
                info = path.stat()
            except OSError:  # a broken link, or gone since the walk
                files.append(_File(parts, _file_reader(path, limits), DAMAGED))
                continue
            problem = None
            if not stat.S_ISREG(info.st_mode):  # a pipe or device would block or never end
                problem = NOT_PICTURE
            elif info.st_size > limits.max_file_bytes:
                problem = TOO_LARGE
            files.append(_File(parts, _file_reader(path, limits), problem))
    return files, folders


# ---- from files to arrays -----------------------------------------------------------------

def _strip_wrappers(files: list[_File], folders: set[tuple[str, ...]]
                    ) -> tuple[list[_File], set[tuple[str, ...]]]:
    """Look through single folders that wrap everything, while they hold sub-folders."""
    for _ in range(16):
        tops = {f.parts[0] for f in files} | {d[0] for d in folders}
        if len(tops) != 1 or any(len(f.parts) == 1 for f in files):
            break
        holds_folders = any(len(f.parts) > 2 for f in files) or any(len(d) > 1 for d in folders)
        if not holds_folders:
            break
        files = [_File(f.parts[1:], f.read, f.problem) for f in files]
        folders = {d[1:] for d in folders if len(d) > 1}
    return files, folders


def _quotas(counts: list[int], budget: int, per_class: int | None) -> list[int]:
    """As many from each class as possible, sharing `budget` as evenly as the counts allow."""
    wanted = [min(c, per_class) if per_class else c for c in counts]
    if sum(wanted) <= budget:
        return wanted
    low, high = 0, max(wanted)  # the largest equal share that fits
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(w, mid) for w in wanted) <= budget:
            low = mid
        else:
            high = mid - 1
    quotas = [min(w, low) for w in wanted]
    spare = budget - sum(quotas)
    for i, w in enumerate(wanted):  # what is left over: one more for the first few classes
        if spare and w > quotas[i]:
            quotas[i] += 1
            spare -= 1
    return quotas


def decode_picture(data: bytes, size: tuple[int, int]) -> np.ndarray | str:
    """The picture at `size` (height, width) as uint8 RGB, or the reason it is skipped (one of
    the module's reasons: NOT_PICTURE, TOO_LARGE, DAMAGED). Squashed, not cropped: a learner's
    photo keeps everything in it, as Keras' image_dataset_from_directory does by default."""
    try:
        side = max(size)
        image = load_image(data, draft=(side, side))
    except ImageError as err:
        return _IMAGE_REASONS.get(err.reason, DAMAGED)
    except Exception:  # whatever else a decoder raises on a crafted file: it is damaged
        return DAMAGED
    return np.ascontiguousarray(resize_to(image, *size), dtype=np.uint8)


def _layout_error(what: str, files: list[_File], classes: dict[str, list[_File]]) -> None:
    """Refuse a layout that is not 2 to 10 class folders, before reading any picture."""
    with_pictures = sorted(c for c, members in classes.items()
                           if any(f.parts[-1].lower().endswith(PICTURE_SUFFIXES)
                                  for f in members))
    if not classes:
        loose = any(len(f.parts) == 1 and f.parts[0].lower().endswith(PICTURE_SUFFIXES)
                    for f in files)
        if loose:
            raise ImageFolderError(
                f"The pictures in this {what} are not in class folders; put each class's "
                f"pictures in its own folder named after the class (for example cats/ and "
                f"dogs/).")
        raise ImageFolderError(
            f"This {what} holds no pictures; put each class's pictures (JPG, PNG, WebP, BMP, "
            f"TIFF or GIF) in its own folder named after the class.")
    if len(classes) == 1:
        (name,) = classes
        raise ImageFolderError(
            f"This {what} has only one class folder with files in it ({name}); a classifier "
            f"needs at least {MIN_CLASSES} classes, each in its own folder.")
    if len(with_pictures) > MAX_CLASSES:
        _too_many(what, len(with_pictures))


def _too_many(what: str, n: int) -> None:
    raise ImageFolderError(
        f"This {what} has {n} class folders with pictures, but at most {MAX_CLASSES} classes "
        f"can be trained here; remove {n - MAX_CLASSES} of them.")


def _assemble(files: list[_File], folders: set[tuple[str, ...]], skipped: Counter, what: str,
              size: tuple[int, int], max_images: int, max_per_class: int | None,
              limits: ReadLimits) -> ImageFolders:
    files, folders = _strip_wrappers(files, folders)
    classes: dict[str, list[_File]] = {}
    for f in files:
        if len(f.parts) == 1:  # beside the class folders: never read
            picture = f.parts[0].lower().endswith(PICTURE_SUFFIXES)
            skipped[OUTSIDE if picture else NOT_PICTURE] += 1
        else:
            classes.setdefault(f.parts[0], []).append(f)
    _layout_error(what, files, classes)
    empty = {d[0] for d in folders} - set(classes)
    if len(classes) > max_images:
        raise ImageFolderError(f"At most {max_images} pictures cannot cover {len(classes)} "
                               f"classes; allow at least one picture a class.")

    order = sorted(classes)
    queues = []
    rng = np.random.default_rng(config.SEED)
    for name in order:
        members = sorted(classes[name], key=lambda f: f.parts)
        for f in members:
            if f.problem:
                skipped[f.problem] += 1
        readable = [f for f in members if not f.problem]
        queues.append([readable[i] for i in rng.permutation(len(readable))])
    quotas = _quotas([len(q) for q in queues], max_images, max_per_class)

    pictures: dict[str, list[tuple[str, np.ndarray]]] = {name: [] for name in order}
    capped = False
    read_bytes = 0
    with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
        for name, queue, quota in zip(order, queues, quotas, strict=True):
            got, at = pictures[name], 0
            while len(got) < quota and at < len(queue):
                batch = queue[at:at + min(_BATCH, quota - len(got))]
                at += len(batch)
                blobs = []
                for f in batch:
                    try:
                        blobs.append(f.read())
                    except _TooLarge:
                        skipped[TOO_LARGE] += 1
                        blobs.append(None)
                        continue
                    except Exception:  # any member that cannot be read is damaged, alone
                        skipped[DAMAGED] += 1
                        blobs.append(None)
                        continue
                    read_bytes += len(blobs[-1])
                    if read_bytes > limits.max_total_bytes:
                        raise ImageFolderError(
                            f"This {what} holds more than the {_mb(limits.max_total_bytes)} "
                            f"it may unpack to, so it was not read further.")
                decoded = pool.map(lambda b: None if b is None else decode_picture(b, size),
                                   blobs)
                for f, result in zip(batch, decoded, strict=True):
                    if isinstance(result, str):
                        skipped[result] += 1
                    elif result is not None:
                        got.append(("/".join(f.parts), result))
            capped = capped or at < len(queue)

    usable = [name for name in order if pictures[name]]
    empty |= set(order) - set(usable)
    if not usable:
        reasons = ", ".join(f"{skipped[r]:,} {_LABELS[r][skipped[r] != 1]}"
                            for r in _LABELS if skipped[r])
        raise ImageFolderError(f"None of the files in this {what}'s class folders could be "
                               f"read as pictures{f' ({reasons})' if reasons else ''}.")
    if len(usable) == 1:
        raise ImageFolderError(
            f"Only one class folder ({usable[0]}) has pictures we could read; a classifier "
            f"needs at least {MIN_CLASSES} classes, each in its own folder.")
    if len(usable) > MAX_CLASSES:
        _too_many(what, len(usable))

    names, images, labels = [], [], []
    for label, name in enumerate(usable):
        for path, image in sorted(pictures[name], key=lambda item: item[0]):
            names.append(path)
            images.append(image)
            labels.append(label)
    x = np.stack(images).astype(np.uint8, copy=False)
    y = np.asarray(labels, dtype=np.int64)
    return ImageFolders(
        x=x, y=y, class_names=list(usable), names=names,
        skipped={reason: skipped[reason] for reason in _LABELS if skipped[reason]},
        empty_classes=sorted(empty), capped=capped, found=sum(len(q) for q in classes.values()),
        duplicates=duplicate_pairs(x, y, names),
    )


def duplicate_pairs(x: np.ndarray, y: np.ndarray, names: list[str]) -> list[tuple[str, str]]:
    """(first seen, other) name pairs of identical pictures with different labels."""
    first: dict[bytes, int] = {}
    pairs = []
    for i in range(len(x)):
        key = hashlib.blake2b(x[i].tobytes(), digest_size=16).digest()
        j = first.setdefault(key, i)
        if y[j] != y[i]:
            pairs.append((names[j], names[i]))
    return pairs
