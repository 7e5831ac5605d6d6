"""The Dirac-GAN's game and its update maps (Mescheder, Geiger, Nowozin 2018, Sec. 2-3).

The data is delta_0, the generator delta_theta, the discriminator linear: D(x) = psi x. The
state is one point x = (theta, psi). Each player descends its own loss from lab.gan.objectives:

    D:  loss_D = d_loss(D(real), D(fake)) [+ penalty]      real = 0 (+ noise), fake = theta (+ noise)
    G:  loss_G = mean g_loss(D(fake))

With minimax this is the paper's zero-sum game L(theta, psi) = f(0) + f(-psi theta), f(t) =
-log(1 + e^-t). GenLab's D is high on real data and the paper's on fakes, so our psi is minus
theirs: the spirals turn the other way; the Jacobians are similar (diag(1, -1) J diag(1, -1)) and
their eigenvalues equal. The gradient vector field is v = -(d loss_G / d theta, d loss_D / d psi).

Everything is a pure function of tensors built with torch.func, so the one update map that
trains is also the one whose Jacobian at the equilibrium (0, 0) gives the eigenvalues
(torch.func.jacrev), with consensus optimisation's gradient of |v|^2 nested inside.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.func import grad, jacrev, vmap
from scipy import stats

from lab.gan import objectives

Tensor = torch.Tensor
DTYPE = torch.float64          # two numbers: double precision costs nothing and eigenvalues test to 1e-12
NODES = 256                    # points of the expected-noise rule (`noise_nodes`)
EQUILIBRIUM = (0.0, 0.0)


def noise_nodes(n: int = NODES) -> Tensor:
    """(n,) equally weighted points standing in for N(0, 1): its quantiles at (i - 1/2)/n, scaled
    to variance exactly 1. Symmetric, so the mean is exactly 0. The expected update's Jacobian at
    the equilibrium depends on the noise's mean and variance only (its terms are f'(0) E[eps] and
    f''(0) E[eps^2]), so these points give it exactly; the field drawn elsewhere to quadrature
    accuracy."""
    q = stats.norm.ppf((np.arange(n) + 0.5) / n)
    return torch.as_tensor(q / np.sqrt(np.mean(q ** 2)), dtype=DTYPE)


def discriminator(psi: Tensor, x: Tensor) -> Tensor:
    """D(x) = psi x, the paper's linear discriminator."""
    return psi * x


_slope = vmap(grad(discriminator, argnums=1), in_dims=(None, 0))    # (psi, (n,)) -> (n,) d D / d x


