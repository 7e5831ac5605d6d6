"""Evaluating generative models (note 004: the Inception Score and FID): the scores on sets with
known answers, the Fréchet distance and IS under the distortions of Heusel et al. 2017, the FD
formula against its closed form, precision and recall (Kynkäänniemi et al. 2019) and
memorisation, all on GenLab's own features (features), not Inception-v3's."""
from __future__ import annotations

from lab.experiments import Experiment
from lab.experiments.evaluation.config import EvaluationConfig
from lab.experiments.evaluation.distortions import KINDS
from lab.experiments.evaluation.run import EvaluationRun


def by_kind(history: dict) -> dict:
    """The run's history (one row per point) as metrics.json gives it: one curve per distortion,
    {"noise": {"strength": [...], "fd": [...], "is": [...]}, ...}."""
    out = {}
    for kind in KINDS:
        rows = [i for i, k in enumerate(history["kind"]) if k == kind]
        out[kind] = {key: [history[key][i] for i in rows] for key in ("strength", "fd", "is")}
    return out


def _figures(run: EvaluationRun) -> dict:
    from lab.experiments.evaluation import figures
    return figures.all_figures(run.snapshot())


EXPERIMENT = Experiment(
    name="evaluation",
    summary="Inception Score, Fréchet distance under distortions, precision and recall, memorisation "
            "(GenLab features)",
    config=EvaluationConfig,
    make_run=EvaluationRun,
    figures=_figures,
    smoke={"n": 100, "levels": 2},
    history=lambda run: by_kind(run.history),
)
