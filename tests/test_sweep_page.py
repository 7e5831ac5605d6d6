"""The Sweep page through AppTest (lessons set every widget, a bad axis is one st.error naming it
and the last sweep stays, the URL carries the sweep, a cell opens as a single run) and the
mode-collapse page's "seeds trained together" read-outs."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from conftest import open_page
from lab.config import from_strings
from lab.experiments.mode_collapse import ModeCollapseConfig, ModeCollapseRun
from lab.sweep import SweepConfig, presets

PAGE = "app_pages/sweep.py"
SMALL = {"width": "16", "depth": "1", "latent": "4", "batch": "32", "eval_every": "5", "steps": "40"}


def _run(at):
    return at.session_state["sweep.runs"]["sweep"]


@pytest.fixture(scope="module")
def at():
    return open_page(PAGE, {**SMALL, "x": "lr_d=1e-4,1e-3", "y": "lr_g=1e-4,1e-3", "seeds": "2"})


def test_link_builds_the_sweep_and_step_trains_every_member(at):
    run = _run(at)
    assert run.members == 8 and run.cfg.shape() == (2, 2) and run.cfg.width == 16
    assert any("8 members: 2 x 2 cells x 2 seeds" in c.value for c in at.caption)
    at.number_input(key="sweep.k").set_value(10).run()
    at.button(key="sweep.step").click().run()
    assert not at.exception and _run(at) is run and run.step == 10
    assert len(run.trace["modes"]) == 3              # steps 0, 5, 10
    assert len(at.get("plotly_chart")) == 4          # heat map, cell curves, cell samples, every cell


def test_cell_links_open_each_seed_as_its_single_run(at):
    run = _run(at)
    at.selectbox(key="sweep.cell").set_value(3).run()
    links = [el for el in at.get("page_link") if el.proto.label.startswith("seed ")]
    assert [el.proto.label for el in links] == ["seed 0", "seed 1"]
    for el, m in zip(links, (6, 7)):                # cell 3 = lr_d 1e-3, lr_g 1e-3: members 6 and 7
        assert el.proto.page == "mode_collapse"
        params = dict(p.split("=", 1) for p in el.proto.query_string.split("&")) if el.proto.query_string else {}
        cfg = from_strings(ModeCollapseConfig, {k: v.replace("%3D", "=") for k, v in params.items()})
        assert cfg == run.configs[m] and cfg.lr_d == 1e-3 and cfg.lr_g == 1e-3 and cfg.seed == m - 6


def test_bad_axis_is_one_error_naming_it_and_the_sweep_stays(at):
    run = _run(at)
    at.text_input(key="sweep.mode_collapse.x").set_value("lr_q=1,2").run()
    assert not at.exception
    assert len(at.error) == 1 and "lr_q" in at.error[0].value and "lr_d" in at.error[0].value
    assert _run(at) is run
    at.text_input(key="sweep.mode_collapse.x").set_value("eval_every=5,10").run()
    assert len(at.error) == 1 and "eval_every cannot be swept" in at.error[0].value
    at.text_input(key="sweep.mode_collapse.x").set_value("lr_d=log:0:1:3").run()
    assert len(at.error) == 1 and "positive" in at.error[0].value
    at.text_input(key="sweep.mode_collapse.x").set_value("lr_d=1e-4,1e-3").run()
    assert not at.error and _run(at) is run


def test_live_key_retunes_members_and_the_url_follows(at):
    run = _run(at)
    at.number_input(key="sweep.mode_collapse.instance_noise").set_value(0.1).run()
    assert _run(at) is run and all(c.instance_noise == 0.1 for c in run.configs)
    assert at.query_params["instance_noise"] in ("0.1", ["0.1"])
    x = at.query_params["x"]
    assert (x[0] if isinstance(x, list) else x) == "lr_d=1e-4,1e-3"          # as typed


def test_lesson_sets_axes_seeds_and_settings():
    at = open_page(PAGE, SMALL)
    at.selectbox(key="sweep.mode_collapse.preset").set_value("pac").run()
    assert not at.exception
    want = from_strings(SweepConfig, presets.strings("pac"))
    assert at.text_input(key="sweep.mode_collapse.x").value == "pac=1,2,4,8"
    assert at.number_input(key="sweep.mode_collapse.seeds").value == want.seeds == 8
    assert at.number_input(key="sweep.mode_collapse.width").value == 64          # the lesson's (default) architecture
    assert _run(at).members == 32 and len(_run(at).groups) == 4     # one group per packing
    assert any("PacGAN" in i.value for i in at.info)
    cell = at.selectbox(key="sweep.cell")                # a new grid sends its cell's label with it
    assert list(cell.proto.options) == ["pac=1", "pac=2", "pac=4", "pac=8"]
    assert cell.proto.set_value and cell.proto.raw_value == "pac=1"


def test_after_a_lesson_step_the_cell_box_names_the_new_grids_cell():
    """The browser shows the Cell box's last label, not its index: after a lesson step replaced the
    grid it read "the base config" over the new grid's cell 0, until a value was sent with it."""
    at = open_page(PAGE, SMALL)
    assert list(at.selectbox(key="sweep.cell").proto.options) == ["the base config"]
    at.pills(key="sweep.lesson").set_value(4).run()
    cell = at.selectbox(key="sweep.cell")
    assert not at.exception and cell.proto.options[0] == "pac=1"
    assert cell.proto.set_value and cell.proto.raw_value == "pac=1" and cell.value == 0
    at.run()                                             # the same grid: nothing more is sent
    assert not at.selectbox(key="sweep.cell").proto.set_value


