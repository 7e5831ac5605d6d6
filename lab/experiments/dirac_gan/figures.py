"""Figures of Dirac-GAN runs: pure functions of snapshots. `snaps` maps a run's name (a page
variant, or a command-line run's label) to its snapshot; each run keeps one colour in every
figure.

Few traces and no validation, so a live redraw stays cheap: the arrows are one line trace with
gaps, each trajectory one line, every current point one marker trace; each figure is built from
plain dicts (lab.figures.plain: plotly's create_quiver and trace-by-trace building took ~190 ms
for the plane), the subplot layout made once.
"""
from __future__ import annotations

import copy
import functools

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.experiments.dirac_gan.config import VARIANTS
from lab.figures import plain
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


def _arrows(field: dict) -> dict:
    """The expected update x' - x on the grid as one line trace (shaft and two barbs per arrow,
    NaN between): lengths scaled by the square root of the step's size, since the field is ~0 near
    the equilibrium and where D saturates."""
    d = np.hypot(field["d_theta"], field["d_psi"])
    top = d.max() if d.size and d.max() > 0 else 1.0
    cell = 2 * field["half_width"] / (int(np.sqrt(d.size)) - 1)
    length = 0.85 * cell * np.sqrt(d / top)
    unit = np.stack([field["d_theta"], field["d_psi"]], 1) / np.where(d > 0, d, 1.0)[:, None]
    tail = np.stack([field["theta"], field["psi"]], 1)
    head = tail + length[:, None] * unit
    barbs = []
    for angle in (0.45, -0.45):          # radians either side of the shaft, a third of its length back
        c, s = np.cos(angle), np.sin(angle)
        back = np.stack([c * unit[:, 0] - s * unit[:, 1], s * unit[:, 0] + c * unit[:, 1]], 1)
        barbs.append(head - 0.3 * length[:, None] * back)
    gap = np.full_like(tail, np.nan)
    pts = np.stack([tail, head, gap, barbs[0], head, barbs[1], gap], 1).reshape(-1, 2)     # (7 n, 2)
    return dict(type="scatter", x=pts[:, 0], y=pts[:, 1], mode="lines", line=dict(color=ARROWS, width=1),
                hoverinfo="skip", showlegend=False, name="update")


def plane(snaps: dict[str, dict], field: str | None = None) -> go.Figure:
    """The (theta, psi) plane: the arrows of run `field`'s update (default the first run), every
    trajectory from the start, its point now, and the equilibrium (0, 0)."""
    if not snaps:
        return plain.figure([], LAYOUT)
    names = list(snaps)
    key = field if field in snaps else names[0]
    shown = snaps[key]
    r = shown["field"]["half_width"]
    data = [_arrows(shown["field"])]
    now = {"x": [], "y": [], "c": [], "t": []}
    for i, (name, s) in enumerate(snaps.items()):
        tr = s["trajectory"]
        keep = _thin(len(tr["theta"]))
        data.append(dict(type="scatter", x=tr["theta"][keep], y=tr["psi"][keep], mode="lines", name=label(name, s),
                         line=dict(color=colour(name, i), width=2), hoverinfo="skip"))
        now["x"].append(tr["theta"][-1])
        now["y"].append(tr["psi"][-1])
        now["c"].append(colour(name, i))
        now["t"].append(f"{label(name, s)}: step {s['step']}, radius {tr['radius'][-1]:.3g}")
    first = snaps[names[0]]["trajectory"]
    data += [dict(type="scatter", x=[first["theta"][0]], y=[first["psi"][0]], mode="markers", name="start",
                  marker=dict(color="white", size=11, line=dict(color="black", width=2)), hoverinfo="skip"),
             dict(type="scatter", x=now["x"], y=now["y"], mode="markers", showlegend=False, text=now["t"],
                  hoverinfo="text", marker=dict(color=now["c"], size=10, line=dict(color="white", width=1))),
             dict(type="scatter", x=[0], y=[0], mode="markers", name="equilibrium (0, 0)",
                  marker=dict(symbol="star", color="black", size=14), hoverinfo="skip")]
    layout = dict(LAYOUT, height=620, title=dict(text=f"The (θ, ψ) plane; arrows: a step of {label(key, shown)}"),
                  legend=dict(orientation="h", y=-0.12, x=0), margin=dict(l=70, r=20, t=50, b=110),
                  xaxis=dict(title=dict(text="θ (the generator: G = δ_θ)"), range=[-r, r], constrain="domain"),
                  yaxis=dict(title=dict(text="ψ (D's slope: D(x) = ψx)"), range=[-r, r], scaleanchor="x",
                             scaleratio=1, constrain="domain"))
    return plain.figure(data, layout)


@functools.lru_cache(maxsize=1)
def _eig_layout() -> dict:
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14,
                        subplot_titles=("Field: Re λ < 0 converges", "One update: |λ| < 1 converges"))
    fig.update_layout(**{**LAYOUT, "margin": dict(l=70, r=20, t=60, b=110)}, height=420,
                      legend=dict(orientation="h", y=-0.22, x=0))
    fig.update_xaxes(title_text="Re")
    fig.update_yaxes(title_text="Im")
    fig.update_yaxes(scaleanchor="x2", scaleratio=1, row=1, col=2)
    # the imaginary axis of the left panel, as a plain layout shape (cheap to redraw)
    fig.add_shape(type="line", x0=0, x1=0, y0=0, y1=1, xref="x", yref="y domain",
                  line=dict(color="black", width=1, dash="dot"))
    return fig.layout.to_plotly_json()


