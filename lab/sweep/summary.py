"""Seed statistics per cell: a per-member number -> mean, std, min and max over each cell's seeds.

Members are cell-major (lab.sweep.config), so a (M,) array reshapes to (rows, cols, seeds).
The std is over the seeds as they are (numpy's default, ddof=0: 0 for one seed), the way the
papers' "mean +- std over N trials" tables are usually computed. A cell with an infinite value
(reverse KL of a member with no high-quality sample) has an infinite mean and max.
"""
from __future__ import annotations

import numpy as np

STATS = ("mean", "std", "min", "max")
METRICS = ("modes", "hq", "reverse_kl")


def by_cell(values, shape: tuple[int, int], seeds: int) -> np.ndarray:
    """(M,) -> (rows, cols, seeds)."""
    return np.asarray(values, dtype=float).reshape(shape[0], shape[1], seeds)


def cell_stats(values, shape: tuple[int, int], seeds: int) -> dict[str, np.ndarray]:
    """{"mean", "std", "min", "max"}: (rows, cols) each, and "values": (rows, cols, seeds)."""
    v = by_cell(values, shape, seeds)
    with np.errstate(invalid="ignore"):
        out = {"mean": v.mean(-1), "std": v.std(-1), "min": v.min(-1), "max": v.max(-1)}
    return {**out, "values": v}


def cells(metrics: dict, axes: list, shape: tuple[int, int], seeds: int, keys: tuple[str, ...] = METRICS) -> list[dict]:
    """One flat row per cell: its axis values, then key_stat for every key and stat."""
    stats = {k: cell_stats(metrics[k], shape, seeds) for k in keys}
    rows = []
    for iy in range(shape[0]):
        for ix in range(shape[1]):
            row = {}
            for axis, i in zip(axes, (ix, iy)):
                row[axis.key] = axis.values[i]
            for k in keys:
                row.update({f"{k}_{s}": float(stats[k][s][iy, ix]) for s in STATS})
            rows.append(row)
    return rows
