"""A 2-D GAN trainer with the classic remedies for mode collapse (note 004), steppable live.

One iteration is note 001's Algorithm 1: `d_steps` discriminator updates, then one generator
update. Remedies, each a knob:
- unrolled D (Metz et al. 2017, eq. 12): G descends f(theta_G, theta_D^K), where theta_D^K is
  D after K more (differentiable) optimiser steps against G's current fakes, so G feels how D
  would answer its move. The D that is kept is still updated by the plain step. K = 0 is the
  plain GAN exactly.
- PacGAN packing (Lin et al. 2018): D sees m samples concatenated, (n, 2) -> (n/m, 2m), all
  real or all fake, so it can tell a collapsed batch from a diverse one.
- instance noise (Sonderby et al. 2017; note 000): N(0, s_t^2) added to every D input,
  s_t = s_0 (1 - step / anneal) annealed linearly to 0 (constant when anneal = 0).
Learning rates, d_steps, unroll and the noise change live (`retune`) without a reset.

Speed (the live page must not stall): fused Adam; loss values stay on the device and are summed there;
the host reads them only when metrics are taken, every `eval_every` steps. Real batches are
drawn in blocks (one mixture-sampling call per 32 batches). G's step differentiates only
G's parameters (autograd.grad), so D's weight gradients are never computed for it.
"""
from __future__ import annotations

import io
import time

import numpy as np
import torch
from torch.func import functional_call

from lab import mode_metrics
from lab.gan import lipschitz, objectives
from lab.config import ConfigError
from lab.device import build_seeded, generator
from lab.nets import mlp

# loss name -> (objective in lab.objectives, Lipschitz constraint in lab.lipschitz)
LOSSES = {
    "minimax": ("minimax", "none"),
    "ns": ("ns", "none"),
    "lsgan": ("lsgan", "none"),
    "wgan": ("wasserstein", "clip"),        # WGAN Alg. 1: weight clipping, RMSProp
    "wgan_gp": ("wasserstein", "gp"),       # WGAN-GP: lambda * (||grad f|| - 1)^2
    "hinge": ("hinge", "none"),             # with sn=true: SN-GAN (Miyato et al.)
}
LIVE_KEYS = ("lr_d", "lr_g", "d_steps", "unroll", "instance_noise", "noise_anneal")
REAL_BLOCK = 32        # batches of real data drawn per sampling call
N_ARROWS = 64
GRID = 60              # D's heat map resolution


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """(n, d) -> (n/m, m d): rows i*m .. i*m+m-1 side by side (PacGAN's packed input)."""
    return x.reshape(-1, m * x.shape[1])


def _root(v: torch.Tensor) -> torch.Tensor:
    """sqrt for the unrolled optimiser: d sqrt(v)/dv is inf at v = 0 (a dead unit's zero
    gradient), which turns G's gradient into NaN; below 1e-30 the value is frozen instead."""
    return v.clamp_min(1e-30).sqrt()


def _adam_like(opt: torch.optim.Optimizer):
    return isinstance(opt, torch.optim.Adam)


