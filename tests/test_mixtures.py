"""companion.mixtures: MFA densities against dense Gaussians, EM, the symmetric/asymmetric
constructions, the Bayes-optimal classifier, the gradient attack and the exact ground truth of
two Gaussians."""
from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

import companion.mixtures as mx
from companion.attacks import deepfool, pgd
from companion.mixtures import (MFA, BayesOptimal, boundary_distance, fit_mfa, gaussian_quadric,
                                gradient_attack, hyperplane_distance, make_asymmetric,
                                make_symmetric, sphere_distance)

torch.set_num_threads(1)
F64 = torch.float64


@pytest.fixture(autouse=True)
def one_blas_thread():
    # scikit-learn's k-means and FactorAnalysis on 2 shared cores: one thread, no contention
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


def random_mfa(K=3, d=5, l=2, seed=0, shift=0.0, noise=(0.1, 0.6)):
    g = torch.Generator().manual_seed(seed)
    w = torch.rand(K, generator=g, dtype=F64) + 0.2
    return MFA(w / w.sum(), torch.randn(K, d, generator=g, dtype=F64) * 1.5 + shift,
               torch.randn(K, d, l, generator=g, dtype=F64) * 0.8,
               torch.rand(K, d, generator=g, dtype=F64) * (noise[1] - noise[0]) + noise[0])


def dense_log_prob(m: MFA, x: np.ndarray) -> np.ndarray:
    cov = m.dense_covariances().numpy()
    comps = [np.log(float(m.weights[k])) + multivariate_normal(m.means[k].numpy(), cov[k])
             .logpdf(x) for k in range(m.n_components)]
    return np.stack(comps, 1)


