"""Figures of the evaluation experiment: pure functions of EvaluationRun snapshots (plotly), and
image strips as PNG bytes (lab.figures.images.png_bytes: a plotly heat map of them is ~10x bigger)."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lab.experiments.evaluation.distortions import KINDS, LABELS
from lab.experiments.evaluation.toy import GENERATORS
from lab.figures import plain
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
    layout = plain.grid(("FD (GenLab features): lower is better", "IS: higher is better"),
                        rows=1, cols=2, horizontal_spacing=0.1)
    data = []
    for kind in KINDS:
        rows = [i for i, k in enumerate(h["kind"]) if k == kind]
        x = [h["strength"][i] for i in rows]
        for col, key in ((1, "fd"), (2, "is")):
            data.append(plain.scatter(x=x, y=[h[key][i] for i in rows], name=LABELS[kind], legendgroup=kind,
                                      showlegend=col == 1, mode="lines+markers",
                                      line=dict(color=KIND_COLOUR[kind], width=3), **plain.panel(col)))
    for axis in ("xaxis", "xaxis2"):
        layout[axis].update(title=dict(text="strength"), range=[-0.03, 1.03])
    layout["yaxis"].update(type="log", title=dict(text="FD"))
    layout["yaxis2"].update(title=dict(text="IS"), range=[0.8, 10.5])
    layout.update(height=420, legend=dict(orientation="h", y=-0.22), **LAYOUT)
    return plain.figure(data, layout)

def examples_png(snap: dict, kind: str) -> bytes | None:
    """The first images of the held-out set at each strength computed so far: one row per strength."""
    rows = snap["examples"].get(kind, [])
    return png_bytes(np.concatenate(rows), nrow=len(rows[0]), scale=2) if rows else None


def gaussians(snap: dict) -> go.Figure:
    """FD from n samples of two random Gaussians against the closed form (+1/2 power) and the note's -1/2."""
    g = snap["gaussians"]
    data = [plain.scatter(x=g["n"], y=g["by_n"], name="torchmetrics, from n samples", mode="lines+markers",
                          line=dict(color=REAL, width=3))]
    for y, name, colour, dash in ((g["closed"], "closed form, (S1 S2)^(+1/2)", IN, "solid"),
                                  (g["note"], "note 004's (S1 S2)^(-1/2)", OUT, "dash")):
        data.append(plain.scatter(x=[g["n"][0], g["n"][-1]], y=[y, y], name=f"{name}: {y:.2f}", mode="lines",
                                  line=dict(color=colour, dash=dash, width=2)))
    return plain.figure(data, dict(
        xaxis=dict(type="log", title=dict(text="samples of each Gaussian (n)")), yaxis=dict(title=dict(text="FD")),
        title=dict(text=f"Two random Gaussians in {g['dim']} dimensions"), height=380,
        legend=dict(orientation="h", y=-0.3), **LAYOUT))

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
    layout = plain.grid(tuple(titles), rows=2, cols=2, horizontal_spacing=0.08, vertical_spacing=0.12)
    real, data = pts["real"], []
    for row, name in enumerate(GENERATORS, 1):
        fake = pts[name]
        for col, (centres, radii, colour, dots, label) in enumerate((
                (real, m[name]["real_radii"], REAL, fake, "generated"),
                (fake, m[name]["fake_radii"], FAKE, real, "real")), 1):
            bx, by = _balls(centres, radii)
            panel = plain.panel(2 * (row - 1) + col)
            data.append(plain.scatter(x=bx, y=by, mode="lines", line=dict(color=colour, width=1), opacity=0.5,
                                      hoverinfo="skip", showlegend=False, **panel))
            inside = (np.linalg.norm(dots[:, None] - centres[None], axis=2) <= radii[None]).any(1)
            for mask, c, word in ((inside, IN, "inside"), (~inside, OUT, "outside")):
                data.append(plain.scatter(x=dots[mask, 0], y=dots[mask, 1], mode="markers",
                                          marker=dict(color=c, size=5), name=f"{label} point, {word} a ball",
                                          showlegend=False, **panel))
    for axis in [a for a in layout if a.startswith(("xaxis", "yaxis"))]:
        layout[axis].update(range=[-3.6, 3.6], showticklabels=False)
        if axis.startswith("yaxis"):
            layout[axis].update(scaleanchor="x", scaleratio=1)
    layout.update(height=760, title=dict(text=f"k-NN balls (k = {k}); green: inside a ball, red: outside"), **LAYOUT)
    return plain.figure(data, layout)


def memorisation_png(snap: dict) -> bytes:
    """Rows: the judged samples, their nearest training image in pixels, in features."""
    mm = snap["memo"]
    return png_bytes(np.concatenate([mm["shown"], mm["pixel_nearest"], mm["feature_nearest"]]),
                     nrow=len(mm["shown"]), scale=2)


def memorisation(snap: dict) -> go.Figure:
    """Distances to the nearest training image: the judged samples' vs new real (held-out) images'."""
    mm = snap["memo"]
    layout = plain.grid((f"In pixels: median ratio {mm['memorisation_ratio_pixel']:.2f}",
                         f"In GenLab features: median ratio {mm['memorisation_ratio_feature']:.2f}"), rows=1, cols=2)
    data = []
    for col, space in enumerate(("pixel", "feature"), 1):
        for key, name, colour in (("samples", "judged samples → train", FAKE), ("test", "held-out real → train", REAL)):
            data.append(dict(type="histogram", x=mm[f"{space}_{key}"], name=name, legendgroup=key,
                             showlegend=col == 1, marker=dict(color=colour), opacity=0.6, nbinsx=50,
                             **plain.panel(col)))
        layout["xaxis" if col == 1 else f"xaxis{col}"]["title"] = dict(text="distance to the nearest training image")
    layout.update(barmode="overlay", height=360, legend=dict(orientation="h", y=-0.3), **LAYOUT)
    return plain.figure(data, layout)

def all_figures(snap: dict) -> dict:
    return {"curves": curves(snap), "gaussians": gaussians(snap), "toy": toy(snap),
            "memorisation": memorisation(snap)}
