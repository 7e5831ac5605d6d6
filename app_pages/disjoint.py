"""Wasserstein vs Jensen-Shannon on disjoint supports (note 004; Arjovsky et al. 2017 Example 1;
note 000 sec. 1.3 for instance noise)."""
import dataclasses

import pandas as pd
import streamlit as st

import ui
from lab.experiments.disjoint import DisjointConfig, DisjointRun
from lab.figures import disjoint as figs
from lab.theta_gan import FAMILIES, sample_pair

NS = "ws"
SIGMAS = [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0]

st.title("Wasserstein vs Jensen-Shannon on disjoint supports")
st.markdown(
    "Real data lives on the line x = 0, the generator's on the line x = theta (the parallel-lines "
    "example of the WGAN paper). While the lines are apart, **JS is stuck at log 2** and KL is "
    "infinite whatever theta is: no direction to move. **W1 = |theta|** still points the way. "
    "Below, the generator is just theta: watch each objective try to bring it to 0.")
st.latex(r"P_0=\delta_0\times U[0,1],\quad P_\theta=\delta_\theta\times U[0,1]")
st.latex(r"\theta\neq 0:\quad \mathrm{KL}=+\infty,\quad \mathrm{JS}=\log 2,\quad \mathrm{TV}=1,\quad W_1=|\theta|")
with st.expander("More formulas: Kantorovich-Rubinstein, the Gaussian pair, instance noise"):
    st.latex(r"W_1(p,q)=\sup_{\|f\|_L\le 1}\ \mathbb{E}_{p} f-\mathbb{E}_{q} f"
             r"\qquad \mathrm{JS}(p,q)=\tfrac12\mathrm{KL}(p\|m)+\tfrac12\mathrm{KL}(q\|m),\ m=\tfrac{p+q}{2}")
    st.latex(r"N(0,s^2)\ \text{vs}\ N(\theta,s^2),\ d=|\theta|/s:\quad \mathrm{KL}=\tfrac{d^2}{2},\ "
             r"\mathrm{TV}=2\Phi(\tfrac d2)-1,\ \mathrm{JS}=\log 2-\mathbb{E}_{u\sim N(0,1)}"
             r"\big[\log(1+e^{du-d^2/2})\big],\ W_1=|\theta|")
    st.markdown("Instance noise of std s added to both lines makes their x-parts exactly this Gaussian "
                "pair (the y-parts cancel): the noisy lines' JS is the Gaussian curve at s, with a slope. "
                "WGAN Algorithm 1: RMSProp lr 5e-5, clip c = 0.01, m = 64, n_critic = 5; WGAN-GP adds "
                r"$\lambda\,\mathbb{E}(\|\nabla f(\hat x)\|-1)^2$ with $\lambda = 10$.")

# ---- settings (the URL gives the first values) ---------------------------------------------
url_cfg = ui.config_from_url(DisjointConfig, NS)
ss = st.session_state
if f"{NS}.objectives" not in ss:
    asked = [o for o in st.query_params.get("objectives", "js_minimax,js_ns,wgan_clip,wgan_gp").split(",")
             if o in FAMILIES]
    ss[f"{NS}.objectives"] = asked or ["js_minimax", "wgan_gp"]
sigmas = sorted(set(SIGMAS) | {url_cfg.sigma})

