"""Where a learner's trained models and uploaded files live, and when they are deleted.

Each browser session gets one folder. It is deleted when the session's state is dropped
(the folder's owner object is garbage-collected with it), and a sweep deletes folders left
behind by a crashed or restarted server after a time to live, so disk use stays bounded
however long the server runs. Within a session, a page deletes a model once nothing can
show it any more (`delete_model_files`: a run's report replaced by the next run's, a model
whose scores the page has kept), so a learner who trains all lesson long does not fill the
disk; a model that a page still shows is never deleted under it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import weakref
from pathlib import Path

ROOT_ENV = "CNN_CLASSROOM_SESSION_FILES"
TTL_ENV = "CNN_CLASSROOM_SESSION_TTL_S"
# A school day: long enough for any lesson, short enough that a week of classes stays small.
DEFAULT_TTL_S = 8 * 3600
PREFIX = "session-"


def session_root() -> Path:
    """The folder that holds every session's folder (`CNN_CLASSROOM_SESSION_FILES`)."""
    root = Path(os.environ.get(ROOT_ENV) or Path(tempfile.gettempdir()) / "cnn-classroom")
    root.mkdir(parents=True, exist_ok=True)
    return root


def session_ttl_seconds() -> float:
    try:
        return max(60.0, float(os.environ.get(TTL_ENV, DEFAULT_TTL_S)))
    except ValueError:
        return float(DEFAULT_TTL_S)


class SessionFiles:
    """One session's folder; deleted when this object is garbage-collected or `delete()`d."""

    def __init__(self, root: str | os.PathLike | None = None):
        base = Path(root) if root is not None else session_root()
        base.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def __repr__(self) -> str:
        return f"SessionFiles({self.path})"

    def touch(self) -> None:
        """Mark the folder as in use, so the time-to-live sweep leaves it alone."""
        if self.path.is_dir():
            os.utime(self.path)

    def subfolder(self, name: str) -> Path:
        folder = self.path / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def delete(self) -> None:
        self._finalizer()


def delete_model_files(model_path: str | os.PathLike) -> None:
    """Delete a trained or uploaded model's file and the TensorBoard event files beside it."""
    from cnn_core.jobs.tensorboard_events import events_folder

    Path(model_path).unlink(missing_ok=True)
    shutil.rmtree(events_folder(model_path), ignore_errors=True)


def sweep_stale(root: str | os.PathLike, ttl_seconds: float,
                now: float | None = None) -> list[Path]:
    """Delete session folders under `root` not touched for `ttl_seconds`; returns them."""
    now = time.time() if now is None else now
    removed = []
    for folder in Path(root).glob(PREFIX + "*"):
        try:
            stale = folder.is_dir() and now - folder.stat().st_mtime > ttl_seconds
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def folder_bytes(root: str | os.PathLike) -> int:
    """Bytes used by every file under `root` (for the home page and the benchmark)."""
    total = 0
    for path in Path(root).rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:
            continue
    return total