# -- densities ------------------------------------------------------------------------------
def test_log_prob_matches_dense_gaussians():
    m = random_mfa()
    x = torch.randn(40, 5, generator=torch.Generator().manual_seed(1), dtype=F64) * 2
    joint = dense_log_prob(m, x.numpy())
    np.testing.assert_allclose(m.joint_log_prob(x).numpy(), joint, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(m.log_prob(x).numpy(), logsumexp(joint, 1), rtol=1e-12,
                               atol=1e-10)
    np.testing.assert_allclose(m.responsibilities(x).numpy(),
                               np.exp(joint - logsumexp(joint, 1, keepdims=True)), atol=1e-12)
    np.testing.assert_allclose(m.component_log_prob(x).numpy(),
                               joint - np.log(m.weights.numpy()), rtol=1e-12, atol=1e-10)
    # float32 and image-shaped inputs are flattened and evaluated in float64
    assert m.log_prob(x.float().reshape(40, 1, 5)).dtype == F64


def test_scores_match_autograd():
    m = random_mfa(K=4, d=6, l=3, seed=2)
    x = torch.randn(25, 6, generator=torch.Generator().manual_seed(3), dtype=F64)
    xr = x.clone().requires_grad_(True)
    m.log_prob(xr).sum().backward()
    np.testing.assert_allclose(m.grad_log_prob(x).numpy(), xr.grad.numpy(), atol=1e-11)
    # one component's score, and a difference of two (the gradient attack's direction)
    w = torch.zeros(25, 4, dtype=F64)
    w[:, 1], w[:, 3] = 1.0, -1.0
    xr = x.clone().requires_grad_(True)
    lp = m.component_log_prob(xr)
    (lp[:, 1] - lp[:, 3]).sum().backward()
    np.testing.assert_allclose(m.weighted_score(x, w).numpy(), xr.grad.numpy(), atol=1e-11)


def test_log_prob_is_fast_on_images():
    # 784-d, K = 10, l = 6: milliseconds per thousand points (generous bound: shared CPUs)
    import time
    m = random_mfa(K=10, d=784, l=6, seed=4)
    x = torch.rand(1000, 784, dtype=F64)
    m.log_prob(x)
    t = time.perf_counter()
    for _ in range(3):
        m.log_prob(x)
    assert (time.perf_counter() - t) / 3 < 1.0


def test_samples_reproduce_the_moments():
    m = random_mfa(seed=5)
    x, comp = m.sample(200_000, seed=0)
    mean, cov = (t.numpy() for t in m.moments())
    xs = x.numpy()
    se_mean = xs.std(0) / math.sqrt(len(xs))
    assert np.all(np.abs(xs.mean(0) - mean) < 5 * se_mean)
    c = xs - xs.mean(0)
    prod = c[:, :, None] * c[:, None, :]
    se_cov = prod.std(0) / math.sqrt(len(xs))
    assert np.all(np.abs(prod.mean(0) - cov) < 5 * se_cov)
    np.testing.assert_allclose(np.bincount(comp.numpy(), minlength=3) / len(xs),
                               m.weights.numpy(), atol=0.005)
    # reproducible; without noise the points lie on the components' subspaces
    assert torch.equal(m.sample(10, seed=7)[0], m.sample(10, seed=7)[0])
    y, k = m.sample(500, noise=False, seed=1)
    r = (y - m.means[k]).unsqueeze(2)
    a = m.loadings[k]
    proj = a @ torch.linalg.solve(a.transpose(1, 2) @ a, a.transpose(1, 2) @ r)
    assert float((r - proj).abs().max()) < 1e-10


# -- fitting --------------------------------------------------------------------------------
def test_em_never_decreases_the_likelihood_and_is_deterministic():
    truth = random_mfa(K=3, d=8, l=2, seed=6)
    X, _ = truth.sample(1500, seed=2)
    model, hist = fit_mfa(X, 3, 2, n_iter=40, seed=0)
    assert hist.shape == (41,)
    assert np.all(np.diff(hist) >= -1e-9 * np.abs(hist[1:]))
    assert hist[-1] > hist[0]
    assert hist[-1] == pytest.approx(float(model.log_prob(X).mean()), rel=1e-12)
    # with the noise floor active (constant coordinates), and with the FA initialisation
    Xc = torch.cat([X, torch.zeros(len(X), 2, dtype=F64)], 1)
    for init in ("pca", "fa"):
        m2, h2 = fit_mfa(Xc, 3, 2, n_iter=15, seed=1, min_noise=1e-3, init=init)
        assert np.all(np.diff(h2) >= -1e-9 * np.abs(h2[1:]))
        assert float(m2.noise.min()) >= 1e-3 - 1e-15
    again, hist2 = fit_mfa(X, 3, 2, n_iter=40, seed=0)
    assert np.array_equal(hist, hist2)
    assert torch.equal(model.means, again.means) and torch.equal(model.noise, again.noise)


def test_one_component_agrees_with_factor_analysis():
    from sklearn.decomposition import FactorAnalysis

    rng = np.random.default_rng(0)
    d, l = 6, 2
    a, dn, mu = rng.normal(size=(d, l)), rng.uniform(0.2, 1.0, size=d), rng.normal(size=d)
    X = rng.normal(size=(3000, l)) @ a.T + mu + rng.normal(size=(3000, d)) * np.sqrt(dn)
    model, hist = fit_mfa(X, 1, l, n_iter=3000, seed=0, tol=1e-13)
    fa = FactorAnalysis(n_components=l, tol=1e-12, max_iter=100_000).fit(X)
    assert hist[-1] == pytest.approx(fa.score(X), abs=1e-8)
    np.testing.assert_allclose(model.dense_covariances()[0].numpy(), fa.get_covariance(),
                               atol=1e-4)


# -- input checks ---------------------------------------------------------------------------
def test_bad_input_is_rejected_with_the_valid_range():
    X = np.random.default_rng(0).normal(size=(50, 4))
    with pytest.raises(ValueError, match="number of components K must be an integer >= 1"):
        fit_mfa(X, 0, 2)
    with pytest.raises(ValueError, match=r"1 <= latent_dim < data dimension 4, got 4"):
        fit_mfa(X, 2, 4)
    with pytest.raises(ValueError, match="must be 2-D"):
        fit_mfa(X.ravel(), 2, 1)
    with pytest.raises(ValueError, match="must be finite"):
        fit_mfa(np.full((5, 3), np.nan), 1, 1)
    m = random_mfa(d=4)
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="standard deviation > 0"):
            make_symmetric(m, sigma=bad)
        with pytest.raises(ValueError, match="standard deviation > 0"):
            make_asymmetric((m, m), X, sigma=bad, rank=2)
    with pytest.raises(ValueError, match="noise variances D must be > 0"):
        m.replace(noise=torch.zeros(3, 4, dtype=F64))
    with pytest.raises(ValueError, match="latent_dim < data dimension"):
        MFA([1.0], [[0.0, 0.0]], [[[1.0, 0.0], [0.0, 1.0]]], [[1.0, 1.0]])
    with pytest.raises(ValueError, match="sum to 1"):
        MFA([0.5], [[0.0, 0.0]], [[[1.0], [0.0]]], [[1.0, 1.0]])
    with pytest.raises(ValueError, match="rank must be an integer in 1..4"):
        make_asymmetric((m, m), X, rank=5)
    with pytest.raises(ValueError, match="at least two MFA"):
        BayesOptimal(m)
    with pytest.raises(ValueError, match="positive numbers summing to 1"):
        BayesOptimal(m, m, priors=[0.2, 0.2])


