"""One whole training step captured in a CUDA graph and replayed (`cuda_graphs=auto|on|off`).

Why: a DCGAN step launches ~345 small kernels; at batch 256 on an H200 the GPU waited on Python
about half the time (87 ms of kernels in ~170 ms wall for 20 steps). The same step captured once
and replayed ran 2.49x its eager loop there (62,000 vs ~25,000 images/s, measured 2026-12). A graph
replays the kernels it recorded with the addresses it recorded, so what the step needs must be
static (PyTorch, "CUDA Graphs", whole-network capture):

- inputs drawn inside the step from the device's default CUDA generator, which graphs support
  (the run's own torch.Generator is not graph-safe in every torch: captures refuse it), so a
  graphed run is seeded through that generator once at capture (`seed_default`) and repeats
  itself in one process, but two graphed runs in one server share that stream;
- optimisers built with `capturable=True` (their step counters live on the device);
- every Python number the step reads (learning rates, betas, lambda, clip, beta, D steps) is
  baked in at capture: a change drops the graph and the next step captures again;
- gradients zeroed in place (`set_to_none=False`), so the tensors the graph wrote stay theirs.

Where a graph cannot be used (a CPU; float16, whose GradScaler checks for inf on the host each
step; several processes under torchrun), `auto` trains eagerly and says why; `on` refuses with
one line.
"""
from __future__ import annotations

from typing import Callable

import torch

from lab.config import ConfigError

MODES = ("auto", "on", "off")
WARMUP = 3       # eager steps on a side stream before capture: optimiser state, cuDNN autotuning


class CaptureFailed(RuntimeError):
    """The step could not be captured (it ran eagerly up to here: nothing is lost)."""


def resolve(requested: str, device: torch.device, precision: str, processes: int = 1) -> tuple[bool, str]:
    """(use a graph?, why not, for the page's caption). `on` where it cannot work is refused."""
    if requested not in MODES:
        raise ConfigError(f"cuda_graphs={requested!r} is not one of: {', '.join(MODES)}")
    if requested == "off":
        return False, "CUDA graphs off"
    reason = ("no CUDA device (graphs are a CUDA feature)" if device.type != "cuda" else
              "float16 needs a GradScaler, which reads the gradients on the host every step"
              if precision == "float16" else
              f"{processes} processes under torchrun (the replicas' all-reduce is not captured)"
              if processes > 1 else "")
    if not reason:
        return True, "one CUDA graph per training step"
    if requested == "on":
        raise ConfigError(f"cuda_graphs=on cannot be used here: {reason}; use cuda_graphs=auto or off")
    return False, f"trained eagerly: {reason}"


def seed_default(device: torch.device, seed: int) -> None:
    """The stream a graphed step draws from: the device's default CUDA generator."""
    torch.cuda.default_generators[device.index or 0].manual_seed(seed)


class StepGraph:
    """`step` (a function of nothing, reading and writing only tensors that live as long as the
    trainer) run WARMUP times eagerly on a side stream, then captured; `replay()` runs it again."""

    def __init__(self, step: Callable[[], None], device: torch.device):
        self.step, self.device = step, device
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warm = 0

    def run(self) -> None:
        """One training step: eager while warming up (those steps train too), then replayed."""
        if self.graph is not None:
            self.graph.replay()
            return
        if self.warm < WARMUP:
            side = torch.cuda.Stream(self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                self.step()
            torch.cuda.current_stream(self.device).wait_stream(side)
            self.warm += 1
            return
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):      # records, does not run: replay once to take the step
                self.step()
        except RuntimeError as err:            # an op that cannot be captured: the caller decides
            raise CaptureFailed(str(err).splitlines()[0][:200]) from err
        self.graph = graph
        graph.replay()

    def drop(self) -> None:
        """Forget the capture (a baked-in number changed); the next step captures again."""
        self.graph, self.warm = None, WARMUP - 1
