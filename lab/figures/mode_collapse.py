"""Figures for the mode-collapse page: pure functions of `GAN2D.snapshot()` dicts."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lab import mode_metrics

REAL, FAKE, ARROW = "#1f77b4", "#ff7f0e", "#2b2b2b"
LAYOUT = dict(template="plotly_white", font=dict(size=14), margin=dict(l=50, r=20, t=50, b=40))


def _arrow_traces(at: np.ndarray, push: np.ndarray, span: float) -> list[go.Scatter]:
    """Segments from each fake along -grad loss_G, length |v|/(|v| + median|v|) of 8% of the
    box: directions are true, lengths comparable within one picture."""
    norm = np.linalg.norm(push, axis=1, keepdims=True)
    ref = float(np.median(norm)) or 1.0
    d = push / np.maximum(norm, 1e-12) * (norm / (norm + ref)) * 0.08 * span
    xs, ys = [], []
    for (x0, y0), (dx, dy) in zip(at, d):
        xs += [x0, x0 + dx, None]
        ys += [y0, y0 + dy, None]
    return [go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=ARROW, width=2), name="G's push (-grad loss_G)"),
            go.Scatter(x=at[:, 0] + d[:, 0], y=at[:, 1] + d[:, 1], mode="markers", showlegend=False,
                       marker=dict(color=ARROW, size=4), hoverinfo="skip")]


def scatter_traces(snap: dict, arrows: bool = True, heat: bool = True, n_fake: int = 1000,
                   legend: bool = True) -> list:
    """D's heat map, real samples, mode centres, generated samples and (optionally) arrows."""
    ax_x, ax_y = snap["axes"]
    traces = []
    if heat:
        prob = snap["probabilistic"]
        z = snap["heat"]
        if prob:
            colour = dict(zmin=0, zmax=1, colorscale="RdBu", colorbar=dict(title="D(x)", len=0.8))
        else:
            lim = float(np.nanmax(np.abs(z - np.median(z)))) or 1.0
            colour = dict(zmid=float(np.median(z)), zmin=float(np.median(z)) - lim, zmax=float(np.median(z)) + lim,
                          colorscale="RdBu", colorbar=dict(title="critic f(x)", len=0.8))
        traces.append(go.Heatmap(x=ax_x, y=ax_y, z=z, opacity=0.55, showscale=legend, hoverinfo="skip", **colour))
    r = snap["real"]
    traces.append(go.Scatter(x=r[:, 0], y=r[:, 1], mode="markers", name="real samples", showlegend=legend,
                             marker=dict(color=REAL, size=4, opacity=0.6)))
    f = snap["fake"][:n_fake]
    traces.append(go.Scatter(x=f[:, 0], y=f[:, 1], mode="markers", name="generated G(z)", showlegend=legend,
                             marker=dict(color=FAKE, size=4, opacity=0.7)))
    c = snap["centres"]
    traces.append(go.Scatter(x=c[:, 0], y=c[:, 1], mode="markers", name="modes", showlegend=legend,
                             marker=dict(symbol="x-thin-open", color="black", size=10, line=dict(width=2))))
    if arrows:
        span = float(ax_x[-1] - ax_x[0])
        arrow_traces = _arrow_traces(snap["arrows_at"], snap["arrows"], span)
        for t in arrow_traces:
            t.showlegend = legend and t.showlegend is not False
        traces += arrow_traces
    return traces


def _square(fig: go.Figure, snap: dict, row=None, col=None) -> None:
    ax_x, ax_y = snap["axes"]
    kw = {} if row is None else dict(row=row, col=col)
    fig.update_xaxes(range=[ax_x[0], ax_x[-1]], constrain="domain", **kw)
    fig.update_yaxes(range=[ax_y[0], ax_y[-1]], scaleanchor="x" if row is None else None, **kw)


def scatter(snap: dict, arrows: bool = True, title: str | None = None) -> go.Figure:
    m = snap["metrics"]
    fig = go.Figure(scatter_traces(snap, arrows))
    head = title or f"Step {snap['step']}"
    fig.update_layout(title=f"{head}: {m['modes']}/{len(snap['centres'])} modes, "
                            f"{100 * m['hq']:.1f}% high quality, reverse KL {_fmt(m['reverse_kl'])}",
                      height=560, legend=dict(orientation="h", y=-0.08), **LAYOUT)
    _square(fig, snap)
    return fig


def _fmt(v: float) -> str:
    return "inf" if not math.isfinite(v) else f"{v:.2f}"


def coverage(snap: dict) -> go.Figure:
    """Modes x steps: HQ samples (of 2,500) per mode at each measurement; a collapsing G
    lights one row at a time and hops (Metz et al., Figure 1)."""
    cov = np.asarray(snap["coverage"])
    steps = snap["history"]["step"]
    fig = go.Figure(go.Heatmap(x=steps, y=list(range(cov.shape[1])), z=cov.T, colorscale="Viridis",
                               colorbar=dict(title="HQ samples"),
                               hovertemplate="step %{x}<br>mode %{y}<br>%{z} samples<extra></extra>"))
    fig.update_layout(title="Mode coverage over training (high-quality samples per mode)",
                      xaxis_title="step", yaxis_title="mode", height=320, **LAYOUT)
    return fig


