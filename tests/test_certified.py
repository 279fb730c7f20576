"""Certified bounds (IBP, CROWN-IBP, CROWN), certified error and certified training.

Soundness is checked three independent ways: against exact verification of tiny networks (a
MILP with HiGHS, itself cross-checked by enumerating activation patterns, one LP each), against
PGD attacks on a trained network (a certified point is never broken), and against dense
rewrites of convolutional networks. Tolerances: 1e-9 in float64, 1e-5 in float32.
"""
import itertools
import math

import numpy as np
import pytest
import torch
from scipy.optimize import linprog
from torch import nn

from companion import certified as cf
from companion.attacks import pgd

torch.set_num_threads(1)
METHODS = ("ibp", "crown-ibp", "crown")


def tiny_net(sizes, seed, scale=1.0):
    """An MLP with N(0, scale^2) weights and biases centring every pre-activation at x = 0.5
    (so that a ball around 0.5 makes ReLUs unstable)."""
    torch.manual_seed(seed)
    net = cf.mlp(sizes).double()
    with torch.no_grad():
        h = torch.full((1, sizes[0]), 0.5, dtype=torch.float64)
        for layer in net:
            if isinstance(layer, nn.Linear):
                layer.weight.normal_(0.0, scale)
                layer.bias.copy_(-(layer.weight @ h[0]) + 0.1 * torch.randn(layer.out_features,
                                                                            dtype=h.dtype))
            h = layer(h)
    return net


def enumerate_minimum(net, x, eps, c, box=(0.0, 1.0)):
    """Exact min of c . f over the region by enumerating ReLU activation patterns (one LP each;
    independent of every bound: no big-M constants)."""
    segs = cf.affine_segments(net, x.shape)
    lo, hi = (t.flatten().numpy() for t in cf.input_box(x.double(), eps, box))
    hidden = [W.shape[0] for W, _ in segs[:-1]]
    best = math.inf
    for pattern in itertools.product([0, 1], repeat=sum(hidden)):
        # the network is affine in x on the pattern's region: track (M, m) with act = M x + m
        M, m = np.eye(lo.size), np.zeros(lo.size)
        A_ub, b_ub, pos = [], [], 0
        for (W, b), n in zip(segs[:-1], hidden):
            zM, zm = W @ M, W @ m + b
            s = np.array(pattern[pos:pos + n], dtype=float)
            pos += n
            for i in range(n):  # active: z >= 0 -> -z <= 0; inactive: z <= 0
                sign = -1.0 if s[i] else 1.0
                A_ub.append(sign * zM[i])
                b_ub.append(-sign * zm[i])
            M, m = zM * s[:, None], zm * s
        W, b = segs[-1]
        obj, const = c @ W @ M, c @ (W @ m + b)
        res = linprog(obj, A_ub=np.array(A_ub), b_ub=np.array(b_ub),
                      bounds=list(zip(lo, hi)), method="highs")
        if res.status == 0:
            best = min(best, res.fun + const)
    return best


# --------------------------------------------------------------------------- models, specs
def test_wong_kolter_convnet_is_the_papers_model():
    net = cf.models.wong_kolter_convnet()
    kinds = [type(m).__name__ for m in cf.layers_of(net)]
    assert kinds == ["Conv2d", "ReLU", "Conv2d", "ReLU", "Flatten", "Linear", "ReLU", "Linear"]
    assert [m.out_channels for m in net if isinstance(m, nn.Conv2d)] == [16, 32]
    assert [m.stride for m in net if isinstance(m, nn.Conv2d)] == [(2, 2), (2, 2)]
    assert net[5].out_features == 100 and net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert sum(p.numel() for p in net.parameters()) == 166406
    assert cf.wong_kolter_convnet(3, 32, 5)(torch.zeros(1, 3, 32, 32)).shape == (1, 5)


