"""Robust mean estimation under Huber contamination (note 002; Gao, Liu, Yao, Zhu, ICLR 2019).

Data X_1..X_n ~ (1 - eps) N(theta 1_p, I_p) + eps Q. The classical estimators are computed once
when the run is made; the GAN estimators (JS-GAN, TV-GAN, and the hidden-layer-free JS-GAN that
only matches means) train in lockstep, one step = k discriminator steps + 1 generator step.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from lab.config import ConfigError, check_choice, check_range, opt
from lab.device import generator
from lab.experiments import Experiment
from lab.robust import estimators as est
from lab.robust import theory
from lab.data.huber import KINDS, Contamination, sample_huber
from lab.robust.gan import FIRST_ACTIVATIONS, GanEstimator, GanRecipe, outlier_auc

N_SHOWN = 2500          # points drawn in the scatter (all of them are used for estimating)


@dataclass(frozen=True)
class RobustMeanConfig:
    n: int = opt(10_000, "sample size")
    p: int = opt(2, "dimension")
    eps: float = opt(0.2, "contamination proportion, in [0, 0.5)")
    theta: float = opt(0.0, "the true location is theta * 1_p")
    contamination: str = opt("far", "Q: " + "; ".join(f"{k}: {v}" for k, v in KINDS.items()))
    q_mu: float = opt(5.0, "far, cauchy, point: Q is centred at q_mu * 1_p")
    near_mu: float = opt(0.5, "near: Q = N(near_mu * 1_p, I_p)")
    cluster_x: float = opt(3.0, "cluster (p=2): x of the cluster's centre")
    cluster_y: float = opt(-2.0, "cluster (p=2): y of the cluster's centre")
    cluster_sd: float = opt(0.3, "cluster (p=2): the cluster's standard deviation")
    estimators: str = opt("all", "comma list of " + ", ".join(est.ESTIMATORS) + "; all = every one that applies")
    trim: float = opt(0.2, "trimmed mean: share cut from each end of every coordinate")
    hidden: str = opt("20", "GAN discriminator's hidden layer widths, comma list (authors: 20)")
    activation: str = opt("leaky_relu", "first hidden layer's features: " + ", ".join(FIRST_ACTIVATIONS))
    lr_d: float = opt(0.2, "discriminator SGD learning rate (authors: 0.2)")
    lr_g: float = opt(0.02, "generator (eta) SGD learning rate (authors: 0.02)")
    d_steps: int = opt(5, "discriminator steps per generator step (authors: 5)")
    batch: int = opt(500, "minibatch size (authors: 500)")
    epochs: int = opt(150, "passes over the data (authors: 150)")
    avg_epochs: int = opt(25, "eta is averaged over the last this many epochs (authors: 25)")
    seed: int = opt(0, "random seed: same seed, same data and same estimates")

    def __post_init__(self):
        check_range("n", self.n, 10, 1_000_000)
        check_range("p", self.p, 1, 1000)
        check_range("eps", self.eps, 0.0, 0.49)
        check_choice("contamination", self.contamination, KINDS)
        for key in ("theta", "q_mu", "near_mu", "cluster_x", "cluster_y"):
            check_range(key, getattr(self, key), -1e3, 1e3)
        check_range("cluster_sd", self.cluster_sd, 0.0, 100.0)
        check_range("trim", self.trim, 0.0, 0.49)
        if self.contamination == "cluster" and self.p != 2:
            raise ConfigError(f"contamination=cluster is a 2-D picture: it needs p=2, not p={self.p}")
        self.names()
        check_range("avg_epochs", self.avg_epochs, 0, self.epochs)
        self.recipe("js")

    def names(self) -> list[str]:
        return est.parse_names(self.estimators, self.p)

    def widths(self) -> tuple[int, ...]:
        try:
            widths = tuple(int(w) for w in self.hidden.split(",") if w.strip())
        except ValueError:
            raise ConfigError(f"hidden={self.hidden!r} is not a comma list of whole numbers, e.g. 20 or 20,10") from None
        if not widths or any(not 1 <= w <= 4096 for w in widths):
            raise ConfigError(f"hidden={self.hidden!r}: give one or more widths from 1 to 4096, e.g. 20")
        return widths

    def recipe(self, name: str) -> GanRecipe:
        return GanRecipe(loss="tv" if name == "tv_gan" else "js",
                         hidden=() if name == "js_linear" else self.widths(),
                         activation=self.activation, lr_d=self.lr_d, lr_g=self.lr_g, d_steps=self.d_steps,
                         batch=self.batch, epochs=self.epochs, avg_epochs=self.avg_epochs)

    def q(self) -> Contamination:
        mu = self.near_mu if self.contamination == "near" else self.q_mu
        return Contamination(self.contamination, mu, (self.cluster_x, self.cluster_y), self.cluster_sd)

    def theta_vec(self) -> np.ndarray:
        return np.full(self.p, float(self.theta))


def _plane(p: int) -> np.ndarray:
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


class RobustMeanRun:
    def __init__(self, cfg: RobustMeanConfig):
        self.cfg = cfg
        self.theta, self.q = cfg.theta_vec(), cfg.q()
        self.X, self.is_out = sample_huber(cfg.n, cfg.p, cfg.eps, self.theta, self.q, generator(cfg.seed))
        Xd = self.X.double().numpy()
        self.names = cfg.names()
        self.estimates: dict[str, np.ndarray] = {}
        self.seconds: dict[str, float] = {}
        options = {"trimmed_mean": {"trim": cfg.trim}, "tukey": {"seed": cfg.seed}}
        for name in self.names:
            if not est.ESTIMATORS[name].is_gan:
                t0 = time.perf_counter()
                self.estimates[name] = est.estimate(name, Xd, **options.get(name, {}))
                self.seconds[name] = time.perf_counter() - t0
        self.gans = {name: GanEstimator(self.X, cfg.recipe(name), cfg.seed)
                     for name in self.names if est.ESTIMATORS[name].is_gan}
        for name in self.gans:
            self.seconds[name] = 0.0
        self.plane = _plane(cfg.p)
        shown = torch.randperm(cfg.n, generator=generator(cfg.seed + 1))[:N_SHOWN]
        self.shown = Xd[shown.numpy()]
        self.shown_out = self.is_out[shown].numpy()
        self.lines = theory.lines(cfg.n, cfg.p, cfg.eps, self.theta, self.q)
        self.step = 0
        self.history: dict[str, list[float]] = {"step": [], **{f"{k}_error": [] for k in self.gans}}
        self.trail: dict[str, list[np.ndarray]] = {k: [g.current()] for k, g in self.gans.items()}
        self._log_every = max(1, self.total // 300)

    @property
    def total(self) -> int:
        return max((g.total for g in self.gans.values()), default=0)

    def advance(self, k: int) -> None:
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

    def current_estimates(self) -> dict[str, np.ndarray]:
        return {**self.estimates, **{k: g.estimate() for k, g in self.gans.items()}}

    def metrics(self) -> dict:
        errors = {k: float(np.linalg.norm(v - self.theta)) for k, v in self.current_estimates().items()}
        m = {"error": {k: errors[k] for k in self.names}, "seconds": dict(self.seconds),
             "steps": self.step, "n": self.cfg.n, "p": self.cfg.p, "eps": self.cfg.eps,
             "outliers": int(self.is_out.sum()), "theory": dict(self.lines)}
        m["outlier_auc"] = {k: outlier_auc(g, self.X, self.is_out) for k, g in self.gans.items()}
        return m

    def heat(self, name: str, lo: np.ndarray, hi: np.ndarray, size: int = 80) -> dict:
        """D's probability T(x) over a grid in the drawn plane (through the origin; in 2-D the
        plane is the whole space): bright where D finds 'more data than the generator'."""
        xs, ys = np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size)
        gx, gy = np.meshgrid(xs, ys)
        pts = np.stack([gx.ravel(), gy.ravel()], 1) @ self.plane          # (size^2, p)
        z = self.gans[name].prob(torch.from_numpy(pts)).numpy().reshape(size, size)
        return {"x": xs, "y": ys, "z": z, "name": name}

    def snapshot(self, heat_of: str | None = "js_gan") -> dict:
        """Projected points, estimates, eta's trail and D's map for the figures, plus metrics."""
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
            "metrics": self.metrics(), "history": {k: list(v) for k, v in self.history.items()},
        }


def _figures(run: RobustMeanRun) -> dict:
    from lab.figures.robust_mean import errors_figure, history_figure, scatter_figure
    snap = run.snapshot()
    figs = {"robust_mean": scatter_figure(snap), "robust_mean_errors": errors_figure(snap["metrics"])}
    if run.gans:
        figs["robust_mean_training"] = history_figure(snap)
    return figs


EXPERIMENT = Experiment(
    name="robust_mean",
    summary="Huber contamination: mean, medians, trimmed mean, Tukey median, JS-GAN and TV-GAN as robust estimators",
    config=RobustMeanConfig,
    make_run=RobustMeanRun,
    figures=_figures,
)
