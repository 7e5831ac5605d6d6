"""Discriminators: perfect vs Lipschitz (note 000 sec. 1.2-1.3.1, note 004)."""
import dataclasses

import streamlit as st

import ui
from lab.config import spec
from lab.experiments.discriminator import DiscriminatorConfig as Config
from lab.experiments.discriminator import figures as figs
from lab.experiments.discriminator.config import critics_from_link

NS, CUSTOM, CHART = "disc", "Custom (type below)", dict(config={"displaylogo": False}, theme=None)
LABELS = {"objective": lambda o: {"auto": "auto: minimax for D, Wasserstein for critics"}.get(o, o)}
text = ui.page_text(__file__)
ss = st.session_state

ui.opening(NS, "Discriminators: perfect vs Lipschitz", text)
# Drawn even while closed, and before torch loads: the browser fetches and compiles its plotting
# code (~1 s on 2 cores) for this chart while the server imports torch.
with st.expander("Why the minimax signal dies: the generator's two losses (note 002)"):
    st.markdown(text["The generator's two losses"])
    ui.chart(figs.generator_losses_figure(), key=f"{NS}.g_losses", **CHART)

# torch (~1.4 s) loads only now, with everything above already on screen.
from lab.experiments.discriminator.run import DiscriminatorRun  # noqa: E402
from lab.data.mixtures import PAIRS, PRESETS, pair_of, pairs  # noqa: E402
from lab.gan.lipschitz import CONSTRAINTS  # noqa: E402
from lab.pool import Build  # noqa: E402
from lab.seeds import with_seeds  # noqa: E402


def on_pair() -> None:
    if ss[f"{NS}.pair"] != CUSTOM:
        ss[f"{NS}.real"], ss[f"{NS}.fake"] = (PRESETS[name] for name in PAIRS[ss[f"{NS}.pair"]])


def on_dim() -> None:
    ss[f"{NS}.pair"] = pairs(ss[f"{NS}.dim"])[0]
    on_pair()


url = ui.config_from_url(Config, NS)
if f"{NS}.critics" not in ss:         # first visit: the link gives the first values
    ss[f"{NS}.critics"], ss[f"{NS}.critics_note"] = critics_from_link(st.query_params.get("critics", ""), url.constraint)
    ss[f"{NS}.real"], ss[f"{NS}.fake"] = url.mixture("real").to_spec(), url.mixture("fake").to_spec()
    ss[f"{NS}.dim"], ss[f"{NS}.pair"] = url.dim, pair_of(url.mixture("real"), url.mixture("fake")) or CUSTOM
    on_pair()                         # a preset's own text, e.g. N(2,0.5)
if ss[f"{NS}.critics_note"]:
    st.warning(ui.plain(ss[f"{NS}.critics_note"]), icon=":material/link_off:")


with st.sidebar:
    st.header("Data")
    dims = list(range(int(spec(Config, "dim").lo), int(spec(Config, "dim").hi) + 1))
    dim = st.radio("Dimension", dims, key=f"{NS}.dim", horizontal=True, on_change=on_dim, format_func=lambda d: f"{d}-D")
    st.selectbox("Preset", pairs(dim) + [CUSTOM], key=f"{NS}.pair", on_change=on_pair)
    values = ui.config_widgets(Config, NS, url, groups=("Data",), headers=False)
    st.header("Discriminators")
    n_seeds = ui.seeds_input(NS)
    critics = st.multiselect("Train", CONSTRAINTS, key=f"{NS}.critics", format_func=lambda c: figs.STYLE[c][0])
    values |= ui.config_widgets(Config, NS, url, groups=("Discriminators",), labels=LABELS, headers=False)
    arrow_loss = "minimax" if dim == 1 else st.radio(
        "Arrows for D and D* use", ["minimax", "ns"], horizontal=True, key=f"{NS}.arrows",
        format_func=lambda k: {"minimax": "minimax loss", "ns": "non-saturating"}[k])
    show_dstar = st.checkbox("Show the exact optima D* (and D*_LS)", True, key=f"{NS}.show_dstar")

cfg = ui.build_config(Config, ui.widgets.merged(url, {**values, "dim": dim}))
if not critics:
    st.info("Pick at least one discriminator to train in the sidebar.")
    st.stop()
if cfg is not None:
    ui.sync_url(dataclasses.replace(cfg, constraint="none"), {"critics": ",".join(critics)}, n_seeds)
controls = ui.transport(NS, default_k=25, max_k=2000)
runs = ui.keep_runs(NS, None if cfg is None else {c: dataclasses.replace(cfg, constraint=c) for c in critics},
                    lambda c, cfg: Build(with_seeds, "discriminator", cfg, n_seeds, DiscriminatorRun),
                    controls.reset, n_seeds)
if not runs:
    st.stop()
if controls.step:
    ui.step_runs(runs, controls.steps_per_tick)


def body(snaps: dict) -> None:
    first = next(iter(snaps.values()))
    m = first["metrics"]
    if first["dim"] == 1:
        # p, p_G and the samples never change while D trains: the same figure each tick keeps
        # the same element, which the browser does not redraw (it was half of each redraw).
        cache = ss.setdefault(f"{NS}.densities", {})
        if cache.get("p") is not first["p"]:          # new runs, new arrays
            cache.update(p=first["p"], fig=figs.densities_figure(first))
        ui.chart(cache["fig"], key=f"{NS}.densities", **CHART)
    ui.chart(figs.figure(snaps, arrow_loss, show_dstar, densities=False), key=f"{NS}.fig", **CHART)
    # The numbers under the figure: above it they pushed the live D(x) panel below the fold at 1400x900.
    for col, (label, value, note) in zip(st.columns(5), figs.headline(m)):
        col.metric(label, value, help=note)
    st.markdown(figs.table(snaps))
    for c, s in snaps.items():
        ui.seed_line(s, prefix=f"{figs.STYLE[c][0]}: ")
    st.caption(text["Reading the numbers"].format(**m))


# 2-D: five heat maps cost the browser ~150 ms a redraw, so it draws ~3 a second whatever the
# timer; a 0.3 s timer leaves the ticks that time for training. Two panels keep up with 0.2 s.
panels = len(runs) + bool(show_dstar)
ui.live(NS, runs, body, k=controls.steps_per_tick, every=0.2 if dim == 1 or panels <= 2 else 0.3)

# Drawn only while open (a closed expander still costs the browser a hidden chart). The buttons
# read the last drawn tick when clicked (finished arrays, never a net in training).
more = st.expander("Loss curves and export", key=f"{NS}.more", on_change="rerun")
if more.open:
    with more:
        if controls.playing:
            st.caption("These curves stand still while playing; they catch up when you pause.")
        latest = ui.latest(NS)
        ui.chart(figs.loss_figure(latest.snaps), key=f"{NS}.loss", **CHART)
        ui.downloads(NS, {"discriminators": lambda: figs.figure(latest.snaps, arrow_loss, show_dstar)},
                     lambda: {c: s["metrics"] for c, s in latest.snaps.items()}, stem="discriminators",
                     csv_rows=lambda: ui.rows_of({c: s["history"] for c, s in latest.snaps.items()}, label="critic"))
ui.things_to_try(text)
