"""companion.transforms: the data-distribution transforms of Ding et al. on their defining
properties, on hand-computed small images, against scipy / PyTorch / scikit-image, and the
variant registry (names checked before any computation)."""
from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from companion import transforms as T

RNG = np.random.default_rng(20190506)
X = RNG.random((4, 1, 12, 10))                    # (N, C, H, W) in [0, 1]
X[0, 0, :3, :3] = 0.0
X[1, 0, -2:, -3:] = 1.0
GRID = np.linspace(0.0, 1.0, 257)[None, :]        # every pixel value, as a (1, 257) image


def test_doctests():
    res = doctest.testmod(T, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted >= 20


# ------------------------------------------------------------------------------ identities

def test_identities():
    assert np.allclose(T.saturate(X, 2), X, atol=1e-15)
    assert np.array_equal(T.gamma(X, 1), X)
    assert np.allclose(T.scale(X, 1), X, atol=1e-15)
    for pad in T.PADDINGS:
        for direction in T.DIRECTIONS:
            assert np.array_equal(T.smooth(X, 1, padding=pad, direction=direction), X)
            assert np.array_equal(T.average_filter(X, 1, padding=pad, direction=direction), X)
    assert T.apply_variant(X, "original") is X


def test_binarize_threshold_side():
    x = np.array([0.0, 127 / 255, 0.5, 128 / 255, 1.0])
    assert T.binarize(x).tolist() == [0, 0, 0, 1, 1]          # 0.5 goes to 0
    assert T.binarize(x, threshold=0.4).tolist() == [0, 1, 1, 1, 1]
    # numpy's rounding (half to even) agrees, 0.5 included
    assert np.array_equal(T.binarize(GRID), np.round(GRID))


# ---------------------------------------------------------------------------------- limits

def test_saturation_limits():
    assert np.array_equal(T.saturate(GRID, math.inf)[GRID != 0.5], T.binarize(GRID)[GRID != 0.5])
    assert T.saturate(np.array([0.5]), math.inf)[0] == 0.5     # sign(0) = 0 keeps the centre
    levels = np.arange(256)[None, :] / 255.0                  # 8-bit images: never 0.5
    prev = np.inf
    for p in (64, 1e3, 1e5, 1e7):
        err = np.abs(T.saturate(levels, p) - T.binarize(levels)).max()
        assert err < prev
        prev = err
    assert prev < 1e-5
    # p -> 0: everything collapses to 0.5 (apart from 0 and 1 themselves)
    inner = levels[:, 1:-1]
    assert np.abs(T.saturate(inner, 0.001) - 0.5).max() < 1e-6


@pytest.mark.parametrize("name", ["binarized", "smooth-2", "smooth-5", "saturate-0.5",
                                  "saturate-1", "saturate-16", "saturate-inf", "gamma-0.6",
                                  "gamma-1.4", "scale-0", "scale-0.8", "edges"])
def test_range_stays_in_unit_interval(name):
    for x in (X, GRID, np.zeros((2, 5, 5)), np.ones((2, 5, 5))):
        y = T.apply_variant(x, name)
        assert y.shape == x.shape and y.dtype == x.dtype
        assert y.min() >= 0.0 and y.max() <= 1.0


def test_monotone_in_saturation_level():
    ps = [0.5, 1, 1.5, 2, 3, 4, 8, 16, 64, 256, math.inf]
    dev = np.stack([np.abs(T.saturate(GRID, p) - 0.5) for p in ps])
    assert np.all(np.diff(dev, axis=0) >= -1e-15)
    # and pixel-wise order is kept: saturation is increasing in x
    for p in ps[:-1]:
        assert np.all(np.diff(T.saturate(GRID, p)[0]) > 0)


def test_monotone_in_gamma():
    gs = [0.2, 0.6, 0.8, 1.0, 1.2, 1.4, 3.0]
    out = np.stack([T.gamma(GRID, g) for g in gs])
    assert np.all(np.diff(out, axis=0) <= 0)
    assert np.all(np.diff(out[:, 0, 1:-1], axis=0) < 0)        # strictly inside (0, 1)
    assert np.array_equal(out[:, 0, 0], np.zeros(len(gs)))
    assert np.array_equal(out[:, 0, -1], np.ones(len(gs)))


def test_scale_scales_distances():
    a = 0.8
    d = np.linalg.norm((X[0] - X[1]).ravel())
    ds = np.linalg.norm((T.scale(X[0], a) - T.scale(X[1], a)).ravel())
    assert ds == pytest.approx(a * d, rel=1e-12)
    assert np.allclose(T.scale(np.array([0.0, 0.5, 1.0]), a), [0.1, 0.5, 0.9])


# ------------------------------------------------------------------------------- smoothing

@pytest.mark.parametrize("s", [2, 3, 4, 5, 8])
def test_smoothing_never_decreases_a_pixel(s):
    for pad in T.PADDINGS:
        for direction in T.DIRECTIONS:
            for origin in T.ORIGINS:
                y = T.smooth(X, s, padding=pad, direction=direction, origin=origin)
                assert np.all(y >= X) and y.max() <= 1.0


IMG4 = np.array([[0, 0, 0, 0],
                 [0, 1, 1, 0],
                 [0, 1, 0, 0],
                 [0, 0, 0, 1]], dtype=np.float64)


def test_smooth_4x4_s2_by_hand():
    # s = 2, zeros outside, the window of pixel (i, j) is rows i-1..i, columns j-1..j
    # (origin "low"); e.g. (1, 1): {(0,0), (0,1), (1,0), (1,1)} = 1/4; (2, 2): 1 + 1 + 1 + 0
    avg = np.array([[0, 0, 0, 0],
                    [0, 1, 2, 1],
                    [0, 2, 3, 1],
                    [0, 1, 1, 1]]) / 4
    assert np.allclose(T.average_filter(IMG4, 2), avg)
    assert np.allclose(T.smooth(IMG4, 2), np.maximum(IMG4, avg))
    assert np.allclose(T.smooth(IMG4, 2), np.array([[0, 0, 0, 0],
                                                    [0, 4, 4, 1],
                                                    [0, 4, 3, 1],
                                                    [0, 1, 1, 4]]) / 4)
    # origin "high": rows i..i+1, columns j..j+1
    avg_high = np.array([[1, 2, 1, 0],
                         [2, 3, 1, 0],
                         [1, 1, 1, 1],
                         [0, 0, 1, 1]]) / 4
    assert np.allclose(T.average_filter(IMG4, 2, origin="high"), avg_high)
    # vertical only (s x 1, origin low): rows i-1..i of column j
    avg_v = np.array([[0, 0, 0, 0],
                      [0, 1, 1, 0],
                      [0, 2, 1, 0],
                      [0, 1, 0, 1]]) / 2
    assert np.allclose(T.average_filter(IMG4, 2, direction="vertical"), avg_v)
    # edge padding repeats row 0 above and column 0 on the left: both are zero here, so
    # with origin "low" (which reads only above and left) it equals zero padding
    assert np.allclose(T.average_filter(IMG4, 2, padding="edge"), avg)


def test_smooth_3x3_kernel_by_hand():
    # a single bright pixel spreads 1/9 over its 3 x 3 neighbourhood
    x = np.zeros((5, 5))
    x[2, 2] = 1.0
    y = T.smooth(x, 3)
    expect = np.zeros((5, 5))
    expect[1:4, 1:4] = 1 / 9
    expect[2, 2] = 1.0
    assert np.allclose(y, expect)
    # a constant image stays constant inside, its border darkens with zeros, not with others
    c = np.full((1, 6, 6), 0.4)
    assert np.allclose(T.average_filter(c, 3)[0, 0, 0], 0.4 * 4 / 9)
    for pad in ("reflect", "mirror", "edge", "shrink"):
        assert np.allclose(T.average_filter(c, 3, padding=pad), c)


@pytest.mark.parametrize("s", [2, 3, 4, 5, 7])
def test_average_filter_matches_scipy(s):
    for pad, mode in (("zero", "constant"), ("reflect", "reflect"), ("mirror", "mirror"),
                      ("edge", "nearest")):
        ref = ndi.uniform_filter(X, size=(1, 1, s, s), mode=mode)
        assert np.allclose(T.average_filter(X, s, padding=pad), ref, atol=1e-12)
        ref_v = ndi.uniform_filter(X, size=(1, 1, s, 1), mode=mode)
        assert np.allclose(T.average_filter(X, s, padding=pad, direction="vertical"), ref_v,
                           atol=1e-12)
        ref_h = ndi.uniform_filter(X, size=(1, 1, 1, s), mode=mode)
        assert np.allclose(T.average_filter(X, s, padding=pad, direction="horizontal"), ref_h,
                           atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("s", [2, 3, 4, 5])
def test_average_filter_matches_torch_conv_and_pool(s):
    xt = torch.tensor(X)
    w = torch.full((1, 1, s, s), 1.0 / s ** 2, dtype=torch.float64)
    same = torch.nn.functional.conv2d(xt, w, padding="same")      # pads (s-1)//2 before
    assert torch.allclose(T.average_filter(xt, s, origin="high"), same, atol=1e-12)
    if s % 2:   # odd: avg_pool2d with count_include_pad=False is the "shrink" border
        pool = torch.nn.functional.avg_pool2d(xt, s, stride=1, padding=s // 2,
                                              count_include_pad=False)
        assert torch.allclose(T.average_filter(xt, s, padding="shrink"), pool, atol=1e-12)


def test_mirror_padding_wider_than_the_image():
    x = RNG.random((2, 3, 3))
    ref = ndi.uniform_filter(x, size=(1, 7, 7), mode="mirror")
    assert np.allclose(T.average_filter(x, 7, padding="mirror"), ref)
    ref = ndi.uniform_filter(x, size=(1, 8, 8), mode="reflect")
    assert np.allclose(T.average_filter(x, 8, padding="reflect"), ref)


# ------------------------------------------------------------------- numpy / torch, shapes

@pytest.mark.parametrize("name", ["binarized", "smooth-2", "smooth-3", "saturate-4",
                                  "saturate-inf", "gamma-0.8", "scale-0.9", "edges"])
def test_numpy_and_torch_agree(name):
    for dtype, tdtype, tol in ((np.float64, torch.float64, 1e-12),
                               (np.float32, torch.float32, 1e-6)):
        x = X.astype(dtype)
        y_np = T.apply_variant(x, name)
        y_t = T.apply_variant(torch.tensor(x), name)
        assert isinstance(y_t, torch.Tensor) and y_t.dtype == tdtype
        assert y_np.dtype == dtype and y_np.shape == x.shape
        assert np.allclose(y_t.numpy(), y_np, atol=tol)
        # (N, H, W) batches give the same images as (N, 1, H, W)
        assert np.allclose(T.apply_variant(x[:, 0], name), y_np[:, 0], atol=tol)


def test_integer_images_rejected():
    with pytest.raises(TypeError, match="float_images"):
        T.smooth(np.zeros((2, 4, 4), dtype=np.uint8), 2)
    with pytest.raises(TypeError, match="floating-point"):
        T.saturate(torch.zeros(2, 4, 4, dtype=torch.uint8), 4)
    with pytest.raises(ValueError, match=r"\(\.\.\., H, W\)"):
        T.smooth(np.zeros(5), 2)


# ----------------------------------------------------------------------------------- edges

def test_canny_edges_square_and_skimage():
    from skimage import feature

    x = np.zeros((2, 1, 16, 16))
    x[0, 0, 4:12, 4:12] = 1.0
    x[1, 0] = RNG.random((16, 16))
    e = T.canny_edges(x)
    assert set(np.unique(e)) <= {0.0, 1.0}
    assert e[0, 0, 8, 8] == 0 and e[0, 0, 0, 0] == 0 and e[0, 0].sum() > 0
    rows, cols = np.nonzero(e[0, 0])
    assert rows.min() >= 2 and rows.max() <= 13 and cols.min() >= 2 and cols.max() <= 13
    for i in range(2):
        assert np.array_equal(e[i, 0].astype(bool), feature.canny(x[i, 0], sigma=1))
    et = T.canny_edges(torch.tensor(x, dtype=torch.float32))
    assert et.dtype == torch.float32 and np.array_equal(et.numpy(), e.astype(np.float32))
    assert np.array_equal(T.apply_variant(x, "edges", sigma=2.0)[1, 0].astype(bool),
                          feature.canny(x[1, 0], sigma=2.0))


def test_canny_edges_on_fashion_mnist():
    from companion import data
    try:
        ds = data.load("fashion-mnist", "test", verify=False)
    except data.DataError:
        pytest.skip("Fashion-MNIST is not in the data cache")
    x = ds.take(20, seed=0).float_images()
    e = T.apply_variant(x, "edges")
    frac = e.mean(axis=(1, 2, 3))
    assert np.all((frac > 0.02) & (frac < 0.5))               # sparse line drawings
    assert np.all(T.binarize(e) == e)


# -------------------------------------------------------------------------------- registry

def test_variant_names_parse():
    assert T.variant("smooth-3") == T.Variant("smooth-3", "smooth", 3, {})
    assert T.variant("SMOOTH-8").parameter == 8
    assert T.variant("saturate-inf").parameter == math.inf
    assert T.variant("saturate-16").name == "saturate-16"
    assert T.variant("saturate-1.5").parameter == 1.5
    assert T.variant("gamma-0.6").parameter == 0.6
    assert T.variant("scale-0.970").name == "scale-0.97"
    for alias in ("binary", "binarised", "binarized"):
        assert T.variant(alias).name == "binarized"
    for alias in ("edge", "canny", "edges"):
        assert T.variant(alias).family == "edges"
    for name in T.MNIST_VARIANTS + T.FASHION_VARIANTS:
        assert T.variant(name).name == name
    for p in T.CIFAR_SATURATION_LEVELS:
        T.variant(f"saturate-{p}")
    for g in T.GAMMA_VALUES:
        T.variant(f"gamma-{g}")


def test_variants_apply_their_transform():
    assert np.array_equal(T.apply_variant(X, "smooth-3"), T.smooth(X, 3))
    assert np.array_equal(T.apply_variant(X, "smooth-4", direction="vertical", origin="high"),
                          T.smooth(X, 4, direction="vertical", origin="high"))
    assert np.array_equal(T.apply_variant(X, "saturate-8"), T.saturate(X, 8))
    assert np.array_equal(T.apply_variant(X, "gamma-1.2"), T.gamma(X, 1.2))
    assert np.array_equal(T.apply_variant(X, "scale-0.821"), T.scale(X, 0.821))
    assert np.array_equal(T.apply_variant(X, "binarized"), T.binarize(X))


class _Boom:
    """An 'image' that fails on any use: proves a bad name is rejected before computing."""

    def __getattr__(self, name):
        raise AssertionError(f"computation started ({name})")

    def __array__(self, *a, **k):
        raise AssertionError("computation started (__array__)")


@pytest.mark.parametrize("name, why", [
    ("blurred-3", "unknown variant"),
    ("smooth-0", "kernel size must be an integer >= 1"),
    ("smooth--2", "kernel size"),
    ("smooth-2.5", "kernel size must be an integer"),
    ("smooth-inf", "kernel size"),
    ("smooth-x", "is not a number"),
    ("saturate-0", "saturation level must be > 0"),
    ("saturate--4", "saturation level must be > 0"),
    ("saturate-nan", "NaN"),
    ("gamma-0", "gamma must be > 0"),
    ("gamma--1", "gamma must be > 0"),
    ("gamma-inf", "gamma must be > 0"),
    ("scale-1.5", r"scale factor must be in \[0, 1\]"),
    ("scale--0.1", r"scale factor must be in \[0, 1\]"),
    ("", "unknown variant"),
])
def test_bad_names_rejected_before_compute(name, why):
    with pytest.raises(ValueError, match=why) as err:
        T.apply_variant(_Boom(), name)
    msg = str(err.value)
    for listed in ("'original'", "'binarized'", "'smooth-S'", "'saturate-P'", "'gamma-G'",
                   "'scale-A'", "'edges'"):
        assert listed in msg


def test_bad_options_rejected_before_compute():
    with pytest.raises(ValueError, match="padding"):
        T.apply_variant(_Boom(), "smooth-3", padding="circular")
    with pytest.raises(ValueError, match="not accepted by 'gamma'"):
        T.apply_variant(_Boom(), "gamma-0.6", padding="zero")
    with pytest.raises(ValueError, match="a variant name is a string"):
        T.variant(3)


def test_direct_functions_reject_bad_parameters():
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="kernel size"):
            T.smooth(X, bad)
    for bad in (0, -2, float("nan")):
        with pytest.raises(ValueError, match="saturation level"):
            T.saturate(X, bad)
        with pytest.raises(ValueError, match="gamma"):
            T.gamma(X, bad)
    with pytest.raises(ValueError, match="origin"):
        T.average_filter(X, 2, origin="middle")
    with pytest.raises(ValueError, match="direction"):
        T.average_filter(X, 2, direction="diagonal")
