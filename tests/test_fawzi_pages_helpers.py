"""Tests of the helpers the analytic Fawzi et al. pages use: tail forms of the bounds of
Theorem 1 and Lemma 2, the class counts of Theorem 2, Theorem 3's threshold, and the
checkerboard's computed class measures and quantiles."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from companion.bounds import gaussian_isoperimetry as gi
from companion.bounds.latent_partitions import Checkerboard


@pytest.mark.parametrize("measures", [[0.5, 0.5], [0.2, 0.3, 0.5], [0.1] * 10, [0.0, 0.4, 0.6]])
def test_theorem1_complement_is_one_minus_eq1(measures):
    e = np.linspace(0, 3, 31)
    np.testing.assert_allclose(gi.theorem1_complement(e, measures),
                               1 - gi.theorem1_bound(e, measures), atol=1e-14)
    assert gi.theorem1_complement(0.0, measures) == pytest.approx(1.0, abs=1e-14)


def test_theorem1_complement_keeps_precision_where_eq1_rounds_to_one():
    # at eps = 12, 1 - Eq. (1) is about 2 * 1.8e-33: Eq. (1) itself is exactly 1.0 in floats
    c = gi.theorem1_complement(12.0, [0.5, 0.5])
    assert gi.theorem1_bound(12.0, [0.5, 0.5]) == 1.0
    assert c == pytest.approx(2 * norm.sf(12.0), rel=1e-12)
    assert gi.theorem1_complement(1.0, [1.0]) == pytest.approx(1.0)  # a constant classifier


def test_complements_of_eq2_and_eq3():
    e = np.array([0.0, 0.5, 2.0])
    np.testing.assert_allclose(gi.theorem1_balanced_complement(e),
                               1 - gi.theorem1_balanced_bound(e), atol=1e-15)
    np.testing.assert_allclose(gi.theorem1_equal_classes_complement(e, 10),
                               1 - gi.theorem1_equal_classes_bound(e, 10), atol=1e-15)
    assert gi.theorem1_balanced_complement(0.0) == pytest.approx(math.sqrt(math.pi / 2))
    with pytest.raises(ValueError):
        gi.theorem1_equal_classes_complement(1.0, 4)


def test_lemma2_tail_ratio_matches_the_difference_form():
    p, e = 0.8, np.array([0.1, 1.0, 3.0])
    ratio = gi.lemma2_tail_ratio(1 - p, e)
    lhs_tail = 1 - norm.cdf(norm.ppf(p) + e)
    rhs_tail = 1 - gi.lemma2_bound(p, e)
    np.testing.assert_allclose(ratio, lhs_tail / rhs_tail, rtol=1e-10)
    assert np.all(ratio <= 1)


def test_lemma2_tail_ratio_at_p_one_half_and_eps_zero_is_the_constant():
    # p = 1/2, eps = 0: (1/2) / ((1/2) sqrt(pi/2)) = sqrt(2/pi)
    assert gi.lemma2_tail_ratio(0.5, 0.0) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-14)


def test_lemma2_tail_ratio_rejects_p_below_one_half():
    with pytest.raises(ValueError):
        gi.lemma2_tail_ratio(0.6, 1.0)
    with pytest.raises(ValueError):
        gi.lemma2_tail_ratio(0.0, 1.0)


def test_lemma2_equal_classes_tail_ratio():
    K, e = np.array([5, 10, 1000]), 1.5
    ratio = gi.lemma2_equal_classes_tail_ratio(K, e)
    lhs_tail = norm.sf(norm.isf(1 / K) + e)
    rhs_tail = 1 - gi.lemma2_equal_classes_bound(K, e)
    np.testing.assert_allclose(ratio, lhs_tail / rhs_tail, rtol=1e-9)
    assert np.all(ratio <= 1)
    # Eq. (10) is Eq. (3) divided by K: the ratio is that of the complements of Eq. (1), Eq. (3)
    np.testing.assert_allclose(
        gi.lemma2_equal_classes_tail_ratio(10, e),
        gi.theorem1_complement(e, gi.equal_measures(10))
        / gi.theorem1_equal_classes_complement(e, 10), rtol=1e-12)


def test_theorem2_classes_needed_is_the_first_k_below_the_target():
    for target in (0.5, 0.3):
        K = gi.theorem2_classes_needed(target)
        assert gi.theorem2_equal_classes_bound(K) <= target
        assert gi.theorem2_equal_classes_bound(K - 1) > target
    assert gi.theorem2_classes_needed(0.8) == 2  # the K = 2 bound is sqrt(2/pi) = 0.798
    with pytest.raises(ValueError):
        gi.theorem2_classes_needed(0.01, K_max=1000)
    with pytest.raises(ValueError):
        gi.theorem2_classes_needed(0.0)


def test_theorem3_nonvacuous_eps_is_the_zero_of_the_bound():
    for delta in (0.0, 0.1, 0.3):
        eps = gi.theorem3_nonvacuous_eps(delta)
        assert gi.theorem3_bound(eps, delta) == pytest.approx(0.0, abs=1e-12)
        assert gi.theorem3_bound(eps + 0.01, delta) > 0 > gi.theorem3_bound(eps - 0.01, delta)
    with pytest.raises(ValueError):
        gi.theorem3_nonvacuous_eps(0.5)


def test_checkerboard_parity_measures_are_one_half():
    assert abs(Checkerboard.parity_mean()) < 1e-15
    for d in (1, 2, 100):
        np.testing.assert_allclose(Checkerboard(d).parity_measures(), [0.5, 0.5], atol=1e-15)


def test_checkerboard_parity_measures_agree_with_classify():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((200_000, 3))
    share = np.mean(Checkerboard(3).classify(z) == 0)
    assert abs(share - Checkerboard(3).parity_measures()[0]) < 5 * math.sqrt(0.25 / z.shape[0])


def test_checkerboard_quantile_inverts_the_cdf():
    cb = Checkerboard(10)
    for q in (0.1, 0.5, 0.9):
        eps = cb.quantile(q)
        assert cb.cdf(eps) == pytest.approx(q, abs=1e-10)
    # the fractional part is almost uniform: median close to (1 - 2^(-1/d)) / 2
    assert cb.quantile(0.5) == pytest.approx((1 - 2 ** (-1 / 10)) / 2, rel=1e-6)
    with pytest.raises(ValueError):
        cb.quantile(1.0)