def _params(at) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def test_a_links_preset_picks_the_ready_made_sweep_and_its_own_keys_go_on_top():
    """`preset=` (the lesson steps' links, ui.sweep.preset_from_url): the box shows it, every
    widget takes its value but for the link's own keys, and the address bar reopens the sweep,
    also after a key the preset sets went back to its default."""
    at = open_page(PAGE, {"preset": "pac", **SMALL})
    assert not at.exception and not at.warning and not at.error
    assert at.selectbox(key="sweep.mode_collapse.preset").value == "pac"
    want = from_strings(SweepConfig, {**presets.strings("pac"), **SMALL})
    assert _run(at).cfg == want and want.seeds == 8 and want.width == 16
    assert at.selectbox(key="sweep.metric").value == "modes"
    assert any("PacGAN" in i.value for i in at.info)
    assert _params(at)["preset"] == "pac" and "steps" in _params(at)
    at.number_input(key="sweep.mode_collapse.steps").set_value(SweepConfig().steps).run()   # the preset's 3,000 -> default
    assert _params(at)["steps"] == str(SweepConfig().steps)
    again = open_page(PAGE, _params(at))
    assert not again.warning and again.selectbox(key="sweep.mode_collapse.preset").value == "pac"
    assert _run(again).cfg == _run(at).cfg
    at.selectbox(key="sweep.mode_collapse.preset").set_value("custom").run()
    assert "preset" not in _params(at)


def test_a_preset_of_another_experiment_is_named_in_one_warning():
    at = open_page(PAGE, {**SMALL, "preset": "beta_latent"})          # a VAE preset, on mode collapse
    assert not at.exception and len(at.warning) == 1
    assert "preset='beta_latent'" in at.warning[0].value and "pac" in at.warning[0].value
    assert at.selectbox(key="sweep.mode_collapse.preset").value == "custom" and _run(at).cfg.width == 16
    vae = open_page(PAGE, {"experiment": "vae", "preset": "beta_latent"})
    assert not vae.warning and vae.selectbox(key="sweep.vae.preset").value == "beta_latent"


def test_every_lesson_is_a_valid_sweep_of_sensible_size():
    for name, p in presets.PRESETS.items():
        cfg = from_strings(SweepConfig, presets.strings(name))
        assert 8 <= cfg.n_members <= 128, name
        assert cfg.axes()[0].key == p.x.split("=")[0]


def test_too_big_a_sweep_is_refused_with_one_line():
    at = open_page(PAGE, {**SMALL, "x": "lr_d=log:1e-4:1e-2:64", "y": "lr_g=log:1e-4:1e-2:64", "seeds": "32"})
    assert len(at.error) == 1 and "131,072 members" in at.error[0].value
    assert "sweep.runs" not in at.session_state or not at.session_state["sweep.runs"]


# ---- seeds on the mode-collapse page ---------------------------------------------------------------
def test_mode_collapse_seeds_read_out_mean_and_range_over_single_runs():
    small = {"width": "16", "depth": "1", "latent": "4", "batch": "32", "eval_every": "10", "steps": "200"}
    at = open_page("app_pages/mode_collapse.py", {**small, "seeds": "3", "lr_g": "0.001", "lr_d": "0.001"})
    at.number_input(key="mc.k").set_value(200).run()
    at.button(key="mc.step").click().run()
    assert not at.exception
    run = at.session_state["mc.runs"]["A"]
    assert run.members == 3 and run.step == 200
    singles = []
    for s in range(3):
        one = ModeCollapseRun(dataclasses.replace(run.cfg, seed=s))
        one.advance(200)
        singles.append(one.history["modes"][-1])
    shown = {m.label: m.value for m in at.metric}
    lo, hi = min(singles), max(singles)
    assert shown["Modes (mean)"] == f"{np.mean(singles):.3g}/8"
    line = next(c.value for c in at.caption if c.value.startswith("Over 3 seeds"))
    assert f"modes {np.mean(singles):.3g} ({lo:.3g}-{hi:.3g})" in line
    assert at.query_params["seeds"] in ("3", ["3"])
    at.number_input(key="mc.seeds").set_value(1).run()             # back to one: a plain run
    assert at.session_state["mc.runs"]["A"].members == 1
    assert any(m.label == "Modes" for m in at.metric)
    assert not any(c.value.startswith("Over ") for c in at.caption)


