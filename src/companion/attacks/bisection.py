"""Boundary search along a segment, for any classifier, differentiable or not.

Given ``x`` and a target point ``x_target`` classified differently, bisection on
``x + s (x_target - x)``, ``s`` in [0, 1], finds the smallest ``s`` (to a tolerance) at which the
prediction changes. It needs only predictions, so it also measures the unconstrained robustness
of classifiers without useful gradients, such as the nearest-neighbour classifier
``f~(x) = f(g(z*(x)))`` of Fawzi et al.'s Theorem 6 (:class:`companion.generative.Robustified`):
the norm it returns is an upper bound on the distance to that classifier's decision boundary.
"""
from __future__ import annotations

from typing import Optional

import torch

from .base import AttackResult, Model, check_batch, flat_norm, per_example, predict

__all__ = ["bisection"]


@torch.no_grad()
def bisection(model: Model, x: torch.Tensor, x_target: torch.Tensor,
              labels: Optional[torch.Tensor] = None, *, steps: int = 20) -> AttackResult:
    """Smallest change along each segment ``x -> x_target`` that changes the label.

    Parameters
    ----------
    model : callable
        Any callable from inputs ``(B, ...)`` to logits ``(B, K)`` (only the argmax is used).
    x, x_target : torch.Tensor
        Start points and end points (same shape); e.g. ``x_target`` from DeepFool or PGD.
    labels : torch.Tensor, optional
        The labels to move away from (default: the predictions at ``x``).
    steps : int
        Bisection steps; the interval shrinks by ``2**steps``.

    Returns
    -------
    AttackResult
        ``x_adv`` the first point found past the boundary (``x_target`` side of the interval),
        ``norms`` its L2 distance to ``x``; ``success`` is ``False`` (and ``x_adv = x``) where
        ``x_target`` itself keeps the label. ``info["fraction"]`` is the fraction ``s`` of the
        segment.

    Examples
    --------
    Two classes split at ``x = 0.3``, from ``x = 0`` towards ``x = 1``:

    >>> model = lambda x: torch.cat([0.3 - x, x - 0.3], 1)
    >>> r = bisection(model, torch.zeros(1, 1), torch.ones(1, 1))
    >>> bool(r.success[0]), round(float(r.norms[0]), 4)
    (True, 0.3)
    """
    check_batch(x, labels)
    if x_target.shape != x.shape:
        raise ValueError(f"x_target must have the shape of x {tuple(x.shape)}, "
                         f"got {tuple(x_target.shape)}")
    if labels is None:
        labels = predict(model, x)
    d = x_target - x
    ok = predict(model, x_target) != labels
    lo = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    hi = torch.ones_like(lo)
    for _ in range(steps):
        mid = (lo + hi) / 2
        changed = predict(model, x + per_example(mid, x) * d) != labels
        hi = torch.where(changed, mid, hi)
        lo = torch.where(changed, lo, mid)
    hi = torch.where(ok, hi, torch.zeros_like(hi))
    x_adv = x + per_example(hi, x) * d
    success = ok & (predict(model, x_adv) != labels)
    return AttackResult(x_adv=x_adv, norms=flat_norm(x_adv - x, 2), success=success, p=2,
                        labels=labels, info={"fraction": hi})
