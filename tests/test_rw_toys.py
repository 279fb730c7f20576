"""Tests of companion.chapters.richardson_weiss.toys (Theorems 1 and 3, Figure 3's toys)."""
import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from companion.chapters.richardson_weiss import toys
from companion.mixtures import boundary_distance, hyperplane_distance


def test_face_means_shape_range_and_distinct():
    m = toys.face_means(16)
    assert m.shape == (2, 256)
    assert m.min() >= 0 and m.max() <= 1
    assert np.linalg.norm(m[0] - m[1]) > 1.0


@pytest.mark.parametrize("bad", [7, 181, 3.5])
def test_face_means_rejects_bad_size(bad):
    with pytest.raises(ValueError, match="size"):
        toys.face_means(bad)


def test_draw_interleaved_and_bad_input():
    m = np.array([[0.0, 0.0], [3.0, 4.0]])
    x, y = toys.draw_two_gaussians(m, 0.5, 3, seed=1)
    assert y.tolist() == [0, 1, 0, 1, 0, 1]
    with pytest.raises(ValueError, match="sigma"):
        toys.draw_two_gaussians(m, -1.0, 3)
    with pytest.raises(ValueError, match="means"):
        toys.draw_two_gaussians(m[0], 1.0, 3)


def test_signed_margin_hand_values_and_against_hyperplane_distance():
    m = np.array([[0.0, 0.0], [3.0, 4.0]])            # ||d|| = 5, midpoint (1.5, 2)
    assert toys.signed_margin([[0.0, 0.0], [0.0, 0.0]], m, [0, 1]).tolist() == \
        pytest.approx([2.5, -2.5])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2)) * 2
    s = toys.signed_margin(x, m, np.zeros(50, int))
    assert np.abs(s) == pytest.approx(hyperplane_distance(x, m[0], m[1], np.eye(2)))


def test_margin_below_closed_form_and_monte_carlo():
    # P(|N(2.5, 1)| < 2.5) = Phi(0) - Phi(-5)
    assert toys.margin_below(2.5, 5.0, 1.0) == pytest.approx(0.5 - norm.cdf(-5.0))
    m = np.array([np.zeros(30), np.r_[5.0, np.zeros(29)]])
    x, y = toys.draw_two_gaussians(m, 1.0, 20_000, seed=3)
    s = np.abs(toys.signed_margin(x, m, y))
    for r in (1.0, 2.0, 3.0):
        assert np.mean(s < r) == pytest.approx(toys.margin_below(r, 5.0, 1.0), abs=0.01)
    with pytest.raises(ValueError, match="r must"):
        toys.margin_below(-1.0, 5.0, 1.0)


def _pair(s1=0.01):
    m1, m2 = np.array([0.0, 0.0, 0.0]), np.array([0.5, 0.3, -0.2])
    c1 = np.diag([1.0, 0.5, s1 ** 2])
    a = np.array([[1.0, 0.2, 0.1], [0.2, 0.8, 0.3], [0.1, 0.3, 0.6]])
    return m1, c1, m2, a


def test_lemma1_sides_against_scipy_and_boundary():
    m1, c1, m2, c2 = _pair()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    sides = toys.lemma1_sides(x, m1, c1, m2, c2)
    ref = multivariate_normal(m1, c1).logpdf(x) - multivariate_normal(m2, c2).logpdf(x)
    assert sides["log_ratio"] == pytest.approx(ref)
    # identity off the boundary: lhs - corrected = -2 log ratio
    assert sides["lhs"] - sides["corrected"] == pytest.approx(-2 * ref, rel=1e-9, abs=1e-8)
    # on the boundary (points found along random lines) the corrected equation holds
    pts = []
    for p in rng.normal(size=(6, 3)):
        v = rng.normal(size=3)
        a = toys.line_boundary(p[None], v, m1, c1, m2, c2)[0]
        if math.isfinite(a):
            pts.append(p + a * v / np.linalg.norm(v))
    assert len(pts) >= 3
    on = toys.lemma1_sides(np.array(pts), m1, c1, m2, c2)
    assert on["log_ratio"] == pytest.approx(0.0, abs=1e-8)
    assert on["lhs"] == pytest.approx(on["corrected"], rel=1e-6, abs=1e-6)
    assert not np.allclose(on["lhs"], on["printed"], rtol=1e-3)


