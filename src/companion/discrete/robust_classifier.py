"""Algorithm 1 of Dai & Gifford (Theorem 2): the channel-sum classifier, in closed form.

Algorithm 1 labels an image of ``I_{n,h,b}`` 0 when the sum of its ``N = n^2 h`` channel values
is ``< N/2`` and 1 otherwise. With channel *digits* ``v_j in {0..q-1}`` (value ``v_j/(q-1)``,
``q = 2^b``) and digit sum ``S``, the label is 1 iff ``S >= T := ceil(N (q-1) / 2)``.

Minimal adversarial perturbations (exact). An image of class 0 must raise its digit sum by
``delta = T - S`` digit units; one of class 1 must lower it by ``delta = S - T + 1``. Channel
``j`` can move by at most its *room* ``cap_j`` (``q-1-v_j`` upwards, ``v_j`` downwards), and
moving in the wrong direction never helps, so with integer moves ``m_j in [0, cap_j]``,
``sum m_j = delta``:

* L0: the fewest channels whose largest rooms sum to ``delta`` (sort rooms, descending);
* L1: ``delta / (q-1)`` (any split);
* Lp, ``1 < p < inf``: the split as even as the caps allow (water filling; convexity of
  ``x^p``), ``(sum m_j^p)^(1/p) / (q-1)``;
* Linf: the least level ``m`` with ``sum min(cap_j, m) >= delta``, divided by ``q-1``.

Robust fractions of the class Z of 0-labelled images (Lemmas 9-11): exact for L0/L1 when
``b = 1`` (binomial sums in Python integers), exact for L1 at any ``b`` (the distribution of
``S`` by convolution), Monte Carlo for L0 and Lp when ``b > 1``.
"""
from __future__ import annotations

import math
from functools import lru_cache
from fractions import Fraction

import numpy as np

__all__ = ["NORMS", "threshold", "algorithm1_labels", "minimal_perturbation",
           "brute_force_minimal_perturbation", "z_size_binary", "z_robust_fraction_binary",
           "digit_sum_pmf", "z_robust_fraction_l1", "z_sample", "theorem2_size",
           "lemma11_size_printed", "lemma7_sides", "lemma8_sides", "table1_upper", "table1_lower"]

#: The norms of :func:`minimal_perturbation`, as strings.
NORMS = ("0", "1", "2", "inf")


