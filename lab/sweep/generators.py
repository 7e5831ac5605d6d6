"""Random numbers per member: member m owns torch.Generator(seed_m) on the CPU and draws exactly
what its single run draws, in the same order and shapes, so a member *is* that run up to float
rounding. Each experiment's batched trainer subclasses PerMember with its own draws (real
batches, codes, noise, penalty points); the draws are stacked member-major and moved to the
sweep's device. The price: one small draw per member per call (a loop here, never in the maths).
"""
from __future__ import annotations

from typing import Callable

import torch

from lab.device import generator

Tensor = torch.Tensor


class PerMember:
    def __init__(self, seeds: list[int], device: torch.device):
        self.gens = [generator(s) for s in seeds]
        self.device = device

    def each(self, draw: Callable[[torch.Generator], Tensor]) -> Tensor:
        """(M, ...): `draw(gen)` from every member's generator, in member order."""
        return torch.stack([draw(g) for g in self.gens]).to(self.device)

    def each_active(self, active, draw: Callable[[torch.Generator], Tensor], idle: Tensor) -> Tensor:
        """(M, ...): `draw(gen)` for the members marked active, `idle` for the others, which draw
        nothing (their single runs skip the draw, e.g. instance noise of std 0), so their
        streams stay in step with their single runs."""
        return torch.stack([draw(g) if on else idle for g, on in zip(self.gens, active)]).to(self.device)

    def state(self) -> list[Tensor]:
        return [g.get_state() for g in self.gens]

    def load(self, state: list[Tensor]) -> None:
        for g, s in zip(self.gens, state):
            g.set_state(s)
