"""Figures for the contrastive-divergence EBM, pure functions of CDRun snapshots: the learned
density exp(f) / Z against the exact p with the negatives (1-D: curves and the negatives'
histogram; 2-D: two heat maps at one colour scale), and the KLs over training."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures.style import TEMPLATE, dots_image

EXACT, LEARNED, NEGATIVES = "#1f77b4", "#d62728", "#ff7f0e"
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=60, b=60))


def _title(snap: dict) -> str:
    kind = "persistent chains" if snap["persistent"] else "short-run chains from noise"
    return f"Learned exp(f)/Z after {snap['step']:,} steps vs the exact p (negatives: {kind})"


def density(snap: dict) -> go.Figure:
    g, (lo, hi) = snap["grid"], snap["box"]
    q, neg = snap["learned"], snap["negatives"]
    if snap["dim"] == 1:
        x = g["axes"][0]
        edges = np.linspace(lo[0], hi[0], 61)
        counts = np.histogram(neg[:, 0], edges)[0] / max(len(neg), 1) / np.diff(edges)
        fig = go.Figure()
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), name="negatives (histogram)",
                    marker=dict(color=NEGATIVES, opacity=0.35))
        fig.add_scatter(x=x, y=g["p"], name="exact p", line=dict(color=EXACT, width=3))
        fig.add_scatter(x=x, y=q, name="learned exp(f)/Z", line=dict(color=LEARNED, width=2, dash="dash"))
        fig.update_layout(**(LAYOUT | {"margin": dict(l=70, r=20, t=90, b=60)}), height=420, title=_title(snap),
                          bargap=0, xaxis_title="x", yaxis_title="density",
                          legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0))
        return fig
    n = len(g["axes"][0])
    top = float(max(g["p"].max(), q.max()))
    fig = make_subplots(1, 2, subplot_titles=("exact p", "learned exp(f)/Z, negatives (orange)"),
                        horizontal_spacing=0.08)
    for col, z in ((1, g["p"]), (2, q)):
        fig.add_heatmap(x=g["axes"][0], y=g["axes"][1], z=z.reshape(n, n), zmin=0, zmax=top, colorscale="Blues",
                        showscale=col == 2, colorbar=dict(title="density"), hoverinfo="skip", row=1, col=col)
    x_range, y_range = (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))
    image = dots_image([(neg, NEGATIVES)], x_range, y_range, radius=2.5)
    image.update(xref="x2", yref="y2")
    fig.update_xaxes(range=x_range, title="x1")
    fig.update_yaxes(range=y_range, title="x2")
    fig.update_layout(**LAYOUT, height=460, title=_title(snap), images=[image])
    return fig


def kl_curve(snap: dict) -> go.Figure:
    h = snap["history"]
    fig = go.Figure()
    fig.add_scatter(x=h["step"], y=np.maximum(h["kl"], 1e-4), name="KL(p || p_f)", line=dict(color=LEARNED))
    fig.add_scatter(x=h["step"], y=np.maximum(h["kl_reverse"], 1e-4), name="KL(p_f || p)",
                    line=dict(color="#7f7f7f", dash="dot"))
    fig.update_layout(**LAYOUT, height=340, title="How far the learned density is from p", xaxis_title="training step",
                      yaxis=dict(type="log", title="nats"), legend=dict(x=0.7, y=0.99))
    return fig
