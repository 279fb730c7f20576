"""Richardson & Weiss, Section 2.2 and Appendix A.1, A.3: the toys of Theorems 1 and 3.

- The noisy two-face toy of Theorem 1 and Figure 4: two face images shipped with scikit-image
  (:func:`face_means`), isotropic Gaussian noise around each (:func:`draw_two_gaussians`), the
  exact signed distance to the bisecting hyperplane (:func:`signed_margin`) and its closed-form
  law (:func:`margin_below`), and a small CNN trained in-page (:func:`train_toy_cnn`).
- The asymmetric Gaussians of Lemma 1 and Theorem 3: the two sides of the printed and the
  corrected decision-surface equation (:func:`lemma1_sides`), boundary points by a root search
  along a line (:func:`line_boundary`), the distance along the low-variance direction
  (:func:`distance_along`) and its leading order as ``sigma_1 -> 0``
  (:func:`lemma1_leading_order`).
- The 2-D toys of Figure 3 (:func:`figure3_toys`): Gaussian mixtures in the plane, their exact
  log-likelihood ratio (:func:`gmm_log_ratio`) and the distance of every point to the zero
  contour on a fine grid (:func:`contour_distance`).
"""
from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp, ndtr

__all__ = ["FACES", "face_means", "draw_two_gaussians", "signed_margin", "margin_below",
           "margin_sweep", "bayes_toy", "train_toy_cnn", "lemma1_sides", "line_boundary",
           "distance_along", "lemma1_leading_order", "lemma1_pair", "theorem3_sweep", "GMM2",
           "figure3_toys", "gmm_log_ratio", "contour_distance"]

#: the two faces of the toy: scikit-image image name and the crop (rows, columns) of the face
FACES = {"astronaut": (slice(20, 200), slice(160, 340)),
         "camera": (slice(50, 190), slice(180, 320))}


def _positive(name: str, value) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def face_means(size: int = 32) -> np.ndarray:
    """The two class means of the noisy two-face toy: the faces of scikit-image's
    ``astronaut`` (Eileen Collins) and ``camera`` (the cameraman), cropped (:data:`FACES`),
    grey, downscaled to ``size x size`` with anti-aliasing, values in ``[0, 1]``.

    Used on :doc:`/notebooks/rw-theorem1`.

    Parameters
    ----------
    size : int
        Side of the square images, 8 to 180.

    Returns
    -------
    numpy.ndarray
        ``(2, size * size)`` float64: row 0 the astronaut, row 1 the cameraman.
    """
    if int(size) != size or not 8 <= size <= 180:
        raise ValueError(f"size must be an integer in [8, 180], got {size!r}")
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.transform import resize
    imgs = {"astronaut": rgb2gray(data.astronaut()), "camera": data.camera() / 255.0}
    out = [resize(imgs[k][r, c], (size, size), anti_aliasing=True).reshape(-1)
           for k, (r, c) in FACES.items()]
    return np.clip(np.array(out, dtype=np.float64), 0.0, 1.0)


def draw_two_gaussians(means: np.ndarray, sigma: float, n: int, seed: int = 0):
    """``n`` points per class from ``N(means[c], sigma^2 I)``, interleaved by class.

    Used on :doc:`/notebooks/rw-theorem1`.

    Returns
    -------
    x : numpy.ndarray
        ``(2 n, D)`` samples (unclipped).
    y : numpy.ndarray
        ``(2 n,)`` labels 0, 1, 0, 1, ...
    """
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or means.shape[0] != 2:
        raise ValueError(f"means must have shape (2, D), got {means.shape}")
    sigma = _positive("sigma", sigma)
    if int(n) != n or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    rng = np.random.default_rng(seed)
    y = np.tile([0, 1], int(n))
    x = means[y] + sigma * rng.standard_normal((y.size, means.shape[1]))
    return x, y


