"""Live figures built from plain dicts without validation (lab.figures.plain) hold what plotly's
validation would make of them: each is re-validated here on real snapshots, so a misspelt
property or a bad value fails here instead of going unnoticed to the browser. The helpers are
checked against plotly's own make_subplots, add_vline and add_hline, and ui.classroom.projector
must restyle a cheap figure exactly as it restyles the validated one."""
from __future__ import annotations

import base64
import functools
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.subplots import make_subplots

from lab.experiments import get
from lab.experiments.dirac_gan import figures as dirac_figs
from lab.experiments.dirac_gan.config import variant_config
from lab.experiments.discriminator import figures as disc_figs
from lab.experiments.disjoint import figures as disjoint_figs
from lab.experiments.ebm import figures as ebm_figs
from lab.experiments.ebm_gan import figures as ebm_gan_figs
from lab.experiments.evaluation import figures as eval_figs
from lab.experiments.gan1d import figures as gan1d_figs
from lab.experiments.image_gan import figures as image_gan_figs
from lab.experiments.image_vae import figures as image_vae_figs
from lab.experiments.langevin import figures as langevin_figs
from lab.experiments.mode_collapse import figures as mc_figs
from lab.experiments.robust_mean import figures as robust_figs
from lab.experiments.score_matching import figures as score_figs
from lab.experiments.vae import figures as vae_figs
from lab.figures import plain
from lab.sweep import figures as sweep_figs
from lab.sweep import kinds
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


# The energy-based models' snapshots: (experiment, changes to its smoke config), each 1-D and 2-D
ENERGY = {
    "ebm": ("ebm", {}),                                         # two bumps (1-D)
    "ebm_2d": ("ebm", {"target": "ring"}),
    "score_matching": ("score_matching", {}),                   # the banana (2-D)
    "score_matching_1d": ("score_matching", {"target": "bumps"}),
    "ebm_gan": ("ebm_gan", {}),                                 # min-max on the banana (2-D)
    "ebm_gan_1d": ("ebm_gan", {"target": "bumps"}),
    "ebm_gan_identity": ("ebm_gan", {"mode": "identity"}),
    "ebm_gan_identity_1d": ("ebm_gan", {"mode": "identity", "target": "bumps"}),
}


@functools.cache
def snap(name: str) -> dict:
    if name in ENERGY:
        exp, changes = ENERGY[name]
        return _snap(exp, 3, **{**get(exp).smoke, **changes})
    if name == "vae":
        return vae_run().snapshot()
    if name == "vae_1d":
        return _snap("vae", 10, **{**get("vae").smoke, "latent": 1})
    if name == "langevin_1d":
        return _snap("langevin", 5, target="bumps")
    if name == "disjoint":    # across_gap draws every recipe of the page on one chart
        return {r: _snap("disjoint", 5, recipe=r) for r in ("gan", "wgan_gp")}
    if name.startswith("discriminator"):    # the page's runs: one per constraint (LSGAN's own panel too)
        dim = 2 if name.endswith("2d") else 1
        return {c: _snap("discriminator", 5, **get("discriminator").smoke, dim=dim, constraint=c,
                         objective="lsgan" if c == "none" and dim == 2 else "auto") for c in ("none", "clip", "sn")}
    if name == "mode_collapse_critic":
        return _snap("mode_collapse", 20, **{**get("mode_collapse").smoke, "steps": 30}, recipe="wgan_gp")
    if name == "dirac_gan":     # the page's variants, a kink (WGAN-GP: no Jacobian) among them
        exp = get("dirac_gan")
        runs = {v: exp.make_run(variant_config(exp.config(steps=30), v)) for v in ("simultaneous", "r1", "wgan_gp")}
        return {v: (r.advance(20), r.snapshot())[1] for v, r in runs.items()}
    if name == "gan1d_critic":
        return _snap("gan1d", 5, **get("gan1d").smoke, recipe="wgan")
    if name.startswith("sweep_"):
        return sweep_snap(name[len("sweep_"):])
    if name in ("gan1d", "image_gan", "image_vae", "evaluation"):
        return _snap(name, 3, **get(name).smoke)
    if name == "mode_collapse":
        return _snap(name, 20, **{**get(name).smoke, "steps": 30})
    return _snap(name, 5)


