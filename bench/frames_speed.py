"""How long step frames and step figures take (run: python3 bench/frames_speed.py).

Frames should be built in well under 0.1 s for a 28x28 input and a 3x3 kernel (the budget
`target_s` in the JSON line, checked by eye, not by a test). While Play runs, the page's
player builds one step figure per tick (ANIMATION_FRAME_MS apart) on the server, so a step
figure should take a small part of a tick even for the largest grids the pages allow; its
JSON is what each tick sends to the browser. The last line printed is JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn_core.maths.frames import conv_frames, pool_frames  # noqa: E402
from cnn_core.views.grid_figures import conv_step_figure, pool_step_figure  # noqa: E402

KERNEL = np.array([[1, 0, -1]] * 3, dtype=float)
REPEATS = 5
FRAMES_TARGET_S = 0.1


def best_of(function, repeats: int = REPEATS) -> tuple[float, object]:
    """Fastest of `repeats` runs in seconds, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    rng = np.random.default_rng(0)
    summary: dict[str, float] = {"target_s": FRAMES_TARGET_S}
    print(f"{'case':44s} {'cells':>6s} {'best (ms)':>10s}")
    for side in (28, 16, 5):
        x = rng.integers(0, 256, size=(side, side)).astype(float)
        for padding in ("valid", "same"):
            seconds, frames = best_of(lambda x=x, p=padding: conv_frames(x, KERNEL, p, 1))
            print(f"conv_frames {side}x{side}, 3x3, {padding:5s}, stride 1"
                  f"{'':10s} {len(frames):6d} {seconds * 1e3:10.2f}")
            summary[f"conv_frames_{side}_{padding}_s"] = round(seconds, 5)
        seconds, frames = best_of(lambda x=x: pool_frames(x, 2, 2, "max", "valid"))
        print(f"pool_frames {side}x{side}, 2x2 max, stride 2{'':13s} {len(frames):6d} "
              f"{seconds * 1e3:10.2f}")
        summary[f"pool_frames_{side}_s"] = round(seconds, 5)
    for side in (16, 5):
        x = rng.integers(0, 10, size=(side, side)).astype(float)
        frames = conv_frames(x, KERNEL, "same", 1)
        seconds, fig = best_of(lambda x=x, f=frames: conv_step_figure(x, KERNEL, "same", 1, 7,
                                                                      frames=f), 3)
        size_kb = len(fig.to_json()) / 1024
        print(f"conv_step_figure {side}x{side}, same (JSON {size_kb:5.0f} KB)"
              f"{'':8s} {len(frames):6d} {seconds * 1e3:10.2f}")
        summary[f"conv_step_figure_{side}_s"] = round(seconds, 4)
        summary[f"conv_step_figure_{side}_kb"] = round(size_kb, 1)
    x = rng.integers(0, 400, size=(28, 28)).astype(float)
    frames = pool_frames(x, 2, 2)
    seconds, fig = best_of(lambda: pool_step_figure(x, 2, 2, step=30, frames=frames), 3)
    size_kb = len(fig.to_json()) / 1024
    print(f"pool_step_figure 28x28, 2x2 (JSON {size_kb:4.0f} KB)"
          f"{'':8s} {len(frames):6d} {seconds * 1e3:10.2f}")
    summary["pool_step_figure_28_s"] = round(seconds, 4)
    summary["pool_step_figure_28_kb"] = round(size_kb, 1)
    frames_28 = [summary[name] for name in
                 ("conv_frames_28_valid_s", "conv_frames_28_same_s", "pool_frames_28_s")]
    summary["frames_28_within_target"] = max(frames_28) < FRAMES_TARGET_S
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
