"""Figures of the 1-D GAN game, pure functions of a Gan1dRun snapshot (NumPy and Plotly only).

figure1     Goodfellow et al. 2014, Figure 1: the z axis below, the x axis above, a line from each
            of N_LINES equal-mass quantiles z_i to G(z_i) (where they bunch, p_G is high), and
            over the x axis p_data (black, dotted), p_G (green, solid), D (blue, dashed) and D*.
curves      over training: mean D on real and fake (-> 1/2), V(D, G) and C(G) (-> -log 4), JS (-> 0).
saturation  G's signal at its fakes under both G losses (log axis), beside note 002's picture of
            the two losses against D(G(z)) with the current fakes marked on them.
Every figure is a plain dict of traces with explicit margins (lab.figures.style): few SVG
elements (all lines of the mapping are one trace), so the browser redraws it fast while playing.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures import plain
from lab.figures.style import TEMPLATE

DATA, GEN, DISC, DSTAR, LINES = "black", "#2ca02c", "#1f77b4", "#d62728", "rgba(90,90,90,0.45)"
MINIMAX, NS = "#d62728", "#9467bd"
Z_Y = -0.9            # height of the z axis; the x axis is at 0, D and the densities above it
PEAK = 0.9            # p_data's peak is drawn at this height
CLIP = 1.3            # p_G is cut here (an atom of a flat G is a spike)
FLOOR = 1e-8          # smallest signal drawn on the log axis
MARGIN = dict(l=70, r=20, t=60, b=50)
LOG4 = math.log(4)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(a)))


def _d_drawn(snap: dict) -> tuple[np.ndarray, str]:
    """D in [0, 1], or a critic rescaled into it (a critic is no probability)."""
    if snap["probabilistic"]:
        return _sigmoid(snap["logit"]), "D (trained)"
    f = snap["logit"]
    span = float(f.max() - f.min()) or 1.0
    return (f - f.min()) / span, "critic f, rescaled to [0, 1]"


def pg_label(snap: dict) -> str:
    m = snap["metrics"]
    how = "G monotone" if m["monotone"] else f"G folds: up to {m['preimages']} preimages"
    return f"p_G (exact push-forward, {how})"


def figure1(snap: dict) -> go.Figure:
    m, x = snap["metrics"], snap["x"]
    scale = PEAK / max(float(snap["p_data"].max()), 1e-12)
    pg = snap["p_g"] * scale
    clipped = bool((pg > CLIP).any())
    d, d_name = _d_drawn(snap)
    # D* only where p_data or p_G has mass: elsewhere it is 0/0, any value is optimal.
    present = snap["p_data"] + snap["p_g"] > 1e-3 * float(snap["p_data"].max())
    seg_x, seg_y = [], []
    for z, gx in zip(snap["z_lines"], snap["x_lines"]):
        seg_x += [float(z), float(gx), None]
        seg_y += [Z_Y, 0.0, None]
    data = [
        dict(type="scatter", x=seg_x, y=seg_y, mode="lines", line=dict(color=LINES, width=1.2),
             name="z -> G(z) at equal-mass quantiles of p_z", hoverinfo="skip"),
        dict(type="scatter", x=snap["z_lines"], y=np.full(len(snap["z_lines"]), Z_Y), mode="markers",
             marker=dict(color="black", size=4), showlegend=False, hoverinfo="x"),
        dict(type="scatter", x=x, y=snap["p_data"] * scale, name="p_data", line=dict(color=DATA, dash="dot", width=3)),
        dict(type="scatter", x=x, y=np.minimum(pg, CLIP), name=pg_label(snap) + (" (cut at the top)" if clipped else ""),
             line=dict(color=GEN, width=3)),
        dict(type="scatter", x=x, y=d, name=d_name, line=dict(color=DISC, dash="dash", width=3)),
        dict(type="scatter", x=x, y=np.where(present, snap["d_star"], np.nan), name="D* = p_data / (p_data + p_G)",
             line=dict(color=DSTAR, width=1.5)),
    ]
    lo = min(float(x[0]), float(np.min(snap["z_lines"])))
    hi = max(float(x[-1]), float(np.max(snap["z_lines"])))
    shapes = [dict(type="line", x0=lo, x1=hi, y0=y, y1=y, line=dict(color=c, width=w, dash=dash), layer="below")
              for y, c, w, dash in ((0.0, "black", 1.5, "solid"), (Z_Y, "black", 1.5, "solid"),
                                    (0.5, "#999", 1, "dot"))]
    title = (f"Step {snap['step']}: JS {m['js']:.4f}, mean D on real {m['d_real']:.3f}, on fake {m['d_fake']:.3f}"
             if snap["probabilistic"] else f"Step {snap['step']}: JS {m['js']:.4f}, W1 {m['w1']:.3f}")
    layout = dict(
        template=TEMPLATE, height=520, margin=dict(**MARGIN), font=dict(size=14), shapes=shapes,
        title=dict(text=title, font=dict(size=16)),
        xaxis=dict(range=[lo, hi], title=dict(text="x above, z below (same scale)")),
        yaxis=dict(range=[Z_Y - 0.08, CLIP + 0.05], tickvals=[Z_Y, 0, 0.5, 1], ticktext=["z", "x", "1/2", "1"],
                   title=dict(text="D(x); densities scaled")),
        legend=dict(orientation="h", y=-0.14, x=0))
    return plain.figure(data, layout)


def _on(col: int, **trace) -> dict:
    """A trace dict placed in panel `col` of a one-row figure."""
    return {"type": "scatter", "mode": "lines", **trace, "xaxis": "x" if col == 1 else f"x{col}", "yaxis": "y" if col == 1 else f"y{col}"}


def _level(col: int, y: float, text: str) -> tuple[dict, dict]:
    """A dotted horizontal line across panel `col` at the theory's value, and its label."""
    ax = "" if col == 1 else str(col)
    line = dict(type="line", xref=f"x{ax} domain", x0=0, x1=1, yref=f"y{ax}", y0=y, y1=y,
                line=dict(color="#777", dash="dot", width=1.5))
    note = dict(xref=f"x{ax} domain", x=1, yref=f"y{ax}", y=y, text=text, showarrow=False, xanchor="right",
                yanchor="bottom", font=dict(color="#555"))
    return line, note


