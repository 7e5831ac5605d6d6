"""Links: every page opened with each of its config's keys at the bounds, one past them and as
garbage finds warnings naming the bad keys, never an exception; and every number widget a page
draws for a config key has exactly that key's declared bounds (they had drifted: a link's valid
`steps=5` met a widget minimum of 100 and showed a traceback)."""
from __future__ import annotations

import dataclasses

import pytest

import ui
from conftest import open_page
from lab import experiments
from lab.config import field_type, spec

PAGES = ui.available_pages()


def _cls(entry):
    return experiments.get(entry.experiments[0]).config


def _values(cls, how: str) -> dict[str, str]:
    """Text for every key: `lo` (each number at its lower bound), `past` (one past the upper
    bound; a choice or flag that does not exist), `garbage` (not a number)."""
    out = {}
    for f in dataclasses.fields(cls):
        typ, _ = field_type(cls, f.name)
        s = spec(cls, f.name)
        if typ in (int, float):
            if how == "lo":
                out[f.name] = str(int(s.lo) if typ is int else s.lo)
            elif how == "past":
                out[f.name] = str(int(s.hi) + 1 if typ is int else s.hi * 2 + 1)
            else:
                out[f.name] = "abc"
        elif s.allowed() is not None and how != "lo":
            out[f.name] = "zzz"
        elif typ is bool and how != "lo":
            out[f.name] = "maybe"
    return out


def _warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


@pytest.mark.parametrize("entry", PAGES, ids=lambda e: e.url_path)
@pytest.mark.parametrize("how", ["past", "garbage"])
def test_bad_link_values_warn_by_name_and_never_raise(entry, how):
    cls = _cls(entry)
    values = _values(cls, how)
    at = open_page(entry.file, values)            # asserts no exception
    shown = _warnings(at)
    for key in values:
        assert f"{key}=" in shown, f"{entry.url_path}: no warning names {key}"


@pytest.mark.parametrize("entry", PAGES, ids=lambda e: e.url_path)
def test_every_key_at_its_lower_bound_opens(entry):
    at = open_page(entry.file, _values(_cls(entry), "lo"))
    assert not at.exception
    assert "Ignored the link's value" not in _warnings(at)       # bounds are inclusive


@pytest.mark.parametrize("entry", PAGES, ids=lambda e: e.url_path)
def test_widget_bounds_are_the_configs(entry):
    """Every number box of a config key has that key's bounds. A page with several experiments
    (the EBM page's parts) may draw a key that more than one declares, e.g. `step`: its bounds
    must then be one of theirs."""
    at = open_page(entry.file)
    checked = 0
    classes = [experiments.get(name).config for name in entry.experiments]
    for widget in at.number_input:
        key = (widget.key or "").rsplit(".", 1)[-1]
        specs = [spec(cls, key) for cls in classes if key in {f.name for f in dataclasses.fields(cls)}]
        if not (widget.key or "").startswith(entry.ns + ".") or not specs:
            continue
        assert (widget.min, widget.max) in [(s.lo, s.hi) for s in specs], \
            f"{widget.key}: {widget.min}..{widget.max} vs {[(s.lo, s.hi) for s in specs]}"
        checked += 1
    assert checked >= 3, f"{entry.url_path} draws few config widgets ({checked})"
