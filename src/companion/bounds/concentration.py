r"""Concentration of measure on the unit cube and the unit ball (Ding et al. 2019, Section 2).

Ding, Lui, Jin, Wang & Huang (2019), "On the sensitivity of adversarial robustness to input data
distributions", Section 2 and Appendix A. Every quantity here is for :math:`x` uniform on the
cube :math:`[0,1]^d` or on the Euclidean unit ball :math:`B^d`.

*Example 1 and Proposition A.1* (an :math:`\ell_\infty` budget :math:`\|\delta\|_\infty <
\epsilon`). With the labels :math:`y = 1[x_1 > 1/2]` the Bayes classifier is attacked exactly
where :math:`|x_1 - 1/2| < \epsilon`, so :math:`RR^* = \min(2\epsilon, 1)`. With the labels
:math:`y = 1[x^\top\mathbf 1 > d/2]` it is attacked where :math:`|S - d/2| < d\epsilon`,
:math:`S = \sum_i x_i` (the :math:`\ell_\infty` distance to the hyperplane is
:math:`|S - d/2|/\|\mathbf 1\|_1`), so :math:`RR^* = P(|S - d/2| < d\epsilon)` with :math:`S`
Irwin-Hall distributed. Its CDF is evaluated exactly (the alternating sum in integer arithmetic)
or, for large :math:`d`, by inverting the Laplace transform along the saddle-point contour,
which keeps a relative accuracy of about :math:`10^{-11}` deep in the tails.

*Theorem 2.1* (Euclidean neighbourhoods :math:`A_\epsilon = \{x : d(x, A) < \epsilon\}`). On the
cube, :math:`P(A_\epsilon) \ge \Phi(\epsilon\sqrt{2\pi} + \Phi^{-1}(P(A))) \ge 1 -
e^{-\pi\epsilon^2}` (the second step needs :math:`P(A) \ge 1/2`); on the ball,
:math:`P(B_\epsilon) \ge 1 - (1 - \delta(\epsilon))^{2d}/P(B) \ge 1 - e^{-2dC\epsilon^2}/P(B)` with
the modulus of convexity :math:`\delta(\epsilon) = 1 - \sqrt{1 - \epsilon^2/4}` of
:math:`\ell_2` and :math:`C = (2 - \sqrt3)/3`. Since :math:`(1 - \delta(\epsilon))^2 = 1 -
\epsilon^2/4`, the middle term is :math:`1 - (1 - \epsilon^2/4)^d / P(B)`.

The sets whose neighbourhoods are computed here (half-spaces, corner cubes, balls, caps) are the
test cases of the theorem; their expansions are exact where a closed form exists (caps through
the regularized incomplete beta function) and Monte Carlo estimates otherwise.
"""
from __future__ import annotations

import math
from fractions import Fraction
from numbers import Integral

import numpy as np
from scipy import special
from scipy.stats import norm

__all__ = [
    "PRINTED_VARIANCE", "UNIFORM_VARIANCE", "CONVEXITY_CONSTANT", "BEST_CONVEXITY_CONSTANT",
    "CUBE_SETS",
    "irwin_hall_cdf", "irwin_hall_sf", "irwin_hall_normal_cdf", "sample_uniform_sums",
    "coordinate_robust_error", "diagonal_robust_error", "diagonal_robust_error_normal",
    "chebyshev_bound", "subgaussian_bound", "linf_attack_linear", "robust_error_mc",
    "cube_phi_bound", "cube_exp_bound", "cube_exp_bound_sharper",
    "distance_to_sum_halfcube", "diagonal_halfspace_expansion", "cube_expansions_mc",
    "modulus_of_convexity", "convexity_ratio", "modulus_of_convexity_mc",
    "ball_bound", "ball_exp_bound", "ball_cap_measure", "cap_threshold", "cap_expansion",
    "ball_expansions", "sample_ball",
    "example2_cube", "example2_ball",
]

#: the variance the proof of Proposition A.1 writes for one coordinate, :math:`V[y_i] = 1/4`
PRINTED_VARIANCE = 0.25
#: the variance of the uniform law on :math:`[0, 1]`
UNIFORM_VARIANCE = 1.0 / 12.0
#: the constant of Theorem 2.1, :math:`C = (2 - \sqrt 3)/3 \approx 0.0893`
CONVEXITY_CONSTANT = (2.0 - math.sqrt(3.0)) / 3.0
#: the best constant in :math:`\delta(\epsilon) \ge C\epsilon^2` on :math:`(0, 2]`: the limit
#: :math:`1/8` of :math:`\delta(\epsilon)/\epsilon^2` as :math:`\epsilon \to 0` (not attained)
BEST_CONVEXITY_CONSTANT = 0.125
#: the sets of measure 1/2 in the cube whose neighbourhoods :func:`cube_expansions_mc` estimates
CUBE_SETS = ("coordinate half-space", "diagonal half-space", "corner cube",
             "corner-cube complement", "central ball")

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_EXACT_MAX_D = 200          # "auto": the exact alternating sum up to this dimension
_CONTOUR_MIN_D = 20         # the contour quadrature is accurate from this dimension on
_GL_X, _GL_W = np.polynomial.legendre.leggauss(24)


# ---------------------------------------------------------------------------- input checks
def _check_d(d, name: str = "d") -> int:
    if isinstance(d, bool) or not isinstance(d, (Integral, float)) or \
            not float(d).is_integer() or int(d) < 1:
        raise ValueError(f"{name} (the dimension) must be an integer >= 1, got {d!r}")
    return int(d)


def _bad(values: np.ndarray, ok: np.ndarray) -> list:
    return values[~ok].ravel()[:5].tolist()


def _check_eps(eps, *, upper: float | None = None, positive: bool = False,
               what: str = "eps") -> np.ndarray:
    e = np.asarray(eps, dtype=float)
    ok = np.isfinite(e) & ((e > 0) if positive else (e >= 0))
    if upper is not None:
        ok &= e <= upper
    if not np.all(ok):
        lo = "> 0" if positive else ">= 0"
        rng = f"{lo} and <= {upper:g}" if upper is not None else lo
        raise ValueError(f"{what} must be finite and {rng}; got {_bad(e, ok)}")
    return e


def _check_p(p, what: str = "p") -> np.ndarray:
    q = np.asarray(p, dtype=float)
    ok = np.isfinite(q) & (q > 0) & (q <= 1)
    if not np.all(ok):
        raise ValueError(f"{what} (a probability) must lie in (0, 1]; got {_bad(q, ok)}")
    return q


def _check_classes(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (Integral, float)) or \
            not float(k).is_integer() or int(k) < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {k!r}")
    return int(k)


def _shape_out(out: np.ndarray, like: np.ndarray):
    return out if np.ndim(like) else float(np.asarray(out).reshape(-1)[0])


# ---------------------------------------------------------------------------- Irwin-Hall law
def _cdf_exact_one(x: Fraction, d: int) -> float:
    """P(S_d <= x) from the alternating sum, in exact integer arithmetic."""
    if x <= 0:
        return 0.0
    if x >= d:
        return 1.0
    flip = x > Fraction(d, 2)
    if flip:
        x = d - x
    p, q = x.numerator, x.denominator
    total, binom = 0, 1
    for k in range(math.floor(x) + 1):
        term = binom * (p - k * q) ** d
        total += -term if k % 2 else term
        binom = binom * (d - k) // (k + 1)
    F = Fraction(total, math.factorial(d) * q ** d)
    return float(1 - F) if flip else float(F)


