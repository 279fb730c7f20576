"""Attacks: closed forms on linear models, budgets and box constraints, latent-space attacks, and
an independent cross-check against foolbox 3.3.4 on the same small trained CNN.

Tolerances of the foolbox comparison (ours must be at least as strong):
- PGD: our robust accuracy <= foolbox's + 2/64 (both use random starts);
- DeepFool: our norm <= foolbox's * 1.001 on every example both fool, and we fool at least as many;
- CW-L2: our median norm <= foolbox's * 1.01 and every norm <= foolbox's * 1.02.
"""
import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from companion.attacks import (AttackResult, bisection, carlini_wagner_l2, compose, deepfool,
                               pgd)
from companion.models import SmallCNN

with warnings.catch_warnings():   # foolbox 3.3.4 imports a deprecated scipy namespace
    warnings.simplefilter("ignore", DeprecationWarning)
    import foolbox as fb

torch.set_num_threads(1)


class Linear(nn.Module):
    """f(x) = W x + b on flattened inputs."""

    def __init__(self, W, b):
        super().__init__()
        self.W, self.b = W, b

    def forward(self, x):
        return x.flatten(1) @ self.W.T + self.b


def exact_l2_distance(W, b, x):
    """Distance from x to the complement of its decision region for a linear multi-class model:
    min over k != k0 of |f_k - f_k0| / ||w_k - w_k0|| (the region is an intersection of half-spaces)."""
    f = x @ W.T + b
    k0 = f.argmax(1)
    gap = (f - f.gather(1, k0[:, None])).abs()
    wn = (W[None] - W[k0][:, None]).norm(dim=2)
    d = gap / wn
    d.scatter_(1, k0[:, None], math.inf)
    return d.min(1).values


def independent_prediction(model, x):
    with torch.no_grad():
        return model(x).argmax(1)


@pytest.fixture(scope="module")
def linear10():
    g = torch.Generator().manual_seed(1)
    W = torch.randn(5, 10, generator=g, dtype=torch.float64)
    b = torch.randn(5, generator=g, dtype=torch.float64)
    x = torch.randn(16, 10, generator=g, dtype=torch.float64)
    return Linear(W, b), W, b, x


@pytest.fixture(scope="module")
def binary():
    g = torch.Generator().manual_seed(2)
    W = torch.randn(2, 12, generator=g, dtype=torch.float64)
    b = torch.zeros(2, dtype=torch.float64)
    x = 0.5 + 0.1 * torch.randn(12, 12, generator=g, dtype=torch.float64)   # inside [0, 1]
    return Linear(W, b), W, b, x


