"""The symmetric and asymmetric model pairs of Richardson & Weiss (Section 2.3, Appendix B.2).

* :func:`make_symmetric`: every noise standard deviation forced to ``sigma`` (0.01) and the
  component weights made equal: the conditions of Theorem 2 (the Bayes-optimal classifier is
  robust, up to half the distance between the classes' subspaces).
* :func:`make_asymmetric`: one isotropic "outlier" component added to each class, at the global
  data mean plus or minus a step along a low-variance principal direction: the conditions of
  Theorem 3 (almost every point is close to the decision boundary).

Throughout, ``sigma`` is a *standard deviation* (as in the paper and in the authors' code, whose
``D`` holds per-pixel standard deviations); :class:`~companion.mixtures.MFA` stores variances,
``sigma ** 2``.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

import torch

from .mfa import DTYPE, MFA, WEIGHT_EPS, ArrayLike, check_data, check_sigma

__all__ = ["AsymmetricPair", "make_asymmetric", "make_symmetric", "principal_direction"]


def make_symmetric(mfa: MFA, sigma: float = 0.01) -> MFA:
    """The symmetric version of a fitted model: ``D = sigma^2 I`` everywhere, equal weights.

    Appendix B.2 states only the first part ("we simply fixed all noise variance values in D
    to a small value (sigma = 0.01)"); the equal weights follow the authors' code
    (``eitanrich/bayes-optimal-adv-examples``, ``mfa_classifier.py``: ``force_sigma`` sets every
    per-pixel noise standard deviation to 0.01 and ``force_uniform_mixture`` sets every weight
    above ``1e-10`` to one over their number). As there, "padding" components (weight
    ``<= 1e-10``) are not revived: they get weight 0 here.

    Parameters
    ----------
    mfa:
        A fitted :class:`~companion.mixtures.MFA`; loadings and means are kept.
    sigma:
        The noise *standard deviation* (> 0); the variances become ``sigma ** 2``.

    Examples
    --------
    >>> m = MFA([0.25, 0.75], [[0.0, 0.0], [1.0, 1.0]], [[[1.0], [0.0]], [[0.0], [1.0]]],
    ...         [[0.5, 0.2], [0.1, 0.3]])
    >>> s = make_symmetric(m, sigma=0.5)
    >>> s.weights.tolist(), s.noise.tolist()
    ([0.5, 0.5], [[0.25, 0.25], [0.25, 0.25]])
    """
    sigma = check_sigma(sigma)
    live = mfa.weights > WEIGHT_EPS
    weights = live.to(DTYPE) / live.sum()
    return mfa.replace(weights=weights, noise=torch.full_like(mfa.noise, sigma ** 2))


class AsymmetricPair(NamedTuple):
    """What :func:`make_asymmetric` returns; ``mfa0, mfa1 = pair[:2]``."""

    mfa0: MFA                #: class 0 plus its outlier at ``mean + step * direction``
    mfa1: MFA                #: class 1 plus its outlier at ``mean - step * direction``
    mean: torch.Tensor       #: the global data mean ``(d,)``
    direction: torch.Tensor  #: unit eigenvector of the ``rank``-th largest PCA eigenvalue
    step: float              #: distance of each outlier mean from ``mean``
    eigenvalue: float        #: the ``rank``-th largest eigenvalue of the data covariance


def principal_direction(X_all: ArrayLike, rank: int = 50):
    """Global mean, the unit eigenvector of the ``rank``-th largest eigenvalue, the eigenvalue.

    The covariance is the maximum-likelihood one (divided by ``N``), in float64; the sign of the
    eigenvector is fixed (its largest-magnitude entry is positive), so "plus" is reproducible.

    Examples
    --------
    >>> X = torch.tensor([[3.0, 0.0], [-3.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> mean, v, lam = principal_direction(X, rank=2)
    >>> v.tolist(), lam
    ([0.0, 1.0], 0.5)
    """
    X = check_data(X_all, "X_all")
    n, d = X.shape
    if int(rank) != rank or not 1 <= rank <= d:
        raise ValueError(f"rank must be an integer in 1..{d} (the data dimension), got {rank}")
    mean = X.mean(0)
    y = X - mean
    lam, vecs = torch.linalg.eigh(y.T @ y / n)
    i = d - int(rank)                                  # eigh sorts ascending
    v = vecs[:, i]
    v = v * torch.sign(v[v.abs().argmax()])
    return mean, v, float(lam[i])


def make_asymmetric(mfa_pair: Sequence[MFA], X_all: ArrayLike, step: Optional[float] = None,
                    outlier_weight: Optional[float] = None, sigma: float = 0.5, *,
                    rank: int = 50) -> AsymmetricPair:
    """The asymmetric version of a pair of class models: one outlier component added per class.

    Appendix B.2: the outliers are "equal to the dataset global mean plus changes along a
    direction of low-variance": the eigenvector ``v`` of the 50th largest eigenvalue of a PCA of
    the whole data set, in the positive direction for one class and the negative for the other,
    with ``A = 0`` and ``sigma = 0.5``: isotropic Gaussians with a much larger noise than the
    other components. The paper gives neither the step nor the outliers' weight:

    * ``step=None`` (default) takes ``sqrt(eigenvalue)``, one standard deviation of the data
      along ``v``. The authors' released outlier files (``models/mnist/outlier_{06,27,45}.pkl``
      in ``eitanrich/bayes-optimal-adv-examples``, each a mean, a unit direction and a step)
      hold steps 0.341, 0.374 and 0.384 on MNIST in [0, 1]; the square root of the 50th
      eigenvalue of the same class pairs in the book's 8,004-image MNIST subset is 0.346, 0.379
      and 0.381: within 2 %.
    * ``outlier_weight=None`` (default) gives each outlier weight ``1 / (K + 1)`` and scales the
      class's other weights by ``K / (K + 1)``: the outlier is one more component of a uniform
      mixture, as in the symmetric construction. The weight moves the decision function by only
      ``log`` of its value (a few nats), against off-manifold quadratic terms of thousands of
      nats, so the attack norms depend little on it: on Fashion-MNIST classes 0 and 6 (K = 10,
      l = 6, symmetric base models, ``benchmarks/mfa_benchmark.py``) the median norm of
      :func:`~companion.mixtures.gradient_attack` is 0.513 with weight 1/11 and 0.514 with
      0.01.

    Parameters
    ----------
    mfa_pair:
        ``(mfa0, mfa1)``, the two class models (the fitted ones, as in the paper, or the
        symmetric ones); same data and latent dimension.
    X_all:
        ``(N, d)`` data of both classes together, for the mean and the PCA.
    step, outlier_weight:
        See above; ``step >= 0``, ``0 < outlier_weight < 1``.
    sigma:
        The outliers' noise *standard deviation* (variance ``sigma ** 2``).
    rank:
        Which eigenvalue (1 = the largest); 50 in the paper.
    """
    if len(mfa_pair) != 2:
        raise ValueError(f"mfa_pair must hold two MFA models (class 0, class 1), got "
                         f"{len(mfa_pair)}")
    m0, m1 = mfa_pair
    if not (isinstance(m0, MFA) and isinstance(m1, MFA)):
        raise ValueError("mfa_pair must hold two companion.mixtures.MFA models")
    if (m0.dim, m0.latent_dim) != (m1.dim, m1.latent_dim):
        raise ValueError(f"the two models must share d and l, got (d, l) = "
                         f"{(m0.dim, m0.latent_dim)} and {(m1.dim, m1.latent_dim)}")
    sigma = check_sigma(sigma)
    X = check_data(X_all, "X_all")
    if X.shape[1] != m0.dim:
        raise ValueError(f"X_all must have d = {m0.dim} features, got {X.shape[1]}")
    mean, v, lam = principal_direction(X, rank)
    if step is None:
        step = math.sqrt(max(lam, 0.0))
    step = float(step)
    if not (math.isfinite(step) and step >= 0):
        raise ValueError(f"step must be a finite distance >= 0, got {step}")
    if outlier_weight is not None and not 0 < float(outlier_weight) < 1:
        raise ValueError(f"outlier_weight must be in (0, 1) or None for 1 / (K + 1), got "
                         f"{outlier_weight}")
    out = []
    for m, sign in ((m0, 1.0), (m1, -1.0)):
        w = 1.0 / (m.n_components + 1) if outlier_weight is None else float(outlier_weight)
        centre = (mean + sign * step * v).to(m.means)
        out.append(MFA(torch.cat([m.weights * (1 - w), m.weights.new_tensor([w])]),
                       torch.cat([m.means, centre[None]]),
                       torch.cat([m.loadings, m.loadings.new_zeros(1, m.dim, m.latent_dim)]),
                       torch.cat([m.noise, m.noise.new_full((1, m.dim), sigma ** 2)])))
    return AsymmetricPair(out[0], out[1], mean, v, step, lam)
