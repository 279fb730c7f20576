"""TRADES (Zhang et al., 2019): beta = 0 is the standard loss, the loss against a hand-written
KL divergence, the inner maximisation increases the KL and stays in the ball and the box, eval
mode during the attack, training through the common loop."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import log_softmax
from torch import nn

from companion.models import SmallCNN
from companion.training import TRADESObjective, TrainConfig, train

torch.set_num_threads(1)


def toy(n=24, side=8, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    protos = torch.rand(k, 1, side, side, generator=g)
    Y = torch.arange(k).repeat(n // k)
    X = (protos[Y] + 0.2 * torch.randn(len(Y), 1, side, side, generator=g)).clamp(0, 1)
    return X, Y


def net(seed=0):
    torch.manual_seed(seed)
    return SmallCNN(1, 8, 3, width=4)


def kl_by_hand(logits_p, logits_q):
    """sum_c p_c (log p_c - log q_c), averaged over the batch, in float64 numpy."""
    a = logits_p.detach().double().numpy()
    b = logits_q.detach().double().numpy()
    la, lb = log_softmax(a, axis=1), log_softmax(b, axis=1)
    return float(np.mean((np.exp(la) * (la - lb)).sum(1)))


def test_beta_zero_is_the_standard_loss():
    X, Y = toy()
    m = net()
    m.train()
    loss = TRADESObjective(eps=0.3, beta=0.0)(m, X, Y)
    assert torch.equal(loss, F.cross_entropy(m(X), Y))


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_the_loss_is_ce_plus_beta_times_the_kl(norm):
    X, Y = toy(seed=1)
    m = net(1).eval()
    obj = TRADESObjective(eps=0.2 if norm == "linf" else 1.0, beta=3.0, norm=norm, steps=4)
    torch.manual_seed(5)
    x_adv = obj.adversarial(m, X)
    torch.manual_seed(5)
    loss = obj(m, X, Y)
    ce = F.cross_entropy(m(X), Y).item()
    assert loss.item() == pytest.approx(ce + 3.0 * kl_by_hand(m(X), m(x_adv)), rel=1e-5)
    # the gradient flows to the weights through both terms
    loss.backward()
    assert all(p.grad is not None for p in m.parameters())


@pytest.mark.parametrize("norm, eps", [("linf", 0.1), ("l2", 0.8)])
def test_the_inner_maximisation_increases_the_kl_and_stays_in_the_ball(norm, eps):
    X, Y = toy(seed=2)
    m = net(2).eval()
    obj = TRADESObjective(eps=eps, beta=1.0, norm=norm, steps=10)
    torch.manual_seed(0)
    start = X + 0.001 * torch.randn_like(X)        # the documented starting point
    torch.manual_seed(0)
    x_adv = obj.adversarial(m, X)
    kl0 = kl_by_hand(m(X), m(start))
    kl1 = kl_by_hand(m(X), m(x_adv))
    assert kl1 > 100 * kl0 > 0
    delta = (x_adv - X).flatten(1)
    if norm == "linf":
        assert delta.abs().max().item() <= eps + 1e-6
        # sign steps of 2.5 eps / 10 reach the faces of the ball
        assert delta.abs().max().item() == pytest.approx(eps, abs=1e-6)
    else:
        assert delta.norm(dim=1).max().item() <= eps + 1e-5
    assert x_adv.min() >= 0 and x_adv.max() <= 1           # the box (0, 1)
    assert not x_adv.requires_grad
    # more steps never hurt much: zero steps give the noisy start
    torch.manual_seed(0)
    x0 = TRADESObjective(eps=eps, norm=norm, steps=0).adversarial(m, X)
    assert torch.equal(x0, start)


def test_without_a_box_the_ball_alone_binds():
    X, _ = toy(seed=3)
    m = net(3).eval()
    obj = TRADESObjective(eps=2.0, norm="l2", steps=5, step_size=1.0, box=None)
    x_adv = obj.adversarial(m, X - 0.5)
    assert (x_adv - (X - 0.5)).flatten(1).norm(dim=1).max().item() <= 2.0 + 1e-5
    assert x_adv.min() < 0          # would have been clipped with the default box


class ModeRecorder(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 3)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.lin(torch.tanh(x.flatten(1) * 3))


def test_the_attack_runs_in_eval_mode_and_the_loss_in_train_mode():
    m = ModeRecorder()
    m.train()
    x, y = torch.rand(5, 4), torch.tensor([0, 1, 2, 0, 1])
    TRADESObjective(eps=0.1, beta=1.0, steps=3)(m, x, y)
    # p(x) and 3 attack steps in eval mode, then f(x) and f(x') in train mode
    assert m.modes == [False] * 4 + [True, True]
    assert m.training


def test_training_with_trades_is_deterministic_and_learns():
    X, Y = toy(n=48, seed=4)
    cfg = TrainConfig(epochs=4, batch_size=12, lr=1e-2, seed=1, progress=False)
    obj = TRADESObjective(eps=0.05, beta=1.0, steps=2)
    runs = []
    for _ in range(2):
        m = net(4)
        res = train(m, X, Y, cfg, obj)
        runs.append(m.state_dict())
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert res.history[-1]["loss"] < res.history[0]["loss"]


@pytest.mark.parametrize("kwargs, needle", [
    (dict(eps=-0.1), "eps must be a finite number >= 0"), (dict(beta=-1.0), "beta"),
    (dict(eps=math.nan), "eps"), (dict(norm="l1"), "norm must be 'linf' or 'l2'"),
    (dict(steps=-1), "steps must be an integer >= 0"), (dict(steps=2.5), "steps"),
    (dict(step_size=0.0), "step_size must be > 0"), (dict(box=(1.0, 0.0)), "low < high"),
    (dict(init_std=-1e-3), "init_std")])
def test_bad_settings_are_rejected(kwargs, needle):
    args = dict(eps=0.1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=needle):
        TRADESObjective(**args)
