"""Frozen experiment configs: fields that carry their own bounds, choices, group and liveness;
one way in from text (command line `key=value`, the page URL) and one way back out; errors a
student can act on.

A config is a frozen dataclass deriving from `Config` whose fields are int, float, str or
bool (or `float | None` for a value a recipe fills in), each declared with `opt`:

    lr_d: float | None = opt(None, "learning rate of D", lo=1e-6, hi=1.0, group="Training",
                             live=True, recipe=True)

`Config.__post_init__` checks every field against its declaration (type, range, choices) and
then calls the config's own `check()` for rules between fields. The page draws its widgets
from the same declarations (ui.widgets), so a widget's bounds can never drift from the
config's. `live=True` marks a key that a running run takes without a restart (`Run.retune`).
Old names of keys (links shared before a key was renamed) are read through `aliases` with a
one-line notice.
"""
from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Mapping


class ConfigError(ValueError):
    """A bad key or value. The message is shown to the user as is: one line, names the key."""


@dataclass(frozen=True)
class Spec:
    """What a field declares beyond its default."""
    help: str
    lo: float | None = None             # inclusive bounds for numbers
    hi: float | None = None
    choices: tuple | Callable[[], Iterable[str]] | None = None   # allowed strings (or a function listing them)
    group: str = ""                     # the page's heading for it ("" = not drawn by default)
    live: bool = False                  # a run takes a new value without a restart
    label: str = ""                     # the widget's label (default: the key)
    step: float | None = None           # the widget's step
    fmt: str | None = None              # the widget's number format, e.g. "%.5f"
    recipe: bool = False                # None means "the recipe's value" (lab.gan.recipes)
    path: bool = False                  # a server path: never from a link; a page reads it only under
                                        # the data root (lab.data.root), the command line anywhere

    def allowed(self) -> tuple[str, ...] | None:
        if self.choices is None:
            return None
        return tuple(self.choices() if callable(self.choices) else self.choices)


def opt(default: Any, help: str, **declared) -> Any:
    """A dataclass field with its declaration: help, lo/hi, choices, group, live, label, step,
    fmt, recipe, path (see `Spec`)."""
    return dataclasses.field(default=default, metadata={"spec": Spec(help, **declared)})


def spec(cfg_or_cls, name: str) -> Spec:
    """The declaration of field `name` (a plain help-less Spec for an undeclared field)."""
    for f in dataclasses.fields(cfg_or_cls):
        if f.name == name:
            return f.metadata.get("spec") or Spec(f.metadata.get("help", ""))
    raise KeyError(name)


def check_choice(key: str, value: str, choices: Iterable[str]) -> None:
    choices = list(choices)
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is not one of: {', '.join(map(str, choices))}")


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def check_range(key: str, value: float, lo: float | None = None, hi: float | None = None) -> None:
    """Inclusive bounds; NaN is always out of range."""
    bad = isinstance(value, float) and math.isnan(value)
    bad = bad or (lo is not None and value < lo) or (hi is not None and value > hi)
    if bad:
        lo_s = "-inf" if lo is None else _num(lo)
        hi_s = "inf" if hi is None else _num(hi)
        raise ConfigError(f"{key}={value!r} is out of range: it must lie in [{lo_s}, {hi_s}]")


_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def field_type(cls, name: str) -> tuple[type, bool]:
    """(base type, may be None) of a field, from its annotation ('float | None' -> float, True)."""
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    t = f.type
    if isinstance(t, str):
        parts = [p.strip() for p in t.split("|")]
        optional = "None" in parts
        base = next((p for p in parts if p != "None"), "str")
        return _TYPES.get(base, str), optional
    args = typing.get_args(t)
    if args:
        return next(a for a in args if a is not type(None)), type(None) in args
    return t, False


def check_fields(cfg) -> None:
    """Every field against its declaration: type (ints widen to floats), range, choices."""
    for f in dataclasses.fields(cfg):
        typ, optional = field_type(type(cfg), f.name)
        value = getattr(cfg, f.name)
        if value is None:
            if optional:
                continue
            raise ConfigError(f"{f.name} needs a value")
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
            object.__setattr__(cfg, f.name, value)       # frozen: the one sanctioned write
        if typ is int and isinstance(value, float) and value.is_integer():
            value = int(value)
            object.__setattr__(cfg, f.name, value)
        ok = isinstance(value, typ) and (typ is bool or not isinstance(value, bool))
        if not ok:
            raise ConfigError(f"{f.name}={value!r} is not a {typ.__name__}")
        s = spec(cfg, f.name)
        if typ in (int, float):
            check_range(f.name, value, s.lo, s.hi)
        allowed = s.allowed()
        if allowed is not None:
            check_choice(f.name, value, allowed)


class Config:
    """Base of every experiment config (use with @dataclass(frozen=True))."""

    # Old key -> new key, or -> a function of the old text giving {new key: text}. Read from
    # links and the command line with a notice, so a link shared before a rename still opens.
    aliases: ClassVar[dict[str, str | Callable[[str], dict[str, str]]]] = {}

    def __post_init__(self):
        check_fields(self)
        self.check()

    def check(self) -> None:
        """Rules between fields; raise ConfigError naming the key."""