@pytest.fixture(scope="module")
def toy():
    """A small CNN trained for a second on 10 noisy prototypes of 12x12 images, and 32 inputs."""
    g = torch.Generator().manual_seed(0)
    protos = torch.rand(10, 1, 12, 12, generator=g)
    Y = torch.arange(10).repeat(30)
    X = (protos[Y] + 0.25 * torch.randn(300, 1, 12, 12, generator=g)).clamp(0, 1)
    torch.manual_seed(0)
    m = SmallCNN(1, 12, 10, width=8)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    for epoch in range(3):
        perm = torch.randperm(300, generator=g)
        for i in range(0, 300, 30):
            idx = perm[i:i + 30]
            loss = F.cross_entropy(m(X[idx]), Y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    m.eval()
    x = X[::7][:32].contiguous()
    y = independent_prediction(m, x)
    assert len(torch.unique(y)) >= 5, "toy model should predict several classes"
    return m, x, y


# ----------------------------------------------------------------------------- DeepFool
def test_deepfool_linear_multiclass_exact_distance(linear10):
    f, W, b, x = linear10
    res = deepfool(f, x, overshoot=0.0)
    exact = exact_l2_distance(W, b, x)
    assert res.success.all()
    # one linearisation step lands on the boundary, plus the 1e-4 excess of the algorithm
    torch.testing.assert_close(res.norms, exact + 1e-4, rtol=1e-6, atol=1e-9)
    assert (res.info["iterations"] == 1).all()
    assert (independent_prediction(f, res.x_adv) != independent_prediction(f, x)).all()


def test_deepfool_overshoot_scales_the_step(binary):
    f, W, b, x = binary
    w = W[1] - W[0]
    d = ((x @ w).abs()) / w.norm()
    res = deepfool(f, x, overshoot=0.02)
    torch.testing.assert_close(res.norms, 1.02 * (d + 1e-4), rtol=1e-6, atol=1e-12)


def test_deepfool_box(toy):
    m, x, y = toy
    res = deepfool(m, x, box=(0.0, 1.0))
    assert res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    assert torch.equal(res.success, independent_prediction(m, res.x_adv) != y)


# ----------------------------------------------------------------------------- PGD
@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_pgd_binary_linear_threshold(binary, norm):
    """On a binary linear model the minimal perturbation is |f|/||w||_q (q dual to the norm):
    PGD must succeed everywhere just above it and can succeed nowhere just below it."""
    f, W, b, x = binary
    w = W[1] - W[0]
    dual = w.abs().sum() if norm == "linf" else w.norm()
    d = (x @ w).abs() / dual
    for i in range(len(x)):
        hi = pgd(f, x[i:i + 1], eps=float(d[i]) * 1.02, norm=norm, steps=20, box=None,
                 random_start=False)
        lo = pgd(f, x[i:i + 1], eps=float(d[i]) * 0.98, norm=norm, steps=20, box=None)
        assert hi.success.all() and not lo.success.any()


@pytest.mark.parametrize("norm,p", [("linf", math.inf), ("l2", 2)])
def test_pgd_changes_prediction_within_budget(toy, norm, p):
    m, x, y = toy
    eps = 0.1 if norm == "linf" else 1.0
    res = pgd(m, x, y, eps=eps, norm=norm, steps=20)
    delta = (res.x_adv - x).flatten(1)
    norms = delta.abs().amax(1) if p == math.inf else delta.norm(dim=1)
    assert (norms <= eps + 1e-5).all()
    torch.testing.assert_close(res.norms, norms)
    assert torch.equal(res.success, independent_prediction(m, res.x_adv) != y)
    assert res.success.any() and res.x_adv.min() >= 0 and res.x_adv.max() <= 1


def test_pgd_box_constraint(binary):
    f, W, b, x = binary
    free = pgd(f, x, eps=2.0, norm="linf", steps=10, box=None)
    boxed = pgd(f, x, eps=2.0, norm="linf", steps=10, box=(0.0, 1.0))
    assert free.x_adv.min() < 0 or free.x_adv.max() > 1          # it can leave [0, 1]
    assert boxed.x_adv.min() >= 0 and boxed.x_adv.max() <= 1     # and with the box it cannot


def test_pgd_is_seeded(toy):
    m, x, y = toy
    a = pgd(m, x, y, eps=0.05, steps=3, seed=7, keep_best=False)
    b = pgd(m, x, y, eps=0.05, steps=3, seed=7, keep_best=False)
    c = pgd(m, x, y, eps=0.05, steps=3, seed=8, keep_best=False)
    assert torch.equal(a.x_adv, b.x_adv) and not torch.equal(a.x_adv, c.x_adv)


def test_pgd_restarts_only_add_successes(toy):
    """The first run of a multi-restart attack is the single-run attack (same seed), and an
    example broken by any run stays broken."""
    m, x, y = toy
    for keep_best in (True, False):
        one = pgd(m, x, y, eps=0.05, steps=5, seed=3, keep_best=keep_best)
        three = pgd(m, x, y, eps=0.05, steps=5, seed=3, restarts=3, keep_best=keep_best)
        assert (three.success | ~one.success).all()
        assert (three.norms <= 0.05 + 1e-6).all()


# ----------------------------------------------------------------------------- CW-L2
def test_cw_multiclass_linear_never_beats_the_exact_distance(linear10):
    """On a multi-class linear model every success needs at least the exact distance (CW may stop
    at the boundary of the runner-up class, which can be farther: no upper bound asserted here)."""
    f, W, b, x = linear10
    exact = exact_l2_distance(W, b, x)
    res = carlini_wagner_l2(f, x, box=None, steps=150, lr=0.01, binary_search_steps=6)
    assert res.success.all()
    assert (res.norms >= exact * (1 - 1e-9)).all()
    assert (res.norms <= exact * 1.25).all()
    assert torch.equal(independent_prediction(f, res.x_adv) != independent_prediction(f, x),
                       res.success)


@pytest.mark.parametrize("initial_const", [1e-3, 10.0])
def test_cw_binary_search_on_a_binary_linear_model(binary, initial_const):
    """For a binary linear model, min_s s^2 + c max(m - ||w|| s, 0) reaches the boundary iff
    c >= c* = 2 d / ||w|| (d = m / ||w|| the distance, w = w_1 - w_0). The search must bracket c*
    whether it starts below it (constants grow) or above it (constants shrink), and the norm found
    must approach d."""
    f, W, b, x = binary
    w = W[1] - W[0]
    d = (x @ w).abs() / w.norm()
    c_star = 2 * d / w.norm()
    res = carlini_wagner_l2(f, x, box=None, steps=200, lr=0.003, binary_search_steps=12,
                            initial_const=initial_const)
    lo, hi = res.info["const_lo"], res.info["const_hi"]
    assert res.success.all()
    assert (res.norms >= d * (1 - 1e-9)).all() and (res.norms <= d * 1.005).all()
    # Adam's oscillation may cross the boundary slightly below c*: 3 % tolerance on that side.
    assert (lo <= c_star * 1.02).all() and (hi >= c_star * 0.97).all()
    assert (hi <= c_star * 1.1).all()
    if initial_const < c_star.min():
        assert (lo >= initial_const).all()
    else:
        assert (hi < initial_const).all()


def test_cw_respects_box(toy):
    m, x, y = toy
    res = carlini_wagner_l2(m, x[:8], steps=50, binary_search_steps=3)
    assert res.x_adv.min() >= 0 and res.x_adv.max() <= 1
    torch.testing.assert_close(res.norms, (res.x_adv - x[:8]).flatten(1).norm(dim=1))
    assert torch.equal(res.success, independent_prediction(m, res.x_adv) != y[:8])


# ----------------------------------------------------------------------------- latent space
def test_attacks_in_latent_space_of_a_linear_generator(linear10):
    """f(g(z)) with g(z) = G z + c linear: the composition is linear with weights W G, so DeepFool
    in latent space must return that model's exact distance."""
    f, W, b, _ = linear10
    g_ = torch.Generator().manual_seed(3)
    G = torch.randn(10, 4, generator=g_, dtype=torch.float64)
    c = torch.randn(10, generator=g_, dtype=torch.float64)
    gen = lambda z: z @ G.T + c  # noqa: E731
    z = torch.randn(12, 4, generator=g_, dtype=torch.float64)
    fz = compose(f, gen)
    exact = exact_l2_distance(W @ G, W @ c + b, z)
    res = deepfool(fz, z, overshoot=0.0)
    assert res.success.all()
    torch.testing.assert_close(res.norms, exact + 1e-4, rtol=1e-6, atol=1e-9)
    r2 = pgd(fz, z, eps=float(exact.max()) * 3, norm="l2", steps=30, box=None)
    assert r2.success.all() and (r2.norms <= float(exact.max()) * 3 + 1e-9).all()
    r3 = carlini_wagner_l2(fz, z, box=None, steps=200, lr=0.01, binary_search_steps=8)
    assert r3.success.all() and (r3.norms >= exact * (1 - 1e-9)).all()


def test_bisection_finds_the_hyperplane_crossing(binary):
    """Along x -> x + v the boundary w.x = 0 of a binary linear model is crossed at
    s = -w.x / w.v (closed form)."""
    f, W, b, x = binary
    w = W[1] - W[0]
    g = torch.Generator().manual_seed(4)
    v = 0.5 * torch.randn(x.shape, generator=g, dtype=torch.float64)
    s_exact = -(x @ w) / (v @ w)
    res = bisection(f, x, x + v, steps=30)
    crosses = (s_exact > 0) & (s_exact < 1)
    assert crosses.any() and (~crosses).any()
    assert torch.equal(res.success, crosses)
    assert (res.info["fraction"][crosses] - s_exact[crosses]).abs().max() < 2e-9
    assert (res.info["fraction"][crosses] >= s_exact[crosses]).all()
    torch.testing.assert_close(res.norms[crosses], s_exact[crosses] * v[crosses].norm(dim=1),
                               rtol=1e-8, atol=1e-9)
    assert (res.norms[~crosses] == 0).all()


def test_result_helpers():
    r = AttackResult(x_adv=torch.zeros(3, 2), norms=torch.tensor([1.0, 2.0, 3.0]),
                     success=torch.tensor([True, False, True]), p=2, labels=torch.zeros(3))
    assert r.success_rate == pytest.approx(2 / 3) and r.robust_accuracy == pytest.approx(1 / 3)
    assert r.radii().tolist() == [1.0, math.inf, 3.0]


def test_bad_inputs_are_named(toy):
    m, x, y = toy
    with pytest.raises(ValueError, match="norm"):
        pgd(m, x, y, eps=0.1, norm="l1")
    with pytest.raises(ValueError, match="batched"):
        deepfool(m, x[0, 0, 0])
    with pytest.raises(ValueError, match="box"):
        pgd(m, x, y, eps=0.1, box=(1.0, 0.0))
    with pytest.raises(ValueError, match="labels"):
        pgd(m, x, y[:3], eps=0.1)


# ----------------------------------------------------------------------------- foolbox
@pytest.fixture(scope="module")
def fmodel(toy):
    m, x, y = toy
    return fb.PyTorchModel(m, bounds=(0, 1))


@pytest.mark.parametrize("norm,eps", [("linf", 0.03), ("linf", 0.08), ("l2", 0.5), ("l2", 1.0)])
def test_pgd_at_least_as_strong_as_foolbox(toy, fmodel, norm, eps):
    m, x, y = toy
    ours = pgd(m, x, y, eps=eps, norm=norm, steps=20)
    Attack = fb.attacks.LinfPGD if norm == "linf" else fb.attacks.L2PGD
    torch.manual_seed(0)
    _, _, ok = Attack(steps=20, rel_stepsize=2.5 / 20)(fmodel, x, y, epsilons=eps)
    theirs = 1 - ok.float().mean().item()
    assert ours.robust_accuracy <= theirs + 2 / len(x)


def test_deepfool_at_least_as_strong_as_foolbox(toy, fmodel):
    m, x, y = toy
    ours = deepfool(m, x, y, overshoot=0.02, max_iter=50, box=(0, 1))
    _, clipped, ok = fb.attacks.L2DeepFoolAttack(steps=50, candidates=10, overshoot=0.02)(
        fmodel, x, y, epsilons=None)
    theirs = (clipped - x).flatten(1).norm(dim=1)
    assert ours.success.sum() >= ok.sum()
    both = ours.success & ok
    assert both.sum() >= len(x) // 2
    assert (ours.norms[both] <= theirs[both] * 1.001).all()


def test_cw_at_least_as_strong_as_foolbox(toy, fmodel):
    m, x, y = toy
    x, y = x[:16], y[:16]
    ours = carlini_wagner_l2(m, x, y, steps=80, binary_search_steps=6, lr=0.01)
    _, clipped, ok = fb.attacks.L2CarliniWagnerAttack(binary_search_steps=6, steps=80,
                                                      stepsize=0.01)(fmodel, x, y, epsilons=None)
    theirs = (clipped - x).flatten(1).norm(dim=1)
    # foolbox returns the all-zero image where it found nothing; that is not an attack success
    ok = ok & (clipped.flatten(1).abs().sum(1) > 0)
    assert ours.success.sum() >= ok.sum()
    both = ours.success & ok
    assert both.sum() >= len(x) // 2
    assert ours.norms[both].median() <= theirs[both].median() * 1.01
    assert (ours.norms[both] <= theirs[both] * 1.02).all()
