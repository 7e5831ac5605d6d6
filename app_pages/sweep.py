"""Many runs at once: a phase diagram of configurations x seeds, trained live as one batched model."""
import dataclasses

import pandas as pd
import streamlit as st

import ui
from lab.config import from_strings, spec
from lab.data import toy2d
from lab.experiments.mode_collapse.metrics import anchor_rows
from lab.gan.recipes import RECIPES
from lab.sweep import axes as ax
from lab.sweep import figures as figs
from lab.sweep import heatmap, kinds, presets

NS = "sweep"
MAX_MEMBERS = 4096         # a live page on a shared server; the command line takes what memory allows
LABELS = {"recipe": lambda r: RECIPES[r].label if r in RECIPES else r,
          "data": lambda d: toy2d.PRESETS[d]().label if d in toy2d.PRESETS else d}
text = ui.page_text(__file__)
ss = st.session_state

ui.opening(NS, "Sweeps: many runs at once", text, "How a sweep trains")
KINDS = kinds.all_kinds()
if f"{NS}.experiment" not in ss:
    asked = st.query_params.get("experiment", next(iter(KINDS)))
    if asked not in KINDS:
        st.warning(ui.plain(f"Ignored the link's value experiment={asked!r}: sweeps exist for {', '.join(KINDS)}"),
                   icon=":material/link_off:")
    ss[f"{NS}.experiment"] = asked if asked in KINDS else next(iter(KINDS))
name = st.sidebar.selectbox("Experiment", list(KINDS), format_func=lambda n: KINDS[n].label, key=f"{NS}.experiment")
kind = KINDS[name]
Config = kind.config
wns = f"{NS}.{name}"                # widget keys per experiment: one key's bounds differ between them


def apply_preset() -> None:
    """on_change of the lesson box: every widget takes the lesson's value (the rest the defaults)."""
    lesson = kind.presets.get(ss[f"{wns}.preset"])
    if lesson is None:
        return
    cfg = from_strings(Config, presets.strings(lesson))
    resolved = cfg.train() if hasattr(cfg, "train") else cfg
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        ss[f"{wns}.{f.name}"] = getattr(resolved, f.name) if value is None and hasattr(resolved, f.name) else value
    ss[f"{NS}.metric"] = lesson.metric


url = ui.config_from_url(Config, wns)
groups = list(dict.fromkeys(spec(Config, f.name).group for f in dataclasses.fields(Config)))
groups = [g for g in groups if g and g != "Sweep"]
with st.sidebar:
    st.selectbox("Lesson", ["custom", *kind.presets], key=f"{wns}.preset", on_change=apply_preset,
                 format_func=lambda n: kind.presets[n].label if n in kind.presets else "Your own axes",
                 help="A sweep that answers one question; it sets the axes, the seeds and the settings")
    sweep = ui.config_widgets(Config, wns, url, groups=("Sweep",))
    st.caption("Keys: " + ", ".join(ax.sweepable(Config)) + ". Values: v1,v2,... or log:LOW:HIGH:COUNT (or lin:).")
    base = ui.config_widgets(Config, wns, url, groups=groups[:-1], labels=LABELS, disabled=kind.fixed)
    with st.expander(f"{groups[-1]} (restart)"):
        base |= ui.config_widgets(Config, wns, url, groups=groups[-1:], where=st, headers=False, labels=LABELS,
                                  disabled=kind.fixed)

lesson = kind.presets.get(ss.get(f"{wns}.preset"))
if lesson:
    st.info(f"**{lesson.label}.** {lesson.question}", icon=":material/school:")
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
    ui.sync_url(cfg, {"experiment": name} if name != next(iter(KINDS)) else None)
    rows, cols = cfg.shape()
    st.caption(f"{cfg.n_members:,} members: {rows} x {cols} cells x {cfg.seeds} seed{'s' * (cfg.seeds > 1)}, "
               f"trained as one batched model per structure.")

controls = ui.transport(NS, default_k=50, max_k=2000)
runs = ui.keep_runs(NS, {"sweep": cfg} if cfg is not None else None, lambda _, c: kind.run(c), controls.reset, name)
if not runs or not isinstance(runs["sweep"], kind.run):
    st.stop()
