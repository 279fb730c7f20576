"""Helpers of the Richardson & Weiss overview pages: the 3-D toy manifold of Figure 2, the
Bayes-optimal accuracy per data set, per-point gradient attacks (Figures 5 and 15) and the sweep
of the asymmetric version's unstated outlier step and weight.

The evaluations of the grid (:mod:`companion.chapters.richardson_weiss.grid`) keep per point only
the norm and the success, plus one histogram of pixel changes over all fooled points; the
margins of the pages need per-point pixel statistics, so :func:`attack_points` redoes the
(cheap, well under a second) gradient attack of an evaluation on the same test points, with the
same settings, and returns the perturbations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch

from ...attacks.base import predict
from ...mixtures import MFA, BayesOptimal, gradient_attack, make_asymmetric
from . import experiment as ex

__all__ = ["swiss_roll", "local_planes", "off_plane_ratio", "bayes_accuracy", "outlier_error",
           "PointAttack", "attack_points", "mean_se", "ratio_lower", "magnify",
           "asymmetric_sweep", "half_subspace_distance", "off_manifold_residual",
           "perturbation_cosines"]


def swiss_roll(n: int, seed: int = 0, noise: float = 0.03):
    """``n`` points near a swiss roll in 3-D (a 2-D manifold rolled up), ``(X, t)``.

    ``t`` in ``[1.5 pi, 4.5 pi]`` is the angle along the roll, ``h`` in ``[0, 2]`` the height;
    the point is ``(t cos t, 10 h, t sin t) / 10`` plus isotropic Gaussian noise of standard
    deviation ``noise``.

    Used on :doc:`/notebooks/rw-paper`.

    Parameters
    ----------
    n : int
        Number of points, ``>= 1``.
    seed : int
        Seed of the generator.
    noise : float
        Standard deviation of the off-manifold noise, ``>= 0``.

    Returns
    -------
    X : numpy.ndarray
        ``(n, 3)`` points.
    t : numpy.ndarray
        ``(n,)`` angles along the roll (to colour the points).

    Examples
    --------
    >>> X, t = swiss_roll(5, noise=0.0)
    >>> bool(np.allclose(np.hypot(X[:, 0], X[:, 2]), t / 10))
    True
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a standard deviation >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    t = 1.5 * np.pi * (1 + 2 * rng.random(int(n)))
    h = 2 * rng.random(int(n))
    X = np.stack([t * np.cos(t), 10 * h, t * np.sin(t)], 1) / 10
    return X + noise * rng.standard_normal(X.shape), t


def _check_mfa(mfa) -> None:
    if not isinstance(mfa, MFA):
        raise ValueError(f"expected a companion.mixtures.MFA, got {type(mfa).__name__}")


def local_planes(mfa: MFA, scale: float = 2.0) -> np.ndarray:
    """The corners of each component's local plane: ``(K, 4, d)``.

    Component ``k``'s plane is spanned by its two leading principal axes ``s_1 u_1, s_2 u_2``
    (``A_k = U S V^T``); the corners are ``mu_k + scale (+-s_1 u_1 +- s_2 u_2)`` in the order
    ``(+, +), (+, -), (-, -), (-, +)``: a parallelogram of ``scale`` standard deviations along
    the manifold (Figure 2, left). Needs latent dimension ``>= 2``.

    Used on :doc:`/notebooks/rw-paper`.

    Parameters
    ----------
    mfa : MFA
        A mixture of factor analysers.
    scale : float
        Half-width of the drawn plane in standard deviations, ``> 0``.

    Returns
    -------
    numpy.ndarray
        ``(K, 4, d)`` corners.

    Examples
    --------
    >>> m = MFA([1.0], [[1.0, 0.0, 0.0]], [[[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]],
    ...         [[0.1, 0.1, 0.1]])
    >>> np.abs(local_planes(m, 1.0)[0]).round(12).tolist()
    [[3.0, 1.0, 0.0], [3.0, 1.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
    """
    _check_mfa(mfa)
    if mfa.latent_dim < 2:
        raise ValueError(f"a plane needs latent dimension >= 2, got {mfa.latent_dim}")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be > 0, got {scale!r}")
    out = []
    for k in range(mfa.n_components):
        u, s, _ = np.linalg.svd(mfa.loadings[k].detach().numpy(), full_matrices=False)
        a1, a2 = scale * s[0] * u[:, 0], scale * s[1] * u[:, 1]
        mu = mfa.means[k].detach().numpy()
        out.append([mu + a1 + a2, mu + a1 - a2, mu - a1 - a2, mu - a1 + a2])
    return np.asarray(out)


