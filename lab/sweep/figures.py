"""The sweep's phase diagram: a pure function of `SweepRun.snapshot()`.

One cell per configuration, coloured by the mean of a metric over its seeds; the first axis runs
along the columns, the second along the rows; hovering a cell gives the mean, the std and every
seed's own value. Axis values are categories (evenly spaced whatever their spacing, labelled as
given), so a log range reads as a log axis.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lab.figures.style import TEMPLATE
from lab.sweep import summary

LABELS = {"modes": "modes captured", "hq": "high-quality share", "reverse_kl": "reverse KL to uniform"}
MAX_WRITTEN = 144              # cells up to which each cell shows its mean as text


def _fmt(v: float) -> str:
    return "inf" if math.isinf(v) else "nan" if math.isnan(v) else f"{v:.3g}"


def _range(snap: dict, metric: str) -> dict:
    """Fixed colour bounds where the metric has them, so frames of a live sweep compare."""
    modes = max(len(d["centres"]) for d in snap["data"].values())
    if metric == "modes":
        return dict(zmin=0, zmax=modes)
    if metric == "hq":
        return dict(zmin=0, zmax=1)
    if metric == "reverse_kl":
        return dict(zmin=0, zmax=math.log(modes))
    return {}


def heatmap(snap: dict, metric: str = "modes", title: str | None = None) -> go.Figure:
    """Mean of `metric` ("modes", "hq", "reverse_kl", "d_loss", "g_loss") over each cell's seeds.
    A cell whose mean is not finite (a reverse KL with no high-quality sample) is left blank."""
    rows, cols = snap["shape"]
    seeds = snap["seeds"]
    stats = summary.cell_stats(snap["metrics"][metric], (rows, cols), seeds)
    axes = snap["axes"] + [None, None]
    x_key, y_key = (a["key"] if a else "" for a in axes[:2])
    xs = axes[0]["labels"] if axes[0] else [""]
    ys = axes[1]["labels"] if axes[1] else [""]
    seed_of = np.asarray(snap["seed"]).reshape(rows, cols, seeds)

    def hover(iy: int, ix: int) -> str:
        where = ", ".join(f"{k}={v}" for k, v in ((x_key, xs[ix]), (y_key, ys[iy])) if k) or "the base config"
        each = ", ".join(f"seed {int(s)}: {_fmt(v)}" for s, v in zip(seed_of[iy, ix], stats["values"][iy, ix]))
        return f"{where}<br>mean {_fmt(stats['mean'][iy, ix])}, std {_fmt(stats['std'][iy, ix])}<br>{each}"

    text = [[hover(iy, ix) for ix in range(cols)] for iy in range(rows)]
    mean = np.where(np.isfinite(stats["mean"]), stats["mean"], np.nan)
    written = dict(texttemplate="%{z:.3g}") if rows * cols <= MAX_WRITTEN else {}
    fig = go.Figure(go.Heatmap(
        x=xs, y=ys, z=mean, text=text, hovertemplate="%{text}<extra></extra>", colorscale="Viridis",
        colorbar=dict(title=LABELS.get(metric, metric)), **_range(snap, metric), **written))
    label = LABELS.get(metric, metric)
    fig.update_layout(
        template=TEMPLATE, height=max(320, 60 + 40 * rows), margin=dict(l=80, r=20, t=60, b=60),
        title=title or f"{label[0].upper() + label[1:]}, mean over {seeds} seed{'s' * (seeds > 1)}, step {snap['step']}",
        xaxis=dict(title=x_key, type="category"), yaxis=dict(title=y_key, type="category"))
    return fig