@functools.cache
def sweep_snap(kind: str) -> dict:
    """A 2 x 2-cell sweep (two seeds a cell) of the mode-collapse kind, or 2 cells of another."""
    k = kinds.get(kind)
    smoke = {key: v for key, v in get(kind if kind != "mode_collapse" else "mode_collapse").smoke.items()
             if key not in ("log_every",)}
    axes = dict(x="lr_d=1e-4,1e-3", y="lr_g=1e-4,1e-3") if kind == "mode_collapse" else dict(x="lr_d=1e-4,1e-3")
    run = k.run(k.config(**axes, seeds=2, **smoke))
    run.advance(3)
    return run.snapshot()


def sweep_grid(kind: str):
    return kinds.get(kind).grid_figure(sweep_snap(kind))


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
    "discriminator.figure 1-D": lambda: disc_figs.figure(snap("discriminator"), "minimax", True, densities=False),
    "discriminator.figure 1-D with densities": lambda: disc_figs.figure(snap("discriminator"), "minimax", False),
    "discriminator.figure 2-D": lambda: disc_figs.figure(snap("discriminator_2d"), "ns", True),
    "discriminator.densities_figure": lambda: disc_figs.densities_figure(snap("discriminator")["none"]),
    "discriminator.loss_figure": lambda: disc_figs.loss_figure(snap("discriminator")),
    "discriminator.generator_losses_figure": lambda: disc_figs.generator_losses_figure(),
    "mode_collapse.scatter": lambda: mc_figs.scatter(snap("mode_collapse")),
    "mode_collapse.scatter critic": lambda: mc_figs.scatter(snap("mode_collapse_critic"), arrows=False, title="a title"),
    "mode_collapse.coverage": lambda: mc_figs.coverage(snap("mode_collapse")),
    "mode_collapse.curves": lambda: mc_figs.curves(snap("mode_collapse")),
    "mode_collapse.curves compact": lambda: mc_figs.curves(snap("mode_collapse_critic"), compact=True),
    "mode_collapse.strip": lambda: mc_figs.strip(snap("mode_collapse"), mc_figs.strip_steps(snap("mode_collapse"), "")),
    "mode_collapse.metrics_vs_anchors": lambda: mc_figs.metrics_vs_anchors(snap("mode_collapse")),
    "dirac_gan.plane": lambda: dirac_figs.plane(snap("dirac_gan"), "r1"),
    "dirac_gan.eigenvalues": lambda: dirac_figs.eigenvalues(snap("dirac_gan")),
    "dirac_gan.radius": lambda: dirac_figs.radius(snap("dirac_gan")),
    "gan1d.figure1": lambda: gan1d_figs.figure1(snap("gan1d")),
    "gan1d.figure1 critic": lambda: gan1d_figs.figure1(snap("gan1d_critic")),
    "gan1d.curves": lambda: gan1d_figs.curves(snap("gan1d")),
    "gan1d.curves critic": lambda: gan1d_figs.curves(snap("gan1d_critic")),
    "gan1d.saturation": lambda: gan1d_figs.saturation(snap("gan1d")),
    "image_gan.curves": lambda: image_gan_figs.curves(snap("image_gan")),
    "image_vae.curves": lambda: image_vae_figs.curves(snap("image_vae")),
    "evaluation.curves": lambda: eval_figs.curves(snap("evaluation")),
    "evaluation.gaussians": lambda: eval_figs.gaussians(snap("evaluation")),
    "evaluation.toy": lambda: eval_figs.toy(snap("evaluation")),
    "evaluation.memorisation": lambda: eval_figs.memorisation(snap("evaluation")),
    "ebm.density 1-D": lambda: ebm_figs.density(snap("ebm")),
    "ebm.density 2-D": lambda: ebm_figs.density(snap("ebm_2d")),
    "ebm.kl_curve": lambda: ebm_figs.kl_curve(snap("ebm")),
    "score_matching.fields 1-D": lambda: score_figs.fields(snap("score_matching_1d")),
    "score_matching.fields 2-D": lambda: score_figs.fields(snap("score_matching")),
    "score_matching.fisher_curve": lambda: score_figs.fisher_curve(snap("score_matching")),
    "ebm_gan.model identity 1-D": lambda: ebm_gan_figs.model(snap("ebm_gan_identity_1d")),
    "ebm_gan.model identity 2-D": lambda: ebm_gan_figs.model(snap("ebm_gan_identity")),
    "ebm_gan.model minmax 1-D": lambda: ebm_gan_figs.model(snap("ebm_gan_1d")),
    "ebm_gan.model minmax 2-D": lambda: ebm_gan_figs.model(snap("ebm_gan")),
    "ebm_gan.bound_curve identity": lambda: ebm_gan_figs.bound_curve(snap("ebm_gan_identity")),
    "ebm_gan.bound_curve minmax": lambda: ebm_gan_figs.bound_curve(snap("ebm_gan")),
    "sweep.heatmap clickable": lambda: sweep_figs.clickable(sweep_figs.heatmap(snap("sweep_mode_collapse"))),
    "sweep.cell_curves": lambda: sweep_figs.cell_curves(snap("sweep_mode_collapse"), 1),
    "sweep.cell_samples": lambda: sweep_figs.cell_samples(snap("sweep_mode_collapse"), 1),
    "sweep.grid_samples": lambda: sweep_figs.grid_samples(snap("sweep_mode_collapse")),
    "sweep.grid of the disjoint kind": lambda: sweep_grid("disjoint"),
    "sweep.grid of the discriminator kind": lambda: sweep_grid("discriminator"),
}


