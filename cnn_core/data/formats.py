"""Readers for the file layouts data sets come in, numpy/OpenCV only (no Keras, no Streamlit).

Every reader returns `Arrays`: (x_train, y_train, x_test, y_test) as uint8 numpy arrays,
images (N, H, W) or (N, H, W, 3), labels (N,). A file that is present but unusable raises
`DatasetFileError`; `cnn_core.data.datasets` then tries its next source.
"""

from __future__ import annotations

import gzip
import hashlib
import mmap
import os
import pickle
import struct
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from cnn_core import config

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# Bump when the decoded layout or order changes, so stale caches are ignored.
_CACHE_VERSION = 1


class DatasetFileError(ValueError):
    """A data file exists but cannot be read as the expected layout."""


# ---- Keras-style .npz ------------------------------------------------------------------

def read_npz(path: Path) -> Arrays:
    """Keras' mnist.npz layout: keys x_train, y_train, x_test, y_test; no pickles allowed."""
    try:
        with np.load(path, allow_pickle=False) as f:
            return tuple(f[key] for key in KEYS)  # type: ignore[return-value]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise DatasetFileError(f"{path} is not a readable Keras-style .npz file ({err}).") from err


def map_npz(path: Path) -> Arrays:
    """Like `read_npz` for an uncompressed .npz (np.savez), but memory-mapped: read-only
    arrays that cost nothing to open and share the page cache between processes."""
    try:
        with open(path, "rb") as f, zipfile.ZipFile(f) as zf:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            arrays = []
            for key in KEYS:
                info = zf.getinfo(f"{key}.npy")
                start = info.header_offset
                if info.compress_type != zipfile.ZIP_STORED or mm[start:start + 4] != b"PK\x03\x04":
                    raise ValueError("compressed member")
                name_len, extra_len = struct.unpack_from("<HH", mm, start + 26)
                f.seek(start + 30 + name_len + extra_len)
                major, _ = np.lib.format.read_magic(f)
                read_header = (np.lib.format.read_array_header_1_0 if major == 1
                               else np.lib.format.read_array_header_2_0)
                shape, fortran, dtype = read_header(f)
                if dtype.hasobject or fortran:
                    raise ValueError("not a plain C-order array")
                count = int(np.prod(shape))
                arrays.append(np.frombuffer(mm, dtype, count, f.tell()).reshape(shape))
            return tuple(arrays)  # type: ignore[return-value]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError, struct.error) as err:
        raise DatasetFileError(f"{path} is not an uncompressed .npz file ({err}).") from err


# ---- idx files (MNIST / Fashion-MNIST originals) ----------------------------------------

def idx_files(folder: Path) -> list[Path] | None:
    """The four idx files in `folder` (each `name.gz` or uncompressed `name`), or None."""
    found = []
    for stem in IDX_FILES:
        path = next((p for p in (folder / f"{stem}.gz", folder / stem) if p.is_file()), None)
        if path is None:
            return None
        found.append(path)
    return found


def _read_idx(path: Path) -> np.ndarray:
    """One idx file: magic 0x0000 08 <ndim>, ndim big-endian int32 sizes, then uint8 data."""
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        zero, dtype_code, ndim = struct.unpack_from(">HBB", data, 0)
        if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
            raise ValueError("wrong magic number")
        shape = struct.unpack_from(f">{ndim}I", data, 4)
        # A read-only view onto the decompressed bytes: no copy.
        return np.frombuffer(data, np.uint8, count=int(np.prod(shape)), offset=4 + 4 * ndim
                             ).reshape(shape)
    except (OSError, EOFError, ValueError, struct.error, gzip.BadGzipFile) as err:
        raise DatasetFileError(f"{path} is not a readable idx file ({err}).") from err


def read_idx_folder(folder: Path) -> Arrays:
    """The four original MNIST-format files in `folder` (as Keras' fashion_mnist reads them)."""
    paths = idx_files(folder)
    if paths is None:
        raise DatasetFileError(f"{folder} does not hold the four idx files.")
    x_train, y_train, x_test, y_test = (_read_idx(p) for p in paths)
    return x_train, y_train, x_test, y_test


