"""Many runs at once: a phase diagram of configurations x seeds, trained live as one batched model."""
import pandas as pd
import streamlit as st

import ui
from lab.config import ConfigError, from_strings, to_strings
from lab.data import toy2d
from lab.experiments.mode_collapse.metrics import anchor_rows
from lab.gan.recipes import RECIPES
from lab.sweep import SweepConfig as Config, SweepRun, heatmap, presets
from lab.sweep import axes as ax
from lab.sweep import figures as figs

NS = "sweep"
MAX_MEMBERS = 4096         # a live page on a shared server; the command line takes what memory allows
METRICS = {"modes": "modes captured", "hq": "high-quality share", "reverse_kl": "reverse KL",
           "d_loss": "D loss", "g_loss": "G loss"}
LABELS = {"recipe": lambda r: RECIPES[r].label,
          "data": lambda d: toy2d.PRESETS[d]().label if d in toy2d.PRESETS else "your CSV (x,y): not in a sweep"}
text = ui.page_text(__file__)
ss = st.session_state

ui.opening(NS, "Sweeps: many runs at once", text, "How a sweep trains")


def apply_preset() -> None:
    """on_change of the lesson box: every widget takes the lesson's value (the rest the defaults)."""
    name = ss[f"{NS}.preset"]
    if name not in presets.PRESETS:
        return
    cfg = from_strings(Config, presets.strings(name))
    resolved = cfg.train()
    for key, value in cfg.__dict__.items():
        ss[f"{NS}.{key}"] = getattr(resolved, key) if value is None and hasattr(resolved, key) else value
    ss[f"{NS}.metric"] = presets.PRESETS[name].metric


url = ui.config_from_url(Config, NS)
with st.sidebar:
    st.selectbox("Lesson", ["custom", *presets.PRESETS], key=f"{NS}.preset", on_change=apply_preset,
                 format_func=lambda n: presets.PRESETS[n].label if n in presets.PRESETS else "Your own axes",
                 help="A sweep that answers one question; it sets the axes, the seeds and the settings")
    sweep = ui.config_widgets(Config, NS, url, groups=("Sweep",))
    st.caption("Keys: " + ", ".join(ax.SWEEPABLE) + ". Values: v1,v2,... or log:LOW:HIGH:COUNT (or lin:).")
    base = ui.config_widgets(Config, NS, url, groups=("Data", "Training", "Remedies"), labels=LABELS,
                             disabled=("unroll",))
    with st.expander("Architecture and optimiser"):
        base |= ui.config_widgets(Config, NS, url, groups=("Architecture",), where=st, headers=False)

lesson = presets.PRESETS.get(ss.get(f"{NS}.preset"))
if lesson:
    st.info(f"**{lesson.label}.** {lesson.question}", icon=":material/school:")
cfg = ui.build_config(Config, ui.widgets.merged(url, {**base, **sweep}))
if cfg is not None and cfg.data == "csv":
    st.warning("A sweep trains on the built-in data sets; your own points train on the Mode collapse page.",
               icon=":material/info:")
    cfg = None
if cfg is not None and cfg.n_members > MAX_MEMBERS:
    st.error(f"{cfg.n_members:,} members is more than this page trains at once ({MAX_MEMBERS:,}): use fewer "
             f"values or seeds, or `python -m lab sweep` on a bigger machine", icon=":material/error:")
    cfg = None
if cfg is not None:
    ui.sync_url(cfg)
    rows, cols = cfg.shape()
    st.caption(f"{cfg.n_members:,} members: {rows} x {cols} cells x {cfg.seeds} seed{'s' * (cfg.seeds > 1)}, "
               f"trained as one batched model per structure.")

controls = ui.transport(NS, default_k=50, max_k=2000)
runs = ui.keep_runs(NS, {"sweep": cfg} if cfg is not None else None, lambda _, c: SweepRun(c), controls.reset)
if not runs:
    st.stop()
run = runs["sweep"]
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)
c1, c2 = st.columns(2)
metric = c1.selectbox("Colour cells by", list(METRICS), format_func=METRICS.get, key=f"{NS}.metric")
cells = run.cfg.cells()
if ss.get(f"{NS}.cell", 0) >= len(cells):
    ss[f"{NS}.cell"] = 0
c2.selectbox("Cell", range(len(cells)), key=f"{NS}.cell", help="Or click a cell of the heat map",
             format_func=lambda i: ", ".join(f"{k}={ax.label(v)}" for k, v in reversed(cells[i].items())) or "the base config")


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
    for col, (label, value) in zip(st.columns(4), (
            ("Step", f"{s['step']:,} / {s['total']:,}"), ("Members", f"{s['members']:,}"),
            ("Model-steps per second", f"{speed:,.0f}" if speed else "-"), ("Device", s["device"].upper()))):
        col.metric(label, value)
    st.plotly_chart(figs.clickable(heatmap(s, metric)), key=f"{NS}.heat", on_select=pick_cell,
                    selection_mode="points")
    left, right = st.columns(2)
    left.plotly_chart(figs.cell_curves(s, cell, metric if metric in s["trace"] else "modes"), key=f"{NS}.curves")
    right.plotly_chart(figs.cell_samples(s, cell), key=f"{NS}.cell_samples")
    links = st.columns(min(8, s["seeds"]) + 1)
    links[0].markdown("**Open as a single run:**")
    for i, m in enumerate(figs.cell_members(s, cell)[:8]):
        links[i + 1].page_link("app_pages/mode_collapse.py", label=f"seed {int(s['seed'][m])}",
                               query_params=to_strings(run.configs[m]), icon=":material/open_in_new:")
    st.plotly_chart(figs.grid_samples(s), key=f"{NS}.grid")
    if lesson and lesson.anchors:
        st.markdown("**Measured here (mean over seeds) vs the paper** (their architecture, data and budget; ours "
                    "is the page's smaller one, so compare the ordering)")
        st.dataframe(pd.DataFrame(figs.anchor_table(s, anchor_rows(lesson.anchors))), hide_index=True,
                     width="stretch")


ui.live(NS, runs, body, k=controls.steps_per_tick)
latest = ui.latest(NS)
with st.expander("Export: members, summary, figures, weights"):
    ui.downloads(NS, {"heatmap": lambda: heatmap(latest.snaps["sweep"], metric),
                      "samples": lambda: figs.grid_samples(latest.snaps["sweep"])},
                 run.metrics, stem="sweep", csv_rows=run.member_metrics, csv_label="Members (CSV)", csv_name="members",
                 weights={"sweep": run.state_bytes})
st.caption(text["Live keys"])
ui.things_to_try(text)
