"""Spawned workers must not re-run the caller's __main__ script (a Streamlit page)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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
