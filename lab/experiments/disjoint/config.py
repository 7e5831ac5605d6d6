"""The disjoint-supports experiment's config: which pair of distributions, where theta starts,
which recipe trains it (lab.gan.recipes), and this experiment's adjustments to the recipes.

Old key names (links and command lines from before the one-vocabulary change) still read:
objective -> recipe (js_minimax -> gan, js_ns -> ns, wgan_clip -> wgan), d_lr -> lr_d,
lr -> lr_g (0, the old "objective's default", reads as the recipe's value), anneal -> noise_anneal
(true -> -1, "over the whole run"; false -> 0).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from lab.config import Config, names_from_link, opt
from lab.experiments.disjoint.closed_forms import SETUPS

SETUP_LABELS = {"lines": "Parallel lines", "gaussians": "Two Gaussians (thick lines)"}
# The recipes that can train theta: the two JS-GANs and the three Wasserstein critics, named
# for what they are here (theta is trained by plain SGD whatever the recipe's optimiser).
LABELS = {"gan": "JS-GAN, minimax", "ns": "JS-GAN, non-saturating", "wgan": "WGAN, weight clipping",
          "wgan_gp": "WGAN-GP", "wgan_sn": "WGAN, spectral norm"}
RECIPES = tuple(LABELS)
OLD_OBJECTIVES = {"js_minimax": "gan", "js_ns": "ns", "wgan_clip": "wgan", "wgan_gp": "wgan_gp", "wgan_sn": "wgan_sn"}
OVERRIDES = "Every recipe"     # the group of the recipe keys: one value for every recipe, or each its own
ACROSS_RUN = -1       # noise_anneal: fall to 0 over the run's `steps` (what the old anneal=true did)


DEFAULT_RECIPES = "gan,ns,wgan,wgan_gp"     # what a plain link trains side by side


def recipes_from_link(params: dict[str, str]) -> tuple[list[str], list[str]]:
    """The page's list of recipes from its link: `recipes=` (old links: `objectives=`, or one
    `recipe=` / `objective=` as the command line takes it), else the default set. Returns
    (recipes, notices): unknown names are ignored with a notice naming them, an old key name
    gets a notice, and when no name is known the default set is used."""
    one = params.get("recipe", params.get("objective"))
    asked = params.get("recipes", params.get("objectives", one or DEFAULT_RECIPES))
    known, notes = names_from_link(asked, RECIPES, DEFAULT_RECIPES, "recipe", OLD_OBJECTIVES)
    if "objectives" in params and "recipes" not in params:
        notes.append(f"'objectives={asked}' is an old name: read as recipes={','.join(known)}.")
    return known, notes


def _old_objective(text: str) -> dict[str, str]:
    return {"recipe": OLD_OBJECTIVES.get(text.strip(), text)}


def _old_rate(new: str):
    """Old rates used 0 for "the objective's default": that is today's recipe value (None)."""
    def read(text: str) -> dict[str, str]:
        try:
            return {new: "recipe" if float(text) == 0 else text}
        except ValueError:
            return {new: text}           # not a number: today's key reports it
    return read


def _old_anneal(text: str) -> dict[str, str]:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return {"noise_anneal": str(ACROSS_RUN)}
    if low in ("0", "false", "no", "off"):
        return {"noise_anneal": "0"}
    return {"noise_anneal": text}


