r"""Concentric spheres (Gilmer et al., 2018) and the facet bound of Ding et al.'s Theorem D.1.

The data: two classes in :math:`\mathbb{R}^n`, the *inner* sphere of radius 1 (label 0) and the
*outer* sphere of radius :math:`1 + g` (label 1), each sampled uniformly
(:func:`sample_spheres`). The gap :math:`g` is the "inter-class distance" of Appendix D.2.2:
every point is at l2 distance exactly :math:`g/2` from the decision sphere of the ideal
(max-margin) classifier, radius :math:`1 + g/2` (:func:`distance_to_sphere`,
:func:`ideal_predict`), so the ideal classifier is robust at every radius :math:`r < g/2`.

Theorem D.1 (Ball, 1997): a symmetric polytope :math:`K` at Banach-Mazur distance :math:`d`
from the Euclidean ball has at least :math:`e^{n/(2d^2)}` facets
(:func:`facet_lower_bound`). The proof is a covering argument: after a linear map,
:math:`B/d \subset K \subset B`; every point of the unit sphere violates (or meets) some facet
inequality :math:`\langle u_i, x\rangle \le h_i` with :math:`h_i \ge 1/d`, so the caps
:math:`\{x \in S^{n-1} : \langle u_i, x\rangle \ge 1/d\}` cover the sphere, and each has measure
at most :math:`e^{-n/(2d^2)}` (:func:`cap_measure`, :func:`cap_bound`). The argument with the
exact cap measure gives the sharper count :func:`covering_facet_lower_bound`, exact in the
plane (:func:`min_facets_2d`).

Separating the spheres with a polytope :math:`K` (the inner sphere inside, the outer one
outside) means :math:`B \subset K \subset (1+g)B`; no symmetry is needed since the ball is
centred already, so :math:`K` needs at least :math:`1/\sigma_n(1/(1+g))` facets. Robust
separation at l2 radius :math:`r < g/2` means :math:`(1+r)B \subset K \subset (1+g-r)B`: the
gap shrinks by :math:`2r` and the ratio becomes :math:`(1+g-r)/(1+r)`
(:func:`separation_ratio`, :func:`min_facets`).

Polytopes ``{x : A x <= b}`` (:class:`Polytope`) with their inradius and exact circumradius
(vertex enumeration) bound their distance from the ball from above; the cube, the
cross-polytope, regular polygons and a net construction (:func:`net_polytope`: at most
:math:`4^n` facets within distance 2 of the ball) are the examples.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
import numpy as np

__all__ = ["sample_spheres", "ideal_radius", "distance_to_sphere", "ideal_predict",
           "cap_measure", "log_cap_measure", "cap_bound", "facet_lower_bound",
           "log_facet_lower_bound", "covering_facet_lower_bound",
           "log_covering_facet_lower_bound", "separation_ratio", "min_facets",
           "log10_min_facets", "min_facets_2d", "Polytope", "cube", "cross_polytope",
           "regular_polygon", "net_polytope", "separates"]


# ------------------------------------------------------------------------------- checks
def _check_dim(n, least: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < least:
        raise ValueError(f"the dimension n must be an integer >= {least}, got {n!r}")
    return int(n)


def _check_gap(gap) -> float:
    g = float(gap)
    if not (g > 0 and math.isfinite(g)):
        raise ValueError(f"the gap must be a finite number > 0, got {gap!r}")
    return g


def _check_radius(radius, gap: float) -> float:
    r = float(radius)
    if not (0 <= r < gap / 2):
        raise ValueError(f"the robust radius must be in [0, gap/2) = [0, {gap / 2:g}) (at gap/2 "
                         f"the inflated spheres touch), got {radius!r}")
    return r


def _check_distance(d) -> float:
    v = float(d)
    if not (v >= 1 and math.isfinite(v)):
        raise ValueError(f"a distance from the ball is a finite number >= 1, got {d!r}")
    return v


# ------------------------------------------------------------------------------- data
def sample_spheres(n: int, count: int, gap: float, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points uniform on each of the two concentric spheres in ``R^n``.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        The dimension (>= 2).
    count : int
        Points per sphere (>= 1).
    gap : float
        The outer radius minus the inner radius 1 (> 0).
    seed : int
        Seed of the numpy generator.

    Returns
    -------
    tuple of numpy.ndarray
        ``X`` of shape ``(2 count, n)`` (float32; the inner sphere first) and labels ``y``
        (int64: 0 inner, 1 outer).

    Examples
    --------
    >>> X, y = sample_spheres(3, 4, 0.5)
    >>> X.shape, y.tolist()
    ((8, 3), [0, 0, 0, 0, 1, 1, 1, 1])
    >>> np.round(np.linalg.norm(X, axis=1), 5).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 1.5, 1.5]
    """
    n = _check_dim(n, 2)
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be an integer >= 1 (points per sphere), got {count!r}")
    g = _check_gap(gap)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((2 * int(count), n))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    y = np.repeat(np.array([0, 1], dtype=np.int64), int(count))
    z[y == 1] *= 1.0 + g
    return z.astype(np.float32), y


