"""A session's files go with the session, and stale folders go after their time to live."""

from __future__ import annotations

import gc
import os
import time

from cnn_core.jobs.storage import SessionFiles, folder_bytes, sweep_stale


def test_the_folder_is_deleted_when_the_session_object_is_dropped(tmp_path):
    files = SessionFiles(tmp_path)
    model = files.subfolder("models") / "model.keras"
    model.write_bytes(b"x" * 1000)
    assert folder_bytes(tmp_path) == 1000
    path = files.path
    del files
    gc.collect()
    assert not path.exists() and folder_bytes(tmp_path) == 0


def test_delete_is_idempotent(tmp_path):
    files = SessionFiles(tmp_path)
    files.delete()
    files.delete()
    assert not files.path.exists()


def test_sweep_removes_only_stale_session_folders(tmp_path):
    old, fresh = SessionFiles(tmp_path), SessionFiles(tmp_path)
    unrelated = tmp_path / "keep-me"
    unrelated.mkdir()
    hours_ago = time.time() - 3 * 3600
    os.utime(old.path, (hours_ago, hours_ago))
    os.utime(unrelated, (hours_ago, hours_ago))
    removed = sweep_stale(tmp_path, ttl_seconds=3600)
    assert removed == [old.path]
    assert fresh.path.is_dir() and unrelated.is_dir()
    fresh.touch()
    assert sweep_stale(tmp_path, ttl_seconds=3600, now=time.time() + 1800) == []
