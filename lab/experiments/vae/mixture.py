"""model=bernoulli_mixture: the discrete-latent model of note 000's Problem 3 on the same digits,
with an exact test log p(x) to set beside the VAE's bounds (lab.bernoulli_mixture). One step is
one EM iteration over the whole training set."""
from __future__ import annotations

import numpy as np
import torch

from lab.bernoulli_mixture import BernoulliMixture
from lab.config import ConfigError
from lab.device import generator
from lab.experiments.vae.config import LatentVAEConfig
from lab.experiments.vae.data import load_data
from lab.run import Run

HISTORY = ("step", "log_px_train", "log_px_test")


class MixtureRun(Run):
    experiment = "vae"
    state_attrs = ("mix",)

    def __init__(self, cfg: LatentVAEConfig, data: dict | None = None, progress=None):
        super().__init__(cfg)
        if cfg.model != "bernoulli_mixture":
            raise ConfigError(f"MixtureRun trains model=bernoulli_mixture, not model={cfg.model}")
        d = data or load_data(cfg, progress)
        if not d["shape"]:
            raise ConfigError("model=bernoulli_mixture models pixels in [0, 1]: pick an image data set")
        self.shape = d["shape"]
        self.x = d["x_train"].double()
        self.test_eval = d["x_test"][:cfg.n_eval].double()
        if len(self.x) < cfg.components:
            raise ConfigError(f"components={cfg.components} is more than the {len(self.x)} training examples")
        self.mix = BernoulliMixture.start(self.x, cfg.components, generator(cfg.seed))
        self.history = {k: [] for k in HISTORY}
        self._train_ll = float(self.mix.log_prob(self.x).mean())
        self._log()

    def _advance(self, k: int) -> None:
        for _ in range(k):
            self._train_ll = self.mix.em_step(self.x)        # log p(x_train) before this step's M-step
            self.step += 1
            if self.step % self.cfg.log_every == 0:
                self._train_ll = float(self.mix.log_prob(self.x).mean())
                self._log()

    def _log(self) -> None:
        h = self.history
        h["step"].append(self.step)
        h["log_px_train"].append(self._train_ll)
        h["log_px_test"].append(float(self.mix.log_prob(self.test_eval).mean()))

    def _metrics(self) -> dict:
        """Exact, and cheap: K log-likelihoods per example."""
        return {"steps": self.step, "components": self.cfg.components,
                "log_px_train": float(self.mix.log_prob(self.x).mean()),
                "log_px_test": float(self.mix.log_prob(self.test_eval).mean())}

    def _snapshot(self) -> dict:
        """The curves, the component means as images (largest weight first) and their weights."""
        order = torch.argsort(self.mix.log_pi, descending=True)
        return {"model": "bernoulli_mixture", "step": self.step, "total": self.total, "shape": self.shape,
                "history": {k: list(v) for k, v in self.history.items()},
                "means": self.mix.mu[order].float().numpy().reshape((-1,) + self.shape),
                "weights": self.mix.log_pi[order].exp().numpy(), "latest": {k: v[-1] for k, v in self.history.items()}}

    def samples(self, n: int, seed: int = 0) -> np.ndarray:
        """n draws x ~ p(x): a component k ~ pi, then every pixel ~ Bernoulli(mu_k)."""
        with self.lock:
            g = generator(seed)
            k = torch.multinomial(self.mix.log_pi.exp(), n, replacement=True, generator=g)
            x = torch.bernoulli(self.mix.mu[k], generator=g)
        return x.float().numpy().reshape((n,) + self.shape)
