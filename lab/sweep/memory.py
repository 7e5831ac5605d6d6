"""How much memory a sweep needs, and the refusal of one that would not fit.

Memory grows linearly with members. Per member (float32, 4 bytes a number):
- weights of G and D, their gradients and the optimiser's state (Adam 2 numbers a weight,
  RMSProp 1, SGD 0);
- what autograd keeps during one step: G's activations on a batch and D's on the real and fake
  rows (three times over with a gradient penalty, whose double backward keeps more);
- the real-data bank (REAL_BLOCK batches) and the fixed evaluation codes and samples (2,500);
times SAFETY for temporaries (the optimiser's, the metrics' distances). The default ring GAN
(width 64, depth 2, latent 16, batch 128, Adam) comes to ~1.5 MB a member: 4,096 members ~6 GB.

A sweep may take LIMIT_SHARE of the memory free on its device when it is built (CUDA: the
driver's free memory; CPU: the kernel's MemAvailable).
"""
from __future__ import annotations

import os

import torch

from lab.config import ConfigError
from lab.experiments.mode_collapse.metrics import N_SAMPLES
from lab.experiments.mode_collapse.trainer import REAL_BLOCK

LIMIT_SHARE = 0.5
SAFETY = 2.0
OPT_STATE = {"adam": 2, "rmsprop": 1, "sgd": 0}


def _mlp_params(n_in: int, n_out: int, width: int, depth: int) -> int:
    sizes = [n_in] + [width] * depth + [n_out]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def bytes_per_member(cfg) -> int:
    """Estimated bytes one member of config `cfg` (a ModeCollapseConfig) needs while training."""
    r = cfg.train()
    w, d, b, pac, z = cfg.width, cfg.depth, cfg.batch, cfg.pac, cfg.latent
    weights = _mlp_params(z, 2, w, d) + _mlp_params(2 * pac, 1, w, d)
    numbers = weights * (2 + OPT_STATE[r.optimizer])
    rows_d = 2 * (b // pac)
    numbers += b * (z + 2 * w * d + 2) + rows_d * (2 * pac + 2 * w * d + 1) * (3 if r.constraint == "gp" else 1)
    # An unrolled D (unroll K) keeps K differentiable copies of D's weights and moments, and K
    # steps' activations, with their double-backward graph, until G's backward.
    numbers += cfg.unroll * (_mlp_params(2 * pac, 1, w, d) * 4 + 2 * rows_d * (2 * pac + 2 * w * d + 1)
                             * (3 if r.constraint == "gp" else 1))
    # The fixed codes and their samples only: G's activations on the codes (2,500 x 2 width) are
    # not per member, SweepRun._samples takes them in chunks of run.EVAL_NUMBERS numbers whatever
    # M is. Counted per member they made the estimate 4.1 MB a default member against ~0.8 MB
    # measured (peak RSS growth at 1,024 members on a CPU), refusing sweeps 5x too early.
    numbers += REAL_BLOCK * b * 2 + N_SAMPLES * (z + 2)
    return int(4 * numbers * SAFETY)


def free_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def _size(n: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} bytes"


def check(cfgs, device: torch.device, limit: int | None = None, per_member=None) -> int:
    """The estimate for members `cfgs` (`per_member(cfg)` bytes each, default the 2-D GAN's);
    ConfigError in one line if it exceeds `limit` (default: LIMIT_SHARE of the device's free memory)."""
    need = sum((per_member or bytes_per_member)(c) for c in cfgs)
    where = "CUDA" if device.type == "cuda" else "CPU"
    if limit is None:
        limit = int(LIMIT_SHARE * free_bytes(device))
        said = f"{LIMIT_SHARE:.0%} of the free {where} memory"
    else:
        said = "the limit given"
    if need > limit:
        raise ConfigError(f"{len(cfgs)} members need about {_size(need)} ({_size(need / len(cfgs))} each), more "
                          f"than {_size(limit)} ({said}): use fewer seeds or values, or smaller nets")
    return need
