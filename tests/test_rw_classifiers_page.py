"""The helpers of the Richardson & Weiss classifiers page (Table 1, Figures 7, 8, 16-19)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from companion.chapters.richardson_weiss import classifiers_page as cp
from companion.chapters.richardson_weiss import experiment as ex


# ------------------------------------------------------------------ the printed table
def test_table1_as_printed():
    assert len(cp.TABLE1) == 15
    assert all(len(v) == 4 for v in cp.TABLE1.values())
    # cells typed again from the paper's Table 1
    assert cp.TABLE1["MNIST / 06"][3] == "100% (4%)"
    assert cp.TABLE1["MNIST / 27"][3] == "100% (7%)"
    assert cp.TABLE1["MNIST / 45"][3] == "100% (8%)"
    assert cp.TABLE1["CelebA / Brown Hair"][3] == "86% (16%)"
    assert cp.TABLE1["CelebA / Black Hair"][1] == "98% (2%)"
    assert cp.TABLE1["CelebA / Eyeglasses"][3] == "100% (22%)"
    assert {v[0] for v in cp.TABLE1.values()} == {"100% (0%)"}      # Bayes-optimal column


def test_table1_pairs_are_valid_pairs():
    assert cp.TABLE1_PAIRS["MNIST / 27"] == "mnist-2-7"
    assert cp.TABLE1_PAIRS["CelebA / Mouth Slightly Open"] == "celeba-Mouth_Slightly_Open"
    for pair in cp.TABLE1_PAIRS.values():
        assert ex.check_pair(pair).name == pair


def test_cells_round_trip_and_bad_input():
    assert cp.parse_cell("86% (16%)") == (0.86, 0.16)
    assert cp.printed_cell(*cp.parse_cell("94% (8%)")) == "94% (8%)"
    assert cp.printed_cell(0.995, 0.004) == "100% (0%)"
    for bad in ("86%", "86 (16)", "(16%)"):
        with pytest.raises(ValueError, match="Table 1 cell"):
            cp.parse_cell(bad)
    with pytest.raises(ValueError, match="clean accuracy"):
        cp.printed_cell(1.2, 0.0)


def _evaluation(correct, success, norms=None):
    correct, success = np.asarray(correct, bool), np.asarray(success, bool)
    norms = np.where(success, 1.0, 0.0) if norms is None else np.asarray(norms, float)
    return ex.Evaluation({}, {"labels": np.zeros(len(correct), np.int64), "correct": correct,
                              "success": success, "norms": norms})


def test_table1_rows_put_ours_beside_the_paper():
    evals = {k: _evaluation([1, 1, 1, 1], [1, 1, 0, 1]) for k in cp.MODELS}
    evals["cnn"] = _evaluation([1, 1, 1, 0], [1, 1, 1, 1])
    rows = cp.table1_rows({"mnist-0-6": evals, "fashion-0-6": evals}, label=str.upper)
    assert rows[0]["data set"] == "MNIST-0-6"
    assert rows[0]["RBF SVM"] == "100% (25%)"           # 1 of 4 correct and not fooled
    assert rows[0]["CNN"] == "75% (0%)"
    assert rows[0]["RBF SVM, paper"] == "100% (4%)"
    assert rows[1]["RBF SVM, paper"] == "—"
    with pytest.raises(ValueError, match="no evaluation"):
        cp.table1_rows({"mnist-0-6": {"cnn": evals["cnn"]}})


def test_table1_entries_cover_the_grid():
    entries = cp.table1_entries("ci")
    assert set(entries) >= {"mnist-0-6", "mnist-2-7", "mnist-4-5"}
    for by_kind in entries.values():
        assert set(by_kind) == set(cp.MODELS)
        assert by_kind["bayes"].version == "symmetric"
    with pytest.raises(ValueError, match="unknown profile"):
        cp.table1_entries("huge")


# ------------------------------------------------------------------ statistics
def test_adversarial_tolerance():
    assert cp.adversarial_tolerance(0.0, 50) == 0.05
    assert math.isclose(cp.adversarial_tolerance(0.04, 100), 3 * math.sqrt(0.0384) / 10)
    assert cp.adversarial_tolerance(0.01, 100) == 0.05            # 3 * 0.00995 < 0.05
    assert math.isclose(cp.adversarial_tolerance(0.2, 100), 3 * 0.04)
    with pytest.raises(ValueError, match="rate"):
        cp.adversarial_tolerance(1.5, 100)
    with pytest.raises(ValueError, match="integer"):
        cp.adversarial_tolerance(0.1, 0)


def test_ratio_se_by_hand_and_by_simulation():
    r, se = cp.ratio_se([2.0, 4.0], [1.0, 3.0])   # means 3, 2; standard errors 1, 1
    assert r == 1.5 and math.isclose(se, 1.5 * math.hypot(1 / 3, 1 / 2))
    rng = np.random.default_rng(0)
    a, b = rng.gamma(9.0, 1 / 3, 400), rng.gamma(16.0, 1 / 8, 300)     # means 3 and 2
    _, se = cp.ratio_se(a, b)
    reps = [rng.gamma(9.0, 1 / 3, 400).mean() / rng.gamma(16.0, 1 / 8, 300).mean()
            for _ in range(2000)]
    assert abs(se / np.std(reps) - 1) < 0.1
    with pytest.raises(ValueError, match="at least 2"):
        cp.ratio_se([1.0], [1.0, 2.0])


def test_closer_margin_signs():
    d, se = cp.closer_margin([3.0, 3.2], [3.4, 3.6], [1.0, 1.2])   # far below, near above
    assert math.isclose(d, 1.6) and math.isclose(se, math.sqrt(0.06))
    d, se = cp.closer_margin([3.0, 3.2], [2.6, 2.8], [1.0, 1.2])   # both below: t cancels
    assert math.isclose(d, 1.6) and math.isclose(se, math.sqrt(0.02))


def test_clopper_pearson_lower():
    from scipy.stats import binom

    assert math.isclose(cp.clopper_pearson_lower(50, 50), 0.05 ** (1 / 50))
    assert cp.clopper_pearson_lower(0, 20) == 0.0
    low = cp.clopper_pearson_lower(7, 10)
    assert math.isclose(binom.sf(6, 10, low), 0.05, rel_tol=1e-6)   # P(X >= 7 | low) = alpha
    with pytest.raises(ValueError, match="k <= n"):
        cp.clopper_pearson_lower(11, 10)


# ------------------------------------------------------------------ the segment attack
class _Linear(torch.nn.Module):
    """Logits (-f, f) with f(x) = w.x + b."""

    def __init__(self, w, b):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.b = b

    def forward(self, x):
        f = x.reshape(len(x), -1) @ self.w + self.b
        return torch.stack([-f, f], 1)


def test_segment_attack_on_a_half_plane():
    model = _Linear([1.0, 0.0], -1.0)                    # class 1 where x_0 > 1
    x = torch.tensor([[0.0, 0.0], [-1.0, 2.0]], dtype=torch.float64)
    pool = torch.tensor([[3.0, 0.0], [2.0, 4.0], [-5.0, 0.0], [10.0, 10.0]],
                        dtype=torch.float64)
    norms, success, adv = cp.segment_attack(model, x, torch.tensor([0, 0]), pool, 50)
    assert success.all()
    # point 0: nearest class-1 pool point (3, 0); the boundary x_0 = 1 at distance 1
    assert math.isclose(norms[0], 1.0, abs_tol=1e-9)
    # point 1: nearest class-1 pool point (2, 4); crossing at t = 2/3 of a segment of length
    # sqrt(13)
    assert math.isclose(norms[1], 2 / 3 * math.sqrt(13), abs_tol=1e-9)
    assert (model(adv).argmax(1) == 1).all()


def test_segment_attack_without_the_other_class():
    model = _Linear([1.0, 0.0], -1.0)
    x = torch.zeros(1, 2, dtype=torch.float64)
    norms, success, _ = cp.segment_attack(model, x, torch.tensor([0]), -torch.ones(3, 2))
    assert not success[0] and math.isnan(norms[0])
    with pytest.raises(ValueError, match="bisect_steps"):
        cp.segment_attack(model, x, torch.tensor([0]), x, 0)
    with pytest.raises(ValueError, match="shape"):
        cp.segment_attack(model, x, torch.tensor([0]), torch.zeros(2, 3))


# ------------------------------------------------------------------ tables and figures
def test_gamma_rows_choose_the_largest_high_gamma():
    info = {"search_gammas": np.array([0.1, 0.2, 0.4, 0.8]),
            "search_accuracies": np.array([0.99, 1.0, 0.99, 0.98]),
            "search_threshold": np.array(0.99)}
    rows = cp.gamma_rows(info)
    assert [r["chosen"] for r in rows] == ["", "", "◀", ""]
    assert [r["high"] for r in rows] == ["yes", "yes", "yes", "no"]
    assert rows[3]["factor"] == 8.0
    with pytest.raises(ValueError, match="RBF"):
        cp.gamma_rows({"seconds": 1.0})


def test_example_rows_show_no_change_as_grey():
    x = np.random.default_rng(0).random((3, 1, 4, 4)).astype(np.float32)
    evals = {k: ex.Evaluation({}, {"x_show": x, "adv_show": x + 0.1}) for k in cp.MODELS}
    evals["cnn"] = ex.Evaluation({}, {"x_show": x, "adv_show": x.copy()})
    rows = cp.example_rows(evals, n=2, magnify=2)
    assert len(rows) == 1 + 2 * len(cp.MODELS)
    assert np.allclose(rows["CNN: change x2"], 0.5)
    assert np.allclose(rows["RBF SVM: change x2"], 0.7)
    evals["rbf_svm"] = ex.Evaluation({}, {"x_show": x + 1, "adv_show": x})
    with pytest.raises(ValueError, match="other points"):
        cp.example_rows(evals)


def test_pair_labels_and_failure_row_input():
    assert cp.pair_label("mnist-2-7") == "MNIST 2/7"
    assert cp.pair_label("fashion-0-6") == "Fashion-MNIST T-shirt/top/Shirt"
    assert cp.pair_label("celeba-Heavy_Makeup") == "CelebA Heavy Makeup"
    linear = ex.Evaluation({"classifier": {"what": "rw-svm", "kernel": "linear"}}, {})
    with pytest.raises(ValueError, match="RBF SVM"):
        cp.failure_row("ci", "mnist-0-6", linear)
