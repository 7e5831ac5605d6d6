"""The look shared by GenLab's figures, chosen for what a live redraw costs in the browser.

plotly_white's template carries `automargin` on every axis: plotly.js then lays the figure
out, measures the tick labels and lays it out again, on every redraw (Streamlit remounts a
chart whose figure changed). On the 4-panel discriminator figure that was 60-70 ms of a
~170 ms redraw in Chromium (benchmarks/bench_page_live.py). This template keeps the white
look and the light grid, and gives each figure explicit margins instead.
"""
from __future__ import annotations

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
