"""Wasserstein vs Jensen-Shannon on disjoint supports (note 004; Arjovsky et al. 2017 Example 1;
note 000 sec. 1.3 for instance noise).

The generator is one number theta: the fakes are the real distribution shifted by theta
(lab.theta_gan). From theta0 the objectives race to 0: a JS-GAN with a strong discriminator
stalls while the supports are apart (JS = log 2 is flat), a Wasserstein critic walks theta to 0
(W1 = |theta| has slope 1), and instance noise gives JS a slope again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lab import disjoint
from lab.config import check_choice, check_range, opt
from lab.experiments import Experiment
from lab.theta_gan import FAMILIES, ThetaGAN

N_SHOWN = 200          # samples of each distribution drawn in the plane
# Steps at which D / the critic is kept for the "at earlier theta" picture: dense early, where
# a JS-GAN's D saturates, sparse later.
KEEP_AT = (1, 5, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)


def _defaults(key: str) -> str:
    return ", ".join(f"{name} {getattr(fam, key):g}" for name, fam in FAMILIES.items())


@dataclass(frozen=True)
class DisjointConfig:
    setup: str = opt("lines", "lines: P_0 = delta_0 x U[0,1] vs P_theta (disjoint); "
                              "gaussians: N(0, s^2) vs N(theta, s^2) along x (overlapping for s > 0)")
    theta0: float = opt(2.0, "where the generator's theta starts")
    sigma: float = opt(0.5, "s, the Gaussians' standard deviation (setup=gaussians)")
    objective: str = opt("wgan_gp", "what trains theta: " + ", ".join(FAMILIES))
    d_steps: int = opt(5, "discriminator / critic updates per theta step (k; WGAN's n_critic)")
    instance_noise: float = opt(0.0, "std of the Gaussian noise added to real and fake inputs of D")
    anneal: bool = opt(False, "instance noise decays linearly to 0 over the run")
    steps: int = opt(300, "theta steps")
    lr: float = opt(0.0, "theta's SGD learning rate; 0 = the objective's default (" + _defaults("theta_lr") + ")")
    d_lr: float = opt(0.0, "D / critic learning rate; 0 = the objective's default (" + _defaults("d_lr") + ")")
    batch: int = opt(64, "samples of each distribution per update (WGAN's m)")
    clip: float = opt(0.01, "weight clipping bound c (wgan_clip); WGAN's default 0.01")
    gp_lambda: float = opt(10.0, "gradient-penalty weight lambda (wgan_gp); WGAN-GP's default 10")
    gp_warmup: int = opt(100, "critic updates over which lambda ramps up from 0 (wgan_gp)")
    width: int = opt(64, "hidden units per layer of D / the critic")
    depth: int = opt(2, "hidden layers of D / the critic")
    seed: int = opt(0, "random seed: same seed, same trajectory")

    def __post_init__(self):
        check_choice("setup", self.setup, disjoint.SETUPS)
        check_choice("objective", self.objective, FAMILIES)
        check_range("theta0", self.theta0, -5.0, 5.0)
        check_range("sigma", self.sigma, 1e-3, 5.0)
        check_range("d_steps", self.d_steps, 1, 100)
        check_range("instance_noise", self.instance_noise, 0.0, 5.0)
        check_range("steps", self.steps, 0, 100_000)
        check_range("lr", self.lr, 0.0, 1000.0)
        check_range("d_lr", self.d_lr, 0.0, 1.0)
        check_range("batch", self.batch, 2, 4096)
        check_range("clip", self.clip, 1e-4, 10.0)
        check_range("gp_lambda", self.gp_lambda, 0.0, 1000.0)
        check_range("gp_warmup", self.gp_warmup, 0, 1_000_000)
        check_range("width", self.width, 1, 512)
        check_range("depth", self.depth, 0, 6)


class DisjointRun:
    def __init__(self, cfg: DisjointConfig):
        self.cfg = cfg
        self.gan = ThetaGAN(cfg.setup, cfg.sigma, cfg.theta0, cfg.objective, d_steps=cfg.d_steps,
                            batch=cfg.batch, lr=cfg.lr, d_lr=cfg.d_lr, clip=cfg.clip,
                            gp_lambda=cfg.gp_lambda, gp_warmup=cfg.gp_warmup, width=cfg.width,
                            depth=cfg.depth, seed=cfg.seed)
        self.step = 0
        self.history: dict[str, list[float]] = {"step": [], "theta": [], "grad": [], "d_loss": [], "noise": []}
        self.kept: list[dict] = []     # D / critic along x at the steps in KEEP_AT

    @property
    def total(self) -> int:
        return self.cfg.steps

    @property
    def theta(self) -> float:
        return float(self.gan.theta)

    def noise(self) -> float:
        """Instance-noise std at the current step (linear annealing to 0 when asked)."""
        std = self.cfg.instance_noise
        if self.cfg.anneal and self.cfg.steps > 0:
            std *= max(0.0, 1.0 - self.step / self.cfg.steps)
        return std

    def advance(self, k: int) -> None:
        for _ in range(k):
            noise = self.noise()
            out = self.gan.step(noise)
            self.step += 1
            h = self.history
            h["step"].append(self.step)
            h["theta"].append(out["theta"])
            h["grad"].append(out["grad"])
            h["d_loss"].append(out["d_loss"])
            h["noise"].append(noise)
            if self.step in KEEP_AT:
                gap = self.gan.across_gap(self._gap_axis())
                self.kept.append({"step": self.step, "theta": self.theta, "x": gap["x"], "value": gap["value"]})

    def _exact_at(self, theta: float) -> dict[str, float]:
        return {k: float(v) for k, v in disjoint.exact(self.cfg.setup, theta, self.cfg.sigma).items()}

    def _gap_axis(self) -> np.ndarray:
        # Spans the start, the target and theta now, so the picture never loses either line.
        lo = min(0.0, self.cfg.theta0, self.theta) - 1.0
        hi = max(0.0, self.cfg.theta0, self.theta) + 1.0
        return np.linspace(lo, hi, 241)

    def metrics(self) -> dict:
        cfg, theta = self.cfg, self.theta
        start, end = self._exact_at(cfg.theta0), self._exact_at(theta)
        m = {"steps": self.step, "theta0": cfg.theta0, "theta_final": theta,
             "moved": abs(theta - cfg.theta0) / abs(cfg.theta0) if cfg.theta0 != 0 else math.nan}
        m.update({f"{k}_exact": v for k, v in start.items()})
        m.update({f"{k}_final": v for k, v in end.items()})
        m["push"] = self.gan.push(self.noise())
        m["lipschitz"] = self.gan.across_gap(self._gap_axis())["lipschitz"]
        m["lr"], m["d_lr"], m["noise"] = self.gan.lr, self.gan.d_lr, self.noise()
        return m

    def snapshot(self) -> dict:
        gap = self.gan.across_gap(self._gap_axis())
        m = self.metrics()
        # The fixed evaluation points, with this step's instance noise: what D sees.
        pts = (self.gan.eval_base + self.noise() * self.gan.eval_noise)[:2 * N_SHOWN].numpy()
        real, fake = pts[:N_SHOWN], pts[N_SHOWN:].copy()
        fake[:, 0] += self.theta
        fam = FAMILIES[self.cfg.objective]
        return {"objective": self.cfg.objective, "label": fam.label, "setup": self.cfg.setup,
                "sigma": self.cfg.sigma, "theta0": self.cfg.theta0, "theta": self.theta, "step": self.step,
                "probabilistic": self.gan.objective.probabilistic, "gap_x": gap["x"], "gap_value": gap["value"],
                "real": real, "fake": fake, "metrics": m, "kept": list(self.kept),
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}


def _figures(run: DisjointRun) -> dict:
    from lab.figures import disjoint as figs
    snap = run.snapshot()
    cfg = run.cfg
    return {"divergences": figs.divergences(cfg.setup, cfg.sigma, snap["theta"]),
            "samples": figs.samples({snap["label"]: snap}),
            "trajectories": figs.trajectories({snap["label"]: snap}),
            "gap": figs.across_gap({snap["label"]: snap}),
            "earlier": figs.earlier({snap["label"]: snap})}


EXPERIMENT = Experiment(
    name="disjoint",
    summary="Learn theta on disjoint supports (parallel lines, thin Gaussians): JS-GANs vs WGAN critics, instance noise",
    config=DisjointConfig,
    make_run=DisjointRun,
    figures=_figures,
)
