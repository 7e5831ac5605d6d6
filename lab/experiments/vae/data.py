"""The VAE's data: flattened images in [0, 1] through the one image front door
(lab.data.images), or the two moons as raw 2-D points."""
from __future__ import annotations

import torch

from lab.config import ConfigError
from lab.experiments.vae.config import IDX_DATA, LatentVAEConfig


def load_data(cfg: LatentVAEConfig, progress=None) -> dict:
    """{"x_train", "y_train", "x_test", "y_test"}: float32 (n, D) and int64 (n,) tensors, and
    "shape": (28, 28) for images (pixels in [0, 1]) or None for 2-D points. `progress` is
    lab.data.download's callback, used when cfg.download fetches a data set."""
    if cfg.data == "toy2d":
        from lab.data.toy2d import load_toy2d
        (xtr, ytr), (xte, yte) = load_toy2d("train", cfg.seed), load_toy2d("test", cfg.seed)
        return {"x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte, "shape": None}
    from lab.data import images
    if cfg.data in IDX_DATA and not cfg.data_dir:
        from lab.data import download
        if download.cached(cfg.data) is None:
            if not cfg.download:
                raise ConfigError(f"data={cfg.data} needs its IDX files: set data_dir=FOLDER (on the page: the "
                                  f"folder box), or download=true (the Download button) to fetch them into "
                                  f"{download.cache_folder(cfg.data)}")
            download.download_dataset(cfg.data, progress=progress)
    out = {}
    for split in ("train", "test"):
        d = images.load(cfg.data, cfg.data_dir, size=28, channels="grey", split=split)   # uint8 (n, 1, 28, 28)
        out[f"x_{split}"] = d.images.reshape(len(d.images), -1).float().div_(255.0)
        out[f"y_{split}"] = d.labels if d.labels is not None else torch.zeros(len(d.images), dtype=torch.int64)
    return out | {"shape": (28, 28)}
