"""Error against eps or against p, averaged over repetitions, for every estimator, beside the
theory lines.

A sweep is a run like any other (lab.run.Run), so the page's live driver trains it in
time-boxed ticks, shows its progress and stops it on Pause. Its unit of work is small: one
classical estimate, or one step of a GAN (d_steps D updates and one eta update), so a tick
holds the sweep's lock only briefly. A cell is one value of eps or p and one repetition, every
estimator; cells go repetition-major, so the whole curve appears early and then firms up. The
sweep makes its own data and its own estimators: it never touches the page's live run.

Repetition r uses seed `base.seed + r` at every value (common random numbers: the curves are
smoother than with fresh seeds per point, and a cell is reproducible on its own).
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from lab.config import Config, ConfigError, opt, spec
from lab.device import generator
from lab.experiments.robust_mean import estimators as est
from lab.experiments.robust_mean import theory
from lab.experiments.robust_mean.config import RobustMeanConfig
from lab.experiments.robust_mean.gan_estimator import GanEstimator
from lab.experiments.robust_mean.run import classical
from lab.run import Run

AXES = ("eps", "p")
_N = spec(RobustMeanConfig, "n")         # the sweep's n has the experiment's bounds


@dataclass(frozen=True)
class SweepConfig(Config):
    """What to sweep; every other key comes from the robust-mean config the sweep is given."""
    axis: str = opt("eps", "the key that varies", choices=AXES, label="Sweep over")
    eps_values: str = opt("0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4", "values of eps, a comma list",
                          label="Values of eps")
    p_values: str = opt("2, 5, 10, 20, 50", "values of p, a comma list of whole numbers", label="Values of p")
    reps: int = opt(3, "repetitions at every value (seeds seed, seed + 1, ...)", lo=1, hi=20, label="Repetitions")
    n: int = opt(5000, "sample size in the sweep (the other keys as in the sidebar)", lo=_N.lo, hi=_N.hi,
                 label="n for the sweep", step=1000)

    def check(self) -> None:
        self.values()

    def values(self) -> list[float] | list[int]:
        key = f"{self.axis}_values"
        try:
            vals = [float(v) for v in getattr(self, key).replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise ConfigError(f"{key}={getattr(self, key)!r} is not a comma list of numbers, e.g. 0, 0.1, 0.2") from None
        if not vals:
            raise ConfigError(f"{key}: give at least one value of {self.axis} to sweep over")
        if not all(math.isfinite(v) for v in vals):
            raise ConfigError(f"{key}={getattr(self, key)!r}: every value must be a finite number")
        if self.axis == "p":
            if any(v != int(v) for v in vals):
                raise ConfigError(f"{key}={self.p_values!r}: the dimension p takes whole numbers")
            return sorted({int(v) for v in vals})
        return sorted(set(vals))


class Sweep(Run):
    experiment = "robust_mean_sweep"

    def __init__(self, base, cfg: SweepConfig = SweepConfig()):
        """`base` is a RobustMeanConfig; the sweep takes its keys except `cfg.axis` and n. Every
        value is validated now (a ConfigError names the bad one)."""
        super().__init__(cfg)
        self.values, self.axis, self.reps = cfg.values(), cfg.axis, cfg.reps
        self.base = dataclasses.replace(base, n=cfg.n)
        self.names = list(dict.fromkeys(base.names() if self.axis == "eps" else est.parse_names(base.estimators, 1)))
        self.configs = [self._config(v) for v in self.values]
        self.errors = {k: np.full((len(self.values), self.reps), np.nan) for k in self.names}
        self.theory = {k: [] for k in ("minimax_rate", "cw_median_rate", "cw_median_exact", "mean_bias")}
        for c in self.configs:
            lines = theory.lines(c.n, c.p, c.eps, c.theta_vec(), c.q())
            for k in self.theory:
                self.theory[k].append(lines[k])
        # Units of work per value: one per classical estimator, a GAN's steps per GAN.
        self.units = [sum(c.gan(k).total(c.n) if est.ESTIMATORS[k].is_gan else 1 for k in c.names())
                      for c in self.configs]
        self.cells_done, self.seconds = 0, 0.0
        self._cell: dict | None = None

    def _config(self, value):
        names = est.applicable(value, self.names) if self.axis == "p" else self.names
        try:
            return dataclasses.replace(self.base, **{self.axis: value, "estimators": ",".join(names)})
        except ConfigError as err:
            raise ConfigError(f"sweep over {self.axis}: {err}") from None

    @property
    def total(self) -> int:
        return sum(self.units) * self.reps

    @property
    def cells(self) -> int:
        return len(self.values) * self.reps

    # ---- the protocol -----------------------------------------------------------------------
    def _start_cell(self) -> dict:
        rep, i = divmod(self.cells_done, len(self.values))
        cfg = self.configs[i]
        X, _ = cfg.data().sample_marked(cfg.n, generator(cfg.seed + rep))
        return {"i": i, "rep": rep, "cfg": cfg, "X": X, "Xd": X.double().numpy(), "todo": list(cfg.names()),
                "gan": None}

    def _unit(self) -> None:
        """One classical estimate, or one step of the GAN in training; the cell's result when
        it is complete."""
        c = self._cell = self._cell or self._start_cell()
        cfg, name, seed = c["cfg"], c["todo"][0], c["cfg"].seed + c["rep"]
        if est.ESTIMATORS[name].is_gan:
            c["gan"] = c["gan"] or GanEstimator(c["X"], cfg.gan(name), seed)
            c["gan"].step(1)
            theta_hat = c["gan"].estimate() if c["gan"].done else None
        else:
            theta_hat = classical(name, c["Xd"], cfg, seed)
        if theta_hat is not None:
            self.errors[name][c["i"], c["rep"]] = np.linalg.norm(theta_hat - cfg.theta_vec())
            c["todo"].pop(0)
            c["gan"] = None
        if not c["todo"]:
            self._cell = None
            self.cells_done += 1

    def _advance(self, k: int, **options) -> None:
        t0 = time.perf_counter()
        for _ in range(k):
            if self.step >= self.total:
                break
            self._unit()
            self.step += 1
        self.seconds += time.perf_counter() - t0

    def eta_seconds(self) -> float:
        return self.seconds / self.step * (self.total - self.step) if self.step else float("nan")

    def _snapshot(self, **options) -> dict:
        return {"axis": self.axis, "values": list(self.values), "reps": self.reps, "n": self.base.n,
                "step": self.step, "total": self.total, "cells_done": self.cells_done, "cells": self.cells,
                "eta_seconds": self.eta_seconds(),
                "errors": {k: v.tolist() for k, v in self.errors.items()},
                "theory": {k: list(v) for k, v in self.theory.items()}}

    def result(self) -> dict:
        return self.snapshot()

    def _metrics(self) -> dict:
        """Mean error per estimator and value (NaN where no repetition is done yet)."""
        with np.errstate(all="ignore"):
            return {"axis": self.axis, "values": list(self.values), "cells_done": self.cells_done,
                    "mean_error": {k: [float(np.nanmean(r)) if np.isfinite(r).any() else float("nan") for r in v]
                                   for k, v in self.errors.items()}}

    def rows(self) -> list[dict]:
        """Long-form table for CSV export: one row per value, repetition and estimator."""
        return rows(self.result())


def rows(result: dict) -> list[dict]:
    """A sweep result (its snapshot) as long-form rows: value, repetition, estimator, error."""
    out = []
    for name, errs in result["errors"].items():
        for i, v in enumerate(result["values"]):
            for rep in range(result["reps"]):
                e = errs[i][rep]
                if not np.isnan(e):
                    out.append({result["axis"]: v, "rep": rep, "estimator": name, "error": float(e)})
    return out
