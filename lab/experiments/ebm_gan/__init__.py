"""The GAN as an energy-based model (note 003, sec. 15.2.4): log Z(f) = max_q E_q f + H(q), so
maximum likelihood max_f E_p f - log Z(f) is the min-max max_f min_q E_p f - E_q f - H(q), a
Wasserstein-like GAN with an entropy term for the generator.

    config.py    EbmGanConfig (no torch at import)
    gaussian.py  the identity with a Gaussian q: closed form for quadratic f, Gauss-Hermite otherwise
    flows.py     the generator: a small normalising flow with exact log q, on the target's box
    run.py       EbmGanRun: identity mode (Gaussian q, fixed f) and minmax mode (energy net vs flow)
    figures.py   snapshot -> Plotly figures
The targets are lab.data.densities (shared with the Langevin and score-matching experiments).
"""
from lab.experiments import Experiment, SeedSpec
from lab.experiments.ebm_gan.config import EbmGanConfig


def make_run(cfg: EbmGanConfig):
    from lab.experiments.ebm_gan.run import EbmGanRun        # imports torch
    return EbmGanRun(cfg)


def _figures(run) -> dict:
    from lab.experiments.ebm_gan import figures as figs
    snap = run.snapshot()
    return {"model": figs.model(snap), "bound": figs.bound_curve(snap)}


EXPERIMENT = Experiment(
    name="ebm_gan",
    summary="The GAN as an EBM: log Z(f) = max_q E_q f + H(q) with a Gaussian q, and the entropy-regularised "
            "min-max of an energy net f against a flow q, the learned f against log p",
    config=EbmGanConfig,
    make_run=make_run,
    figures=_figures,
    smoke={"steps": 3, "batch": 16, "width": 8, "layers": 1},
    seeds=SeedSpec(keys=("kl_p", "gap"), numbers=lambda run: {k: run.metrics()[k] for k in ("kl_p", "gap")},
                   labels={"kl_p": "KL(p || p_f)", "gap": "gap log Z - bound"}),
)
