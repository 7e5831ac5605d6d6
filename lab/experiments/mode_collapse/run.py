"""The mode-collapse run: the 2-D GAN trainer, measured every `eval_every` iterations on a fixed
batch of 2,500 samples (VEEGAN / PacGAN's metric), with the coverage timeline and snapshots."""
from __future__ import annotations

import numpy as np
import torch

from lab.device import generator
from lab.experiments.mode_collapse import metrics as mode_metrics
from lab.experiments.mode_collapse.trainer import GAN2D, pack
from lab.run import Run

N_ARROWS = 64
GRID = 60              # D's heat map resolution
WHICH = ("both", "d", "g")


class ModeCollapseRun(Run):
    """`points` are the user's data for data=csv (the page's upload)."""
    experiment = "mode_collapse"
    state_attrs = ("G", "D", "opt_d", "opt_g", "gen")

    def __init__(self, cfg, points=None):
        super().__init__(cfg)
        self.data = cfg.data_set(points)
        self.gan = GAN2D(cfg, self.data)
        self.G, self.D, self.opt_d, self.opt_g, self.gen = (self.gan.G, self.gan.D, self.gan.opt_d,
                                                            self.gan.opt_g, self.gan.gen)
        fixed = generator(cfg.seed + 10_007)
        # Fixed noise (pytorch/examples dcgan): every evaluation looks at the same z, so the
        # coverage timeline shows G moving, not resampling noise.
        self.fixed_z = torch.randn(mode_metrics.N_SAMPLES, cfg.latent, generator=fixed)
        self.real_shown = self.data.sample(1000, fixed).numpy()
        lo, hi = self.data.extent()
        self.axes = [np.linspace(lo[i], hi[i], GRID) for i in range(2)]
        mesh = np.meshgrid(*self.axes)
        self.grid = torch.from_numpy(np.stack([m.ravel() for m in mesh], 1).astype(np.float32))
        self.history = {k: [] for k in ("step", "modes", "hq", "reverse_kl", "d_loss", "g_loss")}
        self.coverage: list[np.ndarray] = []      # HQ samples per mode, one row per evaluation
        self.snapshots: dict[int, np.ndarray] = {}
        self._evaluate()

    # ---- training ---------------------------------------------------------------------------
    def _advance(self, k: int, which: str = "both") -> None:
        """k iterations (see GAN2D.iterate for `which`); measured every eval_every and at the
        last step of the budget (so a finished run's curves end where it ended)."""
        if which not in WHICH:
            raise ValueError(f"which={which!r} is not one of: {', '.join(WHICH)}")
        for _ in range(k):
            self.gan.iterate(which)
            self.step = self.gan.step
            if self.step % self.cfg.eval_every == 0 or self.step == self.total:
                self._evaluate()

    def _retune(self, cfg) -> None:
        self.gan.retune(cfg)

    def _evaluate(self) -> None:
        """Log the metrics of the fixed samples and the mean losses since the last log."""
        x = self._samples()
        m = mode_metrics.evaluate(x, self.data)
        d_loss, g_loss = self.gan.take_losses()
        for key, value in (("step", self.step), ("modes", m["modes"]), ("hq", m["hq"]),
                           ("reverse_kl", m["reverse_kl"]), ("d_loss", d_loss), ("g_loss", g_loss)):
            self.history[key].append(value)
        self.coverage.append(m["counts"])
        self.snapshots[self.step] = x[:500]

    # ---- reading (pure: no history, no RNG draw from the training stream, D in eval mode so
    # spectral norm's power iteration does not advance) -------------------------------------
    @torch.no_grad()
    def _samples(self) -> np.ndarray:
        return self.G(self.fixed_z).numpy()

    def noise_std(self) -> float:
        return self.gan.noise_std()

    def _metrics(self) -> dict:
        if self.history["step"] and self.history["step"][-1] == self.step:
            m = {k: self.history[k][-1] for k in ("modes", "hq", "reverse_kl")}
        else:
            full = mode_metrics.evaluate(self._samples(), self.data)
            m = {k: full[k] for k in ("modes", "hq", "reverse_kl")}
        return {**m, "steps": self.step}

    def d_values(self, x: torch.Tensor) -> torch.Tensor:
        """D at single points: a pack of m copies of each point (for the heat map)."""
        return self.gan.f(x.repeat(1, self.cfg.pac))

    def arrows(self, x: torch.Tensor) -> torch.Tensor:
        """-d loss_G / dx at fakes x (n divisible by m): where G's update pushes each sample,
        through the plain D, packed as in training."""
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            loss = self.gan.objective.g_loss(self.gan.f(pack(x, self.cfg.pac))).sum()
            (g,) = torch.autograd.grad(loss, x)
        return -g

    def _snapshot(self) -> dict:
        metrics = self._metrics()
        x = self._samples()
        n_arrow = self.cfg.pac * (N_ARROWS // self.cfg.pac)
        self.D.eval()
        try:
            with torch.no_grad():
                heat = self.d_values(self.grid)
                heat = torch.sigmoid(heat) if self.gan.objective.probabilistic else heat
            at = torch.from_numpy(x[:n_arrow])
            push = self.arrows(at).numpy()
        finally:
            self.D.train()
        return {
            "step": self.step, "data": self.data.name, "label": self.data.label,
            "centres": self.data.centres, "std": self.data.std,
            "real": self.real_shown, "fake": x,
            "axes": self.axes, "heat": heat.numpy().reshape(GRID, GRID),
            "probabilistic": self.gan.objective.probabilistic,
            "arrows_at": at.numpy(), "arrows": push,
            "metrics": metrics, "history": {k: list(v) for k, v in self.history.items()},
            "coverage": np.asarray(self.coverage), "snapshots": dict(self.snapshots),
            "noise_std": self.noise_std(), "recipe": self.gan.recipe.name,
        }

    # ---- state ------------------------------------------------------------------------------
    def _state(self) -> dict:
        out = super()._state()
        out["coverage"] = torch.as_tensor(np.asarray(self.coverage))
        out["snapshots"] = {int(s): torch.from_numpy(v) for s, v in self.snapshots.items()}
        g = self.gan      # the real-data bank and the loss sums: an exact resume needs them too
        out["trainer"] = {"bank": g._bank, "bank_pos": g._bank_pos, "d_sum": g.d_sum, "g_sum": g.g_sum,
                          "n_d": g.n_d, "n_g": g.n_g}
        return out

    def _load_state(self, state: dict) -> None:
        super()._load_state(state)
        self.coverage = [row.numpy() for row in state["coverage"]]
        self.snapshots = {int(s): v.numpy() for s, v in state["snapshots"].items()}
        t = state["trainer"]
        g = self.gan
        g._bank, g._bank_pos, g.d_sum, g.g_sum, g.n_d, g.n_g = (t["bank"], t["bank_pos"], t["d_sum"], t["g_sum"],
                                                                 t["n_d"], t["n_g"])

    def load_state(self, doc: dict) -> None:
        super().load_state(doc)
        self.gan.step = self.step          # the trainer counts steps too (noise annealing)
