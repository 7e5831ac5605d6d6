"""The VAE page's exact section, on demand: log p(x) by quadrature beside the ELBO and the IW
bound, the true posterior of a picked digit beside q(z|x), and the mixture of Bernoullis' exact
log p(x) beside them. Each number is computed on a button, on the page's run under its lock (the
run's own methods), and kept in st.session_state for that run and step, so the live view never
waits for it twice."""
from __future__ import annotations

import dataclasses

import streamlit as st

from ui.classroom import chart

N_DIGITS = 20          # test digits of the per-digit comparison (~1 s at width 256)
EM_STEPS = 30          # EM iterations of the mixture trained here (~2 s on the built-in digits)


def _kept(ns: str, name: str, run, compute=None):
    """What `compute()` gave for this run (computed now if `compute` is given), else None."""
    ss, key = st.session_state, f"{ns}.exact.{name}"
    if compute is not None:
        ss[key] = (run, compute())
    got = ss.get(key)
    return got[1] if got and got[0] is run else None


def _pick_digit(ns: str) -> None:
    """on_select of the gap chart: the clicked bar's digit becomes the posterior's digit."""
    pts = st.session_state[f"{ns}.exact.gap_fig"].selection.points
    if pts:
        st.session_state[f"{ns}.exact.digit"] = int(pts[0]["x"])


def section(ns: str, run, text: dict, url) -> None:
    from lab.experiments.vae import MixtureRun, figures as figs
    from lab.figures import grids
    st.markdown(text["Exact likelihood"])
    if run.cfg.latent > 2:
        st.info(f"The quadrature sums over a 1-D or 2-D latent grid; this run's latent is {run.cfg.latent}-D. "
                "Set the latent dimension to 2.")
        return
    go = st.button(f"Compute log p(x), the ELBO and the IW bound at this step ({N_DIGITS} digits, and the test set)",
                   key=f"{ns}.exact.go", type="primary")
    ex = _kept(ns, "digits", run, (lambda: run.exact_digits(N_DIGITS)) if go else None)
    test = _kept(ns, "test", run, (lambda: run.exact_log_px() | run.iw_bound()) if go else None)
    if ex is None or test is None:
        return
    if ex["step"] != run.step:
        st.caption(f"Computed at step {ex['step']:,}; the run is now at step {run.step:,}: press the button again.")
    c = st.columns(4)
    c[0].metric("ELBO (test set)", f"{test['elbo_test']:.2f}", help="nats per digit, one z per digit")
    c[1].metric(f"IW bound, K = {test['K']}", f"{test['iw_elbo_test']:.2f}", help="Burda et al. 2016")
    c[2].metric("log p(x), quadrature", f"{test['log_px_test']:.2f}",
                help=f"{test['grid']}; stated error {test['log_px_test_error']:.1e} nats on average, "
                     f"{test['log_px_test_error_max']:.1e} at most")
    c[3].metric("grid error (mean)", f"{test['log_px_test_error']:.1e}", help="nats: the sum at 2h and the mass left out")
    st.caption(f"Over the {run.cfg.n_eval} test digits of the ELBO curve, at step {test['step']:,}. Grid: {test['grid']}.")
    chart(figs.iw_figure(ex), key=f"{ns}.exact.iw_fig", config={"displaylogo": False})
    chart(figs.gap_figure(ex), key=f"{ns}.exact.gap_fig", on_select=lambda: _pick_digit(ns),
                    selection_mode="points", config={"displaylogo": False})
    if run.cfg.latent == 2:
        _posterior(ns, run, ex, figs, grids)
    _mixture(ns, run, test, url, MixtureRun, figs, grids)


def _posterior(ns: str, run, ex: dict, figs, grids) -> None:
    st.markdown("**The true posterior** p(z|x) (contours) beside the encoder's q(z|x) (red ellipses)")
    i = st.selectbox("Digit", range(len(ex["gap"])), key=f"{ns}.exact.digit",
                     format_func=lambda k: f"#{k} (label {ex['labels'][k]}, gap {ex['gap'][k]:.2f} nats)")
    p = _kept(ns, f"post{i}", run)
    if p is None or p["step"] != ex["step"]:
        p = _kept(ns, f"post{i}", run, lambda: run.exact_posterior(int(i)))
    left, right = st.columns([3, 1])
    chart(where=left, fig=figs.posterior_figure(p), key=f"{ns}.exact.post_fig", config={"displaylogo": False})
    if p["image"].ndim == 2:
        right.image(grids.grid(p["image"][None], scale=5), caption=f"test digit #{i}", output_format="PNG")
    right.markdown(f"log p(x) = **{p['log_px']:.2f}**  \nELBO = {ex['elbo'][i]:.2f} (± {ex['elbo_se'][i]:.2f})  \n"
                   f"gap = {ex['gap'][i]:.2f}  \nKL(q ‖ p(z|x)) on the grid = **{p['kl']:.2f}**")


def _mixture(ns: str, run, test: dict, url, MixtureRun, figs, grids) -> None:
    st.markdown("**Discrete latents** (note 000, Problem 3): a mixture of K Bernoulli images, log p(x) exact")
    if not run.shape:
        st.info("Images only: pick a digit data set.")
        return
    from ui import config_widgets
    k = config_widgets(type(url), ns, url, keys=["components"], where=st.columns([1, 3])[0], headers=False)["components"]
    mix = _kept(ns, f"mix{k}", run)
    if st.button(f"Train the mixture ({EM_STEPS} EM iterations) on the same digits", key=f"{ns}.exact.mix_go"):
        def train():
            m = MixtureRun(dataclasses.replace(run.cfg, model="bernoulli_mixture", components=int(k)), data=run.data())
            m.advance(EM_STEPS)
            return {"metrics": m.metrics(), "snap": m.snapshot()}
        mix = _kept(ns, f"mix{k}", run, train)
    if mix is None:
        return
    lp = mix["metrics"]["log_px_test"]
    st.markdown(f"Mixture of {k} Bernoullis: exact test log p(x) = **{lp:.2f}** nats, beside the VAE's ELBO "
                f"{test['elbo_test']:.2f}, IW bound {test['iw_elbo_test']:.2f} and log p(x) {test['log_px_test']:.2f} "
                f"(same {run.cfg.n_eval} test digits). Its components, largest weight first:")
    st.image(figs.mixture_image(mix["snap"], scale=2), output_format="PNG")
