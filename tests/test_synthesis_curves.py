"""The synthesis chapter's curve helpers, on hand-made curves (no trained model needed)."""
import math

import numpy as np
import pytest

from companion.chapters.synthesis import curves as cv


def _curve(share, eps=None, kind="measured", n=100, label="c"):
    share = np.asarray(share, dtype=float)
    eps = np.arange(len(share), dtype=float) if eps is None else np.asarray(eps, dtype=float)
    return cv.Curve(label, "p", "a", "o", kind, "l2", eps, share, n=n)


def test_standard_error_is_binomial_with_a_floor():
    assert cv.standard_error(0.5, 100) == pytest.approx(0.05)
    # a share of 0 or 1 keeps the uncertainty of one point in n
    assert cv.standard_error(0.0, 100) == pytest.approx(math.sqrt(1 / 100 / 100))
    assert cv.standard_error(1.0, 400) == pytest.approx(math.sqrt(1 / 400 / 400))


def test_worst_excess_finds_a_violation_and_skips_trivial_radii():
    bound = _curve([1.0, 0.5, 0.2, 0.0], kind="upper bound", n=None, label="b")
    ok = _curve([1.0, 0.4, 0.1, 0.0], n=10_000)
    e, excess = cv.worst_excess(ok, bound)
    assert excess < 0
    # radius 0, where both are 1, is not where the comparison is made
    assert e > 0
    bad = _curve([1.0, 0.4, 0.5, 0.0], n=10_000)   # 0.5 above the bound's 0.2 at eps = 2
    e, excess = cv.worst_excess(bad, bound)
    assert e == 2.0 and excess == pytest.approx(0.3 - 2 * 0.005, abs=1e-9)


def test_worst_excess_interpolates_the_bound_onto_the_measured_grid():
    bound = _curve([1.0, 0.0], eps=[0.0, 2.0], kind="upper bound", n=None)
    m = _curve([1.0, 0.6, 0.0], eps=[0.0, 1.0, 2.0], n=10**6)   # the bound is 0.5 at eps = 1
    e, excess = cv.worst_excess(m, bound)
    assert e == 1.0 and excess == pytest.approx(0.1, abs=2e-3)


def test_worst_excess_needs_a_measured_curve_and_an_informative_bound():
    bound = _curve([1.0, 1.0], kind="upper bound", n=None)
    with pytest.raises(ValueError, match="not a measured"):
        cv.worst_excess(bound, bound)
    with pytest.raises(ValueError, match="nothing to compare"):
        cv.worst_excess(_curve([1.0, 0.2]), bound)


def test_curve_rows_radii_use_the_running_minimum_and_order_by_kind():
    # a measured curve that dips below 1/2 and comes back: its radius is the first crossing
    wiggly = _curve([1.0, 0.4, 0.6, 0.05], label="m")
    bound = _curve([1.0, 1.0, 1.0, 1.0], kind="upper bound", n=None, label="b")
    rows = cv.curve_rows([wiggly, bound])
    assert [r["curve"] for r in rows] == ["b", "m"]
    m = rows[1]
    assert m["$\\epsilon$ at 1/2"] == f"{0.5 / 0.6:.2f}"   # between (0, 1) and (1, 0.4)
    # 1/10 between 2 (0.4 after the running minimum, not 0.6) and 3
    assert m["$\\epsilon$ at 1/10"] == f"{2 + (0.4 - 0.1) / (0.4 - 0.05):.2f}"
    assert rows[0]["$\\epsilon$ at 1/2"] == "> 3"


def test_curve_at_interpolates():
    c = _curve([1.0, 0.0], eps=[0.0, 4.0])
    assert c.at(1.0) == pytest.approx(0.75)
