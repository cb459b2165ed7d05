"""Spawned workers must not re-run the caller's __main__ script (a Streamlit page)."""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cnn_core.jobs.spawning import MALLOC_ARENAS, limit_malloc_arenas

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_children_do_not_import_the_parent_main_script(tmp_path):
    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(textwrap.dedent(f"""
        import multiprocessing, pathlib, sys
        from cnn_core.jobs.spawning import plain_main
        if __name__ == "__mp_main__":
            pathlib.Path({str(marker)!r}).write_text("re-run in the child")
        def work():
            return 42
        if __name__ == "__main__":
            ctx = multiprocessing.get_context("spawn")
            process = ctx.Process(target=print, args=("child ok",))
            with plain_main():
                process.start()
            process.join()
            assert sys.modules["__main__"].__file__.endswith("page.py")
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=str(tmp_path), env={"PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    assert "child ok" in done.stdout
    assert not marker.exists()


def test_a_page_run_starting_meanwhile_does_not_make_the_child_re_run_it(tmp_path):
    """Streamlit puts the page being run in sys.modules["__main__"] at the start of every
    script run, from any session's thread: one may land while a worker starts."""
    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(textwrap.dedent(f"""
        import multiprocessing, pathlib, sys, types
        from cnn_core.jobs.spawning import plain_main
        if __name__ == "__mp_main__":
            pathlib.Path({str(marker)!r}).write_text("re-run in the child")
        if __name__ == "__main__":
            ctx = multiprocessing.get_context("spawn")
            process = ctx.Process(target=print, args=("child ok",))
            with plain_main():
                page = types.ModuleType("__main__")  # as Streamlit's script runner makes it
                page.__file__ = __file__
                sys.modules["__main__"] = page
                process.start()
            process.join()
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=str(tmp_path), env={"PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    assert "child ok" in done.stdout
    assert not marker.exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by its new parent) has gone as far as we care.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    return True


def test_a_worker_ends_itself_when_its_server_is_killed(tmp_path):
    """A server killed outright (kill -9, the out-of-memory killer) leaves no worker behind
    blocked on its inbox, which would keep holding a gigabyte of TensorFlow."""
    (tmp_path / "blocked_worker.py").write_text(textwrap.dedent("""
        from cnn_core.jobs.spawning import exit_with_parent

        def worker(inbox):
            exit_with_parent(poll_s=0.1)
            inbox.get()  # blocks forever: this process holds the queue's write end too
    """))
    script = tmp_path / "server.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing, os
        from blocked_worker import worker
        from cnn_core.jobs.spawning import plain_main

        if __name__ == "__main__":
            ctx = multiprocessing.get_context("spawn")
            inbox = ctx.Queue()
            process = ctx.Process(target=worker, args=(inbox,))
            with plain_main():
                process.start()
            print(process.pid, flush=True)
            import time; time.sleep(1.5)  # the worker is up and waiting
            os._exit(0)  # like kill -9: no clean-up, no atexit
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, cwd=str(tmp_path),
                          env={"PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{tmp_path}"})
    assert done.returncode == 0, done.stderr
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(child):
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the worker outlived its server")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_workers_can_limit_glibcs_malloc_arenas():
    # mallopt answers 1 when it took the setting, 0 for a parameter it does not know.
    assert limit_malloc_arenas() is True
    assert limit_malloc_arenas(MALLOC_ARENAS) is True
