"""The image GAN's figures, pure functions of a snapshot: the fixed-noise sample grid, and the
curves (losses; D(x) and D(G(z)); the Fréchet score)."""
from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from lab.figures import plain
from lab.figures.images import D_FAKE, D_REAL, G_COL, curves_figure, fd_panel, png_bytes, samples_figure


def curves(snap: dict) -> go.Figure:
    """Losses; D(x) and D(G(z)) (critic values for the Wasserstein and hinge objectives); FD."""
    hist, prob = snap["history"], snap["probabilistic"]
    d_title = "D(x) and D(G(z)) (means)" if prob else "critic values f(x) and f(G(z)) (means)"
    layout = plain.grid(("Losses", d_title, snap["fd_label"]), rows=1, cols=3, horizontal_spacing=0.07)
    s = hist["step"]
    data = [plain.scatter(x=s, y=hist["loss_d"], name="D loss", line=dict(color="black", width=2), **plain.panel(1)),
            plain.scatter(x=s, y=hist["loss_g"], name="G loss", line=dict(color=G_COL, width=2), **plain.panel(1)),
            plain.scatter(x=s, y=hist["d_real"], name="D(x): real", line=dict(color=D_REAL, width=2), **plain.panel(2)),
            plain.scatter(x=s, y=hist["d_fake"], name="D(G(z)): generated", line=dict(color=D_FAKE, width=2),
                          **plain.panel(2))]
    if prob:
        layout["yaxis2"]["range"] = [0, 1]
    data.append(fd_panel(layout, hist, 3, snap["fd_label"], snap["fd_empty"]))
    return curves_figure(data, layout)

def samples(snap: dict) -> go.Figure:
    return samples_figure(snap["samples"], f"{snap['recipe']}, step {snap['step']}: samples from the fixed noise")


def figures(snap: dict) -> dict[str, go.Figure]:
    return {"samples": samples(snap), "curves": curves(snap)}


def grids(snap: dict) -> dict[str, bytes]:
    """PNG files beside the HTML figures (the command line's artifacts)."""
    return {"samples": png_bytes(snap["samples"], scale=2)}


def write_grids(snap: dict, out: Path) -> None:
    for stem, png in grids(snap).items():
        (out / f"{stem}.png").write_bytes(png)
