"""Datasets: the embedded MNIST digits (offline), IDX files (MNIST / Fashion-MNIST) from a
folder or downloaded on demand into a cache, and small 2-D toy sets.

Images are uint8 (N, 28, 28), labels int64 (N,); models scale pixels to [0, 1] themselves.
"""
from lab.datasets.digits import load_digits
from lab.datasets.idx import load_idx_dataset, read_idx

__all__ = ["load_digits", "load_idx_dataset", "read_idx"]
