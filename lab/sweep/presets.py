"""Sweeps that are lessons: each a base config, one or two axes, seeds per cell and the metric to
colour by, with the question it answers. The Sweep page offers them; the command line takes the
same keys (`python -m lab sweep mode_collapse preset=...` is not a thing: type the keys shown).

The VEEGAN preset is their Table 1's set-up as far as it is published with the numbers: the
ring of 8 and the grid of 25, 5 runs each, 2,500 samples scored the same way; its GAN is the
page's (their networks' sizes are not in the table). The two PacGAN presets are Lin et al.'s Table 1 set-up as far as one MLP family goes: their ring
(radius 1, std 0.01) and grid ({-4..4}^2, std 0.05) data, Adam 1e-4 with beta1 0.8, batch 100, 10
trials per cell. Their G had 4 ReLU layers of 400 units with batch norm and their D 3 maxout
layers of 200; here G and D share one width and depth and have neither batch norm nor maxout,
and the budget is the page's (their steps are far longer), so the numbers beside theirs compare
the ordering, not the digits (lab.experiments.mode_collapse.metrics.ANCHORS holds theirs).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    label: str
    question: str
    x: str
    y: str = ""
    seeds: int = 4
    metric: str = "modes"
    base: dict = field(default_factory=dict)     # single-run keys (ModeCollapseConfig) as strings
    anchors: str = ""                            # "ring", "grid" or "ring,grid": the papers' rows beside


PRESETS = {
    "rates": Preset(
        "Learning rates of D and G",
        "Which rates cover the ring? Measured at 3,000 steps, 4 seeds: lr D 1e-4 collapses whatever lr G "
        "(0-2 modes on average, Metz et al.'s 1e-4 / 1e-3 held 1); lr D 1e-3 to 3e-3 with lr G at least "
        "as large covered 7-8.",
        x="lr_d=log:1e-4:1e-2:5", y="lr_g=log:1e-4:1e-2:5", seeds=4, base={"steps": "3000"}),
    "pac": Preset(
        "PacGAN's m",
        "Does packing m samples per D input cure collapse at the rates that collapse (lr D 1e-4, lr G 1e-3)? "
        "At 3,000 steps seeds 0-5 held 0-1 modes unpacked and 6-8 with m = 2.",
        x="pac=1,2,4,8", seeds=8, base={"steps": "3000"}),
    "gp_lambda": Preset(
        "WGAN-GP's lambda",
        "How much gradient penalty does the critic need? lambda 0 is an unconstrained critic.",
        x="gp_lambda=0,0.1,1,10,100", seeds=4,
        base={"recipe": "wgan_gp", "lr_d": "0.001", "lr_g": "0.001", "steps": "2000"}),
    "d_steps": Preset(
        "Critic steps",
        "If collapse is G outrunning D, do more D steps per G step cure it, and at which lr G?",
        x="d_steps=1,2,5,10", y="lr_g=1e-4,3e-4,1e-3", seeds=4, base={"steps": "2000"}),
    "unroll": Preset(
        "Unrolling D (Metz et al.)",
        "How many unrolled D steps does G need to see the ring? Metz et al.'s recipe, 6,000 steps, seeds 0-3: "
        "K = 0 held 0-2 modes, K = 1 and K = 3 all 8 on at most one seed of 4, K = 5 7-8 on at least three of 4. "
        "Each step of K costs about one more D update.",
        x="unroll=0,1,3,5", seeds=4, base={"recipe": "metz"}),
    "noise": Preset(
        "Instance noise",
        "Does noise on D's inputs (Sonderby et al.) help, and does annealing it to 0 matter?",
        x="instance_noise=lin:0:0.5:6", y="noise_anneal=0,3000", seeds=4, base={"steps": "3000"}),
    "pacgan_ring": Preset(
        "PacGAN Table 1: ring",
        "Lin et al.'s ring, 10 trials: GAN covered 6.3 of 8 modes, PacGAN2 7.9. Here, 3,000 steps (theirs were "
        "far longer): GAN 0.4 (0-1), PacGAN2 5.4 (0-8), the same ordering.",
        x="pac=1,2", seeds=10, anchors="ring",
        base={"data": "ring8_pacgan", "recipe": "ns", "lr_d": "0.0001", "lr_g": "0.0001", "beta1": "0.8",
              "batch": "100", "width": "200", "depth": "3", "steps": "3000"}),
    "veegan": Preset(
        "VEEGAN Table 1: GAN, 5 runs",
        "VEEGAN's GAN row (5 runs): 1 of 8 ring modes, 3.3 of 25 grid modes. The page's GAN at Metz et al.'s rates?",
        x="data=ring8,grid25", seeds=5, anchors="ring,grid", base={"steps": "3000"}),
    "pacgan_grid": Preset(
        "PacGAN Table 1: grid",
        "Lin et al.'s grid, 10 trials: GAN 17.3 of 25 modes, PacGAN2 23.8, PacGAN4 24.8. Here, 3,000 steps: "
        "GAN 0.4 (0-2), PacGAN2 3.7 (0-7), PacGAN4 6.5 (4-10): the same ordering, far from converged.",
        x="pac=1,2,4", seeds=10, anchors="grid",
        base={"data": "grid25_pacgan", "recipe": "ns", "lr_d": "0.0001", "lr_g": "0.0001", "beta1": "0.8",
              "batch": "100", "width": "200", "depth": "3", "steps": "3000"}),
}


def strings(preset: Preset | str) -> dict[str, str]:
    """A preset (or a mode-collapse preset's name) as its sweep config's key=value strings (what a
    link or the command line gives)."""
    p = PRESETS[preset] if isinstance(preset, str) else preset
    return {**p.base, "x": p.x, "y": p.y, "seeds": str(p.seeds)}
