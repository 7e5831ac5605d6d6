"""The noise of the two diffusion samplers and the exact noised targets.

Noise-conditional score network (Song & Ermon 2019): L levels in a geometric sequence
sigma_1 > ... > sigma_L; annealed Langevin runs T steps at each with step size
alpha_i = eps sigma_i^2 / sigma_L^2 (their Algorithm 1).

DDPM (Ho et al. 2020): x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps with a linear beta schedule,
beta from 1e-4 to 0.02 at T = 1000 and scaled by 1000 / T for another T, so every T spans the
same noise (Nichol & Dhariwal 2021's scaling); abar_t = prod_{s<=t} (1 - beta_s).

Exact noised mixture: a Gaussian mixture convolved with N(0, sigma^2 I) is the same mixture with
every std widened to sqrt(s_k^2 + sigma^2), so its score is exact (the banana has no closed form).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from lab.data import densities


def sigmas(sigma_max: float, sigma_min: float, levels: int) -> np.ndarray:
    """sigma_1 > ... > sigma_L, geometric (a single level is sigma_min)."""
    if levels == 1:
        return np.array([sigma_min])
    return np.geomspace(sigma_max, sigma_min, levels)


def langevin_steps(sig: np.ndarray, eps: float) -> np.ndarray:
    """alpha_i = eps sigma_i^2 / sigma_L^2: the same eta / sigma^2 at every level."""
    return eps * sig ** 2 / sig[-1] ** 2


def betas(T: int) -> np.ndarray:
    scale = 1000.0 / T
    return np.linspace(scale * 1e-4, min(scale * 0.02, 0.999), T)


def alpha_bars(T: int) -> np.ndarray:
    return np.cumprod(1.0 - betas(T))


def noised(target: densities.Target, sigma: float) -> densities.Target:
    """p convolved with N(0, sigma^2 I), exact for a mixture (widened stds)."""
    mix = target.mixture
    if mix is None:
        raise ValueError("the banana's noised density has no closed form")
    stds = tuple(math.sqrt(s ** 2 + sigma ** 2) for s in mix.stds)
    return densities.Target(f"{target.name} * N(0, {sigma:g}^2)", dataclasses.replace(mix, stds=stds))


def noised_score(target: densities.Target, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """grad log (p * N(0, sigma^2 I))(x), exact for a mixture."""
    return noised(target, sigma).score(x)
