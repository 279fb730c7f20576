"""Dai & Gifford, Theorem 1 checked on complete image spaces: the enumeration of I_{n,h,b}, the classifiers
and the exhaustive verification, against brute force over all pairs of images (tiny spaces)."""
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from companion.discrete import classifiers as C
from companion.discrete import robust_classifier as rc
from companion.discrete.image_spaces import ImageSpace, interesting_classes, robust_fractions
from companion.discrete.isoperimetry import l0_robust_fraction_bound
from companion.discrete.verification import Verification, verify


def brute_levels(n, h, b):
    """All images of I_{n,h,b} as channel levels, in the base-q numbering (most significant digit first)."""
    return np.array(list(itertools.product(range(2 ** b), repeat=n * n * h)))


def brute_distance(levels, labels, per=1):
    """Exact L0 distance of every image to the other classes: changed channels (per = 1) or changed pixels
    (per = h: groups of h consecutive channels), by comparing all pairs."""
    diff = levels[:, None, :] != levels[None, :, :]
    if per > 1:
        diff = diff.reshape(len(levels), len(levels), -1, per).any(-1)
    d = diff.sum(-1)
    d[labels[:, None] == labels[None, :]] = 10 ** 6
    return d.min(1)


@pytest.mark.parametrize("n,h,b", [(2, 1, 1), (1, 2, 2), (1, 3, 1), (2, 1, 2)])
def test_image_space_enumeration(n, h, b):
    sp = ImageSpace(n, h, b)
    lv = brute_levels(n, h, b)
    assert sp.name == f"I_({n},{h},{b})"
    assert np.array_equal(sp.levels(), lv) and sp.levels().dtype == np.uint8
    assert np.array_equal(sp.levels(3, 7), lv[3:7])
    assert np.array_equal(sp.levels(5, 10 ** 9), lv[5:])               # stop is clipped to the space
    assert sp.images().shape == (sp.size, n, n, h)                    # from image 0 by default
    im = sp.images(2, 6)
    assert im.dtype == np.float32 and im.shape == (4, n, n, h)
    np.testing.assert_array_equal(im.reshape(4, -1), (lv[2:6] / (2 ** b - 1)).astype(np.float32))
    assert list(sp.chunks(5)) == [(s, min(s + 5, sp.size)) for s in range(0, sp.size, 5)]
    assert list(sp.chunks()) == [(0, sp.size)]
    assert sp.hamming_shape() == (2 ** b,) * (n * n * h)
    assert sp.hamming_shape(pixels=True) == (2 ** (b * h),) * (n * n)


def test_image_space_limits():
    for bad in ((0, 1, 1), (1, 0, 1), (1, 1, 0)):
        with pytest.raises(ValueError, match="need n, h, b >= 1"):
            ImageSpace(*bad)
    ImageSpace(1, 30, 1)                                              # 2^30 images: the largest allowed
    with pytest.raises(ValueError, match=r"^I_\(1,31,1\) has 2\^31 images: too many to enumerate \(at most 2\^30\)$"):
        ImageSpace(1, 31, 1)


def test_interesting_classes_and_robust_fractions_by_counting():
    labels = np.array([0, 0, 1, 1, 1, 1, 2, 2])                      # class 1 is half the space: still interesting
    assert interesting_classes(labels) == [0, 1, 2]
    assert interesting_classes(np.array([0, 1, 1])) == [0]           # class 1 holds more than half
    dist = np.array([1, 3, 0, 2, 2, 5, 1, 1])
    fr = robust_fractions(labels, dist, 6)
    for y in (0, 1, 2):
        d = dist[labels == y]
        np.testing.assert_array_equal(fr[y], [(d > k).mean() for k in range(7)])
    assert set(fr) == {0, 1, 2}
    fr = robust_fractions(labels, dist, 2)                           # max_d below the largest distance
    np.testing.assert_array_equal(fr[1], [0.75, 0.75, 0.25])


