"""Frozen experiment configs: one way in from text (command line `key=value`, the page URL)
and one way back out, with errors a student can act on.

A config is a frozen dataclass whose fields are int, float, str or bool; each field may carry
`metadata={"help": ...}` (use `opt`). Validation lives in the config's own `__post_init__`
and raises `ConfigError` naming the key.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterable, Mapping


class ConfigError(ValueError):
    """A bad key or value. The message is shown to the user as is: one line, names the key."""


def opt(default: Any, help: str) -> Any:
    """A dataclass field with a help line (shown by `python -m lab list` and the pages)."""
    return dataclasses.field(default=default, metadata={"help": help})


def check_choice(key: str, value: str, choices: Iterable[str]) -> None:
    choices = list(choices)
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not one of: {', '.join(choices)}")


def check_range(key: str, value: float, lo: float | None = None, hi: float | None = None) -> None:
    """Inclusive bounds; NaN is always out of range."""
    bad = isinstance(value, float) and math.isnan(value)
    bad = bad or (lo is not None and value < lo) or (hi is not None and value > hi)
    if bad:
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise ConfigError(f"{key}={value!r} is out of range: it must lie in [{lo_s}, {hi_s}]")


def _field_types(cls) -> dict[str, type]:
    hints = {}
    for f in dataclasses.fields(cls):
        t = f.type if isinstance(f.type, type) else {"int": int, "float": float, "str": str,
                                                       "bool": bool}.get(str(f.type), str)
        hints[f.name] = t
    return hints


def _parse_value(key: str, text: str, typ: type) -> Any:
    text = text.strip()
    if typ is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{key}={text!r} is not a yes/no value: use true or false")
    if typ is int:
        try:
            as_float = float(text)
        except ValueError:
            raise ConfigError(f"{key}={text!r} is not a whole number") from None
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise ConfigError(f"{key}={text!r} is not a whole number")
        return int(as_float)
    if typ is float:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{key}={text!r} is not a number") from None
    return text


def from_strings(cls, values: Mapping[str, str], base: Any = None):
    """Build `cls` from text values over the defaults (or over `base`); unknown keys are errors."""
    types = _field_types(cls)
    unknown = [k for k in values if k not in types]
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; the keys are: {', '.join(types)}")
    parsed = {k: _parse_value(k, str(v), types[k]) for k, v in values.items()}
    if base is not None:
        return dataclasses.replace(base, **parsed)
    return cls(**parsed)


def from_strings_lenient(cls, values: Mapping[str, str]):
    """For a URL: keep every value that parses and validates, drop the others.

    Returns (config, notes) where each note says which value was ignored and why, so the page
    can show it instead of failing."""
    types = _field_types(cls)
    cfg, notes = cls(), []
    for key, text in values.items():
        if key not in types:
            continue  # other widgets' params share the URL
        try:
            cfg = from_strings(cls, {key: text}, base=cfg)
        except ConfigError as err:
            notes.append(f"Ignored the link's value: {err}. Using the default instead.")
    return cfg, notes


def to_strings(cfg, only_changed: bool = True) -> dict[str, str]:
    """The inverse of `from_strings`: text values (only those differing from the defaults)."""
    default = type(cfg)()
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if only_changed and v == getattr(default, f.name):
            continue
        out[f.name] = ("true" if v else "false") if isinstance(v, bool) else (
            repr(v) if isinstance(v, float) else str(v))
    return out


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`["lr=0.01", "real=N(0,1)"]` -> {"lr": "0.01", "real": "N(0,1)"}; the value may hold '='."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{item!r} is not key=value")
        out[key.strip()] = value
    return out


def describe(cls) -> list[tuple[str, str, Any, str]]:
    """(name, type name, default, help) per field, for listings."""
    types = _field_types(cls)
    return [(f.name, types[f.name].__name__, f.default, f.metadata.get("help", ""))
            for f in dataclasses.fields(cls)]
