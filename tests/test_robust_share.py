"""companion.bounds.robust_share against independent computations: exact robust shares of
sets on the cube (closed forms and seeded Monte Carlo in d = 20), the papers' printed numbers
(Ding et al. Example 2, Dai & Gifford's 2/e^2 and Lemma 19), hand recomputations of
Lemma 18 / Theorem 3 and of Fawzi et al.'s Eq. (1) with a linear modulus, and Irwin-Hall
closed forms and a Monte Carlo sum of uniforms for Example 1.

The normal distribution is computed here with the standard library (math.erfc and
statistics.NormalDist), not with scipy as the module does."""
from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from companion.bounds import robust_share as rs
from companion.discrete.isoperimetry import l0_robust_fraction_bound
from companion.generative import Modulus

SQRT_2PI = math.sqrt(2 * math.pi)
_N01 = NormalDist()


def Phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def Phi_inv(p: float) -> float:
    return _N01.inv_cdf(p)


def gaussian_interior(mu, r: float) -> float:
    """sum_k Phi(Phi^{-1}(mu_k) - r) over the classes of positive measure (by hand)."""
    return sum(Phi(Phi_inv(m) - r) for m in mu if m > 0)


EPS = np.linspace(0.0, 3.0, 61)
RNG_SEED = 20240611


def mc_tolerance(p: float, n: int) -> float:
    """Four binomial standard errors (plus a floor for p near 0 or 1)."""
    return 4 * math.sqrt(max(p * (1 - p), 1.0 / n) / n)


# =============================================================== cube_share (Ding, Thm 2.1)
def test_cube_share_is_example_2_of_ding_et_al():
    """Ten equal classes at eps = 0.5: the paper prints 'at least 94 %' attackable; by hand
    1 - 10 Phi(Phi^{-1}(0.1) - 0.5 sqrt(2 pi)) = 0.9438."""
    by_hand = 1 - 10 * Phi(Phi_inv(0.1) - 0.5 * SQRT_2PI)
    got = 1 - rs.cube_share(0.5, [0.1] * 10)
    assert got == pytest.approx(by_hand, abs=1e-10)
    assert round(got, 4) == 0.9438
    assert got >= 0.94                                    # the paper's "at least 94 %"


@pytest.mark.parametrize("mu", [[0.5, 0.5], [0.1] * 10, [0.2, 0.8], [0.05, 0.15, 0.3, 0.5],
                                [0.7, 0.2, 0.1, 0.0]])
def test_cube_share_is_the_per_class_isoperimetric_bound_summed(mu):
    for eps in (0.0, 0.01, 0.1, 0.37, 1.0, 2.5):
        assert rs.cube_share(eps, mu) == pytest.approx(
            gaussian_interior(mu, SQRT_2PI * eps), abs=1e-10), (mu, eps)
    s = rs.cube_share(EPS, mu)
    assert s.shape == EPS.shape and s[0] == pytest.approx(1.0)
    assert np.all(np.diff(s) <= 1e-15) and np.all((s >= 0) & (s <= 1))


def test_cube_share_keeps_the_shape_of_eps_and_returns_floats_for_scalars():
    assert isinstance(rs.cube_share(0.2, [0.5, 0.5]), float)
    e = np.array([[0.0, 0.1], [0.2, 0.3]])
    assert rs.cube_share(e, [0.5, 0.5]).shape == (2, 2)


def coordinate_halfspace_share(eps, a: float):
    """Classes {x_1 <= a} and {x_1 > a}: the distance of x to the other class is |x_1 - a|
    (move x_1 alone, which stays in the cube), so the robust share at L2 radius eps is exactly
    max(a - eps, 0) + max(1 - a - eps, 0), in any dimension."""
    eps = np.asarray(eps, dtype=float)
    return np.maximum(a - eps, 0) + np.maximum(1 - a - eps, 0)


