"""The evaluation page through Streamlit's AppTest (fragment timers do not fire here; each run
draws the live body once): it opens with every section, steps, a live key keeps the run, a bad
link value warns, and a junk uploaded run file is refused with one error line."""
from __future__ import annotations

from conftest import metric, open_page

PAGE = "app_pages/evaluation.py"
SMALL = {"n": "100", "levels": "2"}


def _run(at):
    return at.session_state["eval.runs"]["eval"]


def test_page_opens_steps_and_keeps_the_run_for_a_live_key():
    at = open_page(PAGE, SMALL)
    assert not at.error and not at.warning
    assert len(at.get("plotly_chart")) == 4          # curves, Gaussians, toy, memorisation
    table = at.dataframe[0].value
    assert table["set"].iloc[0].startswith("Held-out real digits") and len(table) == 9
    run = _run(at)
    assert run.step == 0 and run.cfg.n == 100
    at.number_input(key="eval.knn").set_value(5).run()
    at.button(key="eval.step").click().run()
    assert not at.exception and _run(at) is run and run.cfg.knn == 5
    assert run.step == 6 and metric(at, "Points (of 14)") == "6"
    assert run.history["kind"] == ["noise"] * 2 + ["blur"] * 2 + ["salt_pepper"] * 2
    assert at.query_params["knn"] in ("5", ["5"])


def test_a_bad_link_value_warns_and_the_page_still_opens():
    at = open_page(PAGE, {**SMALL, "knn": "99"})
    assert any("knn=99" in w.value for w in at.warning)
    assert _run(at).cfg.knn == 3 and not at.error


def test_a_junk_run_file_is_refused_with_one_error_line():
    at = open_page(PAGE, SMALL)
    at.file_uploader(key="eval.upload").set_value(("junk.pt", b"not a checkpoint", "application/octet-stream")).run()
    assert not at.exception
    assert at.session_state["eval.samples"] == "run"
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "not a checkpoint file" in errors[0]
    assert _run(at).cfg.samples == "test"            # the last good run stays on the page


def test_samples_from_this_sessions_image_run():
    from lab.experiments import image_gan
    image = image_gan.EXPERIMENT
    at = open_page(PAGE, SMALL)
    at.session_state["img.runs"] = {"GAN": image.make_run(image.config(**image.smoke))}
    at.selectbox(key="eval.samples").set_value("run").run()
    assert not at.exception and not at.error
    run = _run(at)
    assert run.cfg.samples == "run" and run.images["samples"].shape == (100, 1, 28, 28)
