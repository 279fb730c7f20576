"""Tests of companion.bounds.gaussian_isoperimetry (Fawzi et al. 2018, Theorems 1-3, Lemmas 1-2).

Reference values come from closed forms written here with ``math.erf`` (independent of scipy's
norm), exhaustive grids, scipy quadrature, or Monte Carlo with a fixed seed and 5 standard errors.
"""
import math

import numpy as np
import pytest
from scipy import integrate, special

from companion.bounds import gaussian_isoperimetry as gi


def Phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def Phibar(x):
    return 0.5 * math.erfc(x / math.sqrt(2))


def phi(x):
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def Phi_inv(p):
    """Inverse cdf by bisection on math.erf (independent of scipy.stats.norm)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if Phi(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


EPS = np.linspace(0, 6, 61)


# ------------------------------------------------------------------ Theorem 1
def test_eq1_is_equality_for_two_half_spaces():
    # Remark 4: C_1 = {z_1 >= 0}: P(r_Z <= eps) = 2 (Phi(eps) - Phi(0))
    expected = np.array([2 * (Phi(e) - 0.5) for e in EPS])
    np.testing.assert_allclose(gi.theorem1_bound(EPS, [0.5, 0.5]), expected, atol=1e-14)


def test_eq1_general_measures_against_direct_formula():
    m = [0.1, 0.25, 0.65]
    for e in [0.0, 0.3, 1.7]:
        direct = sum(Phi(Phi_inv(1 - mi) + e) - (1 - mi) for mi in m)
        assert gi.theorem1_bound(e, m) == pytest.approx(direct, abs=1e-10)


def test_eq1_limits_and_monotonicity():
    for m in ([0.5, 0.5], gi.equal_measures(7), [0.05, 0.15, 0.8]):
        v = gi.theorem1_bound(EPS, m)
        assert v[0] == 0.0
        assert np.all(np.diff(v) > 0)
        assert gi.theorem1_bound(60.0, m) == pytest.approx(1.0, abs=1e-12)
        assert gi.theorem1_bound(np.inf, m) == pytest.approx(1.0, abs=1e-12)
    # a constant classifier can never be fooled: the bound must be 0
    assert gi.theorem1_bound(3.0, [1.0]) == 0.0
    assert gi.theorem1_bound(3.0, [1.0, 0.0]) == 0.0


def test_eq1_increases_with_number_of_equal_classes():
    # Remark 2: more (equiprobable) classes -> larger probability of being fooled
    e = np.linspace(0.05, 3, 60)          # beyond, both sides are 1 to machine precision
    vals = np.array([gi.theorem1_bound(e, gi.equal_measures(K)) for K in range(2, 60)])
    assert np.all(np.diff(vals, axis=0) > 0)


def test_eq2_from_eq9_with_p_one_half_and_below_eq1():
    # for K = 2 equal classes Eq. (1) = 2 Phi(eps) - 1 >= 2 * Eq.(9)(p=1/2) - 1 = Eq. (2)
    e = EPS[1:]
    np.testing.assert_allclose(gi.theorem1_balanced_bound(e), 2 * gi.lemma2_bound(0.5, e) - 1, atol=1e-14)
    rng = np.random.default_rng(1)
    for _ in range(50):
        K = rng.integers(2, 12)
        m = rng.dirichlet(np.ones(K))
        if m.max() > 0.5:
            continue
        assert np.all(gi.theorem1_balanced_bound(e) <= gi.theorem1_bound(e, m) + 1e-12)


def test_eq3_below_eq1_for_equal_classes():
    for K in [5, 6, 10, 100, 10_000]:
        assert np.all(gi.theorem1_equal_classes_bound(EPS, K) <= gi.theorem1_bound(EPS, gi.equal_measures(K)) + 1e-12)


def test_eq1_monte_carlo_half_space():
    rng = np.random.default_rng(2024)
    n = 200_000
    r = np.abs(rng.standard_normal(n))          # r_Z of the half-space {z_1 >= 0}
    for e in [0.1, 0.5, 1.0, 2.0]:
        p = np.mean(r <= e)
        se = math.sqrt(p * (1 - p) / n)
        assert abs(p - gi.theorem1_bound(e, [0.5, 0.5])) < 5 * se


def test_quantiles_closed_form_and_root_finding_agree():
    for K in [2, 3, 10, 1000]:
        for q in [0.1, 0.25, 0.5, 0.9]:
            closed = gi.equal_classes_quantile(q, K)
            assert gi.theorem1_quantile(q, gi.equal_measures(K)) == pytest.approx(closed, abs=1e-9)
            assert gi.theorem1_bound(closed, gi.equal_measures(K)) == pytest.approx(q, abs=1e-12)
    # K = 2 median: Phi(eps) = 3/4
    assert gi.equal_classes_quantile(0.5, 2) == pytest.approx(Phi_inv(0.75), abs=1e-12)


def test_latent_ratio_bound_is_below_exact_half_space_probability():
    # for the half-space, r_Z / ||z|| = |z_1| / ||z||, and z_1^2 / ||z||^2 ~ Beta(1/2, (d-1)/2)
    for d, t in [(100, 0.1), (30, 0.2), (400, 0.05)]:
        exact = special.betainc(0.5, (d - 1) / 2, t * t)
        bound, _ = gi.latent_ratio_bound(t, d, [0.5, 0.5])
        assert 0 < bound <= exact


# ------------------------------------------------------------------ Lemmas 1-2
def test_lemma1_duembgen_on_grid():
    for x in np.linspace(0, 30, 601):
        lo, hi = gi.duembgen_bounds(x)
        tail = Phibar(x)
        assert lo <= tail * (1 + 1e-12) and tail <= hi * (1 + 1e-12)


def test_lemma2_eq9_on_grid():
    ps = np.concatenate([np.linspace(0.5, 0.999, 200), 1 - np.logspace(-12, -3, 30)])
    for p in ps:
        a = Phi_inv(p)
        for e in np.linspace(0.01, 8, 80):
            assert 1 - Phibar(a + e) >= gi.lemma2_bound(p, e) - 1e-12


def test_lemma2_eq10_holds_also_for_eps_below_one_and_eq11():
    for K in list(range(5, 60)) + [100, 1000, 10**5]:
        a = Phi_inv(1 - 1 / K)
        assert a >= gi.eq11_quantile_lower(K)
        for e in np.concatenate([np.linspace(0.0, 1.0, 21), np.linspace(1, 8, 30)]):
            assert Phi(a + e) >= gi.lemma2_equal_classes_bound(K, e) - 1e-12


def test_eq11_undefined_below_five():
    for K in [2, 3, 4]:
        assert K ** 2 < 4 * math.pi * math.log(K)
        with pytest.raises(ValueError, match="K >= 5"):
            gi.eq11_quantile_lower(K)
    assert 5 ** 2 > 4 * math.pi * math.log(5)


# ------------------------------------------------------------------ Theorem 2
def test_theorem2_closed_form_half_space():
    # K = 2: E|z_1| = sqrt(2/pi) = 2 phi(0), an equality
    assert gi.theorem2_bound([0.5, 0.5]) == pytest.approx(math.sqrt(2 / math.pi), abs=1e-14)


def test_theorem2_equals_integral_of_eq1_tail():
    for m in ([0.5, 0.5], [0.2, 0.3, 0.5], gi.equal_measures(10), [0.01, 0.99]):
        tail = lambda e: sum(Phibar(Phi_inv(1 - mi) + e) for mi in m)  # noqa: E731
        ref = integrate.quad(tail, 0, np.inf, epsabs=1e-12)[0]
        assert gi.theorem2_bound(m) == pytest.approx(ref, abs=1e-8)
        assert gi.theorem2_bound_by_quadrature(m) == pytest.approx(ref, abs=1e-8)


def test_theorem2_equal_classes_value_and_closed_form_is_weaker():
    a = Phi_inv(0.9)
    assert gi.theorem2_bound(gi.equal_measures(10)) == pytest.approx(10 * phi(a) - a, abs=1e-9)
    Ks = np.unique(np.logspace(np.log10(5), 6, 200).astype(int))
    general = np.array([gi.theorem2_bound(gi.equal_measures(K)) for K in Ks[:60]])
    assert np.all(gi.theorem2_equal_classes_closed_form(Ks[:60]) >= general)
    assert np.all(np.diff(general) < 0)   # decreasing in K (Fig. 2b)


def test_sharper_closed_form_between_general_bound_and_paper_closed_form():
    Ks = np.unique(np.logspace(np.log10(5), 6, 120).astype(int))
    general = np.array([gi.theorem2_bound(gi.equal_measures(K)) for K in Ks])
    sharper = gi.theorem2_equal_classes_sharper(Ks)
    assert np.all(general <= sharper) and np.all(sharper <= gi.theorem2_equal_classes_closed_form(Ks))
    assert np.all(sharper < 1 / gi.eq11_quantile_lower(Ks))


def test_vectorised_equal_classes_expectation_bound():
    Ks = np.array([1, 2, 3, 7, 10, 1000])
    ref = [gi.theorem2_bound(gi.equal_measures(K)) for K in Ks]
    np.testing.assert_allclose(gi.theorem2_equal_classes_bound(Ks), ref, rtol=1e-12)


def test_constant_classifier_has_infinite_expectation_bound():
    assert gi.theorem2_bound([1.0, 0.0]) == math.inf


# ------------------------------------------------------------------ Example 1, Theorem 3, validation
def test_checkerboard_bound_limits():
    assert gi.checkerboard_bound(0.0, 10) == 0.0
    assert gi.checkerboard_bound(0.5, 10) == pytest.approx(1 - 0.5 ** 10)
    with pytest.raises(ValueError, match="1/2"):
        gi.checkerboard_bound(0.7, 10)


def test_theorem3_bound_and_assumption():
    assert gi.theorem3_bound(2.0, 0.0) == pytest.approx(gi.theorem1_balanced_bound(2.0))
    assert gi.theorem3_bound(2.0, 0.1) == pytest.approx(gi.theorem1_balanced_bound(2.0) - 0.2)
    assert gi.theorem3_assumption_holds(gi.equal_measures(4), 0.2)
    assert not gi.theorem3_assumption_holds([0.5, 0.5], 0.01)


def test_theorem3_general_bound_reduces_to_eq1_and_dominates_printed_bound():
    eps = np.linspace(0, 5, 26)
    m = np.array([0.1, 0.3, 0.6])
    # f = h, delta = 0: A_i is the complement of C_i, and the general bound is Eq. (1)
    np.testing.assert_allclose(gi.theorem3_general_bound(eps, 1 - m, 0.0), gi.theorem1_bound(eps, m), atol=1e-14)
    # under the assumption (nu(A_i) >= 1/2 and sum of 1 - nu(A_i) >= 1) it is above the printed bound
    delta = 0.1
    outside = 1 - (gi.equal_measures(5) + delta / 5)
    assert np.all(gi.theorem3_general_bound(eps, outside, delta) >= gi.theorem3_bound(eps, delta) - 1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: gi.theorem1_bound(1.0, [0.5, 0.6]), "sum to 1"),
    (lambda: gi.theorem1_bound(-1.0, [0.5, 0.5]), "eps must be >= 0"),
    (lambda: gi.theorem1_bound(1.0, [-0.5, 1.5]), "non-negative"),
    (lambda: gi.theorem1_equal_classes_bound(1.0, 4), "K"),
    (lambda: gi.equal_classes_quantile(1.5, 10), "q must be"),
    (lambda: gi.theorem1_quantile(0.5, [1.0]), "measure 1"),
    (lambda: gi.lemma2_bound(0.3, 1.0), r"p in \[1/2, 1\]"),
    (lambda: gi.duembgen_bounds(-1.0), "x >= 0"),
    (lambda: gi.theorem2_equal_classes_closed_form(3), "K >= 5"),
    (lambda: gi.theorem3_bound(1.0, 1.5), "delta"),
])
def test_bad_inputs_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
