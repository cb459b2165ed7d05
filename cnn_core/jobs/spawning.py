"""Starting spawned worker processes without re-running the caller's `__main__` script.

multiprocessing's "spawn" start method re-imports the parent's `__main__` module in every
child. Inside Streamlit, `__main__` is the page script being run (or, under AppTest, the
page file), so each worker would re-run a page in bare mode, and a page that starts a
worker could start another from inside the child. While a process is being started we
put a plain, file-less `__main__` in place, so children start from a clean interpreter.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

_swap_lock = threading.Lock()


@contextmanager
def plain_main() -> Iterator[None]:
    """Within this block, spawned children do not import the parent's `__main__`."""
    with _swap_lock:
        original = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")  # no __file__, no __spec__
        try:
            yield
        finally:
            if original is not None:
                sys.modules["__main__"] = original