def _Kprime(c: np.ndarray) -> np.ndarray:
    """K'(c) for K(s) = log((e^s - 1)/s) and c < 0 (the mean of the tilted uniform law)."""
    small = np.abs(c) < 1e-4
    cs = np.where(small, -1.0, c)
    return np.where(small, 0.5 + c / 12.0, np.exp(cs) / np.expm1(cs) - 1.0 / cs)


def _Ksecond(c: np.ndarray) -> np.ndarray:
    """K''(c) for c < 0 (the variance of the tilted uniform law)."""
    small = np.abs(c) < 1e-3
    cs = np.where(small, -1.0, c)
    return np.where(small, 1.0 / 12.0 - c ** 2 / 240.0,
                    1.0 / cs ** 2 - np.exp(cs) / np.expm1(cs) ** 2)


def _cdf_contour_lower(x: np.ndarray, d: int) -> np.ndarray:
    """P(S_d <= x) for 0 < x <= d/2 by Laplace inversion on the line Re s = c < 0.

    P(S <= x) = -(1/pi) int_0^inf Re[M(c+it)^d e^{-(c+it)x} / (c+it)] dt for any c < 0, with
    M(s) = (e^s - 1)/s. The saddle point c (d K'(c) = x), kept at most -1/sigma so that the pole
    at 0 stays away, makes the integrand a smooth bump of width 1/sqrt(d K''(c)); the prefactor
    M(c)^d e^{-cx} carries the size of the tail, so the result is accurate in relative terms.
    """
    m = x / d
    lo, hi = -1.0 / m - 2.0, np.zeros_like(m)
    for _ in range(80):                       # bisection: K' increases from 0 to 1/2
        mid = (lo + hi) / 2
        above = _Kprime(mid) > m
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    c = np.minimum((lo + hi) / 2, -1.0 / math.sqrt(d / 12.0))
    T = 14.0 / np.sqrt(d * _Ksecond(c))      # |M(c+iT)/M(c)|^d ~ e^{-98}
    edges = np.linspace(0.0, 1.0, 17)
    half = (edges[1:] - edges[:-1])[:, None] / 2
    u = ((edges[:-1, None] + edges[1:, None]) / 2 + half * _GL_X[None, :]).ravel()
    w = (half * _GL_W[None, :]).ravel()
    t = T[:, None] * u[None, :]
    s = c[:, None] + 1j * t
    Mc = np.expm1(c) / c
    g = d * np.log((np.expm1(s) / s) / Mc[:, None]) - 1j * t * x[:, None]
    integral = (np.real(-np.exp(g) / s) * w[None, :]).sum(axis=1) * T / math.pi
    return np.exp(d * np.log(Mc) - c * x) * integral


def _cdf(x, d: int, method: str, exact_x=None) -> np.ndarray:
    """P(S_d <= x), vectorised; ``exact_x`` optionally gives the points as Fractions."""
    if method not in ("auto", "exact", "contour"):
        raise ValueError(f"method={method!r}; valid: 'auto', 'exact', 'contour'")
    x = np.asarray(x, dtype=float)
    if method == "auto":
        method = "exact" if d <= _EXACT_MAX_D else "contour"
    if method == "contour" and d < _CONTOUR_MIN_D:
        raise ValueError(f"method='contour' needs d >= {_CONTOUR_MIN_D}, got d={d}; "
                         "use 'exact' or 'auto'")
    flat = x.ravel()
    if method == "exact":
        fr = (list(np.asarray(exact_x, dtype=object).ravel()) if exact_x is not None
              else [Fraction(float(v)) for v in flat])
        return np.array([_cdf_exact_one(v, d) for v in fr]).reshape(x.shape)
    out = np.where(flat <= 0, 0.0, 1.0)
    inside = (flat > 0) & (flat < d)
    lower = inside & (flat <= d / 2)
    upper = inside & ~lower
    if lower.any():
        out[lower] = _cdf_contour_lower(flat[lower], d)
    if upper.any():
        out[upper] = 1.0 - _cdf_contour_lower(d - flat[upper], d)
    return np.clip(out, 0.0, 1.0).reshape(x.shape)


def irwin_hall_cdf(x, d, method: str = "auto"):
    r"""CDF of the Irwin-Hall law: :math:`P(S_d \le x)`, :math:`S_d` a sum of :math:`d` uniforms.

    Used on :doc:`/notebooks/ding-example1`.

    :math:`P(S_d \le x) = \frac{1}{d!}\sum_{k=0}^{\lfloor x\rfloor} (-1)^k \binom dk (x-k)^d` on
    :math:`[0, d]`. ``method="exact"`` evaluates this sum in exact integer arithmetic at the
    exact binary value of each float (then rounds once), which is exact for every :math:`d` but
    slow beyond a few hundred; ``"contour"`` (for :math:`d \ge 20`) inverts the Laplace transform
    :math:`((e^s - 1)/s)^d` along the saddle-point line by Gauss-Legendre quadrature, with a
    relative error of about :math:`10^{-11}` in the lower tail; ``"auto"`` takes the exact sum up
    to :math:`d = 200` and the contour beyond. Values above :math:`d/2` use the symmetry
    :math:`F(x) = 1 - F(d - x)` (see :func:`irwin_hall_sf` for small upper tails).

    Parameters
    ----------
    x : float or array_like
        Points (any real numbers; the CDF is 0 below 0 and 1 above :math:`d`).
    d : int
        The number of uniforms, at least 1.
    method : {"auto", "exact", "contour"}
        How to evaluate it (see above).

    Returns
    -------
    float or numpy.ndarray
        :math:`P(S_d \le x)`, with the shape of ``x``.

    Examples
    --------
    For :math:`d = 2` the law is triangular: :math:`F(x) = x^2/2` on :math:`[0, 1]`; for
    :math:`d = 3`, :math:`F(1) = 1/3! = 1/6`:

    >>> irwin_hall_cdf([0.5, 1.0, 1.5], 2)
    array([0.125, 0.5  , 0.875])
    >>> round(irwin_hall_cdf(1.0, 3), 12)
    0.166666666667
    """
    d = _check_d(d)
    x = np.asarray(x, dtype=float)
    if np.any(np.isnan(x)):
        raise ValueError(f"x must not be NaN; got {_bad(x, ~np.isnan(x))}")
    return _shape_out(_cdf(x, d, method), x)


def irwin_hall_sf(x, d, method: str = "auto"):
    r"""Upper tail of the Irwin-Hall law, :math:`P(S_d > x) = P(S_d < d - x)`, accurate when small.

    Parameters
    ----------
    x : float or array_like
        Points.
    d : int
        The number of uniforms, at least 1.
    method : {"auto", "exact", "contour"}
        As in :func:`irwin_hall_cdf`.

    Returns
    -------
    float or numpy.ndarray
        :math:`P(S_d > x)`, with the shape of ``x``.

    Examples
    --------
    >>> irwin_hall_sf(1.5, 2)  # (2 - 1.5)^2 / 2
    0.125
    >>> round(irwin_hall_sf(2.9, 3) * 6000, 9)  # symmetry: P(S_3 < 0.1) = 0.1^3 / 6
    1.0
    """
    d = _check_d(d)
    x = np.asarray(x, dtype=float)
    return _shape_out(_cdf(d - x, d, method), x)


