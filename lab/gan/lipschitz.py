"""Ways to make a critic Lipschitz (note 000 sec. 1.3.1), and a measurement of how Lipschitz
it really is.

- weight clipping: every weight into [-c, c] after each update (WGAN Alg. 1); K-Lipschitz for
  an architecture-dependent K.
- gradient penalty: lambda * E[(||grad_x f(x_hat)||_2 - 1)^2] at random interpolates
  x_hat = t x_real + (1 - t) x_fake (WGAN-GP, Gulrajani et al. 2017); a soft constraint.
- spectral normalisation: chosen by layer factory (`lab.nets.sn_linear`); each layer divided by
  its top singular value as one power iteration per update estimates it (Miyato et al. 2018),
  so 1-Lipschitz up to that estimate (measured here: L = 1.00014), not strictly.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

Tensor = torch.Tensor


@torch.no_grad()
def clip_weights(net: nn.Module, c: float) -> None:
    for p in net.parameters():
        p.clamp_(-c, c)


def input_gradients(f: Callable[[Tensor], Tensor], x: Tensor, create_graph: bool = False) -> Tensor:
    """grad_x f(x) per sample: (n, d). f maps (n, d) -> (n,) or (n, 1), one output per row, so
    the gradient of the sum is the per-sample gradient."""
    x = x.detach().requires_grad_(True)
    out = f(x).sum()
    (g,) = torch.autograd.grad(out, x, create_graph=create_graph)
    return g


def gradient_penalty(f: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     gen: torch.Generator | None = None) -> Tensor:
    """E[(||grad f(x_hat)||_2 - 1)^2], x_hat on random segments between paired real and fake
    samples (WGAN-GP eq. 3). The caller multiplies by lambda."""
    n = min(len(real), len(fake))
    t = torch.rand(n, 1, generator=gen, device=real.device)
    x_hat = t * real[:n].detach() + (1 - t) * fake[:n].detach()
    g = input_gradients(f, x_hat, create_graph=True)
    return ((g.norm(dim=1) - 1) ** 2).mean()


def measured_lipschitz(f: Callable[[Tensor], Tensor], points: Tensor) -> float:
    """max ||grad_x f|| over a dense set of points: the critic's Lipschitz constant on that
    region (exact for a piecewise-linear net whose pieces the grid visits)."""
    return float(input_gradients(f, points).norm(dim=1).max())


class Constraint:
    """How a critic is kept Lipschitz: which linear layers build it, a penalty added to its
    loss, and a projection after each optimiser step. 'none' is the unconstrained D."""
    layer = "plain"
    objective = "wasserstein"

    def penalty(self, f, real: Tensor, fake: Tensor, gen) -> Tensor | None:
        return None

    def after_step(self, net: nn.Module) -> None:
        pass


class Unconstrained(Constraint):
    objective = "minimax"   # trained towards D* = p / (p + p_G)


class WeightClip(Constraint):
    def __init__(self, c: float):
        self.c = c

    def after_step(self, net: nn.Module) -> None:
        clip_weights(net, self.c)


class GradientPenalty(Constraint):
    """lambda ramps up linearly over `warmup` calls. Why: in 1-D the two-sided penalty has a
    hill of height lambda at f' = 0, and its pull there (2 lambda) beats the Wasserstein term's
    (E_p x - E_q x), so a critic whose random start slopes the wrong way stays the wrong way
    (seen here: W1 estimate -3.2 for a true 4.0). With the ramp, the data sets the sign first."""

    def __init__(self, lam: float, warmup: int = 0):
        self.lam, self.warmup, self.calls = lam, warmup, 0

    def penalty(self, f, real, fake, gen):
        self.calls += 1
        ramp = min(1.0, self.calls / self.warmup) if self.warmup > 0 else 1.0
        return self.lam * ramp * gradient_penalty(f, real, fake, gen)


class SpectralNorm(Constraint):
    layer = "sn"


def make_constraint(name: str, clip: float = 0.01, gp_lambda: float = 10.0,
                    gp_warmup: int = 0) -> Constraint:
    return {"none": lambda: Unconstrained(), "clip": lambda: WeightClip(clip),
            "gp": lambda: GradientPenalty(gp_lambda, gp_warmup), "sn": lambda: SpectralNorm()}[name]()


CONSTRAINTS = ("none", "clip", "gp", "sn")
DESCRIPTIONS = {"none": "unconstrained", "clip": "weight clipping", "gp": "gradient penalty",
                "sn": "spectral normalisation"}
