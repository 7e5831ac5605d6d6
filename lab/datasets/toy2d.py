"""Two moons (the scikit-learn shape): a 2-D data set whose 1-D manifold a VAE's decoder
must bend itself onto, drawn against the data itself."""
from __future__ import annotations

import math

import torch

from lab.config import ConfigError


def two_moons(n: int, gen: torch.Generator, noise: float = 0.08) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 2) float32 points and (n,) int64 labels (0 upper moon, 1 lower moon), centred and
    scaled to unit-ish spread. Upper: (cos t, sin t); lower: (1 - cos t, 1/2 - sin t), t ~ U[0, pi]."""
    if n < 2:
        raise ConfigError(f"two_moons needs n >= 2, got {n}")
    labels = (torch.rand(n, generator=gen) < 0.5).long()
    t = math.pi * torch.rand(n, generator=gen)
    x = torch.where(labels == 0, torch.cos(t), 1.0 - torch.cos(t))
    y = torch.where(labels == 0, torch.sin(t), 0.5 - torch.sin(t))
    pts = torch.stack([x, y], 1) + noise * torch.randn(n, 2, generator=gen)
    # Centre (0.5, 0.25) and scale so each axis has spread ~1: the same lr suits both data sets.
    pts = (pts - torch.tensor([0.5, 0.25])) / torch.tensor([0.87, 0.5])
    return pts.float(), labels


def load_toy2d(split: str, seed: int = 0, n_train: int = 4000, n_test: int = 1000):
    """A fixed train/test pair: the test set comes from its own seed, never the train stream."""
    if split not in ("train", "test"):
        raise ConfigError(f"split={split!r} is not one of: train, test")
    g = torch.Generator().manual_seed(seed * 2 + (split == "test"))
    return two_moons(n_train if split == "train" else n_test, g)
