"""GANs as robust estimators of a location (Gao, Liu, Yao, Zhu, ICLR 2019; note 002).

    theta_hat = argmin_eta max_T  (1/n) sum_i log T(X_i) + E_{N(eta, I_p)} log(1 - T(X))   (JS-GAN)

The generator is N(eta, I_p), i.e. G(z) = z + eta: its only parameter is the location eta,
started at the coordinatewise median. The discriminator T = sigmoid(logit) has hidden layers,
the first with sigmoid or leaky-ReLU features. The optimiser, its rates and the D steps come
from lab.gan.recipes (`js_gan`, `tv_gan`: the authors' public demo zhuwzh/Robust-GAN-Center,
plain SGD, lr 0.2 (D) / 0.02 (G), 5 D steps per G step); what is this trainer's own: batch 500,
Xavier-normal weights with zero biases, eta averaged over the last 25 of 150 epochs, and the
update of eta by plain SGD. The losses are lab.gan.objectives' "ns" (JS with the
non-saturating G) and "tv" (the TV variational form: D maximises E_data T - E_eta T, G
minimises -E_eta T); D is updated by lab.gan.step.d_step, eta by lab.gan.step.g_loss.

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

from lab.config import ConfigError, check_choice
from lab.device import build_seeded, generator
from lab.gan import lipschitz, objectives, recipes
from lab.gan.step import d_step, g_loss

FIRST_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid,
}


@dataclass(frozen=True)
class GanSetup:
    """A recipe name (lab.gan.recipes) with explicit overrides (None = the recipe's value), and
    what the recipe does not say: D's shape and the data schedule."""
    recipe: str = "js_gan"
    hidden: tuple[int, ...] = (20,)   # () = no hidden layer: logistic regression, not robust
    activation: str = "leaky_relu"    # first hidden layer's features; later layers leaky ReLU
    lr_d: float | None = None
    lr_g: float | None = None
    d_steps: int | None = None
    batch: int = 500
    epochs: int = 150
    avg_epochs: int = 25              # eta averaged over the last this many epochs (all if there are fewer)

    def __post_init__(self):
        check_choice("activation", self.activation, FIRST_ACTIVATIONS)
        if any(h < 1 for h in self.hidden):
            raise ConfigError(f"hidden={self.hidden}: every hidden layer needs at least 1 unit")
        if self.avg_epochs < 0:
            raise ConfigError(f"avg_epochs={self.avg_epochs} is out of range: it must be at least 0")
        self.resolved()

    def resolved(self) -> recipes.Recipe:
        return recipes.resolve(self)

    def per_epoch(self, n: int) -> int:
        """D steps per pass over n points (the last partial batch is dropped)."""
        return max(1, n // min(self.batch, n))

    def total(self, n: int) -> int:
        """Generator steps in `epochs` passes over n points."""
        return math.ceil(self.epochs * self.per_epoch(n) / self.resolved().d_steps)


class FastSGD:
    """Plain SGD, p <- p - lr * grad, as one foreach kernel over the net's tensors.

    torch.optim.SGD does the same update, but its per-call bookkeeping (hooks, grad-mode
    switches, group dispatch) weighs on a 20-unit D: one generator step (5 D steps, batch 500,
    p = 100, one thread) took 2.6 ms with this and 3.2 ms with torch.optim.SGD(foreach=True)
    (0.87 vs 1.12 ms at p = 2). It has what lab.gan.step.d_step and recipes.set_lr use:
    zero_grad, step, param_groups."""

    def __init__(self, params, lr: float):
        self.params = [p for p in params]
        self.param_groups = [{"params": self.params, "lr": float(lr)}]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        torch._foreach_add_(self.params, [p.grad for p in self.params], alpha=-self.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        return {"lr": self.param_groups[0]["lr"]}

    def load_state_dict(self, state: dict) -> None:
        self.param_groups[0]["lr"] = float(state["lr"])


def make_optimizer(kind: str, params, lr: float, betas: tuple[float, float]):
    """The recipe's optimiser: SGD as FastSGD (the recipes here are all SGD), any other kind
    as lab.gan.recipes makes it."""
    return FastSGD(params, lr) if kind == "sgd" else recipes.make_optimizer(kind, params, lr, betas)


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

    def __init__(self, X: torch.Tensor, setup: GanSetup = GanSetup(), seed: int = 0):
        self.X, self.setup = X.float(), setup
        self.r = setup.resolved()
        self.objective = objectives.get(self.r.objective)
        self.constraint = lipschitz.make_constraint(self.r.constraint, self.r.clip, self.r.gp_lambda)
        self.n, self.p = X.shape
        self.batch = min(setup.batch, self.n)
        self.per_epoch = setup.per_epoch(self.n)
        self.total = setup.total(self.n)
        self.gen = generator(seed)
        self.net = build_seeded(seed, lambda: discriminator(self.p, setup.hidden, setup.activation))
        self.opt_d = make_optimizer(self.r.optimizer, self.net.parameters(), self.r.lr_d, (self.r.beta1, self.r.beta2))
        self.lr_g = self.r.lr_g
        # Start at the coordinatewise median (np.median: the mean of the two middle values for
        # even n, the same point as the cw_median estimator; torch.median takes the lower one).
        self.eta = nn.Parameter(torch.from_numpy(np.median(self.X.numpy(), axis=0)).float())
        self.start = self.eta.detach().clone()
        self.step_count, self.d_count = 0, 0
        self.perm = torch.arange(self.n)
        self._shuffled = self.X
        self.avg_sum, self.avg_k = torch.zeros(self.p), 0
        self.last_d_loss = float("nan")

    def logit(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)

    def set_lr(self, lr_d: float | None, lr_g: float | None) -> None:
        """New learning rates (None = the recipe's), taken at the next step."""
        recipes.set_lr(self.opt_d, self.r.lr_d if lr_d is None else lr_d)
        self.lr_g = self.r.lr_g if lr_g is None else lr_g

    def _next_batch(self) -> torch.Tensor:
        i = self.d_count % self.per_epoch
        if i == 0:
            # One shuffled copy per epoch, then contiguous slices: cheaper than a gather per batch.
            self.perm = torch.randperm(self.n, generator=self.gen)
            self._shuffled = self.X[self.perm]
        self.d_count += 1
        return self._shuffled[i * self.batch:(i + 1) * self.batch]

    def _fake(self) -> torch.Tensor:
        return torch.randn(self.batch, self.p, generator=self.gen) + self.eta    # G(z) = z + eta, (batch, p)

    def step(self, k: int = 1) -> None:
        for _ in range(k):
            epoch_before = self.d_count // self.per_epoch
            for _ in range(self.r.d_steps):
                # update D: maximise log T(x) + log(1 - T(G(z))) (JS) or T(x) - T(G(z)) (TV)
                real = self._next_batch()
                with torch.no_grad():
                    fake = self._fake()
                out = d_step(self.logit, self.net, self.objective, self.constraint, self.opt_d, real, fake, self.gen)
            self.last_d_loss = out.loss.item()
            # update G (eta only, plain SGD): -log T(G(z)) (JS, non-saturating) or -T(G(z)) (TV).
            # autograd.grad asks for eta's gradient alone: D's parameters get none to clear.
            (grad_eta,) = torch.autograd.grad(g_loss(self.logit, self.objective, self._fake()), [self.eta])
            with torch.no_grad():
                self.eta.sub_(self.lr_g * grad_eta)
            self.step_count += 1
            # The authors average eta as recorded at the end of each of the last avg_epochs epochs.
            epoch_now = self.d_count // self.per_epoch
            if epoch_now > epoch_before and epoch_now > self.setup.epochs - self.setup.avg_epochs:
                self.avg_sum += self.eta.detach()
                self.avg_k += 1

    @property
    def done(self) -> bool:
        return self.step_count >= self.total

    def estimate(self) -> np.ndarray:
        """The averaged eta once averaging has begun, else the current eta; (p,) float64."""
        est = self.avg_sum / self.avg_k if self.avg_k else self.eta.detach()
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

    # ---- state, for lab.run's state_bytes (plain tensors and numbers) ----------------------------
    def state(self) -> dict:
        return {"net": self.net.state_dict(), "eta": self.eta.detach().clone(), "gen": self.gen.get_state(),
                "perm": self.perm.clone(), "avg_sum": self.avg_sum.clone(), "avg_k": self.avg_k,
                "step_count": self.step_count, "d_count": self.d_count, "opt_d": self.opt_d.state_dict(),
                "lr_g": self.lr_g, "last_d_loss": self.last_d_loss}

    def load_state(self, s: dict) -> None:
        self.net.load_state_dict(s["net"])
        with torch.no_grad():
            self.eta.copy_(s["eta"])
        self.gen.set_state(s["gen"])
        self.perm, self._shuffled = s["perm"].clone(), self.X[s["perm"]]
        self.avg_sum, self.avg_k = s["avg_sum"].clone(), int(s["avg_k"])
        self.step_count, self.d_count = int(s["step_count"]), int(s["d_count"])
        self.opt_d.load_state_dict(s["opt_d"])
        self.lr_g, self.last_d_loss = float(s["lr_g"]), float(s["last_d_loss"])


def outlier_auc(est: GanEstimator, X: torch.Tensor, is_outlier: torch.Tensor) -> float:
    """Probability that D scores a random outlier above a random inlier (the Mann-Whitney AUC):
    1 means T ranks every outlier as 'more data-like than the generator' than every inlier,
    i.e. the discriminator has found the outliers (note 002, 'D identifies outliers')."""
    from scipy.stats import rankdata
    if is_outlier.all() or not is_outlier.any():
        return float("nan")
    with torch.no_grad():
        s = est.logit(X.float()).double().numpy()
    ranks = rankdata(s)
    m = is_outlier.numpy()
    n1, n0 = m.sum(), (~m).sum()
    return float((ranks[m].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def fit(X: np.ndarray | torch.Tensor, setup: GanSetup = GanSetup(), seed: int = 0) -> np.ndarray:
    """Train to the end of the set-up and return the averaged eta."""
    return GanEstimator(torch.as_tensor(np.asarray(X), dtype=torch.float32), setup, seed).run()


def js_gan(X, seed: int = 0, **kw) -> np.ndarray:
    return fit(X, GanSetup(recipe="js_gan", **kw), seed)


def tv_gan(X, seed: int = 0, **kw) -> np.ndarray:
    return fit(X, GanSetup(recipe="tv_gan", **kw), seed)


def js_linear(X, seed: int = 0, **kw) -> np.ndarray:
    return fit(X, GanSetup(recipe="js_gan", hidden=(), **kw), seed)
