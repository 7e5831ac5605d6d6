"""The two training losses, both denoising score matching in disguise.

Noise-conditional score network (Song & Ermon 2019, eq. 5-6): with sigma drawn among the L levels,
    l(theta; sigma) = E |s(x + sigma eps, sigma) + eps / sigma|^2 / 2
(lab.experiments.score_matching.objectives.denoising at one sigma), weighted by lambda(sigma) =
sigma^2 so every level counts alike: sigma^2 l = E |sigma s(x~, sigma) + eps|^2 / 2.

DDPM (Ho et al. 2020, L_simple): E |eps - eps_theta(sqrt(abar_t) x + sqrt(1 - abar_t) eps, t)|^2.
With s = -eps_theta / sqrt(1 - abar_t) it is the sigma^2-weighted denoising loss again.
"""
from __future__ import annotations

from typing import Callable

import torch


def ncsn(score: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, sig: torch.Tensor,
         gen: torch.Generator) -> torch.Tensor:
    """sigma^2-weighted denoising score matching; sig (L,) the levels, one drawn per sample."""
    i = torch.randint(len(sig), (len(x),), generator=gen)
    s = sig[i][:, None]
    eps = torch.randn(x.shape, generator=gen, dtype=x.dtype)
    return 0.5 * ((s * score(x + s * eps, i) + eps) ** 2).sum(1).mean()


def ddpm(noise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x: torch.Tensor, abar: torch.Tensor,
         gen: torch.Generator) -> torch.Tensor:
    """L_simple; abar (T,), t drawn uniformly per sample."""
    t = torch.randint(len(abar), (len(x),), generator=gen)
    a = abar[t][:, None]
    eps = torch.randn(x.shape, generator=gen, dtype=x.dtype)
    return ((eps - noise(a.sqrt() * x + (1 - a).sqrt() * eps, t)) ** 2).sum(1).mean()
