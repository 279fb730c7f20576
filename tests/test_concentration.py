"""Tests of companion.bounds.concentration (Ding et al. 2019, Section 2 and Appendix A).

Reference values are hand-derived closed forms (Irwin-Hall for d = 1, 2, 3, spherical caps for
d = 1, 2, 3), an independent evaluation (``math.erf`` for the normal law, a generic constrained
optimiser for the projection onto a half-cube), the other evaluation method of the same law
(exact integer sum against the contour quadrature), or Monte Carlo with a fixed seed and at most
5 standard errors.
"""
import math

import numpy as np
import pytest
from scipy.optimize import minimize

from companion.bounds import concentration as c


def Phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def Phi_inv(p):
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if Phi(mid) < p else (lo, mid)
    return (lo + hi) / 2


def ih3(x):
    """Irwin-Hall CDF for d = 3, by hand (piecewise cubic)."""
    if x <= 0:
        return 0.0
    if x <= 1:
        return x ** 3 / 6
    if x <= 2:
        return (-2 * x ** 3 + 9 * x ** 2 - 9 * x + 3) / 6
    if x <= 3:
        return 1 - (3 - x) ** 3 / 6
    return 1.0


# ------------------------------------------------------------------------ Irwin-Hall law
@pytest.mark.parametrize("method", ["exact", "auto"])
def test_irwin_hall_small_d_by_hand(method):
    x = np.linspace(-0.5, 3.5, 81)
    assert np.allclose(c.irwin_hall_cdf(x, 1, method), np.clip(x, 0, 1), atol=1e-15)
    two = np.where(x <= 1, np.clip(x, 0, None) ** 2 / 2, 1 - np.clip(2 - x, 0, None) ** 2 / 2)
    assert np.allclose(c.irwin_hall_cdf(x, 2, method), two, atol=1e-15)
    assert np.allclose(c.irwin_hall_cdf(x, 3, method), [ih3(v) for v in x], atol=1e-14)


@pytest.mark.parametrize("d", [20, 60, 200])
def test_contour_agrees_with_exact_sum_in_relative_terms(d):
    sd = math.sqrt(d / 12)
    x = np.array([0.3, 1.0, d * 0.05, d * 0.2, d / 2 - 3 * sd, d / 2 - sd, d / 2 - 0.2 * sd,
                  d / 2, d / 2 + sd])
    exact = c.irwin_hall_cdf(x, d, "exact")
    contour = c.irwin_hall_cdf(x, d, "contour")
    keep = exact > 1e-290                  # 0.3^200 / 200! underflows to 0
    assert keep.sum() >= 7 and np.all(contour[~keep] < 1e-290)
    assert np.max(np.abs(contour[keep] / exact[keep] - 1)) < 1e-9


def test_cdf_symmetry_monotonicity_and_sf():
    for d in (5, 50, 300):
        x = np.linspace(0, d, 41)
        F = c.irwin_hall_cdf(x, d)
        assert np.all(np.diff(F) >= -1e-15)
        assert np.allclose(F + c.irwin_hall_cdf(d - x, d), 1.0, atol=1e-12)
        assert np.allclose(c.irwin_hall_sf(x, d), 1 - F, atol=1e-12)


def test_cdf_matches_monte_carlo():
    rng = np.random.default_rng(11)
    for d in (4, 30):
        s = c.sample_uniform_sums(d, 40_000, rng)
        pts = d / 2 + math.sqrt(d / 12) * np.array([-2.0, -1.0, 0.0, 0.5, 1.5])
        emp = (s[:, None] <= pts[None, :]).mean(axis=0)
        F = c.irwin_hall_cdf(pts, d)
        se = np.sqrt(F * (1 - F) / s.size)
        assert np.all(np.abs(emp - F) <= 5 * se)