@pytest.mark.parametrize("n,h,b", [(2, 1, 1), (1, 3, 2), (2, 1, 2), (1, 1, 1), (1, 3, 1), (1, 5, 1)])
def test_algorithm1_and_hamming_ball_by_definition(n, h, b):
    # (1, 3, 1) and (1, 5, 1): an odd number of binary channels, where a ball holds exactly half the space
    sp = ImageSpace(n, h, b)
    lv = brute_levels(n, h, b)
    values = [sum(Fraction(int(x), sp.q - 1) for x in v) for v in lv]   # exact channel sums
    a1 = C.algorithm1(sp)
    assert a1.dtype == np.int8
    np.testing.assert_array_equal(a1, [int(s >= Fraction(sp.N, 2)) for s in values])   # 1 iff sum >= N/2
    np.testing.assert_array_equal(a1, rc.algorithm1_labels(lv, sp.q))
    ball = C.hamming_ball(sp)
    assert ball.dtype == np.int8
    weight = (lv > 0).sum(1)                                         # L0 distance to the black image
    radius = max(r for r in range(sp.N + 1) if 2 * (weight <= r).sum() <= sp.size)
    np.testing.assert_array_equal(ball, (weight > radius).astype(np.int8))
    assert 2 * (ball == 0).sum() <= sp.size < 2 * (weight <= radius + 1).sum()      # the largest such ball