def off_plane_ratio(mfa: MFA) -> np.ndarray:
    """Per component, the off-plane noise standard deviation (root mean of ``D_k``) over the
    smallest on-plane one (the smallest singular value of ``A_k``): small when the component
    is a thin local piece of a low-dimensional manifold.

    Used on :doc:`/notebooks/rw-paper`.

    Examples
    --------
    >>> m = MFA([1.0], [[0.0, 0.0, 0.0]], [[[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]],
    ...         [[0.01, 0.01, 0.01]])
    >>> off_plane_ratio(m).round(6).tolist()
    [0.1]
    """
    _check_mfa(mfa)
    s_min = torch.linalg.svdvals(mfa.loadings.detach())[:, -1]
    return (mfa.noise.detach().mean(1).sqrt() / s_min).numpy()


def bayes_accuracy(profile: str, pair, version: str) -> tuple:
    """Accuracy of the Bayes-optimal classifier of a pair's version on all the version's test
    samples (:func:`experiment.samples`, ``n_test`` points): ``(accuracy, n)``.

    Used on :doc:`/notebooks/rw-paper`.
    """
    if version not in ("symmetric", "asymmetric"):
        raise ValueError(f"version must be 'symmetric' or 'asymmetric', got {version!r}")
    f = ex.bayes_optimal(profile, pair, version)
    x, y = ex.samples(profile, pair, version, "test")
    with torch.no_grad():
        ok = predict(f, x.reshape(len(x), -1)) == y
    return float(ok.double().mean()), int(len(y))


def outlier_error(step: float, sigma: float, weight: float) -> float:
    """The error of the asymmetric version's Bayes-optimal classifier predicted from its
    outliers alone: ``weight * Phi(-step / sigma)``.

    A sample of class 0's outlier ``N(m + step v, sigma^2 I)`` lies far from every manifold
    component (its noise has norm about ``sigma sqrt(d)``), so it is classified by the two
    outliers alone, whose boundary is the hyperplane through ``m`` orthogonal to ``v``; it is
    wrong when its noise along ``v`` is below ``-step``. Both classes' outliers have the same
    ``weight``, the other samples are classified correctly.

    Used on :doc:`/notebooks/rw-paper`.

    Parameters
    ----------
    step : float
        Distance of each outlier mean from the data mean, ``>= 0``.
    sigma : float
        The outliers' noise standard deviation, ``> 0``.
    weight : float
        The outliers' mixture weight, in ``(0, 1)``.

    Returns
    -------
    float
        The predicted error rate.

    Examples
    --------
    >>> round(outlier_error(0.0, 0.5, 0.2), 12)
    0.1
    """
    if not (math.isfinite(step) and step >= 0):
        raise ValueError(f"step must be >= 0, got {step!r}")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    if not 0 < weight < 1:
        raise ValueError(f"weight must be in (0, 1), got {weight!r}")
    return float(weight * 0.5 * math.erfc(step / sigma / math.sqrt(2)))


@dataclass(frozen=True)
class PointAttack:
    """Per-point outcomes of a gradient attack: ``correct``, ``success``, ``norms`` (0 where
    it failed), ``delta`` (``(n, d)`` perturbations, 0 where it failed)."""

    correct: np.ndarray
    success: np.ndarray
    norms: np.ndarray
    delta: np.ndarray

    @property
    def fooled(self) -> np.ndarray:
        """Mask of the points classified correctly and fooled (Section 2.4's convention)."""
        return self.correct & self.success

    @property
    def l2(self) -> np.ndarray:
        """Norms of the fooled points."""
        return self.norms[self.fooled]

    def frac_above(self, levels: float = 5) -> np.ndarray:
        """Per fooled point, the fraction of its pixels changed by more than ``levels / 255``."""
        d = np.abs(self.delta[self.fooled])
        return (d > (levels + 0.5) / 255).mean(1)


