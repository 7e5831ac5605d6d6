"""`python -m lab run image_gan|image_vae ... --out DIR`, through the CLI's `main` in-process
(one torch import for the file): metrics.json, the sample grid PNGs, the archive's report on
stderr (what a zip's loading skipped, and why), old key names read with a note, and one line
on stderr for a bad value."""
from __future__ import annotations

import io
import json
import math
import zipfile

import pytest
from PIL import Image


def _main(args, tmp_path, capsys):
    """The same entry point in-process (no second torch import): (exit status, stderr)."""
    from lab.cli import main
    code = main(["run", *args, "--out", str(tmp_path), "--quiet"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("exp,extra,losses", [
    ("image_gan", ["recipe=sngan", "size=32", "lr_d=0.001"], ("loss_d", "loss_g", "d_real", "d_fake")),
    ("image_vae", ["size=28", "lr=0.001"], ("loss", "recon", "kl")),
])
def test_cli_writes_metrics_and_png(tmp_path, capsys, exp, extra, losses):
    args = [exp, "steps=4", "batch=8", "width=8", "latent=8", "fd_samples=100", "seed=1", "device=cpu",
            "data=digits", "data_dir=", *extra]
    code, err = _main(args, tmp_path, capsys)
    assert code == 0, err
    doc = json.loads((tmp_path / "metrics.json").read_text())
    m = doc["metrics"]
    assert doc["experiment"] == exp and m["steps"] == 4
    for key in ("fd", "images_per_sec", *losses):
        assert isinstance(m[key], float) and math.isfinite(m[key]), key
    assert m["fd"] > 0 and m["images_per_sec"] > 0
    h = doc["history"]
    assert h["step"] == [1, 2, 3, 4] and h["fd"] == ["nan"] * 3 + [m["fd"]]     # fd_every=500: only at the end
    side = 32 if "size=32" in extra else 28
    with Image.open(tmp_path / "samples.png") as img:
        assert img.size == (2 * (8 * (side + 2) + 2),) * 2      # 8 x 8 tiles, 2 px gaps, all at 2x
    if exp == "image_vae":
        for stem in ("reconstructions", "latent_walk"):
            with Image.open(tmp_path / f"{stem}.png") as img:
                assert img.size[0] == 2 * (8 * (side + 2) + 2)
    assert (tmp_path / "curves.html").is_file()


def test_zip_with_an_escaping_member_prints_the_archive_s_report(tmp_path, capsys):
    """Section 5's correction: the skipped '../' entry is named on stderr, as the page shows it."""
    def png(colour):
        buf = io.BytesIO()
        Image.new("RGB", (20, 20), colour).save(buf, format="PNG")
        return buf.getvalue()
    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as zf:
        for i in range(3):
            zf.writestr(f"me/{i}.png", png((80 * i, 0, 0)))
        zf.writestr("../escape.png", png((0, 255, 0)))
        zf.writestr("notes.txt", b"hello")
    code, err = _main(["image_gan", "data=folder", f"data_dir={photos}", "steps=2", "batch=2", "width=4",
                       "latent=4", "device=cpu"], tmp_path / "out", capsys)
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert notes == ["note: loaded 3 images; skipped 1 entry whose path leaves the folder (../, absolute path "
                     "or link); skipped 1 non-image file"]
    assert not (tmp_path / "escape.png").exists()
    doc = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert doc["metrics"]["fd"] == "nan"                 # no labels: no Fréchet score, and no crash


def test_old_key_names_run_with_a_note(tmp_path, capsys):
    code, err = _main(["image_gan", "model=wgan_gp", "n_critic=2", "z_dim=4", "steps=1", "batch=4", "width=4",
                       "fd_samples=0", "device=cpu"], tmp_path, capsys)
    assert code == 0, err
    assert "note: 'model=wgan_gp' is an old name: read as recipe=wgan_gp." in err
    assert "note: 'z_dim=4' is an old name: read as latent=4." in err
    cfg = json.loads((tmp_path / "metrics.json").read_text())["config"]
    assert (cfg["recipe"], cfg["d_steps"], cfg["latent"]) == ("wgan_gp", 2, 4)