@pytest.mark.parametrize("a", [0.5, 0.2, 0.05])
def test_cube_share_is_above_the_exact_share_of_a_coordinate_half_space(a):
    exact = coordinate_halfspace_share(EPS, a)
    assert np.all(rs.cube_share(EPS, [a, 1 - a]) >= exact - 1e-12)
    # the closed form itself, by Monte Carlo on the cube in d = 20
    x = np.random.default_rng(RNG_SEED).random((40_000, 20))
    dist = np.abs(x[:, 0] - a)
    for eps in (0.0, 0.05, 0.15, 0.3, 0.6):
        p = float((dist >= eps).mean())
        assert abs(p - coordinate_halfspace_share(eps, a)) < mc_tolerance(p, len(x))


def test_cube_share_is_first_order_exact_for_the_middle_half_space():
    """At a = 1/2 the bound is 2 Phi(-sqrt(2 pi) eps): Phi(-x) = 1/2 - phi(0) x + phi(0) x^3/6
    + O(x^5) and sqrt(2 pi) phi(0) = 1, so the bound is 1 - 2 eps + (2 pi / 3) eps^3 + ...,
    the half-space's exact 1 - 2 eps (its neighbourhood has measure 1/2 + eps: the isoperimetric
    slope) up to third order. Without the sqrt(2 pi) the slope would be -2 phi(0) = -0.80."""
    for eps in (1e-4, 1e-3, 3e-3, 1e-2, 3e-2):
        bound = rs.cube_share(eps, [0.5, 0.5])
        gap = bound - (1 - 2 * eps)
        assert gap >= 0
        assert gap == pytest.approx(2 * math.pi / 3 * eps ** 3, rel=0.05, abs=1e-14), eps
    slope = (rs.cube_share(1e-6, [0.5, 0.5]) - 1.0) / 1e-6
    assert slope == pytest.approx(-2.0, abs=1e-5)


def slabs_share(eps, k: int = 10):
    """k classes {x_1 in [j/k, (j+1)/k)}: an inner slab's points are robust at eps when at
    least eps from both faces, an end slab's when at least eps from its one inner face."""
    w = 1.0 / k
    eps = np.asarray(eps, dtype=float)
    return (k - 2) * np.maximum(w - 2 * eps, 0) + 2 * np.maximum(w - eps, 0)


def test_cube_share_is_above_ten_coordinate_slabs_monte_carlo_d20():
    x = np.random.default_rng(RNG_SEED + 1).random((40_000, 20))
    lab = np.minimum((x[:, 0] * 10).astype(int), 9)
    lo, hi = lab / 10, (lab + 1) / 10
    dist = np.minimum(np.where(lab > 0, x[:, 0] - lo, np.inf),
                      np.where(lab < 9, hi - x[:, 0], np.inf))
    mu = np.bincount(lab, minlength=10) / len(lab)
    assert np.all(np.abs(mu - 0.1) < 0.01)
    bound = rs.cube_share(EPS, [0.1] * 10)
    assert np.all(bound >= slabs_share(EPS) - 1e-12)
    for eps in (0.0, 0.01, 0.03, 0.06, 0.2):
        p = float((dist >= eps).mean())
        assert abs(p - slabs_share(eps)) < mc_tolerance(p, len(x))
        assert rs.cube_share(eps, [0.1] * 10) >= p - mc_tolerance(p, len(x))


def test_cube_share_is_above_argmax_classes_monte_carlo_d20():
    """Ten classes by the largest of the first ten coordinates (measure 1/10 each). The nearest
    point of another class averages the largest and the second largest coordinate, so the
    distance is (x_(1) - x_(2)) / sqrt(2); the top spacing of ten uniforms exceeds g with
    probability (1 - g)^10, so the exact robust share is (1 - sqrt(2) eps)_+^10."""
    x = np.random.default_rng(RNG_SEED + 2).random((40_000, 20))
    top2 = np.sort(x[:, :10], axis=1)[:, -2:]
    dist = (top2[:, 1] - top2[:, 0]) / math.sqrt(2)
    exact = np.maximum(1 - math.sqrt(2) * EPS, 0) ** 10
    assert np.all(rs.cube_share(EPS, [0.1] * 10) >= exact - 1e-12)
    for eps in (0.0, 0.02, 0.05, 0.1, 0.2):
        p = float((dist >= eps).mean())
        assert abs(p - max(1 - math.sqrt(2) * eps, 0) ** 10) < mc_tolerance(p, len(x))


