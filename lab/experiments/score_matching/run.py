"""Score matching (note 003): a score network s(x) trained on samples of a target with an exact
density by one of three objectives; the Fisher divergence to the exact score is measured on the
target's fine grid, and the fitted field is drawn beside the exact one."""
from __future__ import annotations

import numpy as np
import torch

from lab import nets
from lab.data import densities
from lab.experiments.score_matching import objectives
from lab.run import Run

ARROWS = {1: 41, 2: 17}      # points per axis where the two fields are drawn


class ScoreRun(Run):
    experiment = "score_matching"
    state_attrs = ("net", "opt", "gen")

    def __init__(self, cfg):
        super().__init__(cfg)
        self.target = densities.resolve(cfg.target)
        d = self.target.dim
        torch.manual_seed(cfg.seed)
        self.net = nets.mlp(d, d, cfg.width, cfg.depth, activation="silu")
        # fused: one kernel for every parameter's update (torch.optim.Adam's own option)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr, fused=True)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        # The Fisher divergence is summed on every other point of the fine grid per axis (spacing
        # 0.06-0.1, a third of the narrowest preset's std or less), where p is not negligible.
        g = self.target.grid
        n = len(g["axes"][0])
        idx = np.arange(n)[::2]
        sub = idx if d == 1 else (idx[:, None] * n + idx[None, :]).ravel()
        p = g["p"][sub]
        keep = p > 1e-6 * p.max()
        self.points = torch.from_numpy(g["points"][sub][keep]).float()
        self.weights = torch.from_numpy(p[keep] / p[keep].sum()).float()
        self.exact = self.target.score(self.points.double()).float()
        self.fisher_init = self._fisher()
        self.history = {"step": [0], "fisher": [self.fisher_init], "loss": [float("nan")]}

    def _fisher(self) -> float:
        return objectives.fisher(self.net, self.points, self.exact, self.weights)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        method = self.cfg.method
        if method == "exact":
            return objectives.hyvarinen(self.net, x)
        if method == "denoising":
            return objectives.denoising(self.net, x, self.cfg.sigma, self.gen)
        return objectives.sliced(self.net, x, self.gen)

    # ---- the protocol ---------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        every = max(1, self.total // 100)
        for _ in range(k):
            x = self.target.sample(self.cfg.batch, self.gen).float()
            loss = self.loss(x)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.step += 1
            if self.step % every == 0 or self.step == self.total:
                self.history["step"].append(self.step)
                self.history["fisher"].append(self._fisher())
                self.history["loss"].append(float(loss.detach()))

    def _retune(self, cfg) -> None:
        for group in self.opt.param_groups:
            group["lr"] = cfg.lr

    def _metrics(self) -> dict:
        return {"steps": self.step, "fisher": self._fisher(), "fisher_init": self.fisher_init,
                "loss": self.history["loss"][-1]}

    def _snapshot(self) -> dict:
        lo, hi = self.target.box
        n = ARROWS[self.target.dim]
        axes = [np.linspace(l, h, n) for l, h in zip(lo, hi)]
        pts = axes[0][:, None] if self.target.dim == 1 else np.stack(np.meshgrid(*axes, indexing="xy"), -1).reshape(-1, 2)
        x = torch.from_numpy(pts)
        with torch.no_grad():
            fitted = self.net(x.float()).double().numpy()
        return {"target": self.target.name, "dim": self.target.dim, "method": self.cfg.method, "step": self.step,
                "total": self.total, "points": pts, "fitted": fitted, "exact": self.target.score(x).numpy(),
                "density": self.target.log_unnorm(x).exp().numpy(), "box": self.target.box,
                "grid": self.target.grid, "metrics": self._metrics(),
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}
