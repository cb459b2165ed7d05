"""What a link to the Neurons and layers page holds: the neuron's inputs, weights, bias and
activation, the softmax scores, both calculators' numbers, and the iris network's settings
and chosen measurements. A link never trains: the iris network starts only from its button."""

from __future__ import annotations

from cnn_core.maths.neurons import NEURON_ACTIVATIONS
from cnn_core.views.links import Setting, choice, decimal, whole

PAGE = "neurons"
NOT_IN_LINK = ("A trained iris network is not in the link: whoever opens it presses Train "
               "to train their own.")

N_INPUTS = 3
SUB = {1: "₁", 2: "₂", 3: "₃"}  # the sliders' labels write x_1, w_1 as the formulas do
INPUT_RANGE = (-5.0, 5.0)
WEIGHT_RANGE = (-3.0, 3.0)
BIAS_RANGE = (-5.0, 5.0)
# z = 1x0.8 + 2x(-0.4) + 0.5x1.2 + 0.5 = 1.1: positive, so ReLU passes it and all three
# activations give different answers.
DEFAULT_INPUTS = (1.0, 2.0, 0.5)
DEFAULT_WEIGHTS = (0.8, -0.4, 1.2)
DEFAULT_BIAS = 0.5

SCORE_RANGE = (-10.0, 10.0)
# The classic worked example: scores 2, 1 and 0.1 become about 66%, 24% and 10%.
SCORES = {"cat": 2.0, "dog": 1.0, "bird": 0.1}

# The material's example: 1,000 examples in batches of 500 take 2 iterations per epoch.
DEFAULT_EXAMPLES, DEFAULT_BATCH, DEFAULT_EPOCHS = 1_000, 500, 5
MAX_EXAMPLES, MAX_BATCH, MAX_EPOCHS = 10_000_000, 1_000_000, 1_000

MAX_SIDE = 10_000
MAX_UNITS = 100_000
MAX_KERNEL = 15
MAX_FILTERS = 4_096
CHANNELS = [1, 3]
# The material's two examples, one click each: (height, width, channels, dense units).
COST_PRESETS = {"64 x 64 colour image, 128 units": (64, 64, 3, 128),
                "256 x 256 colour image, 1,000 units": (256, 256, 3, 1_000)}
DEFAULT_COST = (64, 64, 3, 128)
DEFAULT_KERNEL, DEFAULT_FILTERS = 3, 32

# The four measurements by name in the link, in the data set's column order.
MEASUREMENTS = ("sepal_length", "sepal_width", "petal_length", "petal_width")
DEFAULT_ACROSS, DEFAULT_UP = "petal_length", "petal_width"
MAX_HIDDEN = 64
MAX_IRIS_EPOCHS = 500
DEFAULT_HIDDEN, DEFAULT_IRIS_EPOCHS = 10, 40


def neurons_settings() -> list[Setting]:
    inputs = [decimal(f"x{i}", f"Input x{SUB[i]}", *INPUT_RANGE, DEFAULT_INPUTS[i - 1],
                      key=f"neuron_x{i}") for i in range(1, N_INPUTS + 1)]
    weights = [decimal(f"w{i}", f"Weight w{SUB[i]}", *WEIGHT_RANGE, DEFAULT_WEIGHTS[i - 1],
                       key=f"neuron_w{i}") for i in range(1, N_INPUTS + 1)]
    scores = [decimal(f"score_{name}", f"Softmax: score of {name}", *SCORE_RANGE, value,
                      key=f"softmax_{name}") for name, value in SCORES.items()]
    height, width, channels, units = DEFAULT_COST
    return [
        *inputs, *weights,
        decimal("bias", "Bias b", *BIAS_RANGE, DEFAULT_BIAS, key="neuron_bias"),
        choice("activation", "Activation", NEURON_ACTIVATIONS, "sigmoid",
               key="neuron_activation"),
        *scores,
        whole("examples", "Iterations: examples", 1, MAX_EXAMPLES, DEFAULT_EXAMPLES,
              key="steps_examples"),
        whole("batch", "Iterations: batch size", 1, MAX_BATCH, DEFAULT_BATCH, key="steps_batch"),
        whole("epochs", "Iterations: epochs", 1, MAX_EPOCHS, DEFAULT_EPOCHS, key="steps_epochs"),
        whole("height", "Layer cost: image height", 1, MAX_SIDE, height, key="cost_height"),
        whole("width", "Layer cost: image width", 1, MAX_SIDE, width, key="cost_width"),
        choice("channels", "Layer cost: colour channels", CHANNELS, channels,
               key="cost_channels"),
        whole("units", "Layer cost: dense units", 1, MAX_UNITS, units, key="cost_units"),
        whole("kernel", "Layer cost: kernel size", 1, MAX_KERNEL, DEFAULT_KERNEL,
              key="cost_kernel"),
        whole("filters", "Layer cost: filters", 1, MAX_FILTERS, DEFAULT_FILTERS,
              key="cost_filters"),
        choice("across", "Iris: measurement across", MEASUREMENTS, DEFAULT_ACROSS,
               key="iris_across"),
        choice("up", "Iris: measurement up", MEASUREMENTS, DEFAULT_UP, key="iris_up"),
        whole("hidden", "Iris: hidden units", 1, MAX_HIDDEN, DEFAULT_HIDDEN, key="iris_hidden"),
        whole("iris_epochs", "Iris: epochs", 1, MAX_IRIS_EPOCHS, DEFAULT_IRIS_EPOCHS,
              key="iris_epochs"),
    ]
