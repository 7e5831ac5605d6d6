"""The Dirac-GAN's config (Mescheder, Geiger, Nowozin 2018, Sec. 2-3): how the two players
update (simultaneous or alternating gradient steps), which loss (lab.gan.objectives), which
regulariser, the step sizes, and where (theta, psi) starts. No torch here: the page draws its
opening before torch loads.

The page trains several variants side by side (`VARIANTS`): each one is this config with its
own `updates`, `objective`, `regularizer` and rates; the other keys are shared.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from lab.config import Config, names_from_link, opt

UPDATES = ("simultaneous", "alternating")
OBJECTIVES = ("minimax", "ns", "wasserstein")      # lab.gan.objectives names
REGULARIZERS = ("none", "r1", "noise", "gp", "consensus")


@dataclass(frozen=True)
class DiracConfig(Config):
    updates: str = opt("simultaneous", "simultaneous: both players step from the same point; alternating: D "
                                       "steps first, then G from D's new psi", choices=UPDATES)
    objective: str = opt("minimax", "the loss (lab.gan.objectives): minimax or ns (f(t) = -log(1 + e^-t)), "
                                    "wasserstein (f(t) = t)", choices=OBJECTIVES)
    regularizer: str = opt("none", "none; r1: gamma/2 |grad_x D|^2 on the data; noise: instance noise of std "
                                   "instance_noise; gp: WGAN-GP's gp_lambda (|grad_x D| - gp_target)^2; "
                                   "consensus: consensus optimisation with weight consensus", choices=REGULARIZERS)
    lr: float = opt(0.2, "step size h of plain gradient descent (G's; D's is ttur x lr)", lo=1e-4, hi=5.0,
                    group="Training", live=True, label="Step size h (lr)", step=0.05, fmt="%.4g")
    ttur: float = opt(1.0, "D's step size over G's (two time-scale update rule, Heusel et al. 2017); 1 = the same",
                      lo=0.01, hi=100.0, live=True, label="TTUR: D's lr / G's lr")
    steps: int = opt(300, "gradient steps (Play stops there)", lo=1, hi=100_000, group="Training", live=True,
                     label="Steps", step=50)
    theta0: float = opt(1.0, "where the generator's theta starts (the equilibrium is theta = psi = 0)", lo=-5.0,
                        hi=5.0, group="Start", label="Start theta0", step=0.25)
    psi0: float = opt(1.0, "where the discriminator's slope psi starts", lo=-5.0, hi=5.0, group="Start",
                      label="Start psi0", step=0.25)
    gamma: float = opt(0.3, "R1's weight gamma (regularizer=r1; the paper's 0.3)", lo=0.0, hi=10.0,
                       group="Regularisers", live=True, label="R1 weight gamma", step=0.1)
    instance_noise: float = opt(0.7, "std sigma of the Gaussian noise added to real and fake inputs of D "
                                     "(regularizer=noise; the paper's 0.7)", lo=0.0, hi=5.0, group="Regularisers",
                                live=True, label="Instance noise std sigma", step=0.1)
    noise_samples: int = opt(64, "noise draws per step for each of the real and the fake point (regularizer=noise)",
                             lo=1, hi=4096, group="Regularisers", label="Noise draws per step")
    gp_lambda: float = opt(0.35, "WGAN-GP's weight lambda (regularizer=gp); the paper's Dirac-GAN code adds "
                                 "0.7 (|psi| - g0) to D's field, which is lambda = 0.35", lo=0.0, hi=100.0,
                           group="Regularisers", live=True, label="WGAN-GP weight lambda", step=0.05)
    gp_target: float = opt(1.0, "the slope g0 that WGAN-GP's penalty asks of D (regularizer=gp; WGAN-GP's 1)",
                           lo=0.0, hi=5.0, group="Regularisers", live=True, label="WGAN-GP target slope g0",
                           step=0.1)
    consensus: float = opt(1.0, "consensus optimisation's weight (regularizer=consensus; Mescheder et al. 2017; "
                                "the paper's 1)", lo=0.0, hi=10.0, group="Regularisers", live=True,
                           label="Consensus weight", step=0.1)
    seed: int = opt(0, "random seed of the instance noise: same seed, same trajectory", lo=0, hi=2**31 - 1,
                    group="Start", label="Seed")


@dataclass(frozen=True)
class Variant:
    label: str
    keys: dict                 # the config keys it sets (updates, objective, regularizer, ttur)
    lr_scale: float = 1.0      # its step size as a multiple of the shared one


# The page's side-by-side set. The settings each variant does not name are the plain game's
# (simultaneous, minimax, no regulariser, ttur 1), so a variant differs from "simultaneous" in
# exactly what its name says.
PLAIN = {"updates": "simultaneous", "objective": "minimax", "regularizer": "none", "ttur": 1.0}
VARIANTS = {
    "simultaneous": Variant("Simultaneous GD", {}),
    "alternating": Variant("Alternating GD", {"updates": "alternating"}),
    "small_lr": Variant("Simultaneous, lr / 10", {}, lr_scale=0.1),
    "ttur": Variant("TTUR: D's lr x 4", {"ttur": 4.0}),
    "r1": Variant("R1 penalty", {"regularizer": "r1"}),
    "noise": Variant("Instance noise", {"regularizer": "noise"}),
    "consensus": Variant("Consensus optimisation", {"regularizer": "consensus"}),
    "wgan": Variant("WGAN, no penalty", {"objective": "wasserstein"}),
    "wgan_gp": Variant("WGAN-GP", {"objective": "wasserstein", "regularizer": "gp"}),
}
DEFAULT_VARIANTS = "simultaneous,alternating,r1,noise,consensus,wgan_gp"


def variant_config(base: DiracConfig, name: str) -> DiracConfig:
    """The shared settings of `base` with variant `name`'s own (ConfigError when its scaled step
    size leaves lr's bounds)."""
    v = VARIANTS[name]
    return dataclasses.replace(base, **(PLAIN | v.keys), lr=base.lr * v.lr_scale)


def variants_from_link(params: dict[str, str]) -> tuple[list[str], list[str]]:
    """The page's variants from its link's `variants=` (else the default set): (names, notices
    naming each unknown one)."""
    return names_from_link(params.get("variants", DEFAULT_VARIANTS), VARIANTS, DEFAULT_VARIANTS, "variant")


def label_of(cfg: DiracConfig) -> str:
    """A run's name when no variant names it (the command line): 'simultaneous, minimax, r1'."""
    return ", ".join([cfg.updates, cfg.objective, cfg.regularizer] + ([f"ttur {cfg.ttur:g}"] if cfg.ttur != 1 else []))
