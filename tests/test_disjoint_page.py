"""The disjoint-supports page through Streamlit's AppTest (fragment timers do not fire here;
each run draws the live body once), old and bad links, and one real browser for the old URL
path /wasserstein and the live redraw."""
from __future__ import annotations

import math
import re

import pytest

from conftest import error_texts, metric, open_page, wait_for_app

PAGE = "app_pages/disjoint.py"


def _runs(at) -> dict:
    return at.session_state["disjoint.runs"]


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_page_loads_and_steps():
    at = open_page(PAGE, {"recipes": "gan,wgan_gp", "steps": "40"})
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 5          # divergences, plane, trajectories, gap, samples
    assert list(_runs(at)) == ["gan", "wgan_gp"]
    assert all(r.step == 0 for r in _runs(at).values())
    at.number_input(key="disjoint.k").set_value(7).run()
    at.button(key="disjoint.step").click().run()
    assert not at.exception
    runs = _runs(at)
    assert [r.step for r in runs.values()] == [7, 7]
    assert metric(at, "Theta steps (of 40)") == "7"
    table = at.dataframe[0].value
    assert list(table["recipe"]) == ["JS-GAN, minimax", "WGAN-GP"]
    assert table["theta"].tolist() == pytest.approx([r.theta for r in runs.values()], abs=1e-4)
    assert list(table["lr theta / D"]) == ["0.05 / 0.001", "0.02 / 0.001"]
    assert runs["wgan_gp"].theta < 2.0                # the critic's push moved it already
    at.toggle(key="disjoint.earlier").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 6          # + D and critics at earlier steps
    assert [k["step"] for k in runs["gan"].kept] == [1, 5]
    assert at.query_params["recipes"] in ("gan,wgan_gp", ["gan,wgan_gp"])


def test_step_stops_at_the_budget():
    at = open_page(PAGE, {"recipes": "wgan_sn", "steps": "10"})
    at.number_input(key="disjoint.k").set_value(25).run()
    at.button(key="disjoint.step").click().run()
    assert _runs(at)["wgan_sn"].step == 10


def test_gaussians_show_the_family_and_sigma_reaches_the_run():
    at = open_page(PAGE, {"recipes": "ns"})
    at.selectbox(key="disjoint.setup").set_value("gaussians").run()
    at.number_input(key="disjoint.sigma").set_value(0.01).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 6          # + the s-family figure
    run = _runs(at)["ns"]
    assert run.cfg.setup == "gaussians" and run.cfg.sigma == 0.01
    assert at.query_params["setup"] in ("gaussians", ["gaussians"])
    assert run.metrics()["js_exact"] == pytest.approx(math.log(2), abs=1e-12)  # s = 0.01, theta0 = 2


def test_a_live_key_keeps_the_run_and_reset_restarts_it():
    at = open_page(PAGE, {"recipes": "gan"})
    at.button(key="disjoint.step").click().run()
    run = _runs(at)["gan"]
    theta = run.theta
    at.number_input(key="disjoint.instance_noise").set_value(1.0).run()
    at.number_input(key="disjoint.lr_g").set_value(0.1).run()
    assert _runs(at)["gan"] is run                   # retuned in place: theta and D kept
    assert run.step == 10 and run.theta == theta
    assert run.cfg.instance_noise == 1.0 and run.gan.lr_g == 0.1
    at.button(key="disjoint.step").click().run()
    assert run.step == 20 and run.history["noise"][-1] == 1.0
    at.number_input(key="disjoint.width").set_value(32).run()      # not live: a new run
    assert _runs(at)["gan"] is not run and _runs(at)["gan"].step == 0
    at.button(key="disjoint.step").click().run()
    at.button(key="disjoint.reset").click().run()
    assert _runs(at)["gan"].step == 0


def test_bad_link_values_fall_back_with_a_note():
    at = open_page(PAGE, {"theta0": "99", "objective": "nope", "recipes": "ns"})
    assert "theta0" in _warnings(at) and "recipe" in _warnings(at)
    assert _runs(at)["ns"].cfg.theta0 == 2.0


