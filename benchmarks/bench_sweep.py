"""Throughput of the batched sweep (lab.sweep.SweepRun) against the same configurations trained
one after another by the page's single-run trainer (ModeCollapseRun), measured in one process,
interleaved in blocks so that machine load hits both alike.

The GAN is the mode-collapse page's default (ModeCollapseConfig(): ring of 8, metz recipe,
G 16-64-64-2, D 2-64-64-1, batch 128, Adam, metrics on 2,500 samples every 100 steps). The
32 configurations are lr_d = log:1e-4:1e-3:8 x 4 seeds. Run-steps/s counts one step of one
member (32 members at s steps/s make 32 s run-steps/s). On the CPU everything runs at one
thread (what the app and the command line set).

    python -m benchmarks.bench_sweep                                     # the CPU comparison
    python -m benchmarks.bench_sweep --members 64 256 --steps 50         # big sweeps (CPU here)
    python -m benchmarks.bench_sweep --device cuda --members 1024 4096   # a GPU's default; streams=shared

Targets: on a CPU, 32 members >= 5x the run-steps/s of 32 single runs, and a step of 8 members
<= 2x the time of a step of 1; on CUDA, >= 1,000 members at >= 100 steps/s each.

Measured 2026-12-04, 2-core AMD EPYC (AVX-512), torch 2.13 CPU, one thread, a shared machine
(load average ~2 from other work during the run):

                     members  steps/s each  run-steps/s
    32 batched            32          74.7         2389
    32 single runs        32        1275.1         1275     (a single run's own rate)
    1 batched              1         890.2          890
    8 batched              8         277.9         2223
    32 shared stream      32          76.3         2440
    32 batched vs 32 single runs: 1.87x   (target >= 5x: FAIL)
    time of 8 members / 1 member: 3.20x   (target <= 2x: FAIL)
    --members 64 256 --steps 50:  64 at 39.3 steps/s (2,515 run-steps/s), 256 at 7.4 (1,894)
Other runs under heavier load gave 1.7-2.4x and 2.8-3.0x.

Why the CPU targets are out of reach: a step of this GAN is ~13.8 MFLOP of matmuls (D update
3.9 M multiply-adds, G update 3.0 M). A single run at ~1,270 steps/s already does ~18 GFLOP/s;
torch.baddbmm of these shapes peaks at ~100 GFLOP/s on this core, and the batched step reaches
~37 GFLOP/s (its backward matmuls, and those with a dimension of 1 or 2 -- D's output, G's
output, D's 2-wide input -- run far below peak). 5x would need ~90 GFLOP/s for the whole step.
Likewise 8 members cost ~110 MFLOP, about as long as a 1-member step's fixed ~1 ms at peak.
Profile of a 32-member step (11.7 ms): matmuls and ReLU ~80%, the per-member draws ~5%
(the shared stream saves them), Adam ~10%, the loss through vmap ~3%.
"""
from __future__ import annotations

import argparse
import os
import time

import torch

from lab.experiments.mode_collapse import ModeCollapseConfig, ModeCollapseRun
from lab.sweep import SweepConfig, SweepRun

BASE = ModeCollapseConfig(steps=10_000_000)        # the page's default GAN; a budget no block reaches
AXIS = "log:1e-4:1e-3:{n}"
TARGET_32 = 5.0          # 32 batched members vs 32 single runs, run-steps/s
TARGET_8 = 2.0           # time of a step of 8 members over 1 member
TARGET_CUDA = (1000, 100.0)


def sweep_of(members: int, streams: str = "auto") -> SweepConfig:
    """`members` = values of lr_d x values of lr_g x seeds (at most 64, 64 and 32)."""
    seeds = max(d for d in range(1, 33) if members % d == 0)
    rest = members // seeds
    nx = max(d for d in range(1, 65) if rest % d == 0)
    ny = rest // nx
    if ny > 64:
        raise SystemExit(f"--members {members}: give a product of up to 64 x 64 x 32 (e.g. 1024, 4096)")
    axes = {"lr_d": AXIS.format(n=nx)} if nx > 1 else {}
    if ny > 1:
        axes["lr_g"] = AXIS.format(n=ny)
    return SweepConfig.of(BASE, axes, seeds=seeds, streams=streams)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device) -> float:
    sync(device)
    t = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t


