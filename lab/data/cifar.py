"""CIFAR-10, the *binary version* (https://www.cs.toronto.edu/~kriz/cifar.html): each record
is 1 label byte then 3,072 pixel bytes, the 1,024 red, then green, then blue values of a
32 x 32 image in row-major order; 10,000 records per file.

Read from the extracted folder (`cifar-10-batches-bin/`) or straight from the
`cifar-10-binary.tar.gz` archive, members read in memory (nothing is extracted). The Python
version's pickles are never opened: unpickling a file runs whatever code it names.
"""
from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np

from lab.config import ConfigError

RECORD = 1 + 3 * 32 * 32
FILES = {"train": tuple(f"data_batch_{i}.bin" for i in range(1, 6)), "test": ("test_batch.bin",)}
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MAX_FILE_BYTES = 10_000 * RECORD


def parse_records(raw: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Bytes of one batch file -> (images uint8 (N, 32, 32, 3), labels int64 (N,))."""
    if len(raw) == 0 or len(raw) % RECORD:
        raise ConfigError(f"{name} is not a CIFAR-10 binary batch: {len(raw)} bytes is not a "
                          f"multiple of the {RECORD}-byte record")
    rec = np.frombuffer(raw, np.uint8).reshape(-1, RECORD)
    labels = rec[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise ConfigError(f"{name} is not a CIFAR-10 binary batch: a label byte is {labels.max()}, above 9")
    images = rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _from_folder(folder: Path, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
    for sub in (folder, folder / "cifar-10-batches-bin"):
        if all((sub / n).is_file() for n in names):
            out = []
            for n in names:
                if (sub / n).stat().st_size > MAX_FILE_BYTES:
                    raise ConfigError(f"{n} is larger than a CIFAR-10 batch ({MAX_FILE_BYTES} bytes)")
                out.append((n, (sub / n).read_bytes()))
            return out
    raise ConfigError(f"data_dir={str(folder)!r} has no {names[0]} (the CIFAR-10 *binary* version: "
                      "cifar-10-binary.tar.gz, or its extracted cifar-10-batches-bin folder)")


def _from_tar(path: Path, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            out = []
            for n in names:
                m = members.get(n)
                if m is None:
                    raise ConfigError(f"{path.name} has no {n}: is it cifar-10-binary.tar.gz?")
                if m.size > MAX_FILE_BYTES:
                    raise ConfigError(f"{n} in {path.name} is larger than a CIFAR-10 batch")
                out.append((n, tar.extractfile(m).read(MAX_FILE_BYTES + 1)))
            return out
    except (tarfile.TarError, OSError, EOFError) as err:
        raise ConfigError(f"{path.name} is not a readable tar archive ({err})") from None


def load_cifar10(path: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 32, 32, 3), labels int64 (N,)) from a folder or the .tar.gz archive."""
    if split not in FILES:
        raise ConfigError(f"split={split!r} is not one of: {', '.join(FILES)}")
    path = Path(path).expanduser()
    if path.is_dir():
        files = _from_folder(path, FILES[split])
    elif path.is_file():
        files = _from_tar(path, FILES[split])
    else:
        raise ConfigError(f"data_dir={str(path)!r} does not exist")
    parts = [parse_records(raw, name) for name, raw in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
