"""Widget groups of the Neurons and layers page, one per section, in teaching order.

Each draws its controls (through the page's link, so teachers can lock or hide them), calls
the maths in cnn_core.maths.neurons and shows the numbers, formulas and figures. The iris
network trains through the shared training queue like every other job: the page keeps the
job in st.session_state[IRIS_JOB_KEY] and files its result once it has ended.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.data.iris import IrisSplit, load_iris_split
from cnn_core.jobs.iris import IrisRequest, IrisResult
from cnn_core.maths.frames import format_number
from cnn_core.maths.neurons import (
    ACTIVATIONS,
    NEURON_ACTIVATIONS,
    NeuronResult,
    conv_cost_latex,
    conv_layer_cost,
    dense_cost_latex,
    dense_layer_cost,
    format_count,
    neuron,
    neuron_latex,
    softmax,
    softmax_latex,
    steps_latex,
    steps_sentence,
    training_steps,
)
from cnn_core.models.reports import iris_verdict
from cnn_core.models.specs import dense_parameters
from cnn_core.views.neuron_figures import (
    activation_figure,
    find_grid,
    iris_history_figure,
    iris_regions_figure,
    layer_cost_figure,
    neuron_diagram_figure,
    softmax_figure,
)
from ui.formulas import formula
from ui.grid_widgets import text_section
from ui.job_ui import live_job_panel, queue_job
from ui.links import PageLink
from ui.neurons_link import (
    BIAS_RANGE,
    CHANNELS,
    COST_PRESETS,
    DEFAULT_ACROSS,
    DEFAULT_BATCH,
    DEFAULT_BIAS,
    DEFAULT_COST,
    DEFAULT_EPOCHS,
    DEFAULT_EXAMPLES,
    DEFAULT_FILTERS,
    DEFAULT_HIDDEN,
    DEFAULT_INPUTS,
    DEFAULT_IRIS_EPOCHS,
    DEFAULT_KERNEL,
    DEFAULT_UP,
    DEFAULT_WEIGHTS,
    INPUT_RANGE,
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_EXAMPLES,
    MAX_FILTERS,
    MAX_HIDDEN,
    MAX_IRIS_EPOCHS,
    MAX_KERNEL,
    MAX_SIDE,
    MAX_UNITS,
    MEASUREMENTS,
    N_INPUTS,
    SCORE_RANGE,
    SCORES,
    SUB,
    WEIGHT_RANGE,
)

TEXT = "neurons.md"
CHART = {"displayModeBar": False}
IRIS_JOB_KEY = "neurons_iris_job"
IRIS_RESULT_KEY = "neurons_iris_result"      # (IrisRequest, IrisResult) of the last run
IRIS_FILED_KEY = "neurons_iris_filed_job"    # the job whose result has been filed
IRIS_ERROR_KEY = "neurons_iris_error"
ACTIVATION_NAMES = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}


def text(heading: str) -> str:
    return text_section(TEXT, heading)


# ---- One neuron ----------------------------------------------------------------------------

def neuron_ui(link: PageLink) -> NeuronResult:
    """Three inputs with their weights, the bias and the activation; the neuron's sum and
    output written out with the numbers."""
    st.markdown(text("Neuron"))
    columns = st.columns(N_INPUTS)
    inputs, weights = [], []
    for i, column in enumerate(columns, start=1):
        with column:
            inputs.append(link.control(f"x{i}", st.slider, f"Input x{SUB[i]}", *INPUT_RANGE,
                                       DEFAULT_INPUTS[i - 1], step=0.1, key=f"neuron_x{i}"))
            weights.append(link.control(f"w{i}", st.slider, f"Weight w{SUB[i]}", *WEIGHT_RANGE,
                                        DEFAULT_WEIGHTS[i - 1], step=0.1,
                                        key=f"neuron_w{i}"))
    row = st.columns([2, 1], gap="medium")
    bias = link.control("bias", row[0].slider, "Bias b", *BIAS_RANGE, DEFAULT_BIAS, step=0.1,
                        key="neuron_bias")
    activation = link.control("activation", row[1].radio, "Activation",
                              list(NEURON_ACTIVATIONS), format_func=ACTIVATION_NAMES.get,
                              key="neuron_activation")
    result = neuron(inputs, weights, float(bias), activation)
    with st.container(border=True):
        st.plotly_chart(neuron_diagram_figure(result), key="neuron_diagram", config=CHART)
        for line in neuron_latex(result):
            formula(line)
        numbers = st.columns(2)
        numbers[0].metric("Weighted sum z", format_number(result.z),
                          help="Each input times its weight, all added up, plus the bias.")
        numbers[1].metric("Output a", format_number(result.output),
                          help=f"The activation function ({ACTIVATION_NAMES[activation]}) "
                               "applied to z.")
        st.caption(f"{ACTIVATION_NAMES[activation]}: "
                   f"{ACTIVATIONS[activation].description}")
    return result


# ---- Activation functions ------------------------------------------------------------------

def activations_ui(result: NeuronResult) -> None:
    """Sigmoid, tanh and ReLU side by side, each with the neuron's z marked."""
    st.markdown(text("Activations"))
    columns = st.columns(len(NEURON_ACTIVATIONS))
    for name, column in zip(NEURON_ACTIVATIONS, columns, strict=True):
        with column:
            st.plotly_chart(activation_figure(name, result.z), key=f"activation_{name}",
                            config=CHART)
    # Below the charts, full width: ReLU's and tanh's formulas do not fit a third of a
    # projector's page.
    for name in NEURON_ACTIVATIONS:
        formula(ACTIVATIONS[name].latex)
    outputs = ", ".join(f"{ACTIVATION_NAMES[name]} gives "
                        f"{format_number(ACTIVATIONS[name].function(result.z))}"
                        for name in NEURON_ACTIVATIONS)
    st.caption(f"For your neuron's sum z = {format_number(result.z)}: {outputs}. Your neuron "
               f"uses {ACTIVATION_NAMES[result.activation]}.")


