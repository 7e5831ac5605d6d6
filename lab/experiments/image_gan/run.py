"""The image GAN's run: a DCGAN trained by its recipe (lab.images.trainer.GANTrainer), logged,
scored and snapshotted by lab.images.runs.ImageRun."""
from __future__ import annotations

from lab.gan import recipes
from lab.images.runs import ImageRun
from lab.images.trainer import GANTrainer


class GANRun(ImageRun):
    experiment = "image_gan"
    loss_keys = ("loss_d", "loss_g", "d_real", "d_fake")

    def make_trainer(self) -> GANTrainer:
        c = self.cfg
        self.recipe = recipes.resolve(c)
        return GANTrainer(self.recipe, self.data, latent=c.latent, width=c.width, batch=c.batch, seed=c.seed,
                          device=self.device, precision=self.precision, cuda_graphs=c.cuda_graphs)

    def _retune(self, cfg) -> None:
        self.recipe = recipes.resolve(cfg)
        self.trainer.retune(self.recipe)

    def _snapshot(self, **options) -> dict:
        snap = super()._snapshot(**options)
        snap["probabilistic"] = self.trainer.objective.probabilistic   # D(x) a probability, or a critic's value
        snap["recipe"] = self.cfg.recipe
        return snap