with st.sidebar:
    st.header("Distributions")
    setup = st.radio("Setup", ["lines", "gaussians"], index=["lines", "gaussians"].index(url_cfg.setup),
                     key=f"{NS}.setup", format_func=lambda s: {"lines": "Parallel lines",
                                                              "gaussians": "Two Gaussians"}[s])
    sigma = st.select_slider("Gaussians' s", sigmas, value=url_cfg.sigma, key=f"{NS}.sigma",
                             disabled=setup != "gaussians", help="N(0, s^2) vs N(theta, s^2): s -> 0 is the disjoint limit")
    theta0 = st.number_input("Start theta0", -5.0, 5.0, url_cfg.theta0, step=0.25, key=f"{NS}.theta0")
    st.header("Learning theta")
    objectives = st.multiselect("Objectives", list(FAMILIES), key=f"{NS}.objectives",
                                format_func=lambda o: FAMILIES[o].label)
    d_steps = st.number_input("D / critic steps per theta step (k)", 1, 100, url_cfg.d_steps, key=f"{NS}.k_d")
    noise = st.number_input("Instance noise std", 0.0, 5.0, url_cfg.instance_noise, step=0.1, key=f"{NS}.noise",
                            help="Gaussian noise added to real and fake inputs of D and the critic")
    anneal = st.checkbox("Anneal the noise to 0", url_cfg.anneal, key=f"{NS}.anneal")
    steps = st.number_input("Theta steps (Play stops there)", 10, 20_000, max(10, url_cfg.steps), step=50,
                            key=f"{NS}.steps")
    lr = st.number_input("Theta learning rate (0 = each objective's default)", 0.0, 1000.0, url_cfg.lr,
                         format="%.4f", key=f"{NS}.lr",
                         help="Plain SGD on theta. Defaults: " + ", ".join(
                             f"{f.label} {f.theta_lr:g}" for f in FAMILIES.values()))
    seed = st.number_input("Seed", 0, 2**31 - 1, min(max(0, url_cfg.seed), 2**31 - 1), key=f"{NS}.seed")

cfg = ui.build_config(DisjointConfig, NS, dict(
    setup=setup, sigma=float(sigma), theta0=float(theta0), d_steps=int(d_steps), instance_noise=float(noise),
    anneal=bool(anneal), steps=int(steps), lr=float(lr), seed=int(seed), objective=url_cfg.objective,
    d_lr=url_cfg.d_lr, batch=url_cfg.batch, clip=url_cfg.clip, gp_lambda=url_cfg.gp_lambda,
    gp_warmup=url_cfg.gp_warmup, width=url_cfg.width, depth=url_cfg.depth))
if cfg is None:          # st.error already shown; keep the last good runs on screen
    cfg = ss.get(f"{NS}.cfg")
    if cfg is None:
        st.stop()
else:
    ui.sync_url(cfg, {"objectives": ",".join(objectives)})

# ---- closed forms ---------------------------------------------------------------------------
st.subheader("The divergences as functions of theta")
theta_view = st.slider("theta", -3.0, 3.0, float(max(-3.0, min(3.0, cfg.theta0))), 0.05, key=f"{NS}.theta_view")
div_fig = figs.divergences(cfg.setup, cfg.sigma, theta_view)
left, right = st.columns([2, 1])
left.plotly_chart(div_fig, key=f"{NS}.div", config={"displaylogo": False})
right.plotly_chart(figs.plane(*sample_pair(cfg.setup, cfg.sigma, theta_view, 150, cfg.seed), theta_view),
                   key=f"{NS}.plane", config={"displaylogo": False})
right.caption("Every divergence above compares these two clouds. Slide theta: JS and TV do not "
              "change until the clouds touch; W1 is the distance between them.")
if cfg.setup == "gaussians":
    st.plotly_chart(figs.gaussian_family(cfg.sigma, theta_view), key=f"{NS}.family",
                    config={"displaylogo": False})
    st.caption("Move the s slider in the sidebar towards 0.001: JS flattens to log 2 away from 0, "
               "TV to 1, KL = theta^2/(2 s^2) blows up; W1 = |theta| does not change. The Gaussians are "
               "drawn and trained as the lines thickened along x: the y-parts are identical and cancel.")

# ---- live learning --------------------------------------------------------------------------
st.subheader("Learning theta live")
if not objectives:
    st.info("Pick at least one objective in the sidebar.")
    st.stop()
controls = ui.transport(NS, default_k=10, max_k=500)
stale = ss.get(f"{NS}.cfg") != cfg or list(ss.get(f"{NS}.runs", {})) != objectives
if controls.reset or stale:
    ss[f"{NS}.cfg"] = cfg
    ss[f"{NS}.runs"] = {o: DisjointRun(dataclasses.replace(cfg, objective=o)) for o in objectives}
runs = ss[f"{NS}.runs"]


def advance(k: int) -> None:
    for run in runs.values():
        run.advance(max(0, min(k, run.total - run.step)))


