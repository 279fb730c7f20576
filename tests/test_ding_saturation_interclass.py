"""Saturation / gamma (Table 3, Figures 2b and 3a) and inter-class distance (Table 1,
Figure 5) of the Ding chapter: the printed values, the row helpers, the sampling errors and
the cached distances, against hand computations and independent implementations."""
from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from companion import distribution_measures as dm
from companion import transforms
from companion.chapters.ding import experiment as ex
from companion.chapters.ding import grid
from companion.chapters.ding import interclass as ic
from companion.chapters.ding import saturation as sat


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_ARTIFACTS_DIR", str(tmp_path / "artifacts"))


def _evaluation(labels, clean, adv, **key):
    arrays = {"labels": np.array(labels), "clean": np.array(clean), "adv": np.array(adv),
              "adv_pred": np.array(adv)}
    return ex.Evaluation(dict(key), arrays)


# ------------------------------------------------------------------------ Table 3, printed
def test_table3_has_the_papers_levels_and_the_numbers_the_text_quotes():
    assert tuple(sat.TABLE3_PRINTED) == transforms.CIFAR_SATURATION_LEVELS
    # Section 3.3 quotes: robust accuracy 43.2% on the original, 33.0% at level 1; clean
    # accuracy of PGD training 85.4% on the original; 79.7% and 80.0% (levels 256 and inf)
    assert sat.TABLE3_PRINTED[2][2] == 0.432 and sat.TABLE3_PRINTED[1][2] == 0.330
    assert sat.TABLE3_PRINTED[2][1] == 0.854
    assert sat.TABLE3_PRINTED[math.inf][1:3] == (0.800, 0.797)
    assert sat.TABLE3_PRINTED[256][1:3] == (0.800, 0.797)
    # robustness w.r.t. predictions is never below robust accuracy in the printed table
    assert all(v[3] >= v[2] for v in sat.TABLE3_PRINTED.values())


def test_table3_rows_and_their_gaps():
    rows = sat.table3_rows([1, 2, math.inf])
    assert [r["variant"] for r in rows] == ["saturate-1", "original", "saturate-inf"]
    assert rows[0]["gap"] == pytest.approx(0.775 - 0.330)
    assert rows[2]["gap"] == pytest.approx(0.003)
    assert len(sat.table3_rows()) == 14
    with pytest.raises(ValueError, match="not rows of Table 3"):
        sat.table3_rows([5])


# ------------------------------------------------------------------------------- levels
def test_levels_exponents_and_axis():
    assert [sat.saturation_level(v) for v in ("saturate-1", "original", "saturate-inf")] == \
        [1.0, 2.0, math.inf]
    assert sat.gamma_value("gamma-1.4") == 1.4 and sat.gamma_value("original") == 1.0
    # the exponent is the power of |2x - 1| in the saturation map
    x = np.array([0.1, 0.3, 0.8])
    for p in (1, 4, 16):
        t = 2 * x - 1
        expected = np.sign(t) * np.abs(t) ** sat.exponent(p) / 2 + 0.5
        np.testing.assert_allclose(transforms.saturate(x, p), expected)
    assert sat.exponent(math.inf) == 0.0
    assert sat.axis_position(256) == 8.0 and sat.axis_position(math.inf) == 9.0
    with pytest.raises(ValueError, match="not a saturation variant"):
        sat.saturation_level("gamma-0.6")
    with pytest.raises(ValueError, match="not a gamma variant"):
        sat.gamma_value("saturate-4")
    with pytest.raises(ValueError, match="saturation level"):
        sat.exponent(0)


def test_variants_per_profile_and_dataset():
    v = sat.variants("ci", "fashion-mnist")
    assert v["saturation"] == ("saturate-1", "original", "saturate-4", "saturate-inf")
    assert v["gamma"] == ("gamma-0.6", "original", "gamma-1.4")
    assert sat.variants("ci", "cifar10") == v
    paper = sat.variants("paper", "cifar10")
    assert len(paper["saturation"]) == 14 and len(paper["gamma"]) == 5
    with pytest.raises(ValueError, match="unknown dataset"):
        sat.variants("ci", "svhn")


