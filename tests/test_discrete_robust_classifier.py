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
    # printed (c sqrt(h n - 2))^(1/p) / (2^b - 1) vs proof (c sqrt(h) n - 2)^(1/p) / (2^b - 1)
    for c, n, h, b, p in ((0.2, 100, 1, 1, 2), (0.2, 100, 3, 2, 3), (0.1, 64, 2, 3, 2.5)):
        printed = (c * math.sqrt(h * n - 2)) ** (1 / p) / (2 ** b - 1)
        proof = (c * math.sqrt(h) * n - 2) ** (1 / p) / (2 ** b - 1)
        assert rc.lemma11_size_printed(c, n, h, b, p) == pytest.approx(printed, rel=1e-14)
        assert rc.theorem2_size(c, n, h, b, p) == pytest.approx(proof, rel=1e-14)
        assert abs(printed - proof) > 0.1 * proof
    assert rc.lemma11_size_printed(0.2, 100) == rc.lemma11_size_printed(0.2, 100, 1, 1, 2)   # h = b = 1, p = 2


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


def _c_from_r(r, a):
    """Solve r = 2 exp(-a c^2) for c > 0 by bisection (independent of the ln(2/r) formulas)."""
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 2 * math.exp(-a * mid * mid) > r else (lo, mid)
    return lo


def test_table1_lower_below_upper():
    from companion.discrete import isoperimetry as iso

    for n in (16, 64, 256, 1024):
        for h in (1, 3):
            for p in (1, 2, 3):
                for b in (1, 2, 8):
                    for r in (0.1, 0.5, 0.9):
                        lower, upper = rc.table1_lower(r, n, h, b, p), rc.table1_upper(r, n, h, b, p)
                        assert lower <= upper
                        # upper: Theorem 1 at r = 2 e^{-2c^2}; for p >= 2 also Theorem 3 at r = 2 e^{-c^2/2}
                        t1 = _c_from_r(r, 2.0) * math.sqrt(h) * n + 2
                        t3 = (_c_from_r(r, 0.5) + 2 * math.sqrt(h) * n / 2 ** b) ** (2 / p)
                        assert upper == pytest.approx(t1 if p == 1 else min(t1 ** (1 / p), t3), rel=1e-12)
                        # lower: Theorem 2 at r = 1 - 4c
                        base = (1 - r) / 4 * math.sqrt(h) * n - 2
                        assert lower == pytest.approx(base if p == 1 else max(base, 0) ** (1 / p) / (2 ** b - 1),
                                                      rel=1e-12)
                        # the same table as companion.discrete.isoperimetry's
                        assert upper == pytest.approx(iso.table1_upper(r, n, h, b, p), rel=1e-14)
                        assert lower == pytest.approx(iso.table1_lower(r, n, h, b, p), rel=1e-14)
    # defaults h = b = p = 1 (b matters once p >= 2)
    assert rc.table1_upper(0.5, 64) == rc.table1_upper(0.5, 64, 1, 1, 1)
    assert rc.table1_lower(0.5, 64) == rc.table1_lower(0.5, 64, 1, 1, 1)
    assert rc.table1_upper(0.5, 64, p=2) == rc.table1_upper(0.5, 64, 1, 1, 2)
    assert rc.table1_lower(0.5, 64, p=2) == rc.table1_lower(0.5, 64, 1, 1, 2)


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


