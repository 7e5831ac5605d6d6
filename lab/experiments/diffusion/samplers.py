"""The samplers, for any score or noise predictor (a network or the exact one):

Annealed Langevin (Song & Ermon 2019, Algorithm 1): for i = 1..L, T steps of
    x <- x + alpha_i s(x, sigma_i) + sqrt(2 alpha_i) z,       z ~ N(0, I);
single-level Langevin is the same with L = 1 (the smallest sigma only).

DDPM's reverse chain (Ho et al. 2020, Algorithm 2), x_T ~ N(0, I), for t = T..1:
    x <- (x - beta_t / sqrt(1 - abar_t) eps(x, t)) / sqrt(1 - beta_t) + sqrt(beta_t) z   (z = 0 at t = 1).
The exact noise predictor of a known p is eps(x, t) = -sqrt(1 - abar_t) grad log q_t(x), q_t the
law of x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (Tweedie's formula).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Callable

import numpy as np
import torch

from lab.data import densities
from lab.experiments.diffusion import schedules

Score = Callable[[torch.Tensor, int], torch.Tensor]      # (x, level index i) -> s(x, sigma_i)
Noise = Callable[[torch.Tensor, int], torch.Tensor]      # (x_t, t index 0..T-1) -> eps(x_t, t)


def annealed_langevin(score: Score, x: torch.Tensor, steps: np.ndarray, per_level: int,
                      gen: torch.Generator) -> torch.Tensor:
    """x moved by `per_level` Langevin steps at each level i with step size steps[i]."""
    for i, a in enumerate(steps):
        noise = math.sqrt(2 * a)
        for _ in range(per_level):
            x = x + a * score(x, i) + noise * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    return x


def ddpm(noise: Noise, n: int, dim: int, T: int, gen: torch.Generator, dtype=torch.float32) -> torch.Tensor:
    beta = schedules.betas(T)
    abar = np.cumprod(1.0 - beta)
    x = torch.randn(n, dim, generator=gen, dtype=dtype)
    for t in range(T - 1, -1, -1):
        x = (x - beta[t] / math.sqrt(1 - abar[t]) * noise(x, t)) / math.sqrt(1 - beta[t])
        if t > 0:
            x = x + math.sqrt(beta[t]) * torch.randn(x.shape, generator=gen, dtype=dtype)
    return x


def exact_noise(target, T: int) -> Noise:
    """The exact eps(x_t, t) of a mixture: q_t is the mixture scaled by sqrt(abar_t) with stds
    sqrt(abar_t s_k^2 + 1 - abar_t), and eps = -sqrt(1 - abar_t) grad log q_t."""
    abar = schedules.alpha_bars(T)
    mix = target.mixture
    qs = []
    for a in abar:
        m = dataclasses.replace(mix, means=tuple(tuple(math.sqrt(a) * v for v in mu) for mu in mix.means),
                                stds=tuple(math.sqrt(a * s ** 2 + 1 - a) for s in mix.stds))
        qs.append(densities.Target("q_t", m))
    return lambda x, t: -math.sqrt(1 - abar[t]) * qs[t].score(x)
