"""Every fragment re-saves the kept settings first: a fragment's rerun skips app.py, and
Streamlit's clean-up after it would otherwise drop the settings of the pages not shown (a
learner on Train with a running job lost the Image kernels settings)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [REPO_ROOT / "ui", REPO_ROOT / "app_pages"]  # with app.py: every file with fragments


def _sources() -> list[Path]:
    """Every file to scan. A folder that moved (pages/ became app_pages/) fails the tests
    instead of being skipped in silence."""
    for folder in FOLDERS:
        assert folder.is_dir(), f"{folder} does not exist: point the scan at where it moved"
        assert list(folder.glob("*.py")), f"{folder} has no Python files to scan"
    return sorted([*(path for folder in FOLDERS for path in folder.glob("*.py")),
                   REPO_ROOT / "app.py"])


def _is_fragment(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr == "fragment"


def _fragments() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(map(_is_fragment, node.decorator_list)):
                found.append((f"{path.name}:{node.name}", node))
    return found


def _first_call(function: ast.FunctionDef) -> str | None:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call):
        func = body[0].value.func
        return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return None


def test_the_app_has_fragments_to_check():
    assert len(_fragments()) >= 3  # live training panel, device line, sliding-window player


def test_every_fragment_starts_by_keeping_the_settings():
    missing = [name for name, function in _fragments()
               if _first_call(function) != "keep_settings_across_pages"]
    assert not missing, f"fragments that do not call keep_settings_across_pages first: {missing}"
