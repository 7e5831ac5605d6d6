"""Langevin dynamics on a target with an exact density (note 003): many particles step together;
the run measures the KL of their histogram to p on the target's bins and the error of their mean."""
from __future__ import annotations

import math

import numpy as np
import torch

from lab.data import densities
from lab.experiments.langevin import sampler
from lab.run import Run

SHOWN = 1500          # particles drawn on the page (all of them are measured)
BLOWN = 1e6           # a particle farther than this has diverged (eta too large)


class LangevinRun(Run):
    experiment = "langevin"
    state_attrs = ("x", "gen", "accepted")

    def __init__(self, cfg):
        super().__init__(cfg)
        self.target = densities.resolve(cfg.target)
        self.bins = self.target.bins(cfg.bins)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.x = self._start()
        self.accepted = [0.0, 0.0]          # accepted proposals, proposals (MALA)
        self.history = {"step": [], "kl": [], "mean_error": []}
        self._log()

    def _start(self) -> torch.Tensor:
        n, d = self.cfg.particles, self.target.dim
        lo, hi = (torch.from_numpy(v) for v in self.target.box)
        if self.cfg.init == "box":
            return lo + (hi - lo) * torch.rand(n, d, generator=self.gen, dtype=torch.float64)
        mix = self.target.mixture
        if mix is None:
            centre, sd = torch.tensor([-2.0, 0.5], dtype=torch.float64), 0.3
        else:
            centre, sd = torch.tensor(mix.means[0], dtype=torch.float64), mix.stds[0]
        return centre + sd * torch.randn(n, d, generator=self.gen, dtype=torch.float64)

    # ---- the protocol ---------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        eta, log_p = self.cfg.step, self.target.log_and_score
        for _ in range(k):
            if self.cfg.mala:
                self.x, keep = sampler.mala(log_p, self.x, eta, self.gen)
                self.accepted[0] += float(keep.sum())
                self.accepted[1] += len(keep)
            else:
                self.x = sampler.ula(log_p, self.x, eta, self.gen)
            self.step += 1
            if self.step % self._every() == 0 or self.step == self.total:
                self._log()

    def _every(self) -> int:
        return max(1, self.total // 100)

    def _particles(self) -> np.ndarray:
        """The particles, a diverged one (too large a step: inf or NaN) parked far away, so the
        histogram counts it outside the box and the KL says so."""
        return np.clip(np.nan_to_num(self.x.numpy(), nan=BLOWN, posinf=BLOWN, neginf=-BLOWN), -BLOWN, BLOWN)

    def _log(self) -> None:
        m = self._measure()
        self.history["step"].append(self.step)
        self.history["kl"].append(m["kl"])
        self.history["mean_error"].append(m["mean_error"])

    def _measure(self) -> dict:
        x = self._particles()
        q = densities.histogram(x, self.bins["edges"])
        return {"kl": densities.kl_hist(q, self.bins["prob"]),
                "mean_error": float(np.linalg.norm(x.mean(0) - self.target.mean)), "hist": q}

    def _metrics(self) -> dict:
        m = self._measure()
        acc = self.accepted[0] / self.accepted[1] if self.accepted[1] else math.nan
        return {"steps": self.step, "kl": m["kl"], "mean_error": m["mean_error"], "acceptance": acc,
                "escaped": float(1.0 - m["hist"].sum()), "step_size": self.cfg.step}

    def _snapshot(self) -> dict:
        m = self._measure()
        return {"target": self.target.name, "dim": self.target.dim, "step": self.step, "total": self.total,
                "x": self._particles()[:SHOWN], "hist": m["hist"], "prob": self.bins["prob"],
                "edges": self.bins["edges"], "grid": self.target.grid, "box": self.target.box,
                "metrics": self._metrics(), "mala": self.cfg.mala,
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}
