"""GANs as robust estimators of a location (Gao, Liu, Yao, Zhu, ICLR 2019; note 002).

    theta_hat = argmin_eta max_T  (1/n) sum_i log T(X_i) + E_{N(eta, I_p)} log(1 - T(X))   (JS-GAN)

The generator is N(eta, I_p), i.e. G(z) = z + eta: its only parameter is the location eta,
started at the coordinatewise median. The discriminator T = sigmoid(logit) has hidden layers,
the first with sigmoid or leaky-ReLU features. Recipe of the authors' public demo
(zhuwzh/Robust-GAN-Center): plain SGD, lr 0.2 (D) / 0.02 (G), 5 D steps per G step, batch 500,
Xavier-normal weights with zero biases, JS loss with the non-saturating G, eta averaged over the
last 25 of 150 epochs. TV-GAN swaps log for the identity on T's output (the TV variational form):
D maximises E_data T - E_eta T, G minimises -E_eta T.

With NO hidden layer, T(x) = sigmoid(w.x + b): JS_g = 0 iff the means agree (the notes'
proposition), so the fixed point is eta = E X = (1 - eps) theta + eps E_Q X: not robust.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lab.config import ConfigError, check_choice, check_range
from lab.device import build_seeded, generator
from lab.gan.objectives import d_bce, g_nonsaturating

FIRST_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid,
}


def d_tv(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """TV variational form with T = sigmoid(logit) in (0, 1): D maximises E_p T - E_q T."""
    return torch.sigmoid(fake).mean() - torch.sigmoid(real).mean()


def g_tv(fake: torch.Tensor) -> torch.Tensor:
    return -torch.sigmoid(fake)


LOSSES = {"js": (d_bce, g_nonsaturating), "tv": (d_tv, g_tv)}


@dataclass(frozen=True)
class GanRecipe:
    loss: str = "js"                  # js | tv
    hidden: tuple[int, ...] = (20,)   # () = no hidden layer: logistic regression, not robust
    activation: str = "leaky_relu"    # first hidden layer's features; later layers leaky ReLU
    lr_d: float = 0.2
    lr_g: float = 0.02
    d_steps: int = 5
    batch: int = 500
    epochs: int = 150
    avg_epochs: int = 25

    def __post_init__(self):
        check_choice("loss", self.loss, LOSSES)
        check_choice("activation", self.activation, FIRST_ACTIVATIONS)
        check_range("lr_d", self.lr_d, 1e-6, 10.0)
        check_range("lr_g", self.lr_g, 1e-6, 10.0)
        check_range("d_steps", self.d_steps, 1, 100)
        check_range("batch", self.batch, 2, 100_000)
        check_range("epochs", self.epochs, 1, 100_000)
        check_range("avg_epochs", self.avg_epochs, 0, self.epochs)
        if any(h < 1 for h in self.hidden):
            raise ConfigError(f"hidden={self.hidden}: every hidden layer needs at least 1 unit")


def discriminator(p: int, hidden: tuple[int, ...], activation: str) -> nn.Sequential:
    """p -> hidden... -> 1 logit. Unlike lab.nets.mlp the first activation differs from the rest
    (sigmoid features are the ones the theorem covers) and the init is the authors' Xavier."""
    sizes, mods = (p, *hidden), []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        mods += [nn.Linear(a, b), FIRST_ACTIVATIONS[activation]() if i == 0 else nn.LeakyReLU(0.2)]
    mods.append(nn.Linear(sizes[-1], 1))
    net = nn.Sequential(*mods)
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.xavier_normal_(m.weight)
            nn.init.zeros_(m.bias)
    return net


