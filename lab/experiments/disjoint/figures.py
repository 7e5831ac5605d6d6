"""Figures for the disjoint-supports experiment: closed-form curves (closed_forms) and pure
functions of DisjointRun snapshots. `snaps` maps a run's name to its snapshot; each is drawn
under its own label (snap["label"]), and several recipes trained on the same seed share one chart."""
from __future__ import annotations

import copy
import functools
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab.experiments.disjoint import closed_forms
from lab.figures import plain
from lab.figures.style import TEMPLATE

REAL, FAKE = "#1f77b4", "#ff7f0e"
DIV_STYLE = {  # divergence -> (label, colour, dash); red JS and green W as in note 000's Figs. 1-2
    "kl": ("KL(P_0 || P_theta)", "#7f7f7f", "dot"),
    "js": ("JS", "#d62728", "solid"),
    "tv": ("TV", "#ff7f0e", "dash"),
    "w1": ("W1", "#2ca02c", "solid"),
}
# JS-GANs in reds/purples, Wasserstein critics in greens/browns; none close to the real blue.
RECIPE_COLOUR = {"gan": "#d62728", "ns": "#9467bd", "wgan": "#bcbd22", "wgan_gp": "#2ca02c", "wgan_sn": "#8c564b"}
FLOOR = 1e-8        # smallest |push| drawn on the log axis
LAYOUT = dict(template=TEMPLATE, font=dict(size=14), margin=dict(l=70, r=20, t=50, b=60))


def _vline(fig: go.Figure, x: float, line: dict, xref: str = "x", yref: str = "paper") -> None:
    """A vertical line as a plain layout shape: plotly's add_vline/add_hline cost ~0.1 s each,
    too much for a chart redrawn every tick."""
    fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, xref=xref,
                  yref=yref if yref == "paper" else f"{yref} domain", line=line)


def _span(theta_now: float) -> float:
    """Half-width of the theta axis: [-3, 3] unless theta is near its edge."""
    return max(3.0, abs(theta_now) + 0.5)


@functools.lru_cache(maxsize=16)
def _curves(setup: str, sigma: float, span: float, n: int = 601) -> tuple[np.ndarray, dict, dict]:
    """theta axis (odd count: theta = 0 is a node), divergences and derivatives on it. Kept
    between reruns: the JS integrals take ~0.1 s, and moving the theta slider changes only
    the marker, not the curves."""
    th = np.linspace(-span, span, n)
    vals, grads = closed_forms.exact(setup, th, sigma), closed_forms.exact_grad(setup, th, sigma)
    for a in [th, *vals.values(), *grads.values()]:
        a.setflags(write=False)          # shared by every session that draws this view
    return th, vals, grads


def divergences(setup: str, sigma: float, theta_now: float) -> go.Figure:
    """KL, JS, TV, W1 against theta (top) and their derivatives (bottom), closed forms."""
    th, vals, grads = _curves(setup, sigma, _span(theta_now))
    lines = setup == "lines"
    layout = plain.grid(("Divergence between P_0 and P_theta",
                         "Its derivative in theta: the direction it gives the generator"),
                        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1)
    data = []
    for key, (label, colour, dash) in DIV_STYLE.items():
        if lines and key == "kl":   # +inf on the whole plateau: say so where the eye looks for it
            label = "KL = +inf for theta != 0 (off the chart)"
        for row, values in ((1, vals[key]), (2, grads[key])):
            y = np.where(np.isfinite(values), values, np.nan)
            if lines and key != "w1":
                y = np.where(th == 0, np.nan, y)      # a jump at 0: do not join 0 to the plateau
            data.append(plain.scatter(x=th, y=y, name=label, legendgroup=key, showlegend=row == 1,
                                      line=dict(color=colour, dash=dash, width=3), **plain.panel(row)))
        if lines and key != "w1":
            data.append(plain.scatter(x=[0], y=[0], mode="markers", marker=dict(color=colour, size=10),
                                      legendgroup=key, showlegend=False, hovertemplate=f"{label} = 0 at theta = 0",
                                      **plain.panel(1)))
    top = max(2.3, 1.05 * abs(th).max())
    now = {k: float(v) for k, v in closed_forms.exact(setup, theta_now, sigma).items()}
    layout["yaxis"].update(range=[-0.08, top], title=dict(text="value"))
    layout["yaxis2"].update(range=[-1.6, 1.6], title=dict(text="d / d theta"))
    layout["xaxis"].update(range=[th[0], th[-1]])
    layout["xaxis2"].update(range=[th[0], th[-1]], title=dict(text="theta"))
    name = "parallel lines" if lines else f"Gaussians, s = {sigma:g}"
    title = (f"Closed forms, {name}<br>at theta = {theta_now:.2f}: JS {now['js']:.3f}, TV {now['tv']:.3f}, "
             f"W1 {now['w1']:.2f}, KL {now['kl']:.3g}")
    layout.update(height=620, title=dict(text=title, font=dict(size=15)), legend=dict(orientation="h", y=-0.12),
                  shapes=[dict(type="line", x0=theta_now, x1=theta_now, y0=0, y1=1, xref="x", yref="paper",
                               line=dict(color="black", dash="dash", width=1))],
                  **{**LAYOUT, "margin": dict(l=60, r=20, t=95, b=40)})
    return plain.figure(data, layout)


