"""Fair shares and memory of the worker pool (lab.pool), measured on this machine.

    python benchmarks/bench_pool.py [--sessions 1 4 8] [--seconds 6] [--workers 2]

For each count N: N sessions play the same disjoint-supports run (seed = session number) at an
unlimited asked rate; prints each session's steps/s (min, max), their total, the total against
one session alone (the ratio the classroom issue asks about: it fell to 1/3 with in-process
training at 20 sessions), and the workers' resident memory before, while playing and after every
run is dropped (a worker left empty is recycled, so its memory goes back).
"""
from __future__ import annotations

import argparse
import time

from lab.experiments.disjoint import DisjointConfig, DisjointRun
from lab.pool import Build, Caps, Pool, RemoteRun
from lab.seeds import with_seeds


def mb(values) -> str:
    return " + ".join(f"{v / 2 ** 20:.0f}" for v in values) + " MB"


def measure(pool: Pool, n: int, seconds: float) -> list[float]:
    runs = [RemoteRun(pool, Build(with_seeds, "disjoint", DisjointConfig(steps=100_000, seed=i), 1, DisjointRun),
                      f"session-{i}") for i in range(n)]
    start = [r.step for r in runs]
    for r in runs:
        r.play(1e9)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:       # the pages' ticks: heartbeats
        time.sleep(0.5)
        for r in runs:
            r.status()
    during = pool.rss()
    rates = [(r.status()["step"] - s) / (time.perf_counter() - t0) for r, s in zip(runs, start)]
    for r in runs:
        r.pause()
    print(f"  workers' memory while {n} play: {mb(during)}")
    for r in runs:
        r.drop()
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    pool = Pool(args.workers, Caps(session_runs=4, server_runs=200, worker_mb=8000))
    pool.warm()
    keeper = RemoteRun(pool, Build(with_seeds, "disjoint", DisjointConfig(), 1, DisjointRun), "keeper")
    print(f"workers' memory at rest: {mb(pool.rss())}")
    alone = None
    for n in args.sessions:
        rates = measure(pool, n, args.seconds)
        total = sum(rates)
        alone = alone or total
        print(f"{n:3d} sessions: each {min(rates):6.1f} to {max(rates):6.1f} steps/s (max/min "
              f"{max(rates) / max(min(rates), 1e-9):.2f}), total {total:7.1f} steps/s = {total / alone:.2f} x one alone")
    time.sleep(1.0)
    print(f"workers' memory after every session's runs were dropped: {mb(pool.rss())}")
    del keeper
    pool.close()


if __name__ == "__main__":
    main()