def test_normal_limit_error_is_of_order_one_over_d():
    errs = []
    for d in (100, 400):
        x = d / 2 + math.sqrt(d / 12) * np.linspace(-4, 4, 161)
        errs.append(np.max(np.abs(c.irwin_hall_cdf(x, d) - c.irwin_hall_normal_cdf(x, d))))
    assert errs[0] < 0.01
    assert 3.5 < errs[0] / errs[1] < 4.5      # 1/d, not 1/sqrt(d)
    assert abs(c.irwin_hall_normal_cdf(50 + math.sqrt(100 / 12), 100) - Phi(1.0)) < 1e-12


def test_irwin_hall_rejects_bad_input():
    for d in (0, -3, 2.5, True, "3"):
        with pytest.raises(ValueError, match="integer >= 1"):
            c.irwin_hall_cdf(1.0, d)
    with pytest.raises(ValueError, match="method"):
        c.irwin_hall_cdf(1.0, 3, method="fft")
    with pytest.raises(ValueError, match="d >= 20"):
        c.irwin_hall_cdf(1.0, 10, method="contour")
    with pytest.raises(ValueError, match="NaN"):
        c.irwin_hall_cdf([1.0, float("nan")], 3)


# ------------------------------------------------------------------------ Example 1
def test_coordinate_robust_error_closed_form_and_monte_carlo():
    eps = np.array([0.0, 0.05, 0.2, 0.5, 0.8])
    assert np.allclose(c.coordinate_robust_error(eps), [0, 0.1, 0.4, 1, 1])
    est, se = c.robust_error_mc(7, eps[1:4], 30_000, np.random.default_rng(2), "coordinate")
    assert np.all(np.abs(est - np.minimum(2 * eps[1:4], 1)) <= 5 * np.maximum(se, 1e-12))


def test_diagonal_robust_error_small_d_by_hand():
    eps = np.array([0.0, 0.01, 0.1, 0.25, 0.4, 0.5, 0.7])
    assert np.allclose(c.diagonal_robust_error(1, eps), np.minimum(2 * eps, 1), atol=1e-15)
    assert np.allclose(c.diagonal_robust_error(2, eps),
                       1 - np.clip(1 - 2 * eps, 0, None) ** 2, atol=1e-15)
    assert np.allclose(c.diagonal_robust_error(3, eps, tail=True),
                       [2 * ih3(3 * (0.5 - e)) for e in eps], atol=1e-14)


def test_diagonal_robust_error_matches_the_attack():
    rng = np.random.default_rng(5)
    eps = np.array([0.005, 0.02, 0.05])
    for d in (10, 60):
        est, se = c.robust_error_mc(d, eps, 30_000, rng)
        exact = c.diagonal_robust_error(d, eps)
        assert np.all(np.abs(est - exact) <= 5 * se)


def test_attack_agrees_with_the_distance_condition():
    rng = np.random.default_rng(3)
    x = rng.random((5000, 6))
    w = rng.standard_normal(6)
    b, eps = 0.3, 0.07
    flags = c.linf_attack_linear(x, w, b, eps)
    margin = np.abs(x @ w - b) / np.abs(w).sum()   # l_inf distance to the hyperplane
    keep = np.abs(margin - eps) > 1e-9
    assert np.array_equal(flags[keep], (margin < eps)[keep])


def test_box_constraint_only_lowers_the_robust_error():
    rng = np.random.default_rng(4)
    free, _ = c.robust_error_mc(20, [0.05, 0.1], 20_000, rng)
    rng = np.random.default_rng(4)
    boxed, _ = c.robust_error_mc(20, [0.05, 0.1], 20_000, rng, box=True)
    assert np.all(boxed <= free) and np.all(boxed < free)


def test_chebyshev_and_subgaussian_bounds_hold_and_order():
    eps = np.array([0.01, 0.03, 0.1, 0.2, 0.3, 0.45])
    for d in (1, 5, 30, 100, 500, 3072):
        exact = c.diagonal_robust_error(d, eps)
        printed = c.chebyshev_bound(d, eps)
        correct = c.chebyshev_bound(d, eps, variance=c.UNIFORM_VARIANCE)
        hoeff = c.subgaussian_bound(d, eps)
        sub = c.subgaussian_bound(d, eps, proxy=c.UNIFORM_VARIANCE)
        assert np.all(exact >= correct - 1e-12) and np.all(correct >= printed)
        assert np.all(exact >= sub - 1e-12) and np.all(sub >= hoeff)
    assert c.chebyshev_bound(100, 0.1) == pytest.approx(1 - 1 / (4 * 100 * 0.01))


