"""Wasserstein vs Jensen-Shannon on disjoint supports (note 004; Arjovsky et al. 2017 Example 1;
note 000 sec. 1.3 for instance noise). The prose is in disjoint.md beside this file."""
import dataclasses

import pandas as pd
import streamlit as st

import ui
from lab.config import field_type, spec
from lab.experiments.disjoint import DisjointConfig as Config, DisjointRun, figures as figs
from lab.experiments.disjoint.config import LABELS, OVERRIDES, RECIPES, SETUP_LABELS, recipes_from_link, scale_note
from lab.experiments.disjoint.trainer import sample_pair
from lab.pool import Build
from lab.seeds import with_seeds

NS = "disjoint"
text, ss = ui.page_text(__file__), st.session_state

ui.opening(NS, "Wasserstein vs Jensen-Shannon on disjoint supports", text,
           "More formulas: Kantorovich-Rubinstein, the Gaussian pair, instance noise")

# ---- settings: the link gives the first values; every bound is the config's ------------------
url = ui.config_from_url(Config, NS)
if f"{NS}.recipes" not in ss:       # the recipes trained side by side, read once per session
    ss[f"{NS}.recipes"], ss[f"{NS}.notes"] = recipes_from_link(st.query_params.to_dict())
for note in ss[f"{NS}.notes"]:
    st.warning(ui.plain(note), icon=":material/link_off:")


def every_recipe() -> dict:
    """The recipe keys, one value for every run; an empty box is each recipe's own value (so
    not ui.config_widgets, whose box always holds a number). Bounds and help: the config's."""
    out = {}
    for key in [f.name for f in dataclasses.fields(Config) if spec(Config, f.name).group == OVERRIDES]:
        s, num = spec(Config, key), field_type(Config, key)[0]
        out[key] = st.number_input(s.label, num(s.lo), num(s.hi), getattr(url, key), key=f"{NS}.{key}",
                                   format=s.fmt, help=s.help, placeholder="each recipe's own")
    return out


with st.sidebar:
    values = ui.config_widgets(Config, NS, url, groups=("Data",), labels={"setup": SETUP_LABELS.get},
                               disabled=() if ss.get(f"{NS}.setup", url.setup) == "gaussians" else ("sigma",))
    n_seeds = ui.seeds_input(NS)
    st.header("Training")
    chosen = st.multiselect("Recipes", RECIPES, key=f"{NS}.recipes", format_func=LABELS.get)
    values |= ui.config_widgets(Config, NS, url, groups=("Training",), headers=False)
    st.header(OVERRIDES)
    values |= every_recipe()
    with st.expander("Critic"):
        values |= ui.config_widgets(Config, NS, url, groups=("Critic",), where=st, headers=False)
base = ui.build_config(Config, ui.widgets.merged(url, values) | {"recipe": Config.recipe})
if base is not None:
    ui.sync_url(base, {"recipes": ",".join(chosen)}, n_seeds)
view = base or ss.get(f"{NS}.view") or Config()
ss[f"{NS}.view"] = view


def body(snaps: dict) -> None:
    """The live read-out of learning theta (ui.live, below)."""
    numbers, figure = ui.lead_and_live()    # on a projector: the trajectories first, the numbers under them
    for col, (label, value) in zip(numbers.columns(4), figs.headline(snaps)):
        col.metric(label, value)
    for name, s in snaps.items():
        ui.seed_line(s, prefix=f"{LABELS.get(name, name)}: ", where=numbers)
    ui.chart(figs.trajectories(snaps), key=f"{NS}.traj", where=figure)
    ui.chart(figs.across_gap(snaps), key=f"{NS}.gap")
    st.dataframe(pd.DataFrame(figs.table(snaps)), hide_index=True, width="stretch")
    st.caption(text["Push"])
    ui.chart(figs.samples(snaps), key=f"{NS}.pts")
    if earlier:
        ui.chart(figs.earlier(snaps), key=f"{NS}.earlier_fig")


# ---- the closed forms, then learning theta live; on a projector the live part comes first, so its
# Play and figure are on screen at 1024x768 (the closed forms pushed them to ~1,300 px) ---------
closed, learning = ui.lead_and_live()
with closed:
    st.subheader("The divergences as functions of theta")
    theta_view = st.slider("theta", -3.0, 3.0, min(3.0, max(-3.0, url.theta0)), 0.05, key=f"{NS}.theta_view")
    div_fig = figs.divergences(view.setup, view.sigma, theta_view)
    left, right = st.columns([2, 1])
    ui.chart(where=left, fig=div_fig, key=f"{NS}.div")
    ui.chart(where=right, fig=figs.plane(*sample_pair(view.setup, view.sigma, theta_view, 150, view.seed), theta_view),
             key=f"{NS}.plane")
    right.caption(text["Plane"])
    if view.setup == "gaussians":
        ui.chart(figs.gaussian_family(view.sigma, theta_view), key=f"{NS}.family")
        st.caption(text["Family"])

with learning:     # ---- live learning: a live key retunes in place, anything else restarts
    st.subheader("Learning theta live")
    with st.expander("What each recipe brings here"):
        st.markdown(text["Recipes"])
        for name in chosen:
            ui.recipe_note(dataclasses.replace(view, recipe=name))
            st.caption(f"This experiment's scale for {name}: {scale_note(name)}.")
    if not chosen:
        st.info("Pick at least one recipe in the sidebar.")
        st.stop()
    controls = ui.transport(NS, default_k=10, max_k=500)
    cfgs = None if base is None else {name: dataclasses.replace(base, recipe=name) for name in chosen}
    runs = ui.keep_runs(NS, cfgs, lambda name, cfg: Build(with_seeds, "disjoint", cfg, n_seeds, DisjointRun), controls.reset,
                        n_seeds)
    if not runs:
        st.stop()
    if controls.step:
        ui.step_runs(runs, controls.steps_per_tick)
    earlier = st.toggle("Show D and the critics at earlier steps", key=f"{NS}.earlier")
    ui.live(NS, runs, body, k=controls.steps_per_tick)
    st.caption(text["Live keys"])
latest = ui.latest(NS)          # the last drawn tick: finished arrays, read when a button is clicked
with st.expander("Export: figures, numbers, curves, weights"):
    ui.downloads(NS, {"trajectories": lambda: figs.trajectories(latest.snaps), "divergences": div_fig,
                      "gap": lambda: figs.across_gap(latest.snaps), "samples": lambda: figs.samples(latest.snaps),
                      "earlier": lambda: figs.earlier(latest.snaps)},
                 lambda: {n: s["metrics"] for n, s in latest.snaps.items()}, stem="disjoint",
                 csv_rows=lambda: ui.rows_of({n: s["history"] for n, s in latest.snaps.items()}, label="recipe"),
                 weights={n: run.state_bytes for n, run in runs.items()})
ui.things_to_try(text)
