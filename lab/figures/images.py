"""What the image experiments' figures share: sample grids as PNG bytes (for st.image and export;
a Plotly heat map of a grid costs ~14x the bytes), a grid as a standalone Plotly figure, the
Fréchet-score panel and the curves' style. Pure functions of arrays and snapshots; each
experiment's curves are in lab/experiments/image_gan|image_vae/figures.py."""
from __future__ import annotations

import base64
import io
import math

import numpy as np
import plotly.graph_objects as go

D_REAL, D_FAKE, G_COL, FD_COL = "#1f77b4", "#ff7f0e", "#2ca02c", "#7b3fa0"


def grid(images: np.ndarray, nrow: int = 8, pad: int = 2, scale: int = 1) -> np.ndarray:
    """(n, C, H, W) floats in [-1, 1] -> uint8 (rows*(H+pad)+pad, cols*(W+pad)+pad[, 3]) tiles
    on a white background, each pixel repeated `scale` x `scale` (crisp on a projector)."""
    x = np.asarray(images, dtype=np.float32)
    n, c, h, w = x.shape
    x = np.clip((x + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    if scale > 1:
        x = x.repeat(scale, 2).repeat(scale, 3)
        h, w = h * scale, w * scale
    cols = min(nrow, n)
    rows = max(1, math.ceil(n / cols))
    out = np.full((c, rows * (h + pad) + pad, cols * (w + pad) + pad), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, cols)
        out[:, pad + r * (h + pad):pad + r * (h + pad) + h, pad + q * (w + pad):pad + q * (w + pad) + w] = x[i]
    return out[0] if c == 1 else out.transpose(1, 2, 0)


def png_bytes(images: np.ndarray, nrow: int = 8, scale: int = 1) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(grid(images, nrow, scale=scale)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def display_scale(images: np.ndarray) -> int:
    """Pixel repeat for the page: small images 3x, 64 px 2x."""
    return 3 if np.shape(images)[-1] <= 32 else 2


def samples_figure(images: np.ndarray, title: str, nrow: int = 8) -> go.Figure:
    """The grid as a Plotly image (PNG inside), for the command line's standalone HTML."""
    png = png_bytes(images, nrow, scale=2)
    src = "data:image/png;base64," + base64.b64encode(png).decode()
    fig = go.Figure(data=[go.Image(source=src)])
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, template="plotly_white",
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def fd_panel(fig: go.Figure, hist: dict, row: int, col: int, label: str, empty: str) -> None:
    """The Fréchet score at the steps where it was measured (NaN elsewhere in the history)."""
    pts = [(s, v) for s, v in zip(hist.get("step", []), hist.get("fd", [])) if math.isfinite(v)]
    fig.add_trace(go.Scatter(x=[s for s, _ in pts], y=[v for _, v in pts], name=label,
                             mode="lines+markers", line=dict(color=FD_COL, width=3)), row, col)
    fig.update_yaxes(title_text="lower is better", row=row, col=col)
    if not pts:
        fig.add_annotation(text=empty, showarrow=False, xref="x3 domain", yref="y3 domain",
                           x=0.5, y=0.5, font=dict(size=14, color="#888"))


def style(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=330, template="plotly_white", margin=dict(l=40, r=20, t=50, b=40),
                      legend=dict(orientation="h", y=-0.25), font=dict(size=14))
    return fig


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
