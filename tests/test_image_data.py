"""Image loaders on files the tests write: IDX (MNIST layout), CIFAR-10 binary (folder and
tar.gz), and a user's zip / folder read defensively: '../' entries, a zip bomb, a corrupt
image and a non-image are refused or skipped with the stated message, and nothing outside
the loader's input changes on disk."""
from __future__ import annotations

import io
import os
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from lab.config import ConfigError
from lab.data import archive
from lab.data.cifar import load_cifar10
from lab.data.images import load


def _png(colour=(255, 0, 0), size=(40, 20)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _tree(root) -> dict:
    """Every file under root with its size and mtime: what 'nothing changed' is checked on."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            st = os.stat(p)
            out[p] = (st.st_size, st.st_mtime_ns)
    return out


def test_idx_mnist_folder_resized_to_32(tmp_path):
    from lab.data.idx import write_idx
    x = np.zeros((5, 28, 28), np.uint8)
    x[:, 10:18, 10:18] = 255
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(5, dtype=np.uint8))
    d = load("mnist", str(tmp_path), size=32)
    assert d.images.shape == (5, 1, 32, 32) and d.labels.tolist() == [0, 1, 2, 3, 4]
    assert int(d.images[0, 0, 16, 16]) == 255 and int(d.images[0, 0, 0, 0]) == 0
    rgb = load("mnist", str(tmp_path), size=28, channels="rgb")
    assert rgb.images.shape == (5, 3, 28, 28)


def _cifar_records(n, label0=0):
    rec = np.zeros((n, 3073), np.uint8)
    rec[:, 0] = (np.arange(n) + label0) % 10
    rec[:, 1:1025] = 200            # red plane
    rec[:, 1025:2049] = 100         # green plane
    rec[:, 2049] = 7                # first blue pixel
    return rec.tobytes()


def test_cifar_binary_folder_and_tar(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for i in range(1, 6):
        (folder / f"data_batch_{i}.bin").write_bytes(_cifar_records(3, i))
    (folder / "test_batch.bin").write_bytes(_cifar_records(2))
    x, y = load_cifar10(tmp_path, "train")
    assert x.shape == (15, 32, 32, 3) and x.dtype == np.uint8
    assert y[:3].tolist() == [1, 2, 3]
    assert x[0, 0, 0].tolist() == [200, 100, 7] and x[0, 5, 5].tolist() == [200, 100, 0]
    tar_path = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-bin")
    xt, yt = load_cifar10(tar_path, "test")
    assert xt.shape == (2, 32, 32, 3) and yt.tolist() == [0, 1]
    d = load("cifar10", str(tar_path), size=64, channels="grey", split="test")
    assert d.images.shape == (2, 1, 64, 64)
    # BT.601 luma of (200, 100, 0): 0.299*200 + 0.587*100 = 118.5
    assert abs(int(d.images[0, 0, 30, 30]) - 118) <= 1


def test_cifar_bad_file_is_a_clear_error(tmp_path):
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)]:
        (tmp_path / name).write_bytes(b"\x00" * 100)
    with pytest.raises(ConfigError, match="not a multiple of the 3073-byte record"):
        load_cifar10(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_cifar10(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="the CIFAR-10 \\*binary\\* version"):
        load_cifar10(tmp_path / "empty")


def test_zip_escaping_entries_are_skipped_and_nothing_is_written(tmp_path):
    up = tmp_path / "uploads"
    up.mkdir()
    zpath = up / "mine.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("good/a.png", _png())
        zf.writestr("../evil.png", _png((0, 255, 0)))
        zf.writestr("/abs/evil.png", _png((0, 0, 255)))
    before = _tree(tmp_path)
    images, report = archive.load_images(zpath, size=16, channels=3)
    assert images.shape == (1, 16, 16, 3)
    assert tuple(images[0, 8, 8]) == (255, 0, 0)
    assert report.loaded == 1 and report.unsafe == 2
    assert "skipped 2 entries whose path leaves the folder" in report.message()
    assert _tree(tmp_path) == before
    assert not (tmp_path / "evil.png").exists()


def test_zip_bomb_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 32 * 2**20)
    zpath = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("zeros.png", "w", force_zip64=True) as fh:
            chunk = bytes(2**20)
            for _ in range(40):            # 40 MB of zeros -> a ~40 KB archive
                fh.write(chunk)
    assert zpath.stat().st_size < 200_000
    before = _tree(tmp_path)
    with pytest.raises(ConfigError, match=r"would expand to 40 MB, more than the limit of 32 MB: refused"):
        archive.load_images(zpath.read_bytes(), size=16)
    assert _tree(tmp_path) == before


def test_too_many_entries_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_ENTRIES", 3)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(4):
            zf.writestr(f"{i}.png", _png())
    with pytest.raises(ConfigError, match="4 entries, more than the limit of 3"):
        archive.load_images(buf.getvalue())


def test_corrupt_and_non_images_are_skipped_with_counts(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.png", _png((10, 20, 30), size=(20, 40)))
        zf.writestr("broken.png", b"\x89PNG\r\n\x1a\n" + os.urandom(200))
        zf.writestr("readme.txt", b"hello")
    images, report = archive.load_images(buf.getvalue(), size=8, channels=1)
    assert images.shape == (1, 8, 8)
    assert (report.loaded, report.corrupt, report.not_images) == (1, 1, 1)
    assert report.message() == ("loaded 1 image; skipped 1 non-image file; "
                                "skipped 1 corrupt or oversized image")
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("broken.png", b"not a png")
    with pytest.raises(ConfigError, match="no usable image in the uploaded archive"):
        archive.load_images(bad.getvalue())
    with pytest.raises(ConfigError, match="not a zip archive"):
        archive.load_images(b"plain bytes")


def test_folder_source_skips_links_leaving_it(tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes(_png())
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png((0, 0, 255)))
    (folder / "link.png").symlink_to(outside)
    d = load("folder", str(folder), size=32, channels="rgb")
    assert d.images.shape == (1, 3, 32, 32) and d.labels is None
    assert "1 entry whose path leaves the folder" in d.note
    assert int(d.images[0, 2, 16, 16]) == 255 and int(d.images[0, 0, 16, 16]) == 0


def test_safe_member_names():
    assert archive.safe_member_name("a/b/c.png")
    for bad in ("../x.png", "a/../../x.png", "/etc/x.png", "C:\\x.png", "a\\..\\..\\x.png", ""):
        assert not archive.safe_member_name(bad), bad
