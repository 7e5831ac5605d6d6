"""The distortions of Heusel et al. 2017 (Fig. A1: the FID rises with each), on images (n, 1, s, s)
in [-1, 1] with white strokes on black, each at a strength in [0, 1] (0 = unchanged):

    noise         x + t z, z ~ N(0, 1), clipped to [-1, 1]                 t = strength
    blur          a Gaussian kernel of std 2.5 t px (separable, reflect padding)
    salt_pepper   a share t / 2 of the pixels set to white or black
    swirl         each pixel turned by 5 t exp(-r / 7 px) radians about the centre (grid_sample;
                  scikit-image's swirl)
    blank         round(5 t) black rectangles of 6-12 px (Heusel's "implanted black rectangles")
    mix           a share t of the images replaced by shapes drawn by code (rings, boxes, bars):
                  "images of another kind" (Heusel mixed ImageNet into CelebA)
    drop_classes  round(9 t) of the 10 classes removed, their images replaced by images of the
                  classes kept (t = 1 leaves one class)

Randomness is drawn once per kind from the seed, whatever the strength (common random numbers):
noise t2 adds more of the same z than noise t1, 3 rectangles are the first 2 plus one, so a curve
over strengths is smooth and monotone in what is done to the images. torchvision does not import
on this CPU build, so blur and swirl are written with torch.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from lab.device import generator

KINDS = ("noise", "blur", "salt_pepper", "swirl", "blank", "mix", "drop_classes")
LABELS = {"noise": "Gaussian noise", "blur": "Gaussian blur", "salt_pepper": "Salt and pepper", "swirl": "Swirl",
          "blank": "Black rectangles", "mix": "Shapes mixed in", "drop_classes": "Classes dropped"}
MAX_BLUR_PX, MAX_SWIRL, SWIRL_RADIUS_PX, MAX_RECTS = 2.5, 5.0, 7.0, 5


def strengths(levels: int) -> list[float]:
    return [i / (levels - 1) for i in range(levels)]


def blur_matrix(size: int, std_px: float) -> torch.Tensor:
    """(size, size) M with (M x) = x convolved with a Gaussian of std `std_px` along one axis,
    reflect padding folded in (the kernel's weights that fall outside fold back inside)."""
    r = max(1, math.ceil(3 * std_px))
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / std_px) ** 2)
    k = k / k.sum()
    m = torch.zeros(size, size, dtype=torch.float64)
    for i in range(size):
        for off, w in zip(range(-r, r + 1), k.tolist()):
            j = i + off
            while j < 0 or j >= size:            # reflect (no edge repeat), as F.pad(mode="reflect")
                j = -j if j < 0 else 2 * (size - 1) - j
            m[i, j] += w
    return m


def gaussian_blur(x: torch.Tensor, std_px: float) -> torch.Tensor:
    """Separable Gaussian blur as two small matrix products, M_h x M_w^T (~20x faster than a
    1-channel conv2d with a 19-tap kernel on a CPU), reflect padding."""
    if std_px <= 0:
        return x
    mh = blur_matrix(x.shape[-2], std_px).to(x.dtype)
    mw = blur_matrix(x.shape[-1], std_px).to(x.dtype)
    return mh @ x @ mw.T


def swirl(x: torch.Tensor, amount: float, radius_px: float = SWIRL_RADIUS_PX) -> torch.Tensor:
    """Output pixel at polar (r, phi) about the centre reads the input at phi + amount exp(-r / radius)."""
    if amount == 0:
        return x
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    r_px = torch.sqrt(xs ** 2 + ys ** 2) * (w / 2)
    angle = amount * torch.exp(-r_px / radius_px)
    cos, sin = torch.cos(angle), torch.sin(angle)
    grid = torch.stack([cos * xs - sin * ys, sin * xs + cos * ys], -1)        # (h, w, 2) in grid_sample's (x, y)
    return F.grid_sample(x, grid.expand(n, h, w, 2).to(x.dtype), mode="bilinear", padding_mode="border",
                         align_corners=True)