def attack_points(profile: str, pair, version: str, class_models: Optional[Sequence] = None,
                  n: Optional[int] = None) -> PointAttack:
    """Redo the gradient attack of the grid's evaluation of a Bayes-optimal classifier on its
    test points (the first ``eval_n`` of the ``n_test`` test samples, same seed, same attack
    settings), keeping the perturbations.

    ``class_models``: other class models ``(MFA, MFA)`` (e.g. an asymmetric version with
    another outlier step or weight); their test samples are drawn with the same seed.
    ``n``: fewer points than ``eval_n``.

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.
    """
    cfg = ex.check_profile(profile)
    p = ex.check_pair(pair)
    skey = ex.samples_key(profile, p, version, "test")
    m = cfg["eval_n"]["gradient"] if n is None else int(n)
    if not 1 <= m <= skey["n"]:
        raise ValueError(f"n must be in 1..{skey['n']}, got {n!r}")
    if class_models is None:
        class_models = ex.models(profile, p, version)
    if len(class_models) != 2 or not all(isinstance(c, MFA) for c in class_models):
        raise ValueError("class_models must be two companion.mixtures.MFA models")
    x, y = ex.draw_samples(class_models, skey["n"], skey["seed"], p.shape)
    x, y = x[:m].reshape(m, -1), y[:m]
    f = BayesOptimal(*class_models)
    g = cfg["gradient"]
    with torch.no_grad():
        correct = (predict(f, x) == y).numpy()
    r = gradient_attack(f, x, y, step_size=g["step_size"], max_steps=g["max_steps"],
                        bisect_steps=g["bisect_steps"])
    success = r.success.numpy()
    delta = (r.x_adv.reshape(m, -1) - x).numpy() * success[:, None]
    return PointAttack(correct, success, np.where(success, r.norms.numpy(), 0.0), delta)