def live_keys(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if spec(cls, f.name).live)


def path_keys(cls) -> tuple[str, ...]:
    """The keys that name a file or folder on the machine (declared path=True)."""
    return tuple(f.name for f in dataclasses.fields(cls) if spec(cls, f.name).path)


def differs_only_live(old, new) -> bool:
    """True when `new` equals `old` except in live keys (a run can take it without a restart)."""
    if type(old) is not type(new):
        return False
    keep = {k: getattr(old, k) for k in live_keys(type(old))}
    return dataclasses.replace(new, **keep) == old


def _parse_value(key: str, text: str, typ: type, optional: bool = False) -> Any:
    text = text.strip()
    if optional and text.lower() in ("", "none", "recipe", "auto"):
        return None
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


def resolve_aliases(cls, values: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Old key names -> today's, with one notice per old key used. A key given under both
    names keeps today's."""
    aliases = getattr(cls, "aliases", {})
    out = {k: v for k, v in values.items() if k not in aliases}
    notes = []
    for key, text in values.items():
        if key in aliases:
            new = aliases[key]
            mapped = new(str(text)) if callable(new) else {new: text}
            shown = ", ".join(f"{k}={v}" for k, v in mapped.items()) or "nothing"
            notes.append(f"'{key}={text}' is an old name: read as {shown}.")
            for k, v in mapped.items():
                out.setdefault(k, v)
    return out, notes


def from_strings(cls, values: Mapping[str, str], base: Any = None):
    """Build `cls` from text values over the defaults (or over `base`); unknown keys are errors.
    Old key names are accepted (see `from_strings_noted` for the notices)."""
    return from_strings_noted(cls, values, base)[0]


def from_strings_noted(cls, values: Mapping[str, str], base: Any = None):
    """(config, notices about old key names)."""
    values, notes = resolve_aliases(cls, values)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in values if k not in names]
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r}; the keys are: {', '.join(names)}")
    parsed = {k: _parse_value(k, str(v), *field_type(cls, k)) for k, v in values.items()}
    if base is not None:
        return dataclasses.replace(base, **parsed), notes
    return cls(**parsed), notes


def from_strings_lenient(cls, values: Mapping[str, str]):
    """For a URL: keep every value that parses and validates, drop the others.

    Returns (config, notes): each note says which value was ignored and why, or which old key
    name was read as today's, so the page can show it instead of failing. Values are taken all
    together when they fit; otherwise one at a time, in rounds, so a rule between two keys
    (avg_epochs <= epochs) never drops a good value just because of the order it was read in."""
    values, notes = resolve_aliases(cls, values)
    names = {f.name for f in dataclasses.fields(cls)}
    mine = {k: v for k, v in values.items() if k in names}     # other widgets' params share the URL
    try:
        return from_strings(cls, mine), notes
    except ConfigError:
        pass
    cfg, pending, errors = cls(), dict(mine), {}
    progress = True
    while pending and progress:
        progress = False
        for key, text in list(pending.items()):
            try:
                cfg = from_strings(cls, {key: text}, base=cfg)
            except ConfigError as err:
                errors[key] = err
                continue
            del pending[key]
            progress = True
    notes += [f"Ignored the link's value: {errors[key]}. Using the default instead." for key in pending]
    return cfg, notes


def to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def to_strings(cfg, only_changed: bool = True) -> dict[str, str]:
    """The inverse of `from_strings`: text values (only those differing from the defaults;
    a recipe's None is never written)."""
    default = type(cfg)()
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if v is None or (only_changed and v == getattr(default, f.name)):
            continue
        out[f.name] = to_text(v)
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
    """(name, type name, default, help) per field, for listings; bounds and choices appended."""
    rows = []
    for f in dataclasses.fields(cls):
        typ, optional = field_type(cls, f.name)
        s = spec(cls, f.name)
        extra = []
        if s.lo is not None or s.hi is not None:
            extra.append(f"[{_num(s.lo) if s.lo is not None else '-inf'}, {_num(s.hi) if s.hi is not None else 'inf'}]")
        if s.live:
            extra.append("live")
        default = "recipe" if f.default is None and optional else f.default
        rows.append((f.name, typ.__name__, default, s.help + (f" {' '.join(extra)}" if extra else "")))
    return rows


def names_from_text(text: str, known: Iterable[str], rename: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """A comma list of names (old ones read through `rename`) -> (known, unknown), each in the
    order given, without repeats: a page's list of things trained side by side, from its link."""
    known, rename = list(known), rename or {}
    good, bad = [], []
    for word in (w.strip() for w in str(text).split(",")):
        name = rename.get(word, word)
        if word and name not in good + bad:
            (good if name in known else bad).append(name)
    return good, bad


def names_from_link(text: str, known: Iterable[str], default: str, what: str,
                    rename: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """(names, notices) from a link's comma list: unknown names are dropped with a notice naming
    each and the known ones; when none is known, the `default` list."""
    known = list(known)
    good, bad = names_from_text(text, known, rename)
    notes = [f"Ignored the link's {what} {name!r}: the {what}s are {', '.join(known)}." for name in bad]
    return good or names_from_text(default, known, rename)[0], notes
