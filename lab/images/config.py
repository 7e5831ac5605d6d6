"""What every image experiment is configured by (data, size, Fréchet score, device); the
GAN and VAE configs add their own model and optimiser keys."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.config import ConfigError, check_choice, check_range, opt
from lab.data.images import CHANNELS, SOURCES
from lab.images.dcgan import SIZES
from lab.images.trainer import PRECISIONS

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class ImageConfig:
    data: str = opt("digits", "digits (embedded, offline) | mnist | fashion (IDX files) | cifar10 (binary "
                              "version) | folder (a folder or .zip of your images)")
    data_dir: str = opt("", "where mnist / fashion / cifar10 / folder data is; empty for digits")
    channels: str = opt("auto", "auto (as the data) | grey | rgb")
    size: int = opt(28, "image side in pixels: 28, 32 or 64")
    batch: int = opt(64, "images per batch")
    width: int = opt(32, "channels of the widest-resolution layer; doubles at each halving")
    fd_every: int = opt(500, "steps between two Fréchet scores; 0 = only at the end")
    fd_samples: int = opt(1000, "generated (and real) images per Fréchet score")
    inception: str = opt("", "optional: pytorch-fid's Inception weights file (pt_inception-2015-12-05-"
                             "6726825d.pth); then metrics also has 'fid', true FID at the end")
    seed: int = opt(0, "random seed: same seed, same run on a CPU")
    device: str = opt("auto", "auto (CUDA if present) | cpu | cuda")
    precision: str = opt("auto", "auto (bfloat16 autocast on a CUDA card, float16 if it lacks bf16; float32 "
                                 "on a CPU) | float32 | bfloat16 | float16")

    def check_common(self) -> None:
        check_choice("data", self.data, SOURCES)
        check_choice("channels", self.channels, CHANNELS)
        check_choice("device", self.device, DEVICES)
        check_choice("precision", self.precision, ("auto", *PRECISIONS))
        if self.size not in SIZES:
            raise ConfigError(f"size={self.size} is not one of: {', '.join(map(str, SIZES))}")
        check_range("batch", self.batch, 2, 4096)
        check_range("width", self.width, 4, 512)
        check_range("fd_every", self.fd_every, 0, 10_000_000)
        check_range("fd_samples", self.fd_samples, 100, 50_000)
        if self.inception and not Path(self.inception).expanduser().is_file():
            raise ConfigError(f"inception={self.inception!r} is not a file")
