"""Figures for the GAN-as-EBM experiment, pure functions of EbmGanRun snapshots.

identity  p_f = e^f / Z(f) with q's Gaussian over it (1-D curves; 2-D contours and q's 1- and
          2-sigma ellipses); the bound E_q f + H(q) climbing to log Z(f).
minmax    the learned f - log Z(f) against log p (1-D curves with q's histogram under them;
          2-D side-by-side heat maps with one colour scale and q's samples on f's); the bound
          and log Z(f) over training, and the three KLs.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures.style import TEMPLATE

EXACT, MODEL, SAMPLER, BOUND, GAP = "#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd"
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=60, b=110))
BELOW = dict(orientation="h", x=0.0, y=-0.14, yanchor="top")     # a legend under the x axis: clear of the curves
FLOOR = -12.0         # log densities are drawn down to this (nats below nothing: where p has no mass)


def model(snap: dict) -> go.Figure:
    return identity_density(snap) if snap["mode"] == "identity" else energy_vs_log_p(snap)


def _gauss_pdf(pts: np.ndarray, mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    u = pts - mu
    inv = np.linalg.inv(cov)
    return np.exp(-0.5 * ((u @ inv) * u).sum(1)) / np.sqrt(np.linalg.det(2 * np.pi * cov))


def _ellipse(mu: np.ndarray, cov: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 100)
    pts = mu + k * np.stack([np.cos(t), np.sin(t)], 1) @ np.linalg.cholesky(cov).T
    return pts[:, 0], pts[:, 1]


def identity_density(snap: dict) -> go.Figure:
    axes, (lo, hi) = snap["axes"], snap["box"]
    p, mu, cov = np.exp(snap["log_p"]), snap["mu"], snap["cov"]
    title = f"q (orange) after {snap['step']:,} steps vs p_f = e^f / Z (blue)"
    fig = go.Figure()
    if snap["dim"] == 1:
        x = axes[0]
        fig.add_scatter(x=x, y=p, name="p_f = e^f / Z(f)", line=dict(color=EXACT, width=3))
        fig.add_scatter(x=x, y=_gauss_pdf(snap["points"], mu, cov), name="q = N(mu, sigma^2)",
                        line=dict(color=SAMPLER, width=3, dash="dash"))
        fig.update_layout(**LAYOUT, height=380, title=title, xaxis_title="x", yaxis_title="density",
                          legend=BELOW)
        return fig
    n = len(axes[0])
    fig.add_contour(x=axes[0], y=axes[1], z=p.reshape(n, n), showscale=False, ncontours=12,
                    colorscale="Blues", contours=dict(coloring="fill", showlines=False), hoverinfo="skip")
    for k, dash in ((1, "solid"), (2, "dot")):
        ex, ey = _ellipse(mu, cov, k)
        fig.add_scatter(x=ex, y=ey, mode="lines", line=dict(color=SAMPLER, width=3, dash=dash),
                        name=f"q: {k} sigma")
    fig.update_layout(**LAYOUT, height=580, title=title, legend=BELOW,
                      xaxis=dict(range=[float(lo[0]), float(hi[0])], title="x1", constrain="domain"),
                      yaxis=dict(range=[float(lo[1]), float(hi[1])], title="x2", scaleanchor="x", scaleratio=1,
                                 constrain="domain"))
    return fig


def energy_vs_log_p(snap: dict) -> go.Figure:
    axes, (lo, hi) = snap["axes"], snap["box"]
    log_p, f = np.maximum(snap["log_p"], FLOOR), np.maximum(snap["f"], FLOOR)
    if snap["dim"] == 1:
        x = axes[0]
        fig = make_subplots(2, 1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45],
                            subplot_titles=("log densities", "densities and q's samples"))
        fig.add_scatter(x=x, y=log_p, name="log p", line=dict(color=EXACT, width=3), row=1, col=1)
        fig.add_scatter(x=x, y=f, name="f - log Z(f)", line=dict(color=MODEL, width=2, dash="dash"), row=1, col=1)
        edges = snap["edges"][0]
        width = np.diff(edges)
        fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=snap["hist"] / width, width=width, name="q's samples",
                    marker=dict(color=SAMPLER, opacity=0.5), row=2, col=1)
        fig.add_scatter(x=x, y=np.exp(snap["log_p"]), name="p", line=dict(color=EXACT, width=3), showlegend=False,
                        row=2, col=1)
        fig.add_scatter(x=x, y=np.exp(snap["f"]), name="p_f", line=dict(color=MODEL, width=2, dash="dash"),
                        showlegend=False, row=2, col=1)
        fig.update_yaxes(title_text="nats", range=[FLOOR - 0.5, max(log_p.max(), f.max()) + 0.5], row=1, col=1)
        fig.update_yaxes(title_text="density", row=2, col=1)
        fig.update_xaxes(title_text="x", row=2, col=1)
        fig.update_layout(**LAYOUT, height=540, bargap=0, legend=BELOW,
                          title=f"Learned energy after {snap['step']:,} steps vs log p")
        return fig
    n = len(axes[0])
    top = float(max(log_p.max(), f.max()))
    fig = make_subplots(1, 2, horizontal_spacing=0.12,
                        subplot_titles=("log p (exact)", f"f - log Z(f), step {snap['step']:,}, with q's samples"))
    for col, z in ((1, log_p), (2, f)):
        fig.add_heatmap(x=axes[0], y=axes[1], z=z.reshape(n, n), zmin=FLOOR, zmax=top,
                        colorscale="Viridis", hoverinfo="skip", row=1, col=col, showscale=col == 2,
                        colorbar=dict(title="nats", x=1.01, len=0.9))
    s = snap["samples"]
    fig.add_scatter(x=s[:, 0], y=s[:, 1], mode="markers", marker=dict(color=SAMPLER, size=3, opacity=0.7),
                    name="q's samples", showlegend=False, hoverinfo="skip", row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(range=[float(lo[0]), float(hi[0])], title_text="x1", row=1, col=col)
        fig.update_yaxes(range=[float(lo[1]), float(hi[1])], title_text="x2", row=1, col=col)
    fig.update_layout(**LAYOUT, height=480, title="One colour scale for both (nats; below -12 drawn as -12)")
    return fig


def bound_curve(snap: dict) -> go.Figure:
    """Top: the bound E_q f + H(q) and log Z(f) over training. Bottom (log scale): their gap
    KL(q || p_f) and, in minmax mode, KL(p || p_f) and the KL of q's histogram to p."""
    h = snap["history"]
    fig = make_subplots(2, 1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=("log Z(f) and the bound E_q f + H(q)", "how far (log scale)"))
    fig.add_scatter(x=h["step"], y=h["log_z"], name="log Z(f)", line=dict(color=EXACT, width=3), row=1, col=1)
    fig.add_scatter(x=h["step"], y=h["bound"], name="E_q f + H(q)", line=dict(color=BOUND, width=2, dash="dash"),
                    row=1, col=1)
    lines = [("gap", "gap = KL(q || p_f)", GAP)]
    if snap["mode"] == "minmax":
        lines += [("kl_p", "KL(p || p_f)", MODEL), ("kl_q", "KL(q's histogram || p)", SAMPLER)]
    for key, name, colour in lines:
        fig.add_scatter(x=h["step"], y=np.maximum(h[key], 1e-15), name=name, line=dict(color=colour),
                        row=2, col=1)
    fig.update_yaxes(title_text="nats", row=1, col=1)
    fig.update_yaxes(type="log", dtick=1, title_text="nats", row=2, col=1)
    fig.update_xaxes(title_text="training step", row=2, col=1)
    fig.update_layout(**LAYOUT, height=560, legend=BELOW)
    return fig