# -- symmetric / asymmetric -----------------------------------------------------------------
def test_make_symmetric():
    m = random_mfa(K=4)
    w = torch.tensor([0.5, 0.3, 0.2, 0.0], dtype=F64)          # one padding component
    s = make_symmetric(m.replace(weights=w), sigma=0.01)
    assert torch.equal(s.noise, torch.full_like(m.noise, 1e-4))
    np.testing.assert_allclose(s.weights.numpy(), [1 / 3, 1 / 3, 1 / 3, 0.0])
    assert torch.equal(s.means, m.means) and torch.equal(s.loadings, m.loadings)


def test_make_asymmetric_places_the_outliers():
    rng = np.random.default_rng(1)
    d = 60
    X = rng.normal(size=(600, d)) * np.linspace(2.0, 0.1, d) + 0.3
    m0, m1 = random_mfa(K=2, d=d, l=3, seed=7), random_mfa(K=3, d=d, l=3, seed=8)
    pair = make_asymmetric((m0, m1), X)
    lam, vecs = np.linalg.eigh(np.cov(X.T, bias=True))
    v = vecs[:, -50]
    assert pair.eigenvalue == pytest.approx(lam[-50], rel=1e-10)
    assert abs(float(pair.direction.numpy() @ v)) == pytest.approx(1.0, abs=1e-10)
    assert pair.step == pytest.approx(math.sqrt(lam[-50]), rel=1e-10)
    for model, base, sign in ((pair.mfa0, m0, 1), (pair.mfa1, m1, -1)):
        k = base.n_components
        assert model.n_components == k + 1
        np.testing.assert_allclose(model.means[-1].numpy(),
                                   X.mean(0) + sign * pair.step * pair.direction.numpy(),
                                   atol=1e-12)
        assert float(model.loadings[-1].abs().max()) == 0.0
        assert torch.all(model.noise[-1] == 0.25)
        assert float(model.weights[-1]) == pytest.approx(1 / (k + 1))
        np.testing.assert_allclose(model.weights[:-1].numpy(),
                                   base.weights.numpy() * k / (k + 1), rtol=1e-12)
    custom = make_asymmetric((m0, m1), X, step=2.0, outlier_weight=0.01, sigma=0.3, rank=5)
    assert float((custom.mfa0.means[-1] - custom.mfa1.means[-1]).norm()) == pytest.approx(4.0)
    assert float(custom.mfa1.weights[-1]) == pytest.approx(0.01)
    assert float(custom.mfa1.noise[-1, 0]) == pytest.approx(0.09)


