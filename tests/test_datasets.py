"""The data layer: embedded digits, IDX files (round trip and malformed files) and the
on-demand download against a local HTTP server on 127.0.0.1 (never the internet)."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from lab.config import ConfigError
from lab.data.digits import load_digits
from lab.data.idx import load_idx_dataset, read_idx
from lab.data import download as dl
from lab.data.idx import write_idx


# ---- embedded digits ---------------------------------------------------------------------
def test_digits_shapes_dtypes_and_labels():
    xtr, ytr = load_digits("train")
    xte, yte = load_digits("test")
    assert xtr.shape == (4000, 28, 28) and xte.shape == (1000, 28, 28)
    assert xtr.dtype == np.uint8 and ytr.dtype == np.int64 and yte.dtype == np.int64
    assert ytr.shape == (4000,) and yte.shape == (1000,)
    assert set(np.unique(ytr)) == set(range(10)) and set(np.unique(yte)) == set(range(10))
    # Real MNIST: ink covers ~19% of pixels, mean intensity ~33/255 (LeCun's full set: 33.3).
    assert 28 < xtr.mean() < 38
    assert xtr.max() == 255 and xtr.min() == 0
    # Every class is present in a fair share (the split is a random permutation).
    assert np.bincount(ytr).min() > 300 and np.bincount(yte).min() > 60


def test_digits_split_is_fixed_and_disjoint():
    a, _ = load_digits("train")
    b, _ = load_digits("train")
    assert np.array_equal(a, b)
    a[0] = 0                                   # a copy: the cache is not mutated
    assert load_digits("train")[0][0].any()
    tr = {x.tobytes() for x in load_digits("train")[0]}
    te = [x.tobytes() for x in load_digits("test")[0]]
    assert sum(t in tr for t in te) <= 2        # MNIST has a few exact duplicates at most


def test_digits_bad_split():
    with pytest.raises(ConfigError, match="split"):
        load_digits("validation")


# ---- IDX ---------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip(tmp_path, suffix, dtype):
    rng = np.random.default_rng(0)
    arr = (rng.normal(size=(7, 5, 3)) * 100).astype(dtype)
    p = write_idx(tmp_path / f"a-idx3{suffix}", arr)
    if suffix:
        assert p.read_bytes()[:2] == b"\x1f\x8b"
    back = read_idx(p)
    assert back.dtype == np.dtype(dtype) and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_idx_header_bytes_match_the_mnist_spec(tmp_path):
    p = write_idx(tmp_path / "x", np.zeros((2, 28, 28), np.uint8))
    raw = p.read_bytes()
    # 0x00000803 = unsigned byte, 3 dims; then 2, 28, 28 as big-endian uint32 (2051 as on LeCun's page)
    assert raw[:16] == bytes.fromhex("00000803" "00000002" "0000001c" "0000001c")
    assert len(raw) == 16 + 2 * 28 * 28


def _write_mnist_folder(folder, n_train=12, n_test=5, gz=True):
    rng = np.random.default_rng(1)
    sfx = ".gz" if gz else ""
    data = {}
    for split, n, (img, lab) in (("train", n_train, ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")),
                                 ("test", n_test, ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n).astype(np.uint8)
        write_idx(folder / (img + sfx), x)
        write_idx(folder / (lab + sfx), y)
        data[split] = (x, y)
    return data


@pytest.mark.parametrize("gz", [True, False])
def test_load_idx_dataset_standard_names(tmp_path, gz):
    data = _write_mnist_folder(tmp_path, gz=gz)
    for split in ("train", "test"):
        x, y = load_idx_dataset(tmp_path, "fashion", split)
        np.testing.assert_array_equal(x, data[split][0])
        np.testing.assert_array_equal(y, data[split][1])
        assert y.dtype == np.int64


def test_load_idx_dataset_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="train-images-idx3-ubyte"):
        load_idx_dataset(tmp_path, "mnist", "train")
    with pytest.raises(ConfigError, match="not a folder"):
        load_idx_dataset(tmp_path / "nope", "mnist", "train")


def test_idx_wrong_magic(tmp_path):
    p = tmp_path / "bad"
    p.write_bytes(b"\x01\x02\x08\x03" + b"\x00" * 20)
    with pytest.raises(ConfigError, match="magic number") as e:
        read_idx(p)
    assert "\n" not in str(e.value)
    png = tmp_path / "img.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    with pytest.raises(ConfigError, match="magic number"):
        read_idx(png)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated(tmp_path, gz):
    full = write_idx(tmp_path / "full", np.ones((3, 28, 28), np.uint8)).read_bytes()
    cut = full[:-100]
    p = tmp_path / "cut"
    p.write_bytes(gzip.compress(cut) if gz else cut)
    with pytest.raises(ConfigError, match="truncated"):
        read_idx(p)
    head_cut = tmp_path / "head"
    head_cut.write_bytes(full[:9])
    with pytest.raises(ConfigError, match="truncated"):
        read_idx(head_cut)


def test_idx_damaged_gzip(tmp_path):
    z = gzip.compress(write_idx(tmp_path / "a", np.ones((3, 28, 28), np.uint8)).read_bytes())
    p = tmp_path / "z.gz"
    p.write_bytes(z[: len(z) // 2])
    with pytest.raises(ConfigError, match="gzip"):
        read_idx(p)


def test_idx_wrong_shape_in_dataset(tmp_path):
    _write_mnist_folder(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((12, 32, 32), np.uint8))
    with pytest.raises(ConfigError, match=r"\(N, 28, 28\)"):
        load_idx_dataset(tmp_path, "mnist", "train")
    _write_mnist_folder(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ConfigError, match="labels must have shape"):
        load_idx_dataset(tmp_path, "mnist", "test")


# ---- download, from a local server only ----------------------------------------------------
@pytest.fixture
def local_server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield root, f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _serve_dataset(root):
    data = _write_mnist_folder(root, gz=True)
    sums = {p.name: "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest() for p in root.iterdir()}
    return data, sums


def test_download_with_progress_and_checksum(tmp_path, local_server):
    root, url = local_server
    data, sums = _serve_dataset(root)
    calls = []
    folder = dl.download_dataset("mnist", tmp_path / "cache", progress=lambda *a: calls.append(a),
                                 source=dl.Source(mirrors=(url,), checksums=sums))
    x, y = load_idx_dataset(folder, "mnist", "test")
    np.testing.assert_array_equal(x, data["test"][0])
    assert dl.cached("mnist", tmp_path / "cache") == folder
    # progress: each file starts at 0 and ends at its full size, which the server announced
    for fname in sums:
        mine = [c for c in calls if c[0] == fname]
        size = (root / fname).stat().st_size
        assert mine[0][1] == 0 and mine[-1][1] == size and mine[-1][2] == size
    # a second call finds every file verified in the cache and fetches nothing
    calls.clear()
    dl.download_dataset("mnist", tmp_path / "cache", progress=lambda *a: calls.append(a),
                        source=dl.Source(mirrors=(url,), checksums=sums))
    assert calls == []


def test_download_md5_mismatch_leaves_no_file(tmp_path, local_server):
    root, url = local_server
    _, sums = _serve_dataset(root)
    bad = dict(sums, **{"t10k-labels-idx1-ubyte.gz": "md5:" + "0" * 32})
    with pytest.raises(ConfigError, match="md5 check"):
        dl.download_dataset("mnist", tmp_path / "cache", source=dl.Source(mirrors=(url,), checksums=bad))
    folder = tmp_path / "cache" / "mnist"
    assert not (folder / "t10k-labels-idx1-ubyte.gz").exists()
    assert not list(folder.glob("*.part"))
    assert dl.cached("mnist", tmp_path / "cache") is None


def test_download_falls_back_to_the_next_mirror(tmp_path, local_server):
    root, url = local_server
    _, sums = _serve_dataset(root)
    folder = dl.download_dataset("fashion", tmp_path / "c",
                                 source=dl.Source(mirrors=(url + "missing/", url), checksums=sums))
    assert len(list(folder.glob("*.gz"))) == 4
    with pytest.raises(ConfigError, match="could not"):
        dl.download_dataset("fashion", tmp_path / "d", source=dl.Source(mirrors=(url + "missing/",), checksums=sums))


def test_published_checksums_are_well_formed():
    for name, src in dl.SOURCES.items():
        assert set(src.checksums) == {s + ".gz" for split in ("train", "test")
                                      for s in __import__("lab.data.idx", fromlist=["FILES"]).FILES[split]}
        for c in src.checksums.values():
            algo, hexd = c.split(":")
            assert algo == "md5" and len(hexd) == 32 and int(hexd, 16) >= 0
