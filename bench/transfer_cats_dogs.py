"""Transfer learning's classic demonstration: CIFAR-10 cats vs dogs from 200 photos a class.

Trains, on the same 400 training photos (200 cats, 200 dogs, a seeded choice from the full
CIFAR-10) with the same augmentation (random shifts of 10%, mirror images):
1. scratch: `transfer_models.build_scratch_model`, SCRATCH_EPOCHS epochs (as many as
   transfer's two phases together), and again for SCRATCH_LONG_EPOCHS (scratch_long_acc), so
   a gap is not just scratch's slow start;
2. transfer: the shipped base (trained on 7 other CIFAR-10 classes, never a cat or a dog),
   frozen, with a new head for HEAD_EPOCHS epochs, then fine-tuned for FINE_TUNE_EPOCHS
   epochs as the page does it (`unfreeze_top` with the base's fine_tune_layers, all 5 of
   its convolutions, at its fine_tune_learning_rate, 1e-4);
3. imagenet: the same with MobileNetV2 (photos enlarged to 96x96), only when its weights are
   in the Keras cache (else null).
Each is evaluated once, after its fixed recipe, on all 2,000 cat and dog test photos: the test
photos never choose an epoch or a setting (--holdout measures on other training photos
instead, for weighing a change of recipe). With --seeds N the whole run repeats on N choices
of photos and starting weights, and the figures are means (a few hundred photos make one
run's accuracy wobble by a few points).

The issue's target: the shipped base beats scratch by 8 points or more. Data from
CNN_CLASSROOM_DATA (default ../shared/data). Prints progress lines, and as its last line JSON
{"scratch_acc", "transfer_acc", "imagenet_acc", "seconds", ...}; the same JSON goes to
bench/results/transfer_cats_dogs.json.

Usage: python bench/transfer_cats_dogs.py [--per-class 200] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("CNN_CLASSROOM_DATA", str(REPO_ROOT.parent / "shared" / "data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnn_core.jobs import transfer_models as tm  # noqa: E402

CLASSES = ("cat", "dog")
TARGET_POINTS = 8.0


def cats_and_dogs(per_class: int, seed: int, holdout: bool = False):
    """(x_train, y_train, x_test, y_test): per_class training photos of each class (seeded),
    and every test photo of the two, or with `holdout` 1,000 other training photos of each
    instead; uint8 (N, 32, 32, 3), labels 0 = cat, 1 = dog."""
    from cnn_core.data.datasets import load_dataset

    data = load_dataset("cifar10")
    rng = np.random.default_rng(seed)
    train_rows, y_train, test_rows, y_test = [], [], [], []
    for label, name in enumerate(CLASSES):
        index = data.class_names.index(name)
        rows = rng.permutation(np.flatnonzero(data.y_train == index))
        train_rows.append(rows[:per_class])
        y_train.append(np.full(per_class, label))
        test = rows[per_class:per_class + 1000] if holdout else np.flatnonzero(
            data.y_test == index)
        test_rows.append(test)
        y_test.append(np.full(len(test), label))
    x_test = data.x_train if holdout else data.x_test
    return (data.x_train[np.concatenate(train_rows)], np.concatenate(y_train),
            x_test[np.concatenate(test_rows)], np.concatenate(y_test))


def enlarged(x: np.ndarray, side: int) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(image, (side, side), interpolation=cv2.INTER_LINEAR)
                     for image in x])


def fit(model, x, y, epochs: int, seed: int) -> None:
    from cnn_core.jobs.training import TrainConfig, make_train_dataset

    config = TrainConfig(epochs=epochs, batch_size=tm.BATCH_SIZE, seed=seed,
                         shift=tm.AUGMENT_SHIFT, flip=True)
    data, _ = make_train_dataset(x, y, config)
    model.fit(data, epochs=epochs, verbose=0)


def accuracy(model, x, y) -> float:
    from cnn_core.data.pixels import to_model_input

    predicted = model.predict(to_model_input(x), batch_size=500, verbose=0).argmax(axis=1)
    return float(np.mean(predicted == y))


def transfer(base: str, x, y, x_test, y_test, seed: int) -> tuple[float, float]:
    """(accuracy with the head alone, accuracy after fine-tuning the top of the base)."""
    model = tm.build_transfer_model(base, len(CLASSES), seed)
    fit(model, x, y, tm.HEAD_EPOCHS, seed)
    head = accuracy(model, x_test, y_test)
    info = tm.BASES[base]
    tm.unfreeze_top(model, info.fine_tune_layers, info.fine_tune_learning_rate)
    fit(model, x, y, tm.FINE_TUNE_EPOCHS, seed)
    return head, accuracy(model, x_test, y_test)


def one_run(per_class: int, seed: int, mobilenet: bool, holdout: bool) -> dict:
    x, y, x_test, y_test = cats_and_dogs(per_class, seed, holdout)
    run = {}
    for key, epochs in (("scratch", tm.SCRATCH_EPOCHS), ("scratch_long", tm.SCRATCH_LONG_EPOCHS)):
        started = time.perf_counter()
        model = tm.build_scratch_model(32, len(CLASSES), seed)
        fit(model, x, y, epochs, seed)
        run[key] = accuracy(model, x_test, y_test)
        print(f"seed {seed}: scratch, {epochs} epochs {run[key]:.4f} "
              f"({time.perf_counter() - started:,.0f} s)", flush=True)
    started = time.perf_counter()
    run["transfer_head"], run["transfer"] = transfer(tm.SHIPPED, x, y, x_test, y_test, seed)
    print(f"seed {seed}: shipped base, head only {run['transfer_head']:.4f}, fine-tuned "
          f"{run['transfer']:.4f} ({time.perf_counter() - started:,.0f} s)", flush=True)
    if mobilenet:
        started = time.perf_counter()
        side = tm.base_input_size(tm.MOBILENET)
        run["imagenet_head"], run["imagenet"] = transfer(
            tm.MOBILENET, enlarged(x, side), y, enlarged(x_test, side), y_test, seed)
        print(f"seed {seed}: MobileNetV2, head only {run['imagenet_head']:.4f}, fine-tuned "
              f"{run['imagenet']:.4f} ({time.perf_counter() - started:,.0f} s)", flush=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--holdout", action="store_true",
                        help="measure on 2,000 other training photos instead of the test "
                             "photos: for weighing a change of recipe without the test set")
    args = parser.parse_args()
    mobilenet = tm.mobilenet_weights_cached()
    print(f"cats vs dogs, {args.per_class} training photos a class, {args.seeds} seed(s); "
          f"MobileNetV2 {'cached' if mobilenet else 'not cached: skipped'}", flush=True)
    started = time.perf_counter()
    runs = [one_run(args.per_class, seed, mobilenet, args.holdout) for seed in range(args.seeds)]

    def mean(key: str) -> float | None:
        return round(statistics.mean(r[key] for r in runs), 4) if key in runs[0] else None

    summary = {
        "scratch_acc": mean("scratch"),
        "transfer_acc": mean("transfer"),
        "imagenet_acc": mean("imagenet"),
        "seconds": round(time.perf_counter() - started, 1),
        "scratch_long_acc": mean("scratch_long"),
        "transfer_head_acc": mean("transfer_head"),
        "imagenet_head_acc": mean("imagenet_head"),
        "runs": [{k: round(v, 4) for k, v in r.items()} for r in runs],
        "train_images": 2 * args.per_class,
        "test_images": len(cats_and_dogs(1, 0, args.holdout)[3]),
        "measured_on": "held-out training photos" if args.holdout else "test photos",
        "recipe": {"scratch_epochs": tm.SCRATCH_EPOCHS,
                   "scratch_long_epochs": tm.SCRATCH_LONG_EPOCHS, "head_epochs": tm.HEAD_EPOCHS,
                   "fine_tune_epochs": tm.FINE_TUNE_EPOCHS,
                   "fine_tune_layers": tm.BASES[tm.SHIPPED].fine_tune_layers,
                   "fine_tune_learning_rate": tm.BASES[tm.SHIPPED].fine_tune_learning_rate,
                   "batch_size": tm.BATCH_SIZE,
                   "shift": tm.AUGMENT_SHIFT, "flip": True},
        "base_card_accuracy": tm.shipped_base_card().get("test_accuracy"),
    }
    gain = 100 * (summary["transfer_acc"] - summary["scratch_acc"])
    print(f"shipped base {summary['transfer_acc']:.4f} vs scratch {summary['scratch_acc']:.4f}: "
          f"{gain:+.1f} points (target +{TARGET_POINTS:g}); scratch with "
          f"{tm.SCRATCH_LONG_EPOCHS} epochs {summary['scratch_long_acc']:.4f}", flush=True)
    results = REPO_ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = "transfer_cats_dogs-holdout" if args.holdout else "transfer_cats_dogs"
    (results / f"{name}.json").write_text(json.dumps(summary) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
