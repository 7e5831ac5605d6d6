"""Figures for the contrastive-divergence EBM, pure functions of CDRun snapshots: the learned
density exp(f) / Z against the exact p with the negatives (1-D: curves and the negatives'
histogram; 2-D: two heat maps at one colour scale), and the KLs over training. Both are redrawn
every tick, so they are built from plain dicts (lab.figures.plain)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab.figures import plain
from lab.figures.style import TEMPLATE, dots_image

EXACT, LEARNED, NEGATIVES = "#1f77b4", "#d62728", "#ff7f0e"
# plotly.py's "Blues" as validation spells it out: plotly.js has its own, different "Blues"
BLUES = plain.colorscale("Blues")
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=60, b=60))


def _title(snap: dict) -> dict:
    kind = "persistent chains" if snap["persistent"] else "short-run chains from noise"
    return dict(text=f"Learned exp(f)/Z after {snap['step']:,} steps vs the exact p (negatives: {kind})")


def density(snap: dict) -> go.Figure:
    return _density_1d(snap) if snap["dim"] == 1 else _density_2d(snap)


def _density_1d(snap: dict) -> go.Figure:
    """exp(f)/Z and p as curves over the negatives' histogram (as a density)."""
    x, (lo, hi), neg = snap["grid"]["axes"][0], snap["box"], snap["negatives"]
    edges = np.linspace(lo[0], hi[0], 61)
    counts = np.histogram(neg[:, 0], edges)[0] / max(len(neg), 1) / np.diff(edges)
    return plain.figure([
        dict(type="bar", x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
             name="negatives (histogram)", marker=dict(color=NEGATIVES, opacity=0.35)),
        plain.scatter(x=x, y=snap["grid"]["p"], name="exact p", line=dict(color=EXACT, width=3)),
        plain.scatter(x=x, y=snap["learned"], name="learned exp(f)/Z", line=dict(color=LEARNED, width=2, dash="dash"))],
        dict(LAYOUT, margin=dict(l=70, r=20, t=90, b=60), height=420, title=_title(snap), bargap=0,
             xaxis=dict(title=dict(text="x")), yaxis=dict(title=dict(text="density")),
             legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0)))


def _density_2d(snap: dict) -> go.Figure:
    """p and exp(f)/Z as heat maps at one colour scale, the negatives as dots on the learned one."""
    g, (lo, hi), q = snap["grid"], snap["box"], snap["learned"]
    n, top = len(g["axes"][0]), float(max(g["p"].max(), q.max()))
    data = [dict(type="heatmap", x=g["axes"][0], y=g["axes"][1], z=z.reshape(n, n), zmin=0, zmax=top,
                 colorscale=BLUES, showscale=k == 2, colorbar=dict(title=dict(text="density")), hoverinfo="skip",
                 **plain.panel(k))
            for k, z in ((1, g["p"]), (2, q))]
    x_range, y_range = (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))
    image = dots_image([(snap["negatives"], NEGATIVES)], x_range, y_range, radius=2.5)
    image.update(xref="x2", yref="y2")
    layout = plain.grid(("exact p", "learned exp(f)/Z, negatives (orange)"), rows=1, cols=2,
                        horizontal_spacing=0.08)
    for k in ("", "2"):
        layout["xaxis" + k].update(range=x_range, title=dict(text="x1"))
        layout["yaxis" + k].update(range=y_range, title=dict(text="x2"))
    layout.update(LAYOUT, height=460, title=_title(snap), images=[image])
    return plain.figure(data, layout)


def kl_curve(snap: dict) -> go.Figure:
    """KL(p || p_f) and KL(p_f || p) over training, on a log axis (floored at 1e-4 to stay on it)."""
    h = snap["history"]
    return plain.figure([
        plain.scatter(x=h["step"], y=np.maximum(h["kl"], 1e-4), name="KL(p || p_f)", line=dict(color=LEARNED)),
        plain.scatter(x=h["step"], y=np.maximum(h["kl_reverse"], 1e-4), name="KL(p_f || p)",
                      line=dict(color="#7f7f7f", dash="dot"))],
        dict(LAYOUT, height=340, title=dict(text="How far the learned density is from p"),
             xaxis=dict(title=dict(text="training step")), yaxis=dict(type="log", title=dict(text="nats")),
             legend=dict(x=0.7, y=0.99)))
