"""Your own images: teach a CNN classes of your own, from scratch and on a pretrained base."""

from __future__ import annotations

import streamlit as st

from cnn_core.data import own_classes as oc
from cnn_core.data.examples import try_photos
from ui.links import page_link
from ui.own_images_link import NOT_IN_LINK, PAGE, own_images_settings
from ui.own_images_train_ui import (
    base_ui,
    jobs_ui,
    requests,
    results_ui,
    running,
    settings_ui,
    start,
    try_ui,
)
from ui.own_images_ui import classes_ui, example_in_use

st.title("Your own images")
st.caption("Give a CNN classes of your own (Santa or not, your two pets, three kinds of "
           "leaves) and train it two ways side by side: a small network that starts from "
           "random numbers, and one that reuses a network already trained on other pictures. "
           "That second way is called transfer learning.")
link = page_link(PAGE, own_images_settings(), NOT_IN_LINK)

st.subheader("1. Your classes")
classes, described = classes_ui(link)
for problem in oc.problems(classes):
    st.error(problem, icon=":material/block:")
for warning in oc.warnings(classes):
    st.warning(warning, icon=":material/warning:")

st.subheader("2. Train two ways")
base, why = base_ui(link)
st.caption(why)
settings = settings_ui(link, base)
ready = not oc.problems(classes)
busy = running()
if st.button("Train both", type="primary", key="own_train", icon=":material/play_arrow:",
             disabled=busy or not ready,
             help="Starts both networks afresh on the pictures above." if ready
             else "The classes above are not ready yet: see the red message."):
    try:
        started = start(requests(classes, base, settings))
    except ValueError as problem:  # classes the checks above let through: never a traceback
        st.error(f"These classes cannot be trained yet: {problem}", icon=":material/block:")
    else:
        if started:
            st.session_state["own_trained_on"] = described
            # "Try it" offers the held-out photos of the example these networks learnt.
            st.session_state["own_trained_example"] = example_in_use()
            st.rerun()
if not busy and not ready:
    st.caption("Train waits for classes that are ready: see the red message above.")
jobs_ui()

st.subheader("3. Compare")
if "own_trained_on" in st.session_state and not busy:
    st.caption(f"Both networks trained on: {st.session_state['own_trained_on']}.")
results_ui()

st.subheader("4. Try it")
trained_example = st.session_state.get("own_trained_example")
try_ui(try_photos(trained_example) if trained_example else [])