def irwin_hall_normal_cdf(x, d):
    r"""The normal approximation :math:`\Phi((x - d/2)/\sqrt{d/12})` of :func:`irwin_hall_cdf`.

    Used on :doc:`/notebooks/ding-example1`.

    The law is symmetric with excess kurtosis :math:`-6/(5d)`, so the error of the approximation
    is of order :math:`1/d` (not :math:`1/\sqrt d`).

    Parameters
    ----------
    x : float or array_like
        Points.
    d : int
        The number of uniforms, at least 1.

    Returns
    -------
    float or numpy.ndarray
        The approximation, with the shape of ``x``.

    Examples
    --------
    >>> irwin_hall_normal_cdf(50.0, 100)  # the centre
    0.5
    >>> round(irwin_hall_normal_cdf(1.0 + math.sqrt(2 / 12), 2), 4)  # one sd above the mean
    0.8413
    """
    d = _check_d(d)
    x = np.asarray(x, dtype=float)
    return _shape_out(norm.cdf((x - d / 2) / math.sqrt(d / 12)), x)


def sample_uniform_sums(d, n, rng, chunk: int = 4096):
    r"""Monte Carlo draws of :math:`S_d = \sum_{i \le d} x_i`, :math:`x` uniform on the cube.

    Used on :doc:`/notebooks/ding-example1`.

    The points are drawn in blocks of ``chunk`` rows, so memory stays bounded for large ``d``.

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    n : int
        The number of draws, at least 1.
    rng : numpy.random.Generator
        The random generator.
    chunk : int
        Rows per block.

    Returns
    -------
    numpy.ndarray
        ``n`` sums.

    Examples
    --------
    >>> s = sample_uniform_sums(10, 20_000, np.random.default_rng(0))
    >>> bool(abs(s.mean() - 5) < 0.03), bool(abs(s.var() - 10 / 12) < 0.03)
    (True, True)
    """
    d, n = _check_d(d), _check_d(n, "n")
    return np.concatenate([rng.random((min(chunk, n - i), d)).sum(axis=1)
                           for i in range(0, n, chunk)])


# ---------------------------------------------------------------------------- Example 1
def coordinate_robust_error(eps):
    r"""Example 1, first boundary: :math:`RR^* = \min(2\epsilon, 1)` for :math:`y = 1[x_1 > 1/2]`.

    Used on :doc:`/notebooks/ding-example1`, :doc:`/notebooks/ding-theorem21`.

    The Bayes classifier is attacked under :math:`\|\delta\|_\infty < \epsilon` exactly when
    :math:`|x_1 - 1/2| < \epsilon`, a slab of width :math:`2\epsilon`, whatever :math:`d`.

    Parameters
    ----------
    eps : float or array_like
        Budgets :math:`\epsilon \ge 0`.

    Returns
    -------
    float or numpy.ndarray
        The robust error of the Bayes classifier, with the shape of ``eps``.

    Examples
    --------
    >>> coordinate_robust_error([0.0, 0.1, 0.3, 0.7])
    array([0. , 0.2, 0.6, 1. ])
    """
    e = _check_eps(eps)
    return _shape_out(np.minimum(2 * e, 1.0), e)


def diagonal_robust_error(d, eps, method: str = "auto", tail: bool = False):
    r"""Proposition A.1: :math:`RR^* = P(|S_d - d/2| < d\epsilon)` for :math:`y = 1[S_d > d/2]`.

    Used on :doc:`/notebooks/ding-example1`.

    A point with :math:`S_d > d/2` is attacked iff some :math:`\|\delta\|_\infty < \epsilon`
    brings :math:`S_d + \sum_i\delta_i` to :math:`d/2` or below; the sum of :math:`\delta` ranges
    over the open interval :math:`(-d\epsilon, d\epsilon)`, so iff :math:`S_d - d/2 < d\epsilon`;
    symmetrically below. Strict or not, the probability is the same (:math:`S_d` has a density):
    :math:`RR^* = 1 - 2F_d(d(1/2 - \epsilon))`, computed with ``d(1/2 - eps)`` formed exactly.

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : float or array_like
        Budgets :math:`\epsilon \ge 0` (from :math:`1/2` on, :math:`RR^* = 1`).
    method : {"auto", "exact", "contour"}
        As in :func:`irwin_hall_cdf`.
    tail : bool
        Return :math:`1 - RR^* = 2F_d(d(1/2 - \epsilon))` instead (accurate when tiny).

    Returns
    -------
    float or numpy.ndarray
        :math:`RR^*` (or its complement), with the shape of ``eps``.

    Examples
    --------
    For :math:`d = 1` both boundaries coincide (:math:`2\epsilon`); for :math:`d = 2`,
    :math:`1 - RR^* = (1 - 2\epsilon)^2`:

    >>> round(diagonal_robust_error(1, 0.1), 12), round(diagonal_robust_error(2, 0.1), 12)
    (0.2, 0.36)
    >>> diagonal_robust_error(2, 0.25, tail=True)
    0.25
    """
    d = _check_d(d)
    e = _check_eps(eps)
    flat = e.ravel()
    x = np.maximum(d * (0.5 - flat), 0.0)
    exact_x = [max(d * (Fraction(1, 2) - Fraction(float(v))), Fraction(0)) for v in flat]
    t = 2.0 * _cdf(x, d, method, exact_x=exact_x)
    out = (t if tail else 1.0 - t).reshape(e.shape)
    return _shape_out(out, e)


def diagonal_robust_error_normal(d, eps, tail: bool = False):
    r"""The normal approximation of :func:`diagonal_robust_error`: :math:`2\Phi(\epsilon
    \sqrt{12 d}) - 1`.

    Used on :doc:`/notebooks/ding-example1`.

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : float or array_like
        Budgets :math:`\epsilon \ge 0`.
    tail : bool
        Return the complement :math:`2\bar\Phi(\epsilon\sqrt{12d})` instead.

    Returns
    -------
    float or numpy.ndarray
        The approximation, with the shape of ``eps``.

    Examples
    --------
    >>> round(diagonal_robust_error_normal(12, 1 / 12), 4)  # 2 Phi(1) - 1
    0.6827
    """
    d = _check_d(d)
    e = _check_eps(eps)
    t = 2.0 * norm.sf(e * math.sqrt(12.0 * d))
    return _shape_out(t if tail else 1.0 - t, e)


def chebyshev_bound(d, eps, variance: float = PRINTED_VARIANCE, tail: bool = False):
    r"""Chebyshev's lower bound on :math:`RR^*` of Proposition A.1: :math:`1 - \sigma^2/(d
    \epsilon^2)`.

    Used on :doc:`/notebooks/ding-example1`.

    :math:`P(|S_d - d/2| \ge d\epsilon) \le d\sigma^2/(d\epsilon)^2` with :math:`\sigma^2` the
    variance of one coordinate: the printed bound :math:`1 - 1/(4d\epsilon^2)` takes
    :math:`\sigma^2 = 1/4` (:data:`PRINTED_VARIANCE`, the largest variance of a
    :math:`[0,1]`-valued variable); the uniform law has :math:`1/12` (:data:`UNIFORM_VARIANCE`).
    Returned as computed: negative (vacuous) when :math:`d\epsilon^2 < \sigma^2`.

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : float or array_like
        Budgets :math:`\epsilon > 0`.
    variance : float
        :math:`\sigma^2 > 0`.
    tail : bool
        Return the cap :math:`\sigma^2/(d\epsilon^2)` on :math:`1 - RR^*` instead.

    Returns
    -------
    float or numpy.ndarray
        The bound (or the cap), with the shape of ``eps``.

    Examples
    --------
    >>> chebyshev_bound(100, 0.1)  # printed: 1 - 1/(4 * 100 * 0.01)
    0.75
    >>> round(chebyshev_bound(100, 0.1, variance=UNIFORM_VARIANCE), 6)
    0.916667
    """
    d = _check_d(d)
    e = _check_eps(eps, positive=True)
    if not (variance > 0 and math.isfinite(variance)):
        raise ValueError(f"variance must be finite and > 0, got {variance!r}")
    cap = variance / (d * e ** 2)
    return _shape_out(cap if tail else 1.0 - cap, e)