@functools.lru_cache(maxsize=2)
def _curves_layout(prob: bool) -> dict:
    """Laid out once per kind of D: make_subplots was most of a ~90 ms redraw of this figure."""
    first = "Mean D: real, fake" if prob else "Mean critic: real, fake"
    second = "V(D, G) and C(G)" if prob else "E f(real) - E f(fake), C(G)"
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08, subplot_titles=(first, second, "JS"))
    levels = [_level(c, y, t) for c, y, t in (((1, 0.5, "1/2"),) if prob else ()) + ((2, -LOG4, "-log 4"), (3, 0.0, "0"))]
    if prob:
        fig.update_yaxes(range=[-0.02, 1.02], row=1, col=1)
    fig.update_yaxes(range=[-0.02, math.log(2) + 0.03], row=1, col=3)
    fig.update_xaxes(title_text="G steps")
    fig.update_layout(template=TEMPLATE, height=360, margin=dict(**MARGIN), font=dict(size=13),
                      legend=dict(orientation="h", y=-0.25), shapes=[line for line, _ in levels])
    for _, note in levels:
        fig.add_annotation(note)
    return fig.layout.to_plotly_json()


def curves(snap: dict) -> go.Figure:
    """Three panels over G steps, each with the value the theory gives at the equilibrium."""
    h, prob = snap["history"], snap["probabilistic"]
    s = h["step"]
    data = [_on(1, x=s, y=h["d_real"], name="real" if prob else "E f(real)", line=dict(color=DATA, width=2.5)),
            _on(1, x=s, y=h["d_fake"], name="fake" if prob else "E f(fake)", line=dict(color=GEN, width=2.5)),
            _on(2, x=s, y=h["value"], name="V(D, G)" if prob else "E f(real) - E f(fake)",
                line=dict(color=DISC, width=2.5)),
            _on(2, x=s, y=h["c_g"], name="C(G) = -log 4 + 2 JS", line=dict(color=DSTAR, width=2.5)),
            _on(3, x=s, y=h["js"], name="JS(p_data, p_G), exact", line=dict(color="#8c564b", width=2.5))]
    return plain.figure(data, _curves_layout(prob))


