"""What the "Draw and predict" widget groups share: teaching text, model choices, the model
worker and this session's answers.

Every model call goes through the inference worker (`ui.services.inference_client`), so the
Streamlit server never imports Keras; answers are kept per model file and input in this
session's state, so moving a slider does not ask the worker again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import streamlit as st

from cnn_core import config
from cnn_core.models.specs import pretrained_path
from ui.services import inference_client

CLASSES = config.MNIST_CLASSES
CACHE_KEY = "_draw_cache"                  # {(what, model path, input digest): answer}
CHART = {"displayModeBar": False}


@dataclass(frozen=True)
class ModelChoice:
    path: str
    title: str
    accuracy: float | None = None


# The page's sections in order; their numbers come from the sections actually shown.
SECTIONS = ["Your digit", "What the network says", "From your picture to 28 x 28 numbers",
            "What the network sees", "Lesson: shift it", "Lesson: ask a silly question"]


class Sections:
    """Section headings numbered in the order they are shown, so the numbers never jump when
    a section is left out (no digit yet: no analysis sections)."""

    def __init__(self, titles: list[str]) -> None:
        self.titles = titles
        self.shown: list[str] = []

    def __call__(self, title: str) -> None:
        if title not in self.titles:
            raise ValueError(f"{title!r} is not one of this page's sections.")
        self.shown.append(title)
        st.subheader(f"{len(self.shown)}. {title}")


@cache
def text(section: str) -> str:
    """One `<!-- section -->` of assets/text/draw_and_predict.md."""
    source = (config.TEXT_DIR / "draw_and_predict.md").read_text(encoding="utf-8")
    parts = re.split(r"<!-- (\w+) -->", source)
    return dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))[section]


def digest(array: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def remember(key: tuple, compute):
    """The answer for `key`, computed once per session (the last 48 answers are kept)."""
    cache_ = st.session_state.setdefault(CACHE_KEY, {})
    if key not in cache_:
        value = compute()
        while len(cache_) >= 48:
            cache_.pop(next(iter(cache_)))
        cache_[key] = value
    return cache_[key]


def per_model(what: str, models: list[ModelChoice], input_key: str, compute) -> list:
    """One answer per model, kept per model file; the missing ones come from one call of
    `compute(paths)`, which returns a sequence with one answer per path."""
    cache_ = st.session_state.setdefault(CACHE_KEY, {})
    missing = [m.path for m in models if (what, m.path, input_key) not in cache_]
    if missing:
        for path, answer in zip(missing, compute(missing), strict=True):
            remember((what, path, input_key), lambda answer=answer: answer)
    return [cache_[(what, m.path, input_key)] for m in models]


def worker(function, *args):
    """Run `function(*args)` in the model process, with a spinner the first time it starts."""
    with st.spinner("Asking the model (the first time takes a few seconds to start)..."):
        return inference_client().call(function, *args)


@cache
def shipped_info() -> dict:
    if not config.PRETRAINED_INFO.is_file():
        return {}
    return json.loads(config.PRETRAINED_INFO.read_text(encoding="utf-8"))


def shipped(name: str, title: str) -> ModelChoice | None:
    path = pretrained_path(name)
    if not path.is_file():
        return None
    return ModelChoice(str(path), title, shipped_info().get(name, {}).get("test_accuracy"))
