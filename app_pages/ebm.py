"""Energy-based models (note 003): Langevin dynamics, score matching and the parts after them
(ui.ebm.PARTS), each with its own experiment, namespace and transport; the prose is in ebm.md
beside this file."""
import streamlit as st

import ui
from lab import experiments
from lab.pool import Build, experiment_run
from ui.ebm import PARTS, live_line, part_from_link, target_widget

text = ui.page_text(__file__)
ss = st.session_state

if "ebm.part" not in ss:
    ss["ebm.part"] = part_from_link()
shown = PARTS[ss.get("ebm.part") or "langevin"]            # the part this run draws: its formulas too
formulas = text["Formulas"] + ("\n\n" + text[shown.formulas] if shown.formulas else "")
ui.opening("ebm", "Energy-based models: from Langevin to diffusion", {**text, "Formulas": formulas},
           "The formulas: Langevin, MALA, score matching" + (f"; {shown.label}" if shown.formulas else "")
           + " (note 003's slips corrected)")
part = st.segmented_control("Part", list(PARTS), key="ebm.part", format_func=lambda k: PARTS[k].label,
                            label_visibility="collapsed") or "langevin"
p = PARTS[part]
exp = experiments.get(p.experiment)
Config, ns, run_ns = exp.config, p.ns, p.ns + ".run"
st.markdown(text[p.section])

# ---- settings: the link gives the first values; every bound is the config's ------------------
url = ui.config_from_url(Config, ns)
with st.sidebar:
    values = {"target": target_widget(ns, url)}
    if p.first:
        values |= ui.config_widgets(Config, ns, url, keys=p.first, headers=False, labels=p.labels)
    values |= ui.config_widgets(Config, ns, url, groups=p.groups)
cfg = ui.build_config(Config, ui.widgets.merged(url, values))
if cfg is not None:
    ui.sync_url(cfg, {"part": part})

# ---- live: a live key (step size, MALA, learning rate) retunes in place; anything else restarts
controls = ui.transport(run_ns, default_k=p.default_k, max_k=2000)
runs = ui.keep_runs(run_ns, None if cfg is None else {"run": cfg}, lambda name, c: Build(experiment_run, p.experiment, c), controls.reset)
if not runs:
    st.stop()
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)
ui.live(run_ns, runs, p.body(ns, text), k=controls.steps_per_tick)
st.caption(live_line(Config))

latest = ui.latest(run_ns)      # the last drawn tick: finished arrays, read when a button is clicked
with st.expander("Export: figures, numbers, curves, state"):
    ui.downloads(run_ns, {name: (lambda f=f: f(latest.snaps["run"])) for name, f in p.figures().items()},
                 lambda: {p.stem: latest.snaps["run"]["metrics"]}, stem=p.stem,
                 csv_rows=lambda: ui.rows_of({"run": latest.snaps["run"]["history"]}),
                 weights={"run": runs["run"].state_bytes})
ui.things_to_try({"Things to try": text[p.tries]})
