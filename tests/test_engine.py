"""The one engine: every experiment's run implements the Run protocol the same way (checked
over `lab.experiments.names()`), reads are pure, state round-trips safely, and two threads
driving one run at once (a script rerun, a fragment tick, a download, a worker) never break it.
Also the config declarations every page's widgets and URL are drawn from."""
from __future__ import annotations

import dataclasses
import io
import threading
import time

import numpy as np
import pytest
import torch

from lab import experiments
from lab import run as lab_run
from lab.config import (Config, ConfigError, describe, differs_only_live, from_strings, from_strings_lenient,
                        live_keys, opt, spec, to_strings)

NAMES = experiments.names()


def _smoke_run(name):
    exp = experiments.get(name)
    return exp, exp.make_run(exp.config(**exp.smoke))


def _same(a, b) -> bool:
    """Deep equality of snapshots: dicts, lists, arrays (NaN equal to NaN), tensors, numbers."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        a, b = a.detach().numpy(), b.detach().numpy()
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and (
            np.array_equal(a, b, equal_nan=True) if a.dtype.kind in "fc" else np.array_equal(a, b))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b


def test_every_experiment_is_found():
    assert {"discriminator", "mode_collapse", "disjoint", "vae", "robust_mean", "image_gan", "image_vae"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_run_protocol(name):
    exp, run = _smoke_run(name)
    assert exp.smoke, f"{name} declares no smoke settings"
    assert isinstance(run, lab_run.Run) and isinstance(run, lab_run.RunProtocol)
    for method in ("advance", "retune", "snapshot", "metrics", "state_bytes"):
        assert getattr(type(run), method) is getattr(lab_run.Run, method), f"{name} overrides {method}: it must lock"
    assert isinstance(run.step, int) and run.step == 0 and run.members == getattr(run.cfg, "n_members", 1) > 0
    assert isinstance(run.total, int) and run.total > 0
    assert isinstance(run.history, dict) and all(isinstance(v, list) for v in run.history.values())
    run.advance(2)
    assert run.step == 2
    m = run.metrics()
    rows = run.member_metrics()
    assert isinstance(m, dict) and m and len(rows) == run.members
    assert rows == [m] if run.members == 1 else all(r["member"] == i for i, r in enumerate(rows))
    # a pure read: the same picture twice, and nothing about the run changed
    hist = {k: list(v) for k, v in run.history.items()}
    one, two = run.snapshot(), run.snapshot()
    assert _same(one, two) and run.step == 2 and run.history == hist
    assert run.retune(run.cfg) is True
    # live keys (declared on the fields) retune in place; others ask for a rebuild
    for key in live_keys(type(run.cfg)):
        if key == "steps":
            assert run.retune(dataclasses.replace(run.cfg, steps=run.cfg.steps + 1)) is True
    # weights and state: plain tensors and numbers (weights_only), rebuilt by lab.run.load
    blob = run.state_bytes()
    doc = torch.load(io.BytesIO(blob), weights_only=True)
    assert doc["experiment"] == name and doc["step"] == 2
    back = lab_run.load(blob)
    assert type(back) is type(run) and back.step == 2 and back.cfg == run.cfg


@pytest.mark.parametrize("name", NAMES)
def test_two_threads_on_one_run_raise_nothing(name):
    """A fragment tick training while a download reads the weights and a rerun takes a snapshot:
    every public method takes the run's lock, so they serialise instead of corrupting it."""
    _, run = _smoke_run(name)
    errors: list[BaseException] = []
    stop = time.monotonic() + 1.5

    def trainer():
        try:
            while time.monotonic() < stop:
                run.advance(1)
        except BaseException as err:  # noqa: BLE001 - the test reports whatever broke
            errors.append(err)

    def reader():
        try:
            while time.monotonic() < stop:
                run.snapshot()
                run.metrics()
                run.state_bytes()
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=trainer), threading.Thread(target=reader),
               threading.Thread(target=trainer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, repr(errors[0])
    assert run.step > 0 and len(run.snapshot()) > 0


@pytest.mark.parametrize("name", NAMES)
def test_declarations_are_complete(name):
    """Every field says what it is; numbers have bounds; a default lies within them; the
    listing (`python -m lab list`) shows them."""
    cls = experiments.get(name).config
    assert issubclass(cls, Config)
    for f in dataclasses.fields(cls):
        s = spec(cls, f.name)
        assert s.help, f"{name}.{f.name} has no help"
        if f.type in ("int", "float", "int | None", "float | None"):
            assert s.lo is not None and s.hi is not None, f"{name}.{f.name} has no bounds"
        if "seed" == f.name:
            assert s.lo == 0
    assert len(describe(cls)) == len(dataclasses.fields(cls))
    cls()                                             # the defaults are valid


# ---- declarations, in isolation --------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Demo(Config):
    width: int = opt(64, "hidden units", lo=4, hi=1024)
    lr: float = opt(1e-3, "rate", lo=1e-6, hi=1.0, live=True)
    kind: str = opt("a", "a kind", choices=("a", "b"))
    lr_d: float | None = opt(None, "recipe rate", lo=1e-6, hi=1.0, recipe=True)
    flag: bool = opt(False, "a flag")
    aliases = {"w": "width", "old_kind": lambda t: {"kind": "b"} if t == "B" else {}}


def test_declared_bounds_and_choices_are_checked():
    with pytest.raises(ConfigError, match=r"width=2 is out of range: it must lie in \[4, 1024\]"):
        _Demo(width=2)
    with pytest.raises(ConfigError, match="kind='c' is not one of: a, b"):
        _Demo(kind="c")
    with pytest.raises(ConfigError, match="lr=nan"):
        _Demo(lr=float("nan"))
    with pytest.raises(ConfigError, match="is not a int"):
        _Demo(width="64")
    assert _Demo(lr=1).lr == 1.0 and isinstance(_Demo(lr=1).lr, float)       # ints widen to floats
    assert _Demo(width=4).width == 4 and _Demo(width=1024).width == 1024     # bounds are inclusive


def test_text_round_trip_aliases_and_lenient_links():
    cfg = from_strings(_Demo, {"w": "32", "lr_d": "0.01", "flag": "yes"})
    assert (cfg.width, cfg.lr_d, cfg.flag) == (32, 0.01, True)
    assert from_strings(_Demo, to_strings(cfg)) == cfg
    assert "lr_d" not in to_strings(_Demo())                    # the recipe's None is never written
    assert from_strings(_Demo, {"lr_d": "recipe"}).lr_d is None
    cfg, notes = from_strings_lenient(_Demo, {"width": "2000", "old_kind": "B", "lr": "x", "other": "1"})
    assert cfg == _Demo(kind="b")
    assert len(notes) == 3 and "old name" in notes[0] and "width=2000" in notes[1] and "lr='x'" in notes[2]
    with pytest.raises(ConfigError, match="unknown key 'nope'"):
        from_strings(_Demo, {"nope": "1"})


def test_live_keys_decide_what_retunes():
    assert live_keys(_Demo) == ("lr",)
    assert differs_only_live(_Demo(), _Demo(lr=0.5))
    assert not differs_only_live(_Demo(), _Demo(width=8))


@dataclasses.dataclass(frozen=True)
class _Ruled(Config):
    epochs: int = opt(150, "epochs", lo=1, hi=1000)
    avg: int = opt(25, "averaged epochs", lo=0, hi=1000)

    def check(self):
        if self.avg > self.epochs:
            raise ConfigError(f"avg={self.avg} must not exceed epochs={self.epochs}")


def test_a_link_with_a_rule_between_keys_keeps_both_values_in_any_order():
    """Read one key at a time, epochs=20 first would break avg <= epochs at the default avg 25
    and be dropped; the reader takes the link whole, or in rounds."""
    for values in ({"epochs": "20", "avg": "5"}, {"avg": "5", "epochs": "20"}):
        cfg, notes = from_strings_lenient(_Ruled, values)
        assert (cfg.epochs, cfg.avg, notes) == (20, 5, [])
    cfg, notes = from_strings_lenient(_Ruled, {"epochs": "200", "avg": "500"})   # avg breaks the rule
    assert (cfg.epochs, cfg.avg) == (200, 25) and len(notes) == 1 and "avg=500" in notes[0]