def box_distance_to_upper_halfspace(x: np.ndarray, s: float) -> np.ndarray:
    """Distance from rows x (with sum <= s) to {y in [0, 1]^d : sum y >= s}: the projection is
    y = clip(x + lam, 0, 1) with lam >= 0 solving sum y = s (KKT), found by bisection."""
    lo = np.zeros(len(x))
    hi = np.ones(len(x))
    for _ in range(50):
        mid = (lo + hi) / 2
        low = np.clip(x + mid[:, None], 0, 1).sum(axis=1) < s
        lo = np.where(low, mid, lo)
        hi = np.where(low, hi, mid)
    y = np.clip(x + hi[:, None], 0, 1)
    return np.linalg.norm(y - x, axis=1)


def test_cube_share_is_above_the_diagonal_half_space_monte_carlo_d20():
    """Classes {sum x <= d/2} and {sum x > d/2}: robust points are at distance >= eps from the
    other class *inside the cube*, at least the distance |S - d/2| / sqrt(d) to the hyperplane
    (the foot of the perpendicular may leave the cube). Both are estimated; the bound must be
    above the exact (box) share, which is above the hyperplane share."""
    d = 20
    x = np.random.default_rng(RNG_SEED + 3).random((20_000, d))
    s = x.sum(axis=1)
    flip = s > d / 2
    xs = np.where(flip[:, None], 1 - x, x)               # x -> 1 - x swaps the classes
    box = box_distance_to_upper_halfspace(xs, d / 2)
    plane = np.abs(s - d / 2) / math.sqrt(d)
    assert np.all(box >= plane - 1e-9)
    for eps in (0.0, 0.05, 0.1, 0.2, 0.4, 0.8):
        p_box = float((box >= eps).mean())
        p_plane = float((plane >= eps).mean())
        assert p_box >= p_plane
        assert rs.cube_share(eps, [0.5, 0.5]) >= p_box - mc_tolerance(p_box, len(x)), eps
    # and the hyperplane share is about 2 Phi(-eps sqrt(12)) (S has variance d/12): a check of
    # the Monte Carlo itself, below the bound 2 Phi(-eps sqrt(2 pi)) since sqrt(12) > sqrt(2 pi)
    p = float((plane >= 0.2).mean())
    assert abs(p - 2 * Phi(-0.2 * math.sqrt(12))) < mc_tolerance(p, len(x)) + 0.01


@pytest.mark.parametrize("call, needle", [
    (lambda: rs.cube_share(-0.1, [0.5, 0.5]), "radii"),
    (lambda: rs.cube_share([0.1, math.nan], [0.5, 0.5]), "radii"),
    (lambda: rs.cube_share(math.inf, [0.5, 0.5]), "radii"),
    (lambda: rs.cube_share([], [0.5, 0.5]), "radii"),
    (lambda: rs.cube_share(0.1, [0.5, 0.6]), "class measures"),
    (lambda: rs.cube_share(0.1, [1.0]), "class measures"),
    (lambda: rs.cube_share(0.1, [1.2, -0.2]), "class measures"),
    (lambda: rs.bit_depth_share(-1.0, [0.5, 0.5], 28), "radii"),
    (lambda: rs.bit_depth_share(0.1, [0.3, 0.3], 28), "class measures"),
    (lambda: rs.bit_depth_share(0.1, [0.5, 0.5], 0), "n"),
    (lambda: rs.discretisation_offset(28, b=0), "b"),
    (lambda: rs.hamming_l2_share(-0.5, 28), "radii"),
    (lambda: rs.generator_share(0.1, [0.4, 0.4],
                                Modulus([0.0, 1.0], [0.0, 1.0], 0.0)), "class measures"),
    (lambda: rs.generator_share(-0.1, [0.5, 0.5],
                                Modulus([0.0, 1.0], [0.0, 1.0], 0.0)), "radii"),
    (lambda: rs.halfspace_linf_share(0.1, 2, "vertical"), "boundary"),
    (lambda: rs.halfspace_linf_share(-0.1, 2), "radii"),
])
def test_invalid_inputs_are_rejected_naming_the_input(call, needle):
    with pytest.raises(ValueError, match=needle):
        call()


