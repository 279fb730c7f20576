r"""Four papers' limits read as one quantity: the share of inputs robust at a radius.

Each function returns, on a grid of radii :math:`\epsilon`, an *upper bound* on the share of
inputs whose :math:`\epsilon`-ball (in the stated norm) lies in their own class, under the
distribution the paper assumes. They differ in what they assume about the data:

* :func:`hamming_l2_share` (Dai & Gifford, Theorem 1): images uniform on the ``n x n x h``
  images of any bit depth; the L0 bound read in L2 through Lemma 6 (an L2-robust image at
  :math:`\epsilon` is L0-robust at :math:`\lfloor\epsilon^2\rfloor` channel changes, since a
  channel changes by at most 1).
* :func:`bit_depth_share` (Dai & Gifford, Theorem 3 with Lemma 18): images uniform on the
  ``b``-bit images; a class of measure :math:`\mu \le 1/2` has at most
  :math:`\Phi(\Phi^{-1}(\mu) - c)` of the space robust at L2 size
  :math:`c + 2 n\sqrt h / 2^b` (Lemmas 12-14 with Lemma 18 in place of its corollary
  :math:`2e^{-c^2/2}`).
* :func:`cube_share` (Ding et al., Theorem 2.1, first inequality, and Example 2): inputs
  uniform on :math:`[0, 1]^d`; a class of measure :math:`\mu` has at most
  :math:`1 - \Phi(\epsilon\sqrt{2\pi} + \Phi^{-1}(1 - \mu)) = \Phi(\Phi^{-1}(\mu) -
  \epsilon\sqrt{2\pi})` robust at L2 radius :math:`\epsilon`, for every :math:`\mu \in (0, 1)`.
* :func:`generator_share` (Fawzi et al., Theorem 4 with a probabilistic modulus): inputs
  :math:`g(z)`, :math:`z \sim N(0, I)`, for a generator of modulus :math:`\omega`; at most
  :math:`1 - (\text{Eq. (1) at } \omega^{-1}(\epsilon)) + \delta` of them have in-distribution
  robustness :math:`r_X > \epsilon`, hence at most that have unconstrained robustness
  :math:`r^* > \epsilon` (:math:`r^* \le r_X`).
* :func:`halfspace_linf_share` (Ding et al., Example 1): the *exact* robust share of the
  Bayes classifier for uniform inputs and the labels of a half-space, in l_inf.

The share is over all inputs of the assumed distribution, the classes counted with their
measures: :math:`\sum_k \min(\mu_k, \text{bound}_k)`. A classifier's measured robust accuracy
on real data is a different share (over the data, correct *and* robust); putting both on one
axis is the point of the synthesis chapter, and what separates them is the assumption.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from ..discrete.isoperimetry import l0_robust_fraction_bound
from . import concentration as _conc
from . import gaussian_isoperimetry as _gi

__all__ = ["check_measures", "hamming_l2_share", "bit_depth_share", "cube_share",
           "generator_share", "halfspace_linf_share", "discretisation_offset",
           "radius_at_share"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _eps(eps) -> np.ndarray:
    e = np.asarray(eps, dtype=float)
    if e.size == 0 or not np.all(np.isfinite(e)) or np.any(e < 0):
        raise ValueError(f"radii must be finite and >= 0, got {eps!r}")
    return e


def _out(v: np.ndarray, like: np.ndarray):
    return v.reshape(like.shape) if like.ndim else float(v.reshape(-1)[0])


def check_measures(measures) -> np.ndarray:
    """Class measures as a float array: each in ``[0, 1]``, summing to 1 (to 1e-6).

    Parameters
    ----------
    measures : array_like
        The share of the distribution in each class.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> check_measures([0.25, 0.75])
    array([0.25, 0.75])
    """
    m = np.asarray(measures, dtype=float).ravel()
    if m.size < 2 or np.any(m < 0) or np.any(m > 1) or abs(m.sum() - 1) > 1e-6:
        raise ValueError(f"class measures must be >= 2 values in [0, 1] summing to 1, "
                         f"got {measures!r}")
    return m


def _gaussian_interior(mu: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """``sum_k min(mu_k, Phi(Phi^{-1}(mu_k) - radius))`` over classes (rows: radii)."""
    mu = mu[mu > 0]
    r = radius.reshape(-1, 1)
    per = norm.cdf(norm.ppf(mu)[None, :] - r)
    return np.minimum(per, mu[None, :]).sum(axis=1)


def hamming_l2_share(eps, n: int, h: int = 1, measures=None):
    r"""Dai & Gifford's Theorem 1 in L2: the robust share of images of any bit depth.

    For every interesting class the robust fraction at L0 size :math:`d` is at most
    ``l0_robust_fraction_bound(d, n, h)`` (:mod:`companion.discrete.isoperimetry`); an image
    robust to L2 perturbations of size :math:`\epsilon` is robust to L0 ones of
    :math:`\lfloor\epsilon^2\rfloor` channels (Lemma 6). Summed over classes of measure at most
    1/2 the share is bounded by the same number.

    Parameters
    ----------
    eps : float or array_like
        L2 radii (images in :math:`[0, 1]^{n^2 h}`).
    n, h : int
        Image side and channels.
    measures : array_like, optional
        Class measures under the uniform distribution on images; a class above 1/2 (not
        "interesting") is bounded only by its measure. ``None``: every class at most 1/2.

    Returns
    -------
    float or numpy.ndarray
        The bound, in ``(0, 1]``, with the shape of ``eps``.

    Examples
    --------
    MNIST's size: nothing below :math:`\epsilon^2 = 18`, :math:`2/e^2` at
    :math:`\epsilon^2 = 29`:

    >>> hamming_l2_share(4.0, 28), round(hamming_l2_share(math.sqrt(29), 28), 4)
    (1.0, 0.2707)
    """
    e = _eps(eps)
    d = np.floor(e.ravel() ** 2 + 1e-9)
    per = np.asarray(l0_robust_fraction_bound(d, n, h), dtype=float)
    if measures is None:
        return _out(per, e)
    mu = check_measures(measures)
    small, big = mu[mu <= 0.5].sum(), mu[mu > 0.5].sum()
    return _out(np.minimum(small * per + big, 1.0), e)


def discretisation_offset(n: int, h: int = 1, b: int = 8) -> float:
    r"""Theorem 3's price of the grid, :math:`2 n\sqrt h / 2^b` (Lemma 12: twice a cell's
    diameter).

    Used on :doc:`/notebooks/synthesis-bounds`.

    Parameters
    ----------
    n, h, b : int
        Image side, channels and bit depth.

    Returns
    -------
    float

    Examples
    --------
    >>> discretisation_offset(28, b=8), discretisation_offset(28, b=1)
    (0.21875, 28.0)
    """
    if n < 1 or h < 1 or b < 1:
        raise ValueError(f"need n, h, b >= 1, got n={n}, h={h}, b={b}")
    return 2.0 * n * math.sqrt(h) / 2 ** b


def bit_depth_share(eps, measures, n: int, h: int = 1, b: int = 8):
    r"""Dai & Gifford's Theorem 3 (Lemma 18 form): the robust share of ``b``-bit images.

    Used on :doc:`/notebooks/synthesis-bounds`.

    A class of measure :math:`\mu_k \le 1/2` has at most
    :math:`\Phi(\Phi^{-1}(\mu_k) - c)` of all images robust at L2 size
    :math:`\epsilon = c + 2n\sqrt h/2^b`; a class above 1/2 (not "interesting") is bounded
    only by its measure. Below the offset (:math:`c \le 0`) nothing is said.

    Parameters
    ----------
    eps : float or array_like
        L2 radii.
    measures : array_like
        Class measures under the uniform distribution on images.
    n, h, b : int
        Image side, channels and bit depth.

    Returns
    -------
    float or numpy.ndarray
        The bound on the robust share, with the shape of ``eps``.

    Examples
    --------
    Two classes of measure 1/2, 8-bit MNIST-sized images, :math:`c = 1`:

    >>> round(bit_depth_share(1.21875, [0.5, 0.5], 28), 4)  # 2 Phi(-1)
    0.3173
    """
    e = _eps(eps)
    mu = check_measures(measures)
    c = np.maximum(e.ravel() - discretisation_offset(n, h, b), 0.0)
    small = mu[(mu > 0) & (mu <= 0.5)]
    big = mu[mu > 0.5].sum()
    out = (_gaussian_interior(small, c) if small.size else np.zeros_like(c)) + big
    return _out(np.minimum(out, 1.0), e)


def cube_share(eps, measures):
    r"""Ding et al.'s Theorem 2.1 (first inequality) per class: the robust share of uniform
    inputs on the cube, any dimension.

    Used on :doc:`/notebooks/synthesis-bounds`.

    Class :math:`k`'s robust points lie outside the :math:`\epsilon`-neighbourhood of the other
    classes, of measure :math:`1 - \mu_k`, whose neighbourhood has measure at least
    :math:`\Phi(\epsilon\sqrt{2\pi} + \Phi^{-1}(1 - \mu_k))`
    (:func:`companion.bounds.concentration.cube_phi_bound`). Summed over the classes this is
    Example 2 of the paper with unequal classes.

    Parameters
    ----------
    eps : float or array_like
        L2 radii.
    measures : array_like
        Class measures under the uniform distribution on the cube.

    Returns
    -------
    float or numpy.ndarray
        The bound on the robust share, with the shape of ``eps``.

    Examples
    --------
    Ten equal classes at :math:`\epsilon = 0.5`: the paper's "at least 94 %" attackable:

    >>> round(1 - cube_share(0.5, [0.1] * 10), 4)
    0.9438
    """
    e = _eps(eps)
    mu = check_measures(measures)
    # 1 - Phi(eps sqrt(2 pi) + Phi^{-1}(1 - mu)) = Phi(Phi^{-1}(mu) - eps sqrt(2 pi)); a class of
    # measure 1 (the others empty) keeps everything
    return _out(np.minimum(_gaussian_interior(mu, _SQRT_2PI * e.ravel()), 1.0), e)


def generator_share(eps, measures, modulus):
    r"""Fawzi et al.'s Theorem 4 as a robust share: of the generated inputs :math:`g(z)`, at
    most this share has in-distribution robustness :math:`r_X > \epsilon` (and so
    unconstrained robustness :math:`r^* > \epsilon`).

    Used on :doc:`/notebooks/synthesis-bounds`.

    Eq. (6) bounds :math:`P(r_X \le \epsilon)` from below by Eq. (1) at
    :math:`\eta = \omega^{-1}(\epsilon)` minus the modulus' failure probability
    (:func:`companion.bounds.image_space.theorem4_curve`); this is one minus that, in [0, 1].

    Parameters
    ----------
    eps : float or array_like
        L2 radii in image space.
    measures : array_like
        The classifier's class measures in latent space.
    modulus : companion.generative.Modulus
        The generator's (probabilistic) modulus of continuity.

    Returns
    -------
    float or numpy.ndarray
        The bound on the robust share, with the shape of ``eps``.
    """
    e = _eps(eps)
    mu = check_measures(measures)
    eta = np.asarray(modulus.inverse(e.ravel()), dtype=float)
    lower = np.clip(_gi.theorem1_bound(eta, mu) - modulus.failure_prob, 0.0, 1.0)
    return _out(1.0 - np.asarray(lower, dtype=float), e)


def halfspace_linf_share(eps, d: int, boundary: str = "diagonal"):
    r"""Ding et al.'s Example 1: the exact l_inf robust share of the Bayes classifier for
    uniform inputs on :math:`[0, 1]^d` labelled by a half-space through the centre.

    ``"diagonal"``: :math:`y = 1[\sum_i x_i > d/2]`, share :math:`1 - RR^*` with
    :math:`RR^* = P(|S_d - d/2| < d\epsilon)`
    (:func:`companion.bounds.concentration.diagonal_robust_error`); ``"coordinate"``:
    :math:`y = 1[x_1 > 1/2]`, share :math:`1 - \min(2\epsilon, 1)`.

    Parameters
    ----------
    eps : float or array_like
        l_inf radii.
    d : int
        The dimension.
    boundary : {"diagonal", "coordinate"}
        Which half-space.

    Returns
    -------
    float or numpy.ndarray
        The robust share, with the shape of ``eps``.

    Examples
    --------
    >>> round(halfspace_linf_share(0.1, 1), 4), round(halfspace_linf_share(0.1, 784), 6)
    (0.8, 0.0)
    """
    e = _eps(eps)
    if boundary == "diagonal":
        v = _conc.diagonal_robust_error(d, e.ravel(), tail=True)
    elif boundary == "coordinate":
        v = 1.0 - _conc.coordinate_robust_error(e.ravel())
    else:
        raise ValueError(f"boundary={boundary!r}; valid: 'diagonal', 'coordinate'")
    return _out(np.asarray(v, dtype=float), e)


def radius_at_share(eps, share, level: float = 0.5) -> float:
    """The smallest radius of the grid at which a non-increasing share curve is at most
    ``level`` (linear interpolation between grid points; ``inf`` if never).

    Used on :doc:`/notebooks/synthesis-bounds`, :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    eps : array_like
        Increasing radii.
    share : array_like
        The curve on ``eps``.
    level : float
        The share to reach, in ``(0, 1)``.

    Returns
    -------
    float

    Examples
    --------
    >>> radius_at_share([0, 1, 2], [1.0, 0.6, 0.2])
    1.25
    """
    e = np.asarray(eps, dtype=float)
    s = np.asarray(share, dtype=float)
    if e.shape != s.shape or e.ndim != 1 or np.any(np.diff(e) <= 0):
        raise ValueError("eps must be increasing and share of the same length")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    below = np.flatnonzero(s <= level)
    if below.size == 0:
        return math.inf
    i = int(below[0])
    if i == 0:
        return float(e[0])
    x0, x1, y0, y1 = e[i - 1], e[i], s[i - 1], s[i]
    return float(x0 + (y0 - level) * (x1 - x0) / (y0 - y1)) if y0 != y1 else float(x1)