@dataclass(frozen=True)
class Game:
    """The players' losses and the update rule of one config (DiracConfig)."""
    objective: str
    regularizer: str
    updates: str
    lr_g: float
    lr_d: float
    gamma: float
    sigma: float          # instance noise std (used when regularizer == "noise")
    gp_lambda: float
    gp_target: float
    consensus: float

    @classmethod
    def of(cls, cfg) -> "Game":
        return cls(cfg.objective, cfg.regularizer, cfg.updates, cfg.lr, cfg.ttur * cfg.lr, cfg.gamma,
                   cfg.instance_noise, cfg.gp_lambda, cfg.gp_target, cfg.consensus)

    @property
    def noisy(self) -> bool:
        return self.regularizer == "noise" and self.sigma > 0

    @property
    def smooth(self) -> bool:
        """Whether the field is differentiable at the equilibrium. WGAN-GP's penalty is not:
        (|psi| - g0)^2 pulls |psi| towards g0, a push of 2 lambda g0 that flips sign across psi = 0
        (the paper, Sec. 3: it need not converge), so it has no Jacobian there."""
        return not (self.regularizer == "gp" and self.gp_lambda * self.gp_target > 0)

    # ---- the losses -----------------------------------------------------------------------------
    def penalty(self, psi: Tensor, real: Tensor, fake: Tensor) -> Tensor:
        """What D adds to its loss. grad_x D is psi everywhere for a linear D, so where it is read
        (R1: the data; WGAN-GP: between real and fake) does not change its value."""
        if self.regularizer == "r1":            # Mescheder et al. eq. 9: gamma/2 E_data |grad_x D|^2
            return 0.5 * self.gamma * (_slope(psi, real) ** 2).mean()
        if self.regularizer == "gp":            # Gulrajani et al. eq. 3: lambda E (|grad_x D(x_hat)| - g0)^2
            # expanded as g^2 - 2 g0 |g| + g0^2: the same number, but autograd then differentiates
            # the smooth g^2 exactly at g = 0 (through |g|^2 it reads d|g| = 0 there and loses it),
            # and the kink is only where it truly is, in the g0 term.
            g = _slope(psi, 0.5 * (real + fake))
            return self.gp_lambda * (g ** 2 - 2 * self.gp_target * g.abs() + self.gp_target ** 2).mean()
        return psi.new_zeros(())

    def losses(self, x: Tensor, eps_real: Tensor, eps_fake: Tensor) -> Tensor:
        """(loss_G, loss_D) at x = (theta, psi); eps_*: (n,) unit noise (zeros without noise)."""
        theta, psi = x[0], x[1]
        s = self.sigma if self.noisy else 0.0
        real, fake = s * eps_real, theta + s * eps_fake         # delta_0 and delta_theta, + noise
        obj = objectives.get(self.objective)
        d_out_real, d_out_fake = discriminator(psi, real), discriminator(psi, fake)
        loss_d = obj.d_loss(d_out_real, d_out_fake) + self.penalty(psi, real, fake)
        loss_g = obj.g_loss(d_out_fake).mean()
        return torch.stack([loss_g, loss_d])

    def gradient(self, x: Tensor, eps_real: Tensor, eps_fake: Tensor) -> Tensor:
        """(d loss_G / d theta, d loss_D / d psi): what each player descends (= -v). Consensus
        optimisation (Mescheder, Nowozin, Geiger 2017, eq. 6) adds gamma * grad (1/2 |v|^2)."""
        def g(y: Tensor) -> Tensor:
            return jacrev(self.losses)(y, eps_real, eps_fake).diagonal()
        if self.regularizer != "consensus":
            return g(x)
        return g(x) + self.consensus * grad(lambda y: 0.5 * (g(y) ** 2).sum())(x)

    # ---- the update maps ------------------------------------------------------------------------
    def update(self, x: Tensor, eps_real: Tensor, eps_fake: Tensor) -> Tensor:
        """One step x -> x'. Simultaneous: both from x. Alternating (D first, as Goodfellow et al.'s
        Algorithm 1): D steps, then G steps at D's new psi, with the same noise draw."""
        lr = torch.tensor([self.lr_g, self.lr_d], dtype=x.dtype)
        if self.updates == "simultaneous":
            return x - lr * self.gradient(x, eps_real, eps_fake)
        psi = x[1] - self.lr_d * self.gradient(x, eps_real, eps_fake)[1]
        y = torch.stack([x[0], psi])
        theta = x[0] - self.lr_g * self.gradient(y, eps_real, eps_fake)[0]
        return torch.stack([theta, psi])

    def field(self, x: Tensor, eps_real: Tensor, eps_fake: Tensor) -> Tensor:
        """The gradient vector field v(x) = -gradient (consensus: the regularised one)."""
        return -self.gradient(x, eps_real, eps_fake)

    # ---- the expectation over the noise, for the eigenvalues and the drawn field ----------------
    def expected_noise(self) -> tuple[Tensor, Tensor]:
        """Noise points for the expected update: `noise_nodes` with noise, else one zero each."""
        if self.noisy:
            nodes = noise_nodes()
            return nodes, nodes
        zero = torch.zeros(1, dtype=DTYPE)
        return zero, zero

    def jacobians(self) -> tuple[np.ndarray, np.ndarray]:
        """(2, 2) Jacobians at the equilibrium of the field and of the update map (autograd of the
        very functions that train; the expected ones with noise)."""
        x0 = torch.tensor(EQUILIBRIUM, dtype=DTYPE)
        eps = self.expected_noise()
        j_field = jacrev(self.field)(x0, *eps)
        j_update = jacrev(self.update)(x0, *eps)
        return j_field.detach().numpy(), j_update.detach().numpy()

    def grid_update(self, xs: Tensor) -> Tensor:
        """(n, 2) points -> (n, 2) expected displacement x' - x of one update (what the arrows show)."""
        step = vmap(self.update, in_dims=(0, None, None))
        return step(xs, *self.expected_noise()) - xs
