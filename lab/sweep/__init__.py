"""Many runs at once: a sweep over one or two keys and seeds, trained as one batched model.

    from lab.sweep import SweepConfig, SweepRun, heatmap
    cfg = SweepConfig.of(ModeCollapseConfig(), {"lr_d": [1e-4, 1e-3], "lr_g": "log:1e-4:1e-2:3"}, seeds=4)
    run = SweepRun(cfg)                  # CUDA when present; ConfigError if it would not fit
    run.advance(500)
    fig = heatmap(run.snapshot(), "modes")

What every experiment's sweep shares: axes (which keys vary, and how values are written),
config (SweepFields: the sweep keys over any single-run config), batched (BatchedRun: groups,
the measuring schedule, seed statistics, state), stacked (batched MLPs), optim (batched
optimisers), summary (seed statistics per cell), memory (the estimate and the refusal), figures
(the heat map, a cell's curves, small multiples), kinds (which experiments can be swept), cli
(`python -m lab sweep`, torchrun included), presets (the lessons' Preset).

The mode-collapse sweep: config.SweepConfig, streams (random numbers per member or shared),
trainer (one group's batched 2-D GAN), metrics (mode metrics for all members), run (SweepRun),
mode_collapse (its kinds entry). The other experiments' sweeps live in their own packages
(lab/experiments/<name>/batched.py and sweep.py).
"""
from lab.sweep.config import SweepConfig
from lab.sweep.figures import heatmap
from lab.sweep.run import SweepRun, load

__all__ = ["SweepConfig", "SweepRun", "heatmap", "load", "seeded"]


def seeded(cfg, k: int, points=None):
    """The mode-collapse run of `cfg` with k - 1 seed companions (lab.seeds.with_seeds): one batched
    sweep of seeds seed+1..seed+k-1."""
    from lab.experiments.mode_collapse.run import ModeCollapseRun
    from lab.seeds import with_seeds
    return with_seeds("mode_collapse", cfg, k, lambda c: ModeCollapseRun(c, points), points=points)
