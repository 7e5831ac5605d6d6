"""What every image experiment is configured by (data, size, Fréchet score, device); the GAN and
VAE configs (lab.experiments.image_gan / image_vae) add their model and optimiser keys.

Groups are the page's sidebar headings: "Data", "Model", "Training", and "Advanced" (drawn
folded). `live=True` keys are taken by a running run without a restart: more steps, another
Fréchet schedule, and the optimiser's rates in the subclasses.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.config import Config, ConfigError, opt
from lab.data.images import CHANNELS, SOURCES
from lab.images.dcgan import SIZES

DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "float32", "bfloat16", "float16")
GRAPHS = ("auto", "on", "off")


@dataclass(frozen=True)
class ImageConfig(Config):
    data: str = opt("digits", "digits (embedded, offline) | mnist | fashion (IDX files) | cifar10 (binary "
                              "version) | folder (a folder or .zip of your images)", choices=SOURCES,
                    group="Data", label="Data")
    data_dir: str = opt("", "where mnist / fashion / cifar10 / folder data is (IDX folder, "
                            "cifar-10-binary.tar.gz, a folder or .zip of images); empty for digits",
                        group="Data", label="Data folder or file", path=True)
    channels: str = opt("auto", "auto (as the data) | grey | rgb", choices=CHANNELS, group="Data", label="Colour")
    size: int = opt(28, "image side in pixels: 28, 32 or 64", lo=min(SIZES), hi=max(SIZES), choices=SIZES,
                    group="Data", label="Image size (px)")
    batch: int = opt(64, "images per batch (per process under torchrun)", lo=2, hi=4096, group="Model",
                     label="Batch")
    width: int = opt(32, "channels of the widest-resolution layer; doubles at each halving", lo=4, hi=512,
                     group="Model", label="Width (channels)")
    steps: int = opt(2000, "training steps (generator updates for a GAN)", lo=0, hi=10_000_000, group="Training",
                     live=True, label="Steps", step=500)
    fd_every: int = opt(500, "steps between two Fréchet scores; 0 = only at the end", lo=0, hi=10_000_000,
                        group="Training", live=True, label="FD every (steps)", step=100)
    seed: int = opt(0, "random seed: same seed, same run on a CPU", lo=0, hi=2**31 - 1, group="Training",
                    label="Seed")
    fd_samples: int = opt(1000, "generated (and real) images per Fréchet score; 0 = no score", lo=0, hi=50_000,
                          group="Advanced", label="FD samples", step=100)
    inception: str = opt("", "optional: pytorch-fid's Inception weights file (pt_inception-2015-12-05-"
                             "6726825d.pth); then metrics also has 'fid', true FID at the end", group="Advanced",
                         label="Inception weights (true FID)", path=True)
    device: str = opt("auto", "auto (CUDA if present) | cpu | cuda", choices=DEVICES, group="Advanced",
                      label="Device")
    precision: str = opt("auto", "auto (bfloat16 autocast on a CUDA card, float16 if it lacks bf16; float32 "
                                 "on a CPU) | float32 | bfloat16 | float16", choices=PRECISIONS, group="Advanced",
                         label="Precision")
    cuda_graphs: str = opt("auto", "auto (on a CUDA card: the whole training step captured in one CUDA graph "
                                   "and replayed, ~2.5x faster for a DCGAN; eager elsewhere) | on | off",
                           choices=GRAPHS, group="Advanced", label="CUDA graphs")

    def check(self) -> None:
        if 0 < self.fd_samples < 100:
            raise ConfigError(f"fd_samples={self.fd_samples} is too few for a Fréchet score: use 0 (none) or >= 100")
        if self.inception and not Path(self.inception).expanduser().is_file():
            raise ConfigError(f"inception={self.inception!r} is not a file")
