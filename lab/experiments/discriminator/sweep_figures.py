"""The discriminator sweep's figures, pure functions of its snapshot
(lab.experiments.discriminator.sweep.DiscriminatorSweepRun.snapshot):

    cell_d      one cell: each seed's D (or critic) along x over the exact optimum; in 2-D each
                seed's D shaded over the plane
    grid_d      every cell at once, laid out as the heat map (small multiples, lab.sweep.figures)
"""
from __future__ import annotations

import numpy as np


def cell_d(snap: dict, cell: int) -> list:
    """One cell's D (or critic) along x, a line per seed, over the exact optimum (1-D; in 2-D each
    seed's D shaded over the plane): do all seeds reach D*, or one?"""
    import plotly.graph_objects as go

    from lab.experiments.discriminator.figures import DSTAR, STYLE, TEMPLATE
    from lab.sweep.figures import cell_label, cell_members
    if "heat" in snap:
        from lab.sweep import figures as figs
        members = cell_members(snap, cell)
        return [_heat_tiles(snap, members, figs.Tiles(len(members), min(4, len(members))),
                            f"{cell_label(snap, cell)}: every seed's D", below=[f"seed {int(snap['seed'][m])}"
                                                                                for m in members])]
    if "value" not in snap:
        return []
    members = cell_members(snap, cell)
    first = members[0]
    kind, colour = snap["kind"][first], STYLE[snap["constraint"][first]][1]
    fig = go.Figure()
    if np.isfinite(snap["optimum"][first]).any():
        fig.add_trace(go.Scatter(x=snap["grid_x"][first], y=snap["optimum"][first], name="exact optimum"
                                 + (" D* = p/(p+p_G)" if kind == "d" else " D*_LS" if kind == "ls" else ""),
                                 line=dict(color=DSTAR, width=4)))
    for j, m in enumerate(members):
        fig.add_trace(go.Scatter(x=snap["grid_x"][m], y=snap["value"][m], name=f"seed {int(snap['seed'][m])}",
                                 line=dict(color=colour, width=2, dash=("solid", "dash", "dot", "dashdot")[j % 4])))
    fig.update_layout(template=TEMPLATE, height=320, margin=dict(l=60, r=20, t=50, b=50),
                      title=f"{cell_label(snap, cell)}: every seed's " + ("D" if kind != "critic" else "critic f/L"),
                      xaxis=dict(title="x"), yaxis=dict(title={"d": "D(x)", "ls": "D(x) (LSGAN)"}.get(kind, "f(x) / L")),
                      legend=dict(orientation="h", y=-0.25))
    return [fig]


Y_RANGE = {"d": (0.0, 1.0), "ls": (-1.0, 1.0)}     # a tile's values: D in [0, 1], D*_LS in [-1, 1]


UPSCALE = 4        # screen pixels per point of a 2-D tile: crisp blocks, not a blur of 24 x 24


def _shade(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """(h, w) values -> (h, w, 3) uint8: p_G's orange at lo (fake-like), white halfway, p's blue at
    hi (real-like), grey where not finite."""
    from lab.experiments.discriminator.figures import FAKE, REAL
    from lab.sweep.figures import unit
    rgb = lambda c: np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)  # noqa: E731
    white = np.full(3, 255.0)
    t = 2 * np.clip(np.nan_to_num(unit(v, lo, hi), nan=0.5), 0, 1)[..., None] - 1          # -1 .. 1
    out = np.where(t >= 0, white + t * (rgb(REAL) - white), white - t * (rgb(FAKE) - white))
    out[~np.isfinite(v)] = 200.0
    return out.round().astype(np.uint8)


def _scales(snap: dict, values: np.ndarray) -> dict:
    """Each kind's value range in a tile: D from 0 to 1, LSGAN's D from -1 to 1 (Mao et al.'s
    a, b), every critic on one symmetric scale, its largest |f/L|, so tiles compare."""
    critic = np.array([k == "critic" for k in snap["kind"]])
    big = np.abs(values[critic][np.isfinite(values[critic])])
    top = 1.05 * float(big.max()) if big.size and big.max() > 0 else 1.0
    return {**Y_RANGE, "critic": (-top, top)}


def _scale_words(snap: dict, ranges: dict, what: str) -> str:
    words = {"d": "D from 0 to 1", "ls": "LSGAN's D from -1 to 1",
             "critic": f"f/L from {ranges['critic'][0]:.2g} to {ranges['critic'][1]:.2g}"}
    return ", ".join(dict.fromkeys(f"{words[k]}{what}" for k in snap["kind"]))


