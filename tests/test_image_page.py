"""The image-training page: AppTest interaction (Step, Play starts a background worker, Pause,
Stop; switching to the VAE; live keys keep the run, Reset rebuilds it; links with old, bad and
out-of-range values; a zip upload's report; resume from a run file, and a bad one as one line)
and a browser run that downloads a run file while training plays."""
from __future__ import annotations

import gc
import io
import json
import time
import zipfile

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from conftest import open_page as open_app_page

import lab.run
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


def _run(at: AppTest, family: str = "GAN"):
    return at.session_state["img.runs"][family]


def test_step_play_pause_and_stop_with_no_thread_left():
    at = _open()
    _tiny(at)
    assert at.button(key="img.play").label == "Play"
    at.number_input(key="img.k").set_value(3).run()
    at.button(key="img.step").click().run()
    tr, run = at.session_state["img.worker"], _run(at)
    assert run.step == 3 and tr.state == "new" and tr.run is run
    assert len(at.get("image")) >= 2                                  # the sample and real grids
    assert any("FD (GenLab features)" in m.label for m in at.metric)
    at.button(key="img.play").click().run()
    assert _until(lambda: run.step > 3)
    assert tr.state == "running" and len(training_threads()) == 1
    at.button(key="img.play").click().run()                          # now labelled Pause
    assert _until(lambda: tr.state == "paused")
    at.button(key="img.stop").click().run()
    assert not at.exception and not tr.alive
    assert training_threads() == []


def test_seeds_train_together_on_one_data_set_and_read_as_mean_and_range():
    """seeds=2: the page's run and one companion at seed + 1, stepped together by the one
    worker, reading one copy of the images; the losses read as mean (range) over both."""
    at = _open({"seeds": "2", "fd_samples": "0"})
    _tiny(at)
    at.number_input(key="img.k").set_value(2).run()
    at.button(key="img.step").click().run()
    assert not at.exception and not at.error
    run = _run(at)
    (other,) = run.others
    assert run.k == 2 and run.step == other.step == 2
    assert other.cfg.seed == run.cfg.seed + 1 and other.data is run.primary.data
    rows = run.seed_table()
    assert [r["seed"] for r in rows] == [0, 1] and rows[0]["loss_d"] != rows[1]["loss_d"]
    d = [r["loss_d"] for r in rows]
    line = next(c.value for c in at.caption if c.value.startswith("Over 2 seeds"))
    assert f"D loss {sum(d) / 2:.3g} ({min(d):.3g}-{max(d):.3g})" in line
    assert "Fréchet" not in line                      # not measured (fd_samples=0): left out, not "nan"
    assert at.query_params["seeds"] == "2"
    at.number_input(key="img.seeds").set_value(1).run()          # back to one seed: a plain run
    assert not hasattr(_run(at), "others")


def test_vae_family_shows_reconstructions_live_keys_keep_the_run_and_reset_rebuilds():
    at = _open({"family": "VAE"})
    assert at.sidebar.radio(key="img.family").value == "VAE"
    _tiny(at, "VAE")
    at.button(key="img.step").click().run()
    first = _run(at, "VAE")
    assert first.experiment == "image_vae" and first.step > 0
    captions = " ".join(str(i.proto) for i in at.get("image"))
    assert "Reconstructions" in captions and "Latent walk" in captions
    at.number_input(key="img.VAE.steps").set_value(5000).run()     # live keys: the same run goes on
    at.number_input(key="img.VAE.lr").set_value(0.002).run()
    assert _run(at, "VAE") is first and first.total == 5000 and first.trainer.opt.param_groups[0]["lr"] == 0.002
    at.button(key="img.reset").click().run()
    assert _run(at, "VAE") is not first and _run(at, "VAE").step == 0
    assert not at.exception


def test_recipe_box_brings_the_recipe_and_a_typed_rate_overrides_it():
    at = _open()
    _tiny(at)
    at.selectbox(key="img.GAN.recipe").set_value("wgan_gp").run()
    run = _run(at)
    assert at.number_input(key="img.GAN.lr_d").value == 1e-4 and at.number_input(key="img.GAN.d_steps").value == 5
    assert at.selectbox(key="img.GAN.constraint").value == "gp"              # in the folded Advanced group
    assert (run.cfg.lr_d, run.cfg.constraint, run.cfg.beta1) == (None, None, None)   # all the recipe's
    assert run.trainer.d_steps == 5 and run.trainer.opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    at.number_input(key="img.GAN.lr_d").set_value(3e-4).run()     # live: retuned in place
    assert _run(at) is run and run.cfg.lr_d == 3e-4 and run.trainer.opt_d.param_groups[0]["lr"] == 3e-4
    assert any("lr_d 0.0003 (yours)" in c.value for c in at.sidebar.caption)
    assert not at.exception


