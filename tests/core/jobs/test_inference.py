"""The inference process: predictions, descriptions and refusals of unusable model files."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.jobs.inference import (
    InferenceBusy,
    InferenceClient,
    InferenceError,
    ModelDescription,
    analyse_image,
    describe_model,
    evidence_agreement,
    evidence_maps,
    feature_maps,
    first_layer_filters,
    predict,
    untrained_copy,
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


def test_the_untrained_copy_has_the_same_layers_and_fresh_fixed_weights():
    """Built in the worker by cloning: same architecture, other weights, the same every time."""
    from cnn_core.jobs import inference

    path = str(pretrained_path("mnist_cnn"))
    trained, copy = inference.load_model_cached(path), untrained_copy(path)
    assert [type(layer).__name__ for layer in copy.layers] == \
        [type(layer).__name__ for layer in trained.layers]
    assert [w.shape for w in copy.get_weights()] == [w.shape for w in trained.get_weights()]
    assert not np.allclose(copy.get_weights()[0], trained.get_weights()[0])
    inference._untrained.clear()  # built again from the seed, it has the same weights
    np.testing.assert_array_equal(untrained_copy(path).get_weights()[0], copy.get_weights()[0])


def test_the_untrained_copys_grad_cam_is_computed_and_differs():
    from cnn_core.data.datasets import load_dataset
    from cnn_core.jobs.explain import class_evidence
    from cnn_core.jobs.inference import load_model_cached

    path = str(pretrained_path("mnist_cnn"))
    data = load_dataset("mnist", download=False)
    for image in data.x_test[:5]:
        analysis = analyse_image(path, image)
        evidence = analysis.evidence
        assert evidence.method == "hirescam"
        assert evidence.trained.shape == evidence.untrained.shape == (10, 28, 28)
        np.testing.assert_array_equal(evidence.trained, class_evidence(load_model_cached(path),
                                                                       image))
        top = int(np.argmax(analysis.probabilities))
        assert evidence.untrained[top].any() and evidence.untrained.max() == pytest.approx(1)
        agreement = evidence_agreement(evidence.trained[top], evidence.untrained[top])
        assert agreement is not None and agreement < 0.8, agreement
    classic = evidence_maps(path, data.x_test[4], "gradcam")
    assert classic.method == "gradcam" and not np.allclose(classic.trained, evidence.trained)


def test_agreement_of_two_maps():
    rng = np.random.default_rng(0)
    a = rng.random((28, 28))
    assert evidence_agreement(a, 3 * a + 1) == pytest.approx(1)
    assert evidence_agreement(a, -a) == pytest.approx(-1)
    assert evidence_agreement(a, np.zeros((28, 28))) is None
    assert abs(evidence_agreement(a, rng.random((28, 28)))) < 0.2  # unrelated noise
    with pytest.raises(ValueError, match="same size"):
        evidence_agreement(a, a[:5])


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


def test_the_time_limit_does_not_count_the_model_process_start():
    """Importing TensorFlow takes seconds (minutes on a loaded server): a cold call with a
    short limit must still be answered, not killed in a restart loop."""
    client = InferenceClient()
    try:
        assert client.call(warm_up, timeout=2)
        assert client.restarts == 0
    finally:
        client.shutdown()


def test_a_slow_call_costs_the_call_behind_it_nothing_and_is_the_only_one_stopped():
    """The executor would hand the process the next call while one still runs, so the call
    behind a slow one used to spend its time limit waiting, and the slow one's kill took it
    down too. Each limit counts only its own call's run."""
    import threading
    import time

    client = InferenceClient()
    try:
        assert client.call(warm_up, timeout=120)
        answers = {}

        def slow():
            try:
                client.call(time.sleep, 3, timeout=2)
            except InferenceError as error:
                answers["slow"] = str(error)

        first = threading.Thread(target=slow)
        first.start()
        time.sleep(0.3)  # the slow call is running
        client.call(time.sleep, 1, timeout=2)  # waits its turn, then has its 2 s
        first.join()
        assert "too long" in answers["slow"] and client.restarts == 1
    finally:
        client.shutdown()


def test_a_call_gives_up_when_its_turn_does_not_come_in_time(client, monkeypatch):
    import threading
    import time

    from cnn_core.jobs import inference

    assert client.call(warm_up, timeout=120)
    busy = threading.Thread(target=lambda: client.call(time.sleep, 1.5, timeout=120))
    busy.start()
    time.sleep(0.3)
    monkeypatch.setattr(inference, "QUEUE_TIMEOUT_S", 0.3)
    with pytest.raises(InferenceError, match="other learners"):
        client.call(warm_up)
    busy.join()
    assert client.call(warm_up, timeout=120)  # the line moved on without the one that left


def _flexible_model(path, head=True):
    import keras

    inputs = keras.Input(shape=(None, None, 1))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    if head:
        x = keras.layers.GlobalAveragePooling2D()(x)
        x = keras.layers.Dense(3, activation="softmax")(x)
    keras.Model(inputs, x).save(path)
    return str(path)


def test_a_model_that_takes_pictures_of_any_size_is_described_and_tested(tmp_path):
    path = _flexible_model(tmp_path / "flexible.keras")
    description = describe_model(path)
    assert description.input_shape == (None, None, 1) and description.num_classes == 3
    assert description.layers[1].output_shape == (None, None, 4)
    assert description.parameters == 4 * 9 + 4 + 4 * 3 + 3
    assert description.mismatch((28, 28), 3, "MNIST") is None
    assert description.mismatch((32, 32, 3), 3, "CIFAR-10") == (
        "This model takes images of any size with 1 channel and answers 3 classes, but "
        "CIFAR-10 has 32 x 32 x 3 images in 3 classes.")
    assert predict(path, np.zeros((2, 28, 28), np.uint8)).shape == (2, 3)
    # Looking inside it works as for any model: one test picture's feature maps.
    assert feature_maps(path, np.zeros((28, 28), np.uint8))["conv"].shape == (26, 26, 4)
    with pytest.raises(ValueError, match="any size"):
        predict(path, np.zeros((2, 32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match="one score per class"):
        describe_model(_flexible_model(tmp_path / "maps.keras", head=False))


def test_mismatch_with_one_flexible_dimension():
    description = ModelDescription("m", (None, 28, 1), 10, [LayerRow("x", "Dense", (10,), 5)])
    assert description.mismatch((14, 28), 10, "half MNIST") is None
    assert description.mismatch((28, 14), 10, "MNIST sideways").startswith(
        "This model takes any x 28 x 1 images")


def test_a_model_process_that_dies_while_starting_is_one_sentence_and_starts_afresh():
    """Killed while importing TensorFlow (out of memory on a busy server), or restarted by
    another call's start timeout: the callers waiting for it get a sentence, not a traceback."""
    import threading
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool
    from types import SimpleNamespace

    client = InferenceClient()
    starting = Future()
    starting.set_running_or_notify_cancel()
    client._pool, client._warm = SimpleNamespace(), starting  # a process still starting
    threading.Timer(0.2, starting.set_exception, [BrokenProcessPool("killed")]).start()
    with pytest.raises(InferenceBusy, match="could not start"):
        client.call(len, [1])
    assert client._pool is None  # the next call starts a fresh process
