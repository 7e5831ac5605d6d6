"""Mode collapse on 2-D mixtures, and what cures it (note 004; note 001 Alg. 1; note 002)."""
import hashlib

import pandas as pd
import streamlit as st

import ui
from lab.config import ConfigError, from_strings_lenient, to_strings
from lab.data import toy2d
from lab.experiments.mode_collapse import ModeCollapseConfig as Config, ModeCollapseRun
from lab.experiments.mode_collapse import figures as figs
from lab.gan.recipes import RECIPES
from lab.pool import Build
from lab.sweep import seeded

NS = "mc"
AB_KEYS = ("recipe", "constraint", "lr_d", "lr_g", "d_steps", "unroll", "pac", "instance_noise")  # what B may vary
LABELS = {"recipe": lambda r: RECIPES[r].label,
          "data": lambda d: toy2d.PRESETS[d]().label if d in toy2d.PRESETS else "your CSV (x,y)"}
text = ui.page_text(__file__)
ss = st.session_state

ui.opening(NS, "Mode collapse, and what cures it", text, "The formulas and the metrics")

# ---- settings: the link gives the first values; every widget's bounds are the config's -------
url = ui.config_from_url(Config, NS)
b_url, _ = from_strings_lenient(Config, {k[2:]: v for k, v in st.query_params.items() if k.startswith("b_")})
with st.sidebar:
    common = ui.config_widgets(Config, NS, url, groups=("Data",), labels=LABELS)
    n_seeds = ui.seeds_input(NS)
    upload = st.file_uploader("CSV of x,y rows", type=["csv", "txt"], key=f"{NS}.csv") if common["data"] == "csv" else None
    if common["data"] == "csv":
        common |= ui.config_widgets(Config, NS, url, keys=("csv_modes",))
    st.header("Training (A)")
    a_vals = ui.config_widgets(Config, NS, url, groups=("Training", "Remedies"), labels=LABELS, headers=False)
    with st.expander("Architecture and optimiser (restart)"):
        common |= ui.config_widgets(Config, NS, url, groups=("Architecture",), where=st, headers=False)
    ab = st.toggle("A/B: a second configuration", st.query_params.get("ab") == "1", key=f"{NS}.ab")
    if ab:
        st.header("Training (B)")
        b_base = b_url if "b_recipe" in st.query_params or "b_loss" in st.query_params else Config(pac=2)
        b_vals = ui.config_widgets(Config, f"{NS}.b", b_base, keys=AB_KEYS, labels=LABELS)

points, token, bad_csv = None, None, False
if common["data"] == "csv":
    if upload is None:
        st.info("Upload a CSV file of x,y rows in the sidebar (one point per row; a header line is fine).")
        st.stop()
    try:
        points = toy2d.parse_points_csv(upload.getvalue())
        token = hashlib.sha1(upload.getvalue()).hexdigest()       # same file, same run
    except ConfigError as err:
        st.error(ui.plain(f"Your CSV: {err}"), icon=":material/error:")
        bad_csv = True
wanted = {"A": {**a_vals, **common}} | ({"B": {**a_vals, **b_vals, **common}} if ab else {})
cfgs = {name: ui.build_config(Config, ui.widgets.merged(url, v)) for name, v in wanted.items()}
if bad_csv or any(c is None for c in cfgs.values()):
    cfgs = None                    # st.error shown; the last good runs stay
else:
    b_link = {f"b_{k}": v for k, v in to_strings(cfgs["B"], only_changed=False).items() if k in AB_KEYS} if ab else {}
    ui.sync_url(cfgs["A"], {"ab": "1", **b_link} if ab else None, n_seeds)
    for name, cfg in cfgs.items():
        ui.recipe_note(cfg, where=st.sidebar.container() if name == "A" else st.sidebar)

# ---- runs: a live key retunes in place, anything else restarts ------------------------------
controls = ui.transport(NS, default_k=100, max_k=2000)
c1, c2, c3 = st.columns([1, 1, 3], vertical_alignment="bottom")
step_d = c1.button("D only", key=f"{NS}.step_d", icon=":material/shield:", width="stretch",
                   help="One update of D alone (G frozen), as GAN Lab's step buttons")
step_g = c2.button("G only", key=f"{NS}.step_g", icon=":material/brush:", width="stretch",
                   help="One update of G alone (D frozen)")
show_arrows = c3.toggle("Show G's gradient arrows", True, key=f"{NS}.arrows")
runs = ui.keep_runs(NS, cfgs, lambda name, cfg: Build(seeded, cfg, n_seeds, points) if n_seeds > 1
                   else Build(ModeCollapseRun, cfg, points), controls.reset, (token, n_seeds))
if not runs:
    st.stop()
for pressed, k, which in ((controls.step, controls.steps_per_tick, "both"), (step_d, 1, "d"), (step_g, 1, "g")):
    if pressed:
        ui.step_runs(runs, k, which=which)


def body(snaps: dict) -> None:
    for col, (name, s) in zip(st.columns(len(snaps)), snaps.items()):
        one = len(snaps) == 1
        for cell, (label, value, help) in zip(col.columns(4 if one else 2) * 2, figs.read_out(s)):
            cell.metric(label, value, help=help)
        ui.seed_line(s, where=col)
        left, right = col.columns(2) if one else (col, col)
        ui.chart(where=left, fig=figs.scatter(s, show_arrows, title=f"{name}: {figs.headline(runs[name].cfg, s)}"),
                 key=f"{NS}.scatter.{name}")
        ui.chart(where=right, fig=figs.coverage(s), key=f"{NS}.coverage.{name}")
        ui.chart(where=right, fig=figs.curves(s, compact=not one), key=f"{NS}.curves.{name}")
        ui.chart(where=col, fig=figs.strip(s, figs.strip_steps(s, ss.get(f"{NS}.strip", ""), n=5 if one else 3)),
                 key=f"{NS}.strip.{name}")
    st.markdown("**Measured here vs the literature** (each row with its own set-up; the papers trained far longer)")
    rows = [{**r, "reverse_kl": "not reported" if r["reverse_kl"] is None else figs.fmt(r["reverse_kl"])}
            for r in figs.anchor_table(snaps)]       # a paper without the number said "None"
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "hq": st.column_config.NumberColumn("high quality", format="percent"),
        "reverse_kl": "reverse KL (nats)", "setup": "set-up"})


ui.live(NS, runs, body, k=controls.steps_per_tick)
st.text_input("Snapshot strip at steps (comma list; empty = evenly spaced)", key=f"{NS}.strip",
              placeholder="e.g. 0, 1000, 2000, 4000")
latest = ui.latest(NS)          # the last drawn tick: finished arrays, read when a button is clicked
with st.expander("Export: figures, numbers, curves, weights"):
    ui.downloads(NS, {"scatter": lambda: figs.scatter(next(iter(latest.snaps.values()))),
                      "anchors": lambda: figs.metrics_vs_anchors(latest.snaps)},
                 lambda: {n: s["metrics"] for n, s in latest.snaps.items()}, stem="mode_collapse",
                 csv_rows=lambda: ui.rows_of({n: s["history"] for n, s in latest.snaps.items()}),
                 weights={n: run.state_bytes for n, run in runs.items()})
st.caption(text["Live keys"])
ui.things_to_try(text)