def softmax_ui(link: PageLink) -> None:
    """A few named scores, and the probabilities softmax makes of them."""
    st.subheader("Softmax: scores into probabilities")
    st.markdown(text("Softmax"))
    columns = st.columns(len(SCORES))
    scores = [link.control(f"score_{name}", column.slider, f"Score of {name}", *SCORE_RANGE,
                           default, step=0.1, key=f"softmax_{name}")
              for (name, default), column in zip(SCORES.items(), columns, strict=True)]
    names = list(SCORES)
    st.plotly_chart(softmax_figure(names, scores), key="softmax_figure", config=CHART)
    formula(ACTIVATIONS["softmax"].latex)
    formula(softmax_latex(names, scores))
    shares = ", ".join(f"{name} {p:.1%}" for name, p in zip(names, softmax(scores), strict=True))
    st.caption(f"Probabilities: {shares} (they add up to 100%).")


# ---- Epochs, batches and iterations --------------------------------------------------------

def steps_ui(link: PageLink) -> None:
    st.markdown(text("Steps"))
    columns = st.columns(3)
    n = link.control("examples", columns[0].number_input, "Training examples", 1, MAX_EXAMPLES,
                     DEFAULT_EXAMPLES, step=100, key="steps_examples")
    batch = link.control("batch", columns[1].number_input, "Batch size", 1, MAX_BATCH,
                         DEFAULT_BATCH, step=10, key="steps_batch")
    epochs = link.control("epochs", columns[2].number_input, "Epochs", 1, MAX_EPOCHS,
                          DEFAULT_EPOCHS, step=1,
                          key="steps_epochs")
    steps = training_steps(int(n), int(batch), int(epochs))
    with st.container(border=True):
        numbers = st.columns(3)
        # A third of a projector's page holds about ten digits; the formulas hold them all.
        numbers[0].metric("Iterations per epoch", format_count(steps.iterations_per_epoch, 10))
        numbers[1].metric("Iterations in all", format_count(steps.total_iterations, 10))
        numbers[2].metric("Last batch size", format_count(steps.last_batch_size, 10),
                          help="The batch that ends each epoch: smaller when the batch size "
                               "does not divide the examples evenly.")
        for line in steps_latex(steps):
            formula(line)
        st.caption(steps_sentence(steps))


# ---- Dense layers versus convolution -------------------------------------------------------

def _apply_cost_preset(name: str) -> None:
    height, width, channels, units = COST_PRESETS[name]
    st.session_state.update(cost_height=height, cost_width=width, cost_channels=channels,
                            cost_units=units)


