"""SVMs as torch modules: the decision function against scikit-learn's, the input gradient
against finite differences and autograd, the round trip through plain arrays, the gradient
attack against the exact distance of a linear SVM, the gamma search's rule, bad input."""
import io

import numpy as np
import pytest
import torch
from sklearn.svm import SVC, LinearSVC

from companion.attacks import carlini_wagner_l2
from companion.models import svm
from companion.models.svm import (LinearSVM, RBFSVM, fit_svm, gamma_search, svm_from_arrays,
                                  svm_from_sklearn, svm_gradient_attack)

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def blobs(n=120, d=6, seed=0, shift=1.2, labels=(0, 1)):
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 2 == 0, labels[0], labels[1])
    X = rng.normal(size=(n, d)) + shift * (y == labels[1])[:, None] * np.linspace(1, -1, d)
    return X, y


@pytest.mark.parametrize("kernel, gamma", [("linear", "scale"), ("rbf", 0.3), ("rbf", "scale")])
@pytest.mark.parametrize("labels", [(0, 1), (3, 7)])
def test_decision_function_equals_sklearn(kernel, gamma, labels):
    X, y = blobs(labels=labels)
    svc = SVC(kernel=kernel, C=1.0, gamma=gamma).fit(X, y)
    m = svm_from_sklearn(svc)
    assert m.classes == labels
    Xq = np.random.default_rng(5).normal(size=(300, X.shape[1])) * 2
    f = m.decision_function(torch.as_tensor(Xq)).numpy()
    np.testing.assert_allclose(f, svc.decision_function(Xq), rtol=0, atol=1e-8)
    # logits [-f/2, f/2]: the argmax is sklearn's prediction, the difference is f
    logits = m(torch.as_tensor(Xq))
    pred = np.asarray(labels)[logits.argmax(1).numpy()]
    np.testing.assert_array_equal(pred, svc.predict(Xq))
    np.testing.assert_allclose((logits[:, 1] - logits[:, 0]).numpy(), f, atol=1e-12)
    # float32 inputs give float32 logits (the attacks keep one dtype); images are flattened
    x32 = torch.as_tensor(Xq[:4], dtype=torch.float32).reshape(4, 1, 2, 3)
    assert m(x32).dtype == torch.float32 and m(x32).shape == (4, 2)


def test_fit_svm_is_sklearns_svc():
    X, y = blobs(seed=2)
    m = fit_svm(X, y, "rbf", C=0.5, gamma=0.2)
    ref = SVC(kernel="rbf", C=0.5, gamma=0.2).fit(X, y)
    Xq = np.random.default_rng(1).normal(size=(50, X.shape[1]))
    np.testing.assert_allclose(m.decision_function(torch.as_tensor(Xq)).numpy(),
                               ref.decision_function(Xq), atol=1e-8)
    lin = fit_svm(X, y)
    assert isinstance(lin, LinearSVM)
    np.testing.assert_allclose(lin.weight.numpy(),
                               SVC(kernel="linear").fit(X, y).coef_[0], atol=1e-10)


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_input_gradient_equals_finite_differences(kernel):
    X, y = blobs(d=5, seed=3)
    m = svm_from_sklearn(SVC(kernel=kernel, gamma=0.4).fit(X, y))
    x = torch.as_tensor(np.random.default_rng(7).normal(size=(6, 5)) * 0.8)
    g = m.decision_gradient(x)
    h = 1e-6
    fd = torch.zeros_like(x)
    for j in range(5):
        e = torch.zeros(5, dtype=torch.float64)
        e[j] = h
        fd[:, j] = (m.decision_function(x + e) - m.decision_function(x - e)) / (2 * h)
    np.testing.assert_allclose(g.numpy(), fd.numpy(), rtol=1e-6, atol=1e-8)
    # autograd through the logits gives the same (what PGD and CW differentiate)
    xr = x.clone().requires_grad_(True)
    logits = m(xr)
    (logits[:, 1] - logits[:, 0]).sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), g.numpy(), atol=1e-10)


