"""IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
a big-endian header of magic number 0x00 0x00 <type code> <number of dims>, then one uint32
per dimension, then the data in C order. Plain or gzipped; the gzip magic decides."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from lab.config import ConfigError

# type code -> big-endian numpy dtype
_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {np.dtype(v).newbyteorder("=").str: k for k, v in _TYPES.items()}

# Both datasets use the same four file names (Fashion-MNIST kept MNIST's on purpose).
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
DATASETS = ("mnist", "fashion")


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise ConfigError(f"{path.name}: the gzip stream is damaged ({err}); download it again") from None
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (gzipped or not), in native byte order."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path} does not exist")
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise ConfigError(f"{path.name} is not an IDX file: wrong magic number "
                          f"{raw[:4].hex() or '(empty file)'}; expected 0000 <type> <ndim>, e.g. 00000803")
    dtype, ndim = _TYPES[raw[2]], raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ConfigError(f"{path.name} is truncated: the header ends after {len(raw)} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    need = head + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != need:
        what = "truncated" if len(raw) < need else "longer than its header says"
        raise ConfigError(f"{path.name} is {what}: {len(raw)} bytes for shape {shape}, expected {need}")
    return np.frombuffer(raw, dtype, offset=head).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write `array` as IDX (gzipped when the name ends in .gz, or when `compress` says so)."""
    path = Path(path)
    array = np.ascontiguousarray(array)
    code = _CODES.get(array.dtype.newbyteorder("=").str)
    if code is None:
        raise ValueError(f"IDX cannot hold dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(_TYPES[code]).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def find_file(folder: Path, stem: str) -> Path | None:
    """`stem`, `stem.gz`, or the common `stem.idx3-ubyte`-style variant with '-' -> '.'."""
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_idx_dataset(folder: str | Path, name: str = "mnist", split: str = "train"
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) from the standard file names in `folder`."""
    if name not in DATASETS:
        raise ConfigError(f"data={name!r} is not one of: {', '.join(DATASETS)}")
    if split not in FILES:
        raise ConfigError(f"split={split!r} is not one of: {', '.join(FILES)}")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"data_dir={str(folder)!r} is not a folder")
    paths = []
    for stem in FILES[split]:
        p = find_file(folder, stem)
        if p is None:
            raise ConfigError(f"data_dir={str(folder)!r} has no {stem}[.gz] for {name} {split}")
        paths.append(p)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ConfigError(f"{paths[0].name}: images must be uint8 of shape (N, 28, 28), "
                          f"got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ConfigError(f"{paths[1].name}: labels must have shape ({images.shape[0]},), got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ConfigError(f"{paths[1].name}: labels must lie in 0..9")
    return images, labels.astype(np.int64)
