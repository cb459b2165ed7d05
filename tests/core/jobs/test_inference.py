"""The inference process: predictions, descriptions and refusals of unusable model files."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.jobs.inference import (
    InferenceClient,
    InferenceError,
    ModelDescription,
    describe_model,
    first_layer_filters,
    predict,
    warm_up,
)
from cnn_core.models.specs import LayerRow, pretrained_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    client = InferenceClient()
    yield client
    client.shutdown()


def test_describes_and_predicts_with_the_shipped_model(client):
    path = str(pretrained_path("mnist_cnn"))
    description = client.call(describe_model, path)
    assert description.input_shape == (28, 28, 1) and description.num_classes == 10
    assert description.parameters == 215_370
    assert description.mismatch((28, 28), 10, "MNIST") is None
    from cnn_core.data.datasets import load_dataset

    data = load_dataset("mnist", download=False)
    probabilities = client.call(predict, path, data.x_test[:200].astype(np.float32) / 255)
    assert probabilities.shape == (200, 10)
    assert np.mean(probabilities.argmax(axis=1) == data.y_test[:200]) > 0.95
    assert client.call(first_layer_filters, path).shape == (5, 5, 1, 16)


def test_a_file_that_is_not_a_model_is_refused_in_one_sentence(client, tmp_path):
    bad = tmp_path / "notes.keras"
    bad.write_text("not a model")
    with pytest.raises(ValueError, match="not a Keras model"):
        client.call(describe_model, str(bad))
    with pytest.raises(ValueError, match="no longer exists"):
        client.call(describe_model, str(tmp_path / "gone.keras"))


def test_mismatch_names_both_shapes():
    description = ModelDescription("m", (32, 32, 3), 10, [LayerRow("x", "Dense", (10,), 5)])
    message = description.mismatch((28, 28), 10, "MNIST")
    assert message == ("This model takes 32 x 32 x 3 images and answers 10 classes, but MNIST "
                       "has 28 x 28 x 1 images in 10 classes.")
    assert description.mismatch((32, 32, 3), 2, "bird vs not") is not None
    assert description.mismatch((32, 32, 3), 10, "CIFAR-10") is None


def test_a_call_past_its_time_limit_is_killed_and_the_next_call_works():
    import time

    client = InferenceClient()
    try:
        assert client.call(warm_up, timeout=120)
        started = time.monotonic()
        with pytest.raises(InferenceError, match="too long"):
            client.call(time.sleep, 600, timeout=1)
        assert time.monotonic() - started < 30 and client.restarts == 1
        assert client.call(warm_up, timeout=120)  # a fresh process answers
    finally:
        client.shutdown()


def test_a_long_line_of_calls_is_refused_at_once_rather_than_queued():
    import threading
    import time

    client = InferenceClient(max_pending=1)
    try:
        busy = threading.Thread(target=lambda: client.call(time.sleep, 3, timeout=120))
        busy.start()
        time.sleep(0.5)
        with pytest.raises(InferenceError, match="busy"):
            client.call(warm_up)
        busy.join()
        assert client.call(warm_up, timeout=120)
    finally:
        client.shutdown()
