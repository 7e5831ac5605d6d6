"""Figures for the diffusion experiment, pure functions of DiffusionRun snapshots: each sampler's
samples over the exact density side by side, the KL and mode-weight error of each over training,
and the exact noised densities p * N(0, sigma^2) at a few of the levels."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures.style import TEMPLATE, dots_image

EXACT = "#1f77b4"
NAMES = {"ncsn": "Annealed Langevin (L levels)", "ddpm": "DDPM", "single": "Single-level Langevin"}
COLOURS = {"ncsn": "#2ca02c", "ddpm": "#9467bd", "single": "#d62728"}
KEYS = {"ncsn": "kl", "ddpm": "kl_ddpm", "single": "kl_langevin"}
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=60, r=20, t=70, b=50))
TOP = LAYOUT | dict(margin=dict(l=60, r=20, t=110, b=50))      # a title above the panels' two-line titles


def _titles(snap: dict) -> list[str]:
    m = snap["metrics"]
    return [f"{NAMES[k]}<br>KL {m[KEYS[k]]:.3g}" for k in NAMES]


def samples(snap: dict) -> go.Figure:
    """1-D: each sampler's histogram (as a density) over p. 2-D: the samples as dots over the
    shaded exact p, one panel per sampler, the same axes."""
    g, (lo, hi) = snap["grid"], snap["box"]
    fig = make_subplots(1, 3, subplot_titles=_titles(snap), horizontal_spacing=0.04, shared_yaxes=True)
    title = f"Samples drawn at training step {snap['metrics']['sampled_at']:,}"
    if snap["dim"] == 1:
        edges = snap["edges"][0]
        width = np.diff(edges)
        for col, k in enumerate(NAMES, start=1):
            fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=snap["hist"][k] / width, width=width, name=NAMES[k],
                        marker=dict(color=COLOURS[k], opacity=0.6), showlegend=False, row=1, col=col)
            fig.add_scatter(x=g["axes"][0], y=g["p"], name="exact p", line=dict(color=EXACT, width=3),
                            showlegend=col == 1, row=1, col=col)
        fig.update_xaxes(range=[float(lo[0]), float(hi[0])], title_text="x")
        fig.update_layout(**TOP, height=420, title=title, bargap=0, legend=dict(x=0.01, y=0.99))
        return fig
    n = len(g["axes"][0])
    x_range, y_range = (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))
    images = []
    z = g["p"].reshape(n, n)[::2, ::2]            # every other grid point: three panels stay light to redraw
    for col, k in enumerate(NAMES, start=1):
        fig.add_contour(x=g["axes"][0][::2], y=g["axes"][1][::2], z=z, showscale=False, ncontours=12,
                        colorscale="Blues", contours=dict(coloring="fill", showlines=False), hoverinfo="skip",
                        row=1, col=col)
        image = dots_image([(snap["samples"][k], COLOURS[k])], x_range, y_range, width=400, radius=2.5)
        suffix = "" if col == 1 else str(col)
        image.update(xref=f"x{suffix}", yref=f"y{suffix}")
        images.append(image)
    fig.update_xaxes(range=x_range, constrain="domain")
    fig.update_yaxes(range=y_range, constrain="domain")
    for col in (1, 2, 3):
        suffix = "" if col == 1 else str(col)
        fig.update_yaxes(scaleanchor=f"x{suffix}", scaleratio=1, row=1, col=col)
    fig.update_layout(**TOP, height=470, title=title + " over the shaded p", images=images)
    return fig


def kl_curve(snap: dict) -> go.Figure:
    """KL(samples' histogram || p) of each sampler over training (log), and the error of the mass
    near each mode (total variation; the mixing story)."""
    h = snap["history"]
    fig = make_subplots(1, 2, subplot_titles=("KL(histogram || p)", "mode-weight error (total variation)"),
                        horizontal_spacing=0.12)
    for k in NAMES:
        suffix = KEYS[k][2:]
        fig.add_scatter(x=h["step"], y=np.maximum(h[KEYS[k]], 1e-4), name=NAMES[k], mode="lines+markers",
                        line=dict(color=COLOURS[k]), row=1, col=1)
        fig.add_scatter(x=h["step"], y=h[f"mode_error{suffix}"], name=NAMES[k], mode="lines+markers",
                        line=dict(color=COLOURS[k], dash="dot"), showlegend=False, row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text="training step")
    fig.update_layout(**LAYOUT, height=360, legend=dict(orientation="h", x=0, y=-0.25))
    return fig


def noised(snap: dict) -> go.Figure:
    """The exact p * N(0, sigma^2) at up to four levels, sigma_1 (left) down to sigma_L."""
    levels = snap["noised"]
    if levels is None:
        fig = go.Figure()
        fig.add_annotation(text="The banana convolved with N(0, sigma^2) has no closed form", showarrow=False,
                           x=0.5, y=0.5, xref="paper", yref="paper")
        fig.update_layout(**LAYOUT, height=200)
        return fig
    fig = make_subplots(1, len(levels), subplot_titles=[f"sigma = {lv['sigma']:.3g}" for lv in levels],
                        horizontal_spacing=0.03)
    for col, lv in enumerate(levels, start=1):
        if snap["dim"] == 1:
            fig.add_scatter(x=lv["axes"][0], y=lv["p"], line=dict(color=EXACT, width=2), fill="tozeroy",
                            showlegend=False, row=1, col=col)
        else:
            n = len(lv["axes"][0])
            fig.add_heatmap(x=lv["axes"][0], y=lv["axes"][1], z=lv["p"].reshape(n, n), showscale=False,
                            colorscale="Blues", hoverinfo="skip", row=1, col=col)
            fig.update_yaxes(scaleanchor=f"x{'' if col == 1 else col}", scaleratio=1, constrain="domain",
                             showticklabels=col == 1, row=1, col=col)
            fig.update_xaxes(constrain="domain", row=1, col=col)
    fig.update_layout(**LAYOUT, height=300, title="The noised densities the network learns the scores of")
    return fig
