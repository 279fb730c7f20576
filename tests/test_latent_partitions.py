"""Tests of companion.latent_partitions: exact r_Z against brute-force nearest-boundary search,
exact distributions against Monte Carlo (fixed seeds, 5 standard errors) and quadrature."""
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from companion.bounds import gaussian_isoperimetry as gi
from companion.latent_partitions import (Checkerboard, RotatedSectorPair, Sectors, Slabs, empirical_cdf,
                                         sample_latent)

H = 0.004                                     # brute-force grid spacing
_g = np.arange(-1.2, 1.2 + H / 2, H)
GRID2 = np.stack(np.meshgrid(_g, _g, indexing="ij"), -1).reshape(-1, 2)   # candidate perturbations v
GRID2_NORM = np.linalg.norm(GRID2, axis=1)


def brute_force_distance(z, changed):
    """min ||v|| over the grid of v with changed(z + v) True (inf if none in the box)."""
    mask = changed(z[None, :] + GRID2)
    return GRID2_NORM[mask].min() if mask.any() else np.inf


def _points(rng, n, scale=1.5):
    return rng.uniform(-scale, scale, size=(n, 2))


def test_slabs_r_z_brute_force_1d():
    s = Slabs.equal_measure(5)
    rng = np.random.default_rng(0)
    grid = np.arange(-3, 3, 1e-4)
    for z1 in rng.uniform(-2, 2, 30):
        c = s.classify(np.array([[z1]]))[0]
        other = grid[s.classify(grid[:, None]) != c]
        assert s.r_z(np.array([[z1, 0.3]]))[0] == pytest.approx(np.abs(other - z1).min(), abs=2e-4)


@pytest.mark.parametrize("K", [2, 3, 5, 8])
def test_sectors_r_z_brute_force(K):
    sec = Sectors(K, phase=0.3)
    rng = np.random.default_rng(K)
    for z in _points(rng, 12, scale=0.8):     # ||z|| < 1.2: the nearest point lies in the grid's box
        c = sec.classify(z[None])[0]
        bf = brute_force_distance(z, lambda y: sec.classify(y) != c)
        assert sec.r_z(z[None])[0] == pytest.approx(bf, abs=1.5 * H)


def test_checkerboard_r_z_brute_force_2d():
    cb = Checkerboard(2)
    rng = np.random.default_rng(5)
    for z in _points(rng, 15, scale=2.5):
        c = cb.classify(z[None])[0]
        bf = brute_force_distance(z, lambda y: cb.classify(y) != c)
        assert cb.r_z(z[None])[0] == pytest.approx(bf, abs=1.5 * H)


@pytest.mark.parametrize("K, theta", [(2, 0.4), (2, 1.2), (3, 0.5), (4, 0.2)])
def test_shared_distance_brute_force(K, theta):
    pair = RotatedSectorPair(K, theta)
    rng = np.random.default_rng(int(10 * theta) + K)
    # for K = 2 the target set of a point where f and h disagree is a wedge of angle theta whose apex
    # (the origin) may be the nearest point: the grid only gets within about H / sin(theta / 2) of it
    tol = 1.5 * H / math.sin(theta / 2) if K == 2 else 1.5 * H
    for z in _points(rng, 12, scale=0.8):
        cf, ch = pair.f.classify(z[None])[0], pair.h.classify(z[None])[0]
        bf = brute_force_distance(z, lambda y: (pair.f.classify(y) != cf) & (pair.h.classify(y) != ch))
        assert pair.shared_distance(z[None])[0] == pytest.approx(bf, abs=tol)


def test_rotation_zero_reduces_to_single_classifier():
    z = sample_latent(np.random.default_rng(3), 1000, 2)
    pair = RotatedSectorPair(3, 0.0)
    np.testing.assert_allclose(pair.shared_distance(z), pair.f.r_z(z), atol=1e-12)
    assert pair.delta == 0


def _within_5se(samples, eps, exact):
    p, se = empirical_cdf(samples, eps)
    se = np.maximum(se, 1 / len(samples))
    assert np.all(np.abs(p - exact) <= 5 * se), (p, exact)


def test_exact_cdfs_and_means_match_monte_carlo():
    rng = np.random.default_rng(7)
    z = sample_latent(rng, 100_000, 3)
    eps = np.array([0.05, 0.2, 0.5, 1.0, 2.0])
    for part in [Slabs([0.0]), Slabs([-0.5, 0.3, 1.1]), Slabs.equal_measure(10), Sectors(2), Sectors(3),
                 Sectors(10)]:
        r = part.r_z(z)
        _within_5se(r, eps, part.cdf(eps))
        assert abs(r.mean() - part.mean()) < 5 * r.std() / math.sqrt(r.size)
        freq = np.bincount(part.classify(z), minlength=part.K) / len(z)
        m = part.measures
        assert np.all(np.abs(freq - m) < 5 * np.sqrt(m * (1 - m) / len(z)))
    for pair in [RotatedSectorPair(2, 0.3), RotatedSectorPair(4, 0.25)]:
        _within_5se(pair.shared_distance(z), eps, pair.cdf(eps))
        dis = np.mean(~pair.agree(z))
        assert abs(dis - pair.delta) < 5 * math.sqrt(pair.delta * (1 - pair.delta) / len(z))


