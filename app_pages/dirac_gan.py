"""Failure to converge: the Dirac-GAN (Mescheder, Geiger, Nowozin 2018; note 004). Several
variants train side by side on one plane. The prose is in dirac_gan.md beside this file."""
import pandas as pd
import streamlit as st

import ui
from lab.config import ConfigError
from lab.experiments.dirac_gan import DiracConfig as Config, figures as figs, make_run
from lab.experiments.dirac_gan.config import PLAIN, VARIANTS, variant_config, variants_from_link
from lab.pool import Build
from lab.seeds import with_seeds

NS = "dirac"
text = ui.page_text(__file__)
ss = st.session_state
label = lambda name: VARIANTS[name].label  # noqa: E731

ui.opening(NS, "Failure to converge: the Dirac-GAN", text, "The formulas: the field, the Jacobians, the eigenvalues")

# ---- settings: the link gives the first values; every bound is the config's ------------------
url = ui.config_from_url(Config, NS)
if f"{NS}.variants" not in ss:       # the variants trained side by side, read once per session
    ss[f"{NS}.variants"], ss[f"{NS}.notes"] = variants_from_link(st.query_params.to_dict())
for note in ss[f"{NS}.notes"]:
    st.warning(ui.plain(note), icon=":material/link_off:")

with st.sidebar:
    chosen = st.multiselect("Variants", list(VARIANTS), key=f"{NS}.variants", format_func=label)
    values = ui.config_widgets(Config, NS, url, groups=("Training", "Start", "Regularisers"))
    n_seeds = ui.seeds_input(NS)
base = ui.build_config(Config, ui.widgets.merged(url, values) | PLAIN)
if base is not None:
    ui.sync_url(base, {"variants": ",".join(chosen)}, n_seeds)

if not chosen:
    st.info("Pick at least one variant in the sidebar.")
    st.stop()
controls = ui.transport(NS, default_k=20, max_k=1000)
cfgs = None
if base is not None:
    cfgs = {}
    for name in chosen:
        try:
            cfgs[name] = variant_config(base, name)
        except ConfigError as err:          # e.g. lr / 10 below lr's bound
            st.error(ui.plain(f"{label(name)}: {err}"), icon=":material/error:")
runs = ui.keep_runs(NS, cfgs, lambda name, cfg: Build(with_seeds, "dirac_gan", cfg, n_seeds, make_run), controls.reset,
                    n_seeds)
if not runs:
    st.stop()
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)
if ss.get(f"{NS}.field") not in runs:
    ss[f"{NS}.field"] = next(iter(runs))
arrows = st.selectbox("Arrows in the plane: one step of", list(runs), key=f"{NS}.field", format_func=label)


def body(snaps: dict) -> None:
    first = next(iter(snaps.values()))
    st.metric(f"Steps (of {first['steps']})", f"{max(s['step'] for s in snaps.values()):,}")
    for name, s in snaps.items():
        if s["stopped"]:
            st.caption(f"{label(name)}: {s['stopped']}.")
        ui.seed_line(s, prefix=f"{label(name)}: ")
    ui.chart(figs.plane(snaps, arrows), key=f"{NS}.plane")
    ui.chart(figs.radius(snaps), key=f"{NS}.radius")
    st.caption(text["Radius"])
    ui.chart(figs.eigenvalues(snaps), key=f"{NS}.eig")
    st.dataframe(pd.DataFrame(figs.table(snaps)), hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(format="%.4g")
                                for k in ("|λ| max", "measured rate", "radius now")})
    st.caption(text["Table"])


ui.live(NS, runs, body, k=controls.steps_per_tick)
st.caption(text["Live keys"])
latest = ui.latest(NS)          # the last drawn tick: finished arrays, read when a button is clicked
with st.expander("Export: figures, numbers, trajectories"):
    ui.downloads(NS, {"plane": lambda: figs.plane(latest.snaps, arrows),
                      "eigenvalues": lambda: figs.eigenvalues(latest.snaps), "radius": lambda: figs.radius(latest.snaps)},
                 lambda: {n: s["metrics"] for n, s in latest.snaps.items()}, stem="dirac_gan",
                 csv_rows=lambda: ui.rows_of({n: s["trajectory"] for n, s in latest.snaps.items()}, label="variant"),
                 csv_label="Trajectories (CSV)", csv_name="trajectories")
if any(p.file == "app_pages/gan1d.py" for p in ui.available_pages()):
    st.page_link("app_pages/gan1d.py", label="The GAN game in 1-D: the same game with a real generator",
                 icon=":material/show_chart:")
ui.things_to_try(text)
