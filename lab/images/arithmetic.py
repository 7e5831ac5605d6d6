"""Latent arithmetic on the image page's models (Radford et al. 2016, sec. 6.3; note 002's
"latent space arithmetic"): a class's mean vector in the latent space, then z + t (mean(a) -
mean(b)) decoded along the way.

Where the classes come from:
- the convolutional VAE encodes labelled real images: a class's mean is the mean of their
  posterior means mu(x), as on the 2-D VAE page;
- a GAN has no encoder, so it labels its own samples: n codes z from a fixed stream, G(z) classified
  by the data set's GenLab classifier (lab.images.fd, the Fréchet score's network), and a class's
  mean is the mean of the codes whose images it calls that class. Without labels (a folder of
  images) there is no classifier and no class mean.
Pure reads of the trainer (G and the encoder in eval mode); the caller holds the run's lock.
"""
from __future__ import annotations

import numpy as np
import torch

from lab.config import ConfigError
from lab.device import generator
from lab.images.fd import feature_net

N_CODES = 1000          # codes (GAN) or images (VAE) the class means are taken over
MIN_COUNT = 5           # a class needs this many members to have a mean
CHUNK = 500


def class_means(trainer, data, seed: int, n: int = N_CODES) -> dict:
    """{"classes": (c,), "means": (c, latent), "counts": (c,)} for the classes with at least
    MIN_COUNT members."""
    if data.labels is None:
        raise ConfigError("latent arithmetic needs classes, and these images have no labels")
    if hasattr(trainer, "encode"):                               # the VAE: labelled real images
        x = data.images[:n].cpu().float() / 127.5 - 1
        codes = torch.cat([trainer.encode(part)[0] for part in x.split(CHUNK)])
        labels = data.labels[:n].cpu()
    else:                                                        # a GAN: its own samples, classified
        codes = torch.randn(n, trainer.latent, generator=generator(seed + 6))
        net = feature_net(data)
        with torch.no_grad():
            labels = torch.cat([net(trainer.sample(part)).argmax(1) for part in codes.split(CHUNK)])
    classes, counts = labels.unique(return_counts=True)
    keep = counts >= MIN_COUNT
    classes, counts = classes[keep], counts[keep]
    means = torch.stack([codes[labels == c].mean(0) for c in classes]) if len(classes) else codes[:0]
    return {"classes": classes.numpy(), "means": means.numpy(), "counts": counts.numpy()}


def path(trainer, means: dict, a: int, b: int, i: int, steps: int = 8) -> dict:
    """The fixed-noise sample i (the page's sample grid) moved along t (mean(a) - mean(b)), t in
    [0, 1], and the two class means decoded: images in [-1, 1]."""
    where = {int(c): k for k, c in enumerate(means["classes"])}
    missing = [c for c in (a, b) if c not in where]
    if missing:
        raise ConfigError(f"class {missing[0]} has fewer than {MIN_COUNT} of {N_CODES} codes: pick one of "
                          f"{', '.join(str(c) for c in where)}")
    m = torch.as_tensor(means["means"])
    z = trainer.fixed_z[i].cpu()
    t = torch.linspace(0, 1, steps)[:, None]
    moved = z + t * (m[where[a]] - m[where[b]])
    return {"path": trainer.sample(moved).numpy(), "means": trainer.sample(m[[where[a], where[b]]]).numpy()}


def class_interpolation(trainer, means: dict, steps: int = 8) -> np.ndarray:
    """A row per pair of consecutive classes (a, b): (1 - t) mean(a) + t mean(b), decoded."""
    m = torch.as_tensor(means["means"])
    t = torch.linspace(0, 1, steps)[:, None]
    rows = [(1 - t) * m[k] + t * m[k + 1] for k in range(len(m) - 1)]
    return trainer.sample(torch.cat(rows)).numpy() if rows else np.zeros((0,))


def write_grids(run, out) -> None:
    """The command line's interpolation grids (`python -m lab run image_gan|image_vae`):
    interpolation.png (fixed-noise samples 0-1, 2-3, ... 6-7, a row each) and, for labelled
    images, class_interpolation.png (class mean to class mean, a row per consecutive pair)."""
    from lab.figures.images import png_bytes
    with run.lock:
        rows = np.concatenate([run.interpolation(a, a + 1) for a in range(0, 8, 2)])
        (out / "interpolation.png").write_bytes(png_bytes(rows, scale=2))
        if run.data.labels is not None:
            grid = class_interpolation(run.trainer, class_means(run.trainer, run.data, run.cfg.seed))
            if len(grid):
                (out / "class_interpolation.png").write_bytes(png_bytes(grid, scale=2))
