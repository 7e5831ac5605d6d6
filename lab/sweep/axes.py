"""A sweep's axes: which keys may vary, and how their values are written.

An axis is `key=values`, the values either typed out or a range:

    lr_d=1e-4,3e-4,1e-3          the values themselves, in order
    lr_d=log:1e-4:1e-2:5         5 values evenly spaced in log between the two ends
    instance_noise=lin:0:0.5:6   6 values evenly spaced between the two ends

Range values are rounded to 6 significant digits (labels and CSV rows stay readable), and to
whole numbers for an int key. How a key is batched decides whether it can vary at all, and
each experiment's sweep config says it (lab.sweep.config.SweepFields):

- per member: a number the batched trainer holds as one tensor entry per member (learning
  rates, betas, penalty weight, clip bound, instance noise and its annealing), so members with
  different values train in one batched model;
- per group: a key that changes the shape or the code path (loss, constraint, optimiser, sizes,
  packing, D steps, data); members that differ in it form groups trained in turn;
- never: `not_swept` gives the reason.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from lab.config import ConfigError, field_type, from_strings

MAX_VALUES = 64                      # per axis: a phase diagram, not a search
_RANGE = re.compile(r"^(lin|log):([^:]+):([^:]+):([^:]+)$")


@dataclass(frozen=True)
class Axis:
    key: str
    values: tuple                    # typed as the config field (float, int or str)

    def labels(self) -> list[str]:
        """Short labels for figures (3 significant digits: 0.000464159 reads as 0.000464)."""
        return [f"{v:.3g}" if isinstance(v, float) else str(v) for v in self.values]

    def text(self) -> str:
        """Back to `key=v1,v2,...` (what `parse` reads)."""
        return f"{self.key}=" + ",".join(label(v) for v in self.values)


def label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def is_axis_text(text: str) -> bool:
    """Does this value list several values or a range (as opposed to one value)?"""
    return "," in text or bool(_RANGE.match(text.strip()))


def sweepable(cls) -> tuple[str, ...]:
    """The keys a sweep config class lets vary: per member, then per group."""
    return cls.per_member + cls.per_group


def check_key(cls, key: str) -> None:
    """`cls` is a sweep config class (lab.sweep.config.SweepFields)."""
    if key in cls.not_swept:
        raise ConfigError(f"{key} cannot be swept: {cls.not_swept[key]}")
    names = [f.name for f in dataclasses.fields(cls.single)]
    if key not in names or key not in sweepable(cls):
        raise ConfigError(f"unknown sweep key {key!r}; the keys that can be swept are: {', '.join(sweepable(cls))}")


def _range(key: str, text: str, typ: type) -> list:
    kind, lo, hi, n = _RANGE.match(text.strip()).groups()
    try:
        lo, hi, n_f = float(lo), float(hi), float(n)
    except ValueError:
        raise ConfigError(f"{key}={text!r}: a range is {kind}:LOW:HIGH:COUNT with numbers, e.g. "
                          f"{kind}:1e-4:1e-2:5") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ConfigError(f"{key}={text!r}: the ends of a range must be finite numbers")
    if n_f != int(n_f) or not 1 <= n_f <= MAX_VALUES:
        raise ConfigError(f"{key}={text!r}: the count must be a whole number from 1 to {MAX_VALUES}")
    if kind == "log" and not (lo > 0 and hi > 0):
        raise ConfigError(f"{key}={text!r}: a log range needs two positive ends (use lin: to include 0)")
    values = np.geomspace(lo, hi, int(n_f)) if kind == "log" else np.linspace(lo, hi, int(n_f))
    if typ is int:
        return [int(round(v)) for v in values]
    return [float(f"{v:.6g}") for v in values]


def parse(cls, text: str, base=None) -> Axis:
    """`key=values` -> Axis for the sweep config class `cls`, every value typed and checked by its
    single-run config (over `base`, one of those, so a rule between keys is checked in context)."""
    key, sep, spec = text.partition("=")
    key, spec = key.strip(), spec.strip()
    if not sep or not key:
        raise ConfigError(f"axis {text!r} is not key=values, e.g. lr_d=1e-4,1e-3 or lr_d=log:1e-4:1e-2:5")
    check_key(cls, key)
    cls = cls.single
    typ, _ = field_type(cls, key)
    if _RANGE.match(spec):
        values = _range(key, spec, typ)
        given = [label(v) for v in values]
    else:
        given = [v.strip() for v in spec.split(",")]
        if not all(given):
            raise ConfigError(f"{key}={spec!r}: an empty value in the list (write v1,v2,...)")
    if not 1 <= len(given) <= MAX_VALUES:
        raise ConfigError(f"{key}={spec!r}: an axis takes 1 to {MAX_VALUES} values, not {len(given)}")
    base = base if base is not None else cls()
    typed = [getattr(from_strings(cls, {key: v}, base=base), key) for v in given]    # ConfigError names a bad one
    seen = set()
    for v in typed:
        if v in seen:
            raise ConfigError(f"{key}={spec!r} gives the value {label(v)} twice")
        seen.add(v)
    return Axis(key, tuple(typed))