def cpu_comparison(steps: int, block: int) -> None:
    torch.set_num_threads(1)
    cpu = torch.device("cpu")
    cfg32 = sweep_of(32)
    batched = SweepRun(cfg32, device=cpu)
    singles = [ModeCollapseRun(c) for c in cfg32.members()]
    shared = SweepRun(sweep_of(32, "shared"), device=cpu)
    one, eight = SweepRun(sweep_of(1), device=cpu), SweepRun(sweep_of(8), device=cpu)
    for r in [batched, shared, one, eight, *singles]:   # warm-up: allocator, first-call overheads
        r.advance(10)
    t = {"32 batched": 0.0, "32 single runs": 0.0, "1 batched": 0.0, "8 batched": 0.0, "32 shared stream": 0.0}
    rounds = max(1, steps // block)
    for _ in range(rounds):
        t["32 batched"] += timed(lambda: batched.advance(block), cpu)
        t["32 single runs"] += timed(lambda: [s.advance(block) for s in singles], cpu)
        t["1 batched"] += timed(lambda: one.advance(block), cpu)
        t["8 batched"] += timed(lambda: eight.advance(block), cpu)
        t["32 shared stream"] += timed(lambda: shared.advance(block), cpu)
    n = rounds * block
    members = {"32 batched": 32, "32 single runs": 32, "1 batched": 1, "8 batched": 8, "32 shared stream": 32}
    print(f"CPU, 1 thread, the page's default GAN; {n} steps each in interleaved blocks of {block} "
          f"(metrics every {BASE.eval_every} steps)")
    print(f"  {'':16s} {'members':>7s} {'steps/s each':>13s} {'run-steps/s':>12s}")
    for k, sec in t.items():
        m = members[k]
        # a single run's own rate while it trains (the 32 take turns); a batched member's: the sweep's
        each = m * n / sec if k == "32 single runs" else n / sec
        print(f"  {k:16s} {m:7d} {each:13.1f} {m * n / sec:12.0f}")
    speedup = t["32 single runs"] / t["32 batched"]
    ratio8 = t["8 batched"] / t["1 batched"]
    print(f"  (batched rows use member streams, each member drawing its single run's numbers; the shared "
          f"stream, one draw for all, is {t['32 batched'] / t['32 shared stream']:.2f}x as fast at 32)")
    print(f"  32 batched vs 32 single runs: {speedup:5.2f}x run-steps/s   target >= {TARGET_32:g}x  "
          f"{'PASS' if speedup >= TARGET_32 else 'FAIL'}")
    print(f"  time of 8 members / 1 member: {ratio8:5.2f}x              target <= {TARGET_8:g}x  "
          f"{'PASS' if ratio8 <= TARGET_8 else 'FAIL'}")


def big_sweeps(sizes: list[int], steps: int, device: torch.device, streams: str) -> None:
    if device.type == "cpu":
        torch.set_num_threads(1)
    cfgs = [sweep_of(m, streams) for m in sizes]          # a size that does not factor stops here
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "1 thread"
    print(f"big sweeps on {device.type} ({where}), {steps} timed steps after 10 warm-up, metrics every "
          f"{BASE.eval_every} steps")
    print(f"  {'members':>8s} {'streams':>8s} {'estimate':>9s} {'steps/s each':>13s} {'run-steps/s':>12s}")
    for m, cfg in zip(sizes, cfgs):
        run = SweepRun(cfg, device=device)
        run.advance(10)
        sec = timed(lambda r=run: r.advance(steps), device)
        rate = steps / sec
        ok = ""
        if device.type == "cuda" and m >= TARGET_CUDA[0]:
            ok = "  PASS" if rate >= TARGET_CUDA[1] else "  FAIL"
        print(f"  {m:8d} {run.streams:>8s} {run.estimate / 1e9:7.2f}GB {rate:13.1f} {m * rate:12.0f}{ok}")
        del run
        if device.type == "cuda":
            torch.cuda.empty_cache()
    if device.type == "cuda":
        print(f"  target: >= {TARGET_CUDA[0]} members at >= {TARGET_CUDA[1]:g} steps/s each")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300, help="timed steps per contender")
    ap.add_argument("--block", type=int, default=100, help="steps per interleaved block (CPU comparison)")
    ap.add_argument("--members", type=int, nargs="+",
                    help="big sweeps of these sizes instead of the CPU comparison (default on CUDA: 1024 4096)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--streams", default="auto", choices=("auto", "member", "shared"))
    a = ap.parse_args()
    device = torch.device(a.device)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work slows both sides alike)")
    if a.members or device.type == "cuda":
        big_sweeps(a.members or [1024, 4096], a.steps, device, a.streams)
    else:
        cpu_comparison(a.steps, a.block)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
