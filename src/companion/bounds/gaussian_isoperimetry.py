r"""Robustness bounds in the latent space from the Gaussian isoperimetric inequality.

Fawzi, Fawzi & Fawzi (2018), "Adversarial vulnerability for any classifier", Section 3.1 and
Appendix A. The latent vector is :math:`z \sim \nu = \mathcal N(0, I_d)`; a classifier (composed
with the generator) partitions the latent space into classes :math:`C_1, \dots, C_K` of measures
:math:`\nu(C_i)`; :math:`r_\mathcal{Z}(z)` is the Euclidean distance from :math:`z` to the other
classes. Every bound here depends on the classifier only through the class measures, which are
passed as a vector ``measures`` (non-negative, summing to 1).

Notation: :math:`a_{\neq i} = \Phi^{-1}(\nu(\cup_{j \neq i} C_j)) = \Phi^{-1}(1 - \nu(C_i))`.

The tool (Theorem 7 of the paper, Borell 1975, Sudakov & Tsirel'son 1978): if
:math:`\nu(A) = \Phi(a)` then the :math:`\eta`-neighbourhood :math:`A_\eta` has
:math:`\nu(A_\eta) \ge \Phi(a + \eta)`, with equality for half-spaces.

The examples below are closed forms a reader can check by hand: two classes of measure
:math:`1/2` have :math:`a_{\neq i} = 0`, so Eq. (1) is :math:`2\Phi(\epsilon) - 1` and Theorem 2
is :math:`2\phi(0) = \sqrt{2/\pi}`.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize
from scipy.stats import chi2, norm

__all__ = [
    "equal_measures", "check_measures", "a_neq",
    "theorem1_bound", "theorem1_balanced_bound", "theorem1_equal_classes_bound",
    "theorem1_quantile", "equal_classes_quantile", "latent_ratio_bound",
    "duembgen_bounds", "lemma2_bound", "lemma2_equal_classes_bound", "eq11_quantile_lower",
    "theorem2_bound", "theorem2_equal_classes_bound", "theorem2_equal_classes_closed_form",
    "theorem2_equal_classes_sharper", "theorem2_bound_by_quadrature",
    "checkerboard_bound", "theorem3_bound", "theorem3_general_bound", "theorem3_assumption_holds",
]

SQRT_PI_OVER_2 = math.sqrt(math.pi / 2)


# ---------------------------------------------------------------------------- input checks
def check_measures(measures) -> np.ndarray:
    """Validate class measures: a 1-D array of non-negative numbers summing to 1.

    Parameters
    ----------
    measures : array_like
        The class measures :math:`\\nu(C_1), \\dots, \\nu(C_K)`; their sum may differ from 1 by
        at most 1e-9.

    Returns
    -------
    numpy.ndarray
        The measures as a float array.

    Raises
    ------
    ValueError
        If ``measures`` is empty, not 1-D, negative, not finite, or does not sum to 1.

    Examples
    --------
    >>> check_measures([0.25, 0.75])
    array([0.25, 0.75])
    >>> check_measures([0.5, 0.6])
    Traceback (most recent call last):
    ...
    ValueError: measures must sum to 1 (they are nu(C_1), ..., nu(C_K)); they sum to 1.1
    """
    m = np.asarray(measures, dtype=float)
    if m.ndim != 1 or m.size == 0:
        raise ValueError("measures must be a non-empty 1-D sequence of class measures, "
                         f"got shape {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError(f"measures must be finite and non-negative, got {m}")
    if abs(m.sum() - 1.0) > 1e-9:
        raise ValueError("measures must sum to 1 (they are nu(C_1), ..., nu(C_K)); "
                         f"they sum to {float(m.sum())!r}")
    return m


def _check_eps(eps, name: str = "eps") -> np.ndarray:
    e = np.asarray(eps, dtype=float)
    if np.any(np.isnan(e)) or np.any(e < 0):
        raise ValueError(f"{name} must be >= 0 (a perturbation norm), got {eps!r}")
    return e


def _check_K(K, minimum: int = 1) -> int:
    if isinstance(K, bool) or not float(K).is_integer() or int(K) < minimum:
        raise ValueError(f"K (number of classes) must be an integer >= {minimum}, got {K!r}")
    return int(K)


def equal_measures(K: int) -> np.ndarray:
    r"""Class measures of ``K`` equiprobable classes, :math:`\nu(C_i) = 1/K`.

    Used on :doc:`/notebooks/fawzi-paper`, :doc:`/notebooks/fawzi-theorem1`,
    :doc:`/notebooks/fawzi-theorem2`.

    Parameters
    ----------
    K : int
        The number of classes (at least 1).

    Returns
    -------
    numpy.ndarray
        ``K`` equal measures summing to 1.

    Examples
    --------
    >>> equal_measures(4)
    array([0.25, 0.25, 0.25, 0.25])
    """
    K = _check_K(K)
    return np.full(K, 1.0 / K)


def a_neq(measures) -> np.ndarray:
    r""":math:`a_{\neq i} = \Phi^{-1}(1 - \nu(C_i))` for each class.

    Parameters
    ----------
    measures : array_like
        The class measures :math:`\nu(C_i)`.

    Returns
    -------
    numpy.ndarray
        One value per class: ``+inf`` for an empty class, ``-inf`` for a class of measure 1.

    Examples
    --------
    Two halves have :math:`a_{\neq i} = \Phi^{-1}(1/2) = 0`; a quarter has the upper quartile
    of the normal law, :math:`\Phi^{-1}(3/4) \approx 0.6745`:

    >>> a_neq([0.5, 0.5])
    array([0., 0.])
    >>> a_neq([0.25, 0.75]).round(4)
    array([ 0.6745, -0.6745])
    """
    m = check_measures(measures)
    return norm.isf(m)


# ---------------------------------------------------------------------------- Theorem 1
def theorem1_bound(eps, measures):
    r"""Eq. (1): :math:`P(r_\mathcal{Z}(z) \le \epsilon) \ge \sum_i \Phi(a_{\neq i} + \epsilon)
    - \Phi(a_{\neq i})`.

    Used on :doc:`/notebooks/fawzi-theorem1`, :doc:`/notebooks/fawzi-theorems4-5`.

    Since :math:`\Phi(a_{\neq i}) = 1 - \nu(C_i)`, each term is computed as
    :math:`\bar\Phi(a_{\neq i}) - \bar\Phi(a_{\neq i} + \epsilon)` (upper tails: no loss of
    precision for small classes, and exactly 0 at :math:`\epsilon = 0`).
    The bound is 0 at :math:`\epsilon = 0` and tends to 1 as :math:`\epsilon \to \infty` unless
    one class has measure 1 (a constant classifier, for which it is 0).

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms :math:`\epsilon \ge 0` (any shape).
    measures : array_like
        The class measures :math:`\nu(C_i)`.

    Returns
    -------
    float or numpy.ndarray
        The lower bound, in :math:`[0, 1]`, with the shape of ``eps``.

    Examples
    --------
    Two halves: :math:`a_{\neq i} = 0` and the bound is :math:`2\Phi(\epsilon) - 1`, the
    probability that a standard normal lies within :math:`\epsilon` of 0 (the bound of a
    half-space, which it attains):

    >>> theorem1_bound([0.0, 1.0, 2.0], [0.5, 0.5]).round(4)
    array([0.    , 0.6827, 0.9545])
    >>> theorem1_bound(1.0, [1.0])  # a constant classifier: nothing to cross
    0.0
    """
    e = _check_eps(eps)
    m = check_measures(measures)
    keep = (m > 0) & (m < 1)
    a = norm.isf(m[keep])
    if a.size == 0:
        return np.zeros_like(e) if e.ndim else 0.0
    out = (norm.sf(a) - norm.sf(a + e[..., None])).sum(axis=-1)
    return np.clip(out, 0.0, 1.0) if e.ndim else float(np.clip(out, 0.0, 1.0))


def theorem1_balanced_bound(eps):
    r"""Eq. (2): :math:`P(r_\mathcal{Z} \le \epsilon) \ge 1 - \sqrt{\pi/2}\, e^{-\epsilon^2/2}`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    Valid when every class has :math:`\nu(C_i) \le 1/2`. Returned as printed: it is negative,
    hence vacuous, for :math:`\epsilon < \sqrt{\log(\pi/2)} \approx 0.67`.

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms :math:`\epsilon \ge 0`.

    Returns
    -------
    float or numpy.ndarray
        The right-hand side of Eq. (2), with the shape of ``eps``.

    Examples
    --------
    >>> round(theorem1_balanced_bound(2.0), 4)  # 1 - sqrt(pi/2) e^{-2}
    0.8304
    >>> theorem1_balanced_bound(0.5) < 0  # below sqrt(log(pi/2)): vacuous
    True
    """
    e = _check_eps(eps)
    out = 1.0 - SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2)
    return out if e.ndim else float(out)


def eq11_quantile_lower(K):
    r"""Eq. (11): the lower bound :math:`\sqrt{\log(K^2 / (4\pi \log K))}` on
    :math:`\Phi^{-1}(1 - 1/K)`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    It is a real number exactly for :math:`K \ge 5` (for :math:`K \le 4`,
    :math:`K^2 < 4\pi\log K`).

    Parameters
    ----------
    K : int or array_like of int
        Numbers of classes, each at least 5.

    Returns
    -------
    float or numpy.ndarray
        The lower bound, with the shape of ``K``.

    Raises
    ------
    ValueError
        If some ``K`` is below 5 or not an integer.

    Examples
    --------
    For ten classes the bound is 1.114, below :math:`\Phi^{-1}(0.9) = 1.2816`:

    >>> round(eq11_quantile_lower(10), 4)
    1.1136
    """
    K = np.asarray(K, dtype=float)
    if np.any(K < 5) or np.any(K != np.floor(K)):
        raise ValueError("Eq. (11) needs an integer K >= 5 (below, log(K^2/(4 pi log K)) < 0); "
                         f"got {K!r}")
    out = np.sqrt(np.log(K ** 2 / (4 * np.pi * np.log(K))))
    return out if out.ndim else float(out)


def theorem1_equal_classes_bound(eps, K):
    r"""Eq. (3): the bound of Theorem 1 for :math:`K \ge 5` equiprobable classes.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    :math:`P(r_\mathcal{Z} \le \epsilon) \ge 1 - \sqrt{\pi/2}\, e^{-\epsilon^2/2}
    e^{-\epsilon \sqrt{\log(K^2/(4\pi\log K))}}`.

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms :math:`\epsilon \ge 0`.
    K : int
        The number of classes (at least 5).

    Returns
    -------
    float or numpy.ndarray
        The right-hand side of Eq. (3), with the shape of ``eps``.

    Examples
    --------
    At :math:`\epsilon = 0` the bound is :math:`1 - \sqrt{\pi/2} < 0` for every ``K``:

    >>> round(theorem1_equal_classes_bound(0.0, 10), 4)
    -0.2533
    >>> round(theorem1_equal_classes_bound(1.0, 10), 4)
    0.7504
    """
    K = _check_K(K, 5)
    e = _check_eps(eps)
    out = 1.0 - SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2 - e * eq11_quantile_lower(K))
    return out if e.ndim else float(out)


def equal_classes_quantile(q, K):
    r"""Smallest :math:`\epsilon` at which Eq. (1) with ``K`` equal classes reaches ``q``.

    Used on :doc:`/notebooks/fawzi-experiments`, :doc:`/notebooks/fawzi-paper`.

    In closed form: :math:`K(\Phi(a + \epsilon) - \Phi(a)) = q` with :math:`\Phi(a) = 1 - 1/K`
    gives :math:`\epsilon = \bar\Phi^{-1}((1-q)/K) - \bar\Phi^{-1}(1/K)`. It is an upper bound
    on the ``q``-quantile of :math:`r_\mathcal{Z}` for every classifier with ``K`` equal class
    measures (``q = 1/2``: Fig. 2a; ``q = 1/4``: the "upper bound" column of Table 1).

    Parameters
    ----------
    q : float or array_like
        Probabilities in :math:`(0, 1)`.
    K : int
        The number of classes (at least 2).

    Returns
    -------
    float or numpy.ndarray
        The quantile bound, with the shape of ``q``.

    Examples
    --------
    Two classes: :math:`\bar\Phi^{-1}(1/4) - \bar\Phi^{-1}(1/2) = \Phi^{-1}(3/4)`, the upper
    quartile of the normal law:

    >>> round(equal_classes_quantile(0.5, 2), 4)
    0.6745
    """
    K = _check_K(K, 2)
    q = np.asarray(q, dtype=float)
    if np.any(~((q > 0) & (q < 1))):
        raise ValueError(f"q must be a probability in (0, 1), got {q!r}")
    out = norm.isf((1 - q) / K) - norm.isf(1.0 / K)
    return out if out.ndim else float(out)


def theorem1_quantile(q: float, measures) -> float:
    r"""Smallest :math:`\epsilon` with Eq. (1) :math:`\ge q`, by root finding (any measures).

    Used on :doc:`/notebooks/fawzi-paper`.

    Eq. (1) increases continuously from 0 to 1, so the root exists for ``0 < q < 1`` unless one
    class has measure 1 (then the bound is 0 and no classifier-agnostic quantile bound exists).

    Parameters
    ----------
    q : float
        A probability in :math:`(0, 1)`.
    measures : array_like
        The class measures :math:`\nu(C_i)`, none equal to 1.

    Returns
    -------
    float
        The root of :math:`\text{Eq.(1)}(\epsilon) = q` (to about 1e-13).

    Examples
    --------
    It agrees with the closed form of :func:`equal_classes_quantile`:

    >>> round(theorem1_quantile(0.5, [0.5, 0.5]), 6), round(equal_classes_quantile(0.5, 2), 6)
    (0.67449, 0.67449)
    """
    m = check_measures(measures)
    if not 0 < q < 1:
        raise ValueError(f"q must be a probability in (0, 1), got {q!r}")
    if np.any(m >= 1):
        raise ValueError("one class has measure 1 (a constant classifier): Eq. (1) is 0 for "
                         "every eps")
    f = lambda e: theorem1_bound(e, m) - q  # noqa: E731
    hi = 1.0
    while f(hi) < 0:
        hi *= 2
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-13, rtol=1e-13))


def latent_ratio_bound(t: float, d: int, measures) -> tuple[float, float]:
    r"""A rigorous lower bound on :math:`P(r_\mathcal{Z}(z) \le t \|z\|_2)` (Remark 1).

    Used on :doc:`/notebooks/fawzi-theorem1`.

    Remark 1 compares :math:`r_\mathcal{Z}` with the random norm :math:`\|z\|_2`. For every
    :math:`\epsilon`, :math:`\{r_\mathcal{Z} \le \epsilon\} \cap \{\|z\| \ge \epsilon/t\}
    \subseteq \{r_\mathcal{Z} \le t\|z\|\}`, so
    :math:`P(r_\mathcal{Z} \le t\|z\|) \ge \max_\epsilon \text{Eq.(1)}(\epsilon)
    - P(\chi^2_d < (\epsilon/t)^2)`.

    Parameters
    ----------
    t : float
        The ratio :math:`r_\mathcal{Z} / \|z\|_2` (positive).
    d : int
        The latent dimension.
    measures : array_like
        The class measures :math:`\nu(C_i)`.

    Returns
    -------
    bound : float
        The lower bound (clipped at 0).
    best_eps : float
        The :math:`\epsilon` that attains it.

    Examples
    --------
    Ten equal classes in :math:`d = 100`: at least 81.9% of the latent points are within a
    tenth of their norm of another class:

    >>> bound, eps = latent_ratio_bound(0.1, 100, equal_measures(10))
    >>> round(bound, 3), round(eps, 2)
    (0.819, 0.84)
    """
    if not t > 0:
        raise ValueError(f"t (the ratio r_Z/||z||) must be > 0, got {t!r}")
    d = _check_K(d)
    m = check_measures(measures)
    g = lambda e: -(theorem1_bound(e, m) - chi2.cdf((e / t) ** 2, d))  # noqa: E731
    grid = np.linspace(0, 2 * t * math.sqrt(d), 401)
    vals = -np.array([g(e) for e in grid])
    i = int(vals.argmax())
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = optimize.minimize_scalar(g, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    best = max((-res.fun, float(res.x)), (vals[i], float(grid[i])))
    return float(max(best[0], 0.0)), best[1]


# ---------------------------------------------------------------------------- Lemmas 1-2
def duembgen_bounds(x):
    r"""Lemma 1, Eq. (8) (Dümbgen 2010): two-sided bounds on the normal tail for :math:`x \ge 0`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    The lemma reads :math:`1 - \frac{2\phi(x)}{x + \sqrt{x^2 + 8/\pi}} \le \Phi(x) \le 1 -
    \frac{2\phi(x)}{x + \sqrt{x^2 + 4}}`. The bounds are returned on the *upper tail*
    :math:`1 - \Phi(x)` instead, to keep precision for large ``x``.

    Parameters
    ----------
    x : float or array_like
        Points :math:`x \ge 0`.

    Returns
    -------
    lower : float or numpy.ndarray
        ``2 phi(x) / (x + sqrt(x^2 + 4))``, a lower bound on :math:`1 - \Phi(x)`.
    upper : float or numpy.ndarray
        ``2 phi(x) / (x + sqrt(x^2 + 8/pi))``, an upper bound on :math:`1 - \Phi(x)`.

    Examples
    --------
    At :math:`x = 0` the lower bound is :math:`\phi(0) = 0.3989` and the upper one is
    :math:`\phi(0)\sqrt{\pi/2} = 1/2`, the tail itself:

    >>> [round(b, 4) for b in duembgen_bounds(0.0)]
    [0.3989, 0.5]
    >>> lo, hi = duembgen_bounds(2.0)  # the tail 1 - Phi(2) = 0.02275 lies between
    >>> round(lo, 5), round(hi, 5)
    (0.02236, 0.02369)
    """
    x = np.asarray(x, dtype=float)
    if np.any(np.isnan(x)) or np.any(x < 0):
        raise ValueError(f"Lemma 1 holds for x >= 0, got {x!r}")
    phi = norm.pdf(x)
    lower = 2 * phi / (x + np.sqrt(x ** 2 + 4))
    upper = 2 * phi / (x + np.sqrt(x ** 2 + 8 / np.pi))
    return (lower, upper) if x.ndim else (float(lower), float(upper))


def lemma2_bound(p, eps):
    r"""Eq. (9): the right-hand side of Lemma 2 for :math:`p \in [1/2, 1]`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    :math:`\Phi(\Phi^{-1}(p) + \epsilon) \ge 1 - (1-p)\sqrt{\pi/2}\, e^{-\epsilon^2/2}
    e^{-\epsilon\Phi^{-1}(p)}`.

    Parameters
    ----------
    p : float or array_like
        Probabilities in :math:`[1/2, 1]`.
    eps : float or array_like
        Perturbation norms :math:`\epsilon \ge 0` (broadcast with ``p``).

    Returns
    -------
    float or numpy.ndarray
        The lower bound on :math:`\Phi(\Phi^{-1}(p) + \epsilon)`.

    Examples
    --------
    At :math:`p = 1/2`, :math:`\epsilon = 1`: :math:`1 - \tfrac12\sqrt{\pi/2}\,e^{-1/2} =
    0.6199`, below :math:`\Phi(1) = 0.8413`:

    >>> round(lemma2_bound(0.5, 1.0), 4)
    0.6199
    """
    p = np.asarray(p, dtype=float)
    if np.any(~((p >= 0.5) & (p <= 1))):
        raise ValueError(f"Lemma 2 needs p in [1/2, 1], got {p!r}")
    e = _check_eps(eps)
    with np.errstate(invalid="ignore"):  # p = 1: (1 - p) * exp(-eps * inf) -> 0
        a = norm.ppf(np.where(p < 1, p, 0.5))
        tail = np.where(p < 1, (1 - p) * np.exp(-e ** 2 / 2 - e * a), 0.0)
    out = 1 - SQRT_PI_OVER_2 * tail
    return out if out.ndim else float(out)


def lemma2_equal_classes_bound(K, eps):
    r"""Eq. (10): Lemma 2 at :math:`p = 1 - 1/K`, :math:`K \ge 5`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    :math:`\Phi(\Phi^{-1}(1 - 1/K) + \epsilon) \ge 1 - \frac1K\sqrt{\pi/2}\, e^{-\epsilon^2/2}
    e^{-\epsilon\sqrt{\log(K^2/(4\pi\log K))}}`. The paper also asks :math:`\epsilon \ge 1`;
    the proof (Eq. (9) plus Eq. (11)) never uses it, so any :math:`\epsilon \ge 0` is accepted
    here (checked numerically in the book).

    Parameters
    ----------
    K : int or array_like of int
        Numbers of classes, at least 5.
    eps : float or array_like
        Perturbation norms :math:`\epsilon \ge 0` (broadcast with ``K``).

    Returns
    -------
    float or numpy.ndarray
        The lower bound of Eq. (10).

    Examples
    --------
    >>> round(lemma2_equal_classes_bound(10, 1.0), 4)  # Phi(Phi^{-1}(0.9) + 1) = 0.9887
    0.975
    """
    K = np.asarray(K, dtype=float)
    e = _check_eps(eps)
    b = eq11_quantile_lower(K)
    out = 1 - SQRT_PI_OVER_2 / K * np.exp(-e ** 2 / 2 - e * b)
    return out if out.ndim else float(out)


# ---------------------------------------------------------------------------- Theorem 2
def theorem2_bound(measures) -> float:
    r"""Theorem 2: :math:`E\, r_\mathcal{Z}(z) \le \sum_i -a_{\neq i}\Phi(-a_{\neq i})
    + \phi(a_{\neq i})`.

    Used on :doc:`/notebooks/fawzi-theorem2`, :doc:`/notebooks/fawzi-theorems4-5`.

    It is :math:`\int_0^\infty (1 - \text{Eq.(1)}(\epsilon))\, d\epsilon`, because
    :math:`1 - \text{Eq.(1)} = \sum_i \bar\Phi(a_{\neq i} + \epsilon)` and
    :math:`\int_0^\infty \bar\Phi(a + \epsilon)\, d\epsilon = \phi(a) - a\bar\Phi(a)`.

    Parameters
    ----------
    measures : array_like
        The class measures :math:`\nu(C_i)`.

    Returns
    -------
    float
        The bound on the mean robustness; empty classes contribute 0, and a class of measure 1
        gives ``inf`` (a constant classifier).

    Examples
    --------
    Two halves: :math:`2\phi(0) = \sqrt{2/\pi}`, the mean of :math:`|z_1|`, attained by a
    half-space:

    >>> round(theorem2_bound([0.5, 0.5]), 4)
    0.7979
    >>> theorem2_bound([1.0, 0.0])
    inf
    """
    m = check_measures(measures)
    m = m[m > 0]
    if np.any(m >= 1):
        return math.inf
    a = norm.isf(m)
    return float(np.sum(-a * m + norm.pdf(a)))


def theorem2_equal_classes_bound(K):
    r"""Theorem 2 for ``K`` equiprobable classes, vectorised over ``K``.

    Used on :doc:`/notebooks/fawzi-paper`, :doc:`/notebooks/fawzi-theorem2`.

    With :math:`\bar\Phi(a) = 1/K`, the sum of ``K`` equal terms is :math:`K\phi(a) - a` (the
    value of :func:`theorem2_bound` at equal measures).

    Parameters
    ----------
    K : int or array_like of int
        Numbers of classes, at least 1 (``K = 1`` gives ``inf``).

    Returns
    -------
    float or numpy.ndarray
        The bound on :math:`E\, r_\mathcal{Z}`, with the shape of ``K``.

    Examples
    --------
    Ten classes give 0.4734, which the paper prints rounded up as 0.48 (Figure 2b):

    >>> round(theorem2_equal_classes_bound(10), 4)
    0.4734
    >>> round(theorem2_equal_classes_bound(2), 4)  # sqrt(2 / pi)
    0.7979
    """
    K = np.asarray(K, dtype=float)
    if np.any(K < 1) or np.any(K != np.floor(K)):
        raise ValueError(f"K (number of classes) must be an integer >= 1, got {K!r}")
    with np.errstate(invalid="ignore"):
        a = norm.isf(1.0 / K)
        out = np.where(K > 1, K * norm.pdf(a) - a, np.inf)
    return out if out.ndim else float(out)


def theorem2_equal_classes_closed_form(K):
    r"""Theorem 2, closed form for :math:`K \ge 5` equiprobable classes.

    Used on :doc:`/notebooks/fawzi-theorem2`.

    :math:`E\, r_\mathcal{Z} \le \log(4\pi\log K) / \sqrt{2\log K}`, as printed (the appendix
    gives no proof).

    Parameters
    ----------
    K : int or array_like of int
        Numbers of classes, at least 5.

    Returns
    -------
    float or numpy.ndarray
        The printed closed form, with the shape of ``K``.

    Examples
    --------
    For ten classes it is 1.568, more than three times the exact bound 0.4734 of
    :func:`theorem2_equal_classes_bound`:

    >>> round(theorem2_equal_classes_closed_form(10), 4)
    1.5681
    """
    K = np.asarray(K, dtype=float)
    if np.any(K < 5):
        raise ValueError(f"the closed form of Theorem 2 is stated for K >= 5, got {K!r}")
    out = np.log(4 * np.pi * np.log(K)) / np.sqrt(2 * np.log(K))
    return out if out.ndim else float(out)


def theorem2_equal_classes_sharper(K):
    r"""A sharper closed form than :func:`theorem2_equal_classes_closed_form`, from the same
    lemmas (derived in this book; not in the paper).

    Used on :doc:`/notebooks/fawzi-theorem2`.

    With :math:`\bar\Phi(a) = 1/K`, Theorem 2 reads :math:`K\phi(a) - a = \phi(a)/\bar\Phi(a)
    - a`. Lemma 1 (:math:`\bar\Phi(a) \ge 2\phi(a)/(a + \sqrt{a^2+4})`) gives
    :math:`K\phi(a) - a \le 2/(a + \sqrt{a^2 + 4})`, which decreases in :math:`a`; Eq. (11)
    (:math:`a \ge b = \sqrt{\log(K^2/(4\pi\log K))}`) then gives
    :math:`E\, r_\mathcal{Z} \le 2/(b + \sqrt{b^2 + 4}) < 1/b` for :math:`K \ge 5`.

    Parameters
    ----------
    K : int or array_like of int
        Numbers of classes, at least 5.

    Returns
    -------
    float or numpy.ndarray
        :math:`2/(b + \sqrt{b^2 + 4})`, with the shape of ``K``.

    Examples
    --------
    For ten classes: 0.5878, between the exact 0.4734 and the printed 1.568:

    >>> round(theorem2_equal_classes_sharper(10), 4)
    0.5878
    """
    b = eq11_quantile_lower(K)
    out = 2 / (b + np.sqrt(np.asarray(b) ** 2 + 4))
    return out if np.ndim(out) else float(out)


def theorem2_bound_by_quadrature(measures) -> float:
    r"""Independent evaluation of Theorem 2 by adaptive quadrature (``scipy.integrate.quad``).

    Used on :doc:`/notebooks/fawzi-theorem2`.

    Computes :math:`\int_0^\infty (1 - \text{Eq.(1)}(\epsilon))\,d\epsilon` with
    :func:`theorem1_bound` as the integrand.

    Parameters
    ----------
    measures : array_like
        The class measures :math:`\nu(C_i)`.

    Returns
    -------
    float
        The integral (``inf`` when one class has measure 1).

    Examples
    --------
    >>> round(theorem2_bound_by_quadrature([0.5, 0.5]), 8) == round(theorem2_bound([0.5, 0.5]), 8)
    True
    """
    m = check_measures(measures)
    if np.any(m >= 1):
        return math.inf
    val, _ = integrate.quad(lambda e: 1.0 - theorem1_bound(e, m), 0, np.inf, epsabs=1e-12,
                            epsrel=1e-10, limit=200)
    return float(val)


# ---------------------------------------------------------------------------- Example 1, Theorem 3
def checkerboard_bound(eps, d: int):
    r"""Eq. (4), the checkerboard of Example 1: :math:`P(r_\mathcal{Z} \le \epsilon) \ge
    1 - (1-\epsilon)^d` for :math:`0 \le \epsilon \le 1/2`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    The range is the proof's; beyond it :math:`P = 1`.

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms in :math:`[0, 1/2]`.
    d : int
        The latent dimension.

    Returns
    -------
    float or numpy.ndarray
        The lower bound, with the shape of ``eps``.

    Examples
    --------
    In :math:`d = 100`, a perturbation of norm 0.01 already changes the class of 63% of the
    points: :math:`1 - 0.99^{100}`:

    >>> round(checkerboard_bound(0.01, 100), 4)
    0.634
    """
    d = _check_K(d)
    e = _check_eps(eps)
    if np.any(e > 0.5):
        raise ValueError("Eq. (4) is proved for 0 <= eps <= 1/2 (for eps > 1/2 the probability "
                         f"is 1); got {eps!r}")
    out = 1 - (1 - e) ** d
    return out if e.ndim else float(out)


def theorem3_bound(eps, delta):
    r"""Theorem 3: a perturbation of norm at most :math:`\epsilon` fools two classifiers at
    once with probability at least :math:`1 - \sqrt{\pi/2}\, e^{-\epsilon^2/2} - 2\delta`.

    Used on :doc:`/notebooks/fawzi-theorem3`.

    Here :math:`\delta \ge P(f \ne h)`; the theorem needs :math:`\nu(C_i(f)) + \delta \le 1/2`
    for every class (see :func:`theorem3_assumption_holds`).

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms :math:`\epsilon \ge 0`.
    delta : float or array_like
        The probability of disagreement, in :math:`[0, 1]` (broadcast with ``eps``).

    Returns
    -------
    float or numpy.ndarray
        The lower bound (negative where the theorem says nothing).

    Examples
    --------
    Eq. (2) minus :math:`2\delta`:

    >>> round(theorem3_bound(2.0, 0.05), 4), round(theorem1_balanced_bound(2.0) - 0.1, 4)
    (0.7304, 0.7304)
    """
    e = _check_eps(eps)
    delta = np.asarray(delta, dtype=float)
    if np.any(~((delta >= 0) & (delta <= 1))):
        raise ValueError(f"delta is a probability of disagreement, in [0, 1]; got {delta!r}")
    out = 1 - SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2) - 2 * delta
    return out if out.ndim else float(out)


def theorem3_assumption_holds(measures_f, delta: float) -> bool:
    r"""Theorem 3's assumption :math:`\nu(C_i(f)) + \delta \le 1/2` for all classes ``i``.

    Used on :doc:`/notebooks/fawzi-theorem3`.

    Parameters
    ----------
    measures_f : array_like
        The class measures of :math:`f`.
    delta : float
        The probability of disagreement of :math:`f` and :math:`h`.

    Returns
    -------
    bool
        Whether every class satisfies the assumption (with a 1e-12 tolerance).

    Examples
    --------
    >>> theorem3_assumption_holds([0.25] * 4, 0.2), theorem3_assumption_holds([0.25] * 4, 0.3)
    (True, False)
    """
    m = check_measures(measures_f)
    return bool(np.all(m + delta <= 0.5 + 1e-12))


def theorem3_general_bound(eps, outside_measures, delta):
    r"""Theorem 3 without the balance assumption (the "general statement" of footnote 4).

    Used on :doc:`/notebooks/fawzi-theorem3`.

    With :math:`A_i = \overline{C_i(f)} \cap \overline{C_i(h)}` (points that neither classifier
    puts in class ``i``) and :math:`\Phi(b_i) = \nu(A_i)`, the proof in Appendix A.4 before its
    use of Eq. (9) gives :math:`P(\exists v, \|v\| \le \epsilon \text{ fooling both}) \ge
    \sum_i [\Phi(b_i + \epsilon) - \Phi(b_i)] - 2\delta`. Under the assumption
    :math:`\nu(C_i(f)) + \delta \le 1/2` it is at least :func:`theorem3_bound`.

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms :math:`\epsilon \ge 0`.
    outside_measures : array_like
        The measures :math:`\nu(A_i)`, one per class, in :math:`[0, 1]`.
    delta : float
        The probability of disagreement, in :math:`[0, 1]`.

    Returns
    -------
    float or numpy.ndarray
        The lower bound, with the shape of ``eps``.

    Examples
    --------
    When :math:`f = h` (:math:`\delta = 0`), :math:`A_i` is the complement of :math:`C_i` and
    the bound is Eq. (1):

    >>> halves = [0.5, 0.5]
    >>> round(theorem3_general_bound(1.0, halves, 0.0), 4), round(theorem1_bound(1.0, halves), 4)
    (0.6827, 0.6827)
    """
    e = _check_eps(eps)
    o = np.asarray(outside_measures, dtype=float)
    if o.ndim != 1 or o.size == 0 or np.any(~((o >= 0) & (o <= 1))):
        raise ValueError("outside_measures must be a 1-D list of measures nu(A_i) in [0, 1], "
                         f"got {outside_measures!r}")
    delta = float(delta)
    if not 0 <= delta <= 1:
        raise ValueError(f"delta is a probability of disagreement, in [0, 1]; got {delta!r}")
    inner = 1 - o                                   # nu(C_i(f) u C_i(h)) = Phibar(b_i)
    keep = (inner > 0) & (inner < 1)
    b = norm.isf(inner[keep])
    out = (norm.sf(b) - norm.sf(b + e[..., None])).sum(axis=-1) - 2 * delta
    return out if e.ndim else float(out)


# ---------------------------------------------------------------------------- tail forms
# Near probability 1 a lower bound such as Eq. (1) and the probability it bounds both round to
# 1.0 in floating point, so their difference says nothing. The complements (upper tails) keep
# full relative precision: each inequality "P >= bound" is checked as "1 - P <= 1 - bound".
__all__ += [
    "theorem1_complement", "theorem1_balanced_complement", "theorem1_equal_classes_complement",
    "lemma2_tail_ratio", "lemma2_equal_classes_tail_ratio", "theorem2_classes_needed",
    "theorem3_nonvacuous_eps",
]


def theorem1_complement(eps, measures):
    r""":math:`1 - \text{Eq.(1)} = \sum_i \bar\Phi(a_{\neq i} + \epsilon)`, without cancellation.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    Because :math:`\sum_i \bar\Phi(a_{\neq i}) = \sum_i \nu(C_i) = 1`, one minus the bound of
    Eq. (1) is a sum of upper tails (an empty class contributes 0, a class of measure 1
    contributes 1).

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms (``>= 0``).
    measures : array_like
        The class measures :math:`\nu(C_i)`.

    Returns
    -------
    float or numpy.ndarray
        The shape of ``eps``.

    Examples
    --------
    Two halves: :math:`2\bar\Phi(\epsilon)`, the two-sided normal tail; far out it keeps full
    precision where ``1 - theorem1_bound`` is 0:

    >>> round(theorem1_complement(1.0, [0.5, 0.5]), 4)
    0.3173
    >>> theorem1_complement(10.0, [0.5, 0.5]) > 0 == 1 - theorem1_bound(10.0, [0.5, 0.5])
    True
    """
    e = _check_eps(eps)
    m = check_measures(measures)
    a = norm.isf(m[m > 0])
    out = norm.sf(a + e[..., None]).sum(axis=-1)
    return out if e.ndim else float(out)


def theorem1_balanced_complement(eps):
    r""":math:`1 - \text{Eq.(2)} = \sqrt{\pi/2}\, e^{-\epsilon^2/2}`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms (``>= 0``).

    Returns
    -------
    float or numpy.ndarray
        The shape of ``eps``.

    Examples
    --------
    >>> round(theorem1_balanced_complement(0.0), 4)  # sqrt(pi / 2)
    1.2533
    """
    e = _check_eps(eps)
    out = SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2)
    return out if e.ndim else float(out)


def theorem1_equal_classes_complement(eps, K):
    r""":math:`1 - \text{Eq.(3)} = \sqrt{\pi/2}\, e^{-\epsilon^2/2 - \epsilon b}` with
    :math:`b = \sqrt{\log(K^2/(4\pi\log K))}` (Eq. (11)), for :math:`K \ge 5`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    Parameters
    ----------
    eps : float or array_like
        Perturbation norms (``>= 0``).
    K : int
        The number of classes (at least 5).

    Returns
    -------
    float or numpy.ndarray
        The shape of ``eps``.

    Examples
    --------
    >>> c, b = theorem1_equal_classes_complement(1.0, 10), theorem1_equal_classes_bound(1.0, 10)
    >>> round(c, 4), round(b + c, 12)
    (0.2496, 1.0)
    """
    K = _check_K(K, 5)
    e = _check_eps(eps)
    out = SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2 - e * eq11_quantile_lower(K))
    return out if e.ndim else float(out)


def lemma2_tail_ratio(tail, eps):
    r"""Eq. (9) in tail form: :math:`\bar\Phi(a + \epsilon) / \big(t\sqrt{\pi/2}\,
    e^{-\epsilon^2/2 - \epsilon a}\big)` with :math:`t = 1 - p` and :math:`a = \bar\Phi^{-1}(t)`.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    Eq. (9) holds at :math:`(p, \epsilon)` exactly when this ratio is at most 1. Parametrising by
    the tail :math:`t \in (0, 1/2]` rather than by :math:`p` keeps full precision for
    :math:`p` close to 1.

    Parameters
    ----------
    tail : float or array_like
        Tails :math:`t = 1 - p \in (0, 1/2]`.
    eps : float or array_like
        Perturbation norms (``>= 0``), broadcast with ``tail``.

    Returns
    -------
    float or numpy.ndarray
        The ratio (at most 1 where Eq. (9) holds).

    Examples
    --------
    At :math:`\epsilon = 0` the ratio is :math:`1/\sqrt{\pi/2} = \sqrt{2/\pi}` for every ``p``:

    >>> round(lemma2_tail_ratio(0.5, 0.0), 4), round(lemma2_tail_ratio(1e-9, 0.0), 4)
    (0.7979, 0.7979)
    >>> round(lemma2_tail_ratio(0.5, 1.0), 4)
    0.4174
    """
    t = np.asarray(tail, dtype=float)
    if np.any(~((t > 0) & (t <= 0.5))):
        raise ValueError(f"Lemma 2 needs p in [1/2, 1): the tail 1 - p must lie in (0, 1/2], "
                         f"got {tail!r}")
    e = _check_eps(eps)
    a = norm.isf(t)
    out = norm.sf(a + e) / (t * SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2 - e * a))
    return out if out.ndim else float(out)


def lemma2_equal_classes_tail_ratio(K, eps):
    r"""Eq. (10) in tail form: :math:`\bar\Phi(a + \epsilon) / \big(\tfrac1K\sqrt{\pi/2}\,
    e^{-\epsilon^2/2 - \epsilon b}\big)`, :math:`a = \bar\Phi^{-1}(1/K)`, :math:`b` of Eq. (11).

    Used on :doc:`/notebooks/fawzi-theorem1`.

    Eq. (10) holds at :math:`(K, \epsilon)` exactly when the ratio is at most 1.

    Parameters
    ----------
    K : int or array_like of int
        Numbers of classes, at least 5.
    eps : float or array_like
        Perturbation norms (``>= 0``), broadcast with ``K``.

    Returns
    -------
    float or numpy.ndarray
        The ratio (at most 1 where Eq. (10) holds).

    Examples
    --------
    >>> round(lemma2_equal_classes_tail_ratio(10, 1.0), 4)
    0.451
    """
    K = np.asarray(K, dtype=float)
    e = _check_eps(eps)
    b = eq11_quantile_lower(K)
    a = norm.isf(1.0 / K)
    out = norm.sf(a + e) * K / (SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2 - e * b))
    return out if out.ndim else float(out)


def theorem2_classes_needed(target: float, K_max: int = 10 ** 9) -> int:
    r"""The smallest number ``K`` of equiprobable classes whose Theorem 2 bound is ``<= target``.

    Used on :doc:`/notebooks/fawzi-theorem2`.

    The bound :func:`theorem2_equal_classes_bound` decreases in ``K``, so the answer is found by
    bisection on the integers in ``[2, K_max]``.

    Parameters
    ----------
    target : float
        A mean perturbation norm (positive).
    K_max : int
        The largest number of classes searched.

    Returns
    -------
    int
        The least ``K`` with bound at most ``target``.

    Raises
    ------
    ValueError
        If even ``K_max`` classes leave the bound above ``target``.

    Examples
    --------
    Eight classes bring the bound below 1/2 (seven do not):

    >>> theorem2_classes_needed(0.5)
    8
    >>> theorem2_equal_classes_bound(7) > 0.5 >= theorem2_equal_classes_bound(8)
    True
    """
    if not target > 0:
        raise ValueError(f"target must be > 0 (a mean perturbation norm), got {target!r}")
    K_max = _check_K(K_max, 2)
    if theorem2_equal_classes_bound(K_max) > target:
        raise ValueError(f"the Theorem 2 bound stays above {target!r} up to K = {K_max}")
    lo, hi = 1, K_max                 # bound(lo) > target (or lo = 1), bound(hi) <= target
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid >= 2 and theorem2_equal_classes_bound(mid) <= target:
            hi = mid
        else:
            lo = mid
    return hi


def theorem3_nonvacuous_eps(delta):
    r"""The perturbation norm above which Theorem 3's bound is positive.

    Used on :doc:`/notebooks/fawzi-theorem3`.

    :math:`\sqrt{2\log(\sqrt{\pi/2}/(1 - 2\delta))}`, for :math:`0 \le \delta < 1/2`.

    Parameters
    ----------
    delta : float or array_like
        Probabilities of disagreement in :math:`[0, 1/2)`.

    Returns
    -------
    float or numpy.ndarray
        The threshold norm, with the shape of ``delta``.

    Examples
    --------
    At :math:`\delta = 0` it is where Eq. (2) turns positive, :math:`\sqrt{\log(\pi/2)}`:

    >>> round(theorem3_nonvacuous_eps(0.0), 4)
    0.672
    >>> abs(theorem3_bound(theorem3_nonvacuous_eps(0.1), 0.1)) < 1e-12
    True
    """
    delta = np.asarray(delta, dtype=float)
    if np.any(~((delta >= 0) & (delta < 0.5))):
        raise ValueError(f"the bound is positive for some eps only when 0 <= delta < 1/2; "
                         f"got {delta!r}")
    out = np.sqrt(2 * np.log(SQRT_PI_OVER_2 / (1 - 2 * delta)))
    return out if out.ndim else float(out)
