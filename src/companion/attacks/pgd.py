"""Projected gradient descent (Madry et al., 2018) in the Linf and L2 norms."""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F

from .base import (AttackResult, Box, Model, check_batch, check_box, flat_norm, make_generator,
                   parse_p, per_example, predict)

__all__ = ["pgd"]


def _random_start(x: torch.Tensor, eps: float, p: float, gen) -> torch.Tensor:
    """A point drawn uniformly from the ``p``-ball of radius ``eps`` around each example."""
    if math.isinf(p):
        u = torch.rand(x.shape, generator=gen, dtype=x.dtype, device=x.device)
        return (2 * u - 1) * eps
    n = x[0].numel()
    d = torch.randn(x.shape, generator=gen, dtype=x.dtype, device=x.device)
    d = d / per_example(flat_norm(d, 2).clamp_min(1e-12), d)
    r = torch.rand(x.shape[0], generator=gen, dtype=x.dtype, device=x.device) ** (1.0 / n)
    return d * per_example(r * eps, d)


def _project(delta: torch.Tensor, eps: float, p: float) -> torch.Tensor:
    if math.isinf(p):
        return delta.clamp(-eps, eps)
    norms = flat_norm(delta, 2)
    factor = torch.clamp(eps / norms.clamp_min(1e-12), max=1.0)
    return delta * per_example(factor, delta)


def _point(x: torch.Tensor, delta: torch.Tensor, box: Box) -> torch.Tensor:
    """``x + delta``, clipped to the box exactly (no rounding excursions)."""
    out = (x + delta).detach()
    return out.clamp_(*box) if box is not None else out


def _into_box(x: torch.Tensor, delta: torch.Tensor, box: Box) -> torch.Tensor:
    """``(x + delta).clamp(*box) - x`` with one buffer (the same values)."""
    out = torch.add(x, delta)
    out.clamp_(*box)
    return out.sub_(x)


@torch.no_grad()
def _step(delta: torch.Tensor, grad: torch.Tensor, alpha: float, eps: float, p: float,
          x: torch.Tensor, box: Box) -> torch.Tensor:
    """One ascent step and the projections, in place where the values cannot change:
    ``(x + proj(delta + alpha * step)).clamp(*box) - x``."""
    if math.isinf(p):
        step = grad.sign()                        # (grad may be a view autograd shares)
        step.mul_(alpha)
        delta = delta.add_(step).clamp_(-eps, eps)
    else:
        step = grad / per_example(flat_norm(grad, 2).clamp_min(1e-12), grad)
        step.mul_(alpha)
        delta = _project(delta.add_(step), eps, p)
    if box is not None:
        delta = _into_box(x, delta, box)
    return delta


def _run_shrinking(model, x, labels, delta, best, found, last, steps, alpha, eps, p, box):
    """One run of PGD on the examples not fooled yet, dropping each as soon as it is fooled
    (``early_stop``); updates ``best`` and ``found`` in place and returns the new ``last``."""
    idx = torch.nonzero(~found).squeeze(1)
    xs, ls, ds = x[idx], labels[idx], delta[idx]
    for _ in range(steps):
        if idx.numel() == 0:
            break
        ds.requires_grad_(True)
        logits = model(xs + ds)
        loss = F.cross_entropy(logits, ls, reduction="sum")
        (grad,) = torch.autograd.grad(loss, ds)
        ds = ds.detach()
        with torch.no_grad():
            hit = logits.argmax(1) != ls
            if hit.any():
                rows = idx[hit]
                best[rows] = _point(xs[hit], ds[hit], box)
                found[rows] = True
                keep = ~hit
                idx, xs, ls, ds, grad = idx[keep], xs[keep], ls[keep], ds[keep], grad[keep]
            ds = _step(ds, grad, alpha, eps, p, xs, box)
    new_last = last.clone() if last is not x else x.clone()
    if idx.numel():
        end = _point(xs, ds, box)
        new_last[idx] = end
        with torch.no_grad():
            hit = predict(model, end) != ls
        rows = idx[hit]
        best[rows] = end[hit]
        found[rows] = True
    return new_last


