"""Page settings as address-bar parameters: what a link may hold, read back safely.

A link is untrusted text typed by anyone. Each page declares its settings (name in the link,
how to read and write the value, the default); `read_link` keeps what is valid and describes
the rest in one plain sentence, and `link_params` writes the current values back. Teacher
options (locked and hidden controls, a task) live in the same link, so nothing is stored on
the server. Pure functions: the Streamlit side is `ui/links.py`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnn_core.config import MAX_GRID_SIZE, MAX_KERNEL_SIZE
from cnn_core.data.grids import parse_grid
from cnn_core.maths.kernels import KernelError, custom_kernel, parse_kernel

MAX_VALUE_CHARS = 2_000   # any one number or name fits; a pasted essay does not
# A matrix entry is written with every digit (repr): at most 24 characters and a separator.
MATRIX_ENTRY_CHARS = 25
MAX_TASK_CHARS = 300      # one or two sentences at the top of the page
LOCK, HIDE, TASK = "lock", "hide", "task"
TEACHER_PARAMS = (LOCK, HIDE, TASK)


class LinkValueError(ValueError):
    """A link value that cannot be used; the message says what would be accepted."""


@dataclass(frozen=True)
class Setting:
    """One control that a link can set.

    key: the widget's session-state key. None when the page computes the value (a custom
    kernel from a grid) and records it after the widget has run.
    assign: the session-state values that put the control at `value`; by default
    {key: value}. A custom kernel, for instance, also switches its control to "Custom".
    max_chars: the longest value read; a matrix needs more room than a number.
    keeps: further widget keys that hold this setting (a kernel's text box, its grid size),
    so they outlive a page switch too.
    """

    name: str
    label: str
    default: Any
    parse: Callable[[str], Any]
    format: Callable[[Any], str] = str
    key: str | None = None
    assign: Callable[[Any], dict[str, Any]] | None = None
    max_chars: int = MAX_VALUE_CHARS
    keeps: tuple[str, ...] = ()

    def assignments(self, value: Any) -> dict[str, Any]:
        if self.assign is not None:
            return self.assign(value)
        return {} if self.key is None else {self.key: value}

    def is_default(self, value: Any) -> bool:
        try:
            return self.format(value) == self.format(self.default)
        except (TypeError, ValueError):
            return False


@dataclass(frozen=True)
class TeacherOptions:
    locked: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    task: str = ""

    def __bool__(self) -> bool:
        return bool(self.locked or self.hidden or self.task)


@dataclass(frozen=True)
class LinkReading:
    values: dict[str, Any] = field(default_factory=dict)   # setting name -> parsed value
    teacher: TeacherOptions = TeacherOptions()
    note: str = ""   # one sentence about what was left at its default, "" when all was used


# ---- Kinds of setting -----------------------------------------------------------------------

def choice(name: str, label: str, options: Sequence, default: Any, key: str | None = None,
           assign: Callable[[Any], dict[str, Any]] | None = None) -> Setting:
    """One of a fixed list; written as str(option), read back by exact match."""
    by_text = {str(option): option for option in options}
    if str(default) not in by_text:
        raise ValueError(f"default {default!r} is not one of the options of {name}")

    def parse(text: str) -> Any:
        if text in by_text:
            return by_text[text]
        # A few names are enough to show what is meant; all of a long list would fill three
        # lines of a projector above the lesson.
        shown = ", ".join(list(by_text)[:4]) + (", ..." if len(by_text) > 4 else "")
        raise LinkValueError(f"one of {shown}")
    return Setting(name, label, default, parse, str, key, assign)


def whole(name: str, label: str, low: int, high: int, default: int | None,
          key: str | None = None) -> Setting:
    """A whole number from low to high."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise LinkValueError(f"a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise LinkValueError(f"a whole number from {low} to {high}")
        return value
    return Setting(name, label, default, parse, lambda v: str(int(v)), key)


def decimal(name: str, label: str, low: float, high: float, default: float,
            key: str | None = None) -> Setting:
    """A finite number from low to high (NaN and infinity are refused)."""
    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise LinkValueError(f"a number from {low:g} to {high:g}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise LinkValueError(f"a number from {low:g} to {high:g}")
        return value
    return Setting(name, label, default, parse, lambda v: f"{float(v):g}", key)


def flag(name: str, label: str, default: bool, key: str | None = None) -> Setting:
    """On or off: written 1 or 0; also reads true/false, yes/no, on/off."""
    def parse(text: str) -> bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise LinkValueError("1 (on) or 0 (off)")
    return Setting(name, label, default, parse, lambda v: "1" if v else "0", key)


def kernel_matrix(name: str, label: str, default: np.ndarray | None = None,
                  key: str | None = None, max_size: int = MAX_KERNEL_SIZE,
                  assign: Callable[[Any], dict[str, Any]] | None = None,
                  keeps: tuple[str, ...] = ()) -> Setting:
    """A kernel written row by row: "1,0,-1;2,0,-2;1,0,-1". Exact: floats keep every digit."""
    def parse(text: str) -> np.ndarray:
        try:
            return custom_kernel(parse_kernel(text, max_size=max_size)).matrix
        except KernelError as error:
            raise LinkValueError(f"rows of numbers, at most {max_size}x{max_size} "
                                 f"({str(error).rstrip('.')})") from None
    # Room for the largest kernel written with every digit (a 15x15 blur of 1/225 is 4,949
    # characters), so any kernel the page accepts also comes back from its own link.
    return Setting(name, label, default, parse, format_matrix, key, assign,
                   max_chars=max(MAX_VALUE_CHARS, max_size * max_size * MATRIX_ENTRY_CHARS),
                   keeps=keeps)


def grid_matrix(name: str, label: str, default: np.ndarray | None = None,
                key: str | None = None, max_size: int = MAX_GRID_SIZE,
                assign: Callable[[Any], dict[str, Any]] | None = None,
                keeps: tuple[str, ...] = ()) -> Setting:
    """An input grid written like a kernel ("3,0,1;1,5,8"), at most max_size a side, every
    number finite and no larger than a million (as the page's own table accepts)."""
    def parse(text: str) -> np.ndarray:
        try:
            return parse_grid([row.split(",") for row in text.split(";")], max_size)
        except ValueError as error:
            raise LinkValueError(f"rows of numbers, at most {max_size}x{max_size} "
                                 f"({str(error).rstrip('.')})") from None
    # Room for a whole grid of decimals written with every digit, as for a kernel.
    return Setting(name, label, default, parse, format_matrix, key, assign,
                   max_chars=max(MAX_VALUE_CHARS, max_size * max_size * MATRIX_ENTRY_CHARS),
                   keeps=keeps)


def format_matrix(matrix: Any) -> str:
    """Rows joined by ';', entries by ','; whole numbers without a decimal point."""
    def entry(value: float) -> str:
        # Beyond 2**53 a whole float is written as 1e+300, not 301 digits; repr keeps it exact.
        value = float(value)
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if matrix is None:
        return ""
    return ";".join(",".join(entry(v) for v in row) for row in np.asarray(matrix, dtype=float))


# ---- Reading and writing a link ----------------------------------------------------------------

def _names(text: str, known: Mapping[str, Setting]) -> frozenset[str]:
    return frozenset(n.strip() for n in text.split(",") if n.strip() in known)


def read_link(params: Mapping[str, str], settings: Sequence[Setting]) -> LinkReading:
    """The valid settings and teacher options of a link; one note for everything else."""
    known = {s.name: s for s in settings}
    values: dict[str, Any] = {}
    problems: list[str] = []
    ignored: list[str] = []
    for name, raw in params.items():
        text = raw if isinstance(raw, str) else str(raw)
        if name in TEACHER_PARAMS:
            continue
        setting = known.get(name)
        if setting is None:
            ignored.append(_short(name, 20))
            continue
        if len(text) > setting.max_chars:
            problems.append(f"{setting.label} (the value is too long)")
            continue
        try:
            values[name] = setting.parse(text)
        except LinkValueError as error:
            problems.append(f"{setting.label} (needs {error})")
    teacher = TeacherOptions(
        locked=_names(_short(params.get(LOCK, ""), MAX_VALUE_CHARS), known),
        hidden=_names(_short(params.get(HIDE, ""), MAX_VALUE_CHARS), known),
        task=" ".join(_short(params.get(TASK, ""), MAX_TASK_CHARS).split()))
    return LinkReading(values, teacher, _note(problems, ignored))


def _short(text: Any, limit: int) -> str:
    """At most `limit` characters, "..." included."""
    text = text if isinstance(text, str) else str(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _note(problems: list[str], ignored: list[str]) -> str:
    parts = []
    if problems:
        listed = "; ".join(problems[:4]) + ("; ..." if len(problems) > 4 else "")
        parts.append(f"Some settings in the link could not be used and were left at their "
                     f"defaults: {listed}.")
    if ignored:
        listed = ", ".join(f"'{n}'" for n in ignored[:4]) + (", ..." if len(ignored) > 4 else "")
        parts.append(f"This page has no setting called {listed}, so the link's value was "
                     "ignored.")
    return " ".join(parts)


def link_params(values: Mapping[str, Any], settings: Sequence[Setting],
                teacher: TeacherOptions = TeacherOptions()) -> dict[str, str]:
    """The link for these values: settings that differ from their defaults, then teacher
    options, in the order the page declares them (so the same state gives the same link)."""
    params: dict[str, str] = {}
    for setting in settings:
        if setting.name not in values or values[setting.name] is None:
            continue
        value = values[setting.name]
        if setting.default is not None and setting.is_default(value):
            continue
        try:
            params[setting.name] = setting.format(value)
        except (TypeError, ValueError):
            continue  # a value the control no longer holds; the link leaves it out
    order = [s.name for s in settings]
    if teacher.locked:
        params[LOCK] = ",".join(n for n in order if n in teacher.locked)
    if teacher.hidden:
        params[HIDE] = ",".join(n for n in order if n in teacher.hidden)
    if teacher.task:
        params[TASK] = teacher.task[:MAX_TASK_CHARS]
    return params