def test_uniform_is_strictly_subgaussian_with_proxy_one_twelfth():
    lam = np.linspace(-60, 60, 2001)
    lam = lam[lam != 0]
    mgf = np.sinh(lam / 2) / (lam / 2)          # E exp(lam (U - 1/2))
    assert np.all(mgf <= np.exp(lam ** 2 / 24) * (1 + 1e-12))


def test_remark_2_1_robust_error_grows_with_d():
    eps = np.array([0.01, 0.05, 0.1])
    ds = np.unique(np.geomspace(1, 5000, 40).astype(int))
    rr = np.array([c.diagonal_robust_error(int(d), eps) for d in ds])
    assert np.all(np.diff(rr, axis=0) >= -1e-12)
    assert np.all(rr[-1] > 0.85)


def test_example1_bad_input():
    with pytest.raises(ValueError, match=r"eps must be finite and >= 0; got \[-0.1\]"):
        c.diagonal_robust_error(3, [0.1, -0.1])
    with pytest.raises(ValueError, match="> 0"):
        c.chebyshev_bound(3, 0.0)
    with pytest.raises(ValueError, match="variance"):
        c.chebyshev_bound(3, 0.1, variance=-1)
    with pytest.raises(ValueError, match="boundary"):
        c.robust_error_mc(3, [0.1], 10, np.random.default_rng(0), boundary="radial")


# ------------------------------------------------------------------------ Theorem 2.1, cube
def test_cube_phi_bound_against_erf_and_monotone():
    for e, p in [(0.1, 0.5), (0.5, 0.9), (1.0, 0.6), (0.0, 0.7)]:
        assert c.cube_phi_bound(e, p) == pytest.approx(
            Phi(math.sqrt(2 * math.pi) * e + Phi_inv(p)), abs=1e-9)
    eps = np.linspace(0, 2, 41)
    ps = np.linspace(0.05, 1.0, 20)
    B = c.cube_phi_bound(eps[:, None], ps[None, :])
    assert np.all(np.diff(B, axis=0) >= 0) and np.all(np.diff(B, axis=1) >= 0)
    assert np.all(B[:, -1] == 1.0)


def test_cube_second_inequality_and_the_sharper_form():
    eps = np.linspace(0, 3, 301)
    for p in (0.5, 0.7, 0.99):
        phi_b = c.cube_phi_bound(eps, p)
        assert np.all(phi_b >= c.cube_exp_bound_sharper(eps) - 1e-15)
    assert np.all(c.cube_exp_bound_sharper(eps) >= c.cube_exp_bound(eps))


def test_half_space_meets_the_phi_bound_to_first_order():
    eps = np.linspace(1e-4, 0.5, 200)
    exact = np.minimum(0.5 + eps, 1)
    assert np.all(exact >= c.cube_phi_bound(eps, 0.5))
    assert exact[0] - c.cube_phi_bound(eps[0], 0.5) < 1e-11


def test_distance_to_half_cube_against_a_generic_optimiser():
    rng = np.random.default_rng(8)
    for d in (2, 3, 6):
        x = rng.random((25, d))
        level = 0.35 * d
        dist = c.distance_to_sum_halfcube(x, level)
        for xi, di in zip(x, dist):
            res = minimize(lambda z: np.sum((z - xi) ** 2), np.full(d, level / d * 0.99),
                           method="SLSQP", bounds=[(0, 1)] * d,
                           constraints=[{"type": "ineq", "fun": lambda z: level - z.sum()}],
                           options=dict(ftol=1e-15, maxiter=500))
            assert di == pytest.approx(math.sqrt(max(res.fun, 0.0)), abs=1e-6)
        hyper = np.maximum(x.sum(axis=1) - level, 0) / math.sqrt(d)
        assert np.all(dist >= hyper - 1e-12)


