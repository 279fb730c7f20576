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

__all__ = ["ImageSpace", "interesting_classes", "robust_fractions"]


@dataclass(frozen=True)
class ImageSpace:
    """The complete discrete image space ``I_{n,h,b}``.

    Used on :doc:`/notebooks/dai-gifford-paper`, :doc:`/notebooks/dai-gifford-theorem1`.

    Parameters
    ----------
    n : int
        The image side (``n x n`` pixels).
    h : int
        The number of channels per pixel.
    b : int
        The bit depth: ``q = 2^b`` values per channel.

    Examples
    --------
    The binary 2 x 2 images: 16 of them, image 5 has the digits of 5 in base 2:

    >>> space = ImageSpace(2)
    >>> space.name, space.N, space.size, space.levels(5, 6)
    ('I_(2,1,1)', 4, 16, array([[0, 1, 0, 1]], dtype=uint8))
    >>> ImageSpace(2, h=3).hamming_shape(pixels=True)  # H(4, 8): pixel changes
    (8, 8, 8, 8)
    """

    n: int
    h: int = 1
    b: int = 1

    def __post_init__(self):
        if self.n < 1 or self.h < 1 or self.b < 1:
            raise ValueError(f"need n, h, b >= 1, got n={self.n}, h={self.h}, b={self.b}")
        if self.size > 2 ** 30:
            raise ValueError(f"I_({self.n},{self.h},{self.b}) has {self.q}^{self.N} images: "
                             "too many to enumerate (at most 2^30)")

    @property
    def q(self) -> int:
        """Number of values per channel, ``2^b``."""
        return 2 ** self.b

    @property
    def N(self) -> int:
        """Number of channels (coordinates of the Hamming graph)."""
        return self.n * self.n * self.h

    @property
    def size(self) -> int:
        """Number of images, ``q^N``."""
        return self.q ** self.N

    @property
    def name(self) -> str:
        """The space's name in plain text, ``I_(n,h,b)``."""
        return f"I_({self.n},{self.h},{self.b})"

    def levels(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Channel levels (0..q-1) of images ``start..stop-1``.

        Parameters
        ----------
        start : int
            The first image number.
        stop : int, optional
            One past the last image number (default: the end of the space).

        Returns
        -------
        numpy.ndarray
            Shape ``(count, N)`` (uint8): the base-``q`` digits of each image number, most
            significant first.

        Examples
        --------
        >>> ImageSpace(2).levels(3, 5)
        array([[0, 0, 1, 1],
               [0, 1, 0, 0]], dtype=uint8)
        """
        stop = self.size if stop is None else min(stop, self.size)
        idx = np.arange(start, stop, dtype=np.int64)
        powers = self.q ** np.arange(self.N - 1, -1, -1, dtype=np.int64)
        return ((idx[:, None] // powers[None, :]) % self.q).astype(np.uint8)

    def images(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Images ``start..stop-1`` as float32 tensors in [0, 1].

        Parameters
        ----------
        start : int
            The first image number.
        stop : int, optional
            One past the last image number (default: the end of the space).

        Returns
        -------
        numpy.ndarray
            Shape ``(count, n, n, h)``, channel values ``level / (q - 1)``.

        Examples
        --------
        >>> ImageSpace(2, b=2).images(1, 2)[0, :, :, 0]  # digits 0, 0, 0, 1 of q = 4
        array([[0.        , 0.        ],
               [0.        , 0.33333334]], dtype=float32)
        """
        lv = self.levels(start, stop).astype(np.float32) / (self.q - 1)
        return lv.reshape(-1, self.n, self.n, self.h)

    def chunks(self, size: int = 1 << 20):
        """``(start, stop)`` ranges covering the space, for chunked computations.

        Parameters
        ----------
        size : int
            The number of images per chunk (the last one may be smaller).

        Yields
        ------
        tuple of int

        Examples
        --------
        >>> list(ImageSpace(2).chunks(6))
        [(0, 6), (6, 12), (12, 16)]
        """
        for s in range(0, self.size, size):
            yield s, min(s + size, self.size)

    def hamming_shape(self, pixels: bool = False) -> tuple:
        """Shape that turns a flat label array into one on ``H(N, q)`` (or ``H(n^2, q^h)``).

        Parameters
        ----------
        pixels : bool
            Group each pixel's ``h`` channels into one coordinate of ``q^h`` values (distance
            counts changed pixels) instead of one coordinate per channel.

        Returns
        -------
        tuple of int

        Examples
        --------
        >>> ImageSpace(2, h=3).hamming_shape(), ImageSpace(2, h=3).hamming_shape(pixels=True)
        ((2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2), (8, 8, 8, 8))
        """
        return (self.q ** self.h,) * (self.n ** 2) if pixels else (self.q,) * self.N


def interesting_classes(labels: np.ndarray) -> list:
    """Labels of the interesting classes (Definition 1): non-empty, at most half of the space.

    Parameters
    ----------
    labels : numpy.ndarray
        The label of every image of a complete space.

    Returns
    -------
    list
        The labels of the interesting classes, in increasing order.

    Examples
    --------
    Of eight images, classes of 5 and 3: only the smaller one is interesting:

    >>> [int(y) for y in interesting_classes(np.array([0, 0, 0, 1, 1, 1, 1, 1]))]
    [0]
    """
    values, counts = np.unique(labels, return_counts=True)
    return [v for v, c in zip(values, counts) if 2 * c <= labels.size]


def robust_fractions(labels: np.ndarray, distances: np.ndarray, max_d: int) -> dict:
    """For each interesting class, the fraction of its images robust to L0 perturbations.

    An image is robust to size ``d`` when no image of another class lies within distance ``d``
    (Definition 2).

    Parameters
    ----------
    labels : numpy.ndarray
        The label of every image.
    distances : numpy.ndarray
        For every image, its L0 distance to the nearest image of another class.
    max_d : int
        The largest size.

    Returns
    -------
    dict
        Label of each interesting class -> robust fractions at ``d = 0, ..., max_d``.

    Examples
    --------
    Class 0 has two images, at distances 1 and 2 from class 1:

    >>> fr = robust_fractions(np.array([0, 0, 1, 1]), np.array([1, 2, 1, 1]), 2)
    >>> fr[0]
    array([1. , 0.5, 0. ])
    """
    out = {}
    for y in interesting_classes(labels):
        dist = distances[labels == y].astype(np.int64)
        counts = np.bincount(dist, minlength=max(max_d + 2, int(dist.max()) + 1))
        above = counts.sum() - np.cumsum(counts)          # number with distance > d
        out[y] = above[: max_d + 1] / dist.size
    return out
