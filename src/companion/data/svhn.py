"""A reader for SVHN in the cropped-digits format (``train_32x32.mat``, ``test_32x32.mat``).

Each file is a MATLAB (v5) file with ``X``: ``(32, 32, 3, N)`` uint8 and ``y``: ``(N, 1)`` with
labels 1..10, where 10 stands for the digit 0. The reader returns ``(N, 32, 32, 3)`` images and
labels 0..9 (10 mapped to 0), so that the label is the digit shown.
"""
from __future__ import annotations

import os

import numpy as np

from .cache import DataFormatError

__all__ = ["read_mat"]


def read_mat(path: os.PathLike | str) -> tuple[np.ndarray, np.ndarray]:
    """Read one SVHN ``*_32x32.mat`` file: images ``(N, 32, 32, 3)`` uint8, labels int64 0..9."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:  # scipy raises several types for a non-MATLAB file
        raise DataFormatError(f"{path}: not a readable MATLAB file ({exc})") from exc
    if "X" not in mat or "y" not in mat:
        raise DataFormatError(f"{path}: expected variables 'X' and 'y', found "
                              f"{sorted(k for k in mat if not k.startswith('__'))}")
    x, y = mat["X"], np.asarray(mat["y"]).reshape(-1)
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or x.dtype != np.uint8:
        raise DataFormatError(f"{path}: X has shape {x.shape} and dtype {x.dtype}, expected "
                              "(32, 32, 3, N) uint8")
    if x.shape[3] != y.shape[0]:
        raise DataFormatError(f"{path}: {x.shape[3]:,} images but {y.shape[0]:,} labels")
    y = y.astype(np.int64)
    if y.size and (y.min() < 1 or y.max() > 10):
        raise DataFormatError(f"{path}: labels range {y.min()}..{y.max()}, expected 1..10")
    return np.ascontiguousarray(x.transpose(3, 0, 1, 2)), np.where(y == 10, 0, y)
