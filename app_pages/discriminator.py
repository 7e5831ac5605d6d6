"""Discriminators: perfect vs Lipschitz (note 000 sec. 1.2-1.3.1, note 004)."""
import dataclasses

import streamlit as st

import ui
from lab.figures.discriminator import STYLE, densities_figure, figure, generator_losses_figure, loss_figure

NS = "disc"
CUSTOM = "Custom (type below)"
PAGE_CAP = 30_000  # steps per discriminator before Play stops by itself
PLOTLY_CONFIG = {"displaylogo": False}

st.title("Discriminators: perfect vs Lipschitz")
st.markdown(
    "The generator is frozen at **p_G** (orange); only the discriminator learns. Trained without "
    "constraint on the minimax loss it tends to the optimal **D\\*** (red), which is flat wherever "
    "the fakes are when the bumps are apart: the generator gets no signal (the notes' Figure 1). "
    "A **Lipschitz critic** trained on the Wasserstein loss keeps a slope to follow (Figure 2).")
# Rendered only while open: the formulas' KaTeX cost a browser meeting the app for the first time
# ~0.2 s of its start-up (issue 2).
formulas = st.expander("The formulas", key=f"{NS}.formulas", on_change="rerun")
if formulas.open:
    with formulas:
        st.latex(r"D^*(x)=\frac{p(x)}{p(x)+p_G(x)},\qquad \max_D V(D,G)=2\,\mathrm{JS}(p\,\|\,p_G)-\log 4")
        st.latex(r"W_1(p,p_G)=\sup_{\|f\|_L\le 1}\ \mathbb{E}_p f-\mathbb{E}_{p_G} f,\qquad "
                 r"\text{GP: }\lambda\,\mathbb{E}\big(\|\nabla_x f(\hat x)\|_2-1\big)^2")
        st.markdown("Generator's signal at a fake x: minimax loss log(1 - D(x)), non-saturating "
                    "-log D(x), Wasserstein -f(x); the arrows and the bottom panel show -d loss / dx.")
# Drawn even while closed, and before torch loads: the browser fetches and compiles its plotting
# code (~1 s on 2 cores) for this chart while the server imports torch.
with st.expander("Why the minimax signal dies: the generator's two losses (note 002)"):
    st.markdown("Early in training D spots the fakes, D(G(z)) ~ 0. There the minimax loss log(1 - D) "
                "is nearly flat, so G learns least from its worst samples; the non-saturating -log D "
                "(the log D trick) has the same fixed point and is steep exactly there.")
    st.plotly_chart(generator_losses_figure(), key=f"{NS}.g_losses", config=PLOTLY_CONFIG, theme=None)

# torch (~1.4 s here) is imported only now. Everything above is on screen by then, and the
# browser loads its plotting code for the figure above while it imports, instead of after
# (issue 2's start-up).
from lab.experiments.discriminator import DiscriminatorConfig, DiscriminatorRun  # noqa: E402
from lab.data.mixtures import PAIRS, PRESETS  # noqa: E402

# ---- settings (the URL gives the first values) ---------------------------------------------
url_cfg = ui.config_from_url(DiscriminatorConfig, NS)
url_critics = [c for c in st.query_params.get("critics", "none,clip,gp,sn").split(",") if c in STYLE]
ss = st.session_state
if f"{NS}.dim" not in ss:
    ss[f"{NS}.dim"] = url_cfg.dim
    ss[f"{NS}.real"] = url_cfg.mixture("real").to_spec()
    ss[f"{NS}.fake"] = url_cfg.mixture("fake").to_spec()
    match = [k for k, (r, f) in PAIRS.items()
             if (PRESETS[r], PRESETS[f]) == (url_cfg.real or r, url_cfg.fake or f)
             or (not url_cfg.real and not url_cfg.fake and (r, f) == ("fig1_real", "fig1_fake") and url_cfg.dim == 1)
             or (not url_cfg.real and not url_cfg.fake and (r, f) == ("apart2d_real", "apart2d_fake") and url_cfg.dim == 2)]
    ss[f"{NS}.pair"] = match[0] if match else CUSTOM
    ss[f"{NS}.critics"] = url_critics or ["none"]


def pairs_for(dim: int) -> list[str]:
    return [k for k in PAIRS if k.startswith("2-D") == (dim == 2)]


def on_pair() -> None:
    if ss[f"{NS}.pair"] != CUSTOM:
        real, fake = PAIRS[ss[f"{NS}.pair"]]
        ss[f"{NS}.real"], ss[f"{NS}.fake"] = PRESETS[real], PRESETS[fake]


def on_dim() -> None:
    ss[f"{NS}.pair"] = pairs_for(ss[f"{NS}.dim"])[0]
    on_pair()


