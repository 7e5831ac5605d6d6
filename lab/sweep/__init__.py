"""Many runs at once: a sweep over one or two keys and seeds, trained as one batched model.

    from lab.sweep import SweepConfig, SweepRun, heatmap
    cfg = SweepConfig.of(ModeCollapseConfig(), {"lr_d": [1e-4, 1e-3], "lr_g": "log:1e-4:1e-2:3"}, seeds=4)
    run = SweepRun(cfg)                  # CUDA when present; ConfigError if it would not fit
    run.advance(500)
    fig = heatmap(run.snapshot(), "modes")

Modules: axes (which keys vary, and how values are written), config (SweepConfig), stacked
(batched MLPs), optim (batched optimisers), streams (random numbers per member or shared),
trainer (one group's batched GAN), metrics (mode metrics for all members), memory (the estimate
and the refusal), summary (seed statistics per cell), run (SweepRun), figures (the heat map),
cli (`python -m lab sweep`).
"""
from lab.sweep.config import SweepConfig
from lab.sweep.figures import heatmap
from lab.sweep.run import SweepRun, load

__all__ = ["SweepConfig", "SweepRun", "heatmap", "load", "seeded"]


def seeded(cfg, k: int, points=None):
    """The mode-collapse run of `cfg` with k - 1 seed companions (lab.seeds.Seeds): one batched
    sweep of seeds seed+1..seed+k-1, or, for an unrolled GAN (which is not batched), k - 1 plain
    runs trained in turn."""
    import dataclasses

    from lab.experiments.mode_collapse.run import ModeCollapseRun
    from lab.seeds import Seeds

    def make(c):
        return SweepRun(c, points) if isinstance(c, SweepConfig) else ModeCollapseRun(c, points)

    def companions(c, n: int) -> list:
        if c.unroll == 0:
            return [SweepConfig.of(dataclasses.replace(c, seed=c.seed + 1), seeds=n - 1)]
        return [dataclasses.replace(c, seed=c.seed + i) for i in range(1, n)]

    return Seeds(cfg, k, make, companions, ("modes", "hq", "reverse_kl"))
