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


def lemma18_bound(mu: float, r: float) -> float:
    """``Phi(Phi^{-1}(mu) - r)``: Lemma 18's bound on the measure of the r-interior."""
    return float(norm.cdf(norm.ppf(mu) - r))


def lemma19_bound(r: float) -> float:
    """``2 exp(-r^2/2)``: Lemma 19 / Theorem 5 (corrected sign) bound on ``mu(C_r)/mu(C)``."""
    return 2.0 * math.exp(-r * r / 2.0)


def lemma19_middle_printed(c: float) -> float:
    """The middle term of Eq. (82) as printed, ``Phi(1/2 - c) / Phi(1/2)``."""
    return float(norm.cdf(0.5 - c) / norm.cdf(0.5))


def lemma19_middle_corrected(c: float) -> float:
    """The middle term with ``Phi^{-1}(mu) <= Phi^{-1}(1/2) = 0``: ``Phi(-c)/Phi(0) = 2 Phi(-c)``."""
    return float(2.0 * norm.cdf(-c))


def slab_interior(a: float, r: float) -> tuple[float, float]:
    """``(mu(S), mu(S_r))`` for the slab ``S = {x_1 <= a}`` of ``[0,1]^N``."""
    return a, max(a - r, 0.0)


def corner_box_interior(a: float, d: int, r: float) -> tuple[float, float]:
    """``(mu(S), mu(S_r))`` for the corner box ``S = [0, a]^d`` (times ``[0,1]^(N-d)``)."""
    return a ** d, max(a - r, 0.0) ** d


def theorem3_size(c: float, n: int, h: int = 1, b: int = 1, p: float = 2) -> float:
    """Theorem 3's size ``(c + 2 n sqrt(h) / 2^b)^(2/p)``."""
    return (c + 2.0 * n * math.sqrt(h) / 2 ** b) ** (2.0 / p)


def theorem3_robustness(c: float) -> float:
    """Theorem 3's robustness level ``2 exp(-c^2/2)``."""
    return 2.0 * math.exp(-c * c / 2.0)


def theorem1_lp_size(c: float, n: int, h: int = 1, p: float = 2) -> float:
    """Theorem 1's L^p size ``(c sqrt(h) n + 2)^(1/p)`` at robustness ``2 exp(-2 c^2)``."""
    return (c * math.sqrt(h) * n + 2.0) ** (1.0 / p)


def table1_lp_upper_parts(r: float, n: int, h: int = 1, b: int = 1, p: float = 2):
    """The two terms of Table 1's ``p >= 2`` upper bound at robustness ``r``:
    ``(Theorem 1 term, Theorem 3 term)``; the bound is their minimum."""
    c1 = math.sqrt(math.log(2.0 / r) / 2.0)          # r = 2 exp(-2 c^2)
    c3 = math.sqrt(2.0 * math.log(2.0 / r))          # r = 2 exp(-c^2 / 2)
    return theorem1_lp_size(c1, n, h, p), theorem3_size(c3, n, h, b, p)


# ---------------------------------------------------------------- Algorithm 2 for Algorithm 1
def cell_digits(points, q: int):
    """``F^{-1}``: the grid cell (digit ``min(floor(x q), q-1)`` per coordinate) of points."""
    import numpy as np

    return np.minimum(np.floor(np.asarray(points) * q), q - 1).astype(np.int64)


def nearest_other_class_algorithm1(p1, q: int):
    """For Algorithm 1 extended to the cube (the label of a point is that of its cell), the
    nearest point of the cube whose cell has the other label: ``(distance, digits of that
    cell)``. Raising (lowering) coordinate ``j`` by ``m`` cells costs ``(m/q - f_j)_+`` in that
    coordinate, ``f_j`` the offset of ``p1`` in its cell (from the top edge when lowering);
    these costs are convex in ``m``, so the optimum takes the ``delta`` smallest marginal squared
    costs over all coordinates."""
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
    """Algorithm 2 (FindPerturbation) for Algorithm 1: sample ``p1`` uniformly in the cell
    ``F(I)``, return the digits of the cell of the nearest other-class point if it lies within
    L2 distance ``c``, else ``None`` (the paper's bottom symbol)."""
    import numpy as np

    digits = np.asarray(digits)
    p1 = (digits + rng.random(digits.shape)) / q
    p1 = np.minimum(p1, 1.0)
    d, other = nearest_other_class_algorithm1(p1, q)
    return other if d <= c else None