# ---- CIFAR-10 python pickles (Keras cache) ----------------------------------------------

_PICKLE_GLOBALS = frozenset({
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
})


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and nothing else, as Keras does: a pickle cannot run code."""

    def find_class(self, module, name):
        if (module, name) in _PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def cifar_batches_present(folder: Path) -> bool:
    return all((folder / name).is_file() for name in CIFAR_BATCHES)


def read_cifar_batches(folder: Path) -> Arrays:
    """`cifar-10-batches-py/`: data_batch_1..5 and test_batch, each {b"data": (10000, 3072)
    uint8 channels-first rows, b"labels": list of int}; returned channels-last (N, 32, 32, 3)."""
    parts = []
    for name in CIFAR_BATCHES:
        try:
            with open(folder / name, "rb") as f:
                batch = _ArrayUnpickler(f, encoding="bytes").load()
            data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            labels = np.asarray(batch[b"labels"], dtype=np.uint8)
        except (OSError, EOFError, KeyError, TypeError, ValueError, pickle.UnpicklingError) as e:
            raise DatasetFileError(f"{folder / name} is not a CIFAR-10 batch ({e}).") from e
        parts.append((data, labels))
    train, test = parts[:-1], parts[-1]
    x_train = np.empty((sum(len(d) for d, _ in train), 32, 32, 3), np.uint8)
    start = 0
    for data, _ in train:  # one copy, straight into channels-last
        x_train[start:start + len(data)] = data.transpose(0, 2, 3, 1)
        start += len(data)
    y_train = np.concatenate([labels for _, labels in train])
    x_test = np.ascontiguousarray(test[0].transpose(0, 2, 3, 1))
    return x_train, y_train, x_test, test[1]


# ---- image-folder trees: split/<class>/NNNN.jpg, zipped or not ---------------------------

def _split_and_class(member: str) -> tuple[str, str] | None:
    parts = member.replace("\\", "/").split("/")
    if len(parts) < 3 or parts[0] == "__MACOSX" or not member.lower().endswith(IMAGE_SUFFIXES):
        return None
    if parts[-3] not in ("train", "test") or parts[-1].startswith("."):
        return None
    return parts[-3], parts[-2]


def _plan(names: Sequence[str], class_names: Sequence[str]) -> dict[str, tuple[list, np.ndarray]]:
    """For each split, the members in their final order (class by class, then a fixed
    shuffle) and their labels."""
    index = {c: i for i, c in enumerate(class_names)}
    per_split: dict[str, list[tuple[int, str]]] = {"train": [], "test": []}
    for name in names:
        where = _split_and_class(name)
        if where is None:
            continue
        split, cls = where
        if cls not in index:
            raise DatasetFileError(f"The folder {split}/{cls} is not one of the classes.")
        per_split[split].append((index[cls], name))
    plan = {}
    for split, items in per_split.items():
        if not items:
            raise DatasetFileError(f"There are no {split} images.")
        items.sort()
        order = np.random.default_rng(config.FOLDER_ORDER_SEED).permutation(len(items))
        plan[split] = ([items[i][1] for i in order],
                       np.array([items[i][0] for i in order], np.uint8))
    return plan


def _decode_all(blobs: Sequence, where: Sequence[str], shape: tuple[int, ...]) -> np.ndarray:
    """Decode encoded images (bytes-like) into one (N, *shape) uint8 array, RGB if colour.
    OpenCV releases the GIL while decoding, so threads use every core."""
    out = np.empty((len(blobs), *shape), np.uint8)
    flag = cv2.IMREAD_COLOR if len(shape) == 3 else cv2.IMREAD_GRAYSCALE

    def decode(indices: range) -> None:
        for i in indices:
            img = cv2.imdecode(np.frombuffer(blobs[i], np.uint8), flag)
            if img is None or img.shape != shape:
                got = "not an image" if img is None else f"{img.shape[1]}x{img.shape[0]}"
                raise DatasetFileError(f"{where[i]} is {got}, not a {shape[1]}x{shape[0]} image.")
            out[i] = img[:, :, ::-1] if img.ndim == 3 else img  # OpenCV gives BGR
    workers = max(1, min(8, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(decode, [range(k, len(blobs), workers) for k in range(workers)]))
    return out


def _zip_members(zf: zipfile.ZipFile, raw: bytes, names: Sequence[str]) -> list:
    """Members' bytes; stored (uncompressed) members are sliced straight out of the file."""
    view = memoryview(raw)
    blobs = []
    for name in names:
        info = zf.getinfo(name)
        start = info.header_offset
        if info.compress_type == zipfile.ZIP_STORED and raw[start:start + 4] == b"PK\x03\x04":
            name_len, extra_len = struct.unpack_from("<HH", raw, start + 26)
            start += 30 + name_len + extra_len
            blobs.append(view[start:start + info.compress_size])
        else:
            blobs.append(zf.read(info))
    return blobs