def test_a_constant_classifier_has_everything_robust_in_every_bound():
    modulus = Modulus(np.linspace(0, 10, 11), np.linspace(0, 10, 11), 0.0)
    assert rs.bit_depth_share(3.0, [1.0, 0.0], 28) == 1.0
    assert rs.generator_share(3.0, [1.0, 0.0], modulus) == 1.0
    assert rs.cube_share(3.0, [1.0, 0.0]) == 1.0
    assert rs.hamming_l2_share(3.0, 28, measures=[1.0, 0.0]) == 1.0


def test_hamming_share_counts_a_class_above_one_half_whole():
    # at eps^2 = 29 (c = 1, n = 28) an interesting class keeps at most 2/e^2 of its images
    # robust; a class of 0.8 of image space is not interesting and is counted whole
    b = 2 * np.exp(-2.0)
    assert rs.hamming_l2_share(np.sqrt(29), 28, measures=[0.8, 0.2]) == pytest.approx(
        0.8 + 0.2 * b)
    assert rs.hamming_l2_share(np.sqrt(29), 28, measures=[0.5, 0.5]) == pytest.approx(b)


# ======================================================= bit_depth_share (Dai & Gifford, Thm 3)
def bit_depth_by_hand(eps: float, mu, n: int, h: int = 1, b: int = 8) -> float:
    """Lemma 14 with Lemma 18: an interesting class (0 < mu <= 1/2) has at most
    Phi(Phi^{-1}(mu) - c) of all images robust at L2 size c + 2 n sqrt(h) / 2^b (Lemma 12: the
    grid costs twice a cell's diameter sqrt(n^2 h) / 2^b); a class above 1/2 at most its
    measure; nothing is said below the offset (c <= 0)."""
    c = max(eps - 2 * n * math.sqrt(h) / 2 ** b, 0.0)
    total = 0.0
    for m in mu:
        if m > 0.5:
            total += m
        elif m > 0:
            total += Phi(Phi_inv(m) - c)
    return min(total, 1.0)


def test_the_discretisation_offset_is_twice_a_cells_diameter():
    assert rs.discretisation_offset(28) == 2 * 28 / 256
    assert rs.discretisation_offset(32, 3, 8) == pytest.approx(2 * math.sqrt(32 ** 2 * 3) / 256)
    assert rs.discretisation_offset(28, b=1) == 28.0


MEASURES = [[0.5, 0.5], [0.1] * 10, [0.3, 0.3, 0.4], [0.7, 0.2, 0.1],
            [0.098, 0.114, 0.1, 0.102, 0.097, 0.09, 0.099, 0.104, 0.097, 0.099]]


@pytest.mark.parametrize("mu", MEASURES)
@pytest.mark.parametrize("n, h, b", [(28, 1, 8), (32, 3, 8), (28, 1, 4)])
def test_bit_depth_share_is_lemma_18_by_hand(mu, n, h, b):
    for eps in (0.0, 0.1, 0.3, 0.5, 1.0, 1.7, 2.5, 4.0):
        assert rs.bit_depth_share(eps, mu, n, h, b) == pytest.approx(
            bit_depth_by_hand(eps, mu, n, h, b), abs=1e-10), (eps, n, h, b)


