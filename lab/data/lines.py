"""The parallel lines of Arjovsky, Chintala, Bottou 2017 (Example 1; note 004) and the same line
thickened along x into a Gaussian band.

    Line(x=a)           delta_a x U[0, 1]: every point at x = a, y uniform in [0, 1]
    Line(x=a, s=s)      N(a, s^2) x U[0, 1]: the line thickened along x (s -> 0 gives the line)

Both have the toy sets' one signature `sample(n, generator) -> (n, 2)` float32 tensor. The
y-part is U[0, 1] for every line and independent of x, so it cancels from KL, JS, TV and W1:
two thick lines have exactly the 1-D Gaussian pair's divergences N(a, s^2) vs N(b, s^2)
(lab.experiments.disjoint.closed_forms).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Line:
    x: float = 0.0      # where the line sits (the mean of its x-part)
    s: float = 0.0      # std of the x-part; 0 = the line itself

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """(n, 2) points: y ~ U[0, 1], x = self.x (+ N(0, s^2) when thick)."""
        pts = torch.rand(n, 2, generator=gen)     # one draw; column 0 is then overwritten
        if self.s > 0:
            pts[:, 0] = self.x + self.s * torch.randn(n, generator=gen)
        else:
            pts[:, 0] = float(self.x)
        return pts