with st.sidebar:
    st.header("Data")
    dim = st.radio("Dimension", [1, 2], key=f"{NS}.dim", horizontal=True, on_change=on_dim,
                   format_func=lambda d: f"{d}-D")
    st.selectbox("Preset", pairs_for(dim) + [CUSTOM], key=f"{NS}.pair", on_change=on_pair)
    example = "0.3*N(-2,0.5)+0.7*N(1.5,0.3)" if dim == 1 else "0.5*N((0,0),0.5)+0.5*N((2,1),0.3)"
    real = st.text_input("Real p", key=f"{NS}.real", help=f"weight*N(mean,std) terms, e.g. {example}")
    fake = st.text_input("Generated p_G", key=f"{NS}.fake", help=f"e.g. {example}")
    n_samples = st.number_input("Samples shown", 10, 5000, url_cfg.n_samples, step=50, key=f"{NS}.n")
    seed = st.number_input("Seed", 0, 2**31 - 1, url_cfg.seed, key=f"{NS}.seed")
    st.header("Discriminators")
    critics = st.multiselect("Train", list(STYLE), key=f"{NS}.critics", format_func=lambda c: STYLE[c][0])
    width = st.number_input("Width", 1, 512, url_cfg.width, key=f"{NS}.width")
    depth = st.number_input("Hidden layers", 0, 6, url_cfg.depth, key=f"{NS}.depth")
    lr = st.number_input("Learning rate (Adam)", 1e-5, 0.1, url_cfg.lr, format="%.4f", key=f"{NS}.lr")
    clip = st.number_input("Clip value c", 1e-3, 1.0, url_cfg.clip, format="%.3f", key=f"{NS}.clip")
    gp_lambda = st.number_input("Penalty lambda", 0.0, 100.0, url_cfg.gp_lambda, key=f"{NS}.gp")
    if dim == 2:
        arrow_loss = st.radio("Arrows for D and D* use", ["minimax", "ns"], horizontal=True, key=f"{NS}.arrows",
                              format_func=lambda k: {"minimax": "minimax loss", "ns": "non-saturating"}[k])
    show_dstar = st.checkbox("Show exact D*", True, key=f"{NS}.show_dstar")

cfg = ui.build_config(DiscriminatorConfig, NS, dict(
    dim=dim, real=real, fake=fake, n_samples=int(n_samples), seed=int(seed), width=int(width),
    depth=int(depth), lr=float(lr), clip=float(clip), gp_lambda=float(gp_lambda),
    steps=url_cfg.steps, batch=url_cfg.batch, activation=url_cfg.activation))
if not critics:
    st.info("Pick at least one discriminator to train in the sidebar.")
    st.stop()
if cfg is None:          # st.error already shown; keep the last good runs on screen
    cfg = ss.get(f"{NS}.cfg")
    if cfg is None:
        st.stop()
else:
    ui.sync_url(dataclasses.replace(cfg, critic="none"), {"critics": ",".join(critics)})

controls = ui.transport(NS, default_k=25, max_k=2000)
stale = ss.get(f"{NS}.cfg") != cfg or sorted(ss.get(f"{NS}.runs", {})) != sorted(critics)
if controls.reset or stale:
    ss[f"{NS}.cfg"] = cfg
    ss[f"{NS}.runs"] = {c: DiscriminatorRun(dataclasses.replace(cfg, critic=c)) for c in critics}
runs = ss[f"{NS}.runs"]
if controls.step:
    for run in runs.values():
        run.advance(controls.steps_per_tick)


latest = ss.setdefault(f"{NS}.latest", {})   # the last drawn tick, for the export buttons


def table(snaps: dict) -> str:
    """The per-critic numbers as a Markdown table: it redraws every tick, and an interactive
    data grid cost the browser more than the figure did."""
    rows = ["| discriminator | estimate | Lipschitz constant (measured) | median signal at fakes | sup \\|D - D\\*\\| |",
            "|---|---|---:|---:|---:|"]
    for c, s in snaps.items():
        m = s["metrics"]
        estimate = (f"JS from D = {m['js_from_d']:.4f}" if "js_from_d" in m
                    else f"W1 from critic = {m['w1_from_critic']:.4f}")
        gap = f"{m['sup_gap']:.4f}" if "sup_gap" in m else ""
        rows.append(f"| {STYLE[c][0]} | {estimate} | {m['lipschitz']:.3f} | "
                    f"{m.get('signal_minimax', m.get('signal_w')):.2e} | {gap} |")
    return "\n".join(rows)