def test_bit_depth_share_at_the_printed_point():
    # two halves, c = 1 past the offset 0.21875: 2 Phi(-1)
    assert rs.bit_depth_share(1.21875, [0.5, 0.5], 28) == pytest.approx(2 * Phi(-1.0), abs=1e-12)
    assert round(2 * Phi(-1.0), 4) == 0.3173


@pytest.mark.parametrize("mu", MEASURES)
def test_bit_depth_share_is_at_most_one_non_increasing_and_one_below_the_offset(mu):
    off = rs.discretisation_offset(28)
    s = rs.bit_depth_share(EPS, mu, 28)
    assert np.all(s <= 1.0) and np.all(s >= 0.0)
    assert np.all(np.diff(s) <= 1e-15)
    below = np.linspace(0.0, off, 9)
    assert np.allclose(rs.bit_depth_share(below, mu, 28), 1.0, atol=1e-12)
    # at one bit the offset is 28: nothing is said at any radius of interest
    assert np.allclose(rs.bit_depth_share(EPS, mu, 28, b=1), 1.0, atol=1e-12)
    # past the offset, the interesting classes' part falls; a big class's mass stays
    big = sum(m for m in mu if m > 0.5)
    assert rs.bit_depth_share(off + 0.5, mu, 28) < 1.0
    assert rs.bit_depth_share(off + 50.0, mu, 28) == pytest.approx(big, abs=1e-9)


@pytest.mark.parametrize("mu", [[0.5, 0.5], [0.1] * 10, [0.3, 0.3, 0.4], [0.7, 0.2, 0.1]])
def test_bit_depth_share_is_below_the_printed_theorem_3(mu):
    """Lemma 19 (Theorem 3's form): an interesting class has mu(C_c) < 2 exp(-c^2/2) mu(C);
    summed over the interesting classes (a big class counted whole) the share is at most
    big + 2 exp(-c^2/2) (1 - big)."""
    off = rs.discretisation_offset(28)
    big = sum(m for m in mu if m > 0.5)
    for c in np.linspace(0.0, 4.0, 41):
        printed = big + min(1.0, 2 * math.exp(-c ** 2 / 2)) * (1 - big)
        assert rs.bit_depth_share(off + c, mu, 28) <= printed + 1e-12, c


@pytest.mark.parametrize("mu", MEASURES + [[0.9, 0.1]])
def test_bit_depth_share_is_weaker_than_the_cube_bound(mu):
    """Theorem 3 goes through the same isoperimetry on the cube (Lemma 17) as Ding et al.'s
    Theorem 2.1, but (i) Lemma 18's proof (Eqs. 79-81) drops Lemma 17's factor sqrt(2 pi) > 1,
    so its radius is c, not sqrt(2 pi) c, (ii) it pays the grid's offset c = eps - 2n/2^b <=
    eps, and (iii) it bounds a class above 1/2 only by its measure. Each makes the bound larger,
    so at every eps and for every measures bit_depth_share >= cube_share, strictly once the
    cube bound bites."""
    c = rs.cube_share(EPS, mu)
    d = rs.bit_depth_share(EPS, mu, 28)
    assert np.all(d >= c - 1e-12)
    assert np.all(d[1:] > c[1:])


# =================================================== hamming_l2_share (Dai & Gifford, Thm 1)
def test_hamming_l2_share_reads_the_l0_bound_at_floor_eps_squared():
    for n, h in ((28, 1), (32, 3), (8, 1)):
        for eps in np.linspace(0.0, 12.0, 97):
            d = math.floor(eps ** 2 + 1e-9)
            assert rs.hamming_l2_share(eps, n, h) == pytest.approx(
                l0_robust_fraction_bound(d, n, h), abs=1e-12), (n, h, eps)


