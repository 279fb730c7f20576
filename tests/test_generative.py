"""Generators, latent inversion and the modulus-of-continuity estimate on tiny models."""
import numpy as np
import pytest
import torch

from companion.generative import (ConvVAE, DCGANDiscriminator, DCGANGenerator, Modulus,
                                  Robustified, estimate_modulus, invert, sample, train_gan,
                                  train_vae)

torch.set_num_threads(1)


@pytest.mark.parametrize("channels,size", [(1, 28), (3, 32)])
def test_generator_shapes_and_range(channels, size):
    torch.manual_seed(0)
    G = DCGANGenerator(100, channels, size, width=8).eval()
    D = DCGANDiscriminator(channels, size, width=8)
    z, x = sample(G, 5, seed=1)
    assert z.shape == (5, 100) and x.shape == (5, channels, size, size)
    assert x.min() >= 0 and x.max() <= 1
    assert D(x).shape == (5,)
    vae = ConvVAE(8, channels, size, width=4)
    assert vae.decoder(torch.randn(2, 8)).shape == (2, channels, size, size)
    logits, mu, logvar = vae(x)
    assert logits.shape == x.shape and mu.shape == (5, 8) and logvar.shape == (5, 8)


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="image_size"):
        DCGANGenerator(100, 1, 30)
    G = DCGANGenerator(10, 1, 28, width=4)
    with pytest.raises(ValueError, match=r"\(B, 10\)"):
        G(torch.randn(2, 11))


def test_gan_and_vae_training_are_deterministic_and_leave_eval_mode():
    X = torch.rand(32, 1, 28, 28)
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        G, D = DCGANGenerator(8, 1, 28, width=4), DCGANDiscriminator(1, 28, width=4)
        hist = train_gan(G, D, X, epochs=1, batch_size=16, seed=2, progress=False)
        states.append(G.state_dict())
        assert not G.training and len(hist) == 1 and hist[0]["steps"] == 2
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    torch.manual_seed(0)
    vae = ConvVAE(4, 1, 28, width=4)
    hist = train_vae(vae, X, epochs=6, batch_size=16, lr=3e-3, progress=False)
    assert not vae.training and hist[-1]["loss"] < hist[0]["loss"]
    with pytest.raises(ValueError, match="X must have shape"):
        train_gan(G, D, torch.rand(32, 3, 28, 28), progress=False)


def tiny_generator(seed=0, d=3, dtype=torch.float64):
    """g(z) = sigmoid(A z + b) as a 1x4x5 image: injective when A has full column rank."""
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(20, d, generator=g, dtype=dtype)
    b = torch.randn(20, generator=g, dtype=dtype)
    return lambda z: torch.sigmoid(z @ A.T + b).view(-1, 1, 4, 5)


