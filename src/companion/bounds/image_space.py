"""Fawzi et al.'s bounds read on a trained generator: quantiles and means of ``r_Z`` and ``r_X``.

Theorem 1 bounds a quantile of the latent robustness ``r_Z`` by the ``eps`` where Eq. (1)
reaches it; Theorems 4 and 5 carry the bounds to the image space through the generator's
(probabilistic) modulus of continuity ``omega`` (footnote 6 of the paper), paying its failure
probability. These functions take the class measures of a classifier and a
:class:`~companion.generative.Modulus`; :mod:`companion.bounds.gaussian_isoperimetry` holds the
bounds themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..generative import Modulus
from . import gaussian_isoperimetry as gi

__all__ = ["Theorem4Curve", "image_mean_bound", "image_quantile_bound", "latent_quantile_bound",
           "modulus_with_failure", "theorem4_curve"]


def latent_quantile_bound(measures, q: float = 0.25) -> float:
    """Theorem 1: the ``q``-quantile of ``r_Z`` is at most the ``eps`` where Eq. (1) reaches
    ``q``."""
    return gi.theorem1_quantile(q, measures)


def image_quantile_bound(measures, modulus, q: float = 0.25) -> float:
    """Theorem 4 with a probabilistic modulus (footnote 6): the ``q``-quantile of ``r_X`` is at
    most ``omega(eps)`` where Eq. (1) reaches ``q + failure_prob``.

    Where ``||g(z + r) - g(z)|| <= omega(||r||)`` fails (probability at most ``failure_prob``
    over ``z``), the event ``r_Z <= eps`` may not imply ``r_X <= omega(eps)``; asking Eq. (1) for
    ``q + failure_prob`` accounts for it.
    """
    eps = gi.theorem1_quantile(q + modulus.failure_prob, measures)
    return float(modulus(eps))


def image_mean_bound(measures, modulus, diameter: float) -> float:
    """Theorem 5: ``E r_X <= omega(E-bound of Theorem 2)`` for a concave ``omega``.

    Used on :doc:`/notebooks/fawzi-theorems4-5`.

    We use the concave majorant of the estimated modulus (larger, so the bound stays valid).
    The estimated modulus may fail with probability ``failure_prob`` over ``z``; there ``r_X`` is
    still at most the ``diameter`` of the image space (``sqrt(m)`` for images in [0, 1]^m), which
    adds ``failure_prob * diameter`` to the bound.
    """
    core = float(modulus.concave_majorant()(gi.theorem2_bound(measures)))
    return core + modulus.failure_prob * float(diameter)


@dataclass
class Theorem4Curve:
    """Eq. (6) against the measured distribution of ``r_X`` on a grid of ``eps``.

    ``bound``: the lower bound of Eq. (6) on ``P(r_X <= eps)`` with the modulus' failure
    probability subtracted (clipped to [0, 1]); ``ecdf``: the empirical ``P(r_X <= eps)`` of
    the measured values, ``se`` its standard error (at least that of one sample in ``n``).
    """

    eps: np.ndarray
    bound: np.ndarray
    ecdf: np.ndarray
    se: np.ndarray

    @property
    def informative(self) -> np.ndarray:
        """Where the bound says something: ``eps > 0`` and a bound above 0 (at ``eps = 0``
        both sides are 0, and a comparison there is trivially passed)."""
        return (self.eps > 0) & (self.bound > 0)

    def worst(self, k: float = 3.0) -> int:
        """Index of the informative ``eps`` where ``(ecdf + k se) / bound`` is smallest: where
        the measured distribution comes closest to the bound relative to it.

        The bound is violated somewhere (``ecdf + k se < bound``) exactly when this ratio is
        below 1 at the returned index, so the check there fails whenever it fails anywhere;
        the relative distance avoids reporting the small ``eps`` where both sides are nearly 0.
        Raises ``ValueError`` when the bound is 0 on the whole grid (nothing to check).
        """
        idx = np.flatnonzero(self.informative)
        if idx.size == 0:
            raise ValueError("Eq. (6) is 0 on the whole grid of eps: extend the grid")
        return int(idx[np.argmin((self.ecdf[idx] + k * self.se[idx]) / self.bound[idx])])


def theorem4_curve(measures, modulus: Modulus, r_X, eps) -> Theorem4Curve:
    """Eq. (6) (Theorem 4 with a probabilistic modulus) next to the measured ``r_X``.

    Used on :doc:`/notebooks/fawzi-theorems4-5`.

    Parameters
    ----------
    measures : array
        Class measures ``nu(C_i)`` of the classifier in latent space.
    modulus : Modulus
        The generator's (probabilistic) modulus of continuity.
    r_X : array
        Measured in-distribution robustness at latent samples (``inf`` for failed attacks).
    eps : array
        Image-space perturbation norms.
    """
    eps = np.asarray(eps, dtype=float)
    r_X = np.asarray(r_X, dtype=float)
    bound = np.clip(gi.theorem1_bound(modulus.inverse(eps), measures) - modulus.failure_prob,
                    0.0, 1.0)
    ecdf = np.array([np.mean(r_X <= e) for e in eps])
    n = len(r_X)
    se = np.sqrt(np.maximum(ecdf * (1 - ecdf), 1.0 / n) / n)
    return Theorem4Curve(eps, bound, ecdf, se)


def modulus_with_failure(modulus: Modulus, failure_prob: float) -> Modulus:
    """The same ascent maxima read at another failure probability ``delta`` (the rule of
    :func:`companion.generative.estimate_modulus`: the ``1 - delta`` quantile, next order
    statistic above, made non-decreasing).

    Used on :doc:`/notebooks/fawzi-theorems4-5`.
    """
    if modulus.samples is None:
        raise ValueError("this modulus keeps no ascent samples")
    if not 0 <= failure_prob < 1:
        raise ValueError(f"failure_prob must be in [0, 1), got {failure_prob}")
    q = np.quantile(modulus.samples, 1 - failure_prob, axis=1, method="higher")
    omega = np.concatenate([[0.0], np.maximum.accumulate(q)])
    return Modulus(modulus.t, omega, failure_prob, modulus.samples)
