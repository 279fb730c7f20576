"""Tests of the Richardson & Weiss modules behind the pages rw-theorem2 and rw-discrete."""
import itertools

import numpy as np
import pytest

from companion.chapters.richardson_weiss import discrete as D
from companion.chapters.richardson_weiss import subspaces as S
from companion.mixtures import MFA
from companion.mixtures.quadric import hyperplane_distance, quadric_distance


# ----------------------------------------------------------------------- subspaces
def test_lines_gap_by_hand():
    assert S.lines_pair("skew", gap=3.0).d == pytest.approx(3.0, abs=1e-12)
    assert S.lines_pair("parallel", gap=0.5).d == pytest.approx(0.5, abs=1e-12)


def test_limit_quadric_skew_lines_by_hand():
    # line 1 = x axis, line 2 = {(0, t, 2)}: ||P1 x||^2 = y^2 + z^2, ||P2 (x - mu2)||^2 =
    # x^2 + (z - 2)^2; at (a, b, c) the quadric is b^2 + c^2 - a^2 - (c - 2)^2
    p = S.lines_pair("skew", gap=2.0)
    q = S.limit_quadric(p.mu1, p.a1, p.mu2, p.a2)
    for a, b, c in [(1.0, 2.0, 0.5), (-3.0, 0.0, 1.0), (0.0, 0.0, 0.0)]:
        assert q(np.array([a, b, c])) == pytest.approx(b * b + c * c - a * a - (c - 2) ** 2)
    # the point 0 of line 1 is d / 2 from the limiting boundary (closest point (0, 0, 1))
    r = quadric_distance([[0.0, 0.0, 0.0]], q)
    assert r.distance[0] == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(r.closest[0], [0.0, 0.0, 1.0], atol=1e-9)


def test_lemma_a1_parallel_exact_is_the_hyperplane():
    # equal covariances: the exact boundary is a hyperplane (closed form, another code path)
    p = S.lines_pair("parallel", gap=2.0)
    r = S.lemma_a1(p, 0.2, n=50, seed=3)
    g = np.random.default_rng(3)
    x = p.mu1 + np.outer(g.standard_normal(50), p.a1) + 0.2 * g.standard_normal((50, 3))
    c1, _ = p.covariances(0.2)
    np.testing.assert_allclose(r.exact, hyperplane_distance(x, p.mu1, p.mu2, c1), atol=1e-9)
    # and it is the bisecting plane x_3 = 1 whatever sigma (distance |1 - x_3|)
    np.testing.assert_allclose(r.exact, np.abs(1 - x[:, 2]), atol=1e-9)


def test_lemma_a1_skew_converges_and_respects_triangle_bound():
    p = S.lines_pair("skew", gap=2.0)
    gaps = []
    for sigma in (0.1, 0.01):
        r = S.lemma_a1(p, sigma, n=100, seed=1)
        assert not r.wrong.any()
        assert (r.exact >= S.triangle_bound(r.own, r.other) - 1e-6).all()
        assert r.exact.min() >= p.d / 2 - 3 * sigma * np.sqrt(3)
        gaps.append(np.abs(r.exact - r.limit).max())
    assert gaps[1] < gaps[0] / 10


def test_class_distances_by_hand():
    m0 = MFA([1.0], [[0.0, 0.0, 0.0]], [[[0.0], [1.0], [0.0]]], [[0.1] * 3])
    m1 = MFA([0.5, 0.5], [[4.0, 0.0, 0.0], [0.0, 0.0, 5.0]], [[[0.0], [0.0], [1.0]]] * 2,
             [[0.1] * 3] * 2)
    # (3, 7, 0): to the y axis 3; to {(4, 0, t)}: sqrt(1 + 49); to {(0, 0, t)}: sqrt(9 + 49)
    own, other = S.class_distances([m0, m1], [[3.0, 7.0, 0.0]], [0])
    assert own[0] == pytest.approx(3.0)
    assert other[0] == pytest.approx(np.sqrt(50.0))


def test_subspaces_bad_input():
    with pytest.raises(ValueError, match="valid kinds"):
        S.lines_pair("crossing")
    with pytest.raises(ValueError, match="gap"):
        S.lines_pair("skew", gap=0.0)
    with pytest.raises(ValueError, match="sigma"):
        S.lemma_a1(S.lines_pair(), 0.0)
    with pytest.raises(ValueError, match="y must"):
        S.class_distances([S.lines_pair().mfas(0.1)[0]] * 2, [[0.0, 0.0, 0.0]], [2])


# ----------------------------------------------------------------------- discrete
def _brute(dec, metric):
    h, w = dec.shape
    out = np.full(dec.shape, -1)
    for i, j in itertools.product(range(h), range(w)):
        best = -1
        for a, b in itertools.product(range(h), range(w)):
            if dec[a, b] != dec[i, j]:
                dist = abs(a - i) + abs(b - j) if metric == "l1" else max(abs(a - i),
                                                                          abs(b - j))
                best = dist if best < 0 else min(best, dist)
        out[i, j] = best
    return out


@pytest.mark.parametrize("metric", ["l1", "linf"])
def test_flip_levels_against_brute_force(metric):
    g = np.random.default_rng(0)
    for shape, p in [((6, 7), 0.5), ((8, 5), 0.1), ((5, 5), 0.0), ((9, 9), 0.03)]:
        dec = (g.random(shape) < p).astype(int)
        np.testing.assert_array_equal(D.flip_levels(dec, metric), _brute(dec, metric))


def test_tables_are_distributions_and_symmetric_is_a_mirror():
    for kind in D.KINDS:
        t = D.tables(kind, 40)
        assert t.p0.sum() == pytest.approx(1.0) and t.p1.sum() == pytest.approx(1.0)
        assert (t.p1 > 0).all()
    s = D.tables("symmetric", 40)
    np.testing.assert_allclose(s.p1, s.p0[::-1], rtol=1e-12)
    assert s.p0.min() == pytest.approx(s.p1.min())


