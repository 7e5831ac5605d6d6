"""The sweep's phase diagram: a pure function of `SweepRun.snapshot()`.

One cell per configuration, coloured by the mean of a metric over its seeds; the first axis runs
along the columns, the second along the rows; hovering a cell gives the mean, the std and every
seed's own value. Axis values are categories (evenly spaced whatever their spacing, labelled as
given), so a log range reads as a log axis.
"""
from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lab.figures import plain
from lab.figures.style import TEMPLATE
from lab.sweep import summary

MAX_WRITTEN = 144              # cells up to which each cell shows its mean as text
VIRIDIS = plain.colorscale("Viridis")     # as validation spells it out (plotly.js's "Viridis" differs)


def _fmt(v: float) -> str:
    return "inf" if math.isinf(v) else "nan" if math.isnan(v) else f"{v:.3g}"


def _label(snap: dict, metric: str) -> str:
    return snap.get("labels", {}).get(metric, metric)


def _range(snap: dict, metric: str) -> dict:
    """The run's fixed colour bounds for the metric (BatchedRun.ranges), so frames of a live
    sweep compare; free bounds where it has none."""
    r = snap.get("ranges", {}).get(metric)
    return dict(zmin=r[0], zmax=r[1]) if r else {}


def heatmap(snap: dict, metric: str = "modes", title: str | None = None) -> go.Figure:
    """Mean of `metric` (one of the run's METRICS, e.g. "modes") over each cell's seeds. A cell
    whose mean is not finite (a reverse KL with no high-quality sample) is left blank."""
    rows, cols = snap["shape"]
    seeds = snap["seeds"]
    stats = summary.cell_stats(snap["metrics"][metric], (rows, cols), seeds)
    axes = snap["axes"] + [None, None]
    x_key, y_key = (a["key"] if a else "" for a in axes[:2])
    xs = axes[0]["labels"] if axes[0] else [""]
    ys = axes[1]["labels"] if axes[1] else [""]
    seed_of = np.asarray(snap["seed"]).reshape(rows, cols, seeds)

    def hover(iy: int, ix: int) -> str:
        where = ", ".join(f"{k}={v}" for k, v in ((x_key, xs[ix]), (y_key, ys[iy])) if k) or "the base config"
        each = ", ".join(f"seed {int(s)}: {_fmt(v)}" for s, v in zip(seed_of[iy, ix], stats["values"][iy, ix]))
        return f"{where}<br>mean {_fmt(stats['mean'][iy, ix])}, std {_fmt(stats['std'][iy, ix])}<br>{each}"

    text = [[hover(iy, ix) for ix in range(cols)] for iy in range(rows)]
    mean = np.where(np.isfinite(stats["mean"]), stats["mean"], np.nan)
    written = dict(texttemplate="%{z:.3g}") if rows * cols <= MAX_WRITTEN else {}
    label = _label(snap, metric)
    heat = dict(type="heatmap", x=xs, y=ys, z=mean, text=text, hovertemplate="%{text}<extra></extra>",
                colorscale=VIRIDIS, colorbar=dict(title=dict(text=label)), **_range(snap, metric), **written)
    return plain.figure([heat], dict(
        template=TEMPLATE, height=max(320, 60 + 40 * rows), margin=dict(l=80, r=20, t=60, b=60),
        title=dict(text=title or f"{label[0].upper() + label[1:]}, mean over {seeds} seed{'s' * (seeds > 1)}, "
                                 f"step {snap['step']}"),
        xaxis=dict(title=dict(text=x_key), type="category"), yaxis=dict(title=dict(text=y_key), type="category")))


# ---- small multiples and one cell over training ----------------------------------------------
FAKE, MODE = "#ff7f0e", "#2b2b2b"
TILE_GAP = 0.12                # between tiles, in tile widths
TILE_PX = 110                  # pixels per tile in the image the dots are drawn into
TILE_POINTS = 64               # points of a curve drawn in a tile (a snapshot carries at most these per member)
MAX_SIDE = 8                   # cells per side up to which a sweep draws every cell's curves or images at once