def layer_cost_ui(link: PageLink) -> None:
    st.markdown(text("Dense"))
    preset_names = ("height", "width", "channels", "units")
    fixed = any(link.locked(n) or link.hidden(n) for n in preset_names)
    presets = st.columns(len(COST_PRESETS))
    for i, (name, column) in enumerate(zip(COST_PRESETS, presets, strict=True)):
        column.button(name, key=f"cost_preset_{i}", on_click=_apply_cost_preset, args=(name,),
                      disabled=fixed, icon=":material/photo_size_select_large:",
                      use_container_width=True)
    dense_col, conv_col = st.columns(2, gap="large")
    with dense_col:
        st.markdown("**Dense layer**")
        sizes = st.columns(2)
        height = link.control("height", sizes[0].number_input, "Image height (pixels)", 1,
                              MAX_SIDE, DEFAULT_COST[0], key="cost_height")
        width = link.control("width", sizes[1].number_input, "Image width (pixels)", 1,
                             MAX_SIDE, DEFAULT_COST[1], key="cost_width")
        more = st.columns(2)
        channels = link.control("channels", more[0].selectbox, "Colour channels", CHANNELS,
                                index=CHANNELS.index(DEFAULT_COST[2]),
                                format_func=lambda c: "1 (grey)" if c == 1 else "3 (colour)",
                                key="cost_channels")
        units = link.control("units", more[1].number_input, "Dense units", 1, MAX_UNITS,
                             DEFAULT_COST[3], key="cost_units")
    with conv_col:
        st.markdown("**Convolution layer**")
        conv = st.columns(2)
        kernel = link.control("kernel", conv[0].number_input, "Filter size", 1, MAX_KERNEL,
                              DEFAULT_KERNEL, key="cost_kernel", help="3 means 3x3 filters.")
        filters = link.control("filters", conv[1].number_input, "Filters", 1, MAX_FILTERS,
                               DEFAULT_FILTERS, key="cost_filters")
        st.caption(f"On the same {channels}-channel images, of any size.")
    height, width, units, kernel, filters = (int(v) for v in (height, width, units, kernel,
                                                              filters))
    dense = dense_layer_cost(height, width, channels, units)
    convolution = conv_layer_cost(kernel, channels, filters)
    with st.container(border=True):
        numbers = st.columns(2, gap="large")
        with numbers[0]:
            st.metric("Dense: learned numbers", format_count(dense.total, 14))
            st.markdown(f"{dense.weights:,} weights + {dense.biases:,} biases")
        with numbers[1]:
            st.metric("Convolution: learned numbers", format_count(convolution.total, 14))
            st.markdown(f"{convolution.weights:,} weights + {convolution.biases:,} biases")
        # Full width: a large image's product does not fit half a projector's page.
        st.markdown("**Dense:** height × width × channels × units, plus one bias per unit")
        formula(dense_cost_latex(height, width, channels, units))
        st.markdown("**Convolution:** size × size × channels × filters, plus one bias per "
                    "filter")
        formula(conv_cost_latex(kernel, channels, filters))
        ratio = dense.total / convolution.total
        st.caption(f"A {height:,} x {width:,} image with {channels} channel"
                   f"{'s' if channels > 1 else ''} is {height * width * channels:,} numbers, "
                   f"and each of the {units:,} dense units needs a weight for every one. "
                   + (f"The dense layer needs {ratio:,.0f} times as many learned numbers as the "
                      "convolution layer." if ratio >= 2 else
                      "On an image this small the dense layer is not yet the bigger one."))
    st.markdown(text("Conv"))
    st.plotly_chart(layer_cost_figure(height, width, channels, units, kernel, filters),
                    key="layer_cost_figure", config=CHART)
    st.caption("Each line counts one layer's weights and biases for square images of every "
               "side; the stars mark your image. The vertical axis is a log scale: each grid "
               "line is a number of times larger than the one below, so a few hundred and "
               "hundreds of millions fit on one picture.")
    st.markdown(text("Dense verdict"))


# ---- The iris network ----------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def iris_split(test_fraction: float, seed: int) -> IrisSplit:
    """The flowers as the worker splits them, once per server (read-only: shared)."""
    split = load_iris_split(test_fraction, seed)
    for array in (split.x_train, split.y_train, split.x_test, split.y_test, split.mean,
                  split.std):
        array.setflags(write=False)
    return split


def _file_finished_job() -> None:
    """Keep a finished job's result (or its error) for the page, once."""
    job = st.session_state.get(IRIS_JOB_KEY)
    if job is None or not job.done or st.session_state.get(IRIS_FILED_KEY) is job:
        return
    st.session_state[IRIS_FILED_KEY] = job
    if isinstance(job.result, IrisResult):
        st.session_state[IRIS_RESULT_KEY] = (job.request, job.result)
        st.session_state.pop(IRIS_ERROR_KEY, None)
    else:
        st.session_state[IRIS_ERROR_KEY] = job.error or "Training ended without a result."


def _measurement_label(name: str) -> str:
    return name.replace("_", " ") + " (cm)"


