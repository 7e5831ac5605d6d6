"""A GAN whose generator is one number: G(z) = z + theta e_1, with z ~ P_0 (note 004's
disjoint-supports example). Real data is P_0, the fakes are P_0 shifted by theta, so the only
question is whether the discriminator's signal moves theta to 0.

Each theta step follows the original GAN Algorithm 1 / WGAN Algorithm 1 shape: k updates of
D (or the critic) on fresh batches (lab.gan.step.d_step, the recipe's loss, constraint and
optimiser), then one plain-SGD step on theta with the recipe's generator loss (lab.gan.step.g_loss):
    theta <- theta - lr_g * d/dtheta mean_i loss_G(f(z_i + theta e_1 + noise_i)).
Plain SGD on purpose, whatever the recipe's optimiser: its step is proportional to the gradient
the objective gives, which is exactly what the page compares. Adam or RMSProp on theta divide
the gradient by its running size, so a vanishing push of 1e-10 would come back as a full-sized
step and hide the stall.

Why the plane, not 1-D: there a two-sided gradient-penalty critic cannot flip its slope once
theta overshoots 0 (the hill at f' = 0 described in lab.gan.lipschitz.GradientPenalty); measured
in 1-D, theta ran off to -5.2 on 6 of 6 seeds. In the plane the critic's gradient can rotate
through y instead.

Instance noise (note 000 sec. 1.3; note 004 "add noise to discriminator inputs"): the same
N(0, std^2 I) noise is added to real and fake inputs, in D's steps and in theta's step.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

from lab.data.lines import Line
from lab.device import build_seeded, generator
from lab.gan import lipschitz, objectives, recipes
from lab.gan.step import d_step, g_loss
from lab.nets import mlp, shrink_last_layer

Tensor = torch.Tensor


def p0(setup: str, sigma: float) -> Line:
    """The real distribution: the line x = 0, or (setup "gaussians") that line thickened to
    x ~ N(0, sigma^2). The fakes are this shifted by theta along x."""
    return Line(0.0, sigma if setup == "gaussians" else 0.0)


def sample_pair(setup: str, sigma: float, theta: float, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) real and (n, 2) fake points at this theta, for drawing the closed-form view."""
    gen, data = generator(seed), p0(setup, sigma)
    real, fake = data.sample(n, gen), data.sample(n, gen)
    fake[:, 0] += theta
    return real.numpy(), fake.numpy()


class ThetaGAN:
    """theta, D (or the critic) with its optimiser and constraint, and a private random stream.
    Built from a DisjointConfig; `retune` takes new values of its live keys."""

    def __init__(self, cfg):
        self.data = p0(cfg.setup, cfg.sigma)
        self.recipe = recipes.resolve(cfg, cfg.recipe_scale)
        self.objective = objectives.get(self.recipe.objective)
        self.constraint = lipschitz.make_constraint(self.recipe.constraint, self.recipe.clip,
                                                    self.recipe.gp_lambda, cfg.gp_warmup)
        self.batch, self.dim = cfg.batch, 2
        self.theta = torch.tensor(float(cfg.theta0))
        self.net = build_seeded(cfg.seed, lambda: mlp(self.dim, 1, cfg.width, cfg.depth, "leaky_relu",
                                                      self.constraint.layer))
        shrink_last_layer(self.net)
        self.constraint.after_step(self.net)     # start inside the constraint set (clipping)
        self.opt_d = recipes.make_optimizer(self.recipe.optimizer, self.net.parameters(), self.recipe.lr_d,
                                            (self.recipe.beta1, self.recipe.beta2))
        self.gen = generator(cfg.seed)
        # A fixed evaluation batch (and a fixed unit-noise draw) so the push on theta shown
        # on the page is a smooth function of the state, not of this step's batch.
        ev = generator(cfg.seed + 10_007)
        self.eval_base = self.data.sample(1024, ev)
        self.eval_noise = torch.randn(1024, self.dim, generator=ev)
        self.e1 = torch.tensor([1.0, 0.0])

    @property
    def lr_g(self) -> float:
        return self.recipe.lr_g

    @property
    def lr_d(self) -> float:
        return self.recipe.lr_d

    def retune(self, cfg) -> None:
        """New values of the live keys: rates, D steps, the constraint's weight or bound."""
        self.recipe = recipes.resolve(cfg, cfg.recipe_scale)
        recipes.set_lr(self.opt_d, self.recipe.lr_d)
        if isinstance(self.constraint, lipschitz.WeightClip):
            self.constraint.c = self.recipe.clip
        if isinstance(self.constraint, lipschitz.GradientPenalty):
            self.constraint.lam = self.recipe.gp_lambda

    def f(self, x: Tensor) -> Tensor:
        """(n, 2) -> (n,): D's logit or the critic's value."""
        return self.net(x).squeeze(-1)

    def _noisy(self, x: Tensor, std: float) -> Tensor:
        return x if std <= 0 else x + std * torch.randn(x.shape, generator=self.gen)

    def step(self, noise: float = 0.0) -> dict[str, float]:
        """k D/critic updates, then one SGD step on theta. Returns the numbers to log."""
        m = self.batch
        # ---- D: k updates on fresh batches, theta held fixed (Algorithm 1's inner loop)
        for _ in range(self.recipe.d_steps):
            both = self._noisy(self.data.sample(2 * m, self.gen), noise)    # (2m, 2)
            both[m:, 0] += self.theta
            out = d_step(self.f, self.net, self.objective, self.constraint, self.opt_d,
                         both[:m], both[m:], self.gen)
        # ---- theta: one plain-SGD step on the generator's loss, D held fixed
        theta = self.theta.clone().requires_grad_(True)
        fake = self._noisy(self.data.sample(m, self.gen), noise) + theta * self.e1
        (grad,) = torch.autograd.grad(g_loss(self.f, self.objective, fake), theta)
        self.theta = (theta - self.recipe.lr_g * grad).detach()
        return {"theta": float(self.theta), "grad": float(grad), "d_loss": float(out.loss)}

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
            (grad,) = torch.autograd.grad(g_loss(self.f, self.objective, fake), theta)
        return -float(grad)

    def across_gap(self, xs: np.ndarray) -> dict[str, np.ndarray | float]:
        """D (in [0, 1]) or the critic along the x axis (at y = 1/2), and the measured
        Lipschitz constant there. The critic is centred at the middle of the gap and divided by
        that constant, so critics of any scale share one axis."""
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

    # ---- state for state_bytes: tensors and numbers only --------------------------------------
    def state(self) -> dict:
        return {"theta": self.theta.clone(), "net": self.net.state_dict(), "opt_d": self.opt_d.state_dict(),
                "gen": self.gen.get_state(), "gp_calls": getattr(self.constraint, "calls", 0)}

    def load_state(self, state: dict) -> None:
        self.theta = state["theta"].clone().float()
        self.net.load_state_dict(state["net"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.gen.set_state(state["gen"])
        if isinstance(self.constraint, lipschitz.GradientPenalty):
            self.constraint.calls = int(state["gp_calls"])