def live() -> None:
    ui.advance_while_playing(NS, runs, controls.steps_per_tick, PAGE_CAP)
    snaps = {c: runs[c].snapshot() for c in critics}
    latest["snaps"] = snaps
    first = next(iter(snaps.values()))["metrics"]
    cols = st.columns(5)
    cols[0].metric("Steps", f"{first['steps']:,}")
    cols[1].metric("JS exact (nats)", f"{first['js_exact']:.4f}", help="log 2 = 0.6931 when the supports are apart")
    cols[2].metric("W1 exact", f"{first['w1_exact']:.4f}" if "w1_exact" in first else "n/a in 2-D")
    cols[3].metric("KL(p || p_G)", f"{first['kl_exact']:.3g}")
    cols[4].metric("TV", f"{first['tv_exact']:.4f}")
    if cfg.dim == 1:
        # p, p_G and the samples never change while D trains: the same figure each tick keeps
        # the same element, which the browser does not redraw (it was half of each redraw).
        if latest.get("densities_for") is not runs:
            latest["densities"] = densities_figure(next(iter(snaps.values())))
            latest["densities_for"] = runs
        st.plotly_chart(latest["densities"], key=f"{NS}.densities", config=PLOTLY_CONFIG, theme=None)
    fig = figure(snaps, arrow_loss=arrows(), show_dstar=show_dstar, densities=False)
    st.plotly_chart(fig, key=f"{NS}.fig", config=PLOTLY_CONFIG, theme=None)
    st.markdown(table(snaps))
    st.caption("Signal = median |d loss_G/dx| over the fake samples: minimax loss for D, Wasserstein "
               f"for critics (divided by L). Under D* it is {first['signal_minimax_dstar']:.1e} (minimax) "
               f"and {first['signal_ns_dstar']:.2g} (non-saturating). JS from D = V(D,G)/2 + log 2 "
               "is a lower bound that meets JS at D = D*; W1 from a critic is (E_p f - E_q f)/L, also a lower bound.")


def arrows() -> str:
    return st.session_state.get(f"{NS}.arrows", "minimax")


def history_rows() -> list[dict]:
    return [dict(critic=c, step=st_, d_loss=l) for c, s in latest["snaps"].items()
            for st_, l in zip(s["history"]["step"], s["history"]["d_loss"])]


# 2-D: five heat maps cost the browser ~150 ms a redraw, so it draws ~3 a second whatever the
# timer; a 0.3 s timer leaves the ticks that time for training (2.8 redraws/s and ~60 steps/s
# per critic, against 3.0 and 36 at 0.2 s). Two panels (D* and one net) keep up with 0.2 s:
# 4.9 redraws/s (benchmarks/bench_page_live.py --dim 2 [--critics none]).
panels = len(critics) + bool(show_dstar)
ui.live(live, controls.playing, every=0.2 if cfg.dim == 1 or panels <= 2 else 0.3, ns=NS)

# Drawn only while open (a closed expander still costs the browser a hidden chart, on the first
# view too: issue 2's start-up).
more = st.expander("Loss curves and export", key=f"{NS}.more", on_change="rerun")
if more.open:
    with more:
        if controls.playing:
            st.caption("These curves stand still while playing (redrawing them every tick would slow the "
                       "live view); they catch up when you pause.")
        st.plotly_chart(loss_figure(latest["snaps"]), key=f"{NS}.loss", theme=None)
        # Read at the click, from the last drawn tick (finished arrays, never the nets in training).
        arrow_loss = arrows()   # read here: a download runs on another thread, without the session
        ui.downloads(NS, {"discriminators": lambda: figure(latest["snaps"], arrow_loss=arrow_loss,
                                                           show_dstar=show_dstar)},
                     lambda: {c: s["metrics"] for c, s in latest["snaps"].items()},
                     stem="discriminators", csv_rows=history_rows)

st.subheader("Things to try")
st.markdown(
    "- **Notes' Figures 1-2**: press Play. The trained D (purple) snaps onto D* (red): flat on the "
    "orange samples, so the minimax signal (bottom panel) falls to ~1e-8. The critics keep a signal near 1.\n"
    "- Pick **Overlapping bumps**: now D* has a slope where the fakes are, and JS is well below log 2.\n"
    "- Pick **Far apart**: JS stays log 2 = 0.693 however far; W1 grows with the distance.\n"
    "- Set the clip value to 0.5 or 0.001 and watch the clipped critic's Lipschitz constant follow c.\n"
    "- Set lambda to 0: the 'gradient penalty' critic is no longer Lipschitz; its L and its W1 estimate explode... or do they?\n"
    "- In 2-D, pick **ring of 8 vs a blob**, arrows = minimax: D*'s arrows vanish inside the blob; the critics push outwards.")
