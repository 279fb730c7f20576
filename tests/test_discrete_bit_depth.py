"""Dai & Gifford, Theorem 3: the cube bounds on sets with known interiors; the Eq. (82) erratum."""
import math

import numpy as np
import pytest
from scipy.stats import norm

from companion.discrete import bit_depth as bd


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
    # slab at a = 1/2: mu(S_r) = 1/2 - r vs Phi(-r) = 1/2 - r/sqrt(2 pi) + ...: same order in r
    r = 1e-3
    assert bd.slab_interior(0.5, r)[1] < bd.lemma18_bound(0.5, r)


def test_lemma16_ratio_monotone():
    x = np.linspace(-8, 8, 2001)
    for k in (0.1, 1.0, 3.0):
        ratio = norm.logcdf(x - k) - norm.logcdf(x)
        assert np.all(np.diff(ratio) >= -1e-12)


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
