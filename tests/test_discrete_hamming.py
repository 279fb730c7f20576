"""Hamming-graph BFS against a plain reference, and Dai & Gifford's Theorem 1 bounds."""
from __future__ import annotations

import itertools
import math
from collections import deque
from fractions import Fraction

import numpy as np
import pytest

from companion.discrete import hamming_bfs as hb
from companion.discrete import isoperimetry as iso


def reference_distances(seeds_flat: np.ndarray, q: int, N: int) -> np.ndarray:
    """Plain BFS over an explicit adjacency (vertices as base-q digit tuples, C order)."""
    verts = list(itertools.product(range(q), repeat=N))
    index = {v: i for i, v in enumerate(verts)}
    dist = np.full(len(verts), 255, np.uint8)
    queue = deque()
    for i in np.flatnonzero(seeds_flat):
        dist[i] = 0
        queue.append(i)
    while queue:
        i = queue.popleft()
        v = verts[i]
        for a in range(N):
            for val in range(q):
                if val != v[a]:
                    j = index[v[:a] + (val,) + v[a + 1:]]
                    if dist[j] == 255:
                        dist[j] = dist[i] + 1
                        queue.append(j)
    return dist


@pytest.mark.parametrize("N", [1, 3, 5, 6, 7, 9])
def test_hypercube_bfs_matches_reference(N):
    rng = np.random.default_rng(N)
    for density in (0.0, 0.01, 0.2):
        seeds = rng.random(2 ** N) < density
        if density and not seeds.any():
            seeds[rng.integers(2 ** N)] = True
        ours = hb.hypercube_distances(seeds, N)
        # the flat C-order index of the digit tuple flips bit N-1-a along axis a: same hypercube
        assert np.array_equal(ours, reference_distances(seeds, 2, N))


@pytest.mark.parametrize("q, N", [(3, 4), (4, 3), (2, 5)])
def test_general_hamming_bfs_matches_reference(q, N):
    rng = np.random.default_rng(q * 10 + N)
    seeds = rng.random((q,) * N) < 0.05
    seeds.flat[0] = True
    ours = hb.hamming_distances(seeds)
    assert np.array_equal(ours.ravel(), reference_distances(seeds.ravel(), q, N))


def test_distance_to_other_class_by_brute_force():
    N = 6
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 2 ** N)
    ours = hb.distance_to_other_class(labels)
    pop = np.array([bin(i).count("1") for i in range(2 ** N)])
    for v in range(2 ** N):
        others = np.flatnonzero(labels != labels[v])
        assert ours[v] == pop[others ^ v].min()
    grid = hb.distance_to_other_class(labels.reshape((2,) * N))
    assert np.array_equal(grid.ravel(), ours)


def test_expand_grows_balls_by_one():
    N = 12
    seeds = np.zeros(2 ** N, bool)
    seeds[0] = True
    d = hb.hypercube_distances(seeds, N)
    assert np.array_equal(np.bincount(d), [math.comb(N, k) for k in range(N + 1)])
    assert iso.ball_sizes(N) == list(np.cumsum([math.comb(N, k) for k in range(N + 1)]))


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="dimension N"):
        hb.hypercube_distances(np.zeros(4, bool), 0)
    with pytest.raises(ValueError, match="all 2\\^3"):
        hb.hypercube_distances(np.zeros(5, bool), 3)
    with pytest.raises(ValueError, match="c must be > 0"):
        iso.robust_fraction_bound(0.0)


