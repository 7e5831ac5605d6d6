"""The image-training page: AppTest interaction (Step, Play starts a background worker, Pause,
switching to the VAE, a bad checkpoint upload, Reset leaves no thread) and a browser run."""
from __future__ import annotations

import gc
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_page as open_app_page

from lab.images import worker
from lab.images.worker import training_threads

PAGE = "app_pages/image_training.py"


def _until(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(autouse=True)
def _no_other_training():
    """Another test (the generic smoke test pressing Play) may have left a training thread in
    this process: stop it, so the counts below are this test's own."""
    gc.collect()
    worker.stop_all()
    yield
    worker.stop_all()


def _open(query: dict | None = None) -> AppTest:
    return open_app_page(PAGE, query)


def _tiny(at: AppTest, family: str = "GAN") -> None:
    at.number_input(key=f"img.{family}.width").set_value(8)
    at.number_input(key=f"img.{family}.batch").set_value(8).run()
    assert not at.exception


def test_step_play_pause_and_stop_with_no_thread_left():
    at = _open()
    _tiny(at)
    assert at.button(key="img.play").label == "Play"
    at.number_input(key="img.k").set_value(3).run()
    at.button(key="img.step").click().run()
    tr = at.session_state["img.training"]
    assert tr.run.step == 3 and tr.state == "new"
    assert len(at.get("image")) >= 1                                  # the sample and real grids
    assert any("FD (GenLab features)" in m.label for m in at.metric)
    at.button(key="img.play").click().run()
    assert _until(lambda: tr.run.step > 3)
    assert tr.state == "running" and len(training_threads()) == 1
    at.button(key="img.play").click().run()                          # now labelled Pause
    assert _until(lambda: tr.state == "paused")
    at.button(key="img.stop").click().run()
    assert not at.exception and not tr.alive
    assert training_threads() == []


def test_vae_family_shows_reconstructions_and_reset_makes_a_new_run():
    at = _open({"family": "VAE"})
    assert at.sidebar.radio(key="img.family").value == "VAE"
    _tiny(at, "VAE")
    at.button(key="img.step").click().run()
    first = at.session_state["img.training"]
    assert first.run.experiment == "image_vae" and first.run.step > 0
    captions = " ".join(str(i.proto) for i in at.get("image"))
    assert "Reconstructions" in captions and "Latent walk" in captions
    at.number_input(key="img.VAE.steps").set_value(5000).run()     # more steps: the same run goes on
    assert at.session_state["img.training"] is first and first.run.total == 5000
    at.button(key="img.reset").click().run()
    assert at.session_state["img.training"] is not first and at.session_state["img.training"].run.step == 0
    assert not at.exception


def test_bad_widget_value_and_bad_url_value_are_messages_not_tracebacks():
    at = _open({"model": "biggan", "size": "29"})
    notes = [w.value for w in at.warning]
    assert any("model='biggan'" in n for n in notes) and any("size=29" in n for n in notes)
    at.sidebar.selectbox(key="img.GAN.data").set_value("cifar10").run()
    assert not at.exception
    assert any("data=cifar10 needs data_dir" in e.value for e in at.error)


def test_browser_starts_a_short_cpu_run(streamlit_url, page):
    from tests.conftest import error_texts, wait_for_app
    page.goto(f"{streamlit_url}/image_training?width=8&batch=8&steps=40&fd_every=0")
    wait_for_app(page)
    started = "/training: step [1-9]|finished: step 40 of 40/.test(document.body.innerText)"
    server_full = "/the most it allows at once/.test(document.body.innerText)"
    for _ in range(3):
        page.get_by_role("button", name="Play").click()
        page.wait_for_function(f"() => {started} || {server_full}", timeout=120_000)
        if page.evaluate(f"() => {started}"):
            break
        # the server's slots are held by other sessions' trainings (e.g. another test pressed
        # Play): they give them back 45 s after their page goes quiet
        time.sleep(50)
        wait_for_app(page)
    assert page.evaluate(f"() => {started}")
    page.wait_for_selector("img", timeout=60_000)
    assert error_texts(page) == []
    page.get_by_role("button", name="Stop (free the server slot)").click()
    wait_for_app(page)
    assert error_texts(page) == []
