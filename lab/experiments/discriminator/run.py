"""Discriminators, perfect vs Lipschitz (note 000 sec. 1.2-1.3.1; note 004).

The generator is frozen at a chosen distribution p_G; only the discriminator learns, by the D
step every GAN trainer here shares (lab.gan.step.d_step). An unconstrained D trained on the
minimax loss tends to D* = p / (p + p_G) (note 000, Problem 1), which is flat on the fake
samples when the bumps are apart: no signal for G (the notes' Figure 1). A Lipschitz critic
(weight clipping, gradient penalty, spectral norm) trained on the Wasserstein loss stays a slope
that G can follow (Figure 2). On the least-squares loss with Mao et al.'s a = -1, b = 1 (LSGAN,
2017, eq. 10) D tends to D*_LS = (b p + a p_G) / (p + p_G) = (p - p_G) / (p + p_G).
"""
from __future__ import annotations

import contextlib
import math
from functools import lru_cache

import numpy as np
import torch  # first of the heavy imports: the page notes that torch loads with this module

from lab import divergences
from lab.data.mixtures import Mixture
from lab.device import build_seeded, generator
from lab.experiments.discriminator.config import DiscriminatorConfig
from lab.gan import lipschitz, objectives, recipes
from lab.gan.step import d_step
from lab.nets import mlp, shrink_last_layer
from lab.run import Run

N_EVAL = 8192          # fresh samples for the JS / W1 estimates: Monte-Carlo error ~1%
N_ARROWS = 30          # fake samples that carry a gradient arrow in 2-D
LOG_EVERY = 10         # steps between two points of the loss curve


@lru_cache(maxsize=64)
def _exact(p: Mixture, q: Mixture) -> dict:
    # Pure in (p, q): several critics on the same pair share one integration.
    return divergences.exact(p, q)


def _grid(p: Mixture, q: Mixture, n: int) -> tuple[list[np.ndarray], torch.Tensor]:
    """Axes and (n^d, d) points of a plotting grid over both distributions."""
    lo = np.minimum(p.extent(3.5)[0], q.extent(3.5)[0])
    hi = np.maximum(p.extent(3.5)[1], q.extent(3.5)[1])
    axes = [np.linspace(a, b, n) for a, b in zip(lo, hi)]
    mesh = np.meshgrid(*axes)
    pts = np.stack([m.ravel() for m in mesh], 1).astype(np.float32)
    return axes, torch.from_numpy(pts)


def _push(f, x: torch.Tensor, g_loss) -> torch.Tensor:
    """-d loss_G / dx per sample: where gradient descent on G would move each fake sample."""
    return -lipschitz.input_gradients(lambda z: g_loss(f(z)), x)


def kind_of(objective: objectives.Objective) -> str:
    """Which panel draws a D on this objective: "d" (a probability, sigmoid of the logit),
    "ls" (a raw output with a closed-form optimum, LSGAN), or "critic" (a value without one,
    drawn centred and divided by its Lipschitz constant)."""
    if objective.probabilistic:
        return "d"
    return "ls" if objective.d_star is not None else "critic"


