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

import dataclasses
from typing import Any, Callable

import numpy as np

from lab.experiments import SeedSpec, last_logged
from lab.run import Run


def seed_rows(run: Run, keys: tuple[str, ...], numbers=last_logged) -> list[dict]:
    """The last measured `keys` of each member of `run` (a batched run lists its members; a single
    run gives `numbers(run)`, by default its history's last entries, so all are read at the same
    measured step)."""
    # A batched run lists its members, also when it holds one (the companion of a 2-seed run):
    # `numbers` reads a single run's own attributes, which a batched run does not have.
    if getattr(run, "members", 1) > 1 or type(run).member_metrics is not Run.member_metrics:
        return [{k: row[k] for k in ("seed", *keys)} for row in run.member_metrics()]
    got = numbers(run)
    return [{"seed": run.cfg.seed, **{k: got.get(k) for k in keys}}]


def summarise(rows: list[dict], keys: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """{key: {"mean", "min", "max", "n"}} over the rows (non-finite values skipped in the mean,
    e.g. the reverse KL of a seed with no high-quality sample; a key with none finite has the
    mean inf when they are infinite, NaN when there are none)."""
    out = {}
    for k in keys:
        v = np.asarray([r[k] for r in rows if r[k] is not None], dtype=float)
        ok = v[np.isfinite(v)]
        out[k] = {"mean": float(ok.mean()) if ok.size else float("inf") if np.isinf(v).any() else float("nan"),
                  "min": float(v.min()) if v.size else float("nan"),
                  "max": float(v.max()) if v.size else float("nan"), "n": len(rows)}
    return out


class Seeds(Run):
    """`make(cfg)` builds a run of a config; `companions(cfg, k)` lists the configs of the other
    runs (one sweep config holding seeds seed+1..seed+k-1, or k-1 single configs); `keys` are the
    metrics summarised over seeds."""

    def __init__(self, cfg, k: int, make: Callable[[Any], Run], companions: Callable[[Any, int], list],
                 keys: tuple[str, ...], numbers: Callable[[Run], dict] = last_logged, labels: dict | None = None):
        super().__init__(cfg)
        self.k, self.keys, self._companions, self._numbers = int(k), keys, companions, numbers
        self.labels = dict(labels or {})
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
            # A live key may change how companions are built (a setting the sweep refuses): rebuild then.
            if len(new) != len(self.others) or any(type(r.cfg) is not type(c) for r, c in zip(self.others, new)):
                return False
            if not all(run.retune(c) for run, c in zip(self.others, new)):
                return False
            self.cfg = cfg
            return True

    def seed_table(self) -> list[dict]:
        """One row per seed: "seed" and each of `keys`, at the last measured step."""
        with self.lock:
            rows = seed_rows(self.primary, self.keys, self._numbers)
            for run in self.others:
                rows += seed_rows(run, self.keys, self._numbers)
            return rows

    def _snapshot(self, **options) -> dict:
        snap = self.primary.snapshot(**options)
        rows = self.seed_table()
        return {**snap, "seeds": {"k": self.k, "rows": rows, "stats": summarise(rows, self.keys),
                                  "labels": self.labels}}

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


def with_seeds(experiment: str, cfg, k: int, make_single: Callable[[Any], Run], keys: tuple[str, ...] | None = None,
               numbers: Callable[[Run], dict] | None = None, **batched) -> Run:
    """The page's run of `cfg` alone (k = 1), or with k - 1 seed companions: one batched sweep
    (lab.sweep.kinds) where the experiment has one and takes this config, else k - 1 single runs
    (`make_single`) trained in turn. What is summarised comes from the experiment's SeedSpec
    (`keys` and `numbers` override it; with no keys at all, every number the single run logs);
    `batched`: extra arguments for the sweep run (e.g. the user's points)."""
    if k <= 1:
        return make_single(cfg)
    from lab import experiments
    from lab.config import ConfigError
    from lab.sweep import kinds
    spec = experiments.get(experiment).seeds or SeedSpec()
    keys, numbers = keys or spec.keys_for(cfg), numbers or spec.numbers
    kind = kinds.get(experiment) if experiment in kinds.KINDS else None

    def make(c):
        return kind.run(c, **batched) if kind is not None and isinstance(c, kind.config) else make_single(c)

    def companions(c, n: int) -> list:
        first = dataclasses.replace(c, seed=c.seed + 1)
        if kind is not None:
            try:
                return [kind.config.of(first, seeds=n - 1, **spec.sweep_keys)]
            except ConfigError:
                pass            # a setting the batched sweep does not take
        return [dataclasses.replace(c, seed=c.seed + i) for i in range(1, n)]

    if keys is None:
        probe = make_single(cfg)
        keys = tuple(k for k, v in numbers(probe).items() if isinstance(v, (int, float)))
        return Seeds(cfg, k, lambda c: probe if c is cfg else make(c), companions, keys, numbers, spec.labels)
    return Seeds(cfg, k, make, companions, keys, numbers, spec.labels)
