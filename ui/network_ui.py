"""The network builder of the Train a CNN page: a learner's own network, layer by layer.

The network lives in session state as its hidden layers (the output layer is added by
`cnn_core.models.network_edits.with_output`), one per data set and preset it started from.
The widgets only show it: `sync_network`, called before the page's link is written, copies
what the learner changed into it, and the page draws the widgets from it again. So a moved
or removed layer never leaves its settings behind in the widget that now shows another one,
and a visit to another page, which drops every widget's state, loses nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import streamlit as st

from cnn_core.data.datasets import Dataset
from cnn_core.data.pixels import model_input_shape
from cnn_core.jobs.builder import keras_arguments
from cnn_core.jobs.keras_code import keras_code
from cnn_core.models.network_edits import (
    FIELDS,
    KIND_HELP,
    KIND_TITLES,
    MAX_HIDDEN,
    NetworkCheck,
    add_layer,
    check_network,
    edit_layer,
    hidden_of,
    layer_summary,
    move_layer,
    remove_layer,
    with_output,
)
from cnn_core.models.specs import (
    LAYER_KINDS,
    MODEL_PRESETS,
    LayerSpec,
    model_spec,
    shape_text,
)
from ui.links import NO_LINK, PageLink

ADD_KIND_KEY = "network_add_kind"
# A selectbox's None reads as "nothing chosen", so a choice of None (no activation, a pool's
# stride as wide as its window) is this word in the widget.
NONE = "none"
ZERO_WIDTH_SPACE = "\u200b"


def edit_key(data: str) -> str:
    """The "Build your own network" toggle, one per data set like the model choice."""
    return f"model_edit_{data}"


def net_key(data: str, preset: str) -> str:
    """The network as the link holds it: its hidden layers while the builder is on, else None."""
    return f"model_net_{data}_{preset}"


def layers_key(data: str, preset: str) -> str:
    """The hidden layers being edited. Not named model_*: a new link or the classic recipe
    switch the builder off, but keep what the learner built."""
    return f"network_layers_{data}_{preset}"


def _field_key(data: str, preset: str, index: int, kind: str, name: str) -> str:
    return f"network_{data}_{preset}_{index}_{kind}_{name}"


def _field_prefix(data: str, preset: str) -> str:
    return f"network_{data}_{preset}_"


def sync_network(data: str, preset: str) -> None:
    """Call before the page's link is written: the network takes the values the learner
    just changed, and the link holds it while the builder is on."""
    state = st.session_state
    hidden = state.get(layers_key(data, preset))
    if hidden is not None:
        for index, layer in enumerate(hidden):
            values = {}
            for field in FIELDS[layer.kind]:
                key = _field_key(data, preset, index, layer.kind, field.name)
                if key in state:
                    values[field.name] = None if state[key] == NONE else state[key]
            if values:
                hidden = edit_layer(hidden, index, values)
        state[layers_key(data, preset)] = hidden
    editing = hidden is not None and state.get(edit_key(data))
    state[net_key(data, preset)] = tuple(hidden) if editing else None


def _change(data: str, preset: str, edit: Callable[[list[LayerSpec]], list[LayerSpec]]) -> None:
    """Button callback: one edit of the layers (a value typed just before the click is kept:
    the sync comes first). The widgets are then drawn afresh from the layers."""
    sync_network(data, preset)
    state = st.session_state
    try:
        state[layers_key(data, preset)] = edit(state[layers_key(data, preset)])
    except ValueError as error:
        st.toast(str(error), icon=":material/block:")
        return
    prefix = _field_prefix(data, preset)
    for key in [k for k in state if isinstance(k, str) and k.startswith(prefix)]:
        del state[key]
    sync_network(data, preset)


def _start_again(data: str, preset: str, layers: list[LayerSpec]) -> None:
    _change(data, preset, lambda _: hidden_of(layers))


def _add(data: str, preset: str, at_key: str) -> None:
    kind = st.session_state.get(ADD_KIND_KEY, "conv")
    _change(data, preset, lambda hidden: add_layer(hidden, kind, st.session_state.get(
        at_key, len(hidden))))


def network_ui(data: Dataset, preset: str, hparams: dict, link: PageLink = NO_LINK
               ) -> tuple[tuple[LayerSpec, ...], str] | None:
    """The builder, below the page's two columns, while "Build your own network" is on.

    Returns (the whole network, output layer included; "" or the sentence saying why it
    cannot train), or None when the learner uses the preset as it is.
    """
    state = st.session_state
    if not state.get(edit_key(data.name)):
        return None
    key = layers_key(data.name, preset)
    preset_layers = model_spec(preset, data.num_classes, **hparams)
    if key not in state:  # switched on just now: start from the preset as it is set
        state[key] = hidden_of(preset_layers)
    hidden = state[key]
    layers = with_output(hidden, data.num_classes)
    shape = model_input_shape(data.info.image_shape)
    check = check_network(layers, shape)
    st.markdown("**Your network**, from the picture at the top to the answer at the bottom.")
    if link.hidden("net"):
        st.caption(f"Your teacher has set this network's {len(layers)} layers.")
    else:
        fixed = link.locked("net")
        st.caption("Click a layer's settings to change them; the arrows move it up or down "
                   "and the cross removes it. Each row shows what comes out of the layer "
                   "(height x width x channels, or a row of numbers) and how many numbers "
                   "it learns."
                   + (" Your teacher's link fixes these layers." if fixed else ""))
        _layer_rows(data, preset, hidden, layers, shape, check, fixed)
    if check.problem:
        st.error(check.problem)
    else:
        st.markdown(f"**{check.total:,} parameters** to learn.")
    if not link.hidden("net"):
        _add_row(data, preset, hidden, fixed)
        st.button(f"Start again from the {MODEL_PRESETS[preset].title}",
                  key=f"network_reset_{data.name}_{preset}", icon=":material/restart_alt:",
                  on_click=_start_again, args=(data.name, preset, preset_layers),
                  disabled=fixed, help="Your changes to the layers are lost.")
    keras_code_ui(layers, shape, check.problem, hparams)
    return tuple(layers), check.problem


def _layer_rows(data: Dataset, preset: str, hidden: Sequence[LayerSpec],
                layers: Sequence[LayerSpec], shape: tuple[int, ...], check: NetworkCheck,
                fixed: bool) -> None:
    # Sized for a 1024 px projector, where the page's main area is about 560 px wide.
    widths = [2.1, 3.3, 1.8, 1.4, 1.4]
    head = st.columns(widths, vertical_alignment="bottom", gap="xsmall")
    for column, title in zip(head, ("layer", "settings", "output", "parameters", ""),
                             strict=True):
        column.caption(f"**{title}**" if title else "")
    row = st.columns(widths, vertical_alignment="center", gap="xsmall")
    row[0].markdown("**input**")
    row[1].markdown("the picture")
    row[2].markdown(shape_text(shape))
    row[3].markdown("0")
    for index, layer in enumerate(layers):
        output = index == len(layers) - 1
        row = st.columns(widths, vertical_alignment="center", gap="xsmall")
        row[0].markdown(f"**{layer.name}**  \n:small[{_breakable(keras_arguments(layer)[0])}]"
                        if _works(layer) else f"**{layer.name}**")
        if output:
            row[1].markdown(f"{layer_summary(layer)}  \n:gray[fixed: one unit per class]")
        else:
            _settings_popover(row[1], data.name, preset, index, layer, fixed)
        if index < len(check.rows):
            row[2].markdown(shape_text(check.rows[index].output_shape))
            row[3].markdown(f"{check.rows[index].parameters:,}")
        else:
            row[2].markdown(":red[does not work]" if index == len(check.rows) else "—")
            row[3].markdown("—")
        if not output:
            _move_buttons(row[4], data.name, preset, index, len(hidden), layer.name, fixed)


def _breakable(name: str) -> str:
    """GlobalAveragePooling2D may wrap at its words in a narrow column, not mid-word."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", ZERO_WIDTH_SPACE, name)


