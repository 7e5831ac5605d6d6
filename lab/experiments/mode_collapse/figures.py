"""Figures for the mode-collapse page: pure functions of `ModeCollapseRun.snapshot()` dicts."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lab.experiments.mode_collapse import metrics as mode_metrics
from lab.figures import plain
from lab.figures.style import TEMPLATE

REAL, FAKE, ARROW = "#1f77b4", "#ff7f0e", "#2b2b2b"
# Colour scales spelt out as validation would (plotly.js's own "RdBu" differs).
RDBU, VIRIDIS = plain.colorscale("RdBu"), plain.colorscale("Viridis")


def _arrow_traces(at: np.ndarray, push: np.ndarray, span: float, legend: bool = True) -> list[dict]:
    """Segments from each fake along -grad loss_G, length |v|/(|v| + median|v|) of 8% of the
    box: directions are true, lengths comparable within one picture."""
    norm = np.linalg.norm(push, axis=1, keepdims=True)
    ref = float(np.median(norm)) or 1.0
    d = push / np.maximum(norm, 1e-12) * (norm / (norm + ref)) * 0.08 * span
    xs, ys = [], []
    for (x0, y0), (dx, dy) in zip(at, d):
        xs += [x0, x0 + dx, None]
        ys += [y0, y0 + dy, None]
    return [plain.scatter(x=xs, y=ys, mode="lines", line=dict(color=ARROW, width=2), name="G's push (-grad loss_G)",
                          showlegend=legend),
            plain.scatter(x=at[:, 0] + d[:, 0], y=at[:, 1] + d[:, 1], mode="markers", showlegend=False,
                          marker=dict(color=ARROW, size=4), hoverinfo="skip")]


def scatter_traces(snap: dict, arrows: bool = True, heat: bool = True, n_fake: int = 1000,
                   legend: bool = True) -> list[dict]:
    """D's heat map, real samples, mode centres, generated samples and (optionally) arrows."""
    ax_x, ax_y = snap["axes"]
    traces = []
    if heat:
        prob = snap["probabilistic"]
        z = snap["heat"]
        if prob:
            colour = dict(zmin=0, zmax=1, colorscale=RDBU, colorbar=dict(title=dict(text="D(x)"), len=0.8))
        else:
            lim = float(np.nanmax(np.abs(z - np.median(z)))) or 1.0
            colour = dict(zmid=float(np.median(z)), zmin=float(np.median(z)) - lim, zmax=float(np.median(z)) + lim,
                          colorscale=RDBU, colorbar=dict(title=dict(text="critic f(x)"), len=0.8))
        traces.append(dict(type="heatmap", x=ax_x, y=ax_y, z=z, opacity=0.55, showscale=legend, hoverinfo="skip",
                           **colour))
    r = snap["real"]
    traces.append(plain.scatter(x=r[:, 0], y=r[:, 1], mode="markers", name="real samples", showlegend=legend,
                                marker=dict(color=REAL, size=4, opacity=0.6)))
    f = snap["fake"][:n_fake]
    traces.append(plain.scatter(x=f[:, 0], y=f[:, 1], mode="markers", name="generated G(z)", showlegend=legend,
                                marker=dict(color=FAKE, size=4, opacity=0.7)))
    c = snap["centres"]
    traces.append(plain.scatter(x=c[:, 0], y=c[:, 1], mode="markers", name="modes", showlegend=legend,
                                marker=dict(symbol="x-thin-open", color="black", size=10, line=dict(width=2))))
    if arrows:
        span = float(ax_x[-1] - ax_x[0])
        traces += _arrow_traces(snap["arrows_at"], snap["arrows"], span, legend)
    return traces


def _layout(title: str, **kw) -> dict:
    """One layout dict on GenLab's one template (lab.figures.style: plotly_white's look without its
    per-redraw automargin), sent unvalidated (lab.figures.plain): titles spelt as dict(text=...)."""
    base = dict(font=dict(size=14), margin=dict(l=50, r=20, t=50, b=40), template=TEMPLATE)
    return {**base, "title": dict(text=title), **kw}


def _box(snap: dict) -> tuple[list[float], list[float]]:
    ax_x, ax_y = snap["axes"]
    return [float(ax_x[0]), float(ax_x[-1])], [float(ax_y[0]), float(ax_y[-1])]


def scatter(snap: dict, arrows: bool = True, title: str | None = None) -> go.Figure:
    m = snap["metrics"]
    bx, by = _box(snap)
    return plain.figure(scatter_traces(snap, arrows), _layout(
        title=title or f"Step {snap['step']}: {m['modes']}/{len(snap['centres'])} modes, "
                       f"{100 * m['hq']:.1f}% high quality, reverse KL {fmt(m['reverse_kl'])}",
        height=560, legend=dict(orientation="h", y=-0.08),
        xaxis=dict(range=bx, constrain="domain"), yaxis=dict(range=by, scaleanchor="x")))


