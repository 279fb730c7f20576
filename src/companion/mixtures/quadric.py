"""Exact distances to the Bayes-optimal boundary between two Gaussians (a ground truth).

For ``p_i = N(mu_i, S_i)`` with priors ``pi_i`` the decision function
``g(x) = log pi_1 p_1(x) - log pi_2 p_2(x)`` is a quadratic ``g(x) = x^T Q x / 2 + b^T x + c``
with ``Q = P_2 - P_1`` (``P_i = S_i^-1``), ``b = P_1 mu_1 - P_2 mu_2`` and
``c = (mu_2^T P_2 mu_2 - mu_1^T P_1 mu_1 - log det S_1 + log det S_2) / 2 + log(pi_1 / pi_2)``;
the boundary ``g = 0`` is a quadric. The distance from ``p`` is ``min ||x - p||`` subject to
``g(x) = 0``. Lagrange multipliers give ``x(lam) = (I + lam Q)^-1 (p - lam b)``; the global
minimiser is the one with ``I + lam Q`` positive semidefinite (Moré, 1993, "Generalizations of
the trust region problem"), and on that interval ``phi(lam) = g(x(lam))`` is strictly
decreasing (``phi' = -grad g^T (I + lam Q)^-1 grad g``), so one bracketed 1-D root search
(Brent) finds it. The "hard case" (the root sits at the end of the interval) is solved in
closed form.

Two special cases have closed forms, used to test the general solver:

* equal covariances (:func:`hyperplane_distance`): the boundary is a hyperplane;
* isotropic covariances ``sigma_1^2 I != sigma_2^2 I`` (:func:`sphere_distance`): a sphere.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

import numpy as np
from scipy.optimize import brentq

__all__ = ["BoundaryDistance", "Quadric", "boundary_distance", "gaussian_quadric",
           "hyperplane_distance", "quadric_distance", "sphere_distance"]


class Quadric(NamedTuple):
    """``g(x) = x^T Q x / 2 + b^T x + c`` (``Q`` symmetric)."""

    Q: np.ndarray
    b: np.ndarray
    c: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``g`` at points ``(N, d)`` (or one point ``(d,)``)."""
        x = np.asarray(x, dtype=float)
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.Q, x) + x @ self.b + self.c


class BoundaryDistance(NamedTuple):
    """Distances ``(N,)`` to the boundary, the closest boundary points ``(N, d)``."""

    distance: np.ndarray
    closest: np.ndarray


def _log_ratio(priors: Optional[Sequence[float]]) -> float:
    if priors is None:
        return 0.0
    p1, p2 = (float(p) for p in priors)
    if not (p1 > 0 and p2 > 0):
        raise ValueError(f"priors must be two positive numbers, got {priors}")
    return math.log(p1 / p2)


def _points(points, d: Optional[int] = None) -> np.ndarray:
    p = np.atleast_2d(np.asarray(points, dtype=float))
    if p.ndim != 2 or (d is not None and p.shape[1] != d):
        raise ValueError(f"points must have shape (N, {d}), got {np.shape(points)}")
    return p


def gaussian_quadric(mean1, cov1, mean2, cov2, priors=None) -> Quadric:
    """The decision function ``log pi_1 N(x; mean1, cov1) - log pi_2 N(x; mean2, cov2)``.

    Examples
    --------
    >>> g = gaussian_quadric([0.0], [[1.0]], [2.0], [[1.0]])
    >>> float(g(np.array([1.0])))            # midway between equal Gaussians
    0.0
    """
    m1, m2 = np.asarray(mean1, float), np.asarray(mean2, float)
    s1, s2 = np.asarray(cov1, float), np.asarray(cov2, float)
    d = m1.shape[0]
    if m1.shape != (d,) or m2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"means must be (d,) and covariances (d, d), got {m1.shape}, "
                         f"{s1.shape}, {m2.shape}, {s2.shape}")
    c1, c2 = np.linalg.cholesky(s1), np.linalg.cholesky(s2)     # raises if not SPD
    p1, p2 = np.linalg.inv(s1), np.linalg.inv(s2)
    p1, p2 = (p1 + p1.T) / 2, (p2 + p2.T) / 2
    logdet1 = 2 * np.log(np.diag(c1)).sum()
    logdet2 = 2 * np.log(np.diag(c2)).sum()
    c = 0.5 * (m2 @ p2 @ m2 - m1 @ p1 @ m1 - logdet1 + logdet2) + _log_ratio(priors)
    return Quadric(p2 - p1, p1 @ m1 - p2 @ m2, float(c))


