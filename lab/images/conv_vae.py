"""A convolutional VAE (Kingma & Welling 2014; notes 000 and 001) built from the DCGAN blocks:
the encoder is the DCGAN discriminator with 2 * latent outputs (mu, log sigma^2), the decoder is
the DCGAN generator with logits out. Pixels in [0, 1] are scored by the Bernoulli
cross-entropy of note 000 (for grey-level or colour pixels this is the usual continuous
relaxation; the ELBO in nats is then a bound for the binarised data only).

    ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I))
    KL      = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)

The reparameterisation and the KL are lab.variational's, shared with the 2-D VAE.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lab.images.dcgan import Discriminator, Generator
from lab.variational import kl_diag_gaussians, reparameterise


class ConvVAE(nn.Module):
    def __init__(self, latent: int = 16, channels: int = 1, size: int = 28, width: int = 32):
        super().__init__()
        self.latent, self.channels, self.size = latent, channels, size
        self.encoder = Discriminator(channels, size, width, norm="bn", out=2 * latent)
        self.decoder = Generator(latent, channels, size, width, output="logits")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (n, C, H, W) in [0, 1] -> mu, log sigma^2, each (n, latent)."""
        h = self.encoder(2 * x - 1)          # the DCGAN blocks expect [-1, 1]
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 8.0)  # keeps exp() finite in half precision

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (n, latent) -> pixel probabilities (n, C, H, W) in [0, 1]."""
        return torch.sigmoid(self.decoder(z))

    def losses(self, x: torch.Tensor, gen: torch.Generator | None = None, beta: float = 1.0
               ) -> dict[str, torch.Tensor]:
        """Per-batch means (nats per image) of the reconstruction term, KL and the loss
        -ELBO_beta = recon + beta * KL, with one reparameterised sample z = mu + sigma * eps."""
        mu, logvar = self.encode(x)
        z = reparameterise(mu, logvar, gen)
        logits = self.decoder(z).float()
        recon = F.binary_cross_entropy_with_logits(logits, x.float(), reduction="none").flatten(1).sum(1)
        kl = kl_diag_gaussians(mu.float(), logvar.float())                              # (n,)
        return {"recon": recon.mean(), "kl": kl.mean(), "loss": (recon + beta * kl).mean()}

    def forward(self, x: torch.Tensor, gen: torch.Generator | None = None, beta: float = 1.0
                ) -> dict[str, torch.Tensor]:
        """`losses`, as the forward pass (what DistributedDataParallel hooks into)."""
        return self.losses(x, gen, beta)
