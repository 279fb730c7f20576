"""Theorem 3 of Dai & Gifford (bit depth): the continuous-cube bounds of Appendix A.3-A.4.

* Lemma 18: for a regular set ``C`` of measure ``<= 1/2`` in ``[0,1]^N``, the measure of its
  ``r``-interior ``C_r`` (points whose whole L2 ball of radius ``r``, within the cube, lies in
  ``C``) is at most ``Phi(Phi^{-1}(mu(C)) - r)``.
* Lemma 19 / Theorem 5: ``mu(C_r) / mu(C) < 2 exp(-r^2/2)`` (printed with ``exp(+c^2/2)``).
* Theorem 3: no interesting class is ``2 exp(-c^2/2)``-robust to L^p perturbations of size
  ``(c + 2 n sqrt(h) / 2^b)^(2/p)``, ``p >= 2``.

Exact interiors of two families of regular sets (unions of the ``2^b``-grid cells):
the slab ``{x_1 <= a}`` has interior ``{x_1 <= a - r}``, and the corner box ``[0, a]^d`` has
interior ``[0, a - r]^d`` (the faces at 0 are the cube's own boundary).
"""
from __future__ import annotations

import math

from scipy.stats import norm

__all__ = ["lemma18_bound", "lemma19_bound", "lemma19_middle_printed", "lemma19_middle_corrected",
           "slab_interior", "corner_box_interior", "theorem3_size", "theorem3_robustness",
           "theorem1_lp_size", "table1_lp_upper_parts", "cell_digits",
           "nearest_other_class_algorithm1", "find_perturbation"]


def lemma18_bound(mu: float, r: float) -> float:
    """``Phi(Phi^{-1}(mu) - r)``: Lemma 18's bound on the measure of the r-interior.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.

    Parameters
    ----------
    mu : float
        The measure of the regular set ``C``, in ``(0, 1/2]``.
    r : float
        The radius of the interior, ``r >= 0``.

    Returns
    -------
    float
        The upper bound on ``mu(C_r)``.

    Examples
    --------
    Half the cube and ``r = 1``: ``Phi(0 - 1) = 0.1587``:

    >>> round(lemma18_bound(0.5, 1.0), 4)
    0.1587
    """
    return float(norm.cdf(norm.ppf(mu) - r))


def lemma19_bound(r: float) -> float:
    """``2 exp(-r^2/2)``: Lemma 19 / Theorem 5 (corrected sign) bound on ``mu(C_r)/mu(C)``.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.

    Parameters
    ----------
    r : float
        The radius of the interior.

    Returns
    -------
    float
        The bound on the fraction of ``C`` in its ``r``-interior (above 1 for
        ``r < sqrt(2 ln 2) = 1.177``: no information).

    Examples
    --------
    >>> round(lemma19_bound(2.0), 4)  # 2 / e^2
    0.2707
    """
    return 2.0 * math.exp(-r * r / 2.0)


def lemma19_middle_printed(c: float) -> float:
    """The middle term of Eq. (82) as printed, ``Phi(1/2 - c) / Phi(1/2)``.

    Parameters
    ----------
    c : float
        The radius.

    Returns
    -------
    float

    Examples
    --------
    >>> round(lemma19_middle_printed(1.0), 4)
    0.4462
    """
    return float(norm.cdf(0.5 - c) / norm.cdf(0.5))


def lemma19_middle_corrected(c: float) -> float:
    """The middle term of Eq. (82) corrected: ``Phi(-c)/Phi(0) = 2 Phi(-c)``.

    The proof needs ``Phi^{-1}(mu) <= Phi^{-1}(1/2) = 0``, not ``1/2``.

    Parameters
    ----------
    c : float
        The radius.

    Returns
    -------
    float

    Examples
    --------
    ``2 Phi(-1)``, the two-sided normal tail at 1:

    >>> round(lemma19_middle_corrected(1.0), 4)
    0.3173
    """
    return float(2.0 * norm.cdf(-c))


