"""Figures for the GAN-as-EBM experiment, pure functions of EbmGanRun snapshots.

identity  p_f = e^f / Z(f) with q's Gaussian over it (1-D curves; 2-D contours and q's 1- and
          2-sigma ellipses); the bound E_q f + H(q) climbing to log Z(f).
minmax    the learned f - log Z(f) against log p (1-D curves with q's histogram under them;
          2-D side-by-side heat maps with one colour scale and q's samples on f's); the bound
          and log Z(f) over training, and the three KLs.

Both figures are redrawn every tick, so they are built from plain dicts (lab.figures.plain).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lab.figures import plain
from lab.figures.style import TEMPLATE

EXACT, MODEL, SAMPLER, BOUND, GAP = "#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd"
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=60, b=110))
BELOW = dict(orientation="h", x=0.0, y=-0.14, yanchor="top")     # a legend under the x axis: clear of the curves
# plotly.py's scales as validation spells them out: plotly.js has its own, different ones by these names
BLUES, VIRIDIS = plain.colorscale("Blues"), plain.colorscale("Viridis")
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
    """p_f = e^f / Z and q: curves in 1-D; in 2-D p_f shaded and q's 1- and 2-sigma ellipses."""
    axes, (lo, hi) = snap["axes"], snap["box"]
    p, mu, cov = np.exp(snap["log_p"]), snap["mu"], snap["cov"]
    layout = dict(LAYOUT, title=dict(text=f"q (orange) after {snap['step']:,} steps vs p_f = e^f / Z (blue)"),
                  legend=BELOW)
    if snap["dim"] == 1:
        return plain.figure([
            plain.scatter(x=axes[0], y=p, name="p_f = e^f / Z(f)", line=dict(color=EXACT, width=3)),
            plain.scatter(x=axes[0], y=_gauss_pdf(snap["points"], mu, cov), name="q = N(mu, sigma^2)",
                          line=dict(color=SAMPLER, width=3, dash="dash"))],
            dict(layout, height=380, xaxis=dict(title=dict(text="x")), yaxis=dict(title=dict(text="density"))))
    n = len(axes[0])
    data = [dict(type="contour", x=axes[0], y=axes[1], z=p.reshape(n, n), showscale=False, ncontours=12,
                 colorscale=BLUES, contours=dict(coloring="fill", showlines=False), hoverinfo="skip")]
    for k, dash in ((1, "solid"), (2, "dot")):
        ex, ey = _ellipse(mu, cov, k)
        data.append(plain.scatter(x=ex, y=ey, mode="lines", line=dict(color=SAMPLER, width=3, dash=dash),
                                  name=f"q: {k} sigma"))
    return plain.figure(data, dict(
        layout, height=580,
        xaxis=dict(range=[float(lo[0]), float(hi[0])], title=dict(text="x1"), constrain="domain"),
        yaxis=dict(range=[float(lo[1]), float(hi[1])], title=dict(text="x2"), scaleanchor="x", scaleratio=1,
                   constrain="domain")))


def energy_vs_log_p(snap: dict) -> go.Figure:
    """The learned f - log Z(f) against log p, both floored at FLOOR (where p has no mass, log p is -inf)."""
    log_p, f = np.maximum(snap["log_p"], FLOOR), np.maximum(snap["f"], FLOOR)
    return _energy_1d(snap, log_p, f) if snap["dim"] == 1 else _energy_2d(snap, log_p, f)


