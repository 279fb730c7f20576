"""The compiled hypercube BFS kernel against the numpy reference and a plain BFS.

Every size from 2^1 to 2^20 vertices: the kernel's distances must be bit-identical to the numpy
implementation's and to a plain (frontier) BFS over explicit neighbour lists; level sizes and
robust counts on bitsets alone must agree with the distances; the class bitsets for the large
binary spaces must equal the label arrays of :mod:`companion.discrete.classifiers`, and the
large-space Theorem 1 check must reproduce :func:`companion.discrete.verification.verify`.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from companion.discrete import binary_spaces as bs
from companion.discrete import classifiers as C
from companion.discrete import hamming_bfs as hb
from companion.discrete import hamming_kernel as hk
from companion.discrete.image_spaces import ImageSpace
from companion.discrete.verification import verify


def plain_bfs(seeds: np.ndarray, N: int) -> np.ndarray:
    """Frontier BFS over the explicit neighbours ``v ^ 2^j`` (no bitsets)."""
    dist = np.full(2 ** N, 255, np.uint8)
    frontier = np.flatnonzero(seeds)
    dist[frontier] = 0
    flips = (1 << np.arange(N)).astype(np.int64)
    k = 0
    while frontier.size:
        k += 1
        nb = (frontier[:, None] ^ flips[None, :]).ravel()
        dist[nb[dist[nb] == 255]] = k
        frontier = np.flatnonzero(dist == k)
    return dist


def seed_sets(N: int, rng) -> list[np.ndarray]:
    out = [np.zeros(2 ** N, bool)]
    out[0][0] = True
    for density in (0.001, 0.05, 0.5):
        s = rng.random(2 ** N) < density
        if not s.any():
            s[rng.integers(2 ** N)] = True
        out.append(s)
    if N <= 12:
        out.append(np.zeros(2 ** N, bool))          # empty: everything unreached
    return out


@pytest.mark.parametrize("N", range(1, 21))
def test_kernel_distances_match_numpy_and_plain_bfs(N):
    rng = np.random.default_rng(100 + N)
    for seeds in seed_sets(N, rng)[: 5 if N <= 16 else 2]:
        ours = hb.hypercube_distances(seeds, N, impl="kernel")
        assert np.array_equal(ours, hb.hypercube_distances(seeds, N, impl="numpy"))
        assert np.array_equal(ours, plain_bfs(seeds, N))
        if N <= 14:
            for depth in (0, 1, 2):
                assert np.array_equal(hb.hypercube_distances(seeds, N, depth, impl="kernel"),
                                      hb.hypercube_distances(seeds, N, depth, impl="numpy"))


@pytest.mark.parametrize("N", [1, 5, 6, 7, 8, 9, 12, 15, 16, 19])
def test_expand_step_matches_numpy_on_random_sets(N):
    rng = np.random.default_rng(N)
    for density in (0.01, 0.3, 0.9):
        w = hb.pack(rng.random(2 ** N) < density)
        ref = hb.expand(w, N, impl="numpy")
        assert np.array_equal(hb.expand(w, N, impl="kernel"), ref)
        dst = np.empty_like(w)
        for threads in (1, 2, 3):
            assert hk.expand_into(w, dst, N, threads) == int(np.unpackbits(ref.view(np.uint8)).sum())
            assert np.array_equal(dst, ref)


def test_implementation_is_selectable(monkeypatch):
    seeds = np.zeros(2 ** 10, bool)
    seeds[[3, 700]] = True
    ref = hb.hypercube_distances(seeds, 10, impl="numpy")
    monkeypatch.setenv("COMPANION_BFS_IMPL", "numpy")
    assert hb._impl(None) == "numpy"
    assert np.array_equal(hb.hypercube_distances(seeds, 10), ref)
    monkeypatch.setenv("COMPANION_BFS_IMPL", "kernel")
    assert hb._impl(None) == "kernel"
    assert np.array_equal(hb.hypercube_distances(seeds, 10), ref)
    with pytest.raises(ValueError, match="impl"):
        hb.hypercube_distances(seeds, 10, impl="cuda")


def test_kernel_rejects_bad_buffers():
    w = np.zeros(2 ** 4, np.uint64)
    with pytest.raises(ValueError, match="overlap"):
        hk.expand_into(w, w, 10)
    with pytest.raises(ValueError, match="words"):
        hk.expand_into(w, np.zeros(8, np.uint64), 10)
    with pytest.raises(ValueError, match="dist"):
        hk.expand_dist(w, np.zeros_like(w), 10, np.zeros(5, np.uint8), 1)


@pytest.mark.parametrize("N", [3, 6, 11, 17])
def test_level_sizes_and_robust_counts_agree_with_distances(N):
    rng = np.random.default_rng(N)
    S = rng.random(2 ** N) < 0.3
    words = hb.pack(S)
    sizes = hb.hypercube_level_sizes(words, N)
    d = hb.hypercube_distances(S, N)
    assert sizes.tolist() == [int((d <= k).sum()) for k in range(N + 1)]
    assert np.array_equal(sizes, hb.hypercube_level_sizes(words, N, impl="numpy"))
    # robust counts of the class S: members at distance > d from the complement
    out = hb.hypercube_distances(~S, N)
    robust = hb.robust_counts(words, N)
    assert robust.tolist() == [int(((out > k) & S).sum()) for k in range(N + 1)]
    assert np.array_equal(robust, hb.robust_counts(words, N, impl="numpy"))
    assert np.array_equal(words, hb.pack(S))                 # not overwritten by default
    assert np.array_equal(hb.robust_counts(words.copy(), N, overwrite=True), robust)
    assert hb.hypercube_level_sizes(words, N, max_depth=2).tolist() == sizes[:3].tolist()


def test_single_vertex_levels_are_ball_sizes():
    N = 22
    w = np.zeros(2 ** (N - 6), np.uint64)
    w[0] = 1
    want = np.cumsum([math.comb(N, k) for k in range(N + 1)])
    assert hb.hypercube_level_sizes(w, N).tolist() == want.tolist()


def test_weight_class_and_complement():
    for N in (1, 4, 6, 9, 13):
        weight = np.array([v.bit_count() for v in range(2 ** N)])
        for lo, top in ((0, N // 2), (1, N - 1), (N // 2, N)):
            w = hk.weight_class(N, top, lo)
            members = (weight >= lo) & (weight <= top)
            assert np.array_equal(hb.unpack(w, N), members)
            assert hk.popcount(w) == members.sum()
            assert np.array_equal(hb.unpack(hk.complement(w, N), N), ~members)
            assert hk.popcount(w) == (~members).sum()


@pytest.mark.parametrize("n,h", [(1, 3), (2, 1), (2, 2), (2, 3), (3, 1), (4, 1)])
def test_binary_space_classes_equal_the_label_arrays(n, h):
    space, big = ImageSpace(n, h=h), bs.BinarySpace(n, h)
    labels = {"algorithm1": C.algorithm1(space), "hamming_ball": C.hamming_ball(space),
              "random_linear": C.random_linear(space, 4, 0)}
    for key, lab in labels.items():
        seen = 0
        for y, words in bs.class_bitsets(big, key):
            members = hb.unpack(words, space.N)
            assert np.array_equal(members, lab == y), (key, y)
            seen += members.sum()
        assert seen == space.size
        ref = verify(space, lab, key)
        got = bs.verify_binary(n, key, h=h)
        assert got.fractions.keys() == ref.fractions.keys()
        for y in ref.fractions:
            assert np.array_equal(got.fractions[y], ref.fractions[y])
        assert np.array_equal(got.bound, ref.bound) and got.holds == ref.holds


def test_binary_space_limits():
    assert bs.BinarySpace(6).N == 36 and bs.BinarySpace(6).bitset_bytes == 2 ** 33
    assert bs.BinarySpace(6).name == "I_(6,1,1)"
    with pytest.raises(ValueError, match="n\\^2 h"):
        bs.BinarySpace(7)
    with pytest.raises(ValueError, match="classifier"):
        list(bs.class_bitsets(bs.BinarySpace(2), "cnn"))
    with pytest.raises(MemoryError, match="GiB"):
        bs.check_memory(bs.BinarySpace(6, 1), bitsets=10 ** 6)
