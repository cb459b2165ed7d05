"""Reading the plotly animation a grid page sent, as the browser first shows it."""

from __future__ import annotations

import json


def animation_spec(app, chart_key_suffix: str) -> dict:
    """The plotly JSON of the chart whose key ends with `chart_key_suffix`."""
    chart = next(c for c in app.get("plotly_chart") if c.proto.id.endswith(chart_key_suffix))
    return json.loads(chart.proto.spec)


def window_box(spec: dict) -> tuple[float, float]:
    """(left, top) of the highlighted window on the input panel."""
    trace = next(t for t in spec["data"] if t.get("name") == "inner" and t.get("xaxis") == "x")
    return min(v for v in trace["x"] if v is not None), min(v for v in trace["y"] if v is not None)
