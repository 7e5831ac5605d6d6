"""Wasserstein vs Jensen-Shannon on disjoint supports (note 004; Arjovsky et al. 2017 Example 1;
note 000 sec. 1.3 for instance noise): the run the page, the command line and the tests drive.

The generator is one number theta: the fakes are the real distribution shifted by theta
(trainer.ThetaGAN). From theta0 the recipes race to 0: a JS-GAN with a strong discriminator
stalls while the supports are apart (JS = log 2 is flat), a Wasserstein critic walks theta to 0
(W1 = |theta| has slope 1), and instance noise gives JS a slope again.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from lab.experiments.disjoint import closed_forms
from lab.experiments.disjoint.config import LABELS
from lab.experiments.disjoint.trainer import ThetaGAN
from lab.run import Run

# Samples of each distribution drawn in the plane: 80 show a line or a noisy cloud as well as
# 200 did, and the browser redraws 5 x 80 SVG markers each tick instead of 5 x 200 (its main
# thread was busy 8 s of 10 while playing with 200, ~6 s with 80; a Pause click waits for it).
N_SHOWN = 80
GAP_POINTS = 241       # where D / the critic is read along x
# Steps at which D / the critic is kept for the "at earlier steps" picture: dense early, where
# a JS-GAN's D saturates, sparse later.
KEEP_AT = (1, 5, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)


class DisjointRun(Run):
    experiment = "disjoint"

    def __init__(self, cfg):
        super().__init__(cfg)
        self.gan = ThetaGAN(cfg)
        self.history = {"step": [], "theta": [], "grad": [], "d_loss": [], "noise": []}
        self.kept: list[dict] = []     # D / critic along x at the steps in KEEP_AT

    @property
    def theta(self) -> float:
        return float(self.gan.theta)

    def noise(self, step: int | None = None) -> float:
        """Instance-noise std at `step` (default: now): linear fall to 0 over noise_anneal steps."""
        step = self.step if step is None else step
        std, over = self.cfg.instance_noise, self.cfg.anneal_steps()
        return std * max(0.0, 1.0 - step / over) if over > 0 else std

    # ---- the protocol ---------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        h = self.history
        for _ in range(k):
            noise = self.noise()
            out = self.gan.step(noise)
            self.step += 1
            h["step"].append(self.step)
            h["theta"].append(out["theta"])
            h["grad"].append(out["grad"])
            h["d_loss"].append(out["d_loss"])
            h["noise"].append(noise)
            if self.step in KEEP_AT:
                gap = self.gan.across_gap(self._gap_axis())
                self.kept.append({"step": self.step, "theta": self.theta, "x": gap["x"], "value": gap["value"]})

    def _retune(self, cfg) -> None:
        self.gan.retune(cfg)

    def _metrics(self, gap: dict | None = None) -> dict:
        cfg, theta = self.cfg, self.theta
        start, end = self._exact_at(cfg.theta0), self._exact_at(theta)
        m = {"steps": self.step, "theta0": cfg.theta0, "theta_final": theta,
             "moved": abs(theta - cfg.theta0) / abs(cfg.theta0) if cfg.theta0 != 0 else math.nan}
        m.update({f"{k}_exact": v for k, v in start.items()})
        m.update({f"{k}_final": v for k, v in end.items()})
        m["push"] = self.gan.push(self.noise())
        m["lipschitz"] = (gap or self.gan.across_gap(self._gap_axis()))["lipschitz"]
        m["lr_g"], m["lr_d"], m["d_steps"] = self.gan.lr_g, self.gan.lr_d, self.gan.recipe.d_steps
        m["noise"] = self.noise()
        return m

    def _snapshot(self) -> dict:
        gap = self.gan.across_gap(self._gap_axis())
        m = self._metrics(gap)
        # The fixed evaluation points, with this step's instance noise: what D sees.
        pts = (self.gan.eval_base + self.noise() * self.gan.eval_noise)[:2 * N_SHOWN].numpy()
        real, fake = pts[:N_SHOWN], pts[N_SHOWN:].copy()
        fake[:, 0] += self.theta
        return {"recipe": self.cfg.recipe, "label": LABELS[self.cfg.recipe], "setup": self.cfg.setup,
                "sigma": self.cfg.sigma, "theta0": self.cfg.theta0, "theta": self.theta, "step": self.step,
                "total": self.total, "probabilistic": self.gan.objective.probabilistic,
                "gap_x": gap["x"], "gap_value": gap["value"], "real": real, "fake": fake, "metrics": m,
                "kept": list(self.kept),
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}

    def _state(self) -> dict:
        kept = [{"step": k["step"], "theta": k["theta"], "x": torch.from_numpy(k["x"]),
                 "value": torch.from_numpy(k["value"])} for k in self.kept]
        return {**self.gan.state(), "kept": kept}

    def _load_state(self, state: dict) -> None:
        self.gan.load_state(state)
        self.kept = [{"step": int(k["step"]), "theta": float(k["theta"]), "x": k["x"].numpy(),
                      "value": k["value"].numpy()} for k in state["kept"]]

    # ---- helpers --------------------------------------------------------------------------------
    def _exact_at(self, theta: float) -> dict[str, float]:
        return {k: float(v) for k, v in closed_forms.exact(self.cfg.setup, theta, self.cfg.sigma).items()}

    def _gap_axis(self) -> np.ndarray:
        # Spans the start, the target and theta now, so the picture never loses either line.
        lo = min(0.0, self.cfg.theta0, self.theta) - 1.0
        hi = max(0.0, self.cfg.theta0, self.theta) + 1.0
        return np.linspace(lo, hi, GAP_POINTS)
