"""The 1-D GAN game: an MLP generator G: z -> x against an MLP discriminator D, trained by note
001's Algorithm 1 (k updates of D by lab.gan.step.d_step, then one of G on the recipe's loss),
and read exactly: G on a fine grid of z, D on the bins of lab.experiments.gan1d.densities.

What is read at each measurement, from the current D and G (never from a training batch):
- p_G (the push-forward), D* = p / (p + p_G), JS, C(G), W1, V(D, G), the means of D on the real
  and the fake side, all by quadrature (densities);
- G's learning signal at its fakes for BOTH generator losses, whatever the recipe trains on:
  E_z |d loss_G / dx| at x = G(z), for the minimax loss log(1 - D) and the non-saturating -log D
  (note 002's log D trick). With D = sigmoid(a), d/dx log(1 - D) = -D a'(x) and
  d/dx (-log D) = -(1 - D) a'(x): where D(G(z)) -> 0 the first vanishes, the second does not.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

from lab.device import build_seeded, generator
from lab.experiments.gan1d import densities as dens
from lab.gan import lipschitz, objectives
from lab.gan.recipes import make_optimizer, set_lr
from lab.gan.step import d_step, g_loss
from lab.nets import mlp, shrink_last_layer

Tensor = torch.Tensor
D_ACTIVATION = "leaky_relu"      # D as on the other GAN pages
N_Z = 4097                       # z grid: 4,096 segments, G linear on each (densities)
N_LINES = 41                     # lines z -> G(z) in the figure, at equal-mass quantiles of p_z
N_SHOWN = 400                    # bins of the drawn densities and D
DATA_STD = 6.0                   # the data's bins reach this many stds past its outer components
# WGAN-GP's lambda ramps up over this many critic updates: in 1-D a two-sided penalty otherwise
# keeps a critic whose random start slopes the wrong way (lab.gan.lipschitz.GradientPenalty).
GP_WARMUP = 100


class Game1D:
    """G, D, their optimisers and the D constraint, a private random stream; built from a
    Gan1dConfig, `retune` takes its live keys."""

    def __init__(self, cfg):
        self.cfg, self.data, self.prior = cfg, cfg.mixture(), cfg.prior
        self.recipe = cfg.train()
        self.objective = objectives.get(self.recipe.objective)
        self.constraint = lipschitz.make_constraint(self.recipe.constraint, self.recipe.clip, self.recipe.gp_lambda,
                                                    GP_WARMUP)
        self.G = build_seeded(cfg.seed, lambda: mlp(1, 1, cfg.width, cfg.depth, cfg.activation))
        self.D = build_seeded(cfg.seed + 1, lambda: mlp(1, 1, cfg.width, cfg.depth, D_ACTIVATION,
                                                        self.constraint.layer))
        shrink_last_layer(self.D)                # D starts at 1/2 everywhere: "no opinion yet"
        self.constraint.after_step(self.D)       # and inside the constraint set (clipping)
        self._opt_d: torch.optim.Optimizer | None = None
        self._opt_g: torch.optim.Optimizer | None = None
        self.gen = generator(cfg.seed)
        # The exact read-outs' fixed grids: z and its segments' masses, the data's extent.
        self.z = dens.z_grid(self.prior, N_Z)
        self.z_mass = dens.segment_masses(self.prior, self.z)
        self.z_t = torch.from_numpy(self.z).float()[:, None]
        self.z_lines = dens.prior_quantiles(self.prior, N_LINES)
        lo, hi = self.data.extent(DATA_STD)
        self.data_lo, self.data_hi = float(lo[0]), float(hi[0])

    # The optimisers are made at the first update, not in __init__: torch.optim's first call
    # imports all of torch._dynamo (measured 2-3 s of a 3 s build on the loaded 2-core machine),
    # which a page that only draws step 0 should not wait for (genlab.py warms it up meanwhile).
    @property
    def opt_d(self) -> torch.optim.Optimizer:
        if self._opt_d is None:
            r = self.recipe
            self._opt_d = make_optimizer(r.optimizer, self.D.parameters(), r.lr_d, (r.beta1, r.beta2))
        return self._opt_d

    @property
    def opt_g(self) -> torch.optim.Optimizer:
        if self._opt_g is None:
            r = self.recipe
            self._opt_g = make_optimizer(r.optimizer, self.G.parameters(), r.lr_g, (r.beta1, r.beta2))
        return self._opt_g

    def retune(self, cfg) -> None:
        """New live keys: the rates and D steps (the recipe re-resolved); nets and optimiser state kept."""
        self.cfg, self.recipe = cfg, cfg.train()
        for opt, lr in ((self._opt_d, self.recipe.lr_d), (self._opt_g, self.recipe.lr_g)):
            if opt is not None:
                set_lr(opt, lr)

    # ---- training ---------------------------------------------------------------------------
    def f(self, x: Tensor) -> Tensor:
        """(n, 1) -> (n,): D's logit (or the critic's value)."""
        return self.D(x).squeeze(-1)

    def sample_z(self, n: int) -> Tensor:
        """(n, 1) draws of p_z from the run's own stream."""
        u = torch.rand(n, 1, generator=self.gen)
        return 2.0 * u - 1.0 if self.prior == "uniform" else torch.randn(n, 1, generator=self.gen)

    def step(self) -> dict[str, float]:
        """Algorithm 1, one iteration: k D updates on fresh batches, then one G update."""
        n = self.cfg.batch
        for _ in range(self.recipe.d_steps):
            with torch.no_grad():
                fake = self.G(self.sample_z(n))
            out = d_step(self.f, self.D, self.objective, self.constraint, self.opt_d,
                         self.data.sample(n, self.gen), fake, self.gen)
        loss = g_loss(self.f, self.objective, self.G(self.sample_z(n)))
        # Only G's parameters: D's weight gradients are never needed for G's step.
        grads = torch.autograd.grad(loss, list(self.G.parameters()))
        for p, g in zip(self.G.parameters(), grads):
            p.grad = g
        self.opt_g.step()
        return {"d_loss": float(out.loss), "g_loss": float(loss.detach())}

    def pretrain_d(self, k: int) -> None:
        """k D updates with G held (a strong D at the start: the saturation test's set-up)."""
        for _ in range(k):
            with torch.no_grad():
                fake = self.G(self.sample_z(self.cfg.batch))
            d_step(self.f, self.D, self.objective, self.constraint, self.opt_d,
                   self.data.sample(self.cfg.batch, self.gen), fake, self.gen)

    # ---- reading (eval mode: spectral norm's power iteration does not advance) -----------------
    @contextmanager
    def _reading(self):
        self.D.eval()
        try:
            yield
        finally:
            self.D.train()

    def g_on(self, z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.G(torch.as_tensor(z, dtype=torch.float32)[:, None]).squeeze(-1).double().numpy()

    def logit_on(self, x: np.ndarray) -> np.ndarray:
        with self._reading(), torch.no_grad():
            return self.f(torch.as_tensor(x, dtype=torch.float32)[:, None]).double().numpy()

    def signal(self, x: np.ndarray, loss) -> np.ndarray:
        """(n,) |d loss_G(D(x)) / dx|: how hard G's loss pushes a fake at x."""
        xt = torch.as_tensor(x, dtype=torch.float32)[:, None]
        with self._reading():
            g = lipschitz.input_gradients(lambda v: loss(self.f(v)), xt)
        return g.abs().squeeze(-1).double().numpy()

    def measure(self, shown: bool = False) -> dict:
        """The exact numbers of the game now (densities), and with `shown` the arrays the figure
        draws. G on the z grid, linear between its points; the fakes' expectations are over the
        z-segments with G at their midpoints."""
        g = self.g_on(self.z)
        g_mid = 0.5 * (g[:-1] + g[1:])
        edges = dens.bin_edges(self.data_lo, self.data_hi, float(g.min()), float(g.max()))
        P = dens.data_masses(self.data.cdf_1d, edges)
        Q = dens.pushforward_masses(self.z_mass, g, edges)
        a_bins, a_fake = self.logit_on(0.5 * (edges[:-1] + edges[1:])), self.logit_on(g_mid)
        js = dens.js(P, Q)
        out = {"js": js, "c_g": dens.c_of_g(js), "w1": dens.w1(self.data.cdf_1d, self.z_mass, g, edges),
               "monotone": dens.is_monotone(g), "preimages": dens.preimages(g)}
        if self.objective.probabilistic:
            out["value"] = dens.value(P, a_bins, self.z_mass, a_fake)
            out["d_real"], out["d_fake"] = dens.mean_d(P, a_bins), dens.mean_d(self.z_mass, a_fake)
            out["grad_minimax"] = float((self.z_mass * self.signal(g_mid, objectives.g_minimax)).sum())
            out["grad_ns"] = float((self.z_mass * self.signal(g_mid, objectives.g_nonsaturating)).sum())
        else:                  # a critic: its means and E_p f - E_q f; D(x) and its two G losses do not exist
            real, fake = float((P * a_bins).sum()), float((self.z_mass * a_fake).sum())
            out.update(value=real - fake, d_real=real, d_fake=fake, grad_minimax=float("nan"), grad_ns=float("nan"))
        if shown:
            out["shown"] = self._shown(g)
        return out

    def _shown(self, g: np.ndarray) -> dict:
        """The figure's arrays on N_SHOWN even bins over the data and everything G reaches."""
        lo, hi = min(self.data_lo, float(g.min())), max(self.data_hi, float(g.max()))
        pad = 0.03 * (hi - lo)
        edges = np.linspace(lo - pad, hi + pad, N_SHOWN + 1)
        x = 0.5 * (edges[:-1] + edges[1:])
        P = dens.data_masses(self.data.cdf_1d, edges)
        Q = dens.pushforward_masses(self.z_mass, g, edges)
        logit = self.logit_on(x)
        lines_x = self.g_on(self.z_lines)
        return {"x": x, "p_data": dens.densities(P, edges), "p_g": dens.densities(Q, edges),
                "d_star": dens.d_star(P, Q), "logit": logit, "z_lines": self.z_lines, "x_lines": lines_x,
                "logit_lines": self.logit_on(lines_x), "z_span": dens.Z_SPAN[self.prior]}

    # ---- state for state_bytes: tensors and numbers only ---------------------------------------
    def state(self) -> dict:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_g": None if self._opt_g is None else self._opt_g.state_dict(),
                "opt_d": None if self._opt_d is None else self._opt_d.state_dict(), "gen": self.gen.get_state(),
                "gp_calls": getattr(self.constraint, "calls", 0)}

    def load_state(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        for opt, saved in ((lambda: self.opt_g, state["opt_g"]), (lambda: self.opt_d, state["opt_d"])):
            if saved is not None:
                opt().load_state_dict(saved)
        self.gen.set_state(state["gen"])
        if isinstance(self.constraint, lipschitz.GradientPenalty):
            self.constraint.calls = int(state["gp_calls"])
