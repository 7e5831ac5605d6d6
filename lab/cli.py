"""`python -m lab list`, `python -m lab run EXPERIMENT key=value ... --out DIR` and
`python -m lab sweep EXPERIMENT key=v1,v2 ... seeds=K --out DIR` (lab.sweep.cli).

A run advances in chunks under a progress bar, then writes DIR/metrics.json
({"experiment", "config", "metrics", "history"}) and the experiment's figures as HTML.
Any bad key or value: one line on stderr naming it, exit status 2. No traceback reaches
the user; an unexpected failure is reported in one line with exit status 1.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

from lab.config import ConfigError, describe, from_strings_noted, parse_assignments


def to_json(value):
    """Plain JSON: numpy/torch scalars and arrays become numbers and lists; non-finite floats
    become the strings "inf", "-inf", "nan" (JSON has no such numbers)."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if hasattr(value, "tolist"):
        return to_json(value.tolist())
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return value


def write_metrics(path: Path, name: str, cfg, metrics: dict, history: dict) -> None:
    doc = {"experiment": name, "config": dataclasses.asdict(cfg), "metrics": metrics, "history": history}
    path.write_text(json.dumps(to_json(doc), indent=1, allow_nan=False))


def _list() -> int:
    from lab import experiments
    for name in experiments.names():
        exp = experiments.get(name)
        print(f"{name}: {exp.summary}")
        for key, typ, default, help_ in describe(exp.config):
            print(f"    {key}={default!s:<12} ({typ}) {help_}")
    return 0


def _run(name: str, assignments: list[str], out: Path, quiet: bool) -> int:
    from tqdm import tqdm

    from lab import experiments
    from lab.device import small_net_threads
    exp = experiments.get(name)
    cfg, notes = from_strings_noted(exp.config, parse_assignments(assignments))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    small_net_threads()
    out.mkdir(parents=True, exist_ok=True)
    run = exp.make_run(cfg)
    if getattr(run, "note", ""):        # what loading the data skipped, and why (e.g. an archive's report)
        print(f"note: {run.note}", file=sys.stderr)
    chunk = max(1, run.total // 100)
    with tqdm(total=run.total, desc=name, unit="step", disable=quiet, file=sys.stderr) as bar:
        while run.step < run.total:
            before = run.step
            run.advance(min(chunk, run.total - run.step))
            bar.update(run.step - before)
    if "torch.distributed" in sys.modules:      # torchrun: every rank leaves the group here
        from lab.images import distributed
        distributed.teardown()
    if int(os.environ.get("RANK", "0")) != 0:
        return 0         # under torchrun only rank 0 writes: the replicas hold the same model
    write_metrics(out / "metrics.json", name, cfg, run.metrics(), exp.history(run) if exp.history else run.history)
    if exp.figures is not None:
        for stem, fig in exp.figures(run).items():
            # One shared plotly.min.js beside the pages: works offline, ~3.5 MB once.
            fig.write_html(out / f"{stem}.html", include_plotlyjs="directory")
    if exp.artifacts is not None:
        exp.artifacts(run, out)
    print(f"wrote {out / 'metrics.json'}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lab", description="GenLab experiments, headless.")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the experiments and their keys")
    run = sub.add_parser("run", help="run one experiment and write DIR/metrics.json and figures")
    run.add_argument("experiment")
    run.add_argument("assignments", nargs="*", metavar="key=value")
    run.add_argument("--out", type=Path, required=True, help="folder for metrics.json and figures")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep = sub.add_parser("sweep", help="train a grid of configurations x seeds as one batched model; write "
                                         "DIR/members.csv, summary.json, heatmap.html and cells.html")
    sweep.add_argument("experiment")
    sweep.add_argument("assignments", nargs="*", metavar="key=value",
                       help="key=v1,v2 or key=log:LOW:HIGH:COUNT for an axis (at most two), seeds=K, key=value")
    sweep.add_argument("--out", type=Path, required=True,
                       help="folder for members.csv, summary.json, heatmap.html, cells.html")
    sweep.add_argument("--metric", default=None, help="the heat map's metric (default: the experiment's first, "
                                                      "e.g. modes for mode_collapse)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    try:
        if args.command == "list":
            return _list()
        if args.command == "sweep":
            from lab.sweep import cli as sweep_cli
            return sweep_cli.main(args.experiment, args.assignments, args.out, args.quiet, args.metric)
        return _run(args.experiment, args.assignments, args.out, args.quiet)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a user never sees a traceback; the message says what broke
        print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
        return 1
