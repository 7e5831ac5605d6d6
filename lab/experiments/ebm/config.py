"""The contrastive-divergence EBM's config: the target, the energy network f (p_f = exp(f) / Z),
the Langevin negatives (short-run from noise, or persistent chains) and the training. No torch
at import."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import Config, opt
from lab.data import target_option


@dataclass(frozen=True)
class CDConfig(Config):
    target: str = target_option.target("bumps")
    persistent: bool = opt(False, "persistent chains (Tieleman 2008): the negatives continue from the last "
                                  "step's; off = short-run: fresh chains from uniform noise over the box every "
                                  "step (Nijkamp et al. 2019)", group="Negatives", label="Persistent chains")
    langevin_steps: int = opt(40, "Langevin steps per training step for the negatives", lo=1, hi=1000,
                              live=True, group="Negatives", label="Langevin steps K")
    step: float = opt(0.01, "Langevin step size eta of the negatives: x' = x + eta grad f(x) + sqrt(2 eta) eps",
                      lo=1e-6, hi=1.0, live=True, group="Negatives", fmt="%.4f", step=0.001,
                      label="Langevin step size eta")
    reinit: float = opt(0.05, "persistent chains only: the fraction restarted from noise each step "
                              "(Du & Mordatch 2019), so no chain stays stuck forever", lo=0.0, hi=1.0,
                        live=True, group="Negatives", fmt="%.2f", step=0.01, label="Restart fraction")
    steps: int = opt(1000, "training steps", lo=1, hi=1_000_000, group="Training", label="Steps")
    batch: int = opt(256, "data samples and negatives per step", lo=8, hi=8192, group="Training", label="Batch")
    lr: float = opt(3e-3, "Adam learning rate", lo=1e-6, hi=1.0, live=True, group="Training", fmt="%.5f",
                    label="Learning rate")
    alpha: float = opt(0.1, "weight of alpha E[f(x+)^2 + f(x-)^2] (Du & Mordatch 2019): the CD gradient "
                             "leaves f's additive constant free; this pins it near 0 and keeps f's values small",
                       lo=0.0, hi=10.0, live=True, group="Training", fmt="%.3f", step=0.01,
                       label="Magnitude penalty alpha")
    width: int = opt(64, "hidden units per layer of the energy network f(x)", lo=4, hi=512, group="Network")
    depth: int = opt(2, "hidden layers (SiLU: smooth, so grad f is smooth for Langevin)", lo=1, hi=6,
                     group="Network")
    seed: int = opt(0, "random seed (the network's start, the samples, the chains)", lo=0, hi=2**31 - 1,
                    group="Training", label="Seed")

    def check(self) -> None:
        target_option.check(self.target)
