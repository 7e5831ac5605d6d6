"""`python -m lab run image_gan|image_vae ... --out DIR`, through the CLI's `main` in-process
(one torch import for the file): metrics.json with the issue's keys, the sample grid PNG, and
one line on stderr for a bad value."""
from __future__ import annotations

import json
import math

import pytest
from PIL import Image


def _main(args, tmp_path, capsys):
    """The same entry point in-process (no second torch import): (exit status, stderr)."""
    from lab.cli import main
    code = main(["run", *args, "--out", str(tmp_path), "--quiet"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("exp,extra,losses", [
    ("image_gan", ["model=sngan", "size=32"], ("loss_d", "loss_g", "d_real", "d_fake")),
    ("image_vae", ["size=28"], ("loss", "recon", "kl")),
])
def test_cli_writes_metrics_and_png(tmp_path, capsys, exp, extra, losses):
    args = [exp, "steps=4", "batch=8", "width=8", "z_dim=8", "fd_samples=100", "seed=1", "device=cpu",
            "data=digits", "data_dir=", "lr=0.001", *extra]
    code, err = _main(args, tmp_path, capsys)
    assert code == 0, err
    doc = json.loads((tmp_path / "metrics.json").read_text())
    m = doc["metrics"]
    assert doc["experiment"] == exp and m["steps"] == 4
    for key in ("fd", "images_per_sec", *losses):
        assert isinstance(m[key], float) and math.isfinite(m[key]), key
    assert m["fd"] > 0 and m["images_per_sec"] > 0
    assert doc["history"]["fd_step"] == [4]
    with Image.open(tmp_path / "samples.png") as img:
        side = 32 if "size=32" in extra else 28
        assert img.size == (8 * (2 * side + 2) + 2,) * 2        # 8 x 8 tiles at 2x, 2 px gaps
    if exp == "image_vae":
        for stem in ("reconstructions", "latent_walk"):
            with Image.open(tmp_path / f"{stem}.png") as img:
                assert img.size[0] == 8 * (2 * side + 2) + 2


@pytest.mark.parametrize("args,needle", [
    (["image_gan", "model=biggan"], "model='biggan' is not one of: dcgan, wgan_gp, sngan"),
    (["image_gan", "size=48"], "size=48 is not one of: 28, 32, 64"),
    (["image_vae", "data=cifar10", "steps=1"], "data=cifar10 needs data_dir="),
    (["image_gan", "device=cuda", "steps=1"], "device"),
])
def test_cli_bad_values_exit_nonzero_with_one_line(tmp_path, capsys, args, needle):
    import torch
    if "device=cuda" in args and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, err = _main(args, tmp_path, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
