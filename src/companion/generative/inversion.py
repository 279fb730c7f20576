"""Latent inversion ``z*(x) = argmin_z ||g(z) - x||`` (Fawzi et al., 2018, Eq. (7), Theorem 6)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch import nn

from ..progress import progress as _progress

__all__ = ["Inversion", "InversionCache", "invert", "Robustified"]


@dataclass
class Inversion:
    """Best latent per example, its reconstruction ``g(z)`` and the distance ``||g(z) - x||_2``."""

    z: torch.Tensor
    x_rec: torch.Tensor
    distance: torch.Tensor


def invert(g: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, latent_dim: int, *,
           restarts: int = 4, steps: int = 300, lr: float = 0.05, seed: int = 0,
           batch_size: int = 256, progress: bool = False) -> Inversion:
    """Minimise ``||g(z) - x||^2`` over ``z`` by Adam (cosine-decayed learning rate) from
    ``restarts`` starting points ``z ~ N(0, I)`` per example; return the best one.

    ``g`` must map ``(B, latent_dim)`` to tensors shaped like ``x`` (put it in ``eval()`` mode);
    the latents have ``x``'s dtype and device.
    The search is non-convex: more restarts and steps reduce the chance of a poor local minimum.
    """
    if restarts < 1 or steps < 1:
        raise ValueError(f"need restarts >= 1 and steps >= 1, got {restarts}, {steps}")
    x = x.detach()
    gen = torch.Generator().manual_seed(seed)
    zs, recs, dists = [], [], []
    for i in _progress(range(0, x.shape[0], batch_size), desc="invert", disable=not progress):
        xb = x[i:i + batch_size]
        b = xb.shape[0]
        target = xb.repeat(restarts, *([1] * (xb.dim() - 1)))
        z = torch.randn(restarts * b, latent_dim, generator=gen, dtype=x.dtype).to(x.device)
        z.requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=lr * 1e-3)
        best_d = torch.full((restarts * b,), float("inf"), dtype=x.dtype, device=x.device)
        best_z = z.detach().clone()
        for _ in range(steps + 1):
            with torch.enable_grad():   # also inside no_grad contexts (e.g. Robustified)
                d2 = (g(z) - target).flatten(1).pow(2).sum(1)
            with torch.no_grad():
                better = d2 < best_d
                best_d = torch.where(better, d2.detach(), best_d)
                best_z[better] = z.detach()[better]
            with torch.enable_grad():   # gradient for z only, not for g's weights
                (z.grad,) = torch.autograd.grad(d2.sum(), z)
            opt.step()
            sched.step()
        k = best_d.view(restarts, b).argmin(0)
        zb = best_z.view(restarts, b, latent_dim)[k, torch.arange(b, device=x.device)]
        with torch.no_grad():
            rec = g(zb)
        zs.append(zb)
        recs.append(rec)
        dists.append((rec - xb).flatten(1).norm(dim=1))
    return Inversion(torch.cat(zs), torch.cat(recs), torch.cat(dists))


class InversionCache:
    """Latent inversions remembered by their exact input, so that none is computed twice.

    :func:`invert` is deterministic: the same generator, latent dimension, settings and input
    (bit for bit) give the same :class:`Inversion`. :meth:`invert` returns the stored result for
    an input seen before (compared by generator identity, settings, dtype, shape, device and the
    bytes of the tensor) and computes, stores and returns it otherwise. Share one cache between
    the :class:`Robustified` classifiers of several ``f`` over the same ``g`` (their inversions
    do not depend on ``f``), and read from it the inversion of a point a classifier has already
    classified (the end point of a bisection, say).

    Everything stored is kept until the cache is dropped: use one per computation, not one per
    session. ``hits`` and ``misses`` count the inversions reused and computed.
    """

    def __init__(self) -> None:
        self._entries: dict = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(g, x: torch.Tensor, latent_dim: int, inversion: dict) -> tuple:
        raw = x.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
        return (id(g), int(latent_dim), tuple(sorted(inversion.items())), str(x.dtype),
                tuple(x.shape), str(x.device), hashlib.sha256(raw.tobytes()).hexdigest())

    def invert(self, g: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
               latent_dim: int, **inversion) -> Inversion:
        """``invert(g, x, latent_dim, **inversion)``, computed once per distinct input.

        Parameters
        ----------
        g, x, latent_dim, **inversion
            As for :func:`invert`.

        Returns
        -------
        Inversion
            The stored inversion (the same object on every hit: do not modify it).
        """
        key = self._key(g, x, latent_dim, inversion)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is g:   # the entry keeps g alive: id(g) is g's
            self.hits += 1
            return entry[1]
        self.misses += 1
        inv = invert(g, x, latent_dim, **inversion)
        self._entries[key] = (g, inv)
        return inv


class Robustified(nn.Module):
    """The nearest-neighbour classifier of Eq. (7): ``f~(x) = f(g(z*(x)))``.

    Calling it inverts the batch (``invert(g, x, latent_dim, **inversion)``) and returns ``f``'s
    logits at the projection ``g(z*)``. It is not differentiable through the argmin: attack it
    with attacks on ``f`` or in latent space, or with gradient-free methods. With an
    :class:`InversionCache` as ``cache`` the inversions go through it (and are reused from it,
    bit-identical to computing them again).
    """

    def __init__(self, f: nn.Module, g: nn.Module, latent_dim: int,
                 cache: Optional[InversionCache] = None, **inversion) -> None:
        super().__init__()
        self.f, self.g, self.latent_dim, self.inversion = f, g, latent_dim, inversion
        self.cache = cache

    def project(self, x: torch.Tensor) -> Inversion:
        if self.cache is not None:
            return self.cache.invert(self.g, x, self.latent_dim, **self.inversion)
        return invert(self.g, x, self.latent_dim, **self.inversion)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.f(self.project(x).x_rec)
