"""Seconds for a 2-D VAE on the embedded digits to reach a stated test ELBO: GenLab's LatentVAERun
(the page's and the CLI's loop) vs a plain pytorch/examples-style loop (vae/main.py: shuffle,
minibatch, BCE(sum) + KLD, Adam) on the same data, same architecture, same run.

    python -m benchmarks.bench_vae [--width 256] [--target -165] [--max-steps 3000]

Only training time is on the clock; the test ELBO (1,000 held-out digits, one z each) is
checked every --every steps for both. Prints steps/s, steps and seconds to the target, and
the ratios (GenLab / reference; a time ratio near 1 means the lab adds no overhead).
"""
from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F

from lab.data.digits import load_digits
from lab.experiments.vae import LatentVAEConfig, LatentVAERun, load_data
from lab.variational import evaluate


class RefVAE(nn.Module):
    """pytorch/examples vae/main.py with the lab's sizes (784-w-w-2): written out plainly."""

    def __init__(self, width: int, latent: int = 2):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())
        self.mu, self.logvar = nn.Linear(width, latent), nn.Linear(width, latent)
        self.dec = nn.Sequential(nn.Linear(latent, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, 784), nn.Sigmoid())

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.dec(z), mu, logvar


def ref_loss(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


@torch.no_grad()
def ref_test_elbo(model, xt) -> float:
    model.eval()
    recon, mu, logvar = model(xt)
    model.train()
    return -float(ref_loss(recon, xt, mu, logvar)) / len(xt)


def reference_loop(width, every, batch, seed):
    """Yields (steps, training seconds, test ELBO) every `every` steps."""
    torch.manual_seed(seed)
    xtr, _ = load_digits("train")
    xte, _ = load_digits("test")
    x = torch.from_numpy(xtr).float().div(255).view(-1, 784)
    xt = torch.from_numpy(xte).float().div(255).view(-1, 784)
    model = RefVAE(width)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    step, clock = 0, 0.0
    while True:
        perm = torch.randperm(len(x))
        for i in range(0, len(x) - batch + 1, batch):
            t0 = time.perf_counter()
            xb = x[perm[i:i + batch]]
            recon, mu, logvar = model(xb)
            loss = ref_loss(recon, xb, mu, logvar) / len(xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            clock += time.perf_counter() - t0
            step += 1
            if step % every == 0:
                yield step, clock, ref_test_elbo(model, xt)


def lab_loop(width, every, batch, seed):
    cfg = LatentVAEConfig(width=width, batch=batch, steps=10**6, compare=False, log_every=100_000, seed=seed)
    run = LatentVAERun(cfg, load_data(cfg))
    clock = 0.0
    while True:
        t0 = time.perf_counter()
        run.advance(every)
        clock += time.perf_counter() - t0
        with run.holding():
            run.model.eval()
            elbo = evaluate(run.model, run.test_eval, torch.Generator().manual_seed(0))["elbo"]
            run.model.train()
        yield run.step, clock, elbo


def race(width, target, max_steps, every, batch, seed) -> dict:
    """Both loops advance in alternating chunks of `every` steps, so a change in the machine's
    load (shared CPU) hits both alike."""
    loops = {"reference loop": reference_loop(width, every, batch, seed),
             "GenLab LatentVAERun": lab_loop(width, every, batch, seed)}
    out = {name: {"reached": None} for name in loops}
    for _ in range(max_steps // every):
        for name, loop in loops.items():
            r = out[name]
            if r["reached"] is None:
                r["steps"], r["clock"], r["elbo"] = next(loop)
                if r["elbo"] >= target:
                    r["reached"] = (r["steps"], r["clock"])
        if all(r["reached"] for r in out.values()):
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--target", type=float, default=-165.0, help="test ELBO to reach, nats per digit")
    ap.add_argument("--max-steps", type=int, default=3000)
    ap.add_argument("--every", type=int, default=50)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    args = (a.width, a.target, a.max_steps, a.every, a.batch, a.seed)
    print(f"2-D VAE 784-{a.width}-{a.width}-2, batch {a.batch}, Adam 1e-3, 4,000 embedded digits, "
          f"{a.threads} thread(s); target test ELBO {a.target:g} nats")
    out = race(*args)
    for name, r in out.items():
        hit = (f"reached at step {r['reached'][0]} after {r['reached'][1]:.1f} s" if r["reached"]
               else f"NOT reached in {r['steps']} steps (last {r['elbo']:.1f})")
        print(f"{name:>20}: {r['steps'] / r['clock']:6.1f} steps/s; {hit}")
    ref, lab = out["reference loop"], out["GenLab LatentVAERun"]
    print(f"speed ratio (GenLab / reference steps per second): "
          f"{(lab['steps'] / lab['clock']) / (ref['steps'] / ref['clock']):.2f}")
    if ref["reached"] and lab["reached"]:
        print(f"time-to-target ratio (GenLab / reference): {lab['reached'][1] / ref['reached'][1]:.2f}")


if __name__ == "__main__":
    main()
