"""Dai & Gifford Section 3 / Appendix A.5: k_{b,p} by enumeration, the drawing's O(n) size."""
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from companion.discrete import line_drawings as ld


@pytest.mark.parametrize("b", [1, 2, 3])
@pytest.mark.parametrize("p", [0, 1, 2, 3])
def test_k_bp_by_enumeration(b, p):
    q = 2 ** b
    vals = [Fraction(i, q - 1) for i in range(q)]
    pairs = list(itertools.product(vals, vals))
    if p == 0:
        want = Fraction(sum(x != y for x, y in pairs), len(pairs))
    else:
        want = sum(abs(x - y) ** max(1, p) for x, y in pairs) / len(pairs)
    assert ld.k_bp(b, p) == want


def test_k_closed_forms():
    for b in range(1, 9):
        q = 2 ** b
        assert ld.k_bp(b, 1) == Fraction(q + 1, 3 * q)
        assert ld.k_bp(b, 2) == Fraction(q + 1, 6 * (q - 1))


def test_eq85_lower_bound_below_exact_and_mc():
    rng = np.random.default_rng(0)
    for p in (1, 2):
        mc = ld.mc_typical_distance(16, 1, 2, p, 200, rng)
        assert ld.typical_distance_lower(16, 1, 2, p) < mc
        # Jensen: E||.||_p <= (E||.||_p^p)^(1/p) (equality for p = 1; 2% Monte Carlo slack)
        assert mc <= 1.02 * float(ld.typical_distance_power(16, 1, 2, p)) ** (1 / p)
    # p = 0: the expected L0 distance is N Pr(X != Y), not N E|X - Y| (Eq. (84) for p = 0)
    mc0 = ld.mc_typical_distance(16, 1, 2, 0, 200, rng)
    assert mc0 == pytest.approx(256 * 0.75, rel=0.02)
    assert abs(mc0 - 256 * float(ld.k_bp(2, 1))) > 50


def test_drawing_grows_linearly_and_sizes():
    c1, c2 = ld.parachute_mask(128).sum(), ld.parachute_mask(512).sum()
    assert 2.5 < c2 / c1 < 5.5                       # ~4x for a 4x larger side: O(n)
    img = np.full((64, 64, 3), 0.5)
    out = ld.overlay(img, ld.parachute_mask(64))
    s = ld.perturbation_sizes(img, out)
    k = int(ld.parachute_mask(64).sum())
    assert s["L0"] == 3 * k and s["L1"] == pytest.approx(1.5 * k)
    assert s["L2"] == pytest.approx(np.sqrt(3 * k * 0.25))


def test_eq84_and_eq85_values():
    # Eq. (84): E||I - I'||_p^max(1,p) = n^2 h k_{b,p}; Eq. (85): k/(2-k) (h k / 2)^(1/e) n^(2/e), e = max(1, p)
    for n, h, b, p in ((4, 1, 1, 0), (3, 2, 2, 1), (5, 3, 3, 2), (2, 2, 1, 3)):
        q = 2 ** b
        vals = [Fraction(i, q - 1) for i in range(q)]
        if p == 0:
            k = Fraction(sum(x != y for x in vals for y in vals), q * q)
        else:
            k = sum(abs(x - y) ** p for x in vals for y in vals) / (q * q)
        assert ld.typical_distance_power(n, h, b, p) == n * n * h * k
        e = max(1, p)
        want = float(k) / (2 - float(k)) * (h * float(k) / 2) ** (1 / e) * n ** (2 / e)
        assert ld.typical_distance_lower(n, h, b, p) == pytest.approx(want, rel=1e-13)


def test_mc_typical_distance_averages_pairs_drawn_in_turn():
    # m pairs (I, I'), each image drawn as N uniform levels from the generator, the p-norm of I - I' (p = 0: L0)
    for n, h, b, p in ((2, 1, 3, 2), (1, 3, 2, 1), (2, 2, 1, 0), (1, 2, 3, 3)):
        q, N = 2 ** b, n * n * h
        rng = np.random.default_rng(7)
        norms = []
        for _ in range(3):
            d = np.abs(rng.integers(0, q, N).astype(float) - rng.integers(0, q, N)) / (q - 1)
            norms.append(np.count_nonzero(d) if p == 0 else (d ** p).sum() ** (1 / p))
        got = ld.mc_typical_distance(n, h, b, p, 3, np.random.default_rng(7))
        assert got == pytest.approx(np.mean(norms), rel=1e-12)