def test_layers_of_rejects_what_the_bounds_cannot_handle():
    with pytest.raises(TypeError, match="BatchNorm"):
        cf.layers_of(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    with pytest.raises(TypeError, match="Tanh"):
        cf.layers_of(nn.Sequential(nn.Linear(2, 2), nn.Tanh()))
    nested = nn.Sequential(nn.Sequential(nn.Flatten(), nn.Identity()), nn.Linear(4, 2))
    assert [type(m) for m in cf.layers_of(nested)] == [nn.Flatten, nn.Linear]


def test_margin_spec_gives_the_margins():
    torch.manual_seed(0)
    logits = torch.randn(5, 4)
    y = torch.tensor([0, 3, 1, 2, 3])
    C = cf.margin_spec(y, 4)
    margins = torch.einsum("bsk,bk->bs", C, logits)
    for b in range(5):
        want = [logits[b, y[b]] - logits[b, j] for j in range(4) if j != y[b]]
        assert torch.allclose(margins[b], torch.stack(want))


def test_input_box_binarised_pixels_get_half_intervals():
    x = torch.tensor([[0.0, 1.0, 0.5, 0.05]])
    lo, hi = cf.input_box(x, 0.1)
    assert torch.allclose(lo, torch.tensor([[0.0, 0.9, 0.4, 0.0]]))
    assert torch.allclose(hi, torch.tensor([[0.1, 1.0, 0.6, 0.15]]))
    lo, hi = cf.input_box(x, 0.1, box=None)
    assert torch.allclose(hi - lo, torch.full((1, 4), 0.2))
    v = cf.log2_volume(cf.binarize(torch.rand(3, 1, 4, 4)), 0.25)
    assert np.allclose(v, 16 * math.log2(0.25))


# --------------------------------------------------------------------------- exactness
@pytest.mark.parametrize("sizes,seed", [([2, 4, 3], 0), ([3, 3, 3, 2], 1), ([4, 5, 3], 2),
                                        ([2, 3, 4, 3], 3)])
def test_bounds_below_exact_minimum(sizes, seed):
    net = tiny_net(sizes, seed)
    g = torch.Generator().manual_seed(seed)
    x = 0.3 + 0.4 * torch.rand(1, sizes[0], generator=g, dtype=torch.float64)
    k = sizes[-1]
    eps = 0.25
    C = cf.margin_spec(torch.tensor([0]), k, torch.float64)
    with torch.no_grad():
        got = {m: cf.bounds(net, x, eps, m, C=C) for m in METHODS}
    unstable = 0
    for j in range(k - 1):
        c = C[0, j].numpy()
        lo = cf.exact_minimum(net, x[0], eps, c)
        hi = -cf.exact_minimum(net, x[0], eps, -c).value
        unstable += lo.binaries
        # the minimiser is a point of the region where the network attains the minimum
        at = float(C[0, j] @ net(torch.as_tensor(lo.x)[None]).detach()[0])
        assert at == pytest.approx(lo.value, abs=1e-7)
        # MILP agrees with pattern enumeration (no big-M: checks IBP's constants too)
        assert lo.value == pytest.approx(enumerate_minimum(net, x[0], eps, c), abs=1e-7)
        for m in METHODS:
            assert float(got[m].lower[0, j]) <= lo.value + 1e-9, m
            assert float(got[m].upper[0, j]) >= hi - 1e-9, m
        assert float(got["crown"].lower[0, j]) >= float(got["ibp"].lower[0, j]) - 1e-12
    assert unstable > 0  # the case is not trivially stable


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_crown_exact_without_unstable_relus(seed):
    net = tiny_net([3, 6, 5, 3], seed)
    x = torch.tensor([[0.9, 0.1, 0.8]], dtype=torch.float64)
    eps = 1e-3
    pre = cf.preactivation_bounds(net, x, eps, "crown")
    assert all(not bool(((lb < 0) & (ub > 0)).any()) for lb, ub in pre)
    C = cf.margin_spec(torch.tensor([1]), 3, torch.float64)
    with torch.no_grad():
        b = cf.crown(net, x, eps, C=C, intersect_ibp=False)
    for j in range(2):
        exact = cf.exact_minimum(net, x[0], eps, C[0, j].numpy())
        assert exact.binaries == 0
        assert float(b.lower[0, j]) == pytest.approx(exact.value, abs=1e-9)
        top = -cf.exact_minimum(net, x[0], eps, -C[0, j].numpy()).value
        assert float(b.upper[0, j]) == pytest.approx(top, abs=1e-9)


def test_bounds_at_eps_zero_are_the_outputs():
    net = tiny_net([4, 8, 8, 3], 5)
    x = torch.rand(6, 4, dtype=torch.float64)
    for m in METHODS:
        b = cf.bounds(net, x, 0.0, m)
        assert torch.allclose(b.lower, net(x), atol=1e-12)
        assert torch.allclose(b.upper, net(x), atol=1e-12)


def reference_crown_one_hidden(net, x, eps, c):
    """CROWN for c . (W2 relu(W1 x + b1) + b2), written out by hand (numpy, one example)."""
    W1, b1 = net[1].weight.detach().numpy(), net[1].bias.detach().numpy()
    W2, b2 = net[3].weight.detach().numpy(), net[3].bias.detach().numpy()
    lo, hi = (t.flatten().numpy() for t in cf.input_box(x.double(), eps))
    mid, rad = (hi + lo) / 2, (hi - lo) / 2
    zl = W1 @ mid + b1 - np.abs(W1) @ rad
    zu = W1 @ mid + b1 + np.abs(W1) @ rad
    out = []
    for sign in (1.0, -1.0):  # lower bound of c.f, then of -c.f (minus the upper bound)
        lam = sign * (c @ W2)
        coef, const = np.zeros_like(lam), sign * (c @ b2)
        for j, lj in enumerate(lam):
            lj_, uj = zl[j], zu[j]
            if uj <= 0:
                continue
            if lj_ >= 0:
                coef[j] = lj
                continue
            chord, icept = uj / (uj - lj_), -lj_ * uj / (uj - lj_)
            alpha = 1.0 if uj > -lj_ else 0.0
            if lj >= 0:
                coef[j] = lj * alpha
            else:
                coef[j], const = lj * chord, const + lj * icept
        a = coef @ W1
        const += coef @ b1
        out.append(a @ mid - np.abs(a) @ rad + const)
    return out[0], -out[1]


@pytest.mark.parametrize("seed", range(4))
def test_crown_matches_a_hand_written_reference(seed):
    net = tiny_net([3, 6, 4], seed)
    g = torch.Generator().manual_seed(seed)
    x = 0.3 + 0.4 * torch.rand(1, 3, generator=g, dtype=torch.float64)
    C = cf.margin_spec(torch.tensor([seed % 4]), 4, torch.float64)
    with torch.no_grad():
        b = cf.crown(net, x, 0.2, C=C, intersect_ibp=False)
    for j in range(3):
        lo, hi = reference_crown_one_hidden(net, x, 0.2, C[0, j].numpy())
        assert b.lower[0, j].item() == pytest.approx(lo, abs=1e-12)
        assert b.upper[0, j].item() == pytest.approx(hi, abs=1e-12)


# --------------------------------------------------------------------------- ibp vs crown
def test_crown_can_be_looser_than_ibp_alone_so_it_is_intersected():
    # one ReLU, z = x in [-1, 2] (no box): CROWN's adaptive lower line z gives -1, IBP 0
    net = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1)).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0), net[0].bias.fill_(0.0)
        net[2].weight.fill_(1.0), net[2].bias.fill_(0.0)
    x = torch.tensor([[0.5]], dtype=torch.float64)
    with torch.no_grad():
        raw = cf.crown(net, x, 1.5, box=None, intermediate="ibp", intersect_ibp=False)
    assert float(raw.lower) == pytest.approx(-1.0)
    assert cf.ibp(net, x, 1.5, box=None).lower.item() == pytest.approx(0.0)
    assert cf.crown(net, x, 1.5, box=None).lower.item() == pytest.approx(0.0)