@pytest.mark.parametrize("N", [8, 10, 12])
def test_theorem4_holds_exhaustively_for_random_sets_and_balls(N):
    """Graph form of Theorem 4: |S'|/|S| < 2 e^{-2c^2} for every S with |S| <= |V|/2."""
    rng = np.random.default_rng(N)
    sets = [rng.random(2 ** N) < f for f in (0.5, 0.3, 0.05)]
    pop = np.array([bin(i).count("1") for i in range(2 ** N)])
    sets += [pop <= R for R in range(N // 2) if iso.ball_sizes(N)[R] <= 2 ** (N - 1)]
    sets += [(np.arange(2 ** N) & 1) == 0]           # a half-space (subcube): |S| = |V|/2
    for S in sets:
        if not S.any() or S.sum() > 2 ** (N - 1):
            continue
        d = hb.hypercube_distances(~S, N)[S]
        for c in np.linspace(0.05, 2.0, 40):
            k = math.floor(c * math.sqrt(N) + 2)
            assert np.mean(d > k) < iso.robust_fraction_bound(c)


def test_l0_bound_at_integer_sizes_is_the_infimum_over_c():
    n, h = 4, 1
    for d in range(2, 12):
        # robust at size d implies robust at every real size s with floor(s) <= d, so each c with
        # floor(c sqrt(h) n + 2) <= d bounds the robust fraction at d by 2 e^{-2c^2}
        cs = np.linspace(1e-6, 4, 4000)
        allowed = np.floor(cs * math.sqrt(h) * n + 2) <= d
        tightest = iso.robust_fraction_bound(cs[allowed]).min()
        assert iso.l0_robust_fraction_bound(d, n, h) <= min(1.0, tightest) + 1e-12
        assert iso.l0_robust_fraction_bound(d, n, h) == pytest.approx(
            min(1.0, 2 * math.exp(-2 * ((d - 1) / n) ** 2)))


def test_lemma1_exactly():
    for n in range(1, 120):
        assert all(iso.lemma1_holds(n, k) for k in range(-1, n + 2))


def test_lemma4_exactly_on_a_grid():
    for n in range(2, 26, 3):
        for p in (Fraction(1, 3), Fraction(1, 2), Fraction(4, 5)):
            for r in range(n):
                for k in range(1, r + 1):
                    assert iso.lemma4_holds(n, p, r, k)


def test_binomial_cdf_against_scipy():
    from scipy.stats import binom

    for k in range(-1, 12):
        assert float(iso.binomial_cdf(10, Fraction(3, 10), k)) == pytest.approx(binom.cdf(k, 10, 0.3))


def test_table1_upper_is_theorem1_reparametrised():
    for c in (0.3, 0.8, 1.5):
        r = iso.robust_fraction_bound(c)
        if r >= 1:
            continue
        assert iso.table1_upper(r, 28, 3, p=1) == pytest.approx(iso.perturbation_size(c, 28, 3, 1))
        assert iso.table1_upper(r, 28, 3, b=1, p=2) == pytest.approx(iso.perturbation_size(c, 28, 3, 2))
        # at a high bit depth Theorem 3's term, (sqrt(2 ln(2/r)) + 2 sqrt(h) n / 2^b)^(2/p), wins
        thm3 = math.sqrt(2 * math.log(2 / r)) + 2 * math.sqrt(3) * 28 / 2 ** 20
        assert iso.table1_upper(r, 28, 3, b=20, p=2) == pytest.approx(thm3)
    assert iso.table1_lower(0.5, 100, 1, p=1) == pytest.approx(0.125 * 100 - 2)


def test_lemma2_exactly():
    assert all(iso.lemma2_holds(n, Fraction(1, 3), k) for n in range(1, 14) for k in range(1, n + 1))
    # the ratio really moves: from 0 (x < k) up to U(n - k) at x = n
    n, k, p = 10, 3, Fraction(1, 3)
    assert iso.binomial_cdf(n, p, -1) == 0 and iso.binomial_cdf(n, p, n) == 1


def test_lemma6_inequality_on_all_pairs_and_its_failure_outside_the_unit_range():
    from companion.discrete.image_spaces import ImageSpace

    sp = ImageSpace(2, b=1)
    lv = sp.levels()
    a, b = np.repeat(lv, sp.size, axis=0), np.tile(lv, (sp.size, 1))
    assert iso.lemma6_inequality_holds(a, b, sp.q, 2)
    # with channel values beyond [0, 1] (q - 1 = 1/3 would scale differences by 3) it fails
    assert not iso.lemma6_inequality_holds(a * 3, b * 0, 2, 2)


# ------------------------------------------------------------------ exact values of the Theorem 1 / Table 1 formulas
def test_ball_sizes_by_enumeration_for_q_above_two():
    for N, q in ((4, 3), (3, 4)):
        weights = np.array([sum(x != 0 for x in v) for v in itertools.product(range(q), repeat=N)])
        assert iso.ball_sizes(N, q) == [int((weights <= r).sum()) for r in range(N + 1)]


def test_binomial_cdf_needs_p_strictly_inside():
    for p in (0, 1, Fraction(3, 2)):
        with pytest.raises(ValueError, match=r"p must be in \(0, 1\)"):
            iso.binomial_cdf(5, p, 2)


def test_robust_fraction_bound_and_sizes_values():
    for c in (0.1, 0.5, 1.3):
        assert iso.robust_fraction_bound(c) == pytest.approx(2 * math.exp(-2 * c * c), rel=1e-14)
    assert iso.robust_fraction_bound(2**32) == 0.0                   # an integer c: no int64 overflow in c^2
    assert type(iso.robust_fraction_bound(0.5)) is float
    assert iso.robust_fraction_bound(np.array([0.5, 1.0])).shape == (2,)
    # size c sqrt(h) n + 2, to the power 1/max(p, 1); defaults h = 1, p = 0 (L0)
    assert iso.perturbation_size(0.5, 28) == 0.5 * 28 + 2
    assert iso.perturbation_size(0.5, 28, 3, 2) == pytest.approx(math.sqrt(0.5 * math.sqrt(3) * 28 + 2), rel=1e-14)
    assert iso.perturbation_size(0.5, 28, 3, 1) == pytest.approx(0.5 * math.sqrt(3) * 28 + 2, rel=1e-14)
    assert iso.perturbation_size(0.0, 1, 1, 0) == 2.0                # n = h = 1, p = 0 are allowed
    assert type(iso.perturbation_size(0.5, 28)) is float
    assert iso.perturbation_size(np.array([0.5, 1.0]), 28).tolist() == [16.0, 30.0]
    for n, h, p in ((0, 1, 0), (1, 0, 0), (1, 1, -1)):
        with pytest.raises(ValueError, match="need n >= 1, h >= 1, p >= 0"):
            iso.perturbation_size(0.5, n, h, p)


def test_c_for_l0_size_inverts_the_size():
    for d, n, h in ((10, 4, 1), (30, 28, 3), (2, 5, 2)):
        c = iso.c_for_l0_size(d, n, h)
        assert c == pytest.approx((d - 2) / (math.sqrt(h) * n), rel=1e-14)
        assert iso.perturbation_size(c, n, h, 0) == pytest.approx(d, rel=1e-14)
        assert type(c) is float
    assert iso.c_for_l0_size(10, 4) == 2.0                          # h = 1 by default
    assert iso.c_for_l0_size(np.array([2, 6]), 4).tolist() == [0.0, 1.0]


def test_l0_bound_defaults_and_scalars():
    assert iso.l0_robust_fraction_bound(9, 4) == pytest.approx(2 * math.exp(-2 * (8 / 4) ** 2), rel=1e-14)
    assert iso.l0_robust_fraction_bound(9, 4, 2) == pytest.approx(2 * math.exp(-2 * (8 / (4 * math.sqrt(2))) ** 2))
    assert type(iso.l0_robust_fraction_bound(9, 4)) is float
    assert iso.l0_robust_fraction_bound(np.array([0, 1, 9]), 4).shape == (3,)
    assert iso.l0_robust_fraction_bound(np.array([0, 1]), 4).tolist() == [1.0, 1.0]   # no information


def _c_from_r(r, a):
    """Solve r = 2 exp(-a c^2) for c > 0 by bisection (independent of the ln(2/r) formulas)."""
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 2 * math.exp(-a * mid * mid) > r else (lo, mid)
    return lo


def test_table1_bounds_against_theorems_1_to_3():
    for r in (0.1, 0.5, 0.9):
        c1, c3 = _c_from_r(r, 2.0), _c_from_r(r, 0.5)        # Theorem 1: 2 e^{-2c^2}; Theorem 3: 2 e^{-c^2/2}
        for n, h in ((28, 1), (28, 3), (64, 1)):
            l0 = c1 * math.sqrt(h) * n + 2
            assert iso.table1_upper(r, n, h, p=0) == pytest.approx(l0, rel=1e-12)
            assert iso.table1_upper(r, n, h, b=20, p=1) == pytest.approx(l0, rel=1e-12)  # Theorem 3 is for p >= 2
            for b in (1, 3, 20):
                for p in (2, 3):
                    want = min(l0 ** (1 / p), (c3 + 2 * math.sqrt(h) * n / 2 ** b) ** (2 / p))
                    assert iso.table1_upper(r, n, h, b, p) == pytest.approx(want, rel=1e-12)
                    base = (1 - r) / 4 * math.sqrt(h) * n - 2           # Theorem 2 with c = (1 - r)/4
                    want = max(base, 0) ** (1 / p) / (2 ** b - 1)
                    assert iso.table1_lower(r, n, h, b, p) == pytest.approx(want, rel=1e-12, abs=1e-300)
                    assert iso.table1_lower(r, n, h, b, p) <= iso.table1_upper(r, n, h, b, p)
                assert iso.table1_lower(r, n, h, b, 1) == pytest.approx((1 - r) / 4 * math.sqrt(h) * n - 2)
    # the defaults are h = 1, b = 1, p = 0 (b matters once p >= 2)
    assert iso.table1_upper(0.5, 28, p=2) == iso.table1_upper(0.5, 28, 1, 1, 2)
    assert iso.table1_lower(0.5, 28, p=2) == iso.table1_lower(0.5, 28, 1, 1, 2)
    assert iso.table1_upper(0.5, 28) == iso.table1_upper(0.5, 28, 1, 1, 0)
    assert iso.table1_lower(0.5, 28) == iso.table1_lower(0.5, 28, 1, 1, 0)
    assert iso.table1_lower(0.9, 16, 1, 2, 2) == 0.0              # Theorem 2's size is negative: nothing shown
    for r in (0.0, 1.0, 1.5):
        for f in (iso.table1_upper, iso.table1_lower):
            with pytest.raises(ValueError, match=r"r must be in \(0, 1\)"):
                f(r, 28)


def test_lemma4_is_vacuous_below_zero():
    # r < 0: U(r) = 0, the hypothesis U(r) <= 1/2 holds but there is no ratio to bound
    assert iso.lemma4_holds(5, Fraction(1, 2), -1, 1) and iso.lemma4_holds(5, Fraction(1, 3), -3, 2)


def test_lemma1_rejects_n_zero():
    with pytest.raises(ValueError, match="Lemma 1 needs n >= 1"):
        iso.lemma1_holds(0, 0)


def test_lemma6_check_fails_on_a_single_large_channel():
    # one channel differing by 2 (values outside [0, 1]): ||.||_1 = 2 > ||.||_0 = 1, the others equal
    assert not iso.lemma6_inequality_holds(np.array([[2, 0, 0, 0]]), np.zeros((1, 4), int), 2, 1)
    # 4 levels (q = 4): channel differences are multiples of 1/3 and the inequality holds on all pairs
    from companion.discrete.image_spaces import ImageSpace

    sp = ImageSpace(1, h=3, b=2)
    lv = sp.levels()
    a, b = np.repeat(lv, sp.size, axis=0), np.tile(lv, (sp.size, 1))
    for p in (1, 2, 3):
        assert iso.lemma6_inequality_holds(a, b, sp.q, p)


# ------------------------------------------------------------------ BFS: the two-thread bitset path, depths, input types
def _neighbourhood(members, N):
    """S union N(S) on {0,1}^N by direct definition: v is in it iff v or some v ^ 2^j is in S."""
    v = np.arange(2 ** N)
    out = members.copy()
    for j in range(N):
        out |= members[v ^ (1 << j)]
    return out


@pytest.mark.parametrize("N", [1, 4, 6, 7, 13, 22])
def test_expand_is_the_closed_neighbourhood(N):
    # N = 22 has 2^16 words: expand() splits them over two threads and joins the top dimension after
    rng = np.random.default_rng(N)
    members = rng.random(2 ** N) < min(0.5, 40 / 2 ** N)
    members[0] = True
    members[-1] = True
    want = _neighbourhood(members, N)
    # expand() and, where it has one, its numpy reference implementation
    for expand in [hb.expand] + ([hb.expand_numpy] if hasattr(hb, "expand_numpy") else []):
        assert np.array_equal(hb.unpack(expand(hb.pack(members), N), N), want)


def test_hypercube_distances_two_seeds_exactly():
    N = 14
    seeds = np.zeros(2 ** N, bool)
    seeds[[0, 2 ** N - 1]] = True                      # the all-black and the all-white image
    d = hb.hypercube_distances(seeds, N, max_depth=3)
    w = np.bitwise_count(np.arange(2 ** N, dtype=np.uint64))
    want = np.minimum(w, N - w)
    assert d.dtype == np.uint8
    assert np.array_equal(d, np.where(want <= 3, want, 255))


def test_max_depth_stops_the_search_and_types():
    N, q = 7, 3
    rng = np.random.default_rng(1)
    seeds = rng.random(2 ** N) < 0.02
    seeds[5] = True
    full = hb.hypercube_distances(seeds, N)
    for depth in (0, 1, 2, 10):
        got = hb.hypercube_distances(seeds, N, max_depth=depth)
        assert got.dtype == np.uint8
        assert np.array_equal(got, np.where(full <= depth, full, 255))
    # seeds given as 0/1 integers, not booleans
    assert np.array_equal(hb.hypercube_distances(seeds.astype(int), N), full)
    grid = np.zeros((q,) * 4, bool)
    grid[0, 1, 2, 0] = True
    full = hb.hamming_distances(grid)
    assert full.dtype == np.uint8 and full.max() == 4
    for depth in (0, 1, 2, 10):
        assert np.array_equal(hb.hamming_distances(grid, max_depth=depth), np.where(full <= depth, full, 255))
    assert np.array_equal(hb.hamming_distances(grid.astype(int)), full)
    # N = 1: H(1, q) is the complete graph on q vertices
    assert hb.hamming_distances(np.array([False, True, False, False])).tolist() == [1, 0, 1, 1]
    with pytest.raises(ValueError, match=r"seeds must have shape \(q,\)\*N"):
        hb.hamming_distances(np.zeros((2, 3), bool))


def test_distance_to_other_class_on_a_threshold_labelling():
    # label = [weight >= 4] on {0,1}^8: an image of weight w is |w - 3.5| + 1/2 changes from the other class
    N = 8
    w = np.bitwise_count(np.arange(2 ** N, dtype=np.uint64)).astype(int)
    labels = (w >= 4).astype(int)
    want = np.where(w >= 4, w - 3, 4 - w)
    for lab in (labels, labels.reshape((2,) * N)):
        got = hb.distance_to_other_class(lab)
        assert got.dtype == np.uint8 and np.array_equal(got.ravel(), want)
    # a flat label array read as H(1, 2^N) (hypercube=False): every other label is one change away
    assert np.array_equal(hb.distance_to_other_class(labels, hypercube=False), np.ones(2 ** N))


def test_check_dim_and_pack_limits():
    assert hb._check_dim(34) == 34 and hb._check_dim(np.int64(1)) == 1
    for bad in (0, 35, 3.0):
        with pytest.raises(ValueError, match=r"dimension N must be an integer in \[1, 34\]"):
            hb._check_dim(bad)
    for n in (1, 3, 6, 12):
        with pytest.raises(ValueError, match="need 2\\^N membership flags"):
            hb.pack(np.zeros(n, bool))
