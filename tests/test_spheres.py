"""companion.spheres: the concentric spheres and the facet bound of Theorem D.1 (Ding et al.),
against closed forms, brute force and Monte Carlo (never values copied from the code)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from companion import spheres as sp


# ------------------------------------------------------------------------------- data
def test_samples_lie_on_the_two_spheres_and_are_balanced():
    X, y = sp.sample_spheres(7, 500, 0.25, seed=3)
    r = np.linalg.norm(X.astype(float), axis=1)
    assert X.shape == (1000, 7) and X.dtype == np.float32
    assert np.bincount(y).tolist() == [500, 500]
    assert np.allclose(r[y == 0], 1.0, atol=1e-6) and np.allclose(r[y == 1], 1.25, atol=1e-6)


def test_samples_are_uniform_on_the_sphere():
    # uniform on S^{n-1}: mean 0, second moments I / n (Monte Carlo, 5 standard errors)
    n, count = 5, 20_000
    X, y = sp.sample_spheres(n, count, 0.5, seed=1)
    inner = X[y == 0].astype(float)
    assert np.all(np.abs(inner.mean(0)) < 5 * math.sqrt(1 / n / count))
    cov = inner.T @ inner / count
    assert np.allclose(cov, np.eye(n) / n, atol=5 * math.sqrt(2 / n**2 / count) + 1e-3)
    # a cap's share matches the closed form of S^2 in R^3 (Archimedes: (1 - h) / 2)
    X3, y3 = sp.sample_spheres(3, count, 0.5, seed=2)
    share = np.mean(X3[y3 == 0][:, 0] >= 0.6)
    assert abs(share - 0.2) < 5 * math.sqrt(0.2 * 0.8 / count)


def test_samples_are_seeded():
    a, _ = sp.sample_spheres(4, 10, 0.1, seed=5)
    b, _ = sp.sample_spheres(4, 10, 0.1, seed=5)
    c, _ = sp.sample_spheres(4, 10, 0.1, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("kwargs", [dict(n=1, count=3, gap=0.1), dict(n=3, count=0, gap=0.1),
                                    dict(n=3, count=3, gap=0.0), dict(n=3, count=3, gap=-1),
                                    dict(n=2.5, count=3, gap=0.1)])
def test_bad_samples_are_rejected(kwargs):
    with pytest.raises(ValueError):
        sp.sample_spheres(**kwargs)


def test_distance_to_sphere_is_the_distance_to_its_nearest_point():
    # brute force in the plane: the minimum over 100,000 points of the circle
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(20, 2)) * 2
    t = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    circle = 1.7 * np.stack([np.cos(t), np.sin(t)], 1)
    brute = np.min(np.linalg.norm(pts[:, None, :] - circle[None], axis=2), axis=1)
    assert np.allclose(sp.distance_to_sphere(pts, 1.7), brute, atol=1e-6)


def test_every_sample_is_half_the_gap_from_the_ideal_sphere():
    X, y = sp.sample_spheres(9, 200, 0.3, seed=0)
    assert np.allclose(sp.distance_to_sphere(X, sp.ideal_radius(0.3)), 0.15, atol=1e-6)
    assert np.array_equal(sp.ideal_predict(X, 0.3), y)


def test_the_ideal_classifier_is_robust_below_half_the_gap_only():
    gap = 0.4
    X, y = sp.sample_spheres(6, 300, gap, seed=4)
    rng = np.random.default_rng(1)
    d = rng.normal(size=X.shape)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    for r in (0.05, 0.19):
        assert np.array_equal(sp.ideal_predict(X + r * d, gap), y)
    # radially, just beyond gap/2 the prediction flips
    radial = X / np.linalg.norm(X, axis=1, keepdims=True)
    sign = np.where(y == 0, 1.0, -1.0)[:, None]
    assert np.all(sp.ideal_predict(X + 0.201 * sign * radial, gap) != y)


# ------------------------------------------------------------------------------- caps
@pytest.mark.parametrize("h", [0.0, 0.1, 0.5, 0.9, 0.999, -0.3])
def test_cap_measure_closed_forms_in_2_3_and_4_dimensions(h):
    assert sp.cap_measure(2, h) == pytest.approx(math.acos(h) / math.pi, abs=1e-12)
    assert sp.cap_measure(3, h) == pytest.approx((1 - h) / 2, abs=1e-12)
    # S^3: the density of x_1 is (2 / pi) sqrt(1 - t^2)
    s4 = (math.pi / 2 - math.asin(h) - h * math.sqrt(1 - h * h)) / math.pi
    assert sp.cap_measure(4, h) == pytest.approx(s4, abs=1e-12)


def test_cap_measure_symmetry_and_ends():
    for n in (2, 5, 40):
        assert sp.cap_measure(n, 0.0) == pytest.approx(0.5, abs=1e-14)
        assert sp.cap_measure(n, 0.3) + sp.cap_measure(n, -0.3) == pytest.approx(1.0)
        assert sp.cap_measure(n, 1.0) == 0.0 and sp.cap_measure(n, -1.0) == 1.0
    assert sp.log_cap_measure(10, 1.0) == -math.inf


def test_cap_measure_by_monte_carlo_in_ten_dimensions():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(400_000, 10))
    x1 = z[:, 0] / np.linalg.norm(z, axis=1)
    for h in (0.2, 0.5):
        p = float(np.mean(x1 >= h))
        assert abs(sp.cap_measure(10, h) - p) < 5 * math.sqrt(p * (1 - p) / len(x1))


@pytest.mark.parametrize("n,h", [(3000, 0.5), (800, 0.9), (20_000, 0.2), (50, 0.3)])
def test_log_cap_measure_where_the_measure_underflows(n, h):
    # an independent evaluation in 50-digit arithmetic
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 50
    exact = mp.log(mp.betainc((n - 1) / mp.mpf(2), mp.mpf(1) / 2, 0, 1 - mp.mpf(h) ** 2,
                              regularized=True) / 2)
    assert sp.log_cap_measure(n, h) == pytest.approx(float(exact), rel=1e-9)


def test_the_cap_estimate_of_the_proof_bounds_the_cap():
    for n in (2, 3, 10, 100, 1000):
        for h in np.linspace(0, 0.99, 34):
            assert sp.log_cap_measure(n, float(h)) <= math.log(sp.cap_bound(n, float(h))) + 1e-12


def test_bad_heights_and_dimensions_are_rejected():
    with pytest.raises(ValueError, match="height"):
        sp.cap_measure(5, 1.5)
    with pytest.raises(ValueError, match="dimension"):
        sp.cap_measure(1, 0.5)
    with pytest.raises(ValueError):
        sp.cap_bound(5, -0.1)


# ------------------------------------------------------------------------------- facet bounds
def test_facet_lower_bound_closed_form():
    assert sp.facet_lower_bound(8, 2.0) == pytest.approx(math.e)
    assert sp.log_facet_lower_bound(100, 1.0) == 50.0
    assert sp.facet_lower_bound(10**6, 1.0) == math.inf
    with pytest.raises(ValueError, match=">= 1"):
        sp.facet_lower_bound(5, 0.9)


def test_the_covering_count_is_at_least_the_theorem_and_exact_in_the_plane():
    for n in (2, 3, 10, 100, 784):
        for d in (1.05, 1.3, 2.0, 5.0):
            assert (sp.log_covering_facet_lower_bound(n, d)
                    >= sp.log_facet_lower_bound(n, d) - 1e-12)
    for d in (1.1, 1.5, 3.0):
        assert sp.covering_facet_lower_bound(2, d) == pytest.approx(math.pi / math.acos(1 / d))


def test_separation_ratio_and_the_shrunk_gap():
    assert sp.separation_ratio(0.5) == 1.5
    assert sp.separation_ratio(0.5, 0.1) == pytest.approx(1.4 / 1.1)
    # the robust problem is the clean one with gap (g - 2r) / (1 + r)
    g, r = 0.3, 0.07
    assert sp.separation_ratio(g, r) == pytest.approx(sp.separation_ratio((g - 2 * r) / (1 + r)))
    for bad in (0.25, 0.3, -0.01):
        with pytest.raises(ValueError, match="gap/2"):
            sp.separation_ratio(0.5, bad)


def test_min_facets_grows_as_the_gap_shrinks_and_with_the_radius():
    n = 10
    clean = [sp.min_facets(n, g) for g in (0.8, 0.4, 0.2, 0.1)]
    assert all(a < b for a, b in zip(clean, clean[1:]))
    assert sp.min_facets(n, 0.2, 0.05) > sp.min_facets(n, 0.2)
    assert sp.min_facets(n, 0.2, bound="exp") == pytest.approx(math.exp(n / (2 * 1.2**2)))
    assert sp.log10_min_facets(784, 0.3, bound="exp") == pytest.approx(
        784 / (2 * 1.69) / math.log(10))
    with pytest.raises(ValueError, match="unknown bound"):
        sp.min_facets(10, 0.2, bound="ball")


def _separates(m: int, gap: float, r: float, phase: float = 0.3) -> bool:
    """Brute force: the regular m-gon about the circle of radius 1 + r holds every point within
    r of the inner circle and none within r of the outer one (dense points of both annuli)."""
    P = sp.regular_polygon(m, inradius=1 + r, phase=phase)
    t = np.linspace(0, 2 * np.pi, 4001)
    rad = np.linspace(-r, r, 7) if r > 0 else np.zeros(1)
    ring = lambda R: np.concatenate([(R + s) * np.stack([np.cos(t), np.sin(t)], 1)  # noqa: E731
                                     for s in rad])
    return bool(np.all(P.contains(ring(1.0), tol=1e-9))
                and not np.any(P.contains(ring(1.0 + gap), tol=0)))


@pytest.mark.parametrize("gap,r", [(0.9, 0.0), (0.3, 0.0), (0.3, 0.05), (0.15, 0.05),
                                   (0.6, 0.2), (0.05, 0.0)])
def test_min_facets_2d_is_the_least_regular_polygon_that_separates(gap, r):
    m = sp.min_facets_2d(gap, r)
    assert _separates(m, gap, r)
    if m > 3:
        # no polygon with fewer sides works (the arcs argument), the regular one included
        assert not _separates(m - 1, gap, r)
    assert m >= sp.covering_facet_lower_bound(2, sp.separation_ratio(gap, r))


@pytest.mark.parametrize("m,gap,r", [(5, 0.3, 0.0), (4, 0.3, 0.0), (6, 0.3, 0.05),
                                     (5, 0.3, 0.05), (11, 0.15, 0.05), (7, 0.3, 0.05)])
def test_separates_agrees_with_the_brute_force(m, gap, r):
    K = sp.regular_polygon(m, inradius=1 + r, phase=0.3)
    assert sp.separates(K, gap, r) == _separates(m, gap, r)
    # a polygon about the unit circle only separates robustly when it clears the inflated one
    if r > 0:
        assert not sp.separates(sp.regular_polygon(m, inradius=1.0), gap, r)


def test_min_facets_2d_hand_values():
    # d = 2: the triangle's circumradius is exactly 2, it touches the outer circle
    assert sp.min_facets_2d(1.0) == 4
    assert sp.min_facets_2d(0.3) == 5       # 1/cos(36 deg) = 1.236 < 1.3 < sqrt(2)
    assert sp.min_facets_2d(0.3, 0.05) == 6  # 1.25/1.05 = 1.190 lies in (1.155, 1.236)


# ------------------------------------------------------------------------------- polytopes
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_cube_and_cross_polytope_radii(n):
    c, x = sp.cube(n), sp.cross_polytope(n)
    assert c.facets == 2 * n and x.facets == 2**n
    assert len(np.unique(np.round(c.vertices(), 9), axis=0)) == 2**n
    assert c.inradius() == 1.0 and c.circumradius() == pytest.approx(math.sqrt(n))
    assert x.inradius() == pytest.approx(1 / math.sqrt(n)) and x.circumradius() == \
        pytest.approx(1.0)
    # their distance from the ball is sqrt(n); Theorem D.1 holds for both
    for K in (c, x):
        assert K.distance_bound() == pytest.approx(math.sqrt(n))
        assert K.facets >= sp.facet_lower_bound(n, K.distance_bound())


@pytest.mark.parametrize("m", [3, 4, 7, 12])
def test_regular_polygon_radii(m):
    P = sp.regular_polygon(m, inradius=2.0)
    assert P.inradius() == pytest.approx(2.0)
    assert P.circumradius() == pytest.approx(2.0 / math.cos(math.pi / m))
    assert len(P.vertices()) == m


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_net_polytope_second_part_of_theorem_d1(n):
    K = sp.net_polytope(n)
    # symmetric: every normal's antipode is a normal
    assert np.allclose(np.sort(K.A, axis=0), np.sort(-K.A, axis=0))
    assert K.facets <= 4**n and K.facets <= 2 * 3**n
    assert K.inradius() == pytest.approx(1.0)
    # the distance is measured: the farthest vertex, checked against random directions too
    R = K.circumradius()
    assert R <= 2.0
    rng = np.random.default_rng(0)
    u = rng.normal(size=(5000, n))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    ray = 1.0 / np.max(u @ K.A.T, axis=1)       # boundary point in direction u, at this norm
    assert np.max(ray) <= R + 1e-9
    assert K.facets >= sp.facet_lower_bound(n, K.distance_bound())


def test_polytope_rejects_bad_input():
    with pytest.raises(ValueError, match="origin"):
        sp.Polytope(np.vstack([np.eye(2), -np.eye(2)]), np.array([1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        sp.Polytope(np.eye(2), np.ones(2))
    with pytest.raises(ValueError, match="sides"):
        sp.regular_polygon(2)
    with pytest.raises(ValueError, match="2 to 6"):
        sp.net_polytope(8)
    with pytest.raises(ValueError, match="separation"):
        sp.net_polytope(3, separation=2.5)