def _conv_net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(cf.Normalize([0.4], [0.3]), nn.Conv2d(1, 3, 3, stride=2, padding=1),
                         nn.ReLU(), nn.Conv2d(3, 4, 2, stride=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(16, 6), nn.ReLU(), nn.Linear(6, 3)).double()


@pytest.mark.parametrize("seed", range(4))
def test_linear_bound_never_looser_than_ibp(seed):
    nets = [tiny_net([5, 8, 8, 4], seed), _conv_net(seed)]
    shapes = [(5,), (1, 6, 6)]
    g = torch.Generator().manual_seed(seed)
    for net, shape in zip(nets, shapes):
        x = torch.rand((8,) + shape, generator=g, dtype=torch.float64)
        y = torch.randint(0, 3, (8,), generator=g)
        for eps in (0.02, 0.1, 0.3):
            C = cf.margin_spec(y, net[-1].out_features, torch.float64)
            i = cf.ibp(net, x, eps, C=C)
            for m in ("crown-ibp", "crown"):
                b = cf.bounds(net, x, eps, m, C=C)
                assert bool((b.lower >= i.lower - 1e-12).all()), (m, eps)
                assert bool((b.upper <= i.upper + 1e-12).all()), (m, eps)
            # full CROWN's pre-activation bounds are within IBP's (its final bound need not be
            # within CROWN-IBP's: the adaptive slopes change with the intermediate bounds)
            for (cl, cu), (il, iu) in zip(cf.preactivation_bounds(net, x, eps, "crown"),
                                          cf.preactivation_bounds(net, x, eps, "ibp")):
                assert bool((cl >= il - 1e-12).all() and (cu <= iu + 1e-12).all())
            full = cf.crown(net, x, eps, C=C)
        # and the linear bound is strictly tighter somewhere (at eps = 0.3)
        assert bool((full.lower > i.lower + 1e-6).any())


@pytest.mark.parametrize("seed", range(3))
def test_conv_bounds_match_dense_equivalent_and_are_sound(seed):
    net = _conv_net(seed)
    dense = cf.to_dense(net, (1, 6, 6))
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(4, 1, 6, 6, generator=g, dtype=torch.float64)
    assert torch.allclose(net(x), dense(x), atol=1e-12)
    y = net(x).argmax(1)
    C = cf.margin_spec(y, 3, torch.float64)
    eps = 0.05
    for m in METHODS:
        a, b = cf.bounds(net, x, eps, m, C=C), cf.bounds(dense, x, eps, m, C=C)
        assert torch.allclose(a.lower, b.lower, atol=1e-10), m
        assert torch.allclose(a.upper, b.upper, atol=1e-10), m
    # sampled points of the region (corners included) stay within the bounds
    lo, hi = cf.input_box(x, eps)
    u = torch.rand((4, 4000, 1, 6, 6), generator=g, dtype=torch.float64)
    u[:, :2000] = u[:, :2000].round()
    pts = lo[:, None] + (hi - lo)[:, None] * u
    out = torch.einsum("bsk,bnk->bns", C, net(pts.reshape(-1, 1, 6, 6)).reshape(4, 4000, 3))
    crown = cf.crown(net, x, eps, C=C)
    assert bool((out.min(1).values >= crown.lower - 1e-10).all())
    assert bool((out.max(1).values <= crown.upper + 1e-10).all())
    # and the exact minimum (MILP on the convolutional net) is above the bound
    exact = cf.exact_minimum(net, x[0], eps, C[0, 0].numpy())
    assert crown.lower[0, 0].item() <= exact.value + 1e-9
    assert crown.lower[0, 0].item() >= cf.ibp(net, x, eps, C=C).lower[0, 0].item() - 1e-12


def test_chunked_crown_equals_unchunked():
    net = _conv_net(7).float()
    x = torch.rand(10, 1, 6, 6)
    C = cf.margin_spec(torch.arange(10) % 3, 3)
    one = cf.crown(net, x, 0.1, C=C)
    many = cf.crown(net, x, 0.1, C=C, batch_size=3, max_elements=40)
    assert torch.allclose(one.lower, many.lower, atol=1e-5)
    assert torch.allclose(one.upper, many.upper, atol=1e-5)


# --------------------------------------------------------------------------- training, attack
def blobs(n=200, seed=0, sep=0.22, std=0.08):
    g = torch.Generator().manual_seed(seed)
    Y = torch.arange(n) % 2
    centre = torch.tensor([[0.5 - sep, 0.5 - sep], [0.5 + sep, 0.5 + sep]])
    X = (centre[Y] + std * torch.randn(n, 2, generator=g)).clamp(0, 1)
    return X, Y


def test_warmup_schedule():
    vals = [cf.warmup(t, 100, 0.0, 0.3) for t in range(100)]
    assert vals[0] == 0.0 and vals[25] == pytest.approx(0.15) and vals[49] == pytest.approx(
        0.3 * 49 / 50)
    assert all(v == 0.3 for v in vals[50:])
    assert all(b > a for a, b in zip(vals[:50], vals[1:51]))
    assert cf.warmup(3, 100, 0.01, 0.3, fraction=0.0) == 0.3
    assert cf.warmup(10, 10, 1.0, 0.0, fraction=1.0) == 0.0
    with pytest.raises(ValueError):
        cf.warmup(0, 10, 0, 1, fraction=1.5)


def test_robust_cross_entropy_is_the_worst_case_cross_entropy():
    m = torch.tensor([[1.0, -2.0, 0.5]])
    want = math.log(1 + math.exp(-1.0) + math.exp(2.0) + math.exp(-0.5))
    assert float(cf.robust_cross_entropy(m, torch.tensor([2]))) == pytest.approx(want)


def _train(method="ibp", seed=0, eps=0.1, epochs=6, **kw):
    X, Y = blobs()
    torch.manual_seed(seed)
    net = cf.mlp([2, 16, 16, 2])
    cfg = cf.CertifiedTrainConfig(eps=eps, epochs=epochs, batch_size=20, method=method,
                                  lr=1e-2, seed=seed, progress=False, **kw)
    return net, cf.certified_train(net, X, Y, cfg), X, Y


def test_certified_training_reduces_certified_error_and_follows_the_schedule():
    X, Y = blobs(seed=1)
    torch.manual_seed(0)
    before = cf.certified_error(cf.mlp([2, 16, 16, 2]), X, Y, 0.1)
    net, hist, _, _ = _train()
    after = cf.certified_error(net, X, Y, 0.1)
    assert before > 0.4 and after < 0.15 and after < before - 0.3
    steps = 60
    assert hist["steps"] == hist["total_steps"] == steps and len(hist["epoch"]) == 6
    assert hist["eps"] == pytest.approx([cf.warmup(10 * e + 9, steps, 0, 0.1) for e in range(6)])
    assert hist["eps"][-1] == 0.1 and hist["eps"][0] < 0.05
    # crown-ibp trains too, with the beta / kappa schedules recorded
    net2, hist2, _, _ = _train("crown-ibp", kappa_start=1.0)
    assert hist2["kappa"][0] > 0.5 and hist2["kappa"][-1] == 0.0 and hist2["beta"][-1] == 0.0
    assert cf.certified_error(net2, X, Y, 0.1, "crown") < before - 0.3


def test_certified_training_is_deterministic_and_stops_on_max_steps():
    a, ha, _, _ = _train(epochs=2)
    b, hb, _, _ = _train(epochs=2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert ha["loss"] == hb["loss"]
    c, hc, _, _ = _train(epochs=2, seed=1)
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))
    _, hd, _, _ = _train(epochs=3, max_steps=7)
    assert hd["steps"] == 7 and hd["stopped_early"] and hd["reason"] == "max_steps"


