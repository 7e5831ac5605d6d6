"""Error against eps or against p, averaged over repetitions, for every estimator, beside the
theory lines. A sweep is steppable like a run: `advance(k)` computes k more cells (one value of
eps or p, one repetition, every estimator), so a page can draw a progress bar and stop it.

Repetition r uses seed `base.seed + r` at every value (common random numbers: the curves are
smoother than with fresh seeds per point, and a cell is reproducible on its own).
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import numpy as np

from lab.config import ConfigError
from lab.device import generator
from lab.robust import estimators as est
from lab.robust import theory
from lab.data.huber import sample_huber
from lab.robust.gan import GanEstimator

AXES = ("eps", "p")


class Sweep:
    def __init__(self, base, axis: str, values, reps: int = 3):
        """`base` is a RobustMeanConfig (anything with its fields and methods); `axis` is "eps"
        or "p"; every other key stays at the base's value."""
        if axis not in AXES:
            raise ConfigError(f"axis={axis!r} is not one of: {', '.join(AXES)}")
        self.values = sorted({int(v) if axis == "p" else float(v) for v in values})
        if not self.values:
            raise ConfigError(f"give at least one value of {axis} to sweep over")
        if not 1 <= reps <= 100:
            raise ConfigError(f"reps={reps} is out of range: it must lie in [1, 100]")
        self.axis, self.reps, self.base = axis, int(reps), base
        self.names = list(dict.fromkeys(base.names() if axis == "eps" else
                                        est.parse_names(base.estimators, 1)))
        self.configs = [self._config(v) for v in self.values]      # validates every value now
        self.errors = {k: np.full((len(self.values), self.reps), np.nan) for k in self.names}
        self.theory = {k: [] for k in ("minimax_rate", "cw_median_rate", "cw_median_exact", "mean_bias")}
        for c in self.configs:
            lines = theory.lines(c.n, c.p, c.eps, c.theta_vec(), c.q())
            for k in self.theory:
                self.theory[k].append(lines[k])
        self.done, self.seconds = 0, 0.0

    def _config(self, value):
        names = est.applicable(value, self.names) if self.axis == "p" else self.names
        try:
            return dataclasses.replace(self.base, **{self.axis: value, "estimators": ",".join(names)})
        except ConfigError as err:
            raise ConfigError(f"sweep over {self.axis}: {err}") from None

    @property
    def total(self) -> int:
        return len(self.values) * self.reps

    def _cell(self, i: int, rep: int) -> None:
        cfg = self.configs[i]
        seed = cfg.seed + rep
        theta = cfg.theta_vec()
        X, _ = sample_huber(cfg.n, cfg.p, cfg.eps, theta, cfg.q(), generator(seed))
        Xd = X.double().numpy()
        options = {"trimmed_mean": {"trim": cfg.trim}, "tukey": {"seed": seed}}
        for name in cfg.names():
            if est.ESTIMATORS[name].is_gan:
                theta_hat = GanEstimator(X, cfg.recipe(name), seed).run()
            else:
                theta_hat = est.estimate(name, Xd, **options.get(name, {}))
            self.errors[name][i, rep] = np.linalg.norm(theta_hat - theta)

    def advance(self, k: int = 1) -> None:
        """k more cells, repetition-major: the whole curve appears early, then firms up."""
        for _ in range(k):
            if self.done >= self.total:
                return
            rep, i = divmod(self.done, len(self.values))
            t0 = time.perf_counter()
            self._cell(i, rep)
            self.seconds += time.perf_counter() - t0
            self.done += 1

    def iterate(self) -> Iterator[tuple[int, int]]:
        """(cells done, cells in all) after every cell; stop iterating to cancel."""
        while self.done < self.total:
            self.advance(1)
            yield self.done, self.total

    def eta_seconds(self) -> float:
        return self.seconds / self.done * (self.total - self.done) if self.done else float("nan")

    def result(self) -> dict:
        return {"axis": self.axis, "values": list(self.values), "reps": self.reps, "n": self.base.n,
                "done": self.done, "total": self.total,
                "errors": {k: v.tolist() for k, v in self.errors.items()},
                "theory": {k: list(v) for k, v in self.theory.items()}}

    def rows(self) -> list[dict]:
        """Long-form table for CSV export: one row per value, repetition and estimator."""
        out = []
        for name, errs in self.errors.items():
            for i, v in enumerate(self.values):
                for rep in range(self.reps):
                    if not np.isnan(errs[i, rep]):
                        out.append({self.axis: v, "rep": rep, "estimator": name, "error": float(errs[i, rep])})
        return out
