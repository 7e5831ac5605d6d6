"""Figures for the discriminator page: pure functions of DiscriminatorRun snapshots. Imports
numpy and plotly only, so the page can draw note 002's figure before torch loads.

`snaps` maps a constraint name ("none", "clip", "gp", "sn") to its snapshot; all share the same
real/fake distributions and shown samples (same seed), so the exact curves come from any one.
A snapshot's `kind` says which panel draws it: "d" (D in [0, 1], beside D*), "ls" (LSGAN's D
beside D*_LS = (p - p_G)/(p + p_G)), "critic" (centred and divided by its Lipschitz constant).
"""
from __future__ import annotations

import copy
import functools
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.figures import plain
from lab.figures.style import TEMPLATE, dots_image, rug

REAL, FAKE, DSTAR = "#1f77b4", "#ff7f0e", "#d62728"
STYLE = {  # constraint -> (legend label, colour, dash)
    "none": ("trained D", "#7b3fa0", "solid"),
    "clip": ("critic: weight clipping", "#2ca02c", "solid"),
    "gp": ("critic: gradient penalty", "#17becf", "dash"),
    "sn": ("critic: spectral norm", "#8c564b", "dot"),
}
FLOOR = 1e-8   # smallest |push| drawn on the log axis; below it the signal is "flat"


def label(constraint: str, objective: str = "minimax", auto: bool = True) -> str:
    """A run's name in legends and tables: the unconstrained D says its loss, a critic says it
    when the loss is not its usual Wasserstein one (e.g. "critic: spectral norm (lsgan)")."""
    base = STYLE[constraint][0]
    return f"{base} ({objective})" if constraint == "none" or not auto else base


def name_of(snap: dict) -> str:
    return label(snap["constraint"], snap["objective"], snap["auto"])


def _first(snaps: dict) -> dict:
    return next(iter(snaps.values()))


TITLES = {
    "densities": "Densities and samples: real p (blue), generated p_G (orange)",
    "d": "Discriminator D(x): exact D* = p/(p+p_G) and the trained D",
    "ls": "LSGAN's D(x): exact D*_LS = (p - p_G)/(p + p_G) and the trained D",
    "critic": "Lipschitz critics f(x), centred and divided by their Lipschitz constant",
    "signal": "Generator's signal at fake samples |d loss_G / dx| (log scale)",
}
MARGIN = dict(l=70, r=20)   # shared by the 1-D figures, so stacked ones line up on x


def figure(snaps: dict, arrow_loss: str = "ns", show_dstar: bool = True, densities: bool = True) -> go.Figure:
    """The notes' Figures 1-2 for these snapshots. `densities=False` leaves out the 1-D top
    panel (p, p_G and the samples), which never changes while D trains: a live view draws it
    once with `densities_figure` and redraws only the rest."""
    if _first(snaps)["dim"] == 1:
        return figure_1d(snaps, show_dstar, densities)
    return figure_2d(snaps, arrow_loss, show_dstar)


def _panels_1d(densities: bool, ls: bool) -> list[str]:
    """The stacked panels, top to bottom; LSGAN's panel only when an LSGAN D is drawn."""
    return (["densities"] if densities else []) + ["d"] + (["ls"] if ls else []) + ["critic", "signal"]