def test_distance_to_half_cube_bad_input():
    with pytest.raises(ValueError, match="level"):
        c.distance_to_sum_halfcube([[0.2, 0.3]], 3.0)
    with pytest.raises(ValueError, match="cube"):
        c.distance_to_sum_halfcube([[1.2, 0.3]], 1.0)


def test_diagonal_halfspace_expansion_small_d():
    eps = np.array([0.0, 0.1, 0.3, 0.7])
    assert np.allclose(c.diagonal_halfspace_expansion(1, eps), np.minimum(0.5 + eps, 1))
    u = np.clip(1 - eps * math.sqrt(2), 0, None)
    assert np.allclose(c.diagonal_halfspace_expansion(2, eps), 1 - u ** 2 / 2)


def test_cube_expansions_monte_carlo_respect_exact_values_and_the_bound():
    eps = np.array([0.02, 0.1, 0.3, 0.6])
    for d, n in ((3, 20_000), (40, 10_000)):
        res = c.cube_expansions_mc(d, eps, n, np.random.default_rng(d))
        for name in ("coordinate half-space", "corner-cube complement"):
            r = res[name]
            se = np.sqrt(r["exact"] * (1 - r["exact"]) / n)
            assert np.all(np.abs(r["expansion"] - r["exact"]) <= 5 * se + 1e-12), name
        diag = res["diagonal half-space"]
        upper = c.diagonal_halfspace_expansion(d, eps)
        assert np.all(diag["expansion"] <= upper + 5 * diag["se"] + 1e-12)
        for name, r in res.items():
            assert abs(r["p"] - (0.52 if name == "central ball" else 0.5)) < 5 * r["p_se"] + 0.01
            bound = c.cube_phi_bound(eps, min(max(r["p"], 1e-9), 1.0))
            assert np.all(r["expansion"] >= bound - 5 * r["se"] - 1e-12), name


def test_cube_bounds_reject_bad_input():
    with pytest.raises(ValueError, match=r"\(0, 1\]; got \[0.0\]"):
        c.cube_phi_bound(0.1, 0.0)
    with pytest.raises(ValueError, match="probability"):
        c.cube_phi_bound(0.1, 1.2)
    with pytest.raises(ValueError, match="eps"):
        c.cube_exp_bound(-1.0)


# ------------------------------------------------------------------------ Theorem 2.1, ball
def test_cap_measure_closed_forms_small_d():
    s = np.linspace(-1, 1, 41)
    assert np.allclose(c.ball_cap_measure(s, 1), (1 - s) / 2, atol=1e-14)
    t = np.clip(s, -1, 1)
    arc = (np.arccos(t) - t * np.sqrt(1 - t ** 2)) / np.pi
    assert np.allclose(c.ball_cap_measure(s, 2), arc, atol=1e-13)
    assert np.allclose(c.ball_cap_measure(s, 3), (1 - s) ** 2 * (2 + s) / 4, atol=1e-13)


def test_cap_measure_and_ball_sampler_by_monte_carlo():
    rng = np.random.default_rng(9)
    for d in (5, 50):
        x = c.sample_ball(40_000, d, rng)
        s = np.array([-0.2, 0.0, 0.1, 0.3]) / math.sqrt(d / 5)
        emp = (x[:, 0][:, None] > s[None, :]).mean(axis=0)
        exact = c.ball_cap_measure(s, d)
        assert np.all(np.abs(emp - exact) <= 5 * np.sqrt(exact * (1 - exact) / x.shape[0]))
        r = np.linalg.norm(x, axis=1)
        assert abs((r <= 0.9).mean() - 0.9 ** d) <= 5 * math.sqrt(0.9 ** d / 40_000) + 1e-4


def test_cap_threshold_inverts_the_cap_measure():
    for d in (1, 2, 10, 3072):
        for p in (0.5, 0.75, 0.9, 0.999):
            t = c.cap_threshold(p, d)
            assert 1 - c.ball_cap_measure(t, d) == pytest.approx(p, abs=1e-10)
    with pytest.raises(ValueError, match="at least 1/2"):
        c.cap_threshold(0.3, 4)