def subgaussian_bound(d, eps, proxy: float = PRINTED_VARIANCE, tail: bool = False):
    r"""Sub-Gaussian (Hoeffding-type) lower bound :math:`1 - 2e^{-d\epsilon^2/(2v)}` on
    :math:`RR^*` of Proposition A.1.

    Used on :doc:`/notebooks/ding-example1`.

    If each centred coordinate satisfies :math:`E e^{\lambda(x_i - 1/2)} \le e^{v\lambda^2/2}`,
    then :math:`P(|S_d - d/2| \ge d\epsilon) \le 2e^{-d\epsilon^2/(2v)}`. Hoeffding's lemma
    gives :math:`v = 1/4` for any :math:`[0, 1]`-valued variable (the bound
    :math:`1 - 2e^{-2d\epsilon^2}`); the uniform law is strictly sub-Gaussian,
    :math:`\sinh(u)/u \le e^{u^2/6}`, so :math:`v = 1/12` also holds (:math:`1 -
    2e^{-6d\epsilon^2}`).

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : float or array_like
        Budgets :math:`\epsilon \ge 0`.
    proxy : float
        The variance proxy :math:`v > 0`.
    tail : bool
        Return the cap :math:`2e^{-d\epsilon^2/(2v)}` on :math:`1 - RR^*` instead (no
        cancellation when it is tiny).

    Returns
    -------
    float or numpy.ndarray
        The bound (negative when vacuous), with the shape of ``eps``.

    Examples
    --------
    >>> round(subgaussian_bound(100, 0.1), 6)  # Hoeffding: 1 - 2 e^{-2}
    0.729329
    >>> round(subgaussian_bound(100, 0.1, proxy=UNIFORM_VARIANCE), 6)  # 1 - 2 e^{-6}
    0.995042
    >>> f"{subgaussian_bound(784, 0.1, UNIFORM_VARIANCE, tail=True):.3e}"  # 2 e^{-47.04}
    '7.444e-21'
    """
    d = _check_d(d)
    e = _check_eps(eps)
    if not (proxy > 0 and math.isfinite(proxy)):
        raise ValueError(f"proxy must be finite and > 0, got {proxy!r}")
    cap = 2.0 * np.exp(-d * e ** 2 / (2.0 * proxy))
    return _shape_out(cap if tail else 1.0 - cap, e)


def linf_attack_linear(x, w, b, eps, box: bool = False, shrink: float = 1e-12):
    r"""The worst-case :math:`\ell_\infty` attack on :math:`h(x) = 1[w^\top x > b]`: success flags.

    Used on :doc:`/notebooks/ding-example1`.

    Each point keeps its own label :math:`y = h(x)` (the Bayes classifier of Example 1 is right
    everywhere) and is moved to :math:`x' = x - (2y - 1)\,\epsilon'\operatorname{sign}(w)` with
    :math:`\epsilon' = \epsilon(1 - \text{shrink})` just inside the open budget; the attack
    succeeds when :math:`h(x') \ne y`. No other :math:`\delta` in the budget moves
    :math:`w^\top x` further, so this decides :math:`\max_\delta L` exactly (up to the
    measure-zero shell that ``shrink`` leaves out). With ``box=True`` the perturbed point is
    clipped to :math:`[0, 1]^d` (the attack then stays optimal, coordinate by coordinate).

    Parameters
    ----------
    x : array_like
        Points, shape ``(n, d)``.
    w : array_like
        Normal vector, shape ``(d,)``.
    b : float
        Offset.
    eps : float
        The budget :math:`\epsilon \ge 0`.
    box : bool
        Clip the perturbed points to the cube.
    shrink : float
        Relative amount by which the step stays inside the open budget.

    Returns
    -------
    numpy.ndarray
        Boolean success flags, shape ``(n,)``.

    Examples
    --------
    >>> x = np.array([[0.55, 0.2], [0.45, 0.9], [0.9, 0.9]])
    >>> linf_attack_linear(x, [1.0, 0.0], 0.5, 0.1)
    array([ True,  True, False])
    """
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    e = float(_check_eps(eps))
    y = x @ w > b
    step = (2 * y[:, None] - 1) * (e * (1 - shrink)) * np.sign(w)[None, :]
    xp = x - step
    if box:
        xp = np.clip(xp, 0.0, 1.0)
    return (xp @ w > b) != y


def robust_error_mc(d, eps, n, rng, boundary: str = "diagonal", box: bool = False,
                    chunk: int = 4096):
    r"""Monte Carlo :math:`RR^*` of Example 1 by the attack of :func:`linf_attack_linear`.

    Used on :doc:`/notebooks/ding-example1`.

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : array_like
        Budgets :math:`\epsilon \ge 0`.
    n : int
        The number of points, drawn uniformly on :math:`[0, 1]^d` in blocks of ``chunk``.
    rng : numpy.random.Generator
        The random generator.
    boundary : {"diagonal", "coordinate"}
        The labels :math:`1[x^\top\mathbf 1 > d/2]` or :math:`1[x_1 > 1/2]`.
    box : bool
        Keep the perturbed points in the cube.
    chunk : int
        Rows per block.

    Returns
    -------
    estimate, se : numpy.ndarray
        The fraction of points attacked and its standard error, one per budget.

    Examples
    --------
    >>> est, se = robust_error_mc(3, [0.1], 20_000, np.random.default_rng(1), "coordinate")
    >>> bool(abs(est[0] - 0.2) < 4 * se[0])
    True
    """
    d, n = _check_d(d), _check_d(n, "n")
    e = np.atleast_1d(_check_eps(eps))
    if boundary == "diagonal":
        w, b = np.ones(d), d / 2
    elif boundary == "coordinate":
        w, b = np.eye(d)[0], 0.5
    else:
        raise ValueError(f"boundary={boundary!r}; valid: 'diagonal', 'coordinate'")
    hits = np.zeros(e.size)
    for i in range(0, n, chunk):
        x = rng.random((min(chunk, n - i), d))
        hits += [linf_attack_linear(x, w, b, ej, box=box).sum() for ej in e]
    p = hits / n
    return p, np.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------------------- Theorem 2.1, cube
