"""A run and its seed companions: "seeds: k" on a single-run page.

The page's run (the seed it shows, with every figure) trains beside k - 1 companions: the same
config at seeds seed+1, ..., seed+k-1, as one batched sweep where the experiment has one
(lab.sweep) or as plain runs in turn where it has not. Every metric then reads as a mean and a
range over the k seeds ("modes 7.9 (7-8) over 8 seeds"), so a student sees whether an effect is
real or one seed's luck.

    run = Seeds(cfg, k, make, companions)   # companions(cfg, k) -> the other runs' configs
    run.advance(100); run.snapshot()["seeds"]       # {"seed": [...], "modes": [...], ...}

All runs stay at one step: each advance moves the page's run, then every companion, by the
same k. A live key retunes all of them in place; anything else rebuilds the lot (the page does).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from lab.run import Run


def seed_rows(run: Run, keys: tuple[str, ...]) -> list[dict]:
    """The last measured `keys` of each member of `run` (a batched run lists its members; a single
    run gives its history's last entry, so all are read at the same measured step)."""
    if getattr(run, "members", 1) > 1:
        return [{k: row[k] for k in ("seed", *keys)} for row in run.member_metrics()]
    return [{"seed": run.cfg.seed, **{k: run.history[k][-1] for k in keys}}]


def summarise(rows: list[dict], keys: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """{key: {"mean", "min", "max", "n"}} over the rows (non-finite values skipped in the mean,
    e.g. the reverse KL of a seed with no high-quality sample; a key with none finite is NaN)."""
    out = {}
    for k in keys:
        v = np.asarray([r[k] for r in rows if r[k] is not None], dtype=float)
        ok = v[np.isfinite(v)]
        out[k] = {"mean": float(ok.mean()) if ok.size else float("nan"),
                  "min": float(v.min()) if v.size else float("nan"),
                  "max": float(v.max()) if v.size else float("nan"), "n": len(rows)}
    return out


class Seeds(Run):
    """`make(cfg)` builds a run of a config; `companions(cfg, k)` lists the configs of the other
    runs (one sweep config holding seeds seed+1..seed+k-1, or k-1 single configs); `keys` are the
    metrics summarised over seeds."""

    def __init__(self, cfg, k: int, make: Callable[[Any], Run], companions: Callable[[Any, int], list],
                 keys: tuple[str, ...]):
        super().__init__(cfg)
        self.k, self.keys, self._companions = int(k), keys, companions
        self.primary = make(cfg)
        self.others = [make(c) for c in companions(cfg, self.k)] if self.k > 1 else []
        self.members = self.k
        self.history = self.primary.history

    def _advance(self, k: int, **options) -> None:
        self.primary.advance(k, **options)
        for run in self.others:
            run.advance(k, **options)
        self.step = self.primary.step

    def retune(self, cfg) -> bool:
        """In place when only live keys changed (every companion takes the same change)."""
        with self.lock:
            if not self.primary.retune(cfg):
                return False
            new = self._companions(cfg, self.k) if self.k > 1 else []
            # A live key may change how companions are built (a sweep cannot unroll): rebuild then.
            if len(new) != len(self.others) or any(type(r.cfg) is not type(c) for r, c in zip(self.others, new)):
                return False
            if not all(run.retune(c) for run, c in zip(self.others, new)):
                return False
            self.cfg = cfg
            return True

    def seed_table(self) -> list[dict]:
        """One row per seed: "seed" and each of `keys`, at the last measured step."""
        with self.lock:
            rows = seed_rows(self.primary, self.keys)
            for run in self.others:
                rows += seed_rows(run, self.keys)
            return rows

    def _snapshot(self, **options) -> dict:
        snap = self.primary.snapshot(**options)
        rows = self.seed_table()
        return {**snap, "seeds": {"k": self.k, "rows": rows, "stats": summarise(rows, self.keys)}}

    def _metrics(self) -> dict:
        rows = self.seed_table()
        stats = summarise(rows, self.keys)
        out = dict(self.primary.metrics())
        if self.k > 1:
            out |= {f"{k}_{s}": stats[k][s] for k in self.keys for s in ("mean", "min", "max")}
            out["seeds"] = self.k
        return out

    def member_metrics(self) -> list[dict]:
        return self.seed_table()

    def state_bytes(self) -> bytes:
        """The shown seed's run (what its page's weights button always saved)."""
        return self.primary.state_bytes()

    @property
    def total(self) -> int:
        return self.primary.total

    def __getattr__(self, name: str):
        # The page's figures read the shown run's own parts (its trainer, its data set).
        if name in ("primary", "others"):
            raise AttributeError(name)
        return getattr(self.primary, name)
