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
