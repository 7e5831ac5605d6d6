"""The Dirac-GAN run (Mescheder, Geiger, Nowozin 2018; note 004's "failure to converge"): the
page, the command line and the tests drive it.

The state is one point (theta, psi); each step is dynamics.Game.update. The run logs the
trajectory and its distance to the equilibrium (0, 0) every step, and holds what explains it:
the Jacobians at the equilibrium of the field and of the update map, their eigenvalues, and the
expected update on a grid (the arrows). A run that spirals past RADIUS_LIMIT stops there and
says so: its total becomes that step, so Play switches itself off.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from lab.device import generator
from lab.experiments.dirac_gan.closed_forms import eigenvalues
from lab.experiments.dirac_gan.config import label_of
from lab.experiments.dirac_gan.dynamics import DTYPE, Game
from lab.run import Run

RADIUS_LIMIT = 1e3      # a run whose distance to the equilibrium passes this stops (it diverges)
GRID = 15               # arrows per side of the plane
RATE_OVER = 200         # last steps whose radii give the measured rate per step


def view_half_width(theta0: float, psi0: float) -> float:
    """Half-width of the drawn plane: twice the start's radius, rounded up to 0.5 (3 for (1, 1))."""
    return max(1.0, math.ceil(4 * math.hypot(theta0, psi0)) / 2)


class DiracRun(Run):
    experiment = "dirac_gan"
    state_attrs = ("x", "gen", "stopped_at")

    def __init__(self, cfg):
        super().__init__(cfg)
        self.x = torch.tensor([cfg.theta0, cfg.psi0], dtype=DTYPE)
        self.gen = generator(cfg.seed)
        self.stopped_at = 0             # the step a diverging run stopped at (0: it did not)
        self.history = {"step": [], "theta": [], "psi": [], "radius": []}
        self._explain(cfg)

    @property
    def total(self) -> int:
        return self.stopped_at or int(self.cfg.steps)

    @property
    def radius(self) -> float:
        return float(torch.linalg.vector_norm(self.x))

    # ---- what explains the trajectory: fixed for a config, recomputed on a live change ----------
    def _explain(self, cfg) -> None:
        self.game = Game.of(cfg)
        j_field, j_update = self.game.jacobians()
        if not self.game.smooth:           # no Jacobian at a kink: autograd's 0 for d|psi| would mislead
            j_field, j_update = np.full((2, 2), np.nan), np.full((2, 2), np.nan)
        self.j_field, self.j_update = j_field, j_update
        self.eig_field, self.eig_update = eigenvalues(j_field), eigenvalues(j_update)
        r = view_half_width(cfg.theta0, cfg.psi0)
        axis = np.linspace(-r, r, GRID)
        tt, pp = np.meshgrid(axis, axis)
        pts = torch.as_tensor(np.stack([tt.ravel(), pp.ravel()], axis=1), dtype=DTYPE)
        with torch.no_grad():
            move = self.game.grid_update(pts).numpy()
        self.field = {"theta": pts[:, 0].numpy(), "psi": pts[:, 1].numpy(), "d_theta": move[:, 0],
                      "d_psi": move[:, 1], "half_width": r}

    def _noise(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.game.noisy:
            zero = torch.zeros(1, dtype=DTYPE)
            return zero, zero
        n = self.cfg.noise_samples
        return (torch.randn(n, generator=self.gen, dtype=DTYPE), torch.randn(n, generator=self.gen, dtype=DTYPE))

    # ---- the protocol ---------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        h = self.history
        for _ in range(k):
            if self.stopped_at:
                return
            x = self.game.update(self.x, *self._noise()).detach()
            self.step += 1
            finite = bool(torch.isfinite(x).all())
            if finite:
                self.x = x
                h["step"].append(self.step)
                h["theta"].append(float(x[0]))
                h["psi"].append(float(x[1]))
                h["radius"].append(self.radius)
            if not finite or self.radius > RADIUS_LIMIT:
                self.stopped_at = self.step

    def _retune(self, cfg) -> None:
        self._explain(cfg)

    def _metrics(self) -> dict:
        r0, r = math.hypot(self.cfg.theta0, self.cfg.psi0), self.radius
        rate = self._measured_rate()
        top_f, top_u = self.eig_field[0], self.eig_update[0]
        return {"steps": self.step, "theta": float(self.x[0]), "psi": float(self.x[1]),
                "radius_start": r0, "radius_final": r, "radius_ratio": r / r0 if r0 > 0 else math.nan,
                "max_abs_eigenvalue": float(np.max(np.abs(self.eig_update))),
                "field_eig_re": float(top_f.real), "field_eig_im": float(top_f.imag),
                "update_eig_re": float(top_u.real), "update_eig_im": float(top_u.imag),
                "measured_rate": rate, "diverged_at": self.stopped_at}

    def _measured_rate(self) -> float:
        """exp(slope) of a least-squares line through log radius over the last RATE_OVER steps:
        the factor per step, comparable to |λ|. A line, not two end points: the radius of a
        spiral whose Jacobian is not a scaled rotation (R1) wobbles within each turn."""
        r = np.asarray(self.history["radius"][-RATE_OVER:])
        r = r[r > 0]
        if len(r) < 3:
            return math.nan
        return float(np.exp(np.polyfit(np.arange(len(r)), np.log(r), 1)[0]))

    def _snapshot(self) -> dict:
        h = self.history
        start = [(self.cfg.theta0, self.cfg.psi0, math.hypot(self.cfg.theta0, self.cfg.psi0))]
        t, p, r = (np.asarray([s[i] for s in start] + h[k], dtype=np.float64) for i, k in
                   enumerate(("theta", "psi", "radius")))
        stopped = (f"passed a radius of {RADIUS_LIMIT:,.0f} at step {self.stopped_at}: stopped, it diverges"
                   if self.stopped_at else "")
        return {"label": label_of(self.cfg), "step": self.step, "total": self.total, "steps": self.cfg.steps,
                "lr": self.cfg.lr, "updates": self.cfg.updates, "regularizer": self.cfg.regularizer,
                "trajectory": {"step": np.asarray([0] + h["step"]), "theta": t, "psi": p, "radius": r},
                "field": dict(self.field), "smooth": self.game.smooth,
                "eig_field": self.eig_field.copy(), "eig_update": self.eig_update.copy(),
                "stopped": stopped, "metrics": self._metrics()}
