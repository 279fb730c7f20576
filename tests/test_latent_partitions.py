"""Tests of companion.bounds.latent_partitions: exact r_Z against brute-force nearest-boundary search,
exact distributions against Monte Carlo (fixed seeds, 5 standard errors) and quadrature."""
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from companion.bounds import gaussian_isoperimetry as gi
from companion.bounds.latent_partitions import (Checkerboard, RotatedSectorPair, Sectors, Slabs, empirical_cdf, map_latent,
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


# ------------------------------------------------------------------ input handling, edge cases, exact values
def test_sampling_and_chunking_give_one_stream():
    z = sample_latent(np.random.default_rng(4), 10, 3)
    assert z.shape == (10, 3)
    for chunk in (1, 6, 9, 30, 2_000_000):              # chunks of 1 (one row at a time), 2, 3 (+ 1), 10 rows
        got = map_latent(np.random.default_rng(4), 10, 3, lambda x: x[:, 0] - 2 * x[:, 2], chunk_entries=chunk)
        np.testing.assert_array_equal(got, z[:, 0] - 2 * z[:, 2])
    assert sample_latent(np.random.default_rng(0), 1, 1).shape == (1, 1)
    assert map_latent(np.random.default_rng(0), 1, 1, lambda x: x[:, 0]).shape == (1,)
    cb = Checkerboard(3)
    np.testing.assert_array_equal(cb.r_z_samples(np.random.default_rng(2), 7),
                                  cb.r_z(sample_latent(np.random.default_rng(2), 7, 3)))
    for n, d in ((0, 2), (2, 0)):
        for f in (lambda: sample_latent(np.random.default_rng(0), n, d),
                  lambda: map_latent(np.random.default_rng(0), n, d, lambda x: x[:, 0])):
            with pytest.raises(ValueError, match=r"need n >= 1 samples and dimension d >= 1"):
                f()


def test_empirical_cdf_counts_ties_and_its_standard_error():
    p, se = empirical_cdf([1.0, 1.0, 2.0, 0.5], [0.0, 1.0, 1.5, 2.0])
    np.testing.assert_array_equal(p, [0.0, 0.75, 0.75, 1.0])        # P(r <= eps): ties count
    np.testing.assert_allclose(se, np.sqrt(p * (1 - p) / 4), rtol=1e-15)
    assert se[1] == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    p, se = empirical_cdf([0.5], [0.0, 1.0])                         # a single sample
    assert p.tolist() == [0.0, 1.0] and se.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match=r"^empirical_cdf needs at least one sample$"):
        empirical_cdf([], [0.5])


def test_eps_validation_and_scalar_results():
    parts = [Slabs([0.0]), Sectors(3), Checkerboard(2), RotatedSectorPair(2, 0.3)]
    for part in parts:
        for bad in (-0.1, np.nan):
            with pytest.raises(ValueError, match=r"eps must be >= 0"):
                part.cdf(bad)
        assert type(part.cdf(0.4)) is float
        assert part.cdf(np.array([0.1, 0.4])).shape == (2,)
    assert type(Checkerboard.inner_mass(0.2)) is float
    assert Checkerboard.inner_mass(0.7) == 0.0 and Checkerboard(2).cdf(0.7) == 1.0   # past 1/2: always fooled
    np.testing.assert_array_equal(Checkerboard.inner_mass(np.array([0.6, 2.0])), [0.0, 0.0])


def test_rayleigh_cdf_is_the_law_of_a_scaled_2d_gaussian_norm():
    import warnings
    from scipy.stats import rayleigh

    from companion.bounds.latent_partitions import _rayleigh_cdf

    eps = np.array([0.0, 0.3, 1.0, 2.5])
    for scale in (0.5, 1.0, 3.0):
        np.testing.assert_allclose(_rayleigh_cdf(eps, scale), rayleigh.cdf(eps / scale), rtol=1e-12, atol=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _rayleigh_cdf(np.array([1.0]), np.array([0.0]))[0] == 1.0   # a point mass at 0


def test_slabs_validation_ties_and_asymmetric_boundaries():
    assert Slabs([0.0]).K == 2 and Slabs([-1, 0, 2]).K == 4
    for bad in ([], [0.0, np.inf], [0.0, 0.0], [1.0, 0.0]):
        with pytest.raises(ValueError, match="non-empty, finite, strictly increasing"):
            Slabs(bad)
    s = Slabs([0.3, 1.0])
    z = np.array([[0.3], [1.0], [-2.0], [0.5]])                       # two points exactly on boundaries
    np.testing.assert_array_equal(s.classify(z), [1, 2, 0, 1])       # class k is b_k <= z_1 < b_{k+1}
    np.testing.assert_allclose(s.r_z(z), [0.0, 0.0, 2.3, 0.2], atol=1e-15)
    assert Slabs.equal_measure(2).boundaries.tolist() == [0.0]
    for K in (1, 2.5):
        with pytest.raises(ValueError, match=r"^K must be an integer >= 2"):
            Slabs.equal_measure(K)


def test_sectors_and_checkerboard_classes():
    sec = Sectors(4)
    # just below angle 0: the angle mod 2 pi rounds to 2 pi, still the last sector
    z = np.array([[1.0, -1e-300], [1.0, 1e-9], [-1.0, 0.5], [0.0, -1.0]])
    np.testing.assert_array_equal(sec.classify(z), [3, 0, 1, 3])
    cb = Checkerboard(2)
    z = np.array([[0.5, 0.5], [1.5, 0.2], [-0.5, 0.5], [-1.5, -2.5], [2.2, 3.7]])
    want = [(math.floor(a) + math.floor(b)) % 2 for a, b in z]
    got = cb.classify(z)
    assert got.dtype.kind == "i" and got.tolist() == want
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match=r"^dimension d must be an integer >= 1"):
            Checkerboard(bad)


def test_checkerboard_mean_by_direct_integration():
    # d = 1: E dist(z, Z) = sum_j int_j^{j+1} min(t - j, j + 1 - t) phi(t) dt
    ref = sum(integrate.quad(lambda t, j=j: min(t - j, j + 1 - t) * norm.pdf(t), j, j + 1, epsabs=1e-14)[0]
              for j in range(-10, 10))
    assert Checkerboard(1).mean() == pytest.approx(ref, abs=1e-11)
    # d = 3: int_0^{1/2} q(eps)^3 with q written with math.erf, by Simpson's rule
    Phi = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    q = lambda e: sum(Phi(j + 1 - e) - Phi(j + e) for j in range(-10, 10))  # noqa: E731
    e = np.linspace(0, 0.5, 2001)
    y = np.array([q(x) ** 3 for x in e])
    simpson = (e[1] - e[0]) / 3 * (y[0] + y[-1] + 4 * y[1:-1:2].sum() + 2 * y[2:-1:2].sum())
    assert Checkerboard(3).mean() == pytest.approx(simpson, abs=1e-10)


def test_checkerboard_quantile_needs_a_probability():
    for q in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match=r"^q must be a probability in \(0, 1\)"):
            Checkerboard(3).quantile(q)


def test_rotated_pair_at_a_full_sector_and_scalar_distances():
    pair = RotatedSectorPair(4, math.pi / 2)               # h is f relabelled: they disagree everywhere
    assert pair.delta == pytest.approx(1.0)
    z = sample_latent(np.random.default_rng(8), 500, 2)
    assert not pair.agree(z).any()