def _json(fig: go.Figure) -> dict:
    """What st.plotly_chart sends to the browser, as a comparable dict."""
    return json.loads(pio.to_json(fig, validate=False))


def _arrays(obj):
    """to_dict's base64 arrays back as numpy arrays: validation passes an encoded array through
    untouched, so without this it would neither check nor normalise one (e.g. marker angles
    onto [-180, 180))."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            a = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"])
            return a.reshape([int(n) for n in obj["shape"].split(",")]) if "shape" in obj else a
        return {k: _arrays(v) for k, v in obj.items()}
    return [_arrays(v) for v in obj] if isinstance(obj, list) else obj


def _validated(fig: go.Figure) -> go.Figure:
    return go.Figure(_arrays(fig.to_dict()))       # raises on an unknown property or a bad value


@pytest.mark.parametrize("case", CASES)
def test_a_cheap_figure_is_the_figure_plotly_validates(case):
    fig = CASES[case]()
    assert fig._validate is False, "built the slow way: validated on every tick"
    validated = _validated(fig)
    assert _json(validated) == _json(fig)
    assert fig.data, "an empty figure proves nothing"


@pytest.mark.parametrize("case", ["vae.curves", "disjoint.divergences lines", "robust_mean.scatter_figure",
                                  "langevin.density 2-D", "robust_mean.errors_figure", "discriminator.figure 2-D",
                                  "gan1d.curves", "image_gan.curves", "sweep.heatmap clickable",
                                  "ebm.density 2-D", "ebm.kl_curve", "score_matching.fields 2-D",
                                  "ebm_gan.model minmax 2-D"])
def test_the_projector_restyles_a_cheap_figure_as_it_does_a_validated_one(case):
    fig = CASES[case]()
    before, validated = _json(fig), _validated(fig)
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


def test_validation_of_the_arrays_is_checked_too():
    """A marker angle of 200 degrees is sent as -160 by validation; the check above must see that."""
    fig = plain.figure([plain.scatter(x=np.arange(2.0), y=np.arange(2.0), marker=dict(angle=np.array([200.0, 10.0])))],
                       {})
    assert _json(_validated(fig)) != _json(fig)


def test_vrect_is_plotlys_shape():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 2]))
    fig.add_vrect(x0=0, x1=0.2, fillcolor="#ff7f0e", opacity=0.12, line_width=0)
    assert fig.layout.shapes[0].to_plotly_json() == plain.vrect(0, 0.2, fillcolor="#ff7f0e", opacity=0.12,
                                                                line=dict(width=0))


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