def test_a_disjoint_cell_opens_its_member_alone_on_the_disjoint_page():
    at = open_page(PAGE, {"experiment": "disjoint", "x": "recipe=gan,wgan_gp", "seeds": "2", "steps": "20"})
    run = _run(at)
    at.selectbox(key="sweep.cell").set_value(1).run()                # recipe wgan_gp (the page's default)
    link = next(el for el in at.get("page_link") if el.proto.label == "seed 1")
    params = dict(p.split("=", 1) for p in link.proto.query_string.split("&"))
    assert link.proto.page == "disjoint" and params["recipes"] == "wgan_gp" and params["seed"] == "1"
    assert run.configs[3].recipe == "wgan_gp" and run.configs[3].seed == 1
    page = open_page("app_pages/disjoint.py", params)
    assert list(page.session_state["disjoint.runs"]) == ["wgan_gp"]    # that member alone


SEEDED_PAGES = {   # page, its runs' key, a small link, k per Step
    "discriminator": ("app_pages/discriminator.py", "disc", {"critics": "none,gp", "width": "16"}, 20),
    "disjoint": ("app_pages/disjoint.py", "disjoint", {"recipes": "gan,wgan_gp", "width": "16"}, 20),
    "vae": ("app_pages/vae.py", "vae", {"width": "32", "log_every": "10"}, 20),
    "robust_mean": ("app_pages/robust_mean.py", "rm", {"n": "2000", "batch": "100", "epochs": "1"}, 5),
}


@pytest.mark.parametrize("name", SEEDED_PAGES)
def test_every_single_run_page_trains_seeds_together_and_reads_out_mean_and_range(name):
    page, ns, link, k = SEEDED_PAGES[name]
    at = open_page(page, {**link, "seeds": "3"})
    at.number_input(key=f"{ns}.k").set_value(k).run()
    at.button(key=f"{ns}.step").click().run()
    assert not at.exception and not at.error
    runs = at.session_state[f"{ns}.runs"]
    lines = [c.value for c in at.caption if c.value.startswith("Over 3 seeds")]
    assert len(lines) == len(runs) >= 1
    for run, line in zip(runs.values(), lines):
        assert run.members == 3 and run.step == min(k, run.total) > 0
        rows = run.seed_table()
        assert [r["seed"] for r in rows] == [0, 1, 2]
        key = run.keys[0]
        values = [r[key] for r in rows]
        assert f"{np.mean(values):.3g} (" in line and f"{max(values):.3g})" in line
    at.number_input(key=f"{ns}.seeds").set_value(1).run()
    assert all(r.members == 1 for r in at.session_state[f"{ns}.runs"].values())


# ---- every cell at once, for each experiment ------------------------------------------------------
GRIDS = {   # case: its experiment, a small link, the start of its every-cell figure's title (or caption)
    "discriminator": ("discriminator", {"x": "constraint=none,gp", "width": "16", "batch": "32", "eval_every": "10"},
                      "Every cell's D along x"),
    "discriminator_2d": ("discriminator", {"x": "constraint=none,gp", "dim": "2", "width": "16", "batch": "32",
                                           "eval_every": "10"}, "Every cell's D over the plane"),
    "disjoint": ("disjoint", {"x": "recipe=gan,wgan_gp", "width": "16", "batch": "32"}, "Theta over training"),
    "vae": ("vae", {"x": "beta=0.5,4", "width": "32", "log_every": "10", "n_eval": "100"}, "Prior samples at step 10"),
    "too_many": ("disjoint", {"x": "theta0=lin:0.5:4.5:9", "seeds": "1", "width": "16", "batch": "32"},
                 "Every cell at once is drawn for grids of up to 8 x 8 cells (this one is 9 x 1)"),
}


@pytest.mark.parametrize("case", GRIDS)
def test_each_experiment_shows_every_cell_at_once_after_a_step(case):
    name, link, title = GRIDS[case]
    at = open_page(PAGE, {"experiment": name, "seeds": "2", "steps": "20", **link})
    at.number_input(key="sweep.k").set_value(10).run()
    at.button(key="sweep.step").click().run()
    assert not at.exception and not at.error and _run(at).step == 10
    charts = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    assert {"sweep.heat", "sweep.cell.0", "sweep.cell.1"} <= set(charts)         # the cell's curves and seeds
    if case == "too_many":                               # a sentence where the figure would be
        assert "sweep.grid" not in charts and any(c.value.startswith(title) for c in at.caption)
        return
    grid = charts["sweep.grid"]["layout"]
    assert grid["title"]["text"].startswith(title) and len(grid["shapes"]) == 2    # a tile per cell