def test_evaluations_come_from_the_grid_or_from_cifar10(monkeypatch):
    seen = []
    monkeypatch.setattr(grid, "evaluation", lambda profile, e: ("grid", e.variant,
                                                                e.objective))
    monkeypatch.setattr(ex, "evaluate", lambda profile, dataset, v, obj, *a, **k:
                        seen.append((dataset, v, obj)) or ("cifar", v, obj))
    out = sat.evaluations("ci", "fashion-mnist", ["original", "saturate-4"])
    assert out["saturate-4"] == (("grid", ("saturate-4",), "standard"),
                                 ("grid", ("saturate-4",), "pgd"))
    out = sat.evaluations("ci", "cifar10", ["saturate-inf"])
    assert seen == [("cifar10", ("saturate-inf",), "standard"),
                    ("cifar10", ("saturate-inf",), "pgd")]
    with pytest.raises(ValueError, match="not in the 'ci' Fashion group"):
        sat.evaluations("ci", "fashion-mnist", ["saturate-8"])


# ------------------------------------------------------------------------ sampling errors
def test_gap_is_clean_minus_robust_with_binomial_error():
    ev = _evaluation(labels=[0, 1, 2, 3], clean=[0, 1, 2, 0], adv=[0, 2, 2, 0])
    g, se = sat.gap(ev)
    assert g == pytest.approx(ev.accuracy - ev.robust_accuracy) and g == 0.25
    assert se == pytest.approx(math.sqrt(0.25 * 0.75 / 4))
    with pytest.raises(ValueError, match="attacked evaluation"):
        sat.gap(ex.Evaluation({}, {"labels": np.zeros(2), "clean": np.zeros(2)}))


def test_spread_and_its_excess_by_hand():
    r, se = sat.spread([0.5, 0.7, 0.6], 100)
    assert r == pytest.approx(0.2)
    assert se == pytest.approx(math.sqrt(0.7 * 0.3 / 100 + 0.5 * 0.5 / 100))
    s = sat.spread_excess([0.5, 0.7], [0.9, 0.9], 100)
    assert s["excess"] == pytest.approx(0.2) and s["clean_spread"] == 0.0
    assert s["holds"] == (0.2 > 2 * s["se"])
    # a robust spread no larger than the clean one never "holds"
    assert not sat.spread_excess([0.8, 0.81], [0.8, 0.9], 10_000)["holds"]
    with pytest.raises(ValueError, match="at least two"):
        sat.spread([0.5], 10)


