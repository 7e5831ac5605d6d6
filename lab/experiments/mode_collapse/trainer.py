"""A 2-D GAN trainer with the classic remedies for mode collapse (note 004), one update at a time.

One iteration is note 001's Algorithm 1: `d_steps` discriminator updates (lab.gan.step.d_step),
then one generator update (lab.gan.step.g_loss). Remedies, each a knob:
- unrolled D (Metz et al. 2017, eq. 12): G descends f(theta_G, theta_D^K), where theta_D^K is
  D after K more (differentiable) optimiser steps against G's current fakes, so G feels how D
  would answer its move. The D that is kept is still updated by the plain step. K = 0 is the
  plain GAN exactly.
- PacGAN packing (Lin et al. 2018): D sees m samples concatenated, (n, 2) -> (n/m, 2m), all
  real or all fake, so it can tell a collapsed batch from a diverse one.
- instance noise (Sonderby et al. 2017; note 000): N(0, s_t^2) added to every D input,
  s_t = s_0 (1 - step / anneal) annealed linearly to 0 (constant when anneal = 0).

Speed (the live page must not stall): fused Adam; loss values stay on the device and are summed
there, read by the host only when metrics are taken. Real batches are drawn in blocks (one
mixture-sampling call per 32 batches). G's step differentiates only G's parameters
(autograd.grad), so D's weight gradients are never computed for it.
"""
from __future__ import annotations

import torch
from torch.func import functional_call

from lab.device import build_seeded, generator
from lab.gan import lipschitz, objectives, recipes
from lab.gan.step import d_objective, d_step, g_loss
from lab.nets import mlp

REAL_BLOCK = 32        # batches of real data drawn per sampling call


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """(n, d) -> (n/m, m d): rows i*m .. i*m+m-1 side by side (PacGAN's packed input)."""
    return x.reshape(-1, m * x.shape[1])


def _root(v: torch.Tensor) -> torch.Tensor:
    """sqrt for the unrolled optimiser: d sqrt(v)/dv is inf at v = 0 (a dead unit's zero
    gradient), which turns G's gradient into NaN; below 1e-30 the value is frozen instead."""
    return v.clamp_min(1e-30).sqrt()


