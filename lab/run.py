"""The Run protocol every experiment implements, and the base class that makes it safe.

A page, the command line, the tests and a background worker all drive a run the same way:

    run = EXPERIMENT.make_run(cfg)
    run.advance(k)            # k more training steps (or units of work)
    run.retune(new_cfg)       # True: took a config that differs only in live keys; False: rebuild
    run.snapshot()            # a pure read: plain arrays and numbers for the figures
    run.metrics()             # a cheap flat dict of numbers (metrics.json, the page's read-out)
    run.state_bytes()         # weights and state, loadable with weights_only=True (lab.run.load)
    run.step, run.total, run.history, run.cfg, run.members

Why a lock: Streamlit can run a script rerun, a fragment tick, a deferred download and a
worker thread at the same time, and two threads stepping one optimiser crashed the whole
server (a segfault in libtorch). Every public method takes the run's re-entrant lock, so they
serialise; subclasses implement the underscored methods and never lock themselves.

`members` is how many models the run trains together (a batched sweep of configurations and
seeds holds many); a plain run is one member, and `member_metrics()` lists each one's metrics.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, ClassVar, Protocol, runtime_checkable

import torch

from lab import checkpoint
from lab.config import differs_only_live, path_keys


@runtime_checkable
class RunProtocol(Protocol):
    cfg: Any
    step: int
    history: dict
    members: int

    @property
    def total(self) -> int: ...
    def advance(self, k: int) -> None: ...
    def retune(self, cfg) -> bool: ...
    def snapshot(self) -> dict: ...
    def metrics(self) -> dict: ...
    def member_metrics(self) -> list[dict]: ...
    def state_bytes(self) -> bytes: ...


class Run:
    """Base of every experiment's run. Subclasses set `experiment`, call `super().__init__(cfg)`
    and implement `_advance`, `_snapshot`, `_metrics`; `_retune` applies live keys (default:
    nothing to do beyond taking the new config); `state_attrs` names what `state_bytes` saves."""

    experiment: ClassVar[str] = ""
    # Attributes saved by state_bytes: nn.Modules and optimisers (their state_dicts), torch
    # Generators (their state), tensors, and plain numbers / lists / dicts.
    state_attrs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, cfg):
        self.cfg = cfg
        self.step = 0
        self.history: dict[str, list] = {}
        self.members = 1
        self.lock = threading.RLock()

    # ---- the protocol (locked) --------------------------------------------------------------
    @property
    def total(self) -> int:
        return int(self.cfg.steps)

    def advance(self, k: int, **options) -> None:
        """k more steps, never past nothing: k <= 0 does nothing."""
        if k <= 0:
            return
        with self.lock:
            self._advance(int(k), **options)

    def retune(self, cfg) -> bool:
        """Take `cfg` in place when it differs from the run's config only in live keys."""
        if cfg == self.cfg:
            return True
        if not differs_only_live(self.cfg, cfg):
            return False
        with self.lock:
            self._retune(cfg)
            self.cfg = cfg
        return True

    def snapshot(self, **options) -> dict:
        with self.lock:
            return self._snapshot(**options)

    def metrics(self) -> dict:
        with self.lock:
            return self._metrics()

    def member_metrics(self) -> list[dict]:
        return [self.metrics()]

    def state_bytes(self) -> bytes:
        with self.lock:
            return checkpoint.to_bytes(self.experiment, self.cfg, self.step, self.history, self._state())

    def load_state(self, doc: dict) -> None:
        """Restore from a checkpoint dict (lab.checkpoint.from_bytes) made by a run of this config."""
        with self.lock:
            self._load_state(doc["state"])
            self.step = int(doc["step"])
            self.history = {k: list(v) for k, v in doc["history"].items()}

    @contextlib.contextmanager
    def holding(self, timeout: float | None = None):
        """The run itself with its lock held (None if not had within `timeout` s): for reading
        several things at one consistent step."""
        got = self.lock.acquire() if timeout is None else self.lock.acquire(timeout=timeout)
        try:
            yield self if got else None
        finally:
            if got:
                self.lock.release()

    # ---- what subclasses implement --------------------------------------------------------------
    def _advance(self, k: int, **options) -> None:
        raise NotImplementedError

    def _retune(self, cfg) -> None:
        """Apply the live keys of `cfg` (optimiser rates, step counts, ...); self.cfg is set after."""

    def _snapshot(self, **options) -> dict:
        raise NotImplementedError

    def _metrics(self) -> dict:
        raise NotImplementedError

    def _state(self) -> dict:
        out = {}
        for name in self.state_attrs:
            value = getattr(self, name)
            if isinstance(value, torch.Generator):
                out[name] = value.get_state()
            elif hasattr(value, "state_dict"):
                out[name] = value.state_dict()
            elif isinstance(value, torch.Tensor):
                out[name] = value.detach().cpu().clone()
            else:
                out[name] = value
        return out

    def _load_state(self, state: dict) -> None:
        for name in self.state_attrs:
            value, saved = getattr(self, name), state[name]
            if isinstance(value, torch.Generator):
                value.set_state(saved)
            elif hasattr(value, "load_state_dict"):
                value.load_state_dict(saved)
            elif isinstance(value, torch.Tensor):
                with torch.no_grad():
                    value.copy_(saved)
            else:
                setattr(self, name, saved)


def load(data: bytes, experiment: str | None = None, confine: Callable[[str, str], str] | None = None) -> Run:
    """A run rebuilt from `state_bytes` output (its stored config, then its state). Raises
    lab.checkpoint.CheckpointError with one line for anything that is not such a file.
    `confine(key, path)`: applied to the file's server paths (path keys) before anything is
    read; a page passes lab.data.root.confine, so an uploaded file cannot name a server folder."""
    import dataclasses

    from lab import experiments
    doc = checkpoint.from_bytes(data, experiment)
    exp = experiments.get(doc["experiment"])
    names = {f.name for f in dataclasses.fields(exp.config)}
    stored = {k: v for k, v in doc["config"].items() if k in names}
    if confine is not None:
        stored |= {k: confine(k, str(stored[k])) for k in path_keys(exp.config) if stored.get(k)}
    try:
        cfg = exp.config(**stored)
        run = exp.make_run(cfg)
        run.load_state(doc)
    except (KeyError, TypeError, RuntimeError, ValueError) as err:
        raise checkpoint.CheckpointError(f"the file does not fit this experiment: {err}"[:300]) from None
    return run
