"""The image sets the scores are tried on, all (n, 1, 28, 28) in [-1, 1]: the real images (the
training split is the reference every set is compared with; the held-out split is "an honest
generator"), sets with a known flaw made from them, and samples of a generator from the image
page (a run file, loaded safely)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from lab.config import ConfigError
from lab.data import images as image_data
from lab.device import generator
from lab.experiments.evaluation.distortions import distort, gaussian_blur

N_REFERENCE = 4000      # training images in the reference set (all of the embedded digits')
COPY_NOISE = 0.05       # std of the noise on the memoriser's copies (2.5% of the range)
BLUR_PX = 1.5           # the blurry set's Gaussian std
ONE_CLASS = 0           # the collapsed generator's class
JUNK_SHARE = 0.5        # the "junk" set: this share of the held-out images replaced by shapes


@dataclass
class Real:
    train: torch.Tensor             # the reference (N_REFERENCE or fewer) images
    train_labels: torch.Tensor
    test: torch.Tensor              # the first n held-out images
    test_labels: torch.Tensor


def _float(d: image_data.ImageData) -> torch.Tensor:
    return d.images.float() / 127.5 - 1


def real(data: str, n: int) -> Real:
    train = image_data.load(data, size=28, channels="grey")
    test = image_data.load(data, size=28, channels="grey", split="test")
    if n > len(test.images):
        raise ConfigError(f"n={n} is more than the {len(test.images)} held-out images of {data}: lower n")
    return Real(_float(train)[:N_REFERENCE], train.labels[:N_REFERENCE], _float(test)[:n], test.labels[:n])


def subset(name: str, r: Real) -> torch.Tensor | None:
    """The held-out images a set keeps (their features are the held-out ones, indexed), or None."""
    y = r.test_labels
    if name == "test":
        return torch.arange(len(y))
    if name == "one_class":
        return torch.nonzero(y == ONE_CLASS).squeeze(1)
    if name == "half_classes":
        return torch.nonzero(y < 5).squeeze(1)
    if name == "class_copies":            # the first image of each class, each repeated n / C times
        firsts = torch.stack([torch.nonzero(y == c)[0, 0] for c in y.unique()])
        return firsts.repeat_interleave(len(y) // len(firsts))
    return None


def made(name: str, r: Real, seed: int) -> torch.Tensor:
    """One of the sets with a known answer, from the held-out images (the copies: from the training ones)."""
    idx = subset(name, r)
    if idx is not None:
        return r.test[idx]
    x = r.test
    if name == "copies":
        noise = torch.randn(r.train[:len(x)].shape, generator=generator(seed + 5))
        return (r.train[:len(x)] + COPY_NOISE * noise).clamp(-1, 1)
    if name == "blurry":
        return gaussian_blur(x, BLUR_PX)
    if name == "junk":                    # every digit still there, half of the images shapes
        return distort("mix", x, r.test_labels, JUNK_SHARE, seed)
    raise ValueError(f"no made set {name!r}")


def as_digits(images: torch.Tensor) -> torch.Tensor:
    """A generator's images (n, C, s, s) in [-1, 1] as the real ones are: grey, 28 px."""
    images = images.float().cpu()
    if images.shape[1] != 1:
        images = images.mean(1, keepdim=True)
    if images.shape[-1] != 28:
        images = F.interpolate(images, size=(28, 28), mode="bilinear", antialias=True, align_corners=False)
    return images.clamp(-1, 1)


def from_run(image_run, n: int, seed: int) -> torch.Tensor:
    """n samples of an image_gan / image_vae run (its generator or decoder at fresh noise),
    taken under the run's lock (its trainer may be training it); the run may live in a worker
    process (lab.pool.RemoteRun forwards the call)."""
    return as_digits(torch.from_numpy(image_run.samples(n, seed)))


def run_file(data: bytes, n: int, seed: int) -> torch.Tensor:
    """Samples of the run in a run file (the image page's Weights button); anything else is
    refused with one line (lab.checkpoint.CheckpointError, loaded with weights_only=True)."""
    from lab.images.runs import load
    return from_run(load(data), n, seed)
