"""The models of "Your own images": the shipped base keeps its card's promises, transfer trains
only the new head, and fine-tuning unfreezes only what it says. Tiny data, a few seconds each."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.jobs import transfer_models as tm
from cnn_core.jobs.transfer_models import (
    BASES,
    MOBILENET,
    SHIPPED,
    BaseUnavailable,
    base_input_size,
    base_of,
    build_scratch_model,
    build_transfer_model,
    load_base,
    mobilenet_weights_cached,
    shipped_base_card,
    unfreeze_top,
)

keras = pytest.importorskip("keras")

needs_mobilenet = pytest.mark.skipif(
    not mobilenet_weights_cached(),
    reason=f"MobileNetV2's ImageNet weights ({tm.MOBILENET_WEIGHTS_FILE}) are not in the Keras "
           f"cache; they download the first time the page uses that base online")


def _pictures(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n float32 pictures in [0, 1], as the app feeds models, and labels 0..2."""
    rng = np.random.default_rng(seed)
    return rng.random((n, size, size, 3), dtype=np.float32), rng.integers(0, 3, n)


def _weights(layers) -> list[np.ndarray]:
    return [np.array(w) for layer in layers for w in layer.weights]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def shipped():
    return keras.models.load_model(tm.SHIPPED_BASE_PATH, compile=False)


def test_bases_and_their_input_sizes():
    assert base_input_size(SHIPPED) == 32 and base_input_size(MOBILENET) == 96
    assert set(BASES) == {SHIPPED, MOBILENET} and BASES[SHIPPED].shipped
    with pytest.raises(BaseUnavailable, match="shipped"):
        base_input_size("resnet")


def test_the_card_describes_the_shipped_file(shipped):
    card = shipped_base_card()
    assert card["file_bytes"] == tm.SHIPPED_BASE_PATH.stat().st_size <= 3_000_000
    assert card["classes"] == list(tm.SHIPPED_BASE_CLASSES)
    assert not {"bird", "cat", "dog"} & set(card["classes"])  # transfer to the examples is honest
    assert card["train_images"] == 35_000 and card["test_images"] == 7_000
    assert card["parameters"] == shipped.count_params()
    assert card["features"] == shipped.get_layer(tm.FEATURES_LAYER).output.shape[-1]
    assert card["test_accuracy"] >= 0.75
    assert {"seed", "epochs", "train_seconds", "date", "augmentation"} <= set(card)


def test_the_recorded_accuracy_is_the_measured_one(shipped, shared_data):
    from cnn_core.data.datasets import load_dataset
    from cnn_core.data.pixels import to_model_input

    if not (shared_data / "cifar10_jpg.zip").is_file():
        pytest.skip("needs cifar10_jpg.zip")
    data = load_dataset("cifar10")
    wanted = [data.class_names.index(c) for c in tm.SHIPPED_BASE_CLASSES]
    keep = np.isin(data.y_test, wanted)
    labels = np.searchsorted(wanted, data.y_test[keep])  # wanted is in CIFAR-10's order
    predicted = shipped.predict(to_model_input(data.x_test[keep]), batch_size=1000, verbose=0)
    accuracy = float(np.mean(predicted.argmax(axis=1) == labels))
    assert accuracy == pytest.approx(shipped_base_card()["test_accuracy"], abs=1e-4)


def test_the_shipped_base_is_cut_at_its_features_and_frozen(shipped):
    base = load_base(SHIPPED)
    assert not base.trainable and not base.trainable_weights
    assert tuple(base.inputs[0].shape[1:]) == (32, 32, 3)
    x, _ = _pictures(4, 32)
    whole = keras.Model(shipped.inputs, shipped.get_layer(tm.FEATURES_LAYER).output)
    np.testing.assert_allclose(base.predict(x, verbose=0), whole.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_transfer_trains_only_the_new_head():
    model = build_transfer_model(SHIPPED, 3, seed=1)
    base = base_of(model)
    assert [w.path for w in model.trainable_weights] == [
        "classifier/kernel", "classifier/bias"]
    before_base, before_head = _weights(base.layers), _weights([model.get_layer("classifier")])
    x, y = _pictures(32, 32)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert _same(_weights(base.layers), before_base)  # BatchNorm statistics included
    assert not _same(_weights([model.get_layer("classifier")]), before_head)
    assert model.predict(x[:2], verbose=0).shape == (2, 3)


def test_unfreeze_top_opens_only_the_top_layers_and_never_batchnorm():
    model = build_transfer_model(SHIPPED, 3, seed=1)
    x, y = _pictures(32, 32)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    names = unfreeze_top(model, 2)
    base = base_of(model)
    convolutions = [layer.name for layer in base.layers if isinstance(layer, keras.layers.Conv2D)]
    assert names == convolutions[-2:]
    trainable = {w.path.split("/")[0] for w in model.trainable_weights}
    assert trainable == {*names, "classifier"}
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-5)
    frozen = [layer for layer in base.layers if layer.name not in names]
    before_frozen = _weights(frozen)
    before_top = _weights([base.get_layer(n) for n in names])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert _same(_weights(frozen), before_frozen)  # BatchNorm moving statistics too
    assert not _same(_weights([base.get_layer(n) for n in names]), before_top)
    assert unfreeze_top(model, 0) == [] and [w.path for w in model.trainable_weights] == [
        "classifier/kernel", "classifier/bias"]
    with pytest.raises(ValueError, match="0 or more"):
        unfreeze_top(model, -1)


