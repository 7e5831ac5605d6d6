"""Steps per second of the discriminator page's training vs a plain PyTorch loop written the
obvious way, on the same problem, in the same process (one thread each, as the app runs).

    python -m benchmarks.bench_discriminator [--steps 2000] [--repeats 3]

Prints one line per critic: GenLab steps/s, plain steps/s, and the ratio (target >= 1.0).
"""
import argparse
import time

import torch
from torch import nn

from lab.experiments.discriminator import DiscriminatorConfig
from lab.experiments.discriminator.run import DiscriminatorRun


def plain_loop(critic: str, steps: int, batch: int = 256, seed: int = 0) -> float:
    """What an instructor writes from the notes: sample both Gaussians, nn.BCEWithLogitsLoss or
    the Wasserstein loss, Adam, clip/penalty/spectral norm inline. Returns steps/s."""
    torch.manual_seed(seed)
    lin = (lambda a, b: nn.utils.parametrizations.spectral_norm(nn.Linear(a, b))) if critic == "sn" else nn.Linear
    net = nn.Sequential(lin(1, 64), nn.LeakyReLU(0.2), lin(64, 64), nn.LeakyReLU(0.2), lin(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, betas=(0.5, 0.9))
    bce = nn.BCEWithLogitsLoss()
    t0 = time.perf_counter()
    for _ in range(steps):
        real = 2 + 0.5 * torch.randn(batch, 1)
        fake = -2 + 0.5 * torch.randn(batch, 1)
        out_r, out_f = net(real), net(fake)
        if critic == "none":
            loss = bce(out_r, torch.ones_like(out_r)) + bce(out_f, torch.zeros_like(out_f))
        else:
            loss = out_f.mean() - out_r.mean()
        if critic == "gp":
            t = torch.rand(batch, 1)
            x = (t * real + (1 - t) * fake).requires_grad_(True)
            g, = torch.autograd.grad(net(x).sum(), x, create_graph=True)
            loss = loss + 10 * ((g.norm(dim=1) - 1) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if critic == "clip":
            for p in net.parameters():
                p.data.clamp_(-0.05, 0.05)
    return steps / (time.perf_counter() - t0)


def genlab(critic: str, steps: int) -> float:
    run = DiscriminatorRun(DiscriminatorConfig(constraint=critic, steps=steps))
    t0 = time.perf_counter()
    run.advance(steps)
    return steps / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    print(f"{'critic':<6} {'GenLab st/s':>12} {'plain st/s':>11} {'ratio':>6}")
    for critic in ("none", "clip", "gp", "sn"):
        # Interleave and keep the best of each: robust to other load on a shared machine.
        ours = max(genlab(critic, a.steps) for _ in range(a.repeats))
        ref = max(plain_loop(critic, a.steps) for _ in range(a.repeats))
        print(f"{critic:<6} {ours:12.0f} {ref:11.0f} {ours / ref:6.2f}")


if __name__ == "__main__":
    main()