def test_probe_radius_of_an_input_blind_model_has_no_gap(monkeypatch):
    """A model whose logits ignore the input cannot be attacked: robust accuracy equals clean
    accuracy at any radius; the radius is validated first."""
    class Blind(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.b = torch.nn.Parameter(torch.tensor([0.0, 1.0] + [0.0] * 8))

        def forward(self, x):
            return self.b.expand(x.shape[0], 10) + 0 * x.flatten(1).sum(1, keepdim=True)

    X = torch.rand(30, 1, 28, 28)
    Y = torch.arange(30) % 10
    monkeypatch.setattr(grid, "model_of", lambda profile, e: (Blind(), {}))
    monkeypatch.setattr(ex, "load_split", lambda *a, **k: (X, Y))
    r = sat.probe_radius("ci", "original", 8 / 255)
    assert r["accuracy"] == pytest.approx(3 / 30) and r["robust_accuracy"] == r["accuracy"]
    assert r["gap"] == 0.0 and r["n"] == 30
    with pytest.raises(ValueError, match="eps"):
        sat.probe_radius("ci", "original", 0.0)
    with pytest.raises(ValueError, match="Fashion group"):
        sat.probe_radius("ci", "saturate-8", 0.1)


# ---------------------------------------------------------------- inter-class distance
class _FakeSplit:
    """A dataset of 1-pixel images: class 0 at 0, class 1 at 1 (``k`` each)."""

    def __init__(self, k=20):
        self.images = np.r_[np.zeros(k), np.ones(k)].reshape(-1, 1, 1, 1)
        self.labels = np.r_[np.zeros(k, int), np.ones(k, int)]

    def __len__(self):
        return len(self.labels)

    def float_images(self, dtype=np.float32):
        return self.images.astype(dtype)


def test_distance_of_two_points_and_of_scaled_variants(monkeypatch):
    monkeypatch.setattr(ic._data, "load", lambda name, split: _FakeSplit())
    d = ic.distance(grid.MNIST, "train", "original")
    # every image is at l2 distance 1 from every image of the other class
    assert d.value == pytest.approx(1.0) and d.per_class == pytest.approx((1.0, 1.0))
    assert d.n == 40
    # scaling towards 0.5 by a multiplies every distance by a
    assert ic.distance(grid.MNIST, "train", ("original", "scale-0.3")).value == \
        pytest.approx(0.3)
    # saturation at inf keeps 0 and 1; a part has half the images
    half = ic.distance(grid.MNIST, "train", "saturate-inf", part=(1, 2))
    assert half.value == pytest.approx(1.0) and half.n == 20


def test_parts_are_disjoint_and_cover_the_split():
    parts = [ic._part_indices(103, (q, 4)) for q in range(4)]
    allidx = np.concatenate(parts)
    assert sorted(allidx.tolist()) == list(range(103))
    assert all(np.all(np.diff(p) > 0) for p in parts)
    for bad in ((4, 4), (0, 1), (-1, 3)):
        with pytest.raises(ValueError, match="part must be"):
            ic._part_indices(10, bad)


def test_part_ratios_are_ratios_of_part_distances(monkeypatch):
    rng = np.random.default_rng(0)
    fake = _FakeSplit()
    fake.images = rng.random((40, 1, 4, 4))
    monkeypatch.setattr(ic._data, "load", lambda name, split: fake)
    out = ic.part_ratios("train", k=2)
    assert set(out) == set(ic.TABLE1_LEVELS)
    for s, d in out.items():
        for q in range(2):
            d_s = ic.distance(grid.MNIST, "train", f"smooth-{s}", part=(q, 2)).value
            d_o = ic.distance(grid.MNIST, "train", "original", part=(q, 2)).value
            d_b = ic.distance(grid.MNIST, "train", "binarized", part=(q, 2)).value
            assert d["distance"][q] == pytest.approx(d_s)
            assert d["original"][q] == pytest.approx(d_s / d_o)
            assert d["binarized"][q] == pytest.approx(d_s / d_b)
        # two parts: sd / sqrt(2) = |a - b| / 2
        assert d["se_original"] == pytest.approx(abs(np.diff(d["original"])[0]) / 2)
    with pytest.raises(ValueError, match="k must be"):
        ic.part_ratios("train", k=1)


def test_distance_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown dataset"):
        ic.distance("cifar10", "train", "original")
    with pytest.raises(ValueError, match="unknown split"):
        ic.distance(grid.MNIST, "valid", "original")
    with pytest.raises(ValueError, match="smoothing option"):
        ic.distance(grid.MNIST, "train", "smooth-3", smoothing={"pad": "zero"})
    with pytest.raises(ValueError, match="unknown variant"):
        ic.distance(grid.MNIST, "train", "blurred")
    with pytest.raises(ValueError, match="Table 1 is on MNIST"):
        ic.table1_rows("test", dataset=grid.FASHION)
    with pytest.raises(ValueError, match="smallest must be"):
        ic.distance(grid.MNIST, "train", "original", smallest=0.0)


def test_table1_rows_agree_with_distribution_measures_on_the_test_digits():
    """The cached rows (float32 images) against table1_interclass (float64 images, uncached)
    on the 1,996 test digits, for the chapter's reading."""
    ref = dm.table1_interclass(split="test", readings={"chapter": ex.SMOOTHING})
    rows = ic.table1_rows("test")
    assert rows[0]["original"] == pytest.approx(ref["original"], rel=1e-5)
    assert rows[0]["binarized"] == pytest.approx(ref["binarized"], rel=1e-5)
    for ours, theirs in zip(rows, ref["rows"]):
        assert ours["smooth"] == theirs["smooth"]
        assert ours["ours"] == pytest.approx(theirs["ours"], rel=1e-5)
        assert round(ours["scale_original_ours"], 3) == theirs["scale_original_ours"]
        assert ours["scale_binarized_printed"] == theirs["scale_binarized_printed"]


def test_max_errors_by_hand():
    rows = [{"reading": "r", "split": "s", "printed": 7.0, "ours": 6.9,
             "scale_original_printed": 0.97, "scale_original_ours": 0.965,
             "scale_binarized_printed": 0.82, "scale_binarized_ours": 0.83},
            {"reading": "r", "split": "s", "printed": 6.8, "ours": 6.5,
             "scale_original_printed": 0.93, "scale_original_ours": 0.935,
             "scale_binarized_printed": 0.79, "scale_binarized_ours": 0.78}]
    (e,) = ic.max_errors(rows, by="split")
    assert e["split"] == "s" and e["distance"] == pytest.approx(0.3)
    assert e["scale_original"] == pytest.approx(0.005)
    assert e["signed_scale_original"] == pytest.approx(0.0)
    assert e["scale_binarized"] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="by must be"):
        ic.max_errors(rows, by="level")


