"""Feature maps, first-layer filters and Grad-CAM on built, saved and shipped Keras models."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.config import BUNDLED_MNIST
from cnn_core.jobs.builder import build_model, load_pretrained
from cnn_core.maths.convolution import convolve2d

keras = pytest.importorskip("keras")

from cnn_core.jobs import explain  # noqa: E402


@pytest.fixture(scope="module")
def shipped():
    return load_pretrained("mnist_cnn")


@pytest.fixture(scope="module")
def digits():
    with np.load(BUNDLED_MNIST) as data:
        return data["x_test"][:100].astype(np.float32) / 255, data["y_test"][:100]


def test_feature_maps_of_every_conv_and_pool_layer(shipped, digits):
    maps = explain.feature_maps(shipped, digits[0][0])
    assert {name: m.shape for name, m in maps.items()} == {
        "conv_1": (28, 28, 16), "pool_1": (14, 14, 16),
        "conv_2": (14, 14, 32), "pool_2": (7, 7, 32)}
    assert all(m.dtype == np.float32 and m.min() >= 0 for m in maps.values())  # after ReLU


@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 1), (1, 28, 28, 1)])
def test_feature_maps_accept_one_image_in_any_layout(shipped, digits, shape):
    maps = explain.feature_maps(shipped, digits[0][0].reshape(shape))
    np.testing.assert_allclose(maps["pool_2"],
                               explain.feature_maps(shipped, digits[0][0])["pool_2"])


def test_uint8_pictures_are_read_as_0_to_255_and_floats_must_be_in_0_to_1(shipped, digits):
    as_uint8 = np.rint(digits[0][0] * 255).astype(np.uint8)
    np.testing.assert_allclose(explain.feature_maps(shipped, as_uint8)["pool_2"],
                               explain.feature_maps(shipped, digits[0][0])["pool_2"], atol=1e-5)
    with pytest.raises(ValueError, match="from 0 to 1"):
        explain.feature_maps(shipped, digits[0][0] * 255)
    with pytest.raises(ValueError, match="one picture at a time"):
        explain.grad_cam(shipped, digits[0][:2])


def test_first_feature_map_is_relu_of_the_cross_correlation(shipped, digits):
    """Micrograd-style: conv_1 equals our own convolve2d with its weights, plus bias, ReLU."""
    image = digits[0][3]
    weights, bias = shipped.get_layer("conv_1").get_weights()
    maps = explain.feature_maps(shipped, image)["conv_1"]
    for f in (0, 7, 15):
        ours = np.maximum(convolve2d(image, weights[:, :, 0, f], padding="same") + bias[f], 0)
        np.testing.assert_allclose(maps[:, :, f], ours, atol=1e-4)


def test_max_pooling_map_is_the_2x2_maximum(shipped, digits):
    maps = explain.feature_maps(shipped, digits[0][5])
    conv = maps["conv_1"]
    expected = conv.reshape(14, 2, 14, 2, 16).max(axis=(1, 3))
    np.testing.assert_allclose(maps["pool_1"], expected, rtol=1e-6)


def test_first_layer_filters(shipped):
    filters = explain.first_layer_filters(shipped)
    assert filters.shape == (5, 5, 1, 16) and filters.dtype == np.float32
    dense = build_model("dense_baseline", (28, 28, 1), 10)
    assert explain.first_layer_filters(dense) is None
    assert explain.feature_maps(dense, np.zeros((28, 28))) == {}


def test_grad_cam_shape_range_and_classes(shipped, digits):
    image = digits[0][0]
    cam = explain.grad_cam(shipped, image)
    assert cam.shape == (28, 28) and cam.dtype == np.float32
    assert cam.min() >= 0 and 0 < cam.max() <= 1
    predicted = int(np.argmax(shipped(image[None, :, :, None])[0]))
    np.testing.assert_array_equal(cam, explain.class_evidence(shipped, image)[predicted])
    other = explain.grad_cam(shipped, image, class_index=(predicted + 1) % 10)
    assert other.shape == (28, 28) and other.min() >= 0 and other.max() <= 1
    assert not np.allclose(cam, other)
    with pytest.raises(ValueError, match="does not exist"):
        explain.grad_cam(shipped, image, class_index=10)
    with pytest.raises(ValueError, match="expects"):
        explain.grad_cam(shipped, np.zeros((32, 32)))
    with pytest.raises(ValueError, match="method must be one of"):
        explain.class_evidence(shipped, image, method="saliency")


@pytest.mark.parametrize("method", explain.GRAD_CAM_METHODS)
def test_every_class_shares_one_scale_for_the_image(shipped, digits, method):
    """1 is the strongest evidence for any class: exactly one class reaches it."""
    evidence = explain.class_evidence(shipped, digits[0][1], method)
    assert evidence.shape == (10, 28, 28) and evidence.dtype == np.float32
    peaks = evidence.reshape(10, -1).max(axis=1)
    assert evidence.min() >= 0 and peaks.max() == pytest.approx(1.0)
    assert (peaks < 1 - 1e-6).sum() >= 8  # the others are not stretched to 1 each


def test_a_class_with_no_chance_is_dim_and_the_answer_bright(shipped, digits):
    """Per-class stretching lit every class's map up to 1; on the image's common scale the
    class the network rules out (probability ~0) is dim, the class it picks is bright."""
    images = digits[0][:30]
    probabilities = np.asarray(shipped(images[..., None]))
    answer_peaks, ruled_out_peaks, brighter = [], [], 0
    for image, p in zip(images, probabilities, strict=True):
        evidence = explain.class_evidence(shipped, image)
        top, low = int(np.argmax(p)), int(np.argmin(p))
        assert p[low] < 1e-6
        answer_peaks.append(evidence[top].max())
        ruled_out_peaks.append(evidence[low].max())
        brighter += evidence[top].mean() > 2 * evidence[low].mean()
    print(f"answer peaks {np.median(answer_peaks):.2f}, ruled out {np.median(ruled_out_peaks):.2f}")
    assert np.median(answer_peaks) > 0.9 and np.median(ruled_out_peaks) < 0.5
    assert brighter >= 27, f"the answer was twice as bright on only {brighter} of 30 digits"


def test_grad_cam_looks_at_the_digit(shipped, digits):
    """More of the heat lies inside the digit's bounding box than outside, on most digits."""
    inside_wins = 0
    for image in digits[0][:40]:
        cam = explain.grad_cam(shipped, image)
        rows, cols = np.nonzero(image > 0.1)
        box = np.zeros_like(cam, dtype=bool)
        box[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = True
        inside_wins += cam[box].sum() > cam[~box].sum()
    print(f"Grad-CAM inside the box on {inside_wins} of 40 digits")
    assert inside_wins >= 34, f"only {inside_wins} of 40 digits"


def test_grad_cam_needs_a_convolution():
    dense = build_model("dense_baseline", (28, 28, 1), 10)
    with pytest.raises(ValueError, match="convolution"):
        explain.grad_cam(dense, np.zeros((28, 28)))


def test_functional_colour_model_and_a_saved_copy(tmp_path):
    """Functional models (not Sequential) and models loaded back from .keras files work too."""
    inputs = keras.Input((32, 32, 3), name="photo")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(inputs)
    x = keras.layers.AveragePooling2D(2, name="pool_a")(x)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="conv_b")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs)
    image = np.random.default_rng(0).random((32, 32, 3)).astype(np.float32)
    path = tmp_path / "functional.keras"
    model.save(path)
    for m in (model, keras.models.load_model(path)):
        maps = explain.feature_maps(m, image)
        assert {k: v.shape for k, v in maps.items()} == {
            "conv_a": (32, 32, 4), "pool_a": (16, 16, 4), "conv_b": (14, 14, 6)}
        cam = explain.grad_cam(m, image, class_index=1)
        assert cam.shape == (32, 32) and cam.min() >= 0 and cam.max() <= 1
        assert explain.first_layer_filters(m).shape == (3, 3, 3, 4)


def test_a_freshly_built_preset_saved_and_loaded(tmp_path, digits):
    model = build_model("cifar_dcnn", (32, 32, 3), 10, filters=4, dense_units=8)
    path = tmp_path / "cifar.keras"
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    image = np.random.default_rng(1).random((32, 32, 3)).astype(np.float32)
    assert len(explain.feature_maps(loaded, image)) == 6  # four convs, two pools
    assert explain.grad_cam(loaded, image).shape == (32, 32)