@torch.enable_grad()
def pgd(model: Model, x: torch.Tensor, labels: Optional[torch.Tensor] = None, *, eps: float,
        norm="linf", steps: int = 40, step_size: Optional[float] = None,
        random_start: bool = True, restarts: int = 1, box: Box = (0.0, 1.0),
        seed: Optional[int] = 0, keep_best: bool = True, early_stop: bool = False) -> AttackResult:
    """Untargeted PGD maximising the cross-entropy of ``labels`` within an ``eps``-ball.

    Parameters
    ----------
    model : callable
        Any differentiable callable from inputs ``(B, ...)`` to logits ``(B, K)``; put models
        with batch norm or dropout in ``eval()`` mode first.
    x : torch.Tensor
        The batch ``(B, ...)``.
    labels : torch.Tensor, optional
        Its labels (default: the model's predictions, i.e. robustness with respect to
        predictions).
    eps : float
        Radius of the ball, in the ``norm``.
    norm : str or float
        ``"linf"`` or ``"l2"`` (or ``math.inf``, ``2``; see
        :func:`~companion.attacks.base.parse_p`).
    steps : int
        Number of iterations.
    step_size : float, optional
        Step length (default ``2.5 * eps / steps``, Madry et al.'s rule). Linf steps follow the
        gradient's sign, L2 steps its normalised direction.
    random_start : bool
        Start each run at a uniform point of the ball (always the case for restarts after the
        first).
    restarts : int
        Independent runs; an example counts as broken if any run breaks it.
    box : tuple of float or None
        ``(low, high)`` bounds the adversarial input must respect (default ``(0, 1)``), or
        ``None`` to let the attack leave the image domain (and to attack unbounded inputs such as
        latents).
    seed : int or None
        Seed of the random starts (``None``: the global torch RNG).
    keep_best : bool
        Return, for each example, the first iterate that changed the prediction if any did
        (otherwise the last iterate). With ``False`` only the end points of the runs count
        (the last iterate, as in adversarial training, when ``restarts == 1``).
    early_stop : bool
        With ``keep_best``, stop iterating on an example as soon as it is fooled (its result is
        that iterate either way), so the batch shrinks as the attack succeeds. The attack and its
        random draws are the same; only the model sees smaller batches, and models may round
        differently at another batch size, so results agree with ``early_stop=False`` up to such
        rounding (not bit for bit). Off by default.

    Returns
    -------
    AttackResult
        With ``norms`` in the attack's norm and ``success`` = prediction differs from the label.

    Examples
    --------
    Two classes split at ``x = 0.3``: a ball of radius 0.5 around 0 crosses the boundary, one of
    radius 0.2 does not:

    >>> model = lambda x: torch.cat([0.3 - x, x - 0.3], 1)
    >>> x = torch.zeros(1, 1)
    >>> bool(pgd(model, x, eps=0.5).success[0]), bool(pgd(model, x, eps=0.2).success[0])
    (True, False)
    """
    check_batch(x, labels)
    p = parse_p(norm)
    box = check_box(box)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    if steps < 0 or restarts < 1:
        raise ValueError(f"need steps >= 0 and restarts >= 1, got steps={steps}, "
                         f"restarts={restarts}")
    x = x.detach()
    if labels is None:
        labels = predict(model, x)
    labels = labels.to(x.device)
    alpha = float(step_size) if step_size is not None else 2.5 * eps / max(steps, 1)
    gen = make_generator(seed, x.device)

    best = x.clone()
    found = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    last = x
    shrink = early_stop and keep_best
    for run in range(restarts):
        if eps > 0 and (random_start or run > 0):
            delta = _random_start(x, eps, p, gen)
        else:
            delta = torch.zeros_like(x)
        if box is not None:
            delta = _into_box(x, delta, box)
        if shrink:
            last = _run_shrinking(model, x, labels, delta, best, found, last, steps, alpha, eps,
                                  p, box)
            continue
        for _ in range(steps):
            delta.requires_grad_(True)
            logits = model(x + delta)
            loss = F.cross_entropy(logits, labels, reduction="sum")
            (grad,) = torch.autograd.grad(loss, delta)
            delta = delta.detach()
            with torch.no_grad():
                if keep_best:
                    hit = (logits.argmax(1) != labels) & ~found
                    if hit.any():
                        best[hit] = _point(x[hit], delta[hit], box)
                        found |= hit
                delta = _step(delta, grad, alpha, eps, p, x, box)
        last = _point(x, delta, box)
        with torch.no_grad():
            pred_last = predict(model, last)
        hit = (pred_last != labels) & ~found
        earlier = found.clone()
        best[hit] = last[hit]
        found |= hit
    # per example: the first successful iterate (keep_best) or the end of the first successful
    # run; the end of the last run where none succeeded
    x_adv = torch.where(per_example(found, x), best, last)
    with torch.no_grad():
        if not shrink and not earlier.any():
            # x_adv is `last` row for row (no example succeeded before the final end point):
            # the same batch through the same model, so its predictions are pred_last
            success = pred_last != labels
        else:
            success = predict(model, x_adv) != labels
    return AttackResult(x_adv=x_adv, norms=flat_norm(x_adv - x, p), success=success, p=p,
                        labels=labels)
