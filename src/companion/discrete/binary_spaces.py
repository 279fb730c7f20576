"""Theorem 1 checked on complete *binary* image spaces too large for a label per image.

:func:`companion.discrete.verification.verify` labels every image (one byte each) and computes
every image's distance (another byte): fine up to ``2^30`` images. The binary 6 x 6 space
``I_(6,1,1)`` has ``2^36`` images, 64 GB per byte array. Here a class is a bitset (one bit per
image, 8 GB at ``2^36``) built directly by a compiled kernel, and its robust fractions at every
L0 size come from one breadth-first search from its complement with two bitsets
(:func:`companion.discrete.hamming_bfs.robust_counts`): 16 GB at ``2^36``, one class at a time.
The classifiers are the ones of :mod:`companion.discrete.classifiers` that can be evaluated
without enumerating the images: Algorithm 1, the Hamming ball and the random linear classifier
(the same weights as :func:`~companion.discrete.classifiers.random_linear` for the same seed; its
scores are summed in another order, so labels could differ only at exact float ties).

Vertex ``v`` of the hypercube is image number ``v`` of
:class:`~companion.discrete.image_spaces.ImageSpace` (channel ``a`` is bit ``N - 1 - a`` of
``v``), so on spaces small enough for both the results are identical to
:func:`~companion.discrete.verification.verify`'s (tested).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .isoperimetry import ball_sizes, l0_robust_fraction_bound
from .verification import Verification

__all__ = ["CLASSIFIERS", "MAX_N", "BinarySpace", "check_memory", "class_bitsets",
           "verify_binary"]

CLASSIFIERS = {"algorithm1": "Algorithm 1", "hamming_ball": "Hamming ball",
               "random_linear": "random linear"}
MAX_N = 40


@dataclass(frozen=True)
class BinarySpace:
    """The complete binary image space ``I_(n,h,1)`` (``N = n^2 h <= 40`` channels), described
    without enumerating it (compare :class:`~companion.discrete.image_spaces.ImageSpace`).

    Parameters
    ----------
    n : int
        The image side (``n x n`` pixels).
    h : int
        The channels per pixel.

    Examples
    --------
    >>> s = BinarySpace(6)
    >>> s.name, s.N, s.size, s.bitset_bytes
    ('I_(6,1,1)', 36, 68719476736, 8589934592)
    """

    n: int
    h: int = 1

    def __post_init__(self):
        if self.n < 1 or self.h < 1 or self.N > MAX_N:
            raise ValueError(f"need n, h >= 1 and n^2 h <= {MAX_N}, got n={self.n}, h={self.h}")

    b = 1
    q = 2

    @property
    def N(self) -> int:
        """The number of channels ``n^2 h`` (the dimension of the hypercube)."""
        return self.n * self.n * self.h

    @property
    def size(self) -> int:
        """The number of images, ``2^N``."""
        return 2 ** self.N

    @property
    def name(self) -> str:
        """``"I_(n,h,1)"``."""
        return f"I_({self.n},{self.h},1)"

    @property
    def bitset_bytes(self) -> int:
        """Bytes of one bitset of the space (one bit per image)."""
        return max(8, self.size // 8)


def _available_bytes() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_memory(space: BinarySpace, bitsets: int = 2) -> None:
    """Raise ``MemoryError`` (with the numbers) if ``bitsets`` bitsets of the space do not fit
    in the available memory (as ``/proc/meminfo`` reports it; no check where it is missing).

    Parameters
    ----------
    space : BinarySpace
        The space.
    bitsets : int
        How many bitsets of the space must fit.

    Returns
    -------
    None
        Raises ``MemoryError`` when they do not fit.
    """
    need = bitsets * space.bitset_bytes
    have = _available_bytes()
    if have is not None and need > have:
        raise MemoryError(f"{space.name} needs {bitsets} bitsets of "
                          f"{space.bitset_bytes / 2**30:.1f} GiB ({need / 2**30:.1f} GiB); "
                          f"only {have / 2**30:.1f} GiB available")


def _linear_tables(space: BinarySpace, classes: int, seed: int):
    """The random linear classifier of :func:`companion.discrete.classifiers.random_linear`
    (same draws) as three lookup tables over the bits of the vertex number."""
    N = space.N
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((classes, N))
    c = -W.sum(axis=1) / 2 + rng.standard_normal(classes) * np.sqrt(N) / 4
    w_bit = W[:, ::-1]                      # w_bit[:, j]: weight of vertex bit j (channel N-1-j)
    lo_bits = min(N, 6)
    mid_bits = min(max(N - 6, 0), 15)

    def table(first: int, bits: int) -> np.ndarray:
        idx = np.arange(2 ** bits)
        sel = ((idx[:, None] >> np.arange(bits)) & 1).astype(np.float64)   # (2^bits, bits)
        return sel @ w_bit[:, first:first + bits].T                        # (2^bits, classes)

    t_lo = np.ascontiguousarray(table(0, lo_bits).T)          # (classes, 2^lo_bits)
    t_mid = table(6, mid_bits) if N > 6 else np.zeros((1, classes))
    t_hi = table(6 + mid_bits, N - 6 - mid_bits) + c if N > 6 + mid_bits else (
        np.zeros((1, classes)) + c)
    return t_hi, t_mid, mid_bits, t_lo


def class_bitsets(space: BinarySpace, classifier: str, classes: int = 4, seed: int = 0):
    """The classes of a classifier on the complete space, one bitset at a time.

    Parameters
    ----------
    space : BinarySpace
        The space.
    classifier : str
        ``"algorithm1"``, ``"hamming_ball"`` or ``"random_linear"`` (see ``CLASSIFIERS``).
    classes : int
        The number of classes of the random linear classifier.
    seed : int
        The seed of the random linear classifier, as in
        :func:`~companion.discrete.classifiers.random_linear`.

    Yields
    ------
    tuple of (int, numpy.ndarray)
        ``(label, bitset)`` for each class (each bitset is ``space.bitset_bytes`` bytes, built
        when it is asked for).

    Examples
    --------
    Algorithm 1 on ``I_(2,1,1)`` (4 channels): class 0 holds the 5 images with at most one 1:

    >>> [(label, int(words[0])) for label, words in class_bitsets(BinarySpace(2), "algorithm1")]
    [(0, 279), (1, 65256)]
    """
    from . import hamming_kernel as hk

    N = space.N
    if classifier == "algorithm1":
        # label 0 iff the sum of the channels is below N / 2, i.e. 2 |v| < N
        yield 0, hk.weight_class(N, (N - 1) // 2)
        yield 1, hk.weight_class(N, N, (N + 1) // 2)
    elif classifier == "hamming_ball":
        sizes = ball_sizes(N)
        radius = max(i for i in range(N + 1) if 2 * sizes[i] <= space.size)
        yield 0, hk.weight_class(N, radius)
        yield 1, hk.weight_class(N, N, radius + 1)
    elif classifier == "random_linear":
        t_hi, t_mid, mid_bits, t_lo = _linear_tables(space, classes, seed)
        for k in range(classes):
            yield k, hk.argmax_class(N, t_hi, t_mid, mid_bits, t_lo, k)
    else:
        raise ValueError(f"classifier must be one of {sorted(CLASSIFIERS)}, got {classifier!r}")


def verify_binary(n: int, classifier: str, *, h: int = 1, classes: int = 4, seed: int = 0,
                  name: str | None = None) -> Verification:
    """Theorem 1 on the complete binary space ``I_(n,h,1)``.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    The exact robust fraction of every interesting class at every L0 size ``d = 0 .. N``
    against the bound, as :func:`~companion.discrete.verification.verify` computes it, for
    spaces up to ``2^40`` images (memory: two bitsets, 16 GB at ``n = 6``).

    Parameters
    ----------
    n : int
        The image side.
    classifier : str
        ``"algorithm1"``, ``"hamming_ball"`` or ``"random_linear"``.
    h : int
        The channels per pixel.
    classes : int
        The number of classes of the random linear classifier.
    seed : int
        Its seed, as in :func:`~companion.discrete.classifiers.random_linear`.
    name : str, optional
        The classifier's name in the result (default: from ``CLASSIFIERS``).

    Returns
    -------
    companion.discrete.verification.Verification
        The robust fractions (``pixels`` is ``False``: L0 sizes count channels) and the bound.

    Examples
    --------
    Algorithm 1 on the ``2^9`` images of ``I_(3,1,1)``: both classes hold half of them (both
    are interesting), and Theorem 1 holds:

    >>> v = verify_binary(3, "algorithm1")
    >>> v.space.name, v.holds, sorted(v.fractions)
    ('I_(3,1,1)', True, [0, 1])
    """
    from . import hamming_bfs as hb
    from . import hamming_kernel as hk

    space = BinarySpace(n, h)
    check_memory(space, 2)
    fractions = {}
    for label, words in class_bitsets(space, classifier, classes, seed):
        count = hk.popcount(words)
        if count == 0 or 2 * count > space.size:        # not interesting (Definition 1)
            del words
            continue
        robust = hb.robust_counts(words, space.N, overwrite=True)
        del words
        fractions[label] = robust / count
    sizes = np.arange(space.N + 1)
    bound = l0_robust_fraction_bound(sizes, space.n, space.h)
    label = name or (f"{CLASSIFIERS[classifier]} ({classes} classes)"
                     if classifier == "random_linear" else CLASSIFIERS[classifier])
    return Verification(space, label, False, sizes, fractions, bound)