def test_asymmetry_makes_the_optimal_classifier_vulnerable():
    # Theorems 2 and 3 in miniature: the outliers bring the boundary close to the data
    g = torch.Generator().manual_seed(0)
    d, l, K = 50, 3, 3

    def class_model():
        return MFA(torch.full((K,), 1 / K, dtype=F64), torch.rand(K, d, generator=g, dtype=F64),
                   torch.randn(K, d, l, generator=g, dtype=F64) * 0.3,
                   torch.full((K, d), 0.01, dtype=F64))

    s0, s1 = make_symmetric(class_model(), 0.05), make_symmetric(class_model(), 0.05)
    X = torch.cat([s0.sample(1000, seed=1)[0], s1.sample(1000, seed=2)[0]])
    pair = make_asymmetric((s0, s1), X, rank=10)
    x, _ = s0.sample(40, seed=5)
    labels = torch.zeros(40, dtype=torch.long)
    norms = []
    for f in (BayesOptimal(s0, s1), BayesOptimal(pair.mfa0, pair.mfa1)):
        assert bool((f(x).argmax(1) == 0).all())
        r = gradient_attack(f, x, labels, step_size=0.02)
        assert bool(r.success.all())
        norms.append(float(r.norms.median()))
    assert norms[1] < 0.5 * norms[0]


# -- the Bayes-optimal classifier and the attacks -------------------------------------------
def single(m: MFA):
    return m.means[0].numpy(), m.dense_covariances()[0].numpy()


def test_bayes_optimal_logits():
    m0, m1 = random_mfa(seed=9), random_mfa(seed=10, shift=1.0)
    x = torch.randn(20, 5, generator=torch.Generator().manual_seed(2), dtype=F64)
    f = BayesOptimal(m0, m1, priors=[0.3, 0.7])
    expected = torch.stack([m0.log_prob(x), m1.log_prob(x)], 1) \
        + torch.tensor([0.3, 0.7], dtype=F64).log()
    assert torch.allclose(f(x), expected, rtol=0, atol=1e-12)
    assert f(x.float()).dtype == torch.float32 and f(x).dtype == F64
    assert f(x.reshape(20, 1, 5)).shape == (20, 2)


def gaussian_pair(kind: str):
    d, l = 5, 2
    m0 = random_mfa(K=1, d=d, l=l, seed=11, noise=(0.2, 0.7))
    if kind == "plane":
        m1 = m0.replace(means=m0.means + 1.5)
    elif kind == "sphere":
        z = torch.zeros(1, d, l, dtype=F64)
        m0 = MFA([1.0], torch.zeros(1, d, dtype=F64), z, torch.full((1, d), 0.25, dtype=F64))
        m1 = MFA([1.0], torch.ones(1, d, dtype=F64), z, torch.full((1, d), 1.0, dtype=F64))
    else:
        m1 = random_mfa(K=1, d=d, l=l, seed=12, shift=1.0, noise=(0.2, 0.7))
    return m0, m1


@pytest.mark.parametrize("kind", ["plane", "sphere", "general"])
def test_gradient_attack_against_the_exact_distance(kind):
    m0, m1 = gaussian_pair(kind)
    f = BayesOptimal(m0, m1)
    x, _ = m0.sample(40, seed=3)
    exact = boundary_distance(x.numpy(), *single(m0), *single(m1)).distance
    r = gradient_attack(f, x, step_size=0.01)
    assert bool(r.success.all())
    assert bool((f(r.x_adv).argmax(1) != r.labels).all())
    ratio = r.norms.numpy() / exact
    assert ratio.min() >= 1 - 1e-9                    # an upper bound on the distance
    if kind == "general":
        assert ratio.max() < 1.25                     # ... within a small factor
    else:                                             # the gradient path is straight: exact
        np.testing.assert_allclose(r.norms.numpy(), exact, rtol=1e-8)


def test_gradient_attack_edge_cases():
    m0, m1 = gaussian_pair("general")
    f = BayesOptimal(m0, m1)
    x, _ = m0.sample(6, seed=4)
    x = x.reshape(6, 1, 5)
    pred = f(x).argmax(1)
    r = gradient_attack(f, x, 1 - pred)               # already "misclassified": norm 0
    assert bool(r.success.all()) and float(r.norms.abs().max()) == 0.0
    assert r.x_adv.shape == x.shape
    r = gradient_attack(f, x, max_steps=0)            # no budget: failures, x unchanged
    assert not bool(r.success.any()) and torch.equal(r.x_adv, x)
    with pytest.raises(ValueError, match="BayesOptimal"):
        gradient_attack(torch.nn.Identity(), x)


