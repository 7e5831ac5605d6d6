"""Figures for the Langevin experiment, pure functions of LangevinRun snapshots: the particles
against the exact density, and the KL of their histogram to p over the iterations."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab.figures.style import TEMPLATE, dots_image

EXACT, PARTICLES = "#1f77b4", "#ff7f0e"
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=50, b=60))


def density(snap: dict) -> go.Figure:
    """1-D: the particles' histogram (as a density) over the exact p. 2-D: contours of the exact
    p with the particles as one image of dots (lab.figures.style.dots_image: cheap to redraw)."""
    g, (lo, hi) = snap["grid"], snap["box"]
    fig = go.Figure()
    title = f"Particles (orange) after {snap['step']:,} steps vs the exact p"
    if snap["dim"] == 1:
        edges = snap["edges"][0]
        width = np.diff(edges)
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=snap["hist"] / width, width=width, name="particles",
                    marker=dict(color=PARTICLES, opacity=0.6))
        fig.add_scatter(x=g["axes"][0], y=g["p"], name="exact p", line=dict(color=EXACT, width=3))
        fig.update_layout(**LAYOUT, height=380, title=title, bargap=0, xaxis_title="x", yaxis_title="density",
                          legend=dict(x=0.01, y=0.99))
        return fig
    n = len(g["axes"][0])
    fig.add_contour(x=g["axes"][0], y=g["axes"][1], z=g["p"].reshape(n, n), showscale=False, ncontours=12,
                    colorscale="Blues", contours=dict(coloring="fill", showlines=False), hoverinfo="skip")
    x_range, y_range = (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))
    image = dots_image([(snap["x"], PARTICLES)], x_range, y_range, radius=2.5)
    image.update(xref="x", yref="y")
    fig.update_layout(**LAYOUT, height=560, title=title + " (shaded)", images=[image],
                      xaxis=dict(range=x_range, title="x1", constrain="domain"),
                      yaxis=dict(range=y_range, title="x2", scaleanchor="x", scaleratio=1, constrain="domain"))
    return fig


def kl_curve(snap: dict) -> go.Figure:
    """KL(particles' histogram || p) and the mean's error over the iterations (log scale)."""
    h = snap["history"]
    fig = go.Figure()
    fig.add_scatter(x=h["step"], y=np.maximum(h["kl"], 1e-4), name="KL(histogram || p)", line=dict(color="#d62728"))
    fig.add_scatter(x=h["step"], y=np.maximum(h["mean_error"], 1e-4), name="|mean - exact mean|",
                    line=dict(color="#7f7f7f", dash="dot"))
    fig.update_layout(**LAYOUT, height=340, title="How far the particles are from p", xaxis_title="iteration",
                      yaxis=dict(type="log", title="nats / distance"), legend=dict(x=0.6, y=0.99))
    return fig