def read_image_zip(path: Path, class_names: Sequence[str], shape: tuple[int, ...]) -> Arrays:
    """A zip of train/<class>/*.jpg and test/<class>/*.jpg; label = position in class_names."""
    try:
        raw = path.read_bytes()
        with zipfile.ZipFile(path) as zf:
            plan = _plan(zf.namelist(), class_names)
            blobs = {s: _zip_members(zf, raw, plan[s][0]) for s in plan}
    except (OSError, zipfile.BadZipFile, KeyError) as err:
        raise DatasetFileError(f"{path} is not a readable zip file ({err}).") from err
    return (_decode_all(blobs["train"], plan["train"][0], shape), plan["train"][1],
            _decode_all(blobs["test"], plan["test"][0], shape), plan["test"][1])


def image_tree_present(folder: Path) -> bool:
    return (folder / "train").is_dir() and (folder / "test").is_dir()


def read_image_tree(folder: Path, class_names: Sequence[str], shape: tuple[int, ...]) -> Arrays:
    """The same tree as `read_image_zip`, unzipped in `folder`."""
    names = [str(p.relative_to(folder).as_posix()) for split in ("train", "test")
             for p in (folder / split).glob("*/*") if p.is_file()]
    plan = _plan(names, class_names)
    try:
        blobs = {s: [(folder / n).read_bytes() for n in plan[s][0]] for s in plan}
    except OSError as err:
        raise DatasetFileError(f"Cannot read the images in {folder} ({err}).") from err
    return (_decode_all(blobs["train"], plan["train"][0], shape), plan["train"][1],
            _decode_all(blobs["test"], plan["test"][0], shape), plan["test"][1])


# ---- decoded-array cache ----------------------------------------------------------------

def cache_key(path: Path) -> str:
    """Changes whenever the source changes: a file's size and mtime; for a folder tree, the
    mtimes of its split and class folders (they change when images are added or removed)."""
    if path.is_file():
        stat = path.stat()
        parts = [f"{stat.st_size}-{stat.st_mtime_ns}"]
    else:
        parts = [f"{p.relative_to(path)}-{p.stat().st_mtime_ns}"
                 for split in ("train", "test") for p in [path / split, *(path / split).glob("*")]]
    digest = hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]
    return f"v{_CACHE_VERSION}-{config.FOLDER_ORDER_SEED}-{digest}"


def cached(prefix: str, key: str, decode: Callable[[], Arrays]) -> Arrays:
    """`decode()` once, then read the arrays back from `<cache_dir>/<prefix>-<key>.npz`.
    Writes are atomic (temporary file, then os.replace); an unwritable cache is skipped."""
    folder = config.cache_dir()
    target = folder / f"{prefix}-{key}.npz"
    if target.is_file():
        try:
            return map_npz(target)
        except DatasetFileError:
            pass  # damaged: decode again and overwrite it
    arrays = decode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{prefix}-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **dict(zip(KEYS, arrays, strict=True)))
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for stale in folder.glob(f"{prefix}-*.npz"):  # older copies of a changed source
            if stale != target:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # read-only home or full disk: still correct, only slower next time
    return arrays
