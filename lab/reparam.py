"""The reparameterisation trick on note 000's Problem 6: minimise E_{x ~ N(theta, 1)}[x^2].

The exact objective is theta^2 + 1 and its gradient 2 theta. Two unbiased estimators from
n samples:

  pathwise (reparameterised): x = theta + eps, eps ~ N(0,1);  g = (1/n) sum 2 x_i
      per-sample variance Var(2x) = 4
  score function (REINFORCE):  g = (1/n) sum x_i^2 d/dtheta log q(x_i) = (1/n) sum x_i^2 (x_i - theta)
      per-sample variance E[x^4 eps^2] - 4 theta^2 = theta^4 + 14 theta^2 + 15
      (expand x = theta + eps and use E eps^2 = 1, E eps^4 = 3, E eps^6 = 15)

So at theta = 3 the score function needs (81 + 126 + 15) / 4 ~ 55 times the samples for the
same accuracy. A baseline b (use x^2 - b) keeps it unbiased and can cut its variance.
Both are computed with autograd, as a training loop would: the pathwise one differentiates
through the sample; the score-function one differentiates log q with the sample held fixed.
"""
from __future__ import annotations

import numpy as np
import torch

ESTIMATORS = ("pathwise", "score")


def exact_gradient(theta: float) -> float:
    return 2.0 * theta


def per_sample_variance(estimator: str, theta: float, baseline: float = 0.0) -> float:
    """Closed-form variance of one sample's gradient term."""
    if estimator == "pathwise":
        return 4.0
    # E[(x^2 - b)^2 eps^2] - (2 theta)^2 with x = theta + eps:
    # E[x^4 eps^2] = theta^4 + 18 theta^2 + 15, E[x^2 eps^2] = theta^2 + 3, E[eps^2] = 1
    t2 = theta * theta
    return t2 * t2 + 18 * t2 + 15 - 2 * baseline * (t2 + 3) + baseline * baseline - 4 * t2


def gradient_samples(estimator: str, theta: float, n: int, gen: torch.Generator,
                     baseline: float = 0.0) -> torch.Tensor:
    """(n,) per-sample gradient terms, by autograd; their mean is the n-sample estimate.
    Each sample gets its own copy of theta, so one backward pass yields all n terms."""
    th = torch.full((n,), float(theta), dtype=torch.float64, requires_grad=True)
    eps = torch.randn(n, generator=gen, dtype=torch.float64)
    if estimator == "pathwise":
        x = th + eps                                   # the sample moves with theta
        surrogate = x ** 2
    elif estimator == "score":
        x = (th + eps).detach()                        # the sample is a fixed number
        log_q = -0.5 * (x - th) ** 2                   # log N(x; theta, 1) + const
        surrogate = (x ** 2 - baseline) * log_q
    else:
        raise ValueError(f"estimator={estimator!r} is not one of: {', '.join(ESTIMATORS)}")
    (grad,) = torch.autograd.grad(surrogate.sum(), th)
    return grad.detach()


def sweep(theta: float, batch_sizes: list[int], repeats: int, seed: int,
          baseline: float = 0.0) -> dict:
    """For each estimator and batch size n: `repeats` independent n-sample estimates, their
    mean and variance, and the theory line per_sample_variance / n."""
    out = {"theta": theta, "exact": exact_gradient(theta), "batch_sizes": list(batch_sizes),
           "baseline": baseline}
    for est in ESTIMATORS:
        gen = torch.Generator().manual_seed(seed + (est == "score"))
        estimates = np.stack([gradient_samples(est, theta, n * repeats, gen, baseline)
                              .view(repeats, n).mean(1).numpy() for n in batch_sizes])   # (B, repeats)
        out[est] = {"estimates": estimates, "mean": estimates.mean(1), "var": estimates.var(1, ddof=1),
                    "var_theory": np.array([per_sample_variance(est, theta, baseline) / n
                                            for n in batch_sizes])}
    return out


def sgd_paths(theta0: float, lr: float, steps: int, batch: int, seed: int, baseline: float = 0.0) -> dict:
    """theta_t under SGD with each estimator from theta0 (and the exact gradient): the
    pathwise path hugs the exact one; the score-function path jitters, and at large theta
    its noise (variance ~ theta^4) can throw it away."""
    paths = {"exact": [theta0]}
    th = theta0
    for _ in range(steps):
        th -= lr * exact_gradient(th)
        paths["exact"].append(th)
    for est in ESTIMATORS:
        gen = torch.Generator().manual_seed(seed + 7 * (est == "score"))
        th, path = theta0, [theta0]
        for _ in range(steps):
            th -= lr * float(gradient_samples(est, th, batch, gen, baseline).mean())
            if not np.isfinite(th) or abs(th) > 1e6:
                th = float("nan")
            path.append(th)
        paths[est] = path
    return {k: np.array(v) for k, v in paths.items()}
