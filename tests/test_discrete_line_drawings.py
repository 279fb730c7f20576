"""Dai & Gifford Section 3 / Appendix A.5: k_{b,p} by enumeration, the drawing's O(n) size."""
import itertools
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
