"""Mixtures of factor analysers (MFA): exact densities, scores, sampling, EM fitting.

Each of the ``K`` components is a factor analyser (Richardson & Weiss, Appendix B.1, Eq. (8))::

    x = A_k z + mu_k + eta,    z ~ N(0, I_l),    eta ~ N(0, D_k),    D_k diagonal,

so ``x ~ N(mu_k, Sigma_k)`` with ``Sigma_k = A_k A_k^T + D_k``, and the mixture density is
``p(x) = sum_k pi_k N(x; mu_k, Sigma_k)``. Nothing here forms a ``d x d`` matrix (except
:meth:`MFA.dense_covariances` and :meth:`MFA.moments`, meant for small ``d``): with
``M_k = I_l + A_k^T D_k^-1 A_k`` (``l x l``),

* the Woodbury identity ``Sigma_k^-1 = D_k^-1 - D_k^-1 A_k M_k^-1 A_k^T D_k^-1`` gives the
  Mahalanobis terms from ``(N, d) @ (d, K l)`` products, and
* the matrix determinant lemma ``log det Sigma_k = sum_j log D_kj + log det M_k`` the
  normalisers;

all in float64. :func:`fit_mfa` fits a model by the EM algorithm of Ghahramani & Hinton (1996),
with one diagonal ``D_k`` per component, initialised by k-means and one probabilistic PCA (or
factor analysis) per cluster.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Union

import numpy as np
import torch
from torch import nn

__all__ = ["FitResult", "MFA", "check_data", "check_sigma", "check_sizes", "em_step", "fit_mfa",
           "init_mfa"]

ArrayLike = Union[np.ndarray, torch.Tensor]
DTYPE = torch.float64
#: weights at or below this are "padding" components (the authors' ``pi_eps``)
WEIGHT_EPS = 1e-10


def _as_tensor(a: ArrayLike, name: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a)
    if not (t.is_floating_point() or t.dtype in (torch.uint8, torch.int32, torch.int64)):
        raise ValueError(f"{name} must hold real numbers, got dtype {t.dtype}")
    return t.detach().to(DTYPE, copy=True)


def check_data(X: ArrayLike, name: str = "X") -> torch.Tensor:
    """``X`` as a float64 tensor ``(N, d)``; a clear ``ValueError`` for anything else.

    Examples
    --------
    >>> check_data([[0, 1], [2, 3]]).dtype
    torch.float64
    >>> check_data([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: X must be 2-D (n_samples, n_features), got shape (2,); flatten images first \
with X.reshape(len(X), -1)
    """
    t = _as_tensor(X, name)
    if t.dim() != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape "
                         f"{tuple(t.shape)}; flatten images first with X.reshape(len(X), -1)")
    if t.shape[0] < 1 or t.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape "
                         f"{tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return t


def check_sizes(n_components: int, latent_dim: int, dim: int) -> None:
    """Reject ``n_components < 1`` and a latent dimension outside ``1 .. dim - 1``."""
    if int(n_components) != n_components or n_components < 1:
        raise ValueError(f"the number of components K must be an integer >= 1, got "
                         f"{n_components}")
    if int(latent_dim) != latent_dim or not 1 <= latent_dim < dim:
        raise ValueError(f"latent_dim must be an integer with 1 <= latent_dim < data dimension "
                         f"{dim}, got {latent_dim}")


def check_sigma(sigma: float, name: str = "sigma") -> float:
    """A noise standard deviation: finite and > 0."""
    s = float(sigma)
    if not (math.isfinite(s) and s > 0):
        raise ValueError(f"{name} must be a finite standard deviation > 0, got {sigma}")
    return s


class _Factors(NamedTuple):
    """Per-component quantities derived from the parameters (all float64)."""

    dinv: torch.Tensor      # (K, d)     1 / D_k
    chol: torch.Tensor      # (K, l, l)  Cholesky factor L_k of M_k = I + A_k^T D_k^-1 A_k
    c: torch.Tensor         # (K, l, d)  C_k = L_k^-1 A_k^T D_k^-1
    log_norm: torch.Tensor  # (K,)       -(d log 2 pi + log det Sigma_k) / 2
    log_w: torch.Tensor     # (K,)       log pi_k (-inf for weight 0)
    ref: torch.Tensor       # (d,)       centring point for the expanded quadratic forms
    m: torch.Tensor         # (K, d)     mu_k - ref


class MFA(nn.Module):
    """A mixture of ``K`` factor analysers in ``d`` dimensions with ``l`` latent factors.

    Parameters
    ----------
    weights:
        ``(K,)`` mixing weights ``pi_k >= 0`` summing to 1 (within ``1e-6``; renormalised).
    means:
        ``(K, d)`` component means ``mu_k``.
    loadings:
        ``(K, d, l)`` factor loadings ``A_k`` (``l >= 1``; zero columns are allowed, e.g. the
        isotropic outlier components of :func:`companion.mixtures.make_asymmetric`).
    noise:
        ``(K, d)`` diagonal noise *variances* ``D_k > 0`` (standard deviation squared).

    All parameters are stored as float64 buffers (``.to(device)`` moves them, ``state_dict``
    saves them); inputs of any float dtype are evaluated in float64.

    Examples
    --------
    One component, ``A = (1, 0)^T``, ``D = I``: ``Sigma = diag(2, 1)``, so at the mean
    ``log p = -log(2 pi) - log(2) / 2``:

    >>> m = MFA([1.0], [[0.0, 0.0]], [[[1.0], [0.0]]], [[1.0, 1.0]])
    >>> round(float(m.log_prob([[0.0, 0.0]])[0]), 10) == round(-math.log(2 * math.pi)
    ...                                                      - math.log(2) / 2, 10)
    True
    >>> [round(g, 12) for g in m.grad_log_prob([[2.0, 1.0]])[0].tolist()]   # -Sigma^-1 x
    [-1.0, -1.0]
    """

    def __init__(self, weights: ArrayLike, means: ArrayLike, loadings: ArrayLike,
                 noise: ArrayLike) -> None:
        super().__init__()
        w, mu = _as_tensor(weights, "weights"), _as_tensor(means, "means")
        a, dn = _as_tensor(loadings, "loadings"), _as_tensor(noise, "noise")
        if mu.dim() != 2:
            raise ValueError(f"means must have shape (K, d), got {tuple(mu.shape)}")
        k, d = mu.shape
        if w.shape != (k,):
            raise ValueError(f"weights must have shape ({k},) for K = {k} means, got "
                             f"{tuple(w.shape)}")
        if a.dim() != 3 or a.shape[:2] != (k, d):
            raise ValueError(f"loadings must have shape (K, d, l) = ({k}, {d}, l), got "
                             f"{tuple(a.shape)}")
        check_sizes(k, a.shape[2], d)
        if dn.shape != (k, d):
            raise ValueError(f"noise (the diagonal variances D) must have shape ({k}, {d}), "
                             f"got {tuple(dn.shape)}")
        for name, t in (("weights", w), ("means", mu), ("loadings", a), ("noise", dn)):
            if not torch.isfinite(t).all():
                raise ValueError(f"{name} must be finite")
        if (w < 0).any() or abs(float(w.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1, got sum {float(w.sum())} "
                             f"and minimum {float(w.min())}")
        if (dn <= 0).any():
            raise ValueError(f"noise variances D must be > 0, got minimum {float(dn.min())}; "
                             "use a floor such as fit_mfa(..., min_noise=1e-4)")
        self.register_buffer("weights", w / w.sum())
        self.register_buffer("means", mu)
        self.register_buffer("loadings", a)
        self.register_buffer("noise", dn)

    # -- shape ---------------------------------------------------------------------------------
    @property
    def n_components(self) -> int:
        """``K``."""
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        """``d``, the data dimension."""
        return self.means.shape[1]

    @property
    def latent_dim(self) -> int:
        """``l``, the number of factors per component."""
        return self.loadings.shape[2]

    def extra_repr(self) -> str:
        return f"K={self.n_components}, d={self.dim}, l={self.latent_dim}"

    def replace(self, **params: ArrayLike) -> "MFA":
        """A new model with some of ``weights``, ``means``, ``loadings``, ``noise`` replaced."""
        bad = set(params) - {"weights", "means", "loadings", "noise"}
        if bad:
            raise ValueError(f"replace takes weights, means, loadings, noise; got {sorted(bad)}")
        cur = {k: getattr(self, k) for k in ("weights", "means", "loadings", "noise")}
        cur.update(params)
        return MFA(**cur).to(self.means.device)

    # -- derived quantities --------------------------------------------------------------------
    def _factors(self) -> _Factors:
        a, dn = self.loadings, self.noise
        dinv = 1.0 / dn
        eye = torch.eye(self.latent_dim, dtype=DTYPE, device=a.device)
        b = a * dinv[:, :, None]                                   # D^-1 A   (K, d, l)
        mmat = eye + a.transpose(1, 2) @ b                         # M        (K, l, l)
        chol = torch.linalg.cholesky(mmat)
        c = torch.linalg.solve_triangular(chol, b.transpose(1, 2), upper=False)
        logdet = dn.log().sum(1) + 2 * chol.diagonal(dim1=1, dim2=2).log().sum(1)
        log_norm = -0.5 * (self.dim * math.log(2 * math.pi) + logdet)
        ref = self.weights @ self.means
        return _Factors(dinv, chol, c, log_norm, self.weights.log(), ref, self.means - ref)

    def _terms(self, x: torch.Tensor, f: _Factors):
        """Centred input, the squared Mahalanobis distances ``(N, K)`` and ``v = C_k r``."""
        xc = x - f.ref
        k, l = self.n_components, self.latent_dim
        quad = (xc * xc) @ f.dinv.T - 2 * xc @ (f.dinv * f.m).T \
            + (f.m * f.m * f.dinv).sum(1)
        cflat = f.c.reshape(k * l, self.dim)                       # row k*l + i is C_k[i]
        v = (xc @ cflat.T).reshape(-1, k, l) - torch.einsum("kld,kd->kl", f.c, f.m)
        quad = quad - (v * v).sum(2)
        return xc, quad, v

    def _input(self, x: ArrayLike) -> torch.Tensor:
        t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
        t = t.to(device=self.means.device, dtype=DTYPE)
        if t.dim() == 1:
            t = t[None]
        t = t.reshape(t.shape[0], -1) if t.shape[0] else t.reshape(0, self.dim)
        if t.shape[1] != self.dim:
            raise ValueError(f"inputs must have {self.dim} features (flattened), got "
                             f"{t.shape[1]}")
        return t

    # -- densities -----------------------------------------------------------------------------
    def component_log_prob(self, x: ArrayLike) -> torch.Tensor:
        """``log N(x; mu_k, Sigma_k)`` for every input and component, ``(N, K)`` (no weights).

        Differentiable in ``x`` (torch autograd); ``x`` is ``(N, d)``, ``(d,)`` or ``(N, ...)``
        (flattened).
        """
        f = self._factors()
        _, quad, _ = self._terms(self._input(x), f)
        return f.log_norm - 0.5 * quad

    def joint_log_prob(self, x: ArrayLike) -> torch.Tensor:
        """``log pi_k + log N(x; mu_k, Sigma_k)``, ``(N, K)``."""
        f = self._factors()
        _, quad, _ = self._terms(self._input(x), f)
        return f.log_w + f.log_norm - 0.5 * quad

    def log_prob(self, x: ArrayLike) -> torch.Tensor:
        """``log p(x)``, ``(N,)``: log-sum-exp of :meth:`joint_log_prob` over the components."""
        return torch.logsumexp(self.joint_log_prob(x), dim=1)

    def forward(self, x: ArrayLike) -> torch.Tensor:
        """Same as :meth:`log_prob`."""
        return self.log_prob(x)

    def responsibilities(self, x: ArrayLike) -> torch.Tensor:
        """Component posteriors ``p(k | x)``, ``(N, K)``, rows summing to 1."""
        return torch.softmax(self.joint_log_prob(x), dim=1)

    # -- scores --------------------------------------------------------------------------------
    def weighted_score(self, x: ArrayLike, w: torch.Tensor) -> torch.Tensor:
        """``-sum_k w_nk Sigma_k^-1 (x_n - mu_k)``, ``(N, d)``, for weights ``w`` ``(N, K)``.

        With ``w`` the responsibilities this is the score ``grad_x log p(x)``; with a one-hot
        row, the score of one component; with a difference of one-hot rows, the gradient of a
        difference of component log-densities (the direction of
        :func:`companion.mixtures.gradient_attack`). Closed form, no autograd.
        """
        x = self._input(x)
        f = self._factors()
        xc, _, v = self._terms(x, f)
        return self._score(xc, v, w.to(DTYPE), f)

    def _score(self, xc, v, w, f: _Factors) -> torch.Tensor:
        k, l = self.n_components, self.latent_dim
        sinv_r = xc * (w @ f.dinv) - w @ (f.dinv * f.m)          # sum_k w D^-1 r_k
        sinv_r = sinv_r - (w[:, :, None] * v).reshape(-1, k * l) @ f.c.reshape(k * l, -1)
        return -sinv_r

    def grad_log_prob(self, x: ArrayLike) -> torch.Tensor:
        """``grad_x log p(x) = -sum_k p(k | x) Sigma_k^-1 (x - mu_k)``, ``(N, d)``, closed form."""
        x = self._input(x)
        f = self._factors()
        xc, quad, v = self._terms(x, f)
        gamma = torch.softmax(f.log_w + f.log_norm - 0.5 * quad, dim=1)
        return self._score(xc, v, gamma, f)

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, n: int, *, noise: bool = True, seed: Optional[int] = None,
               generator: Optional[torch.Generator] = None):
        """Draw ``n`` points; returns ``(x, components)``, ``(n, d)`` float64 and ``(n,)`` long.

        ``noise=False`` leaves out ``eta``: the points ``A_k z + mu_k`` lie on the components'
        subspaces (the "manifold"). ``seed`` (or a ``torch.Generator``) makes it reproducible.
        """
        if int(n) != n or n < 0:
            raise ValueError(f"n must be an integer >= 0, got {n}")
        dev = self.means.device
        if generator is None and seed is not None:
            generator = torch.Generator(device=dev).manual_seed(int(seed))
        comp = torch.multinomial(self.weights, int(n), replacement=True, generator=generator) \
            if n else torch.zeros(0, dtype=torch.long, device=dev)
        z = torch.randn(int(n), self.latent_dim, generator=generator, dtype=DTYPE, device=dev)
        x = torch.einsum("ndl,nl->nd", self.loadings[comp], z) + self.means[comp]
        if noise:
            eps = torch.randn(int(n), self.dim, generator=generator, dtype=DTYPE, device=dev)
            x = x + eps * self.noise[comp].sqrt()
        return x, comp

    # -- dense views (small d only) ------------------------------------------------------------
    def dense_covariances(self) -> torch.Tensor:
        """``Sigma_k = A_k A_k^T + D_k`` as ``(K, d, d)``; for tests and small ``d`` only."""
        return self.loadings @ self.loadings.transpose(1, 2) + torch.diag_embed(self.noise)

    def moments(self):
        """Mean ``(d,)`` and covariance ``(d, d)`` of the mixture; for small ``d`` only."""
        w, mu = self.weights, self.means
        mean = w @ mu
        second = (w[:, None, None] * (self.dense_covariances()
                                      + mu[:, :, None] * mu[:, None, :])).sum(0)
        return mean, second - torch.outer(mean, mean)


# ---------------------------------------------------------------------------------------------
# EM (Ghahramani & Hinton, 1996)
# ---------------------------------------------------------------------------------------------
class FitResult(NamedTuple):
    """What :func:`fit_mfa` returns: ``model, history = fit_mfa(...)``.

    ``history[i]`` is the mean log-likelihood per sample after ``i`` EM iterations
    (``history[0]``: the initialisation), as a float64 numpy array of length ``n_iter + 1``
    (shorter if ``tol`` stopped the iterations early).
    """

    model: MFA
    history: np.ndarray


def _top_singular(y: torch.Tensor, q: int, seed: int, oversample: int = 10, power: int = 3):
    """The ``q`` leading singular values and right vectors of ``y`` (seeded randomized SVD,
    Halko, Martinsson & Tropp 2011; exact when ``q + oversample >= min(y.shape)``)."""
    n, d = y.shape
    k = q + oversample
    if k >= min(n, d):
        _, s, vh = torch.linalg.svd(y, full_matrices=False)
        return s[:q], vh[:q]
    g = torch.Generator().manual_seed(int(seed))
    basis = torch.linalg.qr(y @ torch.randn(d, k, generator=g, dtype=DTYPE)).Q
    for _ in range(power):
        basis = torch.linalg.qr(y @ torch.linalg.qr(y.T @ basis).Q).Q
    _, s, vh = torch.linalg.svd(basis.T @ y, full_matrices=False)
    return s[:q], vh[:q]


def _ppca(xk: torch.Tensor, latent_dim: int, min_noise: float, seed: int = 0):
    """Maximum-likelihood probabilistic PCA of one cluster: mean, loadings, isotropic noise
    (the leading directions by a seeded randomized SVD, the total variance exactly)."""
    n, d = xk.shape
    mu = xk.mean(0)
    if n < 2:
        return mu, torch.zeros(d, latent_dim, dtype=DTYPE), torch.full((d,), min_noise,
                                                                        dtype=DTYPE)
    y = xk - mu
    s, vh = _top_singular(y, min(latent_dim, n, d), seed)
    lam = s ** 2 / n
    total = float((y * y).sum()) / n
    top = torch.zeros(latent_dim, dtype=DTYPE)
    r = min(latent_dim, lam.numel())
    top[:r] = lam[:r]
    sigma2 = max((total - float(top.sum())) / (d - latent_dim), min_noise)
    vecs = torch.zeros(d, latent_dim, dtype=DTYPE)
    vecs[:, :r] = vh[:r].T
    a = vecs * (top - sigma2).clamp_min(0).sqrt()
    return mu, a, torch.full((d,), sigma2, dtype=DTYPE)


def _fa(xk: torch.Tensor, latent_dim: int, min_noise: float, seed: int):
    """scikit-learn's FactorAnalysis of one cluster: mean, loadings, diagonal noise."""
    from sklearn.decomposition import FactorAnalysis

    if xk.shape[0] <= latent_dim:
        return _ppca(xk, latent_dim, min_noise, seed)
    fa = FactorAnalysis(n_components=latent_dim, random_state=seed).fit(xk.numpy())
    return (torch.as_tensor(fa.mean_, dtype=DTYPE), torch.as_tensor(fa.components_.T,
                                                                    dtype=DTYPE),
            torch.as_tensor(fa.noise_variance_, dtype=DTYPE).clamp_min(min_noise))


def init_mfa(X: ArrayLike, n_components: int, latent_dim: int, *, seed: int = 0,
             min_noise: float = 1e-4, init: str = "pca", kmeans_n_init: int = 1) -> MFA:
    """The starting point of :func:`fit_mfa`: k-means clusters, one factor model per cluster.

    ``init="pca"``: maximum-likelihood probabilistic PCA per cluster (closed form, isotropic
    noise; the leading directions by a seeded randomized SVD); ``init="fa"``: scikit-learn's
    ``FactorAnalysis`` per cluster (diagonal noise, slower). Weights are the cluster fractions;
    noise variances are floored at ``min_noise``.
    """
    from sklearn.cluster import KMeans

    X = check_data(X)
    n, d = X.shape
    check_sizes(n_components, latent_dim, d)
    if init not in ("pca", "fa"):
        raise ValueError(f"init must be 'pca' or 'fa', got {init!r}")
    if n < n_components:
        raise ValueError(f"need at least K = {n_components} samples, got {n}")
    labels = KMeans(n_clusters=n_components, n_init=kmeans_n_init, random_state=seed) \
        .fit_predict(X.numpy())
    w, mus, a_s, ds = [], [], [], []
    for k in range(n_components):
        xk = X[torch.as_tensor(labels == k)]
        mu, a, dn = _ppca(xk, latent_dim, min_noise, seed + k) if init == "pca" else \
            _fa(xk, latent_dim, min_noise, seed)
        w.append(xk.shape[0] / n)
        mus.append(mu)
        a_s.append(a)
        ds.append(dn)
    return MFA(torch.tensor(w, dtype=DTYPE), torch.stack(mus), torch.stack(a_s),
               torch.stack(ds))


def em_step(model: MFA, X: torch.Tensor, min_noise: float,
            X2: Optional[torch.Tensor] = None):
    """One EM iteration; returns ``(new_model, mean log-likelihood of model on X)``.

    E-step: responsibilities ``h_nk``, ``E[z | x, k] = M_k^-1 A_k^T D_k^-1 (x - mu_k)`` and
    ``E[z z^T | x, k] = M_k^-1 + E[z] E[z]^T``. M-step (Ghahramani & Hinton's joint update of
    ``[A_k, mu_k]`` with the augmented factor ``(z, 1)``, then ``D_k``, floored at
    ``min_noise``: the floored value maximises the expected complete log-likelihood over
    ``D_kj >= min_noise``, so the likelihood still never decreases). All components at once:
    the sufficient statistics are ``(N, d) x (N, K (l + 1))`` products. A component with at
    most ``l + 1`` points' worth of responsibility keeps its parameters (still an EM step).
    ``X2`` may hold ``X * X`` (precomputed by :func:`fit_mfa`); centre ``X`` for precision.
    """
    n, d = X.shape
    kk, l = model.n_components, model.latent_dim
    f = model._factors()
    _, quad, v = model._terms(X, f)
    joint = f.log_w + f.log_norm - 0.5 * quad
    ll = torch.logsumexp(joint, 1)
    h = torch.softmax(joint, 1)                                    # (N, K)
    nk = h.sum(0)                                                  # (K,)
    ez = torch.linalg.solve_triangular(f.chol.transpose(1, 2), v.permute(1, 2, 0), upper=True)
    zt = torch.cat([ez.permute(2, 0, 1), X.new_ones(n, kk, 1)], 2)  # (N, K, l + 1)
    hz = zt * h[:, :, None]
    s_zz = torch.einsum("nki,nkj->kij", zt, hz)
    s_zz[:, :l, :l] += nk[:, None, None] * torch.cholesky_inverse(f.chol)
    s_xz = (X.T @ hz.reshape(n, kk * (l + 1))).reshape(d, kk, l + 1).permute(1, 0, 2)
    at = torch.linalg.solve(s_zz, s_xz.transpose(1, 2)).transpose(1, 2)   # (K, d, l + 1)
    x2 = X * X if X2 is None else X2
    dk = ((h.T @ x2) - (at * s_xz).sum(2)) / nk[:, None]
    ok = nk > l + 1
    loadings = torch.where(ok[:, None, None], at[:, :, :l], model.loadings)
    means = torch.where(ok[:, None], at[:, :, l], model.means)
    noise = torch.where(ok[:, None], dk.clamp_min(min_noise), model.noise)
    return MFA(nk / nk.sum(), means, loadings, noise), float(ll.mean())


def fit_mfa(X: ArrayLike, K: int, latent_dim: int, n_iter: int = 30, seed: int = 0, *,
            min_noise: float = 1e-4, init: str = "pca", tol: Optional[float] = None,
            kmeans_n_init: int = 1) -> FitResult:
    """Fit a mixture of ``K`` factor analysers with ``latent_dim`` factors to ``X`` by EM.

    Parameters
    ----------
    X:
        ``(N, d)`` data (numpy or torch; flattened images), evaluated in float64.
    K, latent_dim:
        Components (``>= 1``) and factors per component (``1 <= latent_dim < d``); the paper
        uses ``K = 25``, ``l = 6`` per MNIST class (Appendix B.1).
    n_iter:
        EM iterations after the initialisation.
    seed:
        Seeds k-means (and ``FactorAnalysis``); the fit is deterministic for a seed.
    min_noise:
        Floor on every noise *variance* ``D_kj`` (default ``1e-4``, a standard deviation of
        0.01 on data in [0, 1], the noise level of the paper's symmetric datasets): constant
        pixels would otherwise drive ``D_kj -> 0`` and the likelihood to infinity.
    init:
        ``"pca"`` (probabilistic PCA per k-means cluster) or ``"fa"`` (``FactorAnalysis``).
    tol:
        Stop early when the mean log-likelihood improves by less than ``tol`` (absolute, per
        sample); ``None`` runs all ``n_iter`` iterations.

    Returns
    -------
    FitResult
        ``(model, history)``; ``history`` holds the mean log-likelihood per sample, which EM
        never decreases.
    """
    X = check_data(X)
    check_sizes(K, latent_dim, X.shape[1])
    if int(n_iter) != n_iter or n_iter < 0:
        raise ValueError(f"n_iter must be an integer >= 0, got {n_iter}")
    if not (math.isfinite(min_noise) and min_noise > 0):
        raise ValueError(f"min_noise (a variance floor) must be > 0, got {min_noise}")
    model = init_mfa(X, K, latent_dim, seed=seed, min_noise=min_noise, init=init,
                     kmeans_n_init=kmeans_n_init)
    history = []
    with torch.no_grad():
        offset = X.mean(0)                     # EM on centred data, for precision
        xc = X - offset
        x2 = xc * xc
        model = model.replace(means=model.means - offset)
        for _ in range(int(n_iter)):
            new, ll = em_step(model, xc, min_noise, x2)
            history.append(ll)
            if tol is not None and len(history) > 1 and history[-1] - history[-2] < tol:
                break
            model = new
        else:
            history.append(float(model.log_prob(xc).mean()))
        model = model.replace(means=model.means + offset)
    return FitResult(model, np.asarray(history))
