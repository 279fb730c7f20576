"""Figure 1 graphs and the exact typical distances of Eq. (1)/(84), against brute force."""
import itertools
import math

import numpy as np
import pytest

from companion.discrete import hamming_graph
from companion.discrete.image_spaces import ImageSpace


@pytest.mark.parametrize("N", [1, 2, 4, 6])
def test_hypercube_edges_are_exactly_the_one_bit_pairs(N):
    edges = {tuple(e) for e in hamming_graph.hypercube_edges(N).tolist()}
    brute = {(u, v) for u in range(2 ** N) for v in range(u + 1, 2 ** N) if bin(u ^ v).count("1") == 1}
    assert edges == brute
    assert len(hamming_graph.hypercube_edges(N)) == N * 2 ** (N - 1)


def test_bits_match_the_image_space_numbering():
    space = ImageSpace(2, 1, 1)
    assert np.array_equal(hamming_graph.bits(np.arange(16), 4), space.levels())


def test_layered_layout_puts_vertices_at_their_weight_and_apart():
    pos = hamming_graph.layered_layout(6)
    assert np.array_equal(pos[:, 1], [bin(v).count("1") for v in range(64)])
    assert len({tuple(p) for p in pos.round(9).tolist()}) == 64


@pytest.mark.parametrize("n,h,b", [(2, 1, 1), (1, 2, 2), (1, 3, 2), (1, 2, 3)])
@pytest.mark.parametrize("p", [0, 1, 2, 3])
def test_typical_distance_exact_against_all_pairs(n, h, b, p):
    q, N = 2 ** b, n * n * h
    imgs = np.array(list(itertools.product(range(q), repeat=N)), float) / (q - 1)
    diff = np.abs(imgs[:, None, :] - imgs[None, :, :])
    norms = (diff > 0).sum(-1) if p == 0 else (diff ** p).sum(-1) ** (1 / p)
    assert hamming_graph.typical_distance_exact(n, h, b, p) == pytest.approx(norms.mean(), rel=1e-12)
    values, law = hamming_graph.typical_distance_law(n, h, b, p)
    assert law.sum() == pytest.approx(1.0)
    assert (values ** 2 * law).sum() == pytest.approx((norms ** 2).mean(), rel=1e-12)


@pytest.mark.parametrize("b", [1, 2, 3])
def test_expected_l0_is_n2h_times_pr_differ(b):
    """The corrected Eq. (84) at p = 0: E||I - I'||_0 = n^2 h (1 - 2^-b)."""
    assert hamming_graph.typical_distance_exact(3, 2, b, 0) == pytest.approx(18 * (1 - 2.0 ** -b))


def test_k_hbp_is_eq85_constant():
    k = 0.5
    assert hamming_graph.k_hbp(3, 1, 2, k) == pytest.approx(k / (2 - k) * math.sqrt(3 * k / 2))


def test_bits_types_and_edges_limits():
    want = hamming_graph.bits(np.arange(16), 4)
    assert want.dtype == np.uint8
    assert np.array_equal(hamming_graph.bits(np.arange(16, dtype=np.uint64), 4), want)   # bitset word dtype
    assert np.array_equal(hamming_graph.bits(np.arange(16, dtype=np.uint8), 4), want)
    for N in (0, 21):
        with pytest.raises(ValueError, match=r"N must be in 1\.\.20 to list edges"):
            hamming_graph.hypercube_edges(N)


@pytest.mark.parametrize("N", [2, 3, 6])
def test_layered_layout_is_one_barycentre_sweep(N):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # e.g. no mean of an empty list for the bottom layer
        pos = hamming_graph.layered_layout(N)
    weight = np.array([bin(v).count("1") for v in range(2 ** N)])
    for w in range(N + 1):
        layer = np.flatnonzero(weight == w)
        xs = np.sort(pos[layer, 0])
        # a layer of L vertices sits at x = -(L-1)/2, ..., (L-1)/2, one unit apart
        np.testing.assert_allclose(xs, np.arange(len(layer)) - (len(layer) - 1) / 2, atol=1e-12)
        if w == 0:
            continue
        # ordered by the mean x of the neighbours one layer down (one bit cleared), ties by vertex number
        bary = {v: np.mean([pos[v ^ (1 << j), 0] for j in range(N) if v >> j & 1]) for v in layer}
        order = sorted(layer, key=lambda v: (round(bary[v], 9), v))
        assert [int(v) for v in layer[np.argsort(pos[layer, 0])]] == [int(v) for v in order]


def test_typical_distance_law_support_and_validation():
    for n, h, b, p in ((2, 1, 1, 0), (1, 2, 2, 1), (1, 2, 2, 2), (1, 3, 2, 3)):
        q, N = 2 ** b, n * n * h
        values, law = hamming_graph.typical_distance_law(n, h, b, p)
        # exactly the attainable sums of D_j^p, D_j in 0..q-1 (L0: the number of differing channels)
        assert len(law) == N * (q - 1) ** max(p, 1) + 1 if p else len(law) == N + 1
        assert values[-1] == pytest.approx(N if p == 0 else N ** (1 / p), rel=1e-12)
        assert law[-1] > 0
    for bad in ((0, 1, 1, 0), (1, 0, 1, 0), (1, 1, 0, 0), (1, 1, 1, -1)):
        with pytest.raises(ValueError, match="need n, h, b >= 1 and p >= 0"):
            hamming_graph.typical_distance_law(*bad)


def test_k_hbp_for_every_p():
    for p in (0, 1, 2, 3):
        for h in (1, 3):
            k = 0.4
            want = k / (2 - k) * (h * k / 2) ** (1 / max(p, 1))
            assert hamming_graph.k_hbp(h, 2, p, k) == pytest.approx(want, rel=1e-14)