class GAN2D:
    """G: latent -> 2-D point, D: 2 pac -> 1, trained by the config's resolved recipe."""

    def __init__(self, cfg, data):
        self.cfg, self.data = cfg, data
        self.recipe = cfg.train()
        self.objective = objectives.get(self.recipe.objective)
        self.constraint = lipschitz.make_constraint(self.recipe.constraint, clip=self.recipe.clip,
                                                    gp_lambda=self.recipe.gp_lambda)
        layer = "sn" if self.recipe.constraint == "sn" else "plain"
        self.G = build_seeded(cfg.seed, lambda: mlp(cfg.latent, 2, cfg.width, cfg.depth, cfg.activation))
        self.D = build_seeded(cfg.seed + 1, lambda: mlp(2 * cfg.pac, 1, cfg.width, cfg.depth, cfg.activation, layer))
        betas = (self.recipe.beta1, self.recipe.beta2)
        self.opt_d = recipes.make_optimizer(self.recipe.optimizer, self.D.parameters(), self.recipe.lr_d, betas)
        self.opt_g = recipes.make_optimizer(self.recipe.optimizer, self.G.parameters(), self.recipe.lr_g, betas)
        self.gen = generator(cfg.seed)
        self.step = 0
        self._bank, self._bank_pos = None, 0
        self.d_sum, self.g_sum = torch.zeros(()), torch.zeros(())
        self.n_d = self.n_g = 0

    def retune(self, cfg) -> None:
        """Take new live keys (rates, D steps, unroll, noise) without touching nets or optimiser state."""
        self.cfg, self.recipe = cfg, cfg.train()
        recipes.set_lr(self.opt_d, self.recipe.lr_d)
        recipes.set_lr(self.opt_g, self.recipe.lr_g)

    # ---- pieces of a step ----------------------------------------------------------------
    def _real(self) -> torch.Tensor:
        b = self.cfg.batch
        if self._bank is None or self._bank_pos + b > len(self._bank):
            self._bank, self._bank_pos = self.data.sample(b * REAL_BLOCK, self.gen), 0
        x = self._bank[self._bank_pos:self._bank_pos + b]
        self._bank_pos += b
        return x

    def noise_std(self) -> float:
        s0, anneal = self.cfg.instance_noise, self.cfg.noise_anneal
        return s0 * max(0.0, 1.0 - self.step / anneal) if anneal > 0 else s0

    def prep(self, x: torch.Tensor) -> torch.Tensor:
        """What D sees: instance noise, then packing."""
        s = self.noise_std()
        if s > 0:
            x = x + s * torch.randn(x.shape, generator=self.gen)
        return pack(x, self.cfg.pac)

    def f(self, x: torch.Tensor, params: dict | None = None) -> torch.Tensor:
        """(n, 2m) -> (n,) D's raw output (logit or critic value), optionally with other weights."""
        out = self.D(x) if params is None else functional_call(self.D, params, (x,))
        return out.squeeze(-1)

    def z(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch, self.cfg.latent, generator=self.gen)

    def d_update(self) -> None:
        """Algorithm 1's inner loop: one D step on a fresh real batch and detached fakes."""
        with torch.no_grad():
            fake = self.G(self.z())
        out = d_step(self.f, self.D, self.objective, self.constraint, self.opt_d,
                     self.prep(self._real()), self.prep(fake), self.gen)
        self.d_sum = self.d_sum + out.loss
        self.n_d += 1

    def unrolled_params(self, fake_p: torch.Tensor, k: int) -> dict:
        """theta_D^k: k differentiable steps of D's own optimiser (Adam, RMSProp or SGD, from its
        current state) against the packed fakes `fake_p`, which depend on G. create_graph
        keeps the dependence, so G's gradient flows through the updates (Metz et al. eq. 12)."""
        names = [n for n, _ in self.D.named_parameters()]
        live = [p for _, p in self.D.named_parameters()]
        params = dict(zip(names, live))
        group = self.opt_d.param_groups[0]
        lr, kind = group["lr"], self.recipe.optimizer
        state = [self.opt_d.state.get(p, {}) for p in live]
        if kind == "adam":
            b1, b2 = group["betas"]
            m = [s.get("exp_avg", torch.zeros_like(p)) for s, p in zip(state, live)]
            v = [s.get("exp_avg_sq", torch.zeros_like(p)) for s, p in zip(state, live)]
            t0 = [float(s.get("step", 0)) for s in state]
        elif kind == "rmsprop":
            alpha = group["alpha"]
            v = [s.get("square_avg", torch.zeros_like(p)) for s, p in zip(state, live)]
        clip = isinstance(self.constraint, lipschitz.WeightClip)
        self.D.eval()          # spectral norm: reuse u, do not advance the power iteration
        try:
            for i in range(k):
                f = lambda x, ps=params: self.f(x, ps)  # noqa: E731
                _, total, *_ = d_objective(f, self.objective, self.constraint, self.prep(self._real()), fake_p,
                                           self.gen)
                grads = torch.autograd.grad(total, list(params.values()), create_graph=True)
                new = []
                for j, (p, g) in enumerate(zip(params.values(), grads)):
                    if kind == "adam":
                        t = t0[j] + i + 1
                        m[j] = b1 * m[j] + (1 - b1) * g
                        v[j] = b2 * v[j] + (1 - b2) * g * g
                        step = lr * (m[j] / (1 - b1**t)) / (_root(v[j] / (1 - b2**t)) + group["eps"])
                    elif kind == "rmsprop":
                        v[j] = alpha * v[j] + (1 - alpha) * g * g
                        step = lr * g / (_root(v[j]) + group["eps"])
                    else:
                        step = lr * g
                    p = p - step
                    new.append(p.clamp(-self.constraint.c, self.constraint.c) if clip else p)
                params = dict(zip(names, new))
        finally:
            self.D.train()
        return params

    def g_loss_and_grads(self) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """G's loss on a fresh z, through the (possibly unrolled) D, and its gradient in G's
        parameters only."""
        fake_p = self.prep(self.G(self.z()))
        k = int(self.cfg.unroll)
        params = self.unrolled_params(fake_p, k) if k > 0 else None
        loss = g_loss(lambda x: self.f(x, params), self.objective, fake_p)
        grads = torch.autograd.grad(loss, list(self.G.parameters()))
        return loss, grads

    def g_update(self) -> None:
        loss, grads = self.g_loss_and_grads()
        for p, g in zip(self.G.parameters(), grads):
            p.grad = g
        self.opt_g.step()
        self.g_sum = self.g_sum + loss.detach()
        self.n_g += 1

    def iterate(self, which: str = "both") -> None:
        """One iteration: "both" = d_steps D updates then one G update; "d" / "g" = one update
        of that network only (GAN Lab's step buttons)."""
        if which in ("both", "d"):
            for _ in range(self.recipe.d_steps if which == "both" else 1):
                self.d_update()
        if which in ("both", "g"):
            self.g_update()
        self.step += 1

    def take_losses(self) -> tuple[float | None, float | None]:
        """Mean D and G losses since the last call (None before any update): the host's only read."""
        d = float(self.d_sum) / self.n_d if self.n_d else None
        g = float(self.g_sum) / self.n_g if self.n_g else None
        self.d_sum, self.g_sum, self.n_d, self.n_g = torch.zeros(()), torch.zeros(()), 0, 0
        return d, g
