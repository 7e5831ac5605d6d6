"""One group of a discriminator sweep: M discriminators (or critics) of one structure trained as
one batched model against the same frozen p and p_G.

The batched twin of DiscriminatorRun._advance, update for update (lab.gan.step.d_step: one
joint pass over a real and a fake batch, the objective's D loss plus the constraint's penalty,
one Adam step, then the constraint's projection), with the member as a leading dimension: the
net is a lab.sweep.stacked.StackedMLP, the optimiser lab.sweep.optim.Adam. What may differ
between members is a tensor with one entry each (`HYPER`: learning rate, clip bound, penalty
weight and its warm-up); what may not (sizes, loss, constraint, the distributions, the batch)
defines the group (`structure`).

Random numbers: with member streams, member m owns torch.Generator(seed_m) and draws from it
what its single run draws, in the single run's order (a real batch, a fake batch, then the
penalty's interpolation points), so a member *is* the single run of its config and seed up to
float rounding (tests/test_sweep_discriminator.py). The shared stream draws all members' numbers
at once from one generator: reproducible, not the single runs' sequences.

Losses per member: the objective reduces with .mean(); through torch.func.vmap over members
each member's loss is the objective's own maths on its (n,) outputs, and the gradient of their
sum is, for member m, exactly member m's gradient (members share no parameter).
"""
from __future__ import annotations

import numpy as np
import torch
from torch.func import vmap

from lab.data.mixtures import Mixture
from lab.device import build_seeded, generator
from lab.gan import lipschitz, objectives
from lab.nets import mlp, shrink_last_layer
from lab.sweep import optim
from lab.sweep.generators import PerMember
from lab.sweep.stacked import StackedMLP

Tensor = torch.Tensor
HYPER = ("lr_d", "clip", "gp_lambda", "gp_warmup")
BETAS = (0.5, 0.9)         # DiscriminatorRun.opt's Adam betas (not a config key there)


def structure(cfg) -> tuple:
    """What members of one group share: the data, the net's shape and the code path."""
    return (cfg.dim, cfg.mixture("real"), cfg.mixture("fake"), cfg.constraint, cfg.loss, cfg.width, cfg.depth,
            cfg.activation, cfg.batch)


def hyper(cfgs) -> dict[str, np.ndarray]:
    """(M,) float64 per-member values of every HYPER key."""
    return {k: np.asarray([getattr(c, k) for c in cfgs], dtype=np.float64) for k in HYPER}


def net(cfg) -> torch.nn.Sequential:
    """The member's initial net, made as DiscriminatorRun makes it (seeded, last layer shrunk)."""
    layer = lipschitz.make_constraint(cfg.constraint).layer
    d = build_seeded(cfg.seed, lambda: mlp(cfg.dim, 1, cfg.width, cfg.depth, cfg.activation, layer))
    shrink_last_layer(d)
    return d


class MemberStreams(PerMember):
    """Member m's generator(seed_m), as DiscriminatorRun.gen; draws stacked, then moved to `device`."""

    def __init__(self, seeds: list[int], p: Mixture, q: Mixture, device: torch.device):
        super().__init__(seeds, device)
        self.p, self.q = p, q

    def real(self, n: int) -> Tensor:
        """(M, n, d) samples of p, member m's from its own stream."""
        return self.each(lambda g: self.p.sample(n, g))

    def fake(self, n: int) -> Tensor:
        return self.each(lambda g: self.q.sample(n, g))

    def uniform(self, n: int) -> Tensor:
        """(M, n, 1): the penalty's interpolation weights (lab.gan.lipschitz.gradient_penalty's draw)."""
        return self.each(lambda g: torch.rand(n, 1, generator=g))


class SharedStream:
    """One CPU generator drawing every member's numbers at once (Mixture samples on the CPU):
    one draw per call whatever M is; members get different numbers, not their single runs'."""

    def __init__(self, seed: int, members: int, p: Mixture, q: Mixture, device: torch.device):
        self.gen = generator(seed)
        self.m, self.p, self.q, self.device = members, p, q, device

    def real(self, n: int) -> Tensor:
        return self.p.sample(self.m * n, self.gen).reshape(self.m, n, -1).to(self.device)

    def fake(self, n: int) -> Tensor:
        return self.q.sample(self.m * n, self.gen).reshape(self.m, n, -1).to(self.device)

    def uniform(self, n: int) -> Tensor:
        return torch.rand(self.m, n, 1, generator=self.gen).to(self.device)

    def state(self) -> list[Tensor]:
        return [self.gen.get_state()]

    def load(self, state: list[Tensor]) -> None:
        self.gen.set_state(state[0])


