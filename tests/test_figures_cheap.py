"""Live figures built from plain dicts without validation (lab.figures.plain) hold what plotly's
validation would make of them: each is re-validated here on real snapshots, so a misspelt
property or a bad value fails here instead of going unnoticed to the browser. The helpers are
checked against plotly's own make_subplots, add_vline and add_hline, and ui.classroom.projector
must restyle a cheap figure exactly as it restyles the validated one."""
from __future__ import annotations

import functools
import json

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from lab.experiments import get
from lab.experiments.disjoint import figures as disjoint_figs
from lab.experiments.langevin import figures as langevin_figs
from lab.experiments.robust_mean import figures as robust_figs
from lab.experiments.vae import figures as vae_figs
from lab.figures import plain
from ui.classroom import projector


def _snap(name: str, k: int, **cfg) -> dict:
    exp = get(name)
    run = exp.make_run(exp.config(**cfg))
    run.advance(k)
    return run.snapshot()


@functools.cache
def vae_run():
    """Digits (the default data) with a smaller net and test set than the default: ~1 s, not ~10."""
    exp = get("vae")
    run = exp.make_run(exp.config(width=32, steps=20, log_every=5, n_eval=100, K=4))
    run.advance(10)
    return run


@functools.cache
def snap(name: str) -> dict:
    if name == "vae":
        return vae_run().snapshot()
    if name == "vae_1d":
        return _snap("vae", 10, **{**get("vae").smoke, "latent": 1})
    if name == "langevin_1d":
        return _snap("langevin", 5, target="bumps")
    if name == "disjoint":    # across_gap draws every recipe of the page on one chart
        return {r: _snap("disjoint", 5, recipe=r) for r in ("gan", "wgan_gp")}
    return _snap(name, 5)


CASES = {
    "vae.curves": lambda: vae_figs.curves(snap("vae")["history"]),
    "vae.latent_scatter": lambda: vae_figs.latent_scatter(snap("vae"), ellipses=True, click_grid=True,
                                                          picked=(0.5, -1.0)),
    "vae.latent_scatter 1-D": lambda: vae_figs.latent_scatter(snap("vae_1d"), ellipses=True),
    "vae.compare_latents": lambda: vae_figs.compare_latents(vae_run().comparison()),
    "langevin.density 1-D": lambda: langevin_figs.density(snap("langevin_1d")),
    "langevin.density 2-D": lambda: langevin_figs.density(snap("langevin")),
    "langevin.kl_curve": lambda: langevin_figs.kl_curve(snap("langevin")),
    "disjoint.divergences lines": lambda: disjoint_figs.divergences("lines", 0.1, 1.3),
    "disjoint.divergences gaussians": lambda: disjoint_figs.divergences("gaussians", 0.5, -0.7),
    "disjoint.across_gap": lambda: disjoint_figs.across_gap(snap("disjoint")),
    "disjoint.trajectories": lambda: disjoint_figs.trajectories(snap("disjoint")),
    "disjoint.samples": lambda: disjoint_figs.samples(snap("disjoint")),
    "disjoint.earlier": lambda: disjoint_figs.earlier(snap("disjoint")),
    "robust_mean.scatter_figure": lambda: robust_figs.scatter_figure(snap("robust_mean")),
    "robust_mean.errors_figure": lambda: robust_figs.errors_figure(snap("robust_mean")["metrics"]),
    "robust_mean.history_figure": lambda: robust_figs.history_figure(snap("robust_mean")),
}


def _json(fig: go.Figure) -> dict:
    """What st.plotly_chart sends to the browser, as a comparable dict."""
    return json.loads(pio.to_json(fig, validate=False))


@pytest.mark.parametrize("case", CASES)
def test_a_cheap_figure_is_the_figure_plotly_validates(case):
    fig = CASES[case]()
    assert fig._validate is False, "built the slow way: validated on every tick"
    validated = go.Figure(fig.to_dict())            # raises on an unknown property or a bad value
    assert _json(validated) == _json(fig)
    assert fig.data, "an empty figure proves nothing"


@pytest.mark.parametrize("case", ["vae.curves", "disjoint.divergences lines", "robust_mean.scatter_figure",
                                  "langevin.density 2-D", "robust_mean.errors_figure"])
def test_the_projector_restyles_a_cheap_figure_as_it_does_a_validated_one(case):
    fig = CASES[case]()
    before, validated = _json(fig), go.Figure(fig.to_dict())
    assert _json(projector(fig)) == _json(projector(validated))
    assert _json(fig) != before
    # ... and leaves the next tick's figure alone (cached grids, module-level layout dicts)
    assert _json(CASES[case]()) == before


def test_a_misspelt_property_fails_validation():
    """The check above is only worth something if validation rejects what _validate=False keeps."""
    fig = plain.figure([plain.scatter(x=[1, 2], y=[3, 4], line=dict(colour="red"))], dict(height=300))
    assert fig.to_dict()["data"][0]["line"] == {"colour": "red"}
    with pytest.raises(ValueError, match="colour"):
        go.Figure(fig.to_dict())


@pytest.mark.parametrize("kwargs", [
    dict(rows=1, cols=3, horizontal_spacing=0.07),
    dict(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1),
    dict(rows=1, cols=2, column_widths=[0.6, 0.4]),
])
@pytest.mark.parametrize("titles", [(), ("a", "b", "c")[:1] + ("",), ("left: 1.00", "right: 2.00", "third")])
def test_grid_is_make_subplots_layout(kwargs, titles):
    n = kwargs["rows"] * kwargs["cols"]
    titles = titles[:n]
    want = make_subplots(subplot_titles=list(titles) or None, **kwargs).layout.to_plotly_json()
    got = plain.grid(titles, **kwargs)
    assert got == want
    got["xaxis"]["title"] = "changed"                   # a fresh copy each time: the cache is safe
    assert plain.grid(titles, **kwargs) == want


def test_panel_is_where_make_subplots_puts_a_trace():
    fig = make_subplots(rows=2, cols=2)
    for k, (row, col) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2)], start=1):
        fig.add_trace(go.Scatter(x=[k]), row, col)
        assert {a: fig.data[-1][a] for a in ("xaxis", "yaxis")} == plain.panel(k)


def test_vline_and_hline_are_plotlys_shapes():
    line = dict(color="#123456", dash="dot", width=2)
    fig = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]))
    fig.add_vline(x=1.5, line=line)
    fig.add_hline(y=0.25, line=line)
    assert [s.to_plotly_json() for s in fig.layout.shapes] == [plain.vline(1.5, line), plain.hline(0.25, line)]
    sub = make_subplots(rows=1, cols=2)
    sub.add_trace(go.Scatter(x=[1, 4], y=[1, 2]), 1, 2)     # add_vline skips an empty panel
    sub.add_vline(x=3.0, line=line, row=1, col=2)
    assert sub.layout.shapes[0].to_plotly_json() == plain.vline(3.0, line, xref="x2", yref="y2")
