"""CUDA graphs for the image trainers (lab.images.graphs), what a CPU can check: when a graph is
used and the one-line refusals; that the step a graph captures is the eager step (same batches,
noise and generator in, the same weights out, for every recipe and the VAE); the replay loop's
bookkeeping, retune dropping the capture, and the fall-back when a capture fails. The capture
itself runs on CUDA only (benchmarks/bench_images.py measures it there)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from lab.config import ConfigError
from lab.data.images import ImageData
from lab.gan import recipes
from lab.images import graphs, trainer as image_trainer
from lab.images.trainer import GANTrainer, VAETrainer

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def _data() -> ImageData:
    g = torch.Generator().manual_seed(0)
    return ImageData(torch.randint(0, 256, (64, 1, 28, 28), generator=g, dtype=torch.uint8), None, "t")


def _gan(name: str) -> GANTrainer:
    return GANTrainer(recipes.get(name), _data(), latent=8, width=8, batch=8, seed=0)


def _weights(t) -> torch.Tensor:
    nets = [t.vae] if isinstance(t, VAETrainer) else [t.G, t.D]
    return torch.cat([p.detach().flatten() for n in nets for p in n.parameters()])


@pytest.mark.parametrize("requested, device, precision, processes, used, words", [
    ("auto", CUDA, "bfloat16", 1, True, "one CUDA graph per training step"),
    ("on", CUDA, "float32", 1, True, "one CUDA graph"),
    ("auto", CPU, "float32", 1, False, "no CUDA device"),
    ("auto", CUDA, "float16", 1, False, "GradScaler"),
    ("auto", CUDA, "bfloat16", 2, False, "2 processes under torchrun"),
    ("off", CUDA, "bfloat16", 1, False, "off"),
])
def test_a_graph_is_used_only_where_it_can_work(requested, device, precision, processes, used, words):
    got, note = graphs.resolve(requested, device, precision, processes)
    assert got is used and words in note


@pytest.mark.parametrize("device, precision, processes, words", [
    (CPU, "float32", 1, "no CUDA device"), (CUDA, "float16", 1, "GradScaler"), (CUDA, "bfloat16", 4, "torchrun")])
def test_on_where_a_graph_cannot_work_is_refused_with_the_reason(device, precision, processes, words):
    with pytest.raises(ConfigError, match=f"cuda_graphs=on cannot be used here: .*{words}.*use cuda_graphs=auto or off"):
        graphs.resolve("on", device, precision, processes)


def test_the_command_line_refuses_graphs_on_a_cpu_in_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lab", "run", "image_gan", "cuda_graphs=on", "steps=1", "fd_samples=0",
                          "device=cpu", "--out", str(tmp_path), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cuda_graphs=on cannot be used here: no CUDA device")
    assert not (tmp_path / "metrics.json").exists()


class Recorder:
    """Wraps a trainer's eager sources and keeps what they drew, so another trainer's graphed
    step can be fed the very same batches, noise and generator stream."""

    def __init__(self, t):
        real, noise, _ = t.sources(False)
        self.reals, self.noises = [], []
        self.real = lambda: self._keep(self.reals, real())
        self.noise = lambda n: self._keep(self.noises, noise(n))
        self.gen = torch.Generator().manual_seed(1)      # the other draws (GP's mixing, eps): a stream of their own

    @staticmethod
    def _keep(store: list, x: torch.Tensor) -> torch.Tensor:
        store.append(x.clone())
        return x

    def replay(self):
        reals, noises = iter(self.reals), iter(self.noises)
        gen = torch.Generator().manual_seed(1)
        return lambda graphed: (lambda: next(reals), lambda n: next(noises), gen)


@pytest.mark.parametrize("make", [lambda: _gan("ns"), lambda: _gan("wgan_gp"), lambda: _gan("sngan"),
                                  lambda: _gan("wgan"), lambda: VAETrainer(_data(), latent=4, width=8, batch=8)],
                         ids=["ns", "wgan_gp", "sngan", "wgan", "vae"])
def test_the_captured_step_is_the_eager_step(make):
    """What a graph records is `_one_step(sums, graphed=True)`: gradients zeroed in place rather
    than freed, inputs from the sources. Given the eager step's inputs it must update the weights
    exactly as the eager step does (two steps, so the in-place zeroing is exercised)."""
    eager, graphed = make(), make()
    assert torch.equal(_weights(eager), _weights(graphed))
    rec = Recorder(eager)
    eager.sources = lambda graphed: (rec.real, rec.noise, rec.gen)
    names = ("loss", "recon", "kl") if isinstance(eager, VAETrainer) else ("loss_d", "loss_g", "d_real", "d_fake", "gp")
    sums_e, sums_g = ({n: torch.zeros(()) for n in names} for _ in range(2))
    for _ in range(2):
        eager._one_step(sums_e, False)
    graphed.sources = rec.replay()
    for _ in range(2):
        graphed._one_step(sums_g, True)
    assert len(rec.reals) == 2 * getattr(eager, "d_steps", 1)
    assert torch.equal(_weights(eager), _weights(graphed))
    assert not torch.equal(_weights(eager), _weights(make()))        # the step did train
    for n in sums_e:
        assert torch.equal(sums_e[n], sums_g[n]), n


def test_the_graphed_sources_draw_batches_of_the_data_from_the_default_generator():
    t = _gan("ns")
    real, noise, gen = t.sources(True)
    assert gen is None
    torch.manual_seed(5)
    a, z = real(), noise(8)
    torch.manual_seed(5)
    assert torch.equal(a, real()) and torch.equal(z, noise(8))
    assert a.shape == (8, 1, 28, 28) and -1 <= a.min() and a.max() <= 1
    pool = t.data.images.float().div(127.5).sub(1).flatten(1)
    assert all(any(torch.equal(row, p) for p in pool) for row in a.flatten(1))     # each a real image


class FakeGraph:
    """Stands in for graphs.StepGraph on a CPU: "replays" by running the step; can fail capture."""
    made: list = []

    def __init__(self, step, device):
        self.step, self.runs, self.dropped = step, 0, 0
        FakeGraph.made.append(self)

    def run(self):
        if getattr(FakeGraph, "fail", False):
            raise graphs.CaptureFailed("operation not permitted when stream is capturing")
        self.step()
        self.runs += 1

    def drop(self):
        self.dropped += 1


@pytest.fixture
def fake_graphs(monkeypatch):
    FakeGraph.made, FakeGraph.fail = [], False
    monkeypatch.setattr(graphs, "StepGraph", FakeGraph)
    return FakeGraph


def test_the_replay_loop_counts_steps_sums_per_call_and_retune_drops_the_capture(fake_graphs):
    t = _gan("ns")
    t.graphed = True
    first = t.advance(3)
    second = t.advance(2)
    (graph,) = fake_graphs.made               # captured once, replayed since
    assert graph.runs == 5 and t.step == 5 and t.images_seen == 5 * 8
    for out in (first, second):                   # per-call means: zeroed between calls
        assert 0 < out["d_real"] < 1 and 0 < out["d_fake"] < 1 and 0 < out["loss_d"] < 2 * 1.3863
    t.retune(recipes.get("ns"))
    assert graph.dropped == 1
    t.load_state_dict(t.state_dict())
    assert t._graph is None                   # new optimiser state tensors: a new capture


def test_a_failed_capture_trains_on_eagerly_under_auto_and_says_so(fake_graphs):
    t = _gan("ns")
    t.graphed, fake_graphs.fail = True, True
    out = t.advance(4)
    assert t.step == 4 and not t.graphed and "could not be captured" in t.graph_note
    assert 0 < out["d_real"] < 1 and torch.isfinite(torch.tensor(out["loss_g"]))


def test_a_failed_capture_under_on_is_one_clear_error(fake_graphs):
    t = _gan("ns")
    t.graphed, t.graphs_asked, fake_graphs.fail = True, "on", True
    with pytest.raises(ConfigError, match="cuda_graphs=on: the step could not be captured"):
        t.advance(1)


def test_image_runs_show_the_graph_note_only_on_cuda():
    from lab.experiments import image_gan
    run = image_gan.EXPERIMENT.make_run(image_gan.EXPERIMENT.config(steps=1, fd_samples=0, batch=8, width=8))
    assert run.trainer.graphed is False and run.snapshot()["graphs"] == ""
    assert image_trainer.graphs.MODES == ("auto", "on", "off")