def fmt(v: float) -> str:
    return "inf" if not math.isfinite(v) else f"{v:.2f}"


def read_out(snap: dict) -> list[tuple[str, str, str | None]]:
    """The page's numbers as (label, value, help): this run's, or with seed companions (lab.seeds)
    the mean over the k seeds (the page adds each range in a line below: "7.9 (7-8)")."""
    m, k = snap["metrics"], len(snap["centres"])
    seeds = snap.get("seeds")
    step = ("Step", f"{snap['step']:,}", None)
    if not seeds or seeds["k"] < 2:
        return [step, ("Modes", f"{m['modes']}/{k}", None), ("High quality", f"{100 * m['hq']:.1f}%", None),
                ("Reverse KL", fmt(m["reverse_kl"]), None)]
    st, n, first = seeds["stats"], seeds["k"], seeds["rows"][0]
    shown = f"Mean over {n} seeds; seed {first['seed']} (the pictures): "
    return [step,
            ("Modes (mean)", f"{st['modes']['mean']:.3g}/{k}", shown + f"{first['modes']} modes"),
            ("HQ (mean)", f"{100 * st['hq']['mean']:.1f}%", "High-quality share. " + shown + f"{100 * first['hq']:.1f}%"),
            ("Rev. KL (mean)", fmt(st["reverse_kl"]["mean"]),
             shown + fmt(first["reverse_kl"]) + "; a seed with no high-quality sample (inf) is left out of the mean")]


def headline(cfg, snap: dict) -> str:
    """The run in a few words: its recipe and the remedies that are on."""
    train = cfg.train()
    parts = [train.name] + [t for t, on in (
        (f"{train.objective} loss", cfg.objective is not None),
        ("SN" if train.constraint == "sn" else f"{train.constraint} on D", cfg.constraint is not None),
        (f"unroll {cfg.unroll}", cfg.unroll), (f"pac {cfg.pac}", cfg.pac > 1),
        (f"noise {snap['noise_std']:.2f}", cfg.instance_noise), (f"{train.d_steps} D steps", train.d_steps > 1)) if on]
    return ", ".join(parts)


def coverage(snap: dict) -> go.Figure:
    """Modes x steps: HQ samples (of 2,500) per mode at each measurement; a collapsing G
    lights one row at a time and hops (Metz et al., Figure 1)."""
    cov = np.asarray(snap["coverage"])
    steps = snap["history"]["step"]
    # zmin/zmax fixed: at step 0 every count is 0, and a constant z drew one mid-scale (teal) block.
    return plain.figure([dict(type="heatmap", x=steps, y=list(range(cov.shape[1])), z=cov.T, colorscale=VIRIDIS,
                              zmin=0, zmax=max(1.0, float(cov.max(initial=0))),
                              colorbar=dict(title=dict(text="HQ samples")),
                              hovertemplate="step %{x}<br>mode %{y}<br>%{z} samples<extra></extra>")],
                        _layout("Mode coverage: high-quality samples per mode", xaxis=dict(title=dict(text="step")),
                                yaxis=dict(title=dict(text="mode")), height=320))


def _panels(n: int, vertical: bool, gap: float = 0.09) -> dict:
    """Axis domains for n panels in a row or a column (a light make_subplots)."""
    size = (1 - gap * (n - 1)) / n
    out = {}
    for i in range(n):
        lo = i * (size + gap)
        dom = [1 - lo - size, 1 - lo] if vertical else [lo, lo + size]
        dom = [min(1.0, max(0.0, round(v, 6))) for v in dom]
        sx, sy = ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")
        out[f"xaxis{'' if i == 0 else i + 1}"] = dict(anchor=sy, **({"matches": "x"} if vertical and i else {}),
                                                      **({} if vertical else {"domain": dom}))
        out[f"yaxis{'' if i == 0 else i + 1}"] = dict(anchor=sx, **({"domain": dom} if vertical else {}))
    return out


