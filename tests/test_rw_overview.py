"""Tests of the Richardson & Weiss overview helpers (rw-paper, rw-symmetric-asymmetric).

Hand-computed values, an independent Monte Carlo of the outlier error through the exact
Bayes-optimal classifier, and bad input rejected before any compute.
"""
import math

import numpy as np
import pytest
import torch

from companion.chapters.richardson_weiss import overview as ov
from companion.mixtures import MFA, BayesOptimal, fit_mfa


def test_swiss_roll_lies_on_the_roll_without_noise():
    X, t = ov.swiss_roll(500, seed=3, noise=0.0)
    assert X.shape == (500, 3) and t.shape == (500,)
    np.testing.assert_allclose(np.hypot(X[:, 0], X[:, 2]), t / 10, atol=1e-12)
    np.testing.assert_allclose(np.arctan2(X[:, 2], X[:, 0]) % (2 * np.pi), t % (2 * np.pi),
                               atol=1e-9)
    assert 0 <= X[:, 1].min() and X[:, 1].max() <= 2
    assert t.min() >= 1.5 * np.pi and t.max() <= 4.5 * np.pi


def test_swiss_roll_noise_has_the_given_scale():
    X0, _ = ov.swiss_roll(20_000, seed=1, noise=0.0)
    X1, _ = ov.swiss_roll(20_000, seed=1, noise=0.05)
    assert abs((X1 - X0).std() - 0.05) < 0.002


@pytest.mark.parametrize("n, noise", [(0, 0.1), (2.5, 0.1), (True, 0.1), (10, -1.0),
                                      (10, float("nan"))])
def test_swiss_roll_rejects_bad_input(n, noise):
    with pytest.raises(ValueError):
        ov.swiss_roll(n, noise=noise)


def test_local_planes_of_a_known_component():
    # A = [[0, 3], [1, 0], [0, 0]]: principal axes e1 (sd 3) and e2 (sd 1), in that order
    m = MFA([0.5, 0.5], [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]],
            [[[0.0, 3.0], [1.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]],
            [[0.1] * 3, [0.1] * 3])
    q = ov.local_planes(m, scale=2.0)
    assert q.shape == (2, 4, 3)
    np.testing.assert_allclose(q[0].mean(0), [1.0, 2.0, 3.0], atol=1e-12)
    edges = np.linalg.norm(np.diff(np.vstack([q[0], q[0][:1]]), axis=0), axis=1)
    np.testing.assert_allclose(sorted(edges), [4.0, 4.0, 12.0, 12.0], atol=1e-12)
    np.testing.assert_allclose(q[0][:, 2], 3.0, atol=1e-12)  # in the plane x3 = 3
    d = q[0][0] - q[0][1]  # (+,+) - (+,-): 2 scale s_2 u_2, along e2
    np.testing.assert_allclose(np.abs(d), [0.0, 4.0, 0.0], atol=1e-12)


def test_local_planes_rejects_bad_input():
    line = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[0.1] * 3])
    with pytest.raises(ValueError, match="latent dimension"):
        ov.local_planes(line)
    plane = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]],
                [[0.1] * 3])
    with pytest.raises(ValueError, match="scale"):
        ov.local_planes(plane, scale=0.0)
    with pytest.raises(ValueError, match="MFA"):
        ov.local_planes(np.zeros((1, 3)))


def test_off_plane_ratio_by_hand_and_on_a_flat_sheet():
    m = MFA([1.0], [[0.0, 0.0, 0.0]], [[[4.0, 0.0], [0.0, 2.0], [0.0, 0.0]]],
            [[0.04, 0.04, 0.04]])
    assert ov.off_plane_ratio(m).tolist() == pytest.approx([0.1])
    # a flat sheet with noise 0.01 is fitted with a thin component
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(-1, 1, 3000), rng.uniform(-1, 1, 3000),
                         0.01 * rng.standard_normal(3000)])
    fit, _ = fit_mfa(X, 1, 2, n_iter=10)
    assert ov.off_plane_ratio(fit)[0] < 0.05


def test_outlier_error_closed_form_values():
    assert ov.outlier_error(0.0, 1.0, 0.3) == pytest.approx(0.15)
    # Phi(-1) = 0.158655...
    assert ov.outlier_error(0.5, 0.5, 0.5) == pytest.approx(0.5 * 0.15865525393145707)
    assert ov.outlier_error(10.0, 0.5, 0.5) < 1e-80


@pytest.mark.parametrize("args", [(-0.1, 0.5, 0.1), (0.1, 0.0, 0.1), (0.1, 0.5, 0.0),
                                  (0.1, 0.5, 1.0), (float("inf"), 0.5, 0.1)])
def test_outlier_error_rejects_bad_input(args):
    with pytest.raises(ValueError):
        ov.outlier_error(*args)


