"""The image page's runs in a worker process of the pool (lab.pool), as the page and the
evaluation page reach them: through RemoteRun's forwarded methods, never the trainer itself.
The same numbers as the run built in this process, from the same Build."""
from __future__ import annotations

import numpy as np
import pytest

from lab.experiments import image_gan, image_vae
from lab.experiments.evaluation import sets
from lab.experiments.image_gan import ImageGANConfig
from lab.experiments.image_vae import ImageVAEConfig
from lab.images.runs import seeded
from lab.pool import Build, Caps, Pool, RemoteRun

TINY = dict(width=8, batch=8, steps=200, fd_every=0, fd_samples=0, device="cpu")
KINDS = {"image_gan": (image_gan, ImageGANConfig(**TINY)), "image_vae": (image_vae, ImageVAEConfig(latent=5, **TINY))}


@pytest.fixture(scope="module")
def pool():
    p = Pool(1, Caps(session_runs=6, server_runs=20, worker_mb=4000))
    yield p
    p.close()


def _close(a, b) -> None:
    """Snapshots equal: arrays to float32 round-off (two processes, one thread each or not),
    everything else exactly."""
    if isinstance(a, dict):
        assert set(a) == set(b)
        for k in a:
            _close(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    elif isinstance(a, np.ndarray) or hasattr(a, "numpy"):
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-4, atol=1e-5)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5, nan_ok=True)
    else:
        assert a == b


@pytest.mark.parametrize("exp", sorted(KINDS))
def test_an_image_run_in_a_worker_equals_one_in_the_server(pool, exp):
    pkg, cfg = KINDS[exp]
    build = Build(seeded, exp, pkg.make_run, cfg, 1)         # what the image page hands keep_runs
    remote, local = RemoteRun(pool, build, f"img-{exp}"), build()
    for run in (remote, local):
        run.advance(12)
    assert remote.step == local.step == 12 and remote.experiment == exp and remote.cfg == cfg
    snap, want = remote.snapshot(), local.snapshot()
    assert snap["samples"].shape == (64, 1, 28, 28)
    # The networks are the same: every image the page shows. (The logged losses are means over
    # each advance call's chunk, and RemoteRun advances in chunks of its own; times differ.)
    images = [k for k, v in want.items() if isinstance(v, np.ndarray)]
    assert {"samples", "real"} <= set(images)
    _close({k: snap[k] for k in images}, {k: want[k] for k in images})
    assert (snap["step"], snap["total"], snap["device"]) == (want["step"], want["total"], want["device"])
    _close(remote.interpolation(0, 5), local.interpolation(0, 5))          # the page's latent path
    got, want = remote.class_means(), local.class_means()                  # the latent arithmetic box
    assert got["step"] == 12 and len(got["classes"]) >= 1     # 12 steps in, a GAN may draw one class
    _close(got, want)
    a, b = int(got["classes"][0]), int(got["classes"][-1])
    _close(remote.arithmetic_path(got, a, b, 3), local.arithmetic_path(want, a, b, 3))
    judged = sets.from_run(remote, 50, 7)                                  # the evaluation page's samples
    assert tuple(judged.shape) == (50, 1, 28, 28)
    _close(judged, sets.from_run(local, 50, 7))
    remote.drop()


def test_the_evaluation_run_in_a_worker_judges_the_image_runs_samples_as_in_the_server(pool):
    """The evaluation page's run in the pool, built from an image run's samples."""
    from lab.experiments.evaluation import EvaluationConfig, EvaluationRun
    pkg, cfg = KINDS["image_gan"]
    image = RemoteRun(pool, Build(seeded, "image_gan", pkg.make_run, cfg, 1), "eval")
    image.advance(5)
    generated = sets.from_run(image, 100, 0)                   # a tensor: lab.pool.worker.send_plain carries it
    ecfg = EvaluationConfig(n=100, levels=2, samples="run")
    build = Build(EvaluationRun, ecfg, generated)               # what the evaluation page hands keep_runs
    remote, local = RemoteRun(pool, build, "eval"), build()
    for run in (remote, local):
        run.advance(2)
    assert remote.step == local.step == 2
    got, want = remote.snapshot(), local.snapshot()
    for k in ("history", "gaussians"):
        _close(got[k], want[k])
    got, want = remote.metrics(), local.metrics()
    assert got.pop("curve_seconds") > 0 and want.pop("curve_seconds") > 0       # times differ
    _close(got, want)
    remote.drop()
    image.drop()