@functools.lru_cache(maxsize=4)
def _layout_1d(densities: bool, ls: bool = False) -> dict:
    """The stacked panels' axes and titles, laid out once: make_subplots and per-trace
    validation were most of the ~50 ms a redraw spent building this figure."""
    keys = _panels_1d(densities, ls)
    rest = len(keys) - densities
    heights = [0.22 if k == "densities" else (1 - 0.22 * densities) / rest for k in keys]
    fig = make_subplots(rows=len(keys), cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        row_heights=heights, subplot_titles=[TITLES[k] for k in keys])
    row = {k: i + 1 for i, k in enumerate(keys)}
    fig.update_yaxes(range=[-0.05, 1.05], title_text="D(x)", row=row["d"], col=1)
    if ls:
        fig.update_yaxes(range=[-1.1, 1.1], title_text="D(x)", row=row["ls"], col=1)
    fig.update_yaxes(title_text="f(x) / L", row=row["critic"], col=1)
    fig.update_yaxes(type="log", range=[math.log10(FLOOR) - 0.3, 2.3], title_text="|push|",
                     exponentformat="power", row=row["signal"], col=1)
    fig.update_xaxes(title_text="x", row=row["signal"], col=1)
    height = (980 if densities else 760) + 230 * ls
    fig.update_layout(height=height, margin=dict(**MARGIN, t=40, b=50), template=TEMPLATE,
                      legend=dict(orientation="h", y=-0.06 if densities else -0.08), font=dict(size=14))
    return fig.layout.to_plotly_json()


def _on(row: int, **trace) -> dict:
    """A trace dict placed in panel `row` of a stacked 1-D figure."""
    return {**trace, "xaxis": "x" if row == 1 else f"x{row}", "yaxis": "y" if row == 1 else f"y{row}"}


def _top(s0: dict) -> float:
    return float(max(s0["p"].max(), s0["q"].max()))


def _density_traces(s0: dict) -> list[dict]:
    x = s0["grid"][:, 0]
    top = _top(s0)
    data = [_on(1, type="scatter", x=x, y=dens, name=name, line=dict(color=colour, width=2),
                fill="tozeroy", opacity=0.5, legendgroup="data")
            for dens, colour, name in ((s0["p"], REAL, "real p"), (s0["q"], FAKE, "generated p_G"))]
    for pts, colour, off in ((s0["real"], REAL, -0.06), (s0["fake"], FAKE, -0.12)):
        rx, ry = rug(pts[:, 0], off * top, 0.05 * top)
        data.append(_on(1, type="scatter", x=rx, y=ry, mode="lines", line=dict(color=colour, width=1.5),
                        showlegend=False, hoverinfo="x"))
    return data


def _density_range(s0: dict) -> list[float]:
    """Room under the densities for the two rugs of samples."""
    return [-0.16 * _top(s0), 1.08 * _top(s0)]


def densities_figure(snap: dict) -> go.Figure:
    """The 1-D top panel alone (p, p_G, the shown samples), on the same x range and margins
    as `figure(..., densities=False)` so that the two line up when stacked."""
    x = snap["grid"][:, 0]
    layout = dict(height=200, margin=dict(**MARGIN, t=40, b=10), template=TEMPLATE, font=dict(size=14),
                  title=dict(text=TITLES["densities"], x=0.5, font=dict(size=16)),
                  xaxis=dict(range=[float(x[0]), float(x[-1])], showticklabels=False),
                  yaxis=dict(range=_density_range(snap)),
                  # The title names the colours; a legend inside this short panel hid the real bump's top.
                  showlegend=False)
    return plain.figure(_density_traces(snap), layout)


