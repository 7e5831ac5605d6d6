"""Theta steps per second of the disjoint-supports trainer (lab.experiments.disjoint.trainer)
against a plain PyTorch loop written the obvious way from WGAN Algorithm 1, same problem
(parallel lines from theta0 = 2), same nets, optimisers (each recipe's, as this experiment
scales it) and k = 5 D steps per theta step, in the same process.

    python -m benchmarks.bench_disjoint [--steps 200] [--repeats 3]

One thread each, as the app runs. Timings are process CPU seconds and the two loops alternate
(A B A B ...), keeping each one's best, so other load on a shared machine hurts both alike.
Prints one line per recipe: GenLab steps/s, plain steps/s, ratio (target >= 1.0).
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn

from lab.experiments.disjoint import DisjointConfig
from lab.experiments.disjoint.config import RECIPES
from lab.experiments.disjoint.trainer import ThetaGAN
from lab.gan import recipes


def plain_loop(recipe: str, steps: int, m: int = 64, k: int = 5, seed: int = 0) -> float:
    """Returns theta steps per CPU second."""
    torch.manual_seed(seed)
    r = recipes.resolve(DisjointConfig(recipe=recipe), DisjointConfig.recipe_scale)
    sn = recipe == "wgan_sn"
    lin = (lambda a, b: nn.utils.parametrizations.spectral_norm(nn.Linear(a, b))) if sn else nn.Linear
    net = nn.Sequential(lin(2, 64), nn.LeakyReLU(0.2), lin(64, 64), nn.LeakyReLU(0.2), lin(64, 1))
    if recipe == "wgan":
        opt = torch.optim.RMSprop(net.parameters(), lr=r.lr_d)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=r.lr_d, betas=(r.beta1, r.beta2))
    theta, lr = torch.tensor(2.0), r.lr_g

    def line(x0, n):
        y = torch.rand(n, 1)
        return torch.cat([x0 * torch.ones(n, 1), y], 1)

    t0 = time.process_time()
    for _ in range(steps):
        for _ in range(k):
            real, fake = line(0.0, m), line(theta, m)
            out_r, out_f = net(real), net(fake)
            if recipe in ("gan", "ns"):
                loss = F.softplus(-out_r).mean() + F.softplus(out_f).mean()
            else:
                loss = out_f.mean() - out_r.mean()
            if recipe == "wgan_gp":
                t = torch.rand(m, 1)
                x = (t * real + (1 - t) * fake).requires_grad_(True)
                g, = torch.autograd.grad(net(x).sum(), x, create_graph=True)
                loss = loss + 10 * ((g.norm(dim=1) - 1) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if recipe == "wgan":
                for p in net.parameters():
                    p.data.clamp_(-0.01, 0.01)
        th = theta.clone().requires_grad_(True)
        out = net(torch.cat([th * torch.ones(m, 1), torch.rand(m, 1)], 1))
        g_loss = {"gan": -F.softplus(out), "ns": F.softplus(-out)}.get(recipe, -out).mean()
        grad, = torch.autograd.grad(g_loss, th)
        theta = (th - lr * grad).detach()
    return steps / (time.process_time() - t0)


def genlab(recipe: str, steps: int) -> float:
    gan = ThetaGAN(DisjointConfig(recipe=recipe))
    t0 = time.process_time()
    for _ in range(steps):
        gan.step()
    return steps / (time.process_time() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    genlab("ns", 5)             # first optimiser construction imports torch._dynamo: not timed
    print(f"{'recipe':<11} {'GenLab st/s':>12} {'plain st/s':>11} {'ratio':>6}")
    for recipe in RECIPES:
        ours, ref = 0.0, 0.0
        for _ in range(a.repeats):
            ours = max(ours, genlab(recipe, a.steps))
            ref = max(ref, plain_loop(recipe, a.steps))
        print(f"{recipe:<11} {ours:12.0f} {ref:11.0f} {ours / ref:6.2f}")


if __name__ == "__main__":
    main()
