"""The material's CIFAR-10 recipe, trained toward its 79% test accuracy.

Trains the "CIFAR-10 DCNN" preset with the recipe's augmentation (random shifts of up to 10%
and random horizontal flips, cnn_core.config.RECIPE_AUGMENTATION) on CIFAR-10 through the
app's own worker code path (cnn_core.jobs.worker.run_job: prepare_data with 10% of the
training photos held out for validation, build_model, TrainingJob, one test pass at the end),
in this process. On a GPU it runs the recipe's 100 epochs and records the test accuracy and
the time; on a CPU a few epochs (--epochs), which record the curve so far.

Data from CNN_CLASSROOM_DATA (default ../shared/data: cifar10_jpg.zip). Prints one line per
epoch, and as its last line JSON: {"device", "epochs_run", "train_images", "test_accuracy",
"val_accuracy_curve", "seconds", "train_seconds", "batch_size", "target"}; the same JSON goes
to bench/results/reproduce_cifar.json, the curves for TensorBoard to
bench/results/reproduce_cifar-tensorboard.zip.

Usage: python bench/reproduce_cifar.py [--epochs N] [--subset IMAGES] [--batch SIZE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("CNN_CLASSROOM_DATA", str(REPO_ROOT.parent / "shared" / "data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnn_core import config  # noqa: E402

GPU_EPOCHS = 100  # the material's recipe
# A bounded record of the curve's start on a CPU: about 300 photos a second on 2 cores
# (measured on 4,500), so 3 epochs of 45,000 should take about 8 minutes.
CPU_EPOCHS = 3
BATCH_SIZE = 32   # the material's


def has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def recipe_request(epochs: int, subset: int | None, batch_size: int):
    from cnn_core.jobs.training import TrainConfig
    from cnn_core.jobs.worker import TrainRequest

    augmentation = config.RECIPE_AUGMENTATION[("cifar10", config.CIFAR_RECIPE_PRESET)]
    train = TrainConfig(epochs=epochs, batch_size=batch_size, seed=0,
                        shift=config.CIFAR_RECIPE_SHIFT if "shift" in augmentation else 0.0,
                        flip="flip" in augmentation)
    return TrainRequest("cifar10", config.CIFAR_RECIPE_PRESET, {}, train, n_train=subset,
                        validation_fraction=config.VALIDATION_FRACTION)


class EpochPrinter:
    """The worker's `send`: prints each epoch's line as its history grows, keeps the result."""

    def __init__(self) -> None:
        self.printed = 0
        self.result = None
        self.error: str | None = None

    def __call__(self, kind: str, payload) -> None:
        if kind == "result":
            self.result = payload
        elif kind == "error":
            self.error = payload
        elif kind == "progress":
            if payload.status == "loading" and payload.message:
                print(payload.message, payload.device, flush=True)
            history = payload.history
            while self.printed < len(history.get("loss", [])):
                i = self.printed
                parts = [f"epoch {i + 1:3d}"]
                for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
                    if i < len(history.get(name, [])):
                        parts.append(f"{name} {history[name][i]:.4f}")
                parts.append(f"at {history['time_s'][i]:,.0f} s")
                print("  ".join(parts), flush=True)
                self.printed += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"default {GPU_EPOCHS} on a GPU, {CPU_EPOCHS} on a CPU")
    parser.add_argument("--subset", type=int, default=None,
                        help="training photos to choose (10%% of them held out); default all")
    parser.add_argument("--batch", type=int, default=BATCH_SIZE)
    args = parser.parse_args()

    from cnn_core.jobs.tensorboard_events import events_folder
    from cnn_core.jobs.worker import run_job

    epochs = args.epochs or (GPU_EPOCHS if has_gpu() else CPU_EPOCHS)
    request = recipe_request(epochs, args.subset, args.batch)
    print(f"{request.model_title} on CIFAR-10, {epochs} epoch{'s' if epochs != 1 else ''}, "
          f"batches of {args.batch}, "
          f"shifts {request.config.shift:g}, flips {request.config.flip}, "
          f"subset {args.subset or 'all'}", flush=True)
    logs = REPO_ROOT / "bench" / "results"
    logs.mkdir(parents=True, exist_ok=True)
    model_path = logs / "reproduce_cifar.keras"
    shutil.rmtree(events_folder(model_path), ignore_errors=True)  # a new run's curves only
    printer = EpochPrinter()
    start = time.perf_counter()
    error = run_job(request, str(model_path), printer, threading.Event())
    seconds = time.perf_counter() - start
    if error is not None or printer.result is None:
        raise SystemExit(f"Training failed: {error or printer.error}")
    result = printer.result
    print(f"test accuracy {result.test_accuracy:.4f} after {result.epochs_run:g} epochs "
          f"({result.train_seconds:,.0f} s of training, {seconds:,.0f} s in all) on "
          f"{result.device}; the material's figure: {config.CIFAR_RECIPE_TARGET:.0%}")
    summary = {
        "device": result.device,
        "epochs_run": result.epochs_run,
        "train_images": result.n_train,
        "test_accuracy": round(result.test_accuracy, 4),
        "val_accuracy_curve": [round(v, 4) for v in result.history.get("val_accuracy", [])],
        "seconds": round(seconds, 1),
        "train_seconds": round(result.train_seconds, 1),
        "batch_size": args.batch,
        "target": config.CIFAR_RECIPE_TARGET,
    }
    (logs / "reproduce_cifar.json").write_text(json.dumps(summary) + "\n")
    if result.tensorboard_zip:  # the curves as the Train page offers them
        (logs / "reproduce_cifar-tensorboard.zip").write_bytes(result.tensorboard_zip)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