def cube_phi_bound(eps, p):
    r"""Theorem 2.1, Eq. (1), first inequality: :math:`P(A_\epsilon) \ge \Phi(\epsilon\sqrt{2\pi}
    + \Phi^{-1}(P(A)))` on the cube.

    Used on :doc:`/notebooks/ding-theorem21`.

    Gaussian isoperimetry carried to the cube by :math:`T(z) = (\Phi(z_i))_i`, which is
    :math:`1/\sqrt{2\pi}`-Lipschitz. It holds for every :math:`P(A) \in (0, 1]`; the theorem's
    condition :math:`P(A) \ge 1/2` is only needed for the second inequality.

    Parameters
    ----------
    eps : float or array_like
        Euclidean radii :math:`\epsilon \ge 0`.
    p : float or array_like
        :math:`P(A) \in (0, 1]` (broadcast against ``eps``).

    Returns
    -------
    float or numpy.ndarray
        The lower bound, with the broadcast shape.

    Examples
    --------
    At :math:`P(A) = 1/2` it is :math:`\Phi(\epsilon\sqrt{2\pi})`, whose slope at 0 is
    :math:`\sqrt{2\pi}\,\phi(0) = 1`, the slope of :math:`1/2 + \epsilon` (a half-space):

    >>> cube_phi_bound(0.0, 0.5), round(cube_phi_bound(1e-4, 0.5) - 0.5, 8)
    (0.5, 0.0001)
    """
    e = _check_eps(eps)
    q = _check_p(p)
    out = norm.cdf(_SQRT_2PI * e + norm.ppf(q))
    return out if np.ndim(out) else float(out)


def cube_exp_bound(eps):
    r"""Theorem 2.1, Eq. (1), second inequality: :math:`P(A_\epsilon) \ge 1 - e^{-\pi\epsilon^2}`.

    Used on :doc:`/notebooks/ding-theorem21`.

    From :math:`\Phi(x) \ge 1 - e^{-x^2/2}` at :math:`x = \epsilon\sqrt{2\pi}` (for
    :math:`P(A) \ge 1/2`). It is below the trivial :math:`P(A_\epsilon) \ge P(A) \ge 1/2` for
    :math:`\epsilon < \sqrt{\log 2/\pi} \approx 0.47`.

    Parameters
    ----------
    eps : float or array_like
        Euclidean radii :math:`\epsilon \ge 0`.

    Returns
    -------
    float or numpy.ndarray
        The lower bound, with the shape of ``eps``.

    Examples
    --------
    >>> round(cube_exp_bound(1.0), 6)  # 1 - e^{-pi}
    0.956786
    """
    e = _check_eps(eps)
    return _shape_out(-np.expm1(-math.pi * e ** 2), e)


def cube_exp_bound_sharper(eps):
    r"""The sharper :math:`1 - e^{-\pi\epsilon^2}/2` (from :math:`\bar\Phi(x) \le e^{-x^2/2}/2`,
    :math:`x \ge 0`).

    Used on :doc:`/notebooks/ding-theorem21`.

    Parameters
    ----------
    eps : float or array_like
        Euclidean radii :math:`\epsilon \ge 0`.

    Returns
    -------
    float or numpy.ndarray
        The lower bound (at least 1/2), with the shape of ``eps``.

    Examples
    --------
    >>> cube_exp_bound_sharper(0.0)
    0.5
    """
    e = _check_eps(eps)
    return _shape_out(1.0 - 0.5 * np.exp(-math.pi * e ** 2), e)


