"""The Langevin experiment's config: which target, the step size eta, how many particles, and
whether a Metropolis-Hastings test corrects each step (MALA). No torch at import."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import Config, opt
from lab.data import target_option

INITS = ("box", "mode")


@dataclass(frozen=True)
class LangevinConfig(Config):
    target: str = target_option.target("ring")
    init: str = opt("box", "where the particles start: spread uniformly over the plotted box, or all in the "
                           "first component (one mode; the banana's lower left)", choices=INITS, group="Target",
                    label="Start")
    step: float = opt(0.002, "Langevin step size eta: x' = x + eta grad log p(x) + sqrt(2 eta) eps",
                      lo=1e-6, hi=5.0, live=True, group="Sampler", fmt="%.5f", step=0.001, label="Step size eta")
    mala: bool = opt(False, "Metropolis-adjusted (MALA): accept each proposal with the Metropolis-Hastings "
                            "probability, which removes the step size's bias", live=True, group="Sampler",
                     label="Metropolis correction (MALA)")
    steps: int = opt(500, "Langevin iterations", lo=1, hi=1_000_000, group="Sampler", label="Iterations")
    particles: int = opt(5000, "particles moved together (independent chains)", lo=10, hi=200_000,
                         group="Sampler", label="Particles")
    bins: int = opt(40, "histogram bins per axis for the KL to p", lo=5, hi=200, group="Sampler",
                    label="Histogram bins")
    seed: int = opt(0, "random seed (start and noise)", lo=0, hi=2**31 - 1, group="Sampler", label="Seed")

    def check(self) -> None:
        target_option.check(self.target)