def threshold(N: int, q: int) -> int:
    """``T = ceil(N (q-1) / 2)``: the least digit sum labelled 1 by Algorithm 1.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.

    Parameters
    ----------
    N : int
        The number of channels.
    q : int
        The number of levels per channel.

    Returns
    -------
    int

    Examples
    --------
    Four binary channels: label 1 from two channels on; with ``q = 4`` from a digit sum of 6:

    >>> threshold(4, 2), threshold(3, 2), threshold(4, 4)
    (2, 2, 6)
    """
    return -(-N * (q - 1) // 2)


def algorithm1_labels(digits: np.ndarray, q: int) -> np.ndarray:
    """Algorithm 1 on images given by channel digits.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.

    Parameters
    ----------
    digits : numpy.ndarray
        Channel digits ``0..q-1``; the last axis holds the ``N`` channels of an image.
    q : int
        The number of levels per channel.

    Returns
    -------
    numpy.ndarray
        The labels (uint8, 0 or 1), one per image.

    Examples
    --------
    The channel sum is compared with ``N/2``: half the channels on is already class 1:

    >>> algorithm1_labels(np.array([[0, 0, 1, 1], [0, 0, 0, 1]]), 2)
    array([1, 0], dtype=uint8)
    """
    digits = np.asarray(digits)
    N = digits.shape[-1]
    return (digits.sum(-1) >= threshold(N, q)).astype(np.uint8)


def _needs_and_caps(digits: np.ndarray, q: int):
    digits = np.asarray(digits, dtype=np.int64)
    if digits.ndim != 2:
        raise ValueError(f"digits must have shape (images, channels), got {digits.shape}")
    if digits.min(initial=0) < 0 or digits.max(initial=0) > q - 1:
        raise ValueError(f"digits must lie in 0..{q - 1} (q = {q})")
    N = digits.shape[1]
    T = threshold(N, q)
    S = digits.sum(1)
    up = S < T
    delta = np.where(up, T - S, S - T + 1)
    caps = np.where(up[:, None], q - 1 - digits, digits)
    return delta, -np.sort(-caps, axis=1)            # caps sorted descending


def minimal_perturbation(digits: np.ndarray, q: int, p: float | str) -> np.ndarray:
    """Exact size of the smallest perturbation that changes Algorithm 1's label.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.

    The size is the ``L^p`` norm of the change of channel values (the digits over ``q - 1``),
    computed in closed form (see the module docstring).

    Parameters
    ----------
    digits : numpy.ndarray
        Images as rows of channel digits ``0..q-1``, shape ``(images, N)``.
    q : int
        The number of levels per channel.
    p : int, float or str
        The norm: ``0``, ``1``, ``2``, ... or ``'inf'`` (any real ``p >= 1`` works too).

    Returns
    -------
    numpy.ndarray
        One size per image.

    Examples
    --------
    With ``q = 4`` (``T = 6``), the black image needs a digit sum of 6, which two channels
    carry at most (3 + 3); the image ``(3, 3, 0, 0)`` needs one step down, 1/3 in value:

    >>> d = np.array([[0, 0, 0, 0], [3, 3, 0, 0]])
    >>> minimal_perturbation(d, 4, 0), minimal_perturbation(d, 4, "inf").round(4)
    (array([2., 1.]), array([0.6667, 0.3333]))
    >>> float(minimal_perturbation(d, 4, 1)[0])  # 6 digit units of 1/3
    2.0
    """
    delta, caps = _needs_and_caps(digits, q)
    scale = q - 1
    if p == 0 or p == "0":
        cum = np.cumsum(caps, axis=1)
        return (cum < delta[:, None]).sum(1) + 1.0
    if p == 1 or p == "1":
        return delta / scale
    if p in ("inf", np.inf, math.inf):
        # least m with sum_j min(cap_j, m) >= delta, searched over m = 1..q-1
        ms = np.arange(1, q)
        got = np.minimum(caps[:, :, None], ms[None, None, :]).sum(1)   # (images, q-1)
        return (np.argmax(got >= delta[:, None], axis=1) + 1) / scale
    p = float(p)
    if p < 1:
        raise ValueError(f"p must be 0, a real >= 1 or 'inf', got {p}")
    out = np.empty(len(delta))
    for i, (d, c) in enumerate(zip(delta, caps)):
        out[i] = _water_fill_norm(int(d), c, p) / scale
    return out


def _water_fill_norm(delta: int, caps_desc: np.ndarray, p: float) -> float:
    """``min (sum m_j^p)^(1/p)`` over integers ``0 <= m_j <= cap_j`` with ``sum m_j = delta``."""
    caps = caps_desc[caps_desc > 0][::-1]             # ascending
    k = len(caps)
    left, total = delta, 0.0
    for i, c in enumerate(caps):
        share = left // (k - i)
        if c <= share:                                 # saturated: this channel moves fully
            total += c ** p
            left -= c
            continue
        rest = k - i                                   # remaining channels all have cap > share
        base, extra = divmod(left, rest)               # extra of them move base + 1
        total += extra * (base + 1) ** p + (rest - extra) * base ** p
        return total ** (1 / p)
    return total ** (1 / p)


def brute_force_minimal_perturbation(digits: np.ndarray, q: int, p: float | str) -> np.ndarray:
    """Reference: the minimum over *all* images of the other class (tiny spaces only).

    Parameters
    ----------
    digits : numpy.ndarray
        Images as rows of channel digits, shape ``(images, N)``, with ``q^N <= 5000``.
    q : int
        The number of levels per channel.
    p : int, float or str
        The norm, as in :func:`minimal_perturbation`.

    Returns
    -------
    numpy.ndarray
        One size per image.

    Examples
    --------
    >>> d = np.array([[0, 0, 0, 0], [3, 3, 0, 0]])
    >>> bool(np.allclose(brute_force_minimal_perturbation(d, 4, 2), minimal_perturbation(d, 4, 2)))
    True
    """
    digits = np.asarray(digits, dtype=np.int64)
    N = digits.shape[1]
    if q ** N > 5000:
        raise ValueError(f"brute force over {q}^{N} images is too large")
    allv = np.array(np.meshgrid(*[np.arange(q)] * N, indexing="ij")).reshape(N, -1).T
    lab_all = algorithm1_labels(allv, q)
    lab = algorithm1_labels(digits, q)
    out = np.empty(len(digits))
    for i, (v, y) in enumerate(zip(digits, lab)):
        diff = np.abs(allv[lab_all != y] - v) / (q - 1)
        if p == 0 or p == "0":
            norms = (diff > 0).sum(1)
        elif p in ("inf", np.inf):
            norms = diff.max(1)
        else:
            norms = (diff ** float(p)).sum(1) ** (1 / float(p))
        out[i] = norms.min()
    return out


# ---------------------------------------------------------------- robust fractions of Z
def z_size_binary(N: int) -> int:
    """``|Z|`` for ``b = 1``: binary images with fewer than ``N/2`` ones (exact).

    Parameters
    ----------
    N : int
        The number of channels.

    Returns
    -------
    int

    Examples
    --------
    ``N = 4``: 1 + 4 images with at most one channel on; ``N = 5``: half of the 32 images:

    >>> z_size_binary(4), z_size_binary(5)
    (5, 16)
    """
    return sum(math.comb(N, s) for s in range((N + 1) // 2))


def z_robust_fraction_binary(N: int, d: float) -> Fraction:
    """Exact fraction of Z robust to L0 (equivalently L1) perturbations of size ``d``, ``b = 1``.

    An image with ``s`` ones needs ``ceil(N/2) - s`` changes, so it is robust iff
    ``ceil(N/2) - s > d``.

    Parameters
    ----------
    N : int
        The number of channels.
    d : float
        The perturbation size.

    Returns
    -------
    fractions.Fraction

    Examples
    --------
    ``N = 4``: every image of Z is robust to size 0; only the black one (1 of 5) to size 1:

    >>> z_robust_fraction_binary(4, 0), z_robust_fraction_binary(4, 1)
    (Fraction(1, 1), Fraction(1, 5))
    """
    T = (N + 1) // 2
    top = T - math.floor(d)                 # robust iff s < T - floor(d)
    good = sum(math.comb(N, s) for s in range(max(top, 0)))
    return Fraction(good, z_size_binary(N))


@lru_cache(maxsize=64)
def digit_sum_pmf(N: int, q: int) -> np.ndarray:
    """Distribution of the digit sum of a uniform image (``N`` channels, ``q`` levels).

    Computed by repeated squaring of the polynomial ``(1 + x + ... + x^(q-1)) / q`` with FFT
    products. The result is cached: do not modify the returned array.

    Parameters
    ----------
    N : int
        The number of channels.
    q : int
        The number of levels per channel.

    Returns
    -------
    numpy.ndarray
        ``P(S = s)`` for ``s = 0, ..., N (q - 1)``.

    Examples
    --------
    >>> digit_sum_pmf(2, 2).round(12)  # Bin(2, 1/2)
    array([0.25, 0.5 , 0.25])
    """
    from scipy.signal import fftconvolve

    result = np.array([1.0])
    base = np.full(q, 1.0 / q)
    e = N
    while e:
        if e & 1:
            result = np.clip(fftconvolve(result, base), 0, None)
        e >>= 1
        if e:
            base = np.clip(fftconvolve(base, base), 0, None)
    return result / result.sum()


def z_robust_fraction_l1(N: int, q: int, d: float) -> float:
    """Fraction of Z robust to L1 perturbations of size ``d`` (exact up to float rounding).

    An image is robust iff ``(T - S)/(q-1) > d``, i.e. ``S < T - d (q-1)``.

    Parameters
    ----------
    N : int
        The number of channels.
    q : int
        The number of levels per channel.
    d : float
        The perturbation size.

    Returns
    -------
    float

    Examples
    --------
    Agrees with the exact binary count of :func:`z_robust_fraction_binary`:

    >>> round(z_robust_fraction_l1(4, 2, 1), 12), float(z_robust_fraction_binary(4, 1))
    (0.2, 0.2)
    """
    pmf = digit_sum_pmf(N, q)
    T = threshold(N, q)
    z = pmf[:T].sum()
    lim = T - d * (q - 1)                             # robust iff S < lim
    top = math.ceil(lim) if lim > 0 else 0            # S <= ceil(lim) - 1
    return float(pmf[:min(top, T)].sum() / z)


def z_sample(N: int, q: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` uniform images of class Z (rejection from uniform images), as digits.

    Parameters
    ----------
    N : int
        The number of channels.
    q : int
        The number of levels per channel.
    m : int
        The number of images.
    rng : numpy.random.Generator
        The source of the images.

    Returns
    -------
    numpy.ndarray
        Digits of shape ``(m, N)`` (int16), every row labelled 0 by Algorithm 1.

    Examples
    --------
    >>> v = z_sample(4, 2, 3, np.random.default_rng(0))
    >>> v.shape, bool((algorithm1_labels(v, 2) == 0).all())
    ((3, 4), True)
    """
    out, got = [], 0
    while got < m:
        v = rng.integers(0, q, size=(2 * (m - got) + 16, N), dtype=np.int16)
        v = v[algorithm1_labels(v, q) == 0]
        out.append(v)
        got += len(v)
    return np.concatenate(out)[:m]


def theorem2_size(c: float, n: int, h: int = 1, b: int = 1, p: float | str = 1) -> float:
    """Theorem 2's perturbation size for the guarantee ``1 - 4c``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.

    ``c sqrt(h) n - 2`` for ``p <= 1`` and ``(c sqrt(h) n - 2)^(1/p) / (2^b - 1)`` for
    ``p >= 2``.

    Parameters
    ----------
    c : float
        The constant of Theorem 2.
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth.
    p : int, float or str
        The norm (``'inf'`` accepted).

    Returns
    -------
    float
        The size, ``nan`` when ``c sqrt(h) n < 2`` (no guarantee).

    Examples
    --------
    ``c = 0.2``, ``n = 100``: class Z is 20%-robust to 18 channel changes, or to L2
    perturbations of norm ``sqrt(18) / 3`` at two bits:

    >>> theorem2_size(0.2, 100), round(theorem2_size(0.2, 100, b=2, p=2), 4)
    (18.0, 1.4142)
    """
    base = c * math.sqrt(h) * n - 2.0
    if base < 0:
        return float("nan")
    if p in (0, 1, "0", "1"):
        return base
    if p in ("inf", math.inf):
        return 1.0 / (2 ** b - 1) if base >= 1 else float("nan")
    return base ** (1.0 / float(p)) / (2 ** b - 1)


def lemma11_size_printed(c: float, n: int, h: int = 1, b: int = 1, p: float = 2) -> float:
    """Lemma 11's size as printed, ``(c sqrt(h n - 2))^(1/p) / (2^b - 1)``.

    An erratum: the proof gives ``(c sqrt(h) n - 2)^(1/p) / (2^b - 1)``, as in Theorem 2
    (:func:`theorem2_size`).

    Parameters
    ----------
    c : float
        The constant.
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth.
    p : float
        The norm, ``p >= 2``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(lemma11_size_printed(0.2, 100), 4), round(theorem2_size(0.2, 100, p=2), 4)
    (1.4071, 4.2426)
    """
    return (c * math.sqrt(h * n - 2.0)) ** (1.0 / p) / (2 ** b - 1)


# ---------------------------------------------------------------- Lemmas 7 and 8, exactly
def lemma7_sides(n: int, y_pmf: dict[int, Fraction], t: Fraction) -> tuple[Fraction, Fraction]:
    """The two sides of Lemma 7, exactly: ``(Pr(X + Y <= t), Pr(X < t))``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.

    ``X ~ Bin(n, 1/2)`` and ``Y`` is discrete and independent of ``X``. Lemma 7: the first is
    ``>=`` the second when ``Y`` is symmetric, ``t < n/2`` and ``t`` is a half-integer.

    Parameters
    ----------
    n : int
        The number of trials of ``X``.
    y_pmf : dict of int to fractions.Fraction
        The law of ``Y``: support point to probability.
    t : fractions.Fraction
        The threshold.

    Returns
    -------
    tuple of fractions.Fraction

    Examples
    --------
    ``Y`` uniform on ``{-1, 0, 0, 1}``, ``n = 4``, ``t = 3/2``: ``11/32 >= 5/16``:

    >>> y = {-1: Fraction(1, 4), 0: Fraction(1, 2), 1: Fraction(1, 4)}
    >>> lemma7_sides(4, y, Fraction(3, 2))
    (Fraction(11, 32), Fraction(5, 16))
    """
    px = [Fraction(math.comb(n, i), 2 ** n) for i in range(n + 1)]
    lhs = sum((px[i] * py for i in range(n + 1) for y, py in y_pmf.items() if i + y <= t),
              Fraction(0))
    rhs = sum((px[i] for i in range(n + 1) if i < t), Fraction(0))
    return lhs, rhs


def lemma8_sides(n: int, k: int, t: float) -> tuple[float, float]:
    """The two sides of Lemma 8 for ``X_i`` uniform on ``2k`` evenly spaced points of ``[0, 1]``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.

    ``(Pr(sum X_i <= n/2 - t + 1), 1/2 - 2t/sqrt(n))``, the first from the exact distribution
    (:func:`digit_sum_pmf`).

    Parameters
    ----------
    n : int
        The number of variables.
    k : int
        Half the number of points of their support.
    t : float
        The deviation, ``t > 0``.

    Returns
    -------
    tuple of float
        The lemma says the first is larger.

    Examples
    --------
    >>> lhs, rhs = lemma8_sides(16, 1, 1.0)
    >>> round(lhs, 4), rhs
    (0.5982, 0.0)
    """
    q = 2 * k
    pmf = digit_sum_pmf(n, q)                          # sum of digits, X_i = digit/(q-1)
    lim = (n / 2 - t + 1) * (q - 1)
    lhs = float(pmf[: max(0, math.floor(lim + 1e-9) + 1)].sum())
    return lhs, 0.5 - 2 * t / math.sqrt(n)


# ---------------------------------------------------------------- Table 1 and Corollary 1
def table1_upper(r: float, n: int, h: int = 1, b: int = 1, p: int = 1) -> float:
    """Table 1 upper bound (Theorems 1 and 3), ``r = 2 exp(-2c^2)`` resp. ``2 exp(-c^2/2)``.

    Used on :doc:`/notebooks/dai-gifford-line-drawings`, :doc:`/notebooks/dai-gifford-theorem2`.

    Parameters
    ----------
    r : float
        The robust fraction, in ``(0, 1)``.
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth.
    p : int
        The norm (``p <= 1``: L0/L1).

    Returns
    -------
    float
        The same value as :func:`companion.discrete.isoperimetry.table1_upper`, written the way
        Table 1 prints it.

    Examples
    --------
    >>> round(table1_upper(0.5, 28), 2)
    25.31
    """
    t1 = 2.0 + math.sqrt(h / 2.0 * math.log(2.0 / r)) * n
    if p <= 1:
        return t1
    t3 = (math.sqrt(2 * math.log(2.0 / r)) + 2 * math.sqrt(h) * n / 2 ** b) ** (2.0 / p)
    return min(t1 ** (1.0 / p), t3)


def table1_lower(r: float, n: int, h: int = 1, b: int = 1, p: int = 1) -> float:
    """Table 1 lower bound (Theorem 2 with ``r = 1 - 4c``).

    Used on :doc:`/notebooks/dai-gifford-line-drawings`, :doc:`/notebooks/dai-gifford-theorem2`.

    Parameters
    ----------
    r : float
        The robust fraction, in ``(0, 1)``.
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth.
    p : int
        The norm.

    Returns
    -------
    float
        The size to which Algorithm 1's class Z is ``r``-robust.

    Examples
    --------
    >>> table1_lower(0.5, 28)
    1.5
    """
    base = -2.0 + (1.0 - r) / 4.0 * math.sqrt(h) * n
    if p <= 1:
        return base
    return max(base, 0.0) ** (1.0 / p) / (2 ** b - 1)