def curves(snap: dict, compact: bool = False) -> go.Figure:
    """Losses of D and G, modes captured, HQ share and reverse KL against the step; in three
    rows (beside the scatter) or, compact, in three columns."""
    h, k = snap["history"], len(snap["centres"])
    rkl = [v if v is not None and math.isfinite(v) else None for v in h["reverse_kl"]]
    traces = [plain.scatter(x=h["step"], y=h["d_loss"], name="D loss", line=dict(color=REAL)),
              plain.scatter(x=h["step"], y=h["g_loss"], name="G loss", line=dict(color=FAKE)),
              plain.scatter(x=h["step"], y=h["modes"], name="modes captured", line=dict(color="black"),
                            xaxis="x2", yaxis="y2"),
              plain.scatter(x=h["step"], y=h["hq"], name="HQ fraction", line=dict(color="#2ca02c"),
                            xaxis="x3", yaxis="y3"),
              # markers: plotly's autorange pads for them (a bare line at its maximum sat on the
              # axis top, half clipped), and a finite value between infinite ones still shows
              plain.scatter(x=h["step"], y=rkl, name="reverse KL (nats)", line=dict(color="#9467bd", dash="dash"),
                            mode="lines+markers", marker=dict(size=5), cliponaxis=False, xaxis="x3", yaxis="y3")]
    axes = _panels(3, vertical=not compact)
    axes["yaxis2"].update(range=[-0.5, k + 0.5], title=dict(text="modes"))
    axes["yaxis"].update(title=dict(text="loss"))
    axes["xaxis3"].update(title=dict(text="step"))
    return plain.figure(traces, _layout(
        "Losses · modes captured · HQ share and reverse KL",
        height=330 if compact else 470, legend=dict(orientation="h", y=-0.15), **axes))


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
    """Generated samples at chosen (measured) steps, side by side over the modes: one axis,
    each panel shifted right by the box width (cheaper than subplots, redrawn every tick)."""
    steps = [s for s in steps if s in snap["snapshots"]][:8] or [snap["step"]]
    bx, by = _box(snap)
    w = (bx[1] - bx[0]) * 1.08
    c = snap["centres"]
    traces, notes, shapes = [], [], []
    for i, s in enumerate(steps):
        pts = np.asarray(snap["snapshots"].get(s, snap["fake"][:500]))
        # Samples outside the data box would land in the next panel: drop them, count them.
        inside = ((pts[:, 0] >= bx[0]) & (pts[:, 0] <= bx[1]) & (pts[:, 1] >= by[0]) & (pts[:, 1] <= by[1]))
        out, pts = int((~inside).sum()), pts[inside]
        traces.append(plain.scatter(x=c[:, 0] + i * w, y=c[:, 1], mode="markers", showlegend=False, hoverinfo="skip",
                                    marker=dict(symbol="x-thin-open", color=REAL, size=8, line=dict(width=2))))
        traces.append(plain.scatter(x=pts[:, 0] + i * w, y=pts[:, 1], mode="markers", showlegend=False,
                                    hoverinfo="skip", marker=dict(color=FAKE, size=3, opacity=0.6)))
        notes.append(dict(x=bx[0] + i * w + 0.5 * (bx[1] - bx[0]), y=by[1], yanchor="bottom", showarrow=False,
                          text=f"step {s}" + (f" ({out} outside)" if out else "")))
        shapes.append(dict(type="rect", x0=bx[0] + i * w, x1=bx[1] + i * w, y0=by[0], y1=by[1],
                           line=dict(color="#ccc", width=1)))
    return plain.figure(traces, _layout(
        "Snapshots (500 samples each)", height=260, annotations=notes, shapes=shapes,
        xaxis=dict(range=[bx[0], bx[0] + len(steps) * w], visible=False, constrain="domain"),
        yaxis=dict(range=[by[0], by[1] * 1.12], visible=False, scaleanchor="x")))


def anchor_table(snaps: dict) -> list[dict]:
    """Rows for this run (or the A/B pair) and the papers' numbers for the same kind of data."""
    first = next(iter(snaps.values()))
    kind = "grid" if "grid" in first["data"] else "ring" if "ring" in first["data"] else None
    rows = [{"source": "this lab", "method": f"{name}, step {s['step']}", "modes": s["metrics"]["modes"],
             "hq": s["metrics"]["hq"], "reverse_kl": s["metrics"]["reverse_kl"], "setup": s["label"]}
            for name, s in snaps.items()]
    return rows + (mode_metrics.anchor_rows(kind) if kind else [])


def metrics_vs_anchors(snap_or_snaps: dict) -> go.Figure:
    snaps = snap_or_snaps if "metrics" not in snap_or_snaps else {"this run": snap_or_snaps}
    rows = anchor_table(snaps)
    cells = [[r["source"] for r in rows], [r["method"] for r in rows], [f"{r['modes']:g}" for r in rows],
             [f"{100 * r['hq']:.1f}%" for r in rows],
             ["-" if r["reverse_kl"] is None else fmt(r["reverse_kl"]) for r in rows], [r["setup"] for r in rows]]
    return plain.figure([dict(type="table", columnwidth=[1.3, 1.3, 0.7, 0.9, 0.9, 5],
                              header=dict(values=["source", "method", "modes", "high quality", "reverse KL",
                                                  "set-up"], fill=dict(color="#e8e8e8"), align="left"),
                              cells=dict(values=cells, align="left", height=26))],
                        _layout("Measured here vs the literature (each with its own set-up)",
                                height=160 + 40 * len(rows)))
