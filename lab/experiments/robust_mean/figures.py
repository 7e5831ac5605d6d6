"""Figures for the robust-mean page: pure functions of RobustMeanRun snapshots, sweep snapshots
and metrics. Same estimator, same colour and marker everywhere."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lab.experiments.robust_mean.estimators import ESTIMATORS
from lab.figures import plain
from lab.figures.style import TEMPLATE

INLIER, OUTLIER, TRUTH = "#6c8ebf", "#e8743b", "#111111"
STYLE = {  # name -> (colour, marker symbol)
    "mean": ("#d62728", "x"),
    "cw_median": ("#1f77b4", "square"),
    "geo_median": ("#17becf", "diamond"),
    "trimmed_mean": ("#bcbd22", "triangle-up"),
    "tukey": ("#8c564b", "pentagon"),
    "js_gan": ("#2ca02c", "circle"),
    "tv_gan": ("#9467bd", "hexagon"),
    "js_linear": ("#ff7f0e", "triangle-down"),
}
GREENS = plain.colorscale("Greens")     # as validation spells it out (plotly.js's "Greens" differs)
THEORY = {  # theory key -> (label, colour, dash)
    "minimax_rate": ("minimax rate sqrt(p/n + eps^2)", "#2ca02c", "dot"),
    "cw_median_rate": ("median rate sqrt(p/n + p eps^2)", "#1f77b4", "dot"),
    "cw_median_exact": ("coordinatewise median, exact large-n", "#1f77b4", "dash"),
    "mean_bias": ("mean's bias eps ||E_Q X - theta||", "#d62728", "dash"),
}


def label(name: str) -> str:
    return ESTIMATORS[name].label


def _plane_titles(p: int) -> tuple[str, str]:
    if p <= 2:
        return ("x_1", "x_2" if p == 2 else "")
    return ("along 1_p / sqrt(p)", "along (e_1 - e_2) / sqrt(2)")


def scatter_figure(snap: dict, show_heat: bool = True) -> go.Figure:
    """Inliers, outliers, every estimate, the true theta, JS-GAN's path and D's heat map."""
    data = []
    heat = snap["heat"]
    if show_heat and heat is not None:
        data.append(dict(type="heatmap", x=heat["x"], y=heat["y"], z=heat["z"], zmin=0, zmax=1, colorscale=GREENS,
                         opacity=0.55, name=f"D(x) of {label(heat['name'])}", showscale=True,
                         colorbar=dict(title=dict(text="D(x)"), len=0.5, thickness=10, y=0.75),
                         hovertemplate="D = %{z:.2f}<extra></extra>"))
    pts, out = snap["points"], snap["is_outlier"]
    for mask, colour, name in ((~out, INLIER, "inliers  N(theta, I)"), (out, OUTLIER, "outliers  Q")):
        data.append(plain.scatter(x=pts[mask, 0], y=pts[mask, 1], mode="markers", name=name,
                                  marker=dict(color=colour, size=4, opacity=0.45), hoverinfo="skip"))
    for name, trail in snap["trails"].items():
        colour = STYLE[name][0]
        data.append(plain.scatter(x=trail[:, 0], y=trail[:, 1], mode="lines", showlegend=False,
                                  line=dict(color=colour, width=2), hoverinfo="skip"))
    for name, e in snap["estimates"].items():
        colour, symbol = STYLE[name]
        err = snap["metrics"]["error"].get(name, math.nan)
        data.append(plain.scatter(x=[e[0]], y=[e[1]], mode="markers", name=f"{label(name)}: {err:.3f}",
                                  marker=dict(color=colour, symbol=symbol, size=13,
                                              line=dict(color="white", width=1.5)),
                                  hovertemplate=f"{label(name)}<br>error {err:.4f}<extra></extra>"))
    data.append(plain.scatter(x=[snap["theta"][0]], y=[snap["theta"][1]], mode="markers", name="true theta",
                              marker=dict(color=TRUTH, symbol="star", size=18, line=dict(color="white", width=1))))
    xt, yt = _plane_titles(snap["p"])
    where = "" if snap["p"] <= 2 else "<br><sup>projected on a plane through 0 and 1_p; D on that slice</sup>"
    xaxis, yaxis = dict(title=dict(text=xt)), dict(title=dict(text=yt), scaleanchor="x", scaleratio=1)
    if heat is not None:
        xaxis.update(range=[heat["x"][0], heat["x"][-1]], constrain="domain")
        yaxis.update(range=[heat["y"][0], heat["y"][-1]], constrain="domain")
    return plain.figure(data, dict(
        title=dict(text=f"Data, every estimate (error in the legend) and D's map{where}"),
        xaxis=xaxis, yaxis=yaxis, height=640, margin=dict(l=60, r=10, t=60, b=50),
        legend=dict(orientation="h", yanchor="top", y=-0.12, font=dict(size=12)), template=TEMPLATE))


def errors_figure(metrics: dict) -> go.Figure:
    """One bar per estimator: ||theta_hat - theta||_2, with the theory lines across."""
    names = list(metrics["error"])
    vals = [metrics["error"][k] for k in names]
    data = [dict(type="bar", x=vals, y=[label(k) for k in names], orientation="h",
                 marker=dict(color=[STYLE[k][0] for k in names]),
                 text=[f"{v:.3f}" for v in vals], textposition="auto", insidetextanchor="end",
                 insidetextfont=dict(color="white"), outsidetextfont=dict(color="#333"),
                 cliponaxis=False, showlegend=False)]
    shapes = []
    for key in ("minimax_rate", "mean_bias", "cw_median_exact"):
        v = metrics["theory"].get(key, math.inf)
        if math.isfinite(v):
            name, colour, dash = THEORY[key]
            shapes.append(plain.vline(v, dict(color=colour, dash=dash, width=2)))
            data.append(plain.scatter(x=[None], y=[None], mode="lines", name=name,
                                      line=dict(color=colour, dash=dash, width=2)))
    layout = dict(title=dict(text="Error ||theta_hat - theta||_2 on this data"), height=380, template=TEMPLATE,
                  margin=dict(l=175, r=10, t=40, b=50), legend=dict(orientation="h", y=-0.22, font=dict(size=11)),
                  xaxis=dict(title=dict(text="error (log scale)"), type="log", dtick=1),
                  yaxis=dict(autorange="reversed"))
    if shapes:
        layout["shapes"] = shapes
    return plain.figure(data, layout)


def history_figure(snap: dict) -> go.Figure:
    """The GANs' eta error over training, against the median they started from."""
    h, m = snap["history"], snap["metrics"]
    data, shapes, notes = [], [], []
    for key, ys in h.items():
        if key.endswith("_error") and ys:
            name = key[: -len("_error")]
            data.append(plain.scatter(x=h["step"], y=ys, name=label(name), line=dict(color=STYLE[name][0], width=2)))
    for key in ("cw_median", "mean"):
        v = m["error"].get(key, math.nan)
        if v > 0 and math.isfinite(v):
            shapes.append(plain.hline(v, dict(color=STYLE[key][0], dash="dash")))
            # an annotation on a log axis is placed in log10 units (add_hline's own put it at 10^v)
            notes.append(dict(x=0, xref="paper", y=math.log10(v), yref="y", text=label(key), showarrow=False,
                              xanchor="left", yanchor="bottom", font=dict(color=STYLE[key][0], size=11)))
    layout = dict(title=dict(text="GAN estimates: error of eta vs generator step"), height=320,
                  xaxis=dict(title=dict(text="generator step")),
                  yaxis=dict(title=dict(text="||eta - theta||"), type="log", dtick=1),
                  legend=dict(orientation="h", y=-0.3), template=TEMPLATE, margin=dict(l=60, r=10, t=40, b=50))
    if shapes:
        layout.update(shapes=shapes, annotations=notes)
    return plain.figure(data, layout)