@dataclass(frozen=True)
class Tiles:
    """n unit-square tiles in rows of `cols`, TILE_GAP apart, in one pair of plotly axes: the
    first row at the top, or at the bottom with `bottom_up` (as a heat map's rows). Whatever a
    tile shows is mapped into its square: one trace or one image for all the tiles keeps a
    redraw as cheap as one panel's (64 subplots would be 64 pairs of axes to lay out)."""
    n: int
    cols: int
    bottom_up: bool = False

    @property
    def rows(self) -> int:
        return -(-self.n // self.cols)

    @property
    def span(self) -> tuple[float, float]:
        step = 1 + TILE_GAP
        return self.cols * step - TILE_GAP, self.rows * step - TILE_GAP

    def corner(self, i: int) -> tuple[float, float]:
        """Tile i's lower left corner."""
        r, step = i // self.cols, 1 + TILE_GAP
        return (i % self.cols) * step, (r if self.bottom_up else self.rows - 1 - r) * step

    def place(self, i: int, xy: np.ndarray) -> np.ndarray:
        """(n, 2) points in [0, 1]^2 -> the same points in tile i."""
        return np.asarray(xy, dtype=float) + np.array(self.corner(i))


def unit(v, lo: float, hi: float) -> np.ndarray:
    """v mapped from [lo, hi] to [0, 1] (outside: below 0 or above 1)."""
    return (np.asarray(v, dtype=float) - lo) / (hi - lo if hi > lo else 1.0)


def thin(n: int, most: int = TILE_POINTS) -> np.ndarray:
    """At most `most` indices of n, evenly spread, first and last kept."""
    return np.unique(np.linspace(0, n - 1, min(n, most)).round().astype(int))


def tile_lines(tiles: Tiles, curves: list[tuple[int, np.ndarray, np.ndarray]], name: str = "",
               pin: bool = False, **line) -> go.Scatter:
    """Many curves as one trace (one SVG path): each (tile, x, y) with x and y in [0, 1] drawn in
    its tile, gaps between curves. A point outside its tile is left out (a diverged member shows
    a broken curve, not one drawn over its neighbours), or with `pin` drawn on the tile's edge
    (a value that ran off the scale). float32: half the bytes a redraw sends."""
    xs, ys = [], []
    for i, x, y in curves:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        y = np.clip(y, 0, 1) if pin else y
        out = ~(np.isfinite(y) & (y >= -0.01) & (y <= 1.01))
        x0, y0 = tiles.corner(i)
        xs += [x + x0, [np.nan]]
        ys += [np.where(out, np.nan, y + y0), [np.nan]]
    xs, ys = (np.concatenate(v).astype(np.float32) if v else [] for v in (xs, ys))
    return go.Scatter(x=xs, y=ys, mode="lines",
                      line={"width": 1.5, **line}, name=name, showlegend=bool(name), hoverinfo="skip")


def tiles_image(tiles: Tiles, pictures: list[np.ndarray], px: int) -> dict:
    """Pictures ((h, w) grey or (h, w, 3) uint8, at most px x px, centred) in their tiles, as one
    PNG for `layout.images` (gaps transparent; grey pictures as a grey PNG, a third the bytes)."""
    from PIL import Image
    span_x, span_y = tiles.span
    gap = round(TILE_GAP * px)
    grey = all(p.ndim == 2 for p in pictures)
    canvas = np.zeros((tiles.rows * (px + gap) - gap, tiles.cols * (px + gap) - gap, 2 if grey else 4), np.uint8)
    for i, pic in enumerate(pictures):
        pic = pic[..., None] if pic.ndim == 2 else pic
        pic = pic if grey else np.broadcast_to(pic, (*pic.shape[:2], 3))
        x0, y0 = tiles.corner(i)
        top = round((span_y - y0 - 1) / (1 + TILE_GAP)) * (px + gap) + (px - pic.shape[0]) // 2
        left = round(x0 / (1 + TILE_GAP)) * (px + gap) + (px - pic.shape[1]) // 2
        canvas[top:top + pic.shape[0], left:left + pic.shape[1]] = np.concatenate(
            [pic, np.full((*pic.shape[:2], 1), 255, np.uint8)], axis=-1)
    buf = io.BytesIO()
    Image.fromarray(canvas, "LA" if grey else "RGBA").save(buf, format="PNG")
    return dict(source="data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(), xref="x", yref="y",
                x=0.0, y=span_y, sizex=span_x, sizey=span_y, xanchor="left", yanchor="top", sizing="stretch",
                layer="below")


def tile_frame(tiles: Tiles, title: str, traces: list | None = None, images: list | None = None,
               below: list[str] | None = None, col_labels: list[str] | None = None,
               row_labels: list[str] | None = None, axis_titles: tuple[str, str] = ("", ""),
               height: int | None = None, top: int = 50, square: bool = True) -> go.Figure:
    """The tiles' frame: a light box per tile, text under each tile (`below`) or the grid's column
    and row values once (`col_labels`, `row_labels`, with their keys as `axis_titles`), the
    tiles' traces and images, no axes. Square tiles for pictures; curves' tiles (`square=False`)
    fill the figure's width and height, so no band of it is left blank."""
    span_x, span_y = tiles.span
    step = 1 + TILE_GAP
    boxes = [dict(type="rect", x0=x0, x1=x0 + 1, y0=y0, y1=y0 + 1, line=dict(color="#c8d0dc", width=1))
             for x0, y0 in map(tiles.corner, range(tiles.n))]
    notes = [dict(x=tiles.corner(i)[0] + 0.5, y=tiles.corner(i)[1] - 0.02, text=t, showarrow=False, yanchor="top",
                  font=dict(size=11)) for i, t in enumerate(below or [])]
    notes += [dict(x=c * step + 0.5, y=-0.02, text=t, showarrow=False, yanchor="top", font=dict(size=11))
              for c, t in enumerate(col_labels or [])]
    notes += [dict(x=-0.04, y=r * step + 0.5, text=t, showarrow=False, xanchor="right", font=dict(size=11))
              for r, t in enumerate(row_labels or [])]
    x_title, y_title = axis_titles
    if x_title:
        notes.append(dict(x=span_x / 2, y=-0.2, text=x_title, showarrow=False, yanchor="top", font=dict(size=13)))
    if y_title:
        notes.append(dict(x=-0.45, y=span_y / 2, text=y_title, showarrow=False, textangle=-90, font=dict(size=13)))
    left = 0.6 if row_labels else 0.02
    corners = plain.scatter(x=[0, span_x], y=[0, span_y], mode="markers", marker=dict(opacity=0), hoverinfo="skip",
                            showlegend=False)
    return plain.figure([corners, *(traces or [])], dict(
        template=TEMPLATE, title=dict(text=title), shapes=boxes, annotations=notes,
        **({"images": images} if images else {}),     # validation dropped an empty list; unvalidated it is sent
        height=height or int(80 + tiles.rows * 150), margin=dict(l=10, r=10, t=top, b=20),
        showlegend=any(t.showlegend for t in traces or []),      # tile_lines' traces: validated go.Scatter
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
        xaxis=dict(visible=False, range=[-left, span_x + 0.02]),
        yaxis=dict(visible=False, range=[-0.35 if (below or col_labels) else -0.02, span_y + 0.02],
                   **(dict(scaleanchor="x") if square else {}))))


def _tile_points(snap: dict, member: int) -> tuple[np.ndarray, np.ndarray]:
    """Member's samples and its data's modes, in its data set's box mapped to [0, 1]^2 (points
    outside the box are left out: a diverged member shows an empty tile, not a squashed one)."""
    data = snap["data"][snap["member_data"][member]]
    lo, hi = (np.asarray(v, dtype=float) for v in data["extent"])
    x = (np.asarray(snap["samples"][member], dtype=float) - lo) / (hi - lo)
    x = x[np.all(np.isfinite(x) & (x >= 0) & (x <= 1), axis=1)]
    return x, (np.asarray(data["centres"], dtype=float) - lo) / (hi - lo)


def small_multiples(snap: dict, members: list[int], cols: int, title: str, bottom_up: bool = False,
                    **frame) -> go.Figure:
    """Each member's samples (orange) over its data's modes (black) in a tile (tile_frame's
    keywords: labels, height). The dots are one image (lab.figures.style.dots_image): thousands
    of SVG markers would cost the live page its frame rate."""
    from lab.figures.style import dots_image
    tiles = Tiles(len(members), cols, bottom_up)
    fakes, modes = [], []
    for i, m in enumerate(members):
        x, c = _tile_points(snap, m)
        fakes.append(tiles.place(i, x))
        modes.append(tiles.place(i, c))
    span_x, span_y = tiles.span
    image = dots_image([(np.concatenate(fakes), FAKE), (np.concatenate(modes), MODE)], (0, span_x), (0, span_y),
                       width=max(200, int(TILE_PX * cols * (1 + TILE_GAP))), radius=1.6)
    image.update(xref="x", yref="y")
    return tile_frame(tiles, title, images=[image], **frame)


def cell_members(snap: dict, cell: int) -> list[int]:
    return [cell * snap["seeds"] + s for s in range(snap["seeds"])]


def cell_label(snap: dict, cell: int) -> str:
    """"lr_d=0.001, lr_g=0.0001" for a cell (the base config when there is no axis)."""
    rows, cols = snap["shape"]
    iy, ix = divmod(cell, cols)
    parts = [f"{a['key']}={a['labels'][i]}" for a, i in zip(snap["axes"], (ix, iy))]
    return ", ".join(parts) or "the base config"


def as_grid(snap: dict, square: bool = True) -> dict:
    """Small multiples laid out as the heat map: a tile per cell, columns the first axis, rows
    the second, its first value at the bottom (small_multiples' / tile_frame's keywords). Curves'
    tiles (not `square`) are 60-110 px tall: 8 rows fit a 768 px projector."""
    rows, cols = snap["shape"]
    axes = snap["axes"] + [None, None]
    row_px = min(150, 900 / max(cols, 1)) if square else max(60, min(110, 560 / rows))
    return dict(col_labels=axes[0]["labels"] if axes[0] else None, row_labels=axes[1]["labels"] if axes[1] else None,
                axis_titles=(axes[0]["key"] if axes[0] else "", axes[1]["key"] if axes[1] else ""),
                height=int(110 + rows * row_px), **({} if square else {"square": False}))


def too_many_cells(snap: dict) -> str | None:
    """Why every cell is not drawn at once (a grid over MAX_SIDE cells a side: tiles too small to
    read, and a slower live page), or None."""
    rows, cols = snap["shape"]
    if max(rows, cols) <= MAX_SIDE:
        return None
    return (f"Every cell at once is drawn for grids of up to {MAX_SIDE} x {MAX_SIDE} cells (this one is "
            f"{cols} x {rows}): pick a cell to see its seeds.")


def as_figure(fig_or_note) -> go.Figure:
    """A grid figure, or its kind's sentence saying why there is none as a figure that says it
    (a download of a figure that cannot be drawn)."""
    if not isinstance(fig_or_note, str):
        return fig_or_note
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, title=fig_or_note, xaxis=dict(visible=False), yaxis=dict(visible=False))
    return fig