def test_inversion_recovers_a_known_latent():
    gen = tiny_generator()
    z_true = torch.randn(6, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    inv = invert(gen, gen(z_true), 3, restarts=3, steps=250, lr=0.05, batch_size=4)
    assert (inv.z - z_true).norm(dim=1).max() < 1e-2
    assert inv.distance.max() < 1e-3
    torch.testing.assert_close(inv.x_rec, gen(inv.z))


def test_inversion_of_an_off_manifold_point_is_the_projection():
    """For a linear generator g(z) = G z the minimiser is the least-squares solution."""
    g_ = torch.Generator().manual_seed(1)
    G = torch.randn(12, 3, generator=g_, dtype=torch.float64)
    gen = lambda z: z @ G.T  # noqa: E731
    x = torch.randn(4, 12, generator=g_, dtype=torch.float64)
    z_ls = torch.linalg.lstsq(G, x.T).solution.T
    inv = invert(gen, x, 3, restarts=2, steps=300, lr=0.05)
    assert (inv.z - z_ls).norm(dim=1).max() < 1e-3
    torch.testing.assert_close(inv.distance, (x - z_ls @ G.T).norm(dim=1), rtol=1e-5, atol=1e-6)


def test_robustified_classifier_agrees_on_the_range():
    gen = tiny_generator()
    W = torch.randn(3, 20, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    f = lambda x: x.flatten(1) @ W.T  # noqa: E731
    ft = Robustified(f, gen, 3, restarts=3, steps=250)
    x = gen(torch.randn(5, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    assert torch.equal(ft(x).argmax(1), f(x).argmax(1))


def linear_generator(spectrum, m=30, seed=0):
    g = torch.Generator().manual_seed(seed)
    d = len(spectrum)
    U, _ = torch.linalg.qr(torch.randn(m, d, generator=g, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    W = U @ torch.diag(torch.tensor(spectrum, dtype=torch.float64)) @ V.T
    return W, (lambda z: z @ W.T + 1.0)


def test_modulus_of_a_linear_generator_is_its_spectral_norm():
    """omega(t) = ||W||_2 t exactly for g(z) = W z + c; ascent values are real distances, so the
    estimate can never exceed it, and it must come within 1e-6."""
    W, gen = linear_generator([3.0, 1.5, 1.0, 0.5, 0.2])
    ts = [0.1, 0.5, 1.0, 2.0]
    M = estimate_modulus(gen, 5, ts, n_samples=20, steps=30, failure_prob=0.1, progress=False,
                         dtype=torch.float64)
    true = 3.0 * np.array(ts)
    assert np.all(M.omega[1:] <= true * (1 + 1e-9))
    assert np.all(M.omega[1:] >= true * (1 - 1e-6))
    assert M.inverse(1.5) == pytest.approx(0.5, rel=1e-6)


def test_modulus_with_close_singular_values_still_approaches_the_norm():
    W, gen = linear_generator([2.0, 1.8, 1.0], seed=3)
    M = estimate_modulus(gen, 3, [1.0], n_samples=30, steps=80, restarts=3, failure_prob=0.2,
                         progress=False, dtype=torch.float64)
    assert 2.0 * (1 - 1e-2) <= M.omega[1] <= 2.0 * (1 + 1e-9)


def test_modulus_dominates_random_pairs_on_a_nonlinear_generator():
    """Independent check: for fresh z and random z' at distance t, ||g(z) - g(z')|| may exceed
    omega(t) only for about a failure_prob fraction of z (here: random directions, so far
    fewer)."""
    torch.manual_seed(0)
    G = DCGANGenerator(16, 1, 28, width=4).eval()
    delta = 0.1
    M = estimate_modulus(G, 16, [0.5, 1.0], n_samples=40, steps=15, failure_prob=delta,
                         progress=False)
    g = torch.Generator().manual_seed(123)
    z = torch.randn(200, 16, generator=g)
    u = torch.randn(200, 16, generator=g)
    u = u / u.norm(dim=1, keepdim=True)
    with torch.no_grad():
        for t, om in zip(M.t[1:], M.omega[1:]):
            dist = (G(z + t * u) - G(z)).flatten(1).norm(dim=1)
            assert (dist > om).float().mean() <= delta / 2
            # and the ascent beats random directions on typical points
            assert np.median(M.samples[list(M.t[1:]).index(t)]) > dist.median().item()


def test_modulus_grid_helpers():
    M = Modulus(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 1.5, 3.0]), 0.05)
    assert M(1.5) == pytest.approx(1.25) and M(4.0) == np.inf
    assert M.inverse(1.25) == pytest.approx(1.5)
    assert M.inverse(10.0) == 3.0 and M.inverse(0.0) == 0.0
    np.testing.assert_allclose(M.concave_majorant().omega, [0.0, 1.0, 2.0, 3.0])
    rng = np.random.default_rng(0)
    om = np.concatenate([[0.0], np.cumsum(rng.random(12))])
    C = Modulus(np.arange(13.0), om, 0.05).concave_majorant()
    assert np.all(C.omega >= om - 1e-12)
    assert np.all(np.diff(C.omega, 2) <= 1e-12)                   # concave
    with pytest.raises(ValueError, match="non-decreasing"):
        Modulus(np.array([0.0, 1.0]), np.array([0.0, -1.0]), 0.05)


def test_inversion_cache_reuses_exactly_what_invert_computes():
    from companion.generative.inversion import InversionCache

    gen = tiny_generator()
    x = gen(torch.randn(5, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64))
    kw = dict(restarts=2, steps=40, seed=3)
    cache = InversionCache()
    first = cache.invert(gen, x, 3, **kw)
    again = cache.invert(gen, x.clone(), 3, **kw)   # equal by value, another tensor
    assert again is first and (cache.hits, cache.misses) == (1, 1)
    fresh = invert(gen, x, 3, **kw)
    for name in ("z", "x_rec", "distance"):
        assert torch.equal(getattr(first, name), getattr(fresh, name))
    # another input, other settings, another generator: computed, never reused
    y = x.clone()
    y[0, 0, 0, 0] += 1e-12
    assert cache.invert(gen, y, 3, **kw) is not first
    assert cache.invert(gen, x, 3, restarts=2, steps=40, seed=4) is not first
    other = tiny_generator(seed=1)
    moved = cache.invert(other, x, 3, **kw)
    assert not torch.equal(moved.x_rec, first.x_rec)
    assert (cache.hits, cache.misses, len(cache)) == (1, 4, 4)


def test_robustified_with_a_shared_cache_classifies_as_without():
    from companion.generative.inversion import InversionCache

    gen = tiny_generator()
    g_ = torch.Generator().manual_seed(2)
    W1, W2 = (torch.randn(3, 20, generator=g_, dtype=torch.float64) for _ in range(2))
    kw = dict(restarts=2, steps=60, seed=1)
    x = torch.rand(6, 1, 4, 5, generator=g_, dtype=torch.float64)
    cache = InversionCache()
    logits = []
    for W in (W1, W2):
        f = lambda v, W=W: v.flatten(1) @ W.T  # noqa: E731
        shared = Robustified(f, gen, 3, cache=cache, **kw)(x)
        assert torch.equal(shared, Robustified(f, gen, 3, **kw)(x))
        logits.append(shared)
    assert (cache.hits, cache.misses) == (1, 1)   # the second classifier reused the inversion
    assert not torch.equal(logits[0], logits[1])
