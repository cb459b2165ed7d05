"""Reading the step players of the sliding-window and pooling pages in a real browser."""

from __future__ import annotations

import base64
import re

import numpy as np

# Elements that must not be cut off on a projector: no button, widget label or size formula
# wider than its own box. KaTeX builds each formula from pieces that stick out of its box by
# a pixel or two whatever the room, so formulas get 3 px of slack.
OVERFLOWING = """
(root) => [...root.querySelectorAll(
    'button, label, [data-testid="stWidgetLabel"], [data-testid="stMarkdownContainer"] p, '
    + '.katex-display')]
  .filter(e => e.offsetParent !== null)
  .filter(e => e.scrollWidth > e.clientWidth + (e.classList.contains('katex-display') ? 3 : 1))
  .map(e => `${e.tagName}.${e.className}: ${e.textContent.slice(0, 60)}`)
"""

# Pairs of text in a plotly figure that overlap: an axis title on tick labels, or two tick
# labels on each other.
OVERLAPPING_AXIS_TEXT = """
(plot) => {
  const boxes = (selector) => [...plot.querySelectorAll(selector)]
    .map(e => ({text: e.textContent, r: e.getBoundingClientRect()}))
    .filter(b => b.text && b.r.width > 0);
  const titles = boxes('[class$="title"]').filter(b => /^(row|column)$/.test(b.text));
  const ticks = boxes('[class*="tick"] text');
  const hit = (a, b) => a.r.left < b.r.right - 1 && b.r.left < a.r.right - 1
    && a.r.top < b.r.bottom - 1 && b.r.top < a.r.bottom - 1;
  const found = [];
  for (const t of titles) for (const k of ticks) if (hit(t, k)) found.push(`${t.text}/${k.text}`);
  return found;
}
"""

# The highlighted window on the input panel: (left, top) of the inner outline.
WINDOW_BOX = """
(plot) => {
  const trace = plot.data.find(t => t.name === 'inner' && (t.xaxis || 'x') === 'x');
  const xs = trace.x.filter(v => v !== null), ys = trace.y.filter(v => v !== null);
  return [Math.min(...xs), Math.min(...ys)];
}
"""


def shown_step(page, key: str) -> dict:
    """What the page shows for the player `key`: the step line, the sum, the slider and
    the figure's highlighted window, read at one moment."""
    main = page.locator("[data-testid='stMain']")
    line = main.locator("[data-testid='stMarkdownContainer'] p").filter(
        has_text=re.compile(r"^Step \d+ of \d+: output row")).first.inner_text()
    match = re.match(r"Step (\d+) of (\d+): output row (\d+), column (\d+)\s*\(window from "
                     r"input row (-?\d+), column (-?\d+)\)", line)
    assert match, line
    step, count, row, col, top, left = (int(v) for v in match.groups())
    slider = page.locator(f".st-key-{key}_step input[type='range']")
    plot = page.locator(f".st-key-{key}_animation .js-plotly-plot").first
    return {
        "step": step, "count": count, "row": row, "col": col, "top": top, "left": left,
        "sum": main.locator("[data-testid='stCode']").first.inner_text().strip(),
        "slider": int(slider.input_value()),
        "window": tuple(plot.evaluate(WINDOW_BOX)),
    }


def assert_consistent(shown: dict, output) -> None:
    """The slider, the figure's window and the written sum all show the step in the text."""
    assert shown["slider"] == shown["step"], shown
    assert shown["window"] == (shown["left"] - 0.5, shown["top"] - 0.5), shown
    value = output[shown["row"], shown["col"]]
    assert shown["sum"].endswith(f"= {value:g}"), (shown, value)


def wait_for_step(page, at_least: int, timeout: float = 30_000) -> None:
    """Wait until the page's step line says step `at_least` (1-based) or later."""
    page.wait_for_function(
        """(n) => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
            .some(p => { const m = p.textContent.match(/^Step (\\d+) of \\d+: output row/);
                         return m && Number(m[1]) >= n; })""", arg=at_least, timeout=timeout)


def input_values(page, key: str) -> np.ndarray:
    """The numbers on the player figure's input panel, padding left out."""
    plot = page.locator(f".st-key-{key}_animation .js-plotly-plot").first
    z = plot.evaluate("(plot) => plot.data[0].z")
    if isinstance(z, dict):  # plotly sends arrays as typed base64
        shape = [int(v) for v in str(z["shape"]).split(",")]
        z = np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(shape)
    z = np.array(z, dtype=float)
    return z[~np.isnan(z).all(axis=1)][:, ~np.isnan(z).all(axis=0)]
