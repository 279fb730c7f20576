"""The bounds of Dai & Gifford's Theorem 1 (Appendix A.1), in exact arithmetic where floats
would lie.

Notation: ``N = n^2 h`` channels, ``q = 2^b`` values per channel; images are the vertices of the
Hamming graph ``H(N, q)`` and the L0 distance is the graph distance.

* Theorem 1 / Lemma 5: for every ``c > 0`` no interesting class is ``2 e^{-2c^2}``-robust to L0
  perturbations of size ``c sqrt(h) n + 2`` (Lp: that size to the power ``1/max(p, 1)``,
  Lemma 6).
* Theorem 4 (graph form): if ``|S| <= |V|/2`` and ``S'`` is the set of vertices of ``S`` from
  which no path of at most ``c sqrt(N) + 2`` edges leaves ``S``, then
  ``|S'|/|S| < 2 e^{-2c^2}``.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["robust_fraction_bound", "perturbation_size", "c_for_l0_size",
           "l0_robust_fraction_bound", "table1_upper", "table1_lower", "lemma1_holds",
           "binomial_cdf", "lemma4_holds", "ball_sizes", "lemma2_holds",
           "lemma6_inequality_holds"]


def robust_fraction_bound(c):
    """``2 e^{-2c^2}``: no interesting class has a larger robust fraction (Theorem 1).

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    Parameters
    ----------
    c : float or array_like
        The constant of Theorem 1, ``c > 0``.

    Returns
    -------
    float or numpy.ndarray
        The bound on the robust fraction, with the shape of ``c``.

    Examples
    --------
    The bound is below 1 only for ``c > sqrt(ln(2) / 2) = 0.589``:

    >>> round(robust_fraction_bound(1.0), 4)  # 2 / e^2
    0.2707
    >>> bool(robust_fraction_bound(0.5) > 1)
    True
    """
    c = np.asarray(c, dtype=float)
    if np.any(c <= 0):
        raise ValueError(f"c must be > 0, got {c!r}")
    out = 2.0 * np.exp(-2.0 * c ** 2)
    return out if out.ndim else float(out)


def perturbation_size(c, n: int, h: int = 1, p: int = 0):
    """Theorem 1's perturbation size ``(c sqrt(h) n + 2)^{1/max(p, 1)}`` (``p = 0`` is L0).

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    Parameters
    ----------
    c : float or array_like
        The constant of Theorem 1.
    n : int
        The image side (``n x n`` pixels).
    h : int
        The number of channels per pixel.
    p : int
        The norm: 0 (L0), 1, 2, ...

    Returns
    -------
    float or numpy.ndarray
        The perturbation size, with the shape of ``c``.

    Examples
    --------
    MNIST-sized images (``n = 28``, ``h = 1``) at ``c = 1``: 30 channel changes, or an L2
    perturbation of norm ``sqrt(30)``:

    >>> perturbation_size(1.0, 28)
    30.0
    >>> round(perturbation_size(1.0, 28, p=2), 4)
    5.4772
    """
    if n < 1 or h < 1 or p < 0:
        raise ValueError(f"need n >= 1, h >= 1, p >= 0; got n={n}, h={h}, p={p}")
    c = np.asarray(c, dtype=float)
    out = (c * math.sqrt(h) * n + 2.0) ** (1.0 / max(p, 1))
    return out if out.ndim else float(out)


def c_for_l0_size(d, n: int, h: int = 1):
    """The ``c`` at which Theorem 1's L0 size equals ``d``: ``(d - 2) / (sqrt(h) n)``.

    Parameters
    ----------
    d : float or array_like
        L0 perturbation sizes.
    n : int
        The image side.
    h : int
        The number of channels per pixel.

    Returns
    -------
    float or numpy.ndarray
        The constant ``c``, with the shape of ``d`` (the inverse of :func:`perturbation_size`).

    Examples
    --------
    >>> c_for_l0_size(30, 28), perturbation_size(c_for_l0_size(30, 28), 28)
    (1.0, 30.0)
    """
    d = np.asarray(d, dtype=float)
    out = (d - 2.0) / (math.sqrt(h) * n)
    return out if out.ndim else float(out)


def l0_robust_fraction_bound(d, n: int, h: int = 1):
    """Theorem 1 read at an integer L0 size ``d``.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    A class robust to size ``d`` is robust to every size ``c sqrt(h) n + 2 <= d + 1``
    (robustness only depends on the integer part), so its robust fraction is below
    ``2 e^{-2c^2}`` for every ``c < (d - 1)/(sqrt(h) n)``: at most
    ``2 exp(-2 ((d - 1)/(sqrt(h) n))^2)`` (1 where that exceeds 1, i.e. no information).

    Parameters
    ----------
    d : int or array_like
        L0 perturbation sizes (numbers of channels changed).
    n : int
        The image side.
    h : int
        The number of channels per pixel.

    Returns
    -------
    float or numpy.ndarray
        The bound on the robust fraction, in ``(0, 1]``, with the shape of ``d``.

    Examples
    --------
    For ``n = 28``, size 29 gives ``c = 1`` and the bound ``2/e^2``; small sizes give nothing:

    >>> round(l0_robust_fraction_bound(29, 28), 4), l0_robust_fraction_bound(5, 28)
    (0.2707, 1.0)
    """
    d = np.asarray(d, dtype=float)
    c = np.maximum((d - 1.0) / (math.sqrt(h) * n), 0.0)
    out = np.minimum(2.0 * np.exp(-2.0 * c ** 2), 1.0)
    return out if out.ndim else float(out)


def table1_upper(r: float, n: int, h: int = 1, b: int = 1, p: int = 0) -> float:
    """Table 1, upper bound: no classifier has an interesting class ``r``-robust to
    perturbations of this size.

    Used on :doc:`/notebooks/dai-gifford-paper`.

    From ``r = 2 e^{-2c^2}``: ``c = sqrt(ln(2/r)/2)``, and the size of Theorem 1. For ``p >= 2``
    the minimum with Theorem 3's bound ``(sqrt(2 ln(2/r)) + 2 sqrt(h) n / 2^b)^{2/p}``.

    Parameters
    ----------
    r : float
        The robust fraction, in ``(0, 1)``.
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth (``2^b`` values per channel).
    p : int
        The norm (0 or 1: the L0/L1 size; ``p >= 2``: Lp).

    Returns
    -------
    float
        The upper bound on the size of robust perturbations.

    Examples
    --------
    ``r = 1/2`` on 28 x 28 grey images: ``c = sqrt(ln(4)/2) = 0.8326``, size
    ``0.8326 * 28 + 2 = 25.31`` channels:

    >>> round(table1_upper(0.5, 28), 2)
    25.31
    """
    if not 0 < r < 1:
        raise ValueError(f"r must be in (0, 1), got {r}")
    c = math.sqrt(math.log(2.0 / r) / 2.0)
    l0 = c * math.sqrt(h) * n + 2.0
    if p <= 1:
        return l0
    thm3 = (math.sqrt(2.0 * math.log(2.0 / r)) + 2.0 * math.sqrt(h) * n / 2 ** b) ** (2.0 / p)
    return min(l0 ** (1.0 / p), thm3)


def table1_lower(r: float, n: int, h: int = 1, b: int = 1, p: int = 0) -> float:
    """Table 1, lower bound (Theorem 2, ``c = (1 - r)/4``): Algorithm 1 has an interesting
    class ``r``-robust to perturbations of this size.

    Used on :doc:`/notebooks/dai-gifford-paper`.

    ``p <= 1``: ``c sqrt(h) n - 2``; ``p >= 2``: ``(c sqrt(h) n - 2)^{1/p} / (2^b - 1)``.

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
        The size to which some classifier is ``r``-robust (negative: no guarantee).

    Examples
    --------
    ``r = 1/2``, ``n = 28``: ``c = 1/8`` and ``28/8 - 2 = 1.5`` channels:

    >>> table1_lower(0.5, 28)
    1.5
    """
    if not 0 < r < 1:
        raise ValueError(f"r must be in (0, 1), got {r}")
    base = (1.0 - r) / 4.0 * math.sqrt(h) * n - 2.0
    if p <= 1:
        return base
    return max(base, 0.0) ** (1.0 / p) / (2 ** b - 1)


# ------------------------------------------------------------------ the lemmas, exactly
def lemma1_holds(n: int, k: int) -> bool:
    """Lemma 1, ``C(n, k) < 2^n / sqrt(n)``, decided in integers: ``C(n,k)^2 n < 4^n``.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    Parameters
    ----------
    n : int
        ``n >= 1``.
    k : int
        Any integer (``C(n, k) = 0`` outside ``0..n``).

    Returns
    -------
    bool
        Whether the inequality holds.

    Examples
    --------
    ``C(10, 5) = 252 < 2^10 / sqrt(10) = 323.8``:

    >>> lemma1_holds(10, 5)
    True
    """
    if n < 1:
        raise ValueError(f"Lemma 1 needs n >= 1, got {n}")
    return math.comb(n, k) ** 2 * n < 4 ** n if 0 <= k <= n else True


def binomial_cdf(n: int, p: Fraction, k: int) -> Fraction:
    """``U_{n,p}(k) = P(Bin(n, p) <= k)`` (Eq. 10) as an exact fraction.

    Parameters
    ----------
    n : int
        The number of trials.
    p : fractions.Fraction
        The success probability, in ``(0, 1)`` (anything ``Fraction`` accepts).
    k : int
        The point (``U(k) = 0`` for ``k < 0``).

    Returns
    -------
    fractions.Fraction

    Examples
    --------
    ``P(Bin(4, 1/2) <= 1) = (1 + 4) / 16``:

    >>> binomial_cdf(4, Fraction(1, 2), 1)
    Fraction(5, 16)
    """
    p = Fraction(p)
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if k < 0:
        return Fraction(0)
    return sum((math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(min(k, n) + 1)),
               Fraction(0))


def lemma4_holds(n: int, p: Fraction, r: int, k: int) -> bool:
    """Lemma 4 at one point: if ``U(r) <= 1/2`` then ``U(r-k)/U(r) <= 2 e^{-2(k-1)^2/n}``.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    The ratio is exact; the right side is compared in floating point with a 1e-12 relative
    margin.

    Parameters
    ----------
    n : int
        The number of trials of ``U = U_{n,p}``.
    p : fractions.Fraction
        The success probability.
    r : int
        The point with ``U(r) <= 1/2`` (otherwise the lemma says nothing and this returns True).
    k : int
        The shift.

    Returns
    -------
    bool

    Examples
    --------
    >>> lemma4_holds(20, Fraction(1, 2), 8, 3)
    True
    """
    ur = binomial_cdf(n, p, r)
    if ur == 0 or ur > Fraction(1, 2):
        return True
    ratio = binomial_cdf(n, p, r - k) / ur
    return float(ratio) <= 2.0 * math.exp(-2.0 * (k - 1) ** 2 / n) * (1 + 1e-12)


def ball_sizes(N: int, q: int = 2) -> list[int]:
    """Number of vertices of ``H(N, q)`` within distance ``0, 1, ..., N`` of a vertex (exact).

    Used on :doc:`/notebooks/dai-gifford-paper`.

    Parameters
    ----------
    N : int
        The number of coordinates (channels).
    q : int
        The number of values per coordinate.

    Returns
    -------
    list of int
        ``N + 1`` cumulative sums of ``C(N, i) (q - 1)^i``; the last is ``q^N``.

    Examples
    --------
    >>> ball_sizes(3)  # the cube: 1, 1 + 3, 1 + 3 + 3, 8
    [1, 4, 7, 8]
    >>> ball_sizes(2, q=3)
    [1, 5, 9]
    """
    sizes, total = [], 0
    for i in range(N + 1):
        total += math.comb(N, i) * (q - 1) ** i
        sizes.append(total)
    return sizes


def lemma2_holds(n: int, p: Fraction, k: int) -> bool:
    """Lemma 2: ``U(x - k) / U(x)`` is non-decreasing in ``x`` on ``0 <= x <= n`` (exact).

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    Parameters
    ----------
    n : int
        The number of trials.
    p : fractions.Fraction
        The success probability.
    k : int
        The shift.

    Returns
    -------
    bool

    Examples
    --------
    >>> lemma2_holds(10, Fraction(1, 3), 2)
    True
    """
    ratios = [binomial_cdf(n, p, x - k) / binomial_cdf(n, p, x) for x in range(n + 1)]
    return all(a <= b for a, b in zip(ratios, ratios[1:]))


def lemma6_inequality_holds(levels_a: np.ndarray, levels_b: np.ndarray, q: int, p: int) -> bool:
    """Eq. (27)-(30) of Lemma 6 for image pairs: ``||I - I'||_p^p <= ||I - I'||_0``.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.

    It holds because every channel difference lies in ``[0, 1]``.

    Parameters
    ----------
    levels_a, levels_b : numpy.ndarray
        Images as rows of channel levels ``0..q-1``, shape ``(pairs, N)``.
    q : int
        The number of levels.
    p : int
        The norm, ``p >= 1``.

    Returns
    -------
    bool
        Whether the inequality holds for every pair (1e-12 tolerance).

    Examples
    --------
    Differences 1 and 1/3 (``q = 4``): ``1 + 1/9 <= 2`` channels changed:

    >>> lemma6_inequality_holds(np.array([[0, 3, 1]]), np.array([[3, 3, 2]]), 4, 2)
    True
    """
    diff = np.abs(levels_a.astype(np.int64) - levels_b.astype(np.int64)) / (q - 1)
    return bool(np.all((diff ** p).sum(axis=1) <= (diff > 0).sum(axis=1) + 1e-12))