def test_no_recipe_says_what_to_do():
    at = open_page(PAGE, {"recipes": "ns"})
    at.multiselect(key="disjoint.recipes").set_value([]).run()
    assert not at.exception
    assert any("recipe" in i.value for i in at.info)


# ---- links shared before the one-vocabulary change, and bad ones --------------------------------
@pytest.mark.parametrize("query,check", [
    ({"objective": "js_minimax"}, lambda runs: list(runs) == ["gan"]),
    ({"objectives": "js_minimax,wgan_clip"}, lambda runs: list(runs) == ["gan", "wgan"]),
    ({"d_lr": "0.01", "objectives": "js_ns"}, lambda runs: runs["ns"].gan.lr_d == 0.01),
    ({"lr": "0.1", "objectives": "wgan_gp"}, lambda runs: runs["wgan_gp"].gan.lr_g == 0.1),
    ({"anneal": "true", "instance_noise": "0.5", "objectives": "js_ns"},
     lambda runs: runs["ns"].cfg.noise_anneal == -1 and runs["ns"].cfg.anneal_steps() == 300),
])
def test_old_link_keys_still_open_with_a_notice(query, check):
    at = open_page(PAGE, query)
    assert not at.error
    old = next(k for k in query if k in ("objective", "objectives", "d_lr", "lr", "anneal"))
    assert f"'{old}=" in _warnings(at) and "old name" in _warnings(at)
    assert check(_runs(at))


@pytest.mark.parametrize("query,word", [
    ({"seed": "-3"}, "seed"), ({"recipes": "zzz"}, "zzz"), ({"recipes": "gan,zzz,lsgan"}, "lsgan"),
    ({"noise_anneal": "-7"}, "noise_anneal"), ({"lr_g": "0"}, "lr_g"), ({"sigma": "nan"}, "sigma")])
def test_bad_link_values_warn_and_never_raise(query, word):
    at = open_page(PAGE, query)
    assert word in _warnings(at)
    assert not at.error and _runs(at)
    if "recipes" in query:
        assert "gan" in _runs(at)            # known names kept; none known: the default set


def test_a_recipe_value_typed_once_is_used_by_every_recipe_and_cleared_is_each_ones_own():
    at = open_page(PAGE, {"recipes": "gan,wgan"})
    at.number_input(key="disjoint.lr_g").set_value(0.05).run()
    assert [r.gan.lr_g for r in _runs(at).values()] == [0.05, 0.05]
    assert at.query_params["lr_g"] in ("0.05", ["0.05"])
    assert "(yours)" in " ".join(c.value for c in at.caption)
    at.number_input(key="disjoint.lr_g").set_value(None).run()     # the box emptied
    assert [r.gan.lr_g for r in _runs(at).values()] == [0.05, 20.0]
    assert "lr_g" not in at.query_params


# ---- a real browser: the old path forwards, Play redraws ----------------------------------------
def test_old_path_forwards_and_play_redraws(streamlit_url, page):
    page.goto(f"{streamlit_url}/wasserstein?objectives=js_minimax,wgan_gp&steps=2000", wait_until="domcontentloaded")
    wait_for_app(page)
    page.get_by_role("heading", name=re.compile("Wasserstein vs Jensen-Shannon")).wait_for(timeout=90_000)
    page.wait_for_url(re.compile(r"/disjoint\?.*recipes=gan%2Cwgan_gp"), timeout=30_000)   # the link, in today's words
    steps = page.locator("[data-testid='stMetric']").filter(has_text="Theta steps")
    steps = steps.locator("[data-testid='stMetricValue']")
    steps.wait_for(timeout=90_000)
    assert steps.inner_text() == "0"
    page.get_by_role("button", name=re.compile(r"Play$")).first.click()
    seen = set()
    for _ in range(24):                              # 6 s: the fragment redraws several times (a loaded
        # machine spaces redraws out when training runs in worker processes, ui.pace)
        page.wait_for_timeout(250)
        seen.add(steps.inner_text())
    page.get_by_role("button", name=re.compile(r"Pause$")).first.click()
    assert len(seen) >= 4, seen
    assert error_texts(page) == []
