"""Tests of companion.bounds.gaussian_isoperimetry (Fawzi et al. 2018, Theorems 1-3, Lemmas 1-2).

Reference values come from closed forms written here with ``math.erf`` (independent of scipy's
norm), exhaustive grids, scipy quadrature, or Monte Carlo with a fixed seed and 5 standard errors.
"""
import math
from fractions import Fraction

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
    closed = gi.theorem2_equal_classes_closed_form(Ks[:60])
    # the printed closed form log(4 pi log K) / sqrt(2 log K), evaluated here with math.log
    want = [math.log(4 * math.pi * math.log(K)) / math.sqrt(2 * math.log(K)) for K in Ks[:60]]
    np.testing.assert_allclose(closed, want, rtol=1e-13)
    assert np.all(closed >= general)
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


# ------------------------------------------------------------------ exact values, edge cases, the scalar/array contract
# Each function returns a Python float for scalar arguments and an array otherwise; measures are
# accepted within 1e-9 of summing to 1. Reference values are the paper's formulas written with math.

def Phibar_inv(p):
    """Upper-tail quantile by bisection on math.erfc (accurate for tiny tails)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if Phibar(mid) > p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def assert_float(x):
    assert type(x) is float, f"expected a Python float for scalar input, got {type(x).__name__}"


def test_check_measures_converts_and_names_each_problem():
    m = gi.check_measures([1, 0])
    assert m.dtype == np.float64 and m.tolist() == [1.0, 0.0]
    for bad, match in [([[0.5, 0.5]], "non-empty 1-D"), ([], "non-empty 1-D"), ([0.5, np.nan, 0.5], "finite"),
                       ([0.5, 0.6], "sum to 1")]:
        with pytest.raises(ValueError, match=match):
            gi.check_measures(bad)
    np.testing.assert_array_equal(gi.equal_measures(3.0), [1 / 3] * 3)
    for K in (2.5, True, 0):
        with pytest.raises(ValueError, match=r"K \(number of classes\) must be an integer >= 1"):
            gi.equal_measures(K)


def test_a_neq_is_the_upper_tail_quantile():
    m = [0.1, 0.25, 0.65, 0.0]
    np.testing.assert_allclose(gi.a_neq(m)[:3], [Phibar_inv(x) for x in m[:3]], rtol=1e-12)
    assert gi.a_neq(m)[3] == np.inf and gi.a_neq([1.0])[0] == -np.inf


def test_eq1_degenerate_classes_scalars_and_rounding():
    assert_float(gi.theorem1_bound(1.0, [0.5, 0.5]))
    assert_float(gi.theorem1_bound(1.0, [1.0]))
    zero = gi.theorem1_bound(np.array([0, 1, 2]), [1.0])        # integer eps, constant classifier
    assert zero.dtype == np.float64 and zero.shape == (3,) and not zero.any()
    # classes of measure 0 or 1 contribute nothing, also at eps = inf (no inf - inf)
    assert gi.theorem1_bound(np.inf, [1.0]) == 0.0
    assert gi.theorem1_bound(np.inf, [1.0, 0.0]) == 0.0
    np.testing.assert_array_equal(gi.theorem1_bound(np.array([0.0, np.inf]), [0.0, 1.0]), [0.0, 0.0])
    assert gi.theorem1_bound(np.inf, [0.25, 0.75, 0.0]) == 1.0
    # measures summing to 1 + 5e-10 are accepted: the bound stays a probability
    assert gi.theorem1_bound(np.inf, [0.5 + 5e-10, 0.5]) == 1.0
    np.testing.assert_array_equal(gi.theorem1_bound(np.array([np.inf, np.inf]), [0.5 + 5e-10, 0.5]), [1.0, 1.0])
    # a tiny class next to a (numerically) full one still counts: Phibar(a) - Phibar(a + eps), Phibar(a) = 1e-10
    a = Phibar_inv(1e-10)
    assert gi.theorem1_bound(3.0, [1.0, 1e-10]) == pytest.approx(1e-10 - Phibar(a + 3.0), rel=1e-9)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        gi.theorem1_bound(np.nan, [0.5, 0.5])


def test_eq2_eq3_eq10_values_from_the_printed_formulas():
    for e in (0.0, 0.5, 1.0, 2.5):
        assert gi.theorem1_balanced_bound(e) == pytest.approx(1 - math.sqrt(math.pi / 2) * math.exp(-e * e / 2),
                                                              rel=1e-13)
        assert_float(gi.theorem1_balanced_bound(e))
        for K in (5, 10, 1000):
            b = math.sqrt(math.log(K * K / (4 * math.pi * math.log(K))))
            eq3 = gi.theorem1_equal_classes_bound(e, K)
            eq10 = gi.lemma2_equal_classes_bound(K, e)
            assert eq3 == pytest.approx(1 - math.sqrt(math.pi / 2) * math.exp(-e * e / 2 - e * b), rel=1e-12)
            assert eq10 == pytest.approx(1 - math.sqrt(math.pi / 2) / K * math.exp(-e * e / 2 - e * b), rel=1e-12)
            # Eq. (3) is Eq. (1) for K equal classes with Eq. (10) in place of Phi(a + eps)
            assert eq3 == pytest.approx(K * (eq10 - (1 - 1 / K)), rel=1e-9, abs=1e-12)
            assert_float(eq3)
            assert_float(eq10)
    assert gi.lemma2_equal_classes_bound(np.array([5, 10]), 1.0).shape == (2,)
    with pytest.raises(ValueError, match=r"K \(number of classes\) must be an integer >= 5"):
        gi.theorem1_equal_classes_bound(1.0, 4)


def test_eq11_value_for_small_and_astronomical_K():
    for K in (5, 10, 1000, 10**10, 10**20):
        want = math.sqrt(math.log(K ** 2 / (4 * math.pi * math.log(K))))   # K ** 2 exact in Python integers
        assert gi.eq11_quantile_lower(K) == pytest.approx(want, rel=1e-12)
        assert_float(gi.eq11_quantile_lower(K))
    assert gi.eq11_quantile_lower(np.array([5, 10])).shape == (2,)
    with pytest.raises(ValueError, match="integer K >= 5"):
        gi.eq11_quantile_lower(5.5)


def test_equal_classes_quantile_contract():
    assert_float(gi.equal_classes_quantile(0.5, 2))
    np.testing.assert_allclose(gi.equal_classes_quantile(np.array([0.25, 0.5]), 2),
                               [Phi_inv(0.625), Phi_inv(0.75)], atol=1e-12)
    assert gi.equal_classes_quantile(Fraction(1, 2), 2) == pytest.approx(Phi_inv(0.75), abs=1e-12)
    for q in (0.0, 1.0):
        with pytest.raises(ValueError, match="q must be a probability"):
            gi.equal_classes_quantile(q, 10)
    with pytest.raises(ValueError, match="integer >= 2"):
        gi.equal_classes_quantile(0.5, 1)


def test_theorem1_quantile_far_tail_and_validation():
    # K = 2: 2 Phi(eps) - 1 = q, eps = Phi^-1((1 + q) / 2) = 3.89 for q = 0.9999 (root bracket doubled twice)
    assert gi.theorem1_quantile(0.9999, [0.5, 0.5]) == pytest.approx(Phibar_inv(0.00005), abs=1e-9)
    for q in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"q must be a probability in \(0, 1\)"):
            gi.theorem1_quantile(q, [0.5, 0.5])
    with pytest.raises(ValueError, match=r"^one class has measure 1 \(a constant classifier\): Eq\. \(1\) is 0"):
        gi.theorem1_quantile(0.5, [1.0, 0.0])


def test_latent_ratio_bound_is_the_maximum_over_eps():
    # half-space: Eq. (1) = erf(eps / sqrt 2) and P(chi2_d < x) = gammainc(d/2, x/2): maximise over a dense grid,
    # then polish the grid maximum by the vertex of the parabola through its neighbours
    import warnings

    for d, t in [(100, 0.1), (30, 0.05), (400, 0.05), (1, 2.0)]:
        e = np.linspace(0, 4 * max(t * math.sqrt(d), 1), 400_001)
        f = special.erf(e / math.sqrt(2)) - special.gammainc(d / 2, (e / t) ** 2 / 2)
        i = int(f.argmax())
        h = e[1] - e[0]
        y0, y1, y2 = f[i - 1], f[i], f[i + 1]
        shift = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
        ref, ref_eps = y1 - 0.25 * (y0 - y2) * shift, e[i] + shift * h
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            bound, best = gi.latent_ratio_bound(t, d, [0.5, 0.5])
        assert bound == pytest.approx(ref, abs=1e-12)
        assert best == pytest.approx(ref_eps, abs=1e-5)
        assert_float(bound)
    for t in (0.0, -1.0):
        with pytest.raises(ValueError, match=r"t \(the ratio r_Z/\|\|z\|\|\) must be > 0"):
            gi.latent_ratio_bound(t, 10, [0.5, 0.5])


def test_lemma1_values_and_tightness():
    lo, hi = gi.duembgen_bounds(0.0)
    assert hi == pytest.approx(0.5, abs=1e-15)          # 2 phi(0) / sqrt(8/pi) = 1/2 = Phibar(0): attained at 0
    assert lo == pytest.approx(phi(0.0), abs=1e-15)     # 2 phi(0) / 2
    assert_float(lo)
    assert_float(hi)
    xs = np.array([0.0, 0.5, 1.0, 3.0, 10.0, 30.0])
    lo, hi = gi.duembgen_bounds(xs)
    assert lo.shape == hi.shape == (6,)
    for x, l, h in zip(xs, lo, hi):
        assert l == pytest.approx(2 * phi(x) / (x + math.sqrt(x * x + 4)), rel=1e-12)
        assert h == pytest.approx(2 * phi(x) / (x + math.sqrt(x * x + 8 / math.pi)), rel=1e-12)
    assert 1 - 1e-3 < lo[-1] / Phibar(30.0) <= 1 <= hi[-1] / Phibar(30.0) < 1 + 1e-3   # both exact as x -> inf
    assert gi.duembgen_bounds(Fraction(1, 2)) == pytest.approx(gi.duembgen_bounds(0.5), rel=1e-15)
    with pytest.raises(ValueError, match="x >= 0"):
        gi.duembgen_bounds(np.nan)


def test_lemma2_eq9_values_and_p_one():
    for p in (0.5, 0.7, 0.99):
        a = Phi_inv(p)
        for e in (0.0, 0.3, 2.0):
            want = 1 - (1 - p) * math.sqrt(math.pi / 2) * math.exp(-e * e / 2 - e * a)
            assert gi.lemma2_bound(p, e) == pytest.approx(want, rel=1e-12)
            assert_float(gi.lemma2_bound(p, e))
    # p = 1: Phi(Phi^-1(1) + eps) = 1 and the bound is 1 at every eps
    assert gi.lemma2_bound(1.0, 2.0) == 1.0 and gi.lemma2_bound(1.0, 0.0) == 1.0
    np.testing.assert_array_equal(gi.lemma2_bound(np.array([1.0, 1.0]), np.array([0.0, 3.0])), [1.0, 1.0])
    assert gi.lemma2_bound(Fraction(3, 4), 1.0) == pytest.approx(gi.lemma2_bound(0.75, 1.0), rel=1e-15)
    with pytest.raises(ValueError, match=r"p in \[1/2, 1\]"):
        gi.lemma2_bound(1.5, 1.0)


def test_theorem2_edge_cases_and_astronomical_K():
    assert gi.theorem2_bound([0.5, 0.5, 0.0]) == pytest.approx(math.sqrt(2 / math.pi), abs=1e-14)
    assert gi.theorem2_bound([1 + 1e-10]) == math.inf          # a class of measure 1, within the rounding accepted
    assert gi.theorem2_bound_by_quadrature([1.0, 0.0]) == math.inf
    assert gi.theorem2_equal_classes_bound(1) == math.inf
    assert_float(gi.theorem2_equal_classes_bound(10))
    for K in (0, 2.5):
        with pytest.raises(ValueError, match=r"K \(number of classes\) must be an integer >= 1"):
            gi.theorem2_equal_classes_bound(K)
    # K = 10^20 classes (beyond int64): K phi(a) - a with Phibar(a) = 1/K
    a = Phibar_inv(1e-20)
    assert gi.theorem2_equal_classes_bound(10**20) == pytest.approx(1e20 * phi(a) - a, rel=1e-8)
    L = math.log(10**20)
    assert gi.theorem2_equal_classes_closed_form(10**20) == pytest.approx(math.log(4 * math.pi * L) / math.sqrt(2 * L),
                                                                           rel=1e-13)
    assert_float(gi.theorem2_equal_classes_closed_form(10))


def test_sharper_closed_form_is_lemma1_at_the_eq11_quantile():
    for K in (5, 10, 1000, 10**6):
        b = math.sqrt(math.log(K * K / (4 * math.pi * math.log(K))))
        assert gi.theorem2_equal_classes_sharper(K) == pytest.approx(2 / (b + math.sqrt(b * b + 4)), rel=1e-13)
        # = (Lemma 1 lower bound on Phibar(b)) / phi(b)
        assert gi.theorem2_equal_classes_sharper(K) == pytest.approx(gi.duembgen_bounds(b)[0] / phi(b), rel=1e-12)
        assert_float(gi.theorem2_equal_classes_sharper(K))


def test_checkerboard_and_theorem3_values():
    assert gi.checkerboard_bound(0.25, 3) == 1 - 0.75 ** 3
    assert_float(gi.checkerboard_bound(0.25, 3))
    assert gi.checkerboard_bound(np.array([0.0, 0.5]), 2).tolist() == [0.0, 0.75]
    for e in (0.0, 1.0, 3.0):
        for delta in (0.0, 0.1, 1.0):
            want = 1 - math.sqrt(math.pi / 2) * math.exp(-e * e / 2) - 2 * delta
            assert gi.theorem3_bound(e, delta) == pytest.approx(want, rel=1e-13, abs=1e-15)
            assert_float(gi.theorem3_bound(e, delta))
    assert gi.theorem3_assumption_holds([0.5, 0.5], 0.0)              # the assumption is "<= 1/2"
    assert gi.theorem3_assumption_holds([0.5, 0.5], 1e-12)            # within the 1e-12 rounding slack
    assert not gi.theorem3_assumption_holds([0.5, 0.5], 1e-9)


def test_theorem3_general_bound_values_and_validation():
    o, delta = [0.6, 0.7, 0.8], 0.05
    for e in (0.0, 0.5, 2.0):
        want = sum(Phi(Phi_inv(x) + e) - x for x in o) - 2 * delta
        assert gi.theorem3_general_bound(e, o, delta) == pytest.approx(want, abs=1e-12)
        assert_float(gi.theorem3_general_bound(e, o, delta))
    assert gi.theorem3_general_bound(1.0, [Fraction(3, 5), Fraction(7, 10), Fraction(4, 5)], delta) == pytest.approx(
        gi.theorem3_general_bound(1.0, o, delta), rel=1e-15)
    # A_i of measure 0 or 1 contribute nothing, also at eps = inf; delta = 1 is allowed
    assert gi.theorem3_general_bound(np.inf, [0.0, 1.0, 0.5], 0.0) == pytest.approx(0.5, abs=1e-15)
    assert gi.theorem3_general_bound(0.0, [0.5], 1.0) == -2.0
    for bad in ([[0.5, 0.5]], [], [1.5], [-0.1, 0.5]):
        with pytest.raises(ValueError, match="outside_measures must be a 1-D list"):
            gi.theorem3_general_bound(1.0, bad, 0.0)
    with pytest.raises(ValueError, match="delta is a probability"):
        gi.theorem3_general_bound(1.0, [0.5], 1.5)


def test_tail_forms_scalars_inputs_and_messages():
    # the complements and tail ratios used by the Fawzi pages (tests/test_fawzi_pages_helpers.py has their values)
    assert_float(gi.theorem1_complement(1.0, [0.5, 0.5]))
    assert_float(gi.theorem1_balanced_complement(1.0))
    assert_float(gi.theorem1_equal_classes_complement(1.0, 5))
    assert_float(gi.lemma2_tail_ratio(0.25, 1.0))
    assert_float(gi.lemma2_equal_classes_tail_ratio(10, 1.0))
    assert gi.theorem1_complement(1.0, [0.5, 0.5]) == pytest.approx(2 * Phibar(1.0), rel=1e-13)
    assert gi.lemma2_tail_ratio(Fraction(1, 4), 1.0) == pytest.approx(gi.lemma2_tail_ratio(0.25, 1.0), rel=1e-15)
    with pytest.raises(ValueError, match=r"the tail 1 - p must lie in \(0, 1/2\]"):
        gi.lemma2_tail_ratio(0.75, 1.0)
    with pytest.raises(ValueError, match=r"K \(number of classes\) must be an integer >= 5"):
        gi.theorem1_equal_classes_complement(1.0, 4)
    # Theorem 3's threshold: the bound vanishes at sqrt(2 log(sqrt(pi/2) / (1 - 2 delta)))
    for delta in (0.0, Fraction(1, 10)):
        want = math.sqrt(2 * math.log(math.sqrt(math.pi / 2) / (1 - 2 * float(delta))))
        assert gi.theorem3_nonvacuous_eps(delta) == pytest.approx(want, rel=1e-14)
        assert_float(gi.theorem3_nonvacuous_eps(delta))
    assert gi.theorem3_nonvacuous_eps(np.array([0.0, 0.1])).shape == (2,)
    with pytest.raises(ValueError, match="only when 0 <= delta < 1/2"):
        gi.theorem3_nonvacuous_eps(0.5)


def test_theorem2_classes_needed_edges():
    # the smallest K with K phi(a) - a <= target, Phibar(a) = 1/K (checked against a linear scan)
    bound = lambda K: K * phi(Phibar_inv(1 / K)) - Phibar_inv(1 / K)  # noqa: E731
    for target in (0.6, 0.45):
        K = next(k for k in range(2, 10_000) if bound(k) <= target)
        assert gi.theorem2_classes_needed(target) == K
    exact = gi.theorem2_equal_classes_bound(10)
    assert gi.theorem2_classes_needed(exact) == 10                  # "<= target": the bound itself qualifies
    assert gi.theorem2_classes_needed(gi.theorem2_equal_classes_bound(7), K_max=7) == 7
    assert gi.theorem2_classes_needed(0.8, K_max=2) == 2
    with pytest.raises(ValueError, match="target must be > 0"):
        gi.theorem2_classes_needed(0.0)
    with pytest.raises(ValueError, match=r"integer >= 2"):
        gi.theorem2_classes_needed(0.5, K_max=1)
    with pytest.raises(ValueError, match=r"the Theorem 2 bound stays above 0.01 up to K = 1000"):
        gi.theorem2_classes_needed(0.01, K_max=1000)
