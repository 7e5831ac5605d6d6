"""2-D toy data: rings and grids of Gaussians, a spiral and the user's points (mode collapse),
and two moons (the VAE's 2-D set).

Every data set shares one shape (the tensorflow/playground lesson): `sample(n, gen) -> (n, 2)`,
plus what the mode metrics need: `centres` (K, 2), a per-axis `std`, and `assign(x)` giving
each point's nearest mode and its distance to it (VEEGAN / PacGAN: a sample is high quality
when that distance is below 3 std).

The literature's two set-ups are presets:
- WGAN-GP's toy code (Gulrajani et al. 2017): 8 Gaussians on a ring of radius 2, std 0.02;
  25 Gaussians at 2*{-2..2}^2, std 0.05. (That code then divides the data by 1.414 / 2.828;
  the metrics are invariant to rescaling means and std together, so we keep the raw numbers.)
- PacGAN's (Lin et al. 2018, Table 1): ring radius 1, std 0.01; grid means {-4,-2,0,2,4}^2,
  std 0.05 -- the same grid as above, kept as its own name so each anchor has its set-up.
Ring centres sit at 2 pi k / 8 for k = 0..7: eight distinct angles, whereas
linspace(0, 2 pi, 8) would repeat angle 0 as 2 pi and leave a gap.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.spatial import cKDTree

from lab.config import ConfigError
from lab.data.mixtures import Mixture

MAX_CSV_ROWS = 100_000


def ring_centres(k: int = 8, radius: float = 1.0) -> np.ndarray:
    """(k, 2) centres at angles 2 pi j / k, j = 0..k-1 (never linspace(0, 2 pi, k))."""
    angles = 2 * math.pi * np.arange(k) / k
    return radius * np.stack([np.cos(angles), np.sin(angles)], 1)


def grid_centres(values=(-4.0, -2.0, 0.0, 2.0, 4.0)) -> np.ndarray:
    """(len(values)^2, 2) centres on the product grid, row by row."""
    xs, ys = np.meshgrid(values, values)
    return np.stack([xs.ravel(), ys.ravel()], 1).astype(float)


def _nearest(x: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre and the Euclidean distance to it, per row of x (n, 2)."""
    d2 = ((x[:, None, :] - centres[None]) ** 2).sum(-1)        # (n, K)
    idx = d2.argmin(1)
    return idx, np.sqrt(d2[np.arange(len(x)), idx])


@dataclass(frozen=True, eq=False)
class Toy2D:
    """A data set with modes. Subclasses say how to sample and how to assign points to modes."""
    name: str
    label: str                        # for the page: the set-up in words
    centres: np.ndarray = field(repr=False)   # (K, 2) where the modes are drawn
    std: float                        # per-axis std of one mode (the 3-std rule's unit)

    @property
    def n_modes(self) -> int:
        return len(self.centres)

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def assign(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 2) -> (nearest mode (n,), distance to it (n,))."""
        return _nearest(np.asarray(x, dtype=float), self.centres)

    def extent(self, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """A square box around the modes, for the plots and D's heat map."""
        lo, hi = self.centres.min(0), self.centres.max(0)
        half = 0.5 * float(max(hi - lo)) + 6 * self.std
        half = half * (1 + pad) + 1e-3
        mid = 0.5 * (lo + hi)
        return mid - half, mid + half


@dataclass(frozen=True, eq=False)
class MixtureData(Toy2D):
    """Equal-weight isotropic Gaussians at `centres`; sampled by lab.data.mixtures."""
    mixture: Mixture = field(default=None, repr=False)

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return self.mixture.sample(n, gen)


def mixture_data(name: str, label: str, centres: np.ndarray, std: float) -> MixtureData:
    k = len(centres)
    mix = Mixture(tuple([1.0 / k] * k), tuple(tuple(float(v) for v in c) for c in centres), tuple([std] * k))
    return MixtureData(name, label, np.asarray(centres, float), float(std), mix)


