"""Config widgets drawn from the config's own declarations (lab.config.opt): a field's bounds,
choices, label, step and help come from one place, so a widget can never offer a value the
config refuses, nor refuse one a link or the command line may give (they had drifted: width
1-512 on a page vs 1-1024 in its config; a link's steps=5 under a widget minimum of 100 gave
a traceback).

Recipe keys (declared recipe=True, None = the recipe's value) show the recipe's value; a value
the student changes becomes an explicit override, and choosing another recipe resets them all
to the new recipe's values ("choosing a recipe applies all of it").
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable

import streamlit as st

from lab.config import ConfigError, field_type, path_keys, spec
from lab.data.root import ENV, confine, data_root
from ui import classroom


def _recipe_defaults(cls, name: str):
    from lab.gan import recipes
    return recipes.resolve(_Named(name), getattr(cls, "recipe_scale", None))


class _Named:
    """A stand-in config with only a recipe name: every recipe key at None."""
    def __init__(self, recipe: str):
        self.recipe = recipe


def _recipe_keys(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if spec(cls, f.name).recipe]


def _reset_recipe_keys(cls, ns: str) -> None:
    """on_change of the recipe box: every recipe key shows the new recipe's value."""
    r = _recipe_defaults(cls, st.session_state[f"{ns}.recipe"])
    for key in _recipe_keys(cls):
        st.session_state[f"{ns}.{key}"] = getattr(r, key)


def _keys_to_draw(cls, keys: Iterable[str] | None, groups: Iterable[str] | None) -> list[tuple[str, str]]:
    """(group heading or "", key) in drawing order."""
    if keys is not None:
        return [("", k) for k in keys]
    out = []
    for g in groups or ():
        out += [(g, f.name) for f in dataclasses.fields(cls) if spec(cls, f.name).group == g]
    return out


def config_widgets(cls, ns: str, base, keys: Iterable[str] | None = None, groups: Iterable[str] | None = None,
                   where=None, labels: dict[str, Callable[[Any], str]] | None = None,
                   disabled: Iterable[str] = (), headers: bool = True) -> dict[str, Any]:
    """One widget per field of `cls` (those in `keys`, or those declared in `groups`, under a
    header per group), keyed `<ns>.<key>`, starting from `base` (the URL's config). Returns
    {key: value} for the fields drawn; a recipe key whose value equals its recipe's is None."""
    where = where or st.sidebar
    ss = st.session_state
    labels, disabled = labels or {}, set(disabled)
    todo = _keys_to_draw(cls, keys, groups)
    recipe_keys = set(_recipe_keys(cls))
    recipe_of = lambda: ss.get(f"{ns}.recipe", getattr(base, "recipe", None))  # noqa: E731
    out: dict[str, Any] = {}
    last_group = None
    for group, key in todo:
        if headers and group and group != last_group:
            where.header(group)
            last_group = group
        s, (typ, _) = spec(cls, key), field_type(cls, key)
        wkey = f"{ns}.{key}"
        start = getattr(base, key)
        if key in recipe_keys and start is None:
            start = getattr(_recipe_defaults(cls, recipe_of()), key)
        # Set on every run, not once: a widget whose state was set by the script is sent with it, and
        # the browser takes that value. Set once, a text box the browser had not mounted yet when the
        # value came kept its empty default and sent "" with the next click (gan1d's target box, 4 of
        # 10 opens with the page's chunks preloaded: "target: the mixture is empty").
        ss[wkey] = ss.get(wkey, start)
        classroom.offer(key, s.label or key)
        if key in classroom.hidden():      # the instructor's link hides it: its value stays as set
            out[key] = ss[wkey]            # (set above: a widget not drawn keeps its state that way)
            continue
        common = dict(key=wkey, help=s.help, disabled=key in disabled)
        if s.path:                  # a server path: only under the owner's data root (lab.data.root)
            root = data_root()
            common["help"] = s.help + (f". A folder under the data root {root} (relative to it, or absolute)" if root
                                       else f". Off: the server's owner set no data root ({ENV}), so a page reads "
                                            f"no server files; upload a zip instead")
            common["disabled"] |= root is None
        label = s.label or key
        allowed = s.allowed()
        if typ is bool:
            value = where.checkbox(label, **common)
        elif allowed is not None:
            if ss[wkey] not in allowed:        # e.g. a choice list that changed with another key
                ss[wkey] = allowed[0]
            on_change = (lambda: _reset_recipe_keys(cls, ns)) if key == "recipe" else None
            value = where.selectbox(label, list(allowed), format_func=labels.get(key, str),
                                    on_change=on_change, **common)
        elif typ is str:
            value = where.text_input(label, **common)
        else:
            num = int if typ is int else float
            bounds = {k: num(v) for k, v in (("min_value", s.lo), ("max_value", s.hi)) if v is not None}
            if ss[wkey] is not None:
                ss[wkey] = num(ss[wkey])
            step = s.step if s.step is not None else (1 if typ is int else None)
            value = where.number_input(label, step=None if step is None else num(step), format=s.fmt,
                                       **bounds, **common)
        out[key] = value
    if recipe_keys & set(out):
        r = _recipe_defaults(cls, out.get("recipe", recipe_of()))
        for key in recipe_keys & set(out):
            if out[key] == getattr(r, key):
                out[key] = None
    return out


