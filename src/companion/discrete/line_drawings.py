"""Section 3 of Dai & Gifford: line drawings as small perturbations that carry meaning (Fig. 2),
and the typical distance between images (Eq. (1), Appendix A.5).

* :func:`parachute_mask` draws a parachute (canopy, suspension lines, a stick figure) with
  one-pixel lines on an ``n x n`` grid: its number of pixels grows linearly in ``n``.
* :func:`overlay` paints the drawing black on an image; :func:`perturbation_sizes` gives the
  L0 (channels), L1 and L2 sizes of the change, channel values scaled to ``[0, 1]``.
* :func:`k_bp` is the exact constant ``k_{b,p} = E|X - Y|^max(1,p)`` of Appendix A.5, for
  ``X, Y`` independent uniform on the ``2^b`` levels, as a fraction.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def parachute_mask(n: int) -> np.ndarray:
    """Boolean ``(n, n)`` mask of a one-pixel-wide parachute line drawing."""
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
    """The image with the drawing painted in ``value`` (all channels) where ``mask`` is set."""
    out = np.array(image, dtype=float, copy=True)
    if out.shape[:2] != mask.shape:
        raise ValueError(f"mask shape {mask.shape} does not match image {out.shape[:2]}")
    out[mask] = value
    return out


def perturbation_sizes(a: np.ndarray, b: np.ndarray) -> dict:
    """L0 (number of channels changed), L1 and L2 sizes of ``b - a`` (values in [0, 1])."""
    d = np.abs(np.asarray(b, float) - np.asarray(a, float)).reshape(-1)
    return {"L0": int(np.count_nonzero(d)), "L1": float(d.sum()), "L2": float(np.sqrt((d * d).sum()))}


def k_bp(b: int, p: int) -> Fraction:
    """``k_{b,p} = E|X - Y|^max(1,p)`` for ``X, Y`` uniform on ``{0, 1/(q-1), ..., 1}``,
    ``q = 2^b``; ``p = 0`` gives ``Pr(X != Y) = 1 - 1/q`` (the L0 case)."""
    q = 2 ** b
    if p == 0:
        return Fraction(q - 1, q)
    e = max(1, p)
    tot = sum(2 * (q - d) * Fraction(d, q - 1) ** e for d in range(1, q))
    return tot / (q * q)


def typical_distance_power(n: int, h: int, b: int, p: int) -> Fraction:
    """``E ||I - I'||_p^max(1,p) = n^2 h k_{b,p}`` (Eq. (84); ``p = 0``: expected L0)."""
    return n * n * h * k_bp(b, p)


def typical_distance_lower(n: int, h: int, b: int, p: int) -> float:
    """Eq. (85): ``E||I - I'||_p >= k/(2-k) (h k / 2)^(1/max(p,1)) n^(2/max(p,1))``."""
    k = float(k_bp(b, p))
    e = max(1, p)
    return k / (2 - k) * (h * k / 2) ** (1 / e) * n ** (2 / e)


def mc_typical_distance(n: int, h: int, b: int, p: int, m: int, rng) -> float:
    """Monte Carlo ``E||I - I'||_p`` over ``m`` independent uniform pairs."""
    q = 2 ** b
    N = n * n * h
    tot = 0.0
    for _ in range(m):
        d = np.abs(rng.integers(0, q, N) - rng.integers(0, q, N)) / (q - 1)
        tot += np.count_nonzero(d) if p == 0 else float((d ** p).sum() ** (1 / p))
    return tot / m