def figure_1d(snaps: dict, show_dstar: bool = True, densities: bool = True) -> go.Figure:
    s0 = _first(snaps)
    x = s0["grid"][:, 0]
    ls = [s for s in snaps.values() if s["kind"] == "ls"]
    row = {k: i + 1 for i, k in enumerate(_panels_1d(densities, bool(ls)))}
    data = _density_traces(s0) if densities else []
    if show_dstar:
        data.append(_on(row["d"], type="scatter", x=x, y=s0["dstar"], name="D* (exact)",
                        line=dict(color=DSTAR, width=4)))
        if ls:
            data.append(_on(row["ls"], type="scatter", x=x, y=ls[0]["optimum"], name="D*_LS (exact)",
                            line=dict(color=DSTAR, width=4, dash="dash")))
    fake_zone = s0["q"] > 0.01 * s0["q"].max()       # the signal matters only where fakes are
    for s in snaps.values():
        name = name_of(s)
        _, colour, dash = STYLE[s["constraint"]]
        line = dict(color=colour, width=3, dash=dash)
        data.append(_on(row[s["kind"]], type="scatter", x=x, y=s["value"], name=name, line=line))
        push = np.where(fake_zone, np.maximum(np.abs(s["curve_pushes"]["net"]), FLOOR), np.nan)
        sig = {"d": "minimax loss", "ls": "least-squares loss"}.get(s["kind"], f"{s['objective']} loss")
        data.append(_on(row["signal"], type="scatter", x=x, y=push, name=f"signal: {name} ({sig})",
                        showlegend=False, line=line))
    if show_dstar:
        for key, dash, name in (("dstar_minimax", "solid", "signal under D*: minimax"),
                                ("dstar_ns", "dot", "signal under D*: non-saturating")):
            push = np.where(fake_zone, np.maximum(np.abs(s0["curve_pushes"][key]), FLOOR), np.nan)
            data.append(_on(row["signal"], type="scatter", x=x, y=push, name=name,
                            line=dict(color=DSTAR, width=2, dash=dash)))
    layout = copy.deepcopy(_layout_1d(densities, bool(ls)))
    if densities:
        layout["yaxis"]["range"] = _density_range(s0)
    for ax in [k for k in layout if k.startswith("xaxis")]:
        layout[ax]["range"] = [float(x[0]), float(x[-1])]
    return plain.figure(data, layout)


def _arrows(at: np.ndarray, push: np.ndarray, span: float, colour: str, name: str, axis: str) -> list[dict]:
    """Arrows from each fake sample along -grad loss_G. Length |v| / (|v| + 1) of 8% of the
    box: a vanishing signal draws (almost) nothing, a strong one saturates, direction always true."""
    mag = np.linalg.norm(push, axis=1)
    unit = push / np.maximum(mag, 1e-30)[:, None]
    length = 0.08 * span * mag / (mag + 1.0)
    tips = at + unit * length[:, None]
    xs = np.column_stack([at[:, 0], tips[:, 0], np.full(len(at), np.nan)]).ravel()
    ys = np.column_stack([at[:, 1], tips[:, 1], np.full(len(at), np.nan)]).ravel()
    angle = np.degrees(np.arctan2(unit[:, 0], unit[:, 1]))     # plotly: 0 = up, clockwise
    angle = (angle + 180) % 360 - 180       # onto [-180, 180) as validation put it: the same bytes sent
    place = dict(xaxis=f"x{axis}", yaxis=f"y{axis}", legendgroup=name)
    return [dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=colour, width=1.5), name=name,
                 hoverinfo="skip", showlegend=axis == "", **place),
            dict(type="scatter", x=tips[:, 0], y=tips[:, 1], mode="markers", showlegend=False,
                 marker=dict(symbol="triangle-up", angle=angle, size=7, color=colour),
                 text=[f"|push| = {m:.2e}" for m in mag], hoverinfo="text", **place)]


@functools.lru_cache(maxsize=8)
def _layout_2d(titles: tuple[str, ...]) -> dict:
    """The panels' grid, titles and square axes, laid out once: make_subplots and per-trace
    validation were most of the ~60 ms a tick spent building this figure."""
    n_cols = min(3, len(titles))
    n_rows = math.ceil(len(titles) / n_cols)
    fig = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=list(titles),
                        horizontal_spacing=0.04, vertical_spacing=0.08)
    for i in range(len(titles)):
        row, col = i // n_cols + 1, i % n_cols + 1
        fig.update_xaxes(row=row, col=col, constrain="domain")
        fig.update_yaxes(row=row, col=col, scaleanchor=f"x{i + 1 if i else ''}", scaleratio=1, constrain="domain",
                         title=dict(text="x<sub>2</sub>" if col == 1 else None, standoff=2))
        fig.update_xaxes(row=row, col=col, title=dict(text="x<sub>1</sub>", standoff=2))
    fig.update_layout(height=440 * n_rows, margin=dict(l=55, r=90, t=50, b=45), template=TEMPLATE,
                      legend=dict(orientation="h", y=-0.08), font=dict(size=14))
    return fig.layout.to_plotly_json()


