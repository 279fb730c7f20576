"""Theorem 2, Lemma A.1 and Figure 14 of Richardson & Weiss: distances to affine subspaces.

For ``x ~ N(mu, A A^T + sigma^2 I)`` the log-likelihood is (Appendix A.2, exactly)

``log p(x) = -||P_perp (x - mu)||^2 / (2 sigma^2) - sum_i (u_i^T (x - mu))^2 / (2 (s_i^2 +
sigma^2)) - sum_i log(s_i^2 + sigma^2) / 2 - (D - l) log(sigma^2) / 2 - D log(2 pi) / 2``

(``A = U diag(s) V^T``, ``P_perp`` the projection orthogonal to the columns of ``A``). Only the
first term grows like ``1 / sigma^2``, so as ``sigma -> 0`` the Bayes-optimal rule becomes
"closer subspace wins", whose boundary between two single components is the quadric
``||P_1 (x - mu_1)||^2 = ||P_2 (x - mu_2)||^2`` (:func:`limit_quadric`). A point at distance
``r_1`` from its own subspace and ``r_2`` from the other needs, by the triangle inequality, a
perturbation of at least ``(r_2 - r_1) / 2`` to flip that rule (:func:`triangle_bound`), and
``r_2 >= d`` (Theorem 2's gap) for every point on its own subspace.

* :func:`lines_pair`: two affine lines in ``R^3`` (parallel or skew, equal singular values),
  the small exact case of Lemma A.1.
* :func:`lemma_a1`: exact Bayes-optimal boundary distances (:func:`companion.mixtures.
  boundary_distance`) of points drawn from the first line's Gaussian, against the limiting
  quadric's distance and ``d / 2``.
* :func:`class_distances`: Figure 14's distances from points to the nearest subspace of each
  class of a mixture.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from companion.mixtures import MFA
from companion.mixtures.quadric import Quadric, boundary_distance, quadric_distance

from .experiment import subspace_distances, subspace_gap

__all__ = ["LinesPair", "lines_pair", "limit_quadric", "lemma_a1", "class_distances",
           "triangle_bound", "figure14", "figure14_summary"]

_KINDS = ("parallel", "skew")


class LinesPair(NamedTuple):
    """Two affine lines ``{mu_i + a_i z}`` in ``R^3`` and their gap ``d``.

    Used on :doc:`/notebooks/rw-theorem2`.
    """

    mu1: np.ndarray
    a1: np.ndarray
    mu2: np.ndarray
    a2: np.ndarray
    d: float

    def covariances(self, sigma: float) -> tuple:
        """``(a_1 a_1^T + sigma^2 I, a_2 a_2^T + sigma^2 I)``."""
        eye = sigma ** 2 * np.eye(3)
        return np.outer(self.a1, self.a1) + eye, np.outer(self.a2, self.a2) + eye

    def mfas(self, sigma: float) -> tuple:
        """The two single-component :class:`~companion.mixtures.MFA` models."""
        noise = np.full((1, 3), sigma ** 2)
        return (MFA([1.0], self.mu1[None], self.a1[None, :, None], noise),
                MFA([1.0], self.mu2[None], self.a2[None, :, None], noise))


def lines_pair(kind: str = "skew", gap: float = 2.0, scale: float = 1.5) -> LinesPair:
    """Two lines in ``R^3`` at distance ``gap``, loadings of equal length ``scale``.

    Used on :doc:`/notebooks/rw-theorem2`.

    ``"parallel"``: both along ``e_1``, the second shifted by ``gap e_3``; ``"skew"``: the first
    along ``e_1`` through 0, the second along ``e_2`` through ``gap e_3`` (closest points 0 and
    ``gap e_3``).

    Examples
    --------
    >>> p = lines_pair("skew", gap=2.0)
    >>> float(p.d), p.a2.tolist()
    (2.0, [0.0, 1.5, 0.0])
    """
    if kind not in _KINDS:
        raise ValueError(f"kind={kind!r}: valid kinds are {_KINDS}")
    if not (gap > 0 and scale > 0):
        raise ValueError(f"gap and scale must be > 0, got gap={gap!r}, scale={scale!r}")
    e = np.eye(3)
    a1 = scale * e[0]
    a2 = scale * (e[0] if kind == "parallel" else e[1])
    mu1, mu2 = np.zeros(3), gap * e[2]
    m1, m2 = (MFA([1.0], m[None], a[None, :, None], np.full((1, 3), 0.01))
              for m, a in ((mu1, a1), (mu2, a2)))
    return LinesPair(mu1, a1, mu2, a2, float(subspace_gap(m1, m2)[0, 0]))


def _perp(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, float)
    a = a[:, None] if a.ndim == 1 else a
    q = np.linalg.qr(a)[0]
    return np.eye(a.shape[0]) - q @ q.T


def limit_quadric(mu1, a1, mu2, a2) -> Quadric:
    """The ``sigma -> 0`` Bayes boundary of two components, ``||P_1 (x - mu_1)||^2 - ||P_2 (x -
    mu_2)||^2 = 0`` (positive on the second class's side), as a :class:`Quadric`.

    ``a_i`` is a ``(D,)`` vector or a ``(D, l)`` matrix of loadings.

    Examples
    --------
    Parallel lines along ``e_1`` through 0 and ``2 e_3``: the bisecting plane ``x_3 = 1``:

    >>> q = limit_quadric([0, 0, 0], [1, 0, 0], [0, 0, 2], [1, 0, 0])
    >>> [float(q(np.array(x))) for x in ([5.0, 3.0, 1.0], [0.0, 0.0, 0.0])]
    [0.0, -4.0]
    """
    mu1, mu2 = np.asarray(mu1, float), np.asarray(mu2, float)
    p1, p2 = _perp(np.asarray(a1, float)), _perp(np.asarray(a2, float))
    return Quadric(2 * (p1 - p2), -2 * (p1 @ mu1 - p2 @ mu2),
                   float(mu1 @ p1 @ mu1 - mu2 @ p2 @ mu2))


def triangle_bound(own, other) -> np.ndarray:
    """``(r_other - r_own) / 2``: no perturbation shorter than this flips "the closer subspace
    wins" (each distance moves by at most ``||delta||``).

    Used on :doc:`/notebooks/rw-theorem2`.

    Examples
    --------
    >>> triangle_bound([0.5, 1.0], [4.5, 1.0]).tolist()
    [2.0, 0.0]
    """
    return (np.asarray(other, float) - np.asarray(own, float)) / 2


class LemmaA1(NamedTuple):
    """What :func:`lemma_a1` returns (one entry per drawn point)."""

    sigma: float
    d: float
    exact: np.ndarray       #: exact distance to the Bayes boundary at this sigma
    limit: np.ndarray       #: distance to the sigma -> 0 boundary (the limiting quadric)
    own: np.ndarray         #: distance to the own line
    other: np.ndarray       #: distance to the other line
    wrong: np.ndarray       #: points the Bayes rule puts in the other class (distance 0 side)


def lemma_a1(pair: LinesPair, sigma: float, n: int = 200, seed: int = 0) -> LemmaA1:
    """Draw ``n`` points of class 1, ``N(mu_1, a_1 a_1^T + sigma^2 I)``, and measure exactly.

    Used on :doc:`/notebooks/rw-theorem2`.

    Examples
    --------
    >>> r = lemma_a1(lines_pair("parallel"), 0.01, n=5)
    >>> bool(np.all(np.abs(r.limit - r.d / 2) < 0.05)), bool(np.all(r.exact >= 0.95))
    (True, True)
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    g = np.random.default_rng(seed)
    x = pair.mu1 + np.outer(g.standard_normal(n), pair.a1) + sigma * g.standard_normal((n, 3))
    c1, c2 = pair.covariances(sigma)
    exact = boundary_distance(x, pair.mu1, c1, pair.mu2, c2).distance
    q = limit_quadric(pair.mu1, pair.a1, pair.mu2, pair.a2)
    limit = quadric_distance(x, q).distance
    m1, m2 = pair.mfas(sigma)
    own, other = subspace_distances(m1, x)[:, 0], subspace_distances(m2, x)[:, 0]
    ll1 = m1.log_prob(x).numpy()
    ll2 = m2.log_prob(x).numpy()
    return LemmaA1(float(sigma), pair.d, exact, limit, own, other, ll2 > ll1)


def class_distances(class_models: Sequence[MFA], X, y) -> tuple:
    """Figure 14's distances: per point, to the nearest component subspace of its own class and
    of the other class, ``(own, other)``, each ``(N,)``.

    Examples
    --------
    >>> m0 = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[0.1, 0.1, 0.1]])
    >>> m1 = MFA([0.5, 0.5], [[0.0, 0.0, 3.0], [0.0, 0.0, -1.0]], [[[1.0], [0.0], [0.0]]] * 2,
    ...          [[0.1, 0.1, 0.1]] * 2)
    >>> own, other = class_distances([m0, m1], [[0.0, 0.0, 0.0], [2.0, 0.0, 3.0]], [0, 1])
    >>> own.tolist(), other.tolist()
    ([0.0, 0.0], [1.0, 3.0])
    """
    if len(class_models) != 2:
        raise ValueError(f"need two class models, got {len(class_models)}")
    x = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    y = np.asarray(y).astype(int)
    if y.shape != (len(x),) or not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold one label 0 or 1 per point")
    near = np.stack([subspace_distances(m, x).min(1) for m in class_models], 1)
    idx = np.arange(len(x))
    return near[idx, y], near[idx, 1 - y]


def figure14(evaluation, class_models: Sequence[MFA], X, y) -> dict:
    """Figure 14 on one pair: an attack's :class:`~companion.chapters.richardson_weiss.
    experiment.Evaluation` of the Bayes-optimal classifier and, for the same points (the first
    ``evaluation.n`` of ``X, y``), the distances to the nearest subspace of each class.

    Used on :doc:`/notebooks/rw-theorem2`.

    Returns a dict: ``own``, ``other`` (``(n,)`` distances), ``norms`` (attack L2, 0 where it
    failed), ``fooled`` (correct and fooled), ``gap`` (Theorem 2's ``d``: the smallest
    :func:`~companion.chapters.richardson_weiss.experiment.subspace_gap` between components
    of different classes), ``dim`` and ``latent`` (``D``, ``l``), ``sigma`` (the largest
    noise standard deviation), ``dataset`` (the images the models were fitted to, read from the
    evaluation's key; None without one).
    """
    n = evaluation.n
    x = np.asarray(X, dtype=np.float64)[:n].reshape(n, -1)
    y = np.asarray(y)[:n]
    if not np.array_equal(y, evaluation.arrays["labels"]):
        raise ValueError("the evaluation's labels differ from y: not the same test points")
    own, other = class_distances(class_models, x, y)
    return {"own": own, "other": other, "norms": evaluation.arrays["norms"],
            "fooled": evaluation.fooled, "gap": float(subspace_gap(*class_models).min()),
            "dim": class_models[0].dim, "latent": class_models[0].latent_dim,
            "sigma": float(max(m.noise.max() for m in class_models) ** 0.5),
            "dataset": _dataset_of_key(getattr(evaluation, "key", None))}


def _dataset_of_key(key) -> object:
    try:
        return key["classifier"]["models"]["fit"]["data"]["dataset"]
    except (KeyError, TypeError):
        return None


def figure14_summary(result: dict) -> dict:
    """One row of the page's Figure 14 table from a :func:`figure14` result: Theorem 2's ``d``,
    the mean distance to the other class ``r_2``, the mean attack, their ratio and the smallest
    margin of an attack over its triangle bound (over the fooled points).

    Used on :doc:`/notebooks/rw-theorem2`.

    Examples
    --------
    >>> r = {"gap": 2.0, "own": np.array([0.0, 0.2]), "other": np.array([4.0, 6.2]),
    ...      "norms": np.array([2.5, 3.5]), "fooled": np.array([True, True])}
    >>> {k: round(v, 3) for k, v in figure14_summary(r).items()}
    {'d': 2.0, 'mean r2': 5.1, 'mean attack': 3.0, 'ratio': 0.588, 'margin': 0.5}
    """
    ok = np.asarray(result["fooled"], bool)
    if not ok.any():
        raise ValueError("no fooled point: the summary needs at least one successful attack")
    norms, other = np.asarray(result["norms"])[ok], np.asarray(result["other"])[ok]
    bound = triangle_bound(result["own"], result["other"])[ok]
    return {"d": float(result["gap"]), "mean r2": float(other.mean()),
            "mean attack": float(norms.mean()), "ratio": float(norms.mean() / other.mean()),
            "margin": float((norms - bound).min())}
