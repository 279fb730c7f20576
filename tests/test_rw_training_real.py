"""The helpers of the Richardson & Weiss pages on bigger CNNs / TRADES (Figures 9-10) and on real
data (Tables 2-3, Figures 11-12)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from companion.chapters.richardson_weiss import experiment as ex
from companion.chapters.richardson_weiss import training_page as tp


def _evaluation(correct, success=None, norms=None) -> ex.Evaluation:
    a = {"labels": np.zeros(len(correct), np.int64), "correct": np.asarray(correct, bool)}
    if success is not None:
        a.update(success=np.asarray(success, bool), norms=np.asarray(norms, float),
                 hist=np.zeros(len(ex.HIST_EDGES) - 1, np.int64))
    return ex.Evaluation({}, a)


# ------------------------------------------------------------------ printed values
def test_printed_tables_as_in_the_paper():
    # typed again from the paper's Tables 2 and 3
    assert tp.TABLE2_PRINTED["Male"]["cnn"] == (94.7, 5.30)
    assert tp.TABLE2_PRINTED["Bangs"]["rbf_svm"] == (93.7, 24.7)
    assert tp.TABLE2_PRINTED["Eyeglasses"]["linear_svm"] == (93.7, 6.33)
    assert tp.TABLE3_PRINTED["Heavy_Makeup"] == (86.3, 79.9)
    assert set(tp.TABLE2_PRINTED) == set(tp.TABLE3_PRINTED) == {
        "Male", "Smiling", "Bangs", "Heavy_Makeup", "Eyeglasses"}


def test_paper_table3_drop_by_hand():
    # (92.3-88.0) + (89.5-85.6) + (94.3-90.4) + (86.3-79.9) + (98.4-91.7) = 25.2 over 5 rows
    assert tp.paper_table3_drop() == pytest.approx(25.2 / 5)


def test_table2_brackets_are_the_clean_error_for_cnn_and_linear_svm():
    sums = tp.table2_sums()
    assert sums["cnn"] == [100.0] * 5
    assert max(abs(v - 100) for v in sums["linear_svm"]) <= 0.05
    assert sums["rbf_svm"][2] == pytest.approx(93.7 + 24.7)      # Bangs
    assert min(sums["rbf_svm"]) > 100


def test_printed_cell():
    assert tp.printed_cell(94.7, 5.30) == "94.7% (5.30%)"
    assert tp.printed_cell(100.0, 0.0) == "100.0% (0.00%)"
    assert tp.printed_cell(93.7, 6.33) == "93.7% (6.33%)"
    for a, v in tp.TABLE2_PRINTED.items():                     # every printed cell round-trips
        for clean, adv in v.values():
            cell = tp.printed_cell(clean, adv)
            c, b = cell.replace("%", "").replace("(", "").replace(")", "").split()
            assert (float(c), float(b)) == (clean, adv), (a, cell)
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        tp.printed_cell(101.0, 0.0)


# ------------------------------------------------------------------ summaries
def test_summarize_by_hand():
    # five points: correct 1, 1, 1, 1, 0; attack succeeds on 1, 2, 4 (norms 1, 2, 9) and on
    # the wrong point 5 (norm 7: not counted)
    ev = _evaluation([1, 1, 1, 1, 0], [1, 1, 0, 1, 1], [1.0, 2.0, 0.0, 9.0, 7.0])
    s = tp.summarize(ev)
    assert s.accuracy == pytest.approx(0.8)
    assert s.adversarial_accuracy == pytest.approx(0.2)         # point 3 only
    assert s.mean_l2 == pytest.approx(4.0)
    # sample sd of (1, 2, 9): sqrt(((1-4)^2 + (2-4)^2 + (9-4)^2) / 2) = sqrt(19)
    assert s.se_l2 == pytest.approx(math.sqrt(19) / math.sqrt(3))
    assert (s.n, s.n_fooled) == (5, 3)
    assert s.failed == pytest.approx(1 / 4)
    assert s.acc_se == pytest.approx(math.sqrt(0.8 * 0.2 / 5))


def test_summarize_clean_only_and_bad_input():
    s = tp.summarize(_evaluation([1, 0, 1, 1]))
    assert s.accuracy == 0.75 and s.adversarial_accuracy is None and math.isnan(s.mean_l2)
    with pytest.raises(TypeError, match="Evaluation"):
        tp.summarize({"correct": [1]})


def test_difference_by_hand():
    a = tp.Summary(1.0, 0.0, 3.0, 0.3, 50, 50, 0.0)
    b = tp.Summary(1.0, 0.0, 2.0, 0.4, 50, 50, 0.0)
    d, se = tp.difference(a, b)
    assert d == pytest.approx(1.0) and se == pytest.approx(0.5)
    with pytest.raises(ValueError, match="attacked"):
        tp.difference(a, tp.summarize(_evaluation([1, 1])))


def test_mean_drop():
    assert tp.mean_drop([100, 88.5], [99.5, 80.0]) == pytest.approx((0.5 + 8.5) / 2)
    for bad in (([1, 2], [1]), ([], []), ([[1]], [[1]])):
        with pytest.raises(ValueError, match="equal, non-empty"):
            tp.mean_drop(*bad)


# ------------------------------------------------------------------ bad input, before compute
def test_bad_input_is_rejected_before_any_compute():
    with pytest.raises(ValueError, match="valid kinds"):
        tp.rerun_cw("ci", "mnist-0-6", "rbf_svm", 5, 10)
    with pytest.raises(ValueError, match="n must be"):
        tp.rerun_cw("ci", "mnist-0-6", "cnn", 0, 10)
    with pytest.raises(ValueError, match="steps must be"):
        tp.rerun_cw("ci", "mnist-0-6", "cnn", 5, 0)
    with pytest.raises(ValueError, match="valid kinds"):
        tp.median_with_failures("ci", "mnist-0-6", "svm")
    with pytest.raises(ValueError, match="n must be"):
        tp.half_subspace_distances("ci", "mnist-0-6", -1)
    with pytest.raises(ValueError, match="valid offline families"):
        tp.declare_data(None, "ci", ["celeba"])
    with pytest.raises(ValueError, match="no symmetric data"):
        tp.references("ci", "celeba-Male")
    with pytest.raises(ValueError):
        tp.real_rows("ci", ["mnist-0-0"])
    with pytest.raises(ValueError):
        tp.capacity_rows("huge")


def test_real_pairs_are_valid():
    for profile, pairs in tp.REAL_PAIRS.items():
        for p in pairs:
            assert ex.check_pair(p).name == p
    assert "fashion-0-6" in tp.REAL_PAIRS["ci"]


# ------------------------------------------------------------------ figures
def test_figures_draw_one_bar_per_model():
    s = tp.Summary(1.0, 0.0, 2.0, 0.1, 50, 50, 0.0)
    rows = [{"variant": f"v{i}", "summary": s} for i in range(4)]
    refs = {"bayes": tp.Summary(1.0, 0.0, 3.0, 0.1, 100, 100, 0.0), "bayes_cw": None,
            "rbf_svm": tp.Summary(0.99, 0.25, 3.2, 0.1, 100, 75, 0.25)}
    fig = tp.plot_figure9(rows, refs)
    assert len(fig.axes[0].patches) == 4
    fig = tp.plot_figure10([{"beta": None, "summary": s}, {"beta": 6.0, "summary": s}], refs)
    assert len(fig.axes[0].get_legend().get_texts()) == 4
    real = [{"pair": p, "kind": k, "summary": s} for p in ("a", "b")
            for k in ("cnn", "linear_svm", "rbf_svm")]
    fig = tp.plot_real(real)
    assert len(fig.axes[0].patches) == 6