# Colour scales spelt out as validation would (plotly.js's own "RdBu" and "PiYG" differ).
RDBU, PIYG = plain.colorscale("RdBu"), plain.colorscale("PiYG")
HEAT = {"d": dict(zmin=0, zmax=1, colorscale=RDBU, reversescale=True),      # D in [0, 1]
        "ls": dict(zmin=-1, zmax=1, colorscale=RDBU, reversescale=True)}     # LSGAN's D in [-1, 1]


def figure_2d(snaps: dict, arrow_loss: str = "ns", show_dstar: bool = True) -> go.Figure:
    s0 = _first(snaps)
    xs, ys = s0["axes"]
    n = len(xs)
    panels = []         # (title, values, kind, push at the arrows)
    if show_dstar:
        panels.append(("D* (exact)", s0["dstar"], "d", s0["pushes"][f"dstar_{arrow_loss}"]))
        ls = next((s for s in snaps.values() if s["kind"] == "ls"), None)
        if ls is not None:
            panels.append(("D*_LS (exact)", ls["optimum"], "ls", ls["pushes"]["dstar_ls"]))
    for s in snaps.values():
        panels.append((name_of(s), s["value"], s["kind"], s["pushes"][arrow_loss if s["kind"] == "d" else "own"]))
    layout = copy.deepcopy(_layout_2d(tuple(p[0] for p in panels)))
    span = float(max(xs[-1] - xs[0], ys[-1] - ys[0]))
    dots = dots_image([(s0["real"], REAL), (s0["fake"], FAKE)], (xs[0], xs[-1]), (ys[0], ys[-1]))
    data = [dict(type="scatter", x=[None], y=[None], mode="markers", name=name,   # the dots' legend
                 marker=dict(size=8, color=colour)) for name, colour in (("real", REAL), ("fake", FAKE))]
    layout["images"] = []
    scales = {}         # one colour bar per colour scale: D in [0, 1], LSGAN's D, the critics' f
    for i, (title, value, kind, push) in enumerate(panels):
        axis = "" if i == 0 else str(i + 1)
        z = value.reshape(n, n)
        if kind in HEAT:
            heat = HEAT[kind]
        else:
            lim = float(np.nanmax(np.abs(z))) or 1.0
            heat = dict(zmin=-lim, zmax=lim, colorscale=PIYG)
        bar = kind if kind in HEAT else "critic"
        if bar not in scales:
            scales[bar] = dict(title=dict(text={"d": "D(x)", "ls": "D<sub>LS</sub>(x)"}.get(bar, "f(x)"), side="right"),
                               thickness=12, len=0.3, x=1.01, y=0.85 - 0.35 * len(scales), yanchor="middle")
            heat = dict(heat, showscale=True, colorbar=scales[bar])
        else:
            heat = dict(heat, showscale=False)
        data.append(dict(type="contour", x=xs, y=ys, z=z, opacity=0.85, ncontours=12,
                         contours=dict(coloring="heatmap", showlines=True),
                         line=dict(width=0.5, color="rgba(0,0,0,0.3)"), xaxis=f"x{axis}", yaxis=f"y{axis}",
                         hovertemplate="x=%{x:.2f} y=%{y:.2f} value=%{z:.3f}<extra></extra>", **heat))
        data += _arrows(s0["arrows_at"], push, span, "black", "generator's push", axis)
        layout[f"xaxis{axis}"]["range"] = [float(xs[0]), float(xs[-1])]
        layout[f"yaxis{axis}"]["range"] = [float(ys[0]), float(ys[-1])]
        layout["images"].append(dict(dots, xref=f"x{axis}", yref=f"y{axis}"))
    return plain.figure(data, layout)


