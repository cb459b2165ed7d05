"""cnn_core.data.datasets: every source on tiny fake files, their order, the bundled fallback, no
downloads offline, no Keras in the caller's process, the real shared data, and the subsets."""

from __future__ import annotations

import gzip
import os
import pickle
import socket
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from cnn_core import config
from cnn_core.data import formats as files
from cnn_core.data.datasets import (
    DATASETS,
    Dataset,
    DatasetUnavailable,
    class_counts,
    load_dataset,
    locate_dataset,
    make_imbalanced,
    subsample,
)
from cnn_core.jobs import dataset_download

REPO_ROOT = Path(__file__).resolve().parents[3]
MNIST_COUNTS = np.array([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])


# ---- fake data in the real layouts ----------------------------------------------------------

def fake(shape, n_train=30, n_test=20, seed=0):
    """Random images; label i % 10, so every class is present."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
            (np.arange(n_train) % 10).astype(np.uint8),
            rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
            (np.arange(n_test) % 10).astype(np.uint8))


def write_npz(path: Path, arrays) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **dict(zip(files.KEYS, arrays, strict=True)))
    return path


def write_idx(folder: Path, arrays, gz=True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = arrays
    for stem, a in zip(files.IDX_FILES, (x_train, y_train, x_test, y_test), strict=True):
        data = struct.pack(">HBB", 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
        data += a.tobytes()
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return folder


def write_cifar_pickles(folder: Path, arrays) -> Path:
    """The Python-pickle batches of cifar-10-python.tar.gz: 5 train batches and a test batch."""
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = arrays
    parts = list(zip(np.array_split(x_train, 5), np.array_split(y_train, 5), strict=True))
    for name, (x, y) in zip(files.CIFAR_BATCHES, [*parts, (x_test, y_test)], strict=True):
        batch = {b"batch_label": b"fake", b"labels": [int(v) for v in y],
                 b"data": x.transpose(0, 3, 1, 2).reshape(len(x), 3072)}
        # Protocol 4 rebuilds arrays with the same numpy globals as the Python 2 originals.
        (folder / name).write_bytes(pickle.dumps(batch, protocol=4))
    return folder


def flat_image(value: int) -> np.ndarray:
    return np.full((32, 32, 3), value, np.uint8)


def cifar_tree_files(per_class=(3, 2)):
    """{member name: jpg bytes}; each image is flat grey 20*class + 5*index + 30, so its
    pixels tell its class. Written in a scrambled order on purpose."""
    out = {}
    for split, n in zip(("test", "train"), per_class, strict=True):
        for c in (9, 2, 0, 5, 1, 3, 4, 6, 7, 8):
            for i in range(n):
                ok, jpg = cv2.imencode(".jpg", flat_image(20 * c + 5 * i + 30))
                out[f"{split}/{config.CIFAR10_CLASSES[c]}/{i:04d}.jpg"] = jpg.tobytes()
    return out


def write_cifar_zip(path: Path, members=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in (members or cifar_tree_files()).items():
            zf.writestr(name, data)
    return path


def write_cifar_tree(folder: Path) -> Path:
    for name, data in cifar_tree_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def same(dataset: Dataset, arrays) -> bool:
    got = (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
    return all(np.array_equal(a, b) for a, b in zip(got, arrays, strict=True))


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Empty data folder, Keras home, cache and Debian folder; offline; network and
    subprocesses fail the test if touched."""
    dirs = SimpleNamespace(data=tmp_path / "data", keras=tmp_path / "keras" / "datasets",
                           cache=tmp_path / "cache", debian=tmp_path / "debian")
    dirs.data.mkdir()
    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(dirs.data))
    monkeypatch.setenv("KERAS_HOME", str(dirs.keras.parent))
    monkeypatch.setenv("CNN_CLASSROOM_CACHE", str(dirs.cache))
    monkeypatch.setenv("CNN_CLASSROOM_OFFLINE", "1")
    monkeypatch.setattr(config, "DEBIAN_FASHION_MNIST_DIR", dirs.debian)

    def forbidden(*args, **kwargs):
        pytest.fail(f"tried to reach the network or start a process: {args}")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(subprocess, "run", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    return dirs


# ---- registry and objects -------------------------------------------------------------------

def test_registry_describes_the_three_data_sets():
    assert list(DATASETS) == ["mnist", "fashion_mnist", "cifar10"]
    assert [i.title for i in DATASETS.values()] == ["MNIST", "Fashion-MNIST", "CIFAR-10"]
    assert DATASETS["mnist"].image_shape == (28, 28)
    assert DATASETS["cifar10"].image_shape == (32, 32, 3)
    assert list(DATASETS["fashion_mnist"].class_names) == config.FASHION_MNIST_CLASSES
    assert (DATASETS["cifar10"].n_train, DATASETS["cifar10"].n_test) == (50_000, 10_000)
    for info in DATASETS.values():
        for text in (info.description, info.how_to_get):
            assert text.endswith(".") and text.count(". ") == 0
        assert "CNN_CLASSROOM_DATA" in info.how_to_get and "MB" in info.how_to_get
    with pytest.raises(AttributeError):
        DATASETS["mnist"].title = "x"


def test_unknown_name_is_a_plain_value_error(env):
    with pytest.raises(ValueError, match="no data set called 'svhn'"):
        load_dataset("svhn")
    with pytest.raises(ValueError, match="choose one of mnist"):
        locate_dataset("svhn")


def test_local_mnist_npz_loads_read_only_with_a_short_repr(env):
    arrays = fake((28, 28))
    path = write_npz(env.data / "mnist.npz", arrays)
    ds = load_dataset("mnist")
    assert same(ds, arrays) and ds.x_train.dtype == ds.y_train.dtype == np.uint8
    assert ds.source.kind == "local" and ds.source.path == str(path)
    assert ds.source.description == f"local data folder ({path})"
    assert locate_dataset("mnist") == ds.source
    assert ds.class_names == config.MNIST_CLASSES and ds.num_classes == 10
    assert ds.info is DATASETS["mnist"]
    assert not ds.x_train.flags.writeable and not ds.y_test.flags.writeable
    text = repr(ds)
    assert "(30, 28, 28)" in text and "local data folder" in text and len(text) < 200


def test_labels_stored_as_a_column_are_flattened(env):
    x_train, y_train, x_test, y_test = fake((28, 28))
    write_npz(env.data / "mnist.npz", (x_train, y_train[:, None], x_test, y_test[:, None]))
    ds = load_dataset("mnist")
    assert ds.y_train.shape == (30,) and np.array_equal(ds.y_train, y_train)


@pytest.mark.parametrize("where", ["data/fashion-mnist", "data", "debian"])
@pytest.mark.parametrize("gz", [True, False])
def test_fashion_idx_files_in_each_local_place(env, where, gz):
    arrays = fake((28, 28), seed=1)
    folder = {"data/fashion-mnist": env.data / "fashion-mnist", "data": env.data,
              "debian": env.debian}[where]
    write_idx(folder, arrays, gz=gz)
    ds = load_dataset("fashion_mnist")
    assert same(ds, arrays) and ds.source.kind == "local" and ds.source.path == str(folder)
    assert ds.class_names == config.FASHION_MNIST_CLASSES
    if where == "debian":
        assert "Debian package dataset-fashion-mnist" in ds.source.description


def test_keras_cache_layouts(env):
    mnist = write_npz(env.keras / "mnist.npz", fake((28, 28), seed=2))
    write_idx(env.keras / "fashion-mnist", fake((28, 28), seed=3))
    cifar = fake((32, 32, 3), n_train=50, n_test=10, seed=4)
    batches = write_cifar_pickles(
        env.keras / "cifar-10-batches-py-target" / "cifar-10-batches-py", cifar)
    for name, path in [("mnist", mnist), ("fashion_mnist", env.keras / "fashion-mnist"),
                       ("cifar10", batches)]:
        ds = load_dataset(name)
        assert ds.source.kind == "keras_cache" and ds.source.path == str(path), name
        assert "Keras download cache" in ds.source.description
        assert locate_dataset(name) == ds.source
    ds = load_dataset("cifar10")
    assert same(ds, cifar), "channels-last, in batch order"
    assert ds.x_train.shape == (50, 32, 32, 3) and ds.x_train.flags.c_contiguous


def test_keras_2_cifar_folder_is_read_too(env):
    cifar = fake((32, 32, 3), n_train=10, n_test=5, seed=5)
    write_cifar_pickles(env.keras / "cifar-10-batches-py", cifar)
    assert same(load_dataset("cifar10"), cifar)


def test_a_pickle_that_would_run_code_is_refused(env, tmp_path):
    folder = write_cifar_pickles(env.keras / "cifar-10-batches-py",
                                 fake((32, 32, 3), n_train=10, n_test=5))
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": os.system}, protocol=4))
    with pytest.raises(files.DatasetFileError, match="not a CIFAR-10 batch"):
        files.read_cifar_batches(folder)
    with pytest.raises(DatasetUnavailable):
        load_dataset("cifar10")


def check_cifar_folder_dataset(ds):
    """Labels follow the class folders; the order is a fixed shuffle, not class by class."""
    assert ds.x_train.shape == (20, 32, 32, 3) and ds.x_test.shape == (30, 32, 32, 3)
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        assert np.array_equal(class_counts(y, 10), np.full(10, len(y) // 10))
        assert abs(x.astype(int).mean(axis=(1, 2, 3)) - (20 * y + 30)).max() <= 12
        assert not np.all(np.diff(y.astype(int)) >= 0)
    assert ds.class_names == config.CIFAR10_CLASSES


def test_cifar_zip_decodes_once_then_reads_the_cache(env, monkeypatch):
    path = write_cifar_zip(env.data / "cifar10_jpg.zip")
    first = load_dataset("cifar10")
    check_cifar_folder_dataset(first)
    assert first.source.kind == "local" and first.source.path == str(path)
    cached = list(env.cache.glob("*.npz"))
    assert len(cached) == 1 and not list(env.cache.glob("*.tmp"))

    def no_decoding(*args):
        pytest.fail("decoded again instead of reading the cache")

    decoder = files.read_image_zip
    monkeypatch.setattr(files, "read_image_zip", no_decoding)
    again = load_dataset("cifar10")
    assert same(again, (first.x_train, first.y_train, first.x_test, first.y_test))
    assert not again.x_train.flags.writeable
    monkeypatch.setattr(files, "read_image_zip", decoder)
    # A changed zip (new size and mtime) is decoded again; its old cache goes away.
    members = cifar_tree_files()
    members["train/cat/0002.jpg"] = members["train/cat/0001.jpg"]
    members["train/dog/0002.jpg"] = members["train/dog/0001.jpg"]
    write_cifar_zip(path, members)
    os.utime(path, ns=(1, 1))
    changed = load_dataset("cifar10")
    assert len(changed.x_train) == 22
    assert [p.name for p in env.cache.glob("*.npz")] != [p.name for p in cached]
    assert len(list(env.cache.glob("*.npz"))) == 1


def test_cache_write_failures_still_return_the_data(env, monkeypatch):
    write_cifar_zip(env.data / "cifar10_jpg.zip")

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    savez = np.savez
    monkeypatch.setattr(np, "savez", disk_full)
    check_cifar_folder_dataset(load_dataset("cifar10"))
    assert list(env.cache.iterdir()) == [], "no half-written cache left behind"
    monkeypatch.setattr(np, "savez", savez)
    env.cache.rmdir()
    env.cache.write_text("a file where the cache folder should be")
    monkeypatch.setenv("CNN_CLASSROOM_CACHE", str(env.cache / "sub"))
    check_cifar_folder_dataset(load_dataset("cifar10"))


def test_cifar_unzipped_tree(env):
    tree = write_cifar_tree(env.data / "cifar10")
    ds = load_dataset("cifar10")
    check_cifar_folder_dataset(ds)
    assert ds.source.path == str(tree) and locate_dataset("cifar10") == ds.source


def test_a_wrongly_sized_or_unknown_image_folder_is_skipped(env):
    members = cifar_tree_files()
    ok, big = cv2.imencode(".jpg", np.zeros((40, 32, 3), np.uint8))
    members["train/cat/0009.jpg"] = big.tobytes()
    write_cifar_zip(env.data / "cifar10_jpg.zip", members)
    with pytest.raises(files.DatasetFileError, match="train/cat/0009.jpg is 32x40"):
        files.read_image_zip(env.data / "cifar10_jpg.zip", config.CIFAR10_CLASSES, (32, 32, 3))
    members = cifar_tree_files()
    members["train/unicorn/0000.jpg"] = members["train/cat/0000.jpg"]
    write_cifar_zip(env.data / "cifar10_jpg.zip", members)
    fallback = fake((32, 32, 3), n_train=10, n_test=5)
    write_cifar_pickles(env.keras / "cifar-10-batches-py", fallback)
    ds = load_dataset("cifar10")
    assert ds.source.kind == "keras_cache" and same(ds, fallback)


# ---- order of sources -----------------------------------------------------------------------

def test_mnist_source_order_local_then_keras_cache_then_bundled(env):
    local = write_npz(env.data / "mnist.npz", fake((28, 28), seed=1))
    cache = write_npz(env.keras / "mnist.npz", fake((28, 28), seed=2))
    for expected in ("local", "keras_cache", "bundled"):
        ds = load_dataset("mnist")
        assert ds.source.kind == expected and locate_dataset("mnist") == ds.source
        (local if expected == "local" else cache).unlink(missing_ok=True)


def test_fashion_source_order(env):
    places = [env.data / "fashion-mnist", env.data, env.debian, env.keras / "fashion-mnist"]
    for seed, folder in enumerate(places):
        write_idx(folder, fake((28, 28), seed=seed))
    for folder in places:
        ds = load_dataset("fashion_mnist")
        assert ds.source.path == str(folder) and locate_dataset("fashion_mnist") == ds.source
        for f in folder.glob("*.gz"):
            f.unlink()
    assert locate_dataset("fashion_mnist") is None


def test_cifar_source_order_zip_then_tree_then_keras(env):
    zip_path = write_cifar_zip(env.data / "cifar10_jpg.zip")
    tree = write_cifar_tree(env.data / "cifar10")
    write_cifar_pickles(env.keras / "cifar-10-batches-py", fake((32, 32, 3), 10, 5))
    assert load_dataset("cifar10").source.path == str(zip_path)
    zip_path.unlink()
    assert load_dataset("cifar10").source.path == str(tree)
    (tree / "train").rename(tree / "old")
    assert load_dataset("cifar10").source.kind == "keras_cache"


def test_a_broken_local_file_falls_through_to_the_next_source(env, caplog):
    (env.data / "mnist.npz").write_bytes(b"not a zip")
    arrays = fake((28, 28), seed=3)
    write_npz(env.keras / "mnist.npz", arrays)
    ds = load_dataset("mnist")
    assert ds.source.kind == "keras_cache" and same(ds, arrays)
    assert "Skipping local data folder" in caplog.text
    for bad in (fake((32, 32)), fake((28, 28))[:3] + (np.full(20, 10, np.uint8),),
                tuple(a.astype(np.float32) for a in fake((28, 28)))):
        write_npz(env.keras / "mnist.npz", bad)  # wrong size, label 10, float images
        assert load_dataset("mnist").source.kind == "bundled"


# ---- bundled subset, and when there is nothing ------------------------------------------------

def test_bundled_subset_is_real_mnist(env, shared_data):
    ds = load_dataset("mnist")
    assert ds.source.kind == "bundled" and ds.source.path == str(config.BUNDLED_MNIST)
    assert ds.source.description == "bundled subset of MNIST (offline fallback)"
    assert ds.source.known_counts == (len(ds.y_train), len(ds.y_test))  # what the home page says
    assert ds.x_train.shape == (6000, 28, 28) and ds.x_test.shape == (1000, 28, 28)
    assert np.abs(class_counts(ds.y_train, 10) - MNIST_COUNTS / 10).max() <= 1
    assert class_counts(ds.y_test, 10).min() >= 85
    assert 0.12 < ds.x_train.mean() / 255 < 0.14
    # Every bundled digit is a row of the full set, with its label.
    full = files.read_npz(shared_data / "mnist.npz")
    for x, y, fx, fy in ((ds.x_train, ds.y_train, full[0], full[1]),
                         (ds.x_test, ds.y_test, full[2], full[3])):
        index = {img.tobytes(): label for img, label in zip(fx, fy, strict=True)}
        assert all(index.get(img.tobytes()) == label for img, label in zip(x, y, strict=True))
    assert config.BUNDLED_MNIST.stat().st_size < 3_000_000


@pytest.mark.parametrize("name", ["fashion_mnist", "cifar10"])
def test_nothing_anywhere_gives_one_plain_sentence(env, name):
    assert locate_dataset(name) is None
    with pytest.raises(DatasetUnavailable) as err:
        load_dataset(name)
    message = str(err.value)
    assert isinstance(err.value, ValueError)
    assert message.startswith(f"{DATASETS[name].title} is not on this computer: connect to")
    assert message.endswith(f"(the data folder is now {env.data}).")
    assert message.count(". ") == 0 and "\n" not in message and "CNN_CLASSROOM_DATA" in message


def test_mnist_without_the_bundled_file_is_unavailable(env, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "BUNDLED_MNIST", tmp_path / "missing.npz")
    assert locate_dataset("mnist") is None
    with pytest.raises(DatasetUnavailable, match="^MNIST is not on this computer"):
        load_dataset("mnist")


# ---- downloads --------------------------------------------------------------------------------

def test_offline_never_downloads(env):
    """The env fixture fails the test on any socket or subprocess use."""
    for download in (None, True):
        assert dataset_download.downloads_allowed(download) is False
        with pytest.raises(DatasetUnavailable):
            load_dataset("cifar10", download=download)
    assert load_dataset("mnist", download=True).source.kind == "bundled"


def test_download_false_wins_when_online(env, monkeypatch):
    monkeypatch.delenv("CNN_CLASSROOM_OFFLINE")
    assert dataset_download.downloads_allowed(None)
    assert not dataset_download.downloads_allowed(False)
    with pytest.raises(DatasetUnavailable, match="is not on this computer"):
        load_dataset("cifar10", download=False)


@pytest.fixture
def online(env, monkeypatch):
    """Downloads allowed, the host 'reachable', and subprocess.run recorded instead of run."""
    monkeypatch.delenv("CNN_CLASSROOM_OFFLINE")
    monkeypatch.setattr(dataset_download, "_host_reachable", lambda host, timeout: True)
    env.calls = []
    return env


def test_download_runs_keras_in_a_subprocess_then_reads_its_cache(online, monkeypatch):
    arrays = fake((28, 28), seed=7)

    def fake_run(cmd, **kwargs):
        online.calls.append((cmd, kwargs))
        write_npz(online.keras / "mnist.npz", arrays)
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    ds = load_dataset("mnist")
    assert ds.source.kind == "download" and same(ds, arrays)
    assert ds.source.path == str(online.keras / "mnist.npz")
    assert ds.source.description.startswith("Keras download cache, just downloaded")
    (cmd, kwargs), = online.calls
    assert cmd[0] == sys.executable and "keras.datasets.mnist.load_data()" in cmd[-1]
    assert kwargs["timeout"] >= config.DOWNLOAD_TIMEOUT_S
    # Next time the Keras cache is found without downloading.
    assert load_dataset("mnist").source.kind == "keras_cache" and len(online.calls) == 1


def test_unreachable_host_skips_the_download(online, monkeypatch):
    monkeypatch.setattr(dataset_download, "_host_reachable", lambda host, timeout: False)
    assert load_dataset("mnist").source.kind == "bundled"  # subprocess.run would fail the test
    with pytest.raises(DatasetUnavailable, match="^CIFAR-10 could not be found or downloaded"):
        load_dataset("cifar10")


def test_a_download_cut_off_by_the_time_limit_is_removed(online, monkeypatch):
    def slow_run(cmd, **kwargs):
        (online.keras / "mnist.npz").parent.mkdir(parents=True)
        (online.keras / "mnist.npz").write_bytes(b"PK half a file")
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", slow_run)
    assert load_dataset("mnist").source.kind == "bundled"
    assert not (online.keras / "mnist.npz").exists()


def test_a_failed_download_falls_back(online, monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 1, "", "Exception: URL fetch failure"))
    assert load_dataset("mnist").source.kind == "bundled"


def test_host_check_gives_up_quickly_when_offline(monkeypatch):
    def refused(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.setattr(socket, "create_connection", refused)
    assert dataset_download._host_reachable("storage.googleapis.com", 3.0) is False


def test_loading_never_imports_keras_tensorflow_or_streamlit():
    code = ("import sys; from cnn_core.data.datasets import load_dataset, locate_dataset\n"
            "for name in ('mnist', 'fashion_mnist', 'cifar10'):\n"
            "    locate_dataset(name)\n"
            "print(load_dataset('mnist').source.kind)\n"
            "print(sorted(m for m in ('keras', 'tensorflow', 'streamlit') if m in sys.modules))")
    env = dict(os.environ, CNN_CLASSROOM_OFFLINE="1", PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.splitlines()[-1] == "[]", done.stdout + done.stderr


# ---- the real shared data -------------------------------------------------------------------

def test_real_mnist(shared_data, monkeypatch):
    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(shared_data))
    ds = load_dataset("mnist")
    assert ds.source.path == str(shared_data / "mnist.npz")
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert ds.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.array_equal(class_counts(ds.y_train, 10), MNIST_COUNTS)


def test_real_fashion_mnist_from_debian(tmp_path, monkeypatch):
    if files.idx_files(config.DEBIAN_FASHION_MNIST_DIR) is None:
        pytest.skip("apt-get install dataset-fashion-mnist to run this")
    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(tmp_path))
    ds = load_dataset("fashion_mnist", download=False)
    assert ds.source.path == str(config.DEBIAN_FASHION_MNIST_DIR)
    assert ds.x_train.shape == (60000, 28, 28) and ds.x_test.shape == (10000, 28, 28)
    assert np.array_equal(class_counts(ds.y_test, 10), np.full(10, 1000))


def test_real_cifar10_from_the_shared_zip(shared_data, tmp_path, monkeypatch):
    if not (shared_data / "cifar10_jpg.zip").is_file():
        pytest.skip("no cifar10_jpg.zip in the shared data")
    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(shared_data))
    monkeypatch.setenv("CNN_CLASSROOM_CACHE", str(tmp_path))  # the real first decode (~3 s)
    ds = load_dataset("cifar10")
    assert ds.x_train.shape == (50000, 32, 32, 3) and ds.x_test.shape == (10000, 32, 32, 3)
    means = ds.x_train.reshape(-1, 3).mean(axis=0) / 255
    assert np.allclose(means, [0.491, 0.482, 0.447], atol=0.002)
    assert np.array_equal(class_counts(ds.y_train, 10), np.full(10, 5000))
    # The last 10% holds every class, so Keras' validation_split is fair.
    assert class_counts(ds.y_train[-5000:], 10).min() > 400
    cached = load_dataset("cifar10")
    assert np.array_equal(cached.x_test, ds.x_test) and np.array_equal(cached.y_train, ds.y_train)


# ---- subsets -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mnist_labels() -> np.ndarray:
    """Full MNIST's training labels when the shared data is there, else the bundled subset's."""
    shared = REPO_ROOT.parent / "shared" / "data" / "mnist.npz"
    return files.read_npz(shared if shared.is_file() else config.BUNDLED_MNIST)[1]


def test_subsample_is_stratified_exact_and_deterministic(mnist_labels):
    x = np.arange(len(mnist_labels))
    share = class_counts(mnist_labels, 10) / len(mnist_labels)
    for n in (10, 137, 1000, 5000):
        xs, ys = subsample(x, mnist_labels, n, seed=3)
        assert len(xs) == len(ys) == n and len(np.unique(xs)) == n
        assert np.array_equal(mnist_labels[xs], ys)
        assert np.abs(class_counts(ys, 10) - share * n).max() < 1
    a, b, c = (subsample(x, mnist_labels, 500, seed=s)[0] for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert not np.all(np.diff(a) > 0), "shuffled, not in file order"


def test_subsample_keeps_a_rare_class_and_returns_all_when_asked_for_more():
    y = np.array([0] * 995 + [1] * 5)
    x = np.zeros((1000, 2, 2))
    assert class_counts(subsample(x, y, 20)[1], 2).tolist() == [19, 1]
    assert class_counts(subsample(x, y, 2)[1], 2).tolist() == [1, 1]
    xs, ys = subsample(x, y, 1000)
    assert xs is x and ys is y


@pytest.mark.parametrize("bad", [0, -5, 2.5, "100", True])
def test_subsample_refuses_a_bad_size(bad):
    with pytest.raises(ValueError, match="whole number of at least 1"):
        subsample(np.zeros((10, 2)), np.zeros(10, int), bad)


def test_subsample_refuses_mismatched_labels():
    with pytest.raises(ValueError, match="one label per image"):
        subsample(np.zeros((10, 2)), np.zeros(9, int), 5)


def cifar_style_labels() -> np.ndarray:
    return np.random.default_rng(0).permutation(np.repeat(np.arange(10, dtype=np.uint8), 5000))


@pytest.mark.parametrize("fraction", [0.01, 0.05, 0.1, 0.5])
@pytest.mark.parametrize("task", ["mnist 8 vs rest", "cifar bird vs rest"])
def test_make_imbalanced_hits_the_share_and_keeps_all_it_can(fraction, task, mnist_labels):
    y, positive = ((mnist_labels, 8) if task.startswith("mnist")
                   else (cifar_style_labels(), config.CIFAR10_CLASSES.index("bird")))
    x = np.arange(len(y))
    xs, yb = make_imbalanced(x, y, positive, fraction, seed=1)
    assert yb.dtype == np.uint8 and set(np.unique(yb)) <= {0, 1}
    assert abs(yb.mean() - fraction) <= 0.01
    assert np.array_equal(yb, (y[xs] == positive).astype(np.uint8))
    assert len(np.unique(xs)) == len(xs)
    n_pos, n_neg = int(yb.sum()), int(len(yb) - yb.sum())
    assert n_pos == int((y == positive).sum()) or n_neg == int((y != positive).sum())
    again = make_imbalanced(x, y, positive, fraction, seed=1)
    assert np.array_equal(again[0], xs) and np.array_equal(again[1], yb)
    assert not np.array_equal(make_imbalanced(x, y, positive, fraction, seed=2)[0], xs)
    assert not np.all(np.diff(xs) > 0), "shuffled"


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1, float("nan")])
def test_make_imbalanced_refuses_a_share_outside_0_1(fraction):
    with pytest.raises(ValueError, match="between 0 and 1"):
        make_imbalanced(np.zeros((10, 2)), np.arange(10) % 2, 1, fraction)


def test_make_imbalanced_refuses_a_missing_or_only_class():
    with pytest.raises(ValueError, match="no images of class 7"):
        make_imbalanced(np.zeros((10, 2)), np.arange(10) % 2, 7, 0.1)
    with pytest.raises(ValueError, match="no 'rest'"):
        make_imbalanced(np.zeros((10, 2)), np.ones(10, int), 1, 0.1)


def test_class_counts():
    assert class_counts(np.array([0, 2, 2, 9], np.uint8), 10).tolist() == [1, 0, 2] + [0] * 6 + [1]
    with pytest.raises(ValueError, match="between 0 and 2"):
        class_counts(np.array([3]), 3)
