"""Many runs at once: a phase diagram of configurations x seeds, trained live as one batched model."""
import dataclasses

import pandas as pd
import streamlit as st

import ui
from lab.config import spec
from lab.data import toy2d
from lab.experiments.mode_collapse.metrics import anchor_rows
from lab.gan.recipes import RECIPES
from lab.pool import Build
from lab.sweep import figures as figs
from lab.sweep import heatmap, kinds
from ui import sweep as sweep_ui

NS = "sweep"
MAX_MEMBERS = 4096         # a live page on a shared server; the command line takes what memory allows
LABELS = {"recipe": lambda r: RECIPES[r].label if r in RECIPES else r,
          "data": lambda d: toy2d.PRESETS[d]().label if d in toy2d.PRESETS else d}
text = ui.page_text(__file__)
ss = st.session_state

ui.opening(NS, "Sweeps: many runs at once", text, "How a sweep trains")
name, kind = sweep_ui.experiment_box(NS, kinds.all_kinds())
Config = kind.config
wns = f"{NS}.{name}"                # widget keys per experiment: one key's bounds differ between them
sweep_ui.preset_from_url(name, kind, wns, f"{NS}.metric")      # a lesson step's link names a preset
url = ui.config_from_url(Config, wns)
groups = list(dict.fromkeys(spec(Config, f.name).group for f in dataclasses.fields(Config)))
groups = [g for g in groups if g and g != "Sweep"]
lesson = sweep_ui.lesson_box(kind, wns, f"{NS}.metric")
with st.sidebar:
    sweep = ui.config_widgets(Config, wns, url, groups=("Sweep",))
    base = ui.config_widgets(Config, wns, url, groups=groups[:-1], labels=LABELS, disabled=kind.fixed)
    with st.expander(f"{groups[-1]} (restart)"):
        base |= ui.config_widgets(Config, wns, url, groups=groups[-1:], where=st, headers=False, labels=LABELS,
                                  disabled=kind.fixed)

if lesson:
    st.info(f"**{lesson.label}.** {lesson.question}", icon=":material/quiz:")
cfg = ui.build_config(Config, ui.widgets.merged(url, {**base, **sweep}))
if cfg is not None and getattr(cfg, "data", None) == "csv":
    st.warning("A sweep trains on the built-in data sets; your own points train on the Mode collapse page.",
               icon=":material/info:")
    cfg = None
if cfg is not None and cfg.n_members > MAX_MEMBERS:
    st.error(f"{cfg.n_members:,} members is more than this page trains at once ({MAX_MEMBERS:,}): use fewer "
             f"values or seeds, or `python -m lab sweep` on a bigger machine", icon=":material/error:")
    cfg = None
if cfg is not None:
    ui.sync_url(cfg, sweep_ui.url_extra(name, kind, wns, cfg))
    rows, cols = cfg.shape()
    st.caption(f"{cfg.n_members:,} member{'s' * (cfg.n_members != 1)}: {rows} x {cols} cells x {cfg.seeds} seed{'s' * (cfg.seeds > 1)}, "
               f"trained as one batched model per structure.")

controls = ui.transport(NS, default_k=50, max_k=2000)
runs = ui.keep_runs(NS, {"sweep": cfg} if cfg is not None else None, lambda _, c: Build(kind.run, c), controls.reset, name)
if not runs or not isinstance(runs["sweep"].cfg, kind.config):
    st.stop()
run = runs["sweep"]
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)
c1, c2 = st.columns(2)
if ss.get(f"{NS}.metric") not in run.METRICS:
    ss[f"{NS}.metric"] = kind.first_metric(run.cfg)
metric = c1.selectbox("Colour cells by", list(run.METRICS), format_func=run.METRICS.get, key=f"{NS}.metric")
sweep_ui.cell_box(NS, run.cfg.cells(), where=c2)


def body(snaps: dict) -> None:
    sweep_ui.rerun_if_picked(NS)
    s = snaps["sweep"]
    cell = min(ss.get(f"{NS}.cell", 0), s["shape"][0] * s["shape"][1] - 1)
    clock = ss.get(f"{NS}.clock", {})
    speed = s["members"] / clock["per_step"] if clock.get("per_step") else None
    numbers, figure = ui.lead_and_live()        # on a projector: the heat map first, the numbers under it
    for col, (label, value, help_) in zip(numbers.columns(4), (
            (f"Step (of {s['total']:,})", f"{s['step']:,}", None), ("Members", f"{s['members']:,}", None),
            ("Model-steps/s", f"{speed:,.0f}" if speed else "-", "training steps per second, summed over the members"),
            ("Device", s["device"].upper(), None))):
        col.metric(label, value, help=help_)
    ui.chart(figs.clickable(heatmap(s, metric)), key=f"{NS}.heat", where=figure,
             on_select=lambda: sweep_ui.pick_cell(NS), selection_mode="points")
    extra = kind.cell_figures(s, cell) if kind.cell_figures else []
    for col, (i, fig) in zip(st.columns(1 + len(extra)), enumerate([figs.cell_curves(s, cell, metric), *extra])):
        ui.chart(where=col, fig=fig, key=f"{NS}.cell.{i}")
    sweep_ui.member_links(s, cell, kind, run.configs)
    grid = kind.grid_figure(s) if kind.grid_figure else None
    if isinstance(grid, str):                   # why this sweep has no such figure (too many cells, 2-D...)
        st.caption(grid)
    elif grid is not None:
        ui.chart(grid, key=f"{NS}.grid")
    if lesson and lesson.anchors:
        st.markdown("**Measured here (mean over seeds) vs the paper** (their architecture, data and budget; ours "
                    "is the page's smaller one, so compare the ordering)")
        papers = [row for where in lesson.anchors.split(",") for row in anchor_rows(where)]
        st.dataframe(pd.DataFrame(figs.anchor_table(s, papers)), hide_index=True, width="stretch")


ui.live(NS, runs, body, k=controls.steps_per_tick)
latest = ui.latest(NS)
with st.expander("Export: members, summary, figures, weights"):
    ui.downloads(NS, {"heatmap": lambda: heatmap(latest.snaps["sweep"], metric)}
                 | ({"cells": lambda: figs.as_figure(kind.grid_figure(latest.snaps["sweep"]))}
                    if kind.grid_figure else {}),
                 run.metrics, stem=f"sweep_{name}", csv_rows=run.member_metrics, csv_label="Members (CSV)",
                 csv_name="members", weights={"sweep": run.state_bytes})
st.caption(text["Live keys"])
ui.things_to_try(text)