def signed_margin(x: np.ndarray, means: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Signed distance of each point to the bisecting hyperplane of ``means``, positive on its
    own class's side: ``(x - (m_0 + m_1) / 2) . u_y`` with ``u_y`` the unit vector from the
    other mean towards ``m_y``. For equal isotropic covariances and equal priors the hyperplane
    is the Bayes-optimal boundary, so the distance to it is ``|signed_margin|`` and a point is
    misclassified exactly where it is negative.

    Used on :doc:`/notebooks/rw-theorem1`.
    """
    means = np.asarray(means, dtype=np.float64)
    y = np.asarray(y)
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must be 0 or 1, got {np.unique(y)}")
    d = means[0] - means[1]
    u = d / np.linalg.norm(d)
    s = (np.asarray(x, dtype=np.float64) - means.mean(0)) @ u
    return np.where(y == 0, s, -s)


def margin_below(r, dnorm: float, sigma: float):
    """Exact probability that a point of ``N(mu, sigma^2 I)`` lies within distance ``r`` of
    the bisecting hyperplane of ``mu`` and ``mu + d`` (``||d|| = dnorm``): the signed margin is
    ``N(dnorm / 2, sigma^2)`` in every dimension, so
    ``P(|m| < r) = Phi((r - dnorm/2) / sigma) - Phi((-r - dnorm/2) / sigma)``.

    Used on :doc:`/notebooks/rw-theorem1`.
    """
    dnorm, sigma = _positive("dnorm", dnorm), _positive("sigma", sigma)
    r = np.asarray(r, dtype=np.float64)
    if (r < 0).any():
        raise ValueError(f"r must be >= 0, got {r}")
    h = dnorm / 2
    return ndtr((r - h) / sigma) - ndtr((-r - h) / sigma)


def margin_sweep(means: np.ndarray, sigmas: Sequence[float], n: int, t: float,
                 seed: int = 0) -> list:
    """For each ``sigma``: ``n`` points per class, their distances to the optimal hyperplane,
    and Theorem 1's event "closer than ``||d|| / 2 - t``", Monte Carlo against
    :func:`margin_below`.

    Used on :doc:`/notebooks/rw-theorem1`.

    Returns
    -------
    list of dict
        Per ``sigma``: ``sigma``, ``noise_norm`` (the mean ``||x - mu||``), ``mean_distance``,
        ``mc`` and ``exact`` (the fraction closer than ``||d||/2 - t``), ``se`` (its binomial
        standard error), ``errors`` (the fraction misclassified).
    """
    means = np.asarray(means, dtype=np.float64)
    dnorm = float(np.linalg.norm(means[0] - means[1]))
    t = float(t)
    if not 0 < t < dnorm / 2:
        raise ValueError(f"t must lie in (0, ||d||/2) = (0, {dnorm / 2:.4g}), got {t!r}")
    rows = []
    for k, sigma in enumerate(sigmas):
        x, y = draw_two_gaussians(means, sigma, n, seed=seed + k)
        m = signed_margin(x, means, y)
        ex = float(margin_below(dnorm / 2 - t, dnorm, sigma))
        rows.append({"sigma": float(sigma),
                     "noise_norm": float(np.linalg.norm(x - means[y], axis=1).mean()),
                     "mean_distance": float(np.abs(m).mean()),
                     "mc": float(np.mean(np.abs(m) < dnorm / 2 - t)), "exact": ex,
                     "se": math.sqrt(max(ex * (1 - ex), 1e-300) / m.size),
                     "errors": float(np.mean(m < 0))})
    return rows


def bayes_toy(means: np.ndarray, sigma: float):
    """The Bayes-optimal classifier of ``N(means[0], sigma^2 I)`` against
    ``N(means[1], sigma^2 I)`` (equal priors) as a :class:`~companion.mixtures.BayesOptimal`
    of two one-component MFAs with zero loadings, as the chapter core builds its toy.

    Used on :doc:`/notebooks/rw-theorem1`.
    """
    from ...mixtures import MFA, BayesOptimal
    means = np.asarray(means, dtype=np.float64)
    sigma = _positive("sigma", sigma)
    d = means.shape[1]
    return BayesOptimal(*(MFA([1.0], m[None], np.zeros((1, d, 1)), np.full((1, d), sigma ** 2))
                          for m in means))


def train_toy_cnn(x: np.ndarray, y: np.ndarray, size: int, *, depth: int = 4, width: int = 8,
                  epochs: int = 2, batch: int = 64, lr: float = 1e-3, seed: int = 0):
    """A :class:`~companion.models.CleverHansCNN` (two classes) trained with Adam on images
    ``x`` ``(N, size * size)`` and labels ``y``; a few seconds for a few thousand 32 x 32
    images.

    Used on :doc:`/notebooks/rw-theorem1`.

    Returns
    -------
    model : torch.nn.Module
        The trained network, in ``eval()`` mode, float32, taking ``(B, 1, size, size)``.
    seconds : float
        Training wall time.
    """
    import time

    import torch
    from torch.nn.functional import cross_entropy

    from ...models import CleverHansCNN
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != size * size or len(y) != len(x):
        raise ValueError(f"x must be (N, size * size) = (N, {size * size}) with one label per "
                         f"row, got x {x.shape}, y {np.shape(y)}")
    for name, v in (("depth", depth), ("width", width), ("epochs", epochs), ("batch", batch)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    model = CleverHansCNN(1, size, 2, depth=depth, width=width)
    xt = torch.as_tensor(x, dtype=torch.float32).reshape(-1, 1, size, size)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(int(epochs)):
        for idx in torch.randperm(len(xt), generator=g).split(int(batch)):
            opt.zero_grad()
            cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    model.eval()
    return model, time.perf_counter() - t0


# --- Lemma 1 and Theorem 3 ------------------------------------------------------------------

def _gauss_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    x = np.atleast_2d(x) - mean
    c = np.linalg.cholesky(cov)
    z = np.linalg.solve(c, x.T)
    return -0.5 * (z * z).sum(0) - np.log(np.diag(c)).sum() - 0.5 * x.shape[1] * math.log(
        2 * math.pi)


def _check_pair(mean1, cov1, mean2, cov2):
    m1, m2 = np.asarray(mean1, float), np.asarray(mean2, float)
    s1, s2 = np.asarray(cov1, float), np.asarray(cov2, float)
    d = m1.size
    if m1.shape != (d,) or m2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"means must be (d,) and covariances (d, d), got {m1.shape}, "
                         f"{s1.shape}, {m2.shape}, {s2.shape}")
    return m1, s1, m2, s2


def lemma1_sides(x, mean1, cov1, mean2, cov2) -> dict:
    """Both sides of Lemma 1's decision-surface equation (Appendix A.3) at points ``x``.

    With ``v`` the unit eigenvector of ``cov1``'s smallest eigenvalue ``sigma_1^2``,
    ``t = v . x``, ``s`` the coordinates orthogonal to ``v``, ``t_i = v . mean_i`` and
    ``sigma_2^2 = v^T cov2 v``, the left side is
    ``(1/s1^2 - 1/s2^2) t^2 + 2 (t2/s2^2 - t1/s1^2) t + t1^2/s1^2 - t2^2/s2^2 + log s1^2/s2^2``.
    On the boundary ``log p_1(x) = log p_2(x)`` it equals ``2 (log p_1(s|t) - log p_2(s|t))``
    (``"corrected"``); the paper prints ``log p_2(s|t) - log p_1(s|t)`` (``"printed"``). The
    conditional terms are computed as ``log p_i(x) - log p_i(t)`` (exact Gaussian densities).

    Used on :doc:`/notebooks/rw-theorem3`.

    Returns
    -------
    dict
        ``"lhs"``, ``"printed"``, ``"corrected"`` (arrays ``(N,)``) and ``"log_ratio"``
        ``log p_1(x) - log p_2(x)``.
    """
    m1, s1, m2, s2 = _check_pair(mean1, cov1, mean2, cov2)
    x = np.atleast_2d(np.asarray(x, float))
    w, u = np.linalg.eigh(s1)
    v = u[:, 0]
    v1, v2 = float(w[0]), float(v @ s2 @ v)
    t, t1, t2 = x @ v, m1 @ v, m2 @ v
    lhs = ((1 / v1 - 1 / v2) * t ** 2 + 2 * (t2 / v2 - t1 / v1) * t
           + (t1 ** 2 / v1 - t2 ** 2 / v2 + math.log(v1 / v2)))
    lp1, lp2 = _gauss_logpdf(x, m1, s1), _gauss_logpdf(x, m2, s2)
    lt1 = -0.5 * (t - t1) ** 2 / v1 - 0.5 * math.log(2 * math.pi * v1)
    lt2 = -0.5 * (t - t2) ** 2 / v2 - 0.5 * math.log(2 * math.pi * v2)
    c1, c2 = lp1 - lt1, lp2 - lt2
    return {"lhs": lhs, "printed": c2 - c1, "corrected": 2 * (c1 - c2), "log_ratio": lp1 - lp2}


def line_boundary(x, direction, mean1, cov1, mean2, cov2, reach: float = 50.0):
    """For each point ``x``, the nearest ``a`` (in ``|a|``) with ``log p_1 = log p_2`` at
    ``x + a * direction`` (``direction`` normalised), by a bracket scan and Brent's method;
    ``inf`` where the line meets no boundary within ``|a| <= reach``.

    Used on :doc:`/notebooks/rw-theorem3`.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` signed steps ``a``.
    """
    m1, s1, m2, s2 = _check_pair(mean1, cov1, mean2, cov2)
    reach = _positive("reach", reach)
    v = np.asarray(direction, float)
    if v.shape != m1.shape or not np.linalg.norm(v) > 0:
        raise ValueError(f"direction must be a non-zero vector of shape {m1.shape}")
    v = v / np.linalg.norm(v)
    x = np.atleast_2d(np.asarray(x, float))

    def g(p, a):
        q = p + np.multiply.outer(np.atleast_1d(a), v)
        return _gauss_logpdf(q, m1, s1) - _gauss_logpdf(q, m2, s2)

    out = np.full(len(x), math.inf)
    steps = np.concatenate([[0.0], np.geomspace(1e-9, reach, 400)])
    for i, p in enumerate(x):
        best = math.inf
        for sgn in (1.0, -1.0):
            vals = g(p, sgn * steps)
            change = np.nonzero(np.sign(vals[1:]) != np.sign(vals[:-1]))[0]
            if change.size:
                k = change[0]
                r = brentq(lambda c: float(g(p, c)[0]), sgn * steps[k], sgn * steps[k + 1],
                           xtol=1e-14, rtol=1e-12)
                if abs(r) < abs(best):
                    best = r
        out[i] = best
    return out


def distance_along(x, mean1, cov1, mean2, cov2, reach: float = 50.0) -> np.ndarray:
    """The length of the smallest perturbation along ``v`` (the direction of least variance
    of ``cov1``) that reaches the Bayes-optimal boundary: the perturbation Lemma 1's proof
    uses; an upper bound on the exact distance (:func:`companion.mixtures.boundary_distance`).
    """
    w, u = np.linalg.eigh(np.asarray(cov1, float))
    return np.abs(line_boundary(x, u[:, 0], mean1, cov1, mean2, cov2, reach))


def lemma1_leading_order(x, mean1, cov1, mean2, cov2) -> np.ndarray:
    """The leading order of :func:`distance_along` as ``sigma_1 -> 0``: freezing the right
    side of the corrected equation at ``t = t_1`` and ``(t - t_2)^2`` at ``(t_1 - t_2)^2``,
    the boundary sits at ``|t - t_1| = sigma_1 sqrt(L)``,
    ``L = log(sigma_2^2 / sigma_1^2) + (t_1 - t_2)^2 / sigma_2^2 + 2 (log p_1(s|t_1) -
    log p_2(s|t_1))``, and a point at ``t`` is ``sigma_1 sqrt(L) - |t - t_1|`` away from it
    along ``v`` (NaN where ``L < 0``). It is ``O(sigma_1 sqrt(log(1 / sigma_1)))``: zero in
    the limit, which is Lemma 1.
    """
    m1, s1, m2, s2 = _check_pair(mean1, cov1, mean2, cov2)
    x = np.atleast_2d(np.asarray(x, float))
    w, u = np.linalg.eigh(s1)
    v = u[:, 0]
    v1, v2 = float(w[0]), float(v @ s2 @ v)
    t, t1, t2 = x @ v, m1 @ v, m2 @ v
    x1 = x + np.outer(t1 - t, v)                     # the same s, at t = t_1
    sides = lemma1_sides(x1, m1, s1, m2, s2)
    big_l = math.log(v2 / v1) + (t1 - t2) ** 2 / v2 + sides["corrected"]
    with np.errstate(invalid="ignore"):
        return np.where(big_l >= 0, math.sqrt(v1) * np.sqrt(np.maximum(big_l, 0))
                        - np.abs(t - t1), np.nan)


def lemma1_pair(sigma1: float, dim: int = 10, seed: int = 0):
    """Two Gaussians in ``dim`` dimensions for Lemma 1: class 1 ``N(0, diag(1, ..., 1,
    sigma1^2))`` (its least-variance direction the last axis), class 2 ``N(mu_2, S_2)`` with a
    fixed random mean of norm 1 and a random full-rank covariance with eigenvalues in
    ``[0.5, 1.5]`` (the same for every ``sigma1`` at a given ``seed``).

    Used on :doc:`/notebooks/rw-theorem3`.

    Returns
    -------
    tuple
        ``(mean1, cov1, mean2, cov2)``.
    """
    sigma1 = _positive("sigma1", sigma1)
    if int(dim) != dim or dim < 2:
        raise ValueError(f"dim must be an integer >= 2, got {dim!r}")
    rng = np.random.default_rng(seed)
    mu2 = rng.standard_normal(dim)
    mu2 /= np.linalg.norm(mu2)
    q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    cov2 = q @ np.diag(rng.uniform(0.5, 1.5, dim)) @ q.T
    cov1 = np.diag(np.r_[np.ones(dim - 1), sigma1 ** 2])
    return np.zeros(dim), cov1, mu2, (cov2 + cov2.T) / 2


def theorem3_sweep(sigmas: Sequence[float], n: int, dim: int = 10, eps: float = 0.05,
                   seed: int = 0) -> list:
    """Lemma 1 as ``sigma_1`` shrinks: for each ``sigma1`` (:func:`lemma1_pair`), ``n``
    points of class 1, their exact distance to the optimal boundary
    (:func:`companion.mixtures.boundary_distance`), the distance along ``v``
    (:func:`distance_along`) and its leading order (:func:`lemma1_leading_order`).

    Used on :doc:`/notebooks/rw-theorem3`.

    Returns
    -------
    list of dict
        Per ``sigma1``: ``sigma1``, ``correct`` (fraction classified as class 1), ``median
        exact``, ``median along``, ``median leading``, ``within eps`` (fraction with exact
        distance below ``eps``), ``exact <= along`` (bool over all points), ``leading error``
        (median relative difference of the leading order from the distance along ``v``).
    """
    from ...mixtures import boundary_distance
    eps = _positive("eps", eps)
    rows = []
    for s1 in sigmas:
        m1, c1, m2, c2 = lemma1_pair(s1, dim, seed)
        rng = np.random.default_rng(seed + 1)
        x = m1 + rng.standard_normal((int(n), dim)) * np.sqrt(np.diag(c1))
        exact = boundary_distance(x, m1, c1, m2, c2).distance
        along = distance_along(x, m1, c1, m2, c2)
        lead = lemma1_leading_order(x, m1, c1, m2, c2)
        ok = lemma1_sides(x, m1, c1, m2, c2)["log_ratio"] > 0
        fin = np.isfinite(along) & np.isfinite(lead) & (along > 0)
        rows.append({"sigma1": float(s1), "correct": float(ok.mean()),
                     "median exact": float(np.median(exact)),
                     "median along": float(np.median(along)),
                     "median leading": float(np.nanmedian(lead)),
                     "within eps": float(np.mean(exact < eps)),
                     "exact <= along": bool(np.all(exact <= along * (1 + 1e-9) + 1e-12)),
                     "leading error": float(np.median(np.abs(lead[fin] / along[fin] - 1)))})
    return rows


# --- Figure 3's 2-D toys --------------------------------------------------------------------

class GMM2(NamedTuple):
    """A Gaussian mixture in the plane: ``weights (K,)``, ``means (K, 2)``, ``covs (K, 2, 2)``.

    Used on :doc:`/notebooks/rw-theorem3`.
    """

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Exact log-density at ``x`` ``(N, 2)``."""
        comps = [math.log(w) + _gauss_logpdf(x, m, c)
                 for w, m, c in zip(self.weights, self.means, self.covs)]
        return logsumexp(np.array(comps), axis=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` points."""
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        z = rng.standard_normal((n, 2))
        chol = np.linalg.cholesky(self.covs)
        return self.means[k] + np.einsum("nij,nj->ni", chol[k], z)


def _rot(angle: float, var_major: float, var_minor: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    r = np.array([[c, -s], [s, c]])
    return r @ np.diag([var_major, var_minor]) @ r.T


def figure3_toys(noise: float = 0.05) -> dict:
    """The book's 2-D Gaussian toys for Figure 3's Gaussian panels (the discrete panels c and
    g are on :doc:`/notebooks/rw-discrete`): ``name -> (class 1, class 2, symmetric?)``.

    - ``"isotropic"``: two spherical Gaussians, same variance (Theorem 1, Figure 3a);
    - ``"symmetric mixtures"``: two mixtures of thin Gaussians along segments, every component
      with the same small minor standard deviation ``noise`` (Theorem 2's conditions in 2-D);
    - ``"asymmetric Gaussian"``: class 1 thin (minor standard deviation ``noise``), class 2
      broad and full rank (Lemma 1);
    - ``"asymmetric mixtures"``: class 1 a mixture of thin components, class 2 a mixture of
      broad ones overlapping them (Theorem 3).

    Used on :doc:`/notebooks/rw-theorem3`.
    """
    s = _positive("noise", noise) ** 2
    one = np.ones(1)
    out = {}
    out["isotropic"] = (GMM2(one, np.array([[-1.0, 0.0]]), np.array([0.09 * np.eye(2)])),
                        GMM2(one, np.array([[1.0, 0.0]]), np.array([0.09 * np.eye(2)])), True)
    a = [GMM2(np.full(2, 0.5), np.array([[-1.2, 0.6], [-0.4, -0.8]]),
              np.array([_rot(0.6, 0.25, s), _rot(-0.9, 0.2, s)])),
         GMM2(np.full(2, 0.5), np.array([[1.0, 0.8], [0.9, -0.7]]),
              np.array([_rot(-0.5, 0.25, s), _rot(1.2, 0.2, s)]))]
    out["symmetric mixtures"] = (a[0], a[1], True)
    out["asymmetric Gaussian"] = (GMM2(one, np.array([[0.0, 0.0]]), np.array([_rot(0.3, 0.6,
                                                                                     s)])),
                                  GMM2(one, np.array([[0.3, 0.2]]), np.array([0.5 * np.eye(2)])),
                                  False)
    out["asymmetric mixtures"] = (
        GMM2(np.full(2, 0.5), np.array([[-0.8, 0.3], [0.8, -0.3]]),
             np.array([_rot(0.4, 0.3, s), _rot(-0.7, 0.3, s)])),
        GMM2(np.full(2, 0.5), np.array([[-0.6, -0.2], [0.7, 0.3]]),
             np.array([0.4 * np.eye(2), 0.4 * np.eye(2)])), False)
    return out


def gmm_log_ratio(x: np.ndarray, p1: GMM2, p2: GMM2) -> np.ndarray:
    """``log p_1(x) - log p_2(x)`` (equal priors): positive where the Bayes-optimal classifier
    says class 1.
    """
    x = np.atleast_2d(np.asarray(x, float))
    if x.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {x.shape}")
    return p1.log_prob(x) - p2.log_prob(x)


def contour_distance(points: np.ndarray, p1: GMM2, p2: GMM2,
                     extent: Sequence[float] = (-3.0, 3.0, -3.0, 3.0), n: int = 801):
    """Distance of each point to the Bayes-optimal boundary ``log p_1 = log p_2`` inside
    ``extent`` ``(xmin, xmax, ymin, ymax)``: the zero contour of the exact log-ratio on an
    ``n x n`` grid (marching squares, linear interpolation on the cell edges), and the exact
    distance of each point to that polyline's segments. The error is of the order of the
    grid step squared times the boundary's curvature.

    Used on :doc:`/notebooks/rw-theorem3`.

    Returns
    -------
    distance : numpy.ndarray
        ``(N,)`` (``inf`` if there is no boundary in the extent).
    segments : list of numpy.ndarray
        The boundary polylines ``(M, 2)`` in data coordinates.
    """
    from skimage.measure import find_contours
    x0, x1, y0, y1 = (float(e) for e in extent)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"extent must be (xmin, xmax, ymin, ymax) with min < max, got {extent}")
    if int(n) != n or n < 3:
        raise ValueError(f"n must be an integer >= 3, got {n!r}")
    xs, ys = np.linspace(x0, x1, int(n)), np.linspace(y0, y1, int(n))
    gx, gy = np.meshgrid(xs, ys)
    g = gmm_log_ratio(np.column_stack([gx.ravel(), gy.ravel()]), p1, p2).reshape(gx.shape)
    lines = [np.column_stack([np.interp(c[:, 1], np.arange(n), xs),
                              np.interp(c[:, 0], np.arange(n), ys)])
             for c in find_contours(g, 0.0)]
    p = np.atleast_2d(np.asarray(points, float))
    if not lines:
        return np.full(len(p), math.inf), lines
    a = np.concatenate([ln[:-1] for ln in lines])
    b = np.concatenate([ln[1:] for ln in lines])
    ab = b - a
    den = np.maximum((ab * ab).sum(1), 1e-300)
    out = np.empty(len(p))
    for i in range(0, len(p), 256):
        q = p[i:i + 256, None, :]
        h = np.clip(((q - a) * ab).sum(2) / den, 0.0, 1.0)
        out[i:i + 256] = np.linalg.norm(q - (a + h[..., None] * ab), axis=2).min(1)
    return out, lines
