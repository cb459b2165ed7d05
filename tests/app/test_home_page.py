"""AppTest of the home page: learning path and machine status, no TensorFlow in the server."""

from __future__ import annotations

from ui.navigation import LEARNING_PATH, available_pages


def test_home_page_lists_existing_pages_in_order(run_page):
    app = run_page("app.py")
    assert not app.exception
    assert app.title[0].value == "CNN Classroom"
    links = [el.proto.label for el in app.get("page_link") if not el.proto.query_string]
    expected = [f"{i}. {page.title}" for i, page in enumerate(available_pages(), start=1)]
    assert links == expected
    assert [p.title for p in available_pages()] == [
        p.title for p in LEARNING_PATH if p in available_pages()]


def test_status_box_names_device_state_and_data_sets(run_page):
    app = run_page("app.py")
    text = "\n".join(m.value for m in app.markdown)
    assert "Compute device" in text
    assert "**MNIST:**" in text and "**CIFAR-10:**" in text and "**Fashion-MNIST:**" in text


def test_the_queue_now_comes_before_the_learning_path(run_page):
    app = run_page("app.py")
    assert not app.exception
    texts = [m.value for m in app.markdown]
    queue = next(i for i, text in enumerate(texts) if "Training queue:" in text)
    # An idle server: nothing trains here, so a job would start at once.
    assert "at a time. Nothing is training now; a job started now would begin at once." \
           in texts[queue]
    assert app.subheader[0].value == "Learning path"
    assert queue < next(i for i, text in enumerate(texts) if "**MNIST:**" in text)


def test_missing_data_sets_say_what_to_do(run_page, monkeypatch, tmp_path):
    monkeypatch.setenv("CNN_CLASSROOM_DATA", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    import cnn_core.config as config

    monkeypatch.setattr(config, "DEBIAN_FASHION_MNIST_DIR", tmp_path / "none")
    app = run_page("app.py")
    text = "\n".join(m.value for m in app.markdown)
    assert "bundled subset" in text  # MNIST still works offline, and how small it is
    assert (f"(offline fallback): {config.BUNDLED_MNIST_TRAIN:,} training and "
            f"{config.BUNDLED_MNIST_TEST:,} test images") in text
    assert "CIFAR-10:** not available" in text and "CNN_CLASSROOM_DATA" in text
