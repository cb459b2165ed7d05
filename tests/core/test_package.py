"""The layout holds the design: cnn_core never imports Streamlit; only cnn_core.jobs runs Keras."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "cnn_core"
HEAVY = ("tensorflow", "keras")
SUBPACKAGES = ("data", "jobs", "maths", "models", "views")


def _imported_roots(path: Path) -> set[str]:
    """Top-level names of every module a file imports, at any depth (inside functions too)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _source_strings(path: Path) -> list[str]:
    """String constants, where code for a subprocess (`python -c ...`) hides its imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def test_importing_every_cnn_core_module_imports_no_streamlit_tensorflow_or_keras():
    code = (
        "import importlib, pkgutil, sys\n"
        "import cnn_core\n"
        "names = [m.name for m in pkgutil.walk_packages(cnn_core.__path__, 'cnn_core.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "bad = [m for m in ('streamlit', 'tensorflow', 'keras', 'ray') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print(len(names))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) >= 25


def test_only_the_jobs_subpackage_mentions_keras_or_tensorflow():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "jobs":
            continue
        if _imported_roots(path) & set(HEAVY):
            offenders.append(str(relative))
        if any(f"import {name}" in text for text in _source_strings(path) for name in HEAVY):
            offenders.append(f"{relative} (in a string)")
    assert not offenders, f"Keras/TensorFlow outside cnn_core/jobs: {offenders}"


def test_no_cnn_core_module_imports_streamlit_even_lazily():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if "streamlit" in _imported_roots(p)]
    assert not offenders


def test_ui_and_pages_never_import_keras():
    """The server process must stay free of Keras: heavy work goes through cnn_core.jobs."""
    folders = [REPO_ROOT / "ui", REPO_ROOT / "app_pages"]
    assert all(folder.is_dir() for folder in folders), "a page folder moved: update this test"
    files = [REPO_ROOT / "app.py", *(f for folder in folders for f in folder.glob("*.py"))]
    assert len(files) > 10
    offenders = [p.name for p in files if _imported_roots(p) & set(HEAVY)]
    assert not offenders


def test_each_subpackage_says_its_job_in_one_line():
    for name in SUBPACKAGES:
        init = PACKAGE / name / "__init__.py"
        docstring = ast.get_docstring(ast.parse(init.read_text()))
        assert docstring, f"cnn_core/{name}/__init__.py has no docstring"
        assert len(docstring.splitlines()[0]) > 20


def test_the_package_is_grouped_no_flat_modules_beyond_config():
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "config.py"], flat
    assert sorted(p.name for p in PACKAGE.iterdir()
                  if p.is_dir() and p.name != "__pycache__") == sorted(SUBPACKAGES)


def test_no_module_shadows_the_standard_library():
    names = {p.stem for p in PACKAGE.rglob("*.py")} | {p.name for p in PACKAGE.iterdir()
                                                         if p.is_dir()}
    assert not names & set(sys.stdlib_module_names) - {"__init__"}