def shapes(n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """(n, 1, size, size) in [-1, 1]: white anti-aliased outlines of a ring, a box or a bar, at
    random places, sizes and widths (distance fields, so all n are drawn at once)."""
    u = torch.rand(n, 6, generator=gen)
    kind = (u[:, 0] * 3).long()
    cx, cy = (0.35 + 0.3 * u[:, 1]) * size, (0.35 + 0.3 * u[:, 2]) * size
    rad = (0.18 + 0.14 * u[:, 3]) * size
    width = 1.0 + 1.5 * u[:, 4]
    angle = math.pi * u[:, 5]
    ys, xs = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    dx, dy = xs - cx.view(-1, 1, 1), ys - cy.view(-1, 1, 1)
    ring = (torch.sqrt(dx ** 2 + dy ** 2) - rad.view(-1, 1, 1)).abs()
    box = (torch.maximum(dx.abs(), dy.abs()) - rad.view(-1, 1, 1)).abs()
    c, s = torch.cos(angle).view(-1, 1, 1), torch.sin(angle).view(-1, 1, 1)
    along, across = dx * c + dy * s, -dx * s + dy * c
    bar = torch.maximum(across.abs(), (along.abs() - 1.5 * rad.view(-1, 1, 1)).clamp(min=0))
    dist = torch.where(kind.view(-1, 1, 1) == 0, ring, torch.where(kind.view(-1, 1, 1) == 1, box, bar))
    ink = (width.view(-1, 1, 1) / 2 + 0.5 - dist).clamp(0, 1)                 # 1 px anti-aliased edge
    return (2 * ink - 1).unsqueeze(1)


def distort(kind: str, x: torch.Tensor, labels: torch.Tensor, strength: float, seed: int,
            pool: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """`x` (n, 1, s, s) in [-1, 1] distorted by `kind` at `strength` in [0, 1]. `labels` (n,) are
    the images' classes (drop_classes); `pool` (images, labels) is where replacements for dropped
    classes come from (default: x itself)."""
    gen = generator(seed * 7 + KINDS.index(kind) + 1)
    n, _, h, w = x.shape
    if kind == "noise":
        return (x + strength * torch.randn(x.shape, generator=gen)).clamp(-1, 1)
    if kind == "blur":
        return gaussian_blur(x, MAX_BLUR_PX * strength)
    if kind == "salt_pepper":
        hit, white = torch.rand(x.shape, generator=gen), torch.rand(x.shape, generator=gen) < 0.5
        return torch.where(hit < strength / 2, white.to(x.dtype) * 2 - 1, x)
    if kind == "swirl":
        return swirl(x, MAX_SWIRL * strength)
    if kind == "blank":
        out = x.clone()
        size = torch.randint(6, 13, (MAX_RECTS, n, 2), generator=gen)
        corner = (torch.rand(MAX_RECTS, n, 2, generator=gen) * (torch.tensor([h, w]) - size)).long()
        ys, xs = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
        for j in range(round(MAX_RECTS * strength)):
            (y0, x0), (dy, dx) = corner[j].T.view(2, n, 1, 1), size[j].T.view(2, n, 1, 1)
            inside = (ys >= y0) & (ys < y0 + dy) & (xs >= x0) & (xs < x0 + dx)
            out[inside.unsqueeze(1)] = -1.0
        return out
    if kind == "mix":
        order = torch.randperm(n, generator=gen)
        drawn = shapes(n, h, gen)
        out = x.clone()
        m = round(strength * n)
        out[order[:m]] = drawn[:m]
        return out
    if kind == "drop_classes":
        classes = labels.unique()
        order = classes[torch.randperm(len(classes), generator=gen)]
        dropped = order[:round((len(classes) - 1) * strength)]
        pool_x, pool_y = pool if pool is not None else (x, labels)
        kept = torch.nonzero(~torch.isin(pool_y, dropped)).squeeze(1)
        pick = kept[torch.randint(len(kept), (n,), generator=gen)]
        gone = torch.isin(labels, dropped)
        out = x.clone()
        out[gone] = pool_x[pick[gone]]
        return out
    raise ValueError(f"unknown distortion {kind!r}; the kinds are: {', '.join(KINDS)}")
