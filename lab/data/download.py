"""MNIST / Fashion-MNIST on demand: fetch the four IDX files into a cache folder, streaming,
with a progress callback, and keep a file only when its checksum matches. A file already
in the cache with the right checksum is not fetched again. Nothing here runs at import time
and nothing in the tests reaches the internet (they serve files from 127.0.0.1).
"""
from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from lab.config import ConfigError
from lab.data.idx import DATASETS, FILES, find_file

Progress = Callable[[str, int, int], None]   # (file name, bytes so far, total bytes or 0)
CHUNK = 1 << 16


@dataclass(frozen=True)
class Source:
    mirrors: Sequence[str]
    checksums: Mapping[str, str] = field(default_factory=dict)   # file -> "md5:..." / "sha256:..."


# The published MD5s of the original files (the same ones torchvision checks).
SOURCES: dict[str, Source] = {
    "mnist": Source(
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        checksums={"train-images-idx3-ubyte.gz": "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873",
                   "train-labels-idx1-ubyte.gz": "md5:d53e105ee54ea40749a09fcbcd1e9432",
                   "t10k-images-idx3-ubyte.gz": "md5:9fb629c4189551a2d022fa330f9573f3",
                   "t10k-labels-idx1-ubyte.gz": "md5:ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion": Source(
        mirrors=("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                 "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        checksums={"train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                   "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
                   "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
                   "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310"}),
}


# What the four gzipped files weigh together, for the page's Download button.
SIZES = {"mnist": "11 MB", "fashion": "30 MB"}


def default_cache() -> Path:
    """$GENLAB_CACHE, else .genlab_cache/ at the repository root (git-ignored)."""
    env = os.environ.get("GENLAB_CACHE")
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / ".genlab_cache"


def cache_folder(name: str, cache: str | Path | None = None) -> Path:
    return Path(cache or default_cache()) / name


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _split_checksum(checksum: str) -> tuple[str, str]:
    algo, sep, hexdigest = checksum.partition(":")
    if not sep or algo not in ("md5", "sha256"):
        raise ValueError(f"checksum {checksum!r} must look like 'md5:<hex>' or 'sha256:<hex>'")
    return algo, hexdigest.lower()


def matches(path: Path, checksum: str | None) -> bool:
    if not path.is_file():
        return False
    if checksum is None:
        return True
    algo, want = _split_checksum(checksum)
    return file_digest(path, algo) == want


def fetch(url: str, dest: Path, checksum: str | None = None, progress: Progress | None = None,
          timeout: float = 30.0) -> Path:
    """Stream `url` to `dest` through a temporary file; verify `checksum`; then rename, so a
    half-written or corrupted file never sits in the cache under the real name."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    algo, want = _split_checksum(checksum) if checksum else ("sha256", None)
    h = hashlib.new(algo)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(part, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            if progress:
                progress(dest.name, 0, total)
            while block := resp.read(CHUNK):
                out.write(block)
                h.update(block)
                done += len(block)
                if progress:
                    progress(dest.name, done, total)
    except (urllib.error.URLError, OSError, TimeoutError) as err:
        part.unlink(missing_ok=True)
        raise ConfigError(f"could not download {url}: {getattr(err, 'reason', err)}") from None
    if want is not None and h.hexdigest() != want:
        part.unlink(missing_ok=True)
        raise ConfigError(f"{dest.name} from {url} failed its {algo} check "
                          f"(got {h.hexdigest()[:12]}..., expected {want[:12]}...); try again or another mirror")
    part.replace(dest)
    return dest


def download_dataset(name: str, cache: str | Path | None = None, progress: Progress | None = None,
                     source: Source | None = None, splits: Sequence[str] = ("train", "test")) -> Path:
    """Make sure the gzipped IDX files of `name` ("mnist" | "fashion") are in the cache; return
    the folder. Mirrors are tried in order; the first good copy of each file wins."""
    if name not in DATASETS:
        raise ConfigError(f"data={name!r} is not one of: {', '.join(DATASETS)}")
    src = source or SOURCES[name]
    folder = cache_folder(name, cache)
    for split in splits:
        for stem in FILES[split]:
            fname = stem + ".gz"
            dest, checksum = folder / fname, src.checksums.get(fname)
            if matches(dest, checksum):
                continue
            errors = []
            for mirror in src.mirrors:
                try:
                    fetch(mirror.rstrip("/") + "/" + fname, dest, checksum, progress)
                    break
                except ConfigError as err:
                    errors.append(str(err))
            else:
                raise ConfigError(f"could not get {name} {fname} from any mirror: {errors[-1] if errors else 'no mirrors'}")
    return folder


def cached(name: str, cache: str | Path | None = None) -> Path | None:
    """The cache folder of `name` if all four files are already there, else None."""
    folder = cache_folder(name, cache)
    ok = all(find_file(folder, stem) for split in FILES for stem in FILES[split])
    return folder if ok else None