def sweep_figure(result: dict) -> go.Figure:
    """Mean error (+- one standard deviation over repetitions) against eps or p, with theory."""
    axis, xs = result["axis"], np.asarray(result["values"], dtype=float)
    fig = go.Figure()
    for name, errs in result["errors"].items():
        errs = np.asarray(errs, dtype=float)
        done = ~np.isnan(errs)
        counts = done.sum(1)
        keep = counts > 0
        if not keep.any():
            continue
        mean = np.where(keep, np.nansum(errs, 1) / np.maximum(counts, 1), np.nan)
        sd = np.array([np.std(r[~np.isnan(r)]) if c > 1 else 0.0 for r, c in zip(errs, counts)])
        fig.add_trace(go.Scatter(x=xs[keep], y=mean[keep], name=label(name), mode="lines+markers",
                                 error_y=dict(type="data", array=sd[keep], visible=True),
                                 line=dict(color=STYLE[name][0], width=2), marker=dict(symbol=STYLE[name][1], size=8)))
    for key, ys in result["theory"].items():
        ys = np.asarray(ys, dtype=float)
        if key in THEORY and np.isfinite(ys).any():
            name, colour, dash = THEORY[key]
            fig.add_trace(go.Scatter(x=xs, y=ys, name=name, mode="lines", line=dict(color=colour, dash=dash, width=2)))
    title = {"eps": "contamination proportion eps", "p": "dimension p"}[axis]
    fig.update_layout(title=f"Error vs {title} ({result['reps']} repetitions each; n = {result['n']})",
                      xaxis_title=title, yaxis_title="||theta_hat - theta||_2 (log scale)", yaxis_type="log",
                      yaxis_dtick=1,
                      height=460, template=TEMPLATE, margin=dict(l=60, r=10, t=50, b=50))
    if axis == "p":
        fig.update_xaxes(type="log")
    return fig


def comparison_rows(metrics: dict) -> list[dict]:
    """The notes' comparison table (breakdown point, precision with and without contamination,
    complexity), one row per estimator, beside what was measured on the current data."""
    rows = []
    for name, err in metrics["error"].items():
        e = ESTIMATORS[name]
        rows.append({"estimator": e.label, "measured error": round(err, 4),
                     "seconds": round(metrics["seconds"].get(name, math.nan), 3),
                     "breakdown point": e.breakdown, "error^2, no contamination": e.rate_clean,
                     "error^2, contaminated": e.rate_contaminated, "complexity": e.complexity})
    return rows
