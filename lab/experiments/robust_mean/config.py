"""The robust-mean experiment's settings: Huber's model (the data), which estimators run, and
the GAN estimators' set-up (Gao, Liu, Yao, Zhu 2019: their public code's defaults).

The GANs' optimiser keys (`lr_d`, `lr_g`, `d_steps`) are recipe keys: None means the value of
the recipe in lab.gan.recipes (`js_gan` for JS-GAN and the hidden-layer-free JS-GAN, `tv_gan`
for TV-GAN; the two share SGD, lr D 0.2, lr G 0.02 and 5 D steps), a number overrides it for
every GAN. The learning rates are live: a running run takes them without a restart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lab.config import Config, ConfigError, opt
from lab.data.huber import KINDS, Contamination, Huber
from lab.experiments.robust_mean import estimators as est
from lab.experiments.robust_mean.gan_estimator import FIRST_ACTIVATIONS, GanSetup

# Which recipe (lab.gan.recipes) each GAN estimator trains with.
RECIPE_OF = {"js_gan": "js_gan", "tv_gan": "tv_gan", "js_linear": "js_gan"}
# Q's own keys, per kind of contamination (the page draws these under Data, then the seed).
Q_KEYS = {"far": ("q_mu",), "cauchy": ("q_mu",), "point": ("q_mu",), "near": ("near_mu",),
          "cluster": ("cluster_x", "cluster_y", "cluster_sd")}
MAX_CELLS = 20_000_000      # n * p: X is held in float32 and float64 (~240 MB at this size)

_LOC = dict(lo=-1e3, hi=1e3)


@dataclass(frozen=True)
class RobustMeanConfig(Config):
    # The recipe whose values the page shows for lr_d, lr_g and d_steps (TV-GAN's are the same).
    recipe: ClassVar[str] = "js_gan"

    n: int = opt(10_000, "sample size", lo=10, hi=100_000, group="Data", label="n (samples)", step=1000)
    p: int = opt(2, "dimension", lo=1, hi=1000, group="Data", label="p (dimension)")
    eps: float = opt(0.2, "contamination proportion", lo=0.0, hi=0.49, group="Data", label="eps (contamination)",
                     step=0.01)
    contamination: str = opt("far", "Q: " + "; ".join(f"{k}: {v}" for k, v in KINDS.items()), choices=tuple(KINDS),
                             group="Data", label="Contamination Q")
    theta: float = opt(0.0, "the true location is theta * 1_p", group="Data", label="theta (true location theta 1_p)",
                       **_LOC)
    seed: int = opt(0, "random seed: same seed, same data and same estimates", lo=0, hi=2**31 - 1, label="Seed")
    q_mu: float = opt(5.0, "far, cauchy, point: Q is centred at q_mu * 1_p", label="Q's centre q_mu (1_p)", **_LOC)
    near_mu: float = opt(0.5, "near: Q = N(near_mu * 1_p, I_p)", label="Q's centre near_mu (1_p)", **_LOC)
    cluster_x: float = opt(3.0, "cluster (p=2): x of the cluster's centre", label="cluster x", **_LOC)
    cluster_y: float = opt(-2.0, "cluster (p=2): y of the cluster's centre", label="cluster y", **_LOC)
    cluster_sd: float = opt(0.3, "cluster (p=2): the cluster's standard deviation", lo=0.0, hi=100.0,
                            label="cluster sd")
    estimators: str = opt("all", "comma list of " + ", ".join(est.ESTIMATORS) + "; all = every one that applies")
    trim: float = opt(0.2, "trimmed mean: share cut from each end of every coordinate", lo=0.0, hi=0.49,
                      group="Estimators", label="trimmed mean: share cut per end", step=0.01)
    hidden: str = opt("20", "GAN discriminator's hidden layer widths, comma list (authors: 20)", group="GAN",
                      label="Hidden widths")
    activation: str = opt("leaky_relu", "first hidden layer's features (the theorem covers sigmoid)",
                          choices=tuple(FIRST_ACTIVATIONS), group="GAN", label="First features")
    lr_d: float | None = opt(None, "discriminator SGD learning rate (recipe: 0.2)", lo=1e-6, hi=10.0, group="GAN",
                             live=True, recipe=True, label="lr D (SGD)", fmt="%.4f")
    lr_g: float | None = opt(None, "generator (eta) SGD learning rate (recipe: 0.02)", lo=1e-6, hi=10.0,
                             group="GAN", live=True, recipe=True, label="lr G (SGD)", fmt="%.4f")
    d_steps: int | None = opt(None, "discriminator steps per generator step (recipe: 5)", lo=1, hi=100, group="GAN",
                              recipe=True, label="D steps per G step")
    batch: int = opt(500, "minibatch size (authors: 500)", lo=2, hi=100_000, group="GAN", label="Batch", step=50)
    epochs: int = opt(150, "passes over the data (authors: 150)", lo=1, hi=100_000, group="GAN", label="Epochs")
    avg_epochs: int = opt(25, "eta is averaged over the last this many epochs, all of them if there are fewer "
                          "(authors: 25)", lo=0, hi=100_000,
                          group="GAN", label="Average eta over the last epochs")

    def check(self) -> None:
        if self.contamination == "cluster" and self.p != 2:
            raise ConfigError(f"contamination=cluster is a 2-D picture: it needs p=2, not p={self.p}")
        if self.n * self.p > MAX_CELLS:
            raise ConfigError(f"n * p = {self.n * self.p:,} is too large: keep it at most {MAX_CELLS:,} "
                              "(lower n or p)")
        self.names()
        self.widths()

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

    def gan(self, name: str) -> GanSetup:
        """The set-up of GAN estimator `name`: its recipe, this config's explicit keys on top."""
        return GanSetup(recipe=RECIPE_OF[name], hidden=() if name == "js_linear" else self.widths(),
                        activation=self.activation, lr_d=self.lr_d, lr_g=self.lr_g, d_steps=self.d_steps,
                        batch=self.batch, epochs=self.epochs, avg_epochs=self.avg_epochs)

    def q(self) -> Contamination:
        mu = self.near_mu if self.contamination == "near" else self.q_mu
        return Contamination(self.contamination, mu, (self.cluster_x, self.cluster_y), self.cluster_sd)

    def theta_vec(self) -> np.ndarray:
        return np.full(self.p, float(self.theta))

    def data(self) -> Huber:
        return Huber(self.p, self.eps, self.theta_vec(), self.q())
