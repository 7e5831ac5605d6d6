"""`python -m lab sweep EXPERIMENT key=v1,v2 [key2=...] seeds=K [key=value ...] --out DIR`.

A key given several values (a comma list, or a range lin:/log:LOW:HIGH:COUNT) is an axis (at
most two, in the order given: columns, then rows); a key given one value sets the base config.
Trains every member under a progress bar, then writes
    DIR/members.csv       one row per member: every config key, seed, step, the metrics
    DIR/summary.json      axes, seeds, settings, per cell mean/std/min/max over seeds
    DIR/heatmap.html      the phase diagram of --metric (lab.sweep.figures.heatmap)
Errors are lab.cli's: a ConfigError is one line on stderr and exit status 2.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import sys
import time
from pathlib import Path

from lab.config import ConfigError, from_strings_noted, parse_assignments
from lab.sweep import axes as ax
from lab.sweep import kinds

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


def summary_doc(experiment: str, run, seconds: float) -> dict:
    cfg = run.cfg
    return {"experiment": experiment, "members": run.members, "groups": len(run.groups), "seeds": cfg.seeds,
            "axes": [{"key": a.key, "values": list(a.values)} for a in run.axes],
            "settings": dataclasses.asdict(cfg.base()), "streams": run.streams, "device": run.device.type,
            "train_seconds": round(seconds, 3),
            "run_steps_per_second": round(run.members * run.step / seconds, 1) if seconds > 0 else None,
            **run.metrics()}


def main(experiment: str, assignments: list[str], out: Path, quiet: bool, metric: str | None = None) -> int:
    from tqdm import tqdm

    from lab.cli import to_json
    from lab.device import small_net_threads
    from lab.sweep.figures import heatmap

    cfg, notes = config_from_args(experiment, assignments)
    kind = kinds.get(experiment)
    metric = metric or kind.metric
    if metric not in kind.run.METRICS:
        raise ConfigError(f"--metric {metric}: {experiment} measures {', '.join(kind.run.METRICS)}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    small_net_threads()
    run = kind.run(cfg)
    out.mkdir(parents=True, exist_ok=True)
    chunk = max(1, run.total // 100)
    start = time.perf_counter()
    with tqdm(total=run.total, desc=f"{experiment}, {run.members} members", unit="step", disable=quiet,
              file=sys.stderr) as bar:
        while run.step < run.total:
            before = run.step
            run.advance(min(chunk, run.total - run.step))
            bar.update(run.step - before)
    seconds = time.perf_counter() - start
    write_members(out / "members.csv", run.member_metrics())
    doc = summary_doc(experiment, run, seconds)
    (out / "summary.json").write_text(json.dumps(to_json(doc), indent=1, allow_nan=False))
    heatmap(run.snapshot(), metric).write_html(out / "heatmap.html", include_plotlyjs="directory")
    print(f"wrote {out / 'members.csv'}, {out / 'summary.json'}, {out / 'heatmap.html'}", file=sys.stderr)
    return 0
