"""AppTest helpers: pages are run as scripts from the repository root."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[2]


def open_app_page(relative_path: str, query: dict[str, str] | None = None,
                  state: dict | None = None, timeout: float = 60) -> AppTest:
    """A page (or app.py) run once in AppTest as a new browser would open it: `query` in the
    address bar, `state` already in the session (a model trained on another page)."""
    app = AppTest.from_file(str(REPO_ROOT / relative_path), default_timeout=timeout)
    app.query_params.update(query or {})
    for key, value in (state or {}).items():
        app.session_state[key] = value
    return app.run()



def open_through_app(page_path: str, timeout: float = 60) -> AppTest:
    """The whole app (app.py, its navigation and its settings keeper), switched to one page."""
    app = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=timeout).run()
    return app.switch_page(page_path).run()


def elsewhere_and_back(app: AppTest, page_path: str) -> AppTest:
    """Leave for another page and come back through app.py. (AppTest cannot switch to the home
    page, a function page; Pooling stands in. A real browser clears the query string on a page
    switch, which AppTest does not, so this does.)"""
    app.query_params.clear()
    app.switch_page("app_pages/3_Pooling.py").run()
    assert any(t.value == "Pooling" for t in app.title) and not app.exception
    app.query_params.clear()
    return app.switch_page(page_path).run()

@pytest.fixture
def run_page():
    """Run a page file (or app.py) in AppTest, with a timeout that allows for slow CI."""

    def run(relative_path: str, timeout: float = 60) -> AppTest:
        return open_app_page(relative_path, timeout=timeout)

    return run


@pytest.fixture(autouse=True)
def _no_keras_cleanup_between_script_runs(monkeypatch):
    """AppTest runs pages inside the pytest process, where core tests may have imported Keras.
    Streamlit then calls keras.backend.clear_session() after every script run, which would
    make page tests slower the later they run. The real server never imports Keras (pages
    use worker processes), so switching the hook off here hides nothing the app relies on.
    """
    from streamlit.runtime.scriptrunner import script_runner

    monkeypatch.setattr(script_runner, "_clean_problem_modules", lambda: None)


@pytest.fixture(scope="session")
def generated_cifar10(tmp_path_factory) -> Path:
    """A data folder holding a small CIFAR-10 in the app's image-tree layout
    (cifar10/{train,test}/<class>/*.jpg): 40 training and 40 test photos per class, each class
    a different colour with noise. Enough for every page that lists or splits CIFAR-10, so those
    tests run on a fresh clone without the 160 MB download."""
    import cv2
    import numpy as np

    from cnn_core import config

    folder = tmp_path_factory.mktemp("generated-data")
    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for label, name in enumerate(config.CIFAR10_CLASSES):
            target = folder / "cifar10" / split / name
            target.mkdir(parents=True)
            colour = np.array([25 * label, 255 - 25 * label, 120], np.int16)
            for i in range(40):
                noise = rng.integers(-40, 41, (32, 32, 3), dtype=np.int16)
                photo = np.clip(colour + noise, 0, 255).astype(np.uint8)
                cv2.imwrite(str(target / f"{i:04d}.jpg"), photo)
    return folder


@pytest.fixture
def use_data_folder(monkeypatch, tmp_path):
    """Point the app at another data folder for one test: no Keras cache, an empty decode
    cache, and the server-wide data set cache emptied before and after (later tests load the
    usual data again)."""
    from ui.services import shared_dataset

    def use(folder: Path) -> None:
        monkeypatch.setenv("CNN_CLASSROOM_DATA", str(folder))
        monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
        monkeypatch.setenv("CNN_CLASSROOM_CACHE", str(tmp_path / "cache"))
        shared_dataset.clear()

    yield use
    shared_dataset.clear()
