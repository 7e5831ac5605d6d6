"""Robust mean estimation under contamination: GANs as robust estimators (note 002; Gao, Liu,
Yao, Zhu, ICLR 2019)."""
import dataclasses

import pandas as pd
import streamlit as st

import ui
from lab.device import small_net_threads
from lab.experiments.robust_mean import RobustMeanConfig, RobustMeanRun
from lab.figures.robust_mean import comparison_rows, errors_figure, history_figure, label, scatter_figure, sweep_figure
from lab.data.huber import KINDS
from lab.robust.estimators import ESTIMATORS, applicable
from lab.robust.sweeps import Sweep

NS = "rm"
SWEEP_VALUES = {"eps": "0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4", "p": "2, 5, 10, 20, 50"}
ss = st.session_state

st.title("Robust mean estimation: medians, Tukey depth and GANs")
st.markdown(
    "A share **eps** of the data is not what we want to estimate: "
    "X ~ (1 - eps) N(theta, I_p) + eps Q (Huber's model). The **mean** follows the outliers; the "
    "**coordinatewise median** pays eps in every coordinate (error ~ sqrt(p) eps); **Tukey's median** "
    "reaches the minimax rate but is NP-hard. A **JS-GAN** whose generator is N(eta, I_p) and whose "
    "discriminator has a hidden layer reaches the same rate by SGD: the discriminator lights up the "
    "outliers, and eta walks from the median to theta.")
with st.expander("The formulas", expanded=False):
    st.latex(r"X_1,\dots,X_n \sim (1-\epsilon)\,N(\theta, I_p) + \epsilon\,Q,\qquad "
             r"\hat\theta = \arg\min_{\eta}\max_{T\in\mathcal T}\ \frac1n\sum_{i=1}^n \log T(X_i)"
             r" + \mathbb E_{N(\eta, I_p)}\log(1-T(X))")
    st.latex(r"\|\hat\theta-\theta\|^2 \lesssim \frac pn + \epsilon^2\ \text{(JS-GAN, Tukey)},\qquad "
             r"\frac pn + p\,\epsilon^2\ \text{(coordinatewise median)}")
    st.markdown("With **no hidden layer**, T(x) = sigmoid(w.x + b) and JS_g = 0 iff the means agree: "
                "eta goes to (1 - eps) theta + eps E_Q X, the mean. Not robust (the notes' proposition).")

# ---- settings (the URL gives the first values) ---------------------------------------------
u = ui.config_from_url(RobustMeanConfig, NS)
with st.sidebar:
    st.header("Data")
    n = st.number_input("n (samples)", 100, 50_000, u.n, step=1000, key=f"{NS}.n")
    p = st.number_input("p (dimension)", 1, 200, u.p, key=f"{NS}.p")
    eps = st.slider("eps (contamination)", 0.0, 0.45, u.eps, 0.01, key=f"{NS}.eps")
    kind = st.selectbox("Contamination Q", list(KINDS), list(KINDS).index(u.contamination), key=f"{NS}.kind",
                        help="; ".join(f"{k}: {v}" for k, v in KINDS.items()))
    theta = st.number_input("theta (true location is theta 1_p)", -10.0, 10.0, u.theta, key=f"{NS}.theta")
    extra = {}
    if kind == "near":
        extra["near_mu"] = st.number_input("Q's centre near_mu (1_p)", -20.0, 20.0, u.near_mu, key=f"{NS}.near_mu")
    elif kind == "cluster":
        c1, c2, c3 = st.columns(3)
        extra["cluster_x"] = c1.number_input("x", -20.0, 20.0, u.cluster_x, key=f"{NS}.cx")
        extra["cluster_y"] = c2.number_input("y", -20.0, 20.0, u.cluster_y, key=f"{NS}.cy")
        extra["cluster_sd"] = c3.number_input("sd", 0.0, 5.0, u.cluster_sd, key=f"{NS}.csd")
    else:
        extra["q_mu"] = st.number_input("Q's centre q_mu (1_p)", -100.0, 100.0, u.q_mu, key=f"{NS}.q_mu")
    seed = st.number_input("Seed", 0, 2**31 - 1, u.seed, key=f"{NS}.seed")
    st.header("Estimators")
    wanted = applicable(u.p, u.names())
    names = st.multiselect("Compute", list(ESTIMATORS), wanted, key=f"{NS}.names", format_func=label)
    with st.expander("GAN recipe (authors' defaults)"):
        hidden = st.text_input("Hidden widths", u.hidden, key=f"{NS}.hidden", help="comma list, e.g. 20 or 20,10")
        act = st.radio("First features", ["leaky_relu", "sigmoid"], ["leaky_relu", "sigmoid"].index(u.activation),
                       key=f"{NS}.act", horizontal=True)
        lr_d = st.number_input("lr D (SGD)", 1e-4, 5.0, u.lr_d, format="%.4f", key=f"{NS}.lr_d")
        lr_g = st.number_input("lr G (SGD)", 1e-4, 5.0, u.lr_g, format="%.4f", key=f"{NS}.lr_g")
        d_steps = st.number_input("D steps per G step", 1, 50, u.d_steps, key=f"{NS}.d_steps")
        batch = st.number_input("Batch", 10, 5000, u.batch, step=50, key=f"{NS}.batch")
        epochs = st.number_input("Epochs", 1, 2000, u.epochs, key=f"{NS}.epochs")
        avg = st.number_input("Average eta over last epochs", 0, 2000, u.avg_epochs, key=f"{NS}.avg")

