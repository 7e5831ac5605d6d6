"""An energy-based model p_f = exp(f) / Z trained by contrastive divergence (note 003) on a target
with an exact density: Langevin negatives, short-run from noise or persistent; the learned
density is normalised on the target's fine grid and compared with p by KL over training."""
from __future__ import annotations

import numpy as np
import torch

from lab import nets
from lab.data import densities
from lab.experiments.ebm import cd
from lab.run import Run

SHOWN = 500           # negatives drawn on the page


class CDRun(Run):
    experiment = "ebm"
    state_attrs = ("f", "opt", "gen", "chains")

    def __init__(self, cfg):
        super().__init__(cfg)
        self.target = densities.resolve(cfg.target)
        d = self.target.dim
        torch.manual_seed(cfg.seed)
        self.f = nets.mlp(d, 1, cfg.width, cfg.depth, activation="silu")
        # Adam with beta1 = 0 (Du & Mordatch 2019): the CD gradient's sign flips as the negatives
        # catch up with the data, and momentum overshoots it.
        # fused: one kernel for every parameter's update (torch.optim.Adam's own option).
        self.opt = torch.optim.Adam(self.f.parameters(), lr=cfg.lr, betas=(0.0, 0.999), fused=True)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        lo, hi = (torch.from_numpy(v).float() for v in self.target.box)
        self.lo, self.span = lo, hi - lo
        self.chains = self._noise(cfg.batch)
        g = self.target.grid
        self.points = torch.from_numpy(g["points"]).float()
        self.log_p = self.target.log_unnorm(torch.from_numpy(g["points"])) - np.log(g["z"])
        self.history = {"step": [], "kl": [], "kl_reverse": [], "log_z": [], "gap": []}
        self._log(float("nan"))

    def _noise(self, n: int) -> torch.Tensor:
        """Uniform over the target's box: where every chain starts."""
        return self.lo + self.span * torch.rand(n, self.target.dim, generator=self.gen)

    def negatives(self) -> torch.Tensor:
        cfg = self.cfg
        if cfg.persistent:
            start = self.chains.clone()
            fresh = torch.rand(len(start), generator=self.gen) < cfg.reinit
            start[fresh] = self._noise(int(fresh.sum()))
        else:
            start = self._noise(cfg.batch)
        self.chains = cd.langevin(self.f, start, cfg.langevin_steps, cfg.step, self.gen, (self.lo, self.lo + self.span))
        return self.chains

    def train_step(self) -> float:
        x_pos = self.target.sample(self.cfg.batch, self.gen).float()
        x_neg = self.negatives()
        loss = cd.loss(self.f, x_pos, x_neg, self.cfg.alpha)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return float(loss.detach())

    # ---- the protocol ---------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        every = max(1, self.total // 100)
        for _ in range(k):
            loss = self.train_step()
            self.step += 1
            if self.step % every == 0 or self.step == self.total:
                self._log(loss)

    def _measure(self) -> dict:
        log_z, log_q = cd.normalised(self.f, self.points, self.target.grid["area"])
        kl, rev = cd.kls(log_q, self.log_p, self.target.grid["area"])
        return {"kl": kl, "kl_reverse": rev, "log_z": log_z, "log_q": log_q}

    def _log(self, loss: float) -> None:
        m = self._measure()
        h = self.history
        h["step"].append(self.step)
        for key in ("kl", "kl_reverse", "log_z"):
            h[key].append(m[key])
        h["gap"].append(-loss if self.cfg.alpha == 0 else float("nan"))

    def _retune(self, cfg) -> None:
        for group in self.opt.param_groups:
            group["lr"] = cfg.lr

    def _metrics(self) -> dict:
        m = self._measure()
        return {"steps": self.step, "kl": m["kl"], "kl_reverse": m["kl_reverse"], "log_z": m["log_z"],
                "diverged": float(not np.isfinite(m["log_z"]))}

    def _snapshot(self) -> dict:
        m = self._measure()
        neg = self.chains[:SHOWN].double().numpy()
        return {"target": self.target.name, "dim": self.target.dim, "step": self.step, "total": self.total,
                "persistent": self.cfg.persistent, "grid": self.target.grid, "box": self.target.box,
                "learned": np.exp(m["log_q"].numpy()), "negatives": neg,
                "metrics": self._metrics(),
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}
