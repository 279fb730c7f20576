"""Robustness of a classifier seen through a generator: ``r_Z``, ``r_X`` and ``r*``.

For latent samples ``z ~ N(0, I_d)``, a generator ``g`` and a classifier ``f`` on images:

* ``r_Z(z)``: robustness in latent space, DeepFool on ``f(g(.))``;
* ``r_X(z)``: in-distribution robustness, ``||g(z + r) - g(z)||`` for the latent perturbation
  ``r`` DeepFool found;
* ``r*(z)``: unconstrained robustness, DeepFool on ``f`` at ``g(z)``.

Each is measured by an attack, so each is an *upper* estimate of the exact minimum; comparing
them with upper bounds (Fawzi et al., Theorems 1 and 4) is therefore conservative. The
percentile helpers give the statistic Fawzi et al. report (the 25th percentile).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..attacks import compose, deepfool
from ..attacks.base import predict

__all__ = ["Robustness", "class_measures", "class_measures_many", "latent_samples", "measure",
           "percentile", "percentile25"]


def latent_samples(n: int, seed: int, dim: int = 100) -> torch.Tensor:
    """``n`` latent vectors ``z ~ N(0, I_dim)`` (``dim = 100`` as in Fawzi et al.), deterministic
    for a seed.

    Used on :doc:`/notebooks/fawzi-experiments`.
    """
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, dim, generator=gen)


@dataclass
class Robustness:
    """Per-sample robustness of one classifier at latent samples ``z`` (all numpy arrays)."""

    r_Z: np.ndarray          # latent perturbation norm (DeepFool on f o g)
    r_X: np.ndarray          # ||g(z + r) - g(z)|| for that latent perturbation
    r_star: np.ndarray       # unconstrained image perturbation norm (DeepFool on f at g(z))
    z_norm: np.ndarray
    x_norm: np.ndarray       # ||g(z)||
    ok_Z: np.ndarray         # attack succeeded (the label really changed)
    ok_star: np.ndarray
    labels: np.ndarray       # f(g(z))
    r_Z_vec: np.ndarray      # the latent perturbations themselves (for examples/plots)
    r_star_vec: np.ndarray

    def normalised(self) -> dict:
        """The paper's normalisations: ``r_Z/||z||``, ``r_X/||g(z)||``, ``r*/||g(z)||``."""
        return {"r_Z": self.r_Z / self.z_norm, "r_X": self.r_X / self.x_norm,
                "r_star": self.r_star / self.x_norm}


def measure(f, G, z: torch.Tensor, max_iter: int = 50, batch_size: int = 64) -> Robustness:
    """Measure ``r_Z``, ``r_X`` and ``r*`` of classifier ``f`` at latents ``z`` with DeepFool.

    Failed attacks (rare) get ``inf`` and are reported in ``ok_Z`` / ``ok_star``.
    """
    f.eval()
    G.eval()
    fg = compose(f, G)
    parts = []
    for i in range(0, z.shape[0], batch_size):
        zb = z[i:i + batch_size]
        with torch.no_grad():
            x = G(zb)
        labels = predict(f, x)
        rz = deepfool(fg, zb, labels, max_iter=max_iter)
        with torch.no_grad():
            x_moved = G(rz.x_adv)
            r_x = (x_moved - x).flatten(1).norm(dim=1)
            ok_z = rz.success & (predict(f, x_moved) != labels)
        rs = deepfool(f, x, labels, max_iter=max_iter)
        ok_s = rs.success & (predict(f, rs.x_adv) != labels)
        inf = torch.full_like(rz.norms, math.inf)
        parts.append(dict(
            r_Z=torch.where(ok_z, rz.norms, inf), r_X=torch.where(ok_z, r_x, inf),
            r_star=torch.where(ok_s, rs.norms, inf), z_norm=zb.norm(dim=1),
            x_norm=x.flatten(1).norm(dim=1), ok_Z=ok_z, ok_star=ok_s, labels=labels,
            r_Z_vec=rz.x_adv - zb, r_star_vec=rs.x_adv - x))
    cat = {k: torch.cat([p[k] for p in parts]).detach().cpu().numpy() for k in parts[0]}
    return Robustness(**cat)


def class_measures(f, G, n: int, seed: int, num_classes: int = 10) -> np.ndarray:
    """Monte Carlo estimate of the class measures ``nu(C_i(f))`` in latent space."""
    return class_measures_many([f], G, n, seed, num_classes)[0]


def class_measures_many(fs, G, n: int, seed: int, num_classes: int = 10,
                        batch_size: int = 512) -> np.ndarray:
    """:func:`class_measures` of each classifier in ``fs`` at the same ``n`` latents.

    Each batch of images ``G(z)`` is generated once and classified by every classifier, so the
    generator runs once over the latents, not once per classifier; row ``j`` equals
    ``class_measures(fs[j], G, n, seed, num_classes)`` bit for bit.

    Parameters
    ----------
    fs : sequence of callables
        Classifiers on images (logits ``(B, num_classes)``).
    G : callable
        The generator (in ``eval()`` mode), latents ``(B, 100)`` to images.
    n, seed : int
        The latents: ``latent_samples(n, seed)``.
    num_classes : int
        Classes counted.
    batch_size : int
        Latents generated (and classified) at a time.

    Returns
    -------
    numpy.ndarray
        ``(len(fs), num_classes)``: per classifier, the share of latents in each class.
    """
    fs = list(fs)
    if not fs:
        return np.zeros((0, num_classes))
    z = latent_samples(n, seed)
    labels = [[] for _ in fs]
    with torch.no_grad():
        for i in range(0, n, batch_size):
            x = G(z[i:i + batch_size])
            for j, f in enumerate(fs):
                labels[j].append(predict(f, x))
    return np.stack([np.bincount(torch.cat(lab).numpy(), minlength=num_classes) / n
                     for lab in labels])


def percentile(values: np.ndarray, q: float) -> float:
    """The smallest ``t`` with empirical ``P(r <= t) >= q`` (``0 < q <= 1``).

    Used on :doc:`/notebooks/fawzi-experiments`.
    """
    if not 0 < q <= 1:
        raise ValueError(f"q must lie in (0, 1], got {q!r}")
    v = np.sort(np.asarray(values, dtype=float))
    return float(v[math.ceil(q * len(v)) - 1])


def percentile25(values: np.ndarray) -> float:
    """The paper's statistic: the smallest ``t`` with empirical ``P(r <= t) >= 0.25``.

    Used on :doc:`/notebooks/fawzi-experiments`.
    """
    return percentile(values, 0.25)
