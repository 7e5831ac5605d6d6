"""The score-matching experiment's config: the target, the objective (Hyvarinen's exact one,
denoising, sliced), the noise level of denoising, the score network and its training. No torch
at import."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import Config, opt
from lab.data import target_option

METHODS = ("exact", "denoising", "sliced")
LABELS = {"exact": "Exact (Hyvärinen, autograd divergence)", "denoising": "Denoising (Vincent 2011)",
          "sliced": "Sliced (Song et al. 2019)"}


@dataclass(frozen=True)
class ScoreConfig(Config):
    target: str = target_option.target("banana")
    method: str = opt("exact", "the objective: exact = E[|s|^2 / 2 + tr grad s]; denoising = "
                               "E|s(x + sigma eps) + eps / sigma|^2 / 2; sliced = E[|s|^2 / 2 + v' grad(v's)]",
                      choices=METHODS, group="Training", label="Objective")
    sigma: float = opt(0.1, "denoising noise level sigma (method denoising): it fits the score of p blurred "
                            "by N(0, sigma^2)", lo=1e-3, hi=5.0, group="Training", fmt="%.3f", step=0.01,
                       label="Noise sigma (denoising)")
    steps: int = opt(2000, "training steps", lo=1, hi=1_000_000, group="Training", label="Steps")
    batch: int = opt(256, "samples of p per step", lo=8, hi=8192, group="Training", label="Batch")
    lr: float = opt(3e-3, "Adam learning rate", lo=1e-6, hi=1.0, live=True, group="Training", fmt="%.5f",
                    label="Learning rate")
    width: int = opt(64, "hidden units per layer of the score network s(x)", lo=4, hi=512, group="Network")
    depth: int = opt(2, "hidden layers (SiLU: smooth, so tr grad s has a gradient)", lo=1, hi=6, group="Network")
    seed: int = opt(0, "random seed (the network's start, the samples)", lo=0, hi=2**31 - 1, group="Training", label="Seed")

    def check(self) -> None:
        target_option.check(self.target)
