"""Live figures built from plain dicts, with plotly's validation left to the tests.

Every tick of every session rebuilds its page's figures. Built the usual way (go.Scatter,
make_subplots, add_trace(row, col), add_vline, update_layout(xaxis_title=...)) each property
walks plotly's validators: with 20 sessions playing that was 59% of the server's GIL time, and
make_subplots alone is ~6 ms. Here a figure is a list of trace dicts and a layout dict, wrapped
once with `_validate=False` (plotly's semi-private flag, plotly.py#2403): the 3-panel VAE curves
went from ~13 to ~1 ms. st.plotly_chart does not validate a go.Figure again (it calls to_dict and
to_json(validate=False)); numpy arrays are base64-encoded in to_dict instead of at construction
(~0.5 ms more there). ui.classroom.projector edits these figures as it does any other.

Unvalidated, what is written is what is sent: None goes out as null instead of being dropped
(leave unset properties out), and a colorscale's name goes out as the name, which plotly.js maps
to a different scale than plotly.py (use colorscale()). Nothing checks these dicts at run time,
so tests/test_figures_cheap.py validates each figure built this way on real snapshots: a
misspelt property fails there, not silently in a browser.
"""
from __future__ import annotations

import copy
import functools

import plotly.graph_objects as go
from plotly.subplots import make_subplots


def figure(data: list[dict], layout: dict) -> go.Figure:
    """The figure plotly would build from data and layout, without validating them."""
    return go.Figure(data=data, layout=layout, _validate=False)


def scatter(**props) -> dict:
    return {"type": "scatter", **props}


def panel(k: int) -> dict:
    """A trace's axes in make_subplots' k-th panel (1-based, row-major, no secondary y)."""
    suffix = "" if k == 1 else str(k)
    return {"xaxis": "x" + suffix, "yaxis": "y" + suffix}


def grid(titles: tuple[str, ...] = (), **make_subplots_kwargs) -> dict:
    """make_subplots(subplot_titles=titles, ...)'s layout (axis domains and anchors, the titles as
    annotations) as a fresh dict to fill in. The grid is cached by its arguments, not by the
    titles' text: a title that shows a number changes every tick."""
    frozen = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(make_subplots_kwargs.items()))
    layout = copy.deepcopy(_grid(tuple(bool(t) for t in titles), frozen))
    for note, text in zip(layout.get("annotations", ()), [t for t in titles if t]):
        note["text"] = text     # make_subplots skips empty titles: the notes are the others, in order
    return layout


@functools.lru_cache(maxsize=64)
def _grid(has_title: tuple[bool, ...], frozen: tuple) -> dict:
    kwargs = {k: list(v) if k in ("column_widths", "row_heights") else v for k, v in frozen}
    titles = ["title" if t else "" for t in has_title] or None
    return make_subplots(subplot_titles=titles, **kwargs).layout.to_plotly_json()


def colorscale(name: str) -> list[list]:
    """A named colorscale as the [[position, colour], ...] list validation turns the name into.
    Sent unvalidated, the bare name would reach plotly.js, whose scale of that name differs."""
    return [list(step) for step in go.Heatmap(colorscale=name).colorscale]


def vline(x: float, line: dict, xref: str = "x", yref: str = "y") -> dict:
    """The shape fig.add_vline(x, line=line) adds (full height of yref's panel), as a dict."""
    return dict(type="line", x0=x, x1=x, xref=xref, y0=0, y1=1, yref=f"{yref} domain", line=line)


def hline(y: float, line: dict, xref: str = "x", yref: str = "y") -> dict:
    """The shape fig.add_hline(y, line=line) adds (full width of xref's panel), as a dict."""
    return dict(type="line", x0=0, x1=1, xref=f"{xref} domain", y0=y, y1=y, yref=yref, line=line)


def vrect(x0: float, x1: float, xref: str = "x", yref: str = "y", **style) -> dict:
    """The shape fig.add_vrect(x0, x1, **style) adds (a band over yref's panel's full height), as a
    dict; style as the shape's own properties (line=dict(width=0), not line_width=0)."""
    return dict(type="rect", x0=x0, x1=x1, xref=xref, y0=0, y1=1, yref=f"{yref} domain", **style)