def test_overlay_and_sizes_on_integer_images():
    mask = ld.parachute_mask(32)                     # the smallest legible size
    img = np.full((32, 32, 3), 0.3)
    out = ld.overlay(img, mask)
    assert np.all(out[mask] == 0.0) and np.all(out[~mask] == 0.3) and np.all(img == 0.3)   # black, a copy
    white = ld.overlay(np.zeros((32, 32), np.uint8), mask, 0.5)
    assert white.dtype == np.float64 and np.all(white[mask] == 0.5)
    with pytest.raises(ValueError, match=r"^mask shape \(32, 32\) does not match image \(16, 32\)$"):
        ld.overlay(np.zeros((16, 32, 3)), mask)
    with pytest.raises(ValueError, match="needs n >= 32 pixels"):
        ld.parachute_mask(31)
    # binary images stored as uint8: no unsigned wrap-around in b - a
    s = ld.perturbation_sizes(np.array([1, 0, 1], np.uint8), np.array([0, 1, 1], np.uint8))
    assert s == {"L0": 2, "L1": 2.0, "L2": pytest.approx(math.sqrt(2))}


def _parachute_parts(n):
    """Dense point samples of the drawing's parts as its docstring lays them out: the upper half of an ellipse
    (the canopy, half-axes 0.6 R and R) on a rim of 2 R + 1 pixels at row 0.35 n, three panel lines to a point
    0.45 R above the rim, four suspension lines to the harness at row 0.72 n, and a stick figure below it."""
    cy, cx, R = int(0.35 * n), n // 2, int(0.28 * n)
    hy, hr = int(0.72 * n), max(2, n // 40)
    t = np.linspace(0, 1, 400)

    def seg(r0, c0, r1, c1):
        return np.stack([r0 + (r1 - r0) * t, c0 + (c1 - c0) * t], 1)

    a = np.linspace(0, np.pi, 2000)
    canopy = np.stack([cy - int(0.6 * R) * np.sin(a), cx + R * np.cos(a)], 1)
    parts = [canopy, seg(cy, cx - R, cy, cx + R)]
    parts += [seg(cy, cx - R + k * R // 2, cy - int(0.45 * R), cx) for k in (1, 2, 3)]
    parts += [seg(cy, x, hy, cx) for x in (cx - R, cx - R // 2, cx + R // 2, cx + R)]
    a = np.linspace(0, 2 * np.pi, 400)
    parts.append(np.stack([hy + hr + hr * np.sin(a), cx + hr * np.cos(a)], 1))
    top, bot = hy + 2 * hr, min(n - 3, hy + 2 * hr + n // 12)
    parts.append(seg(top, cx, bot, cx))
    for dx in (-1, 1):
        parts.append(seg(top + 2, cx, top + n // 30, cx + dx * n // 25))
        parts.append(seg(bot, cx, min(n - 1, bot + n // 20), cx + dx * n // 30))
    return np.concatenate(parts), (cy, cx, R)


@pytest.mark.parametrize("n", [32, 33, 60, 64, 90, 100, 128, 200])
def test_parachute_is_exactly_its_parts(n):
    from scipy.spatial import cKDTree

    mask = ld.parachute_mask(n)
    pts, (cy, cx, R) = _parachute_parts(n)
    pix = np.argwhere(mask).astype(float)
    # every pixel lies on a part (within half a pixel, as a rasterised line does) and every part is drawn
    # (each point of it within 0.8 pixel of a drawn one: no gap, no end one pixel short)
    assert cKDTree(pts).query(pix)[0].max() <= 0.55
    assert cKDTree(pix).query(pts)[0].max() <= 0.8
    # the rim is one straight run of 2 R + 1 pixels
    assert np.flatnonzero(mask[cy]).tolist() == list(range(cx - R, cx + R + 1))
