"""Figures of Dirac-GAN runs: pure functions of snapshots. `snaps` maps a run's name (a page
variant, or a command-line run's label) to its snapshot; each run keeps one colour in every
figure.

Few traces, so a live redraw stays cheap: the arrows are one line trace (plotly's
create_quiver), each trajectory one line, every current point one marker trace.
"""
from __future__ import annotations

import numpy as np
import plotly.figure_factory as ff
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.experiments.dirac_gan.config import VARIANTS
from lab.figures.style import TEMPLATE

COLOUR = {"simultaneous": "#d62728", "alternating": "#ff7f0e", "small_lr": "#e377c2", "ttur": "#8c564b",
          "r1": "#2ca02c", "noise": "#17becf", "consensus": "#1f77b4", "wgan": "#bcbd22", "wgan_gp": "#9467bd"}
OTHER = ("#7f7f7f", "#393b79", "#637939", "#843c39")
ARROWS = "#b8c2d0"
MAX_POINTS = 1500           # points drawn per trajectory (long runs are thinned evenly)
FLOOR = 1e-12               # smallest radius on the log axis
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=50, b=60))


def colour(name: str, i: int = 0) -> str:
    return COLOUR.get(name, OTHER[i % len(OTHER)])


def label(name: str, snap: dict) -> str:
    return VARIANTS[name].label if name in VARIANTS else snap["label"]


def _thin(n: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).astype(int))


def _arrows(field: dict) -> go.Scatter:
    """The expected update x' - x on the grid, as one line trace: lengths scaled by the square
    root of the step's size (the field is ~0 near the equilibrium and where D saturates)."""
    d = np.hypot(field["d_theta"], field["d_psi"])
    top = d.max() if d.size and d.max() > 0 else 1.0
    cell = 2 * field["half_width"] / (int(np.sqrt(d.size)) - 1)
    k = np.where(d > 0, 0.85 * cell * np.sqrt(d / top) / np.where(d > 0, d, 1.0), 0.0)
    quiver = ff.create_quiver(field["theta"], field["psi"], k * field["d_theta"], k * field["d_psi"], scale=1.0,
                              arrow_scale=0.3, line=dict(color=ARROWS, width=1), hoverinfo="skip",
                              showlegend=False, name="update")
    return quiver.data[0]


def plane(snaps: dict[str, dict], field: str | None = None) -> go.Figure:
    """The (theta, psi) plane: the arrows of run `field`'s update (default the first run), every
    trajectory from the start, its point now, and the equilibrium (0, 0)."""
    fig = go.Figure(layout=LAYOUT)
    if not snaps:
        return fig
    names = list(snaps)
    shown = snaps[field if field in snaps else names[0]]
    r = shown["field"]["half_width"]
    fig.add_trace(_arrows(shown["field"]))
    now_x, now_y, now_c, now_t = [], [], [], []
    for i, (name, s) in enumerate(snaps.items()):
        tr = s["trajectory"]
        keep = _thin(len(tr["theta"]))
        fig.add_trace(go.Scatter(x=tr["theta"][keep], y=tr["psi"][keep], mode="lines", name=label(name, s),
                                 line=dict(color=colour(name, i), width=2), hoverinfo="skip"))
        now_x.append(tr["theta"][-1])
        now_y.append(tr["psi"][-1])
        now_c.append(colour(name, i))
        now_t.append(f"{label(name, s)}: step {s['step']}, radius {tr['radius'][-1]:.3g}")
    first = snaps[names[0]]["trajectory"]
    fig.add_trace(go.Scatter(x=[first["theta"][0]], y=[first["psi"][0]], mode="markers", name="start",
                             marker=dict(color="white", size=11, line=dict(color="black", width=2)), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=now_x, y=now_y, mode="markers", showlegend=False, text=now_t, hoverinfo="text",
                             marker=dict(color=now_c, size=10, line=dict(color="white", width=1))))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", name="equilibrium (0, 0)",
                             marker=dict(symbol="star", color="black", size=14), hoverinfo="skip"))
    what = label(field if field in snaps else names[0], shown)
    fig.update_layout(height=560, title=f"The (theta, psi) plane; arrows: one step of {what}",
                      legend=dict(orientation="h", y=-0.16, x=0), margin=dict(l=70, r=20, t=50, b=110))
    fig.update_xaxes(title="theta (the generator: G = delta_theta)", range=[-r, r], constrain="domain")
    fig.update_yaxes(title="psi (D's slope: D(x) = psi x)", range=[-r, r], scaleanchor="x", scaleratio=1,
                     constrain="domain")
    return fig


