"""The GAN as an energy-based model (note 003, sec. 15.2.4), two modes:

identity  f = the target's log p~ is fixed; a Gaussian q climbs E_q f + H(q) by Adam, up to
          log Z(f) exactly when f is quadratic (a Gaussian target), strictly below it otherwise.
minmax    max_f min_q E_p f - E_q f - H(q): maximum likelihood E_p f - log Z(f) with log Z(f)
          replaced by its variational form. f is an MLP energy, q a normalising flow on the
          target's box (lab.experiments.ebm_gan.flows); f's step is the GAN kit's D step with the
          Wasserstein pair of losses (f maximises E_p f - E_q f), q's the kit's G loss -E_q f plus
          E_q log q = -H(q) by reparameterised samples.

Read-outs on the target's fine grid: log Z(f) by the rectangle rule, the bound E_q f + H(q)
(quadrature over q's base grid), their gap KL(q || p_f), KL(p || p_f), and the KL of q's
samples' histogram to p."""
from __future__ import annotations

import math

import numpy as np
import torch

from lab import nets
from lab.data import densities
from lab.experiments.ebm_gan import flows, gaussian
from lab.gan import lipschitz, objectives, recipes, step as gan_step
from lab.run import Run

SHOWN = 600          # q's samples drawn on the page
MEASURED = 5000      # q's samples in the histogram KL
BINS = 40            # histogram bins per axis
BASE = {1: 801, 2: 61}       # base-grid points per axis over [-6, 6]^d for E_q[f - log q]
SUB = {1: 1, 2: 2}           # the read-out grid takes every SUB-th point of the target's fine grid
OBJ = objectives.get("wasserstein")


class EnergyPenalty(lipschitz.Constraint):
    """alpha (E_p f^2 + E_q f^2) added to f's loss (Du & Mordatch 2019's energy regulariser): the min-max's
    objective is linear in f for a fixed q, so where q lags nothing but q's response holds f back;
    the penalty does, and biases f towards 0 (a flatter p_f) as alpha grows. None at alpha = 0."""

    def __init__(self, alpha: float):
        self.alpha = alpha

    def penalty(self, f, real, fake, gen):
        if self.alpha <= 0:
            return None
        return self.alpha * (f(real) ** 2 + f(fake) ** 2).mean()