def grid_samples(snap: dict, seed_index: int = 0) -> go.Figure:
    """Every cell's samples (its seed_index-th seed), laid out as the heat map."""
    rows, cols = snap["shape"]
    members = [c * snap["seeds"] + seed_index for c in range(rows * cols)]
    seed = int(snap["seed"][members[0]])
    return small_multiples(snap, members, cols, f"Samples at step {snap['step']}, seed {seed} of every cell",
                           bottom_up=True, **as_grid(snap))


def cell_samples(snap: dict, cell: int) -> go.Figure:
    """One cell's samples, every seed: is the effect the cell's, or one seed's luck?"""
    members = cell_members(snap, cell)
    metric = snap["metrics"]["modes"]
    titles = [f"seed {int(snap['seed'][m])}<br>{int(metric[m])} modes" for m in members]
    return small_multiples(snap, members, min(4, len(members)), f"{cell_label(snap, cell)}: every seed",
                           below=titles)


def cell_curves(snap: dict, cell: int, metric: str = "modes") -> go.Figure:
    """One cell's metric over training: each seed a thin line, their mean thick."""
    members = cell_members(snap, cell)
    steps = snap["trace"]["step"]
    values = np.asarray(snap["trace"][metric], dtype=float)[:, members]       # (evaluations, seeds)
    data = [plain.scatter(x=steps, y=values[:, j], mode="lines", line=dict(width=1, color="#9fb3c8"),
                          name=f"seed {int(snap['seed'][m])}", showlegend=False) for j, m in enumerate(members)]
    with np.errstate(invalid="ignore"):
        finite = np.where(np.isfinite(values), values, np.nan)
        mean = np.nanmean(finite, axis=1) if finite.size else finite
    data.append(plain.scatter(x=steps, y=mean, mode="lines" if len(steps) > 2 else "lines+markers",
                              line=dict(width=3, color="#1f77b4"), name=f"mean over {len(members)} seeds"))
    label = _label(snap, metric)
    return plain.figure(data, dict(
        template=TEMPLATE, title=dict(text=f"{label[0].upper() + label[1:]} over training"), height=320,
        margin=dict(l=60, r=20, t=50, b=50), legend=dict(orientation="h", y=-0.25),
        xaxis=dict(title=dict(text="step")), yaxis=dict(title=dict(text=label), **_range_axis(snap, metric))))