def test_rbf_by_hand():
    # two support vectors, f(x) = 2 exp(-0.5 |x - s1|^2) - exp(-0.5 |x - s2|^2) + 0.1
    m = RBFSVM([[0.0, 0.0], [1.0, 1.0]], [2.0, -1.0], 0.1, 0.5)
    x = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    by_hand = 2 * np.exp(-0.5) - np.exp(-0.5) + 0.1
    assert m.decision_function(x).item() == pytest.approx(by_hand, abs=1e-15)
    # gradient: sum_i a_i k_i (-2 gamma)(x - s_i) = -e^-0.5 (2 (1, 0) - (0, -1))
    np.testing.assert_allclose(m.decision_gradient(x).numpy()[0],
                               [-2 * np.exp(-0.5), -np.exp(-0.5)], atol=1e-15)


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_round_trip_through_plain_arrays(kernel):
    X, y = blobs(labels=(2, 5))
    m = svm_from_sklearn(SVC(kernel=kernel, gamma=0.3).fit(X, y))
    arrays = m.to_arrays("clf_")
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as z:         # no pickles: plain arrays only
        back = svm_from_arrays({k: z[k] for k in z.files}, "clf_")
    assert type(back) is type(m) and back.classes == (2, 5)
    xq = torch.as_tensor(np.random.default_rng(0).normal(size=(20, X.shape[1])))
    assert torch.equal(back.decision_function(xq), m.decision_function(xq))


def test_gradient_attack_finds_the_exact_distance_of_a_linear_svm():
    X, y = blobs(d=8, seed=4)
    svc = SVC(kernel="linear").fit(X, y)
    m = svm_from_sklearn(svc)
    x = torch.as_tensor(X[:40])
    res = svm_gradient_attack(m, x, step_size=0.05, max_steps=1000)
    exact = np.abs(svc.decision_function(X[:40])) / np.linalg.norm(svc.coef_[0])
    assert res.success.all()
    np.testing.assert_allclose(res.norms.numpy(), exact, atol=1e-7)
    np.testing.assert_allclose(m.distance(x).numpy(), exact, atol=1e-12)
    # the adversarial points lie just across the hyperplane
    f_adv = svc.decision_function(res.x_adv.numpy())
    assert (np.sign(f_adv) != np.sign(svc.decision_function(X[:40]))).all()
    assert np.abs(f_adv).max() < 1e-6


def test_gradient_attack_on_an_rbf_svm_stops_at_the_boundary_or_fails_where_flat():
    X, y = blobs(d=4, seed=6, shift=2.0)
    svc = SVC(kernel="rbf", gamma=0.5).fit(X, y)
    m = svm_from_sklearn(svc)
    res = svm_gradient_attack(m, torch.as_tensor(X[:30]), step_size=0.02, max_steps=3000)
    f0, f_adv = svc.decision_function(X[:30]), svc.decision_function(res.x_adv.numpy())
    ok = res.success.numpy()
    assert ok.mean() > 0.5
    assert (np.sign(f_adv[ok]) != np.sign(f0[ok])).all() and np.abs(f_adv[ok]).max() < 1e-6
    # each step is at most step_size long, so the path is at least as long as the norm
    assert (res.info["steps"].numpy()[ok] * 0.02 >= res.norms.numpy()[ok] - 1e-9).all()
    # far from every support vector the gradient is zero (in float64): nothing moves
    far = torch.full((1, 4), 100.0, dtype=torch.float64)
    r = svm_gradient_attack(m, far)
    assert not r.success[0] and r.norms[0] == 0 and r.info["steps"][0] == 0


def test_cw_applies_to_the_logits():
    # CW-L2 on the module (no box) approaches the exact distance to a linear SVM's hyperplane
    X, y = blobs(d=6, seed=8)
    svc = SVC(kernel="linear").fit(X, y)
    m = svm_from_sklearn(svc)
    x = torch.as_tensor(X[:10])
    exact = np.abs(svc.decision_function(X[:10])) / np.linalg.norm(svc.coef_[0])
    res = carlini_wagner_l2(m, x, box=None, steps=100, lr=0.05, binary_search_steps=4,
                            initial_const=1.0)
    assert res.success.all()
    assert (res.norms.numpy() >= exact - 1e-9).all()       # nothing beats the exact distance
    assert (res.norms.numpy() <= exact * 1.05 + 1e-3).all()


