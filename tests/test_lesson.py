"""Lesson steps (ui.lesson): every step of every page's lesson opens that page cleanly (no
warning that the link was ignored, no error, no exception), and choosing a step sets the page
as its link does, with a fresh run paused at step 0."""
from __future__ import annotations

import pytest

import ui
from conftest import open_page
from ui.lesson import steps

PAGES = {e.url_path: e for e in ui.available_pages()}
CASES = [(stem, s) for stem, e in PAGES.items() for s in steps(ui.page_text(e.file))]


def test_the_projected_pages_have_lessons_numbered_in_order():
    have = {stem for stem, _ in CASES}
    assert {"discriminator", "gan1d", "mode_collapse", "ebm", "disjoint", "dirac_gan",
            "vae", "robust_mean", "image_training", "evaluation", "sweep"} <= have
    for stem in have:
        numbers = [s.number for t, s in CASES if t == stem]
        assert numbers == list(range(1, len(numbers) + 1)), stem


@pytest.mark.parametrize("stem,step", CASES, ids=[f"{t}-{s.number}" for t, s in CASES])
def test_every_step_opens_its_page_cleanly(stem, step):
    at = open_page(PAGES[stem].file, step.params)
    assert not at.warning, [w.value for w in at.warning]
    assert not at.error, [e.value for e in at.error]


def test_choosing_a_step_takes_its_settings_and_starts_afresh():
    at = open_page(PAGES["ebm"].file)
    at.number_input(key="ebm.lv.step").set_value(0.01).run()          # the student changed something
    at.button(key="ebm.lv.run.step").click().run()                    # and trained a little
    assert at.session_state["ebm.lv.run.runs"]["run"].step == 20
    at.button_group(key="ebm.lesson").set_value(3).run()               # 3. MALA removes the bias
    assert not at.exception, at.exception
    assert not at.warning and not at.error
    assert at.number_input(key="ebm.lv.step").value == pytest.approx(0.05)
    assert at.checkbox(key="ebm.lv.mala").value is True
    run = at.session_state["ebm.lv.run.runs"]["run"]
    assert run.step == 0 and run.cfg.step == pytest.approx(0.05) and run.cfg.mala
    assert at.query_params["mala"] in (["true"], "true")
    at.button_group(key="ebm.lesson").set_value(5).run()               # 5. score matching: the part switches
    assert at.session_state["ebm.part"] == "score_matching"
    assert at.session_state["ebm.sm.run.runs"]["run"].cfg.target == "banana"