if not names:
    st.info("Pick at least one estimator in the sidebar.")
    st.stop()
usable = applicable(int(p), names)
if len(usable) < len(names):
    st.info(f"Tukey's median is NP-hard; its approximation here stops at p = {ESTIMATORS['tukey'].max_p}, "
            f"so it is left out at p = {int(p)}.", icon=":material/info:")
cfg = ui.build_config(RobustMeanConfig, NS, dict(
    n=int(n), p=int(p), eps=float(eps), contamination=kind, theta=float(theta), seed=int(seed),
    estimators=",".join(usable or ["mean"]), hidden=hidden, activation=act, lr_d=float(lr_d), lr_g=float(lr_g),
    d_steps=int(d_steps), batch=int(batch), epochs=int(epochs), avg_epochs=int(avg),
    **{**{k: getattr(u, k) for k in ("q_mu", "near_mu", "cluster_x", "cluster_y", "cluster_sd", "trim")}, **extra}))
if cfg is None:                 # st.error already shown: keep the last good run on screen
    cfg = ss.get(f"{NS}.cfg")
    if cfg is None:
        st.stop()
else:
    ui.sync_url(dataclasses.replace(cfg, estimators="all") if sorted(names) == sorted(applicable(cfg.p)) else cfg)

tab_live, tab_sweep, tab_table = st.tabs(["Live estimate", "Error vs eps and p", "Comparison table"])
with tab_live:
    controls = ui.transport(NS, default_k=10, max_k=500, step_label="Step")
    if controls.reset or ss.get(f"{NS}.cfg") != cfg:
        with st.spinner("Sampling the data and computing the classical estimators..."):
            ss[f"{NS}.run"] = RobustMeanRun(cfg)
        ss[f"{NS}.cfg"] = cfg
    run = ss[f"{NS}.run"]
    if controls.step:
        run.advance(controls.steps_per_tick)
    gans = [k for k in run.gans]
    heat_of = st.radio("Heat map of the discriminator of", gans, horizontal=True, key=f"{NS}.heat",
                       format_func=label) if gans else None


def live() -> None:
    if ss.get(f"{NS}.playing"):
        run.advance(controls.steps_per_tick)
        if run.step >= run.total:
            ui.pause(NS)
            st.rerun(scope="app")
    snap = run.snapshot(heat_of)
    m = snap["metrics"]
    cols = st.columns(4)
    cols[0].metric("Generator steps", f"{run.step:,} / {run.total:,}")
    cols[1].metric("Outliers in the data", f"{m['outliers']:,} ({m['outliers'] / cfg.n:.1%})")
    best = min(m["error"], key=m["error"].get)
    cols[2].metric(f"Smallest error: {label(best)}", f"{m['error'][best]:.3f}")
    if heat_of:
        cols[3].metric("D ranks outliers above inliers", f"{m['outlier_auc'][heat_of]:.3f}",
                       help="AUC: the chance that D scores a random outlier above a random inlier. 1 = D has found them.")
    left, right = st.columns([3, 2])
    scatter = scatter_figure(snap)
    left.plotly_chart(scatter, key=f"{NS}.scatter", config={"displaylogo": False})
    bars = errors_figure(m)
    right.plotly_chart(bars, key=f"{NS}.bars", config={"displaylogo": False})
    if gans:
        right.plotly_chart(history_figure(snap), key=f"{NS}.hist", config={"displaylogo": False})
    h = snap["history"]
    rows = [{"step": s, **{k: h[k][i] for k in h if k != "step"}} for i, s in enumerate(h["step"])]
    ui.downloads(NS, {"scatter": scatter, "errors": bars}, m, stem="robust_mean", csv_rows=rows)


