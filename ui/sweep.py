"""What the Sweep page draws that is not a figure: the experiment box and the ready-made sweep box
(a preset sets every widget; a link's `preset=` picks one, which is how the page's lesson steps
choose theirs), the grid's cell box and the heat map's click, and the links that open a member
alone on its own page. Presentation only; the sweeps themselves are lab.sweep's."""
from __future__ import annotations

import dataclasses

import streamlit as st

from lab.config import from_strings, to_strings
from lab.sweep import axes as ax
from lab.sweep import figures as figs
from lab.sweep import kinds as registry
from lab.sweep import presets


def experiment_box(ns: str, kinds: dict):
    """The experiment to sweep, first from the link's `experiment=` (a bad name is named in a
    warning and the first experiment opens)."""
    from ui import plain
    ss, first = st.session_state, next(iter(kinds))
    if f"{ns}.experiment" not in ss:
        asked = st.query_params.get("experiment", first)
        if asked not in kinds:
            st.warning(plain(f"Ignored the link's value experiment={asked!r}: sweeps exist for {', '.join(kinds)}"),
                       icon=":material/link_off:")
        ss[f"{ns}.experiment"] = asked if asked in kinds else first
    name = st.sidebar.selectbox("Experiment", list(kinds), format_func=lambda n: kinds[n].label, key=f"{ns}.experiment")
    return name, kinds[name]


def _apply_lesson(kind, wns: str, metric_key: str) -> None:
    """on_change of the ready-made sweep box: every widget takes the preset's value (the rest the
    defaults; a recipe key left to the recipe shows the recipe's value)."""
    ss = st.session_state
    lesson = kind.presets.get(ss[f"{wns}.preset"])
    if lesson is None:
        return
    cfg = from_strings(kind.config, presets.strings(lesson))
    resolved = cfg.train() if hasattr(cfg, "train") else cfg
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        ss[f"{wns}.{f.name}"] = getattr(resolved, f.name) if value is None and hasattr(resolved, f.name) else value
    ss[metric_key] = lesson.metric


def preset_from_url(name: str, kind, wns: str, metric_key: str) -> None:
    """A link's `preset=` (a lesson step's, or the address bar's once a preset was chosen) picks that
    preset as the box does. Its keys become the link's, the link's own keys on top, so that
    ui.url.config_from_url reads them as any link (and warns about a bad one). Only where this
    experiment reads the link for the first time and the link is this experiment's: switching
    the experiment box keeps the other experiment's preset out. A name that is not one of this
    experiment's presets is named in a warning, and the page opens without it."""
    from ui import plain
    ss, q = st.session_state, st.query_params
    asked = q.get("preset")
    if asked is None or f"{wns}.url_config" in ss or q.get("experiment", next(iter(registry.KINDS))) != name:
        return
    if asked not in kind.presets:
        st.warning(plain(f"Ignored the link's value preset={asked!r}: the ready-made sweeps of {kind.label} are "
                         f"{', '.join(kind.presets)}"), icon=":material/link_off:")
        return
    lesson = kind.presets[asked]
    q.from_dict({**presets.strings(lesson), **{k: v for k, v in q.to_dict().items() if k != "preset"}})
    ss[f"{wns}.preset"], ss[metric_key] = asked, lesson.metric


def url_extra(name: str, kind, wns: str, cfg) -> dict[str, str]:
    """The link's keys besides the config's changed ones: the experiment (but the first), and the
    chosen preset, with each key it sets that now differs from it written out even where that is
    the default, so that the link reopens this very sweep (preset_from_url lays the link's keys
    over the preset's)."""
    ss = st.session_state
    out = {"experiment": name} if name != next(iter(registry.KINDS)) else {}
    chosen = kind.presets.get(ss.get(f"{wns}.preset"))
    if chosen is not None:
        sets = presets.strings(chosen)
        now, preset = (to_strings(c, only_changed=False) for c in (cfg, from_strings(kind.config, sets)))
        out |= {k: v for k, v in now.items() if k in sets and v != preset.get(k)} | {"preset": ss[f"{wns}.preset"]}
    return out


def lesson_box(kind, wns: str, metric_key: str):
    """The ready-made sweeps in the sidebar; returns the chosen one (a lab.sweep.presets.Preset) or
    None. Not called "Lesson": that is the page's lesson steps (ui.lesson), which pick these."""
    st.sidebar.selectbox("Ready-made sweep", ["custom", *kind.presets], key=f"{wns}.preset", on_change=_apply_lesson,
                         args=(kind, wns, metric_key),
                         format_func=lambda n: kind.presets[n].label if n in kind.presets else "Your own axes",
                         help="A sweep that answers one question; it sets the axes, the seeds and the settings")
    st.sidebar.caption("Keys: " + ", ".join(ax.sweepable(kind.config))
                       + ". Values: v1,v2,... or log:LOW:HIGH:COUNT (or lin:).")
    return kind.presets.get(st.session_state.get(f"{wns}.preset"))


def cell_box(ns: str, cells: list[dict], where=None) -> None:
    """The grid's cell, by its axis values (first axis first); a heat map click sets it too."""
    ss = st.session_state
    labels = [", ".join(f"{k}={ax.label(v)}" for k, v in reversed(c.items())) or "the base config" for c in cells]
    if ss.get(f"{ns}.cell", 0) >= len(cells):
        ss[f"{ns}.cell"] = 0
    elif ss.get(f"{ns}.cell_labels") != labels:
        # The browser keeps the box's last label, not its index: after a new grid (a lesson step, a
        # new axis) it went on showing the old grid's "the base config" over cell 0 of the new one.
        # Setting the value sends the new label with it.
        ss[f"{ns}.cell"] = ss.get(f"{ns}.cell", 0)
    ss[f"{ns}.cell_labels"] = labels
    (where or st).selectbox("Cell", range(len(cells)), key=f"{ns}.cell", help="Or click a cell of the heat map",
                            format_func=labels.__getitem__)


def pick_cell(ns: str) -> None:
    """on_select of the heat map: the clicked cell's marker carries the cell (lab.sweep.figures
    .clickable). A callback runs before the rerun, so the Cell box may still be set; the page
    is then rerun whole (`rerun_if_picked`), so that box shows it too."""
    ss = st.session_state
    points = ss[f"{ns}.heat"].selection.points
    if points:
        ss[f"{ns}.cell"] = int(points[0]["customdata"][0] if "customdata" in points[0] else points[0]["point_index"])
        ss[f"{ns}.picked"] = True


def rerun_if_picked(ns: str) -> None:
    if st.session_state.pop(f"{ns}.picked", False):
        st.rerun(scope="app")


def member_links(snap: dict, cell: int, kind, configs: list, most: int = 8) -> None:
    """"Open as a single run": each of the cell's seeds on its experiment's page, by its link."""
    members = figs.cell_members(snap, cell)[:most]
    cols = st.columns(len(members) + 1)
    cols[0].markdown("**Open as a single run:**")
    for col, m in zip(cols[1:], members):
        col.page_link(kind.page, label=f"seed {int(snap['seed'][m])}", query_params=kind.link_params(configs[m]),
                      icon=":material/open_in_new:")
