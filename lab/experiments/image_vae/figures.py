"""The convolutional VAE's figures, pure functions of a snapshot: prior samples, reconstructions,
the latent walk, and the curves (-ELBO; reconstruction and KL; the Fréchet score)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from lab.figures import plain
from lab.figures.images import D_FAKE, D_REAL, G_COL, curves_figure, fd_panel, png_bytes, samples_figure


def curves(snap: dict) -> go.Figure:
    """-ELBO = reconstruction + beta KL (nats per image); the Fréchet score of prior samples."""
    hist = snap["history"]
    layout = plain.grid(("-ELBO (nats / image)", "Reconstruction and KL", snap["fd_label"]),
                        rows=1, cols=3, horizontal_spacing=0.07)
    s = hist["step"]
    data = [plain.scatter(x=s, y=hist["loss"], name="-ELBO", line=dict(color=D_REAL, width=2), **plain.panel(1)),
            plain.scatter(x=s, y=hist["recon"], name="reconstruction", line=dict(color=G_COL, width=2),
                          **plain.panel(2)),
            plain.scatter(x=s, y=hist["kl"], name="KL", line=dict(color=D_FAKE, width=2), **plain.panel(2)),
            fd_panel(layout, hist, 3, snap["fd_label"], snap["fd_empty"])]
    return curves_figure(data, layout)

def pairs(snap: dict) -> np.ndarray:
    """The first 16 real images (two rows of 8) above their reconstructions."""
    return np.concatenate([snap["real"][:16], snap["reconstructions"]])


def figures(snap: dict) -> dict[str, go.Figure]:
    return {"samples": samples_figure(snap["samples"], f"VAE, step {snap['step']}: prior samples"),
            "reconstructions": samples_figure(pairs(snap), "real (top two rows) and reconstructions (bottom two)"),
            "latent_walk": samples_figure(snap["walk"], "latent walk: each row sweeps one of the 6 most used "
                                                        "latent directions"),
            "curves": curves(snap)}


def grids(snap: dict) -> dict[str, bytes]:
    """PNG files beside the HTML figures (the command line's artifacts)."""
    return {"samples": png_bytes(snap["samples"], scale=2), "latent_walk": png_bytes(snap["walk"], scale=2),
            "reconstructions": png_bytes(pairs(snap), scale=2)}


def write_grids(snap: dict, out: Path) -> None:
    for stem, png in grids(snap).items():
        (out / f"{stem}.png").write_bytes(png)
