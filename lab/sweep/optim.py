"""Adam, RMSProp and SGD over stacked parameters (leading member dimension) with per-member
hyperparameters: one update per parameter tensor for every member at once.

The arithmetic follows torch's own optimisers step by step (fused Adam's CPU kernel: scalars in
float64, cast to float32; m = b1 m + (1 - b1) g; v = b2 v + ((1 - b2) g) g; p -= (lr / bc1) m /
(sqrt(v) / sqrt(bc2) + eps); RMSProp and SGD as their single-tensor code), so a member matches
the single-run trainer's torch optimiser to float32 rounding. A hyperparameter is an (M,)
float64 tensor on the parameters' device; per step it becomes (M, 1, 1) float32 factors.
"""
from __future__ import annotations

import torch

from lab.config import ConfigError

Tensor = torch.Tensor
EPS = 1e-8                 # torch's default for Adam and RMSProp
RMSPROP_ALPHA = 0.99       # torch's default (WGAN's RMSProp)


def _col(x: Tensor) -> Tensor:
    """(M,) float64 -> (M, 1, 1) float32, to broadcast over stacked parameters."""
    return x.float()[:, None, None]


def _root(v: Tensor) -> Tensor:
    """sqrt for the unrolled step: d sqrt(v)/dv is inf at v = 0 (a dead unit), which would turn
    G's gradient into NaN; below 1e-30 the value is frozen (as the single run's unrolled D)."""
    return v.clamp_min(1e-30).sqrt()


class Batched:
    """Base: the parameters, per-member rates, and the step count (one for all members).
    `unrolled(params, grads, state, i)` is the i-th of K differentiable steps from the current
    state, as lab.experiments.mode_collapse.trainer.GAN2D.unrolled_params takes them (Metz et
    al. 2017, eq. 12): the arithmetic is that method's, per member."""
    state_names: tuple[str, ...] = ()

    def unrolled_state(self) -> dict:
        """The moments an unrolled copy starts from (clones: the unroll never writes the real ones)."""
        return {name: [s.clone() for s in getattr(self, name)] for name in self.state_names}

    def __init__(self, params: list[Tensor], lr: Tensor):
        self.params, self.lr, self.t = list(params), lr, 0
        for name in self.state_names:
            setattr(self, name, [torch.zeros_like(p) for p in self.params])

    def step(self, grads: list[Tensor]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"t": self.t, **{name: [s.detach().cpu() for s in getattr(self, name)] for name in self.state_names}}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        for name in self.state_names:
            for mine, saved in zip(getattr(self, name), state[name]):
                mine.copy_(saved)


class Adam(Batched):
    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: Tensor, beta1: Tensor, beta2: Tensor):
        super().__init__(params, lr)
        self.beta1, self.beta2 = beta1, beta2
        # The betas never change (not live keys): their float32 columns once, not every step.
        self.cols = (_col(beta1), _col(beta2), _col(1 - beta1), _col(1 - beta2))

    @torch.no_grad()
    def step(self, grads):
        self.t += 1
        b1f, b2f, w1, w2 = self.cols
        step_size = _col(self.lr / (1 - self.beta1 ** self.t))
        bc2_sqrt = _col(torch.sqrt(1 - self.beta2 ** self.t))
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq):
            m.mul_(b1f).addcmul_(g, w1)
            v.mul_(b2f).addcmul_(w2 * g, g)
            # p - (s m) / d in place: addcdiv computes (-1 * s m) / d, the same float32 numbers
            p.addcdiv_(step_size * m, v.sqrt().div_(bc2_sqrt).add_(EPS), value=-1)

    def unrolled(self, params: list[Tensor], grads: list[Tensor], state: dict, i: int) -> list[Tensor]:
        t = self.t + i + 1
        b1, b2, w1, w2 = self.cols              # 1 - beta taken in float64, as the single run's
        lr, bc1, bc2 = _col(self.lr), _col(1 - self.beta1 ** t), _col(1 - self.beta2 ** t)
        m, v, new = state["exp_avg"], state["exp_avg_sq"], []
        for j, (p, g) in enumerate(zip(params, grads)):
            m[j] = b1 * m[j] + w1 * g
            v[j] = b2 * v[j] + w2 * g * g
            new.append(p - lr * (m[j] / bc1) / (_root(v[j] / bc2) + EPS))
        return new


class RMSprop(Batched):
    state_names = ("square_avg",)

    def unrolled(self, params, grads, state, i):
        lr, v = _col(self.lr), state["square_avg"]
        new = []
        for j, (p, g) in enumerate(zip(params, grads)):
            v[j] = RMSPROP_ALPHA * v[j] + (1 - RMSPROP_ALPHA) * g * g
            new.append(p - lr * g / (_root(v[j]) + EPS))
        return new

    @torch.no_grad()
    def step(self, grads):
        self.t += 1
        lr = _col(self.lr)
        for p, g, v in zip(self.params, grads, self.square_avg):
            v.mul_(RMSPROP_ALPHA).addcmul_(g, g, value=1 - RMSPROP_ALPHA)
            p.sub_(lr * g / v.sqrt().add_(EPS))


class SGD(Batched):
    def unrolled(self, params, grads, state, i):
        lr = _col(self.lr)
        return [p - lr * g for p, g in zip(params, grads)]

    @torch.no_grad()
    def step(self, grads):
        self.t += 1
        lr = _col(self.lr)
        for p, g in zip(self.params, grads):
            p.sub_(lr * g)


def make(kind: str, params: list[Tensor], lr: Tensor, beta1: Tensor, beta2: Tensor) -> Batched:
    """The batched twin of lab.gan.recipes.make_optimizer."""
    if kind == "adam":
        return Adam(params, lr, beta1, beta2)
    if kind == "rmsprop":
        return RMSprop(params, lr)
    if kind == "sgd":
        return SGD(params, lr)
    raise ConfigError(f"optimizer={kind!r} is not one of: adam, rmsprop, sgd")