@pytest.mark.parametrize("params,notes", [
    ({"model": "sngan"}, ["'model=sngan' is an old name: read as recipe=sngan."]),
    ({"z_dim": "32"}, ["'z_dim=32' is an old name: read as latent=32."]),
    ({"seed": "-3"}, ["seed=-3 is out of range"]),
    ({"size": "30"}, ["size=30 is not one of: 28, 32, 64"]),
    ({"model": "biggan", "width": "zzz"}, ["recipe='biggan' is not one of", "width='zzz' is not a whole number"]),
])
def test_links_with_old_or_bad_values_give_warnings_not_exceptions(params, notes):
    at = _open({**params, "batch": "8", "width": params.get("width", "8")})
    warnings = [w.value for w in at.warning]
    for note in notes:
        assert any(note in w for w in warnings), (note, warnings)
    assert not at.error
    cfg = _run(at).cfg
    assert cfg.recipe == ("sngan" if params.get("model") == "sngan" else "ns")
    assert cfg.latent == (32 if "z_dim" in params else 64) and cfg.seed == 0 and cfg.size == 28


def test_bad_widget_value_is_one_line_and_keeps_the_last_run():
    at = _open()
    _tiny(at)
    before = _run(at)
    at.sidebar.selectbox(key="img.GAN.data").set_value("cifar10").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["data=cifar10 needs data_dir=<cifar-10-binary.tar.gz or its extracted folder>"]
    assert _run(at) is before                                         # the last good run stays


def _png(colour) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_zip_upload_trains_and_shows_the_archive_s_report():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(4):
            zf.writestr(f"me/{i}.png", _png((60 * i, 0, 0)))
        zf.writestr("../escape.png", _png((0, 255, 0)))
    at = _open({"data": "folder", "width": "8", "batch": "2"})
    assert any("Upload a .zip" in i.value for i in at.info)
    at.file_uploader(key="img.upload").set_value(("photos.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception and not at.error
    run = _run(at)
    assert run.data.images.shape[0] == 4 and run.data.labels is None
    assert any("loaded 4 images; skipped 1 entry whose path leaves the folder" in c.value for c in at.caption)
    at.button(key="img.step").click().run()
    assert _run(at) is run and run.step > 0 and not at.exception


def test_resume_from_a_run_file_and_a_bad_file_is_one_line():
    at = _open()
    _tiny(at)
    at.button(key="img.step").click().run()
    vae = lab.run.load(_saved_vae())
    at.file_uploader(key="img.resume").set_value(("junk.pt", b"not a checkpoint", "application/octet-stream")).run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("not a checkpoint file") and "\n" not in errors[0]
    at.file_uploader(key="img.resume").set_value(("vae.pt", _saved_vae(), "application/octet-stream")).run()
    assert not at.exception and not at.error
    assert at.sidebar.radio(key="img.family").value == "VAE"           # the file's family
    back = _run(at, "VAE")
    assert back.step == vae.step == 7 and back.cfg == vae.cfg
    assert at.number_input(key="img.VAE.latent").value == 5             # the widgets show its config
    at.button(key="img.step").click().run()
    assert _run(at, "VAE") is back and back.step == 7 + 20


def _saved_vae() -> bytes:
    from lab.experiments.image_vae import ImageVAEConfig, make_run
    run = make_run(ImageVAEConfig(width=8, batch=8, latent=5, steps=100, fd_samples=0, device="cpu"))
    run.advance(7)
    return run.state_bytes()


def test_browser_trains_and_downloads_a_run_file_while_playing(streamlit_url, page, tmp_path):
    from tests.conftest import error_texts, wait_for_app
    page.goto(f"{streamlit_url}/image_training?width=8&batch=8&steps=100000&fd_every=0")
    wait_for_app(page)
    # the real server trains in its worker pool (conftest: 2 workers): no server slot to wait for
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => /training: step [1-9]/.test(document.body.innerText)", timeout=120_000)
    assert page.get_by_role("button", name="Stop (free the server slot)").count() == 0    # the thread's only
    page.wait_for_selector("img", timeout=60_000)
    with page.expect_download(timeout=60_000) as dl:                 # while the worker trains
        page.get_by_role("button", name="Weights GAN (.pt)").click()
    saved = tmp_path / "gan.pt"
    dl.value.save_as(saved)
    run = lab.run.load(saved.read_bytes(), "image_gan")
    assert run.step > 0 and run.cfg.width == 8
    with page.expect_download(timeout=60_000) as dl:                 # the last drawn tick's numbers...
        page.get_by_role("button", name="Numbers (JSON)").click()
    numbers = json.loads(open(dl.value.path()).read())
    assert numbers["step"] > 0 and numbers["loss_d"] > 0
    with page.expect_download(timeout=60_000) as dl:                 # ...and its sample grid
        page.get_by_role("button", name="Sample grid (PNG)").click()
    with Image.open(dl.value.path()) as img:
        assert img.size == (2 * (8 * (28 + 2) + 2),) * 2          # lab.figures.grids: 8 x 8 tiles, scale 2
    assert error_texts(page) == []
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => /paused: step [1-9]/.test(document.body.innerText)", timeout=60_000)
    assert error_texts(page) == []
