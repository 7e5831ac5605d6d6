"""The 1-D GAN game's page through Streamlit's AppTest (fragment timers do not fire here; each run
draws the live body once): it opens, steps, retunes a live key in place, takes a preset, warns
about a bad link instead of failing, and exports."""
from __future__ import annotations

import json

import pytest

from conftest import metric, open_page

PAGE = "app_pages/gan1d.py"
SMALL = {"steps": "30", "batch": "32", "width": "8"}


def _run(at):
    return at.session_state["gan1d.runs"]["game"]


def _warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def test_page_opens_steps_and_retunes_live():
    at = open_page(PAGE, SMALL)
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 3            # Figure 1, the curves, saturation
    run = _run(at)
    assert run.step == 0 and metric(at, "G steps (of 30)") == "0"
    assert metric(at, "JS (exact)") == f"{run.metrics()['js']:.4f}"
    at.number_input(key="gan1d.k").set_value(7).run()
    at.button(key="gan1d.step").click().run()
    assert not at.exception
    assert _run(at) is run and run.step == 7 and metric(at, "G steps (of 30)") == "7"
    at.number_input(key="gan1d.lr_g").set_value(0.002).run()     # live: the same game, new rate
    assert _run(at) is run and run.game.opt_g.param_groups[0]["lr"] == 0.002
    assert at.query_params["lr_g"] in ("0.002", ["0.002"])
    at.number_input(key="gan1d.k").set_value(100).run()
    at.button(key="gan1d.step").click().run()
    assert run.step == 30                                        # never past the budget
    at.button(key="gan1d.reset").click().run()
    assert _run(at).step == 0 and _run(at) is not run


def test_a_preset_fills_the_target_and_restarts():
    at = open_page(PAGE, SMALL)
    run = _run(at)
    at.selectbox(key="gan1d.preset").set_value("two_bumps").run()
    assert not at.exception
    assert at.text_input(key="gan1d.target").value == "two_bumps"
    assert _run(at) is not run and _run(at).cfg.target == "two_bumps"
    at.text_input(key="gan1d.target").set_value("0.5*N(-1,0.3)+0.5*N(1,0.3").run()    # a typo
    assert any("target" in e.value for e in at.error) and not at.exception
    assert _run(at).cfg.target == "two_bumps"                     # the last good game stays


@pytest.mark.parametrize("query,word", [({"target": "N(0,"}, "target"), ({"d_steps": "0"}, "d_steps"),
                                        ({"prior": "cauchy"}, "prior"), ({"recipe": "zzz"}, "recipe"),
                                        ({"seeds": "99"}, "seeds")])
def test_a_bad_link_value_warns_and_never_raises(query, word):
    at = open_page(PAGE, {**SMALL, **query})
    assert word in _warnings(at)
    assert not at.error and _run(at).cfg.batch == 32


def test_export_gives_the_figures_and_the_numbers():
    at = open_page(PAGE, SMALL)
    at.button(key="gan1d.step").click().run()
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert {"Figure: figure1 (HTML)", "Figure: equilibrium (HTML)", "Figure: saturation (HTML)",
            "Numbers (JSON)", "Curves (CSV)", "Weights game (.pt)"} <= set(labels)
    from ui.driver import Latest
    latest = at.session_state["gan1d.latest"]
    assert isinstance(latest, Latest) and latest.snaps["game"]["step"] == 30        # Step: 50 a press, the budget 30
    from lab.experiments.gan1d import figures as figs
    html = figs.figure1(latest.snaps["game"]).to_html(include_plotlyjs=False)
    assert "p_data" in html and "push-forward" in html
    numbers = json.loads(json.dumps({n: s["metrics"] for n, s in latest.snaps.items()}))
    assert {"js", "d_real", "d_fake", "w1"} <= set(numbers["game"])


def test_every_config_widget_carries_its_value_on_every_run():
    """A config widget's value is set by the script on every run, so the browser takes it even when
    the box mounted after the first run's message: set once, gan1d's target box kept its empty
    default in 4 of 10 Chromium opens (chunks preloaded, a loaded 2-core machine) and the next click
    sent "" ("target: the mixture is empty"). Without the fix the third run sends the text box with
    set_value False and no value."""
    at = open_page("app_pages/gan1d.py")
    at.run()                                                  # a later run: nothing set anew by the link
    box = at.sidebar.text_input(key="gan1d.target")
    assert box.proto.set_value and box.proto.value == "gaussian"
    drawn = [*at.sidebar.number_input, *at.sidebar.selectbox, *at.sidebar.text_input]
    assert {w.key for w in drawn if w.key.startswith("gan1d.") and not w.proto.set_value} == {"gan1d.seeds", "gan1d.preset"}