def ideal_radius(gap: float) -> float:
    """The radius ``1 + gap/2`` of the ideal (max-margin) decision sphere.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    gap : float
        The gap between the spheres (> 0).

    Returns
    -------
    float

    Examples
    --------
    >>> ideal_radius(0.3)
    1.15
    """
    return 1.0 + _check_gap(gap) / 2.0


def distance_to_sphere(x, radius: float) -> np.ndarray:
    """The exact l2 distance ``| ||x|| - radius |`` from each row of ``x`` to the sphere of
    ``radius`` centred at the origin (the nearest point is ``radius x / ||x||``).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    x : array_like
        Points, shape ``(N, n)`` (or one point of shape ``(n,)``).
    radius : float
        The sphere's radius (> 0).

    Returns
    -------
    numpy.ndarray
        Shape ``(N,)`` (a 0-d array for one point).

    Examples
    --------
    >>> distance_to_sphere([[3.0, 4.0], [0.6, 0.8]], 2.0).tolist()
    [3.0, 1.0]
    """
    if not (float(radius) > 0):
        raise ValueError(f"radius must be > 0, got {radius!r}")
    a = np.asarray(x, dtype=float)
    return np.abs(np.linalg.norm(a, axis=-1) - float(radius))


def ideal_predict(x, gap: float) -> np.ndarray:
    """The ideal classifier: label 1 (outer) where ``||x|| > 1 + gap/2``, else 0.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    x : array_like
        Points, shape ``(N, n)``.
    gap : float
        The gap between the spheres (> 0).

    Returns
    -------
    numpy.ndarray
        int64 labels, shape ``(N,)``.

    Examples
    --------
    >>> ideal_predict([[1.0, 0.0], [0.0, 1.3]], 0.3).tolist()
    [0, 1]
    """
    a = np.asarray(x, dtype=float)
    return (np.linalg.norm(a, axis=-1) > ideal_radius(gap)).astype(np.int64)


# ------------------------------------------------------------------------------- caps
def _check_height(h) -> float:
    v = float(h)
    if not (-1.0 <= v <= 1.0):
        raise ValueError(f"a cap height is in [-1, 1], got {h!r}")
    return v


def _log_cap_quad(n: int, h: float) -> float:
    """log sigma for 0 <= h < 1 by quadrature of ``c_n (1 - t^2)^((n-3)/2)`` on ``[h, 1]``,
    the integrand divided by its value at ``h`` so nothing underflows (any ``n >= 4``)."""
    from scipy import integrate, special

    k = (n - 3) / 2.0
    base = math.log1p(-h * h)

    def f(t):
        return math.exp(k * (math.log1p(-t * t) - base)) if t < 1 else 0.0

    # the mass sits within about 1/(k h) of h: split there so quad sees it
    width = 1.0 - h
    pts = [p for p in (h + width * s for s in (1e-4, 1e-3, 1e-2, 1e-1)) if p < 1]
    val, _ = integrate.quad(f, h, 1.0, points=pts, limit=200, epsabs=0, epsrel=1e-11)
    log_c = special.gammaln(n / 2) - 0.5 * math.log(math.pi) - special.gammaln((n - 1) / 2)
    return float(log_c + k * base + math.log(val))


