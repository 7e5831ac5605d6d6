"""`torchrun --nproc_per_node=2 -m lab sweep ...` on a CPU (gloo): the members are split across the
two processes and gathered on rank 0, and the files equal the one-process sweep's (each member
draws from its own random stream, so where it trains does not change it)."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["sweep", "mode_collapse", "lr_d=1e-4,1e-3", "pac=1,2", "seeds=2", "steps=30", "eval_every=10",
        "width=16", "depth=1", "latent=4", "batch=32", "--quiet"]


def _sweep(tmp: Path, procs: int) -> tuple[list[dict], dict]:
    out = tmp / f"p{procs}"
    launch = [sys.executable, "-m", "lab"] if procs == 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}", "-m", "lab"]
    res = subprocess.run(launch + ARGS + ["--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=240,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr[-2000:]
    with open(out / "members.csv") as fh:
        rows = list(csv.DictReader(fh))
    return rows, json.loads((out / "summary.json").read_text())


def test_two_processes_split_the_members_and_rank_0_writes_the_same_sweep(tmp_path):
    one, doc1 = _sweep(tmp_path, 1)
    two, doc2 = _sweep(tmp_path, 2)
    assert [r["member"] for r in two] == [str(i) for i in range(8)]
    assert doc2["processes"] == 2 and doc1["processes"] == 1
    metrics = ("modes", "hq", "reverse_kl", "d_loss", "g_loss")
    for a, b in zip(one, two):
        assert {k: a[k] for k in ("seed", "lr_d", "pac", *metrics)} == {k: b[k] for k in ("seed", "lr_d", "pac", *metrics)}
    assert doc1["cells"] == doc2["cells"]
