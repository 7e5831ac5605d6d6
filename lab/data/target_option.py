"""The `target` setting every energy-based experiment declares (langevin, score_matching, ebm,
ebm_gan, diffusion), written once so its help lists the presets there are. No torch at import:
configs import this; the targets themselves are lab.data.densities."""
from __future__ import annotations

from lab.config import opt

# lab.data.densities.PRESETS' names (a test keeps the two the same).
PRESET_NAMES = ("bumps", "gauss", "ring", "banana", "moons", "uneven")


def target(default: str, note: str = ""):
    """The dataclass field: a preset name or a mixture in the Discriminators page's syntax."""
    return opt(default, f"a preset ({', '.join(PRESET_NAMES)}) or a mixture such as 0.5*N(-2,0.5)+0.5*N(2,0.5) "
                        f"or 0.5*N((0,0),0.5)+0.5*N((2,1),0.3){note}", group="Target", label="Target")


def check(spec: str) -> None:
    """One clear ConfigError for a name or mixture that is no target (the mixture parser only)."""
    from lab.data import densities
    densities.resolve_spec(spec)
