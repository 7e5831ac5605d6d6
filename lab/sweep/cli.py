"""`python -m lab sweep EXPERIMENT key=v1,v2 [key2=...] seeds=K [key=value ...] --out DIR`.

A key given several values (a comma list, or a range lin:/log:LOW:HIGH:COUNT) is an axis (at
most two, in the order given: columns, then rows); a key given one value sets the base config.
Trains every member under a progress bar, then writes
    DIR/members.csv       one row per member: every config key, seed, step, the metrics
    DIR/summary.json      axes, seeds, settings, per cell mean/std/min/max over seeds
    DIR/heatmap.html      the phase diagram of --metric (lab.sweep.figures.heatmap)
    DIR/cells.html        every cell at once, laid out as the heat map (the experiment's
                          small multiples, SweepKind.grid_figure); where it has none (too many
                          cells, two-moons data) the reason is one note on stderr
Errors are lab.cli's: a ConfigError is one line on stderr and exit status 2. Under
`torchrun --nproc_per_node=N -m lab sweep ...` the members are split across the N processes
(one GPU each where there are GPUs; gloo on a CPU) and gathered on rank 0, which writes.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lab.config import ConfigError, from_strings_noted, parse_assignments
from lab.sweep import axes as ax
from lab.sweep import kinds, summary

def config_from_args(experiment: str, assignments: list[str]) -> tuple:
    """(config, notes about old key names) from the command line's key=value words."""
    cls = kinds.get(experiment).config
    values, axes = {}, []
    for key, text in parse_assignments(assignments).items():
        if (key in ax.sweepable(cls) or key in cls.not_swept) and ax.is_axis_text(text):
            ax.check_key(cls, key)
            axes.append(f"{key}={text}")
        else:
            values[key] = text
    if len(axes) > 2:
        raise ConfigError(f"a sweep has at most two axes (columns and rows), not {len(axes)}: "
                          f"{', '.join(a.partition('=')[0] for a in axes)}")
    for name, text in zip(("x", "y"), axes):
        if name in values:
            raise ConfigError(f"{name}= and a list of values both give axis {name}: use one")
        values[name] = text
    return from_strings_noted(cls, values)


def write_members(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def process_device() -> torch.device:
    """CUDA (this process's card under torchrun, LOCAL_RANK) when present, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def gather_rows(rows: list[dict], world: int) -> list[dict] | None:
    """Every process's member rows on rank 0, in member order (None on the other ranks)."""
    if world == 1:
        return rows
    import torch.distributed as dist
    parts = [None] * world if dist.get_rank() == 0 else None
    dist.gather_object(rows, parts, dst=0)
    return sorted((r for part in parts for r in part), key=lambda r: r["member"]) if parts else None


def grid_snapshot(run, rows: list[dict]) -> dict:
    """What the heat map reads (lab.sweep.figures.heatmap), for the whole sweep from its member
    rows: the rows may come from several processes, each holding a part of the members."""
    cfg = run.cfg
    metrics = {k: np.asarray([np.nan if r[k] is None else r[k] for r in rows], dtype=float) for k in run.METRICS}
    return {"step": run.step, "shape": cfg.shape(), "seeds": cfg.seeds, "seed": np.asarray([r["seed"] for r in rows]),
            "axes": [{"key": a.key, "values": list(a.values), "labels": a.labels()} for a in run.axes],
            "metrics": metrics, "labels": dict(run.METRICS), "ranges": {k: run.ranges(k) for k in run.METRICS}}


def summary_doc(experiment: str, run, snap: dict, seconds: float, world: int) -> dict:
    cfg = run.cfg
    members = cfg.n_members
    # The run's own summary (e.g. the discriminator's exact divergences per pair), whose cells are
    # replaced by the whole sweep's (this process may hold only a part of the members).
    own = {k: v for k, v in run.metrics().items() if k not in ("cells", "members", "steps")}
    return {**own, "experiment": experiment, "members": members, "processes": world, "seeds": cfg.seeds,
            "axes": [{"key": a.key, "values": list(a.values)} for a in run.axes],
            "settings": dataclasses.asdict(cfg.base()), "streams": getattr(run, "streams", None),
            "device": run.device.type, "train_seconds": round(seconds, 3),
            "run_steps_per_second": round(members * run.step / seconds, 1) if seconds > 0 else None,
            "steps": run.step, "cells": summary.cells(snap["metrics"], run.axes, snap["shape"], cfg.seeds, run.SUMMARY)}


def main(experiment: str, assignments: list[str], out: Path, quiet: bool, metric: str | None = None) -> int:
    """Under torchrun (WORLD_SIZE > 1) each process trains members rank, rank + world, ... on its
    own device, and rank 0 gathers every member's row and writes the files."""
    from tqdm import tqdm

    from lab.cli import to_json
    from lab.device import small_net_threads
    from lab.images import distributed
    from lab.sweep.figures import heatmap

    cfg, notes = config_from_args(experiment, assignments)
    kind = kinds.get(experiment)
    metric = metric or kind.first_metric(cfg)
    if metric not in kind.run.METRICS:
        raise ConfigError(f"--metric {metric}: {experiment} measures {', '.join(kind.run.METRICS)}")
    world, rank = distributed.world_size(), distributed.rank()
    for note in notes if rank == 0 else ():
        print(f"note: {note}", file=sys.stderr)
    small_net_threads()
    device = process_device()
    distributed.setup(device)
    run = kind.run(cfg, device=device, part=(rank, world))
    chunk = max(1, run.total // 100)
    start = time.perf_counter()
    with tqdm(total=run.total, desc=f"{experiment}, {run.members} members" + (f" (rank {rank})" if world > 1 else ""),
              unit="step", disable=quiet or rank > 0, file=sys.stderr) as bar:
        while run.step < run.total:
            before = run.step
            run.advance(min(chunk, run.total - run.step))
            bar.update(run.step - before)
    seconds = time.perf_counter() - start
    rows = gather_rows(run.member_metrics(), world)
    distributed.teardown()
    if rows is None:
        return 0
    out.mkdir(parents=True, exist_ok=True)
    snap = grid_snapshot(run, rows)
    write_members(out / "members.csv", rows)
    doc = summary_doc(experiment, run, snap, seconds, world)
    (out / "summary.json").write_text(json.dumps(to_json(doc), indent=1, allow_nan=False))
    heatmap(snap, metric).write_html(out / "heatmap.html", include_plotlyjs="directory")
    written = [out / "members.csv", out / "summary.json", out / "heatmap.html"]
    grid = cells_figure(kind, run, world)
    if isinstance(grid, str):
        print(f"note: no cells.html: {grid}", file=sys.stderr)
    elif grid is not None:
        grid.write_html(out / "cells.html", include_plotlyjs="directory")
        written.append(out / "cells.html")
    print(f"wrote {', '.join(map(str, written))}", file=sys.stderr)
    return 0


def cells_figure(kind, run, world: int):
    """The small multiples of every cell (a plotly figure), a sentence saying why there are none,
    or None where the experiment draws none. They read each member's samples or curves from the
    run's snapshot, which only a one-process sweep holds whole (the member rows are all that
    torchrun's ranks gather)."""
    if kind.grid_figure is None:
        return None
    if world > 1:
        return f"the members were split over {world} processes; a one-process sweep draws them"
    return kind.grid_figure(run.snapshot())
