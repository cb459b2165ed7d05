"""Looking inside a trained Keras model: feature maps, first-layer filters and Grad-CAM.

These functions take a Keras model object, so they run where Keras is imported: in the
worker processes (see `cnn_core.inference`), in scripts and in tests, never in a page.
Models need defined inputs (Sequential built on keras.Input, or functional).
"""

from __future__ import annotations

import numpy as np

FEATURE_LAYER_TYPES = ("Conv2D", "MaxPooling2D", "AveragePooling2D")


def as_batch(x: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """One image (H, W), (H, W, C) or a batch (1, H, W, C) -> float32 (1, H, W, C)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == len(input_shape) - 1:
        x = x[..., None] if x.ndim == 2 else x[None]
    if x.ndim == len(input_shape):
        x = x[None]
    if tuple(x.shape[1:]) != tuple(d for d in input_shape):
        raise ValueError(f"The image has shape {x.shape[1:]} but the model expects "
                         f"{tuple(input_shape)}.")
    return x


def _input_shape(model) -> tuple[int, ...]:
    return tuple(model.inputs[0].shape[1:])


def feature_layers(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ in FEATURE_LAYER_TYPES]


def feature_maps(model, x: np.ndarray) -> dict[str, np.ndarray]:
    """Activations of every convolution and pooling layer for one image.

    x: (H, W) or (H, W, C) float in [0, 1]. Returns {layer name: (h, w, channels) float32},
    in layer order.
    """
    import keras

    layers = feature_layers(model)
    if not layers:
        return {}
    probe = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in layers])
    outputs = probe(as_batch(x, _input_shape(model)), training=False)
    outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
    return {layer.name: np.asarray(out)[0].astype(np.float32)
            for layer, out in zip(layers, outputs, strict=True)}


def first_layer_filters(model) -> np.ndarray | None:
    """Weights of the first convolution layer: (k, k, channels_in, filters), or None."""
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            return np.asarray(layer.get_weights()[0], dtype=np.float32)
    return None


def _logits_layer(model):
    """The final Dense layer when it applies softmax, so Grad-CAM can use pre-softmax scores."""
    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if type(last).__name__ == "Dense" and activation == "softmax":
        return last
    return None


def grad_cam(model, x: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Grad-CAM heat map of where the last convolution layer found evidence for a class.

    x: one image (H, W) or (H, W, C) float in [0, 1]. class_index: None for the predicted
    class. Returns (H, W) float32 in [0, 1] at the input's size (all zeros if the class
    has no positive evidence).
    """
    import cv2
    import keras
    import tensorflow as tf

    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    if not convs:
        raise ValueError("Grad-CAM needs a model with at least one convolution layer.")
    batch = as_batch(x, _input_shape(model))
    dense = _logits_layer(model)
    target = dense.input if dense is not None else model.outputs[0]
    probe = keras.Model(inputs=model.inputs, outputs=[convs[-1].output, target])
    with tf.GradientTape() as tape:
        conv_out, head = probe(batch, training=False)
        scores = (tf.matmul(head, dense.kernel) + dense.bias) if dense is not None else head
        index = int(tf.argmax(scores[0])) if class_index is None else int(class_index)
        if not 0 <= index < scores.shape[-1]:
            raise ValueError(f"Class {index} does not exist; the model has {scores.shape[-1]}.")
        score = scores[:, index]
    grads = tape.gradient(score, conv_out)
    weights = tf.reduce_mean(grads, axis=(1, 2))  # one weight per feature map
    cam = tf.nn.relu(tf.reduce_sum(conv_out[0] * weights[0], axis=-1)).numpy()
    height, width = batch.shape[1:3]
    cam = cv2.resize(cam.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    top = float(cam.max())
    return (cam / top if top > 0 else np.zeros_like(cam)).astype(np.float32)