def eigenvalues(snaps: dict[str, dict]) -> go.Figure:
    """Left: the field's Jacobian at the equilibrium (converges where Re < 0). Right: the
    update's Jacobian, near 1 (converges inside the unit circle, spirals out outside)."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14,
                        subplot_titles=("Field: Re < 0 converges", "Update: |λ| < 1 converges"))
    fig.update_layout(**{**LAYOUT, "margin": dict(l=70, r=20, t=60, b=110)}, height=420,
                      legend=dict(orientation="h", y=-0.22, x=0))
    t = np.linspace(0, 2 * np.pi, 721)
    fig.add_trace(go.Scatter(x=np.cos(t), y=np.sin(t), mode="lines", line=dict(color="black", width=1),
                             name="unit circle", hoverinfo="skip"), row=1, col=2)
    field_all, update_all = [], []
    for i, (name, s) in enumerate(snaps.items()):
        if not s["smooth"]:
            continue
        ef, eu = s["eig_field"], s["eig_update"]
        field_all += list(ef)
        update_all += list(eu)
        style = dict(mode="markers", marker=dict(color=colour(name, i), size=11, line=dict(color="white", width=1)),
                     legendgroup=name, hoverinfo="text")
        fig.add_trace(go.Scatter(x=ef.real, y=ef.imag, name=label(name, s), showlegend=False,
                                 text=[f"{label(name, s)}: {z.real:.4g} {z.imag:+.4g}i" for z in ef], **style),
                      row=1, col=1)
        m = float(np.max(np.abs(eu)))
        fig.add_trace(go.Scatter(x=eu.real, y=eu.imag, name=f"{label(name, s)}: |λ| = {m:.4f}",
                                 text=[f"{label(name, s)}: {z.real:.4f} {z.imag:+.4f}i, |λ| = {abs(z):.5f}"
                                       for z in eu], **style), row=1, col=2)
    f = np.asarray(field_all) if field_all else np.zeros(1, complex)
    im = max(0.6, float(np.abs(f.imag).max()) * 1.25)
    fig.update_xaxes(title="Re", range=[min(-0.6, float(f.real.min()) * 1.25), 0.3], row=1, col=1)
    fig.update_yaxes(title="Im", range=[-im, im], row=1, col=1)
    _vline(fig, 0.0)
    u = np.asarray(update_all) if update_all else np.ones(1, complex)
    d = float(np.abs(u - 1).max()) * 1.3 + 0.02
    fig.update_xaxes(title="Re", range=[1 - d, 1 + d], row=1, col=2)
    fig.update_yaxes(title="Im", range=[-d, d], scaleanchor="x2", scaleratio=1, row=1, col=2)
    return fig


def _vline(fig: go.Figure, x: float) -> None:
    """The imaginary axis of the left panel, as a plain layout shape (cheap to redraw)."""
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, xref="x", yref="y domain",
                  line=dict(color="black", width=1, dash="dot"))


def radius(snaps: dict[str, dict]) -> go.Figure:
    """The distance to the equilibrium over the steps (log axis), beside r0 |λ|^n, the linear
    prediction of the update's largest eigenvalue (dashed)."""
    fig = go.Figure(layout=LAYOUT)
    for i, (name, s) in enumerate(snaps.items()):
        tr = s["trajectory"]
        keep = _thin(len(tr["radius"]))
        steps = tr["step"][keep]
        fig.add_trace(go.Scatter(x=steps, y=np.maximum(tr["radius"][keep], FLOOR), mode="lines",
                                 name=label(name, s), legendgroup=name, line=dict(color=colour(name, i), width=2)))
        if s["smooth"] and len(steps) > 1:
            m = float(np.max(np.abs(s["eig_update"])))
            pred = tr["radius"][0] * np.exp(steps * np.log(m))
            fig.add_trace(go.Scatter(x=steps, y=np.maximum(pred, FLOOR), mode="lines", legendgroup=name,
                                     showlegend=False, hoverinfo="skip",
                                     line=dict(color=colour(name, i), width=1, dash="dash")))
    fig.update_layout(height=380, title="Distance to the equilibrium; dashed: r0 |λ|^n",
                      legend=dict(orientation="h", y=-0.2, x=0), margin=dict(l=70, r=20, t=50, b=100))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="radius sqrt(theta² + psi²)", type="log", exponentformat="power")
    return fig


def verdict(snap: dict) -> str:
    """What the update's largest eigenvalue says near the equilibrium."""
    if not snap["smooth"]:
        return "no Jacobian (penalty kinks at psi = 0)"
    m = float(np.max(np.abs(snap["eig_update"])))
    return "spirals out" if m > 1 + 1e-9 else "converges" if m < 1 - 1e-9 else "circles (|λ| = 1)"


def _pair(z: np.ndarray, digits: int) -> str:
    if not np.isfinite(z).all():
        return "n/a"
    a = z[0]
    return f"{a.real:.{digits}f} ± {abs(a.imag):.{digits}f}i" if abs(a.imag) > 0 else \
        ", ".join(f"{w.real:.{digits}f}" for w in z)


def table(snaps: dict[str, dict]) -> list[dict]:
    """One row per run: the eigenvalues, what they predict, and what the run measured."""
    rows = []
    for name, s in snaps.items():
        m = s["metrics"]
        rows.append({"variant": label(name, s), "lr": s["lr"], "field λ": _pair(s["eig_field"], 3),
                     "update λ": _pair(s["eig_update"], 4),
                     "|λ| max": m["max_abs_eigenvalue"], "measured rate": m["measured_rate"],
                     "radius start": m["radius_start"], "radius now": m["radius_final"],
                     "prediction": verdict(s) + (" (stopped)" if s["stopped"] else "")})
    return rows