def _heat_tiles(snap: dict, members: list[int], tiles, title: str, **frame):
    """2-D members' D (the snapshot's coarse grid) as shaded tiles, one image (lab.sweep.figures
    .tiles_image): blue where D calls the plane real, orange where fake; a + on each mean of p,
    an x on each of p_G's (one path each)."""
    from lab.sweep import figures as figs
    heat = np.asarray(snap["heat"], dtype=float)
    ranges = _scales(snap, heat)
    pics = [np.repeat(np.repeat(_shade(heat[m][::-1], *ranges[snap["kind"][m]]), UPSCALE, 0), UPSCALE, 1)
            for m in members]                                            # [::-1]: y up, image rows down
    a = 0.05                                    # half a mark's width, in tile widths
    shapes = (((-a, a), (0, 0)), ((0, 0), (-a, a))), (((-a, a), (-a, a)), ((-a, a), (a, -a)))    # + and x
    marks = {0: [], 1: []}                      # + at p's means, x at p_G's: one path each
    for i, m in enumerate(members):
        x0, x1, y0, y1 = snap["heat_box"][m]
        for which, centres in enumerate(snap["means"][m]):
            for cx, cy in zip(figs.unit(centres[:, 0], x0, x1), figs.unit(centres[:, 1], y0, y1)):
                marks[which] += [(i, cx + np.array(dx), cy + np.array(dy)) for dx, dy in shapes[which]]
    traces = [figs.tile_lines(tiles, marks[k], color="#111111", width=2) for k in (0, 1)]
    x0, x1, y0, y1 = snap["heat_box"][members[0]]
    where = f"x, y {x0:.2g} to {x1:.2g}" if (x0, x1) == (y0, y1) else f"x {x0:.2g} to {x1:.2g}, y {y0:.2g} to {y1:.2g}"
    words = _scale_words(snap, ranges, "").replace(" from ", " ")
    return figs.tile_frame(tiles, f"{title}<br><sup>a tile: {where}; orange to blue: {words}; "
                                  "+ p's means, x p_G's</sup>",
                           traces=traces, images=[figs.tiles_image(tiles, pics, heat.shape[-1] * UPSCALE)], top=80,
                           **frame)


def grid_d(snap: dict):
    """Every cell's D (or critic f/L), laid out as the heat map. In 1-D along x: its seeds' curves
    (the constraint's colour) over the exact optimum (red) and the two densities (faint: p blue,
    p_G orange), at most TILE_POINTS points each; in 2-D its first seed's D shaded over the plane.
    Or the sentence saying why there is no such figure (too many cells)."""
    from lab.experiments.discriminator.figures import DSTAR, FAKE, REAL, STYLE
    from lab.sweep import figures as figs
    note = figs.too_many_cells(snap)
    if note:
        return note
    rows, cols = snap["shape"]
    tiles = figs.Tiles(rows * cols, cols, bottom_up=True)
    if "heat" in snap:
        return _heat_tiles(snap, [c * snap["seeds"] for c in range(rows * cols)], tiles,
                           f"Every cell's D over the plane, seed {int(snap['seed'][0])}", **figs.as_grid(snap))
    pick = figs.thin(np.shape(snap["value"])[1])
    kinds, value = snap["kind"], np.asarray(snap["value"], dtype=float)[:, pick]
    y_range = _scales(snap, value)
    curves: dict[str, list] = {}              # trace -> its (tile, x, y)s
    for m in range(snap["members"]):
        i, lo_hi = int(snap["cell"][m]), y_range[kinds[m]]
        x = figs.unit(snap["grid_x"][m][pick], snap["grid_x"][m][0], snap["grid_x"][m][-1])
        curves.setdefault(snap["constraint"][m], []).append((i, x, figs.unit(value[m], *lo_hi)))
        if m % snap["seeds"] == 0:            # once per cell: the densities and the optimum
            dens = snap["density"][m] / max(float(np.max(snap["density"][m])), 1e-12)
            curves.setdefault("p", []).append((i, x, 0.9 * dens[0]))
            curves.setdefault("q", []).append((i, x, 0.9 * dens[1]))
            if np.isfinite(snap["optimum"][m]).any():
                curves.setdefault("optimum", []).append((i, x, figs.unit(np.asarray(snap["optimum"][m])[pick], *lo_hi)))
    style = {"p": ("", REAL, 1, 0.45), "q": ("", FAKE, 1, 0.45), "optimum": ("exact optimum", DSTAR, 3, 0.55),
             **{c: (STYLE[c][0], STYLE[c][1], 1.5, 1.0) for c in STYLE}}
    order = [k for k in style if k in curves]           # the data under the optimum under the seeds
    traces = [figs.tile_lines(tiles, curves[k], name=style[k][0], color=style[k][1], width=style[k][2])
              for k in order]
    for t, k in zip(traces, order):
        t.opacity = style[k][3]
    ends = {(float(x[0]), float(x[-1])) for x in snap["grid_x"]}
    across = "x from {:.3g} to {:.3g}".format(*ends.pop()) if len(ends) == 1 else "x over each pair's range"
    return figs.tile_frame(
        tiles, f"Every cell's D along x, each seed a line<br><sup>a tile: {across} across, "
               f"{_scale_words(snap, y_range, ' up')}; "
               "faint: p (blue) and p_G (orange)</sup>",
        traces=traces, top=80, **figs.as_grid(snap, square=False))