run = runs["sweep"]
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)
c1, c2 = st.columns(2)
if ss.get(f"{NS}.metric") not in run.METRICS:
    ss[f"{NS}.metric"] = kind.first_metric(run.cfg)
metric = c1.selectbox("Colour cells by", list(run.METRICS), format_func=run.METRICS.get, key=f"{NS}.metric")
cells = run.cfg.cells()
if ss.get(f"{NS}.cell", 0) >= len(cells):
    ss[f"{NS}.cell"] = 0
c2.selectbox("Cell", range(len(cells)), key=f"{NS}.cell", help="Or click a cell of the heat map",
             format_func=lambda i: ", ".join(f"{k}={ax.label(v)}" for k, v in reversed(cells[i].items()))
             or "the base config")


def pick_cell() -> None:
    """A click on the heat map's cell marker selects that cell (a callback: before the rerun)."""
    points = ss[f"{NS}.heat"].selection.points
    if points:
        ss[f"{NS}.cell"] = int(points[0]["customdata"][0] if "customdata" in points[0] else points[0]["point_index"])
        ss[f"{NS}.picked"] = True          # the fragment reruns the page, so the Cell box shows it too


def body(snaps: dict) -> None:
    if ss.pop(f"{NS}.picked", False):
        st.rerun(scope="app")
    s = snaps["sweep"]
    cell = min(ss.get(f"{NS}.cell", 0), s["shape"][0] * s["shape"][1] - 1)
    clock = ss.get(f"{NS}.clock", {})
    speed = s["members"] / clock["per_step"] if clock.get("per_step") else None
    for col, (label, value, help_) in zip(st.columns(4), (
            (f"Step (of {s['total']:,})", f"{s['step']:,}", None), ("Members", f"{s['members']:,}", None),
            ("Model-steps/s", f"{speed:,.0f}" if speed else "-", "training steps per second, summed over the members"),
            ("Device", s["device"].upper(), None))):
        col.metric(label, value, help=help_)
    st.plotly_chart(figs.clickable(heatmap(s, metric)), key=f"{NS}.heat", on_select=pick_cell,
                    selection_mode="points")
    extra = kind.cell_figures(s, cell) if kind.cell_figures else []
    for col, (i, fig) in zip(st.columns(1 + len(extra)), enumerate([figs.cell_curves(s, cell, metric), *extra])):
        col.plotly_chart(fig, key=f"{NS}.cell.{i}")
    links = st.columns(min(8, s["seeds"]) + 1)
    links[0].markdown("**Open as a single run:**")
    for i, m in enumerate(figs.cell_members(s, cell)[:8]):
        links[i + 1].page_link(kind.page, label=f"seed {int(s['seed'][m])}",
                               query_params=kind.link_params(run.configs[m]), icon=":material/open_in_new:")
    if kind.grid_figure:
        st.plotly_chart(kind.grid_figure(s), key=f"{NS}.grid")
    if lesson and lesson.anchors:
        st.markdown("**Measured here (mean over seeds) vs the paper** (their architecture, data and budget; ours "
                    "is the page's smaller one, so compare the ordering)")
        papers = [row for where in lesson.anchors.split(",") for row in anchor_rows(where)]
        st.dataframe(pd.DataFrame(figs.anchor_table(s, papers)), hide_index=True,
                     width="stretch")


ui.live(NS, runs, body, k=controls.steps_per_tick)
latest = ui.latest(NS)
with st.expander("Export: members, summary, figures, weights"):
    ui.downloads(NS, {"heatmap": lambda: heatmap(latest.snaps["sweep"], metric)}
                 | ({"samples": lambda: kind.grid_figure(latest.snaps["sweep"])} if kind.grid_figure else {}),
                 run.metrics, stem=f"sweep_{name}", csv_rows=run.member_metrics, csv_label="Members (CSV)",
                 csv_name="members", weights={"sweep": run.state_bytes})
st.caption(text["Live keys"])
ui.things_to_try(text)
