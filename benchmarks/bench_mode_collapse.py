"""Steps per second of the mode-collapse page's trainer vs the plain PyTorch loop an instructor
would write for the same GAN, measured in the same process, interleaved in blocks so that
machine load hits both alike.

The GAN of the measurements this lab started from: non-saturating loss, G 256-128-128-2 (latent 256), D 2-128-128-1,
ReLU, batch 512, Adam (0.5, 0.999), 8-Gaussian ring. The plain loop is note 001's Algorithm 1
as usually typed: two D forward passes (real, fake), `g_loss.backward()` (which also fills D's
gradients), `.item()` on both losses every step, and the mode metrics on 2,500 samples every
100 steps, like the page. It runs at torch's default thread count ("plain") and, for a fair
compute-only comparison, at one thread ("plain, 1 thread"). Ours: the page's `ModeCollapseRun` at one
thread (what the app sets), metrics every 100 steps.

    .venv/bin/python benchmarks/bench_mode_collapse.py [--steps 1500] [--block 150]
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from lab.data import toy2d
from lab.device import build_seeded, generator
from lab.experiments.mode_collapse import ModeCollapseConfig, ModeCollapseRun
from lab.experiments.mode_collapse import metrics as mode_metrics
from lab.nets import mlp

SIZE = dict(latent=256, width=128, depth=2, batch=512, activation="relu", recipe="metz", eval_every=100)
LR_D, LR_G = 1e-4, 1e-3          # the metz recipe's rates


class PlainLoop:
    """The obvious loop, for comparison only (no remedies, no live knobs)."""

    def __init__(self, seed: int = 0):
        self.data = toy2d.make("ring8")
        self.G = build_seeded(seed, lambda: mlp(SIZE["latent"], 2, SIZE["width"], SIZE["depth"], "relu"))
        self.D = build_seeded(seed + 1, lambda: mlp(2, 1, SIZE["width"], SIZE["depth"], "relu"))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=LR_D, betas=(0.5, 0.999))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=LR_G, betas=(0.5, 0.999))
        self.gen = generator(seed)
        self.fixed_z = torch.randn(mode_metrics.N_SAMPLES, SIZE["latent"], generator=self.gen)
        self.step, self.log = 0, []

    def advance(self, k: int) -> None:
        b, nz = SIZE["batch"], SIZE["latent"]
        for _ in range(k):
            # update D: maximise log D(x) + log(1 - D(G(z)))
            real = self.data.sample(b, self.gen)
            fake = self.G(torch.randn(b, nz, generator=self.gen))
            d_loss = F.softplus(-self.D(real)).mean() + F.softplus(self.D(fake.detach())).mean()
            self.opt_d.zero_grad()
            d_loss.backward()
            self.opt_d.step()
            # update G: minimise -log D(G(z)) on fresh noise
            fake = self.G(torch.randn(b, nz, generator=self.gen))
            g_loss = F.softplus(-self.D(fake)).mean()
            self.opt_g.zero_grad()
            g_loss.backward()
            self.opt_g.step()
            self.log.append((d_loss.item(), g_loss.item()))
            self.step += 1
            if self.step % SIZE["eval_every"] == 0:
                with torch.no_grad():
                    mode_metrics.evaluate(self.G(self.fixed_z).numpy(), self.data)


def live_page_rate(cfg: ModeCollapseConfig, per_tick: int, ticks: int) -> float:
    """Steps/s of what one tick of the page does: advance, snapshot, build the four figures and
    serialise them (what st.plotly_chart sends), at one thread."""
    from lab.experiments.mode_collapse import figures as figs
    torch.set_num_threads(1)
    run = ModeCollapseRun(cfg)
    run.advance(per_tick)
    t = time.perf_counter()
    for _ in range(ticks):
        run.advance(per_tick)
        s = run.snapshot()
        for fig in (figs.scatter(s), figs.coverage(s), figs.curves(s), figs.strip(s, figs.strip_steps(s, ""))):
            fig.to_json()
    return ticks * per_tick / (time.perf_counter() - t)


def timed(fn, threads: int) -> float:
    torch.set_num_threads(threads)
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500, help="steps per contender")
    ap.add_argument("--block", type=int, default=150, help="steps per interleaved block")
    a = ap.parse_args()
    default_threads = torch.get_num_threads()
    plain, plain1 = PlainLoop(), PlainLoop()
    ours = ModeCollapseRun(ModeCollapseConfig(**SIZE, steps=a.steps))
    for r in (plain, plain1, ours):             # warm-up: allocator, first-call overheads
        torch.set_num_threads(1)
        r.advance(20)
    totals = {"plain": 0.0, "plain, 1 thread": 0.0, "ours (page trainer), 1 thread": 0.0}
    for _ in range(a.steps // a.block):
        totals["plain"] += timed(lambda: plain.advance(a.block), default_threads)
        totals["plain, 1 thread"] += timed(lambda: plain1.advance(a.block), 1)
        totals["ours (page trainer), 1 thread"] += timed(lambda: ours.advance(a.block), 1)
    n = a.block * (a.steps // a.block)
    rate = {k: n / v for k, v in totals.items()}
    print(f"GAN: NS, G {SIZE['latent']}-128-128-2, D 2-128-128-1, batch {SIZE['batch']}; "
          f"{n} steps each, interleaved blocks of {a.block}; torch default threads = {default_threads}")
    for k, v in rate.items():
        print(f"  {k:32s} {v:7.1f} steps/s")
    ours_rate = rate["ours (page trainer), 1 thread"]
    print(f"  speed-up vs plain (default threads): {ours_rate / rate['plain']:.2f}x   (target >= 1.5x)")
    print(f"  speed-up vs plain at 1 thread:       {ours_rate / rate['plain, 1 thread']:.2f}x")
    ticks = max(2, a.steps // 300)
    for name, cfg in (("ring GAN of the anchors (above)", ModeCollapseConfig(**SIZE)),
                      ("page default (width 64, batch 128)", ModeCollapseConfig())):
        print(f"  live page, {name}, 100 steps + redraw per tick: "
              f"{live_page_rate(cfg, 100, ticks):7.1f} steps/s (anchor: plain loop ~100-150 unloaded)")


if __name__ == "__main__":
    main()
