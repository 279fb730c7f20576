"""Training loop, evaluation helpers and checkpoints on tiny synthetic data."""
import math
import pickle

import pytest
import torch
from torch import nn

from companion.attacks import pgd
from companion.models import SmallCNN
from companion.training import (PGDObjective, TrainConfig, accuracy, build_model, load_checkpoint,
                                predict, prediction_robustness, robust_accuracy, run_attack,
                                save_checkpoint, train)

torch.set_num_threads(1)


def toy_data(n=96, side=8, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    protos = torch.rand(k, 1, side, side, generator=g)
    Y = torch.arange(k).repeat(n // k)
    X = (protos[Y] + 0.2 * torch.randn(len(Y), 1, side, side, generator=g)).clamp(0, 1)
    return X, Y


def fresh_model(seed=0):
    torch.manual_seed(seed)
    return SmallCNN(1, 8, 3, width=4)


def test_training_is_deterministic_for_a_seed():
    X, Y = toy_data()
    cfg = TrainConfig(epochs=2, batch_size=16, lr=1e-2, seed=3, progress=False)
    obj = PGDObjective(eps=0.1, steps=2)
    runs = []
    for _ in range(2):
        m = fresh_model()
        train(m, X, Y, cfg, obj)
        runs.append(m.state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    other = fresh_model()
    train(other, X, Y, TrainConfig(epochs=2, batch_size=16, lr=1e-2, seed=4, progress=False), obj)
    assert any(not torch.equal(runs[0][k], other.state_dict()[k]) for k in runs[0])


def test_standard_training_learns_and_accuracy_matches_a_direct_count():
    X, Y = toy_data()
    m = fresh_model()
    res = train(m, X, Y, TrainConfig(epochs=6, batch_size=16, lr=1e-2, progress=False))
    with torch.no_grad():
        direct = (m(X).argmax(1) == Y).float().mean().item()
    assert accuracy(m, X, Y, batch_size=7) == pytest.approx(direct)
    assert direct > 0.9
    assert not m.training
    assert res.steps == 6 * 6 and len(res.history) == 6 and not res.stopped_early


def test_limits_stop_training():
    X, Y = toy_data()
    r = train(fresh_model(), X, Y, TrainConfig(epochs=5, batch_size=16, time_budget=0.0,
                                                 progress=False))
    assert r.stopped_early and r.reason == "time_budget" and r.steps == 1
    r = train(fresh_model(), X, Y, TrainConfig(epochs=5, batch_size=16, max_steps=8, progress=False))
    assert r.stopped_early and r.reason == "max_steps" and r.steps == 8


def test_adversarial_training_objective_uses_the_attack():
    """With eps = 0 the PGD objective is the clean loss: identical weights to standard training."""
    X, Y = toy_data()
    cfg = TrainConfig(epochs=1, batch_size=16, seed=1, progress=False)
    a, b = fresh_model(), fresh_model()
    train(a, X, Y, cfg)
    train(b, X, Y, cfg, PGDObjective(eps=0.0, steps=2))
    assert all(torch.allclose(a.state_dict()[k], b.state_dict()[k], atol=1e-6) for k in a.state_dict())
    c = fresh_model()
    train(c, X, Y, cfg, PGDObjective(eps=0.3, steps=2))
    assert any(not torch.allclose(a.state_dict()[k], c.state_dict()[k]) for k in a.state_dict())


class Binary(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = w

    def forward(self, x):
        s = x.flatten(1) @ self.w
        return torch.stack([-s, s], 1)   # class 1 iff w.x > 0; logit gap 2 w.x


def test_robust_accuracy_matches_closed_form_on_a_linear_model():
    """For a binary linear classifier the L2 robust accuracy at eps is exactly the fraction of
    correctly classified points farther than eps from the hyperplane."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(6, generator=g, dtype=torch.float64)
    X = torch.randn(200, 6, generator=g, dtype=torch.float64)
    Y = (torch.rand(200, generator=g) < 0.5).long()       # random labels: about half wrong
    f = Binary(w)
    dist = (X @ w).abs() / w.norm()
    correct = ((X @ w > 0).long() == Y)
    eps = 0.5
    keep = (dist - eps).abs() > 0.02 * eps                 # avoid points at the threshold
    X, Y, dist, correct = X[keep], Y[keep], dist[keep], correct[keep]
    expected = (correct & (dist > eps)).double().mean().item()
    got = robust_accuracy(f, X, Y, pgd, batch_size=33, eps=eps, norm="l2", steps=20, box=None,
                             random_start=False)
    assert got == pytest.approx(expected)
    # robustness w.r.t. predictions: fraction farther than eps, regardless of labels
    pr = prediction_robustness(f, X, pgd, eps=eps, norm="l2", steps=20, box=None,
                             random_start=False)
    assert pr == pytest.approx((dist > eps).double().mean().item())
    res = run_attack(f, X, None, pgd, batch_size=50, eps=eps, norm="l2", steps=20, box=None,
                             random_start=False)
    assert res.norms.shape == (len(X),) and torch.equal(res.success, dist <= eps)
    assert torch.equal(predict(f, X), (X @ w > 0).long())


def test_checkpoint_round_trip(tmp_path):
    spec = {"name": "small_cnn", "kwargs": {"in_channels": 1, "input_size": 8, "num_classes": 3,
                                            "width": 4}}
    m = build_model(spec, seed=5)
    X, Y = toy_data()
    train(m, X, Y, TrainConfig(epochs=1, batch_size=32, progress=False))
    path = save_checkpoint(tmp_path / "m.pt", m, spec=spec, meta={"epochs": 1, "eps": 0.1})
    raw = torch.load(path, weights_only=True)            # readable without unpickling code
    assert raw["meta"] == {"epochs": 1, "eps": 0.1}
    m2, ckpt = load_checkpoint(path)                      # rebuilt from the spec
    m3, _ = load_checkpoint(path, build_model(spec, seed=99))
    with torch.no_grad():
        assert torch.equal(m(X), m2(X)) and torch.equal(m(X), m3(X))
    assert ckpt["spec"] == spec
    with pytest.raises(ValueError, match="plain Python types"):
        save_checkpoint(tmp_path / "bad.pt", m, meta={"x": torch.zeros(1).numpy()})


class Evil:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('x')",))


def test_checkpoint_loading_refuses_arbitrary_objects(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    with open(path, "wb") as fh:
        pickle.dump({"format": "companion-checkpoint-1", "state_dict": Evil()}, fh, protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint(path, fresh_model())
    assert not (tmp_path / "PWNED").exists()
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_bad_training_input_is_named():
    X, Y = toy_data()
    with pytest.raises(ValueError, match="labels"):
        train(fresh_model(), X, Y[:5], TrainConfig(progress=False))
    with pytest.raises(ValueError, match="optimizer"):
        train(fresh_model(), X, Y, TrainConfig(optimizer="lbfgs", progress=False))
    assert math.isfinite(train(fresh_model(), X.numpy(), Y.numpy(),
                               TrainConfig(optimizer="sgd", lr=0.05, progress=False)).history[0]["loss"])
