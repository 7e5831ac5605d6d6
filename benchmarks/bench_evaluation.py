"""The evaluation page's costs, each against a plain reference in the same run:

1. Feature extraction: GenLab's `extract` (chunks of 250, inference_mode, features and logits in
   one pass) vs a plain torch loop over the same network (one no_grad forward of all the images,
   features and head called as pytorch/examples would): images per second and the ratio.
2. A full distortion curve on the page's run (7 kinds x `levels` strengths, n images each, its
   features cached per set), and the same points again with the features cached (what a redraw
   or a new k costs): seconds, and the ratio.

    python -m benchmarks.bench_evaluation [--n 1000] [--repeats 5] [--threads 1]

One thread by default: the page's small nets run on one (lab.device.small_net_threads).
"""
from __future__ import annotations

import argparse
import time

import torch

from lab.experiments.evaluation import EvaluationConfig, EvaluationRun, sets
from lab.experiments.evaluation.features import classifier, extract
from lab.experiments.evaluation.metrics import inception_score


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def plain_loop(net, images):
    with torch.no_grad():
        f = net.features(images)
        return f, net.head(f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    net = classifier("digits")
    x = sets.real("digits", args.n).test
    extract(net, x), plain_loop(net, x)                    # warm-up
    mine, ref = best_of(lambda: extract(net, x), args.repeats), best_of(lambda: plain_loop(net, x), args.repeats)
    print(f"feature extraction, {args.n} images, {args.threads} thread(s), best of {args.repeats}:")
    print(f"  GenLab extract   {args.n / mine:9,.0f} images/s")
    print(f"  plain torch loop {args.n / ref:9,.0f} images/s")
    print(f"  ratio (GenLab / plain, images/s): {ref / mine:.2f}")

    t0 = time.perf_counter()
    run = EvaluationRun(EvaluationConfig(n=args.n))
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    run.metrics()                                          # the table, Gaussians, toy, memorisation
    report = time.perf_counter() - t0
    t0 = time.perf_counter()
    run.advance(run.total)
    curve = time.perf_counter() - t0
    t0 = time.perf_counter()
    for name in [n for n in run.cache.sets if "@" in n]:   # the same points, features cached
        f = run.cache.sets[name]
        run.fd.to(f.features), inception_score(f.logits)
    cached = time.perf_counter() - t0
    print(f"page run, n = {args.n}: built in {built:.2f} s (data, reference features); "
          f"the table, Gaussians, toy and memorisation in {report:.2f} s on first read")
    print(f"  full distortion curves, {run.total} points: {curve:.2f} s ({1000 * curve / run.total:.0f} ms a point)")
    print(f"  the same points from cached features: {cached:.3f} s (ratio {curve / cached:.0f}x)")


if __name__ == "__main__":
    main()
