"""The disjoint-supports sweep: theta-GANs (trainer.ThetaGAN) over one or two keys and seeds,
trained as batched models (batched.BatchedThetaGAN): phase diagrams of where theta ends up
against learning rates, instance noise, the critic's constraint and the setup.

    python -m lab sweep disjoint lr_g=log:1e-3:10:5 recipe=gan,ns,wgan,wgan_gp seeds=4 --out /tmp/dj

Its entry in lab.sweep.kinds is SWEEP; each member is a DisjointConfig that opens on the
disjoint page as a single run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lab.config import to_strings, ConfigError, opt
from lab.experiments.disjoint.batched import EVAL_POINTS, BatchedThetaGAN, structure
from lab.experiments.disjoint.config import RECIPES, DisjointConfig
from lab.experiments.disjoint.run import GAP_POINTS
from lab.gan import recipes
from lab.sweep import memory
from lab.sweep import streams as rs
from lab.sweep.batched import BatchedRun, Group
from lab.sweep.config import SweepFields
from lab.sweep.kinds import SweepKind
from lab.sweep.presets import Preset

# Numbers the batched model holds per member (one tensor entry each) vs keys that change the code
# path or a shape (lab.sweep.axes).
PER_MEMBER = ("lr_g", "lr_d", "instance_noise", "noise_anneal", "clip", "gp_lambda", "gp_warmup", "theta0", "sigma")
PER_GROUP = ("recipe", "setup", "d_steps", "batch", "width", "depth")
NOT_SWEPT = {
    "seed": "give seeds=K instead (each cell trains seeds seed, seed+1, ..., seed+K-1)",
    "steps": "the whole sweep trains one budget of steps",
}
# An axis over one of these changes nothing unless some member uses it.
USED_BY = {"clip": ("recipe wgan (weight clipping)", lambda r, c: r.constraint == "clip"),
           "gp_lambda": ("recipe wgan_gp (gradient penalty)", lambda r, c: r.constraint == "gp"),
           "gp_warmup": ("recipe wgan_gp (gradient penalty)", lambda r, c: r.constraint == "gp"),
           "sigma": ("setup=gaussians", lambda r, c: c.setup == "gaussians"),
           "noise_anneal": ("instance_noise > 0", lambda r, c: c.instance_noise > 0)}


@dataclass(frozen=True)
class DisjointSweep(SweepFields, DisjointConfig):
    """The disjoint experiment's keys (the base every member starts from), the grid, and the
    measuring schedule (the single run logs every step; a sweep measures every eval_every)."""
    # The single page trains several recipes side by side and draws no recipe box; a sweep has one
    # base recipe (or an axis over it), drawn with the training keys.
    recipe: str = opt("wgan_gp", "what trains theta (lab.gan.recipes): " + ", ".join(RECIPES), choices=RECIPES,
                      group="Training", label="Recipe")
    eval_every: int = opt(10, "measure every member every this many theta steps", lo=1, hi=10_000, group="Sweep",
                          live=True, label="Measure every (steps)")

    single: ClassVar[type] = DisjointConfig
    per_member: ClassVar[tuple[str, ...]] = PER_MEMBER
    per_group: ClassVar[tuple[str, ...]] = PER_GROUP
    not_swept: ClassVar[dict[str, str]] = NOT_SWEPT

    def check(self) -> None:
        super().check()
        members = [self._member(cell, 0) for cell in self.cells()]
        for axis in self.axes():
            if axis.key in USED_BY:
                needs, used = USED_BY[axis.key]
                if not any(used(recipes.resolve(c, c.recipe_scale), c) for c in members):
                    raise ConfigError(f"an axis over {axis.key} changes nothing here: it acts only with {needs}")


def bytes_per_member(cfg) -> int:
    """Estimated bytes one member (a DisjointConfig) needs while training: the critic's weights,
    gradients and optimiser state; autograd's activations for a D update (three times over with
    a gradient penalty) and a theta step; the fixed evaluation batch and the gap's points."""
    r = recipes.resolve(cfg, cfg.recipe_scale)
    w, d, b = cfg.width, cfg.depth, cfg.batch
    sizes = [2] + [w] * d + [1]
    weights = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    numbers = weights * (2 + memory.OPT_STATE[r.optimizer])
    numbers += 2 * b * (2 + 2 * w * d + 1) * (3 if r.constraint == "gp" else 1) + b * (2 + 2 * w * d + 1)
    numbers += 2 * EVAL_POINTS * 2 + (EVAL_POINTS + GAP_POINTS) * (2 + 2 * w * d + 1)
    return int(4 * numbers * memory.SAFETY)


