"""The look shared by GenLab's figures, chosen for what a live redraw costs in the browser.

plotly_white's template carries `automargin` on every axis: plotly.js then lays the figure
out, measures the tick labels and lays it out again, on every redraw (Streamlit remounts a
chart whose figure changed). On the 4-panel discriminator figure that was 60-70 ms of a
~170 ms redraw in Chromium (benchmarks/bench_page_live.py). This template keeps the white
look and the light grid, and gives each figure explicit margins instead.
"""
from __future__ import annotations

import base64
import functools
import io

import numpy as np
import plotly.graph_objects as go

GRID = "#EBF0F8"
_AXIS = dict(gridcolor=GRID, linecolor=GRID, zerolinecolor=GRID, zerolinewidth=2, ticks="",
             title=dict(standoff=15), automargin=False)

TEMPLATE = go.layout.Template(layout=dict(
    paper_bgcolor="white", plot_bgcolor="white", font=dict(color="#2a3f5f"),
    hovermode="closest", hoverlabel=dict(align="left"), xaxis=_AXIS, yaxis=_AXIS,
    title=dict(x=0.05)))


def rug(x, y0: float, height: float) -> tuple[list, list]:
    """Short vertical ticks at x (a rug plot) as one line with gaps: one SVG path instead of
    one marker element per sample (400 markers cost ~40 ms per redraw)."""
    xs, ys = [], []
    for v in x:
        xs += [float(v), float(v), None]
        ys += [y0 - height / 2, y0 + height / 2, None]
    return xs, ys


def dots_image(layers: list[tuple[np.ndarray, str]], x_range: tuple[float, float],
               y_range: tuple[float, float], width: int = 600, radius: float = 3.5) -> dict:
    """Scatter points as one transparent PNG for a panel's `layout.images` (layer above the
    traces). Plotly draws each marker as its own SVG element and styles it one by one: 2 x 400
    samples in each of the 2-D page's five panels were ~260 ms of a ~410 ms browser redraw, an
    image is ~0. `layers` are (points (n, 2), "#rrggbb") drawn in order, each dot a little
    transparent so arrows under it stay visible. The PNG is cached: the samples never change
    while D trains."""
    key = tuple((np.ascontiguousarray(p, np.float32).tobytes(), c) for p, c in layers)
    src = _dots_png(key, tuple(map(float, x_range)), tuple(map(float, y_range)), width, radius)
    (x0, x1), (y0, y1) = x_range, y_range
    return dict(source=src, x=float(x0), y=float(y1), sizex=float(x1 - x0), sizey=float(y1 - y0),
                xanchor="left", yanchor="top", sizing="stretch", layer="above")


@functools.lru_cache(maxsize=8)
def _dots_png(key: tuple, x_range: tuple, y_range: tuple, width: int, radius: float) -> str:
    from PIL import Image, ImageDraw
    (x0, x1), (y0, y1) = x_range, y_range
    height = max(1, round(width * (y1 - y0) / (x1 - x0)))   # square pixels: round dots at scaleratio 1
    im = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    for raw, colour in key:
        pts = np.frombuffer(raw, np.float32).reshape(-1, 2)
        fill = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) + (190,)
        us = (pts[:, 0] - x0) / (x1 - x0) * width
        vs = (y1 - pts[:, 1]) / (y1 - y0) * height
        for u, v in zip(us, vs):
            draw.ellipse([u - radius, v - radius, u + radius, v + radius], fill=fill)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