def gaussian_family(sigma: float, theta_now: float,
                    family: tuple[float, ...] = (1.0, 0.5, 0.25, 0.1, 0.03)) -> go.Figure:
    """Left: JS against theta for shrinking s, tending to the lines' step at log 2. Right: every
    divergence at this theta against s (log axis): the smooth -> disjoint transition."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("JS against theta: bold s = %g; faint s = %s" % (
                                            sigma, ", ".join(f"{v:g}" for v in family if v != sigma)),
                                        f"At theta = {theta_now:.2f}: divergences against s"))
    for s in sorted(set(family) | {sigma}, reverse=True):
        current = s == sigma
        th, vals, _ = _curves("gaussians", s, _span(theta_now), 301)     # six JS curves: keep them light
        fig.add_trace(go.Scatter(x=th, y=vals["js"], name=f"s = {s:g}",
                                 line=dict(color="#d62728" if current else "#e8a0a0", width=4 if current else 1.5),
                                 showlegend=False, hovertemplate=f"s = {s:g}<br>theta %{{x:.2f}}<br>JS %{{y:.4f}}"),
                      1, 1)
    fig.add_trace(go.Scatter(x=th, y=np.where(th == 0, np.nan, math.log(2)), name="lines (s -> 0): log 2",
                             line=dict(color="black", dash="dash", width=1.5)), 1, 1)
    ss = np.logspace(-3, math.log10(5), 200)
    at = closed_forms.gaussians(np.full_like(ss, theta_now), ss)
    for key, (label, colour, dash) in DIV_STYLE.items():
        fig.add_trace(go.Scatter(x=ss, y=at[key], name=label, line=dict(color=colour, dash=dash, width=3)), 1, 2)
    _vline(fig, sigma, dict(color="black", dash="dash", width=1), xref="x2", yref="y2")
    fig.update_xaxes(title_text="theta", row=1, col=1)
    fig.update_xaxes(title_text="s (log scale)", type="log", row=1, col=2)
    fig.update_yaxes(range=[-0.03, 0.75], title_text="JS", row=1, col=1)
    fig.update_yaxes(range=[-0.05, max(2.3, 1.1 * abs(theta_now))], row=1, col=2)
    fig.update_layout(height=430, legend=dict(orientation="h", y=-0.2), **LAYOUT)
    return fig


def plane(real: np.ndarray, fake: np.ndarray, theta: float) -> go.Figure:
    """P_0 and P_theta drawn in the plane at one theta (the closed-form view's companion)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real P_0",
                             marker=dict(color=REAL, size=5, opacity=0.7)))
    fig.add_trace(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="P_theta",
                             marker=dict(color=FAKE, size=5, opacity=0.7)))
    lim = max(3.0, abs(theta) + 0.5)
    fig.update_xaxes(range=[-lim, lim], title_text="x")
    fig.update_yaxes(range=[-0.1, 1.1], title_text="y")
    fig.update_layout(height=320, title=f"Samples at theta = {theta:.2f}",
                      legend=dict(orientation="h", y=-0.3), **LAYOUT)
    return fig