def test_hamming_l2_share_by_hand():
    """Theorem 1: not 2e^{-2c^2}-robust at L0 size c sqrt(h) n + 2; an image robust at integer
    size d is robust at every real size below d + 1, so the bound is 2 exp(-2((d-1)/(sqrt(h)
    n))^2); Lemma 6: L2-robust at eps gives L0-robust at floor(eps^2) (a channel moves at most
    1). At n = 28: eps^2 = 29 gives c = 1, 2/e^2; eps^2 = 28.5 gives d = 28, not 28.5."""
    assert rs.hamming_l2_share(math.sqrt(29), 28) == pytest.approx(2 / math.e ** 2, abs=1e-12)
    assert rs.hamming_l2_share(math.sqrt(28.5), 28) == pytest.approx(
        2 * math.exp(-2 * (27 / 28) ** 2), abs=1e-12)
    assert rs.hamming_l2_share(math.sqrt(18), 28) == pytest.approx(
        2 * math.exp(-2 * (17 / 28) ** 2), abs=1e-12)
    assert rs.hamming_l2_share(math.sqrt(18), 28) < 1.0
    # 2 exp(-2 c^2) >= 1 while c^2 <= ln(2)/2: nothing below eps^2 = 18 (d - 1 <= 16.48)
    assert rs.hamming_l2_share(np.sqrt(np.arange(0, 18) + 0.5), 28).tolist() == [1.0] * 18
    # three channels: c = (d - 1) / (sqrt(3) n)
    assert rs.hamming_l2_share(10.0, 32, 3) == pytest.approx(
        2 * math.exp(-2 * (99 / (math.sqrt(3) * 32)) ** 2), abs=1e-12)


def test_hamming_l2_share_is_a_non_increasing_share():
    s = rs.hamming_l2_share(np.linspace(0, 15, 301), 28)
    assert np.all(np.diff(s) <= 0) and np.all((s > 0) & (s <= 1))
    assert isinstance(rs.hamming_l2_share(3.0, 28), float)


# ==================================================== generator_share (Fawzi et al., Thm 4)
def linear_modulus(L: float, failure_prob: float = 0.0, t_max: float = 100.0) -> Modulus:
    t = np.linspace(0.0, t_max, 201)
    return Modulus(t, L * t, failure_prob)


@pytest.mark.parametrize("L", [0.5, 2.0, 7.0])
def test_generator_share_two_halves_linear_modulus(L):
    """Two halves: a = Phi^{-1}(1/2) = 0, Eq. (1) is 2 Phi(eta) - 1 at eta = omega^{-1}(eps) =
    eps / L, so the share is 1 - (2 Phi(eps/L) - 1) = 2 Phi(-eps/L); with a failure probability
    delta the lower bound loses delta (clipped at 0): min(1, 2 Phi(-eps/L) + delta)."""
    eps = np.linspace(0.0, 20.0, 81)
    for delta in (0.0, 0.05):
        got = rs.generator_share(eps, [0.5, 0.5], linear_modulus(L, delta))
        want = [min(1.0, 2 * Phi(-e / L) + delta) for e in eps]
        assert np.allclose(got, want, atol=1e-10), (L, delta)
        assert np.all((got >= 0) & (got <= 1))
    # the failure probability is added where the bound is not clipped
    far = 6.0 * L
    assert rs.generator_share(far, [0.5, 0.5], linear_modulus(L, 0.05)) == pytest.approx(
        rs.generator_share(far, [0.5, 0.5], linear_modulus(L, 0.0)) + 0.05, abs=1e-12)


def test_generator_share_is_clipped_to_zero_one():
    m = linear_modulus(1.0, 0.05)
    # at eps = 0 the lower bound 0 - delta is clipped to 0: share 1, not 1 + delta
    assert rs.generator_share(0.0, [0.5, 0.5], m) == 1.0
    assert rs.generator_share(0.01, [0.5, 0.5], m) == 1.0     # 2 Phi(-0.01) + 0.05 > 1
    assert rs.generator_share(10.0, [0.5, 0.5], linear_modulus(1.0, 1.0)) == 1.0
    s = rs.generator_share(np.linspace(0, 50, 101), [0.2, 0.3, 0.5], linear_modulus(3.0, 0.3))
    assert np.all((s >= 0.3 - 1e-12) & (s <= 1.0))


