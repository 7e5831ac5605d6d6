"""The one discriminator step and the one generator loss every GAN trainer in GenLab uses
(1-D discriminators, 2-D mode collapse, theta on disjoint supports, robust JS/TV-GANs, images).
Note 001's Algorithm 1, inner loop:

    update D: minimise d_loss(D(x), D(G(z))) [+ the constraint's penalty], then the
              constraint's projection (weight clipping) after the optimiser step
    update G: minimise mean g_loss(D(G(z)))

Each trainer keeps only what is its own: how it draws x and z, packing and instance noise,
unrolling, the update rule for a one-number generator, mixed precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from lab.gan.lipschitz import Constraint
from lab.gan.objectives import Objective

Tensor = torch.Tensor


@dataclass
class DOut:
    loss: Tensor          # D's loss without the penalty (what the curves show), detached
    penalty: Tensor | None
    real: Tensor          # D's raw outputs on the real and fake batch, detached
    fake: Tensor


def d_objective(f: Callable[[Tensor], Tensor], objective: Objective, constraint: Constraint,
                real: Tensor, fake: Tensor, gen: torch.Generator | None = None, joint: bool = True,
                penalty: bool = True) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor | None]:
    """(loss, loss + penalty, real outputs, fake outputs, penalty) with gradients attached.

    joint=True: one forward pass over real and fake together: half the per-call overhead, and a
    spectral-normalised D does one power iteration per update, as Miyato et al. do. A D with
    batch norm needs joint=False (two batches, as pytorch/examples' DCGAN)."""
    if joint:
        n = len(real)
        out = f(torch.cat([real, fake]))
        out_r, out_f = out[:n], out[n:]
    else:
        out_r, out_f = f(real), f(fake)
    loss = objective.d_loss(out_r, out_f)
    pen = constraint.penalty(f, real, fake, gen) if penalty else None
    return loss, (loss if pen is None else loss + pen), out_r, out_f, pen


def d_step(f: Callable[[Tensor], Tensor], net: torch.nn.Module, objective: Objective, constraint: Constraint,
           opt: torch.optim.Optimizer, real: Tensor, fake: Tensor, gen: torch.Generator | None = None,
           joint: bool = True) -> DOut:
    """One update of D on a real and a (detached) fake batch."""
    loss, total, out_r, out_f, pen = d_objective(f, objective, constraint, real, fake.detach(), gen, joint)
    opt.zero_grad(set_to_none=True)
    total.backward()
    opt.step()
    constraint.after_step(net)
    return DOut(loss.detach(), None if pen is None else pen.detach(), out_r.detach(), out_f.detach())


def g_loss(f: Callable[[Tensor], Tensor], objective: Objective, fake: Tensor) -> Tensor:
    """G's loss, the mean over the fake batch of the objective's per-sample loss."""
    return objective.g_loss(f(fake)).mean()