def samples(snaps: dict) -> go.Figure:
    """Real samples (blue) and each recipe's fakes in the plane at its current theta."""
    first = next(iter(snaps.values()))
    data = [plain.scatter(x=first["real"][:, 0], y=first["real"][:, 1], mode="markers", name="real P_0",
                     marker=dict(color=REAL, size=6, opacity=0.7))]
    data += [plain.scatter(x=s["fake"][:, 0], y=s["fake"][:, 1], mode="markers",
                      name=f"fake: {s['label']} (theta = {s['theta']:.2f})",
                      marker=dict(color=RECIPE_COLOUR[s["recipe"]], size=6, opacity=0.6, symbol="x"))
             for s in snaps.values()]
    xs = np.concatenate([first["real"][:, 0]] + [s["fake"][:, 0] for s in snaps.values()])
    lo, hi = min(xs.min(), -0.5, first["theta0"]), max(xs.max(), 0.5, first["theta0"])
    noisy = first["metrics"]["noise"] > 0.2
    return plain.figure(data, dict(
        LAYOUT, height=380, title=dict(text="Samples in the plane"), legend=dict(orientation="h", y=-0.25),
        xaxis=dict(range=[float(lo) - 0.3, float(hi) + 0.3], title=dict(text="x (theta moves the fakes along x)")),
        yaxis=dict(range=[-0.6, 1.6] if noisy else [-0.15, 1.15], title=dict(text="y"))))


def trajectories(snaps: dict) -> go.Figure:
    """theta_t against step for every recipe, on one chart, with the target theta = 0."""
    data = [plain.scatter(x=np.concatenate([[0], s["history"]["step"]]),
                     y=np.concatenate([[s["theta0"]], s["history"]["theta"]]),
                     name=s["label"], line=dict(color=RECIPE_COLOUR[s["recipe"]], width=3))
            for s in snaps.values()]
    return plain.figure(data, dict(
        LAYOUT, height=380, title=dict(text="Trajectories theta_t"), legend=dict(orientation="h", y=-0.25),
        xaxis=dict(title=dict(text="theta step")), yaxis=dict(title=dict(text="theta")),
        shapes=[dict(type="line", x0=0, x1=1, xref="paper", y0=0, y1=0, yref="y",
                     line=dict(color="black", dash="dash", width=1))],
        annotations=[dict(x=1, xref="paper", y=0, yref="y", text="target: theta = 0", showarrow=False,
                          xanchor="right", yanchor="top")]))