def log_cap_measure(n: int, h: float) -> float:
    r"""The natural log of :func:`cap_measure`, accurate where the measure underflows.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        The dimension of the space (the sphere is :math:`S^{n-1}`), >= 2.
    h : float
        The cap's height, in [-1, 1].

    Returns
    -------
    float
        ``-inf`` for ``h = 1``.

    Examples
    --------
    >>> round(log_cap_measure(3000, 0.5), 2)   # e to this is about 1e-189
    -435.61
    """
    n = _check_dim(n, 2)
    h = _check_height(h)
    if h >= 1.0:
        return -math.inf
    if h < 0 or n <= 3:
        return math.log(cap_measure(n, h))
    v = cap_measure(n, h)
    if v > 1e-250:
        return math.log(v)
    return _log_cap_quad(n, h)


def cap_measure(n: int, h: float) -> float:
    r"""The normalised surface measure :math:`\sigma(\{x \in S^{n-1} : x_1 \ge h\})` of a cap.

    :math:`\tfrac12 I_{1-h^2}(\tfrac{n-1}{2}, \tfrac12)` for :math:`h \ge 0` (the regularised
    incomplete beta function), one minus the opposite cap for :math:`h < 0`. In the plane it is
    :math:`\arccos(h)/\pi`, in space :math:`(1-h)/2` (Archimedes).

    Parameters
    ----------
    n : int
        The dimension of the space, >= 2.
    h : float
        The cap's height, in [-1, 1].

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> round(cap_measure(3, 0.5), 12), round(cap_measure(2, 0.5), 12)
    (0.25, 0.333333333333)
    """
    from scipy import special

    n = _check_dim(n, 2)
    h = _check_height(h)
    if h < 0:
        return 1.0 - cap_measure(n, -h)
    return float(0.5 * special.betainc((n - 1) / 2.0, 0.5, 1.0 - h * h))


def cap_bound(n: int, h: float) -> float:
    r"""The cap estimate of the proof, :math:`e^{-n h^2/2}` (an upper bound on
    :func:`cap_measure` for :math:`0 \le h < 1`).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        The dimension, >= 1.
    h : float
        The cap's height, in [0, 1).

    Returns
    -------
    float

    Examples
    --------
    >>> cap_bound(10, 0.0), round(cap_bound(2, 1.0 / math.sqrt(2)), 6)
    (1.0, 0.606531)
    """
    n = _check_dim(n)
    v = float(h)
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"the cap estimate takes a height in [0, 1], got {h!r}")
    return math.exp(-n * v * v / 2.0)


# ------------------------------------------------------------------------------- facets
def log_facet_lower_bound(n: int, d: float) -> float:
    """The natural log of :func:`facet_lower_bound`: ``n / (2 d^2)``.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        The dimension, >= 1.
    d : float
        The distance from the ball, >= 1.

    Returns
    -------
    float

    Examples
    --------
    >>> log_facet_lower_bound(784, 2.0)
    98.0
    """
    n = _check_dim(n)
    d = _check_distance(d)
    return n / (2.0 * d * d)


def facet_lower_bound(n: int, d: float) -> float:
    r"""Theorem D.1: a symmetric polytope at distance ``d`` from the ball :math:`B_2^n` has at
    least :math:`e^{n/(2d^2)}` facets.

    Parameters
    ----------
    n : int
        The dimension, >= 1.
    d : float
        The Banach-Mazur distance from the ball, >= 1.

    Returns
    -------
    float
        ``inf`` where the value overflows a float (use :func:`log_facet_lower_bound`).

    Examples
    --------
    >>> round(facet_lower_bound(2, math.sqrt(2)), 4)   # the square has 4 facets
    1.6487
    """
    v = log_facet_lower_bound(n, d)
    return math.exp(v) if v < 709 else math.inf


