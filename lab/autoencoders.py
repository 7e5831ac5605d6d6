"""The deterministic end of note 002's story: PCA (a linear latent model) and a plain MLP
autoencoder, each with a k-dimensional code, to set beside the VAE on the same data.

PCA: z = W^T (x - m) with W the top-k right singular vectors of the centred data; the
reconstruction m + W z is the best rank-k linear one in squared error (Eckart-Young).
Autoencoder: the VAE's encoder/decoder shapes with no noise and no KL, trained on the same
Bernoulli/BCE (or Gaussian) reconstruction loss, so its error is in the same nats.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lab.nets import mlp


class PCA:
    """Fitted once, exactly, in float64; `encode`/`decode` map (n, D) <-> (n, k).

    The components are the top-k eigenvectors of the (D, D) sample covariance, which are the
    top right singular vectors of the centred data: the same answer as an SVD of the (n, D)
    data, ~4x faster for 4,000 digits (0.2 vs 0.9 s on one thread), so a new run starts sooner."""

    def __init__(self, x: torch.Tensor, k: int):
        x64 = x.double()
        self.mean = x64.mean(0)
        xc = x64 - self.mean
        cov = xc.T @ xc / max(len(x) - 1, 1)                            # (D, D)
        evals, evecs = torch.linalg.eigh(cov)                           # ascending
        top = evals.flip(0)[:k].clamp_min(0.0)
        self.components = evecs.flip(1)[:, :k].T.contiguous()          # (k, D), orthonormal rows
        self.explained_variance = top
        self.total_variance = float(evals.clamp_min(0.0).sum())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.double() - self.mean) @ self.components.T).float()

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return (z.double() @ self.components + self.mean).float()


class Autoencoder(nn.Module):
    """x -> z = f(x) -> g(z); `bernoulli` makes g's output logits (sigmoid for the image)."""

    def __init__(self, n_in: int, latent: int, width: int, depth: int = 2,
                 likelihood: str = "bernoulli", activation: str = "relu"):
        super().__init__()
        self.likelihood = likelihood
        self.encoder = mlp(n_in, latent, width, depth, activation)
        self.decoder = mlp(latent, n_in, width, depth, activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        out = self.decoder(z)
        return torch.sigmoid(out) if self.likelihood == "bernoulli" else out

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean reconstruction loss per example: BCE summed over pixels, or squared error."""
        out = self.decoder(self.encoder(x))
        if self.likelihood == "bernoulli":
            return F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(-1).mean()
        return ((out - x) ** 2).sum(-1).mean()


def squared_error(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """Mean over examples of sum_j (x_j - x_hat_j)^2: the one error all three models share."""
    return float(((x - x_hat) ** 2).sum(-1).mean())


def bce(x: torch.Tensor, p_hat: torch.Tensor, eps: float = 1e-4) -> float:
    """Mean BCE in nats per example; p_hat clipped into (0, 1), since PCA's output can leave it."""
    p = p_hat.clamp(eps, 1 - eps)
    return float(F.binary_cross_entropy(p, x, reduction="none").sum(-1).mean())