def build_config(cls, values: dict[str, Any], where=None):
    """Widgets -> config. On a bad value: the config's own message as st.error, and None (the
    caller keeps its last good run, so nothing is lost). A server path (a path key) must resolve
    inside the data root and is replaced by its real path; else one refusal and None, before
    anything is read."""
    from ui import plain
    try:
        return cls(**{**values, **{k: confine(k, values[k]) for k in path_keys(cls) if values.get(k)}})
    except ConfigError as err:
        (where or st).error(plain(err), icon=":material/error:")
        return None


def recipe_note(cfg, where=None) -> None:
    """One caption: what the recipe brings and which values are the student's own."""
    from lab.gan import recipes
    (where or st).caption(recipes.describe(cfg, getattr(type(cfg), "recipe_scale", None)))


def merged(base, drawn: dict[str, Any]) -> dict[str, Any]:
    """The base config's values with the drawn widgets' on top (keys a page does not draw keep
    the link's values)."""
    return {**dataclasses.asdict(base), **drawn}


MAX_SEEDS = 32


def seeds_input(ns: str, where=None) -> int:
    """"Seeds trained together" (1-32), starting from the link's `seeds=` (a bad value is named in
    a warning and ignored, as for config keys). k > 1: the page's run trains with k - 1 seed
    companions and its metrics read as mean (range) over the k seeds (lab.seeds)."""
    from ui import plain
    key = f"{ns}.seeds"
    if key not in st.session_state:
        text = st.query_params.get("seeds", "1")
        ok = text.strip().isdigit() and 1 <= int(text) <= MAX_SEEDS
        if not ok:
            st.warning(plain(f"Ignored the link's value seeds={text!r}: a whole number from 1 to {MAX_SEEDS}"),
                       icon=":material/link_off:")
        st.session_state[key] = int(text) if ok else 1
    return int((where or st.sidebar).number_input(
        "Seeds trained together", 1, MAX_SEEDS, key=key,
        help="k > 1: seeds seed, seed+1, ..., seed+k-1 train together (one batched model where the experiment "
             "has one) and every metric reads as the mean (range) over them; the pictures show the first seed"))


def seed_line(snap: dict, label: Callable[[str], str] | None = None, prefix: str = "", fmt: str = ".3g",
              where=None) -> None:
    """Under a page's read-outs: each number as mean (range) over the seeds trained together
    (snapshot["seeds"], lab.seeds.Seeds), so an effect can be told from one seed's luck. Names
    are the experiment's (its SeedSpec labels) unless `label` gives them; `prefix` names the run."""
    seeds = snap.get("seeds")
    if not seeds or seeds["k"] < 2:
        return
    name = label or (lambda k: seeds.get("labels", {}).get(k, k))
    label = lambda k: prefix + name(k)  # noqa: E731
    def span(v: dict) -> str:       # "7-8", but "-505 to -490" (a dash between negatives misreads)
        sep = "-" if v["min"] >= 0 else " to "
        return f"{v['min']:{fmt}}{sep}{v['max']:{fmt}}"

    # A number no seed has measured yet (NaN, e.g. a Fréchet score before its first step) is left out.
    parts = [f"{label(k)} {v['mean']:{fmt}} ({span(v)})" for k, v in seeds["stats"].items() if v["mean"] == v["mean"]]
    if parts:
        (where or st).caption(f"Over {seeds['k']} seeds, mean (range): " + "; ".join(parts))
