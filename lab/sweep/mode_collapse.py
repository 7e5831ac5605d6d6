"""The mode-collapse sweep's entry in lab.sweep.kinds: 2-D GANs, their lessons and figures."""
from __future__ import annotations

from lab.sweep import figures
from lab.sweep.config import SweepConfig
from lab.sweep.kinds import SweepKind
from lab.sweep.presets import PRESETS
from lab.sweep.run import SweepRun

SWEEP = SweepKind(
    experiment="mode_collapse", label="Mode collapse (2-D GANs)", config=SweepConfig, run=SweepRun,
    page="app_pages/mode_collapse.py", presets=PRESETS, metric="modes",
    cell_figures=lambda snap, cell: [figures.cell_samples(snap, cell)], grid_figure=figures.grid_samples)
