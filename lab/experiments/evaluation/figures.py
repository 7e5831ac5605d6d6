"""Figures of the evaluation experiment: pure functions of EvaluationRun snapshots (plotly), and
image strips as PNG bytes (lab.figures.images.png_bytes: a plotly heat map of them is ~10x bigger)."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.experiments.evaluation.distortions import KINDS, LABELS
from lab.experiments.evaluation.toy import GENERATORS
from lab.figures.images import png_bytes
from lab.figures.style import TEMPLATE

LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=60, b=60))
KIND_COLOUR = dict(zip(KINDS, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")))
REAL, FAKE, IN, OUT = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"


def _num(v: float, fmt: str = ".3g") -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:{fmt}}"


def table(snap: dict) -> list[dict]:
    """Rows for the page: each set with a known answer, then the judged samples."""
    rows = snap["table"] + ([{**snap["mine"], "set": "Judged: " + snap["mine"]["set"]}])
    return [{"set": r["set"], "images": r["n"], "IS": _num(r["is"]), "FD": _num(r["fd"], ".1f"),
             "precision": _num(r["precision"], ".2f"), "recall": _num(r["recall"], ".2f")} for r in rows]


def curves(snap: dict) -> go.Figure:
    """FD (log axis) and IS against the strength of each distortion, side by side."""
    h = snap["history"]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("FD (GenLab features): lower is better", "IS: higher is better"))
    for kind in KINDS:
        rows = [i for i, k in enumerate(h["kind"]) if k == kind]
        x = [h["strength"][i] for i in rows]
        for col, key in ((1, "fd"), (2, "is")):
            fig.add_trace(go.Scatter(x=x, y=[h[key][i] for i in rows], name=LABELS[kind], legendgroup=kind,
                                     showlegend=col == 1, mode="lines+markers",
                                     line=dict(color=KIND_COLOUR[kind], width=3)), 1, col)
    fig.update_xaxes(title_text="strength", range=[-0.03, 1.03])
    fig.update_yaxes(type="log", title_text="FD", row=1, col=1)
    fig.update_yaxes(title_text="IS", range=[0.8, 10.5], row=1, col=2)
    fig.update_layout(height=420, legend=dict(orientation="h", y=-0.22), **LAYOUT)
    return fig


def examples_png(snap: dict, kind: str) -> bytes | None:
    """The first images of the held-out set at each strength computed so far: one row per strength."""
    rows = snap["examples"].get(kind, [])
    return png_bytes(np.concatenate(rows), nrow=len(rows[0]), scale=2) if rows else None


def gaussians(snap: dict) -> go.Figure:
    """FD from n samples of two random Gaussians against the closed form (+1/2 power) and the note's -1/2."""
    g = snap["gaussians"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=g["n"], y=g["by_n"], name="torchmetrics, from n samples", mode="lines+markers",
                             line=dict(color=REAL, width=3)))
    for y, name, colour, dash in ((g["closed"], "closed form, (S1 S2)^(+1/2)", IN, "solid"),
                                  (g["note"], "note 004's (S1 S2)^(-1/2)", OUT, "dash")):
        fig.add_trace(go.Scatter(x=[g["n"][0], g["n"][-1]], y=[y, y], name=f"{name}: {y:.2f}", mode="lines",
                                 line=dict(color=colour, dash=dash, width=2)))
    fig.update_xaxes(type="log", title_text="samples of each Gaussian (n)")
    fig.update_yaxes(title_text="FD")
    fig.update_layout(title=f"Two random Gaussians in {g['dim']} dimensions", height=380,
                      legend=dict(orientation="h", y=-0.3), **LAYOUT)
    return fig


def _balls(centres: np.ndarray, radii: np.ndarray, points: int = 33) -> tuple[list, list]:
    """Every circle as one line with gaps (one SVG path, not one shape per ball)."""
    t = np.linspace(0, 2 * math.pi, points)
    xs = (centres[:, :1] + radii[:, None] * np.cos(t)).tolist()
    ys = (centres[:, 1:] + radii[:, None] * np.sin(t)).tolist()
    return [v for row in xs for v in row + [None]], [v for row in ys for v in row + [None]]


def toy(snap: dict) -> go.Figure:
    """Per generator (row): the real k-NN balls and which generated points fall inside (precision),
    the generated balls and which real points fall inside (recall)."""
    pts, m, k = snap["toy_points"], snap["toy"], snap["k"]
    titles = []
    for name, label in GENERATORS.items():
        titles += [f"{label}: precision {m[name]['precision']:.2f}", f"{label}: recall {m[name]['recall']:.2f}"]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.08, vertical_spacing=0.12)
    real = pts["real"]
    for row, name in enumerate(GENERATORS, 1):
        fake = pts[name]
        for col, (centres, radii, colour, dots, label) in enumerate((
                (real, m[name]["real_radii"], REAL, fake, "generated"),
                (fake, m[name]["fake_radii"], FAKE, real, "real")), 1):
            bx, by = _balls(centres, radii)
            fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", line=dict(color=colour, width=1), opacity=0.5,
                                     hoverinfo="skip", showlegend=False), row, col)
            inside = (np.linalg.norm(dots[:, None] - centres[None], axis=2) <= radii[None]).any(1)
            for mask, c, word in ((inside, IN, "inside"), (~inside, OUT, "outside")):
                fig.add_trace(go.Scatter(x=dots[mask, 0], y=dots[mask, 1], mode="markers",
                                         marker=dict(color=c, size=5), name=f"{label} point, {word} a ball",
                                         showlegend=False), row, col)
    fig.update_xaxes(range=[-3.6, 3.6], showticklabels=False)
    fig.update_yaxes(range=[-3.6, 3.6], showticklabels=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(height=760, title=f"k-NN balls (k = {k}); green: inside a ball, red: outside", **LAYOUT)
    return fig


def memorisation_png(snap: dict) -> bytes:
    """Rows: the judged samples, their nearest training image in pixels, in features."""
    mm = snap["memo"]
    return png_bytes(np.concatenate([mm["shown"], mm["pixel_nearest"], mm["feature_nearest"]]),
                     nrow=len(mm["shown"]), scale=2)


def memorisation(snap: dict) -> go.Figure:
    """Distances to the nearest training image: the judged samples' vs new real (held-out) images'."""
    mm = snap["memo"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        f"In pixels: median ratio {mm['memorisation_ratio_pixel']:.2f}",
        f"In GenLab features: median ratio {mm['memorisation_ratio_feature']:.2f}"))
    for col, space in enumerate(("pixel", "feature"), 1):
        for key, name, colour in (("samples", "judged samples → train", FAKE), ("test", "held-out real → train", REAL)):
            fig.add_trace(go.Histogram(x=mm[f"{space}_{key}"], name=name, legendgroup=key, showlegend=col == 1,
                                       marker_color=colour, opacity=0.6, nbinsx=50), 1, col)
        fig.update_xaxes(title_text="distance to the nearest training image", row=1, col=col)
    fig.update_layout(barmode="overlay", height=360, legend=dict(orientation="h", y=-0.3), **LAYOUT)
    return fig


def all_figures(snap: dict) -> dict:
    return {"curves": curves(snap), "gaussians": gaussians(snap), "toy": toy(snap),
            "memorisation": memorisation(snap)}
