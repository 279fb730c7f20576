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
    "theorem2_bound", "theorem2_equal_classes_bound", "theorem2_equal_classes_closed_form", "theorem2_equal_classes_sharper", "theorem2_bound_by_quadrature",
    "checkerboard_bound", "theorem3_bound", "theorem3_general_bound", "theorem3_assumption_holds",
]

SQRT_PI_OVER_2 = math.sqrt(math.pi / 2)


# ---------------------------------------------------------------------------- input checks
def check_measures(measures) -> np.ndarray:
    """Validate class measures: a 1-D array of non-negative numbers summing to 1 (tolerance 1e-9)."""
    m = np.asarray(measures, dtype=float)
    if m.ndim != 1 or m.size == 0:
        raise ValueError(f"measures must be a non-empty 1-D sequence of class measures, got shape {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError(f"measures must be finite and non-negative, got {m}")
    if abs(m.sum() - 1.0) > 1e-9:
        raise ValueError(f"measures must sum to 1 (they are nu(C_1), ..., nu(C_K)); they sum to {m.sum()!r}")
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
    """Class measures of ``K`` equiprobable classes, :math:`\\nu(C_i) = 1/K`."""
    K = _check_K(K)
    return np.full(K, 1.0 / K)


def a_neq(measures) -> np.ndarray:
    r""":math:`a_{\neq i} = \Phi^{-1}(1 - \nu(C_i))` for each class (``+inf`` for an empty class,
    ``-inf`` for a class of measure 1)."""
    m = check_measures(measures)
    return norm.isf(m)


# ---------------------------------------------------------------------------- Theorem 1
def theorem1_bound(eps, measures):
    r"""Eq. (1): :math:`P(r_\mathcal{Z}(z) \le \epsilon) \ge \sum_i \Phi(a_{\neq i} + \epsilon) - \Phi(a_{\neq i})`.

    Vectorised over ``eps`` (any shape); ``measures`` are the class measures. Since
    :math:`\Phi(a_{\neq i}) = 1 - \nu(C_i)`, each term is computed as
    :math:`\bar\Phi(a_{\neq i}) - \bar\Phi(a_{\neq i} + \epsilon)` (upper tails: no loss of
    precision for small classes, and exactly 0 at :math:`\epsilon = 0`).
    The bound is 0 at :math:`\epsilon = 0` and tends to 1 as :math:`\epsilon \to \infty` unless
    one class has measure 1 (a constant classifier, for which it is 0).
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
    r"""Eq. (2): :math:`P(r_\mathcal{Z} \le \epsilon) \ge 1 - \sqrt{\pi/2}\, e^{-\epsilon^2/2}`,
    valid when every class has :math:`\nu(C_i) \le 1/2`.

    Returned as printed (it is negative, hence vacuous, for :math:`\epsilon < \sqrt{\log(\pi/2)} \approx 0.67`).
    """
    e = _check_eps(eps)
    out = 1.0 - SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2)
    return out if e.ndim else float(out)


def eq11_quantile_lower(K):
    r"""Eq. (11): the lower bound :math:`\sqrt{\log(K^2 / (4\pi \log K))}` on :math:`\Phi^{-1}(1 - 1/K)`,
    defined (real) exactly for :math:`K \ge 5` (for :math:`K \le 4`, :math:`K^2 < 4\pi\log K`)."""
    K = np.asarray(K, dtype=float)
    if np.any(K < 5) or np.any(K != np.floor(K)):
        raise ValueError(f"Eq. (11) needs an integer K >= 5 (below, log(K^2/(4 pi log K)) < 0); got {K!r}")
    out = np.sqrt(np.log(K ** 2 / (4 * np.pi * np.log(K))))
    return out if out.ndim else float(out)


def theorem1_equal_classes_bound(eps, K):
    r"""Eq. (3): for :math:`K \ge 5` equiprobable classes,
    :math:`P(r_\mathcal{Z} \le \epsilon) \ge 1 - \sqrt{\pi/2}\, e^{-\epsilon^2/2} e^{-\epsilon \sqrt{\log(K^2/(4\pi\log K))}}`."""
    K = _check_K(K, 5)
    e = _check_eps(eps)
    out = 1.0 - SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2 - e * eq11_quantile_lower(K))
    return out if e.ndim else float(out)


def equal_classes_quantile(q, K):
    r"""Smallest :math:`\epsilon` at which Eq. (1) with ``K`` equal classes reaches ``q``, in closed form:
    :math:`K(\Phi(a + \epsilon) - \Phi(a)) = q` with :math:`\Phi(a) = 1 - 1/K` gives
    :math:`\epsilon = \bar\Phi^{-1}((1-q)/K) - \bar\Phi^{-1}(1/K)`.

    It is an upper bound on the ``q``-quantile of :math:`r_\mathcal{Z}` for every classifier with
    ``K`` equal class measures (``q = 1/2``: Fig. 2a; ``q = 1/4``: the "upper bound" column of Table 1).
    """
    K = _check_K(K, 2)
    q = np.asarray(q, dtype=float)
    if np.any(~((q > 0) & (q < 1))):
        raise ValueError(f"q must be a probability in (0, 1), got {q!r}")
    out = norm.isf((1 - q) / K) - norm.isf(1.0 / K)
    return out if out.ndim else float(out)


def theorem1_quantile(q: float, measures) -> float:
    r"""Smallest :math:`\epsilon` with Eq. (1) :math:`\ge q`, by root finding (any class measures).

    Eq. (1) increases continuously from 0 to 1, so the root exists for ``0 < q < 1`` unless one
    class has measure 1 (then the bound is 0 and no classifier-agnostic quantile bound exists).
    """
    m = check_measures(measures)
    if not 0 < q < 1:
        raise ValueError(f"q must be a probability in (0, 1), got {q!r}")
    if np.any(m >= 1):
        raise ValueError("one class has measure 1 (a constant classifier): Eq. (1) is 0 for every eps")
    f = lambda e: theorem1_bound(e, m) - q  # noqa: E731
    hi = 1.0
    while f(hi) < 0:
        hi *= 2
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-13, rtol=1e-13))


def latent_ratio_bound(t: float, d: int, measures) -> tuple[float, float]:
    r"""A rigorous lower bound on :math:`P(r_\mathcal{Z}(z) \le t \|z\|_2)` (Remark 1 with the random norm).

    For every :math:`\epsilon`, :math:`\{r_\mathcal{Z} \le \epsilon\} \cap \{\|z\| \ge \epsilon/t\}
    \subseteq \{r_\mathcal{Z} \le t\|z\|\}`, so
    :math:`P(r_\mathcal{Z} \le t\|z\|) \ge \max_\epsilon \text{Eq.(1)}(\epsilon) - P(\chi^2_d < (\epsilon/t)^2)`.
    Returns ``(bound, best_eps)``.
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
    r"""Lemma 1, Eq. (8) (Dümbgen 2010): for :math:`x \ge 0`,
    :math:`1 - \frac{\phi(x)\, 2}{x + \sqrt{x^2 + 8/\pi}} \le \Phi(x) \le 1 - \frac{\phi(x)\, 2}{x + \sqrt{x^2 + 4}}`.

    Returns ``(lower, upper)`` bounds on the *upper tail* :math:`1 - \Phi(x)` instead, to keep
    precision for large ``x``: ``lower = 2 phi(x) / (x + sqrt(x^2 + 4))`` and
    ``upper = 2 phi(x) / (x + sqrt(x^2 + 8/pi))``.
    """
    x = np.asarray(x, dtype=float)
    if np.any(np.isnan(x)) or np.any(x < 0):
        raise ValueError(f"Lemma 1 holds for x >= 0, got {x!r}")
    phi = norm.pdf(x)
    lower = 2 * phi / (x + np.sqrt(x ** 2 + 4))
    upper = 2 * phi / (x + np.sqrt(x ** 2 + 8 / np.pi))
    return (lower, upper) if x.ndim else (float(lower), float(upper))


def lemma2_bound(p, eps):
    r"""Eq. (9): for :math:`p \in [1/2, 1]` and :math:`\epsilon > 0`,
    :math:`\Phi(\Phi^{-1}(p) + \epsilon) \ge 1 - (1-p)\sqrt{\pi/2}\, e^{-\epsilon^2/2} e^{-\epsilon\Phi^{-1}(p)}`.

    Returns the right-hand side (broadcast over ``p`` and ``eps``)."""
    p = np.asarray(p, dtype=float)
    if np.any(~((p >= 0.5) & (p <= 1))):
        raise ValueError(f"Lemma 2 needs p in [1/2, 1], got {p!r}")
    e = _check_eps(eps)
    with np.errstate(invalid="ignore"):  # p = 1: (1 - p) * exp(-eps * inf) -> 0
        tail = np.where(p < 1, (1 - p) * np.exp(-e ** 2 / 2 - e * norm.ppf(np.where(p < 1, p, 0.5))), 0.0)
    out = 1 - SQRT_PI_OVER_2 * tail
    return out if out.ndim else float(out)


def lemma2_equal_classes_bound(K, eps):
    r"""Eq. (10): :math:`\Phi(\Phi^{-1}(1 - 1/K) + \epsilon) \ge 1 - \frac1K\sqrt{\pi/2}\, e^{-\epsilon^2/2}
    e^{-\epsilon\sqrt{\log(K^2/(4\pi\log K))}}` for :math:`K \ge 5`.

    The paper also asks :math:`\epsilon \ge 1`; the proof (Eq. (9) plus Eq. (11)) never uses it,
    so any :math:`\epsilon \ge 0` is accepted here (checked numerically in the book).
    """
    K = np.asarray(K, dtype=float)
    e = _check_eps(eps)
    b = eq11_quantile_lower(K)
    out = 1 - SQRT_PI_OVER_2 / K * np.exp(-e ** 2 / 2 - e * b)
    return out if out.ndim else float(out)


# ---------------------------------------------------------------------------- Theorem 2
def theorem2_bound(measures) -> float:
    r"""Theorem 2: :math:`E\, r_\mathcal{Z}(z) \le \sum_i -a_{\neq i}\Phi(-a_{\neq i}) + \phi(a_{\neq i})`.

    It is :math:`\int_0^\infty (1 - \text{Eq.(1)}(\epsilon))\, d\epsilon`, because
    :math:`1 - \text{Eq.(1)} = \sum_i \bar\Phi(a_{\neq i} + \epsilon)` and
    :math:`\int_0^\infty \bar\Phi(a + \epsilon)\, d\epsilon = \phi(a) - a\bar\Phi(a)`.
    Empty classes contribute 0; a class of measure 1 gives ``inf`` (a constant classifier).
    """
    m = check_measures(measures)
    m = m[m > 0]
    if np.any(m >= 1):
        return math.inf
    a = norm.isf(m)
    return float(np.sum(-a * m + norm.pdf(a)))


def theorem2_equal_classes_bound(K):
    r"""Theorem 2 for ``K`` equiprobable classes, vectorised over ``K``: with :math:`\bar\Phi(a) = 1/K`,
    the sum of ``K`` equal terms is :math:`K\phi(a) - a` (same value as :func:`theorem2_bound`)."""
    K = np.asarray(K, dtype=float)
    if np.any(K < 1) or np.any(K != np.floor(K)):
        raise ValueError(f"K (number of classes) must be an integer >= 1, got {K!r}")
    with np.errstate(invalid="ignore"):
        a = norm.isf(1.0 / K)
        out = np.where(K > 1, K * norm.pdf(a) - a, np.inf)
    return out if out.ndim else float(out)


def theorem2_equal_classes_closed_form(K):
    r"""Theorem 2, closed form for :math:`K \ge 5` equiprobable classes:
    :math:`E\, r_\mathcal{Z} \le \log(4\pi\log K) / \sqrt{2\log K}` (as printed; the appendix gives no proof)."""
    K = np.asarray(K, dtype=float)
    if np.any(K < 5):
        raise ValueError(f"the closed form of Theorem 2 is stated for K >= 5, got {K!r}")
    out = np.log(4 * np.pi * np.log(K)) / np.sqrt(2 * np.log(K))
    return out if out.ndim else float(out)


def theorem2_equal_classes_sharper(K):
    r"""A sharper closed form than :func:`theorem2_equal_classes_closed_form`, from the same lemmas.

    With :math:`\bar\Phi(a) = 1/K`, Theorem 2 reads :math:`K\phi(a) - a = \phi(a)/\bar\Phi(a) - a`.
    Lemma 1 (:math:`\bar\Phi(a) \ge 2\phi(a)/(a + \sqrt{a^2+4})`) gives
    :math:`K\phi(a) - a \le 2/(a + \sqrt{a^2 + 4})`, which decreases in :math:`a`; Eq. (11)
    (:math:`a \ge b = \sqrt{\log(K^2/(4\pi\log K))}`) then gives
    :math:`E\, r_\mathcal{Z} \le 2/(b + \sqrt{b^2 + 4}) < 1/b` for :math:`K \ge 5`.
    (Derived in this book; not in the paper.)"""
    b = eq11_quantile_lower(K)
    out = 2 / (b + np.sqrt(np.asarray(b) ** 2 + 4))
    return out if np.ndim(out) else float(out)


def theorem2_bound_by_quadrature(measures) -> float:
    r"""Independent evaluation of Theorem 2: :math:`\int_0^\infty (1 - \text{Eq.(1)}(\epsilon))\,d\epsilon`
    by adaptive quadrature (``scipy.integrate.quad``)."""
    m = check_measures(measures)
    if np.any(m >= 1):
        return math.inf
    val, _ = integrate.quad(lambda e: 1.0 - theorem1_bound(e, m), 0, np.inf, epsabs=1e-12, epsrel=1e-10,
                            limit=200)
    return float(val)


# ---------------------------------------------------------------------------- Example 1, Theorem 3
def checkerboard_bound(eps, d: int):
    r"""Eq. (4), the checkerboard of Example 1: :math:`P(r_\mathcal{Z} \le \epsilon) \ge 1 - (1-\epsilon)^d`
    for :math:`0 \le \epsilon \le 1/2` (the proof's range; beyond it :math:`P = 1`)."""
    d = _check_K(d)
    e = _check_eps(eps)
    if np.any(e > 0.5):
        raise ValueError(f"Eq. (4) is proved for 0 <= eps <= 1/2 (for eps > 1/2 the probability is 1); got {eps!r}")
    out = 1 - (1 - e) ** d
    return out if e.ndim else float(out)


def theorem3_bound(eps, delta):
    r"""Theorem 3: :math:`P(\exists v, \|v\| \le \epsilon` fooling both f and h :math:`) \ge
    1 - \sqrt{\pi/2}\, e^{-\epsilon^2/2} - 2\delta`, where :math:`\delta \ge P(f \ne h)`.

    Needs :math:`\nu(C_i(f)) + \delta \le 1/2` for every class (see :func:`theorem3_assumption_holds`).
    """
    e = _check_eps(eps)
    delta = np.asarray(delta, dtype=float)
    if np.any(~((delta >= 0) & (delta <= 1))):
        raise ValueError(f"delta is a probability of disagreement, in [0, 1]; got {delta!r}")
    out = 1 - SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2) - 2 * delta
    return out if out.ndim else float(out)


