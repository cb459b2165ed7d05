"""Build assets/mnist_subset.npz: real MNIST digits the app falls back to when offline.

6,000 training digits (a stratified random sample of the 60,000, so every digit keeps its
share) and 1,000 test digits (the same from the 10,000 test split), fixed seed, saved with
np.savez_compressed under Keras' mnist.npz keys (x_train, y_train, x_test, y_test).

    .venv/bin/python scripts/build_mnist_subset.py [path/to/mnist.npz]

Without an argument it reads mnist.npz from the data folder (env CNN_CLASSROOM_DATA, else
../shared/data beside the checkout).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core import config  # noqa: E402
from cnn_core.data.datasets import class_counts, subsample  # noqa: E402
from cnn_core.data.formats import read_npz  # noqa: E402

SEED = 2024  # fixed: rebuilding gives the same file


def default_source() -> Path:
    if os.environ.get(config.DATA_DIR_ENV):
        return config.data_dir() / "mnist.npz"
    return config.REPO_ROOT.parent / "shared" / "data" / "mnist.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=default_source(),
                        help="full MNIST in Keras' mnist.npz layout")
    parser.add_argument("--out", type=Path, default=config.BUNDLED_MNIST)
    args = parser.parse_args()

    x_train, y_train, x_test, y_test = read_npz(args.source)
    if x_train.shape != (60_000, 28, 28) or x_test.shape != (10_000, 28, 28):
        sys.exit(f"{args.source} is not full MNIST: {x_train.shape}, {x_test.shape}")
    x_train, y_train = subsample(x_train, y_train, config.BUNDLED_MNIST_TRAIN, seed=SEED)
    x_test, y_test = subsample(x_test, y_test, config.BUNDLED_MNIST_TEST, seed=SEED + 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, x_train=x_train, y_train=y_train, x_test=x_test,
                        y_test=y_test)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): "
          f"train {x_train.shape} per class {class_counts(y_train, 10).tolist()}, "
          f"test {x_test.shape} per class {class_counts(y_test, 10).tolist()}")


if __name__ == "__main__":
    main()