def log_covering_facet_lower_bound(n: int, d: float) -> float:
    """The natural log of :func:`covering_facet_lower_bound`.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        The dimension, >= 2.
    d : float
        The ratio of the radii of the balls sandwiching the polytope, >= 1.

    Returns
    -------
    float

    Examples
    --------
    >>> round(log_covering_facet_lower_bound(3, 2.0), 6) == round(math.log(4.0), 6)
    True
    """
    d = _check_distance(d)
    return -log_cap_measure(n, 1.0 / d)


def covering_facet_lower_bound(n: int, d: float) -> float:
    r"""The covering argument of Theorem D.1 with the exact cap measure:
    :math:`1/\sigma(\{x_1 \ge 1/d\})` facets at least, for every convex polytope :math:`K` with
    :math:`\rho B \subset K \subset d\rho B` (no symmetry needed). At least
    :func:`facet_lower_bound`, and exact in the plane (see :func:`min_facets_2d`).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        The dimension, >= 2.
    d : float
        The ratio of the outer to the inner radius, >= 1.

    Returns
    -------
    float
        ``inf`` where it overflows (use :func:`log_covering_facet_lower_bound`).

    Examples
    --------
    >>> round(covering_facet_lower_bound(2, 2.0), 9)   # the triangle: arccos(1/2) = pi/3
    3.0
    """
    v = log_covering_facet_lower_bound(n, d)
    return math.exp(v) if v < 709 else math.inf


def separation_ratio(gap: float, radius: float = 0.0) -> float:
    r"""The largest ratio :math:`(1 + g - r)/(1 + r)` of the balls between which a polytope
    must lie to separate the spheres robustly at l2 radius ``radius``: it must contain the
    inner sphere inflated by ``r`` (the ball of radius :math:`1 + r`) and avoid the outer one
    deflated by ``r`` (lie inside the open ball of radius :math:`1 + g - r`). With ``r = 0``,
    :math:`1 + g`. The robust problem is the clean one with the gap :math:`(g - 2r)/(1 + r)`.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    gap : float
        The gap between the spheres (> 0).
    radius : float
        The robust radius, in [0, gap/2).

    Returns
    -------
    float
        > 1.

    Examples
    --------
    >>> separation_ratio(0.3), round(separation_ratio(0.3, 0.1), 12)
    (1.3, 1.090909090909)
    """
    g = _check_gap(gap)
    r = _check_radius(radius, g)
    return (1.0 + g - r) / (1.0 + r)


_BOUNDS = ("cap", "exp")


def _log_min_facets(n: int, gap: float, radius: float, bound: str) -> float:
    if bound not in _BOUNDS:
        raise ValueError(f"unknown bound {bound!r}; valid: {_BOUNDS} ('cap': the covering "
                         "argument with the exact cap measure; 'exp': e^(n/(2 d^2)))")
    d = separation_ratio(gap, radius)
    if bound == "exp":
        return log_facet_lower_bound(n, d)
    return log_covering_facet_lower_bound(n, d)


def min_facets(n: int, gap: float, radius: float = 0.0, bound: str = "cap") -> float:
    r"""A lower bound on the number of facets of a polytope that separates the concentric
    spheres in ``R^n`` (the inner one inside), robustly at l2 ``radius``.

    With ``d = separation_ratio(gap, radius)``: ``bound="exp"`` is Theorem D.1's
    :math:`e^{n/(2d^2)}`, ``bound="cap"`` the covering argument with the exact cap measure
    (:func:`covering_facet_lower_bound`, the larger).

    Parameters
    ----------
    n : int
        The dimension, >= 2.
    gap : float
        The gap between the spheres (> 0).
    radius : float
        The robust radius, in [0, gap/2).
    bound : str
        ``"cap"`` or ``"exp"``.

    Returns
    -------
    float
        ``inf`` where it overflows (use :func:`log10_min_facets`).

    Examples
    --------
    >>> round(min_facets(10, 0.3, bound="exp"), 2), round(min_facets(10, 0.3), 1)
    (19.27, 354.3)
    """
    v = _log_min_facets(_check_dim(n, 2), gap, radius, bound)
    return math.exp(v) if v < 709 else math.inf


