"""The mode-collapse metrics of VEEGAN (Srivastava et al. 2017, Table 1) and PacGAN (Lin et al.
2018, Table 1), on 2,500 generated samples:

- high quality (HQ): a sample whose distance to its nearest mode is below 3 std;
- modes captured: modes that are the nearest mode of at least one HQ sample;
- reverse KL: KL(p_hat || uniform) = sum_k p_k log(K p_k), p_hat the histogram of the HQ
  samples over the K modes (0 log 0 = 0). 0 for perfectly even coverage, log K when every HQ
  sample sits on one mode. With no HQ sample at all the histogram is undefined: reported inf.
"""
from __future__ import annotations

import math

import numpy as np

N_SAMPLES = 2500     # both papers
HQ_STDS = 3.0

# The literature's numbers, each with its own set-up (they are not comparable to each other):
# (source, set-up) -> data kind -> method -> (modes, HQ fraction, reverse KL or None).
ANCHORS = {
    ("VEEGAN Table 1", "5 runs; ring of 8 and grid of 25 Gaussians"): {
        "ring": {"GAN": (1.0, 0.993, None), "Unrolled GAN": (7.6, 0.356, None), "VEEGAN": (8.0, 0.529, None)},
        "grid": {"GAN": (3.3, 0.005, None), "Unrolled GAN": (23.6, 0.16, None), "VEEGAN": (24.6, 0.40, None)},
    },
    ("PacGAN Table 1", "10 trials; ring r=1 std 0.01, grid {-4..4}^2 std 0.05; G 4x400 ReLU+BN, "
                       "D 3x200 maxout; Adam 1e-4, batch 100"): {
        "ring": {"GAN": (6.3, 0.982, 0.45), "PacGAN2": (7.9, 0.956, 0.07)},
        "grid": {"GAN": (17.3, 0.948, 0.70), "PacGAN2": (23.8, 0.913, 0.13), "PacGAN4": (24.8, 0.936, 0.04)},
    },
}


def reverse_kl(counts: np.ndarray) -> float:
    """KL(counts / sum || uniform over len(counts)); inf for an all-zero histogram."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        return math.inf
    p = counts[counts > 0] / total
    return float((p * np.log(len(counts) * p)).sum())


def from_assignment(mode: np.ndarray, dist: np.ndarray, std: float, n_modes: int) -> dict:
    """Metrics from each sample's nearest mode and distance to it.

    Returns modes (int), hq (fraction in [0, 1]), reverse_kl, and counts (K,): HQ samples
    per mode, the column of the mode-coverage timeline."""
    mode, dist = np.asarray(mode), np.asarray(dist, dtype=float)
    good = dist < HQ_STDS * std
    counts = np.bincount(mode[good], minlength=n_modes)[:n_modes]
    return {"modes": int((counts > 0).sum()), "hq": float(good.mean()) if len(good) else 0.0,
            "reverse_kl": reverse_kl(counts), "counts": counts}


def evaluate(samples: np.ndarray, data) -> dict:
    """Metrics for (n, 2) samples against a `lab.data.toy2d` data set (its modes and std). A diverged
    generator's non-finite samples are put far away: never high quality, never a crash."""
    samples = np.nan_to_num(np.asarray(samples, dtype=float), nan=1e9, posinf=1e9, neginf=-1e9)
    mode, dist = data.assign(samples)
    return from_assignment(mode, dist, data.std, data.n_modes)


def anchor_rows(kind: str) -> list[dict]:
    """The anchors for "ring" or "grid" as table rows: source, method, modes, hq, reverse_kl, setup."""
    rows = []
    for (source, setup), table in ANCHORS.items():
        for method, (modes, hq, rkl) in table.get(kind, {}).items():
            rows.append({"source": source, "method": method, "modes": modes, "hq": hq, "reverse_kl": rkl,
                         "setup": setup})
    return rows
