"""The VAE page's figures: pure functions of LatentVAERun snapshots (and comparisons) and of
lab.reparam's sweeps.

Curves and scatters are Plotly; images are uint8 pictures from lab.figures.grids (the page
sends them as PNG through st.image; `grids.png` makes the download file).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab import reparam
from lab.figures import grids, plain
from lab.figures.style import TEMPLATE

# Ten distinguishable label colours (Plotly's D3 palette), fixed so digit 3 is always red.
LABEL_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
TRAIN, TEST = "#1f77b4", "#d62728"
CLICK_GRID = "click-grid"     # name of the faint trace that makes empty latent space clickable
N_ELLIPSES = 200


# ---- images --------------------------------------------------------------------------------
def manifold_image(snap: dict, scale: int = 2) -> np.ndarray:
    """Kingma & Welling's Fig. 4 as one picture: the decoded (n, n) grid of digits."""
    grid = snap["manifold"]                     # (n, n, h, w), or (n, h, w) for a 1-D latent
    if snap["latent"] == 1:
        return grids.grid(grid, ncol=len(grid), pad=0, scale=scale)
    n = grid.shape[0]
    return grids.grid(grid.reshape((n * n,) + grid.shape[2:]), ncol=n, pad=0, scale=scale)


def rows_image(rows: list[np.ndarray], scale: int = 2) -> np.ndarray:
    """Equal-length rows of images stacked into one grid (e.g. inputs over reconstructions)."""
    return grids.grid(np.concatenate(rows), ncol=len(rows[0]), scale=scale)


# ---- read-outs ------------------------------------------------------------------------------
def readout(snap: dict) -> list[tuple[str, str, str]]:
    """(label, value, help) for the page's row of numbers: the last logged point, no extra pass."""
    m = snap["latest"]
    return [("Step", f"{snap['step']:,}", f"Play stops at {snap['total']:,} (set in the sidebar)"),
            ("ELBO (test)", f"{m['elbo_test']:.1f}", f"nats per example at step {m['steps']}; higher is better"),
            ("Recon. (test)", f"{m['recon_test']:.1f}", "E_q[log p(x|z)] on test, nats"),
            ("KL (test)", f"{m['kl_test']:.2f}", "KL(q(z|x) || N(0, I)) on test, nats"),
            ("beta now", f"{snap['beta']:.2f}", "beta times the warm-up ramp")]


def z_caption(snap: dict) -> str:
    """What the decoded picture shows: the decoder's mean at the picked z (first two coordinates)."""
    z = snap["z"][:2]
    return "decoder mean at z = (" + ", ".join(f"{v:.2f}" for v in z) + ")"


def gallery(comp: dict) -> dict[str, np.ndarray]:
    """The comparison's pictures by name: inputs over VAE reconstructions, 64 prior samples, and
    inputs over the PCA, autoencoder and VAE reconstructions. Empty for 2-D points."""
    if not comp["shape"]:
        return {}
    rows = [comp["inputs"]] + [comp["recons"][k] for k in ("pca", "ae", "vae") if k in comp["recons"]]
    # rows in pairs: the decoder means E[x|z] of 8 prior draws, then one Bernoulli draw x ~ p(x|z) each
    pairs = [comp[key][r * 16:(r + 1) * 16] for r in range(3) for key in ("samples", "bernoulli")]
    return {"Reconstructions": rows_image([comp["inputs"], comp["recons"]["vae"]], scale=3),
            "Samples": rows_image(pairs, scale=2),
            "Compare": rows_image(rows)}


# ---- curves ----------------------------------------------------------------------------------
def curves(history: dict) -> go.Figure:
    layout = plain.grid(("ELBO (nats per example, higher is better)", "Reconstruction E_q[log p(x|z)]",
                         "KL(q(z|x) || p(z))"), rows=1, cols=3, horizontal_spacing=0.07)
    step, data = history["step"], []
    for col, key in enumerate(("elbo", "recon", "kl"), start=1):
        for split, colour, dash in (("train", TRAIN, "solid"), ("test", TEST, "dash")):
            data.append(plain.scatter(x=step, y=history[f"{key}_{split}"], name=split, legendgroup=split,
                                      showlegend=col == 1, line=dict(color=colour, width=2.5, dash=dash),
                                      **plain.panel(col)))
        layout[f"xaxis{col if col > 1 else ''}"]["title"] = dict(text="step")
    if "ae_recon_test" in history:
        data.append(plain.scatter(x=step, y=history["ae_recon_test"], name="plain autoencoder (test)",
                                  line=dict(color="#2ca02c", width=2, dash="dot"), **plain.panel(2)))
    # Step 0 of a fresh net sits hundreds of nats below the rest; zoom on the part that moves.
    for col, key in enumerate(("elbo", "recon"), start=1):
        ys = np.asarray(history[f"{key}_test"][1:] + history[f"{key}_train"][1:], float)
        if ys.size >= 2:
            lo, hi = np.nanpercentile(ys, 2), np.nanmax(ys)
            layout[f"yaxis{col if col > 1 else ''}"]["range"] = [lo - 0.1 * (hi - lo + 1), hi + 0.1 * (hi - lo + 1)]
    layout.update(template=TEMPLATE, height=330, margin=dict(l=40, r=10, t=40, b=40),
                  legend=dict(orientation="h", y=-0.25, x=0))
    return plain.figure(data, layout)