@dataclass(frozen=True)
class DisjointConfig(Config):
    setup: str = opt("lines", "lines: P_0 = delta_0 x U[0,1] vs P_theta (disjoint); gaussians: the lines "
                              "thickened along x to N(0, s^2) and N(theta, s^2) (overlapping for s > 0)",
                     choices=tuple(SETUPS), group="Data", label="Setup")
    sigma: float = opt(0.5, "s, the Gaussians' standard deviation (setup=gaussians); s -> 0 is the "
                            "disjoint limit", lo=1e-3, hi=5.0, group="Data", label="Gaussians' s",
                       step=0.05, fmt="%.3f")
    theta0: float = opt(2.0, "where the generator's theta starts", lo=-5.0, hi=5.0, group="Data",
                        label="Start theta0", step=0.25)
    recipe: str = opt("wgan_gp", "what trains theta (lab.gan.recipes): " + ", ".join(RECIPES), choices=RECIPES)
    instance_noise: float = opt(0.0, "std of the Gaussian noise added to the real and fake inputs of D "
                                     "and the critic (note 000 sec. 1.3)",
                                lo=0.0, hi=5.0, group="Training", live=True, label="Instance noise std", step=0.1)
    noise_anneal: int = opt(0, "steps over which the instance noise falls linearly to 0; 0 = constant; "
                               "-1 = over the whole run (steps)", lo=ACROSS_RUN, hi=100_000, group="Training",
                            live=True, label="Noise falls to 0 over (steps)", step=50)
    d_steps: int | None = opt(None, "D / critic updates per theta step (k; WGAN's n_critic); "
                                    "empty = the recipe's", lo=1, hi=100, group=OVERRIDES, live=True,
                              recipe=True, label="D / critic steps per theta step (k)")
    lr_g: float | None = opt(None, "theta's plain-SGD learning rate (theta is the generator); empty = the "
                                   "recipe's, as this experiment scales it", lo=1e-6, hi=1000.0, group=OVERRIDES,
                             live=True, recipe=True, label="Theta learning rate (SGD)", fmt="%.4g")
    lr_d: float | None = opt(None, "D / critic learning rate; empty = the recipe's, as this experiment "
                                   "scales it", lo=1e-7, hi=1.0, group=OVERRIDES, live=True, recipe=True,
                             label="D / critic learning rate", fmt="%.2e")
    steps: int = opt(300, "theta steps (Play stops there)", lo=1, hi=100_000, group="Training", live=True,
                     label="Theta steps", step=50)
    seed: int = opt(0, "random seed: same seed, same trajectory", lo=0, hi=2**31 - 1, group="Training",
                    label="Seed")
    batch: int = opt(64, "samples of each distribution per update (WGAN's m)", lo=2, hi=4096, group="Critic")
    clip: float | None = opt(None, "weight clipping bound c (recipe wgan); empty = the recipe's 0.01",
                             lo=1e-4, hi=10.0, group=OVERRIDES, live=True, recipe=True, fmt="%.4g",
                             label="Clipping bound c (WGAN)")
    gp_lambda: float | None = opt(None, "gradient-penalty weight lambda (recipe wgan_gp); empty = the "
                                        "recipe's 10", lo=0.0, hi=1000.0, group=OVERRIDES, live=True, recipe=True,
                                  label="Penalty weight lambda (WGAN-GP)")
    gp_warmup: int = opt(100, "critic updates over which lambda ramps up from 0 (recipe wgan_gp)",
                         lo=0, hi=1_000_000, group="Critic")
    width: int = opt(64, "hidden units per layer of D / the critic", lo=1, hi=512, group="Critic")
    depth: int = opt(2, "hidden layers of D / the critic", lo=0, hi=6, group="Critic")

    aliases: ClassVar[dict] = {"objective": _old_objective, "d_lr": _old_rate("lr_d"), "lr": _old_rate("lr_g"),
                               "anneal": _old_anneal}

    # This experiment's adjustments to the paper recipes (lab.gan.recipes.resolve applies them
    # between the recipe and the config's own keys; the page names them):
    # - lr_g is theta's plain-SGD rate, not a generator network's Adam rate, so every recipe
    #   needs its own. The size of d loss_G / d theta differs per family: a JS-GAN's logit is
    #   unbounded (0.05); GP / SN critics have slope ~1 (GP) or <= 1 (SN), so 0.02; a clipped
    #   critic (c = 0.01) is K-Lipschitz with K ~ 1e-3 for this MLP (measured), so its push is
    #   ~1e-3 and theta's rate is scaled up to 20 to move at a comparable pace.
    # - lr_d 1e-3 (Adam) for the GP critic instead of WGAN-GP's 1e-4: the critic must follow
    #   theta across 0; at 1e-4 it lags and theta overshoots far past 0 (measured: -2.5, -2.3,
    #   -1.8 at step 300, seeds 0-2). The SN critic keeps up at the paper's 1e-4 (|theta| < 0.07
    #   on seeds 0-3, both setups) and WGAN's RMSProp 5e-5 too (clipped weights saturate at +-c
    #   within a few hundred updates): theirs stay. The JS-GANs' D gets 1e-3 as well.
    # - beta2 0.9 for the JS-GANs' D (DCGAN's 0.999 otherwise; WGAN-GP's value): Adam's step
    #   then stays full-sized while D's gradient fades as it saturates, so within the default
    #   300 steps D is near optimal and the minimax push is ~1e-10 (with 0.999: ~2e-4 at step
    #   300, seeds 0-3, still falling). Both JS-GANs train D the same way: only theta's loss differs.
    # - d_steps 5 for the JS-GANs (Goodfellow et al.'s k, which their experiments set to 1): the
    #   lesson is about a strong D, the regime of Arjovsky & Bottou 2017 (Thm. 2.4: as D -> D*
    #   the minimax generator's gradient -> 0); with k = 1 the minimax GAN's D is weaker and theta
    #   moves ~25% before it stalls (a thing to try).
    recipe_scale: ClassVar[dict[str, dict]] = {
        "gan": {"lr_g": 0.05, "lr_d": 1e-3, "beta2": 0.9, "d_steps": 5},
        "ns": {"lr_g": 0.05, "lr_d": 1e-3, "beta2": 0.9, "d_steps": 5},
        "wgan": {"lr_g": 20.0},
        "wgan_gp": {"lr_g": 0.02, "lr_d": 1e-3},
        "wgan_sn": {"lr_g": 0.02},
    }

    def anneal_steps(self) -> int:
        """Steps over which the noise falls to 0 (0 = constant)."""
        return self.steps if self.noise_anneal == ACROSS_RUN else self.noise_anneal


def scale_note(recipe: str) -> str:
    """What this experiment changes in a recipe, for the page: 'lr_g 0.05, lr_d 0.001, ...'."""
    scale = DisjointConfig.recipe_scale.get(recipe, {})
    return ", ".join(f"{k} {v:g}" for k, v in scale.items()) or "nothing"
