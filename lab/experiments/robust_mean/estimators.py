"""Location estimators, all on one footing: a registry name -> fn(X (n, p), **options) -> (p,).

Each entry also carries what the notes' comparison table says of it (note 002, "Comparisons";
Chen, Gao, Ren 2018 for the rates; squared-error rates up to constants), so the page can put the
theory beside the numbers measured on the current data.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from lab.config import ConfigError

TUKEY_MAX_P = 10   # the notes: the R package cannot do more than 10 dimensions; random
                   # directions cover a sphere ever more thinly as p grows (NP-hard in general)


def sample_mean(X: np.ndarray) -> np.ndarray:
    """argmin_theta sum ||X_i - theta||^2: the MLE, breakdown point 0 (note 002)."""
    return X.mean(axis=0)


def cw_median(X: np.ndarray) -> np.ndarray:
    """theta_j = Median({X_ij}_i) for each coordinate j."""
    return np.median(X, axis=0)


def geo_median(X: np.ndarray, tol: float = 1e-9, max_iter: int = 2000) -> np.ndarray:
    """argmin_y sum_i ||X_i - y||_2 by Weiszfeld's iteration y <- sum w_i X_i / sum w_i with
    w_i = 1 / ||X_i - y||, from the coordinatewise median; a data point hit exactly gets a
    large finite weight instead of 1/0."""
    y = np.median(X, axis=0)
    for _ in range(max_iter):
        w = 1.0 / np.maximum(np.linalg.norm(X - y, axis=1), 1e-12)
        y_new = w @ X / w.sum()
        done = np.linalg.norm(y_new - y) <= tol * (1.0 + np.linalg.norm(y))
        y = y_new
        if done:
            break
    return y


def trimmed_mean(X: np.ndarray, trim: float = 0.2) -> np.ndarray:
    """Per coordinate: drop the lowest and highest `trim` share, average the rest (scipy)."""
    if not 0.0 <= trim < 0.5:
        raise ConfigError(f"trim={trim} is out of range: it must lie in [0, 0.5)")
    return stats.trim_mean(X, trim, axis=0)


def _directions(p: int, n_dirs: int, rng: np.random.Generator) -> np.ndarray:
    """(M, p) unit vectors. In 2-D evenly spaced angles over a half circle (u and -u give the
    same two half-spaces), so the depth is fine-grained; above, the axes plus random ones."""
    if p == 2:
        a = np.linspace(0.0, np.pi, n_dirs, endpoint=False)
        return np.stack([np.cos(a), np.sin(a)], 1)
    u = rng.standard_normal((max(n_dirs - p, 0), p))
    return np.vstack([np.eye(p), u / np.linalg.norm(u, axis=1, keepdims=True)])


def _deepest_centre(U: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, float]:
    """Chebyshev centre of {eta: lo_j <= u_j . eta <= hi_j}: max r with lo + r <= U eta <= hi - r.
    r < 0 means the region is empty. (||u_j|| = 1, so r is a ball's radius.)"""
    m, p = U.shape
    A = np.block([[U, np.ones((m, 1))], [-U, np.ones((m, 1))]])
    b = np.concatenate([hi, -lo])
    c = np.zeros(p + 1)
    c[-1] = -1.0
    res = optimize.linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] * (p + 1), method="highs")
    if res.status != 0:
        raise RuntimeError(f"Tukey median: the linear program failed ({res.message})")
    return res.x[:p], float(res.x[-1])