def _works(layer: LayerSpec) -> bool:
    try:
        keras_arguments(layer)
    except ValueError:
        return False
    return True


def _settings_popover(column, data: str, preset: str, index: int, layer: LayerSpec,
                      fixed: bool) -> None:
    fields = FIELDS[layer.kind]
    if not fields:
        column.markdown(layer_summary(layer), help=KIND_HELP[layer.kind])
        return
    with column.popover(layer_summary(layer), icon=":material/tune:", width="stretch",
                        wrap=True, disabled=fixed, key=f"network_open_{index}"):
        st.caption(KIND_HELP[layer.kind])
        for field in fields:
            key = _field_key(data, preset, index, layer.kind, field.name)
            # Drawn from the layers every run (see the module docstring); no value= argument,
            # which Streamlit would refuse next to a value set through session state.
            value = layer.params.get(field.name)
            if field.choices:
                st.session_state[key] = NONE if value is None else value
                st.selectbox(field.label, [NONE if c is None else c for c in field.choices],
                             key=key, help=field.help, format_func=_choice_text(field.name))
                continue
            st.session_state[key] = value
            st.number_input(field.label, field.low, field.high, step=field.step, key=key,
                            help=field.help, format="%d" if field.step == 1 else "%.2f")


def _choice_text(name: str) -> Callable[[object], str]:
    if name == "strides":
        return lambda v: "as wide as the window" if v == NONE else str(v)
    if name == "activation":
        return lambda v: "none (linear)" if v == NONE else str(v)
    return str