# ------------------------------------------------------------------ input handling, exact laws, Theorem 2's sizes
def test_digit_input_types_and_validation():
    v = all_digits(3, 4)
    for p in (0, 1, 2, 3, "inf"):
        want = rc.minimal_perturbation(v, 4, p)
        # ImageSpace.levels gives uint8 digits: same answer (no unsigned wrap-around in the caps)
        np.testing.assert_array_equal(rc.minimal_perturbation(v.astype(np.uint8), 4, p), want)
    np.testing.assert_array_equal(rc.minimal_perturbation(v, 4, "0"), rc.minimal_perturbation(v, 4, 0))
    np.testing.assert_array_equal(rc.minimal_perturbation(v, 4, "1"), rc.minimal_perturbation(v, 4, 1))
    np.testing.assert_allclose(rc.minimal_perturbation(v, 4, 1.5), rc.brute_force_minimal_perturbation(v, 4, 1.5),
                               atol=1e-12)
    np.testing.assert_array_equal(rc.brute_force_minimal_perturbation(v, 4, "0"),
                                  rc.brute_force_minimal_perturbation(v, 4, 0))
    assert rc.minimal_perturbation(np.zeros((0, 3), int), 4, 1).shape == (0,)
    with pytest.raises(ValueError, match=r"shape \(images, channels\)"):
        rc.minimal_perturbation(np.zeros(3, int), 4, 1)
    for bad in ([[0, -1, 0]], [[0, 4, 0]]):
        with pytest.raises(ValueError, match=r"^digits must lie in 0\.\.3 \(q = 4\)$"):
            rc.minimal_perturbation(np.array(bad), 4, 1)
    with pytest.raises(ValueError, match="p must be 0, a real >= 1 or 'inf'"):
        rc.minimal_perturbation(v, 4, 0.5)
    with pytest.raises(ValueError, match=r"brute force over 2\^13 images is too large"):
        rc.brute_force_minimal_perturbation(np.zeros((1, 13), int), 2, 1)


def test_algorithm1_labels_on_one_image_and_on_batches():
    assert rc.algorithm1_labels(np.array([3, 3, 0]), 4) == 1          # digit sum 6 >= T = ceil(9/2) = 5
    assert rc.algorithm1_labels(np.array([1, 1, 0]), 4) == 0
    v = all_digits(3, 4)
    lab = rc.algorithm1_labels(v, 4)
    assert lab.dtype == np.uint8
    np.testing.assert_array_equal(rc.algorithm1_labels(v.reshape(8, 8, 3), 4), lab.reshape(8, 8))


def _water_fill_reference(delta, caps, p):
    """min sum m_j^p over integers 0 <= m_j <= cap_j, sum m_j = delta, by dynamic programming."""
    best = {0: 0.0}
    for c in caps:
        nxt = {}
        for s, cost in best.items():
            for m in range(int(c) + 1):
                if s + m <= delta and cost + m ** p < nxt.get(s + m, math.inf):
                    nxt[s + m] = cost + m ** p
        best = nxt
    return best[delta] ** (1 / p)


def test_water_fill_with_uneven_caps_against_dynamic_programming():
    rng = np.random.default_rng(5)
    cases = [([9, 2, 2], 8), ([9, 9, 9, 5, 1], 30)]
    for _ in range(60):
        caps = np.sort(rng.integers(0, 10, size=6))[::-1]
        if caps.sum():
            cases.append((caps, int(rng.integers(1, caps.sum() + 1))))
    for caps, delta in cases:
        caps = np.array(caps)
        for p in (2.0, 3.0):
            assert rc._water_fill_norm(delta, caps, p) == pytest.approx(_water_fill_reference(delta, caps, p),
                                                                        rel=1e-12)


def test_z_sample_is_uniform_on_z():
    # N = 3, q = 2: Z = {000, 001, 010, 100} (fewer than 2 ones), each with probability 1/4
    rng = np.random.default_rng(9)
    z = rc.z_sample(3, 2, 4000, rng)
    assert z.shape == (4000, 3) and z.dtype == np.int16
    assert not rc.algorithm1_labels(z, 2).any()
    freq = np.bincount(z @ np.array([4, 2, 1]), minlength=8) / len(z)
    np.testing.assert_allclose(freq[[0, 1, 2, 4]], 0.25, atol=5 * math.sqrt(0.25 * 0.75 / 4000))
    for m in (1, 2, 17):
        assert len(rc.z_sample(5, 4, m, rng)) == m