def mean_se(values) -> tuple:
    """``(mean, standard error)`` of a sample (standard error NaN for fewer than 2 values).

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.

    Examples
    --------
    >>> mean_se([1.0, 3.0])
    (2.0, 1.0)
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("mean_se needs at least one value")
    se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan
    return float(v.mean()), se


def ratio_lower(a, b, k: float = 2.0) -> float:
    """A conservative ratio of two sample means: ``(mean(a) - k se(a)) / (mean(b) + k se(b))``.

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.

    Examples
    --------
    >>> ratio_lower([3.0, 5.0], [1.0, 1.0], k=1.0)
    3.0
    """
    (ma, sa), (mb, sb) = mean_se(a), mean_se(b)
    return float((ma - k * sa) / (mb + k * sb))


def magnify(delta, factor: float) -> np.ndarray:
    """A perturbation as an image: ``0.5 + factor * delta`` clipped to ``[0, 1]`` (grey is no
    change).

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.

    Examples
    --------
    >>> magnify([0.0, 0.01, -0.2], 10).tolist()
    [0.5, 0.6, 0.0]
    """
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor must be > 0, got {factor!r}")
    return np.clip(0.5 + factor * np.asarray(delta, dtype=float), 0.0, 1.0)


def asymmetric_sweep(profile: str, pair, step_factors: Sequence[float],
                     weights: Sequence, n: Optional[int] = None) -> list:
    """Mean L2 of the gradient attack on asymmetric versions built with other outlier steps
    and weights than the defaults of :func:`companion.mixtures.make_asymmetric`.

    For each ``step = factor * default step`` (the square root of the 50th PCA eigenvalue) and
    each outlier weight (``None``: the default ``1 / (K + 1)``), the asymmetric models are
    rebuilt by ``make_asymmetric`` from the symmetric ones and the pair's training images, test
    samples are drawn from them with the test seed, and :func:`attack_points` attacks the first
    ``n`` (default ``eval_n``). Rows: ``step_factor``, ``step``, ``weight`` (the value used),
    ``accuracy``, ``mean_l2``, ``se``, ``n_fooled``, and the mean L2 split between the fooled
    points near their class manifold (``manifold_l2``, ``manifold_se``) and the outlier
    samples (``outlier_l2``, ``n_outliers``).

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.
    """
    cfg = ex.check_profile(profile)
    for f in step_factors:
        if not (math.isfinite(f) and f >= 0):
            raise ValueError(f"step factors must be finite and >= 0, got {f!r}")
    for w in weights:
        if w is not None and not 0 < w < 1:
            raise ValueError(f"weights must be in (0, 1) or None (1 / (K + 1)), got {w!r}")
    if not len(step_factors) or not len(weights):
        raise ValueError("give at least one step factor and one weight")
    sym = ex.models(profile, pair, "symmetric")
    X = np.concatenate(ex.fit_data(profile, pair))
    base = make_asymmetric(sym, X, rank=cfg["outlier_rank"]).step
    rows = []
    for f in step_factors:
        for w in weights:
            a = make_asymmetric(sym, X, step=f * base, outlier_weight=w,
                                sigma=cfg["outlier_sigma"], rank=cfg["outlier_rank"])
            r = attack_points(profile, pair, "asymmetric", a[:2], n)
            near = _near_manifold(profile, pair, a[:2], sym, len(r.correct))
            m, se = mean_se(r.l2)
            on = r.norms[r.fooled & near]
            off = r.norms[r.fooled & ~near]
            rows.append({"step_factor": float(f), "step": float(f * base),
                         "weight": float(a.mfa0.weights[-1]),
                         "accuracy": float(r.correct.mean()), "mean_l2": m, "se": se,
                         "n_fooled": int(r.fooled.sum()),
                         "manifold_l2": float(on.mean()) if on.size else math.nan,
                         "manifold_se": mean_se(on)[1] if on.size else math.nan,
                         "outlier_l2": float(off.mean()) if off.size else math.nan,
                         "n_outliers": int(off.size)})
    return rows


def _near_manifold(profile: str, pair, class_models, sym, n: int,
                   near: float = 1.0) -> np.ndarray:
    """Mask of the first ``n`` test samples of ``class_models`` within ``near`` of their class's
    symmetric manifold (the others are outlier samples, about ``0.5 sqrt(d)`` away)."""
    p = ex.check_pair(pair)
    skey = ex.samples_key(profile, p, "asymmetric", "test")
    x, y = ex.draw_samples(class_models, skey["n"], skey["seed"], p.shape)
    x, y = x[:n].reshape(n, -1).numpy(), y[:n].numpy()
    out = np.zeros(n, dtype=bool)
    for c in (0, 1):
        idx = np.flatnonzero(y == c)
        out[idx] = np.linalg.norm(off_manifold_residual(sym[c], x[idx]), axis=1) < near
    return out


def half_subspace_distance(profile: str, pair, n: Optional[int] = None) -> float:
    """Half the mean distance from a symmetric version's test samples to the nearest component
    subspace of the other class (:func:`experiment.subspace_distances`): what Theorem 2 and
    Appendix D.1 predict for the symmetric optimal classifier's mean attack norm.

    ``n``: the first ``n`` test samples (default all ``n_test``).

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.
    """
    m = ex.models(profile, pair, "symmetric")
    x, y = ex.samples(profile, pair, "symmetric", "test")
    if n is not None:
        if not 2 <= int(n) <= len(y):
            raise ValueError(f"n must be in 2..{len(y)}, got {n!r}")
        x, y = x[: int(n)], y[: int(n)]
    x, y = x.reshape(len(x), -1).numpy(), y.numpy()
    d = np.concatenate([ex.subspace_distances(m[1 - c], x[y == c]).min(1) for c in (0, 1)])
    return float(d.mean() / 2)


def off_manifold_residual(mfa: MFA, X) -> np.ndarray:
    """Per point, ``(I - P_k)(x - mu_k)`` for the component ``k`` whose affine subspace
    ``{mu_k + A_k z}`` is nearest: the point's off-manifold part, ``(n, d)``.

    Examples
    --------
    >>> m = MFA([1.0], [[0.0, 0.0, 1.0]], [[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]],
    ...         [[0.1, 0.1, 0.1]])
    >>> off_manifold_residual(m, [[1.0, 2.0, 3.0]]).round(12).tolist()
    [[0.0, 0.0, 2.0]]
    """
    _check_mfa(mfa)
    x = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    if x.shape[1] != mfa.dim:
        raise ValueError(f"X must have {mfa.dim} features (flattened), got {x.shape[1]}")
    best = np.full(len(x), np.inf)
    out = np.zeros_like(x)
    for k in range(mfa.n_components):
        q, _ = np.linalg.qr(mfa.loadings[k].detach().numpy())
        r = x - mfa.means[k].detach().numpy()
        r = r - (r @ q) @ q.T
        d = np.linalg.norm(r, axis=1)
        take = d < best
        best[take], out[take] = d[take], r[take]
    return out


def perturbation_cosines(profile: str, pair, attack: PointAttack,
                         near: float = 1.0) -> np.ndarray:
    """Cosine between each fooled asymmetric test point's perturbation and its own
    off-manifold residual (:func:`off_manifold_residual` under its class's symmetric model),
    for the points within ``near`` of their class manifold (the outlier samples, about
    ``0.5 sqrt(d)`` away, are left out).

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.
    """
    sym = ex.models(profile, pair, "symmetric")
    x, y = ex.samples(profile, pair, "asymmetric", "test")
    n = len(attack.correct)
    x, y = x[:n].reshape(n, -1).numpy(), y[:n].numpy()
    out = []
    for c in (0, 1):
        idx = np.flatnonzero(attack.fooled & (y == c))
        res = off_manifold_residual(sym[c], x[idx])
        keep = np.linalg.norm(res, axis=1) < near
        d, r = attack.delta[idx][keep], res[keep]
        out.append(np.sum(d * r, 1) / np.linalg.norm(d, axis=1) / np.linalg.norm(r, axis=1))
    return np.concatenate(out)
