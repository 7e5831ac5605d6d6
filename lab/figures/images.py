"""Figures for image training: sample grids as PNG bytes (for st.image and export; a heat map
of a grid costs ~14x the bytes, ANCHORS.md) and the training curves as Plotly.
Pure functions of arrays and ImageRun snapshots."""
from __future__ import annotations

import base64
import io
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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


def samples_figure(images: np.ndarray, title: str, nrow: int = 8) -> go.Figure:
    """The grid as a Plotly image (PNG inside), for the command line's standalone HTML."""
    png = png_bytes(images, nrow, scale=2)
    src = "data:image/png;base64," + base64.b64encode(png).decode()
    fig = go.Figure(data=[go.Image(source=src)])
    fig.update_layout(title=title, xaxis_visible=False, yaxis_visible=False, template="plotly_white",
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def _fd_panel(fig: go.Figure, hist: dict, row: int, col: int, label: str, empty: str) -> None:
    fig.add_trace(go.Scatter(x=hist.get("fd_step", []), y=hist.get("fd", []), name=label,
                             mode="lines+markers", line=dict(color=FD_COL, width=3)), row, col)
    fig.update_yaxes(title_text="lower is better", row=row, col=col)
    if not hist.get("fd"):
        fig.add_annotation(text=empty, showarrow=False, xref="x3 domain", yref="y3 domain",
                           x=0.5, y=0.5, font=dict(size=14, color="#888"))


def gan_curves(hist: dict, fd_label: str = "FD (GenLab features)", probabilistic: bool = True,
               fd_empty: str = "not measured yet") -> go.Figure:
    """Losses; D(x) and D(G(z)) (critic values for WGAN-GP / hinge); the Fréchet score."""
    d_title = "D(x) and D(G(z)) (means)" if probabilistic else "critic values f(x) and f(G(z)) (means)"
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07,
                        subplot_titles=("Losses", d_title, fd_label))
    s = hist.get("step", [])
    fig.add_trace(go.Scatter(x=s, y=hist.get("loss_d", []), name="D loss", line=dict(color=D_REAL, width=2)), 1, 1)
    fig.add_trace(go.Scatter(x=s, y=hist.get("loss_g", []), name="G loss", line=dict(color=G_COL, width=2)), 1, 1)
    fig.add_trace(go.Scatter(x=s, y=hist.get("d_real", []), name="D(x): real", line=dict(color=D_REAL, width=2)), 1, 2)
    fig.add_trace(go.Scatter(x=s, y=hist.get("d_fake", []), name="D(G(z)): generated",
                             line=dict(color=D_FAKE, width=2)), 1, 2)
    if probabilistic:
        fig.update_yaxes(range=[0, 1], row=1, col=2)
    _fd_panel(fig, hist, 1, 3, fd_label, fd_empty)
    return _style(fig)


def vae_curves(hist: dict, fd_label: str = "FD (GenLab features)", fd_empty: str = "not measured yet") -> go.Figure:
    """-ELBO = reconstruction + beta KL (nats per image); the Fréchet score of prior samples."""
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07,
                        subplot_titles=("-ELBO (nats / image)", "Reconstruction and KL", fd_label))
    s = hist.get("step", [])
    fig.add_trace(go.Scatter(x=s, y=hist.get("loss", []), name="-ELBO", line=dict(color=D_REAL, width=2)), 1, 1)
    fig.add_trace(go.Scatter(x=s, y=hist.get("recon", []), name="reconstruction", line=dict(color=G_COL, width=2)), 1, 2)
    fig.add_trace(go.Scatter(x=s, y=hist.get("kl", []), name="KL", line=dict(color=D_FAKE, width=2)), 1, 2)
    _fd_panel(fig, hist, 1, 3, fd_label, fd_empty)
    return _style(fig)


def _style(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=330, template="plotly_white", margin=dict(l=40, r=20, t=50, b=40),
                      legend=dict(orientation="h", y=-0.25), font=dict(size=14))
    return fig


def csv_rows(hist: dict) -> list[dict]:
    """One row per logged step; the Fréchet score on the steps where it was measured."""
    fd = dict(zip(hist.get("fd_step", []), hist.get("fd", [])))
    keys = [k for k in hist if k not in ("step", "fd_step", "fd")]
    return [{"step": s, **{k: hist[k][i] for k in keys if i < len(hist[k])}, "fd": fd.get(s, "")}
            for i, s in enumerate(hist.get("step", []))]


STATES = {"new": "ready: press Play", "running": "training", "paused": "paused", "finished": "finished",
          "stopped": "stopped: Play continues on a new thread", "failed": "failed"}


def status_line(state: str, step: int, total: int) -> str:
    return f"{STATES.get(state, state)}: step {step:,} of {total:,}"


def clock(seconds: float) -> str:
    """m:ss, or a dash for an unknown (NaN) time."""
    return "–" if seconds != seconds else f"{int(seconds // 60)}:{int(seconds % 60):02d}"