class DisjointSweepRun(BatchedRun):
    """Every member of a DisjointSweep trained at once; `device`: default CUDA when present."""
    experiment = "sweep_disjoint"
    config_class = DisjointSweep
    METRICS = {"abs_theta": "|theta|", "theta": "theta", "moved": "share of theta0 moved",
               "push": "push on theta (-dL_G/dtheta)", "lipschitz": "critic's Lipschitz constant",
               "d_loss": "D / critic loss"}
    SUMMARY = ("abs_theta", "theta", "moved", "push")
    structure = staticmethod(structure)
    bytes_per_member = staticmethod(bytes_per_member)

    def __init__(self, cfg: DisjointSweep, device=None, memory_limit: int | None = None,
                 part: tuple[int, int] | None = None):
        super().__init__(cfg, device, memory_limit, part)
        self.streams = rs.resolve(cfg.streams, self.device)
        self.reach = max(1.0, max(abs(c.theta0) for c in self.configs))      # colour bounds of theta
        self._start()

    def _build(self, cfgs: list, index: np.ndarray) -> BatchedThetaGAN:
        return BatchedThetaGAN(cfgs, self.device, self.streams)

    def _measure(self, g: Group) -> dict[str, np.ndarray]:
        """DisjointRun's read-outs for the group's members: theta, how far it moved, the push on
        the fixed batch, the critic's slope across the gap, D's loss since the last measurement."""
        gan = g.model
        theta, theta0 = _thetas(gan)
        with np.errstate(divide="ignore", invalid="ignore"):
            moved = np.where(theta0 != 0, np.abs(theta - theta0) / np.abs(theta0), np.nan)
        return {"abs_theta": np.abs(theta), "theta": theta, "moved": moved, "push": gan.push(),
                "lipschitz": gan.lipschitz(_gap_axes(theta0, theta)), "d_loss": gan.take_losses()}

    def ranges(self, metric: str) -> tuple[float, float] | None:
        """Fixed colour bounds, so frames of a live sweep compare: theta within its farthest start."""
        return {"abs_theta": (0.0, self.reach), "theta": (-self.reach, self.reach)}.get(metric)

    def member_metrics(self) -> list[dict]:
        """BatchedRun's rows with each recipe key as the member's recipe (and this experiment's
        scale) resolve it, where the config leaves it to the recipe."""
        rows = super().member_metrics()
        for row, c in zip(rows, self.configs):
            r = recipes.resolve(c, c.recipe_scale)
            row.update({k: getattr(r, k) for k in recipes.KEYS if k in row and row[k] is None})
        return rows

    def _extra_snapshot(self) -> dict:
        """Beyond the numbers: each member's D or critic across the gap now (a cell's figure), its
        recipe, setup and start."""
        gap_x, gap_value = np.empty((self.members, GAP_POINTS)), np.empty((self.members, GAP_POINTS))
        probabilistic = np.zeros(self.members, dtype=bool)
        for g in self.groups:
            theta, theta0 = _thetas(g.model)
            gap_x[g.index] = _gap_axes(theta0, theta)
            gap_value[g.index] = g.model.across_gap(gap_x[g.index])[0]
            probabilistic[g.index] = g.model.objective.probabilistic
        return {"streams": self.streams, "theta0": np.asarray([c.theta0 for c in self.configs]),
                "setup": [c.setup for c in self.configs], "recipe": [c.recipe for c in self.configs],
                "gap_x": gap_x, "gap_value": gap_value, "probabilistic": probabilistic}


def _thetas(gan: BatchedThetaGAN) -> tuple[np.ndarray, np.ndarray]:
    """(theta now, theta0) of a group's members, float64 on the host."""
    return gan.theta.cpu().numpy().astype(np.float64), np.asarray([c.theta0 for c in gan.cfgs], dtype=np.float64)