def _move_buttons(column, data: str, preset: str, index: int, count: int, name: str,
                  fixed: bool) -> None:
    with column.container(horizontal=True, gap="xxsmall"):
        for icon, step, what, off in ((":material/arrow_upward:", -1, "up", index == 0),
                                      (":material/arrow_downward:", 1, "down",
                                       index == count - 1)):
            st.button("", icon=icon, key=f"network_{what}_{index}", help=f"Move {name} {what}",
                      type="tertiary",
                      disabled=fixed or off, on_click=_change,
                      args=(data, preset, _mover(index, step)))
        st.button("", icon=":material/close:", key=f"network_remove_{index}", type="tertiary",
                  help=f"Remove {name}", disabled=fixed, on_click=_change,
                  args=(data, preset, _remover(index)))


def _mover(index: int, step: int) -> Callable[[list[LayerSpec]], list[LayerSpec]]:
    return lambda hidden: move_layer(hidden, index, step)


def _remover(index: int) -> Callable[[list[LayerSpec]], list[LayerSpec]]:
    return lambda hidden: remove_layer(hidden, index)


def _add_row(data: Dataset, preset: str, hidden: Sequence[LayerSpec], fixed: bool) -> None:
    full = len(hidden) >= MAX_HIDDEN
    # A key per length: after each change the place goes back to "last, before the output".
    at_key = f"network_add_at_{len(hidden)}"
    cols = st.columns([2.2, 2.2, 1.2], vertical_alignment="bottom")
    cols[0].selectbox("Add a layer", LAYER_KINDS, key=ADD_KIND_KEY, disabled=fixed or full,
                      format_func=KIND_TITLES.get)
    names = [layer.name for layer in hidden]
    cols[1].selectbox("Where", range(len(hidden) + 1), index=len(hidden), key=at_key,
                      disabled=fixed or full, format_func=lambda at: _place(at, names))
    cols[2].button("Add", key="network_add", icon=":material/add:", disabled=fixed or full,
                   on_click=_add, args=(data.name, preset, at_key), width="stretch",
                   help=f"A network here has at most {MAX_HIDDEN + 1} layers." if full else
                   "Adds the layer with common settings; change them afterwards.")
    if full:
        st.caption(f"The network has the most layers this app trains ({MAX_HIDDEN + 1}, the "
                   "output layer included): remove one to add another.")


def _place(at: int, names: Sequence[str]) -> str:
    if at == len(names):
        return "last, before the output" if names else "first, before the output"
    return "first, after the input" if at == 0 else f"after {names[at - 1]}"


def keras_code_ui(layers: Sequence[LayerSpec], shape: tuple[int, ...], problem: str,
                  hparams: dict) -> None:
    """The network as Keras code to copy, in an expander under its layer table."""
    with st.expander("Keras code for this network", icon=":material/code:"):
        if problem:
            st.caption("The code appears once the network works.")
            return
        st.caption("Copy it with the button at the top right of the box: it builds and "
                   "compiles this very network in Keras, on your own computer or in a notebook.")
        code = keras_code(layers, shape, None, hparams.get("optimizer", "adam"),
                          hparams.get("learning_rate", 1e-3))
        # Wrapped: on a projector the ends of long lines would sit out of sight; the copy
        # button still copies them as written.
        st.code(code, language="python", wrap_lines=True)