@dataclass(frozen=True, eq=False)
class SpiralData(Toy2D):
    """A 2-D Swiss roll: r = R t, angle = 4 pi t, t ~ U(0.1, 1), plus N(0, std^2 I) noise.

    It has no discrete modes, so for the metrics its arc is cut into K pieces of equal length:
    a point's "mode" is the piece holding its nearest curve point, and it is high quality if it
    lies within 3 std of the curve."""
    curve: np.ndarray = field(default=None, repr=False)        # (M, 2) dense polyline
    piece: np.ndarray = field(default=None, repr=False)        # (M,) piece index per vertex
    radius: float = 2.0
    tree: cKDTree = field(default=None, repr=False)            # over `curve`: 2,500 queries in ms

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        t = 0.1 + 0.9 * torch.rand(n, generator=gen)
        ang = 4 * math.pi * t
        pts = self.radius * t[:, None] * torch.stack([torch.cos(ang), torch.sin(ang)], 1)
        return pts + self.std * torch.randn(n, 2, generator=gen)

    def assign(self, x):
        dist, vert = self.tree.query(np.asarray(x, dtype=float))
        return self.piece[vert], dist


def spiral_data(pieces: int = 12, std: float = 0.05, radius: float = 2.0) -> SpiralData:
    t = np.linspace(0.1, 1.0, 4000)
    ang = 4 * math.pi * t
    curve = radius * t[:, None] * np.stack([np.cos(ang), np.sin(ang)], 1)
    seg = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(curve, axis=0), axis=1))]
    piece = np.minimum((seg / seg[-1] * pieces).astype(int), pieces - 1)
    centres = np.stack([curve[piece == j].mean(0) for j in range(pieces)])
    # Draw each piece's label at the curve point nearest its vertices' mean.
    centres = curve[_nearest(centres, curve)[0]]
    return SpiralData("spiral", f"spiral (Swiss roll), radius {radius:g}, noise std {std:g}, "
                      f"{pieces} arc pieces as modes", centres, std, curve, piece, radius, cKDTree(curve))


# ---- the user's own points -----------------------------------------------------------------
def decode_csv(data: bytes) -> str:
    """An uploaded file's bytes -> its text: UTF-8 (a BOM is fine) or UTF-16 with its BOM (what
    spreadsheets save as "Unicode text"). Anything else is not a CSV of numbers: a clear
    ConfigError, never a csv.Error traceback from a binary file."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ConfigError("the file starts like UTF-16 text but is damaged; save it as a plain-text "
                              "CSV of x,y numbers, one point per line") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"the file is not text (byte {err.start + 1} is not UTF-8; a binary or "
                          "spreadsheet file?); save it as a plain-text CSV of x,y numbers, one point "
                          "per line") from None


def parse_points_csv(data: str | bytes) -> np.ndarray:
    """CSV of x,y rows (an optional header line), as text or as a file's bytes -> (n, 2) float array.

    Errors name the first bad row by its line number, so a student can fix the file."""
    text = decode_csv(data) if isinstance(data, (bytes, bytearray)) else data
    if "\x00" in text:
        raise ConfigError("the file holds NUL bytes, so it is binary, not text; save it as a plain-text "
                          "CSV of x,y numbers, one point per line")
    try:   # newline="": \n, \r\n and old-Mac \r all end a row (else a lone \r is a csv.Error)
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise ConfigError(f"the file is not a readable CSV ({err}); it needs x,y numbers, one point per line") from None
    rows = [(i, r) for i, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not rows:
        raise ConfigError("the CSV file is empty: it needs rows of x,y numbers")
    pts = []
    for n, (line, row) in enumerate(rows):
        cells = [c.strip() for c in row if c.strip() != ""]
        try:
            vals = [float(c) for c in cells]
        except ValueError:
            if n == 0:
                continue  # a header such as "x,y"
            raise ConfigError(f"CSV line {line} {','.join(row)!r} is not two numbers x,y") from None
        if len(vals) != 2:
            raise ConfigError(f"CSV line {line} has {len(vals)} values; each row must be exactly x,y")
        if not all(math.isfinite(v) for v in vals):
            raise ConfigError(f"CSV line {line} holds inf or nan; every x,y must be a finite number")
        if max(abs(v) for v in vals) > 1e4:
            raise ConfigError(f"CSV line {line}: keep coordinates within +-10000 (rescale the data)")
        pts.append(vals)
        if len(pts) > MAX_CSV_ROWS:
            raise ConfigError(f"the CSV file has more than {MAX_CSV_ROWS} rows; use fewer points")
    if len(pts) < 10:
        raise ConfigError(f"the CSV file has {len(pts)} valid x,y rows; a GAN needs at least 10")
    arr = np.asarray(pts, dtype=float)
    if float(arr.std(0).max()) == 0.0:
        raise ConfigError("all CSV points are identical; there is nothing to learn")
    return arr


def kmeans(x: np.ndarray, k: int, seed: int = 0, iters: int = 50) -> np.ndarray:
    """Lloyd's algorithm with k-means++ seeding: (k, 2) centres of the user's points."""
    rng = np.random.default_rng(seed)
    k = min(k, len(np.unique(x, axis=0)))
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d2 = _nearest(x, np.asarray(centres))[1] ** 2
        centres.append(x[rng.choice(len(x), p=d2 / d2.sum())])
    c = np.asarray(centres)
    for _ in range(iters):
        idx = _nearest(x, c)[0]
        new = np.stack([x[idx == j].mean(0) if np.any(idx == j) else c[j] for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return c


@dataclass(frozen=True, eq=False)
class PointsData(Toy2D):
    """The empirical distribution of the user's points (resampled with replacement). Modes are
    k-means clusters; std is the pooled per-axis spread around them."""
    points: np.ndarray = field(default=None, repr=False)

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        idx = torch.randint(len(self.points), (n,), generator=gen)
        return torch.from_numpy(self.points).float()[idx]


def points_data(points: np.ndarray, k: int = 8, seed: int = 0) -> PointsData:
    points = np.asarray(points, dtype=float)
    centres = kmeans(points, k, seed)
    idx, dist = _nearest(points, centres)
    std = max(float(np.sqrt((dist**2).mean() / 2)), 1e-3)
    return PointsData("csv", f"your {len(points)} points, {len(centres)} k-means clusters as modes",
                      centres, std, points)


PRESETS = {
    "ring8": lambda: mixture_data("ring8", "8 Gaussians, ring radius 2, std 0.02 (WGAN-GP toy code)",
                                  ring_centres(8, 2.0), 0.02),
    "grid25": lambda: mixture_data("grid25", "25 Gaussians on 2*{-2..2}^2, std 0.05 (WGAN-GP toy code)",
                                   grid_centres(), 0.05),
    "ring8_pacgan": lambda: mixture_data("ring8_pacgan", "8 Gaussians, ring radius 1, std 0.01 (PacGAN)",
                                         ring_centres(8, 1.0), 0.01),
    "grid25_pacgan": lambda: mixture_data("grid25_pacgan", "25 Gaussians on {-4,-2,0,2,4}^2, std 0.05 (PacGAN)",
                                          grid_centres(), 0.05),
    "spiral": spiral_data,
}
DATA = tuple(PRESETS) + ("csv",)


def make(name: str, points: np.ndarray | None = None, k: int = 8, seed: int = 0) -> Toy2D:
    """A data set by name; "csv" needs the user's points (from `parse_points_csv`)."""
    if name == "csv":
        if points is None:
            raise ConfigError("data=csv needs points: upload a CSV of x,y rows (or give csv_path=FILE)")
        return points_data(points, k, seed)
    if name not in PRESETS:
        raise ConfigError(f"data={name!r} is not one of: {', '.join(DATA)}")
    return PRESETS[name]()


