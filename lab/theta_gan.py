"""A GAN whose generator is one number: G(z) = z + theta e_1, with z ~ P_0 (note 004's
disjoint-supports example). Real data is P_0, the fakes are P_0 shifted by theta, so the only
question is whether the discriminator's signal moves theta to 0.

Each theta step follows the original GAN Algorithm 1 / WGAN Algorithm 1 shape: k updates of
D (or the critic) on fresh batches, then one plain-SGD step on theta,
    theta <- theta - lr * d/dtheta mean_i loss_G(f(z_i + theta e_1 + noise_i)).
Plain SGD on purpose: its step is proportional to the gradient the objective gives, which is
exactly what the page compares (Adam or RMSProp on theta would rescale a vanishing gradient
back to full size and hide the stall).

Instance noise (note 000 sec. 1.3; note 004 "add noise to discriminator inputs"): the same
N(0, std^2 I) noise is added to real and fake inputs, in D's steps and in theta's step.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from lab.gan import lipschitz, objectives
from lab.device import build_seeded, generator
from lab.disjoint import lines_sample
from lab.nets import mlp, shrink_last_layer

Tensor = torch.Tensor


def _adam(params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr, betas=(0.5, 0.9))


def _rmsprop(params, lr: float) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(params, lr=lr)


@dataclass(frozen=True)
class Family:
    """An objective for theta: D's loss/G's loss pair, how the critic is kept Lipschitz, and
    the optimiser defaults that make it work at this scale."""
    objective: str          # a name in lab.objectives
    constraint: str         # a name in lab.lipschitz.CONSTRAINTS
    theta_lr: float         # SGD on theta
    d_lr: float
    d_opt: Callable
    label: str


# theta's learning rate differs per family because the size of the gradient does:
# - JS-GANs: D's logit is unbounded, so the non-saturating push can be large; 0.05 is the
#   same order as the WGAN ones, so a stall of the minimax variant is the loss's doing.
# - GP / SN critics have slope ~1 (GP) or <= 1 (SN), so |d loss_G / d theta| <= ~1.
# - A clipped critic (c = 0.01) is K-Lipschitz with K ~ 1e-3 for this MLP (measured), so its
#   gradient is ~1e-3: theta's rate is scaled up to move at a comparable pace.
# Critics: WGAN Algorithm 1's RMSProp 5e-5 for clipping (clipped weights saturate at +-c
# within a few hundred updates, so the small rate suffices); Adam (0.5, 0.9) 1e-3 for GP/SN
# and D, fast enough for the critic to follow theta across 0 (WGAN-GP's 1e-4 lags, and
# theta then overshoots far past 0).
FAMILIES: dict[str, Family] = {
    "js_minimax": Family("minimax", "none", 0.05, 1e-3, _adam, "JS-GAN, minimax"),
    "js_ns": Family("ns", "none", 0.05, 1e-3, _adam, "JS-GAN, non-saturating"),
    "wgan_clip": Family("wasserstein", "clip", 20.0, 5e-5, _rmsprop, "WGAN, weight clipping"),
    "wgan_gp": Family("wasserstein", "gp", 0.02, 1e-3, _adam, "WGAN-GP"),
    "wgan_sn": Family("wasserstein", "sn", 0.02, 1e-3, _adam, "WGAN, spectral norm"),
}


def sample_p0(setup: str, sigma: float, n: int, gen: torch.Generator) -> Tensor:
    """(n, 2) samples of the real distribution: the line x = 0, or (setup "gaussians") that
    line thickened to x ~ N(0, sigma^2). The y-part U[0, 1] is the same for real and fake and
    independent of x, so it cancels from KL, JS, TV and W1: the pair has exactly the 1-D
    Gaussian pair's divergences (lab.disjoint.gaussians). Why not train in 1-D: there a
    two-sided gradient-penalty critic cannot flip its slope once theta overshoots 0 (the hill
    at f' = 0 in lab.lipschitz.GradientPenalty's docstring); measured here, theta then ran off
    to -5.2 on 6 of 6 seeds. In the plane the critic's gradient can rotate through y instead."""
    base = lines_sample(0.0, n, gen)
    if setup == "gaussians":
        base[:, 0] = sigma * torch.randn(n, generator=gen)
    return base