def log10_min_facets(n: int, gap: float, radius: float = 0.0, bound: str = "cap") -> float:
    """:func:`min_facets` as a base-10 logarithm (no overflow).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        The dimension, >= 2.
    gap : float
        The gap between the spheres (> 0).
    radius : float
        The robust radius, in [0, gap/2).
    bound : str
        ``"cap"`` or ``"exp"``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(log10_min_facets(784, 0.3, bound="exp"), 2)
    100.74
    """
    return _log_min_facets(_check_dim(n, 2), gap, radius, bound) / math.log(10.0)


def min_facets_2d(gap: float, radius: float = 0.0) -> int:
    r"""The exact least number of sides of a polygon that separates two concentric circles
    (radii 1 and ``1 + gap``) robustly at ``radius``.

    With :math:`\theta = \arccos(1/d)`, ``d = separation_ratio(gap, radius)``: the arcs cut
    off by the sides at height :math:`1/d` are at most :math:`2\theta` long and must cover the
    circle, so at least :math:`\pi/\theta` sides are needed, and the regular polygon with
    :math:`\lfloor \pi/\theta \rfloor + 1` sides, circumscribed about the inner circle
    inflated by ``radius``, fits strictly inside the outer one deflated by ``radius``.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    gap : float
        The gap between the circles (> 0).
    radius : float
        The robust radius, in [0, gap/2).

    Returns
    -------
    int
        At least 3.

    Examples
    --------
    >>> min_facets_2d(1.0), min_facets_2d(0.3), min_facets_2d(0.3, 0.05)
    (4, 5, 6)
    """
    d = separation_ratio(gap, radius)
    # the regular m-gon about the unit circle has circumradius 1 / cos(pi / m); it must be
    # strictly below d (touching the outer circle is not separating it): a relative margin
    # keeps the exact ties (d = 2, the triangle) on the failing side despite rounding
    m = max(3, int(math.ceil(math.pi / math.acos(1.0 / d))) - 1)
    while not math.cos(math.pi / m) > (1.0 / d) * (1.0 + 1e-12):
        m += 1
    return m


