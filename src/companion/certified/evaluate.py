"""Certified robust error on data, and why binarised inputs are easy to certify.

:func:`certify` bounds the margins of every example (IBP, CROWN-IBP or CROWN); an example is
*certified* when it is classified correctly and every margin lower bound is positive, so no
point of its l_inf ball (within the box) changes the prediction. The certified robust error is
the fraction of examples that are not certified: an upper bound on the robust error any attack
can reach.

:func:`box_effect` measures what the box ``[0, 1]`` does to the input region of binarised and
original images: with every pixel at 0 or 1 and ``eps < 0.5``, each interval is ``[0, eps]``
or ``[1 - eps, 1]``, half the ball's width, and the perturbation can only move pixels towards
the middle; fewer ReLUs of a network are then unstable (the bounds' only source of looseness).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from torch import nn

from ..training import device_of
from .propagation import Box, input_box, margin_bounds, preactivation_bounds


@dataclass
class Certification:
    """Per-example certificates of a data set at one radius.

    ``margins`` holds the lower bounds of ``logit_y - logit_j`` (``(N, K - 1)``, order of
    :func:`~.propagation.margin_spec`), ``correct`` the clean predictions' correctness and
    ``certified`` whether the example is correct and all its margin bounds are positive.
    """

    eps: float
    method: str
    margins: np.ndarray
    correct: np.ndarray
    certified: np.ndarray

    @property
    def clean_error(self) -> float:
        """Fraction misclassified without perturbation."""
        return float(1.0 - self.correct.mean()) if self.correct.size else float("nan")

    @property
    def certified_error(self) -> float:
        """Fraction not certified: misclassified, or some margin bound ``<= 0``."""
        return float(1.0 - self.certified.mean()) if self.certified.size else float("nan")


def _tensors(X, Y=None):
    X = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X))
    if not X.is_floating_point():
        raise ValueError(f"X must hold floating point inputs (scale images to [0, 1]), "
                         f"got {X.dtype}")
    if Y is None:
        return X, None
    Y = Y if isinstance(Y, torch.Tensor) else torch.as_tensor(np.asarray(Y))
    if Y.dim() != 1 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must be a vector of {X.shape[0]} labels, got {tuple(Y.shape)}")
    return X, Y.long()


def certify(model: nn.Module, X, Y, eps: float, method: str = "ibp", *,
            box: Box = (0.0, 1.0), batch_size: int = 256,
            max_elements: int = 2 ** 23) -> Certification:
    """Certify every example of ``(X, Y)`` at l_inf radius ``eps`` (within ``box``).

    Parameters
    ----------
    model : torch.nn.Module
        A sequential ReLU network (put in ``eval()`` mode here; its mode is restored).
    X, Y : array_like or torch.Tensor
        Inputs ``(N, ...)`` and labels ``(N,)``.
    eps : float
        l_inf radius.
    method : {"ibp", "crown-ibp", "crown"}
        The bound (see :mod:`companion.certified.propagation`).
    box : pair of float or None
        Input domain (default ``(0, 1)``).
    batch_size : int
        Examples bounded at once (memory: see :mod:`companion.certified.propagation`).
    max_elements : int
        Largest coefficient tensor of a CROWN backward pass.

    Returns
    -------
    Certification
    """
    X, Y = _tensors(X, Y)
    device = device_of(model)
    margins, correct = [], []
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, X.shape[0], batch_size):
                x = X[i:i + batch_size].to(device)
                y = Y[i:i + batch_size].to(device)
                correct.append((model(x).argmax(1) == y).cpu())
                margins.append(margin_bounds(model, x, y, eps, method, box=box,
                                             max_elements=max_elements).cpu())
    finally:
        model.train(was)
    m = torch.cat(margins).numpy() if margins else np.zeros((0, 1))
    ok = torch.cat(correct).numpy() if correct else np.zeros(0, dtype=bool)
    cert = ok & (m > 0).all(1)
    return Certification(float(eps), method, m, ok, cert)


def certified_error(model: nn.Module, X, Y, eps: float, method: str = "ibp",
                    **kwargs) -> float:
    """The certified robust error of ``model`` on ``(X, Y)`` (see :func:`certify`).

    Returns
    -------
    float
        Fraction of examples misclassified or with some margin lower bound ``<= 0``.
    """
    return certify(model, X, Y, eps, method, **kwargs).certified_error


def binarize(X, threshold: float = 0.5):
    """Pixels rounded to 0 or 1 (``x > threshold``), as Ding et al.'s binarised MNIST.

    Parameters
    ----------
    X : array_like or torch.Tensor
        Images in ``[0, 1]``.
    threshold : float
        Pixels above it become 1, the others 0.

    Returns
    -------
    torch.Tensor or numpy.ndarray
        Same type, shape and dtype as ``X``.
    """
    if isinstance(X, torch.Tensor):
        return (X > threshold).to(X.dtype)
    X = np.asarray(X)
    return (X > threshold).astype(X.dtype)


def log2_volume(X, eps: float, box: Box = (0.0, 1.0)) -> np.ndarray:
    """log2 of the volume of each example's region ``[x - eps, x + eps] & box`` (Ding et al.,
    Appendix D.1): ``d log2(eps)`` for a binarised image, ``d log2(2 eps)`` without the box.

    Returns
    -------
    numpy.ndarray
        One value per example (``-inf`` where some interval is empty, i.e. ``eps = 0``).
    """
    X, _ = _tensors(X)
    lo, hi = input_box(X.double(), eps, box)
    with np.errstate(divide="ignore"):
        return np.log2((hi - lo).flatten(1).numpy()).sum(1)


def relu_stability(model: nn.Module, X, eps: float, method: str = "ibp", *,
                   box: Box = (0.0, 1.0), batch_size: int = 256) -> dict:
    """How many ReLUs the bounds prove stable (never or always active) on the input region.

    Parameters
    ----------
    model, X, eps, box, batch_size
        As for :func:`certify`.
    method : {"ibp", "crown-ibp", "crown"}
        Which pre-activation bounds (see :func:`~.propagation.preactivation_bounds`).

    Returns
    -------
    dict
        ``stable`` (fraction over all ReLUs and examples), ``by_layer`` (list, one fraction per
        ReLU layer), ``unstable_per_example`` (mean count of unstable ReLUs per example) and
        ``relus`` (ReLUs per example).
    """
    X, _ = _tensors(X)
    device = device_of(model)
    counts: Optional[np.ndarray] = None
    sizes: list = []
    n = 0
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            for i in range(0, X.shape[0], batch_size):
                x = X[i:i + batch_size].to(device)
                pre = preactivation_bounds(model, x, eps, method, box=box)
                unstable = np.array([float(((lb < 0) & (ub > 0)).sum()) for lb, ub in pre])
                sizes = [int(lb[0].numel()) for lb, _ in pre]
                counts = unstable if counts is None else counts + unstable
                n += x.shape[0]
    finally:
        model.train(was)
    if counts is None or not sizes:
        return {"stable": float("nan"), "by_layer": [], "unstable_per_example": float("nan"),
                "relus": 0}
    sizes_a = np.array(sizes, dtype=float)
    return {"stable": float(1.0 - counts.sum() / (n * sizes_a.sum())),
            "by_layer": [float(v) for v in 1.0 - counts / (n * sizes_a)],
            "unstable_per_example": float(counts.sum() / n), "relus": int(sizes_a.sum())}


def box_effect(model: nn.Module, X, Y, eps: float, *, method: str = "ibp",
               threshold: float = 0.5, batch_size: int = 256) -> dict:
    """The input box and the ReLU stability of binarised versus original images, with and
    without the box ``[0, 1]``.

    Parameters
    ----------
    model : torch.nn.Module
        A trained sequential ReLU network.
    X, Y : array_like or torch.Tensor
        Original images in ``[0, 1]`` and labels; the binarised set is ``binarize(X)``.
    eps : float
        l_inf radius.
    method : {"ibp", "crown-ibp", "crown"}
        The bound used for stability and certification.
    threshold : float
        Binarisation threshold.
    batch_size : int
        Examples bounded at once.

    Returns
    -------
    dict
        Keys ``"binarised"``, ``"original"``, ``"binarised_no_box"``, ``"original_no_box"``,
        each a dict with ``width_ratio`` (mean interval width over ``2 eps``), ``log2_volume``
        (mean over examples), ``boundary_pixels`` (fraction of pixels at 0 or 1), ``stable``,
        ``stable_by_layer``, ``unstable_per_example``, ``clean_error`` and ``certified_error``.
    """
    X, Y = _tensors(X, Y)
    sets = {"binarised": binarize(X, threshold), "original": X}
    out = {}
    for name, data in sets.items():
        for box, suffix in (((0.0, 1.0), ""), (None, "_no_box")):
            lo, hi = input_box(data.double(), eps, box)
            width = float((hi - lo).mean()) / (2 * eps) if eps > 0 else float("nan")
            stab = relu_stability(model, data, eps, method, box=box, batch_size=batch_size)
            cert = certify(model, data, Y, eps, method, box=box, batch_size=batch_size)
            out[name + suffix] = {
                "width_ratio": width,
                "log2_volume": float(np.mean(log2_volume(data, eps, box))),
                "boundary_pixels": float(((data == 0) | (data == 1)).double().mean()),
                "stable": stab["stable"], "stable_by_layer": stab["by_layer"],
                "unstable_per_example": stab["unstable_per_example"],
                "clean_error": cert.clean_error, "certified_error": cert.certified_error,
            }
    return out


__all__ = ["Certification", "certify", "certified_error", "binarize", "log2_volume",
           "relu_stability", "box_effect"]
