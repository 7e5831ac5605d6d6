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


class Batched:
    """Base: the parameters, per-member rates, and the step count (one for all members)."""
    state_names: tuple[str, ...] = ()

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


class RMSprop(Batched):
    state_names = ("square_avg",)

    @torch.no_grad()
    def step(self, grads):
        self.t += 1
        lr = _col(self.lr)
        for p, g, v in zip(self.params, grads, self.square_avg):
            v.mul_(RMSPROP_ALPHA).addcmul_(g, g, value=1 - RMSPROP_ALPHA)
            p.sub_(lr * g / v.sqrt().add_(EPS))


class SGD(Batched):
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