def iris_ui(link: PageLink) -> None:
    st.markdown(text("Iris"))
    settings = st.columns(2)
    hidden = link.control("hidden", settings[0].slider, "Hidden units (ReLU neurons)", 1,
                          MAX_HIDDEN, DEFAULT_HIDDEN, key="iris_hidden")
    epochs = link.control("iris_epochs", settings[1].number_input, "Epochs", 1,
                          MAX_IRIS_EPOCHS, DEFAULT_IRIS_EPOCHS, key="iris_epochs",
                          help="Passes over the 120 training flowers.")
    request = IrisRequest(hidden_units=int(hidden), epochs=int(epochs))
    split = iris_split(request.test_fraction, request.seed)
    steps = training_steps(len(split.y_train), request.batch_size, request.epochs)
    st.caption(f"{len(split.y_train)} training flowers in batches of {request.batch_size}: "
               f"{steps.iterations_per_epoch} iterations per epoch (the last batch holds "
               f"{steps.last_batch_size}), {steps.total_iterations:,} in all. The network "
               f"has 4 x {hidden} + {hidden} + {hidden} x 3 + 3 = "
               f"{dense_parameters((4,), hidden) + dense_parameters((hidden,), 3):,} learned "
               "numbers.")
    _file_finished_job()
    job = st.session_state.get(IRIS_JOB_KEY)
    running = job is not None and job.running
    if st.button("Train the iris network", type="primary", key="iris_train", disabled=running,
                 icon=":material/play_arrow:", help="Starts a fresh network with these "
                 "settings, in the same training queue as the Train a CNN page."):
        queue_job(IRIS_JOB_KEY, request)
        job = st.session_state.get(IRIS_JOB_KEY)
    if job is not None and job.running:
        live_job_panel(IRIS_JOB_KEY, stop_key="iris_stop", examples="flowers", caption=(
            f"Training 4 -> {job.request.hidden_units} -> 3 for {job.request.epochs} epochs."))
    elif error := st.session_state.get(IRIS_ERROR_KEY):
        st.error(error)
    filed = st.session_state.get(IRIS_RESULT_KEY)
    _iris_results(split, filed, request, link)


def _iris_results(split: IrisSplit, filed: tuple[IrisRequest, IrisResult] | None,
                  request: IrisRequest, link: PageLink) -> None:
    """The last run's test accuracy, then the flowers on two chosen measurements (with the
    network's decision regions once it has trained) and its training history."""
    if filed is not None:
        trained_with, result = filed
        st.metric("Test accuracy", f"{result.test_accuracy:.1%}",
                  help=f"Share of the {len(split.y_test)} test flowers, never seen in "
                       "training, that the network got right.")
        st.markdown(iris_verdict(split.y_test, result.test_predictions, split.class_names,
                                 result.epochs_run, trained_with.epochs, result.stopped))
        if (trained_with.hidden_units, trained_with.epochs) != (request.hidden_units,
                                                                request.epochs):
            st.caption(f"These results are of the network trained with "
                       f"{trained_with.hidden_units} hidden units for {trained_with.epochs} "
                       "epochs; Train again to use the settings above.")
    names = list(MEASUREMENTS)
    axes = st.columns(2)
    across = link.control("across", axes[0].selectbox, "Measurement across", names,
                          index=names.index(DEFAULT_ACROSS), format_func=_measurement_label,
                          key="iris_across")
    up = link.control("up", axes[1].selectbox, "Measurement up", names,
                      index=names.index(DEFAULT_UP), format_func=_measurement_label,
                      key="iris_up")
    x_feature, y_feature = names.index(across), names.index(up)
    if x_feature == y_feature:
        st.warning("Choose two different measurements to draw the flowers on.")
        return
    if filed is None:
        st.plotly_chart(iris_regions_figure(split, x_feature, y_feature), key="iris_flowers",
                        config=CHART)
        st.caption(f"The {len(split.y_train)} training flowers on two of their four "
                   "measurements. Press Train to colour in the species the network answers.")
        return
    grid = find_grid(result.grids, x_feature, y_feature)
    st.plotly_chart(iris_regions_figure(split, x_feature, y_feature, grid),
                    key="iris_regions", config=CHART)
    others = [i for i in range(len(names)) if i not in (x_feature, y_feature)]
    held = " and ".join(f"{split.feature_names[i].replace(' (cm)', '')} at "
                        f"{format_number(split.mean[i])} cm" for i in others)
    st.caption(f"{text('Regions')} The other two measurements are held at their averages "
               f"over the training flowers ({held}), so a flower far from average in those "
               "can sit in another species' colour and still be answered right.")
    st.plotly_chart(iris_history_figure(result.history, result.test_accuracy,
                                        result.test_loss), key="iris_history", config=CHART)
    done = (f"stopped after {result.epochs_run} of {trained_with.epochs} epochs"
            if result.stopped else f"{result.epochs_run} epochs")
    st.caption(f"Training history ({done}): loss and accuracy on the training flowers after "
               "every epoch; the star is the test flowers, checked once after training. "
               f"{result.parameters:,} learned numbers.")