@pytest.mark.parametrize("mu", [[0.1] * 10, [0.2, 0.8], [0.05, 0.15, 0.3, 0.5]])
def test_generator_share_is_gaussian_isoperimetry_at_the_inverse_modulus(mu):
    """Eq. (1) with Phi(a_i) = 1 - mu_i: 1 - sum_i [Phi(a_i + eta) - Phi(a_i)] = sum_i [1 -
    Phi(Phi^{-1}(1 - mu_i) + eta)] = sum_i Phi(Phi^{-1}(mu_i) - eta) (the mu_i sum to 1)."""
    L = 2.5
    for eps in (0.0, 0.3, 1.0, 3.0, 10.0):
        assert rs.generator_share(eps, mu, linear_modulus(L)) == pytest.approx(
            gaussian_interior(mu, eps / L), abs=1e-10), eps


def test_generator_share_with_the_cube_map_is_the_cube_bound():
    """Ding et al.'s proof: T(z) = (Phi(z_i))_i pushes N(0, I) to the uniform cube and is
    1/sqrt(2 pi)-Lipschitz, so Fawzi's bound with omega(t) = t / sqrt(2 pi) is Theorem 2.1."""
    m = linear_modulus(1 / SQRT_2PI)
    for mu in ([0.5, 0.5], [0.1] * 10, [0.2, 0.8]):
        assert np.allclose(rs.generator_share(EPS, mu, m), rs.cube_share(EPS, mu), atol=1e-10)


def test_generator_share_uses_the_inverse_of_a_non_linear_modulus():
    t = np.linspace(0.0, 5.0, 11)
    m = Modulus(t, t ** 2, 0.0)
    for ti in t[1:]:                          # at grid points omega^{-1}(t^2) = t exactly
        assert rs.generator_share(ti ** 2, [0.5, 0.5], m) == pytest.approx(2 * Phi(-ti),
                                                                           abs=1e-12)


# ================================================= halfspace_linf_share (Ding, Example 1)
def test_halfspace_linf_share_in_one_dimension():
    """d = 1: both boundaries are x > 1/2; attacked iff |x - 1/2| < eps: 1 - 2 eps."""
    eps = np.linspace(0.0, 0.7, 29)
    want = np.maximum(1 - 2 * eps, 0)
    for boundary in ("diagonal", "coordinate"):
        assert np.allclose(rs.halfspace_linf_share(eps, 1, boundary), want, atol=1e-12)


def test_halfspace_linf_share_in_two_and_three_dimensions():
    """Diagonal: robust iff |S - d/2| >= d eps (the l_inf ball moves S by less than d eps).
    d = 2: S is triangular on [0, 2], P(S <= 1 - 2 eps) = (1 - 2 eps)^2 / 2, twice that is
    (1 - 2 eps)^2. d = 3: F_3(x) = (-2x^3 + 9x^2 - 9x + 3)/6 on [1, 2] (Irwin-Hall), at
    x = 3/2 - 3 eps for eps <= 1/6; x^3/6 below 1."""
    eps = np.linspace(0.0, 0.5, 26)
    assert np.allclose(rs.halfspace_linf_share(eps, 2), (1 - 2 * eps) ** 2, atol=1e-12)

    def f3(x):
        return x ** 3 / 6 if x <= 1 else (-2 * x ** 3 + 9 * x ** 2 - 9 * x + 3) / 6

    for e in np.linspace(0.0, 0.5, 31):
        assert rs.halfspace_linf_share(e, 3) == pytest.approx(2 * f3(3 * (0.5 - e)), abs=1e-12)
    # the coordinate boundary does not depend on d
    for d in (2, 3, 784):
        assert np.allclose(rs.halfspace_linf_share(eps, d, "coordinate"), 1 - 2 * eps,
                           atol=1e-12)
    assert rs.halfspace_linf_share(0.6, 784, "coordinate") == 0.0


