"""The mode-collapse metrics (lab.experiments.mode_collapse.metrics) for M members at once.

Samples (M, n, 2) -> per member: modes captured, HQ share, reverse KL and the HQ count per mode,
equal to `mode_metrics.evaluate` on each member's samples (the same float64 distances and the
same first-nearest tie rule). For a data set that assigns points to modes by nearest centre
(every mixture, the user's points) the distances are computed with torch on the samples' own
device, members in chunks; another data set (the spiral's arc pieces) assigns with its own
`assign` on the CPU, all members in one call.
"""
from __future__ import annotations

import numpy as np
import torch

from lab.data import toy2d
from lab.experiments.mode_collapse.metrics import HQ_STDS

Tensor = torch.Tensor
CHUNK = 1 << 22            # (member, sample, mode) distances held at once


def _nearest(x: Tensor, centres: Tensor) -> tuple[Tensor, Tensor]:
    """(M, n, 2) float64, (K, 2) -> nearest centre (M, n) and the distance to it (M, n), chunked."""
    m, n, _ = x.shape
    per = max(1, CHUNK // (n * len(centres)))
    idx, dist = [], []
    for a in range(0, m, per):
        d2 = ((x[a:a + per, :, None, :] - centres) ** 2).sum(-1)          # (chunk, n, K)
        i = d2.argmin(-1)
        idx.append(i)
        dist.append(d2.gather(-1, i[..., None]).squeeze(-1).sqrt())
    return torch.cat(idx), torch.cat(dist)


def assign(samples: Tensor, data: toy2d.Toy2D) -> tuple[Tensor, Tensor]:
    """Each sample's mode and distance, (M, n) each, as `data.assign` would give them."""
    x = torch.nan_to_num(samples.double(), nan=1e9, posinf=1e9, neginf=-1e9)  # as mode_metrics.evaluate
    if type(data).assign is toy2d.Toy2D.assign:
        return _nearest(x, torch.as_tensor(data.centres, dtype=torch.float64, device=x.device))
    mode, dist = data.assign(x.reshape(-1, 2).cpu().numpy())
    shape = samples.shape[:2]
    return torch.as_tensor(mode).reshape(shape), torch.as_tensor(dist).reshape(shape)


def reverse_kl(counts: np.ndarray) -> np.ndarray:
    """(M, K) HQ counts -> (M,) KL(p_hat || uniform); inf for a member with no HQ sample."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = counts / total
        terms = np.where(counts > 0, p * np.log(counts.shape[1] * p), 0.0)
    return np.where(total[:, 0] > 0, terms.sum(1), np.inf)


def evaluate(samples: Tensor, data: toy2d.Toy2D) -> dict[str, np.ndarray]:
    """(M, n, 2) samples -> {"modes" (M,) int, "hq" (M,), "reverse_kl" (M,), "counts" (M, K)}."""
    m, n, _ = samples.shape
    k = data.n_modes
    mode, dist = assign(samples, data)
    good = dist < HQ_STDS * data.std
    member = torch.arange(m, device=mode.device)[:, None] * k
    counts = torch.bincount((member + mode)[good], minlength=m * k).reshape(m, k).cpu().numpy()
    return {"modes": (counts > 0).sum(1), "hq": good.sum(1).cpu().numpy() / max(n, 1),
            "reverse_kl": reverse_kl(counts), "counts": counts}
