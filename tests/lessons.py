"""What the lesson tests share: run a Sweep page lesson at its own settings (CPU, its seeds) and
read its cells, so each number a lesson's question states is checked as measured."""
from __future__ import annotations

import functools

import torch

from lab.config import from_strings
from lab.sweep import kinds, presets, summary


@functools.lru_cache(maxsize=None)
def cells(experiment: str, lesson: str) -> tuple[dict, ...]:
    """Every cell of the lesson after its whole budget: axis values, then key_stat for every metric."""
    torch.set_num_threads(1)
    kind = kinds.get(experiment)
    cfg = from_strings(kind.config, presets.strings(kind.presets[lesson]))
    run = kind.run(cfg, device="cpu")
    run.advance(run.total)
    snap = run.snapshot()
    return tuple(summary.cells(snap["metrics"], run.axes, run.shape, cfg.seeds, tuple(run.METRICS)))


def at(rows, **axes) -> dict:
    """The one cell whose axis values are `axes` (numbers to 3 significant digits: a log range's
    0.0316228 is asked for as 0.0316)."""
    def same(a, b) -> bool:
        return a == b or (isinstance(a, float) and isinstance(b, float) and f"{a:.3g}" == f"{b:.3g}")
    found = [r for r in rows if all(same(r[k], v) for k, v in axes.items())]
    assert len(found) == 1, (axes, len(found))
    return found[0]