def sample_pair(setup: str, sigma: float, theta: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) real and (n, 2) fake points at this theta, for drawing the closed-form view."""
    gen = generator(seed)
    real, fake = sample_p0(setup, sigma, n, gen), sample_p0(setup, sigma, n, gen)
    fake[:, 0] += theta
    return real.numpy(), fake.numpy()


class ThetaGAN:
    def __init__(self, setup: str, sigma: float, theta0: float, family: str, *, d_steps: int = 5,
                 batch: int = 64, lr: float = 0.0, d_lr: float = 0.0, clip: float = 0.01,
                 gp_lambda: float = 10.0, gp_warmup: int = 100, width: int = 64, depth: int = 2,
                 seed: int = 0):
        self.setup, self.sigma, self.fam = setup, sigma, FAMILIES[family]
        self.d_steps, self.batch = d_steps, batch
        self.dim = 2
        self.lr = lr or self.fam.theta_lr
        self.d_lr = d_lr or self.fam.d_lr
        self.theta = torch.tensor(float(theta0))
        self.objective = objectives.get(self.fam.objective)
        self.constraint = lipschitz.make_constraint(self.fam.constraint, clip, gp_lambda, gp_warmup)
        self.net = build_seeded(seed, lambda: mlp(self.dim, 1, width, depth, "leaky_relu",
                                                  self.constraint.layer))
        shrink_last_layer(self.net)
        self.constraint.after_step(self.net)     # start inside the constraint set (clipping)
        self.d_opt = self.fam.d_opt(self.net.parameters(), self.d_lr)
        self.gen = generator(seed)
        # A fixed evaluation batch (and a fixed unit-noise draw) so the push on theta shown
        # on the page is a smooth function of the state, not of this step's batch.
        ev = generator(seed + 10_007)
        self.eval_base = sample_p0(setup, sigma, 1024, ev)
        self.eval_noise = torch.randn(1024, self.dim, generator=ev)
        self.e1 = torch.zeros(self.dim)
        self.e1[0] = 1.0

    def f(self, x: Tensor) -> Tensor:
        """(n, d) -> (n,): D's logit or the critic's value."""
        return self.net(x).squeeze(-1)

    def _noisy(self, x: Tensor, std: float) -> Tensor:
        return x if std <= 0 else x + std * torch.randn(x.shape, generator=self.gen)

    def step(self, noise: float = 0.0) -> dict[str, float]:
        """k D/critic updates, then one SGD step on theta. Returns the numbers to log."""
        obj, con, m = self.objective, self.constraint, self.batch
        # ---- D: k steps on fresh batches, theta held fixed
        for _ in range(self.d_steps):
            both = self._noisy(sample_p0(self.setup, self.sigma, 2 * m, self.gen), noise)
            real, fake = both[:m], both[m:]
            fake[:, 0] += self.theta          # a view of `both`, which nothing else reads
            out = self.f(both)                 # one pass for both halves (one SN power iteration)
            d_loss = obj.d_loss(out[:m], out[m:])
            pen = con.penalty(self.f, real, fake, self.gen)
            self.d_opt.zero_grad(set_to_none=True)
            (d_loss if pen is None else d_loss + pen).backward()
            self.d_opt.step()
            con.after_step(self.net)
        # ---- theta: one SGD step on the generator's loss, D held fixed
        theta = self.theta.clone().requires_grad_(True)
        fake = self._noisy(sample_p0(self.setup, self.sigma, m, self.gen), noise) + theta * self.e1
        (grad,) = torch.autograd.grad(obj.g_loss(self.f(fake)).mean(), theta)
        self.theta = (theta - self.lr * grad).detach()
        return {"theta": float(self.theta), "grad": float(grad), "d_loss": d_loss.item()}

    # ---- reading the state (eval mode: reading never advances spectral norm's power
    # iteration, so drawing the page does not change the training run) -----------------
    @contextmanager
    def _reading(self):
        self.net.eval()
        try:
            yield
        finally:
            self.net.train()

    def push(self, noise: float = 0.0) -> float:
        """-d loss_G / d theta on the fixed evaluation batch: where SGD sends theta, per unit lr."""
        with self._reading():
            theta = self.theta.clone().requires_grad_(True)
            fake = self.eval_base + noise * self.eval_noise + theta * self.e1
            (grad,) = torch.autograd.grad(self.objective.g_loss(self.f(fake)).mean(), theta)
        return -float(grad)

    def across_gap(self, xs: np.ndarray) -> dict[str, np.ndarray | float]:
        """D (in [0, 1]) or the critic along the x axis (at y = 1/2), and the
        measured Lipschitz constant there. The critic is centred at the middle of the gap
        and divided by that constant, so critics of any scale share one axis."""
        pts = torch.full((len(xs), self.dim), 0.5)
        pts[:, 0] = torch.as_tensor(xs, dtype=torch.float32)
        with self._reading():
            lip = lipschitz.measured_lipschitz(self.f, pts)
            with torch.no_grad():
                out = self.f(pts)
                if self.objective.probabilistic:
                    value = torch.sigmoid(out)
                else:
                    mid = pts[:1].clone()
                    mid[0, 0] = 0.5 * float(self.theta)
                    value = (out - self.f(mid)) / max(lip, 1e-12)
        return {"x": np.asarray(xs, dtype=np.float64), "value": value.numpy().astype(np.float64),
                "lipschitz": lip}

