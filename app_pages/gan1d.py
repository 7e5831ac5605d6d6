"""The GAN game in 1-D: Goodfellow et al. 2014's Figure 1 with a real generator network (notes 000,
001, 002, 004). The prose is in gan1d.md beside this file."""
import streamlit as st

import ui
from lab.experiments.gan1d import Gan1dConfig as Config, figures as figs, make_run
from lab.experiments.gan1d.config import LABELS, PRIOR_LABELS, TARGET_LABELS, TARGETS, scale_note
from lab.pool import Build
from lab.seeds import with_seeds

NS = "gan1d"
text = ui.page_text(__file__)
ss = st.session_state

ui.opening(NS, "The GAN game in 1-D", text, "The formulas: D*, C(G), the push-forward, the two G losses")
dirac = next((p for p in ui.available_pages() if p.url_path == "dirac_gan"), None)
if dirac is not None:
    st.page_link(dirac.file, label=f"Next: {dirac.title}, a game that does not settle", icon=dirac.icon)

# ---- settings: the link gives the first values; every bound is the config's -------------------
url = ui.config_from_url(Config, NS)


def use_preset() -> None:
    """A preset fills the target box, which also takes any mixture typed into it."""
    ss[f"{NS}.target"] = ss[f"{NS}.preset"]


with st.sidebar:
    st.header("Data")
    st.selectbox("Target presets", list(TARGETS), index=None, format_func=TARGET_LABELS.get, key=f"{NS}.preset",
                 on_change=use_preset, placeholder="pick one, or type a mixture below")
    values = ui.config_widgets(Config, NS, url, groups=("Data",), labels={"prior": PRIOR_LABELS.get}, headers=False)
    n_seeds = ui.seeds_input(NS)
    values |= ui.config_widgets(Config, NS, url, groups=("Training",), labels={"recipe": LABELS.get})
    with st.expander("Networks and measuring"):
        values |= ui.config_widgets(Config, NS, url, groups=("Networks",), where=st, headers=False)
cfg = ui.build_config(Config, ui.widgets.merged(url, values))
if cfg is not None:
    ui.sync_url(cfg, seeds=n_seeds)
    ui.recipe_note(cfg, where=st.sidebar)
    st.sidebar.caption(f"This experiment's scale for {cfg.recipe}: {scale_note(cfg.recipe)}. {text['Recipes']}")

# ---- the game: a live key retunes in place, anything else restarts ---------------------------
controls = ui.transport(NS, default_k=50, max_k=1000)
runs = ui.keep_runs(NS, None if cfg is None else {"game": cfg},
                    lambda name, c: Build(with_seeds, "gan1d", c, n_seeds, make_run), controls.reset, n_seeds)
if not runs:
    st.stop()
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)


def body(snaps: dict) -> None:
    snap = snaps["game"]
    numbers, figure = ui.lead_and_live()        # on a projector: Figure 1 first, the numbers under it
    for col, (label, value) in zip(numbers.columns(3) * 2, figs.headline(snap)):    # two rows: fits 1024 px
        col.metric(label, value)
    ui.seed_line(snap, where=numbers)
    ui.chart(figs.figure1(snap), key=f"{NS}.figure1", where=figure)
    figure.caption(text["Figure"])
    ui.chart(figs.curves(snap), key=f"{NS}.curves")
    st.caption(text["Curves"])
    st.subheader("Saturation at the start: the two G losses")
    ui.chart(figs.saturation(snap), key=f"{NS}.saturation")
    st.caption(text["Saturation"])


ui.live(NS, runs, body, k=controls.steps_per_tick)
st.caption(text["Live keys"])
latest = ui.latest(NS)          # the last drawn tick: finished arrays, read when a button is clicked
with st.expander("Export: figures, numbers, curves, weights"):
    ui.downloads(NS, {"figure1": lambda: figs.figure1(latest.snaps["game"]),
                      "equilibrium": lambda: figs.curves(latest.snaps["game"]),
                      "saturation": lambda: figs.saturation(latest.snaps["game"])},
                 lambda: {n: s["metrics"] for n, s in latest.snaps.items()}, stem="gan1d",
                 csv_rows=lambda: ui.rows_of({n: s["history"] for n, s in latest.snaps.items()}),
                 weights={n: run.state_bytes for n, run in runs.items()})
ui.things_to_try(text)
