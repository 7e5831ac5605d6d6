"""Precision and recall on 2-D toy data, where the k-NN balls can be drawn (Kynkäänniemi et al.
2019, Fig. 2): real = eight Gaussians on a ring (lab.data.toy2d's ring); a collapsed generator
puts every sample on one of the eight modes; a blurry one spreads the real samples with wide
noise. The first keeps precision and loses recall, the second the reverse."""
from __future__ import annotations

import torch

from lab.data.toy2d import mixture_data, ring_centres
from lab.device import generator
from lab.experiments.evaluation.metrics import knn_radii, precision_recall

N_TOY = 200          # points per set: enough for stable shares, few enough to draw every ball
RADIUS, STD, BLUR = 2.0, 0.15, 0.6
GENERATORS = {"collapsed": "Collapsed onto one mode", "blurry": "Blurry (wide noise)"}


def sets(seed: int) -> dict[str, torch.Tensor]:
    """{"real", "collapsed", "blurry"}: (N_TOY, 2) float64 each."""
    ring = mixture_data("ring", "8 Gaussians", ring_centres(8, RADIUS), STD)
    gen = generator(seed + 21)
    real = ring.sample(N_TOY, gen).double()
    collapsed = torch.as_tensor(ring.centres[0]) + STD * torch.randn(N_TOY, 2, generator=gen, dtype=torch.float64)
    blurry = ring.sample(N_TOY, gen).double() + BLUR * torch.randn(N_TOY, 2, generator=gen, dtype=torch.float64)
    return {"real": real, "collapsed": collapsed, "blurry": blurry}


def measure(points: dict[str, torch.Tensor], k: int) -> dict[str, dict]:
    """Per generator: precision, recall, and the balls to draw (real radii for precision,
    the generator's own for recall)."""
    real = points["real"]
    out = {}
    for name in GENERATORS:
        fake = points[name]
        p, r = precision_recall(real, fake, k)
        out[name] = {"precision": p, "recall": r, "real_radii": knn_radii(real, k).numpy(),
                     "fake_radii": knn_radii(fake, k).numpy()}
    return out
