"""Real browser: move a neuron's slider and see its output change, then train the iris network
through the training queue and see its test accuracy and decision regions."""

from __future__ import annotations

import re

import pytest

from cnn_core.maths.frames import format_number
from cnn_core.maths.neurons import neuron
from tests.e2e.conftest import open_page, wait_for_idle
from ui.neurons_link import DEFAULT_BIAS, DEFAULT_INPUTS, DEFAULT_WEIGHTS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def metric_value(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text().strip()


def test_a_slider_moves_the_output_and_the_iris_network_trains(page, app_url, artifacts_dir):
    open_page(page, app_url, "Neurons_and_layers")
    page.get_by_role("heading", name="Neurons and layers").first.wait_for()
    expected = neuron(DEFAULT_INPUTS, DEFAULT_WEIGHTS, DEFAULT_BIAS, "sigmoid")
    assert metric_value(page, "Output a") == format_number(expected.output)

    slider = page.get_by_role("slider", name=re.compile("^Input x₁"))
    # Steps of 0.1 until x1 reads 1.5, each waiting for the page's run: a press that lands
    # while a run redraws the slider can be lost on a loaded machine.
    for _ in range(10):
        if float(slider.input_value()) >= 1.5 - 1e-9:
            break
        slider.focus()
        slider.press("ArrowRight")
        page.wait_for_timeout(300)
        wait_for_idle(page)
    assert float(slider.input_value()) == pytest.approx(1.5)
    moved = neuron((1.5, *DEFAULT_INPUTS[1:]), DEFAULT_WEIGHTS, DEFAULT_BIAS, "sigmoid")
    page.wait_for_function(
        "([label, value]) => [...document.querySelectorAll('[data-testid=stMetric]')].some("
        "m => m.innerText.includes(label) && m.innerText.includes(value))",
        arg=["Weighted sum z", format_number(moved.z)])
    assert metric_value(page, "Output a") == format_number(moved.output)
    assert metric_value(page, "Output a") != format_number(expected.output)

    train = page.get_by_role("button", name="Train the iris network")
    train.scroll_into_view_if_needed()
    train.click()
    # The first job waits for a training worker to start (TensorFlow's import), then trains
    # 40 short epochs.
    accuracy = page.locator("[data-testid='stMetric']").filter(has_text="Test accuracy")
    accuracy.wait_for(timeout=240_000)
    value = float(re.search(r"([\d.]+)%", accuracy.inner_text()).group(1))
    assert value >= 80, f"test accuracy {value}% on 30 iris flowers"
    main = page.locator("[data-testid='stMain']")
    assert re.search(r"\d+ of 30 test flowers right", main.inner_text())
    assert "held at their averages" in main.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    accuracy.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "neurons-iris-trained.png"))