# ---- the latent space ------------------------------------------------------------------------
def _ellipse_paths(mu: np.ndarray, logvar: np.ndarray, n_pts: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """One-sigma ellipses of diagonal Gaussians (axis-aligned), joined by NaN breaks."""
    t = np.linspace(0, 2 * np.pi, n_pts)
    sd = np.exp(0.5 * logvar[:, :2])
    xs = mu[:, :1] + sd[:, :1] * np.cos(t)[None]
    ys = mu[:, 1:2] + sd[:, 1:2] * np.sin(t)[None]
    nan = np.full((len(mu), 1), np.nan)
    return np.hstack([xs, nan]).ravel(), np.hstack([ys, nan]).ravel()


def latent_scatter(snap: dict, ellipses: bool = False, click_grid: bool = False,
                   picked: tuple[float, float] | None = None) -> go.Figure:
    """Posterior means mu(x) of test examples, coloured by label; optional 1-sigma posterior
    ellipses; an optional faint grid so a click anywhere selects a latent point to decode."""
    mu, logvar, labels = snap["mu"], snap["logvar"], snap["labels"]
    if mu.shape[1] == 1:                        # a 1-D latent: spread the labels vertically
        mu = np.hstack([mu, labels[:, None] + 0.0])
        logvar = np.hstack([logvar, np.full_like(logvar, -20.0)])
    data = []
    lim = float(max(3.0, np.nanpercentile(np.abs(mu[:, :2]), 99.9) * 1.15))
    if click_grid:
        g = np.linspace(-lim, lim, 25)
        gx, gy = np.meshgrid(g, g)
        data.append(plain.scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", name=CLICK_GRID,
                                  marker=dict(size=9, color="rgba(128,128,128,0.06)"), showlegend=False,
                                  hovertemplate="z = (%{x:.2f}, %{y:.2f})<extra>click to decode</extra>"))
    sd = np.exp(0.5 * logvar)
    for c in np.unique(labels):
        k = labels == c
        colour = LABEL_COLOURS[int(c) % 10]
        if ellipses:
            sel = np.flatnonzero(k)[: max(1, N_ELLIPSES // 10)]
            ex, ey = _ellipse_paths(mu[sel], logvar[sel])
            data.append(plain.scatter(x=ex, y=ey, mode="lines", line=dict(color=colour, width=2),
                                      opacity=0.8, hoverinfo="skip", showlegend=False, legendgroup=str(c)))
        data.append(plain.scatter(
            x=mu[k, 0], y=mu[k, 1], mode="markers", name=str(int(c)), legendgroup=str(c),
            marker=dict(size=6, color=colour, line=dict(width=0.5, color="white")),
            customdata=np.stack([sd[k, 0], sd[k, min(1, sd.shape[1] - 1)]], 1),
            hovertemplate=f"label {int(c)}<br>mu = (%{{x:.2f}}, %{{y:.2f}})"
                          "<br>sigma = (%{customdata[0]:.2f}, %{customdata[1]:.2f})<extra></extra>"))
    if picked is not None:
        data.append(plain.scatter(x=[picked[0]], y=[picked[1]], mode="markers", name="decoded",
                                  marker=dict(symbol="x", size=16, color="black", line=dict(width=3))))
    # a 1-D latent's labels axis keeps plotly's own range (unvalidated, None would be sent as null)
    yaxis = (dict(title=dict(text="label")) if snap["latent"] == 1 else
             dict(title=dict(text="z<sub>2</sub>"), range=[-lim, lim], scaleanchor="x"))
    return plain.figure(data, dict(
        template=TEMPLATE, height=480, margin=dict(l=40, r=10, t=30, b=40), legend=dict(title=dict(text="label")),
        xaxis=dict(title=dict(text="z<sub>1</sub>"), range=[-lim, lim]), clickmode="event+select", yaxis=yaxis,
        title=dict(text=f"Test points: posterior means, step {snap['step']}", x=0, font=dict(size=14))))


def compare_latents(snap: dict) -> go.Figure:
    """PCA, autoencoder and VAE codes of the same test points side by side, with each model's
    reconstruction error (squared error per example) in the panel title."""
    m, lat, labels = snap["metrics"], snap["latents"], snap["labels"]
    names = [n for n in ("pca", "ae", "vae") if n in lat]
    title = {"pca": "PCA (linear)", "ae": "AE (deep)", "vae": "VAE (probabilistic)"}
    layout = plain.grid(tuple(f"{title[n]}: error {m[f'sq_err_{n}']:.1f}" for n in names),
                        rows=1, cols=len(names), horizontal_spacing=0.05)
    data = []
    for col, n in enumerate(names, start=1):
        z = lat[n] if lat[n].shape[1] > 1 else np.hstack([lat[n], labels[:, None] + 0.0])
        for c in np.unique(labels):
            k = labels == c
            data.append(plain.scatter(x=z[k, 0], y=z[k, 1], mode="markers", name=str(int(c)),
                                      legendgroup=str(c), showlegend=col == 1,
                                      marker=dict(size=4, color=LABEL_COLOURS[int(c) % 10]), **plain.panel(col)))
    layout.update(template=TEMPLATE, height=360, margin=dict(l=30, r=10, t=40, b=30),
                  legend=dict(title=dict(text="label")))
    return plain.figure(data, layout)


def manifold_figure(snap: dict) -> go.Figure:
    """For export and for the toy set: the decoded manifold as a Plotly figure. Images: the
    K&W grid as one picture; 2-D data: the decoded grid lines drawn over the data."""
    if snap["shape"]:
        img = manifold_image(snap, scale=1)
        fig = go.Figure(go.Heatmap(z=img[::-1], colorscale="gray", showscale=False, hoverinfo="skip"))
        fig.update_layout(template=TEMPLATE, height=560, width=560, xaxis=dict(visible=False), margin=dict(l=5, r=5, t=40, b=5),
                          yaxis=dict(visible=False, scaleanchor="x"),
                          title=dict(text=f"Decoded manifold over Gaussian quantiles, step {snap['step']}", x=0))
        return fig
    return toy_manifold(snap)


def toy_manifold(snap: dict) -> go.Figure:
    grid = snap["manifold"]                     # (n, n, 2) decoded means
    fig = go.Figure()
    pts, lab = snap["train_points"], snap["train_labels"]
    for c in np.unique(lab):
        k = lab == c
        fig.add_trace(go.Scatter(x=pts[k, 0], y=pts[k, 1], mode="markers", name=f"data: moon {int(c)}",
                                 marker=dict(size=4, color=LABEL_COLOURS[int(c)], opacity=0.35)))
    lines_x, lines_y = [], []
    for g in ((grid[None],) if grid.ndim == 2 else (grid, grid.transpose(1, 0, 2))):
        for row in g:
            lines_x += list(row[:, 0]) + [None]
            lines_y += list(row[:, 1]) + [None]
    fig.add_trace(go.Scatter(x=lines_x, y=lines_y, mode="lines", name="decoder mean on a z grid",
                             line=dict(color="black", width=1)))
    fig.update_layout(template=TEMPLATE, height=480, margin=dict(l=40, r=10, t=40, b=40), yaxis=dict(scaleanchor="x"),
                      title=dict(text=f"Where the decoder maps the latent grid, step {snap['step']}", x=0))
    return fig


# ---- the reparameterisation trick -----------------------------------------------------------
def reparam_figure(sw: dict) -> go.Figure:
    """Left: the estimates at each batch size around the exact 2 theta. Right: their variance
    against n on log-log axes, with the closed-form lines per_sample_variance / n."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=(f"Gradient estimates at theta = {sw['theta']:g} (exact 2 theta = {sw['exact']:g})",
                                        "Variance of the estimate vs batch size n"))
    ns = np.asarray(sw["batch_sizes"], float)
    style = {"pathwise": ("pathwise (reparameterised)", "#1f77b4", -0.08),
             "score": ("score function (REINFORCE)", "#ff7f0e", 0.08)}
    for est, (label, colour, off) in style.items():
        e = sw[est]["estimates"]
        jitter = np.exp(off + 0.04 * np.random.default_rng(0).standard_normal(e.shape))
        fig.add_trace(go.Scatter(x=(ns[:, None] * jitter).ravel(), y=e.ravel(), mode="markers", name=label,
                                 legendgroup=est, marker=dict(size=3, color=colour, opacity=0.35)), 1, 1)
        fig.add_trace(go.Scatter(x=ns, y=sw[est]["var"], mode="markers+lines", name=f"{label}: measured",
                                 legendgroup=est, showlegend=False,
                                 line=dict(color=colour, width=2), marker=dict(size=8)), 1, 2)
        fig.add_trace(go.Scatter(x=ns, y=sw[est]["var_theory"], mode="lines", name=f"{label}: theory",
                                 legendgroup=est, showlegend=False,
                                 line=dict(color=colour, width=2, dash="dot")), 1, 2)
    fig.add_trace(go.Scatter(x=[ns.min() * 0.7, ns.max() * 1.4], y=[sw["exact"]] * 2, mode="lines",
                             name="exact 2 theta", line=dict(color="black", width=2)), 1, 1)
    fig.update_xaxes(type="log", dtick=1, title_text="batch size n")
    fig.update_yaxes(type="log", dtick=1, exponentformat="power", title_text="variance (dotted: theory)", row=1, col=2)
    fig.update_yaxes(title_text="estimate of d/dtheta E[x^2]", row=1, col=1)
    fig.update_layout(template=TEMPLATE, height=380, margin=dict(l=50, r=10, t=40, b=40), legend=dict(orientation="h", y=-0.2))
    return fig


def sgd_figure(paths: dict) -> go.Figure:
    fig = go.Figure()
    style = {"exact": ("exact gradient", "black", "solid"), "pathwise": ("pathwise", "#1f77b4", "solid"),
             "score": ("score function", "#ff7f0e", "solid")}
    for k, (label, colour, dash) in style.items():
        fig.add_trace(go.Scatter(y=paths[k], mode="lines", name=label, line=dict(color=colour, width=2, dash=dash)))
    fig.update_layout(template=TEMPLATE, height=300, margin=dict(l=50, r=10, t=40, b=40), xaxis_title="SGD step",
                      yaxis_title="theta", title=dict(text="Minimising E[x^2] by SGD: theta -> 0", x=0))
    return fig


BATCH_SIZES = [1, 4, 16, 64, 256, 1024]


def reparam_figures(theta: float, baseline: bool, seed: int) -> tuple[go.Figure, go.Figure]:
    """Note 000, Problem 6 at one theta: the estimators' spread and variance over batch sizes
    (200 repeats each), and SGD paths (lr 0.05, 80 steps, batch 8). `baseline`: the score
    function uses x^2 - b with b = theta^2 + 1 = E[x^2]."""
    b = theta ** 2 + 1 if baseline else 0.0
    return (reparam_figure(reparam.sweep(theta, BATCH_SIZES, 200, seed, b)),
            sgd_figure(reparam.sgd_paths(theta, 0.05, 80, 8, seed, b)))


# ---- what export writes ---------------------------------------------------------------------
def export(snap: dict, comp: dict) -> dict[str, go.Figure]:
    """The figures a run is saved with (the command line's HTML files, the page's downloads)."""
    return {"vae_curves": curves(snap["history"]), "vae_latent": latent_scatter(snap, ellipses=True),
            "vae_compare": compare_latents(comp), "vae_manifold": manifold_figure(snap)}


# ---- the mixture of Bernoullis (model=bernoulli_mixture) ------------------------------------------
def mixture_curves(history: dict) -> go.Figure:
    """The exact log p(x) over EM iterations, train and test."""
    fig = go.Figure()
    for split, colour, dash in (("train", TRAIN, "solid"), ("test", TEST, "dash")):
        fig.add_trace(go.Scatter(x=history["step"], y=history[f"log_px_{split}"], name=split,
                                 line=dict(color=colour, width=2.5, dash=dash)))
    fig.update_layout(template=TEMPLATE, height=320, margin=dict(l=40, r=10, t=40, b=40), xaxis_title="EM iteration",
                      yaxis_title="log p(x), nats per example",
                      title=dict(text="Mixture of Bernoullis: the exact log-likelihood", x=0))
    return fig


def mixture_image(snap: dict, scale: int = 2) -> np.ndarray:
    """The component means mu_k as one picture, largest weight pi_k first."""
    return grids.grid(snap["means"], ncol=min(10, len(snap["means"])), scale=scale)


# ---- the exact likelihood (lab.quadrature) -----------------------------------------------------
def iw_figure(ex: dict) -> go.Figure:
    """Mean over the digits of IW_K against K (log axis), between the ELBO and the exact log p(x)."""
    ks, iw = np.asarray(ex["ks"]), ex["iw"].mean(0)
    fig = go.Figure()
    for y, name, colour, dash in ((ex["log_px"].mean(), "log p(x), quadrature", "black", "solid"),
                                  (ex["elbo"].mean(), "ELBO", TEST, "dash")):
        fig.add_trace(go.Scatter(x=[ks[0], ks[-1]], y=[y, y], mode="lines", name=f"{name}: {y:.2f}",
                                 line=dict(color=colour, width=2, dash=dash)))
    fig.add_trace(go.Scatter(x=ks, y=iw, mode="lines+markers", name="IW bound (Burda et al. 2016)",
                             line=dict(color=TRAIN, width=2.5), marker=dict(size=8)))
    fig.update_layout(template=TEMPLATE, height=340, margin=dict(l=50, r=10, t=40, b=40), xaxis=dict(type="log", title="K"),
                      yaxis_title="nats per digit (mean)", legend=dict(orientation="h", y=-0.25, x=0),
                      title=dict(text=f"ELBO <= IW_K <= log p(x) on {len(ex['elbo'])} test digits, step {ex['step']}",
                                 x=0, font_size=14))
    return fig


def gap_figure(ex: dict) -> go.Figure:
    """Per digit, log p(x) - ELBO = KL(q(z|x) || p(z|x)) and what IW_Kmax leaves of it; clickable."""
    idx = np.arange(len(ex["gap"]))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=idx, y=ex["gap"], name="log p(x) - ELBO = KL(q || p(z|x))", marker_color=TEST,
                         customdata=np.stack([ex["labels"], ex["log_px"]], 1),
                         hovertemplate="digit #%{x} (label %{customdata[0]})<br>gap %{y:.2f} nats"
                                       "<br>log p(x) %{customdata[1]:.2f}<extra>click to see its posterior</extra>"))
    fig.add_trace(go.Bar(x=idx, y=ex["log_px"] - ex["iw"][:, -1], name=f"log p(x) - IW_{ex['ks'][-1]}",
                         marker_color=TRAIN, hoverinfo="skip"))
    fig.update_layout(template=TEMPLATE, height=300, margin=dict(l=50, r=10, t=40, b=40), barmode="group",
                      xaxis=dict(title="test digit #", tickmode="array", tickvals=idx,
                                 ticktext=[f"{i}<br>({int(c)})" for i, c in zip(idx, ex["labels"])]),
                      yaxis=dict(title="nats", type="log"), legend=dict(orientation="h", y=-0.35, x=0),
                      title=dict(text="The gap per digit (click a bar: its posterior below)", x=0, font_size=14))
    return fig


def posterior_figure(p: dict) -> go.Figure:
    """Contours of the exact posterior p(z|x) over the latent plane, with the encoder's Gaussian
    q(z|x) as its 1, 2 and 3 sigma ellipses (axis-aligned: q is diagonal)."""
    dens = np.exp(p["log_post"] - p["log_post"].max())
    fig = go.Figure(go.Contour(x=p["z1"], y=p["z2"], z=dens, colorscale="Blues", showscale=False,
                               contours=dict(start=0.02, end=1.0, size=0.1), line=dict(width=0.5),
                               name="p(z|x)", hovertemplate="z = (%{x:.2f}, %{y:.2f})<extra>p(z|x)</extra>"))
    t = np.linspace(0, 2 * np.pi, 60)
    for k in (1, 2, 3):
        fig.add_trace(go.Scatter(x=p["mu"][0] + k * p["sigma"][0] * np.cos(t), y=p["mu"][1] + k * p["sigma"][1] * np.sin(t),
                                 mode="lines", line=dict(color=TEST, width=2, dash="solid" if k == 1 else "dot"),
                                 name="q(z|x): 1, 2, 3 sigma", legendgroup="q", showlegend=k == 1, hoverinfo="skip"))
    j = np.unravel_index(np.argmax(p["log_post"]), p["log_post"].shape)
    fig.add_trace(go.Scatter(x=[p["z1"][j[1]]], y=[p["z2"][j[0]]], mode="markers", name="posterior mode",
                             marker=dict(symbol="x", size=12, color="black")))
    fig.update_layout(template=TEMPLATE, height=420, margin=dict(l=50, r=10, t=40, b=40),
                      xaxis_title="z<sub>1</sub>", yaxis=dict(title="z<sub>2</sub>", scaleanchor="x"),
                      legend=dict(orientation="h", y=-0.2, x=0),
                      title=dict(text=f"Digit #{p['index']} (label {p['label']}): KL(q || p(z|x)) = {p['kl']:.2f} nats",
                                 x=0, font_size=14))
    return fig
