"""One robust-mean run: the data X_1..X_n ~ (1 - eps) N(theta 1_p, I_p) + eps Q, every classical
estimate (computed once, when the run is made) and the GAN estimators (JS-GAN, TV-GAN, and the
hidden-layer-free JS-GAN that only matches means), trained in lockstep: one step = d_steps
discriminator updates + one update of eta, for every GAN.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from lab.device import generator
from lab.experiments.robust_mean import estimators as est
from lab.experiments.robust_mean import theory
from lab.experiments.robust_mean.config import RobustMeanConfig
from lab.experiments.robust_mean.gan_estimator import GanEstimator, outlier_auc
from lab.run import Run

N_SHOWN = 2500          # points drawn in the scatter (all of them are used for estimating)
HEAT_SIZE = 80          # D's map: HEAT_SIZE x HEAT_SIZE points


def plane(p: int) -> np.ndarray:
    """(2, p) orthonormal basis of the plane drawn: the axes in 2-D; above, the direction 1_p
    in which theta and Q's centre both lie, and (e_1 - e_2)/sqrt(2) across it."""
    if p == 1:
        return np.array([[1.0], [0.0]])
    if p == 2:
        return np.eye(2)
    a = np.full(p, 1 / np.sqrt(p))
    b = np.zeros(p)
    b[0], b[1] = 1 / np.sqrt(2), -1 / np.sqrt(2)
    return np.stack([a, b])


def classical(name: str, Xd: np.ndarray, cfg: RobustMeanConfig, seed: int) -> np.ndarray:
    """A non-GAN estimate with the config's options (the trimmed share, Tukey's directions seed)."""
    options = {"trimmed_mean": {"trim": cfg.trim}, "tukey": {"seed": seed}}
    return est.estimate(name, Xd, **options.get(name, {}))


