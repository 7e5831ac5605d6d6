"""The GAN game in 1-D (Goodfellow et al. 2014, Figure 1; notes 000, 001, 004): the run the page,
the command line and the tests drive.

A generator network maps z ~ p_z to x and learns a 1-D target; a discriminator learns against it.
Every `log_every` G steps the run measures, exactly (trainer.Game1D.measure): the means of D on
the real and on the fake side (both tend to 1/2), V(D, G), C(G) = -log 4 + 2 JS and JS itself
(-> -log 4 and 0 at the equilibrium), W1, and G's signal at its fakes under both G losses (the
minimax one saturates while D rejects the fakes; note 002).
"""
from __future__ import annotations

import numpy as np

from lab.experiments.gan1d.config import LABELS
from lab.experiments.gan1d.trainer import Game1D
from lab.run import Run

LOGGED = ("d_real", "d_fake", "value", "c_g", "js", "w1", "grad_minimax", "grad_ns")


class Gan1dRun(Run):
    experiment = "gan1d"

    def __init__(self, cfg):
        super().__init__(cfg)
        self.game = Game1D(cfg)
        self.history = {"step": [], **{k: [] for k in LOGGED}, "d_loss": [], "g_loss": []}
        self._losses: list[dict] = []
        self.game.pretrain_d(cfg.d_pretrain)
        self._log()                       # step 0: where the game starts

    def _log(self) -> None:
        m = self.game.measure()
        h = self.history
        h["step"].append(self.step)
        for k in LOGGED:
            h[k].append(m[k])
        for k in ("d_loss", "g_loss"):      # the mean training loss since the last measurement
            h[k].append(float(np.mean([x[k] for x in self._losses])) if self._losses else float("nan"))
        self._losses = []

    # ---- the protocol ---------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        for _ in range(k):
            self._losses.append(self.game.step())
            self.step += 1
            if self.step % self.cfg.log_every == 0 or self.step == self.total:
                self._log()

    def _retune(self, cfg) -> None:
        self.game.retune(cfg)

    def _metrics(self, measured: dict | None = None) -> dict:
        m = measured or self.game.measure()
        r = self.game.recipe
        return {"steps": self.step, **{k: m[k] for k in LOGGED}, "monotone": m["monotone"],
                "preimages": m["preimages"], "lr_d": r.lr_d, "lr_g": r.lr_g, "d_steps": r.d_steps}

    def _snapshot(self) -> dict:
        m = self.game.measure(shown=True)
        return {"recipe": self.cfg.recipe, "label": LABELS[self.cfg.recipe], "step": self.step, "total": self.total,
                "probabilistic": self.game.objective.probabilistic, "prior": self.cfg.prior,
                "target": self.game.data.to_spec(), "metrics": self._metrics(m), **m["shown"],
                "history": {k: np.asarray(v, dtype=np.float64) for k, v in self.history.items()}}

    def _state(self) -> dict:
        return {**self.game.state(), "losses": list(self._losses)}

    def _load_state(self, state: dict) -> None:
        self.game.load_state(state)
        self._losses = [dict(x) for x in state["losses"]]
