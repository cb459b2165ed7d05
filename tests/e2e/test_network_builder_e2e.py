"""Real browser, offline learner: build a network from the MNIST CNN, add a layer, see the rows
and the total follow, copy its Keras code, train it one epoch and see its test accuracy."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import open_page, query, wait_for_idle

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_build_a_network_and_train_it(page, bundled_app_url, artifacts_dir):
    # The smallest subset of the bundled 6,000 digits and one epoch, through the page's link.
    open_page(page, bundled_app_url, "Train_a_CNN?subset=2000&epochs=1&edit=1")
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("from the picture at the top").wait_for()
    main.get_by_text("215,370 parameters", exact=True).wait_for()
    assert main.get_by_text("pool_2", exact=True).count() == 1

    # Typed, not clicked: the option list of a box low on the page moves while it opens.
    adder = main.locator("[data-testid='stSelectbox']").filter(has_text="Add a layer")
    adder.scroll_into_view_if_needed()
    adder.click()
    page.keyboard.type("Dense")
    page.keyboard.press("Enter")
    wait_for_idle(page)
    page.get_by_role("button", name="Add", exact=True).click()
    # 64 units on the 128 numbers that reach the end; the output then reads 64, not 128.
    added = 128 * 64 + 64 + 64 * 10 + 10 - (128 * 10 + 10)
    main.get_by_text(f"{215_370 + added:,} parameters", exact=True).wait_for()
    main.get_by_text("dense_2", exact=True).wait_for()
    wait_for_idle(page)
    assert query(page)["net"].endswith(",drop-0.4,dense-64-relu")

    main.get_by_test_id("stExpander").get_by_text("Keras code for this network").click()
    code = main.get_by_test_id("stCode").first
    code.wait_for()
    assert 'layers.Dense(64, activation="relu", name="dense_2")' in code.inner_text()
    page.screenshot(path=str(artifacts_dir / "network-builder.png"))

    page.get_by_role("button", name="Train", exact=True).click()
    accuracy = page.locator("[data-testid='stMetric']").filter(has_text="Test accuracy")
    accuracy.wait_for(timeout=240_000)
    value = float(re.search(r"([\d.]+)%", accuracy.inner_text()).group(1))
    assert value > 50, f"test accuracy {value}% after one epoch on 1,800 digits"
    text = main.inner_text()
    assert "Your network on MNIST (2,000 images, 1 epoch" in text
    assert "Started with: MNIST · Your network (9 layers) · 2,000 images" in text
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(artifacts_dir / "network-builder-trained.png"), full_page=True)