def _one(p: np.ndarray, q: np.ndarray, u: np.ndarray, bt: np.ndarray, c: float, tol: float):
    """Distance and closest point for one point ``p`` (eigenbasis ``u``, eigenvalues ``q``)."""
    pt = u.T @ p
    qz = np.where(np.abs(q) > tol, q, 0.0)

    def x_of(lam):
        return (pt - lam * bt) / (1 + lam * qz)

    def phi(lam):
        x = x_of(lam)
        return 0.5 * (qz * x * x).sum() + bt @ x + c

    g0 = phi(0.0)
    if g0 == 0:
        return 0.0, p.copy()
    # the root lies on the side where phi changes sign: lam > 0 if g(p) > 0 (phi decreasing)
    end = (-1 / qz.min() if qz.min() < 0 else math.inf) if g0 > 0 else \
        (-1 / qz.max() if qz.max() > 0 else -math.inf)
    sgn = 1.0 if g0 > 0 else -1.0
    near, far = 0.0, None
    if math.isinf(end):
        for k in range(-30, 400):
            lam = sgn * 2.0 ** k
            if sgn * phi(lam) <= 0:
                far = lam
                break
            near = lam
    else:
        for k in range(1, 53):
            lam = end * (1 - 2.0 ** -k)
            if sgn * phi(lam) <= 0:
                far = lam
                break
            near = lam
    if far is not None:
        lam = brentq(phi, min(near, far), max(near, far), xtol=1e-300, rtol=1e-15, maxiter=500)
        xt = x_of(lam)
        return float(np.linalg.norm(xt - pt)), u @ xt
    if math.isinf(end):          # no boundary on that side: one class wins everywhere
        return math.inf, np.full_like(p, np.nan)
    # hard case: I + lam Q is singular at the root; the free coordinates are those with
    # 1 + end q_i = 0, where the numerator p_i - end b_i vanishes
    free = np.abs(1 + end * qz) <= 1e-9 * max(1.0, abs(end) * np.abs(qz).max())
    xt = np.where(free, 0.0, (pt - end * bt) / np.where(free, 1.0, 1 + end * qz))
    qf = qz[free][0]
    rest = 0.5 * (qz * xt * xt)[~free].sum() + (bt * xt)[~free].sum() + c
    pf = pt[free]
    rho2 = pf @ pf - 2 * rest / qf
    if rho2 < 0:
        return math.inf, np.full_like(p, np.nan)
    e = pf / np.linalg.norm(pf) if np.linalg.norm(pf) > 0 else np.eye(pf.size)[0]
    xt[free] = pf + math.sqrt(rho2) * e
    return float(np.linalg.norm(xt - pt)), u @ xt


def quadric_distance(points, quadric: Quadric) -> BoundaryDistance:
    """Exact Euclidean distances from ``points`` ``(N, d)`` to ``{x : quadric(x) = 0}``.

    ``inf`` (closest point NaN) where the zero set is empty on the side that matters.
    """
    q, u = np.linalg.eigh((quadric.Q + quadric.Q.T) / 2)
    p = _points(points, q.size)
    tol = 1e-12 * max(np.abs(q).max(), 1e-300)
    bt = u.T @ quadric.b
    out = [_one(pi, q, u, bt, quadric.c, tol) for pi in p]
    return BoundaryDistance(np.array([o[0] for o in out]), np.array([o[1] for o in out]))


