"""The three score-matching objectives (note 003 sec. on score matching), each a mean over a
batch x ~ p of a quantity whose expectation is, up to a constant free of s, half the Fisher
divergence F(p, s) = E_p |s(x) - grad log p(x)|^2 (note 003 calls it a KL divergence; it is not).

Hyvarinen (2005): expand |s - grad log p|^2; the cross term is integrated by parts,
    E_p[s . grad log p] = int s . grad p dx = -int p div s dx = -E_p[tr grad s]
(boundary terms vanish when p s -> 0), so F / 2 = E_p[|s|^2 / 2 + tr grad s] + E_p|grad log p|^2 / 2:
a plus sign before the trace. The trace is exact here: one autograd pass per coordinate (d <= 2).
Denoising (Vincent 2011): E |s(x + sigma eps) + eps / sigma|^2 / 2 is minimised by the score of
p * N(0, sigma^2 I), not of p. Sliced (Song et al. 2019): tr grad s = E_v[v' grad s v] for
v ~ N(0, I), one Jacobian-vector product instead of d.
"""
from __future__ import annotations

from typing import Callable

import torch

Score = Callable[[torch.Tensor], torch.Tensor]


def hyvarinen(score: Score, x: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    s = score(x)
    trace = sum(torch.autograd.grad(s[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(x.shape[1]))
    return (0.5 * (s ** 2).sum(1) + trace).mean()


def denoising(score: Score, x: torch.Tensor, sigma: float, gen: torch.Generator) -> torch.Tensor:
    eps = torch.randn(x.shape, generator=gen, dtype=x.dtype)
    return 0.5 * ((score(x + sigma * eps) + eps / sigma) ** 2).sum(1).mean()


def sliced(score: Score, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    v = torch.randn(x.shape, generator=gen, dtype=x.dtype)
    s = score(x)
    jv = torch.autograd.grad((v * s).sum(), x, create_graph=True)[0]          # (grad s)' v
    return (0.5 * (s ** 2).sum(1) + (v * jv).sum(1)).mean()


def fisher(score: Score, points: torch.Tensor, exact: torch.Tensor, weights: torch.Tensor) -> float:
    """E_p |s - grad log p|^2 as a sum over the fine grid with weights p(x) * cell area."""
    with torch.no_grad():
        return float((weights * ((score(points) - exact) ** 2).sum(1)).sum())
