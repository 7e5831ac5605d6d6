"""One group of a sweep: M 2-D GANs of one structure trained as one batched model.

The batched twin of lab.experiments.mode_collapse.trainer.GAN2D, step for step (note 001's
Algorithm 1: d_steps D updates on fresh real and fake batches, then one G update), with the
member as a leading dimension everywhere: nets are lab.sweep.stacked.StackedMLP, optimisers
lab.sweep.optim, random draws lab.sweep.streams. What may differ between members is a tensor
with one entry each (`HYPER`); what must not (objective, constraint, optimiser kind, sizes,
packing, D steps, data) defines the group (`structure`).

Losses per member. The objectives (lab.gan.objectives) reduce with .mean() over their inputs;
applied through torch.func.vmap over the member dimension, each member's loss is the objective's
own maths on its own (n,) outputs, and their sum has, for member m, exactly member m's gradient
(members share no parameter). Members never interact: every op is per member, so perturbing
member j leaves member i bitwise unchanged (tests/test_sweep.py).

Speed: loss values stay on the device, summed per member, read only when metrics are taken
(as GAN2D); real batches are drawn in blocks of REAL_BLOCK batches; G's step differentiates
G's parameters only.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.func import vmap

from lab.device import build_seeded
from lab.experiments.mode_collapse.trainer import REAL_BLOCK
from lab.gan import objectives
from lab.nets import mlp
from lab.sweep import optim
from lab.sweep import streams as rs
from lab.sweep.stacked import StackedMLP

Tensor = torch.Tensor
HYPER = ("lr_d", "lr_g", "beta1", "beta2", "gp_lambda", "clip", "instance_noise", "noise_anneal")


def structure(cfg) -> tuple:
    """What members of one group share (a member config's resolved recipe and sizes)."""
    r = cfg.train()
    return (r.objective, r.constraint, r.optimizer, r.d_steps, cfg.width, cfg.depth, cfg.latent, cfg.batch,
            cfg.pac, cfg.activation, cfg.data, cfg.unroll)


def hyper(cfgs) -> dict[str, np.ndarray]:
    """(M,) float64 per-member values of every HYPER key, from each member's resolved recipe."""
    trains = [c.train() for c in cfgs]
    rows = {k: [getattr(t, k) for t in trains] for k in ("lr_d", "lr_g", "beta1", "beta2", "gp_lambda", "clip")}
    rows["instance_noise"] = [c.instance_noise for c in cfgs]
    rows["noise_anneal"] = [c.noise_anneal for c in cfgs]
    return {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}


class BatchedGAN2D:
    """`cfgs`: the members' single-run configs (one structure); `data`: their data set; `streams`:
    "member" or "shared" (lab.sweep.streams)."""

    def __init__(self, cfgs, data, device: torch.device, streams: str = "member"):
        c = cfgs[0]
        if len({structure(x) for x in cfgs}) != 1:
            raise ValueError("a batched group needs members of one structure (lab.sweep.trainer.structure)")
        self.cfgs, self.data, self.device = list(cfgs), data, device
        self.m = len(cfgs)
        self.recipe = c.train()
        self.objective = objectives.get(self.recipe.objective)
        self.constraint = self.recipe.constraint
        self.batch, self.latent, self.pac, self.d_steps = c.batch, c.latent, c.pac, self.recipe.d_steps
        self.unroll = int(c.unroll)
        layer = "sn" if self.constraint == "sn" else "plain"
        self.G = StackedMLP([build_seeded(x.seed, lambda: mlp(c.latent, 2, c.width, c.depth, c.activation))
                             for x in cfgs], c.activation).to(device)
        self.D = StackedMLP([build_seeded(x.seed + 1, lambda: mlp(2 * c.pac, 1, c.width, c.depth, c.activation, layer))
                             for x in cfgs], c.activation).to(device)
        self._set_hyper(cfgs)
        self.opt_d = optim.make(self.recipe.optimizer, self.D.params(), self.hp["lr_d"], self.hp["beta1"],
                                self.hp["beta2"])
        self.opt_g = optim.make(self.recipe.optimizer, self.G.params(), self.hp["lr_g"], self.hp["beta1"],
                                self.hp["beta2"])
        self.shared = streams != "member"
        self.streams = (rs.SharedStream(c.seed, self.m, data, device) if self.shared
                        else rs.MemberStreams([x.seed for x in cfgs], data, device))
        self._d_loss = vmap(self.objective.d_loss)           # (M, n), (M, n) -> (M,)
        self.step = 0
        self._bank, self._bank_pos = None, 0
        self.d_sum = torch.zeros(self.m, device=device)
        self.g_sum = torch.zeros(self.m, device=device)
        self.n_d = self.n_g = 0

    def _set_hyper(self, cfgs) -> None:
        host = hyper(cfgs)
        self.noise0, self.anneal = host["instance_noise"], host["noise_anneal"]
        self.hp = {k: torch.as_tensor(v, device=self.device) for k, v in host.items()}
        self.clip = self.hp["clip"].float()[:, None, None]
        self.gp_lambda = self.hp["gp_lambda"].float()

    def retune(self, cfgs) -> None:
        """New per-member values of live keys (rates, noise, annealing, D steps); nets and optimiser
        state untouched (GAN2D.retune)."""
        self.cfgs = list(cfgs)
        self.d_steps, self.unroll = cfgs[0].train().d_steps, int(cfgs[0].unroll)
        self._set_hyper(cfgs)
        self.opt_d.lr, self.opt_g.lr = self.hp["lr_d"], self.hp["lr_g"]

    # ---- pieces of a step ----------------------------------------------------------------------
    def _real(self) -> Tensor:
        b = self.batch
        if self._bank is None or self._bank_pos + b > self._bank.shape[1]:
            self._bank, self._bank_pos = self.streams.real(b * REAL_BLOCK), 0
        x = self._bank[:, self._bank_pos:self._bank_pos + b]
        self._bank_pos += b
        return x

    def noise_std(self) -> np.ndarray:
        """(M,) instance-noise std at this step: s0 (1 - step / anneal), floored at 0 (GAN2D's rule)."""
        ramp = np.maximum(0.0, 1.0 - self.step / np.maximum(self.anneal, 1))
        return np.where(self.anneal > 0, self.noise0 * ramp, self.noise0)

    def prep(self, x: Tensor) -> Tensor:
        """What D sees: instance noise, then packing. (M, n, 2) -> (M, n / pac, 2 pac)."""
        s = self.noise_std()
        on = np.any(s > 0)
        # The shared stream draws the noise whether or not any member uses it: drawing only when
        # some member's std > 0 let member j's noise (switched on, or annealed to 0) move the
        # stream under member i, whose weights then changed (tests/test_sweep.py, non-interaction).
        if on or self.shared:
            eps = self.streams.noise(x.shape[1], list(s > 0))
            if on:
                x = x + torch.as_tensor(s, dtype=x.dtype, device=x.device)[:, None, None] * eps
        return x.reshape(self.m, -1, 2 * self.pac)

    def f(self, x: Tensor, params: list[Tensor] | None = None) -> Tensor:
        """(M, n, 2 pac) -> (M, n): D's raw outputs (with other weights: an unrolled D)."""
        return self.D(x, params=params).squeeze(-1)

    def z(self) -> Tensor:
        return self.streams.normal(self.batch, self.latent)

    def _penalty(self, real: Tensor, fake: Tensor, f=None) -> Tensor:
        """(M,) WGAN-GP penalties lambda_m E[(|grad f(x_hat)| - 1)^2] at random interpolates
        (lab.gan.lipschitz.gradient_penalty per member; the gradient of the summed output is
        per member, as members share nothing). `f`: another D (an unrolled one)."""
        t = self.streams.uniform(real.shape[1], 1)
        x_hat = (t * real + (1 - t) * fake).detach().requires_grad_(True)
        (g,) = torch.autograd.grad((f or self.f)(x_hat).sum(), x_hat, create_graph=True)
        return self.gp_lambda * ((g.norm(dim=-1) - 1) ** 2).mean(-1)

    def d_update(self) -> None:
        """update D: minimise d_loss(D(x), D(G(z))) [+ penalty], per member; then clip."""
        with torch.no_grad():
            fake = self.G(self.z())
        real_p, fake_p = self.prep(self._real()), self.prep(fake)
        n = real_p.shape[1]
        out = self.f(torch.cat([real_p, fake_p], 1))       # one pass over both, as lab.gan.step
        loss = self._d_loss(out[:, :n], out[:, n:])         # (M,)
        total = loss.sum()
        if self.constraint == "gp":
            total = total + self._penalty(real_p, fake_p).sum()
        grads = torch.autograd.grad(total, self.D.params())
        self.opt_d.step(grads)
        if self.constraint == "clip":
            self.D.clamp_(self.clip)
        self.d_sum += loss.detach()
        self.n_d += 1

    def unrolled_params(self, fake_p: Tensor, k: int) -> list[Tensor]:
        """theta_D^k of every member (GAN2D.unrolled_params, Metz et al. 2017 eq. 12): k
        differentiable steps of D's own optimiser from its current state against the packed
        fakes, which depend on G; create_graph keeps that dependence, so G's gradient flows
        through the updates. Each step draws a real batch (and noise, and the penalty's mixing)
        as the single run's does; spectral norm reuses its vectors; clipping projects each step."""
        params, state = list(self.D.params()), self.opt_d.unrolled_state()
        self.D.eval()
        try:
            for i in range(k):
                real_p = self.prep(self._real())
                f = lambda x, ps=params: self.f(x, ps)  # noqa: E731
                n = real_p.shape[1]
                out = f(torch.cat([real_p, fake_p], 1))
                total = self._d_loss(out[:, :n], out[:, n:]).sum()
                if self.constraint == "gp":
                    total = total + self._penalty(real_p, fake_p, f).sum()
                grads = torch.autograd.grad(total, params, create_graph=True)
                params = self.opt_d.unrolled(params, grads, state, i)
                if self.constraint == "clip":
                    params = [p.clamp(-self.clip, self.clip) for p in params]
        finally:
            self.D.train()
        return params

    def g_update(self) -> None:
        """update G: minimise mean g_loss(D(G(z))) per member, through D (unrolled K steps when
        unroll > 0), in G's parameters only."""
        fake_p = self.prep(self.G(self.z()))
        params = self.unrolled_params(fake_p, self.unroll) if self.unroll > 0 else None
        out = self.f(fake_p, params)
        loss = self.objective.g_loss(out).mean(-1)          # (M,)
        grads = torch.autograd.grad(loss.sum(), self.G.params())
        self.opt_g.step(grads)
        self.g_sum += loss.detach()
        self.n_g += 1

    def iterate(self, which: str = "both") -> None:
        """One iteration: "both" = d_steps D updates then one G update; "d" / "g" = one update of
        that network only (GAN2D.iterate: the page's D-only / G-only buttons)."""
        if which in ("both", "d"):
            for _ in range(self.d_steps if which == "both" else 1):
                self.d_update()
        if which in ("both", "g"):
            self.g_update()
        self.step += 1

    def take_losses(self) -> tuple[np.ndarray, np.ndarray]:
        """(M,) mean D and G losses since the last call (NaN before any update): the host's only read."""
        d = self.d_sum.cpu().numpy().astype(np.float64) / self.n_d if self.n_d else np.full(self.m, np.nan)
        g = self.g_sum.cpu().numpy().astype(np.float64) / self.n_g if self.n_g else np.full(self.m, np.nan)
        self.d_sum, self.g_sum = torch.zeros_like(self.d_sum), torch.zeros_like(self.g_sum)
        self.n_d = self.n_g = 0
        return d, g

    @torch.no_grad()
    def samples(self, z: Tensor) -> Tensor:
        """G on fixed codes z (M, n, latent) -> (M, n, 2); no random draw, no state change."""
        return self.G(z)

    # ---- state ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(), "opt_d": self.opt_d.state_dict(),
                "opt_g": self.opt_g.state_dict(), "streams": self.streams.state(), "step": self.step,
                "bank": None if self._bank is None else self._bank.cpu(), "bank_pos": self._bank_pos,
                "d_sum": self.d_sum.cpu(), "g_sum": self.g_sum.cpu(), "n_d": self.n_d, "n_g": self.n_g}

    def load(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.streams.load(state["streams"])
        self.step, self._bank_pos, self.n_d, self.n_g = (int(state[k]) for k in ("step", "bank_pos", "n_d", "n_g"))
        self._bank = None if state["bank"] is None else state["bank"].to(self.device)
        self.d_sum, self.g_sum = state["d_sum"].to(self.device), state["g_sum"].to(self.device)
