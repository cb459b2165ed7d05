"""Starting spawned worker processes without re-running the caller's `__main__` script.

multiprocessing's "spawn" start method re-imports the parent's `__main__` module in every
child. Inside Streamlit, `__main__` is the page script being run (or, under AppTest, the
page file), so each worker would re-run a page in bare mode, and a page that starts a
worker could start another from inside the child. While a process is being started, the
description multiprocessing hands the child leaves `__main__` out, so children start from a
clean interpreter. (Swapping `sys.modules["__main__"]` for a plain module instead was not
enough: Streamlit installs the next page's module there at the start of every script run,
from any session's thread, and one landing during a worker's start made it re-run a page.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing.spawn as mp_spawn
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_swap_lock = threading.Lock()


_PREPARATION = mp_spawn.get_preparation_data


def _preparation_without_main(name: str) -> dict:
    data = _PREPARATION(name)
    data.pop("init_main_from_name", None)
    data.pop("init_main_from_path", None)
    return data


@contextmanager
def plain_main() -> Iterator[None]:
    """Within this block, spawned children do not import the parent's `__main__`."""
    with _swap_lock:
        # Looked up on the module at each start (multiprocessing.popen_spawn_posix).
        mp_spawn.get_preparation_data = _preparation_without_main
        try:
            yield
        finally:
            mp_spawn.get_preparation_data = _PREPARATION


def exit_with_parent(poll_s: float = 1.0) -> None:
    """Call first thing in a spawned worker: it ends itself once its parent has gone.

    A worker waiting on its inbox holds both ends of that queue's pipe, so a server that is
    killed (or stopped by a signal it does not clean up after) leaves it waiting forever,
    holding its gigabyte of TensorFlow. A thread watching the parent's id costs nothing."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


# glibc's mallopt parameter for the number of malloc arenas (malloc.h: M_ARENA_MAX).
_M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Call in a spawned worker before TensorFlow starts its threads: glibc gives each thread
    that allocates its own arena (up to 8 per core), and TensorFlow's thread pools leave them
    holding freed memory. Two arenas cut a training worker's peak private memory by about
    130 MB (bench/worker_pool.py: 728 -> 598 MB) at no measurable cost in speed. The same as
    MALLOC_ARENA_MAX=2, which only works when set before the process starts. False where the
    C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, arenas) == 1)
    except (OSError, AttributeError):
        return False
