"""A user's own images, from a folder or a zip archive (a path or the uploaded bytes), centre-
cropped to a square and resized to `size` px, grey or RGB.

Read defensively; an archive is never extracted, every member is read in memory, so nothing
is written anywhere:
- an entry whose path would leave the archive's folder (`../x`, `/etc/x`, `C:\\x`) is skipped;
- an archive with more than MAX_ENTRIES entries, or whose members declare more than
  MAX_TOTAL_BYTES once expanded, is refused before any member is read; a member is read at
  most MAX_MEMBER_BYTES (+1 to detect a lying header), so a zip bomb cannot fill memory;
- files that are not images (by extension) are skipped; images that fail to decode, or exceed
  MAX_PIXELS (PIL's decompression-bomb guard), are skipped as corrupt;
each with a count in the returned report, which also carries one line for the user.
"""
from __future__ import annotations

import io
import os
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from lab.config import ConfigError

MAX_ENTRIES = 20_000
MAX_TOTAL_BYTES = 512 * 2**20
MAX_MEMBER_BYTES = 16 * 2**20
MAX_PIXELS = 40_000_000
MAX_IMAGES = 20_000
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass
class Report:
    loaded: int = 0
    unsafe: int = 0          # paths leaving the folder, or links
    not_images: int = 0
    corrupt: int = 0
    too_many: int = 0        # beyond MAX_IMAGES
    examples: list[str] = field(default_factory=list)

    def message(self) -> str:
        parts = [f"loaded {self.loaded} image{'s' * (self.loaded != 1)}"]
        if self.unsafe:
            parts.append(f"skipped {self.unsafe} entr{'ies' if self.unsafe != 1 else 'y'} whose path "
                         "leaves the folder (../, absolute path or link)")
        if self.not_images:
            parts.append(f"skipped {self.not_images} non-image file{'s' * (self.not_images != 1)}")
        if self.corrupt:
            parts.append(f"skipped {self.corrupt} corrupt or oversized image{'s' * (self.corrupt != 1)}")
        if self.too_many:
            parts.append(f"ignored {self.too_many} beyond the limit of {MAX_IMAGES}")
        return "; ".join(parts)


def safe_member_name(name: str) -> bool:
    """True if `name` stays inside the folder it would be extracted to."""
    name = name.replace("\\", "/")
    if not name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return False
    return ".." not in PurePosixPath(name).parts


def _to_array(data: bytes, size: int, mode: str) -> np.ndarray:
    """Decode, centre-crop to a square, resize: (size, size) for 'L', (size, size, 3) for 'RGB'."""
    from PIL import Image
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ValueError("too many pixels")
            img = img.convert(mode)
            s = min(w, h)
            img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
            return np.asarray(img.resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)


def _add(out: list, report: Report, name: str, read, size: int, mode: str) -> None:
    if not name.lower().endswith(IMAGE_EXTENSIONS):
        report.not_images += 1
        return
    if len(out) >= MAX_IMAGES:
        report.too_many += 1
        return
    try:
        data = read()
        if len(data) > MAX_MEMBER_BYTES:
            raise ValueError("member larger than the limit")
        out.append(_to_array(data, size, mode))
        report.loaded += 1
    except Exception as err:  # PIL raises many types for bad data; each bad file is only skipped
        report.corrupt += 1
        if len(report.examples) < 3:
            report.examples.append(f"{name}: {type(err).__name__}")


def _from_zip(zf: zipfile.ZipFile, label: str, size: int, mode: str) -> tuple[list, Report]:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > MAX_ENTRIES:
        raise ConfigError(f"{label} has {len(infos)} entries, more than the limit of {MAX_ENTRIES}: refused")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise ConfigError(f"{label} would expand to {total / 2**20:.0f} MB, more than the limit of "
                          f"{MAX_TOTAL_BYTES // 2**20} MB: refused (a zip bomb?)")
    out: list[np.ndarray] = []
    report = Report()
    for info in infos:
        if not safe_member_name(info.filename):
            report.unsafe += 1
            continue
        if info.file_size > MAX_MEMBER_BYTES:
            report.corrupt += 1
            continue

        def read(info=info) -> bytes:
            with zf.open(info) as fh:          # the header's size may lie: cap the real read
                return fh.read(MAX_MEMBER_BYTES + 1)
        _add(out, report, info.filename, read, size, mode)
    return out, report


def _from_folder(folder: Path, size: int, mode: str) -> tuple[list, Report]:
    out: list[np.ndarray] = []
    report = Report()
    seen = 0
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            seen += 1
            if seen > MAX_ENTRIES:
                raise ConfigError(f"{folder} has more than {MAX_ENTRIES} files: refused; "
                                  "point data_dir at a smaller folder")
            path = Path(dirpath) / name
            if path.is_symlink() or not path.resolve().is_relative_to(root):
                report.unsafe += 1
                continue
            if path.stat().st_size > MAX_MEMBER_BYTES:
                report.corrupt += 1
                continue
            _add(out, report, name, path.read_bytes, size, mode)
    return out, report


def load_images(source: str | Path | bytes, size: int = 32, channels: int = 3
                ) -> tuple[np.ndarray, Report]:
    """(images uint8 (N, size, size) for channels=1 or (N, size, size, 3), report).
    `source`: a folder, a .zip path, or a zip archive's bytes (an upload)."""
    if channels not in (1, 3):
        raise ConfigError(f"channels={channels} is not 1 (grey) or 3 (RGB)")
    mode = "L" if channels == 1 else "RGB"
    if isinstance(source, (bytes, bytearray)):
        label, opener = "the uploaded archive", lambda: io.BytesIO(source)
    else:
        path = Path(source).expanduser()
        label, opener = path.name, lambda: path
        if path.is_dir():
            images, report = _from_folder(path, size, mode)
            return _finish(images, report, str(path), size, channels)
        if not path.is_file():
            raise ConfigError(f"data_dir={str(source)!r} is neither a folder nor a .zip file")
    try:
        zf = zipfile.ZipFile(opener())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise ConfigError(f"{label} is not a zip archive (or a damaged one)") from None
    with zf:
        images, report = _from_zip(zf, label, size, mode)
    return _finish(images, report, label, size, channels)


def _finish(images: list, report: Report, label: str, size: int, channels: int):
    if not images:
        raise ConfigError(f"no usable image in {label}: {report.message()}")
    shape = (size, size) if channels == 1 else (size, size, 3)
    return np.stack(images).reshape(-1, *shape), report
