"""Dai & Gifford, Theorem 2: Algorithm 1's closed forms against brute force and exact sums."""
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from companion.discrete import robust_classifier as rc


def all_digits(N, q):
    return np.array(list(itertools.product(range(q), repeat=N)))


@pytest.mark.parametrize("N,q", [(5, 2), (3, 4), (4, 4), (2, 8), (3, 8)])
@pytest.mark.parametrize("p", [0, 1, 2, 3, "inf"])
def test_minimal_perturbation_matches_brute_force(N, q, p):
    v = all_digits(N, q)
    np.testing.assert_allclose(rc.minimal_perturbation(v, q, p),
                               rc.brute_force_minimal_perturbation(v, q, p), atol=1e-12)


def test_algorithm1_threshold_is_half_the_channel_sum():
    for N, q in ((4, 2), (3, 4), (5, 4)):
        v = all_digits(N, q)
        want = (v / (q - 1)).sum(1) >= N / 2      # Algorithm 1 as printed, on values
        np.testing.assert_array_equal(rc.algorithm1_labels(v, q), want.astype(np.uint8))


@pytest.mark.parametrize("N", [1, 4, 9, 12])
def test_binary_robust_fraction_by_enumeration(N):
    v = all_digits(N, 2)
    z = rc.algorithm1_labels(v, 2) == 0
    assert z.sum() == rc.z_size_binary(N)
    d0 = rc.brute_force_minimal_perturbation(v[z], 2, 0) if 2 ** N <= 5000 else None
    for d in range(N + 1):
        got = rc.z_robust_fraction_binary(N, d)
        if d0 is not None:
            assert got == Fraction(int((d0 > d).sum()), int(z.sum()))
        assert rc.z_robust_fraction_l1(N, 2, d) == pytest.approx(float(got), abs=1e-12)


def test_l1_robust_fraction_by_enumeration_b2():
    N, q = 6, 4
    v = all_digits(N, q)
    z = v[rc.algorithm1_labels(v, q) == 0]
    l1 = rc.minimal_perturbation(z, q, 1)
    for d in (0, 0.3, 1, 1.5, 2):
        assert rc.z_robust_fraction_l1(N, q, d) == pytest.approx((l1 > d + 1e-12).mean(), abs=1e-12)


def test_digit_sum_pmf_matches_counting():
    N, q = 5, 4
    s = all_digits(N, q).sum(1)
    np.testing.assert_allclose(rc.digit_sum_pmf(N, q), np.bincount(s) / q ** N, atol=1e-14)


def test_theorem2_guarantee_holds_exactly_binary():
    """Lemmas 9-10: Z is (1-4c)-robust to L0/L1 size c sqrt(h) n - 2 (b = 1, exact)."""
    for n in (4, 8, 16, 40):
        N = n * n
        for c in np.linspace(0.01, 0.25, 25):
            size = rc.theorem2_size(c, n)
            if math.isnan(size):
                continue
            assert float(rc.z_robust_fraction_binary(N, size)) >= 1 - 4 * c


def test_lemma11_printed_differs_from_proof():
    # printed (c sqrt(h n - 2))^(1/p) vs proof (c sqrt(h) n - 2)^(1/p): different numbers
    assert rc.lemma11_size_printed(0.2, 100, 1, 1, 2) != pytest.approx(rc.theorem2_size(0.2, 100, 1, 1, 2))


def test_lemma7_exact_and_can_fail_without_symmetry():
    sym = {-2: Fraction(1, 8), -1: Fraction(1, 8), 0: Fraction(1, 2), 1: Fraction(1, 8), 2: Fraction(1, 8)}
    for n in (4, 9, 16):
        for t2 in range(-1, n, 2):                     # half-integers t < n/2
            t = Fraction(t2, 2)
            if t >= Fraction(n, 2):
                continue
            lhs, rhs = rc.lemma7_sides(n, sym, t)
            assert lhs >= rhs
    skew = {3: Fraction(1, 1)}                         # not symmetric: the inequality fails
    lhs, rhs = rc.lemma7_sides(9, skew, Fraction(7, 2))
    assert lhs < rhs


def test_lemma8_exact():
    for n in (4, 16, 50):
        for k in (1, 2, 4):
            for t in (0.1, 0.5, 1.0, 2.0):
                lhs, rhs = rc.lemma8_sides(n, k, t)
                assert lhs > rhs


def test_table1_lower_below_upper():
    for n in (16, 64, 256, 1024):
        for p in (1, 2, 3):
            for b in (1, 2, 8):
                for r in (0.1, 0.5, 0.9):
                    assert rc.table1_lower(r, n, 1, b, p) <= rc.table1_upper(r, n, 1, b, p)


def test_water_fill_against_enumeration():
    rng = np.random.default_rng(0)
    for _ in range(50):
        caps = np.sort(rng.integers(0, 5, size=4))[::-1]
        delta = int(rng.integers(1, caps.sum() + 1)) if caps.sum() else 0
        if delta == 0:
            continue
        best = min(sum(m ** 2 for m in ms) for ms in itertools.product(*[range(c + 1) for c in caps])
                   if sum(ms) == delta)
        assert rc._water_fill_norm(delta, caps, 2.0) == pytest.approx(math.sqrt(best))
