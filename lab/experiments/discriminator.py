"""Discriminators, perfect vs Lipschitz (note 000 sec. 1.2-1.3.1; note 004).

The generator is frozen at a chosen distribution p_G; only the discriminator learns. An
unconstrained D trained on the minimax loss converges towards D* = p / (p + p_G), which is
flat on the fake samples when the bumps are apart (the notes' Figure 1: no signal for G).
A Lipschitz critic (weight clipping, gradient penalty, spectral norm) trained on the
Wasserstein loss stays a slope that G can follow (Figure 2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from lab import divergences
from lab.gan import lipschitz, objectives
from lab.config import ConfigError, check_choice, check_range, opt
from lab.device import build_seeded, generator
from lab.experiments import Experiment
from lab.data.mixtures import Mixture, resolve
from lab.nets import ACTIVATIONS, mlp, shrink_last_layer

DEFAULT_PAIR = {1: ("fig1_real", "fig1_fake"), 2: ("apart2d_real", "apart2d_fake")}
N_EVAL = 8192          # fresh samples for the JS / W1 estimates: Monte-Carlo error ~1%
N_ARROWS = 30          # fake samples that carry a gradient arrow in 2-D
LOG_EVERY = 10         # steps between two points of the loss curve


@dataclass(frozen=True)
class DiscriminatorConfig:
    dim: int = opt(1, "1 or 2: dimension of the data")
    real: str = opt("", "real distribution p: a preset name or a spec like 0.3*N(-2,0.5)+0.7*N(1.5,0.3); "
                        "empty = the notes' Figure 1 pair (1-D) or blobs apart (2-D)")
    fake: str = opt("", "generated distribution p_G, as for real")
    critic: str = opt("none", "none: unconstrained D on the minimax loss (tends to D*); "
                              "clip | gp | sn: a Lipschitz critic on the Wasserstein loss")
    steps: int = opt(1500, "training steps of the discriminator")
    batch: int = opt(256, "samples of each distribution per step")
    lr: float = opt(2e-3, "Adam learning rate, betas (0.5, 0.9)")
    width: int = opt(64, "hidden units per layer")
    depth: int = opt(2, "hidden layers")
    activation: str = opt("leaky_relu", "hidden activation: " + ", ".join(ACTIVATIONS))
    clip: float = opt(0.05, "weight clipping bound c (critic=clip); WGAN's paper used 0.01")
    gp_lambda: float = opt(10.0, "gradient-penalty weight lambda (critic=gp); WGAN-GP used 10")
    gp_warmup: int = opt(200, "steps over which lambda ramps up from 0 (critic=gp), so the data, "
                              "not the random start, sets the critic's slope")
    n_samples: int = opt(400, "samples of each distribution drawn in the picture")
    seed: int = opt(0, "random seed: same seed, same curves")

    def __post_init__(self):
        if self.dim not in (1, 2):
            raise ConfigError(f"dim={self.dim} is not 1 or 2")
        check_choice("critic", self.critic, lipschitz.CONSTRAINTS)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_range("steps", self.steps, 0, 1_000_000)
        check_range("batch", self.batch, 2, 8192)
        check_range("lr", self.lr, 1e-6, 1.0)
        check_range("width", self.width, 1, 1024)
        check_range("depth", self.depth, 0, 8)
        check_range("clip", self.clip, 1e-4, 10.0)
        check_range("gp_lambda", self.gp_lambda, 0.0, 1000.0)
        check_range("gp_warmup", self.gp_warmup, 0, 1_000_000)
        check_range("n_samples", self.n_samples, 10, 20_000)
        for key in ("real", "fake"):
            try:
                self.mixture(key)
            except ConfigError as err:
                raise ConfigError(f"{key}: {err}") from None

    def mixture(self, key: str) -> Mixture:
        text = getattr(self, key) or DEFAULT_PAIR[self.dim][key == "fake"]
        return resolve(text, self.dim)


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


class DiscriminatorRun:
    def __init__(self, cfg: DiscriminatorConfig):
        self.cfg = cfg
        self.p, self.q = cfg.mixture("real"), cfg.mixture("fake")
        self.constraint = lipschitz.make_constraint(cfg.critic, cfg.clip, cfg.gp_lambda, cfg.gp_warmup)
        self.objective = objectives.get(self.constraint.objective)
        self.net = build_seeded(cfg.seed, lambda: mlp(cfg.dim, 1, cfg.width, cfg.depth,
                                                      cfg.activation, self.constraint.layer))
        shrink_last_layer(self.net)
        self._opt: torch.optim.Adam | None = None
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
        self.step = 0
        self.history: dict[str, list[float]] = {"step": [], "d_loss": []}

    @property
    def opt(self) -> torch.optim.Adam:
        """Made at the first update, not in __init__: torch.optim's first call imports all of
        torch._dynamo (about 1 s here), which a page that only draws step 0 should not wait for."""
        if self._opt is None:
            self._opt = torch.optim.Adam(self.net.parameters(), lr=self.cfg.lr, betas=(0.5, 0.9))
        return self._opt

    @property
    def total(self) -> int:
        return self.cfg.steps

    def f(self, x: torch.Tensor) -> torch.Tensor:
        """(n, d) -> (n,) raw output: D's logit, or the critic's value."""
        return self.net(x).squeeze(-1)

    def advance(self, k: int) -> None:
        """k discriminator updates on fresh batches from p and p_G (G itself is fixed)."""
        self.net.train()
        cfg, obj, con = self.cfg, self.objective, self.constraint
        for _ in range(k):
            real, fake = self.p.sample(cfg.batch, self.gen), self.q.sample(cfg.batch, self.gen)
            # One forward pass over both halves: half the per-call overhead, and spectral norm
            # does one power iteration per update (Miyato et al.), not one per half.
            out = self.f(torch.cat([real, fake]))
            loss = obj.d_loss(out[:cfg.batch], out[cfg.batch:])
            pen = con.penalty(self.f, real, fake, self.gen)
            total = loss if pen is None else loss + pen
            self.opt.zero_grad(set_to_none=True)
            total.backward()
            self.opt.step()
            con.after_step(self.net)
            self.step += 1
            if self.step % LOG_EVERY == 0:
                self.history["step"].append(self.step)
                self.history["d_loss"].append(loss.item())

    # ---- reading the discriminator -------------------------------------------------------
    def _display_value(self, out: torch.Tensor, lip: float) -> torch.Tensor:
        """D in [0, 1]; a critic centred on the shown samples and divided by its measured
        Lipschitz constant, so every critic is drawn on one slope-comparable scale."""
        if self.objective.probabilistic:
            return torch.sigmoid(out)
        with torch.no_grad():
            mid = 0.5 * (self.f(self.real_shown).mean() + self.f(self.fake_shown).mean())
        return (out - mid) / max(lip, 1e-12)

    def _exact_pictures(self) -> dict:
        """Everything drawn from p, p_G and D* alone: computed once, the generator is frozen."""
        logit_star = lambda x: divergences.d_star_logit(self.p, self.q, x)  # noqa: E731
        with torch.no_grad():
            out = {"p": self.p.log_prob(self.grid).exp().numpy(), "q": self.q.log_prob(self.grid).exp().numpy(),
                   "dstar": divergences.d_star(self.p, self.q, self.grid).numpy()}
        for loss, g in (("minimax", objectives.g_minimax), ("ns", objectives.g_nonsaturating)):
            out[f"push_{loss}"] = _push(logit_star, self.arrows_at, g).numpy()
            out[f"signal_{loss}_dstar"] = float(_push(logit_star, self.fake_shown, g).norm(dim=1).median())
            if self.cfg.dim == 1:
                out[f"curve_{loss}"] = _push(logit_star, self.grid, g).numpy()[:, 0]
        mass = out["p"] + out["q"]
        out["support"] = torch.from_numpy(mass > 0.01 * mass.max())   # where sup |D - D*| is read
        return out

    def metrics(self) -> dict:
        self.net.eval()
        ex = self.exact
        m = {"steps": self.step, "js_exact": ex["js"], "kl_exact": ex["kl"], "tv_exact": ex["tv"]}
        if ex["w1"] is not None:
            m["w1_exact"] = ex["w1"]
        lip = lipschitz.measured_lipschitz(self.f, self.dense)
        m["lipschitz"] = lip
        fakes = self.fake_shown
        with torch.no_grad():
            out_r, out_f = self.f(self.real_eval), self.f(self.fake_eval)
        if self.objective.probabilistic:
            # V(D, G)/2 + log 2 <= JS, with equality at D = D* (note 000 eq. for C(G)).
            m["js_from_d"] = float(0.5 * (-torch.nn.functional.softplus(-out_r).mean()
                                          - torch.nn.functional.softplus(out_f).mean()) + math.log(2))
            with torch.no_grad():
                d = torch.sigmoid(self.f(self.grid)).numpy()
            m["sup_gap"] = float(abs(d - self.static["dstar"])[self.static["support"].numpy()].max())
            m["signal_minimax"] = float(_push(self.f, fakes, objectives.g_minimax).norm(dim=1).median())
            m["signal_ns"] = float(_push(self.f, fakes, objectives.g_nonsaturating).norm(dim=1).median())
        else:
            gap = float(out_r.mean() - out_f.mean())
            m["w1_raw"] = gap                                   # E_p f - E_q f
            m["w1_from_critic"] = gap / max(lip, 1e-12)         # f/L is 1-Lipschitz: a lower bound on W1
            m["signal_w"] = float(_push(self.f, fakes, objectives.g_wasserstein).norm(dim=1).median())
        m["signal_minimax_dstar"] = self.static["signal_minimax_dstar"]
        m["signal_ns_dstar"] = self.static["signal_ns_dstar"]
        return m

    def snapshot(self) -> dict:
        """Plain arrays for the figures: the grid, densities, D*, this net's values and the
        generator's push at the shown fake samples."""
        m = self.metrics()
        ex, arrows = self.static, self.arrows_at
        with torch.no_grad():
            value = self._display_value(self.f(self.grid), m["lipschitz"])
        pushes = {"dstar_minimax": ex["push_minimax"], "dstar_ns": ex["push_ns"]}
        curve_pushes = {}
        inv_l = 1.0 / max(m["lipschitz"], 1e-12)
        if self.objective.probabilistic:
            pushes["minimax"] = _push(self.f, arrows, objectives.g_minimax).numpy()
            pushes["ns"] = _push(self.f, arrows, objectives.g_nonsaturating).numpy()
        else:
            pushes["w"] = _push(self.f, arrows, objectives.g_wasserstein).numpy() * inv_l
        if self.cfg.dim == 1:
            g = objectives.g_minimax if self.objective.probabilistic else objectives.g_wasserstein
            scale = 1.0 if self.objective.probabilistic else inv_l
            curve_pushes = {"dstar_minimax": ex["curve_minimax"], "dstar_ns": ex["curve_ns"],
                            "net": _push(self.f, self.grid, g).numpy()[:, 0] * scale}
        return {
            "dim": self.cfg.dim, "critic": self.cfg.critic, "step": self.step,
            "axes": self.axes, "grid": self.grid.numpy(),
            "p": ex["p"], "q": ex["q"], "dstar": ex["dstar"], "value": value.numpy(),
            "probabilistic": self.objective.probabilistic,
            "real": self.real_shown.numpy(), "fake": self.fake_shown.numpy(),
            "arrows_at": arrows.numpy(), "pushes": pushes, "curve_pushes": curve_pushes,
            "metrics": m, "history": {k: list(v) for k, v in self.history.items()},
        }


def _figures(run: DiscriminatorRun) -> dict:
    from lab.figures.discriminator import figure
    return {"discriminator": figure({run.cfg.critic: run.snapshot()})}


EXPERIMENT = Experiment(
    name="discriminator",
    summary="Train a discriminator or Lipschitz critic against a fixed generator; compare with D*, JS and W1",
    config=DiscriminatorConfig,
    make_run=DiscriminatorRun,
    figures=_figures,
)