def distance_to_sum_halfcube(x, level):
    r"""Euclidean distance from points of the cube to :math:`\{z \in [0,1]^d : \sum_i z_i \le
    \text{level}\}`.

    Used on :doc:`/notebooks/ding-theorem21`.

    The projection is :math:`z_i = \max(x_i - \lambda, 0)` with :math:`\lambda` such that
    :math:`\sum_i \min(x_i, \lambda) = \sum_i x_i - \text{level}` (water filling, solved exactly
    after sorting each row); the distance is :math:`(\sum_i \min(x_i, \lambda)^2)^{1/2}`. It is at
    least the distance :math:`(\sum_i x_i - \text{level})/\sqrt d` to the hyperplane, with
    equality when no coordinate is below :math:`\lambda`.

    Parameters
    ----------
    x : array_like
        Points of :math:`[0, 1]^d`, shape ``(n, d)``.
    level : float
        The level, in :math:`[0, d]`.

    Returns
    -------
    numpy.ndarray
        The distances, shape ``(n,)`` (0 for points already in the set).

    Examples
    --------
    From :math:`(1, 1)` to the triangle :math:`z_1 + z_2 \le 1` the nearest point is
    :math:`(1/2, 1/2)`; from :math:`(1, 0)` to :math:`\{z_1 + z_2 \le 0.5\}` it is
    :math:`(1/2, 0)`, not the foot :math:`(3/4, -1/4)` of the hyperplane's normal:

    >>> distance_to_sum_halfcube([[1.0, 1.0], [1.0, 0.0]], 1.0).round(6)  # (1, 0) is in it
    array([0.707107, 0.      ])
    >>> distance_to_sum_halfcube([[1.0, 0.0]], 0.5)  # the hyperplane is at 0.354
    array([0.5])
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n, d = x.shape
    if not (0 <= level <= d):
        raise ValueError(f"level must lie in [0, d] = [0, {d}], got {level!r}")
    if np.any((x < 0) | (x > 1)):
        raise ValueError("x must lie in the cube [0, 1]^d")
    out = np.zeros(n)
    D = x.sum(axis=1) - level
    need = D > 0
    if not need.any():
        return out
    xs = np.sort(x[need], axis=1)
    Dn = D[need]
    c1, c2 = np.cumsum(xs, axis=1), np.cumsum(xs ** 2, axis=1)
    k = np.arange(1, d + 1)
    g = c1 + (d - k)[None, :] * xs           # sum_i min(x_i, x_(k)), increasing in k
    kk = (g <= Dn[:, None]).sum(axis=1)      # coordinates entirely removed
    rows = np.arange(kk.size)
    full = kk == d
    kc = np.minimum(kk, d - 1)
    c1k = np.where(kk > 0, c1[rows, np.maximum(kk - 1, 0)], 0.0)
    c2k = np.where(kk > 0, c2[rows, np.maximum(kk - 1, 0)], 0.0)
    lam = (Dn - c1k) / (d - kc)
    dist2 = np.where(full, c2[:, -1], c2k + (d - kc) * lam ** 2)
    out[need] = np.sqrt(dist2)
    return out


def diagonal_halfspace_expansion(d, eps, method: str = "auto"):
    r""":math:`P(S_d < d/2 + \epsilon\sqrt d)`: the cube's share of the
    :math:`\epsilon`-neighbourhood of the half-space :math:`\{x^\top\mathbf 1 < d/2\}` of
    :math:`\mathbb R^d`.

    Used on :doc:`/notebooks/ding-theorem21`.

    It is an upper bound on :math:`P(A_\epsilon)` for the set :math:`A = \{x \in [0,1]^d :
    x^\top\mathbf 1 < d/2\}` itself, whose points can be farther than the hyperplane
    (:func:`distance_to_sum_halfcube`); the two agree to :math:`O(\epsilon/\sqrt d)`.

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : float or array_like
        Euclidean radii :math:`\epsilon \ge 0`.
    method : {"auto", "exact", "contour"}
        As in :func:`irwin_hall_cdf`.

    Returns
    -------
    float or numpy.ndarray
        The probability, with the shape of ``eps``.

    Examples
    --------
    For :math:`d = 1` it is the interval :math:`x < 1/2 + \epsilon`:

    >>> diagonal_halfspace_expansion(1, 0.25)
    0.75
    """
    d = _check_d(d)
    e = _check_eps(eps)
    return _shape_out(1.0 - _cdf(d / 2 - e * math.sqrt(d), d, method), e)


def cube_expansions_mc(d, eps, n, rng, chunk: int = 4096) -> dict:
    r"""Monte Carlo :math:`P(A_\epsilon)` on the cube for the sets :data:`CUBE_SETS`.

    Used on :doc:`/notebooks/ding-theorem21`.

    The sets, each of measure :math:`1/2` (the central ball about :math:`0.52`), and
    the distance from a point :math:`x` of the cube to each:

    - coordinate half-space :math:`\{x_1 < 1/2\}`: :math:`(x_1 - 1/2)_+`; exactly
      :math:`P(A_\epsilon) = \min(1/2 + \epsilon, 1)`;
    - diagonal half-space :math:`\{\sum_i x_i < d/2\}`: :func:`distance_to_sum_halfcube`;
    - corner cube :math:`[0, a]^d`, :math:`a = 2^{-1/d}`: :math:`\|(x - a)_+\|_2`;
    - its complement: :math:`(\min_i(a - x_i))_+`; exactly :math:`1 - (a - \epsilon)_+^d`;
    - central ball :math:`\{\|x - c\|_2 < r\}`, :math:`c = (1/2, \dots)`, :math:`r` the 0.52
      quantile of :math:`\|x - c\|` in a pilot sample (so that :math:`P(A) \ge 1/2` with high
      probability): :math:`(\|x - c\| - r)_+` (the nearest point lies on the segment to
      :math:`c`, inside the cube).

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : array_like
        Euclidean radii :math:`\epsilon \ge 0`.
    n : int
        Points drawn uniformly on the cube (plus a pilot sample of ``min(n, 20000)`` for the
        radius of the central ball).
    rng : numpy.random.Generator
        The random generator.
    chunk : int
        Rows per block.

    Returns
    -------
    dict
        For each name of :data:`CUBE_SETS`: ``p`` (measure), ``p_se``, ``expansion``
        (:math:`P(A_\epsilon)` per radius), ``se``, and ``exact`` (closed form or ``None``).

    Examples
    --------
    >>> r = cube_expansions_mc(5, [0.1], 20_000, np.random.default_rng(0))
    >>> half = r["coordinate half-space"]
    >>> bool(abs(half["expansion"][0] - 0.6) < 4 * half["se"][0]), half["exact"].tolist()
    (True, [0.6])
    """
    d, n = _check_d(d), _check_d(n, "n")
    e = np.atleast_1d(_check_eps(eps))
    a = 2.0 ** (-1.0 / d)
    pilot = rng.random((min(n, 20_000), d))
    r = float(np.quantile(np.linalg.norm(pilot - 0.5, axis=1), 0.52))
    inside = dict.fromkeys(CUBE_SETS, 0)
    hits = {name: np.zeros(e.size) for name in CUBE_SETS}
    for i in range(0, n, chunk):
        x = rng.random((min(chunk, n - i), d))
        radius = np.linalg.norm(x - 0.5, axis=1)
        dist = {
            "coordinate half-space": np.maximum(x[:, 0] - 0.5, 0.0),
            "diagonal half-space": distance_to_sum_halfcube(x, d / 2),
            "corner cube": np.linalg.norm(np.maximum(x - a, 0.0), axis=1),
            "corner-cube complement": np.maximum((a - x).min(axis=1), 0.0),
            "central ball": np.maximum(radius - r, 0.0),
        }
        members = {"coordinate half-space": x[:, 0] < 0.5,
                   "diagonal half-space": x.sum(axis=1) < d / 2,
                   "corner cube": (x <= a).all(axis=1),
                   "corner-cube complement": ~(x <= a).all(axis=1),
                   "central ball": radius < r}
        for name in CUBE_SETS:
            inside[name] += int(members[name].sum())
            hits[name] += (dist[name][:, None] < e[None, :]).sum(axis=0)
    exact = {"coordinate half-space": np.minimum(0.5 + e, 1.0),
             "corner-cube complement": 1.0 - np.maximum(a - e, 0.0) ** d}
    out = {}
    for name in CUBE_SETS:
        p, q = inside[name] / n, hits[name] / n
        out[name] = dict(p=p, p_se=math.sqrt(p * (1 - p) / n), expansion=q,
                         se=np.sqrt(q * (1 - q) / n), exact=exact.get(name))
    return out


# ---------------------------------------------------------------------------- Theorem 2.1, ball
def modulus_of_convexity(eps):
    r"""The modulus of convexity of :math:`\ell_2`: :math:`\delta(\epsilon) = 1 - \sqrt{1 -
    \epsilon^2/4}`, :math:`0 \le \epsilon \le 2`.

    Used on :doc:`/notebooks/ding-theorem21`.

    :math:`\inf\{1 - \|(x+y)/2\| : \|x\| = \|y\| = 1, \|x - y\| \ge \epsilon\}`; by the
    parallelogram law :math:`\|(x+y)/2\|^2 = 1 - \|x-y\|^2/4`. Computed as
    :math:`(\epsilon^2/4)/(1 + \sqrt{1 - \epsilon^2/4})` (no cancellation at small
    :math:`\epsilon`).

    Parameters
    ----------
    eps : float or array_like
        :math:`\epsilon \in [0, 2]` (the diameter of the unit ball is 2).

    Returns
    -------
    float or numpy.ndarray
        :math:`\delta(\epsilon)`, with the shape of ``eps``.

    Examples
    --------
    >>> modulus_of_convexity([0.0, 2.0])
    array([0., 1.])
    >>> round(modulus_of_convexity(1.0), 6)  # 1 - sqrt(3)/2
    0.133975
    """
    e = _check_eps(eps, upper=2.0)
    u = e ** 2 / 4
    return _shape_out(u / (1 + np.sqrt(1 - u)), e)


def convexity_ratio(eps):
    r""":math:`\delta(\epsilon)/\epsilon^2 = 1/(4(1 + \sqrt{1 - \epsilon^2/4}))` on :math:`(0, 2]`.

    Used on :doc:`/notebooks/ding-theorem21`.

    It increases from :math:`1/8` (the limit at 0, :data:`BEST_CONVEXITY_CONSTANT`) to
    :math:`1/4` at :math:`\epsilon = 2`, so :math:`\delta(\epsilon) \ge C\epsilon^2` on
    :math:`(0, 2]` exactly for :math:`C \le 1/8`.

    Parameters
    ----------
    eps : float or array_like
        :math:`\epsilon \in (0, 2]`.

    Returns
    -------
    float or numpy.ndarray
        The ratio, with the shape of ``eps``.

    Examples
    --------
    >>> convexity_ratio(2.0), round(convexity_ratio(1e-6), 9)
    (0.25, 0.125)
    """
    e = _check_eps(eps, upper=2.0, positive=True)
    return _shape_out(1.0 / (4.0 * (1.0 + np.sqrt(1.0 - e ** 2 / 4))), e)


def modulus_of_convexity_mc(eps, n, d, rng):
    r"""The infimum defining :math:`\delta(\epsilon)`, over ``n`` random pairs of unit vectors.

    Used on :doc:`/notebooks/ding-theorem21`.

    For each :math:`\epsilon`, the smallest :math:`1 - \|(x+y)/2\|` among the pairs with
    :math:`\|x - y\| \ge \epsilon`: an upper estimate of :math:`\delta(\epsilon)` that approaches
    it as pairs with :math:`\|x - y\|` just above :math:`\epsilon` are drawn.

    Parameters
    ----------
    eps : array_like
        :math:`\epsilon \in [0, 2]`.
    n : int
        Pairs drawn uniformly on the unit sphere of :math:`\mathbb R^d`.
    d : int
        The dimension, at least 2.
    rng : numpy.random.Generator
        The random generator.

    Returns
    -------
    numpy.ndarray
        One value per :math:`\epsilon` (NaN where no pair is that far apart).

    Examples
    --------
    >>> est = modulus_of_convexity_mc([0.5, 1.0], 20_000, 2, np.random.default_rng(0))
    >>> bool(np.all(est >= modulus_of_convexity([0.5, 1.0]) - 1e-12))
    True
    """
    e = np.atleast_1d(_check_eps(eps, upper=2.0))
    n, d = _check_d(n, "n"), _check_d(d)
    if d < 2:
        raise ValueError(f"d must be >= 2 for pairs of distinct unit vectors, got {d}")
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    dist = np.linalg.norm(x - y, axis=1)
    gap = 1.0 - np.linalg.norm((x + y) / 2, axis=1)
    order = np.argsort(dist)
    dist, gap = dist[order], gap[order]
    suffix_min = np.minimum.accumulate(gap[::-1])[::-1]
    idx = np.searchsorted(dist, e, side="left")
    return np.where(idx < n, suffix_min[np.minimum(idx, n - 1)], np.nan)


def ball_bound(eps, p, d):
    r"""Theorem 2.1, Eq. (2), first inequality: :math:`P(B_\epsilon) \ge 1 - (1 -
    \delta(\epsilon))^{2d}/P(B) = 1 - (1 - \epsilon^2/4)^d/P(B)`.

    Used on :doc:`/notebooks/ding-theorem21`.

    From uniform convexity and Brunn-Minkowski (Gromov-Milman; Eq. (2.25) of Ledoux): two sets
    at distance :math:`\epsilon` have midpoints in :math:`(1 - \delta(\epsilon))B^d`, so
    :math:`P(B)(1 - P(B_\epsilon)) \le (1 - \delta(\epsilon))^{2d}`. It holds for every
    :math:`P(B) > 0`. Returned as computed (negative when vacuous).

    Parameters
    ----------
    eps : float or array_like
        Euclidean radii :math:`\epsilon \in [0, 2]`.
    p : float or array_like
        :math:`P(B) \in (0, 1]`.
    d : int
        The dimension, at least 1.

    Returns
    -------
    float or numpy.ndarray
        The lower bound, with the broadcast shape of ``eps`` and ``p``.

    Examples
    --------
    >>> ball_bound(2.0, 0.5, 3), ball_bound(1.0, 0.5, 1)  # 1 - 2 (3/4)
    (1.0, -0.5)
    """
    e = _check_eps(eps, upper=2.0)
    q = _check_p(p)
    d = _check_d(d)
    with np.errstate(divide="ignore"):
        tail = np.exp(d * np.log1p(-e ** 2 / 4))
    out = 1.0 - tail / q
    return out if np.ndim(out) else float(out)


def ball_exp_bound(eps, p, d, C: float = CONVEXITY_CONSTANT):
    r"""Theorem 2.1, Eq. (2), second inequality: :math:`1 - e^{-2dC\epsilon^2}/P(B)`.

    Used on :doc:`/notebooks/ding-theorem21`.

    From :math:`1 - \delta \le e^{-\delta}` and :math:`\delta(\epsilon) \ge C\epsilon^2`, valid
    for :math:`C \le 1/8`; the printed :math:`C = (2 - \sqrt3)/3` is the default.

    Parameters
    ----------
    eps : float or array_like
        Euclidean radii :math:`\epsilon \in [0, 2]`.
    p : float or array_like
        :math:`P(B) \in (0, 1]`.
    d : int
        The dimension, at least 1.
    C : float
        The constant, :math:`C > 0`.

    Returns
    -------
    float or numpy.ndarray
        The lower bound, with the broadcast shape.

    Examples
    --------
    >>> round(ball_exp_bound(1.0, 1.0, 10, C=BEST_CONVEXITY_CONSTANT), 6)  # 1 - e^{-10/4}
    0.917915
    """
    e = _check_eps(eps, upper=2.0)
    q = _check_p(p)
    d = _check_d(d)
    if not (C > 0 and math.isfinite(C)):
        raise ValueError(f"C must be finite and > 0, got {C!r}")
    out = 1.0 - np.exp(-2.0 * d * C * e ** 2) / q
    return out if np.ndim(out) else float(out)


def ball_cap_measure(s, d):
    r"""Measure of the cap :math:`\{x \in B^d : x_1 > s\}` under the uniform law on the ball.

    Used on :doc:`/notebooks/ding-theorem21`.

    :math:`x_1^2` has the Beta :math:`(1/2, (d+1)/2)` law, so for :math:`s \ge 0` the cap has
    measure :math:`\tfrac12 I_{1 - s^2}((d+1)/2, 1/2)` (regularized incomplete beta), and
    :math:`1 -` that of :math:`-s` for :math:`s < 0`. For :math:`d = 2` it is the circular
    segment :math:`(\arccos s - s\sqrt{1 - s^2})/\pi`.

    Parameters
    ----------
    s : float or array_like
        Thresholds (clipped to :math:`[-1, 1]`).
    d : int
        The dimension, at least 1.

    Returns
    -------
    float or numpy.ndarray
        :math:`P(x_1 > s)`, with the shape of ``s``.

    Examples
    --------
    >>> ball_cap_measure([-1.0, 0.0, 1.0], 5)
    array([1. , 0.5, 0. ])
    >>> round(ball_cap_measure(0.5, 1), 12)  # a segment of [-1, 1]
    0.25
    """
    d = _check_d(d)
    s = np.asarray(s, dtype=float)
    if np.any(np.isnan(s)):
        raise ValueError(f"s must not be NaN; got {_bad(s, ~np.isnan(s))}")
    a = np.clip(np.abs(s), 0.0, 1.0)
    half = 0.5 * special.betainc((d + 1) / 2, 0.5, 1.0 - a ** 2)
    return _shape_out(np.where(s >= 0, half, 1.0 - half), s)


def cap_threshold(p, d):
    r"""The threshold :math:`t \ge 0` with :math:`P(x_1 \le t) = p` on the ball, :math:`p \ge 1/2`.

    Parameters
    ----------
    p : float or array_like
        Measures in :math:`[1/2, 1]`.
    d : int
        The dimension, at least 1.

    Returns
    -------
    float or numpy.ndarray
        The thresholds, with the shape of ``p``.

    Examples
    --------
    >>> cap_threshold(0.5, 7), round(cap_threshold(0.75, 1), 12)  # d = 1: x_1 uniform on [-1, 1]
    (0.0, 0.5)
    """
    d = _check_d(d)
    q = _check_p(p)
    if np.any(q < 0.5):
        raise ValueError(f"p must be at least 1/2 here (t >= 0); got {_bad(q, q >= 0.5)}")
    u = special.betaincinv((d + 1) / 2, 0.5, 2.0 * (1.0 - q))
    return _shape_out(np.sqrt(np.clip(1.0 - u, 0.0, 1.0)), q)


def cap_expansion(t, eps, d):
    r""":math:`P(B_\epsilon)` for the cap :math:`B = \{x \in B^d : x_1 \le t\}`, :math:`t \ge 0`.

    Used on :doc:`/notebooks/ding-theorem21`.

    For :math:`x_1 > t \ge 0` the nearest point of :math:`B` is :math:`(t, x_2, \dots, x_d)`,
    inside the ball, so :math:`B_\epsilon = \{x_1 < t + \epsilon\}` and :math:`P(B_\epsilon) = 1 -`
    :func:`ball_cap_measure` of :math:`t + \epsilon`.

    Parameters
    ----------
    t : float
        The threshold, in :math:`[0, 1]`.
    eps : float or array_like
        Radii :math:`\epsilon \ge 0`.
    d : int
        The dimension, at least 1.

    Returns
    -------
    float or numpy.ndarray
        :math:`P(B_\epsilon)`, with the shape of ``eps``.

    Examples
    --------
    >>> cap_expansion(0.0, 0.5, 1)  # d = 1: [-1, 0] grows to [-1, 0.5)
    0.75
    """
    if not (0 <= t <= 1):
        raise ValueError(f"t must lie in [0, 1], got {t!r}")
    e = _check_eps(eps)
    return _shape_out(1.0 - np.asarray(ball_cap_measure(t + e, d)), e)


def ball_expansions(d, eps) -> dict:
    r"""Exact :math:`(P(B), P(B_\epsilon))` for test sets of the unit ball of measure at least 1/2.

    Used on :doc:`/notebooks/ding-theorem21`.

    - ``"half-ball"``: the cap :math:`x_1 \le 0`; ``"cap, P = 3/4"`` and ``"cap, P = 0.9"``:
      caps :math:`x_1 \le t` (:func:`cap_threshold`); neighbourhoods by :func:`cap_expansion`;
    - ``"inner ball"``: :math:`\|x\| \le r`, :math:`r = 2^{-1/d}`, of measure :math:`r^d = 1/2`;
      :math:`P(B_\epsilon) = \min((r + \epsilon)^d, 1)`;
    - ``"outer shell"``: :math:`r \le \|x\| \le 1`; :math:`P(B_\epsilon) = 1 - (r -
      \epsilon)_+^d`.

    Parameters
    ----------
    d : int
        The dimension, at least 1.
    eps : array_like
        Radii :math:`\epsilon \in [0, 2]`.

    Returns
    -------
    dict
        Set name -> ``(P(B), P(B_eps) as an array)``.

    Examples
    --------
    >>> sets = ball_expansions(2, [0.5])
    >>> round(sets["inner ball"][0], 12), round(float(sets["outer shell"][1][0]), 4)
    (0.5, 0.9571)
    """
    d = _check_d(d)
    e = np.atleast_1d(_check_eps(eps, upper=2.0))
    r = 2.0 ** (-1.0 / d)
    out = {"half-ball": (0.5, np.asarray(cap_expansion(0.0, e, d)))}
    for label, p in (("cap, P = 3/4", 0.75), ("cap, P = 0.9", 0.9)):
        t = float(cap_threshold(p, d))
        out[label] = (1.0 - float(ball_cap_measure(t, d)), np.asarray(cap_expansion(t, e, d)))
    out["inner ball"] = (r ** d, np.minimum(r + e, 1.0) ** d)
    out["outer shell"] = (1.0 - r ** d, 1.0 - np.maximum(r - e, 0.0) ** d)
    return out


def sample_ball(n, d, rng):
    r"""Points drawn uniformly on the Euclidean unit ball :math:`B^d`.

    Used on :doc:`/notebooks/ding-theorem21`.

    A Gaussian direction times a radius :math:`U^{1/d}`.

    Parameters
    ----------
    n : int
        The number of points, at least 1.
    d : int
        The dimension, at least 1.
    rng : numpy.random.Generator
        The random generator.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, d)``.

    Examples
    --------
    >>> x = sample_ball(1000, 4, np.random.default_rng(0))
    >>> x.shape, bool(np.all(np.linalg.norm(x, axis=1) <= 1))
    ((1000, 4), True)
    """
    n, d = _check_d(n, "n"), _check_d(d)
    g = rng.standard_normal((n, d))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return g * rng.random(n)[:, None] ** (1.0 / d)


# ---------------------------------------------------------------------------- Example 2
def example2_cube(eps, n_classes: int = 10, inequality: str = "phi"):
    r"""Example 2 on the cube: a lower bound on the share of points misclassified or attackable.

    Used on :doc:`/notebooks/ding-theorem21`.

    With :math:`k` classes of measure :math:`1/k` and a perfectly accurate classifier, a point of
    class :math:`i` resists every :math:`\ell_2` perturbation of norm below :math:`\epsilon` only
    outside :math:`(A^{(i)})_\epsilon`, :math:`A^{(i)}` the union of the other classes, of
    measure :math:`1 - 1/k \ge 1/2`. Summing over the classes, the robust share is at most
    :math:`k(1 - \Phi(\epsilon\sqrt{2\pi} + \Phi^{-1}(1 - 1/k)))` (``"phi"``) or
    :math:`k e^{-\pi\epsilon^2}` (``"exp"``), and the attacked share at least 1 minus that.

    Parameters
    ----------
    eps : float or array_like
        Radii :math:`\epsilon \ge 0`.
    n_classes : int
        :math:`k \ge 2`.
    inequality : {"phi", "exp"}
        Which inequality of Eq. (1).

    Returns
    -------
    float or numpy.ndarray
        The lower bound (negative when vacuous), with the shape of ``eps``.

    Examples
    --------
    >>> round(example2_cube(0.5), 4)  # the paper's "at least 94 %"
    0.9438
    """
    e = _check_eps(eps)
    k = _check_classes(n_classes)
    if inequality == "phi":
        robust = k * norm.sf(_SQRT_2PI * e + norm.ppf(1.0 - 1.0 / k))
    elif inequality == "exp":
        robust = k * np.exp(-math.pi * e ** 2)
    else:
        raise ValueError(f"inequality={inequality!r}; valid: 'phi', 'exp'")
    return _shape_out(1.0 - robust, e)


def example2_ball(eps, d, n_classes: int = 10, inequality: str = "modulus",
                  C: float = CONVEXITY_CONSTANT):
    r"""Example 2 on the ball: the same argument as :func:`example2_cube` with Eq. (2).

    Used on :doc:`/notebooks/ding-theorem21`.

    The robust share is at most :math:`k \cdot \frac{1}{1 - 1/k}(1 - \epsilon^2/4)^d`
    (``"modulus"``) or :math:`k \cdot \frac{1}{1 - 1/k} e^{-2dC\epsilon^2}` (``"exp"``).

    Parameters
    ----------
    eps : float or array_like
        Radii :math:`\epsilon \in [0, 2]`.
    d : int
        The dimension, at least 1.
    n_classes : int
        :math:`k \ge 2`.
    inequality : {"modulus", "exp"}
        Which inequality of Eq. (2).
    C : float
        The constant of the exponential form.

    Returns
    -------
    float or numpy.ndarray
        The lower bound (negative when vacuous), with the shape of ``eps``.

    Examples
    --------
    >>> round(example2_ball(0.09, 3 * 32 * 32), 4)  # the paper's "at least 97 %"
    0.9781
    """
    e = _check_eps(eps, upper=2.0)
    k = _check_classes(n_classes)
    p = 1.0 - 1.0 / k
    if inequality == "modulus":
        robust = k * (1.0 - np.asarray(ball_bound(e, p, d)))
    elif inequality == "exp":
        robust = k * (1.0 - np.asarray(ball_exp_bound(e, p, d, C)))
    else:
        raise ValueError(f"inequality={inequality!r}; valid: 'modulus', 'exp'")
    return _shape_out(1.0 - robust, e)
