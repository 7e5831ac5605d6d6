"""One way in for every image source: the embedded digits (offline default), MNIST and
Fashion-MNIST (IDX files), CIFAR-10 (binary version) and a folder / zip of the user's images,
as uint8 tensors (N, C, size, size) ready to be batched. Labels when the source has them
(they train the feature network of the Fréchet score, lab.images.fd)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lab.config import ConfigError

SOURCES = ("digits", "mnist", "fashion", "cifar10", "folder")
CHANNELS = ("auto", "grey", "rgb")


@dataclass
class ImageData:
    images: torch.Tensor              # uint8 (N, C, size, size)
    labels: torch.Tensor | None       # int64 (N,) or None (a user's folder)
    name: str                         # what the Fréchet score's feature network is keyed on
    note: str = ""                    # one line for the user (e.g. what the archive loader skipped)

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    def batch(self, idx: torch.Tensor, device: torch.device) -> torch.Tensor:
        """float (n, C, H, W) in [-1, 1] on `device`."""
        return self.images[idx].to(device, non_blocking=True).float().div_(127.5).sub_(1.0)


def _resize(x: np.ndarray, size: int) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, 3) -> uint8 (N, C, size, size); antialiased bilinear."""
    t = torch.from_numpy(np.ascontiguousarray(x))
    t = t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)
    if t.shape[-1] == size:
        return t.contiguous()
    out = []
    for chunk in t.split(4096):    # bounded memory for CIFAR's 50k images at 64 px
        f = F.interpolate(chunk.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out.append(f.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out)


def _convert(t: torch.Tensor, channels: str) -> torch.Tensor:
    if channels == "grey" and t.shape[1] == 3:
        # ITU-R BT.601 luma, as PIL's convert("L")
        w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (t.float() * w).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
    if channels == "rgb" and t.shape[1] == 1:
        return t.expand(-1, 3, -1, -1).contiguous()
    return t


def _idx_folder(name: str, data_dir: str) -> Path:
    if data_dir:
        return Path(data_dir)
    from lab.data.download import cached
    folder = cached(name)
    if folder is None:
        raise ConfigError(f"data={name}: give data_dir=<folder with the IDX files>, or download "
                          f"{name} once on the VAE page (it is then cached)")
    return folder


def load(data: str, data_dir: str = "", size: int = 28, channels: str = "auto",
         split: str = "train", upload: bytes | None = None) -> ImageData:
    """The images of `data` at `size` px; `upload` (zip bytes) replaces data_dir for 'folder'."""
    if data not in SOURCES:
        raise ConfigError(f"data={data!r} is not one of: {', '.join(SOURCES)}")
    if channels not in CHANNELS:
        raise ConfigError(f"channels={channels!r} is not one of: {', '.join(CHANNELS)}")
    note, labels = "", None
    if data == "digits":
        from lab.data.digits import load_digits
        x, labels = load_digits(split)
    elif data in ("mnist", "fashion"):
        from lab.data.idx import load_idx_dataset
        x, labels = load_idx_dataset(_idx_folder(data, data_dir), data, split)
    elif data == "cifar10":
        from lab.data.cifar import load_cifar10
        if not data_dir:
            raise ConfigError("data=cifar10 needs data_dir=<cifar-10-binary.tar.gz or its extracted folder>")
        x, labels = load_cifar10(data_dir, split)
    else:
        from lab.data.archive import load_images
        if upload is None and not data_dir:
            raise ConfigError("data=folder needs data_dir=<a folder or .zip of images>, or an upload")
        want = 1 if channels == "grey" else 3
        x, report = load_images(upload if upload is not None else data_dir, size, want)
        note = report.message()
    t = _convert(_resize(x, size), channels)
    lab = None if labels is None else torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    return ImageData(t, lab, data if data != "folder" else "folder", note)