def test_bayes_optimal_works_with_the_library_attacks():
    m0, m1 = gaussian_pair("general")
    f = BayesOptimal(m0, m1)
    x, _ = m0.sample(30, seed=6)
    exact = boundary_distance(x.numpy(), *single(m0), *single(m1)).distance
    df = deepfool(f, x.float())
    assert bool(df.success.all())
    assert np.all(df.norms.numpy() >= exact * (1 - 1e-5))
    # no perturbation shorter than the exact distance can change the decision
    p = pgd(f, x.float(), eps=0.99 * float(exact.min()), norm="l2", steps=30, box=None)
    assert not bool(p.success.any())


# -- the exact ground truth -----------------------------------------------------------------
def spd(rng, d, floor=0.3):
    q = rng.normal(size=(d, d))
    return q @ q.T + floor * np.eye(d)


def test_general_solver_matches_the_closed_forms():
    rng = np.random.default_rng(2)
    d = 4
    m1, m2, s = rng.normal(size=d), rng.normal(size=d), spd(rng, d, 1.0)
    p = rng.normal(size=(8, d)) * 2
    for priors in (None, (0.2, 0.8)):
        np.testing.assert_allclose(boundary_distance(p, m1, s, m2, s, priors).distance,
                                   hyperplane_distance(p, m1, m2, s, priors), atol=1e-12)
        general = boundary_distance(p, m1, 0.49 * np.eye(d), m2, 1.69 * np.eye(d), priors)
        np.testing.assert_allclose(general.distance,
                                   sphere_distance(p, m1, 0.7, m2, 1.3, priors), atol=1e-12)
    # the hard case: the centre of the sphere (every direction is optimal)
    a, b = 1 / 0.49, 1 / 1.69
    centre = (b * m2 - a * m1) / (b - a)
    r = boundary_distance([centre], m1, 0.49 * np.eye(d), m2, 1.69 * np.eye(d))
    np.testing.assert_allclose(r.distance, sphere_distance([centre], m1, 0.7, m2, 1.3),
                               rtol=1e-12)
    g = gaussian_quadric(m1, 0.49 * np.eye(d), m2, 1.69 * np.eye(d))
    assert abs(float(g(r.closest[0]))) < 1e-10
    # an empty boundary: one class wins everywhere
    assert boundary_distance([[0.3]], [0.0], [[1.0]], [0.0], [[4.0]], (0.1, 0.9)).distance[0] \
        == math.inf
    assert sphere_distance([[0.3]], [0.0], 1.0, [0.0], 2.0, (0.1, 0.9))[0] == math.inf


def test_general_solver_is_the_global_minimum():
    rng = np.random.default_rng(3)
    d = 4
    m1, m2, s1, s2 = rng.normal(size=d), rng.normal(size=d), spd(rng, d), spd(rng, d)
    g = gaussian_quadric(m1, s1, m2, s2)
    p = rng.normal(size=(4, d)) * 2
    r = boundary_distance(p, m1, s1, m2, s2)
    assert np.all(np.abs(g(r.closest)) < 1e-9)
    np.testing.assert_allclose(np.linalg.norm(r.closest - p, axis=1), r.distance, rtol=1e-12)
    for pi, dist in zip(p, r.distance):
        best = math.inf
        for _ in range(12):                 # multi-start local optimisation never beats it
            res = minimize(lambda x: np.sum((x - pi) ** 2), pi + rng.normal(size=d) * 2,
                           constraints=[{"type": "eq", "fun": g}], method="SLSQP")
            if res.success and abs(g(res.x)) < 1e-8:
                best = min(best, math.sqrt(res.fun))
                assert math.sqrt(res.fun) >= dist * (1 - 1e-7)
        assert best == pytest.approx(dist, rel=1e-6)


# -- documentation --------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["mfa", "datasets", "bayes", "quadric"])
def test_doctests(module):
    import importlib

    res = doctest.testmod(importlib.import_module(f"companion.mixtures.{module}"))
    assert res.failed == 0 and res.attempted > 0


def test_all_is_complete():
    public = {n for n in dir(mx) if not n.startswith("_")} - {"bayes", "datasets", "mfa",
                                                               "quadric"}
    assert set(mx.__all__) == public
