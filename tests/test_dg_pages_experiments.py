"""The computations behind the Dai & Gifford pages (companion.chapters.dai_gifford.experiments)."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from companion.chapters.dai_gifford import experiments as ex
from companion.discrete import line_drawings as ld
from companion.discrete import robust_classifier as rc
from companion.discrete.image_spaces import ImageSpace
from companion.discrete.verification import verify


# ----------------------------------------------------------------------------- Theorem 1
def test_space_tex():
    assert ex.space_tex(ImageSpace(2, 3, 2)) == "$\\mathcal{I}_{2,3,2}$"


def test_bound_ratio_and_summary_on_a_small_space():
    space = ImageSpace(2, h=3)
    labellings, info = ex.theorem1_classifiers(space, seed=0, cnn_epochs=1)
    assert info == {} and set(labellings) == {"Algorithm 1", "Hamming ball",
                                              "random linear (4 classes)",
                                              "random labelling (4 classes)"}
    checks = [verify(space, lab, name) for name, lab in labellings.items()]
    for v in checks:
        ratio = ex.bound_ratio(v)
        informative = v.bound < 1
        assert ratio == pytest.approx(np.max(v.worst[informative] / v.bound[informative]))
        assert (ratio <= 1) == v.holds
    rows = ex.verification_summary(checks)
    assert [r["classifier"] for r in rows] == [v.classifier for v in checks]
    assert rows[0]["space"] == ex.space_tex(space)
    assert rows[0]["$d$"] == checks[0].first_informative
    assert rows[0]["largest ratio"] == ex.bound_ratio(checks[0])
    assert set(ex.SUMMARY_FORMATS) <= set(rows[0])


def test_bound_ratio_exceeds_one_when_the_bound_is_violated():
    space = ImageSpace(2, h=3)
    v = verify(space, ex.theorem1_classifiers(space, 0, 1)[0]["Hamming ball"], "ball")
    v.bound = np.where(v.bound < 1, v.worst / 2 + 1e-9, 1.0)     # a bound the class breaks
    assert ex.bound_ratio(v) > 1


def test_eq25_printed_fails_and_corrected_holds_on_the_ball():
    g = ex.eq25_growth(n=400, c=0.01)
    assert g["k"] == 2 and g["half_ok"]
    assert g["corrected"] <= g["growth"] < g["printed"]
    assert g["printed"] == pytest.approx(4 * g["corrected"])
    with pytest.raises(ValueError):
        ex.eq25_growth(c=0)


def test_lemma5_counts():
    c = ex.lemma5_vertex_counts(ImageSpace(4))
    assert c["images"] == c["corrected_vertices"] == 2 ** 16
    assert c["printed_vertices"] == 16 ** 16 and not c["printed_extremes_possible"]


def test_expansion_curves_ball_slowest():
    curves = ex.expansion_curves(N=10, radius=2, steps=4, seed=1)
    sizes = {k: v[0] for k, v in curves.items()}
    assert len(set(np.round(list(sizes.values()), 12))) == 1        # same size at k = 0
    for y in curves.values():
        assert np.all(np.diff(y) >= 0) and np.all(curves["Hamming ball"] <= y + 1e-12)


# ----------------------------------------------------------------------------- Theorem 2
def test_closed_forms_against_brute_force_small():
    worst, n = ex.closed_forms_vs_brute_force(spaces=((3, 2), (2, 4)), norms=(0, 1, 2, "inf"))
    assert n == 8 + 16 and worst < 1e-12


def test_binary_exact_margin_and_fast_fraction():
    margin, disagree, count = ex.binary_exact_margin((4, 8), np.linspace(0.05, 0.25, 9))
    assert count > 0 and margin >= 0 and disagree < 1e-9
    for N in (1, 4, 9, 16, 25):
        for d in (0, 0.5, 1, 2.5, 7):
            assert ex.binary_robust_fraction(N, d) == rc.z_robust_fraction_binary(N, d)


def test_l1_curves_and_min_margin():
    cs = np.array([0.05, 0.2])
    curves = ex.l1_robust_curves([8, 16], cs, b=1)
    assert np.isnan(curves[8][0])                     # c n - 2 < 0
    assert curves[16][1] == pytest.approx(rc.z_robust_fraction_l1(256, 2, 0.2 * 16 - 2))
    assert np.isnan(curves[8][1]) and np.isnan(curves[16][0])     # sizes 1.6 - 2 and 0.8 - 2
    assert ex.min_margin(curves, cs) == pytest.approx(curves[16][1] - 0.2)


def test_clt_limit_close_to_exact():
    lim, exact = ex.clt_limit(0.1, 128, q=2)
    assert abs(lim - exact) < 0.02


def test_mc_curves_use_the_generator_in_order():
    cs = np.linspace(0.1, 0.25, 4)
    a = ex.mc_robust_curves([16], cs, 50, np.random.default_rng(3), q=4)
    rng = np.random.default_rng(3)
    z = rc.z_sample(256, 4, 50, rng)
    d0 = rc.minimal_perturbation(z, 4, 0)
    sizes = [rc.theorem2_size(c, 16, b=2, p=0) for c in cs]
    expect = [np.nan if np.isnan(s) else (d0 > s).mean() for s in sizes]
    assert np.allclose(a[(0, 16)], expect, equal_nan=True)
    assert set(a) == {(0, 16), (2, 16)}


def test_lemma7_grid_symmetric_and_not():
    ok, count = ex.lemma7_grid(ns=(4, 7))
    assert ok and count == 4 + 5          # half-integers -3/2 <= t < n/2
    assert sum(ex.LEMMA7_Y.values()) == 1
    assert not ex.lemma7_grid(ns=(9,), y_pmf={3: Fraction(1)})[0]


def test_lemma8_gap_positive():
    assert ex.lemma8_gap(ns=(4, 16), ks=(1, 2), ts=(0.5, 1.0)) > 0


def test_lemma9_counts():
    z = ex.lemma9_counts(n=2, c=1.5)                # size 1 on the 4-cube
    assert z["images"] == 16 and z["size"] == 1
    # Z = sums 0, 1 (5 images); robust to size 1 needs two changes: sum 0 only
    assert z["count"] == 1 and z["corrected"] == 1 and z["printed"] == pytest.approx(1 / 256)
    with pytest.raises(ValueError):
        ex.lemma9_counts(n=5)


def test_corollary1():
    lim = ex.corollary1_limit(0.5, b=8)
    assert lim["K"] == pytest.approx(4 * math.sqrt(math.log(4) / 2) / 0.5)
    assert lim["ratio_p1"] == pytest.approx(lim["K"], rel=1e-3)
    assert lim["ratio_p2"] == pytest.approx(lim["K_p2"], rel=1e-3)
    curves = ex.corollary1_curves([100, 1000], bs=(1,))
    assert len(curves) == 2 and all(len(v[0]) == 2 for v in curves.values())


# ----------------------------------------------------------------------------- Theorem 3
def test_known_sets_respect_lemmas_18_and_19():
    r = np.linspace(0.01, 1.0, 50)
    for s in ex.known_set_interiors(r):
        assert 0 < s.mu <= 0.5
        assert np.all(s.inner <= s.lemma18 + 1e-12) and np.all(s.inner < s.lemma19)


def test_lemma16_and_eq82():
    assert ex.lemma16_min_step() >= -1e-12
    chain = ex.eq82_chain(np.linspace(0, 15, 1501))
    assert not chain["printed_holds"] and chain["corrected_holds"]
    assert 5 < chain["c_star"] < 8
    assert math.isnan(ex.eq82_chain([0.0, 1.0])["c_star"])


def test_find_perturbation_experiment_small():
    cs = np.array([0.5, 1.5, 2.5])
    fp = ex.find_perturbation_experiment(4, [1, 3], cs, 30, np.random.default_rng(0))
    assert set(fp["fail"]) == {1, 3} and fp["fail"][1].shape == cs.shape
    assert 0 < fp["lemma12_ratio"] <= 1 + 1e-12
    assert fp["lemma13_excess"] < 0


def test_bit_depth_robustness_and_crossover():
    res = ex.bit_depth_robustness(16, [1, 4], 60, np.random.default_rng(0), r=0.2)
    assert res["size"][1] < res["size"][0]
    assert all(lo <= m <= up for lo, m, up in zip(res["lower"], res["size"], res["upper"]))
    cross = ex.theorem3_crossover([1, 8], points=400)
    assert cross[0] == 0 and cross[1] > 1000


# ----------------------------------------------------------------------------- paper page
def test_definitions_check():
    from companion.discrete import classifiers as C

    space = ImageSpace(2)
    worst, rows = ex.definitions_check(space, {"alg1": C.algorithm1(space)}, sizes=(0, 1))
    assert worst == 0 and sum(r["images"] for r in rows) == 16
    assert all(r["robust at $d = 0$"] == 1.0 for r in rows)
    with pytest.raises(ValueError):
        ex.definitions_check(ImageSpace(2, b=2), {})


def test_table1_helpers():
    assert ex.table1_consistency(ns=(16, 64), hs=(1,), bs=(1, 8), rs=(0.5,)) < 1e-9
    assert ex.table1_l0_equals_l1(ns=(16,), hs=(1,), bs=(1,), rs=(0.5,))
    rows = ex.table1_values(((28, 1, 8, 0.5),))
    assert [r["norm"] for r in rows] == ["$L^0$", "$L^1$", "$L^2$", "$L^3$"]
    assert rows[0]["upper bound"] == rows[1]["upper bound"]


def test_typical_distance_cases_small():
    td = ex.typical_distance_cases(2, 50, np.random.default_rng(0), bs=(1,), ps=(0, 1))
    assert len(td["rows"]) == 2 and td["min_ratio"] >= 1 and td["worst_z"] < 6
    assert td["rows"][0]["exact"] == pytest.approx(2.0)      # 4 binary channels, half differ


def test_eq2_ratios_slopes():
    ns = np.unique(np.logspace(2, 6, 30).astype(np.int64))
    _, slopes = ex.eq2_ratios(ns, cases=((1, 1), (2, 1)))
    assert slopes[(1, 1)] == pytest.approx(-1, abs=0.02)
    assert slopes[(2, 1)] == pytest.approx(-0.5, abs=0.02)


def test_harper_bound():
    from companion.discrete.isoperimetry import ball_sizes

    assert ex.harper_neighbourhood_bound(9, 1, 3) == ball_sizes(9)[3]
    assert ex.harper_neighbourhood_bound(9, 10, 3) == ball_sizes(9)[4]
    assert ex.harper_neighbourhood_bound(9, 3, 3) == 130 + 2 * 56 - 21


def test_figure1b_tree_and_brute_force():
    fb = ex.figure1b(np.random.default_rng(0), N=6, seeds=2, radius=2)
    assert np.array_equal(fb["near"], fb["brute_near"]) and fb["init"].sum() == 2
    for u, v in fb["tree"]:
        assert bin(u ^ v).count("1") == 1 and fb["dist"][u] == fb["dist"][v] - 1


# ----------------------------------------------------------------------------- Section 3
def test_mc_samples_match_the_package_mean():
    for p in (0, 1, 2):
        a = ex.mc_typical_distance_samples(8, 1, 2, p, 7, np.random.default_rng(5))
        b = ld.mc_typical_distance(8, 1, 2, p, 7, np.random.default_rng(5))
        assert a.shape == (7,) and a.mean() == pytest.approx(b)


def test_drawing_shares_fall_like_one_over_n():
    sh = ex.drawing_shares([128, 256, 512])
    assert np.all(np.diff(np.log(sh["L0"])) < 0)
    assert sh["L1"][0] > sh["L0"][0]
    slope = np.polyfit(np.log(sh["sizes"]), np.log(sh["bound"]), 1)[0]
    assert slope == pytest.approx(-1, abs=0.1)
