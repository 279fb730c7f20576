"""The faster PGD and CW-L2 return bit-identical results to the versions before the speed work
(frozen copies in tests/attack_reference/), over the options that change the code path; and
PGD's opt-in ``early_stop`` is the same attack up to the model's batch-size rounding."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from attack_reference.cw_reference import carlini_wagner_l2 as cw_ref
from attack_reference.pgd_reference import pgd as pgd_ref
from torch import nn

from companion.attacks import carlini_wagner_l2, pgd
from companion.models import SmallCNN

torch.set_num_threads(1)


class Linear(nn.Module):
    def __init__(self, W, b):
        super().__init__()
        self.W, self.b = W, b

    def forward(self, x):
        return x.flatten(1) @ self.W.T + self.b


class SumFirst(nn.Module):
    """A model whose input gradient is an expanded view (sum backward): in-place updates of
    the gradient would fail or alias."""

    def __init__(self, k=4):
        super().__init__()
        self.w = torch.linspace(-1, 1, k)

    def forward(self, x):
        s = x.flatten(1).sum(1, keepdim=True)
        return torch.sin(3 * s) * self.w + s * self.w.flip(0)


@pytest.fixture(scope="module")
def cnn():
    g = torch.Generator().manual_seed(0)
    protos = torch.rand(10, 1, 12, 12, generator=g)
    Y = torch.arange(10).repeat(20)
    X = (protos[Y] + 0.25 * torch.randn(200, 1, 12, 12, generator=g)).clamp(0, 1)
    torch.manual_seed(0)
    m = SmallCNN(1, 12, 10, width=8)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    for _ in range(2):
        for i in range(0, 200, 25):
            loss = F.cross_entropy(m(X[i:i + 25]), Y[i:i + 25])
            opt.zero_grad()
            loss.backward()
            opt.step()
    m.eval()
    x = X[::7][:24].contiguous()
    with torch.no_grad():
        y = m(x).argmax(1)
    return m, x, y


def same(a, b):
    assert torch.equal(a.x_adv, b.x_adv)
    assert torch.equal(a.norms, b.norms)
    assert torch.equal(a.success, b.success)
    assert torch.equal(a.labels, b.labels)
    assert a.p == b.p
    assert a.info.keys() == b.info.keys()
    for k in a.info:
        assert torch.equal(a.info[k], b.info[k]), k


PGD_CASES = [
    dict(eps=0.05, norm="linf", steps=10),
    dict(eps=0.05, norm="linf", steps=10, keep_best=False),
    dict(eps=0.5, norm="l2", steps=10),
    dict(eps=0.5, norm="l2", steps=10, keep_best=False, restarts=2),
    dict(eps=0.08, norm="linf", steps=6, restarts=3, seed=5),
    dict(eps=0.03, norm="linf", steps=5, random_start=False),
    dict(eps=0.03, norm="linf", steps=5, step_size=0.01, box=None),
    dict(eps=1.0, norm="l2", steps=5, box=None, random_start=False),
    dict(eps=0.0, norm="linf", steps=3),
    dict(eps=0.05, norm="linf", steps=0),
]


@pytest.mark.parametrize("kw", PGD_CASES)
@pytest.mark.parametrize("frozen", [True, False])
def test_pgd_bit_identical_to_reference(cnn, kw, frozen):
    m, x, y = cnn
    m.requires_grad_(not frozen)
    try:
        same(pgd(m, x, y, **kw), pgd_ref(m, x, y, **kw))
        same(pgd(m, x, **kw), pgd_ref(m, x, **kw))          # labels = predictions
    finally:
        m.requires_grad_(True)


@pytest.mark.parametrize("norm,eps", [("linf", 0.3), ("l2", 0.8)])
def test_pgd_bit_identical_on_linear_and_sum_models(norm, eps):
    g = torch.Generator().manual_seed(1)
    W = torch.randn(5, 10, generator=g, dtype=torch.float64)
    b = torch.randn(5, generator=g, dtype=torch.float64)
    x = torch.rand(16, 10, generator=g, dtype=torch.float64)
    for model in (Linear(W, b), SumFirst(5)):
        for kw in (dict(), dict(keep_best=False), dict(restarts=2, box=None)):
            same(pgd(model, x, eps=eps, norm=norm, steps=8, **kw),
                 pgd_ref(model, x, eps=eps, norm=norm, steps=8, **kw))


CW_CASES = [
    dict(steps=30, binary_search_steps=3),
    dict(steps=30, binary_search_steps=3, abort_early=False),
    dict(steps=20, binary_search_steps=2, confidence=0.5),
    dict(steps=20, binary_search_steps=3, initial_const=10.0, lr=0.05),
    dict(steps=20, binary_search_steps=2, box=(-0.5, 1.5)),
    dict(steps=20, binary_search_steps=2, box=None),
]


@pytest.mark.parametrize("kw", CW_CASES)
def test_cw_bit_identical_to_reference(cnn, kw):
    m, x, y = cnn
    same(carlini_wagner_l2(m, x[:12], y[:12], **kw), cw_ref(m, x[:12], y[:12], **kw))


def test_cw_bit_identical_on_a_linear_model():
    g = torch.Generator().manual_seed(2)
    W = torch.randn(4, 12, generator=g, dtype=torch.float64)
    b = torch.randn(4, generator=g, dtype=torch.float64)
    x = torch.rand(10, 12, generator=g, dtype=torch.float64)
    f = Linear(W, b)
    for kw in (dict(), dict(box=None), dict(confidence=0.2)):
        same(carlini_wagner_l2(f, x, steps=60, binary_search_steps=4, **kw),
             cw_ref(f, x, steps=60, binary_search_steps=4, **kw))


@pytest.mark.parametrize("norm,eps", [("linf", 0.05), ("l2", 0.6)])
def test_pgd_early_stop_is_the_same_attack(cnn, norm, eps):
    """On a linear float64 model (batch-size independent arithmetic) early stopping is exact;
    on the CNN it finds the same successes, within the budget, and the successful inputs are
    the reference's up to rounding."""
    m, x, y = cnn
    for kw in (dict(), dict(restarts=3, seed=4), dict(random_start=False)):
        full = pgd(m, x, y, eps=eps, norm=norm, steps=15, **kw)
        fast = pgd(m, x, y, eps=eps, norm=norm, steps=15, early_stop=True, **kw)
        assert torch.equal(fast.success, full.success)
        p = math.inf if norm == "linf" else 2
        assert (fast.norms <= eps + 1e-5).all() and fast.p == p
        torch.testing.assert_close(fast.x_adv, full.x_adv, rtol=0, atol=1e-5)
    g = torch.Generator().manual_seed(3)
    W = torch.randn(5, 10, generator=g, dtype=torch.float64)
    b = torch.randn(5, generator=g, dtype=torch.float64)
    xs = torch.rand(20, 10, generator=g, dtype=torch.float64)
    f = Linear(W, b)
    for kw in (dict(), dict(restarts=2)):
        same(pgd(f, xs, eps=eps * 4, norm=norm, steps=10, early_stop=True, **kw),
             pgd(f, xs, eps=eps * 4, norm=norm, steps=10, **kw))
    # without keep_best the end points matter: early_stop has nothing to skip
    same(pgd(m, x, y, eps=eps, norm=norm, steps=5, keep_best=False, early_stop=True),
         pgd_ref(m, x, y, eps=eps, norm=norm, steps=5, keep_best=False))
