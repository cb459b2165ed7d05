"""Test accuracy the Train page's settings reach, for its "what to expect" line.

Trains as the page does (cnn_core.jobs.worker.prepare_data: a stratified subset, 10% of it
held out for validation; batch size 64; seed 0; default model settings) and measures the test
accuracy after every epoch (Adam has no schedule, so epoch e of a longer run is the run of e
epochs). The figures go to cnn_core.config.MEASURED_TEST_ACCURACY.

Data from CNN_CLASSROOM_DATA (default ../shared/data). The last line is JSON: a list of
{"dataset", "preset", "hparams", "images", "epoch", "test_accuracy", "val_accuracy"}.

Usage: python bench/expected_accuracy.py [dataset/preset ...]   (default: every row below)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("CNN_CLASSROOM_DATA", str(REPO_ROOT.parent / "shared" / "data"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# (dataset, preset, hparams, subset sizes, epochs)
RUNS = [
    ("mnist", "mnist_cnn", {}, (2_000,), 5),
    ("mnist", "mnist_cnn", {}, (6_000, 12_000), 3),
    ("mnist", "dense_baseline", {}, (12_000,), 2),
    ("mnist", "dense_baseline", {"dense_units": 128}, (12_000,), 2),
    ("mnist", "mnist_cnn", {}, (60_000,), 2),
]
BATCH_SIZE = 64  # the page's default
VALIDATION_FRACTION = 0.1


def measure(dataset: str, preset: str, hparams: dict, images: int, epochs: int) -> list[dict]:
    import keras
    import numpy as np

    from cnn_core.data.pixels import channels_last, to_model_input
    from cnn_core.jobs.builder import build_model
    from cnn_core.jobs.training import TrainConfig, make_train_dataset
    from cnn_core.jobs.worker import TrainRequest, evaluate_probabilities, prepare_data

    config = TrainConfig(epochs=epochs, batch_size=BATCH_SIZE)
    request = TrainRequest(dataset, preset, hparams, config, n_train=images,
                           validation_fraction=VALIDATION_FRACTION)
    data = prepare_data(request)
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.seed)
    model = build_model(preset, channels_last(data.x_train).shape[1:], data.num_classes,
                        **hparams)
    x_test = to_model_input(data.x_test)
    rows = []

    class TestEachEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            probabilities = self.model.predict(x_test, batch_size=512, verbose=0)
            _, accuracy = evaluate_probabilities(probabilities, data.y_test)
            rows.append({"dataset": dataset, "preset": preset, "hparams": hparams,
                         "images": images, "epoch": epoch + 1,
                         "test_accuracy": round(accuracy, 4),
                         "val_accuracy": round(float((logs or {})["val_accuracy"]), 4)})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)

    # The same pipeline and fit call as TrainingJob, plus a test pass after every epoch.
    train, _ = make_train_dataset(data.x_train, data.y_train, config)
    model.fit(train, epochs=epochs, verbose=0, shuffle=False,
              validation_data=(to_model_input(data.x_val), np.asarray(data.y_val)),
              validation_batch_size=256, callbacks=[TestEachEpoch()])
    return rows


def main() -> None:
    wanted = set(sys.argv[1:])
    rows = []
    for dataset, preset, hparams, sizes, epochs in RUNS:
        if wanted and f"{dataset}/{preset}" not in wanted:
            continue
        for images in sizes:
            rows += measure(dataset, preset, hparams, images, epochs)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
