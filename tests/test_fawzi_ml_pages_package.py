"""Package helpers of the Fawzi ML pages (Theorems 4-5, Theorem 6, Table 1)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from companion.bounds import image_space
from companion.chapters.fawzi import experiment as le
from companion.generative import robustness as rb
from companion.bounds import gaussian_isoperimetry as gi
from companion.display import markdown_table
from companion.generative import Modulus

LIN = Modulus(np.array([0.0, 1.0, 2.0]), np.array([0.0, 3.0, 6.0]), failure_prob=0.05)


def test_theorem4_curve_is_eq6_and_skips_the_trivial_eps_zero():
    measures = np.full(10, 0.1)
    eps = np.linspace(0, 6, 61)
    r_X = np.linspace(0.1, 3.0, 50)
    c = image_space.theorem4_curve(measures, LIN, r_X, eps)
    expected = np.clip(gi.theorem1_bound(eps / 3.0, measures) - 0.05, 0, 1)
    assert np.allclose(c.bound, expected)
    assert c.bound[0] == 0 and c.ecdf[0] == 0
    assert np.allclose(c.ecdf, [np.mean(r_X <= e) for e in eps])
    assert np.all(c.se >= 1 / len(r_X) - 1e-15)
    j = c.worst()
    assert c.eps[j] > 0 and c.bound[j] > 0
    ratio = (c.ecdf + 3 * c.se) / np.where(c.informative, c.bound, np.nan)
    assert ratio[j] == pytest.approx(np.nanmin(ratio))
    assert c.eps[j] > 1.0  # not the small eps where both sides are nearly 0


def test_theorem4_curve_worst_fails_where_the_bound_says_nothing():
    c = image_space.theorem4_curve(np.full(10, 0.1), LIN, np.ones(10), np.array([0.0]))
    with pytest.raises(ValueError, match="grid"):
        c.worst()


def test_theorem4_check_can_fail():
    # a measured distribution far to the right of the bound: the closest point is below it
    c = image_space.theorem4_curve(np.full(10, 0.1), LIN, np.full(100, 50.0),
                                   np.linspace(0, 6, 61))
    j = c.worst()
    assert c.ecdf[j] + 3 * c.se[j] < c.bound[j]
    violated = c.informative & (c.ecdf + 3 * c.se < c.bound)
    assert violated.any()


def test_modulus_with_failure_reads_the_same_samples():
    rng = np.random.default_rng(0)
    samples = np.sort(rng.uniform(0, 1, (3, 40)), axis=0) * np.array([[1.0], [2.0], [3.0]])
    q = np.quantile(samples, 0.95, axis=1, method="higher")
    mod = Modulus(np.array([0.0, 1.0, 2.0, 3.0]), np.concatenate([[0], q]), 0.05, samples)
    same = image_space.modulus_with_failure(mod, 0.05)
    assert np.allclose(same.omega, mod.omega)
    worst = image_space.modulus_with_failure(mod, 0.0)
    assert np.allclose(worst.omega[1:], samples.max(axis=1))
    assert np.all(image_space.modulus_with_failure(mod, 0.3).omega <= same.omega)
    with pytest.raises(ValueError):
        image_space.modulus_with_failure(LIN, 0.1)  # keeps no samples
    with pytest.raises(ValueError):
        image_space.modulus_with_failure(mod, 1.0)


def test_percentile_generalises_the_papers_statistic():
    v = np.array([5.0, 1.0, 4.0, 2.0, 3.0, math.inf])
    assert rb.percentile(v, 0.25) == rb.percentile25(v) == 2.0
    assert rb.percentile(v, 0.5) == 3.0 and rb.percentile(v, 1.0) == math.inf
    with pytest.raises(ValueError):
        rb.percentile(v, 0.0)


def test_log_bins_cover_values_and_bound():
    bins = le.log_bins([np.array([0.01, 0.1, math.inf, 0.0]), np.array([0.05])], bound=1.0,
                       n=10)
    assert len(bins) == 10 and np.all(np.diff(np.log10(bins)) > 0)
    assert bins[0] < 0.01 and bins[-1] > 1.0
    with pytest.raises(ValueError):
        le.log_bins([np.array([math.inf])], bound=1.0)


def _table():
    rows = [dict(label=f"net {i}", error=0.1 / (i + 1), r_Z=6e-3 * (i + 1), r_X=0.031,
                 r_star=0.0039 * (i + 1), bound_Z=0.017, bound_X=0.4, failed=0)
            for i in range(3)]
    return {"rows": rows, "x_norm": 10.0, "bound_Z": 0.016, "bound_X": 0.36}


def test_table1_rows_are_the_papers_layout_with_printed_formats():
    rows = le.table1_rows(_table())
    assert [r["classifier"] for r in rows] == ["net 0", "net 1", "net 2",
                                                "upper bound (ten equal classes)"]
    assert rows[0]["error rate"] == "10.0%" and rows[-1]["error rate"] == "-"
    assert rows[0][r"$r_\mathcal{Z}/\|z\|$"] == r"$6.0 \times 10^{-3}$"
    assert le._sci(0.1997) == r"$2.0 \times 10^{-1}$"
    assert le._sci(0.00996) == r"$1.0 \times 10^{-2}$"
    assert rows[-1][r"$r^*/\|g(z)\|$"] == r"$3.6 \times 10^{-1}$"
    paper = le.paper_table1_rows()
    assert paper[0][r"$r^*/\|g(z)\|$"] == r"$3.9 \times 10^{-3}$"   # printed 0.39e-2
    assert paper[-1][r"$r_\mathcal{Z}/\|z\|$"] == r"$1.6 \times 10^{-2}$"
    assert len(le.table1_bound_rows(_table())) == 3
    text = markdown_table(rows)
    assert text.count("\n") == 5 and "\\Vert" in text  # bars escaped for the table
    assert "**Ours**" in le.table1_markdown(_table())


def _check(found, premise):
    n = len(found)
    found, premise = np.array(found), np.array(premise)
    dist = np.where(found, 1.0, np.inf)
    return le.NearestNeighbourCheck(
        r_X=np.full(n, 2.0), r_star_f=np.full(n, 0.2), r_star_tilde=dist,
        witness=np.where(found, 1.5, np.inf), premise=premise, found=found,
        consistent=np.ones(n, bool), inversion_distance=np.where(found, 0.8, np.inf))


def test_theorem6_summary_and_rows():
    c = _check([True, True, False, True], [True, False, False, True])
    m = c.summary()
    assert m["found"] == 0.75 and m["premise"] == pytest.approx(2 / 3)
    assert m["inequality"] == 1.0 and m["half_r_X"] == 1.0 and m["r_star_f"] == 0.2
    assert m["r_star_tilde"] == 1.0 and m["consistent"] == 1.0
    none = _check([False, False], [False, False]).summary()
    assert math.isnan(none["premise"]) and math.isnan(none["r_star_tilde"])
    proof, robust = le.theorem6_rows(["a", "b"], [c, c])
    assert [r["classifier"] for r in proof] == ["a", "b"] and len(proof[0]) == 5
    assert len(robust[0]) == 4
