"""Section 3 of Dai & Gifford: line drawings as small perturbations that carry meaning
(Fig. 2), and the typical distance between images (Eq. (1), Appendix A.5).

* :func:`parachute_mask` draws a parachute (canopy, suspension lines, a stick figure) with
  one-pixel lines on an ``n x n`` grid: its number of pixels grows linearly in ``n``.
* :func:`overlay` paints the drawing black on an image; :func:`perturbation_sizes` gives the
  L0 (channels), L1 and L2 sizes of the change, channel values scaled to ``[0, 1]``.
* :func:`k_bp` is the exact constant ``k_{b,p} = E|X - Y|^max(1,p)`` of Appendix A.5, for
  ``X, Y`` independent uniform on the ``2^b`` levels, as a fraction.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["parachute_mask", "overlay", "perturbation_sizes", "k_bp", "typical_distance_power",
           "typical_distance_lower", "mc_typical_distance"]


def parachute_mask(n: int) -> np.ndarray:
    """Boolean ``(n, n)`` mask of a one-pixel-wide parachute line drawing.

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.

    Parameters
    ----------
    n : int
        The image side, at least 32 pixels.

    Returns
    -------
    numpy.ndarray
        The mask (bool), ``True`` on the drawing's pixels.

    Examples
    --------
    The number of pixels grows linearly in ``n`` (the image has ``n^2``):

    >>> int(parachute_mask(64).sum()), int(parachute_mask(128).sum())
    (213, 434)
    """
    from skimage.draw import circle_perimeter, ellipse_perimeter, line

    if n < 32:
        raise ValueError(f"parachute_mask needs n >= 32 pixels to be legible, got {n}")
    m = np.zeros((n, n), bool)
    cy, cx, R = int(0.35 * n), n // 2, int(0.28 * n)
    rr, cc = ellipse_perimeter(cy, cx, int(0.6 * R), R, shape=m.shape)
    keep = rr <= cy                                            # upper half: the canopy
    m[rr[keep], cc[keep]] = True
    m[cy, cx - R:cx + R + 1] = True                            # canopy rim
    for k in range(1, 4):                                      # canopy panels
        x = cx - R + k * R // 2
        m[line(cy, x, cy - int(0.45 * R), cx)[0], line(cy, x, cy - int(0.45 * R), cx)[1]] = True
    hy = int(0.72 * n)                                         # harness point
    for x in (cx - R, cx - R // 2, cx + R // 2, cx + R):       # suspension lines
        r_, c_ = line(cy, x, hy, cx)
        m[r_, c_] = True
    hr = max(2, n // 40)                                       # the jumper: head, body, limbs
    r_, c_ = circle_perimeter(hy + hr, cx, hr, shape=m.shape)
    m[r_, c_] = True
    body_top, body_bot = hy + 2 * hr, min(n - 3, hy + 2 * hr + n // 12)
    m[line(body_top, cx, body_bot, cx)] = True
    for dx in (-1, 1):
        m[line(body_top + 2, cx, body_top + n // 30, cx + dx * n // 25)] = True
        m[line(body_bot, cx, min(n - 1, body_bot + n // 20), cx + dx * n // 30)] = True
    return m


def overlay(image: np.ndarray, mask: np.ndarray, value: float = 0.0) -> np.ndarray:
    """The image with the drawing painted in ``value`` (all channels) where ``mask`` is set.

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.

    Parameters
    ----------
    image : numpy.ndarray
        An image ``(n, n)`` or ``(n, n, h)``, values in ``[0, 1]``.
    mask : numpy.ndarray
        A boolean ``(n, n)`` mask.
    value : float
        The value painted (0: black).

    Returns
    -------
    numpy.ndarray
        A new float image; ``image`` is left unchanged.

    Examples
    --------
    >>> overlay(np.ones((2, 2)), np.array([[True, False], [False, False]]))
    array([[0., 1.],
           [1., 1.]])
    """
    out = np.array(image, dtype=float, copy=True)
    if out.shape[:2] != mask.shape:
        raise ValueError(f"mask shape {mask.shape} does not match image {out.shape[:2]}")
    out[mask] = value
    return out


def perturbation_sizes(a: np.ndarray, b: np.ndarray) -> dict:
    """L0 (number of channels changed), L1 and L2 sizes of ``b - a`` (values in [0, 1]).

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.

    Parameters
    ----------
    a, b : numpy.ndarray
        Two images of the same shape.

    Returns
    -------
    dict
        ``{"L0": int, "L1": float, "L2": float}``.

    Examples
    --------
    Two channels changed, by 1/2 and 1: L1 = 1.5, L2 = sqrt(1/4 + 1):

    >>> perturbation_sizes(np.zeros((2, 2)), np.array([[0, 0.5], [1, 0]]))
    {'L0': 2, 'L1': 1.5, 'L2': 1.118033988749895}
    """
    d = np.abs(np.asarray(b, float) - np.asarray(a, float)).reshape(-1)
    return {"L0": int(np.count_nonzero(d)), "L1": float(d.sum()),
            "L2": float(np.sqrt((d * d).sum()))}


def k_bp(b: int, p: int) -> Fraction:
    """``k_{b,p} = E|X - Y|^max(1,p)`` for independent uniform ``X, Y`` on the channel values.

    Used on :doc:`/notebooks/dai-gifford-line-drawings`, :doc:`/notebooks/dai-gifford-paper`.

    The values are ``{0, 1/(q-1), ..., 1}`` with ``q = 2^b``; ``p = 0`` gives
    ``Pr(X != Y) = 1 - 1/q`` (the L0 case).

    Parameters
    ----------
    b : int
        The bit depth.
    p : int
        The norm (0 for L0).

    Returns
    -------
    fractions.Fraction
        The exact constant.

    Examples
    --------
    One bit: ``X != Y`` with probability 1/2, and ``|X - Y|`` is then 1. Two bits (levels
    0, 1/3, 2/3, 1): ``E|X - Y| = 5/12`` and ``E|X - Y|^2 = 5/18``:

    >>> k_bp(1, 0), k_bp(1, 2), k_bp(2, 1), k_bp(2, 2)
    (Fraction(1, 2), Fraction(1, 2), Fraction(5, 12), Fraction(5, 18))
    """
    q = 2 ** b
    if p == 0:
        return Fraction(q - 1, q)
    e = max(1, p)
    tot = sum(2 * (q - d) * Fraction(d, q - 1) ** e for d in range(1, q))
    return tot / (q * q)


def typical_distance_power(n: int, h: int, b: int, p: int) -> Fraction:
    """``E ||I - I'||_p^max(1,p) = n^2 h k_{b,p}`` (Eq. (84); ``p = 0``: expected L0).

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.

    Parameters
    ----------
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth.
    p : int
        The norm.

    Returns
    -------
    fractions.Fraction

    Examples
    --------
    Two uniform binary 28 x 28 images differ in half of their 784 pixels on average:

    >>> typical_distance_power(28, 1, 1, 0)
    Fraction(392, 1)
    """
    return n * n * h * k_bp(b, p)


def typical_distance_lower(n: int, h: int, b: int, p: int) -> float:
    """Eq. (85): ``E||I - I'||_p >= k/(2-k) (h k / 2)^(1/max(p,1)) n^(2/max(p,1))``.

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.

    Here ``k = k_{b,p}`` (:func:`k_bp`).

    Parameters
    ----------
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth.
    p : int
        The norm.

    Returns
    -------
    float
        The lower bound on the typical distance.

    Examples
    --------
    Binary 28 x 28 images, L2: ``k = 1/2`` and ``(1/3) (1/4)^(1/2) 28 = 4.667``, below the
    ``sqrt(392) = 19.8`` the distance is close to:

    >>> round(typical_distance_lower(28, 1, 1, 2), 4)
    4.6667
    """
    k = float(k_bp(b, p))
    e = max(1, p)
    return k / (2 - k) * (h * k / 2) ** (1 / e) * n ** (2 / e)


def mc_typical_distance(n: int, h: int, b: int, p: int, m: int, rng) -> float:
    """Monte Carlo ``E||I - I'||_p`` over ``m`` independent uniform pairs.

    Parameters
    ----------
    n : int
        The image side.
    h : int
        The number of channels per pixel.
    b : int
        The bit depth.
    p : int
        The norm (0 for L0).
    m : int
        The number of pairs.
    rng : numpy.random.Generator
        The source of the images.

    Returns
    -------
    float
        The mean distance over the pairs.

    Examples
    --------
    L0 on 4 x 4 binary images: close to the exact 8 channels:

    >>> bool(6 < mc_typical_distance(4, 1, 1, 0, 200, np.random.default_rng(0)) < 10)
    True
    """
    q = 2 ** b
    N = n * n * h
    tot = 0.0
    for _ in range(m):
        d = np.abs(rng.integers(0, q, N) - rng.integers(0, q, N)) / (q - 1)
        tot += np.count_nonzero(d) if p == 0 else float((d ** p).sum() ** (1 / p))
    return tot / m
