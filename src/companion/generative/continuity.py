"""Probabilistic modulus of continuity of a generator.

Fawzi et al. (2018), Assumption 1 and footnote 6.

Assumption 1 asks for ``||g(z) - g(z')|| <= omega(||z - z'||)`` for all ``z, z'``. Footnote 6 of
the paper relaxes it: the inequality need only hold with high probability over ``z``, and the
worst ``z'`` near ``z`` is found by gradient ascent. :func:`estimate_modulus` does exactly that:
for each radius ``t`` of a grid and each of ``n_samples`` latents ``z ~ N(0, I_d)``, projected
normalised-gradient ascent (with random restarts) estimates

    M_t(z) = max_{||z' - z||_2 <= t} ||g(z') - g(z)||_2,

and ``omega(t)`` is the empirical ``1 - failure_prob`` quantile of ``M_t(z)`` over ``z``, made
non-decreasing in ``t``. So ``P_z(M_t(z) > omega(t)) <= failure_prob`` up to sampling error and
ascent error (ascent finds lower bounds of ``M_t``); the bounds of Theorems 4-5 then hold with
``failure_prob`` subtracted from the probability.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from ..progress import progress as _progress

__all__ = ["Modulus", "local_max_distance", "estimate_modulus"]


@dataclass
class Modulus:
    """A modulus of continuity known on a grid ``t[0] = 0 < t[1] < ...`` (``omega[0] = 0``).

    ``omega(t)`` interpolates linearly between grid points (``inf`` beyond the grid: unknown).
    ``inverse(eps)`` is the largest ``t`` with interpolated ``omega(t) <= eps`` (clamped to the
    grid's end, which keeps bounds that increase with ``omega^{-1}`` valid).
    """

    t: np.ndarray
    omega: np.ndarray
    failure_prob: float
    samples: Optional[np.ndarray] = None   # (len(t) - 1, n_samples) ascent maxima M_t(z)

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=float)
        self.omega = np.asarray(self.omega, dtype=float)
        if self.t.shape != self.omega.shape or self.t.ndim != 1 or len(self.t) < 2:
            raise ValueError("t and omega must be 1-d arrays of the same length >= 2")
        if self.t[0] != 0 or np.any(np.diff(self.t) <= 0) or np.any(np.diff(self.omega) < 0):
            raise ValueError("need t[0] = 0 < t[1] < ... and non-decreasing omega")

    def __call__(self, t):
        t = np.asarray(t, dtype=float)
        out = np.interp(t, self.t, self.omega)
        return np.where(t > self.t[-1], np.inf, out)

    def inverse(self, eps):
        """``omega^{-1}(eps)``: the largest ``t`` (interpolated curve) with ``omega(t) <= eps``."""
        eps = np.atleast_1d(np.asarray(eps, dtype=float))
        res = np.empty_like(eps)
        for j, e in enumerate(eps):
            i = int(np.searchsorted(self.omega, e, side="right")) - 1   # last omega[i] <= e
            if i >= len(self.t) - 1:
                res[j] = self.t[-1]
            elif i < 0:
                res[j] = 0.0
            else:
                o0, o1 = self.omega[i], self.omega[i + 1]
                res[j] = self.t[i] + (self.t[i + 1] - self.t[i]) * (e - o0) / (o1 - o0)
        return res if res.size > 1 or np.ndim(eps) else res[0]

    def concave_majorant(self) -> "Modulus":
        """The least concave majorant of the grid values (through the origin): a concave modulus
        above this one, as Theorem 5 requires; linear interpolation of it stays concave."""
        pts = list(zip(self.t, self.omega))
        hull: list = []
        for p in pts:   # upper hull, left to right
            while len(hull) >= 2:
                (x1, y1), (x2, y2) = hull[-2], hull[-1]
                if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:
                    hull.pop()
                else:
                    break
            hull.append(p)
        hx, hy = zip(*hull)
        return Modulus(self.t, np.interp(self.t, hx, hy), self.failure_prob, self.samples)


def _dtype_of(g, dtype: Optional[torch.dtype]) -> torch.dtype:
    if dtype is not None:
        return dtype
    params = list(g.parameters()) if isinstance(g, torch.nn.Module) else []
    return params[0].dtype if params else torch.get_default_dtype()


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (v.dim() - 1)))


def local_max_distance(g: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, t: float, *,
                       steps: int = 50, restarts: int = 2, step_size: float = 2.0,
                       seed: int = 0) -> torch.Tensor:
    """Ascent estimate of ``max_{||d|| <= t} ||g(z + d) - g(z)||`` for each row of ``z``.

    Projected ascent along the normalised gradient, step ``step_size * t`` decaying linearly to
    5 % of it, from random points on the sphere of radius ``t``; the best value seen is kept.
    For a linear ``g(z) = W z`` this is a power iteration and converges to ``||W||_2 t``.
    """
    if t <= 0:
        return torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
    gen = torch.Generator().manual_seed(seed)
    n = z.shape[0]
    zz = z.detach().repeat(restarts, *([1] * (z.dim() - 1)))
    with torch.no_grad():
        base = g(zz)
    d = _unit(torch.randn(zz.shape, generator=gen, dtype=z.dtype).to(z.device)) * t
    best = torch.zeros(zz.shape[0], dtype=z.dtype, device=z.device)
    for k in range(steps + 1):
        with torch.enable_grad():
            d.requires_grad_(True)
            dist = (g(zz + d) - base).flatten(1).norm(dim=1)
        best = torch.maximum(best, dist.detach())
        if k == steps:
            break
        (grad,) = torch.autograd.grad(dist.sum(), d)
        eta = step_size * t * (1 - 0.95 * k / max(steps - 1, 1))
        d = d.detach() + eta * _unit(grad)
        norms = d.flatten(1).norm(dim=1).clamp_min(1e-12)
        d = d * torch.clamp(t / norms, max=1.0).view(-1, *([1] * (d.dim() - 1)))
    return best.view(restarts, n).amax(0)


def estimate_modulus(g: Callable[[torch.Tensor], torch.Tensor], latent_dim: int,
                     ts: Sequence[float], *, n_samples: int = 100, failure_prob: float = 0.05,
                     steps: int = 50, restarts: int = 2, step_size: float = 2.0,
                     batch_size: int = 128, seed: int = 0, progress: bool = True,
                     dtype: Optional[torch.dtype] = None) -> Modulus:
    """Estimate the probabilistic modulus of continuity of ``g`` on the grid ``ts``.

    Parameters
    ----------
    g:
        The generator, ``(B, latent_dim) -> images`` (put modules in ``eval()`` mode).
    ts:
        Positive radii in latent space (0 is added).
    n_samples:
        Latents ``z ~ N(0, I)`` (shared by all radii) over which the quantile is taken.
    failure_prob:
        ``delta``: ``omega(t)`` is the ``1 - delta`` empirical quantile of the ascent maxima
        (the next order statistic above it, to err upwards).
    steps, restarts, step_size:
        Ascent parameters, see :func:`local_max_distance`.
    dtype:
        Of the latents (default: that of ``g``'s parameters, else torch's default).
    """
    ts = np.asarray(sorted(float(t) for t in ts), dtype=float)
    if len(ts) == 0 or ts[0] <= 0:
        raise ValueError(f"ts must be positive radii, got {ts}")
    if not 0 <= failure_prob < 1:
        raise ValueError(f"failure_prob must be in [0, 1), got {failure_prob}")
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n_samples, latent_dim, generator=gen, dtype=_dtype_of(g, dtype))
    params = list(g.parameters()) if isinstance(g, torch.nn.Module) else []
    if params:
        z = z.to(params[0].device)
    samples = np.zeros((len(ts), n_samples))
    jobs = [(i, j) for i in range(len(ts)) for j in range(0, n_samples, batch_size)]
    for i, j in _progress(jobs, desc="modulus", disable=not progress):
        samples[i, j:j + batch_size] = local_max_distance(
            g, z[j:j + batch_size], float(ts[i]), steps=steps, restarts=restarts,
            step_size=step_size, seed=seed + 1 + i).cpu().numpy()
    q = np.quantile(samples, 1 - failure_prob, axis=1, method="higher")
    omega = np.maximum.accumulate(q)
    return Modulus(np.concatenate([[0.0], ts]), np.concatenate([[0.0], omega]), failure_prob,
                   samples)
