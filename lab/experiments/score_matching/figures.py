"""Figures for the score-matching experiment, pure functions of ScoreRun snapshots: the fitted
score beside the exact one (arrows in 2-D, curves in 1-D) and the Fisher divergence over training."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures.style import TEMPLATE

EXACT, FITTED = "#1f77b4", "#d62728"
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
    pts, exact, fitted = snap["points"], snap["exact"], snap["fitted"]
    if snap["dim"] == 1:
        fig = go.Figure()
        p = snap["density"]
        fig.add_scatter(x=pts[:, 0], y=exact[:, 0], name="exact grad log p", line=dict(color=EXACT, width=3))
        fig.add_scatter(x=pts[:, 0], y=fitted[:, 0], name="fitted s(x)", line=dict(color=FITTED, dash="dash"))
        fig.add_scatter(x=pts[:, 0], y=p / p.max() * np.abs(exact).max(), name="p (scaled)",
                        line=dict(color="#bbbbbb"), fill="tozeroy", fillcolor="rgba(0,0,0,0.05)")
        fig.update_layout(**LAYOUT, height=380, title=f"Score after {snap['step']:,} steps", xaxis_title="x",
                          yaxis_title="score", legend=dict(x=0.01, y=0.99))
        return fig
    (lo, hi), g = snap["box"], snap["grid"]
    # Arrows scaled together so the longest is ~1.5 grid cells; long ones are clipped to that.
    cell = (hi[0] - lo[0]) / (int(np.sqrt(len(pts))) - 1)
    norm = np.linalg.norm(exact, axis=1)
    scale = 1.5 * cell / max(np.quantile(norm, 0.9), 1e-9)
    clip = lambda v: v * np.minimum(1.0, 1.5 * cell / np.maximum(np.linalg.norm(v * scale, axis=1), 1e-12))[:, None]  # noqa: E731
    fig = make_subplots(1, 2, subplot_titles=("exact grad log p", f"fitted s(x), step {snap['step']:,}"),
                        horizontal_spacing=0.06)
    # The density under the arrows on every other fine-grid point (81 x 81): the same picture
    # with a quarter of the data, which the browser redraws every tick.
    n = len(g["axes"][0])
    ax, ay, z = g["axes"][0][::2], g["axes"][1][::2], g["p"].reshape(n, n)[::2, ::2]
    for col, (vec, colour) in enumerate([(exact, EXACT), (fitted, FITTED)], start=1):
        fig.add_contour(x=ax, y=ay, z=z, showscale=False, ncontours=8,
                        colorscale="Greys", opacity=0.6, contours=dict(coloring="fill", showlines=False),
                        hoverinfo="skip", row=1, col=col)
        xs, ys = _arrows(pts, clip(vec), scale)
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=1.5), showlegend=False,
                        hoverinfo="skip", row=1, col=col)
        fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", marker=dict(color=colour, size=3),
                        showlegend=False, hoverinfo="skip", row=1, col=col)
    fig.update_xaxes(range=[float(lo[0]), float(hi[0])])
    fig.update_yaxes(range=[float(lo[1]), float(hi[1])])
    fig.update_layout(**LAYOUT, height=480)
    return fig


def fisher_curve(snap: dict) -> go.Figure:
    h = snap["history"]
    fig = go.Figure()
    fig.add_scatter(x=h["step"], y=np.maximum(h["fisher"], 1e-6), name="Fisher divergence",
                    line=dict(color=FITTED))
    fig.update_layout(**LAYOUT, height=320, title="Fisher divergence E_p |s - grad log p|^2",
                      xaxis_title="training step", yaxis=dict(type="log", title="Fisher divergence"))
    return fig