# ------------------------------------------------------------------------------- polytopes
@dataclass(frozen=True)
class Polytope:
    """The polytope ``{x : A x <= b}`` (``b > 0``: the origin inside), one row per facet.

    Used on :doc:`/notebooks/ding-capacity`.

    ``A`` has shape ``(m, n)``; the constructions of this module have no redundant rows, so
    ``facets`` is their count. :meth:`inradius` and :meth:`circumradius` are the radii of the
    largest ball about the origin inside and the smallest one containing the polytope;
    their ratio :meth:`distance_bound` bounds the Banach-Mazur distance from the ball from
    above (the identity is one of the linear maps the distance minimises over).

    Examples
    --------
    >>> sq = cube(2)
    >>> sq.facets, sq.inradius(), round(sq.circumradius(), 12)
    (4, 1.0, 1.414213562373)
    """

    A: np.ndarray
    b: np.ndarray

    def __post_init__(self):
        A = np.asarray(self.A, dtype=float)
        b = np.asarray(self.b, dtype=float)
        if A.ndim != 2 or b.shape != (A.shape[0],) or A.shape[0] < A.shape[1] + 1:
            raise ValueError(f"need A of shape (m, n) with m >= n + 1 and b of shape (m,), got "
                             f"{A.shape} and {b.shape}")
        if not np.all(b > 0):
            raise ValueError("every offset b_i must be > 0 (the origin strictly inside)")
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "b", b)

    @property
    def dim(self) -> int:
        """The dimension ``n``."""
        return int(self.A.shape[1])

    @property
    def facets(self) -> int:
        """The number of rows (facets)."""
        return int(self.A.shape[0])

    def contains(self, x, tol: float = 1e-12) -> np.ndarray:
        """Whether each row of ``x`` satisfies every inequality (up to ``tol``).

        Parameters
        ----------
        x : array_like
            ``(m, n)`` points (or one point ``(n,)``).
        tol : float
            Slack allowed on each inequality.

        Returns
        -------
        numpy.ndarray
            ``(m,)`` booleans.

        Examples
        --------
        >>> cube(2).contains([[0.5, 0.5], [1.5, 0.0]]).tolist()
        [True, False]
        """
        a = np.atleast_2d(np.asarray(x, dtype=float))
        return np.all(a @ self.A.T <= self.b + tol, axis=1)

    def inradius(self) -> float:
        """``min_i b_i / ||a_i||``: the largest ball about the origin inside.

        Returns
        -------
        float
            The radius of that ball.

        Examples
        --------
        >>> cube(2).inradius()
        1.0
        """
        return float(np.min(self.b / np.linalg.norm(self.A, axis=1)))

    def vertices(self) -> np.ndarray:
        """The vertices (qhull's halfspace intersection; bounded polytopes only).

        Returns
        -------
        numpy.ndarray
            ``(v, n)`` vertices.

        Examples
        --------
        >>> len(cube(3).vertices())
        8
        """
        from scipy.spatial import HalfspaceIntersection

        hs = np.hstack([self.A, -self.b[:, None]])
        pts = HalfspaceIntersection(hs, np.zeros(self.dim)).intersections
        if not np.all(np.isfinite(pts)):
            raise ValueError("the polytope is unbounded")
        return pts

    def circumradius(self) -> float:
        """The largest norm of a vertex: the smallest ball about the origin containing it.

        Returns
        -------
        float
            The radius of that ball.

        Examples
        --------
        >>> round(cube(2).circumradius() ** 2, 12)
        2.0
        """
        return float(np.max(np.linalg.norm(self.vertices(), axis=1)))

    def distance_bound(self) -> float:
        """``circumradius / inradius``, at least the Banach-Mazur distance from the ball.

        Returns
        -------
        float
            The ratio (an upper bound on the distance ``d(K, B_2^n)``).

        Examples
        --------
        >>> round(cube(4).distance_bound(), 12)
        2.0
        """
        return self.circumradius() / self.inradius()


def cube(n: int) -> Polytope:
    """The cube ``[-1, 1]^n``: ``2n`` facets, distance ``sqrt(n)`` from the ball.

    Parameters
    ----------
    n : int
        The dimension, >= 1.

    Returns
    -------
    Polytope

    Examples
    --------
    >>> cube(3).facets
    6
    """
    n = _check_dim(n)
    eye = np.eye(n)
    return Polytope(np.vstack([eye, -eye]), np.ones(2 * n))


def cross_polytope(n: int) -> Polytope:
    """The cross-polytope ``{x : |x_1| + ... + |x_n| <= 1}``: ``2^n`` facets, distance
    ``sqrt(n)`` from the ball.

    Parameters
    ----------
    n : int
        The dimension, 1 to 20.

    Returns
    -------
    Polytope

    Examples
    --------
    >>> cross_polytope(3).facets
    8
    """
    n = _check_dim(n)
    if n > 20:
        raise ValueError(f"the cross-polytope in R^{n} has 2^{n} facets: too many to list; "
                         "n must be <= 20")
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * n, indexing="ij")).reshape(n, -1).T
    return Polytope(signs, np.ones(len(signs)))