def _base_grid(d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Points z on [-6, 6]^d and weights N(z) dz / sum (the rectangle rule for E_z)."""
    t = np.linspace(-6, 6, BASE[d])
    z = t[:, None] if d == 1 else np.stack(np.meshgrid(t, t, indexing="xy"), -1).reshape(-1, 2)
    w = np.exp(-0.5 * (z ** 2).sum(1))
    return torch.from_numpy(z).float(), torch.from_numpy(w / w.sum()).float()


class EbmGanRun(Run):
    experiment = "ebm_gan"

    def __init__(self, cfg):
        super().__init__(cfg)
        self.target = t = densities.resolve(cfg.target)
        self.d, g = t.dim, t.grid
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.bins = t.bins(BINS)
        # The read-out grid: the target's fine grid, every other point per axis in 2-D (81 x 81,
        # spacing a third of the ring's std or less: the rectangle rule is still exact to ~1e-9)
        self.axes = [ax[::SUB[self.d]] for ax in g["axes"]]
        if self.d == 1:
            pts = self.axes[0][:, None]
        else:
            pts = np.stack(np.meshgrid(*self.axes, indexing="xy"), -1).reshape(-1, 2)
        self.points = torch.from_numpy(pts)
        self.area = float(np.prod([ax[1] - ax[0] for ax in self.axes]))
        lp = t.log_unnorm(self.points).numpy()
        self.log_p = lp - np.logaddexp.reduce(lp) - math.log(self.area)          # normalised on the grid
        torch.manual_seed(cfg.seed)
        if cfg.mode == "identity":
            self._init_identity()
        else:
            self._init_minmax()
        self.history = {k: [] for k in ("step", "bound", "log_z", "gap", "kl_p", "kl_q")}
        self._log()

    # ---- identity: a Gaussian q under the fixed f = log p~ ----------------------------------------
    def _init_identity(self) -> None:
        t, (lo, hi) = self.target, self.target.box
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        u = torch.rand(self.d, generator=self.gen, dtype=torch.float64).numpy()
        self.q = gaussian.GaussianQ(mid + half * (u - 0.5), half / 2)
        self.opt_q = torch.optim.Adam(self.q.parameters(), lr=self.cfg.lr_g)
        self.quad, self.const = None, 0.0
        mix = t.mixture
        if mix is not None and len(mix.weights) == 1:      # f = log N(x; m, s^2 I) = quadratic + const
            s = mix.stds[0]
            eye = torch.eye(self.d, dtype=torch.float64)
            self.quad = (torch.tensor(mix.means[0], dtype=torch.float64), eye / s ** 2)
            self.const = -self.d * math.log(s) - 0.5 * self.d * math.log(2 * math.pi)
        # over all of R^d (q is a Gaussian there): a mixture's log p~ is normalised already, and
        # the banana's Z is 2 pi a (lab.data.densities)
        self.exact_log_z = 0.0 if mix is not None else math.log(2 * math.pi * densities.BANANA[0])
        self.state_attrs = ("q", "opt_q", "gen")

    def _bound_identity(self) -> torch.Tensor:
        return self.q.bound(self.target.log_unnorm, self.quad) + self.const

    # ---- minmax: an energy net f against a flow q ---------------------------------------------------
    def _init_minmax(self) -> None:
        cfg = self.cfg
        self.f = nets.mlp(self.d, 1, cfg.width, 2, activation="silu")
        nets.shrink_last_layer(self.f)              # f ~ 0: p_f starts uniform on the box
        self.flow = flows.make(self.d, self.target.box, cfg.layers, cfg.width, self.gen)
        self.opt_f = recipes.make_optimizer("adam", self.f.parameters(), cfg.lr_d, betas=(0.5, 0.999))
        self.opt_q = recipes.make_optimizer("adam", self.flow.parameters(), cfg.lr_g, betas=(0.5, 0.999))
        self.penalty = EnergyPenalty(cfg.alpha)
        self.base_z, self.base_w = _base_grid(self.d)
        self.grid_x = self.points.float()
        self.state_attrs = ("f", "flow", "opt_f", "opt_q", "gen")

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x).squeeze(-1)

    def _minmax_step(self) -> None:
        cfg, t = self.cfg, self.target
        for _ in range(cfg.d_steps):
            real = t.sample(cfg.batch, self.gen).float()
            with torch.no_grad():
                fake = self.flow.sample(cfg.batch, self.gen)[0]
            gan_step.d_step(self.energy, self.f, OBJ, self.penalty, self.opt_f, real, fake)
        x, log_q = self.flow.sample(cfg.batch, self.gen)
        self.f.requires_grad_(False)                 # q's step moves q only
        try:
            loss = gan_step.g_loss(self.energy, OBJ, x) + log_q.mean()      # -(E_q f + H(q))
            self.opt_q.zero_grad(set_to_none=True)
            loss.backward()
            self.opt_q.step()
        finally:
            self.f.requires_grad_(True)

    @torch.no_grad()
    def _measure_minmax(self) -> dict:
        fg = self.energy(self.grid_x).double().numpy()
        log_z = float(np.logaddexp.reduce(fg) + math.log(self.area))
        x, ld = self.flow(self.base_z)
        bound = float((self.base_w * (self.energy(x) - self.flow.base_log_prob(self.base_z) + ld)).sum())
        p = np.exp(self.log_p) * self.area
        kl_p = float((p * (self.log_p - (fg - log_z))).sum())
        gen = torch.Generator().manual_seed(self.cfg.seed + 1)            # the same noise each time
        xs = self.flow.sample(MEASURED, gen)[0].double().numpy()
        kl_q = densities.kl_hist(densities.histogram(xs, self.bins["edges"]), self.bins["prob"])
        return {"bound": bound, "log_z": log_z, "gap": log_z - bound, "kl_p": kl_p, "kl_q": kl_q,
                "f": fg - log_z, "samples": xs}

    # ---- the protocol ---------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        every = max(1, self.total // 100)
        for _ in range(k):
            if self.cfg.mode == "identity":
                loss = -self._bound_identity()
                self.opt_q.zero_grad(set_to_none=True)
                loss.backward()
                self.opt_q.step()
            else:
                self._minmax_step()
            self.step += 1
            if self.step % every == 0 or self.step == self.total:
                self._log()

    def _measure(self) -> dict:
        if self.cfg.mode == "minmax":
            return self._measure_minmax()
        with torch.no_grad():
            bound = float(self._bound_identity())
        return {"bound": bound, "log_z": self.exact_log_z, "gap": self.exact_log_z - bound,
                "kl_p": math.nan, "kl_q": math.nan}

    def _log(self) -> None:
        m = self._measure()
        self.history["step"].append(self.step)
        for k in ("bound", "log_z", "gap", "kl_p", "kl_q"):
            self.history[k].append(m[k])

    def _retune(self, cfg) -> None:
        recipes.set_lr(self.opt_q, cfg.lr_g)
        if cfg.mode == "minmax":
            recipes.set_lr(self.opt_f, cfg.lr_d)
            self.penalty.alpha = cfg.alpha

    def _metrics(self) -> dict:
        m = self._measure()
        return {"steps": self.step, **{k: m[k] for k in ("bound", "log_z", "gap", "kl_p", "kl_q")}}

    def _snapshot(self) -> dict:
        m = self._measure()
        out = {"target": self.target.name, "dim": self.d, "mode": self.cfg.mode, "step": self.step,
               "total": self.total, "axes": self.axes, "points": self.points.numpy(), "box": self.target.box,
               "log_p": self.log_p,
               "metrics": {"steps": self.step, **{k: m[k] for k in ("bound", "log_z", "gap", "kl_p", "kl_q")}},
               "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}
        if self.cfg.mode == "minmax":
            out |= {"f": m["f"], "samples": m["samples"][:SHOWN], "hist": densities.histogram(
                m["samples"], self.bins["edges"]), "edges": self.bins["edges"]}
        else:
            with torch.no_grad():
                out |= {"mu": self.q.mu.numpy().copy(), "cov": self.q.cov().numpy()}
        return out
