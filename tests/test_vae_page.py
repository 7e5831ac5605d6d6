"""The VAE page through Streamlit's AppTest: widgets by key, no traceback, the run and the URL
follow the widgets (live keys retune the running run), bad input gives one clear error and
keeps the last good run, and a link with bad values opens with a warning."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import open_page as open_app_page, metric
from test_datasets import _serve_dataset, local_server  # noqa: F401 (a fixture)


def _open(query: dict | None = None) -> AppTest:
    return open_app_page("app_pages/vae.py", query)


def _run(at: AppTest):
    return at.session_state["vae.runs"]["vae"]



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

    # a larger step budget and a new learning rate keep training the same run (live keys)
    run = _run(at)
    at.number_input(key="vae.steps").set_value(5000).run()
    at.number_input(key="vae.lr").set_value(0.002).run()
    assert not at.exception and metric(at, "Step") == str(played)
    assert _run(at) is run and run.total == 5000 and run.opt.param_groups[0]["lr"] == 0.002

    # beta is live too; a new width starts a new run; both land in the URL
    at.number_input(key="vae.beta").set_value(5.0).run()
    assert not at.exception and _run(at) is run and metric(at, "beta now") == "5.00"
    at.number_input(key="vae.width").set_value(64).run()
    assert not at.exception and metric(at, "Step") == "0" and _run(at) is not run
    assert at.query_params["beta"] in (["5.0"], "5.0") and at.query_params["width"] in (["64"], "64")

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

    n_traces = lambda: len(json.loads(at.get("plotly_chart")[1].proto.spec)["data"])  # noqa: E731
    before = n_traces()
    at.toggle(key="vae.ellipses").set_value(True).run()
    assert not at.exception
    assert n_traces() == before + 10              # one ellipse trace per digit class


def test_page_fashion_from_a_folder_and_two_moons(tmp_path, monkeypatch):
    """The folder is typed, under the data root (a link's data_dir is ignored: test_data_root)."""
    from lab.data.idx import write_idx
    rng = np.random.default_rng(0)
    for stem, n in (("train", 64), ("t10k", 32)):
        write_idx(tmp_path / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{stem}-labels-idx1-ubyte", rng.integers(0, 10, n).astype(np.uint8))
    monkeypatch.setenv("GENLAB_DATA_ROOT", str(tmp_path))
    at = _open({"data": "fashion", "width": "32", "batch": "16"})
    at.text_input(key="vae.data_dir").set_value(str(tmp_path)).run()
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


@pytest.mark.parametrize("query, key, shown", [
    ({"seed": "-3"}, "seed", 0), ({"latent": "0"}, "latent", 2), ({"data": "zzz"}, "data", "digits"),
    ({"width": "100000"}, "width", 256), ({"lr": "nan"}, "lr", 0.001)])
def test_a_link_with_a_bad_value_opens_with_a_warning(query, key, shown):
    at = _open({**query, "width": query.get("width", "32")})
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and key in at.warning[0].value
    widget = at.selectbox(key=f"vae.{key}") if key == "data" else at.number_input(key=f"vae.{key}")
    assert widget.value == shown
    assert getattr(_run(at).cfg, key) == shown


def test_a_link_with_a_short_budget_opens_and_stops_there():
    """steps=5 is valid for the config (the widget's old minimum of 100 gave a traceback)."""
    at = _open({"steps": "5", "width": "32"})
    assert not at.exception and not at.warning and not at.error
    assert at.number_input(key="vae.steps").value == 5 and _run(at).total == 5
    at.button(key="vae.step").click().run()       # k = 20 per press, never past the total
    assert not at.exception and metric(at, "Step") == "5"
    at.button(key="vae.play").click().run()       # at its total: Play switches itself off
    assert not at.exception and not at.session_state["vae.playing"] and metric(at, "Step") == "5"


def test_download_button_fetches_mnist_and_the_page_trains_on_it(tmp_path, monkeypatch, local_server):
    """The sidebar's Download button against a local server (never the internet): checksummed
    files land in the cache, the page says so, and the run is built on them at once."""
    from lab.data import download
    root, url = local_server
    _, sums = _serve_dataset(root)
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(download.SOURCES, "mnist", download.Source(mirrors=(url,), checksums=sums))
    at = _open({"data": "mnist", "width": "16"})
    assert len(at.error) == 1 and "download=true" in at.error[0].value
    at.button(key="vae.download").click().run()
    assert not at.exception and not at.error
    assert any("Downloaded and verified" in s.value for s in at.success)
    assert download.cached("mnist") is not None
    assert _run(at).cfg.data == "mnist" and _run(at).x.shape == (12, 784)
    at.button(key="vae.step").click().run()
    assert not at.exception and metric(at, "Step") == "20"
    at.run()                                      # cached now: no button any more
    assert not any(b.key == "vae.download" for b in at.button)


def test_exact_tab_orders_the_bounds_shows_a_posterior_and_trains_the_mixture():
    """Computed on a button, on the page's run: ELBO < IW_K < log p(x) over the test digits, a
    picked digit's KL to its exact posterior equal to its gap, the mixture's exact number beside."""
    at = _open({"width": "32", "n_eval": "100", "K": "16"})
    for _ in range(3):
        at.button(key="vae.step").click().run()
    at.button(key="vae.exact.go").click().run(timeout=120)
    assert not at.exception
    elbo, iw, lp = (float(metric(at, k)) for k in ("ELBO (test set)", "IW bound, K = 16", "log p(x), quadrature"))
    assert elbo < iw < lp and float(metric(at, "grid error (mean)")) < 0.5
    at.selectbox(key="vae.exact.digit").set_value(2).run(timeout=60)
    assert not at.exception
    text = next(md.value for md in at.markdown if "on the grid = " in md.value)
    gap, kl = (float(text.split(k)[1].split()[0].strip("*")) for k in ("gap = ", "on the grid = "))
    assert kl > 0 and gap == pytest.approx(kl, abs=1.0)                  # the ELBO's 1,000 draws: se < 0.3
    at.number_input(key="vae.components").set_value(5).run()
    at.button(key="vae.exact.mix_go").click().run(timeout=60)
    assert not at.exception
    mix = next(md.value for md in at.markdown if "Mixture of 5 Bernoullis" in md.value)
    assert -300 < float(mix.split("**")[1]) < -120
    comp = _run(at).comparison()
    assert set(np.unique(comp["bernoulli"])) <= {0.0, 1.0} and comp["bernoulli"].shape == comp["samples"].shape


def test_exact_tab_says_why_for_a_large_latent_and_a_mixture_link_opens_the_vae():
    at = _open({"width": "32", "latent": "3", "model": "bernoulli_mixture"})
    assert not at.exception and type(_run(at)).__name__ == "LatentVAERun" and _run(at).cfg.model == "vae"
    assert any("3-D" in i.value for i in at.info)
    assert not any(b.key == "vae.exact.go" for b in at.button)