def theorem3_assumption_holds(measures_f, delta: float) -> bool:
    r"""Theorem 3's assumption :math:`\nu(C_i(f)) + \delta \le 1/2` for all classes ``i``."""
    m = check_measures(measures_f)
    return bool(np.all(m + delta <= 0.5 + 1e-12))


def theorem3_general_bound(eps, outside_measures, delta):
    r"""Theorem 3 without the balance assumption (the "general statement" of the paper's footnote 4).

    With :math:`A_i = \overline{C_i(f)} \cap \overline{C_i(h)}` (points that neither classifier
    puts in class ``i``) and :math:`\Phi(b_i) = \nu(A_i)` (``outside_measures[i]``), the proof in
    Appendix A.4 before its use of Eq. (9) gives
    :math:`P(\exists v, \|v\| \le \epsilon \text{ fooling both}) \ge \sum_i [\Phi(b_i + \epsilon) - \Phi(b_i)] - 2\delta`.
    Under the assumption :math:`\nu(C_i(f)) + \delta \le 1/2` it is at least :func:`theorem3_bound`.
    """
    e = _check_eps(eps)
    o = np.asarray(outside_measures, dtype=float)
    if o.ndim != 1 or o.size == 0 or np.any(~((o >= 0) & (o <= 1))):
        raise ValueError(f"outside_measures must be a 1-D list of measures nu(A_i) in [0, 1], got {outside_measures!r}")
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

    Because :math:`\sum_i \bar\Phi(a_{\neq i}) = \sum_i \nu(C_i) = 1`, one minus the bound of
    Eq. (1) is a sum of upper tails (an empty class contributes 0, a class of measure 1
    contributes 1). Vectorised over ``eps``.

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
    """
    e = _check_eps(eps)
    m = check_measures(measures)
    a = norm.isf(m[m > 0])
    out = norm.sf(a + e[..., None]).sum(axis=-1)
    return out if e.ndim else float(out)


def theorem1_balanced_complement(eps):
    r""":math:`1 - \text{Eq.(2)} = \sqrt{\pi/2}\, e^{-\epsilon^2/2}` (vectorised over ``eps``)."""
    e = _check_eps(eps)
    out = SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2)
    return out if e.ndim else float(out)


def theorem1_equal_classes_complement(eps, K):
    r""":math:`1 - \text{Eq.(3)} = \sqrt{\pi/2}\, e^{-\epsilon^2/2 - \epsilon b}`,
    :math:`b = \sqrt{\log(K^2/(4\pi\log K))}` (Eq. (11)), for :math:`K \ge 5`."""
    K = _check_K(K, 5)
    e = _check_eps(eps)
    out = SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2 - e * eq11_quantile_lower(K))
    return out if e.ndim else float(out)


def lemma2_tail_ratio(tail, eps):
    r"""Eq. (9) in tail form: :math:`\bar\Phi(a + \epsilon) / \big(t\sqrt{\pi/2}\,
    e^{-\epsilon^2/2 - \epsilon a}\big)` with :math:`t = 1 - p` and :math:`a = \bar\Phi^{-1}(t)`.

    Eq. (9) holds at :math:`(p, \epsilon)` exactly when this ratio is at most 1. Parametrising by
    the tail :math:`t \in (0, 1/2]` rather than by :math:`p` keeps full precision for
    :math:`p` close to 1. Broadcast over ``tail`` and ``eps``.
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

    Eq. (10) holds at :math:`(K, \epsilon)` exactly when the ratio is at most 1 (``K >= 5``,
    broadcast over ``K`` and ``eps``).
    """
    K = np.asarray(K, dtype=float)
    e = _check_eps(eps)
    b = eq11_quantile_lower(K)
    a = norm.isf(1.0 / K)
    out = norm.sf(a + e) * K / (SQRT_PI_OVER_2 * np.exp(-e ** 2 / 2 - e * b))
    return out if out.ndim else float(out)


def theorem2_classes_needed(target: float, K_max: int = 10 ** 9) -> int:
    r"""The smallest number ``K`` of equiprobable classes whose Theorem 2 bound is ``<= target``.

    The bound :func:`theorem2_equal_classes_bound` decreases in ``K``, so the answer is found by
    bisection on the integers in ``[2, K_max]``.

    Raises
    ------
    ValueError
        If even ``K_max`` classes leave the bound above ``target``.
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
    r"""The perturbation norm above which Theorem 3's bound is positive:
    :math:`\sqrt{2\log(\sqrt{\pi/2}/(1 - 2\delta))}` (for :math:`0 \le \delta < 1/2`)."""
    delta = np.asarray(delta, dtype=float)
    if np.any(~((delta >= 0) & (delta < 0.5))):
        raise ValueError(f"the bound is positive for some eps only when 0 <= delta < 1/2; "
                         f"got {delta!r}")
    out = np.sqrt(2 * np.log(SQRT_PI_OVER_2 / (1 - 2 * delta)))
    return out if out.ndim else float(out)