class GAN2D:
    """Reads from `cfg`: loss, sn, unroll, pac, instance_noise, noise_anneal, d_steps, lr_d,
    lr_g, beta1, beta2, optimizer, clip, gp_lambda, batch, latent, width, depth, activation,
    eval_every, seed."""

    def __init__(self, cfg, data):
        self.cfg, self.data = cfg, data
        obj_name, con_name = LOSSES[cfg.loss]
        self.objective = objectives.get(obj_name)
        self.constraint = lipschitz.make_constraint(con_name, clip=cfg.clip, gp_lambda=cfg.gp_lambda)
        layer = "sn" if cfg.sn else "plain"
        self.G = build_seeded(cfg.seed, lambda: mlp(cfg.latent, 2, cfg.width, cfg.depth, cfg.activation))
        self.D = build_seeded(cfg.seed + 1, lambda: mlp(2 * cfg.pac, 1, cfg.width, cfg.depth,
                                                        cfg.activation, layer))
        self.opt_d, self.opt_g = self._optimiser(self.D, cfg.lr_d), self._optimiser(self.G, cfg.lr_g)
        self.gen = generator(cfg.seed)
        fixed = generator(cfg.seed + 10_007)
        # Fixed noise (pytorch/examples dcgan): every evaluation looks at the same z, so the
        # coverage timeline shows G moving, not resampling noise.
        self.fixed_z = torch.randn(mode_metrics.N_SAMPLES, cfg.latent, generator=fixed)
        self.real_shown = data.sample(1000, fixed).numpy()
        lo, hi = data.extent()
        axes = [np.linspace(lo[i], hi[i], GRID) for i in range(2)]
        mesh = np.meshgrid(*axes)
        self.axes, self.grid = axes, torch.from_numpy(np.stack([m.ravel() for m in mesh], 1).astype(np.float32))
        self.hyper = {k: getattr(cfg, k) for k in LIVE_KEYS}
        self.step = 0
        self._bank, self._bank_pos = None, 0
        self._d_sum = torch.zeros(())
        self._g_sum = torch.zeros(())
        self._n_d = self._n_g = 0
        self.history: dict[str, list] = {k: [] for k in ("step", "modes", "hq", "reverse_kl", "d_loss", "g_loss")}
        self.coverage: list[np.ndarray] = []      # HQ samples per mode, one row per evaluation
        self.snapshots: dict[int, np.ndarray] = {}
        self.last = None
        self.evaluate()

    # ---- set-up --------------------------------------------------------------------------
    def _optimiser(self, net, lr):
        cfg = self.cfg
        kind = cfg.optimizer if cfg.optimizer != "auto" else ("rmsprop" if cfg.loss == "wgan" else "adam")
        if kind == "rmsprop":
            return torch.optim.RMSprop(net.parameters(), lr=lr)
        # fused: one kernel for all of a net's tensors; ~10% of a small GAN's step on one CPU thread
        return torch.optim.Adam(net.parameters(), lr=lr, betas=(cfg.beta1, cfg.beta2), fused=True)

    def retune(self, **values) -> None:
        """Change live hyperparameters (LIVE_KEYS) without touching the nets or their state."""
        for key, value in values.items():
            if key not in LIVE_KEYS:
                raise ConfigError(f"{key} cannot change live; the live keys are: {', '.join(LIVE_KEYS)}")
            self.hyper[key] = value
        for opt, key in ((self.opt_d, "lr_d"), (self.opt_g, "lr_g")):
            for group in opt.param_groups:
                group["lr"] = self.hyper[key]

    # ---- pieces of a step ----------------------------------------------------------------
    def _real(self) -> torch.Tensor:
        b = self.cfg.batch
        if self._bank is None or self._bank_pos + b > len(self._bank):
            self._bank, self._bank_pos = self.data.sample(b * REAL_BLOCK, self.gen), 0
        x = self._bank[self._bank_pos:self._bank_pos + b]
        self._bank_pos += b
        return x

    def noise_std(self) -> float:
        s0, anneal = self.hyper["instance_noise"], self.hyper["noise_anneal"]
        return s0 * max(0.0, 1.0 - self.step / anneal) if anneal > 0 else s0

    def _prep(self, x: torch.Tensor) -> torch.Tensor:
        """What D sees: instance noise, then packing."""
        s = self.noise_std()
        if s > 0:
            x = x + s * torch.randn(x.shape, generator=self.gen)
        return pack(x, self.cfg.pac)

    def f(self, x: torch.Tensor, params: dict | None = None) -> torch.Tensor:
        """(n, 2m) -> (n,) D's raw output (logit or critic value), optionally with other weights."""
        out = self.D(x) if params is None else functional_call(self.D, params, (x,))
        return out.squeeze(-1)

    def _d_objective(self, real_p, fake_p, params=None) -> tuple[torch.Tensor, torch.Tensor]:
        """(plain D loss, loss + penalty). Real and fake in one forward pass: half the calls,
        and one spectral-norm power iteration per update, as Miyato et al. do."""
        n = len(real_p)
        out = self.f(torch.cat([real_p, fake_p]), params)
        loss = self.objective.d_loss(out[:n], out[n:])
        pen = self.constraint.penalty(lambda x: self.f(x, params), real_p, fake_p, self.gen)
        return loss, (loss if pen is None else loss + pen)

    def _z(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch, self.cfg.latent, generator=self.gen)

    def d_update(self) -> None:
        """Maximise the D objective on a fresh real batch and detached fakes (Alg. 1, inner loop)."""
        with torch.no_grad():
            fake = self.G(self._z())
        loss, total = self._d_objective(self._prep(self._real()), self._prep(fake))
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        self.opt_d.step()
        self.constraint.after_step(self.D)
        self._d_sum = self._d_sum + loss.detach()
        self._n_d += 1

    def unrolled_params(self, fake_p: torch.Tensor, k: int) -> dict:
        """theta_D^k: k differentiable steps of D's own optimiser (Adam or RMSProp, from its
        current state) against the packed fakes `fake_p`, which depend on G. create_graph
        keeps the dependence, so G's gradient flows through the updates (Metz et al. eq. 12)."""
        names = [n for n, _ in self.D.named_parameters()]
        live = [p for _, p in self.D.named_parameters()]
        params = dict(zip(names, live))
        group = self.opt_d.param_groups[0]
        lr, eps = group["lr"], group["eps"]
        state = [self.opt_d.state.get(p, {}) for p in live]
        adam = _adam_like(self.opt_d)
        if adam:
            b1, b2 = group["betas"]
            m = [s.get("exp_avg", torch.zeros_like(p)) for s, p in zip(state, live)]
            v = [s.get("exp_avg_sq", torch.zeros_like(p)) for s, p in zip(state, live)]
            t0 = [float(s.get("step", 0)) for s in state]
        else:
            alpha = group["alpha"]
            v = [s.get("square_avg", torch.zeros_like(p)) for s, p in zip(state, live)]
        clip = isinstance(self.constraint, lipschitz.WeightClip)
        self.D.eval()          # spectral norm: reuse u, do not advance the power iteration
        try:
            for i in range(k):
                _, total = self._d_objective(self._prep(self._real()), fake_p, params)
                grads = torch.autograd.grad(total, list(params.values()), create_graph=True)
                new = []
                for j, (p, g) in enumerate(zip(params.values(), grads)):
                    if adam:
                        t = t0[j] + i + 1
                        m[j] = b1 * m[j] + (1 - b1) * g
                        v[j] = b2 * v[j] + (1 - b2) * g * g
                        step = lr * (m[j] / (1 - b1**t)) / (_root(v[j] / (1 - b2**t)) + eps)
                    else:
                        v[j] = alpha * v[j] + (1 - alpha) * g * g
                        step = lr * g / (_root(v[j]) + eps)
                    p = p - step
                    new.append(p.clamp(-self.constraint.c, self.constraint.c) if clip else p)
                params = dict(zip(names, new))
        finally:
            self.D.train()
        return params

    def g_loss_and_grads(self) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """G's loss on a fresh z, through the (possibly unrolled) D, and its gradient in G's
        parameters only."""
        fake_p = self._prep(self.G(self._z()))
        k = int(self.hyper["unroll"])
        params = self.unrolled_params(fake_p, k) if k > 0 else None
        loss = self.objective.g_loss(self.f(fake_p, params)).mean()
        grads = torch.autograd.grad(loss, list(self.G.parameters()))
        return loss, grads

    def g_update(self) -> None:
        loss, grads = self.g_loss_and_grads()
        for p, g in zip(self.G.parameters(), grads):
            p.grad = g
        self.opt_g.step()
        self._g_sum = self._g_sum + loss.detach()
        self._n_g += 1

    # ---- the run protocol ----------------------------------------------------------------
    def advance(self, k: int, which: str = "both", max_seconds: float | None = None) -> None:
        """k iterations: "both" = d_steps D updates then one G update; "d" / "g" = one update
        of that network only (GAN Lab's step buttons). With max_seconds, stop early once that
        much wall time has passed, so a live page with a heavy setting (unroll 20) keeps redrawing."""
        if which not in ("both", "d", "g"):
            raise ConfigError(f"which={which!r} is not one of: both, d, g")
        start = time.perf_counter()
        for i in range(k):
            if max_seconds is not None and i > 0 and time.perf_counter() - start > max_seconds:
                break                  # at least one iteration per call, so a tick always moves
            if which in ("both", "d"):
                for _ in range(int(self.hyper["d_steps"]) if which == "both" else 1):
                    self.d_update()
            if which in ("both", "g"):
                self.g_update()
            self.step += 1
            if self.step % self.cfg.eval_every == 0:
                self.evaluate()

    @torch.no_grad()
    def samples(self) -> np.ndarray:
        return self.G(self.fixed_z).numpy()

    def evaluate(self) -> dict:
        """Metrics on the fixed 2,500 samples, and the mean losses since the last evaluation
        (the only place the host reads a tensor)."""
        if self.history["step"] and self.history["step"][-1] == self.step:
            return self.last                       # already measured at this step
        x = self.samples()
        m = mode_metrics.evaluate(x, self.data)
        d_loss = float(self._d_sum) / self._n_d if self._n_d else None     # no update yet
        g_loss = float(self._g_sum) / self._n_g if self._n_g else None
        self._d_sum, self._g_sum, self._n_d, self._n_g = torch.zeros(()), torch.zeros(()), 0, 0
        for key, value in (("step", self.step), ("modes", m["modes"]), ("hq", m["hq"]),
                           ("reverse_kl", m["reverse_kl"]), ("d_loss", d_loss), ("g_loss", g_loss)):
            self.history[key].append(value)
        self.coverage.append(m["counts"])
        self.snapshots[self.step] = x[:500]
        self.last = {"modes": m["modes"], "hq": m["hq"], "reverse_kl": m["reverse_kl"]}
        return self.last

    def metrics(self) -> dict:
        if not self.history["step"] or self.history["step"][-1] != self.step:
            self.evaluate()
        return {**self.last, "steps": self.step}

    def d_values(self, x: torch.Tensor) -> torch.Tensor:
        """D at single points: a pack of m copies of each point (for the heat map)."""
        return self.f(x.repeat(1, self.cfg.pac))

    def arrows(self, x: torch.Tensor) -> torch.Tensor:
        """-d loss_G / dx at fakes x (n divisible by m): where G's update pushes each sample,
        through the plain D, packed as in training."""
        x = x.detach().requires_grad_(True)
        loss = self.objective.g_loss(self.f(pack(x, self.cfg.pac))).sum()
        (g,) = torch.autograd.grad(loss, x)
        return -g

    def snapshot(self) -> dict:
        metrics = self.metrics()
        x = self.samples()
        n_arrow = self.cfg.pac * (N_ARROWS // self.cfg.pac)
        with torch.no_grad():
            heat = self.d_values(self.grid)
            heat = torch.sigmoid(heat) if self.objective.probabilistic else heat
        at = torch.from_numpy(x[:n_arrow])
        return {
            "step": self.step, "data": self.data.name, "label": self.data.label,
            "centres": self.data.centres, "std": self.data.std,
            "real": self.real_shown, "fake": x,
            "axes": self.axes, "heat": heat.numpy().reshape(GRID, GRID),
            "probabilistic": self.objective.probabilistic,
            "arrows_at": at.numpy(), "arrows": self.arrows(at).numpy(),
            "metrics": metrics, "history": {k: list(v) for k, v in self.history.items()},
            "coverage": np.asarray(self.coverage), "snapshots": dict(self.snapshots),
            "noise_std": self.noise_std(),
        }

    def model_bytes(self) -> bytes:
        """G and D weights (torch.save of state dicts): load with weights_only=True."""
        buf = io.BytesIO()
        torch.save({"G": self.G.state_dict(), "D": self.D.state_dict(), "step": self.step}, buf)
        return buf.getvalue()