# ---- two moons (the scikit-learn shape): a 2-D set whose 1-D manifold a VAE's decoder must
# bend itself onto, drawn against the data itself ------------------------------------------

def two_moons(n: int, gen: torch.Generator, noise: float = 0.08) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 2) float32 points and (n,) int64 labels (0 upper moon, 1 lower moon), centred and
    scaled to unit-ish spread. Upper: (cos t, sin t); lower: (1 - cos t, 1/2 - sin t), t ~ U[0, pi]."""
    if n < 2:
        raise ConfigError(f"two_moons needs n >= 2, got {n}")
    labels = (torch.rand(n, generator=gen) < 0.5).long()
    t = math.pi * torch.rand(n, generator=gen)
    x = torch.where(labels == 0, torch.cos(t), 1.0 - torch.cos(t))
    y = torch.where(labels == 0, torch.sin(t), 0.5 - torch.sin(t))
    pts = torch.stack([x, y], 1) + noise * torch.randn(n, 2, generator=gen)
    # Centre (0.5, 0.25) and scale so each axis has spread ~1: the same lr suits both data sets.
    pts = (pts - torch.tensor([0.5, 0.25])) / torch.tensor([0.87, 0.5])
    return pts.float(), labels


def load_toy2d(split: str, seed: int = 0, n_train: int = 4000, n_test: int = 1000):
    """A fixed train/test pair: the test set comes from its own seed, never the train stream."""
    if split not in ("train", "test"):
        raise ConfigError(f"split={split!r} is not one of: train, test")
    g = torch.Generator().manual_seed(seed * 2 + (split == "test"))
    return two_moons(n_train if split == "train" else n_test, g)