if controls.step:
    advance(controls.steps_per_tick)


def live() -> None:
    if st.session_state.get(f"{NS}.playing"):
        advance(controls.steps_per_tick)
        if all(r.step >= r.total for r in runs.values()):
            ui.pause(NS)
            st.rerun(scope="app")
    snaps = {FAMILIES[o].label: r.snapshot() for o, r in runs.items()}
    first = next(iter(snaps.values()))
    cols = st.columns(4)
    cols[0].metric("Theta steps", f"{first['step']:,} / {cfg.steps:,}")
    cols[1].metric("Instance noise now", f"{first['metrics']['noise']:.3g}")
    cols[2].metric("JS at theta0", f"{first['metrics']['js_exact']:.4f}", help="log 2 = 0.6931")
    cols[3].metric("W1 at theta0", f"{first['metrics']['w1_exact']:.3f}")
    traj, gap, pts = figs.trajectories(snaps), figs.across_gap(snaps), figs.samples(snaps)
    st.plotly_chart(traj, key=f"{NS}.traj", config={"displaylogo": False})
    st.plotly_chart(gap, key=f"{NS}.gap", config={"displaylogo": False})
    rows = [{"objective": label, "theta": round(s["theta"], 4),
             "moved from theta0": f"{100 * s['metrics']['moved']:.1f}%",
             "push on theta": f"{s['metrics']['push']:+.2e}",
             "Lipschitz (measured)": f"{s['metrics']['lipschitz']:.3g}",
             "lr theta / D": f"{s['metrics']['lr']:g} / {s['metrics']['d_lr']:g}",
             "JS now": round(s["metrics"]["js_final"], 4), "W1 now": round(s["metrics"]["w1_final"], 4)}
            for label, s in snaps.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption("Push = -d loss_G / d theta on a fixed batch: SGD moves theta by lr x push per step. "
               "A JS-GAN's D saturates on disjoint lines, so the minimax push falls to ~1e-10.")
    st.plotly_chart(pts, key=f"{NS}.pts", config={"displaylogo": False})
    if st.checkbox("Show D and the critics at earlier steps", key=f"{NS}.earlier"):
        st.plotly_chart(figs.earlier(snaps), key=f"{NS}.earlier_fig", config={"displaylogo": False})
    with st.expander("Export"):
        history = [dict(objective=label, step=int(t), theta=th, grad=g)
                   for label, s in snaps.items()
                   for t, th, g in zip(s["history"]["step"], s["history"]["theta"], s["history"]["grad"])]
        ui.downloads(NS, {"trajectories": traj, "gap": gap, "divergences": div_fig},
                     {label: s["metrics"] for label, s in snaps.items()}, stem="wasserstein", csv_rows=history)


ui.live(live, controls.playing)

st.subheader("Things to try")
st.markdown(
    "- Press **Play** on the parallel lines: WGAN-GP walks theta to 0; the minimax JS-GAN moves a "
    "few percent while its D is still weak, then freezes (push ~1e-10).\n"
    "- Set **instance noise** to 1.0 and press Reset, Play: the JS-GANs now reach 0 too. Tick "
    "*anneal*: does theta still arrive before the noise is gone?\n"
    "- Switch to **Two Gaussians** and slide s from 1 down to 0.001: the JS curve turns into the lines' "
    "step; with s = 1 even the minimax JS-GAN learns.\n"
    "- Compare the **clipped critic**: its Lipschitz constant is ~1e-3, so theta needs a learning rate "
    "of 20 to move (see the table). Try theta lr 0.05 for every objective.\n"
    "- The **non-saturating** JS-GAN reaches 0 even on the lines: where D(x) -> 0 the gradient of "
    "-log D(x) is the slope of D's logit, while that of log(1 - D(x)) is that slope times D(x) -> 0. "
    "Same D loss, different loss for theta (note 002's log D trick).\n"
    "- Set k = 1 D step per theta step: a weaker D lets the minimax JS-GAN move further. Why?\n"
    "- Start at theta0 = 0.25: is the minimax JS-GAN's stall a matter of distance?")