def _gap_axes(theta0: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """(M, GAP_POINTS) x along the gap per member (DisjointRun._gap_axis): the start, the target
    and theta now, with a margin of 1."""
    lo = np.minimum(np.minimum(0.0, theta0), theta) - 1.0
    hi = np.maximum(np.maximum(0.0, theta0), theta) + 1.0
    return np.linspace(lo, hi, GAP_POINTS, axis=-1)


def cell_gap(snap: dict, cell: int):
    """One cell's D or critic across the gap, one line per seed (the page's across-the-gap
    picture, in one panel to fit beside the cell's curves), each seed's theta dotted and its push
    on theta in the legend: does every seed's D go flat, or only one's?"""
    import plotly.graph_objects as go

    from lab.experiments.disjoint.figures import LAYOUT, REAL, RECIPE_COLOUR
    from lab.sweep.figures import cell_label, cell_members
    members = cell_members(snap, cell)
    colour, prob = RECIPE_COLOUR[snap["recipe"][members[0]]], bool(snap["probabilistic"][members[0]])
    fig = go.Figure()
    fig.add_vline(x=0.0, line=dict(color=REAL, width=3))
    for j, m in enumerate(members):
        push, theta = float(snap["metrics"]["push"][m]), float(snap["metrics"]["theta"][m])
        dash = ("solid", "dash", "dot", "dashdot")[j % 4]
        fig.add_trace(go.Scatter(x=snap["gap_x"][m], y=snap["gap_value"][m], line=dict(color=colour, width=2, dash=dash),
                                 name=f"seed {int(snap['seed'][m])}: push {push:+.1e}"))
        fig.add_vline(x=theta, line=dict(color=colour, width=1, dash="dot"))
    fig.update_layout(**{**LAYOUT, "margin": dict(l=60, r=20, t=50, b=50)}, height=320,
                      title=f"{cell_label(snap, cell)}: each seed's {'D' if prob else 'critic'}",
                      xaxis=dict(title="x (dotted: each seed's theta)"),
                      yaxis=dict(title="D(x)" if prob else "f(x) / L", range=[-0.05, 1.05] if prob else None),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def grid_theta(snap: dict):
    """Every cell's theta over training, laid out as the heat map, one line per seed (at most
    TILE_POINTS measurements of it): where theta froze at theta0, where it walked to the data at
    0 (the blue line), where it overshot. One fixed theta scale, 1.5 times the farthest start (a
    theta beyond it drawn on the tile's edge), so tiles and frames compare; or the sentence
    saying why the grid is too big to draw."""
    from lab.experiments.disjoint.figures import REAL, RECIPE_COLOUR
    from lab.sweep import figures as figs
    note = figs.too_many_cells(snap)
    if note:
        return note
    rows, cols = snap["shape"]
    tiles = figs.Tiles(rows * cols, cols, bottom_up=True)
    steps, theta = np.asarray(snap["trace"]["step"]), np.asarray(snap["trace"]["theta"], dtype=float)
    pick = figs.thin(len(steps))
    reach = 1.5 * snap["ranges"]["theta"][1]             # the heat map's bounds (the farthest start) and a margin
    x = figs.unit(steps[pick], 0, max(snap["total"], 1))
    by_recipe: dict[str, list] = {}           # one trace per recipe, in its colour
    for m in range(snap["members"]):
        y = figs.unit(theta[pick, m], -reach, reach)
        by_recipe.setdefault(snap["recipe"][m], []).append((int(snap["cell"][m]), x, y))
    data = figs.tile_lines(tiles, [(i, [0, 1], [0.5, 0.5]) for i in range(tiles.n)], color=REAL, width=1)
    lines = [figs.tile_lines(tiles, curves, name=recipe, pin=True, color=RECIPE_COLOUR[recipe])
             for recipe, curves in by_recipe.items()]
    return figs.tile_frame(
        tiles, f"Theta over training in every cell, each seed a line<br><sup>a tile: steps 0 to {snap['total']:,} "
               f"across, theta from {-reach:.2g} to {reach:.2g} up (beyond: on the edge); blue: theta = 0, "
               "the data</sup>",
        traces=[data, *lines], top=80, **figs.as_grid(snap, square=False))


# ---- lessons ------------------------------------------------------------------------------------
# Each question gives what this sweep measured: the page's defaults (lines, theta0 = 2, 300 theta
# steps) unless the preset says otherwise, 4 seeds a cell (0-3), |theta| as the mean over them
# (lab.experiments.disjoint.closed_forms: W1 = |theta|).
PRESETS = {
    "lr_g": Preset(
        "Theta's learning rate, per recipe",
        "Does a bigger theta step rescue the minimax JS-GAN? Measured: no, its push is ~2e-10 (theta 1.84 at "
        "lr 0.1; from 1 on it is thrown off); the critics each have a band: WGAN-GP ~0.1 (|theta| 0.002), "
        "clipped WGAN ~10 (0.14).",
        x="lr_g=log:1e-3:10:5", y="recipe=gan,ns,wgan,wgan_gp", seeds=4, metric="abs_theta"),
    "noise": Preset(
        "Instance noise",
        "How much noise does a JS-GAN need on the lines? Measured: every std from 0.3 to 1.2 brings the minimax "
        "GAN from 1.92 to |theta| < 0.03; at 1.5 it is slower (0.09); WGAN-GP needs none (0.01; 0.05-0.15 with).",
        x="instance_noise=lin:0:1.5:6", y="recipe=gan,ns,wgan_gp", seeds=4, metric="abs_theta"),
    "anneal": Preset(
        "Annealed instance noise",
        "Does theta arrive before the noise is gone? Measured (minimax GAN): std 1 falling to 0 over 100 steps "
        "still lands (|theta| 0.02); std 0.5 over 100 stalls at 1.69; over 300 steps both land.",
        x="instance_noise=0,0.5,1", y="noise_anneal=0,100,300", seeds=4, metric="abs_theta",
        base={"recipe": "gan"}),
    "sigma": Preset(
        "From thick Gaussians to lines",
        "When is a Gaussian pair 'disjoint' for a JS-GAN? Measured: the minimax GAN learns at s = 1 (|theta| 0.01) "
        "and stalls at 1.92 from s = 0.1 down; the non-saturating GAN and WGAN-GP land at every s.",
        x="sigma=log:0.001:1:4", y="recipe=gan,ns,wgan_gp", seeds=4, metric="abs_theta",
        base={"setup": "gaussians"}),
    "distance": Preset(
        "The minimax stall: distance and D's strength",
        "Is the minimax stall a matter of distance? Measured with 5 D steps: it lands from theta0 0.25, is thrown "
        "past 0 from 0.5 (3 of 4 seeds end at -1.2 to -1.7), moves 39% from 1, 4% from 2; with 1 D step 26% from 2.",
        x="theta0=0.25,0.5,1,2,4", y="d_steps=1,5", seeds=4, metric="moved", base={"recipe": "gan"}),
    "lr_d": Preset(
        "The critic's learning rate",
        "Does the critic keep up with theta? Measured: the GP critic at WGAN-GP's own 1e-4 lags and theta "
        "overshoots to -2.2 (every seed); from 1e-3 it lands; the spectral-norm critic lands at every rate.",
        x="lr_d=1e-4,3e-4,1e-3,3e-3", y="recipe=wgan_gp,wgan_sn", seeds=4, metric="theta"),
    "gp_lambda": Preset(
        "WGAN-GP's lambda",
        "How much penalty does the critic need? Measured at lr D 1e-3: lambda 0.1 to 10 lands (|theta| 0.001-0.01), "
        "0 (no constraint) and 100 do not (0.68, 0.38); at lr D 1e-4 no lambda lands in 300 steps.",
        x="gp_lambda=0,0.1,1,10,100", y="lr_d=1e-4,1e-3", seeds=4, metric="abs_theta", base={"recipe": "wgan_gp"}),
    "clip": Preset(
        "WGAN's clipping bound",
        "The bound c sets the critic's slope, so theta's rate must match it. Measured: at lr 20 theta lands for "
        "c >= 0.01 and stalls for c <= 0.003; at the JS-GANs' 0.05 it moves 1% at c = 0.01 and overshoots to -1 "
        "at 0.1.",
        x="clip=log:0.001:0.1:5", y="lr_g=0.05,1,20", seeds=4, metric="abs_theta", base={"recipe": "wgan"}),
}


SWEEP = SweepKind(
    experiment="disjoint", label="Wasserstein vs JS (theta)", config=DisjointSweep, run=DisjointSweepRun,
    page="app_pages/disjoint.py", presets=PRESETS, metric="abs_theta",
    cell_figures=lambda snap, cell: [cell_gap(snap, cell)], grid_figure=grid_theta,
    # The page trains several recipes side by side (`recipes=`): the link opens this member's alone.
    link=lambda cfg: {**to_strings(cfg), "recipes": cfg.recipe})