def _energy_1d(snap: dict, log_p: np.ndarray, f: np.ndarray) -> go.Figure:
    """Top: log p and f - log Z(f). Bottom: p and p_f = e^f / Z over the histogram of q's samples."""
    x, edges = snap["axes"][0], snap["edges"][0]
    width = np.diff(edges)
    data = [plain.scatter(x=x, y=log_p, name="log p", line=dict(color=EXACT, width=3), **plain.panel(1)),
            plain.scatter(x=x, y=f, name="f - log Z(f)", line=dict(color=MODEL, width=2, dash="dash"),
                          **plain.panel(1)),
            dict(type="bar", x=(edges[:-1] + edges[1:]) / 2, y=snap["hist"] / width, width=width,
                 name="q's samples", marker=dict(color=SAMPLER, opacity=0.5), **plain.panel(2)),
            plain.scatter(x=x, y=np.exp(snap["log_p"]), name="p", line=dict(color=EXACT, width=3),
                          showlegend=False, **plain.panel(2)),
            plain.scatter(x=x, y=np.exp(snap["f"]), name="p_f", line=dict(color=MODEL, width=2, dash="dash"),
                          showlegend=False, **plain.panel(2))]
    layout = plain.grid(("log densities", "densities and q's samples"), rows=2, cols=1, shared_xaxes=True,
                        vertical_spacing=0.08, row_heights=[0.55, 0.45])
    layout["yaxis"].update(title=dict(text="nats"), range=[FLOOR - 0.5, max(log_p.max(), f.max()) + 0.5])
    layout["yaxis2"]["title"] = dict(text="density")
    layout["xaxis2"]["title"] = dict(text="x")
    layout.update(LAYOUT, height=540, bargap=0, legend=BELOW,
                  title=dict(text=f"Learned energy after {snap['step']:,} steps vs log p"))
    return plain.figure(data, layout)


def _energy_2d(snap: dict, log_p: np.ndarray, f: np.ndarray) -> go.Figure:
    """log p and f - log Z(f) as heat maps at one colour scale, q's samples on f's."""
    axes, (lo, hi), s = snap["axes"], snap["box"], snap["samples"]
    n, top = len(axes[0]), float(max(log_p.max(), f.max()))
    data = [dict(type="heatmap", x=axes[0], y=axes[1], z=z.reshape(n, n), zmin=FLOOR, zmax=top, colorscale=VIRIDIS,
                 hoverinfo="skip", showscale=k == 2, colorbar=dict(title=dict(text="nats"), x=1.01, len=0.9),
                 **plain.panel(k))
            for k, z in ((1, log_p), (2, f))]
    data.append(plain.scatter(x=s[:, 0], y=s[:, 1], mode="markers", marker=dict(color=SAMPLER, size=3, opacity=0.7),
                              name="q's samples", showlegend=False, hoverinfo="skip", **plain.panel(2)))
    layout = plain.grid(("log p (exact)", f"f - log Z(f), step {snap['step']:,}, with q's samples"), rows=1, cols=2,
                        horizontal_spacing=0.12)
    for k in ("", "2"):
        layout["xaxis" + k].update(range=[float(lo[0]), float(hi[0])], title=dict(text="x1"))
        layout["yaxis" + k].update(range=[float(lo[1]), float(hi[1])], title=dict(text="x2"))
    layout.update(LAYOUT, height=480, title=dict(text="One colour scale for both (nats; below -12 drawn as -12)"))
    return plain.figure(data, layout)


def bound_curve(snap: dict) -> go.Figure:
    """Top: the bound E_q f + H(q) and log Z(f) over training. Bottom (log scale): their gap
    KL(q || p_f) and, in minmax mode, KL(p || p_f) and the KL of q's histogram to p."""
    h = snap["history"]
    data = [plain.scatter(x=h["step"], y=h["log_z"], name="log Z(f)", line=dict(color=EXACT, width=3),
                          **plain.panel(1)),
            plain.scatter(x=h["step"], y=h["bound"], name="E_q f + H(q)", line=dict(color=BOUND, width=2, dash="dash"),
                          **plain.panel(1))]
    lines = [("gap", "gap = KL(q || p_f)", GAP)]
    if snap["mode"] == "minmax":
        lines += [("kl_p", "KL(p || p_f)", MODEL), ("kl_q", "KL(q's histogram || p)", SAMPLER)]
    # floored: a gap of 0, or a rounding error below it, has no place on the log axis
    data += [plain.scatter(x=h["step"], y=np.maximum(h[key], 1e-15), name=name, line=dict(color=colour),
                           **plain.panel(2))
             for key, name, colour in lines]
    layout = plain.grid(("log Z(f) and the bound E_q f + H(q)", "how far (log scale)"), rows=2, cols=1,
                        shared_xaxes=True, vertical_spacing=0.1)
    layout["yaxis"]["title"] = dict(text="nats")
    layout["yaxis2"].update(type="log", dtick=1, title=dict(text="nats"))
    layout["xaxis2"]["title"] = dict(text="training step")
    layout.update(LAYOUT, height=560, legend=BELOW)
    return plain.figure(data, layout)
