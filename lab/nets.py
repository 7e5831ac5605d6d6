"""Small MLPs. Spectral normalisation is a choice of *layer factory*, so model code never
branches on it (the mimicry/StudioGAN pattern)."""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from lab.config import ConfigError

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


def plain_linear(n_in: int, n_out: int) -> nn.Module:
    return nn.Linear(n_in, n_out)


def sn_linear(n_in: int, n_out: int) -> nn.Module:
    """Linear layer divided by its top singular value, estimated by one power iteration per
    forward pass in training mode, reusing u (Miyato et al. 2018)."""
    return spectral_norm(nn.Linear(n_in, n_out), n_power_iterations=1)


LAYERS: dict[str, Callable[[int, int], nn.Module]] = {"plain": plain_linear, "sn": sn_linear}


def mlp(n_in: int, n_out: int, width: int, depth: int, activation: str = "leaky_relu",
        layer: str = "plain") -> nn.Sequential:
    """`depth` hidden layers of `width` units: (n, n_in) -> (n, n_out). All activations listed
    are 1-Lipschitz, so a spectral-normalised MLP is 1-Lipschitz (note 000, Problem 2) up to the
    power iteration's estimate of each layer's top singular value."""
    if activation not in ACTIVATIONS:
        raise ConfigError(f"activation={activation!r} is not one of: {', '.join(ACTIVATIONS)}")
    if layer not in LAYERS:
        raise ConfigError(f"layer={layer!r} is not one of: {', '.join(LAYERS)}")
    make = LAYERS[layer]
    sizes = [n_in] + [width] * depth
    mods: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        mods += [make(a, b), ACTIVATIONS[activation]()]
    mods.append(make(sizes[-1], n_out))
    return nn.Sequential(*mods)


def top_singular_values(net: nn.Module) -> list[float]:
    """The largest singular value of each Linear layer's *effective* weight (after any
    parametrisation), via torch.linalg.svdvals; for checking spectral normalisation."""
    out = []
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                out.append(float(torch.linalg.svdvals(m.weight)[0]))
    return out


@torch.no_grad()
def shrink_last_layer(net: nn.Sequential, scale: float = 0.01) -> None:
    """Start a discriminator near the constant function (D = 1/2, f = 0): the live picture
    begins from "no opinion" rather than from a random tilt. Under spectral norm the scale
    divides out, as it should."""
    last = net[-1]
    weight = last.parametrizations.weight.original if hasattr(last, "parametrizations") else last.weight
    weight.mul_(scale)
    last.bias.zero_()