def test_no_certified_point_is_broken_by_pgd():
    X, Y = blobs(n=300, seed=2, sep=0.15, std=0.1)
    torch.manual_seed(0)
    net = cf.mlp([2, 16, 16, 2])
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(150):  # standard training: a boundary close to many points
        opt.zero_grad()
        nn.functional.cross_entropy(net(X), Y).backward()
        opt.step()
    eps = 0.12
    broken = pgd(net, X, Y, eps=eps, steps=50, restarts=3, seed=0).success
    for m in METHODS:
        cert = torch.as_tensor(cf.certify(net, X, Y, eps, m).certified)
        assert not bool((cert & broken).any()), m
        assert 0.5 < float(cert.float().mean()) < 1.0
    assert float(broken.float().mean()) > 0.2


def test_box_effect_binarised_inputs():
    g = torch.Generator().manual_seed(0)
    protos = (torch.rand(2, 1, 6, 6, generator=g) > 0.5).float()
    Y = torch.arange(60) % 2
    X = (0.75 * protos[Y] + 0.25 * torch.rand(60, 1, 6, 6, generator=g)).clamp(0, 1)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(),
                        nn.Linear(36, 8), nn.ReLU(), nn.Linear(8, 2))
    cf.certified_train(net, cf.binarize(X), Y, cf.CertifiedTrainConfig(
        eps=0.1, epochs=5, batch_size=20, progress=False))
    eff = cf.box_effect(net, X, Y, 0.1)
    b, o, nb = eff["binarised"], eff["original"], eff["binarised_no_box"]
    assert b["width_ratio"] == pytest.approx(0.5) and nb["width_ratio"] == pytest.approx(1.0)
    assert b["boundary_pixels"] == 1.0 and o["boundary_pixels"] < 0.5
    assert b["log2_volume"] == pytest.approx(36 * math.log2(0.1))
    assert o["log2_volume"] > b["log2_volume"]
    # a smaller input region can only make IBP's intervals narrower: more stable ReLUs
    assert b["stable"] >= nb["stable"] and o["stable"] >= eff["original_no_box"]["stable"]
    assert b["stable"] > nb["stable"]
    assert b["certified_error"] <= nb["certified_error"]
    assert len(b["stable_by_layer"]) == 2


def test_all_is_complete():
    import inspect

    modules = {"propagation", "evaluate", "exact", "models", "trainer"}
    public = {n for n in dir(cf) if not n.startswith("_")} - (modules - {"models"})
    assert set(cf.__all__) == public
    for name in modules:
        mod = getattr(cf, name)
        own = {n for n, v in vars(mod).items() if not n.startswith("_")
               and (getattr(v, "__module__", None) == mod.__name__ or n.isupper())
               and (inspect.isclass(v) or inspect.isfunction(v) or n.isupper())
               and not inspect.ismodule(v)}
        assert own <= set(mod.__all__), (name, own - set(mod.__all__))
        assert set(mod.__all__) <= set(vars(mod)), name