def _binomial_half(n):
    """Law of X ~ Bin(n, 1/2) by enumerating the 2^n coin sequences."""
    import itertools

    counts = {}
    for seq in itertools.product((0, 1), repeat=n):
        counts[sum(seq)] = counts.get(sum(seq), 0) + 1
    return {k: Fraction(c, 2 ** n) for k, c in counts.items()}


def test_lemma7_sides_against_enumeration():
    sym = {-2: Fraction(1, 8), -1: Fraction(1, 8), 0: Fraction(1, 2), 1: Fraction(1, 8), 2: Fraction(1, 8)}
    wide = {y: Fraction(1, 13) for y in range(-6, 7)}
    for n in (3, 6):
        px = _binomial_half(n)
        for y_pmf in (sym, wide, {0: Fraction(1)}):
            for t in (Fraction(-9), Fraction(-1, 2), Fraction(1), Fraction(3, 2), Fraction(2), Fraction(n + 3)):
                lhs, rhs = rc.lemma7_sides(n, y_pmf, t)
                assert lhs == sum((px[i] * py for i in px for y, py in y_pmf.items() if i + y <= t), Fraction(0))
                assert rhs == sum((px[i] for i in px if i < t), Fraction(0))
                assert type(lhs) is Fraction and type(rhs) is Fraction


def test_lemma8_sides_against_enumeration():
    import itertools

    for n, k in ((3, 1), (3, 2), (4, 1)):
        q = 2 * k
        sums = [sum(v) for v in itertools.product(range(q), repeat=n)]   # digit sums; X_i = digit / (q - 1)
        for t in (0.1, 0.5, 1.0, 2.0, n / 2 + 2):
            lhs, rhs = rc.lemma8_sides(n, k, t)
            want = sum(Fraction(s, q - 1) <= Fraction(n, 2) - Fraction(t).limit_denominator(1000) + 1
                       for s in sums) / len(sums)
            assert lhs == pytest.approx(want, abs=1e-12)
            assert rhs == pytest.approx(0.5 - 2 * t / math.sqrt(n), rel=1e-14)


def test_theorem2_size_every_norm():
    # base = c sqrt(h) n - 2; p <= 1: base; p >= 2: base^(1/p) / (2^b - 1); Linf: one level 1/(2^b - 1) once base >= 1
    c, n, h = 0.5, 20, 3
    base = c * math.sqrt(h) * n - 2
    for b in (1, 2, 3):
        for p in (0, 1, "0", "1"):
            assert rc.theorem2_size(c, n, h, b, p) == pytest.approx(base, rel=1e-14)
        for p in (2, 3, 2.5):
            assert rc.theorem2_size(c, n, h, b, p) == pytest.approx(base ** (1 / p) / (2 ** b - 1), rel=1e-14)
        for p in ("inf", math.inf):
            assert rc.theorem2_size(c, n, h, b, p) == 1 / (2 ** b - 1)
            assert rc.theorem2_size(0.75, 4, 1, b, p) == 1 / (2 ** b - 1)          # base = 1 exactly
            assert math.isnan(rc.theorem2_size(0.625, 4, 1, b, p))                 # base = 1/2 < 1
        assert rc.theorem2_size(0.625, 4, 1, b, 2) == pytest.approx(math.sqrt(0.5) / (2 ** b - 1))
        assert rc.theorem2_size(0.5, 4, 1, b, 2) == 0.0                            # base = 0
        assert math.isnan(rc.theorem2_size(0.25, 4, 1, b, 2))                      # base < 0
    assert rc.theorem2_size(0.5, 20) == 0.5 * 20 - 2                               # h = b = p = 1
    assert rc.theorem2_size(0.5, 20, p=2) == math.sqrt(0.5 * 20 - 2)               # b = 1: 2^b - 1 = 1