def slab_interior(a: float, r: float) -> tuple[float, float]:
    """``(mu(S), mu(S_r))`` for the slab ``S = {x_1 <= a}`` of ``[0,1]^N``.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.

    Parameters
    ----------
    a : float
        The position of the slab's face, in ``[0, 1]``.
    r : float
        The radius of the interior.

    Returns
    -------
    tuple of float
        The measure of the slab and of its interior ``{x_1 <= a - r}``.

    Examples
    --------
    >>> slab_interior(0.5, 0.125)
    (0.5, 0.375)
    """
    return a, max(a - r, 0.0)


def corner_box_interior(a: float, d: int, r: float) -> tuple[float, float]:
    """``(mu(S), mu(S_r))`` for the corner box ``S = [0, a]^d`` (times ``[0,1]^(N-d)``).

    Parameters
    ----------
    a : float
        The side of the box, in ``[0, 1]``.
    d : int
        The number of constrained coordinates.
    r : float
        The radius of the interior.

    Returns
    -------
    tuple of float
        The measure of the box and of its interior ``[0, a - r]^d`` (the faces at 0 are the
        cube's own boundary).

    Examples
    --------
    >>> corner_box_interior(0.5, 2, 0.25)
    (0.25, 0.0625)
    """
    return a ** d, max(a - r, 0.0) ** d


def theorem3_size(c: float, n: int, h: int = 1, b: int = 1, p: float = 2) -> float:
    """Theorem 3's size ``(c + 2 n sqrt(h) / 2^b)^(2/p)``.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.

    Parameters
    ----------
    c : float
        The constant of Theorem 3.
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
        The perturbation size.

    Examples
    --------
    ``n = 28``, 8 bits, L2: ``(1 + 56/256)^1 = 1.21875``:

    >>> theorem3_size(1.0, 28, b=8)
    1.21875
    """
    return (c + 2.0 * n * math.sqrt(h) / 2 ** b) ** (2.0 / p)


def theorem3_robustness(c: float) -> float:
    """Theorem 3's robustness level ``2 exp(-c^2/2)``.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.

    Parameters
    ----------
    c : float
        The constant of Theorem 3.

    Returns
    -------
    float
        No interesting class is this robust to perturbations of :func:`theorem3_size`.

    Examples
    --------
    >>> round(theorem3_robustness(2.0), 4)  # 2 / e^2
    0.2707
    """
    return 2.0 * math.exp(-c * c / 2.0)


def theorem1_lp_size(c: float, n: int, h: int = 1, p: float = 2) -> float:
    """Theorem 1's L^p size ``(c sqrt(h) n + 2)^(1/p)`` at robustness ``2 exp(-2 c^2)``.

    Parameters
    ----------
    c : float
        The constant of Theorem 1.
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    p : float
        The norm.

    Returns
    -------
    float

    Examples
    --------
    >>> theorem1_lp_size(1.0, 28, p=2) ** 2  # 30 channels at L0
    30.0
    """
    return (c * math.sqrt(h) * n + 2.0) ** (1.0 / p)


def table1_lp_upper_parts(r: float, n: int, h: int = 1, b: int = 1, p: float = 2):
    """The two terms of Table 1's ``p >= 2`` upper bound at robustness ``r``.

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
    p : float
        The norm, ``p >= 2``.

    Returns
    -------
    tuple of float
        ``(Theorem 1 term, Theorem 3 term)``; the bound is their minimum.

    Examples
    --------
    At 8 bits Theorem 3 is the smaller one, for ``n = 28``, L2, ``r = 1/2``:

    >>> [round(t, 3) for t in table1_lp_upper_parts(0.5, 28, b=8)]
    [5.031, 1.884]
    """
    c1 = math.sqrt(math.log(2.0 / r) / 2.0)          # r = 2 exp(-2 c^2)
    c3 = math.sqrt(2.0 * math.log(2.0 / r))          # r = 2 exp(-c^2 / 2)
    return theorem1_lp_size(c1, n, h, p), theorem3_size(c3, n, h, b, p)


