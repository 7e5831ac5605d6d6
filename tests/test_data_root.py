"""The data root: a page reads server files only under the data root the server's owner set
(GENLAB_DATA_ROOT, lab.data.root). A link's data_dir is ignored with a warning that reads the
same whether the path exists or not; a typed path must resolve inside the root (no `..`, no
symlink out), else one refusal and nothing is read; an uploaded run file is held to the same
rule; the command line still reads any path.

Every test spies on the one image front door (lab.data.images.load): "nothing is read" means
the spy saw no call naming that path."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from conftest import open_page
from lab.config import ConfigError
from lab.data import images, root

IMG, VAE = "app_pages/image_training.py", "app_pages/vae.py"
REFUSED = root.refusal("data_dir")


@pytest.fixture
def reads(monkeypatch):
    """Every data_dir the image front door is asked to read, in order (the real load still runs)."""
    seen, real = [], images.load

    def spy(data, data_dir="", *args, **kwargs):
        seen.append(str(data_dir))
        return real(data, data_dir, *args, **kwargs)
    monkeypatch.setattr(images, "load", spy)
    return seen


@pytest.fixture
def no_root(monkeypatch):
    monkeypatch.delenv(root.ENV, raising=False)


def _pngs(folder, n: int = 4):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", (20, 20), (60 * i, 0, 0)).save(folder / f"{i}.png")
    return folder


def _idx(folder, n: int = 64):
    from lab.data.idx import write_idx
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for stem, m in (("train", n), ("t10k", n // 2)):
        write_idx(folder / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (m, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{stem}-labels-idx1-ubyte", rng.integers(0, 10, m).astype(np.uint8))
    return folder


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """root/photos (4 PNGs), root/idx (IDX files), outside/ (PNGs and IDX files), root/link ->
    outside; GENLAB_DATA_ROOT=root and an empty download cache."""
    base = tmp_path / "root"
    _pngs(base / "photos")
    _idx(base / "idx")
    outside = _idx(_pngs(tmp_path / "outside"))
    os.symlink(outside, base / "link")
    monkeypatch.setenv(root.ENV, str(base))
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    return base, outside


def _runs(at, ns: str) -> dict:
    try:
        return at.session_state[f"{ns}.runs"]
    except KeyError:                       # the page stopped before it built any run
        return {}


def _messages(at) -> list[tuple[str, str]]:
    return [(kind, el.value) for kind in ("warning", "error", "info", "success")
            for el in getattr(at, kind)] + [("exception", str(e.value)) for e in at.exception]


# ---- lab.data.root.confine: the rule itself ------------------------------------------------

def test_confine_keeps_paths_inside_the_root_and_refuses_the_rest_alike(tree, tmp_path):
    base, outside = tree
    assert root.confine("data_dir", str(base / "photos")) == str(base / "photos")
    assert root.confine("data_dir", "photos") == str(base / "photos")          # relative to the root
    assert root.confine("data_dir", str(base / "nowhere")) == str(base / "nowhere")   # the owner's folder
    sibling = tmp_path / "rootx"                                               # shares the root's prefix
    sibling.mkdir()
    for bad in (str(outside), f"{base}/../outside", "../outside", str(base / "link"), str(base / "link" / "0.png"),
                str(sibling), "/etc/passwd", "/no/such/path", "/proc", "a\x00b"):
        with pytest.raises(ConfigError) as err:
            root.confine("data_dir", bad)
        assert str(err.value) == REFUSED, bad


def test_no_root_refuses_every_path(no_root, tmp_path):
    assert root.data_root() is None
    with pytest.raises(ConfigError, match="GENLAB_DATA_ROOT"):
        root.confine("data_dir", str(_pngs(tmp_path / "photos")))


# ---- links: a data_dir in a link is never read -----------------------------------------------

@pytest.mark.parametrize("with_root", [False, True], ids=["no root", "root set"])
def test_a_link_s_folder_of_images_is_not_read(tmp_path, monkeypatch, reads, with_root):
    photos = _pngs(tmp_path / "photos")
    if with_root:                          # even a folder the page could read when typed
        monkeypatch.setenv(root.ENV, str(tmp_path))
    else:
        monkeypatch.delenv(root.ENV, raising=False)
    at = open_page(IMG, {"data": "folder", "data_dir": str(photos), "width": "8", "batch": "2"})
    assert reads == [] and "GAN" not in _runs(at, "img")
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "data_dir" in warnings[0] and str(photos) not in warnings[0]
    assert any("Upload a .zip" in i.value for i in at.info)          # the page still opens, asking for data
    assert "data_dir" not in at.query_params
    box = at.text_input(key="img.GAN.data_dir")
    assert box.value == "" and box.disabled is (not with_root)


@pytest.mark.parametrize("params, missing", [
    ({"data": "folder", "data_dir": "{photos}"}, {"data": "folder", "data_dir": "{photos}_not_here"}),
    ({"data": "folder", "data_dir": "/proc"}, {"data": "folder", "data_dir": "/proc_not_here"}),
    ({"data": "cifar10", "data_dir": "/etc/passwd"}, {"data": "cifar10", "data_dir": "/etc/passwd_not_here"}),
    ({"family": "VAE", "data": "cifar10", "data_dir": "/etc/passwd"},
     {"family": "VAE", "data": "cifar10", "data_dir": "/etc/passwd_not_here"}),
], ids=["folder", "proc", "passwd", "vae-passwd"])
def test_a_link_s_path_reads_the_same_whether_it_exists(tmp_path, no_root, reads, params, missing):
    photos = _pngs(tmp_path / "photos")
    fill = lambda d: {k: v.format(photos=photos) for k, v in d.items()}  # noqa: E731
    assert os.path.exists(fill(params)["data_dir"]) and not os.path.exists(fill(missing)["data_dir"])
    shown = [_messages(open_page(IMG, {**fill(p), "width": "8", "batch": "2"})) for p in (params, missing)]
    assert shown[0] == shown[1]
    assert any(kind == "warning" and "data_dir" in text for kind, text in shown[0])
    assert not any(kind == "exception" for kind, _ in shown[0])
    assert all(d == "" for d in reads)                               # cifar10's own "needs data_dir" check only


def test_mode_collapse_link_csv_path_reads_the_same_whether_it_exists(tmp_path, no_root):
    """The other path key a link could carry: its config checked is_file(), an existence oracle."""
    points = tmp_path / "points.csv"
    points.write_text("x,y\n0,0\n1,1\n")
    shown = [_messages(open_page("app_pages/mode_collapse.py", {"data": "csv", "csv_path": str(p)}))
             for p in (points, tmp_path / "missing.csv")]
    assert shown[0] == shown[1]
    assert any(kind == "warning" and "csv_path" in text for kind, text in shown[0])


# ---- typed paths: only inside the root ---------------------------------------------------------

def test_typed_folder_inside_the_root_loads_and_stays_out_of_the_url(tree, reads):
    base, _ = tree
    at = open_page(IMG, {"data": "folder", "width": "8", "batch": "2"})
    box = at.text_input(key="img.GAN.data_dir")
    assert not box.disabled and str(base) in box.help
    box.set_value("photos").run()                                    # relative to the root
    assert not at.exception and not at.error
    run = at.session_state["img.runs"]["GAN"]
    assert run.data.images.shape[0] == 4 and run.cfg.data_dir == str(base / "photos")
    assert reads[0] == str(base / "photos")
    assert dict(at.query_params).get("data") == "folder" and "data_dir" not in at.query_params


@pytest.mark.parametrize("typed", ["{outside}", "{base}/../outside", "{base}/link", "/etc/passwd", "/proc"],
                         ids=["outside", "dotdot", "symlink", "passwd", "proc"])
def test_typed_path_outside_the_root_is_refused_and_not_read(tree, reads, typed):
    base, outside = tree
    at = open_page(IMG, {"data": "folder", "width": "8", "batch": "2"})
    at.text_input(key="img.GAN.data_dir").set_value(typed.format(base=base, outside=outside)).run()
    assert not at.exception
    assert [e.value for e in at.error] == [REFUSED]
    assert reads == [] and "GAN" not in _runs(at, "img")


def test_without_a_root_the_box_is_off_and_a_forced_value_is_refused(no_root, tmp_path, reads):
    photos = _pngs(tmp_path / "photos")
    at = open_page(IMG, {"data": "folder", "width": "8", "batch": "2"})
    box = at.text_input(key="img.GAN.data_dir")
    assert box.disabled and "GENLAB_DATA_ROOT" in box.help
    at.session_state["img.GAN.data_dir"] = str(photos)      # a value that reaches the box otherwise
    at.run()
    assert [e.value for e in at.error] == [REFUSED] and reads == []


def test_an_uploaded_run_file_cannot_name_a_folder_outside_the_root(tree, reads):
    """A run file stores its config; resuming it must not read its data_dir from the server."""
    from lab.experiments.image_gan import ImageGANConfig, make_run
    base, outside = tree
    saved = make_run(ImageGANConfig(data="folder", data_dir=str(outside), width=4, batch=2, latent=4,
                                    fd_samples=0, device="cpu")).state_bytes()
    reads.clear()
    at = open_page(IMG, {"width": "8", "batch": "8"})
    at.file_uploader(key="img.resume").set_value(("gan.pt", saved, "application/octet-stream")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [REFUSED]
    assert str(outside) not in reads


# ---- the VAE page's IDX folder ---------------------------------------------------------------

def test_vae_link_data_dir_is_ignored(tree, reads):
    _, outside = tree
    at = open_page(VAE, {"data": "fashion", "data_dir": str(outside), "width": "32"})
    assert str(outside) not in reads
    assert any("data_dir" in w.value and str(outside) not in w.value for w in at.warning)
    assert at.text_input(key="vae.data_dir").value == ""
    assert "data_dir" not in at.query_params
    assert len(at.error) == 1 and "needs its IDX files" in at.error[0].value   # the empty cache, not the link


@pytest.mark.parametrize("typed", ["{outside}", "{base}/../outside", "{base}/link"], ids=["outside", "dotdot", "symlink"])
def test_vae_typed_folder_must_be_under_the_root(tree, reads, typed):
    base, outside = tree
    at = open_page(VAE, {"data": "fashion", "width": "32", "batch": "16"})
    reads.clear()
    at.text_input(key="vae.data_dir").set_value(typed.format(base=base, outside=outside)).run()
    assert not at.exception and [e.value for e in at.error] == [REFUSED] and reads == []
    at.text_input(key="vae.data_dir").set_value(str(base / "idx")).run()
    assert not at.exception and not at.error
    run = at.session_state["vae.runs"]["vae"]
    assert run.cfg.data_dir == str(base / "idx") and run.x.shape == (64, 784)


def test_vae_without_a_root_draws_the_box_off(no_root, monkeypatch, tmp_path):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    at = open_page(VAE, {"data": "mnist", "width": "32"})
    box = at.text_input(key="vae.data_dir")
    assert box.disabled and "GENLAB_DATA_ROOT" in box.help


# ---- the command line keeps its paths --------------------------------------------------------

def test_command_line_reads_a_folder_outside_the_root(tree, tmp_path, capsys):
    from lab.cli import main
    _, outside = tree
    code = main(["run", "image_gan", "data=folder", f"data_dir={outside}", "steps=1", "batch=2", "width=4",
                 "latent=4", "fd_samples=0", "device=cpu", "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert "loaded 4 images" in capsys.readouterr().err
