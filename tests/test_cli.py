"""The command line, the same way for every experiment: a bad key or value is one line on
stderr naming it with exit status 2; a smoke run writes metrics.json and the figures. In-process
(lab.cli.main), plus one real process to show no traceback escapes."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from lab import experiments
from lab.cli import main
from lab.config import field_type, spec

NAMES = experiments.names()


def _first_bounded_int(cls) -> tuple[str, float]:
    for f in dataclasses.fields(cls):
        typ, optional = field_type(cls, f.name)
        s = spec(cls, f.name)
        if typ is int and not optional and s.lo is not None:
            return f.name, s.lo
    raise AssertionError(f"{cls.__name__} has no bounded int key")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ") and "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize("name", NAMES)
def test_bad_keys_and_values_are_one_line(name, tmp_path, capsys):
    cls = experiments.get(name).config
    key, lo = _first_bounded_int(cls)
    cases = [(["nope=1"], "unknown key 'nope'"), ([f"{key}=abc"], f"{key}='abc' is not a whole number"),
             ([f"{key}={int(lo) - 1}"], f"{key}={int(lo) - 1} is out of range"), (["seed=-3"], "seed=-3 is out of range"),
             (["novalue"], "'novalue' is not key=value")]
    for args, message in cases:
        assert main(["run", name, *args, "--out", str(tmp_path), "--quiet"]) == 2
        assert message in _one_error_line(capsys)
    assert not (tmp_path / "metrics.json").exists()


@pytest.mark.parametrize("name, args, needle", [
    ("discriminator", ["lr_d=fast"], "lr_d"), ("discriminator", ["constraint=lasso"], "constraint"),
    ("discriminator", ["critic=lasso"], "constraint"), ("discriminator", ["colour=red"], "colour"),
    ("discriminator", ["real=N(0,1"], "real"), ("discriminator", ["steps=-5"], "steps"),
    ("disjoint", ["recipe=lsgan"], "recipe"), ("robust_mean", ["eps=0.7"], "eps"),
    ("mode_collapse", ["pac=3", "batch=256"], "batch=256 must be a multiple of pac=3"),
    ("image_gan", ["recipe=biggan"], "recipe='biggan' is not one of: ns, lsgan, wgan, wgan_gp, sngan"),
    ("image_gan", ["model=biggan"], "recipe='biggan' is not one of"),
    ("image_gan", ["size=48"], "size=48 is not one of: 28, 32, 64"),
    ("image_vae", ["data=cifar10", "steps=1"], "data=cifar10 needs data_dir="),
    ("image_gan", ["device=cuda", "steps=1"], "device"),
])
def test_each_experiments_own_rules_are_one_line(name, args, needle, tmp_path, capsys):
    """Rules an experiment adds to the declared bounds (between keys, a mixture's syntax, a
    recipe it cannot train, data that needs a folder, a device this machine lacks) speak the
    same way: one line naming the key, exit 2, nothing written (a key's old name only adds a note)."""
    if "device=cuda" in args:
        import torch
        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
    assert main(["run", name, *args, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.strip().splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err
    assert not (tmp_path / "x" / "metrics.json").exists()


def test_unknown_experiment_is_one_line(tmp_path, capsys):
    assert main(["run", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown experiment 'nope'" in _one_error_line(capsys)


def test_list_names_every_experiment_and_key(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert f"{name}: " in out
        for f in dataclasses.fields(experiments.get(name).config):
            assert f"    {f.name}=" in out


@pytest.mark.parametrize("name", NAMES)
def test_smoke_run_writes_metrics_and_figures(name, tmp_path):
    exp = experiments.get(name)
    args = [f"{k}={v}" for k, v in exp.smoke.items()]
    assert main(["run", name, *args, "--out", str(tmp_path), "--quiet"]) == 0
    doc = json.loads((tmp_path / "metrics.json").read_text())
    assert set(doc) == {"experiment", "config", "metrics", "history"} and doc["experiment"] == name
    assert doc["config"] == dataclasses.asdict(exp.config(**exp.smoke)) and doc["metrics"]
    if exp.figures is not None:
        assert list(tmp_path.glob("*.html"))


def test_a_real_process_prints_one_line_and_exits_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lab", "run", "mode_collapse", "pac=3", "batch=256",
                           "--out", str(tmp_path), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: batch=256 must be a multiple of pac=3 (each D input packs pac samples)"]