def regular_polygon(m: int, inradius: float = 1.0, phase: float = 0.0) -> Polytope:
    """The regular ``m``-gon circumscribed about the circle of ``inradius``; its facet normals
    at angles ``phase + 2 pi k / m``.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    m : int
        Number of sides, >= 3.
    inradius : float
        Radius of the inscribed circle (> 0).
    phase : float
        Angle of the first normal, in radians.

    Returns
    -------
    Polytope

    Examples
    --------
    >>> round(regular_polygon(6).circumradius(), 12) == round(1 / math.cos(math.pi / 6), 12)
    True
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 3:
        raise ValueError(f"a polygon has an integer number of sides >= 3, got {m!r}")
    if not float(inradius) > 0:
        raise ValueError(f"inradius must be > 0, got {inradius!r}")
    t = phase + 2 * np.pi * np.arange(int(m)) / int(m)
    return Polytope(np.stack([np.cos(t), np.sin(t)], axis=1), np.full(int(m), float(inradius)))


def net_polytope(n: int, separation: float = 0.9, candidates: int = 20_000,
                 seed: int = 0) -> Polytope:
    r"""A symmetric polytope with at most :math:`4^n` facets within distance 2 of the ball (the
    second part of Theorem D.1), made concrete.

    A symmetric set :math:`N` of unit vectors, pairwise at chordal distance at least
    ``separation``, is chosen greedily among ``candidates`` random directions (and their
    antipodes); :math:`K = \{x : \langle u, x\rangle \le 1,\ u \in N\}` contains the ball.
    If every unit vector lies within chordal distance :math:`\delta` of :math:`N`, then
    :math:`\langle u, x\rangle \ge 1 - \delta^2/2` for some :math:`u` and
    :math:`K \subset B/(1 - \delta^2/2)`; a maximal 1-separated set has
    :math:`\delta \le 1` (so :math:`K \subset 2B`) and, by the volume of disjoint balls of
    radius 1/2, at most :math:`3^n` points. The greedy set is maximal among the candidates
    only: it covers them within ``separation``, the sphere within ``separation`` plus the
    candidates' own holes; the default 0.9 leaves room for those below 1. So the distance is
    measured, not assumed: :meth:`Polytope.circumradius` enumerates the vertices.

    Parameters
    ----------
    n : int
        The dimension, 2 to 6 (vertex enumeration beyond that is slow).
    separation : float
        The least chordal distance between normals, in (0, 2) (1 in the volume argument).
    candidates : int
        Random directions tried (>= 1).
    seed : int
        Seed of the directions.

    Returns
    -------
    Polytope

    Examples
    --------
    >>> K = net_polytope(2)
    >>> K.facets <= 4 ** 2, K.inradius() == 1.0, K.circumradius() <= 2.0
    (True, True, True)
    """
    n = _check_dim(n, 2)
    if n > 6:
        raise ValueError(f"net_polytope enumerates vertices: n must be 2 to 6, got {n}")
    s = float(separation)
    if not (0 < s < 2):
        raise ValueError(f"separation (a chordal distance) must be in (0, 2), got {separation!r}")
    if isinstance(candidates, bool) or not isinstance(candidates, (int, np.integer)) \
            or candidates < 1:
        raise ValueError(f"candidates must be an integer >= 1, got {candidates!r}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((int(candidates), n))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    # an inner product above 1 - s^2/2 is a chordal distance below s
    limit = 1.0 - s * s / 2.0
    chosen: list[np.ndarray] = []
    for u in z:
        if not chosen or np.max(np.abs(np.asarray(chosen) @ u)) < limit:
            chosen += [u, -u]
    A = np.asarray(chosen)
    return Polytope(A, np.ones(len(A)))


def separates(K: Polytope, gap: float, radius: float = 0.0) -> bool:
    """Whether the polytope ``K`` separates the concentric spheres robustly at ``radius``: it
    contains the ball of radius ``1 + radius`` (its inradius is at least that) and lies in the
    open ball of radius ``1 + gap - radius`` (its farthest vertex is nearer), so that every
    point within ``radius`` of the inner sphere is inside and every point within ``radius`` of
    the outer one outside.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    K : Polytope
        The polytope (the inner class inside).
    gap : float
        The gap between the spheres (> 0).
    radius : float
        The robust radius, in [0, gap/2).

    Returns
    -------
    bool

    Examples
    --------
    >>> separates(regular_polygon(5), 0.3), separates(regular_polygon(4), 0.3)
    (True, False)
    """
    g = _check_gap(gap)
    r = _check_radius(radius, g)
    return bool(K.inradius() >= 1.0 + r and K.circumradius() < 1.0 + g - r)