class DiscriminatorRun(Run):
    experiment = "discriminator"

    def __init__(self, cfg: DiscriminatorConfig):
        super().__init__(cfg)
        self.p, self.q = cfg.mixture("real"), cfg.mixture("fake")
        self.constraint = self._constraint(cfg)
        self.objective = objectives.get(cfg.loss)
        self.kind = kind_of(self.objective)
        self.net = build_seeded(cfg.seed, lambda: mlp(cfg.dim, 1, cfg.width, cfg.depth,
                                                      cfg.activation, self.constraint.layer))
        shrink_last_layer(self.net)
        self._opt: torch.optim.Optimizer | None = None
        self.gen = generator(cfg.seed)
        # Display and evaluation samples come from their own stream, so every critic of the
        # same seed shows, and is scored on, exactly the same points.
        shown = generator(cfg.seed + 10_007)
        self.real_shown, self.fake_shown = self.p.sample(cfg.n_samples, shown), self.q.sample(cfg.n_samples, shown)
        self.real_eval, self.fake_eval = self.p.sample(N_EVAL, shown), self.q.sample(N_EVAL, shown)
        self.axes, self.grid = _grid(self.p, self.q, 400 if cfg.dim == 1 else 70)
        _, self.dense = _grid(self.p, self.q, 2000 if cfg.dim == 1 else 80)   # finer than the 70x70 picture
        self.exact = _exact(self.p, self.q)
        self.arrows_at = self.fake_shown[:N_ARROWS] if cfg.dim == 2 else self.fake_shown
        self.static = self._exact_pictures()
        self.history = {"step": [], "d_loss": []}

    @staticmethod
    def _constraint(cfg: DiscriminatorConfig, calls: int = 0) -> lipschitz.Constraint:
        con = lipschitz.make_constraint(cfg.constraint, cfg.clip, cfg.gp_lambda, cfg.gp_warmup)
        if isinstance(con, lipschitz.GradientPenalty):
            con.calls = calls          # where lambda's warm-up ramp stands
        return con

    @property
    def opt(self) -> torch.optim.Optimizer:
        """Made at the first update, not in __init__: torch.optim's first call imports all of
        torch._dynamo (about 1 s here), which a page that only draws step 0 should not wait for."""
        if self._opt is None:
            self._opt = recipes.make_optimizer("adam", self.net.parameters(), self.cfg.lr_d, betas=(0.5, 0.9))
        return self._opt

    def f(self, x: torch.Tensor) -> torch.Tensor:
        """(n, d) -> (n,) raw output: D's logit, LSGAN's D, or the critic's value."""
        return self.net(x).squeeze(-1)

    # ---- the Run protocol ------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        """k discriminator updates on fresh batches from p and p_G (G itself is fixed)."""
        self.net.train()
        cfg = self.cfg
        for _ in range(k):
            real, fake = self.p.sample(cfg.batch, self.gen), self.q.sample(cfg.batch, self.gen)
            out = d_step(self.f, self.net, self.objective, self.constraint, self.opt, real, fake, self.gen)
            self.step += 1
            if self.step % LOG_EVERY == 0:
                self.history["step"].append(self.step)
                self.history["d_loss"].append(out.loss.item())

    def _retune(self, cfg: DiscriminatorConfig) -> None:
        """The live keys: D's learning rate, the clip value, the penalty weight, the batch and
        the step budget (the last two are read from the config at each step)."""
        if self._opt is not None:
            recipes.set_lr(self._opt, cfg.lr_d)
        self.constraint = self._constraint(cfg, getattr(self.constraint, "calls", 0))

    def _state(self) -> dict:
        return {"net": self.net.state_dict(), "opt": None if self._opt is None else self._opt.state_dict(),
                "gen": self.gen.get_state(), "gp_calls": getattr(self.constraint, "calls", 0)}

    def _load_state(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        if state["opt"] is not None:
            self.opt.load_state_dict(state["opt"])
        self.gen.set_state(state["gen"])
        self.constraint = self._constraint(self.cfg, int(state["gp_calls"]))

    @contextlib.contextmanager
    def _reading(self):
        """Read the net in eval mode: a spectral-normalised layer then uses its stored power-
        iteration vectors without updating them, so reading changes nothing."""
        self.net.eval()
        try:
            yield
        finally:
            self.net.train()

    # ---- reading the discriminator -------------------------------------------------------
    def _display_value(self, out: torch.Tensor, lip: float) -> torch.Tensor:
        """D in [0, 1]; LSGAN's D as it is (its optimum lies in [-1, 1]); a critic centred on
        the shown samples and divided by its measured Lipschitz constant, so every critic is
        drawn on one slope-comparable scale."""
        if self.kind == "d":
            return torch.sigmoid(out)
        if self.kind == "ls":
            return out
        with torch.no_grad():
            mid = 0.5 * (self.f(self.real_shown).mean() + self.f(self.fake_shown).mean())
        return (out - mid) / max(lip, 1e-12)

    def _optimum(self, x: torch.Tensor) -> torch.Tensor:
        """The objective's optimal raw output at x, in closed form from log p - log p_G."""
        return self.objective.d_star(divergences.d_star_logit(self.p, self.q, x))

    def _exact_pictures(self) -> dict:
        """Everything drawn from p, p_G and the optima alone: computed once, G is frozen."""
        logit_star = lambda x: divergences.d_star_logit(self.p, self.q, x)  # noqa: E731
        with torch.no_grad():
            out = {"p": self.p.log_prob(self.grid).exp().numpy(), "q": self.q.log_prob(self.grid).exp().numpy(),
                   "dstar": divergences.d_star(self.p, self.q, self.grid).numpy(), "optimum": None}
            if self.objective.d_star is not None:   # this objective's optimum, drawn as its D is
                star = self._optimum(self.grid)
                out["optimum"] = (torch.sigmoid(star) if self.kind == "d" else star).numpy()
        for loss, g in (("minimax", objectives.g_minimax), ("ns", objectives.g_nonsaturating)):
            out[f"push_{loss}"] = _push(logit_star, self.arrows_at, g).numpy()
            out[f"signal_{loss}_dstar"] = float(_push(logit_star, self.fake_shown, g).norm(dim=1).median())
            if self.cfg.dim == 1:
                out[f"curve_{loss}"] = _push(logit_star, self.grid, g).numpy()[:, 0]
        if self.kind == "ls":       # G's push under D*_LS (its loss 1/2 D^2): flat where p = 0 too
            out["push_ls"] = _push(self._optimum, self.arrows_at, self.objective.g_loss).numpy()
        mass = out["p"] + out["q"]
        out["support"] = mass > 0.01 * mass.max()           # where sup |D - optimum| is read
        return out

    def _metrics(self) -> dict:
        ex = self.exact
        m = {"steps": self.step, "js_exact": ex["js"], "kl_exact": ex["kl"], "tv_exact": ex["tv"]}
        if ex["w1"] is not None:
            m["w1_exact"] = ex["w1"]
        with self._reading():
            lip = lipschitz.measured_lipschitz(self.f, self.dense)
            m["lipschitz"] = lip
            fakes = self.fake_shown
            with torch.no_grad():
                out_r, out_f = self.f(self.real_eval), self.f(self.fake_eval)
                if self.static["optimum"] is not None:       # sup over the support of |D - optimum|
                    gap = np.abs(self._display_value(self.f(self.grid), lip).numpy() - self.static["optimum"])
                    m["sup_gap"] = float(gap[self.static["support"]].max())
            if self.kind == "d":
                # V(D, G)/2 + log 2 <= JS for every D, with equality at D = D* (note 000, C(G)).
                # This is its Monte-Carlo *estimate* over N_EVAL fresh samples: an estimate of a
                # lower bound, which can come out slightly above the exact JS (0.69315 against
                # 0.69305 was seen on the Figure 1 pair).
                v = -torch.nn.functional.softplus(-out_r).mean() - torch.nn.functional.softplus(out_f).mean()
                m["js_from_d"] = float(0.5 * v + math.log(2))
                m["signal_minimax"] = float(_push(self.f, fakes, objectives.g_minimax).norm(dim=1).median())
                m["signal_ns"] = float(_push(self.f, fakes, objectives.g_nonsaturating).norm(dim=1).median())
            elif self.kind == "ls":
                m["signal_ls"] = float(_push(self.f, fakes, self.objective.g_loss).norm(dim=1).median())
            else:
                gap = float(out_r.mean() - out_f.mean())
                m["w1_raw"] = gap                                   # E_p f - E_q f
                # f/L is 1-Lipschitz (L measured on a dense grid), so this estimates a lower bound on W1
                m["w1_from_critic"] = gap / max(lip, 1e-12)
                m["signal_w"] = float(_push(self.f, fakes, self.objective.g_loss).norm(dim=1).median())
        m["signal_minimax_dstar"] = self.static["signal_minimax_dstar"]
        m["signal_ns_dstar"] = self.static["signal_ns_dstar"]
        return m

    def _snapshot(self) -> dict:
        """Plain arrays for the figures: the grid, densities, D* and this objective's optimum,
        this net's values and the generator's push at the shown fake samples. A pure read."""
        m = self._metrics()
        ex, arrows = self.static, self.arrows_at
        inv_l = 1.0 / max(m["lipschitz"], 1e-12)
        pushes = {"dstar_minimax": ex["push_minimax"], "dstar_ns": ex["push_ns"]}
        if "push_ls" in ex:
            pushes["dstar_ls"] = ex["push_ls"]
        # The G loss whose signal is drawn: minimax for a probability D, else the objective's own
        # (a critic's divided by L, the same scale as its drawing).
        g = objectives.g_minimax if self.kind == "d" else self.objective.g_loss
        scale = inv_l if self.kind == "critic" else 1.0
        with self._reading():
            with torch.no_grad():
                value = self._display_value(self.f(self.grid), m["lipschitz"])
            if self.kind == "d":
                pushes["minimax"] = _push(self.f, arrows, objectives.g_minimax).numpy()
                pushes["ns"] = _push(self.f, arrows, objectives.g_nonsaturating).numpy()
            else:
                pushes["own"] = _push(self.f, arrows, g).numpy() * scale
            curve_pushes = {}
            if self.cfg.dim == 1:
                curve_pushes = {"dstar_minimax": ex["curve_minimax"], "dstar_ns": ex["curve_ns"],
                                "net": _push(self.f, self.grid, g).numpy()[:, 0] * scale}
        return {
            "dim": self.cfg.dim, "constraint": self.cfg.constraint, "objective": self.objective.name,
            "auto": self.cfg.objective == "auto", "kind": self.kind, "step": self.step,
            "axes": self.axes, "grid": self.grid.numpy(),
            "p": ex["p"], "q": ex["q"], "dstar": ex["dstar"], "optimum": ex["optimum"], "value": value.numpy(),
            "real": self.real_shown.numpy(), "fake": self.fake_shown.numpy(),
            "arrows_at": arrows.numpy(), "pushes": pushes, "curve_pushes": curve_pushes,
            "metrics": m, "history": {k: list(v) for k, v in self.history.items()},
        }