def test_halfspace_linf_share_at_d784_by_monte_carlo():
    """Sums of 784 uniforms: the share robust at eps is P(|S - 392| >= 784 eps)."""
    d, n = 784, 20_000
    s = np.random.default_rng(RNG_SEED + 4).random((n, d), dtype=np.float32).sum(axis=1,
                                                                              dtype=np.float64)
    for eps in (0.002, 0.005, 0.01, 0.02):
        p = float((np.abs(s - d / 2) >= d * eps).mean())
        got = rs.halfspace_linf_share(eps, d)
        assert abs(got - p) < mc_tolerance(p, n), eps
    # near eps = 0.01: about 2 Phi(-0.01 sqrt(12 * 784)) = 0.33
    assert rs.halfspace_linf_share(0.01, d) == pytest.approx(
        2 * Phi(-0.01 * math.sqrt(12 * d)), abs=0.005)
    assert rs.halfspace_linf_share(0.1, d) < 1e-20


def test_example_1_is_below_theorem_2_1():
    """An l_inf-robust point is L2-robust at the same radius (the L2 ball lies in the l_inf
    ball), so the exact l_inf shares of Example 1 (two halves) are below the L2 bound."""
    eps = np.linspace(0.0, 0.6, 61)
    bound = rs.cube_share(eps, [0.5, 0.5])
    for d in (1, 2, 3, 50, 784):
        for boundary in ("diagonal", "coordinate"):
            assert np.all(rs.halfspace_linf_share(eps, d, boundary) <= bound + 1e-12), (d,
                                                                                    boundary)


# ============================================================================ radius_at_share
def test_radius_at_share_by_hand():
    assert rs.radius_at_share([0, 1, 2], [1.0, 0.6, 0.2]) == pytest.approx(1.25)
    assert rs.radius_at_share([0, 1, 2], [1.0, 0.5, 0.2]) == 1.0           # hit at a grid point
    assert rs.radius_at_share([0, 1, 2], [1.0, 0.6, 0.2], level=0.9) == pytest.approx(0.25)
    assert rs.radius_at_share([0.5, 1, 2], [0.3, 0.2, 0.1]) == 0.5         # below from the start
    # a flat stretch, then 2 + (0.8 - 0.5) * 2 / 0.8
    assert rs.radius_at_share([0, 1, 2, 4], [1.0, 0.8, 0.8, 0.0]) == pytest.approx(2.75)
    assert rs.radius_at_share([0, 1, 2], [1.0, 0.9, 0.6]) == math.inf
    # on a bound: 2 Phi(-sqrt(2 pi) eps) = 1/2 at eps = -Phi^{-1}(1/4) / sqrt(2 pi)
    grid = np.linspace(0.0, 1.0, 2001)
    r = rs.radius_at_share(grid, rs.cube_share(grid, [0.5, 0.5]))
    assert r == pytest.approx(-Phi_inv(0.25) / SQRT_2PI, abs=1e-5)


@pytest.mark.parametrize("args, needle", [
    (([0, 1, 1], [1.0, 0.5, 0.2]), "increasing"),
    (([0, 2, 1], [1.0, 0.5, 0.2]), "increasing"),
    (([0, 1], [1.0, 0.5, 0.2]), "same length"),
    (([[0, 1]], [[1.0, 0.5]]), "increasing"),
    (([0, 1, 2], [1.0, 0.5, 0.2], 0.0), "level"),
    (([0, 1, 2], [1.0, 0.5, 0.2], 1.0), "level"),
])
def test_radius_at_share_rejects_bad_input(args, needle):
    with pytest.raises(ValueError, match=needle):
        rs.radius_at_share(*args)