def loss_figure(snaps: dict) -> go.Figure:
    data = [plain.scatter(x=s["history"]["step"], y=s["history"]["d_loss"], name=name_of(s),
                          line=dict(color=STYLE[s["constraint"]][1], dash=STYLE[s["constraint"]][2]))
            for s in snaps.values()]
    return plain.figure(data, dict(height=260, margin=dict(l=50, r=20, t=30, b=40), template=TEMPLATE,
                                   xaxis=dict(title=dict(text="step")),
                                   yaxis=dict(title=dict(text="discriminator loss")),
                                   title=dict(text="Training loss"), font=dict(size=13)))


def generator_losses_figure() -> go.Figure:
    """Note 002's picture of the log D trick: the generator's two losses as functions of
    d = D(G(z)). Where the fakes are spotted (d near 0, early in training) the minimax loss
    log(1 - d) has slope -1/(1 - d) ~ -1, nearly flat; the non-saturating -log d has slope
    -1/d, steep exactly there. Needs only numpy, so the page can draw it before torch loads."""
    d = np.linspace(0.005, 0.995, 199)
    data = [plain.scatter(x=d, y=np.log1p(-d), name="minimax: G minimises log(1 - D)",
                          line=dict(color=STYLE["none"][1])),
            plain.scatter(x=d, y=-np.log(d), name="non-saturating: G minimises -log D",
                          line=dict(color=STYLE["none"][1], dash="dash"))]
    note = dict(x=0.01, y=-4.2, xanchor="left", showarrow=False, align="left", font=dict(size=12),
                text="fakes spotted (D near 0, early in training):<br>"
                     "minimax slope -1/(1 - D) ~ -1, nearly flat; non-saturating slope -1/D, steep")
    return plain.figure(data, dict(
        height=280, margin=dict(l=60, r=20, t=40, b=45), template=TEMPLATE, font=dict(size=13),
        title=dict(text="Generator's loss vs D(G(z)) (note 002, the log D trick)"),
        xaxis=dict(title=dict(text="D(G(z))"), range=[0, 1]), yaxis=dict(title=dict(text="loss_G"), range=[-5.5, 5.5]),
        legend=dict(x=0.55, y=0.98, bgcolor="rgba(255,255,255,0.7)"), annotations=[note],
        shapes=[plain.vrect(0, 0.2, fillcolor=FAKE, opacity=0.12, line=dict(width=0))]))


def headline(m: dict) -> list[tuple[str, str, str | None]]:
    """(label, value, help) for the exact numbers above the live figure (one run's metrics)."""
    return [("Steps", f"{m['steps']:,}", None),
            ("JS exact (nats)", f"{m['js_exact']:.4f}", "log 2 = 0.6931 when the supports are apart"),
            ("W1 exact", f"{m['w1_exact']:.4f}" if "w1_exact" in m else "n/a in 2-D", None),
            ("KL(p || p_G)", f"{m['kl_exact']:.3g}", None), ("TV", f"{m['tv_exact']:.4f}", None)]


def table(snaps: dict) -> str:
    """The per-critic numbers as a Markdown table: it redraws every tick, and an interactive
    data grid cost the browser more than the figure did. sup |D - D*| is read against each
    D's own optimum (D*, or D*_LS for LSGAN), over the support of p + p_G."""
    rows = ["| discriminator | estimate | Lipschitz constant (measured) | median signal at fakes | sup \\|D - D\\*\\| |",
            "|---|---|---:|---:|---:|"]
    for s in snaps.values():
        m = s["metrics"]
        estimate = (f"JS from D = {m['js_from_d']:.4f}" if "js_from_d" in m
                    else f"W1 from critic = {m['w1_from_critic']:.4f}" if "w1_from_critic" in m else "")
        signal = next(m[k] for k in ("signal_minimax", "signal_ls", "signal_w") if k in m)
        gap = f"{m['sup_gap']:.4f}" if "sup_gap" in m else ""
        rows.append(f"| {name_of(s)} | {estimate} | {m['lipschitz']:.3f} | {signal:.2e} | {gap} |")
    return "\n".join(rows)
