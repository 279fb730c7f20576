"""Dai & Gifford, Theorem 3: the cube bounds on sets with known interiors; the Eq. (82) erratum."""
import math

import numpy as np
import pytest

from companion.discrete import bit_depth as bd


def Phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def test_lemma18_on_slabs_and_corner_boxes():
    for b in (1, 2, 3, 5):
        q = 2 ** b
        for k in range(1, q // 2 + 1):               # regular sets: a = k / q
            a = k / q
            for r in np.linspace(0, 1, 21):
                mu, inner = bd.slab_interior(a, r)
                assert inner <= bd.lemma18_bound(mu, r) + 1e-12
                for d in (2, 3, 6):
                    mu, inner = bd.corner_box_interior(a, d, r)
                    if mu <= 0.5:
                        assert inner <= bd.lemma18_bound(mu, r) + 1e-12
                        assert inner < bd.lemma19_bound(r) * mu


def test_lemma18_is_tight_for_half_slab_to_first_order():
    # slab at a = 1/2: mu(S_r) = 1/2 - r vs Phi(-r) = 1/2 - r/sqrt(2 pi) + O(r^3): both start at 1/2 and
    # fall linearly in r; the bound's slope is 1/sqrt(2 pi) of the slab's
    for r in (1e-3, 1e-2):
        bound, inner = bd.lemma18_bound(0.5, r), bd.slab_interior(0.5, r)[1]
        assert abs(bound - (0.5 - r / math.sqrt(2 * math.pi))) < r ** 3
        assert inner == pytest.approx(0.5 - r, abs=1e-15)
        assert bound - inner == pytest.approx(r * (1 - 1 / math.sqrt(2 * math.pi)), abs=r ** 3)


def test_lemma16_ratio_monotone():
    # Lemma 16: Phi(x - k) / Phi(x) increases in x. With mu = Phi(x) the ratio is Lemma 18's bound over mu,
    # so bound / mu increases in mu; at mu = 1/2 it is Phi(-k)/Phi(0) = 2 Phi(-k), Eq. (82) corrected.
    x = np.linspace(-8, 0, 161)
    for k in (0.0, 0.1, 1.0, 3.0):
        mu = np.array([Phi(t) for t in x])
        ratio = np.array([bd.lemma18_bound(m, k) for m in mu]) / mu
        np.testing.assert_allclose(ratio, [Phi(t - k) / Phi(t) for t in x], rtol=1e-9)
        assert np.all(np.diff(ratio) >= -1e-12)
        assert ratio[-1] == pytest.approx(bd.lemma19_middle_corrected(k), rel=1e-12)
        assert np.all(ratio <= bd.lemma19_middle_corrected(k) * (1 + 1e-12))
        if k == 0:
            np.testing.assert_allclose(ratio, 1.0, rtol=1e-12)


def test_eq82_printed_step_fails_for_large_c_corrected_holds():
    assert bd.lemma19_middle_printed(10.0) > bd.lemma19_bound(10.0)     # printed chain breaks
    for c in np.linspace(0, 12, 121):
        assert bd.lemma19_middle_corrected(c) < bd.lemma19_bound(c)


def test_table1_lp_parts_match_formulas():
    r, n, b = 0.5, 64, 3
    t1, t3 = bd.table1_lp_upper_parts(r, n, 1, b, 2)
    assert t1 == pytest.approx((2 + math.sqrt(0.5 * math.log(4)) * n) ** 0.5)
    assert t3 == pytest.approx((math.sqrt(2 * math.log(4)) + 2 * n / 8) ** 1.0)


def test_nearest_other_class_matches_brute_force_over_cells():
    import itertools
    from companion.discrete import robust_classifier as rc

    rng = np.random.default_rng(0)
    for N, q in ((3, 4), (4, 2), (2, 8), (3, 8)):
        cells = np.array(list(itertools.product(range(q), repeat=N)))
        lab = rc.algorithm1_labels(cells, q)
        lo, hi = cells / q, (cells + 1) / q
        for _ in range(30):
            p = rng.random(N)
            own = rc.algorithm1_labels(bd.cell_digits(p, q)[None], q)[0]
            dist = np.linalg.norm(np.clip(p, lo, hi) - p, axis=1)[lab != own].min()
            got, other = bd.nearest_other_class_algorithm1(p, q)
            assert got == pytest.approx(dist, abs=1e-12)
            assert rc.algorithm1_labels(other[None], q)[0] != own
            # the returned cell is at that distance (Lemma 12's point p2 lies in it)
            assert np.linalg.norm(np.clip(p, other / q, (other + 1) / q) - p) == pytest.approx(dist)


def test_find_perturbation_lemma12_size():
    from companion.discrete import robust_classifier as rc

    rng = np.random.default_rng(1)
    n, q = 4, 8
    z = rc.z_sample(n * n, q, 200, rng)
    for c in (0.3, 1.0):
        for v in z:
            out = bd.find_perturbation(v, c, q, rng)
            if out is not None:
                assert np.linalg.norm((out - v) / (q - 1)) <= c + 2 * n / q + 1e-12


# ------------------------------------------------------------------ exact values of the Theorem 3 formulas
def test_lemma19_terms_values():
    for c in (0.0, 0.5, 2.0, 6.0):
        assert bd.lemma19_bound(c) == pytest.approx(2 * math.exp(-c * c / 2), rel=1e-14)
        assert bd.theorem3_robustness(c) == pytest.approx(2 * math.exp(-c * c / 2), rel=1e-14)
        assert bd.lemma19_middle_corrected(c) == pytest.approx(2 * Phi(-c), rel=1e-12)
        assert bd.lemma19_middle_printed(c) == pytest.approx(Phi(0.5 - c) / Phi(0.5), rel=1e-12)
    assert bd.lemma19_middle_corrected(0.0) == 1.0 and bd.lemma19_middle_printed(0.0) == 1.0


def test_corner_box_and_slab_interiors():
    assert bd.corner_box_interior(0.5, 3, 0.25) == (0.125, 0.015625)
    assert bd.corner_box_interior(0.5, 3, 0.75) == (0.125, 0.0)
    assert bd.slab_interior(0.25, 0.5) == (0.25, 0.0)


def _c_from_r(r, a):
    """Solve r = 2 exp(-a c^2) for c > 0 by bisection (independent of the ln(2/r) formulas)."""
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 2 * math.exp(-a * mid * mid) > r else (lo, mid)
    return lo


def test_theorem1_and_theorem3_sizes_and_table1_parts():
    for c, n, h, b, p in ((0.5, 28, 1, 1, 2), (1.2, 32, 3, 4, 3), (0.3, 64, 2, 8, 2.5)):
        assert bd.theorem1_lp_size(c, n, h, p) == pytest.approx((c * math.sqrt(h) * n + 2) ** (1 / p), rel=1e-14)
        assert bd.theorem3_size(c, n, h, b, p) == pytest.approx((c + 2 * n * math.sqrt(h) / 2 ** b) ** (2 / p),
                                                                rel=1e-14)
    # defaults: h = 1, b = 1, p = 2
    assert bd.theorem1_lp_size(0.5, 28) == bd.theorem1_lp_size(0.5, 28, 1, 2)
    assert bd.theorem3_size(0.5, 28) == bd.theorem3_size(0.5, 28, 1, 1, 2)
    for r in (0.1, 0.5, 0.9):
        c1, c3 = _c_from_r(r, 2.0), _c_from_r(r, 0.5)      # r = 2 e^{-2 c^2} (Thm 1), r = 2 e^{-c^2/2} (Thm 3)
        for n, h, b, p in ((28, 1, 1, 2), (28, 3, 5, 3), (64, 2, 8, 4)):
            t1, t3 = bd.table1_lp_upper_parts(r, n, h, b, p)
            assert t1 == pytest.approx((c1 * math.sqrt(h) * n + 2) ** (1 / p), rel=1e-12)
            assert t3 == pytest.approx((c3 + 2 * math.sqrt(h) * n / 2 ** b) ** (2 / p), rel=1e-12)
        assert bd.table1_lp_upper_parts(r, 28) == bd.table1_lp_upper_parts(r, 28, 1, 1, 2)


def test_cell_digits_edges():
    d = bd.cell_digits(np.array([0.0, 0.2499, 0.25, 0.999, 1.0]), 4)
    assert d.dtype == np.int64 and d.tolist() == [0, 0, 1, 3, 3]          # 1.0 belongs to the last cell


def _brute_nearest(p, q):
    """Distance from p to the nearest grid cell of the other Algorithm 1 label, over all cells."""
    import itertools
    from companion.discrete import robust_classifier as rc

    N = p.size
    cells = np.array(list(itertools.product(range(q), repeat=N)))
    lab = rc.algorithm1_labels(cells, q)
    own = rc.algorithm1_labels(bd.cell_digits(p, q)[None], q)[0]
    dist = np.linalg.norm(np.clip(p, cells / q, (cells + 1) / q) - p, axis=1)
    return dist[lab != own].min(), own


def test_nearest_other_class_next_to_the_threshold_and_without_warnings():
    # digit sums T - 1 and T: one digit unit away from the other class (delta = 1), the hardest case
    import warnings
    from companion.discrete import robust_classifier as rc

    rng = np.random.default_rng(3)
    for N, q in ((3, 4), (4, 4), (2, 8), (5, 2)):
        T = rc.threshold(N, q)
        for target in (T - 1, T):
            for _ in range(15):
                while True:
                    v = rng.integers(0, q, N)
                    if v.sum() == target:
                        break
                p = (v + rng.random(N)) / q
                want, own = _brute_nearest(p, q)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    got, other = bd.nearest_other_class_algorithm1(p, q)
                assert got == pytest.approx(want, abs=1e-12)
                assert rc.algorithm1_labels(other[None], q)[0] != own


def test_find_perturbation_is_algorithm2():
    # the same random stream drawn by hand: p1 uniform in the cell of the image, then the nearest cell of the
    # other class by brute force; the answer is that cell when it is within c, else None
    from companion.discrete import robust_classifier as rc

    q, N = 4, 3
    outcomes = set()
    for seed in range(40):
        v = np.random.default_rng(100 + seed).integers(0, q, N)
        for c in (0.1, 0.4):
            p1 = (v + np.random.default_rng(seed).random(N)) / q
            want, own = _brute_nearest(p1, q)
            got = bd.find_perturbation(v, c, q, np.random.default_rng(seed))
            outcomes.add(got is None)
            if want > c:
                assert got is None
            else:
                assert got is not None and rc.algorithm1_labels(got[None], q)[0] != own
                assert np.linalg.norm(np.clip(p1, got / q, (got + 1) / q) - p1) == pytest.approx(want, abs=1e-12)
    assert outcomes == {True, False}


def _nearest_by_dynamic_programming(p, q):
    """Squared distance to the nearest cell of the other Algorithm 1 label, by dynamic programming over the
    channels: moving channel j by m cells costs ((m/q - f_j)_+)^2, m up to its room; the digit sum must move
    by delta (no convexity argument used)."""
    from companion.discrete import robust_classifier as rc

    v = bd.cell_digits(p, q)
    T, S = rc.threshold(p.size, q), int(v.sum())
    up = S < T
    delta = T - S if up else S - T + 1
    room, f = (q - 1 - v, p - v / q) if up else (v, (v + 1) / q - p)
    best = np.full(delta + 1, np.inf)
    best[0] = 0.0
    for r, fj in zip(room, f):
        nxt = best.copy()
        for m in range(1, min(int(r), delta) + 1):
            c = max(m / q - fj, 0.0) ** 2
            nxt[m:] = np.minimum(nxt[m:], best[:delta + 1 - m] + c)
        best = nxt
    return math.sqrt(best[delta])


def test_nearest_other_class_in_many_channels_against_dynamic_programming():
    # N = 40 channels of 4 levels: 120 marginal costs, digit sums near and far from the threshold
    rng = np.random.default_rng(12)
    for N, q in ((40, 4), (25, 8)):
        for shift in (0.0, 0.3, -0.3, 0.05):
            for _ in range(4):
                p = np.clip(rng.random(N) + shift * rng.random(N), 0, 1 - 1e-12)
                got, _ = bd.nearest_other_class_algorithm1(p, q)
                assert got == pytest.approx(_nearest_by_dynamic_programming(p, q), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("N, q, seed", [(10, 64, 184), (10, 64, 387), (60, 16, 29), (60, 16, 165)])
def test_nearest_other_class_where_only_the_delta_smallest_costs_will_do(N, q, seed):
    # uniform points whose marginal costs must be selected exactly (an off-by-one selection of the delta
    # smallest, say, gets these wrong): against dynamic programming
    p = np.random.default_rng(seed).random(N)
    got, _ = bd.nearest_other_class_algorithm1(p, q)
    assert got == pytest.approx(_nearest_by_dynamic_programming(p, q), rel=1e-12, abs=1e-14)
