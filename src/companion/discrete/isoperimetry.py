"""The bounds of Dai & Gifford's Theorem 1 (Appendix A.1), in exact arithmetic where floats would lie.

Notation: ``N = n^2 h`` channels, ``q = 2^b`` values per channel; images are the vertices of the
Hamming graph ``H(N, q)`` and the L0 distance is the graph distance.

* Theorem 1 / Lemma 5: for every ``c > 0`` no interesting class is ``2 e^{-2c^2}``-robust to L0
  perturbations of size ``c sqrt(h) n + 2`` (Lp: that size to the power ``1/max(p, 1)``, Lemma 6).
* Theorem 4 (graph form): if ``|S| <= |V|/2`` and ``S'`` is the set of vertices of ``S`` from which
  no path of at most ``c sqrt(N) + 2`` edges leaves ``S``, then ``|S'|/|S| < 2 e^{-2c^2}``.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def robust_fraction_bound(c):
    """``2 e^{-2c^2}``: no interesting class has a larger robust fraction (Theorem 1)."""
    c = np.asarray(c, dtype=float)
    if np.any(c <= 0):
        raise ValueError(f"c must be > 0, got {c!r}")
    out = 2.0 * np.exp(-2.0 * c ** 2)
    return out if out.ndim else float(out)


def perturbation_size(c, n: int, h: int = 1, p: int = 0):
    """Theorem 1's perturbation size ``(c sqrt(h) n + 2)^{1/max(p, 1)}`` (``p = 0`` is L0)."""
    if n < 1 or h < 1 or p < 0:
        raise ValueError(f"need n >= 1, h >= 1, p >= 0; got n={n}, h={h}, p={p}")
    c = np.asarray(c, dtype=float)
    out = (c * math.sqrt(h) * n + 2.0) ** (1.0 / max(p, 1))
    return out if out.ndim else float(out)


def c_for_l0_size(d, n: int, h: int = 1):
    """The ``c`` at which Theorem 1's L0 size equals ``d``: ``(d - 2) / (sqrt(h) n)``."""
    d = np.asarray(d, dtype=float)
    out = (d - 2.0) / (math.sqrt(h) * n)
    return out if out.ndim else float(out)


def l0_robust_fraction_bound(d, n: int, h: int = 1):
    """Theorem 1 read at an integer L0 size ``d``: a class robust to size ``d`` is robust to every
    size ``c sqrt(h) n + 2 <= d + 1`` (robustness only depends on the integer part), so its robust
    fraction is below ``2 e^{-2c^2}`` for every ``c < (d - 1)/(sqrt(h) n)``: at most
    ``2 exp(-2 ((d - 1)/(sqrt(h) n))^2)`` (1 where that exceeds 1, i.e. no information)."""
    d = np.asarray(d, dtype=float)
    c = np.maximum((d - 1.0) / (math.sqrt(h) * n), 0.0)
    out = np.minimum(2.0 * np.exp(-2.0 * c ** 2), 1.0)
    return out if out.ndim else float(out)


def table1_upper(r: float, n: int, h: int = 1, b: int = 1, p: int = 0) -> float:
    """Table 1, upper bound: no classifier induces an interesting class that is ``r``-robust to
    perturbations of this size. From ``r = 2 e^{-2c^2}``: ``c = sqrt(ln(2/r)/2)``. For ``p >= 2``
    the minimum with Theorem 3's bound ``(sqrt(2 ln(2/r)) + 2 sqrt(h) n / 2^b)^{2/p}``."""
    if not 0 < r < 1:
        raise ValueError(f"r must be in (0, 1), got {r}")
    c = math.sqrt(math.log(2.0 / r) / 2.0)
    l0 = c * math.sqrt(h) * n + 2.0
    if p <= 1:
        return l0
    thm3 = (math.sqrt(2.0 * math.log(2.0 / r)) + 2.0 * math.sqrt(h) * n / 2 ** b) ** (2.0 / p)
    return min(l0 ** (1.0 / p), thm3)


def table1_lower(r: float, n: int, h: int = 1, b: int = 1, p: int = 0) -> float:
    """Table 1, lower bound (Theorem 2, ``c = (1 - r)/4``): some classifier induces an interesting
    class ``r``-robust to perturbations of this size (``p <= 1``: ``c sqrt(h) n - 2``; ``p >= 2``:
    ``(c sqrt(h) n - 2)^{1/p} / (2^b - 1)``)."""
    if not 0 < r < 1:
        raise ValueError(f"r must be in (0, 1), got {r}")
    base = (1.0 - r) / 4.0 * math.sqrt(h) * n - 2.0
    if p <= 1:
        return base
    return max(base, 0.0) ** (1.0 / p) / (2 ** b - 1)


# ------------------------------------------------------------------ the lemmas, exactly
def lemma1_holds(n: int, k: int) -> bool:
    """Lemma 1, ``C(n, k) < 2^n / sqrt(n)``, decided in integers: ``C(n,k)^2 n < 4^n``."""
    if n < 1:
        raise ValueError(f"Lemma 1 needs n >= 1, got {n}")
    return math.comb(n, k) ** 2 * n < 4 ** n if 0 <= k <= n else True


def binomial_cdf(n: int, p: Fraction, k: int) -> Fraction:
    """``U_{n,p}(k) = P(Bin(n, p) <= k)`` (Eq. 10) as an exact fraction (0 for ``k < 0``)."""
    p = Fraction(p)
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if k < 0:
        return Fraction(0)
    return sum((math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(min(k, n) + 1)),
               Fraction(0))


def lemma4_holds(n: int, p: Fraction, r: int, k: int) -> bool:
    """Lemma 4 at one point: if ``U(r) <= 1/2`` then ``U(r-k)/U(r) <= 2 e^{-2(k-1)^2/n}``
    (the right side compared in floating point with a 1e-12 relative margin)."""
    ur = binomial_cdf(n, p, r)
    if ur == 0 or ur > Fraction(1, 2):
        return True
    ratio = binomial_cdf(n, p, r - k) / ur
    return float(ratio) <= 2.0 * math.exp(-2.0 * (k - 1) ** 2 / n) * (1 + 1e-12)


def ball_sizes(N: int, q: int = 2) -> list[int]:
    """Number of vertices of ``H(N, q)`` within distance ``0, 1, ..., N`` of a vertex (exact)."""
    sizes, total = [], 0
    for i in range(N + 1):
        total += math.comb(N, i) * (q - 1) ** i
        sizes.append(total)
    return sizes


def lemma2_holds(n: int, p: Fraction, k: int) -> bool:
    """Lemma 2: ``U(x - k) / U(x)`` is non-decreasing in ``x`` on ``0 <= x <= n`` (exact)."""
    ratios = [binomial_cdf(n, p, x - k) / binomial_cdf(n, p, x) for x in range(n + 1)]
    return all(a <= b for a, b in zip(ratios, ratios[1:]))


def lemma6_inequality_holds(levels_a: np.ndarray, levels_b: np.ndarray, q: int, p: int) -> bool:
    """Eq. (27)-(30) of Lemma 6 for image pairs (rows of channel levels ``0..q-1``):
    ``||I - I'||_p^p <= ||I - I'||_0`` because every channel difference lies in [0, 1]."""
    diff = np.abs(levels_a.astype(np.int64) - levels_b.astype(np.int64)) / (q - 1)
    return bool(np.all((diff ** p).sum(axis=1) <= (diff > 0).sum(axis=1) + 1e-12))