def curves(snap: dict) -> go.Figure:
    """Losses of D and G, modes captured, HQ share and reverse KL against the step."""
    h = snap["history"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=("Losses (mean since last measurement)",
                                                        "Modes captured", "High quality and reverse KL"))
    fig.add_trace(go.Scatter(x=h["step"], y=h["d_loss"], name="D loss", line=dict(color=REAL)), 1, 1)
    fig.add_trace(go.Scatter(x=h["step"], y=h["g_loss"], name="G loss", line=dict(color=FAKE)), 1, 1)
    fig.add_trace(go.Scatter(x=h["step"], y=h["modes"], name="modes", line=dict(color="black")), 1, 2)
    fig.add_hline(y=len(snap["centres"]), line=dict(dash="dot", color="grey"), row=1, col=2)
    fig.add_trace(go.Scatter(x=h["step"], y=h["hq"], name="HQ fraction", line=dict(color="#2ca02c")), 1, 3)
    rkl = [v if math.isfinite(v) else None for v in h["reverse_kl"]]
    fig.add_trace(go.Scatter(x=h["step"], y=rkl, name="reverse KL", line=dict(color="#9467bd", dash="dash")), 1, 3)
    fig.update_xaxes(title_text="step")
    fig.update_layout(height=330, legend=dict(orientation="h", y=-0.25), **LAYOUT)
    return fig


def losses(snap: dict) -> go.Figure:
    return curves(snap)


def strip_steps(snap: dict, text: str, n: int = 5) -> list[int]:
    """The measured steps nearest to a comma list typed by the user ("0, 1000, 4000"); empty or
    unreadable text gives n evenly spaced measured steps."""
    have = sorted(snap["snapshots"])
    try:
        asked = [int(float(t)) for t in text.replace(";", ",").split(",") if t.strip()]
    except ValueError:
        asked = []
    if not asked:
        idx = np.unique(np.linspace(0, len(have) - 1, min(n, len(have))).round().astype(int))
        return [have[i] for i in idx]
    return list(dict.fromkeys(min(have, key=lambda h: abs(h - a)) for a in asked))


def strip(snap: dict, steps: list[int]) -> go.Figure:
    """Generated samples at chosen (measured) steps, side by side over the modes."""
    steps = [s for s in steps if s in snap["snapshots"]][:6] or [snap["step"]]
    fig = make_subplots(rows=1, cols=len(steps), subplot_titles=[f"step {s}" for s in steps],
                        horizontal_spacing=0.02)
    c = snap["centres"]
    for i, s in enumerate(steps, start=1):
        pts = snap["snapshots"].get(s, snap["fake"][:500])
        fig.add_trace(go.Scatter(x=c[:, 0], y=c[:, 1], mode="markers", showlegend=False,
                                 marker=dict(symbol="x-thin-open", color=REAL, size=8, line=dict(width=2))), 1, i)
        fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", showlegend=False,
                                 marker=dict(color=FAKE, size=3, opacity=0.6)), 1, i)
        _square(fig, snap, 1, i)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(height=260, title="Snapshots", **LAYOUT)
    return fig


def anchor_table(snaps: dict) -> list[dict]:
    """Rows for this run (or the A/B pair) and the papers' numbers for the same kind of data."""
    first = next(iter(snaps.values()))
    kind = "grid" if "grid" in first["data"] else "ring" if "ring" in first["data"] else None
    rows = [{"source": f"this lab: {name}, step {s['step']} ({s['label']})", "method": name,
             "modes": s["metrics"]["modes"], "hq": s["metrics"]["hq"], "reverse_kl": s["metrics"]["reverse_kl"]}
            for name, s in snaps.items()]
    return rows + (mode_metrics.anchor_rows(kind) if kind else [])


def metrics_vs_anchors(snap_or_snaps: dict) -> go.Figure:
    snaps = snap_or_snaps if "metrics" not in snap_or_snaps else {"this run": snap_or_snaps}
    rows = anchor_table(snaps)
    cells = [[r["source"] for r in rows], [r["method"] for r in rows], [f"{r['modes']:g}" for r in rows],
             [f"{100 * r['hq']:.1f}%" for r in rows],
             ["-" if r["reverse_kl"] is None else _fmt(r["reverse_kl"]) for r in rows]]
    fig = go.Figure(go.Table(columnwidth=[5, 1.4, 0.8, 0.8, 0.9],
                             header=dict(values=["set-up", "method", "modes", "high quality", "reverse KL"],
                                         fill_color="#e8e8e8", align="left"),
                             cells=dict(values=cells, align="left", height=26)))
    fig.update_layout(title="Measured here vs the literature (each with its own set-up)",
                      height=120 + 28 * len(rows), **LAYOUT)
    return fig