def test_outlier_error_matches_the_bayes_optimal_classifier_by_monte_carlo():
    """Two classes in d = 30, each a thin plane (sigma 0.01) plus an isotropic outlier
    (sigma 0.5) at +-step along v: the exact Bayes-optimal error on samples is w Phi(-s/sigma)."""
    d, s, sig, w = 30, 0.3, 0.5, 0.2
    v = np.zeros(d)
    v[-1] = 1.0
    mu0, mu1 = np.zeros(d), np.zeros(d)
    mu0[0], mu1[0] = 1.0, -1.0
    a = np.zeros((d, 2))
    a[1, 0] = a[2, 1] = 1.0
    models = []
    for mu, sign in ((mu0, 1.0), (mu1, -1.0)):
        models.append(MFA([1 - w, w], [mu, sign * s * v], [a, np.zeros((d, 2))],
                          [np.full(d, 1e-4), np.full(d, sig ** 2)]))
    n = 40_000
    xs, ys = [], []
    for c, m in enumerate(models):
        x, _ = m.sample(n, seed=c)
        xs.append(x)
        ys.append(torch.full((n,), c))
    x, y = torch.cat(xs), torch.cat(ys)
    err = float((BayesOptimal(*models)(x).argmax(1) != y).double().mean())
    pred = ov.outlier_error(s, sig, w)
    se = math.sqrt(pred * (1 - pred) / (2 * n))
    assert abs(err - pred) < 4 * se, (err, pred)


def test_mean_se_ratio_lower_magnify_by_hand():
    assert ov.mean_se([2.0, 4.0, 6.0]) == pytest.approx((4.0, 2.0 / math.sqrt(3)))
    m, se = ov.mean_se([5.0])
    assert m == 5.0 and math.isnan(se)
    with pytest.raises(ValueError):
        ov.mean_se([])
    # (4 - 2 * 2/sqrt(3)) / (1 + 0)
    assert ov.ratio_lower([2.0, 4.0, 6.0], [1.0, 1.0]) == pytest.approx(4 - 4 / math.sqrt(3))
    np.testing.assert_allclose(ov.magnify([[0.1, -0.1], [0.0, 0.02]], 5),
                               [[1.0, 0.0], [0.5, 0.6]])
    with pytest.raises(ValueError):
        ov.magnify([0.0], 0.0)


def test_point_attack_counts_fooled_points_and_changes_beyond_five_levels():
    delta = np.array([[6 / 255, 5 / 255, -6 / 255, 0.0],
                      [1.0, 1.0, 1.0, 1.0],
                      [0.0, 0.0, 0.0, 5.4 / 255]])
    r = ov.PointAttack(correct=np.array([True, False, True]),
                       success=np.array([True, True, True]),
                       norms=np.linalg.norm(delta, axis=1), delta=delta)
    assert r.fooled.tolist() == [True, False, True]
    np.testing.assert_allclose(r.l2, np.linalg.norm(delta[[0, 2]], axis=1))
    np.testing.assert_allclose(r.frac_above(5), [0.5, 0.0])


def test_sweep_and_attack_reject_bad_input_before_compute(monkeypatch):
    from companion.chapters.richardson_weiss import experiment as ex

    def boom(*a, **k):
        raise AssertionError("computed before checking the arguments")

    monkeypatch.setattr(ex, "models", boom)
    monkeypatch.setattr(ex, "fit_data", boom)
    with pytest.raises(ValueError, match="step factors"):
        ov.asymmetric_sweep("ci", "mnist-0-6", [-1.0], [None])
    with pytest.raises(ValueError, match="weights"):
        ov.asymmetric_sweep("ci", "mnist-0-6", [1.0], [1.5])
    with pytest.raises(ValueError, match="at least one"):
        ov.asymmetric_sweep("ci", "mnist-0-6", [], [None])
    with pytest.raises(ValueError, match="n must be"):
        ov.attack_points("ci", "mnist-0-6", "asymmetric", n=10_000)
    with pytest.raises(ValueError, match="profile"):
        ov.attack_points("nope", "mnist-0-6", "asymmetric")
    with pytest.raises(ValueError, match="version"):
        ov.bayes_accuracy("ci", "mnist-0-6", "fitted")


def test_off_manifold_residual_takes_the_nearest_subspace():
    # two lines in 3-D: the x1 axis, and the line through (0, 0, 5) along x2
    m = MFA([0.5, 0.5], [[0.0, 0.0, 0.0], [0.0, 0.0, 5.0]],
            [[[1.0], [0.0], [0.0]], [[0.0], [2.0], [0.0]]], [[0.1] * 3, [0.1] * 3])
    r = ov.off_manifold_residual(m, [[7.0, 1.0, 1.0], [3.0, -4.0, 4.0]])
    np.testing.assert_allclose(r, [[0.0, 1.0, 1.0], [3.0, 0.0, -1.0]], atol=1e-12)
    with pytest.raises(ValueError, match="features"):
        ov.off_manifold_residual(m, [[1.0, 2.0]])
