"""Paper recipes: a name brings an objective, a Lipschitz constraint, an optimiser with its
learning rates and betas, D steps per G step and the constraint's weight, each as its paper
set it. A config names a recipe and may override any of those keys; the keys it leaves at None
come from the recipe (`resolve`), and the page says which did (`describe`).

    gan       Goodfellow et al. 2014, Alg. 1: the minimax loss (G minimises log(1 - D(G(z)))).
              They trained with SGD + momentum; here with DCGAN's Adam so only the loss
              differs from `ns`.
    ns        Goodfellow et al. 2014, sec. 3: the non-saturating G loss -log D(G(z)); DCGAN's
              optimiser (Radford et al. 2016): Adam 2e-4, betas (0.5, 0.999), one D step.
    metz      Metz et al. 2017 (unrolled GANs), their 2-D mixture set-up: the non-saturating
              loss, Adam with lr D 1e-4 and lr G 1e-3, beta1 0.5. G learns 10x faster than D:
              the plain GAN hops between modes.
    lsgan     Mao et al. 2017: least squares with a = -1, b = 1, c = 0 (Pearson chi^2), Adam
              beta1 0.5 as they used, lr 2e-4 (DCGAN's).
    wgan      Arjovsky et al. 2017, Alg. 1: RMSProp 5e-5, weight clipping c = 0.01, n_critic 5.
    wgan_gp   Gulrajani et al. 2017, Alg. 1: Adam 1e-4, betas (0, 0.9), lambda 10, n_critic 5.
    wgan_sn   The Wasserstein loss with a spectrally normalised critic (Miyato et al. 2018);
              WGAN-GP's optimiser and critic steps.
    sngan     Miyato et al. 2018, the hinge loss with spectral norm, their setting C: Adam 2e-4,
              betas (0.5, 0.999), one D step.
    js_gan    Gao, Liu, Yao, Zhu 2019 (robust estimation; their public code): JS loss with the
              non-saturating G, plain SGD, lr D 0.2, lr G 0.02, 5 D steps per G step.
    tv_gan    The same with the total-variation loss (that code's TV path crashes, so these are
              JS-GAN's settings).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from lab.config import ConfigError
from lab.gan import lipschitz, objectives

OPTIMIZERS = ("adam", "rmsprop", "sgd")


@dataclass(frozen=True)
class Recipe:
    name: str
    objective: str            # a name in lab.gan.objectives
    constraint: str           # none | clip | gp | sn (lab.gan.lipschitz)
    optimizer: str            # adam | rmsprop | sgd
    lr_d: float
    lr_g: float
    beta1: float = 0.5
    beta2: float = 0.999
    d_steps: int = 1
    gp_lambda: float = 10.0   # constraint=gp
    clip: float = 0.01        # constraint=clip
    label: str = ""
    cite: str = ""


# The keys a config may override (None in the config = the recipe's value).
KEYS = ("objective", "constraint", "optimizer", "lr_d", "lr_g", "beta1", "beta2", "d_steps", "gp_lambda", "clip")

RECIPES: dict[str, Recipe] = {r.name: r for r in [
    Recipe("gan", "minimax", "none", "adam", 2e-4, 2e-4, label="GAN (minimax loss)",
           cite="Goodfellow et al. 2014, Alg. 1; Adam as DCGAN"),
    Recipe("ns", "ns", "none", "adam", 2e-4, 2e-4, label="GAN (non-saturating), DCGAN Adam",
           cite="Goodfellow et al. 2014 sec. 3; Radford et al. 2016: Adam 2e-4, betas (0.5, 0.999)"),
    Recipe("metz", "ns", "none", "adam", 1e-4, 1e-3, label="GAN at Metz et al.'s rates",
           cite="Metz et al. 2017, 2-D mixtures: Adam, lr D 1e-4, lr G 1e-3, beta1 0.5"),
    Recipe("lsgan", "lsgan", "none", "adam", 2e-4, 2e-4, label="LSGAN (a=-1, b=1, c=0)",
           cite="Mao et al. 2017: Pearson chi^2 coding, Adam beta1 0.5"),
    Recipe("wgan", "wasserstein", "clip", "rmsprop", 5e-5, 5e-5, d_steps=5, clip=0.01, label="WGAN (clipping)",
           cite="Arjovsky et al. 2017, Alg. 1: RMSProp 5e-5, c = 0.01, n_critic = 5"),
    Recipe("wgan_gp", "wasserstein", "gp", "adam", 1e-4, 1e-4, beta1=0.0, beta2=0.9, d_steps=5, gp_lambda=10.0,
           label="WGAN-GP", cite="Gulrajani et al. 2017, Alg. 1: Adam 1e-4, betas (0, 0.9), lambda 10, n_critic 5"),
    Recipe("wgan_sn", "wasserstein", "sn", "adam", 1e-4, 1e-4, beta1=0.0, beta2=0.9, d_steps=5,
           label="WGAN, spectral norm", cite="Miyato et al. 2018 (spectral norm) with WGAN-GP's optimiser"),
    Recipe("sngan", "hinge", "sn", "adam", 2e-4, 2e-4, label="SN-GAN (hinge)",
           cite="Miyato et al. 2018, setting C: Adam 2e-4, betas (0.5, 0.999), n_dis = 1"),
    Recipe("js_gan", "ns", "none", "sgd", 0.2, 0.02, d_steps=5, label="JS-GAN (Gao et al.)",
           cite="Gao, Liu, Yao, Zhu 2019, public code: SGD, lr D 0.2, lr G 0.02, 5 D steps"),
    Recipe("tv_gan", "tv", "none", "sgd", 0.2, 0.02, d_steps=5, label="TV-GAN (Gao et al.)",
           cite="Gao, Liu, Yao, Zhu 2019: total variation loss; JS-GAN's settings"),
]}


def get(name: str) -> Recipe:
    if name not in RECIPES:
        raise ConfigError(f"recipe={name!r} is not one of: {', '.join(RECIPES)}")
    return RECIPES[name]


def overrides(cfg) -> dict:
    """The recipe keys a config sets explicitly (not None)."""
    return {k: getattr(cfg, k) for k in KEYS if getattr(cfg, k, None) is not None}


def resolve(cfg, scale: dict[str, dict] | None = None) -> Recipe:
    """The recipe `cfg.recipe` with the config's explicit keys on top. `scale` is an
    experiment's documented adjustment per recipe ({recipe: {key: value}}), applied between
    the two (a config's explicit key still wins)."""
    base = get(cfg.recipe)
    adjusted = (scale or {}).get(base.name, {})
    r = dataclasses.replace(base, **{**adjusted, **overrides(cfg)})
    check(r)
    return r


def check(r: Recipe) -> None:
    objectives.get(r.objective)
    if r.constraint not in lipschitz.CONSTRAINTS:
        raise ConfigError(f"constraint={r.constraint!r} is not one of: {', '.join(lipschitz.CONSTRAINTS)}")
    if r.optimizer not in OPTIMIZERS:
        raise ConfigError(f"optimizer={r.optimizer!r} is not one of: {', '.join(OPTIMIZERS)}")


def describe(cfg, scale: dict[str, dict] | None = None) -> str:
    """One line for the page: what the recipe brings, and which keys the config overrides."""
    r, mine = resolve(cfg, scale), overrides(cfg)
    shown = [("objective", r.objective), ("constraint", r.constraint), ("optimizer", r.optimizer),
             ("lr_d", f"{r.lr_d:g}"), ("lr_g", f"{r.lr_g:g}")]
    if r.optimizer == "adam":                  # betas mean nothing to RMSProp or SGD
        shown.append(("betas", f"({r.beta1:g}, {r.beta2:g})"))
    shown.append(("d_steps", r.d_steps))
    if r.constraint == "gp":
        shown.append(("gp_lambda", f"{r.gp_lambda:g}"))
    if r.constraint == "clip":
        shown.append(("clip", f"{r.clip:g}"))
    parts = [f"{k} {v}" + (" (yours)" if k in mine or (k == "betas" and {"beta1", "beta2"} & set(mine)) else "")
             for k, v in shown]
    return f"{RECIPES[cfg.recipe].label}: " + ", ".join(parts) + f". Source: {RECIPES[cfg.recipe].cite}."


def make_optimizer(kind: str, params, lr: float, betas: tuple[float, float] = (0.5, 0.999),
                   capturable: bool = False) -> torch.optim.Optimizer:
    """Adam (fused: one kernel for all of a net's tensors, ~10% of a small GAN's step on one CPU
    thread), RMSProp (WGAN's), or plain SGD. `capturable`: safe inside a CUDA graph (the step
    counters stay on the device; lab.images.graphs), Adam and RMSProp then use their foreach
    kernels (SGD keeps no step counter and needs nothing)."""
    params = list(params)
    if kind == "adam":
        if capturable:
            return torch.optim.Adam(params, lr=lr, betas=betas, capturable=True, foreach=True)
        fused = all(p.device.type in ("cpu", "cuda") for p in params)
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, capturable=capturable)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ConfigError(f"optimizer={kind!r} is not one of: {', '.join(OPTIMIZERS)}")


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr
