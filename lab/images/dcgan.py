"""DCGAN generator and discriminator for 28, 32 and 64 px images (note 002; Radford et al.,
ICLR 2016): strided convolutions, batch norm, LeakyReLU(0.2) in D; ReLU and a tanh output in G.

The discriminator takes the Lipschitz constraint's layer factory (note 004; lab.gan.lipschitz):
- constraint none or clip: Radford et al.'s D with batch norm (WGAN with clipping used it too,
  Arjovsky et al. 2017, sec. 4);
- constraint gp: no batch norm (the penalty is per sample and batch norm would couple the
  samples of a batch; Gulrajani et al. 2017, sec. 4);
- constraint sn: every convolution spectrally normalised, no batch norm (Miyato et al. 2018).
Spectral norm is a choice of layer factory (as in lab.nets), so the model never branches on it.
Spatial sizes: 28 = 7 -> 14 -> 28 (the MNIST DCGAN); 32 = 4 -> 8 -> 16 -> 32; 64 adds one more.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from lab.config import ConfigError

SIZES = (28, 32, 64)


def plain_conv(n_in: int, n_out: int, k: int, s: int, p: int, bias: bool = True) -> nn.Module:
    return nn.Conv2d(n_in, n_out, k, s, p, bias=bias)


def sn_conv(n_in: int, n_out: int, k: int, s: int, p: int, bias: bool = True) -> nn.Module:
    """W / sigma_max(W), one power iteration per training forward pass (Miyato et al. 2018)."""
    return spectral_norm(_dcgan_init(nn.Conv2d(n_in, n_out, k, s, p, bias=bias)), n_power_iterations=1)


CONVS: dict[str, Callable[..., nn.Module]] = {"plain": plain_conv, "sn": sn_conv}
NORMS: dict[str, Callable[[int], nn.Module]] = {"bn": nn.BatchNorm2d, "none": lambda n: nn.Identity()}


def _layout(size: int) -> tuple[int, int]:
    """(base spatial size, number of 2x up/down-sampling stages) for an image side."""
    if size not in SIZES:
        raise ConfigError(f"size={size} is not one of: {', '.join(map(str, SIZES))}")
    return (7, 2) if size == 28 else (4, {32: 3, 64: 4}[size])


@torch.no_grad()
def _dcgan_init(m: nn.Module) -> nn.Module:
    """Radford et al.: all weights from N(0, 0.02); batch-norm scales from N(1, 0.02)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
        w.normal_(0.0, 0.02)
        if m.bias is not None:
            m.bias.zero_()
    elif isinstance(m, nn.BatchNorm2d):
        m.weight.normal_(1.0, 0.02)
        m.bias.zero_()
    return m


class Generator(nn.Module):
    """z (n, latent) -> image (n, channels, size, size) in [-1, 1] (tanh), or logits for a VAE
    decoder (output="logits"). Widths double towards the small end: width * 2^(stages-1)."""

    def __init__(self, latent: int = 64, channels: int = 1, size: int = 28, width: int = 32,
                 output: str = "tanh"):
        super().__init__()
        base, stages = _layout(size)
        self.latent, self.channels, self.size = latent, channels, size
        ch = width * 2 ** (stages - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent, ch, base, 1, 0, bias=False),
                                   nn.BatchNorm2d(ch), nn.ReLU(True)]              # (n, ch, base, base)
        for _ in range(stages - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers.append(nn.ConvTranspose2d(ch, channels, 4, 2, 1))                   # (n, C, size, size)
        if output == "tanh":
            layers.append(nn.Tanh())
        elif output != "logits":
            raise ConfigError(f"output={output!r} is not one of: tanh, logits")
        self.net = nn.Sequential(*layers)
        self.apply(_dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(len(z), self.latent, 1, 1))


class Discriminator(nn.Module):
    """image (n, C, size, size) -> (n, out) raw outputs: D's logit, or the critic's value.
    No normalisation on the first layer (Radford et al.); `norm` on the others."""

    def __init__(self, channels: int = 1, size: int = 28, width: int = 32, norm: str = "bn",
                 layer: str = "plain", out: int = 1):
        super().__init__()
        if norm not in NORMS:
            raise ConfigError(f"norm={norm!r} is not one of: {', '.join(NORMS)}")
        if layer not in CONVS:
            raise ConfigError(f"layer={layer!r} is not one of: {', '.join(CONVS)}")
        base, stages = _layout(size)
        conv, ch = CONVS[layer], width
        layers: list[nn.Module] = [conv(channels, ch, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(stages - 1):
            # a bias before batch norm is cancelled by its mean subtraction: drop it
            layers += [conv(ch, ch * 2, 4, 2, 1, bias=norm != "bn"), NORMS[norm](ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers.append(conv(ch, out, base, 1, 0))                                    # (n, out, 1, 1)
        self.net = nn.Sequential(*layers)
        self.out = out
        self.apply(_dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.net(x).flatten(1)
        return y.squeeze(1) if self.out == 1 else y


def d_norm(constraint: str) -> str:
    """Batch norm in D unless the constraint is a per-sample one (gp) or spectral norm (sn)."""
    return "none" if constraint in ("gp", "sn") else "bn"


def build(latent: int, channels: int, size: int, width: int, norm: str = "bn",
          layer: str = "plain") -> tuple[Generator, Discriminator]:
    return (Generator(latent, channels, size, width),
            Discriminator(channels, size, width, norm=norm, layer=layer))
