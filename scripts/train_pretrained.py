"""Train the models the "Draw and predict" page ships with, and measure them.

    .venv/bin/python scripts/train_pretrained.py [path/to/mnist.npz]

Writes to assets/models/:
- mnist_cnn.keras: the `mnist_cnn` preset (two conv + pool blocks, dense 128), trained on all
  60,000 MNIST training digits until it reaches at least 99.0% test accuracy.
- mnist_dense.keras: a dense baseline (Flatten -> Dense 128 -> Dense 10) trained on the same
  centred digits, with no shifts: the "Shift it" lesson shows it falling apart off centre.
- pretrained.json: each model's measured test accuracy (on all 10,000 test digits), its
  training settings and file size, which the page shows.

Models are saved uncompiled, without optimizer state (only the weights are needed to
predict), which keeps mnist_cnn.keras under 2 MB. Without an argument the script reads
mnist.npz from the data folder (env CNN_CLASSROOM_DATA, else ../shared/data beside the
checkout). About three minutes on a 2-core laptop CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core import config  # noqa: E402
from cnn_core.data.formats import read_npz  # noqa: E402

TARGET_ACCURACY = 0.990   # the promise: the shipped CNN gets at least this on the test set
STOP_ACCURACY = 0.9915    # train a little past it, for a margin
MAX_EPOCHS = 10
# name -> (preset, settings, epochs at least, batch size)
PLANS = {
    config.PRETRAINED_CNN: ("mnist_cnn", {}, 4, 128),
    config.PRETRAINED_DENSE: ("dense_baseline", {"dense_units": 128}, 6, 128),
}


def default_source() -> Path:
    if os.environ.get(config.DATA_DIR_ENV):
        return config.data_dir() / "mnist.npz"
    return config.REPO_ROOT.parent / "shared" / "data" / "mnist.npz"


def slim_copy(model):
    """An uncompiled copy holding the trained weights, so no optimizer state is saved
    (`cnn_core.jobs.builder.load_pretrained` compiles it again after loading)."""
    copy = type(model).from_config(model.get_config())  # (keras' clone_model compiles it)
    copy.set_weights(model.get_weights())
    return copy


def train(name: str, x_train, y_train, x_test, y_test, seed: int, folder: Path) -> dict:
    import keras

    from cnn_core.jobs.builder import build_model

    preset, hparams, min_epochs, batch_size = PLANS[name]
    keras.utils.set_random_seed(seed)
    model = build_model(preset, (28, 28, 1), 10, **hparams)
    started = time.perf_counter()
    accuracy, epochs = 0.0, 0
    while epochs < MAX_EPOCHS:
        model.fit(x_train, y_train, batch_size=batch_size, epochs=1, verbose=0,
                  shuffle=True)
        epochs += 1
        _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
        print(f"{name}: epoch {epochs}, test accuracy {accuracy:.4f}", flush=True)
        if epochs >= min_epochs and (preset != "mnist_cnn" or accuracy >= STOP_ACCURACY):
            break
    seconds = time.perf_counter() - started
    path = folder / f"{name}.keras"
    slim = slim_copy(model)
    probabilities = slim.predict(x_test, batch_size=1000, verbose=0)
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y_test))
    slim.save(path)
    return {"file": path.name, "preset": preset, "settings": hparams,
            "test_accuracy": round(accuracy, 4), "test_images": int(len(y_test)),
            "train_images": int(len(y_train)), "epochs": epochs, "batch_size": batch_size,
            "augmentation": "none", "seed": seed, "train_seconds": round(seconds, 1),
            "parameters": int(slim.count_params()), "file_bytes": path.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=default_source(),
                        help="full MNIST in Keras' mnist.npz layout")
    parser.add_argument("--seed", type=int, default=config.SEED)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    x_train, y_train, x_test, y_test = read_npz(args.source)
    if len(y_train) != 60_000 or len(y_test) != 10_000:
        sys.exit(f"{args.source} is not the full MNIST set (60,000 + 10,000 digits).")
    x_train = x_train[..., None].astype(np.float32) / 255.0
    x_test = x_test[..., None].astype(np.float32) / 255.0
    report = {"data": "MNIST (60,000 training and 10,000 test digits)"}
    with tempfile.TemporaryDirectory() as folder:
        for name in PLANS:
            report[name] = train(name, x_train, y_train, x_test, y_test, args.seed, Path(folder))
            print(f"{name}: {report[name]}", flush=True)
        cnn = report[config.PRETRAINED_CNN]
        if cnn["test_accuracy"] < TARGET_ACCURACY or cnn["file_bytes"] >= 2_000_000:
            sys.exit(f"The CNN missed its targets, so nothing was replaced: {cnn}")
        config.MODELS_DIR.mkdir(parents=True, exist_ok=True)
        for name in PLANS:
            shutil.move(Path(folder) / f"{name}.keras", config.MODELS_DIR / f"{name}.keras")
    config.PRETRAINED_INFO.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {config.PRETRAINED_INFO} and the models beside it")


if __name__ == "__main__":
    main()