class BatchedDiscriminators:
    """`cfgs`: the members' DiscriminatorConfigs (one structure); `streams`: "member" or "shared"."""

    def __init__(self, cfgs, device: torch.device, streams: str = "member"):
        c = cfgs[0]
        if len({structure(x) for x in cfgs}) != 1:
            raise ValueError("a batched group needs members of one structure (discriminator.batched.structure)")
        self.cfgs, self.device, self.m = list(cfgs), device, len(cfgs)
        self.p, self.q = c.mixture("real"), c.mixture("fake")
        self.objective = objectives.get(c.loss)
        self.constraint, self.batch = c.constraint, c.batch
        self.D = StackedMLP([net(x) for x in cfgs], c.activation).to(device)
        self._set_hyper(cfgs)
        full = lambda v: torch.full((self.m,), v, dtype=torch.float64, device=device)  # noqa: E731
        self.opt = optim.make("adam", self.D.params(), self.hp["lr_d"], full(BETAS[0]), full(BETAS[1]))
        self.streams = (MemberStreams([x.seed for x in cfgs], self.p, self.q, device) if streams == "member"
                        else SharedStream(c.seed, self.m, self.p, self.q, device))
        self._d_loss = vmap(self.objective.d_loss)           # (M, n), (M, n) -> (M,)
        self.gp_calls = 0                                     # GradientPenalty.calls: where the ramp stands
        self.loss_sum = torch.zeros(self.m, device=device)
        self.n_losses = 0

    def _set_hyper(self, cfgs) -> None:
        self.host = hyper(cfgs)
        self.hp = {k: torch.as_tensor(v, device=self.device) for k, v in self.host.items()}
        self.clip = self.hp["clip"].float()[:, None, None]

    def retune(self, cfgs) -> None:
        """New per-member live values (rate, clip, penalty weight) and the batch; the net, Adam's
        moments and the penalty's ramp untouched (DiscriminatorRun._retune)."""
        self.cfgs = list(cfgs)
        self.batch = cfgs[0].batch
        self._set_hyper(cfgs)
        self.opt.lr = self.hp["lr_d"]

    def f(self, x: Tensor, members: slice = slice(None)) -> Tensor:
        """(m, n, d) -> (m, n): the raw outputs (D's logit, LSGAN's D, the critic's value)."""
        return self.D(x, members).squeeze(-1)

    def _penalty_weights(self) -> Tensor:
        """(M,) lambda_m * ramp_m, GradientPenalty.penalty's `lam * ramp` in float64 per member."""
        self.gp_calls += 1
        warm = self.host["gp_warmup"]
        ramp = np.where(warm > 0, np.minimum(1.0, self.gp_calls / np.maximum(warm, 1.0)), 1.0)
        return torch.as_tensor(self.host["gp_lambda"] * ramp, device=self.device).float()

    def _penalty(self, real: Tensor, fake: Tensor) -> Tensor:
        """(M,) E[(|grad f(x_hat)| - 1)^2] at random interpolates (lipschitz.gradient_penalty per
        member: the gradient of the summed output is per member, as members share nothing)."""
        t = self.streams.uniform(real.shape[1])
        x_hat = (t * real + (1 - t) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(self.f(x_hat).sum(), x_hat, create_graph=True)
        return ((g.norm(dim=-1) - 1) ** 2).mean(-1)

    def d_update(self) -> None:
        """update D: minimise d_loss(D(x), D(x_G)) [+ lambda ramp penalty], per member; then clip."""
        real, fake = self.streams.real(self.batch), self.streams.fake(self.batch)     # (M, n, d) each
        n = real.shape[1]
        out = self.f(torch.cat([real, fake], 1))            # one pass over both, as lab.gan.step
        loss = self._d_loss(out[:, :n], out[:, n:])         # (M,)
        total = loss.sum()
        if self.constraint == "gp":
            total = total + (self._penalty_weights() * self._penalty(real, fake)).sum()
        grads = torch.autograd.grad(total, self.D.params())
        self.opt.step(grads)
        if self.constraint == "clip":
            self.D.clamp_(self.clip)
        self.loss_sum += loss.detach()
        self.n_losses += 1

    def iterate(self) -> None:
        self.d_update()

    def take_losses(self) -> np.ndarray:
        """(M,) mean D loss (without the penalty) since the last call; NaN before any update."""
        d = (self.loss_sum.cpu().numpy().astype(np.float64) / self.n_losses if self.n_losses
             else np.full(self.m, np.nan))
        self.loss_sum, self.n_losses = torch.zeros_like(self.loss_sum), 0
        return d

    # ---- state ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"D": self.D.state_dict(), "opt": self.opt.state_dict(), "streams": self.streams.state(),
                "gp_calls": self.gp_calls, "loss_sum": self.loss_sum.cpu(), "n_losses": self.n_losses}

    def load(self, state: dict) -> None:
        self.D.load_state_dict(state["D"])
        self.opt.load_state_dict(state["opt"])
        self.streams.load(state["streams"])
        self.gp_calls, self.n_losses = int(state["gp_calls"]), int(state["n_losses"])
        self.loss_sum = state["loss_sum"].to(self.device)
