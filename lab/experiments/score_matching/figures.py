"""Figures for the score-matching experiment, pure functions of ScoreRun snapshots: the fitted
score beside the exact one (arrows in 2-D, curves in 1-D) and the Fisher divergence over training.
Both are redrawn every tick, so they are built from plain dicts (lab.figures.plain)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab.figures import plain
from lab.figures.style import TEMPLATE

EXACT, FITTED = "#1f77b4", "#d62728"
# plotly.py's "Greys" as validation spells it out: plotly.js has its own, different "Greys"
GREYS = plain.colorscale("Greys")
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=60, b=60))


def _arrows(pts: np.ndarray, vec: np.ndarray, scale: float) -> tuple[list, list]:
    """Line segments from each point along its vector, as one path with gaps (None): one SVG
    element instead of one per arrow. A dot at the tail marks the start."""
    xs, ys = [], []
    for (x, y), (u, v) in zip(pts, vec * scale):
        xs += [x, x + u, None]
        ys += [y, y + v, None]
    return xs, ys


def fields(snap: dict) -> go.Figure:
    return _fields_1d(snap) if snap["dim"] == 1 else _fields_2d(snap)


def _fields_1d(snap: dict) -> go.Figure:
    """The exact and fitted scores as curves over p (scaled to the exact score's height)."""
    x, exact, p = snap["points"][:, 0], snap["exact"][:, 0], snap["density"]
    return plain.figure([
        plain.scatter(x=x, y=exact, name="exact grad log p", line=dict(color=EXACT, width=3)),
        plain.scatter(x=x, y=snap["fitted"][:, 0], name="fitted s(x)", line=dict(color=FITTED, dash="dash")),
        plain.scatter(x=x, y=p / p.max() * np.abs(exact).max(), name="p (scaled)", line=dict(color="#bbbbbb"),
                      fill="tozeroy", fillcolor="rgba(0,0,0,0.05)")],
        dict(LAYOUT, height=380, title=dict(text=f"Score after {snap['step']:,} steps"),
             xaxis=dict(title=dict(text="x")), yaxis=dict(title=dict(text="score")), legend=dict(x=0.01, y=0.99)))


def _fields_2d(snap: dict) -> go.Figure:
    """The exact score (left) and the fitted one (right) as arrows on a grid over the shaded p."""
    pts, exact, (lo, hi), g = snap["points"], snap["exact"], snap["box"], snap["grid"]
    # Arrows scaled together so the longest is ~1.5 grid cells; long ones are clipped to that.
    cell = (hi[0] - lo[0]) / (int(np.sqrt(len(pts))) - 1)
    scale = 1.5 * cell / max(np.quantile(np.linalg.norm(exact, axis=1), 0.9), 1e-9)
    clip = lambda v: v * np.minimum(1.0, 1.5 * cell / np.maximum(np.linalg.norm(v * scale, axis=1), 1e-12))[:, None]  # noqa: E731
    # The density under the arrows on every other fine-grid point (81 x 81): the same picture
    # with a quarter of the data, which the browser redraws every tick.
    n = len(g["axes"][0])
    shade = dict(type="contour", x=g["axes"][0][::2], y=g["axes"][1][::2], z=g["p"].reshape(n, n)[::2, ::2],
                 showscale=False, ncontours=8, colorscale=GREYS, opacity=0.6,
                 contours=dict(coloring="fill", showlines=False), hoverinfo="skip")
    data = []
    for k, (vec, colour) in enumerate([(exact, EXACT), (snap["fitted"], FITTED)], start=1):
        xs, ys = _arrows(pts, clip(vec), scale)
        data += [dict(shade, **plain.panel(k)),
                 plain.scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=1.5), showlegend=False,
                               hoverinfo="skip", **plain.panel(k)),
                 plain.scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", marker=dict(color=colour, size=3),
                               showlegend=False, hoverinfo="skip", **plain.panel(k))]
    layout = plain.grid(("exact grad log p", f"fitted s(x), step {snap['step']:,}"), rows=1, cols=2,
                        horizontal_spacing=0.06)
    for k in ("", "2"):
        layout["xaxis" + k]["range"] = [float(lo[0]), float(hi[0])]
        layout["yaxis" + k]["range"] = [float(lo[1]), float(hi[1])]
    layout.update(LAYOUT, height=480)
    return plain.figure(data, layout)


def fisher_curve(snap: dict) -> go.Figure:
    """The Fisher divergence E_p |s - grad log p|^2 over training, on a log axis (floored at 1e-6)."""
    h = snap["history"]
    return plain.figure(
        [plain.scatter(x=h["step"], y=np.maximum(h["fisher"], 1e-6), name="Fisher divergence",
                       line=dict(color=FITTED))],
        dict(LAYOUT, height=320, title=dict(text="Fisher divergence E_p |s - grad log p|^2"),
             xaxis=dict(title=dict(text="training step")),
             yaxis=dict(type="log", title=dict(text="Fisher divergence"))))
