"""The VAE experiment's settings: every key declares its bounds, its sidebar group and whether a
running run takes it live (learning rate, beta, warm-up, batch, step budget, K, logging), or
a new run must be built (data, model shape, seed)."""
from __future__ import annotations

from dataclasses import dataclass

from lab.config import Config, ConfigError, opt

DATA = ("digits", "mnist", "fashion", "toy2d")
MODELS = ("vae", "bernoulli_mixture")
IDX_DATA = ("mnist", "fashion")          # read from IDX files: a folder, or the download cache


@dataclass(frozen=True)
class LatentVAEConfig(Config):
    data: str = opt("digits", "digits: 5,000 real MNIST digits shipped with GenLab (offline); "
                              "mnist | fashion: IDX files from data_dir or the cache; toy2d: two moons",
                    choices=DATA, group="Data", label="Data set")
    data_dir: str = opt("", "folder holding the IDX files (train-images-idx3-ubyte[.gz] and the three "
                            "others); empty = the download cache", label="Folder with the IDX files",
                        path=True)
    download: bool = opt(False, "fetch MNIST / Fashion-MNIST into the cache if missing (checksummed)")
    model: str = opt("vae", "vae: the VAE (PCA and an autoencoder beside it); bernoulli_mixture: a mixture of "
                            "`components` Bernoulli images, a discrete latent with an exact log p(x), trained by EM "
                            "(one step = one EM iteration over the training set)", choices=MODELS)
    components: int = opt(20, "mixture components K of model=bernoulli_mixture", lo=1, hi=500,
                          label="Mixture components K")
    latent: int = opt(2, "latent dimension k; 2 shows the manifold directly", lo=1, hi=64,
                      group="Model", label="Latent dimension")
    width: int = opt(256, "hidden units per layer of encoder and decoder", lo=8, hi=2048, step=32,
                     group="Model", label="Width (hidden units)")
    depth: int = opt(2, "hidden layers of encoder and decoder", lo=1, hi=6, group="Model", label="Depth (layers)")
    beta: float = opt(1.0, "weight of the KL term: 1 = the ELBO, > 1 the beta-VAE (Higgins et al. 2017)",
                      lo=0.0, hi=100.0, step=0.5, live=True, group="Model", label="beta (KL weight)")
    warmup: int = opt(0, "KL warm-up: beta ramps linearly from 0 over this many steps (0 = off; "
                         "Bowman et al. 2016)", lo=0, hi=1_000_000, step=100, live=True, group="Model",
                      label="KL warm-up (steps)")
    lr: float = opt(1e-3, "Adam learning rate (VAE and autoencoder)", lo=1e-6, hi=0.1, step=1e-4, fmt="%.5f",
                    live=True, group="Training", label="Learning rate (Adam)")
    batch: int = opt(128, "examples per minibatch", lo=1, hi=4096, live=True, group="Training", label="Batch size")
    steps: int = opt(2000, "training steps (minibatches); Play stops here", lo=0, hi=1_000_000, step=500,
                     live=True, group="Training", label="Stop after (steps)")
    compare: bool = opt(True, "also train a plain autoencoder on the same batches (PCA is always fitted)",
                        group="Training", label="Train a plain autoencoder alongside")
    seed: int = opt(0, "random seed: same seed, same curves", lo=0, hi=2**31 - 1, group="Training", label="Seed")
    K: int = opt(64, "importance samples of the IW bound (Burda, Grosse & Salakhutdinov 2016)",
                 lo=1, hi=5000, live=True)
    n_eval: int = opt(1000, "train and test examples used for the evaluation metrics", lo=10, hi=100_000)
    log_every: int = opt(20, "steps between two points of the curves (each one evaluates the test set)",
                         lo=1, hi=100_000, live=True)

    def check(self) -> None:
        if self.data_dir and self.data not in IDX_DATA:
            raise ConfigError(f"data_dir is only for data=mnist or fashion, not data={self.data}")
        if self.model == "bernoulli_mixture" and self.data == "toy2d":
            raise ConfigError("model=bernoulli_mixture models pixels in [0, 1]: pick data=digits, mnist or fashion "
                              "(the two moons are 2-D points)")
