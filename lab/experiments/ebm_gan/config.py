"""The GAN-as-EBM experiment's config: the target, the mode (the variational identity with a
Gaussian q, or the entropy-regularised min-max with an energy net f and a flow q), the two
players' learning rates in the GAN kit's names (lr_d for f, lr_g for q), f's steps per q step, an
optional energy penalty on f, the nets' sizes. No torch at import."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import Config, opt
from lab.data import target_option

MODES = ("minmax", "identity")
MODE_LABELS = {"minmax": "Min-max: energy f vs flow q", "identity": "Identity: Gaussian q, fixed f = log p"}


@dataclass(frozen=True)
class EbmGanConfig(Config):
    target: str = target_option.target("banana")
    mode: str = opt("minmax", "identity: f = the target's log p~ is fixed and a Gaussian q climbs E_q f + H(q) "
                              "up to log Z (exactly for a Gaussian target); minmax: max_f min_q "
                              "E_p f - E_q f - H(q) with an energy net f and a flow q",
                    choices=MODES, group="Target", label="Mode")
    steps: int = opt(3000, "training steps (one q step and d_steps f steps each)", lo=1, hi=1_000_000,
                     group="Training", label="Steps")
    lr_d: float = opt(1e-3, "Adam learning rate of the energy f (the discriminator's place; minmax)",
                      lo=1e-6, hi=1.0, live=True, group="Training", fmt="%.5f", label="lr_d (energy f)")
    lr_g: float = opt(3e-3, "Adam learning rate of q (the generator: the flow, or the Gaussian in identity mode)",
                      lo=1e-6, hi=1.0, live=True, group="Training", fmt="%.5f", label="lr_g (sampler q)")
    d_steps: int = opt(1, "updates of f per update of q (minmax)", lo=1, hi=20, live=True, group="Training",
                       label="f steps per q step")
    alpha: float = opt(0.0, "energy penalty: f also minimises alpha (E_p f^2 + E_q f^2) (Du & Mordatch 2019); "
                            "keeps f's values in check where q lags (two far bumps), at the price of a flatter f",
                       lo=0.0, hi=10.0, live=True, group="Training", fmt="%.3f", step=0.05,
                       label="Energy penalty alpha")
    batch: int = opt(256, "samples of p and of q per step", lo=8, hi=8192, group="Training", label="Batch")
    width: int = opt(64, "hidden units per layer of f (two layers, SiLU) and of each coupling net",
                     lo=4, hi=512, group="Networks", label="Width")
    layers: int = opt(4, "flow layers: affine couplings (2-D) or monotone tanh maps (1-D)", lo=1, hi=12,
                      group="Networks", label="Flow layers")
    seed: int = opt(0, "random seed (the nets' start, the samples)", lo=0, hi=2**31 - 1, group="Training",
                    label="Seed")

    def check(self) -> None:
        target_option.check(self.target)