@functools.lru_cache(maxsize=1)
def _saturation_layout() -> dict:
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.13, column_widths=[0.55, 0.45],
                        subplot_titles=("G's signal at the fakes, E|d loss_G / dx|",
                                        "G's two losses against D(G(z))"))
    fig.update_yaxes(type="log", exponentformat="power", title_text="|d loss_G / dx|", row=1, col=1)
    fig.update_yaxes(range=[-4, 4], title_text="loss_G", row=1, col=2)
    fig.update_xaxes(title_text="G steps", row=1, col=1)
    fig.update_xaxes(title_text="D(G(z))", range=[0, 1], row=1, col=2)
    fig.update_layout(template=TEMPLATE, height=380, margin=dict(**MARGIN), font=dict(size=13),
                      legend=dict(orientation="h", y=-0.22))
    return fig.layout.to_plotly_json()


_DD = np.linspace(1e-3, 1 - 1e-3, 400)
_LOSS_CURVES = (_on(2, x=_DD, y=np.log1p(-_DD), name="log(1 - D), minimised by G", legendgroup="grad_minimax",
                    showlegend=False, line=dict(color=MINIMAX, width=2.5)),
                _on(2, x=_DD, y=-np.log(_DD), name="-log D, minimised by G", legendgroup="grad_ns",
                    showlegend=False, line=dict(color=NS, width=2.5)))


def saturation(snap: dict) -> go.Figure:
    """Left: E_z |d loss_G / dx| at the fakes for both G losses, over steps (log axis). Right: note
    002's curves, each G loss against D(G(z)), with the current fakes' D marked on them."""
    h = snap["history"]
    data = [_on(1, x=h["step"], y=np.maximum(np.asarray(h[key], dtype=np.float64), FLOOR), name=name,
                legendgroup=key, line=dict(color=colour, width=2.5))
            for key, name, colour in (("grad_minimax", "minimax: log(1 - D)", MINIMAX),
                                      ("grad_ns", "non-saturating: -log D", NS))]
    data += list(_LOSS_CURVES)
    if snap["probabilistic"]:
        df = np.clip(_sigmoid(snap["logit_lines"]), 1e-3, 1 - 1e-3)
        for y, colour in ((np.log1p(-df), MINIMAX), (-np.log(df), NS)):
            data.append(_on(2, x=df, y=y, mode="markers", marker=dict(color=colour, size=8, line=dict(width=1)),
                            name="the fakes now", showlegend=colour == NS, hoverinfo="x"))
    return plain.figure(data, _saturation_layout())


def headline(snap: dict) -> list[tuple[str, str]]:
    """The metric cards: the exact numbers now."""
    m = snap["metrics"]
    cards = [(f"G steps (of {snap['total']})", f"{snap['step']:,}"), ("JS (exact)", f"{m['js']:.4f}"),
             ("C(G) = -log 4 + 2 JS", f"{m['c_g']:.4f}"), ("W1 (exact)", f"{m['w1']:.4f}")]
    if snap["probabilistic"]:
        cards += [("Mean D(real)", f"{m['d_real']:.3f}"), ("Mean D(fake)", f"{m['d_fake']:.3f}")]
    else:
        cards += [("Mean critic, real", f"{m['d_real']:.3g}"), ("Mean critic, fake", f"{m['d_fake']:.3g}")]
    return cards
