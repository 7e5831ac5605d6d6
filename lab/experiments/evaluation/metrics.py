"""The scores of note 004 and after, on features already computed (lab.experiments.evaluation.features):

    IS = exp E_x KL(p(y|x) || p(y)),   p(y) = E_x p(y|x)                 (Salimans et al. 2016)
    FD = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))           (Heusel et al. 2017)

Both are torchmetrics' (InceptionScore, FrechetInceptionDistance), fed the cached features
through a pass-through "feature network". The closed form with scipy.linalg.sqrtm checks FD;
note 004 writes the power as -1/2, which `frechet_closed_form(..., power=-0.5)` evaluates to
show the error (it is not even 0 between a distribution and itself).

Precision and recall of distributions (Kynkäänniemi et al. 2019, eqs. 1-3), which torchmetrics
does not have: a real sample's k-NN ball has the radius of its k-th nearest real neighbour;
precision is the share of generated samples inside some real ball, recall the share of real
samples inside some generated ball (radii from the generated set), k = 3 in the paper.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg
import torch
from torch import nn


class Given(nn.Module):
    """torchmetrics' "feature network" for features computed already: the identity."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def inception_score(logits: torch.Tensor) -> float:
    """IS of one set from its class logits (n, C): torchmetrics' InceptionScore over the whole
    set (splits=1). Its compute() shuffles with the global generator, which is forked here so
    that nobody else's randomness moves."""
    from torchmetrics.image.inception import InceptionScore
    # Its warnings: "will save all extracted features" (intended) and the std of one split (unused).
    with warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
        warnings.simplefilter("ignore", UserWarning)
        metric = InceptionScore(feature=Given(logits.shape[1]), splits=1)
        metric.update(logits.double())
        mean, _ = metric.compute()
    return float(mean)


class Frechet:
    """FD against one real set: its statistics kept (torchmetrics' reset_real_features=False),
    `to(fake)` for each other set (n >= 2 features)."""

    def __init__(self, real: torch.Tensor):
        from torchmetrics.image.fid import FrechetInceptionDistance
        self.metric = FrechetInceptionDistance(feature=Given(real.shape[1]), reset_real_features=False)
        self.metric.update(real.double(), real=True)

    def to(self, fake: torch.Tensor) -> float:
        self.metric.reset()
        self.metric.update(fake.double(), real=False)
        return float(self.metric.compute())


def frechet(a: torch.Tensor, b: torch.Tensor) -> float:
    """FD between two sets of features (n, d), torchmetrics' estimate from the samples."""
    return Frechet(a).to(b)


def frechet_closed_form(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray,
                        power: float = 0.5) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^power) with scipy's matrix square root: power 1/2
    is the Fréchet (2-Wasserstein) distance between the Gaussians (Dowson & Landau 1982);
    -1/2 is what note 004 writes."""
    root = scipy.linalg.sqrtm(cov1 @ cov2)
    if power < 0:
        root = np.linalg.inv(root)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(cov1 + cov2 - 2 * root.real))


def random_gaussian(d: int, gen: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A mean ~ N(0, I) and a covariance A A^T / d + 0.1 I (well conditioned), float64."""
    mu = torch.randn(d, generator=gen, dtype=torch.float64)
    a = torch.randn(d, d, generator=gen, dtype=torch.float64)
    return mu.numpy(), (a @ a.T / d + 0.1 * torch.eye(d, dtype=torch.float64)).numpy()


def samples(mu: np.ndarray, cov: np.ndarray, n: int, gen: torch.Generator, exact: bool = False) -> torch.Tensor:
    """n samples of N(mu, cov), float64 (n, d). `exact`: whitened by their own mean and unbiased
    covariance, then coloured, so the sample moments equal mu and cov to rounding: FD computed
    from them must equal the closed form."""
    z = torch.randn(n, len(mu), generator=gen, dtype=torch.float64)
    if exact:
        z = z - z.mean(0)
        z = torch.linalg.solve_triangular(torch.linalg.cholesky(z.T @ z / (n - 1)), z.T, upper=False).T
    chol = torch.linalg.cholesky(torch.from_numpy(cov))
    return z @ chol.T + torch.from_numpy(mu)


def knn_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row of x (n, d) to its k-th nearest other row."""
    d = torch.cdist(x, x)
    return d.kthvalue(k + 1, dim=1).values          # the 1st smallest is the row itself (0)


def coverage(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """(n,) bool: whether each point lies in some ball (centre, radius)."""
    return (torch.cdist(points, centres) <= radii.unsqueeze(0)).any(1)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3,
                     real_radii: torch.Tensor | None = None) -> tuple[float, float]:
    """Kynkäänniemi et al. 2019: (share of fake in the real k-NN balls, share of real in the fake ones);
    NaN for a set of k points or fewer (no k-th neighbour). `real_radii`: knn_radii(real, k), when
    several sets are measured against one real set."""
    if min(len(real), len(fake)) <= k:
        return math.nan, math.nan
    real, fake = real.double(), fake.double()
    radii = knn_radii(real, k) if real_radii is None else real_radii.double()
    precision = coverage(fake, real, radii).double().mean()
    recall = coverage(real, fake, knn_radii(fake, k)).double().mean()
    return float(precision), float(recall)


def nearest(query: torch.Tensor, bank: torch.Tensor, chunk: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of query (n, d): (index of the nearest row of bank, its Euclidean distance)."""
    idx, dist = [], []
    for q in query.split(chunk):
        d = torch.cdist(q.float(), bank.float())
        best = d.min(1)
        idx.append(best.indices)
        dist.append(best.values)
    return torch.cat(idx), torch.cat(dist)
