"""Random numbers for M members: latent codes, real batches, instance noise, penalty points.

Two ways, chosen by the sweep's `streams` key:

- `MemberStreams`: member m owns torch.Generator(seed_m) and draws from it exactly what the
  single-run trainer (GAN2D) draws, in the same order and shapes, so a member *is* the single
  run of its config and seed up to float rounding. The price is one small draw per member per
  call: a loop over members here (never in the network or optimiser maths), ~5-10% of a step of
  32 default GANs on one CPU thread, and thousands of kernel launches on a GPU.
- `SharedStream`: one generator on the device draws (M, ...) at once. A member is a GAN trained
  from its own initial weights with its own noise (members draw different numbers), but not the
  single run's sequence. This is the one for a GPU: one launch per draw whatever M is.

`auto` picks member streams on a CPU and the shared stream on CUDA. Both are reproducible: the
same config gives the same sweep on one machine.
"""
from __future__ import annotations

import torch

from lab.data import toy2d
from lab.device import generator
from lab.sweep.generators import PerMember

Tensor = torch.Tensor


def resolve(kind: str, device: torch.device) -> str:
    return ("shared" if device.type == "cuda" else "member") if kind == "auto" else kind


class MemberStreams(PerMember):
    """One generator per member on the CPU (as GAN2D's); draws are stacked and moved to `device`."""

    def __init__(self, seeds: list[int], data: toy2d.Toy2D, device: torch.device):
        super().__init__(seeds, device)
        self.data = data

    def normal(self, *shape: int) -> Tensor:
        """(M, *shape) standard normals: member m's from its own stream."""
        return self.each(lambda g: torch.randn(*shape, generator=g))

    def uniform(self, *shape: int) -> Tensor:
        return self.each(lambda g: torch.rand(*shape, generator=g))

    def real(self, n: int) -> Tensor:
        """(M, n, 2) samples of the data, each member's from its own stream."""
        return self.each(lambda g: self.data.sample(n, g))

    def noise(self, n: int, active: list[bool]) -> Tensor:
        """(M, n, 2) instance noise; a member whose noise is off draws nothing (GAN2D skips the
        draw when its std is 0), so its stream stays in step with its single run."""
        return self.each_active(active, lambda g: torch.randn(n, 2, generator=g), torch.zeros(n, 2))


class SharedStream:
    """One generator on `device` for all M members."""

    def __init__(self, seed: int, members: int, data: toy2d.Toy2D, device: torch.device):
        self.gen = generator(seed, device)
        self.cpu_gen = generator(seed)          # for data sets that only sample on the CPU
        self.m, self.data, self.device = members, data, device

    def normal(self, *shape: int) -> Tensor:
        return torch.randn(self.m, *shape, generator=self.gen, device=self.device)

    def uniform(self, *shape: int) -> Tensor:
        return torch.rand(self.m, *shape, generator=self.gen, device=self.device)

    def real(self, n: int) -> Tensor:
        mix = getattr(self.data, "mixture", None)
        if self.device.type == "cpu":
            return self.data.sample(self.m * n, self.gen).reshape(self.m, n, 2)
        if mix is not None:
            # The mixture's own recipe (component by multinomial, then mean + std * eps) on the device.
            w = torch.tensor(mix.weights, device=self.device)
            mu = torch.tensor(mix.means, dtype=torch.float32, device=self.device)
            sd = torch.tensor(mix.stds, dtype=torch.float32, device=self.device)
            comp = torch.multinomial(w, self.m * n, replacement=True, generator=self.gen)
            x = mu[comp] + sd[comp, None] * torch.randn(self.m * n, 2, generator=self.gen, device=self.device)
            return x.reshape(self.m, n, 2)
        return self.data.sample(self.m * n, self.cpu_gen).reshape(self.m, n, 2).to(self.device)

    def noise(self, n: int, active: list[bool]) -> Tensor:
        return self.normal(n, 2)

    def state(self) -> list[Tensor]:
        return [self.gen.get_state(), self.cpu_gen.get_state()]

    def load(self, state: list[Tensor]) -> None:
        self.gen.set_state(state[0])
        self.cpu_gen.set_state(state[1])