def test_modulus_of_convexity_and_the_constant():
    eps = np.linspace(0, 2, 401)
    assert np.allclose(c.modulus_of_convexity(eps), 1 - np.sqrt(1 - eps ** 2 / 4), atol=1e-15)
    ratio = c.convexity_ratio(eps[1:])
    assert np.all(np.diff(ratio) > 0)
    assert ratio[0] == pytest.approx(1 / 8, abs=1e-6) and ratio[-1] == pytest.approx(1 / 4)
    assert c.CONVEXITY_CONSTANT < ratio.min()
    assert c.CONVEXITY_CONSTANT == pytest.approx(0.0893164, abs=1e-7)


def test_modulus_definition_by_random_pairs():
    eps = np.array([0.3, 0.8, 1.5, 1.9])
    est = c.modulus_of_convexity_mc(eps, 200_000, 2, np.random.default_rng(1))
    exact = c.modulus_of_convexity(eps)
    assert np.all(est >= exact - 1e-12) and np.all(est - exact < 2e-3)
    est10 = c.modulus_of_convexity_mc(eps, 50_000, 10, np.random.default_rng(2))
    assert np.all(est10 >= exact - 1e-12)


def test_ball_bounds_closed_forms_and_order():
    assert c.ball_bound(2.0, 0.5, 7) == 1.0
    assert c.ball_bound(1.0, 0.8, 5) == pytest.approx(1 - 0.75 ** 5 / 0.8)
    eps = np.linspace(0, 2, 101)
    for d in (1, 10, 3072):
        for p in (0.5, 0.9, 1.0):
            assert np.all(c.ball_bound(eps, p, d) >= c.ball_exp_bound(eps, p, d) - 1e-15)
            assert np.all(c.ball_exp_bound(eps, p, d, c.BEST_CONVEXITY_CONSTANT)
                          >= c.ball_exp_bound(eps, p, d))


def test_exact_ball_expansions_respect_the_ball_bound():
    eps = np.linspace(0.01, 2, 200)
    for d in (1, 2, 10, 100, 3072):
        for name, (p, exp_) in c.ball_expansions(d, eps).items():
            assert p >= 0.5 - 1e-12, name
            assert np.all(exp_ >= c.ball_bound(eps, p, d) - 1e-12), (d, name)
            assert np.all(np.diff(exp_) >= -1e-15)


def test_ball_bad_input():
    with pytest.raises(ValueError, match="<= 2"):
        c.modulus_of_convexity(2.5)
    with pytest.raises(ValueError, match="<= 2"):
        c.ball_bound([0.5, 3.0], 0.5, 3)
    with pytest.raises(ValueError, match="probability"):
        c.ball_bound(0.5, -0.1, 3)
    with pytest.raises(ValueError, match="dimension"):
        c.ball_bound(0.5, 0.5, 0)
    with pytest.raises(ValueError, match="t must"):
        c.cap_expansion(1.5, 0.1, 3)


# ------------------------------------------------------------------------ Example 2
def test_example2_by_hand():
    cube = 1 - 10 * (1 - Phi(0.5 * math.sqrt(2 * math.pi) + Phi_inv(0.9)))
    assert c.example2_cube(0.5) == pytest.approx(cube, abs=1e-9)
    assert c.example2_cube(0.5, inequality="exp") == pytest.approx(1 - 10 * math.exp(-math.pi / 4))
    ball = 1 - 10 / 0.9 * (1 - 0.09 ** 2 / 4) ** 3072
    assert c.example2_ball(0.09, 3072) == pytest.approx(ball, rel=1e-12)
    ball_exp = 1 - 10 / 0.9 * math.exp(-2 * 3072 * (2 - math.sqrt(3)) / 3 * 0.09 ** 2)
    assert c.example2_ball(0.09, 3072, inequality="exp") == pytest.approx(ball_exp, rel=1e-12)
    with pytest.raises(ValueError, match="n_classes"):
        c.example2_cube(0.5, n_classes=1)
    with pytest.raises(ValueError, match="inequality"):
        c.example2_ball(0.1, 10, inequality="phi")