def test_random_classifiers_are_reproducible_labellings():
    sp = ImageSpace(2, 1, 2)
    lin = C.random_linear(sp, 3, seed=1)
    assert lin.dtype == np.int8 and lin.shape == (sp.size,) and set(np.unique(lin)) <= {0, 1, 2}
    assert np.array_equal(lin, C.random_linear(sp, 3, seed=1))
    assert not np.array_equal(lin, C.random_linear(sp, 3, seed=2))
    assert np.array_equal(C.random_linear(sp), C.random_linear(sp, 4, 0))      # 4 classes, seed 0 by default
    assert np.array_equal(C.random_labelling(sp), C.random_labelling(sp, 4, 0))
    # argmax of affine scores: each class is convex, so the midpoint of two images of a class (when it is
    # an image of the space: even digit sums) is in that class too
    lv = sp.levels().astype(int)
    index = {tuple(v): i for i, v in enumerate(lv.tolist())}
    for i, j in itertools.combinations(range(sp.size), 2):
        if lin[i] == lin[j] and not ((lv[i] + lv[j]) % 2).any():
            assert lin[index[tuple((lv[i] + lv[j]) // 2)]] == lin[i]
    rnd = C.random_labelling(sp, 5, seed=3)
    assert rnd.dtype == np.int8 and set(np.unique(rnd)) == set(range(5))
    assert np.array_equal(rnd, C.random_labelling(sp, 5, seed=3))
    assert set(np.unique(C.random_labelling(sp))) == {0, 1, 2, 3}


def test_digits_cnn_learns_downscaled_digits():
    # scikit-learn's digits at 3 x 3 binary pixels: a weak task, but far above chance (1/10) once trained
    import torch

    sp = ImageSpace(3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                             # a tiny model: threads would only spin
    try:
        labels, info = C.digits_cnn(sp, seed=0, epochs=6)
    finally:
        torch.set_num_threads(threads)
    assert labels.dtype == np.int8 and labels.shape == (sp.size,)
    assert labels.min() >= 0 and labels.max() <= 9 and len(np.unique(labels)) >= 5
    assert 0.2 < info["test_accuracy"] <= 1
    assert (info["dataset"].name, info["dataset"].split) == ("sklearn-digits", "train")
    # the reported accuracy is the labelling's on the held-out digits, each downscaled to 3 x 3 (anti-aliased,
    # scaled by the split's maximum) and quantised to the space's levels: an image of the space
    from skimage.transform import resize

    from companion import data

    test = data.load("sklearn-digits", "test")
    digits = test.float_images(channels_first=False)[..., 0]
    small = np.stack([resize(im, (3, 3), anti_aliasing=True) for im in digits])
    small = small / small.max()
    level = np.clip(np.round(small * (sp.q - 1)), 0, sp.q - 1).astype(np.int64).reshape(len(small), -1)
    index = level @ (sp.q ** np.arange(sp.N - 1, -1, -1))
    assert info["test_accuracy"] == pytest.approx(np.mean(labels[index] == test.labels), abs=1e-6)


def test_digits_cnn_needs_one_channel():
    with pytest.raises(ValueError, match=r"one-channel space \(h = 1\)"):
        C.digits_cnn(ImageSpace(1, 2, 1))


@pytest.mark.parametrize("n,h,b,pixels", [(2, 1, 1, False), (1, 3, 1, False), (2, 1, 2, False),
                                          (2, 2, 1, False), (2, 2, 1, True), (1, 2, 2, True)])
def test_verify_against_brute_force(n, h, b, pixels):
    sp = ImageSpace(n, h, b)
    lv = brute_levels(n, h, b)
    for name, labels in (("algorithm1", C.algorithm1(sp)), ("random", C.random_labelling(sp, 3, seed=n + h + b))):
        v = verify(sp, labels, name, pixels=pixels)
        dist = brute_distance(lv, labels, per=h if pixels else 1)
        top = n * n if pixels else sp.N
        assert (v.space, v.classifier, v.pixels) == (sp, name, pixels)
        np.testing.assert_array_equal(v.sizes, np.arange(top + 1))
        assert set(v.fractions) == set(interesting_classes(labels))
        for y, fr in v.fractions.items():
            d = dist[labels == y]
            np.testing.assert_allclose(fr, [(d > k).mean() for k in range(top + 1)], atol=1e-15)
        # Theorem 1's size c sqrt(h) n + 2 counts channels; c n + 2 counts pixels
        np.testing.assert_allclose(v.bound, l0_robust_fraction_bound(np.arange(top + 1), n, 1 if pixels else h))
        assert v.holds
    # channels, not pixels, by default
    sp = ImageSpace(2, 2, 1)
    labels = C.algorithm1(sp)
    np.testing.assert_array_equal(verify(sp, labels, "a").sizes, np.arange(sp.N + 1))
    with pytest.raises(ValueError, match=r"^x: need one label per image of I_\(2,1,1\) \(16\), got 15$"):
        verify(ImageSpace(2, 1, 1), np.zeros(15, int), "x")


def test_verification_summaries():
    sp = ImageSpace(2, 1, 1)
    sizes = np.arange(5)
    bound = np.array([1.0, 1.0, 0.8, 0.3, 0.1])
    fr = {0: np.array([1.0, 0.5, 0.4, 0.0, 0.0]), 1: np.array([1.0, 0.6, 0.2, 0.1, 0.0])}
    v = Verification(sp, "t", False, sizes, fr, bound)
    np.testing.assert_array_equal(v.worst, [1.0, 0.6, 0.4, 0.1, 0.0])
    assert v.holds and v.first_informative == 2
    assert v.looseness() == pytest.approx(0.8 / 0.4)
    early = Verification(sp, "t", False, sizes, {0: np.array([0.5, 0.2, 0.1, 0.0, 0.0])}, np.full(5, 0.9))
    assert early.first_informative == 0 and early.looseness() == pytest.approx(0.9 / 0.5)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # no division by zero behind the inf
        assert Verification(sp, "t", False, sizes, {0: np.zeros(5)}, bound).looseness() == math.inf
    assert math.isnan(Verification(sp, "t", False, sizes, fr, np.ones(5)).looseness())
    assert Verification(sp, "t", False, sizes, fr, np.ones(5)).first_informative == -1
    assert not Verification(sp, "t", False, sizes, fr, np.full(5, 0.5)).holds
    assert Verification(sp, "t", False, sizes, {}, bound).holds