# ---------------------------------------------------------------- Algorithm 2 for Algorithm 1
def cell_digits(points, q: int):
    """``F^{-1}``: the grid cell (digit ``min(floor(x q), q-1)`` per coordinate) of points.

    Parameters
    ----------
    points : array_like
        Points of the cube ``[0, 1]^N``.
    q : int
        The number of cells per coordinate (``2^b``).

    Returns
    -------
    numpy.ndarray
        The cell digits (int64), with the shape of ``points``.

    Examples
    --------
    >>> cell_digits([0.0, 0.3, 0.99, 1.0], 4)  # 1.0 lies in the top cell
    array([0, 1, 3, 3])
    """
    import numpy as np

    return np.minimum(np.floor(np.asarray(points) * q), q - 1).astype(np.int64)


def nearest_other_class_algorithm1(p1, q: int):
    """The nearest point of the cube whose cell has the other label under Algorithm 1.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.

    Algorithm 1 is extended to the cube: the label of a point is that of its cell. Raising
    (lowering) coordinate ``j`` by ``m`` cells costs ``(m/q - f_j)_+`` in that coordinate,
    ``f_j`` the offset of ``p1`` in its cell (from the top edge when lowering); these costs are
    convex in ``m``, so the optimum takes the ``delta`` smallest marginal squared costs over
    all coordinates.

    Parameters
    ----------
    p1 : array_like
        A point of ``[0, 1]^N``.
    q : int
        The number of cells per coordinate.

    Returns
    -------
    distance : float
        The L2 distance from ``p1`` to the nearest point of another label.
    digits : numpy.ndarray
        The digits of that point's cell.

    Examples
    --------
    Two binary channels at 0.1: the label flips when the digit sum reaches 1, by moving one
    coordinate from 0.1 to the cell edge 0.5:

    >>> import numpy as np
    >>> dist, cell = nearest_other_class_algorithm1(np.array([0.1, 0.1]), 2)
    >>> round(dist, 12), cell
    (0.4, array([1, 0]))
    """
    import numpy as np

    from .robust_classifier import threshold

    p1 = np.asarray(p1, dtype=float)
    N = p1.size
    v = cell_digits(p1, q)
    T = threshold(N, q)
    S = int(v.sum())
    up = S < T
    delta = T - S if up else S - T + 1
    if up:
        room, f = q - 1 - v, p1 - v / q                       # distance into the cell from below
    else:
        room, f = v, (v + 1) / q - p1                         # distance to the top of the cell
    m = np.arange(1, q)
    cost = np.clip(m[None, :] / q - f[:, None], 0, None) ** 2   # to move m cells (edge reached)
    cost = np.where(m[None, :] <= room[:, None], cost, np.inf)
    with np.errstate(invalid="ignore"):
        marg = np.diff(np.concatenate([np.zeros((N, 1)), cost], axis=1), axis=1)
    marg[~np.isfinite(marg)] = np.inf
    flat = marg.reshape(-1)
    idx = np.argpartition(flat, delta - 1)[:delta]
    moves = np.bincount(idx // (q - 1), minlength=N)
    dist = math.sqrt(float(flat[idx].sum()))
    return dist, v + moves if up else v - moves


def find_perturbation(digits, c: float, q: int, rng):
    """Algorithm 2 (FindPerturbation) for Algorithm 1.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.

    Samples ``p1`` uniformly in the cell ``F(I)`` and returns the digits of the cell of the
    nearest other-class point (:func:`nearest_other_class_algorithm1`) if it lies within L2
    distance ``c``, else ``None`` (the paper's bottom symbol).

    Parameters
    ----------
    digits : array_like
        The image ``I`` as channel digits ``0..q-1``.
    c : float
        The L2 radius searched.
    q : int
        The number of levels per channel.
    rng : numpy.random.Generator
        The source of ``p1``.

    Returns
    -------
    numpy.ndarray or None
        The digits of the image found, or ``None``.

    Examples
    --------
    From the black binary image with two channels, the other class is within distance 1 of
    every point of the cell:

    >>> import numpy as np
    >>> find_perturbation([0, 0], 1.0, 2, np.random.default_rng(0))
    array([1, 0])
    """
    import numpy as np

    digits = np.asarray(digits)
    p1 = (digits + rng.random(digits.shape)) / q
    p1 = np.minimum(p1, 1.0)
    d, other = nearest_other_class_algorithm1(p1, q)
    return other if d <= c else None
