"""M theta-GANs of one structure as one batched model: the batched twin of trainer.ThetaGAN.

Each member is a ThetaGAN: one number theta (the generator, G(z) = z + theta e_1) and a critic
(or D). Here theta is an (M,) tensor, the critics are one lab.sweep.stacked.StackedMLP (weights
with a leading member dimension), their optimiser is lab.sweep.optim's batched twin of the
recipe's. A theta step is ThetaGAN.step for every member at once:

    k times:  x, x' ~ P_0 (+ noise);  x' += theta e_1;  update the critic on (x, x') [+ penalty]
    once:     z ~ P_0 (+ noise);  theta <- theta - lr_g d/dtheta mean loss_G(f(z + theta e_1))

What may differ between members is a tensor with one entry each (`hyper`, theta0, sigma);
what changes the code path or a shape (setup, objective, constraint, optimiser kind, D steps,
batch, width, depth) defines the group (`structure`).

Random numbers: with member streams each member owns torch.Generator(seed) and draws from it
exactly what ThetaGAN draws, in the same order and shapes (real and fake points, instance noise
where its std is > 0, the penalty's interpolation weights), so a member is its single run up to
float rounding; the shared stream draws (M, ...) at once on the device (lab.sweep.streams).
Members never interact: every op is per member, so perturbing member j leaves member i bitwise
unchanged.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.func import vmap

from lab.data.lines import Line
from lab.device import build_seeded, generator
from lab.gan import lipschitz, objectives, recipes
from lab.nets import mlp, shrink_last_layer
from lab.sweep import optim
from lab.sweep.generators import PerMember
from lab.sweep.stacked import StackedMLP

Tensor = torch.Tensor
ACTIVATION = "leaky_relu"          # ThetaGAN's critic
EVAL_POINTS = 1024                 # ThetaGAN's fixed evaluation batch (the push)
EVAL_SEED = 10_007                 # its offset from the seed
RECIPE_HYPER = ("lr_d", "lr_g", "beta1", "beta2", "clip", "gp_lambda")     # from the resolved recipe


def structure(cfg) -> tuple:
    """What members of one group share (a DisjointConfig's resolved recipe and sizes)."""
    r = recipes.resolve(cfg, cfg.recipe_scale)
    return (cfg.setup, r.objective, r.constraint, r.optimizer, r.d_steps, cfg.batch, cfg.width, cfg.depth)


def hyper(cfgs) -> dict[str, np.ndarray]:
    """(M,) float64 per-member numbers: the RECIPE_HYPER keys (the recipe's as this experiment
    scales it, under the config's own), gp_warmup, instance_noise and the noise schedule's length
    (anneal_steps)."""
    rs = [recipes.resolve(c, c.recipe_scale) for c in cfgs]
    rows = {k: [getattr(r, k) for r in rs] for k in RECIPE_HYPER}
    rows.update(gp_warmup=[c.gp_warmup for c in cfgs], instance_noise=[c.instance_noise for c in cfgs],
                anneal=[c.anneal_steps() for c in cfgs])
    return {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}


def p0(cfg) -> Line:
    """A member's real distribution, as trainer.p0."""
    return Line(0.0, cfg.sigma if cfg.setup == "gaussians" else 0.0)


# ---- random numbers ---------------------------------------------------------------------------
class MemberStreams(PerMember):
    """Member m draws from its own torch.Generator(seed_m) on the CPU what ThetaGAN draws."""

    def __init__(self, cfgs, device: torch.device):
        super().__init__([c.seed for c in cfgs], device)
        self.lines = [p0(c) for c in cfgs]

    def points(self, n: int) -> Tensor:
        """(M, n, 2) points of P_0, member m's line from its own stream."""
        return torch.stack([line.sample(n, g) for line, g in zip(self.lines, self.gens)]).to(self.device)

    def noise(self, n: int, active: np.ndarray) -> Tensor:
        """(M, n, 2) unit instance noise; a member whose std is 0 draws nothing (ThetaGAN skips it)."""
        return self.each_active(active, lambda g: torch.randn(n, 2, generator=g), torch.zeros(n, 2))

    def uniform(self, n: int) -> Tensor:
        """(M, n, 1) the penalty's interpolation weights (lab.gan.lipschitz.gradient_penalty)."""
        return self.each(lambda g: torch.rand(n, 1, generator=g))


class SharedStream:
    """One generator on `device` draws for all members at once (not the single runs' numbers)."""

    def __init__(self, cfgs, device: torch.device):
        self.gen = generator(cfgs[0].seed, device)
        self.m, self.device = len(cfgs), device
        self.s = torch.tensor([p0(c).s for c in cfgs], device=device)      # (M,) 0 on the lines

    def points(self, n: int) -> Tensor:
        pts = torch.rand(self.m, n, 2, generator=self.gen, device=self.device)
        x = torch.randn(self.m, n, generator=self.gen, device=self.device) if bool((self.s > 0).any()) else 0.0
        pts[..., 0] = self.s[:, None] * x
        return pts

    def noise(self, n: int, active: np.ndarray) -> Tensor:
        return torch.randn(self.m, n, 2, generator=self.gen, device=self.device)

    def uniform(self, n: int) -> Tensor:
        return torch.rand(self.m, n, 1, generator=self.gen, device=self.device)

    def state(self) -> list[Tensor]:
        return [self.gen.get_state()]

    def load(self, state: list[Tensor]) -> None:
        self.gen.set_state(state[0])


# ---- the batched theta-GAN --------------------------------------------------------------------
class BatchedThetaGAN:
    """`cfgs`: the members' DisjointConfigs (one structure); `streams`: "member" or "shared"."""

    def __init__(self, cfgs, device: torch.device, streams: str = "member"):
        if len({structure(c) for c in cfgs}) != 1:
            raise ValueError("a batched group needs members of one structure (disjoint.batched.structure)")
        c = cfgs[0]
        self.cfgs, self.device, self.m = list(cfgs), device, len(cfgs)
        r = recipes.resolve(c, c.recipe_scale)
        self.objective = objectives.get(r.objective)
        self.constraint, self.d_steps, self.batch = r.constraint, r.d_steps, c.batch
        self._set_hyper(cfgs)
        # Each member's critic as ThetaGAN builds it: seeded init, last layer shrunk, projected
        # into the constraint set (clipping); then stacked.
        layer = lipschitz.make_constraint(r.constraint).layer
        nets = []
        for x, clip in zip(cfgs, self.host["clip"]):
            net = build_seeded(x.seed, lambda: mlp(2, 1, c.width, c.depth, ACTIVATION, layer))
            shrink_last_layer(net)
            if r.constraint == "clip":
                lipschitz.clip_weights(net, float(clip))
            nets.append(net)
        self.D = StackedMLP(nets, ACTIVATION).to(device)
        self.opt_d = optim.make(r.optimizer, self.D.params(), self.hp["lr_d"], self.hp["beta1"], self.hp["beta2"])
        self.theta = torch.tensor([float(x.theta0) for x in cfgs], device=device)          # (M,) float32
        self.streams = MemberStreams(cfgs, device) if streams == "member" else SharedStream(cfgs, device)
        # The fixed evaluation batch and unit-noise draw of each member (ThetaGAN: seed + 10,007).
        base, noise = [], []
        for x in cfgs:
            ev = generator(x.seed + EVAL_SEED)
            base.append(p0(x).sample(EVAL_POINTS, ev))
            noise.append(torch.randn(EVAL_POINTS, 2, generator=ev))
        self.eval_base, self.eval_noise = torch.stack(base).to(device), torch.stack(noise).to(device)
        self.e1 = torch.tensor([1.0, 0.0], device=device)
        self._d_loss = vmap(self.objective.d_loss)          # (M, n), (M, n) -> (M,)
        self.step, self.gp_calls = 0, 0
        self.d_sum = torch.zeros(self.m, device=device)
        self.n_d = 0

    def _set_hyper(self, cfgs) -> None:
        self.host = hyper(cfgs)
        self.hp = {k: torch.as_tensor(v, device=self.device) for k, v in self.host.items()}
        self.clip = self.hp["clip"].float()[:, None, None]

    def retune(self, cfgs) -> None:
        """New per-member values of live keys (rates, D steps, bound, lambda, noise and its
        schedule, the step budget it may follow); theta, critics and optimiser state untouched
        (ThetaGAN.retune)."""
        self.cfgs = list(cfgs)
        self.d_steps = recipes.resolve(cfgs[0], cfgs[0].recipe_scale).d_steps
        self._set_hyper(cfgs)
        self.opt_d.lr = self.hp["lr_d"]

    # ---- pieces of a step ----------------------------------------------------------------------
    def noise_std(self, step: int | None = None) -> np.ndarray:
        """(M,) instance-noise std at `step` (default: now), DisjointRun.noise's rule per member:
        s0 (1 - step / over), floored at 0, or s0 where over is 0."""
        step = self.step if step is None else step
        s0, over = self.host["instance_noise"], self.host["anneal"]
        ramp = np.maximum(0.0, 1.0 - step / np.where(over > 0, over, 1.0))
        return np.where(over > 0, s0 * ramp, s0)

    def _noisy(self, x: Tensor, std: np.ndarray) -> Tensor:
        """x + std_m * N(0, I) per member; members with std 0 unchanged and drawing nothing."""
        on = std > 0
        if not on.any():
            return x
        s = torch.as_tensor(std, device=x.device).float()[:, None, None]
        return x + s * self.streams.noise(x.shape[1], on)          # + 0 exactly where std is 0

    def f(self, x: Tensor) -> Tensor:
        """(M, n, 2) -> (M, n): each member's logit or critic value."""
        return self.D(x).squeeze(-1)

    def _penalty(self, real: Tensor, fake: Tensor) -> Tensor:
        """(M,) lambda_m ramp_m E[(|grad f(x_hat)| - 1)^2] (GradientPenalty: lambda ramps over
        gp_warmup calls). The gradient of the summed output is per member: members share nothing."""
        self.gp_calls += 1
        lam, warm = self.host["gp_lambda"], self.host["gp_warmup"]
        ramp = np.where(warm > 0, np.minimum(1.0, self.gp_calls / np.where(warm > 0, warm, 1.0)), 1.0)
        t = self.streams.uniform(real.shape[1])
        x_hat = (t * real + (1 - t) * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(self.f(x_hat).sum(), x_hat, create_graph=True)
        coef = torch.as_tensor(lam * ramp, device=real.device).float()
        return coef * ((g.norm(dim=-1) - 1) ** 2).mean(-1)

    def d_update(self, std: np.ndarray) -> Tensor:
        """update D / the critic on fresh batches, theta fixed; returns its (M,) loss (no penalty)."""
        n = self.batch
        both = self._noisy(self.streams.points(2 * n), std)       # (M, 2n, 2)
        both[:, n:, 0] += self.theta[:, None]
        out = self.f(both)                                        # one pass over both, as lab.gan.step
        loss = self._d_loss(out[:, :n], out[:, n:])
        total = loss
        if self.constraint == "gp":
            total = total + self._penalty(both[:, :n], both[:, n:])
        grads = torch.autograd.grad(total.sum(), self.D.params())
        self.opt_d.step(grads)
        if self.constraint == "clip":
            self.D.clamp_(self.clip)
        return loss.detach()

    def theta_update(self, std: np.ndarray) -> Tensor:
        """theta <- theta - lr_g * d/dtheta mean loss_G(f(z + theta e_1)), plain SGD per member;
        returns the (M,) gradient."""
        theta = self.theta.clone().requires_grad_(True)
        fake = self._noisy(self.streams.points(self.batch), std) + theta[:, None, None] * self.e1
        loss = self.objective.g_loss(self.f(fake)).mean(-1)      # (M,)
        (grad,) = torch.autograd.grad(loss.sum(), theta)
        self.theta = (theta - self.hp["lr_g"].float() * grad).detach()
        return grad

    def iterate(self) -> None:
        """One theta step of every member (ThetaGAN.step at this step's instance noise)."""
        std = self.noise_std()
        for _ in range(self.d_steps):
            loss = self.d_update(std)
        self.theta_update(std)
        self.d_sum += loss                 # the last D update's loss, as DisjointRun logs it
        self.n_d += 1
        self.step += 1

    def take_losses(self) -> np.ndarray:
        """(M,) mean D loss (each theta step's last D update) since the last call; NaN before any."""
        d = self.d_sum.cpu().numpy().astype(np.float64) / self.n_d if self.n_d else np.full(self.m, np.nan)
        self.d_sum, self.n_d = torch.zeros_like(self.d_sum), 0
        return d

    # ---- reading (eval mode: spectral norm's power iteration does not advance) -----------------
    def push(self) -> np.ndarray:
        """(M,) -d loss_G / d theta on each member's fixed evaluation batch at this step's noise
        (ThetaGAN.push): where SGD sends theta, per unit lr."""
        std = torch.as_tensor(self.noise_std(), device=self.device).float()[:, None, None]
        self.D.eval()
        try:
            theta = self.theta.clone().requires_grad_(True)
            fake = self.eval_base + std * self.eval_noise + theta[:, None, None] * self.e1
            loss = self.objective.g_loss(self.f(fake)).mean(-1)
            (grad,) = torch.autograd.grad(loss.sum(), theta)
        finally:
            self.D.train()
        return -grad.cpu().numpy().astype(np.float64)

    def lipschitz(self, xs: np.ndarray) -> np.ndarray:
        """(M,) max |grad_x f| at (x, 1/2) for each member's row of xs (M, n) (ThetaGAN.across_gap)."""
        return self.across_gap(xs)[1]

    def across_gap(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """((M, n) values, (M,) Lipschitz constants) along each member's row of xs at y = 1/2, as
        ThetaGAN.across_gap reads one member: D in [0, 1], or the critic centred at the middle of
        the gap and divided by its measured constant."""
        pts = torch.full((*xs.shape, 2), 0.5, device=self.device)
        pts[..., 0] = torch.as_tensor(xs, dtype=torch.float32, device=self.device)
        self.D.eval()
        try:
            pts.requires_grad_(True)
            out = self.f(pts)
            (g,) = torch.autograd.grad(out.sum(), pts)
            lip = g.norm(dim=-1).amax(-1)
            with torch.no_grad():
                if self.objective.probabilistic:
                    value = torch.sigmoid(out)
                else:
                    mid = torch.full((self.m, 1, 2), 0.5, device=self.device)
                    mid[:, 0, 0] = 0.5 * self.theta
                    value = (out - self.f(mid)) / lip.clamp_min(1e-12)[:, None]
        finally:
            self.D.train()
        host = lambda t: t.detach().cpu().numpy().astype(np.float64)  # noqa: E731
        return host(value), host(lip)

    # ---- state ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"theta": self.theta.cpu(), "D": self.D.state_dict(), "opt_d": self.opt_d.state_dict(),
                "streams": self.streams.state(), "step": self.step, "gp_calls": self.gp_calls,
                "d_sum": self.d_sum.cpu(), "n_d": self.n_d}

    def load(self, state: dict) -> None:
        self.theta = state["theta"].to(self.device)
        self.D.load_state_dict(state["D"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.streams.load(state["streams"])
        self.step, self.gp_calls, self.n_d = (int(state[k]) for k in ("step", "gp_calls", "n_d"))
        self.d_sum = state["d_sum"].to(self.device)