def test_half_space_equalities():
    eps = np.linspace(0, 4, 9)
    closed = 2 * norm.cdf(eps) - 1
    np.testing.assert_allclose(Slabs([0.0]).cdf(eps), closed, atol=1e-14)
    np.testing.assert_allclose(Sectors(2).cdf(eps), closed, atol=1e-9)
    assert Slabs([0.0]).mean() == pytest.approx(math.sqrt(2 / math.pi), abs=1e-14)
    assert Sectors(2).mean() == pytest.approx(math.sqrt(2 / math.pi), abs=1e-14)


def test_slab_mean_equals_integrated_tail():
    s = Slabs([-0.7, 0.1, 0.4, 2.0])
    ref = integrate.quad(lambda e: 1 - s.cdf(e), 0, np.inf, epsabs=1e-11, limit=200)[0]
    assert s.mean() == pytest.approx(ref, abs=1e-8)


def test_sectors_mean_equals_integrated_tail():
    sec = Sectors(6)
    ref = integrate.quad(lambda e: 1 - sec.cdf(e), 0, 30, epsabs=1e-10, limit=200)[0]
    assert sec.mean() == pytest.approx(ref, abs=1e-7)


def test_linear_partitions_satisfy_eq1_and_strictly_for_three_classes():
    eps = np.linspace(0.01, 3, 50)
    for part in [Slabs.equal_measure(3), Slabs.equal_measure(10), Sectors(3), Sectors(10), Slabs([0.8])]:
        assert np.all(part.cdf(eps) >= gi.theorem1_bound(eps, part.measures) - 1e-12)
    # a two-class affine partition attains Eq. (1); three slabs do not (the middle class is no half-space)
    np.testing.assert_allclose(Slabs([0.8]).cdf(eps), gi.theorem1_bound(eps, Slabs([0.8]).measures), atol=1e-13)
    assert np.min(Slabs.equal_measure(3).cdf(eps[:20]) - gi.theorem1_bound(eps[:20], gi.equal_measures(3))) > 1e-3


def test_checkerboard_measures_exact_by_cell_enumeration():
    for d in [1, 2, 3]:
        cells = np.stack(np.meshgrid(*[np.arange(-12, 12)] * d, indexing="ij"), -1).reshape(-1, d)
        mass = np.prod(norm.cdf(cells + 1) - norm.cdf(cells), axis=1)
        even = mass[cells.sum(axis=1) % 2 == 0].sum()
        assert even == pytest.approx(0.5, abs=1e-12)


def test_checkerboard_exact_cdf():
    # d = 1: P(dist(z, Z) <= eps) by quadrature of the density over the integer neighbourhoods
    eps = 0.13
    ref = sum(integrate.quad(norm.pdf, j - eps, j + eps)[0] for j in range(-12, 13))
    assert Checkerboard(1).cdf(eps) == pytest.approx(ref, abs=1e-10)
    cb = Checkerboard(20)
    e = np.array([0.0, 0.005, 0.02, 0.05, 0.2, 0.5])
    r = cb.r_z_samples(np.random.default_rng(11), 50_000, chunk_entries=100_000)
    _within_5se(r, e, cb.cdf(e))
    assert cb.cdf(0.5) == 1.0 and cb.cdf(0.0) == 0.0
    # the paper's Eq. (4) is a valid lower bound
    assert np.all(cb.cdf(e) >= gi.checkerboard_bound(e, 20) - 1e-12)


def test_invalid_inputs():
    with pytest.raises(ValueError, match="increasing"):
        Slabs([1.0, 0.0])
    with pytest.raises(ValueError, match="K must be"):
        Sectors(1)
    with pytest.raises(ValueError, match="theta"):
        RotatedSectorPair(4, 2.0)
    with pytest.raises(ValueError, match="shape"):
        Sectors(3).r_z(np.zeros(5))
    with pytest.raises(ValueError, match="d=3"):
        Checkerboard(3).r_z(np.zeros((2, 4)))


def test_theorem3_bounds_on_rotated_sectors():
    eps = np.linspace(0, 4, 41)
    for K, delta in [(2, 0.05), (2, 0.2), (4, 0.05), (4, 0.2), (6, 0.1)]:
        pair = RotatedSectorPair(K, delta * 2 * math.pi / K)
        assert pair.delta == pytest.approx(delta)
        exact = pair.cdf(eps)
        general = gi.theorem3_general_bound(eps, pair.outside_measures, pair.delta)
        assert np.all(exact >= general - 1e-9)
        if gi.theorem3_assumption_holds(pair.f.measures, pair.delta):
            assert np.all(general >= gi.theorem3_bound(eps, pair.delta) - 1e-12)
    # without the assumption the printed bound can fail: f = h = an unbalanced half-space (delta = 0)
    f = Slabs([-2.0])
    assert not gi.theorem3_assumption_holds(f.measures, 0.0)
    assert f.cdf(2.0) < gi.theorem3_bound(2.0, 0.0) - 0.3
    assert f.cdf(2.0) >= gi.theorem3_general_bound(2.0, 1 - f.measures, 0.0) - 1e-12
