"""A reader for the *binary* version of CIFAR-10 (``cifar-10-binary.tar.gz``).

The pickled "python version" is never used: unpickling runs arbitrary code. The binary archive
holds ``cifar-10-batches-bin/data_batch_{1..5}.bin`` (training, 5 x 10,000 images),
``test_batch.bin`` (10,000) and ``batches.meta.txt`` (the class names, one a line). Each record
is 3073 bytes: the label (0..9), then 1024 red, 1024 green and 1024 blue bytes of a 32 x 32 image
in row-major order. The archive is read in place; nothing is extracted to disk.
"""
from __future__ import annotations

import os
import tarfile

import numpy as np

from .cache import DataFormatError

__all__ = ["FOLDER", "TRAIN_MEMBERS", "TEST_MEMBERS", "META_MEMBER", "SIDE", "RECORD",
           "parse_records", "read_archive"]

FOLDER = "cifar-10-batches-bin"
TRAIN_MEMBERS = tuple(f"{FOLDER}/data_batch_{i}.bin" for i in range(1, 6))
TEST_MEMBERS = (f"{FOLDER}/test_batch.bin",)
META_MEMBER = f"{FOLDER}/batches.meta.txt"
SIDE = 32
RECORD = 1 + 3 * SIDE * SIDE


def parse_records(data: bytes, where: str = "<bytes>",
                  n_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Parse CIFAR-10 binary records: images ``(N, 32, 32, 3)`` uint8 (HWC), labels int64."""
    if len(data) % RECORD:
        raise DataFormatError(
            f"{where}: {len(data):,} bytes is not a whole number of {RECORD}-byte CIFAR records")
    rec = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = rec[:, 0].astype(np.int64)
    if labels.size and labels.max() >= n_classes:
        raise DataFormatError(f"{where}: label {int(labels.max())} >= {n_classes} classes")
    images = rec[:, 1:].reshape(-1, 3, SIDE, SIDE).transpose(0, 2, 3, 1).copy()
    return images, labels


def read_archive(path: os.PathLike | str, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read ``split`` ('train', 'test' or 'all') from the binary archive: images, labels and
    the class names of ``batches.meta.txt``."""
    members = {"train": TRAIN_MEMBERS, "test": TEST_MEMBERS,
               "all": TRAIN_MEMBERS + TEST_MEMBERS}.get(split)
    if members is None:
        raise ValueError(f"split={split!r}: valid splits are 'train', 'test', 'all'")
    try:
        tf = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise DataFormatError(f"{path}: not a gzipped tar archive ({exc})") from exc
    wanted = set(members) | {META_MEMBER}
    found = {}
    with tf:  # one pass over the gzip stream (random access would re-decompress it)
        for info in tf:
            if info.name in wanted:
                f = tf.extractfile(info)
                if f is not None:
                    found[info.name] = f.read()
    missing = sorted(wanted - set(found))
    if missing:
        raise DataFormatError(f"{path}: member(s) {missing} missing (is this the binary "
                              "version, cifar-10-binary.tar.gz?)")
    classes = [c.strip() for c in found[META_MEMBER].decode("ascii").splitlines() if c.strip()]
    xs, ys = [], []
    for name in members:
        x, y = parse_records(found[name], f"{path}:{name}", len(classes))
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys), classes