# ------------------------------------------------------------------ robust accuracies
def test_paired_difference_by_hand():
    a = _evaluation(labels=[0, 0, 0, 0], clean=[0, 0, 0, 1], adv=[0, 0, 1, 1])   # 1, 1, 0, 0
    b = _evaluation(labels=[0, 0, 0, 0], clean=[0, 0, 0, 1], adv=[0, 0, 0, 1])   # 1, 1, 1, 0
    diff, se = ic.paired_difference(a, b)
    # d = (0, 0, 1, 0): mean 1/4, sample sd 1/2, se 1/4
    assert diff == pytest.approx(0.25) and se == pytest.approx(0.25)
    # identical outcomes: no paired spread, the binomial errors stand in
    diff, se = ic.paired_difference(a, a)
    assert diff == 0.0 and se == pytest.approx(math.sqrt(2 * 0.5 * 0.5 / 4))
    c = _evaluation(labels=[1, 0, 0, 0], clean=[0, 0, 0, 1], adv=[0, 0, 0, 1])
    with pytest.raises(ValueError, match="same test images"):
        ic.paired_difference(a, c)


def test_accuracy_rows_pick_the_grid_models(monkeypatch):
    monkeypatch.setattr(grid, "evaluation", lambda profile, e: e.variant)
    rows = ic.accuracy_rows("paper")
    assert [r.smooth for r in rows] == [3, 4, 5]
    r3 = rows[0]
    assert r3.smoothed == ("smooth-3",)
    assert r3.scaled_original == ("original", "scale-0.97")
    assert r3.scaled_binarized == ("binarized", "scale-0.821")
    assert r3.printed == {"smoothed": 0.913, "scaled_original": 0.946,
                          "scaled_binarized": 0.986}
    assert rows[2].scaled_binarized == ("binarized", "scale-0.79")
    # ci: the scaled models only where the grid trains them (grid.TABLE1_ROWS)
    ci = ic.accuracy_rows("ci")
    for r in ci:
        trained = r.smooth in grid.TABLE1_ROWS["ci"]
        assert (r.scaled_original is not None) == trained
        assert (r.scaled_binarized is not None) == trained
        assert r.smoothed == (f"smooth-{r.smooth}",)


