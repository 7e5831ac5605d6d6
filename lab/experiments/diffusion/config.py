"""The diffusion experiment's config: the target, the noise levels of the noise-conditional score
network and of the DDPM, the samplers, the three networks (the same for each) and their training.
No torch at import."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import Config, ConfigError, opt
from lab.data import target_option

# Song & Ermon 2019's toy (Fig. 3): two modes of unequal weight far apart. Langevin started
# over the box splits the particles by the basins, about half and half, and keeps that split.
TOY = "uneven"            # lab.data.densities: 0.2*N((-5,-5),1)+0.8*N((5,5),1)
# Network evaluations of one point in one read-out, summed over the samples: the defaults' 3 million
# take about a second; this many, about ten (the run's lock is held while it samples).
READOUT_BUDGET = 30_000_000


@dataclass(frozen=True)
class DiffusionConfig(Config):
    target: str = target_option.target(TOY, "; the default is Song & Ermon 2019's toy (their Fig. 3)")
    levels: int = opt(10, "noise levels L of the noise-conditional score network, geometric from sigma_max "
                          "down to sigma_min (Song & Ermon 2019)", lo=1, hi=100, group="Target", label="Noise levels L")
    sigma_max: float = opt(10.0, "largest noise level sigma_1: about the distance between the modes, so the "
                                "noised density joins them", lo=0.01, hi=50.0, group="Noise", fmt="%.2f",
                           step=0.5, label="Largest sigma_1")
    sigma_min: float = opt(0.1, "smallest noise level sigma_L, also the single-level baseline's: small "
                                 "against the modes' widths", lo=0.001, hi=5.0, group="Noise", fmt="%.3f",
                           step=0.01, label="Smallest sigma_L")
    ddpm_steps: int = opt(500, "DDPM chain length T (linear beta schedule, 1e-4 to 0.02 at T = 1000): its own "
                                "key, since a DDPM step is one reverse step, not a noise level; T = L x Langevin "
                                "steps per level gives both samplers the same network calls", lo=2, hi=5000,
                          group="Noise", label="DDPM steps T")
    per_level: int = opt(50, "Langevin steps at each noise level (the single-level baseline takes L times as "
                              "many at sigma_L)", lo=1, hi=5000, group="Sampler", label="Langevin steps per level")
    eps: float = opt(2e-3, "Langevin step at the smallest level; level i steps eps sigma_i^2 / sigma_L^2 (Song & "
                           "Ermon 2019: eps = 2e-5 at sigma_L = 0.01, the same eps / sigma_L^2 = 0.2 as here)",
                     lo=1e-8, hi=1.0, group="Sampler", fmt="%.6f", step=1e-4, label="Step size eps")
    samples: int = opt(2000, "samples each sampler draws for the read-out", lo=10, hi=50_000, group="Sampler",
                       label="Samples")
    readouts: int = opt(10, "how many times over the training each sampler draws its samples for the KL "
                            "(each read-out costs about as much as 20-50 training steps)", lo=1, hi=200,
                        live=True, group="Sampler", label="Read-outs")
    bins: int = opt(40, "histogram bins per axis for the KL to p", lo=5, hi=200, group="Sampler",
                    label="Histogram bins")
    steps: int = opt(2000, "training steps, the same for each of the three networks", lo=1, hi=1_000_000,
                     group="Training", label="Training steps")
    batch: int = opt(256, "samples of p per training step", lo=8, hi=8192, group="Training", label="Batch")
    lr: float = opt(1e-3, "Adam learning rate (all three networks)", lo=1e-6, hi=1.0, live=True, group="Training",
                    fmt="%.5f", label="Learning rate")
    width: int = opt(64, "hidden units per layer (each network)", lo=4, hi=512, group="Network")
    depth: int = opt(2, "hidden layers (SiLU)", lo=1, hi=6, group="Network")
    seed: int = opt(0, "random seed (networks, training samples, samplers)", lo=0, hi=2**31 - 1,
                    group="Training", label="Seed")

    def check(self) -> None:
        target_option.check(self.target)
        if self.levels > 1 and self.sigma_max <= self.sigma_min:
            raise ConfigError(f"sigma_max={self.sigma_max:g} must be larger than sigma_min={self.sigma_min:g}")
        cost = self.samples * (2 * self.levels * self.per_level + self.ddpm_steps)
        if cost > READOUT_BUDGET:
            raise ConfigError(f"samples x (2 x levels x per_level + ddpm_steps) = {cost:,} network evaluations per "
                              f"read-out, more than {READOUT_BUDGET:,} (about 10 s): use fewer samples, levels, "
                              f"Langevin steps per level or DDPM steps")
