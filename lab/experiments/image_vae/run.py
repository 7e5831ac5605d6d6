"""The convolutional VAE's run: lab.images.trainer.VAETrainer, logged, scored and snapshotted by
lab.images.runs.ImageRun, plus reconstructions and a latent walk in every snapshot."""
from __future__ import annotations

import numpy as np
import torch

from lab.images.runs import ImageRun
from lab.images.trainer import VAETrainer
from lab.variational import kl_diag_gaussians


class ConvVAERun(ImageRun):
    experiment = "image_vae"
    loss_keys = ("loss", "recon", "kl")

    def make_trainer(self) -> VAETrainer:
        c = self.cfg
        return VAETrainer(self.data, latent=c.latent, width=c.width, batch=c.batch, lr=c.lr, beta=c.beta,
                          seed=c.seed, device=self.device, precision=self.precision, cuda_graphs=c.cuda_graphs)

    def _retune(self, cfg) -> None:
        self.trainer.retune(cfg.lr, cfg.beta)

    def _snapshot(self, **options) -> dict:
        snap = super()._snapshot(**options)
        snap["reconstructions"] = self.trainer.reconstruct(self.real_shown[:16]).numpy()
        snap["walk"] = self.latent_walk()
        return snap

    def latent_walk(self, n: int = 8, dims: int = 6) -> np.ndarray:
        """(dims * n, C, H, W): around the posterior mean of the first real image, row j sweeps
        the j-th most used latent (largest mean KL over the shown real images) over N(0,1)
        quantiles 5%..95%, the others fixed: what each direction of z draws."""
        from scipy.stats import norm
        with self.lock:
            mu, logvar = self.trainer.encode(self.real_shown)
            kl = kl_diag_gaussians(mu.unsqueeze(-1), logvar.unsqueeze(-1)).mean(0)     # per dimension: (latent,)
            order = kl.argsort(descending=True)[:min(dims, self.cfg.latent)]
            q = torch.tensor(norm.ppf(np.linspace(0.05, 0.95, n)), dtype=torch.float32)
            z = mu[0].repeat(len(order), n, 1)                                          # (dims, n, latent)
            for row, j in enumerate(order):
                z[row, :, j] = q
            return self.trainer.sample(z.view(-1, self.cfg.latent)).numpy()
