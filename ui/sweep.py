"""What the Sweep page draws that is not a figure: the experiment and lesson boxes (a lesson sets
every widget), the grid's cell box and the heat map's click, and the links that open a member
alone on its own page. Presentation only; the sweeps themselves are lab.sweep's."""
from __future__ import annotations

import dataclasses

import streamlit as st

from lab.config import from_strings
from lab.sweep import axes as ax
from lab.sweep import figures as figs
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
    """on_change of the lesson box: every widget takes the lesson's value (the rest the defaults;
    a recipe key left to the recipe shows the recipe's value)."""
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


def lesson_box(kind, wns: str, metric_key: str):
    """The lesson box in the sidebar; returns the chosen lesson (a lab.sweep.presets.Preset) or None."""
    st.sidebar.selectbox("Lesson", ["custom", *kind.presets], key=f"{wns}.preset", on_change=_apply_lesson,
                         args=(kind, wns, metric_key),
                         format_func=lambda n: kind.presets[n].label if n in kind.presets else "Your own axes",
                         help="A sweep that answers one question; it sets the axes, the seeds and the settings")
    st.sidebar.caption("Keys: " + ", ".join(ax.sweepable(kind.config))
                       + ". Values: v1,v2,... or log:LOW:HIGH:COUNT (or lin:).")
    return kind.presets.get(st.session_state.get(f"{wns}.preset"))


def cell_box(ns: str, cells: list[dict], where=None) -> None:
    """The grid's cell, by its axis values (first axis first); a heat map click sets it too."""
    ss = st.session_state
    if ss.get(f"{ns}.cell", 0) >= len(cells):
        ss[f"{ns}.cell"] = 0
    (where or st).selectbox("Cell", range(len(cells)), key=f"{ns}.cell", help="Or click a cell of the heat map",
                            format_func=lambda i: ", ".join(f"{k}={ax.label(v)}" for k, v in reversed(cells[i].items()))
                            or "the base config")


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
