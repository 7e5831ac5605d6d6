"""The Sweep page's small multiples (lab.sweep.figures: Tiles, tile_lines, tiles_image, tile_frame):
a tile per cell laid out as the heat map (its first row at the bottom), curves and pictures at
their tile's place, the grid's values and keys once, and the sentence a kind gives instead of a
grid too big to read. Each kind's own grid figure is tested beside its sweep (test_sweep_*.py)."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from lab.experiments.mode_collapse import ModeCollapseConfig
from lab.sweep import SweepConfig, SweepRun
from lab.sweep import figures as figs

STEP = 1 + figs.TILE_GAP


def png(image: dict) -> np.ndarray:
    """A layout image's PNG data URI as an (h, w, 4) array."""
    raw = base64.b64decode(image["source"].split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"))


def segments(trace, points: int) -> tuple[np.ndarray, np.ndarray]:
    """A tile_lines trace's curves of `points` points each, as (curves, points) x and y arrays."""
    x, y = np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)
    return x.reshape(-1, points + 1)[:, :points], y.reshape(-1, points + 1)[:, :points]


def test_tiles_fill_rows_like_a_heat_map():
    top_down, bottom_up = figs.Tiles(5, 3), figs.Tiles(5, 3, bottom_up=True)
    assert top_down.rows == bottom_up.rows == 2
    assert top_down.span == pytest.approx((3 * STEP - figs.TILE_GAP, 2 * STEP - figs.TILE_GAP))
    assert top_down.corner(0) == pytest.approx((0, STEP)) and top_down.corner(4) == pytest.approx((STEP, 0))
    assert bottom_up.corner(0) == pytest.approx((0, 0)) and bottom_up.corner(4) == pytest.approx((STEP, STEP))
    np.testing.assert_allclose(bottom_up.place(5 - 1, [[0.5, 0.25]]), [[STEP + 0.5, STEP + 0.25]])
    np.testing.assert_array_equal(figs.thin(400), np.round(np.linspace(0, 399, 64)).astype(int))
    assert figs.thin(10).tolist() == list(range(10))


def test_tile_lines_put_each_curve_in_its_tile_and_leave_out_what_leaves_it():
    tiles = figs.Tiles(4, 2, bottom_up=True)
    y = np.array([0.0, 0.5, 1.0, 1.5, np.nan])
    trace = figs.tile_lines(tiles, [(3, np.linspace(0, 1, 5), y), (0, np.linspace(0, 1, 5), 1 - y)], name="seeds")
    xs, ys = segments(trace, 5)
    np.testing.assert_allclose(xs[0], STEP + np.linspace(0, 1, 5))
    np.testing.assert_allclose(ys[0], [STEP, STEP + 0.5, STEP + 1, np.nan, np.nan])     # 1.5: out of the tile
    np.testing.assert_allclose(ys[1], [1.0, 0.5, 0.0, np.nan, np.nan])                   # -0.5: out
    assert np.isnan(np.asarray(trace.y, dtype=float)[5::6]).all()                        # a gap after each curve
    assert trace.showlegend and not figs.tile_lines(tiles, []).showlegend
    pinned = figs.tile_lines(tiles, [(0, [0, 1], [-0.5, 1.5])], pin=True)              # off the scale: on the edge
    np.testing.assert_array_equal(np.asarray(pinned.y, dtype=float)[:2], [0, 1])


def test_tiles_image_places_each_picture_in_its_tile():
    tiles = figs.Tiles(3, 2, bottom_up=True)                     # tile 2 alone in the top row
    pictures = [np.full((10, 10), v, dtype=np.uint8) for v in (10, 20, 30)]
    image = figs.tiles_image(tiles, pictures, px=10)
    rgba = png(image)
    gap = round(figs.TILE_GAP * 10)
    assert rgba.shape == (2 * 10 + gap, 2 * 10 + gap, 4)
    assert (rgba[:10, :10, 0] == 30).all()                      # tile 2: top left
    assert (rgba[10 + gap:, :10, 0] == 10).all() and (rgba[10 + gap:, 10 + gap:, 0] == 20).all()
    assert (rgba[:10, 10 + gap:, 3] == 0).all() and (rgba[10:10 + gap, :, 3] == 0).all()   # empty and gaps clear
    assert (image["x"], image["y"]) == (0.0, tiles.span[1])
    assert (image["sizex"], image["sizey"]) == pytest.approx(tiles.span)


@pytest.fixture(scope="module")
def mode_collapse():
    cfg = SweepConfig.of(ModeCollapseConfig(steps=5, eval_every=5, width=16, depth=1, latent=4),
                         {"lr_d": [1e-4, 3e-4, 1e-3], "lr_g": [1e-4, 1e-3]}, seeds=2)
    return SweepRun(cfg, device="cpu").snapshot()


def test_mode_collapse_grid_is_a_tile_per_cell_labelled_once(mode_collapse):
    fig = figs.grid_samples(mode_collapse)
    boxes = fig.layout.shapes
    assert len(boxes) == 6
    np.testing.assert_allclose([(b.x0, b.y0) for b in boxes], [(c * STEP, r * STEP) for r in range(2) for c in range(3)])
    notes = fig.layout.annotations
    under = [(a.text, a.x) for a in notes if a.y == pytest.approx(-0.02)]             # the columns' values
    left = [(a.text, a.y) for a in notes if a.xanchor == "right"]                     # the rows', first at the bottom
    assert under == [(v, pytest.approx(c * STEP + 0.5)) for c, v in enumerate(["0.0001", "0.0003", "0.001"])]
    assert left == [(v, pytest.approx(r * STEP + 0.5)) for r, v in enumerate(["0.0001", "0.001"])]
    assert {"lr_d", "lr_g"} <= {a.text for a in notes}
    assert len(fig.layout.images) == 1 and "seed 0 of every cell" in fig.layout.title.text


def test_a_grid_over_eight_cells_a_side_is_a_sentence(mode_collapse):
    assert figs.too_many_cells(mode_collapse) is None
    big = {**mode_collapse, "shape": (2, 9)}
    note = figs.too_many_cells(big)
    assert "8 x 8" in note and "9 x 2" in note
    assert figs.as_figure(note).layout.title.text == note
    fig = figs.grid_samples(mode_collapse)
    assert figs.as_figure(fig) is fig
