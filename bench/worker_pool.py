"""The warm worker pool without a browser: click-to-first-batch, memory per job, whole run.

Starts a `WorkerPool`, waits until its workers have imported TensorFlow, then submits the
Train page's default job (MNIST CNN, 12,000 images, batch 64) a few times, one after the
other, and reports for each:
- first_batch_s: from submit to the first progress snapshot with a finished batch (target
  1.5 s at most when a worker is free);
- total_s: submit to the end (results in hand), and the share of it spent training;
- the worker's peak memory, sampled from /proc every 0.1 s: resident, and private (what
  each further worker adds, since TensorFlow's ~470 MB of libraries are shared); the
  issue's target is 600 MB.

Data from CNN_CLASSROOM_DATA (default ../shared/data; the bundled subset otherwise, which
has only 6,000 training images). Last line JSON: {"jobs", "first_batch_s", "total_s",
"train_s", "worker_peak_rss_mb", "worker_peak_private_mb", "warm_up_s", "device"};
first_batch_s and total_s are medians over the jobs.

Usage: python bench/worker_pool.py [--jobs 3] [--epochs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
shared = REPO_ROOT.parent / "shared" / "data"
if shared.is_dir():
    os.environ.setdefault("CNN_CLASSROOM_DATA", str(shared))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CNN_CLASSROOM_OFFLINE", "1")

from cnn_core.jobs.pool import WorkerPool  # noqa: E402
from cnn_core.jobs.training import TrainConfig  # noqa: E402
from cnn_core.jobs.worker import TrainingProcess, TrainRequest  # noqa: E402

DEFAULT_SUBSET = 12_000


def resident_mb(pid: int) -> tuple[float, float]:
    """(resident, private) MB of a process. TensorFlow's libraries are about 470 MB of
    file-backed pages that every worker shares; the private (anonymous) part is what each
    further worker really adds."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "RssAnon:")):
                    name, amount, _unit = line.split()
                    values[name] = int(amount) / 1e3
    except (OSError, ValueError):
        pass
    return values.get("VmRSS:", 0.0), values.get("RssAnon:", 0.0)


def warm_up(pool: WorkerPool, folder: str) -> float:
    """Seconds until a worker has TensorFlow loaded: a job that fails at once (bad setting)
    after the import and the data loading measures exactly that."""
    started = time.monotonic()
    probe = TrainingProcess(TrainRequest("mnist", "mnist_cnn", {"dropout": 2.0}), folder,
                            pool=pool).start()
    probe.join(300)
    return time.monotonic() - started


def one_job(pool: WorkerPool, folder: str, epochs: int) -> dict:
    request = TrainRequest("mnist", "mnist_cnn", {}, TrainConfig(epochs=epochs, batch_size=64),
                           n_train=DEFAULT_SUBSET)
    peak = [0.0, 0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for pid in pool.worker_pids():
                resident, private = resident_mb(pid)
                peak[0], peak[1] = max(peak[0], resident), max(peak[1], private)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    submitted = time.monotonic()
    job = TrainingProcess(request, folder, pool=pool).start()
    first_batch = None
    while not job.done:
        snapshot = job.snapshot()
        if first_batch is None and snapshot.images_seen > 0:
            first_batch = time.monotonic() - submitted
        time.sleep(0.02)
    total = time.monotonic() - submitted
    stop.set()
    sampler.join()
    if job.error:
        raise SystemExit(f"The job failed: {job.error}")
    return {"first_batch_s": first_batch, "total_s": total,
            "train_s": job.result.train_seconds, "peak_mb": peak[0], "private_mb": peak[1],
            "accuracy": job.result.test_accuracy, "device": job.result.device}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-pool-")
    pool = WorkerPool(slots=1)
    try:
        warm = warm_up(pool, folder)
        print(f"worker warm (TensorFlow imported, data loaded) after {warm:.1f} s")
        runs = []
        for n in range(args.jobs):
            run = one_job(pool, folder, args.epochs)
            runs.append(run)
            print(f"job {n + 1}: first batch after {run['first_batch_s']:.2f} s, done after "
                  f"{run['total_s']:.1f} s ({run['train_s']:.1f} s training), worker peak "
                  f"{run['peak_mb']:.0f} MB resident, {run['private_mb']:.0f} MB private, "
                  f"test accuracy {run['accuracy']:.4f}")
    finally:
        pool.close()
    print(json.dumps({
        "jobs": len(runs),
        "first_batch_s": round(statistics.median(r["first_batch_s"] for r in runs), 2),
        "total_s": round(statistics.median(r["total_s"] for r in runs), 1),
        "train_s": round(statistics.median(r["train_s"] for r in runs), 1),
        "worker_peak_rss_mb": round(max(r["peak_mb"] for r in runs)),
        "worker_peak_private_mb": round(max(r["private_mb"] for r in runs)),
        "warm_up_s": round(warm, 1),
        "device": runs[0]["device"],
    }))


if __name__ == "__main__":
    main()