def test_lemma_a2_limit_one_level_by_hand():
    # eta = 0: class 0 lives on column k; its neighbours have p0 = 0 < p1, so every cell of
    # class 0's mass flips after one level, and the column cells all win (p0 there >> p1)
    t = D.tables("asymmetric", 30, eta=0.0)
    dec = D.decisions(t.p0, t.p1)
    assert (dec[15] == 0).all() and (np.delete(dec, 15, axis=0) == 1).all()
    assert D.one_level_fraction(t, 0) == pytest.approx(1.0)
    # eta below the floor: every off-column entry eta / 870 < floor / 900 <= p1, so the
    # off-column mass is decided class 1 and the fraction is exactly 1 - eta
    t = D.tables("asymmetric", 30, eta=1e-4)
    assert D.one_level_fraction(t, 0) == pytest.approx(1 - 1e-4, abs=1e-12)


def test_symmetric_pair_needs_many_levels():
    t = D.tables("symmetric", 100)
    lv = D.flip_levels(D.decisions(t.p0, t.p1))
    # the centres are 40 levels apart: the class-0 centre (level 30) is 20 levels from the
    # boundary at level 50 along feature 0
    assert lv[29, 50] == 20 or lv[30, 50] == 20
    dec = D.decisions(t.p0, t.p1)
    share = D.cumulative_share(t.p0, dec, lv, 0, [0, 1, 20])
    assert share[1] < 0.05 and share[2] > 0.4
    # the share at k = 0 is the misclassified mass, by hand
    assert share[0] == pytest.approx(t.p0[dec == 1].sum())


def test_cumulative_share_by_hand():
    # cells 0..3; class 0 wins cells 0, 1, 2 at flip distances 3, 2, 1; cell 3 is class 1's
    p = np.array([[0.4, 0.3, 0.2, 0.1]])
    dec = np.array([[0, 0, 0, 1]])
    lv = D.flip_levels(dec)
    np.testing.assert_allclose(D.cumulative_share(p, dec, lv, 0, [0, 1, 2, 3]),
                               [0.1, 0.3, 0.6, 1.0])


def test_discrete_bad_input():
    with pytest.raises(ValueError, match="valid kinds"):
        D.tables("skewed")
    with pytest.raises(ValueError, match="levels"):
        D.tables("symmetric", 2)
    with pytest.raises(ValueError, match="eta"):
        D.tables("asymmetric", eta=1.0)
    with pytest.raises(ValueError, match="valid metrics"):
        D.flip_levels([[0, 1]], "l2")
    with pytest.raises(ValueError, match="0/1"):
        D.flip_levels([[0, 2]])
    with pytest.raises(ValueError, match="label"):
        D.one_level_fraction(D.tables(), 2)
    with pytest.raises(ValueError, match="share a shape"):
        D.cumulative_share([[0.5, 0.5]], [[0, 1]], [[1]], 0, [1])


def test_figure14_on_a_hand_made_evaluation():
    class Ev:
        n = 2
        arrays = {"labels": np.array([0, 1]), "norms": np.array([1.5, 0.0])}
        fooled = np.array([True, False])

    m0 = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[0.01] * 3])
    m1 = MFA([1.0], [[0.0, 0.0, 3.0]], [[[0.0], [1.0], [0.0]]], [[0.04] * 3])
    r = S.figure14(Ev(), [m0, m1], [[0.0, 0.0, 0.0], [0.0, 5.0, 3.0], [9.0, 9.0, 9.0]],
                   [0, 1, 0])
    np.testing.assert_allclose(r["own"], [0.0, 0.0])
    np.testing.assert_allclose(r["other"], [3.0, np.sqrt(9 + 25)])
    assert r["gap"] == pytest.approx(3.0) and r["sigma"] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="labels differ"):
        S.figure14(Ev(), [m0, m1], [[0.0] * 3, [0.0] * 3], [1, 1])


def test_figure14_summary_by_hand():
    # fooled points 0 and 2: attacks 2 and 4, r2 = 5 and 7, bounds (5 - 1)/2 = 2, (7 - 1)/2 = 3
    r = {"gap": 3.0, "own": np.array([1.0, 0.0, 1.0]), "other": np.array([5.0, 9.0, 7.0]),
         "norms": np.array([2.0, 0.0, 4.0]), "fooled": np.array([True, False, True])}
    out = S.figure14_summary(r)
    assert out["mean r2"] == pytest.approx(6.0) and out["mean attack"] == pytest.approx(3.0)
    assert out["ratio"] == pytest.approx(0.5) and out["margin"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="no fooled point"):
        S.figure14_summary({**r, "fooled": np.zeros(3, bool)})


def test_class_summary_l1_against_linf_by_hand():
    # class 1 wins only the corner (0, 0); of class 0's 8 equal cells, (0, 1) and (1, 0) are
    # one L1 level away, (1, 1) is one L-infinity level away but two L1 levels
    p0 = np.full((3, 3), 1 / 9)
    p1 = np.zeros((3, 3))
    p1[0, 0] = 1.0
    row = D.class_summary(D.DiscretePair(p0, p1, "toy"))[0]
    assert row["mass it wins"] == pytest.approx(8 / 9)
    assert row["one level (L1)"] == pytest.approx(2 / 9)
    assert row["one level (L$\\infty$)"] == pytest.approx(3 / 9)
    # L1 distances of class 0's cells: 1, 2, 1, 2, 3, 2, 3, 4 (sum 18) over 8 cells
    assert row["mean levels"] == pytest.approx(18 / 8)
