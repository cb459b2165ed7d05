"""Draw and predict: draw a digit, see the prediction and what each layer of the CNN sees."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core.jobs.inference import InferenceError
from ui.digit_lessons_ui import shift_lesson_ui, silly_question_ui
from ui.draw_link import draw_link
from ui.draw_shared import SECTIONS, Sections, text
from ui.draw_ui import (
    analyse,
    digit_input_ui,
    input_hint,
    insides_ui,
    model_choice_ui,
    prediction_ui,
    read_digit,
    steps_ui,
)


def page() -> None:
    st.title("Draw and predict")
    st.caption(text("intro"))
    link = draw_link()
    section = Sections(SECTIONS)

    left, right = st.columns(2, gap="medium")
    with left:
        section("Your digit")
        digit_input = digit_input_ui(key="draw", link=link)
    with right:
        section("What the network says")
        model = model_choice_ui(key="draw", link=link)
        steps = analysis = None
        if digit_input is None:
            st.info(input_hint(key="draw"))
        elif model is not None:
            steps = read_digit(digit_input)
        if steps is not None:
            try:
                analysis = analyse(model, steps.result)
            except (InferenceError, ValueError) as error:
                st.error(str(error))
        if analysis is not None:
            prediction_ui(analysis, digit_input.label, key="draw")

    if analysis is not None:
        section("From your picture to 28 x 28 numbers")
        st.caption(text("steps"))
        steps_ui(steps)

        section("What the network sees")
        insides_ui(model, steps.result, analysis, key="draw", link=link)

        section("Lesson: shift it")
        known = digit_input.label is not None
        reference = digit_input.label if known else int(np.argmax(analysis.probabilities))
        st.caption(f"The right answer here is {reference}: "
                   + ("the test image's label." if known else
                      "what the network says for your centred digit."))
        shift_lesson_ui(model, steps.result, reference, key="shift", link=link)

    if model is not None:
        section("Lesson: ask a silly question")
        silly_question_ui(model, key="silly", link=link)


page()