def test_figure5_points_cover_both_families(monkeypatch):
    ev = _evaluation(labels=[0, 1], clean=[0, 1], adv=[0, 0], eps=0.1)
    monkeypatch.setattr(grid, "evaluation", lambda profile, e: ev)
    monkeypatch.setattr(ic, "distance", lambda dataset, split, v: SimpleNamespace(
        value=len(dataset) + len(split)))
    pts = ic.figure5_points("ci")
    fams = [p["family"] for p in pts]
    assert fams.count("mnist") == len(grid.SMOOTH_VARIANTS["ci"])
    assert fams.count("fashion") == len(grid.FASHION_GROUP["ci"])
    assert all(p["robust_accuracy"] == 0.5 and p["n"] == 2 and p["eps"] == 0.1 for p in pts)
    # MNIST distances on the training digits, Fashion-MNIST on its test split
    assert {p["distance"] for p in pts if p["family"] == "mnist"} == {len(grid.MNIST) + 5}
    assert {p["distance"] for p in pts if p["family"] == "fashion"} == {len(grid.FASHION) + 4}


def test_rank_correlation_against_scipy_and_brute_force():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    for n in (4, 5, 6):
        x, y = rng.normal(size=n), rng.normal(size=n)
        rho, p = ic.rank_correlation(x, y)
        assert rho == pytest.approx(spearmanr(x, y).statistic)
        # brute force over the orderings of y, computed with scipy's rho
        count = sum(spearmanr(x, np.array(perm)).statistic >= rho - 1e-12
                    for perm in itertools.permutations(y))
        assert p == pytest.approx(count / math.factorial(n))
    # ties are averaged as in scipy
    assert ic.rank_correlation([1, 2, 2, 3], [1, 3, 2, 4])[0] == pytest.approx(
        spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).statistic)
    with pytest.raises(ValueError, match="3 to 9"):
        ic.rank_correlation([1, 2], [2, 1])
    with pytest.raises(ValueError, match="constant"):
        ic.rank_correlation([1, 1, 1], [1, 2, 3])


def test_compact_rows_accuracy_table_and_statements():
    rows = [{"reading": "r", "split": "train", "smooth": s, "ours": d, "original": 7.0,
             "binarized": 8.0, "scale_original_ours": d / 7.0, "scale_binarized_ours": d / 8.0}
            for s, d in ((3, 7.0), (4, 6.3), (5, 5.6))]
    out = ic.compact_rows(rows, "reading")
    assert out[0]["reading"] == "Table 1 (printed)"
    # printed distance over printed factor, averaged: (7.12/0.97 + 7.01/0.955 + 6.85/0.932)/3
    assert out[0]["d(original)"] == pytest.approx((7.12 / 0.97 + 7.01 / 0.955 + 6.85 / 0.932)
                                                  / 3)
    assert out[1]["$s = 4$"] == "6.30 (0.900, 0.787)"
    assert ic.compact_rows(rows, "split", printed=False)[0]["split"] == "train"
    ev = _evaluation(labels=[0, 1], clean=[0, 1], adv=[0, 0])
    acc = [ic.AccuracyRow(5, 0.932, 0.79, ev, None, ev, {"smoothed": 0.896,
                                                         "scaled_original": 0.949,
                                                         "scaled_binarized": 0.985})]
    t = ic.accuracy_table(acc)
    assert [r["dataset"] for r in t] == ["smoothed", "scaled binarised"]
    assert t[1]["level or factor"] == 0.79 and t[1]["paper ($\\epsilon = 0.3$)"] == 0.985
    assert t[0]["robust accuracy"] == 0.5
    st = ic.statements([(5, "original"), (5, "binarized")])
    assert list(st)[:3] == ["t1-reading", "t1-less-robust:s5:original",
                            "t1-less-robust:s5:binarized"]
    with pytest.raises(ValueError, match="unknown scaled dataset"):
        ic.statements([(5, "smoothed")])
    assert set(sat.STATEMENTS) >= {"sat-robust-rises", "gamma-robust-varies"}