def test_a_saved_transfer_model_loads_and_predicts_the_same(tmp_path):
    model = build_transfer_model(SHIPPED, 2, seed=3)
    unfreeze_top(model, 1)
    x, y = _pictures(8, 32)
    model.fit(x, y % 2, batch_size=8, epochs=1, verbose=0)  # as after a fine-tune
    path = tmp_path / "transfer.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_scratch_model_learns_from_random_weights_and_is_seeded():
    model = build_scratch_model(48, 4, seed=5)
    assert tuple(model.inputs[0].shape[1:]) == (48, 48, 3)
    assert model.outputs[0].shape[-1] == 4 and model.trainable_weights
    twin = build_scratch_model(48, 4, seed=5)
    assert _same(_weights(model.layers), _weights(twin.layers))
    x, y = _pictures(16, 48)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert not _same(_weights(model.layers), _weights(twin.layers))


def test_a_missing_or_damaged_shipped_base_gets_a_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(tm, "SHIPPED_BASE_PATH", tmp_path / "transfer_base.keras")
    with pytest.raises(BaseUnavailable, match="build_own_images_assets"):
        load_base(SHIPPED)
    (tmp_path / "transfer_base.keras").write_bytes(b"not a model")
    with pytest.raises(BaseUnavailable, match="cannot be read"):
        load_base(SHIPPED)
    monkeypatch.setattr(tm, "SHIPPED_CARD_PATH", tmp_path / "missing.json")
    with pytest.raises(BaseUnavailable, match="card"):
        shipped_base_card()


class _Fetched(Exception):
    pass


def test_the_weights_file_name_is_the_one_keras_fetches(tmp_path, monkeypatch):
    """Keras names the file it fetches; a Keras that renamed it would never find our cache."""
    from keras.src.applications import mobilenet_v2

    def get_file(fname, *args, **kwargs):
        raise _Fetched(fname)

    monkeypatch.setattr(mobilenet_v2.file_utils, "get_file", get_file)
    with pytest.raises(_Fetched) as fetched:
        keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, include_top=False,
                                       weights="imagenet", pooling="avg")
    assert str(fetched.value) == tm.MOBILENET_WEIGHTS_FILE
    # and a failed fetch becomes one sentence
    with pytest.raises(BaseUnavailable, match="MobileNetV2"):
        load_base(MOBILENET)


def test_the_cache_check_looks_where_keras_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert not mobilenet_weights_cached()
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / tm.MOBILENET_WEIGHTS_FILE).write_bytes(b"weights")
    assert mobilenet_weights_cached()


def test_mobilenet_base_scales_as_its_preprocess_input_and_pools():
    base = tm._mobilenet_base(weights=None)  # the architecture, without a download
    assert tuple(base.inputs[0].shape[1:]) == (96, 96, 3)
    assert base.outputs[0].shape[-1] == 1280
    x, _ = _pictures(2, 8)
    scaled = base.get_layer("mobilenet_scaling")(x)
    expected = keras.applications.mobilenet_v2.preprocess_input(x * 255.0)
    np.testing.assert_allclose(np.array(scaled), np.array(expected), atol=1e-5)


@needs_mobilenet
def test_mobilenet_transfer_trains_only_the_head():
    model = build_transfer_model(MOBILENET, 2, seed=0)
    assert [w.path for w in model.trainable_weights] == [
        "classifier/kernel", "classifier/bias"]
    x, y = _pictures(8, 96)
    model.fit(x, y % 2, batch_size=8, epochs=1, verbose=0)
    names = unfreeze_top(model, 3)
    assert len(names) == 3
    opened = [layer for layer in tm._leaf_layers(base_of(model)) if layer.name in names]
    assert len(opened) == 3 and all(layer.trainable for layer in opened)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in opened)
