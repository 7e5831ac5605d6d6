"""One step of unadjusted Langevin (ULA) and of its Metropolis-adjusted version (MALA) for many
particles at once (Roberts & Tweedie 1996):

    x' = x + eta grad log p(x) + sqrt(2 eta) eps,      eps ~ N(0, I)

Note 003 writes the update without the x on the right; the chain moves from where it is.
ULA's stationary law is not p for eta > 0 (on N(mu, s^2) it is N(mu, s^2 / (1 - eta / (2 s^2))));
MALA treats x' as a proposal with density q(x'|x) = N(x'; x + eta grad log p(x), 2 eta I) and
keeps it with probability min(1, p(x') q(x|x') / (p(x) q(x'|x))), which makes p exactly invariant.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

# x -> ((n,) log p~(x), (n, d) grad log p(x)), e.g. lab.data.densities.Target.log_and_score
LogAndScore = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def ula(log_and_score: LogAndScore, x: torch.Tensor, eta: float, gen: torch.Generator) -> torch.Tensor:
    _, g = log_and_score(x)
    # sqrt(2 eta) eps + eta g + x, built in place on the fresh noise: three ops instead of five
    return torch.randn(x.shape, generator=gen, dtype=x.dtype).mul_(math.sqrt(2 * eta)).add_(g, alpha=eta).add_(x)


def mala(log_and_score: LogAndScore, x: torch.Tensor, eta: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(new particles, accepted mask)."""
    lp_x, g_x = log_and_score(x)
    y = x + eta * g_x + math.sqrt(2 * eta) * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    lp_y, g_y = log_and_score(y)
    log_q_yx = -((y - x - eta * g_x) ** 2).sum(1) / (4 * eta)      # log q(y | x) + const
    log_q_xy = -((x - y - eta * g_y) ** 2).sum(1) / (4 * eta)      # log q(x | y) + const
    log_alpha = lp_y - lp_x + log_q_xy - log_q_yx
    u = torch.rand(len(x), generator=gen, dtype=x.dtype)
    keep = torch.log(u) < log_alpha                                 # NaN (a blown-up y) is rejected
    return torch.where(keep[:, None], y, x), keep