def test_gamma_search_applies_its_rule_to_an_independent_table():
    X, y = blobs(n=200, d=10, seed=9, shift=1.0)
    Xv, yv = blobs(n=200, d=10, seed=10, shift=1.0)
    gammas = [0.003, 0.03, 0.3, 3.0, 30.0]
    res = gamma_search(X, y, Xv, yv, gammas=gammas[::-1], tolerance=0.02)
    acc = np.array([SVC(kernel="rbf", gamma=g).fit(X, y).score(Xv, yv) for g in gammas])
    np.testing.assert_array_equal(res.gammas, gammas)           # sorted
    np.testing.assert_allclose(res.accuracies, acc)
    assert res.threshold == pytest.approx(acc.max() - 0.02)
    assert res.gamma == max(g for g, a in zip(gammas, acc) if a >= acc.max() - 0.02)
    # the very narrow kernels lose accuracy here, so the rule does not take the largest gamma
    assert res.gamma < 30.0 and "largest gamma" in res.rule
    assert [r[2] for r in res.rows()].count(True) == 1
    # default candidates: sklearn's 'scale' gamma times 1, 2, ..., 64
    grid = svm.gamma_grid(X)
    assert grid[0] == pytest.approx(1 / (X.shape[1] * X.var())) and len(grid) == 7


@pytest.mark.parametrize("make, needle", [
    (lambda X, y: LinearSVC().fit(X, y), "takes a fitted sklearn.svm.SVC"),
    (lambda X, y: SVC(), "not fitted"),
    (lambda X, y: SVC(kernel="poly").fit(X, y), "kernel 'poly' is not supported"),
    (lambda X, y: SVC(kernel="linear").fit(X, np.arange(len(y)) % 3), "binary SVC")])
def test_bad_models_are_rejected(make, needle):
    X, y = blobs()
    with pytest.raises(ValueError, match=needle):
        svm_from_sklearn(make(X, y))


@pytest.mark.parametrize("kwargs, needle", [
    (dict(kernel="sigmoid"), "unknown kernel 'sigmoid'; valid"), (dict(C=0.0), "C .* > 0"),
    (dict(C=float("nan")), "C"), (dict(kernel="rbf", gamma=-1.0), "gamma must be"),
    (dict(one_class=True), "exactly two classes"), (dict(nan=True), "finite"),
    (dict(short_y=True), "one label per example")])
def test_bad_fits_are_rejected(kwargs, needle):
    X, y = blobs()
    if kwargs.pop("one_class", False):
        y = np.zeros_like(y)
    if kwargs.pop("nan", False):
        X = X.copy()
        X[3, 2] = np.nan
    if kwargs.pop("short_y", False):
        y = y[:-1]
    with pytest.raises(ValueError, match=needle):
        fit_svm(X, y, **kwargs)


def test_bad_inputs_and_arguments_are_rejected():
    m = LinearSVM([1.0, 2.0, 3.0], 0.0)
    with pytest.raises(ValueError, match="inputs must have 3 features"):
        m(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="gamma must be a finite number > 0"):
        RBFSVM([[0.0]], [1.0], 0.0, 0.0)
    with pytest.raises(ValueError, match="one entry per support vector"):
        RBFSVM([[0.0], [1.0]], [1.0], 0.0, 1.0)
    with pytest.raises(ValueError, match="weight must be finite"):
        LinearSVM([1.0, np.inf], 0.0)
    with pytest.raises(ValueError, match="not the arrays of an SVM"):
        svm_from_arrays({"weight": np.zeros(2)})
    with pytest.raises(ValueError, match="unknown SVM kind 'poly'"):
        svm_from_arrays({"kind": np.array("poly")})
    with pytest.raises(ValueError, match="BinarySVM"):
        svm_gradient_attack(torch.nn.Linear(3, 2), torch.zeros(1, 3))
    with pytest.raises(ValueError, match="step_size"):
        svm_gradient_attack(m, torch.zeros(1, 3), step_size=0.0)
    with pytest.raises(ValueError, match="tolerance"):
        X, y = blobs()
        gamma_search(X, y, X, y, gammas=[1.0], tolerance=1.0)
