"""Evaluating generative models (note 004: IS and FID; Heusel et al. 2017; Kynkäänniemi et al.
2019): the run the page, the command line and the tests drive.

Built once: the features of the reference (training) images; on the first read that needs
them (~1-2 s, after a page's live curves have drawn): the sets with a known answer and their IS,
FD, precision and recall, the Gaussian check of the FD formula, the 2-D toy's precision and
recall, the judged samples' nearest training images. The run
is a computation in units: `advance(k)` computes the next k (distortion, strength) points of the
FD and IS curves, so the page plays them live and the history fills in, one row per point.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from lab.config import ConfigError
from lab.device import generator
from lab.experiments.evaluation import sets, toy
from lab.experiments.evaluation.config import SAMPLE_LABELS
from lab.experiments.evaluation.distortions import KINDS, distort, strengths
from lab.experiments.evaluation.features import FeatureCache, classifier
from lab.experiments.evaluation.metrics import (Frechet, frechet_closed_form, inception_score, knn_radii, nearest,
                                                precision_recall, random_gaussian, samples)
from lab.run import Run

N_SHOWN = 8                   # images shown per strength, and samples beside their nearest neighbours
GAUSS_DIM = 8                 # the dimension of the two random Gaussians
GAUSS_N = (20, 50, 100, 200, 500, 1000, 2000, 5000, 20000)     # sample sizes of the FD-vs-n curve
# The sets with a known answer, in the table's order ("uniform" has logits only: every p(y|x) = 1/C).
TABLE = ("test", "one_class", "uniform", "half_classes", "class_copies", "blurry", "junk", "copies")
TABLE_LABELS = {**SAMPLE_LABELS, "test": "Held-out real digits (an honest generator)",
                "copies": "Training images, lightly noised (a memoriser)",
                "one_class": f"One class only (the {sets.ONE_CLASS}s: collapsed)",
                "uniform": "Uniform p(y|x) (logits all equal)", "blurry": f"Blurred digits ({sets.BLUR_PX} px)",
                "junk": "Half digits, half shapes (all covered, half junk)"}


def load_samples(cfg, generated: torch.Tensor | None) -> torch.Tensor | None:
    """The judged samples: given (the page's upload or session run), read from cfg.checkpoint,
    or one of the made sets (None: made from the real images)."""
    if generated is not None:
        return sets.as_digits(generated)[:cfg.n]
    if cfg.samples != "run":
        return None
    if not cfg.checkpoint:
        raise ConfigError("samples=run needs checkpoint=PATH: a run file from the image page's Weights button")
    path = Path(cfg.checkpoint).expanduser()
    if not path.is_file():
        raise ConfigError(f"checkpoint={cfg.checkpoint!r} does not exist")
    return sets.run_file(path.read_bytes(), cfg.n, cfg.seed)


class EvaluationRun(Run):
    experiment = "evaluation"

    def __init__(self, cfg, generated: torch.Tensor | None = None):
        """`generated`: the judged samples (n, C, s, s) in [-1, 1] when samples=run and the page has them."""
        super().__init__(cfg)
        mine = load_samples(cfg, generated)
        self.real = sets.real(cfg.data, cfg.n)
        self.cache = FeatureCache(classifier(cfg.data))
        self.images = {name: sets.made(name, self.real, cfg.seed) for name in TABLE if name != "uniform"}
        self.images["samples"] = mine if mine is not None else self.images[cfg.samples]
        if len(self.images["samples"]) < 2 * cfg.knn:
            raise ConfigError(f"the samples hold {len(self.images['samples'])} images; at least {2 * cfg.knn} are needed")
        self.points = [(kind, s) for kind in KINDS for s in strengths(cfg.levels)]
        self.history = {"kind": [], "strength": [], "fd": [], "is": []}
        self.examples: dict[str, list[np.ndarray]] = {kind: [] for kind in KINDS}
        self.seconds = 0.0           # spent computing curve points (distorting, features, FD, IS)
        self.ref = self.feats("reference", lambda: self.real.train)
        held_out = self.feats("test")
        for name in TABLE:            # the subsets of the held-out images: their features, indexed
            idx = sets.subset(name, self.real)
            if idx is not None:
                self.cache.sets[name] = held_out[idx]
        if mine is None:
            self.cache.sets["samples"] = self.feats(cfg.samples)
        self.fd = Frechet(self.ref.features)
        self.mine_given = mine is not None
        self.built = False        # the table, the Gaussians, the toy, memorisation: on first read (_build)

    def _build(self) -> None:
        """The parts computed once (~1-2 s), on the first read that needs them, so that a page's
        live curves draw before them."""
        if self.built:
            return
        self.scores = {name: self._scores(name) for name in TABLE}
        self.scores["samples"] = (self._scores("samples") if self.mine_given
                                  else dict(self.scores[self.cfg.samples]))
        self.gaussians = self._gaussians()
        self.toy_points = toy.sets(self.cfg.seed)
        self.memo = self._memorisation()
        self.built = True
        self._measure_pr(self.cfg.knn)

    @property
    def total(self) -> int:
        return len(self.points)

    def feats(self, name: str, images=None):
        return self.cache.get(name, images or (lambda: self.images[name]))

    # ---- the protocol -----------------------------------------------------------------------------
    def _advance(self, k: int) -> None:
        for _ in range(min(k, self.total - self.step)):
            t0 = time.perf_counter()
            kind, s = self.points[self.step]
            # strength 0 leaves the images as they are: the held-out set's features
            f = self.feats(f"{kind}@{s:.4f}" if s > 0 else "test", lambda: self._distorted(kind, s))
            if s == 0:
                self.examples[kind].append(self.real.test[:N_SHOWN].numpy())
            fd, score = self.fd.to(f.features), inception_score(f.logits)
            self.seconds += time.perf_counter() - t0
            for key, value in (("kind", kind), ("strength", s), ("fd", fd), ("is", score)):
                self.history[key].append(value)
            self.step += 1

    def _retune(self, cfg) -> None:
        if self.built:
            self._measure_pr(cfg.knn)

    def _measure_pr(self, knn: int) -> None:
        """The precision / recall of every set and of the toy at k = knn (features cached)."""
        real = self.ref.features[:self.cfg.n].double()
        radii = knn_radii(real, knn)               # one real set: its balls measured once
        for name in (*TABLE, "samples"):
            if name != "uniform":
                p, r = precision_recall(real, self.feats(name).features, knn, radii)
                self.scores[name].update(precision=p, recall=r)
        self.toy = toy.measure(self.toy_points, knn)

    def _metrics(self) -> dict:
        self._build()
        sc, g, t = self.scores, self.gaussians, self.toy
        m = {"points": self.step, "is_real": sc["test"]["is"], "is_one_class": sc["one_class"]["is"],
             "is_uniform": sc["uniform"]["is"], "is_half_classes": sc["half_classes"]["is"],
             "is_class_copies": sc["class_copies"]["is"], "fd_real": sc["test"]["fd"],
             "fd_one_class": sc["one_class"]["fd"], "fd_class_copies": sc["class_copies"]["fd"],
             "fd_gaussian_error": g["error"], "fd_gaussian": g["closed"], "fd_note_formula_same": g["note_same"],
             "precision_collapsed": sc["one_class"]["precision"], "recall_collapsed": sc["one_class"]["recall"],
             "precision_blurry": sc["blurry"]["precision"], "recall_blurry": sc["blurry"]["recall"],
             "precision_junk": sc["junk"]["precision"], "recall_junk": sc["junk"]["recall"],
             "precision_real": sc["test"]["precision"], "recall_real": sc["test"]["recall"]}
        for name in toy.GENERATORS:
            m |= {f"toy_precision_{name}": t[name]["precision"], f"toy_recall_{name}": t[name]["recall"]}
        m |= {f"{key}_samples": sc["samples"][key] for key in ("is", "fd", "precision", "recall")}
        m |= {k: v for k, v in self.memo.items() if isinstance(v, float)}
        m["curve_seconds"] = self.seconds
        return m

    def _snapshot(self, static: bool = True) -> dict:
        """`static=False`: the live curves only (the page's ticks), without building the rest."""
        live = {"step": self.step, "total": self.total, "levels": self.cfg.levels, "samples": self.cfg.samples,
                "history": {k: list(v) for k, v in self.history.items()},
                "examples": {k: list(v) for k, v in self.examples.items()}, "seconds": self.seconds,
                "images_computed": self.cache.computed}
        if not static:
            return live
        return {**live, "metrics": self._metrics(), "table": [{"set": TABLE_LABELS[n], **self.scores[n]} for n in TABLE],
                "mine": {"set": SAMPLE_LABELS[self.cfg.samples], **self.scores["samples"]},
                "gaussians": self.gaussians, "toy_points": {k: v.numpy() for k, v in self.toy_points.items()},
                "toy": self.toy, "k": self.cfg.knn, "memo": self.memo}

    # ---- the parts built once ---------------------------------------------------------------------
    def _distorted(self, kind: str, s: float) -> torch.Tensor:
        r = self.real
        x = distort(kind, r.test, r.test_labels, s, self.cfg.seed, pool=(r.train, r.train_labels))
        self.examples[kind].append(x[:N_SHOWN].numpy())
        return x

    def _scores(self, name: str) -> dict:
        if name == "uniform":           # every p(y|x) = 1/C: p(y) = p(y|x), KL = 0, IS = 1
            return {"is": inception_score(torch.zeros(self.cfg.n, 10)), "fd": float("nan"),
                    "precision": float("nan"), "recall": float("nan"), "n": self.cfg.n}
        f = self.feats(name)
        return {"is": inception_score(f.logits), "fd": self.fd.to(f.features), "n": len(f.features)}

    def _gaussians(self) -> dict:
        """FD of two random Gaussians in GAUSS_DIM dimensions: torchmetrics on samples whose moments
        are exactly the Gaussians' (must equal the closed form), on plain samples of growing size
        (a bias that falls like 1/n), and note 004's -1/2 power (not 0 between P and itself)."""
        gen = generator(self.cfg.seed + 31)
        (mu1, c1), (mu2, c2) = random_gaussian(GAUSS_DIM, gen), random_gaussian(GAUSS_DIM, gen)
        closed = frechet_closed_form(mu1, c1, mu2, c2)
        exact = Frechet(samples(mu1, c1, 500, gen, exact=True)).to(samples(mu2, c2, 500, gen, exact=True))
        by_n = [Frechet(samples(mu1, c1, n, gen)).to(samples(mu2, c2, n, gen)) for n in GAUSS_N]
        return {"closed": closed, "from_moments": exact, "error": abs(exact - closed), "n": list(GAUSS_N),
                "by_n": by_n, "note": frechet_closed_form(mu1, c1, mu2, c2, power=-0.5),
                "note_same": frechet_closed_form(mu1, c1, mu1, c1, power=-0.5), "dim": GAUSS_DIM}

    def _memorisation(self) -> dict:
        """The samples' nearest training images, in pixels and in features, and the distance
        distributions of samples-to-train vs held-out-to-train (the held-out set is the yardstick:
        a generator that only copies is much closer to its training set than new real images are)."""
        train, mine = self.real.train.flatten(1), self.images["samples"].flatten(1)
        out = {}
        for space, bank, query, held in (("pixel", train, mine, self.real.test.flatten(1)),
                                         ("feature", self.ref.features, self.feats("samples").features,
                                          self.feats("test").features)):
            idx, d = nearest(query, bank)
            _, d_test = nearest(held, bank)
            out[f"{space}_samples"], out[f"{space}_test"] = d.numpy(), d_test.numpy()
            out[f"{space}_nearest"] = self.real.train[idx[:N_SHOWN]].numpy()
            out[f"memorisation_ratio_{space}"] = float(np.median(d) / np.median(d_test))
            # "copies": samples nearer to the training set than 99% of the held-out images are
            out[f"copy_share_{space}"] = float((d < np.quantile(d_test, 0.01)).double().mean())
        out["shown"] = self.images["samples"][:N_SHOWN].numpy()
        return out