def test_line_boundary_1d_closed_form():
    # N(0, 1) against N(0, 4): boundary at |x| = sqrt(8 log 2 / 3)
    r = math.sqrt(8 * math.log(2) / 3)
    a = toys.line_boundary([[0.5]], [1.0], [0.0], [[1.0]], [0.0], [[4.0]])
    assert a[0] == pytest.approx(r - 0.5, abs=1e-10)
    a = toys.line_boundary([[-0.5]], [1.0], [0.0], [[1.0]], [0.0], [[4.0]])
    assert a[0] == pytest.approx(-(r - 0.5), abs=1e-10)


def test_distance_along_bounds_exact_and_leading_order():
    m1, c1, m2, c2 = _pair(1e-3)
    rng = np.random.default_rng(1)
    x = rng.multivariate_normal(m1, c1, size=20)
    along = toys.distance_along(x, m1, c1, m2, c2)
    exact = boundary_distance(x, m1, c1, m2, c2).distance
    assert (exact <= along + 1e-9).all()
    lead = toys.lemma1_leading_order(x, m1, c1, m2, c2)
    assert np.nanmedian(np.abs(lead / along - 1)) < 0.05
    assert np.median(along) < 0.01


def test_contour_distance_matches_quadric_solver():
    p1 = toys.GMM2(np.ones(1), np.array([[0.0, 0.0]]), np.array([[[0.3, 0.1], [0.1, 0.2]]]))
    p2 = toys.GMM2(np.ones(1), np.array([[1.0, 0.5]]), np.array([[[0.5, 0.0], [0.0, 0.4]]]))
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1.5, size=(40, 2))
    d, lines = toys.contour_distance(x, p1, p2, extent=(-6, 6, -6, 6), n=1201)
    ref = boundary_distance(x, p1.means[0], p1.covs[0], p2.means[0], p2.covs[0]).distance
    assert lines
    assert d == pytest.approx(ref, abs=2e-3)


def test_gmm_log_ratio_against_scipy_and_toys():
    toy = toys.figure3_toys(0.05)
    assert set(toy) == {"isotropic", "symmetric mixtures", "asymmetric Gaussian",
                        "asymmetric mixtures"}
    p1, p2, _ = toy["asymmetric mixtures"]
    x = np.array([[0.1, 0.2], [-1.0, 0.5]])
    ref = np.log(sum(w * multivariate_normal(m, c).pdf(x)
                     for w, m, c in zip(*p1))) - np.log(sum(
                         w * multivariate_normal(m, c).pdf(x) for w, m, c in zip(*p2)))
    assert toys.gmm_log_ratio(x, p1, p2) == pytest.approx(ref)
    with pytest.raises(ValueError, match="noise"):
        toys.figure3_toys(0.0)
    with pytest.raises(ValueError, match="extent"):
        toys.contour_distance(x, p1, p2, extent=(1, 0, 0, 1))


def test_theorem3_sweep_shrinks_and_bad_input():
    rows = toys.theorem3_sweep([0.1, 0.001], 20, dim=4, seed=2)
    assert rows[1]["median exact"] < rows[0]["median exact"] / 10
    assert all(r["exact <= along"] for r in rows)
    assert rows[1]["within eps"] == 1.0
    with pytest.raises(ValueError, match="sigma1"):
        toys.lemma1_pair(0.0)
    with pytest.raises(ValueError, match="dim"):
        toys.lemma1_pair(0.1, dim=1)