def boundary_distance(points, mean1, cov1, mean2, cov2, priors=None) -> BoundaryDistance:
    """Exact distances from ``points`` to the Bayes-optimal boundary of two Gaussians.

    Lagrange multipliers and a one-dimensional root search (see the module docstring); any
    covariances (symmetric positive definite), any dimension that ``eigh`` handles.

    Examples
    --------
    Unit variance at 0 against variance 4 at 0 in 1-D: ``g(x) = log 2 - 3 x^2 / 8``, zero at
    ``|x| = sqrt(8 log(2) / 3)``:

    >>> r = boundary_distance([[0.5]], [0.0], [[1.0]], [0.0], [[4.0]])
    >>> bool(np.isclose(r.distance[0], math.sqrt(8 * math.log(2) / 3) - 0.5))
    True
    """
    return quadric_distance(points, gaussian_quadric(mean1, cov1, mean2, cov2, priors))


def hyperplane_distance(points, mean1, mean2, cov, priors=None) -> np.ndarray:
    """Closed form for equal covariances: ``|w^T x + w_0| / ||w||``, ``w = S^-1 (mu_1 - mu_2)``.

    Examples
    --------
    >>> hyperplane_distance([[0.0, 3.0]], [-1.0, 0.0], [1.0, 0.0], np.eye(2)).tolist()
    [0.0]
    >>> hyperplane_distance([[2.0, 0.0]], [-1.0, 0.0], [1.0, 0.0], 4 * np.eye(2)).tolist()
    [2.0]
    """
    m1, m2 = np.asarray(mean1, float), np.asarray(mean2, float)
    w = np.linalg.solve(np.asarray(cov, float), m1 - m2)
    w0 = -0.5 * (m1 + m2) @ w + _log_ratio(priors)
    p = _points(points, m1.size)
    return np.abs(p @ w + w0) / np.linalg.norm(w)


def sphere_distance(points, mean1, sigma1: float, mean2, sigma2: float,
                    priors=None) -> np.ndarray:
    """Closed form for ``N(mu_1, sigma_1^2 I)`` against ``N(mu_2, sigma_2^2 I)``, ``sigma_1 !=
    sigma_2``: the boundary is the sphere ``||x - c|| = r`` with ``c = (b mu_2 - a mu_1) / (b -
    a)``, ``a = 1 / sigma_1^2``, ``b = 1 / sigma_2^2``, and the distance is ``| ||p - c|| - r |``
    (``inf`` where the sphere is empty, ``r^2 < 0``).

    Examples
    --------
    >>> r = math.sqrt(8 * math.log(2) / 3)           # as in boundary_distance's example
    >>> bool(np.isclose(sphere_distance([[0.5]], [0.0], 1.0, [0.0], 2.0)[0], r - 0.5))
    True
    """
    m1, m2 = np.asarray(mean1, float), np.asarray(mean2, float)
    s1, s2 = float(sigma1), float(sigma2)
    if not (s1 > 0 and s2 > 0) or s1 == s2:
        raise ValueError(f"need sigma1, sigma2 > 0 and different (equal ones give a "
                         f"hyperplane: hyperplane_distance), got {sigma1}, {sigma2}")
    a, b = 1 / s1 ** 2, 1 / s2 ** 2
    d = m1.size
    k = d * math.log(s2 / s1) + _log_ratio(priors)
    centre = (b * m2 - a * m1) / (b - a)
    r2 = centre @ centre - (b * m2 @ m2 - a * m1 @ m1 + 2 * k) / (b - a)
    p = _points(points, d)
    if r2 < 0:
        return np.full(p.shape[0], math.inf)
    return np.abs(np.linalg.norm(p - centre, axis=1) - math.sqrt(r2))