class RobustMeanRun(Run):
    experiment = "robust_mean"

    def __init__(self, cfg: RobustMeanConfig):
        super().__init__(cfg)
        self.theta = cfg.theta_vec()
        self.X, self.is_out = cfg.data().sample_marked(cfg.n, generator(cfg.seed))
        Xd = self.X.double().numpy()
        self.names = cfg.names()
        self.estimates: dict[str, np.ndarray] = {}
        self.seconds: dict[str, float] = {}
        for name in self.names:
            if not est.ESTIMATORS[name].is_gan:
                t0 = time.perf_counter()
                self.estimates[name] = classical(name, Xd, cfg, cfg.seed)
                self.seconds[name] = time.perf_counter() - t0
        self.gans = {name: GanEstimator(self.X, cfg.gan(name), cfg.seed)
                     for name in self.names if est.ESTIMATORS[name].is_gan}
        for name in self.gans:
            self.seconds[name] = 0.0
        self.plane = plane(cfg.p)
        shown = torch.randperm(cfg.n, generator=generator(cfg.seed + 1))[:N_SHOWN]
        self.shown = Xd[shown.numpy()]
        self.shown_out = self.is_out[shown].numpy()
        self.lines = theory.lines(cfg.n, cfg.p, cfg.eps, self.theta, cfg.q())
        self.history = {"step": [], **{f"{k}_error": [] for k in self.gans}}
        self.trail: dict[str, list[np.ndarray]] = {k: [g.current()] for k, g in self.gans.items()}
        self._log_every = max(1, self.total // 300)

    @property
    def total(self) -> int:
        return max((g.total for g in self.gans.values()), default=0)

    @property
    def gan_names(self) -> list[str]:
        """The GAN estimators' names (what a page lists; plain strings, so they cross to a worker)."""
        return list(self.gans)

    # ---- the protocol -----------------------------------------------------------------------
    def _advance(self, k: int, **options) -> None:
        for _ in range(k):
            if self.step >= self.total:
                return
            for name, g in self.gans.items():
                if not g.done:
                    t0 = time.perf_counter()
                    g.step(1)
                    self.seconds[name] += time.perf_counter() - t0
            self.step += 1
            if self.step % self._log_every == 0 or self.step == self.total:
                self.history["step"].append(self.step)
                for name, g in self.gans.items():
                    self.history[f"{name}_error"].append(float(np.linalg.norm(g.current() - self.theta)))
                    self.trail[name].append(g.current())

    def _retune(self, cfg: RobustMeanConfig) -> None:
        for g in self.gans.values():
            g.set_lr(cfg.lr_d, cfg.lr_g)

    def current_estimates(self) -> dict[str, np.ndarray]:
        return {**self.estimates, **{k: g.estimate() for k, g in self.gans.items()}}

    def _metrics(self) -> dict:
        errors = {k: float(np.linalg.norm(v - self.theta)) for k, v in self.current_estimates().items()}
        return {"error": {k: errors[k] for k in self.names}, "seconds": dict(self.seconds),
                "steps": self.step, "n": self.cfg.n, "p": self.cfg.p, "eps": self.cfg.eps,
                "outliers": int(self.is_out.sum()), "theory": dict(self.lines),
                "outlier_auc": {k: outlier_auc(g, self.X, self.is_out) for k, g in self.gans.items()}}

    def heat(self, name: str, lo: np.ndarray, hi: np.ndarray, size: int = HEAT_SIZE) -> dict:
        """D's probability T(x) over a grid in the drawn plane (through the origin; in 2-D the
        plane is the whole space): bright where D finds 'more data than the generator'."""
        xs, ys = np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size)
        gx, gy = np.meshgrid(xs, ys)
        pts = np.stack([gx.ravel(), gy.ravel()], 1) @ self.plane          # (size^2, p)
        z = self.gans[name].prob(torch.from_numpy(pts)).numpy().reshape(size, size)
        return {"x": xs, "y": ys, "z": z, "name": name}

    def _snapshot(self, heat_of: str | None = "js_gan") -> dict:
        """Projected points, estimates, eta's trail and D's map for the figures, plus metrics.
        A pure read: D is evaluated without gradients and no random number is drawn."""
        P = self.plane.T                                                  # (p, 2)
        pts = self.shown @ P
        estimates = {k: v @ P for k, v in self.current_estimates().items()}
        # 2-98% of the points (a Cauchy Q would stretch a min-max frame to the horizon), widened
        # to hold theta and every estimate.
        marks = np.array([self.theta @ P, *estimates.values()])
        lo = np.minimum(np.percentile(pts, 2, 0), marks.min(0))
        hi = np.maximum(np.percentile(pts, 98, 0), marks.max(0))
        pad = 0.1 * (hi - lo) + 0.5
        lo, hi = lo - pad, hi + pad
        heat_of = heat_of if heat_of in self.gans else next(iter(self.gans), None)
        return {
            "p": self.cfg.p, "step": self.step, "total": self.total, "contamination": self.cfg.contamination,
            "points": pts, "is_outlier": self.shown_out, "theta": self.theta @ P,
            "estimates": estimates,
            "trails": {k: np.array(v) @ P for k, v in self.trail.items()},
            "heat": None if heat_of is None else self.heat(heat_of, lo, hi),
            "metrics": self._metrics(), "history": {k: list(v) for k, v in self.history.items()},
        }

    # ---- state: the GANs' nets, eta and streams; the data is remade from the seed ---------------
    def _state(self) -> dict:
        return {"gans": {k: g.state() for k, g in self.gans.items()}, "seconds": dict(self.seconds),
                "trail": {k: torch.from_numpy(np.array(v)) for k, v in self.trail.items()}}

    def _load_state(self, state: dict) -> None:
        for k, g in self.gans.items():
            g.load_state(state["gans"][k])
        self.seconds.update({k: float(v) for k, v in state["seconds"].items()})
        self.trail = {k: list(v.double().numpy()) for k, v in state["trail"].items()}
