"""The convolutional VAE's keys: the data and model keys every image experiment has
(ImageConfig), the latent size, Adam's rate and the KL weight."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import opt
from lab.images.config import ImageConfig


@dataclass(frozen=True)
class ImageVAEConfig(ImageConfig):
    latent: int = opt(16, "latent dimension", lo=1, hi=1024, group="Model", label="Latent dimension")
    lr: float = opt(1e-3, "Adam learning rate", lo=1e-6, hi=1.0, group="Training", live=True, label="Learning rate",
                    fmt="%.5f")
    beta: float = opt(1.0, "weight of the KL term (beta-VAE; 1 = the ELBO)", lo=0.0, hi=100.0, group="Training",
                      live=True, label="beta (KL weight)", step=0.1)

    aliases = {"z_dim": "latent"}
