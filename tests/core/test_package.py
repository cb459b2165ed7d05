"""cnn_core is the UI-free engine: importing any of it pulls in neither Streamlit nor Keras."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_importing_every_cnn_core_module_imports_no_streamlit_tensorflow_or_keras():
    code = (
        "import importlib, pkgutil, sys\n"
        "import cnn_core\n"
        "names = [m.name for m in pkgutil.iter_modules(cnn_core.__path__)]\n"
        "for name in names:\n"
        "    importlib.import_module('cnn_core.' + name)\n"
        "bad = [m for m in ('streamlit', 'tensorflow', 'keras') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print(len(names))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) >= 20