def tukey_median(X: np.ndarray, n_dirs: int | None = None, seed: int = 0, max_p: int = TUKEY_MAX_P,
                 levels: int = 400) -> np.ndarray:
    """argmax_eta min_{||u||=1} (1/n) #{i: u.X_i >= u.eta} (note 002), with the min over M
    directions only. Depth >= k/n exactly when q_j(k) <= u_j.eta <= q_j'(k) for every direction,
    with q_j(k), q_j'(k) the k-th smallest and largest projections: a polytope. So bisect on k
    (over a grid of `levels` values) for the deepest non-empty polytope, by linear programming,
    and return its Chebyshev centre. Fewer directions can only overstate depth."""
    n, p = X.shape
    if p > max_p:
        raise ConfigError(f"tukey: the Tukey median is NP-hard in general and this approximation "
                          f"only goes up to p={max_p}; you have p={p}. Drop tukey or lower p.")
    if p == 1:
        return np.median(X, axis=0)
    rng = np.random.default_rng(seed)
    U = _directions(p, n_dirs or (720 if p == 2 else 150 * p), rng)
    ks = np.unique(np.linspace(1, n // 2, min(levels, n // 2)).astype(int))     # candidate depths
    lo, hi = np.empty((len(ks), len(U))), np.empty((len(ks), len(U)))
    for start in range(0, len(U), 200):                  # (n, 200) projections at a time
        proj = np.sort((X @ U[start:start + 200].T).astype(np.float32), axis=0)
        lo[:, start:start + 200], hi[:, start:start + 200] = proj[ks - 1], proj[n - ks]
    best, good, bad = None, 0, len(ks)                   # invariant: ks[good] feasible, ks[bad] not
    centre, r = _deepest_centre(U, lo[0], hi[0])
    best = centre if r >= 0 else np.median(X, axis=0)
    while bad - good > 1:
        mid = (good + bad) // 2
        centre, r = _deepest_centre(U, lo[mid], hi[mid])
        if r >= 0:
            good, best = mid, centre
        else:
            bad = mid
    return best


@dataclass(frozen=True)
class Estimator:
    name: str
    label: str
    fn: Callable[..., np.ndarray]
    breakdown: str              # the notes' table and its sources
    rate_clean: str             # E||theta_hat - theta||^2 without contamination, up to constants
    rate_contaminated: str      # ... under Huber contamination of proportion eps
    complexity: str
    max_p: int | None = None
    is_gan: bool = False


def _gan(kind: str) -> Callable[..., np.ndarray]:
    def fit(X, **kw):
        from lab.experiments.robust_mean import gan_estimator    # torch only when a GAN is asked for
        return getattr(gan_estimator, kind)(X, **kw)
    return fit


ESTIMATORS: dict[str, Estimator] = {e.name: e for e in [
    Estimator("mean", "sample mean", sample_mean, "0", "p/n", "unbounded (eps^2 ||E_Q X - theta||^2)",
              "O(np)"),
    Estimator("cw_median", "coordinatewise median", cw_median, "1/2", "p/n", "p/n + p eps^2", "O(np)"),
    Estimator("geo_median", "geometric median (Weiszfeld)", geo_median, "1/2", "p/n", "p/n + p eps^2",
              "O(np) per iteration"),
    Estimator("trimmed_mean", "trimmed mean (per coordinate)", trimmed_mean, "the trimmed share",
              "p/n", "p/n + p eps^2", "O(np log n)"),
    Estimator("tukey", "Tukey median (approx.)", tukey_median, "1/3", "p/n", "p/n + eps^2 (minimax)",
              "NP-hard; here LPs over M directions", max_p=TUKEY_MAX_P),
    Estimator("js_gan", "JS-GAN", _gan("js_gan"), "a constant", "p/n",
              "p/n + eps^2 (sigmoid features)", "SGD: O(p h) per sample and step", is_gan=True),
    Estimator("tv_gan", "TV-GAN", _gan("tv_gan"), "a constant", "p/n",
              "p/n + eps^2", "SGD: O(p h) per sample and step", is_gan=True),
    Estimator("js_linear", "JS-GAN, no hidden layer", _gan("js_linear"), "0 (it matches means)",
              "p/n", "unbounded, like the mean", "SGD: O(p) per sample and step", is_gan=True),
]}


def applicable(p: int, names=None) -> list[str]:
    """The estimators (all, or those named) that can run at dimension p."""
    names = list(ESTIMATORS) if names is None else list(names)
    return [k for k in names if ESTIMATORS[k].max_p is None or p <= ESTIMATORS[k].max_p]


def choose(names, p: int) -> tuple[str, list[str]]:
    """A page's ticked estimators at dimension p -> (the `estimators` key: "all" when they are
    every one that applies, else a comma list; the names left out because p is too high)."""
    usable = applicable(p, names)
    value = "all" if set(usable) == set(applicable(p)) else ",".join(usable or ["mean"])
    return value, [k for k in names if k not in usable]


def parse_names(text: str, p: int) -> list[str]:
    """'mean,js_gan' -> names, checked; 'all' or '' -> every estimator that applies at p."""
    if text.strip() in ("", "all"):
        return applicable(p)
    names = [t.strip() for t in text.split(",") if t.strip()]
    for k in names:
        if k not in ESTIMATORS:
            raise ConfigError(f"estimators: {k!r} is not one of: {', '.join(ESTIMATORS)}")
        if ESTIMATORS[k].max_p is not None and p > ESTIMATORS[k].max_p:
            raise ConfigError(f"estimators: {k} only goes up to p={ESTIMATORS[k].max_p} "
                              f"(NP-hard in general); you have p={p}. Drop it or lower p.")
    return list(dict.fromkeys(names))


def estimate(name: str, X: np.ndarray, **options) -> np.ndarray:
    if name not in ESTIMATORS:
        raise ConfigError(f"estimator {name!r} is not one of: {', '.join(ESTIMATORS)}")
    return np.asarray(ESTIMATORS[name].fn(np.asarray(X, dtype=np.float64), **options), dtype=np.float64)
