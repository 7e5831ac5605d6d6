"""The VAE page through Streamlit's AppTest: widgets by key, no traceback, the run and the URL
follow the widgets, bad input gives one clear error and keeps the last good run."""
from __future__ import annotations


import numpy as np
from streamlit.testing.v1 import AppTest

from conftest import open_page as open_app_page, metric



def _open(query: dict | None = None) -> AppTest:
    return open_app_page("app_pages/vae.py", query)



def test_page_trains_on_step_and_play_and_follows_widgets(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    at = _open()
    assert at.title[0].value == "VAE latent manifolds"
    assert metric(at, "Step") == "0"
    elbo0 = float(metric(at, "ELBO (test)"))
    assert -560 < elbo0 < -500                    # a fresh Bernoulli decoder: ~784 log 2 nats
    assert len(at.image) >= 4                     # manifold, decoded point, reconstructions, samples

    at.button(key="vae.step").click().run()
    assert not at.exception
    assert metric(at, "Step") == "20"
    assert float(metric(at, "ELBO (test)")) > elbo0 + 150

    at.button(key="vae.play").click().run()       # the fragment body runs once per script run
    assert not at.exception and at.session_state["vae.playing"]
    played = int(metric(at, "Step"))
    assert 20 < played <= 40                      # at most k = 20 steps per tick (fewer if slow)
    at.button(key="vae.play").click().run()       # pause
    assert not at.session_state["vae.playing"]

    # a larger step budget keeps training the same run
    at.number_input(key="vae.steps").set_value(5000).run()
    assert not at.exception and metric(at, "Step") == str(played)
    assert at.session_state["vae.run"].total == 5000

    # a new setting starts a new run and lands in the URL
    at.number_input(key="vae.beta").set_value(5.0).run()
    assert not at.exception and metric(at, "Step") == "0"
    assert at.query_params["beta"] == ["5.0"] or at.query_params["beta"] == "5.0"

    # typing a latent point decodes it; the IW bound button reports a number above the ELBO
    n_img = len(at.image)
    at.number_input(key="vae.z1").set_value(1.5).run()
    assert not at.exception and len(at.image) == n_img
    assert any("z = (1.50, 0.00)" in c for im in at.image for c in im.captions)
    assert all(u.url.endswith(".png") for im in at.image for u in im.proto.imgs)   # PNG, not JPEG
    at.button(key="vae.iw_btn").click().run()
    assert not at.exception
    assert any("IW bound at step 0" in md.value for md in at.markdown)

    # MNIST without files: one clear error, the last good run stays on screen
    at.selectbox(key="vae.data").set_value("mnist").run()
    assert not at.exception
    assert len(at.error) == 1 and "data_dir" in at.error[0].value
    assert metric(at, "Step") == "0"
    assert any("last run that worked" in c.value for c in at.caption)


def test_page_bad_url_value_falls_back_with_a_note():
    at = _open({"latent": "two", "width": "64"})
    assert any("latent" in w.value for w in at.warning)
    assert at.number_input(key="vae.latent").value == 2
    assert at.number_input(key="vae.width").value == 64

    import json
    n_traces = lambda: len(json.loads(at.get("plotly_chart")[1].proto.spec)["data"])  # noqa: E731
    before = n_traces()
    at.toggle(key="vae.ellipses").set_value(True).run()
    assert not at.exception
    assert n_traces() == before + 10              # one ellipse trace per digit class


def test_page_fashion_from_a_folder_and_two_moons(tmp_path):
    from lab.data.idx import write_idx
    rng = np.random.default_rng(0)
    for stem, n in (("train", 64), ("t10k", 32)):
        write_idx(tmp_path / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{stem}-labels-idx1-ubyte", rng.integers(0, 10, n).astype(np.uint8))
    at = _open({"data": "fashion", "data_dir": str(tmp_path), "width": "32", "batch": "16"})
    assert not at.error
    at.button(key="vae.step").click().run()
    assert not at.exception and metric(at, "Step") == "20"

    at.text_input(key="vae.data_dir").set_value(str(tmp_path / "nowhere")).run()
    assert not at.exception and len(at.error) == 1 and "not a folder" in at.error[0].value

    at.selectbox(key="vae.data").set_value("toy2d").run()
    assert not at.exception and not at.error
    at.number_input(key="vae.latent").set_value(1).run()
    at.button(key="vae.step").click().run()
    assert not at.exception and metric(at, "Step") == "20"
    at.checkbox(key="vae.baseline").check().run()
    assert not at.exception
