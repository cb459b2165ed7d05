"""Looking inside a trained Keras model: feature maps, first-layer filters and Grad-CAM.

These functions take a Keras model object, so they run where Keras is imported: in the
worker processes (see `cnn_core.jobs.inference`), in scripts and in tests, never in a page.
Models need defined inputs (Sequential built on keras.Input, or functional).
"""

from __future__ import annotations

import numpy as np

from cnn_core.data.images import resize_to
from cnn_core.data.pixels import to_model_input

FEATURE_LAYER_TYPES = ("Conv2D", "MaxPooling2D", "AveragePooling2D")


def one_image_batch(model, x: np.ndarray) -> np.ndarray:
    """One image (H, W), (H, W, C) or (1, H, W, C), uint8 or float in [0, 1] -> the model's
    float32 batch (1, H, W, C); ValueError for a batch of several or the wrong shape."""
    batch = to_model_input(x, _input_shape(model))
    if len(batch) != 1:
        raise ValueError(f"Give one picture at a time, not {len(batch)}.")
    return batch


def _input_shape(model) -> tuple[int, ...]:
    return tuple(model.inputs[0].shape[1:])


def _model_inputs(model):
    """The model's input tensor (a list only when it has several), so probes take a plain array."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def feature_layers(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ in FEATURE_LAYER_TYPES]


def feature_maps(model, x: np.ndarray) -> dict[str, np.ndarray]:
    """Activations of every convolution and pooling layer for one image.

    x: (H, W) or (H, W, C), uint8 or float in [0, 1]. Returns {layer name: (h, w, channels)
    float32}, in layer order.
    """
    import keras

    layers = feature_layers(model)
    if not layers:
        return {}
    probe = keras.Model(inputs=_model_inputs(model), outputs=[layer.output for layer in layers])
    outputs = probe(one_image_batch(model, x), training=False)
    outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
    return {layer.name: np.asarray(out)[0].astype(np.float32)
            for layer, out in zip(layers, outputs, strict=True)}


def first_layer_filters(model) -> np.ndarray | None:
    """Weights of the first convolution layer: (k, k, channels_in, filters), or None."""
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            return np.asarray(layer.get_weights()[0], dtype=np.float32)
    return None


def _softmax_dense(layer) -> bool:
    activation = getattr(getattr(layer, "activation", None), "__name__", "")
    return type(layer).__name__ == "Dense" and activation == "softmax"


def _class_scores(layer, x):
    """A layer's output, but pre-softmax scores (logits) if it is a softmax Dense layer.

    Grad-CAM works on logits: softmax saturates near 100%, where its gradients vanish.
    """
    import tensorflow as tf

    if not _softmax_dense(layer):
        return layer(x, training=False)
    kernel = tf.convert_to_tensor(layer.kernel)
    return tf.matmul(tf.cast(x, kernel.dtype), kernel) + tf.cast(layer.bias, kernel.dtype)


def _conv_and_scores(model, batch: np.ndarray, conv):
    """(last conv layer's output, class scores) for a batch, on one traced forward pass.

    Sequential models are run layer by layer, so the scores are computed from that very
    conv output (a probe model built from `layer.output` can pick up tensors of different
    graph nodes after loading, and then no gradient links them). Functional models use a
    probe model ending just before the softmax.
    """
    import keras
    import tensorflow as tf

    if isinstance(model, keras.Sequential):
        x = tf.convert_to_tensor(batch)
        conv_out = None
        for layer in model.layers[:-1]:
            x = layer(x, training=False)
            if layer is conv:
                conv_out = x
        return conv_out, _class_scores(model.layers[-1], x)
    last = model.layers[-1]
    target = last.input if _softmax_dense(last) else model.outputs[0]
    probe = keras.Model(inputs=_model_inputs(model), outputs=[conv.output, target])
    conv_out, head = probe(batch, training=False)
    return conv_out, _class_scores(last, head) if _softmax_dense(last) else head


GRAD_CAM_METHODS = ("hirescam", "gradcam")


def class_evidence(model, x: np.ndarray, method: str = "hirescam") -> np.ndarray:
    """Grad-CAM heat maps of every class for one image, all on one scale (Grad-CAM).

    x: one image (H, W) or (H, W, C), uint8 or float in [0, 1]. Returns (classes, H, W)
    float32 in [0, 1], at the input's size. 1 stands for the strongest evidence for any class
    anywhere in this image, so a class the network found little evidence for looks dim
    instead of being stretched to full brightness (all zeros if no class has any).

    Both methods take the gradient of a class's pre-softmax score with respect to each
    feature map A_k of the last convolution layer, sum the maps weighted by it, cut negative
    values to 0 (ReLU), and enlarge the result to the input's size:
    - "gradcam" (Selvaraju et al. 2017) first averages each map's gradient over all
      positions: relu(sum_k mean(dS/dA_k) * A_k);
    - "hirescam" (Draelos and Carin 2020, the default) keeps the gradient at each position:
      relu(sum_k dS/dA_k * A_k). With a flatten + dense head, as in the MNIST CNN, every
      position has its own weights, and averaging them can light up background the model
      never used (or give an empty map); the element-wise version shows what it did use.
    """
    import tensorflow as tf

    if method not in GRAD_CAM_METHODS:
        raise ValueError(f"The heat-map method must be one of {', '.join(GRAD_CAM_METHODS)}.")
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    if not convs:
        raise ValueError("Grad-CAM needs a model with at least one convolution layer.")
    batch = one_image_batch(model, x)
    with tf.GradientTape(persistent=True) as tape:
        conv_out, scores = _conv_and_scores(model, batch, convs[-1])
        per_class = [scores[:, index] for index in range(scores.shape[-1])]
    maps = np.asarray(conv_out[0], dtype=np.float32)
    height, width = batch.shape[1:3]
    cams = []
    for score in per_class:
        grads = tape.gradient(score, conv_out)
        if grads is None:
            raise ValueError("Grad-CAM could not follow this model from its last convolution "
                             "layer to its output.")
        grads = np.asarray(grads[0], dtype=np.float32)
        if method == "gradcam":
            grads = grads.mean(axis=(0, 1), keepdims=True)  # one weight per feature map
        cam = np.maximum((maps * grads).sum(axis=-1), 0).astype(np.float32)
        cams.append(np.maximum(resize_to(cam, height, width), 0))
    del tape
    cams = np.stack(cams)
    top = float(cams.max())
    return (cams / top if top > 0 else np.zeros_like(cams)).astype(np.float32)


def grad_cam(model, x: np.ndarray, class_index: int | None = None,
             method: str = "hirescam") -> np.ndarray:
    """Heat map (H, W) float32 in [0, 1] of where the last convolution layer found evidence
    for one class (None: the predicted class), on the image's common scale of
    `class_evidence` (1 = the strongest evidence for any class)."""
    batch = one_image_batch(model, x)
    evidence = class_evidence(model, batch, method)
    index = int(np.argmax(np.asarray(model(batch, training=False))[0])) \
        if class_index is None else int(class_index)
    if not 0 <= index < len(evidence):
        raise ValueError(f"Class {index} does not exist; the model has {len(evidence)}.")
    return evidence[index]
