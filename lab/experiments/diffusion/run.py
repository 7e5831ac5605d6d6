"""From Langevin to diffusion (note 003, Song & Ermon 2019, Ho et al. 2020): three networks trained
with the same budget on samples of a target with an exact density,

    ncsn     s(x, sigma) at L noise levels, sampled by annealed Langevin;
    ddpm     eps(x_t, t) over T steps, sampled by the reverse chain;
    single   s(x) at the smallest sigma only, sampled by plain Langevin from the same start;

and every so often each draws samples whose histogram's KL to the exact bin masses is logged,
with the error of the mass near each mode (the mixing story)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lab import nets
from lab.data import densities
from lab.experiments.diffusion import objectives, samplers, schedules
from lab.experiments.score_matching import objectives as sm_objectives
from lab.run import Run

SHOWN = 1500             # samples drawn on the page (all of them are measured)
BLOWN = 1e6
METHODS = ("ncsn", "ddpm", "single")
SUFFIX = {"ncsn": "", "ddpm": "_ddpm", "single": "_langevin"}
SHOWN_LEVELS = 4         # noised densities drawn (sigma_1 ... sigma_L)


class Conditioned(nn.Module):
    """An MLP of (x, c): the noise level enters as one more input (log sigma or 2t/T - 1)."""

    def __init__(self, dim: int, width: int, depth: int):
        super().__init__()
        self.net = nets.mlp(dim + 1, dim, width, depth, activation="silu")

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, c.expand(len(x))[:, None].to(x.dtype)], 1))


class DiffusionRun(Run):
    experiment = "diffusion"
    state_attrs = ("ncsn", "ddpm", "single", "opt_ncsn", "opt_ddpm", "opt_single", "gen", "sample_gen")

    def __init__(self, cfg):
        super().__init__(cfg)
        self.target = t = densities.resolve(cfg.target)
        self.bins = t.bins(cfg.bins)
        self.sig = torch.tensor(schedules.sigmas(cfg.sigma_max, cfg.sigma_min, cfg.levels), dtype=torch.float32)
        self.abar = torch.tensor(schedules.alpha_bars(cfg.ddpm_steps), dtype=torch.float32)
        torch.manual_seed(cfg.seed)
        d = t.dim
        self.ncsn, self.ddpm = Conditioned(d, cfg.width, cfg.depth), Conditioned(d, cfg.width, cfg.depth)
        self.single = nets.mlp(d, d, cfg.width, cfg.depth, activation="silu")
        self.opt_ncsn, self.opt_ddpm, self.opt_single = (torch.optim.Adam(m.parameters(), lr=cfg.lr, fused=True)
                                                         for m in (self.ncsn, self.ddpm, self.single))
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.sample_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.modes = self._mode_cells()
        self.history = {"step": [], **{f"{k}{s}": [] for s in SUFFIX.values() for k in ("kl", "mode_error")}}
        self.samples: dict[str, np.ndarray] = {}
        self._readout()

    # ---- the networks as the samplers see them ----------------------------------------------------
    def score(self, x: torch.Tensor, i) -> torch.Tensor:
        """s(x, sigma_i) = net(x, log sigma_i) / sigma_i (Song & Ermon 2020's 1/sigma scaling)."""
        s = self.sig[i]
        out = self.ncsn(x, torch.log(s))
        return out / (s[:, None] if s.dim() else s)

    def noise(self, x: torch.Tensor, t) -> torch.Tensor:
        t = torch.as_tensor(t)
        return self.ddpm(x, 2 * t.float() / max(1, self.cfg.ddpm_steps - 1) - 1)

    # ---- training --------------------------------------------------------------------------------
    def _train_step(self) -> None:
        x = self.target.sample(self.cfg.batch, self.gen).float()
        sigma_l = float(self.sig[-1])
        losses = ((self.opt_ncsn, objectives.ncsn(self.score, x, self.sig, self.gen)),
                  (self.opt_ddpm, objectives.ddpm(self.noise, x, self.abar, self.gen)),
                  (self.opt_single, sm_objectives.denoising(self.single, x, sigma_l, self.gen)))
        for opt, loss in losses:
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    def _advance(self, k: int) -> None:
        every = max(1, self.total // self.cfg.readouts)
        for _ in range(k):
            self._train_step()
            self.step += 1
            if self.step % every == 0 or self.step == self.total:
                self._readout()

    def _retune(self, cfg) -> None:
        for opt in (self.opt_ncsn, self.opt_ddpm, self.opt_single):
            for group in opt.param_groups:
                group["lr"] = cfg.lr

    # ---- sampling and the read-out ---------------------------------------------------------------
    def draw(self) -> dict[str, np.ndarray]:
        """Samples of each method: annealed Langevin and single-level Langevin from the same
        uniform start over the box, the DDPM from N(0, I)."""
        cfg, t, gen = self.cfg, self.target, self.sample_gen
        lo, hi = (torch.from_numpy(v).float() for v in t.box)
        x0 = lo + (hi - lo) * torch.rand(cfg.samples, t.dim, generator=gen)
        steps = schedules.langevin_steps(self.sig.double().numpy(), cfg.eps)
        with torch.no_grad():
            out = {"ncsn": samplers.annealed_langevin(self.score, x0, steps, cfg.per_level, gen),
                   "single": samplers.annealed_langevin(lambda x, i: self.single(x), x0, steps[-1:],
                                                        cfg.per_level * cfg.levels, gen),
                   "ddpm": samplers.ddpm(self.noise, cfg.samples, t.dim, cfg.ddpm_steps, gen)}
        return {k: np.clip(np.nan_to_num(v.double().numpy(), nan=BLOWN, posinf=BLOWN, neginf=-BLOWN), -BLOWN, BLOWN)
                for k, v in out.items()}

    def _mode_cells(self):
        """Each fine-grid point's nearest mixture mean, and p's mass nearest each (None: the banana)."""
        mix = self.target.mixture
        if mix is None:
            return None
        means = np.asarray(mix.means)
        g = self.target.grid
        near = nearest(g["points"], means)
        return means, np.bincount(near, weights=g["p"] * g["area"], minlength=len(means))

    def measure(self, x: np.ndarray) -> dict:
        q = densities.histogram(x, self.bins["edges"])
        err = float("nan")
        if self.modes is not None:
            means, mass = self.modes
            share = np.bincount(nearest(x, means), minlength=len(means)) / len(x)
            err = 0.5 * float(np.abs(share - mass / mass.sum()).sum())        # total variation
        return {"kl": densities.kl_hist(q, self.bins["prob"]), "mode_error": err, "hist": q}

    def _readout(self) -> None:
        self.samples = self.draw()
        self.measured = {k: self.measure(x) for k, x in self.samples.items()}
        self.history["step"].append(self.step)
        for k, m in self.measured.items():
            self.history[f"kl{SUFFIX[k]}"].append(m["kl"])
            self.history[f"mode_error{SUFFIX[k]}"].append(m["mode_error"])

    def _metrics(self) -> dict:
        out = {"steps": self.step, "sampled_at": self.history["step"][-1]}
        for k, m in self.measured.items():
            out[f"kl{SUFFIX[k]}"] = m["kl"]
            out[f"mode_error{SUFFIX[k]}"] = m["mode_error"]
        return out

    def _snapshot(self) -> dict:
        return {"target": self.target.name, "dim": self.target.dim, "step": self.step, "total": self.total,
                "samples": {k: v[:SHOWN] for k, v in self.samples.items()},
                "hist": {k: m["hist"] for k, m in self.measured.items()}, "prob": self.bins["prob"],
                "edges": self.bins["edges"], "grid": self.target.grid, "box": self.target.box,
                "sigmas": self.sig.double().numpy(), "noised": self.noised_densities(),
                "metrics": self._metrics(),
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}

    def noised_densities(self) -> list[dict] | None:
        """p * N(0, sigma^2) at up to four of the levels, on a coarse grid (exact for a mixture)."""
        if self.target.mixture is None:
            return None
        if getattr(self, "_noised", None) is None:
            sig = self.sig.double().numpy()
            pick = sorted(set(np.linspace(0, len(sig) - 1, SHOWN_LEVELS).round().astype(int)))
            lo, hi = self.target.box
            n = 301 if self.target.dim == 1 else 81
            axes = [np.linspace(a, b, n) for a, b in zip(lo, hi)]
            pts = axes[0][:, None] if self.target.dim == 1 else np.stack(np.meshgrid(*axes, indexing="xy"), -1).reshape(-1, 2)
            self._noised = [{"sigma": float(sig[i]), "axes": axes,
                             "p": schedules.noised(self.target, float(sig[i])).log_unnorm(torch.from_numpy(pts)).exp().numpy()}
                            for i in pick]
        return self._noised


def nearest(x: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Index of the nearest mean for each point (chunked: the fine grid is 26k points)."""
    return np.concatenate([((x[i:i + 8192, None, :] - means[None]) ** 2).sum(-1).argmin(1)
                           for i in range(0, len(x), 8192)])
