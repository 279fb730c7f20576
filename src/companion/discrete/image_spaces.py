"""Discrete image spaces ``I_{n,h,b}`` (Dai & Gifford, Section 2.1) enumerated completely.

An image is an ``n x n x h`` tensor of channel values in ``{0, 1/(q-1), ..., 1}`` with
``q = 2^b``. A complete space has ``q^N`` images, ``N = n^2 h``; image number ``i`` has the
base-``q`` digits of ``i`` as its channel levels, most significant first, in the flattening order
of the tensor (pixel by pixel, channels innermost). So ``labels.reshape((q,) * N)`` is the label
array on the Hamming graph ``H(N, q)`` and, grouping each pixel's ``h`` digits,
``labels.reshape((q**h,) * n**2)`` the one on ``H(n^2, q^h)`` (pixel changes).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ImageSpace:
    """The complete discrete image space ``I_{n,h,b}``."""

    n: int
    h: int = 1
    b: int = 1

    def __post_init__(self):
        if self.n < 1 or self.h < 1 or self.b < 1:
            raise ValueError(f"need n, h, b >= 1, got n={self.n}, h={self.h}, b={self.b}")
        if self.size > 2 ** 30:
            raise ValueError(f"I_({self.n},{self.h},{self.b}) has {self.q}^{self.N} images: too many "
                             "to enumerate (at most 2^30)")

    @property
    def q(self) -> int:
        return 2 ** self.b

    @property
    def N(self) -> int:
        """Number of channels (coordinates of the Hamming graph)."""
        return self.n * self.n * self.h

    @property
    def size(self) -> int:
        return self.q ** self.N

    @property
    def name(self) -> str:
        return f"I_({self.n},{self.h},{self.b})"

    def levels(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Channel levels (0..q-1) of images ``start..stop-1``, shape ``(count, N)`` (uint8)."""
        stop = self.size if stop is None else min(stop, self.size)
        idx = np.arange(start, stop, dtype=np.int64)
        powers = self.q ** np.arange(self.N - 1, -1, -1, dtype=np.int64)
        return ((idx[:, None] // powers[None, :]) % self.q).astype(np.uint8)

    def images(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Images ``start..stop-1`` as float32 tensors ``(count, n, n, h)`` in [0, 1]."""
        lv = self.levels(start, stop).astype(np.float32) / (self.q - 1)
        return lv.reshape(-1, self.n, self.n, self.h)

    def chunks(self, size: int = 1 << 20):
        """``(start, stop)`` ranges covering the space, for chunked computations."""
        for s in range(0, self.size, size):
            yield s, min(s + size, self.size)

    def hamming_shape(self, pixels: bool = False) -> tuple:
        """Shape that turns a flat label array into one on ``H(N, q)`` (or ``H(n^2, q^h)``)."""
        return (self.q ** self.h,) * (self.n ** 2) if pixels else (self.q,) * self.N


def interesting_classes(labels: np.ndarray) -> list:
    """Labels of the interesting classes (Definition 1): non-empty, at most half of the space."""
    values, counts = np.unique(labels, return_counts=True)
    return [v for v, c in zip(values, counts) if 2 * c <= labels.size]


def robust_fractions(labels: np.ndarray, distances: np.ndarray, max_d: int) -> dict:
    """For each interesting class, the fraction of its images robust to L0 perturbations of size
    ``d`` (Definition 2: no image of another class within distance ``d``), ``d = 0..max_d``."""
    out = {}
    for y in interesting_classes(labels):
        dist = distances[labels == y].astype(np.int64)
        counts = np.bincount(dist, minlength=max(max_d + 2, int(dist.max()) + 1))
        above = counts.sum() - np.cumsum(counts)          # number with distance > d
        out[y] = above[: max_d + 1] / dist.size
    return out
