"""Figures for the Langevin experiment, pure functions of LangevinRun snapshots: the particles
against the exact density, and the KL of their histogram to p over the iterations."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab.figures import plain
from lab.figures.style import TEMPLATE, dots_image

EXACT, PARTICLES = "#1f77b4", "#ff7f0e"
# plotly.py's "Blues" as validation spells it out: plotly.js has its own, different "Blues"
BLUES = plain.colorscale("Blues")
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=50, b=60))


def density(snap: dict) -> go.Figure:
    """1-D: the particles' histogram (as a density) over the exact p. 2-D: contours of the exact
    p with the particles as one image of dots (lab.figures.style.dots_image: cheap to redraw)."""
    g, (lo, hi) = snap["grid"], snap["box"]
    title = f"Particles (orange) after {snap['step']:,} steps vs the exact p"
    if snap["dim"] == 1:
        edges = snap["edges"][0]
        width = np.diff(edges)
        return plain.figure([
            dict(type="bar", x=(edges[:-1] + edges[1:]) / 2, y=snap["hist"] / width, width=width, name="particles",
                 marker=dict(color=PARTICLES, opacity=0.6)),
            plain.scatter(x=g["axes"][0], y=g["p"], name="exact p", line=dict(color=EXACT, width=3))],
            dict(LAYOUT, height=380, title=dict(text=title), bargap=0, xaxis=dict(title=dict(text="x")),
                 yaxis=dict(title=dict(text="density")), legend=dict(x=0.01, y=0.99)))
    n = len(g["axes"][0])
    x_range, y_range = (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))
    image = dots_image([(snap["x"], PARTICLES)], x_range, y_range, radius=2.5)
    image.update(xref="x", yref="y")
    return plain.figure([
        dict(type="contour", x=g["axes"][0], y=g["axes"][1], z=g["p"].reshape(n, n), showscale=False, ncontours=12,
             colorscale=BLUES, contours=dict(coloring="fill", showlines=False), hoverinfo="skip")],
        dict(LAYOUT, height=560, title=dict(text=title + " (shaded)"), images=[image],
             xaxis=dict(range=x_range, title=dict(text="x1"), constrain="domain"),
             yaxis=dict(range=y_range, title=dict(text="x2"), scaleanchor="x", scaleratio=1, constrain="domain")))


def kl_curve(snap: dict) -> go.Figure:
    """KL(particles' histogram || p) and the mean's error over the iterations (log scale)."""
    h = snap["history"]
    return plain.figure([
        plain.scatter(x=h["step"], y=np.maximum(h["kl"], 1e-4), name="KL(histogram || p)", line=dict(color="#d62728")),
        plain.scatter(x=h["step"], y=np.maximum(h["mean_error"], 1e-4), name="|mean - exact mean|",
                      line=dict(color="#7f7f7f", dash="dot"))],
        dict(LAYOUT, height=340, title=dict(text="How far the particles are from p"),
             xaxis=dict(title=dict(text="iteration")), yaxis=dict(type="log", title=dict(text="nats / distance")),
             legend=dict(x=0.6, y=0.99)))