def eigenvalues(snaps: dict[str, dict]) -> go.Figure:
    """Left: the field's Jacobian at the equilibrium (converges where Re < 0). Right: the
    update's Jacobian, near 1 (converges inside the unit circle, spirals out outside)."""
    t = np.linspace(0, 2 * np.pi, 721)
    data = [dict(type="scatter", x=np.cos(t), y=np.sin(t), mode="lines", line=dict(color="black", width=1),
                 name="unit circle", hoverinfo="skip", xaxis="x2", yaxis="y2")]
    field_all, update_all = [], []
    for i, (name, s) in enumerate(snaps.items()):
        if not s["smooth"]:
            continue
        ef, eu = s["eig_field"], s["eig_update"]
        field_all += list(ef)
        update_all += list(eu)
        style = dict(type="scatter", mode="markers", legendgroup=name, hoverinfo="text",
                     marker=dict(color=colour(name, i), size=11, line=dict(color="white", width=1)))
        m = float(np.max(np.abs(eu)))
        data += [dict(style, x=ef.real, y=ef.imag, name=label(name, s), showlegend=False,
                      text=[f"{label(name, s)}: {z.real:.4g} {z.imag:+.4g}i" for z in ef]),
                 dict(style, x=eu.real, y=eu.imag, name=f"{label(name, s)}: |λ| = {m:.4f}", xaxis="x2", yaxis="y2",
                      text=[f"{label(name, s)}: {z.real:.4f} {z.imag:+.4f}i, |λ| = {abs(z):.5f}" for z in eu])]
    layout = copy.deepcopy(_eig_layout())
    f = np.asarray(field_all) if field_all else np.zeros(1, complex)
    im = max(0.6, float(np.abs(f.imag).max()) * 1.25)
    layout["xaxis"]["range"] = [min(-0.6, float(f.real.min()) * 1.25), 0.3]
    layout["yaxis"]["range"] = [-im, im]
    u = np.asarray(update_all) if update_all else np.ones(1, complex)
    d = float(np.abs(u - 1).max()) * 1.3 + 0.02
    layout["xaxis2"]["range"] = [1 - d, 1 + d]
    layout["yaxis2"]["range"] = [-d, d]
    return plain.figure(data, layout)


def radius(snaps: dict[str, dict]) -> go.Figure:
    """The distance to the equilibrium over the steps (log axis), beside r0 |λ|^n, the linear
    prediction of the update's largest eigenvalue (dashed)."""
    data, ys = [], []
    for i, (name, s) in enumerate(snaps.items()):
        tr = s["trajectory"]
        keep = _thin(len(tr["radius"]))
        steps, r = tr["step"][keep], np.maximum(tr["radius"][keep], FLOOR)
        data.append(dict(type="scatter", x=steps, y=r, mode="lines", name=label(name, s), legendgroup=name,
                         line=dict(color=colour(name, i), width=2)))
        ys += [r.min(), r.max()]
        if s["smooth"] and len(steps) > 1:
            pred = np.maximum(tr["radius"][0] * np.exp(steps * np.log(float(np.max(np.abs(s["eig_update"]))))), FLOOR)
            data.append(dict(type="scatter", x=steps, y=pred, mode="lines", legendgroup=name, showlegend=False,
                             hoverinfo="skip", line=dict(color=colour(name, i), width=1, dash="dash")))
    # Whole decades unless the curves span less than one (plotly's minor 2s and 5s crowded the axis).
    wide = bool(ys) and np.log10(max(ys) / min(ys)) > 0.7
    layout = dict(LAYOUT, height=380, title=dict(text="Distance to the equilibrium; dashed: r0 |λ|^n"),
                  legend=dict(orientation="h", y=-0.2, x=0), margin=dict(l=70, r=20, t=50, b=100),
                  xaxis=dict(title=dict(text="step")),
                  yaxis=dict(title=dict(text="radius √(θ² + ψ²)"), type="log", exponentformat="power",
                             **(dict(dtick=1) if wide else dict(tickformat=".2g"))))
    return plain.figure(data, layout)


def verdict(snap: dict) -> str:
    """What the update's largest eigenvalue says near the equilibrium."""
    if not snap["smooth"]:
        return "no Jacobian (a kink at ψ = 0)"
    m = float(np.max(np.abs(snap["eig_update"])))
    return "spirals out" if m > 1 + 1e-9 else "converges" if m < 1 - 1e-9 else "circles (|λ| = 1)"


def _pair(z: np.ndarray, digits: int) -> str:
    if not np.isfinite(z).all():
        return "n/a"
    a = z[0]
    return f"{a.real:.{digits}f} ± {abs(a.imag):.{digits}f}i" if abs(a.imag) > 0 else \
        ", ".join(f"{w.real:.{digits}f}" for w in z)


def _or_word(value: float, word: str) -> str:
    """A table number as text, or `word` where there is none (NaN): Streamlit shows NaN as None."""
    return word if value != value else f"{value:.6g}"


def table(snaps: dict[str, dict]) -> list[dict]:
    """One row per run: the eigenvalues, what they predict, and what the run measured."""
    rows = []
    for name, s in snaps.items():
        m = s["metrics"]
        rows.append({"variant": label(name, s), "prediction": verdict(s) + (" (stopped)" if s["stopped"] else ""),
                     # no Jacobian at a kink (WGAN-GP at psi = 0): a word, not an empty cell
                     "|λ| max": _or_word(m["max_abs_eigenvalue"], "none (kink)"),
                     "measured rate": _or_word(m["measured_rate"], "not yet"),
                     "radius now": m["radius_final"], "field λ": _pair(s["eig_field"], 3),
                     "update λ": _pair(s["eig_update"], 4)})
    return rows