def _range_axis(snap: dict, metric: str) -> dict:
    r = _range(snap, metric)
    return dict(range=[r["zmin"] - 0.02 * r["zmax"], r["zmax"] * 1.05]) if r else {}


def clickable(fig: go.Figure) -> go.Figure:
    """The heat map with an invisible marker on every cell carrying its cell index (customdata)
    and its hover text: a click selects a point, and plotly selects markers, not heat map cells."""
    # the heat map as its dict, hover off: hovertemplate left out (set to None unvalidated, it would go out as null)
    heat = {k: v for k, v in fig.data[0].to_plotly_json().items() if k != "hovertemplate"}
    xs, ys, texts = list(fig.data[0].x), list(fig.data[0].y), fig.data[0].text
    cx, cy, data, text = [], [], [], []
    for iy, yv in enumerate(ys):
        for ix, xv in enumerate(xs):
            cx.append(xv), cy.append(yv), data.append([iy * len(xs) + ix]), text.append(texts[iy][ix])
    heat["hoverinfo"] = "skip"
    size = max(8, min(60, int(500 / max(len(xs), len(ys)))))
    cells = plain.scatter(x=cx, y=cy, customdata=data, text=text, mode="markers", showlegend=False,
                          marker=dict(size=size, symbol="square", opacity=0), hovertemplate="%{text}<extra></extra>")
    return plain.figure([heat, *fig.data[1:], cells], fig.layout.to_plotly_json())


def anchor_table(snap: dict, paper_rows: list[dict]) -> list[dict]:
    """Each cell's means over its seeds beside the paper's rows (lab.experiments.mode_collapse.metrics)."""
    rows, cols = snap["shape"]
    stats = {k: summary.cell_stats(snap["metrics"][k], (rows, cols), snap["seeds"]) for k in summary.METRICS}
    out = []
    for cell in range(rows * cols):
        iy, ix = divmod(cell, cols)
        kl = stats["reverse_kl"]["values"][iy, ix]
        out.append({"source": "this lab", "method": cell_label(snap, cell), "modes": float(stats["modes"]["mean"][iy, ix]),
                    "hq": float(stats["hq"]["mean"][iy, ix]),
                    "reverse_kl": float(np.mean(kl[np.isfinite(kl)])) if np.isfinite(kl).any() else None,
                    "setup": f"mean of {snap['seeds']} seeds at step {snap['step']}"})
    return out + paper_rows