@functools.lru_cache(maxsize=1)
def _gap_layout() -> dict:
    """Left panel x / y (D) / y2 (critics, right axis); right panel x2 / y3 (the push bars)."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.58, 0.42], horizontal_spacing=0.1,
                        specs=[[{"secondary_y": True}, {}]],
                        subplot_titles=("D(x) (solid, left axis), critic f(x)/L (dashed, right axis)",
                                        "Push on theta: |d loss_G / d theta|, log scale"))
    fig.update_yaxes(range=[-0.05, 1.05], title_text="D(x)", row=1, col=1, secondary_y=False)
    fig.update_yaxes(row=1, col=1, secondary_y=True, showgrid=False, tickformat=".1f")
    fig.update_yaxes(categoryorder="array", showticklabels=False, row=1, col=2)
    fig.update_xaxes(type="log", range=[math.log10(FLOOR), 1.5], exponentformat="power", row=1, col=2)
    fig.update_xaxes(title_text="x  (real line at 0: blue; each fake line at its theta: dotted)", row=1, col=1)
    fig.update_layout(height=430, legend=dict(orientation="h", y=-0.25), **LAYOUT)
    return fig.layout.to_plotly_json()


def across_gap(snaps: dict) -> go.Figure:
    """Left: each D (in [0, 1]) and critic (centred, divided by its Lipschitz constant) along x,
    with the real line at 0 and each fake line at its theta. Right: the push -d loss_G / d theta
    each gives theta (log scale), green when it points to 0, red when away."""
    layout = copy.deepcopy(_gap_layout())
    data, shapes, notes = [], [], list(layout.get("annotations", []))
    for s in snaps.values():
        label, colour, prob = s["label"], RECIPE_COLOUR[s["recipe"]], s["probabilistic"]
        data.append(plain.scatter(x=s["gap_x"], y=s["gap_value"], name=f"{'D' if prob else 'f/L'}: {label}",
                             line=dict(color=colour, width=3, dash="solid" if prob else "dash"),
                             xaxis="x", yaxis="y" if prob else "y2"))
        shapes.append(plain.vline(s["theta"], dict(color=colour, width=1.5, dash="dot")))
        push = s["metrics"]["push"]
        toward = push * s["theta"] < 0
        data.append(dict(type="bar", y=[label], x=[max(abs(push), FLOOR)], orientation="h", showlegend=False,
                         marker=dict(color="#2ca02c" if toward else "#d62728"), opacity=0.45,
                         hovertemplate=f"{label}: push {push:+.3g}<extra></extra>", xaxis="x2", yaxis="y3"))
        # The label sits at the axis start, over the bar: readable however short the bar is.
        notes.append(dict(x=math.log10(FLOOR) + 0.15, y=label, xref="x2", yref="y3", xanchor="left",
                          showarrow=False, font=dict(size=13, color="black"),
                          text=f"{label}: {push:+.1e} {'toward 0' if toward else 'away from 0'}"))
    shapes.append(plain.vline(0.0, dict(color=REAL, width=3)))
    layout.update(shapes=shapes, annotations=notes)
    layout["yaxis3"]["categoryarray"] = [s["label"] for s in snaps.values()][::-1]
    return plain.figure(data, layout)


@functools.lru_cache(maxsize=8)
def _earlier_layout(titles: tuple[str, ...], probabilistic: tuple[bool, ...]) -> dict:
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, horizontal_spacing=0.06)
    for col, prob in enumerate(probabilistic, start=1):
        fig.update_yaxes(title_text="D(x)" if prob else "f(x) / L", row=1, col=col,
                         range=[-0.05, 1.05] if prob else None)
        fig.update_xaxes(title_text="x", row=1, col=col)
    fig.update_layout(height=380, title="D and critics at earlier steps (labels: step; dots: the theta each faced)",
                      **{**LAYOUT, "margin": dict(l=70, r=20, t=90, b=60)})
    return fig.layout.to_plotly_json()


def earlier(snaps: dict) -> go.Figure:
    """One panel per recipe: D or the critic (f/L) along x as kept at earlier steps, light to
    dark, each with a dot at the theta it faced; D saturating on the lines shows as a step that
    stays a step while theta does not move."""
    data = []
    for col, s in enumerate(snaps.values(), start=1):
        axes = dict(xaxis=f"x{col if col > 1 else ''}", yaxis=f"y{col if col > 1 else ''}")
        kept = s["kept"] + [{"step": s["step"], "theta": s["theta"], "x": s["gap_x"], "value": s["gap_value"]}]
        colour = RECIPE_COLOUR[s["recipe"]]
        for i, k in enumerate(kept):
            alpha = 0.25 + 0.75 * (i + 1) / len(kept)
            at = float(np.interp(k["theta"], k["x"], k["value"]))
            data.append(plain.scatter(x=k["x"], y=k["value"], mode="lines", showlegend=False, opacity=alpha,
                                 line=dict(color=colour, width=2), **axes,
                                 hovertemplate=f"step {k['step']}, theta {k['theta']:.3f}<extra></extra>"))
            data.append(plain.scatter(x=[k["theta"]], y=[at], mode="markers+text", showlegend=False,
                                 text=[str(k["step"])], textposition="top right", textfont=dict(size=10),
                                 marker=dict(color=colour, size=7, opacity=alpha), hoverinfo="skip", **axes))
    layout = _earlier_layout(tuple(s["label"] for s in snaps.values()),
                             tuple(bool(s["probabilistic"]) for s in snaps.values()))
    return plain.figure(data, copy.deepcopy(layout))


def headline(snaps: dict) -> list[tuple[str, str]]:
    """(label, value) for the numbers above the live figures."""
    first = next(iter(snaps.values()))
    m = first["metrics"]
    return [(f"Theta steps (of {first['total']:,})", f"{first['step']:,}"), ("Instance noise now", f"{m['noise']:.3g}"),
            ("JS at theta0", f"{m['js_exact']:.4f}"), ("W1 at theta0", f"{m['w1_exact']:.3f}")]


def table(snaps: dict) -> list[dict]:
    """One row per recipe: where theta is, how far it moved, the push it gets, the critic's
    measured Lipschitz constant, the rates and D steps it trains with, JS and W1 now."""
    return [{"recipe": s["label"], "theta": round(s["theta"], 4),
             "moved from theta0": f"{100 * m['moved']:.1f}%", "push on theta": f"{m['push']:+.2e}",
             "Lipschitz (measured)": f"{m['lipschitz']:.3g}", "lr theta / D": f"{m['lr_g']:g} / {m['lr_d']:g}",
             "D steps": m["d_steps"], "JS now": round(m["js_final"], 4), "W1 now": round(m["w1_final"], 4)}
            for s in snaps.values() for m in [s["metrics"]]]
