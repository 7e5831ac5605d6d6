"""Part 5 of the energy-based-models page (from Langevin to diffusion) through AppTest: it opens
from a link, steps, shows the three samplers' KL beside each other and the noised densities, a
live key retunes in place, a key that is not live starts a new run, and bad input is one message."""
from __future__ import annotations

import pytest

from conftest import metric, open_page

PAGE = "app_pages/ebm.py"
TINY = {"part": "diffusion", "steps": "20", "samples": "100", "per_level": "5", "levels": "3",
        "ddpm_steps": "10", "width": "16", "depth": "1", "readouts": "2"}


def _run(at):
    return at.session_state["ebm.df.run.runs"]["run"]


def test_diffusion_opens_from_a_link_steps_and_retunes_live():
    at = open_page(PAGE, TINY)
    assert not at.error and not at.warning
    run = _run(at)
    assert run.cfg.levels == 3 and run.cfg.per_level == 5
    assert len(at.get("plotly_chart")) == 3                        # samples, curves, noised densities
    at.button(key="ebm.df.run.step").click().run()
    assert run.step == 20 and metric(at, "Steps (of 20)") == "20"
    m = run.metrics()
    for label, key in [("KL annealed", "kl"), ("KL DDPM", "kl_ddpm"),
                       ("KL single-level", "kl_langevin")]:
        assert float(metric(at, label)) == pytest.approx(m[key], rel=1e-2)
    at.number_input(key="ebm.df.lr").set_value(0.002).run()       # live: the same run goes on
    assert _run(at) is run and run.cfg.lr == 0.002
    at.number_input(key="ebm.df.levels").set_value(4).run()       # not live: a new run
    assert _run(at) is not run and _run(at).cfg.levels == 4
    assert not at.exception and not at.error


def test_the_banana_has_no_noised_figure_and_says_so():
    at = open_page(PAGE, TINY | {"target": "banana"})
    assert not at.exception and not at.error
    assert _run(at).noised_densities() is None and len(at.get("plotly_chart")) == 2
    assert any("no closed form" in c.value for c in at.caption)


@pytest.mark.parametrize("query,word", [({"sigma_max": "0.01"}, "sigma_max"), ({"levels": "0"}, "levels"),
                                        ({"target": "N((0"}, "target")])
def test_bad_values_are_one_message_and_never_raise(query, word):
    at = open_page(PAGE, TINY | query)
    assert not at.exception
    said = " ".join(w.value for w in [*at.warning, *at.error])
    assert word in said


@pytest.mark.parametrize("how", ["lo", "garbage"])
def test_every_key_at_its_lower_bound_opens_and_garbage_warns_by_name(how):
    from lab.experiments.diffusion import DiffusionConfig
    from test_urls import _values
    values = _values(DiffusionConfig, how)
    at = open_page(PAGE, {"part": "diffusion", **values})       # asserts no exception
    shown = " ".join(w.value for w in at.warning)
    if how == "lo":
        assert not at.error and "Ignored the link's value" not in shown
        at.button(key="ebm.df.run.step").click().run()
        assert not at.exception and at.session_state["ebm.df.run.runs"]["run"].step == 1
    else:
        assert all(f"{key}=" in shown for key in values if key != "target")
