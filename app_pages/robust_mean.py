"""Robust mean estimation under contamination: medians, Tukey depth and GANs as robust estimators
(note 002; Gao, Liu, Yao, Zhu, ICLR 2019). The prose is in robust_mean.md beside this file."""
import pandas as pd
import streamlit as st

import ui
from lab.experiments.robust_mean import figures as F
from lab.experiments.robust_mean.config import Q_KEYS, RobustMeanConfig
from lab.experiments.robust_mean.estimators import ESTIMATORS, choose
from lab.experiments.robust_mean.run import RobustMeanRun
from lab.experiments.robust_mean.sweep import Sweep, SweepConfig
from lab.pool import Build
from lab.seeds import with_seeds

NS, SW = "rm", "rm.sw"


ss, text = st.session_state, ui.page_text(__file__)
ui.opening(NS, "Robust mean estimation: medians, Tukey depth and GANs", text)

u = ui.config_from_url(RobustMeanConfig, NS)
with st.sidebar:
    values = ui.config_widgets(RobustMeanConfig, NS, u, groups=("Data",))
    values |= ui.config_widgets(RobustMeanConfig, NS, u, keys=(*Q_KEYS[values["contamination"]], "seed"))
    n_seeds = ui.seeds_input(NS)
    st.header("Estimators")
    names = st.multiselect("Compute", list(ESTIMATORS), u.names(), key=f"{NS}.names", format_func=F.label)
    values |= ui.config_widgets(RobustMeanConfig, NS, u, groups=("Estimators",), headers=False)
    gan_box = st.expander("GAN recipe (Gao et al.'s settings)")
    values |= ui.config_widgets(RobustMeanConfig, NS, u, groups=("GAN",), where=gan_box, headers=False)
if not names:
    st.info("Pick at least one estimator in the sidebar.")
    st.stop()
values["estimators"], left_out = choose(names, values["p"])
if left_out:
    st.info(text["Tukey left out"].format(max_p=ESTIMATORS["tukey"].max_p, p=values["p"]), icon=":material/info:")
cfg = ui.build_config(RobustMeanConfig, ui.widgets.merged(u, values))
if cfg is not None:
    ui.sync_url(cfg, seeds=n_seeds)
    ui.recipe_note(cfg, where=gan_box)
    gan_box.caption(text["GAN recipe"])


def live_view(snaps: dict) -> None:
    snap = snaps["run"]
    m, heat = snap["metrics"], snap["heat"]
    numbers, figure = ui.lead_and_live()        # on a projector: the figures first, the numbers under them
    cols = numbers.columns(4)
    cols[0].metric("Generator steps", f"{snap['step']:,} / {snap['total']:,}")
    cols[1].metric("Outliers in the data", f"{m['outliers']:,} ({m['outliers'] / m['n']:.1%})")
    best = min(m["error"], key=m["error"].get)
    cols[2].metric(f"Smallest error: {F.label(best)}", f"{m['error'][best]:.3f}")
    if heat is not None:
        cols[3].metric("D ranks outliers above inliers", f"{m['outlier_auc'][heat['name']]:.3f}", help=text["AUC"])
    ui.seed_line(snap, lambda k: f"error of {F.label(k.removeprefix('error_'))}", where=numbers)
    left, right = figure.columns([3, 2])
    ui.chart(where=left, fig=F.scatter_figure(snap), key=f"{NS}.scatter")
    ui.chart(where=right, fig=F.errors_figure(m), key=f"{NS}.bars")
    if snap["trails"]:
        ui.chart(where=right, fig=F.history_figure(snap), key=f"{NS}.hist")


def sweep_view(snaps: dict) -> None:
    if not snaps:
        st.info(text["Sweep"])
        return
    s = snaps["sweep"]
    left = f", about {s['eta_seconds']:.0f} s left" if ui.playing(SW) and s["eta_seconds"] > 0 else ""
    st.progress(s["step"] / max(s["total"], 1), text=f"{s['cells_done']} of {s['cells']} cells{left}")
    ui.chart(F.sweep_figure(s), key=f"{SW}.fig")


tab_live, tab_sweep, tab_table = st.tabs(["Live estimate", "Error vs eps and p", "Comparison table"])
with tab_live:
    controls = ui.transport(NS, default_k=10, max_k=500)
    with st.spinner("Sampling the data and computing the classical estimators..."):
        runs = ui.keep_runs(NS, cfg and {"run": cfg}, lambda _, c: Build(
            with_seeds, "robust_mean", c, n_seeds, RobustMeanRun), reset=controls.reset, token=n_seeds)
    if not runs:
        st.stop()
    run = runs["run"]
    if controls.step:
        ui.step_runs(runs, controls.steps_per_tick)
    gans = run.gan_names
    if ss.get(f"{NS}.heat") not in gans:
        ss.pop(f"{NS}.heat", None)
    heat_of = st.radio("Heat map of the discriminator of", gans, horizontal=True, key=f"{NS}.heat",
                       format_func=F.label) if gans else None
    ui.live(NS, runs, live_view, k=controls.steps_per_tick, snapshot=lambda r: r.snapshot(heat_of=heat_of))
    last = ui.latest(NS)                 # the last tick's snapshots, for the buttons outside the fragment
    ui.downloads(NS, {"scatter": lambda: F.scatter_figure(last.snaps["run"]),
                      "errors": lambda: F.errors_figure(last.snaps["run"]["metrics"])},
                 lambda: last.snaps["run"]["metrics"], stem="robust_mean",
                 csv_rows=lambda: ui.rows_of({"run": last.snaps["run"]["history"]}), weights={"run": run.state_bytes})

with tab_sweep:
    row = st.container(horizontal=True, vertical_alignment="bottom")
    sv = ui.config_widgets(SweepConfig, SW, SweepConfig(), keys=["axis"], where=row)
    sv |= ui.config_widgets(SweepConfig, SW, SweepConfig(), keys=[f"{sv['axis']}_values", "reps", "n"], where=row)
    sweep_controls = ui.transport(SW, default_k=250, max_k=1000, step_label="Step")
    scfg = ui.build_config(SweepConfig, sv)
    sweeps = ui.keep_runs(SW, scfg and {"sweep": scfg}, lambda _, c: Build(Sweep, run.cfg, c),
                          reset=sweep_controls.reset, token=run.cfg)
    if sweep_controls.step:
        ui.step_runs(sweeps, sweep_controls.steps_per_tick)
    ui.live(SW, sweeps, sweep_view, k=sweep_controls.steps_per_tick, every=0.3)
    if sweeps:
        sweep = sweeps["sweep"]
        ui.downloads(SW, {"sweep": lambda s=sweep: F.sweep_figure(s.result())}, sweep.result,
                     stem=f"robust_sweep_{sweep.axis}", csv_rows=sweep.rows)

with tab_table:
    st.markdown(text["Table"])
    st.dataframe(pd.DataFrame(F.comparison_rows(run.metrics())), hide_index=True, width="stretch")

ui.things_to_try(text)