class GanEstimator:
    """A steppable GAN location estimator. One `step` = d_steps discriminator updates on the
    next minibatches of X (reshuffled every epoch) and one generator update of eta."""

    def __init__(self, X: torch.Tensor, recipe: GanRecipe = GanRecipe(), seed: int = 0):
        self.X, self.r = X.float(), recipe
        self.n, self.p = X.shape
        self.batch = min(recipe.batch, self.n)
        self.per_epoch = max(1, self.n // self.batch)      # drop the last partial batch
        self.total = math.ceil(recipe.epochs * self.per_epoch / recipe.d_steps)
        self.gen = generator(seed)
        self.net = build_seeded(seed, lambda: discriminator(self.p, recipe.hidden, recipe.activation))
        # Start at the coordinatewise median (np.median: the mean of the two middle values for
        # even n, the same point as the cw_median estimator; torch.median takes the lower one).
        self.eta = nn.Parameter(torch.from_numpy(np.median(self.X.numpy(), axis=0)).float())
        self.start = self.eta.detach().clone()
        self.d_loss, self.g_loss = LOSSES[recipe.loss]
        self.step_count, self.d_count = 0, 0
        self._shuffled = self.X
        self._avg_sum, self._avg_k = torch.zeros(self.p), 0
        self.last_d_loss = float("nan")

    def logit(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)

    def _next_batch(self) -> torch.Tensor:
        i = self.d_count % self.per_epoch
        if i == 0:
            # One shuffled copy per epoch, then contiguous slices: cheaper than a gather per batch.
            self._shuffled = self.X[torch.randperm(self.n, generator=self.gen)]
        self.d_count += 1
        return self._shuffled[i * self.batch:(i + 1) * self.batch]

    def _fake(self) -> torch.Tensor:
        return torch.randn(self.batch, self.p, generator=self.gen) + self.eta    # G(z) = z + eta

    def step(self, k: int = 1) -> None:
        # Plain SGD written out (p <- p - lr * grad) with autograd.grad: the same update as
        # torch.optim.SGD without momentum, at a fraction of the per-step overhead, which is
        # what dominates a 20-unit discriminator (benchmarks/bench_robust.py).
        params = list(self.net.parameters())
        for _ in range(k):
            epoch_before = self.d_count // self.per_epoch
            for _ in range(self.r.d_steps):
                # update D: maximise log T(x) + log(1 - T(G(z))) (JS) or T(x) - T(G(z)) (TV)
                real, fake = self._next_batch(), self._fake().detach()
                out = self.logit(torch.cat([real, fake]))                   # (2 batch,)
                loss = self.d_loss(out[:len(real)], out[len(real):])
                grads = torch.autograd.grad(loss, params)
                with torch.no_grad():
                    torch._foreach_add_(params, grads, alpha=-self.r.lr_d)
            self.last_d_loss = loss.item()
            # update G (eta only): non-saturating -log T(G(z)) (JS) or -T(G(z)) (TV)
            g = self.g_loss(self.logit(self._fake())).mean()
            (grad_eta,) = torch.autograd.grad(g, [self.eta])
            with torch.no_grad():
                self.eta.sub_(self.r.lr_g * grad_eta)
            self.step_count += 1
            # The authors average eta as recorded at the end of each of the last avg_epochs epochs.
            epoch_now = self.d_count // self.per_epoch
            if epoch_now > epoch_before and epoch_now > self.r.epochs - self.r.avg_epochs:
                self._avg_sum += self.eta.detach()
                self._avg_k += 1

    @property
    def done(self) -> bool:
        return self.step_count >= self.total

    def estimate(self) -> np.ndarray:
        """The averaged eta once averaging has begun, else the current eta; (p,) float64."""
        est = self._avg_sum / self._avg_k if self._avg_k else self.eta.detach()
        return est.double().numpy()

    def current(self) -> np.ndarray:
        return self.eta.detach().double().numpy()

    @torch.no_grad()
    def prob(self, x: torch.Tensor) -> torch.Tensor:
        """T(x) = D's probability that x is a data sample, not a generated one."""
        return torch.sigmoid(self.logit(x.float()))

    def run(self) -> np.ndarray:
        self.step(max(0, self.total - self.step_count))
        return self.estimate()


def outlier_auc(est: GanEstimator, X: torch.Tensor, is_outlier: torch.Tensor) -> float:
    """Probability that D scores a random outlier above a random inlier (the Mann-Whitney AUC):
    1 means T ranks every outlier as 'more data-like than the generator' than every inlier,
    i.e. the discriminator has found the outliers (note 002, 'D identifies outliers')."""
    from scipy.stats import rankdata
    if is_outlier.all() or not is_outlier.any():
        return float("nan")
    s = est.logit(X.float()).detach().double().numpy()
    ranks = rankdata(s)
    m = is_outlier.numpy()
    n1, n0 = m.sum(), (~m).sum()
    return float((ranks[m].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def fit(X: np.ndarray | torch.Tensor, recipe: GanRecipe = GanRecipe(), seed: int = 0) -> np.ndarray:
    """Train to the end of the recipe and return the averaged eta."""
    return GanEstimator(torch.as_tensor(np.asarray(X), dtype=torch.float32), recipe, seed).run()


def js_gan(X, seed: int = 0, **kw) -> np.ndarray:
    return fit(X, GanRecipe(loss="js", **kw), seed)


def tv_gan(X, seed: int = 0, **kw) -> np.ndarray:
    return fit(X, GanRecipe(loss="tv", **kw), seed)


def js_linear(X, seed: int = 0, **kw) -> np.ndarray:
    return fit(X, GanRecipe(loss="js", hidden=(), **kw), seed)
