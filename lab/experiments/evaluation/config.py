"""The evaluation experiment's config: which real images, which sample set is judged, how many
images per set, how many strengths per distortion, k of the k-NN balls (knn; `k` is the
pages' steps-per-tick box), the seed."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import Config, opt

# The sample sets a student can judge (lab.experiments.evaluation.sets); "run" is a generator
# from the image page (a run file, or the page's own run in this session).
SAMPLES = ("test", "copies", "one_class", "class_copies", "half_classes", "blurry", "junk", "run")
SAMPLE_LABELS = {"test": "Held-out real digits", "copies": "Training copies (memoriser)",
                 "one_class": "One class only", "class_copies": "One image per class, repeated",
                 "half_classes": "Half the classes", "blurry": "Blurred digits", "junk": "Half digits, half shapes",
                 "run": "Image-page generator"}
DATA = ("digits", "mnist", "fashion")


@dataclass(frozen=True)
class EvaluationConfig(Config):
    data: str = opt("digits", "the real images (GenLab's feature classifier is trained on their labels): the "
                              "embedded digits, or MNIST / Fashion-MNIST once downloaded",
                    choices=DATA, group="Data", label="Real images")
    samples: str = opt("test", "the sample set judged in precision / recall and memorisation: "
                               + ", ".join(SAMPLES), choices=SAMPLES, group="Data", label="Samples judged")
    checkpoint: str = opt("", "samples=run: a run file of image_gan or image_vae (the image page's Weights "
                              "button); loaded with torch.load(weights_only=True)", path=True)
    n: int = opt(1000, "images per sample set (held-out images, distorted sets, generated samples)",
                 lo=50, hi=10_000, group="Data", label="Images per set", step=50)
    levels: int = opt(6, "strengths per distortion, evenly from 0 (none) to 1 (the strongest)", lo=2, hi=11,
                      group="Distortions", label="Strengths per distortion")
    knn: int = opt(3, "k of the k-nearest-neighbour balls of precision and recall (Kynkäänniemi et al. 2019 "
                    "use 3)", lo=1, hi=20, group="Precision and recall", live=True, label="k (nearest neighbours)")
    seed: int = opt(0, "random seed of the distortions, the toy data and the Gaussians", lo=0, hi=2**31 - 1,
                    group="Data", label="Seed")
