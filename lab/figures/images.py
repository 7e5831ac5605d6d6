"""What the image experiments' figures share: sample grids as PNG bytes (for st.image and export;
a Plotly heat map of a grid costs ~14x the bytes), a grid as a standalone Plotly figure, the
Fréchet-score panel and the curves' style. Pure functions of arrays and snapshots; each
experiment's curves are in lab/experiments/image_gan|image_vae/figures.py."""
from __future__ import annotations

import base64
import math

import numpy as np
import plotly.graph_objects as go

from lab.figures import grids, plain
from lab.figures.style import TEMPLATE

D_REAL, D_FAKE, G_COL, FD_COL = "#1f77b4", "#ff7f0e", "#2ca02c", "#7b3fa0"


def png_bytes(images: np.ndarray, nrow: int = 8, scale: int = 1) -> bytes:
    """(n, C, H, W) images in [-1, 1] (tanh's range) as one PNG grid, `nrow` tiles a row, each
    pixel repeated `scale` times (crisp on a projector): lab.figures.grids, the one convention."""
    return grids.png(grids.grid(images, ncol=nrow, scale=scale, value_range=(-1.0, 1.0)))


def display_scale(images: np.ndarray) -> int:
    """Pixel repeat for the page: small images 3x, 64 px 2x."""
    return 3 if np.shape(images)[-1] <= 32 else 2


def samples_figure(images: np.ndarray, title: str, nrow: int = 8) -> go.Figure:
    """The grid as a Plotly image (PNG inside), for the command line's standalone HTML."""
    png = png_bytes(images, nrow, scale=2)
    src = "data:image/png;base64," + base64.b64encode(png).decode()
    fig = go.Figure(data=[go.Image(source=src)])
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, template=TEMPLATE,
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def fd_panel(layout: dict, hist: dict, k: int, label: str, empty: str) -> dict:
    """The Fréchet score at the steps where it was measured (NaN elsewhere in the history), as a
    trace for panel k of `layout` (lab.figures.plain.grid), whose axis and note it fills in."""
    pts = [(s, v) for s, v in zip(hist.get("step", []), hist.get("fd", [])) if math.isfinite(v)]
    axis = "" if k == 1 else str(k)
    layout[f"yaxis{axis}"]["title"] = dict(text="lower is better")
    if not pts:
        layout["annotations"] = layout.get("annotations", []) + [dict(
            text=empty, showarrow=False, xref=f"x{axis} domain", yref=f"y{axis} domain", x=0.5, y=0.5,
            font=dict(size=14, color="#888"))]
    return plain.scatter(x=[s for s, _ in pts], y=[v for _, v in pts], name=label, mode="lines+markers",
                         line=dict(color=FD_COL, width=3), **plain.panel(k))


def curves_figure(data: list[dict], layout: dict) -> go.Figure:
    """The image experiments' curves in one look: every x axis the step, one legend below."""
    for key in [k for k in layout if k.startswith("xaxis")]:
        layout[key]["title"] = dict(text="step")
    layout.update(height=330, template=TEMPLATE, margin=dict(l=40, r=20, t=50, b=40),
                  legend=dict(orientation="h", y=-0.25), font=dict(size=14))
    return plain.figure(data, layout)


def readout(snap: dict) -> list[tuple[str, str, str | None]]:
    """(label, value, help) for the page's numbers: speed, elapsed, ETA, the last Fréchet score."""
    ips = snap["last"].get("images_per_sec", math.nan)
    fd = [v for v in snap["history"]["fd"] if math.isfinite(v)]
    return [("Images / s", "–" if ips != ips else f"{ips:,.0f}", None), ("Elapsed", clock(snap["elapsed_s"]), None),
            ("ETA", clock(snap["eta_s"]), None),
            (snap["fd_label"], f"{fd[-1]:.1f}" if fd else "–", snap["fd_status"] or None)]


def clock(seconds: float) -> str:
    """m:ss, or a dash for an unknown (NaN) time."""
    return "–" if seconds != seconds else f"{int(seconds // 60)}:{int(seconds % 60):02d}"