with tab_live:
    ui.live(live, controls.playing)

with tab_sweep:
    c1, c2, c3 = st.columns([1, 3, 1])
    axis = c1.radio("Sweep over", ["eps", "p"], key=f"{NS}.axis", horizontal=True)
    values = c2.text_input("Values", SWEEP_VALUES[axis], key=f"{NS}.values.{axis}")
    reps = c3.number_input("Repetitions", 1, 20, 3, key=f"{NS}.reps")
    c1, c2, c3 = st.columns([1, 1, 3], vertical_alignment="bottom")
    sweep_n = c3.number_input("n for the sweep (the rest as in the sidebar)", 100, 50_000, 5000, step=1000,
                              key=f"{NS}.sweep_n")
    if c1.button("Run sweep", key=f"{NS}.sweep_go", icon=":material/play_arrow:", type="primary"):
        try:
            vals = [float(v) for v in values.replace(";", ",").split(",") if v.strip()]
            ss[f"{NS}.sweep"] = Sweep(dataclasses.replace(cfg, n=int(sweep_n)), axis, vals, int(reps))
            ss[f"{NS}.sweeping"] = True
        except ValueError as err:  # not numbers, or a value the config refuses (ConfigError)
            st.error(ui.plain(f"Cannot sweep: {err}"), icon=":material/error:")
    c2.button("Cancel", key=f"{NS}.sweep_stop", icon=":material/stop:",
              on_click=lambda: ss.update({f"{NS}.sweeping": False}))


def sweep_view() -> None:
    small_net_threads()             # st.fragment directly, not ui.live: set it here
    sweep = ss.get(f"{NS}.sweep")
    if sweep is None:
        st.info("Pick eps or p and press Run sweep: every estimator ticked in the sidebar is run on fresh data "
                "at each value, a few times, beside the theory lines. It can be cancelled at any moment.")
        return
    if ss.get(f"{NS}.sweeping") and sweep.done < sweep.total:
        sweep.advance(1)
    eta = sweep.eta_seconds()
    st.progress(sweep.done / sweep.total, text=f"{sweep.done} of {sweep.total} cells"
                + (f", about {eta:.0f} s left" if ss.get(f"{NS}.sweeping") and eta == eta and eta > 0 else ""))
    fig = sweep_figure(sweep.result())
    st.plotly_chart(fig, key=f"{NS}.sweep_fig", config={"displaylogo": False})
    ui.downloads(f"{NS}.sw", {"sweep": fig}, sweep.result(), stem=f"robust_sweep_{sweep.axis}", csv_rows=sweep.rows())
    if ss.get(f"{NS}.sweeping") and sweep.done >= sweep.total:
        ss[f"{NS}.sweeping"] = False
        st.rerun(scope="app")


with tab_sweep:
    st.fragment(sweep_view, run_every=0.3 if ss.get(f"{NS}.sweeping") else None)()

with tab_table:
    st.markdown("The notes' comparison (squared error, up to constants) beside what was measured on the current data.")
    st.dataframe(pd.DataFrame(comparison_rows(run.metrics())), hide_index=True, width="stretch")
    st.caption("The GAN rows change as they train; seconds for a GAN are its training time so far.")

st.subheader("Things to try")
st.markdown(
    "- Press **Play**: JS-GAN's eta (green path) leaves the median and walks to the star; D's map lights up the outliers.\n"
    "- Watch **JS-GAN, no hidden layer** (orange): its eta walks up to the **sample mean** (dashed line, right), as the notes' proposition says.\n"
    "- Set **eps = 0**: everyone is right; the mean is best (sqrt(p/n)). Then raise eps.\n"
    "- Set **p = 100, n = 50,000** (the paper's demo): mean ~10, median ~3.2, JS-GAN ~0.05.\n"
    "- **near** Q at 0.5: the outliers hide among the inliers; every error is small, since they barely pull.\n"
    "- **cauchy** Q: the mean is hopeless (no E_Q X); the GANs still find theta. Try sigmoid features.\n"
    "- **cluster**: put a tight cluster at (3, -2) with sd 0.1 and watch D's map single it out.\n"
    "- Sweep **p**: the median's error grows like sqrt(p) eps; the GAN's stays near eps.")
