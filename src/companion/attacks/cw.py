"""Carlini & Wagner's L2 attack (2017) with a binary search on the trade-off constant."""
from __future__ import annotations

import math
from typing import Optional

import torch

from .base import (AttackResult, Box, Model, check_batch, check_box, flat_norm, per_example,
                   predict)

__all__ = ["carlini_wagner_l2"]


def _margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``Z_label - max_{j != label} Z_j`` per example (negative once the label is beaten)."""
    own = logits.gather(1, labels[:, None])[:, 0]
    other = logits.scatter(1, labels[:, None], -torch.inf).amax(1)
    return own - other


@torch.enable_grad()
def carlini_wagner_l2(model: Model, x: torch.Tensor, labels: Optional[torch.Tensor] = None, *,
                      confidence: float = 0.0, initial_const: float = 1e-3,
                      binary_search_steps: int = 9, steps: int = 1000, lr: float = 1e-2,
                      box: Box = (0.0, 1.0), abort_early: bool = True) -> AttackResult:
    """Untargeted CW-L2: minimise ``||d||^2 + c * max(margin(x + d) + confidence, 0)`` by Adam.

    The constant ``c`` is searched per example: it starts at ``initial_const``; after each of the
    ``binary_search_steps`` rounds it is halved towards the last failing value if the round found
    an adversarial example, and otherwise bisected towards the last successful one (or multiplied
    by 10 while none succeeded). The smallest adversarial perturbation seen over all rounds is
    returned.

    Parameters
    ----------
    model : callable
        Any differentiable callable from inputs ``(B, ...)`` to logits ``(B, K)``
        (``eval()`` mode).
    x : torch.Tensor
        The batch ``(B, ...)``.
    labels : torch.Tensor, optional
        The labels to change (default: the model's predictions).
    confidence : float
        Required logit margin ``kappa`` of the adversarial class.
    initial_const : float
        The first trade-off constant ``c`` of every example (``> 0``).
    binary_search_steps : int
        Rounds of the search on ``c``.
    steps : int
        Adam iterations per round.
    lr : float
        Adam's learning rate.
    box : tuple of float or None
        ``(low, high)``: optimise in tanh space so that ``x + d`` stays in the box (the original
        attack); ``None``: optimise ``d`` directly (unbounded inputs, e.g. latents).
    abort_early : bool
        Whether a round stops once the total loss has not improved by 0.01 % over
        ``steps // 10`` iterations.

    Returns
    -------
    AttackResult
        With ``info["const_lo"]`` (largest constant seen failing, 0 if none) and
        ``info["const_hi"]`` (smallest constant seen succeeding, ``inf`` if none): the minimal
        constant that works lies between them.
    """
    check_batch(x, labels)
    box = check_box(box)
    if binary_search_steps < 1 or steps < 1 or initial_const <= 0:
        raise ValueError("need binary_search_steps >= 1, steps >= 1 and initial_const > 0, got "
                         f"{binary_search_steps}, {steps}, {initial_const}")
    x = x.detach()
    n = x.shape[0]
    if labels is None:
        labels = predict(model, x)
    labels = labels.to(x.device)

    if box is not None:
        lo, hi = box
        to_unit = ((x - lo) / (hi - lo) * 2 - 1).clamp(-1 + 1e-6, 1 - 1e-6)
        w0 = torch.atanh(to_unit)

        if lo == 0.0 and hi == 1.0:
            # the same values as the general form: 1.0 * t == t and 0.0 + t == t (t >= +0)
            def decode(w: torch.Tensor) -> torch.Tensor:
                return (torch.tanh(w) + 1) / 2
        else:
            def decode(w: torch.Tensor) -> torch.Tensor:
                return lo + (hi - lo) * (torch.tanh(w) + 1) / 2
    else:
        w0 = x.clone()

        def decode(w: torch.Tensor) -> torch.Tensor:
            return w

    const = torch.full((n,), float(initial_const), dtype=x.dtype, device=x.device)
    c_lo = torch.zeros(n, dtype=x.dtype, device=x.device)
    c_hi = torch.full((n,), math.inf, dtype=x.dtype, device=x.device)
    best_norm = torch.full((n,), math.inf, dtype=x.dtype, device=x.device)
    best_adv = x.clone()
    x_ref = decode(w0).detach()   # x as represented (differs from x by < 1e-6 in tanh space)
    check_every = max(steps // 10, 1)

    for _ in range(binary_search_steps):
        w = w0.clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=lr)
        round_success = torch.zeros(n, dtype=torch.bool, device=x.device)
        prev = math.inf
        for step in range(steps):
            xa = decode(w)
            logits = model(xa)
            dist2 = (xa - x_ref).flatten(1).pow(2).sum(1)
            margin = _margin(logits, labels)
            hinge = (margin + confidence if confidence else margin).clamp_min(0)
            loss = (dist2 + const * hinge).sum()
            (w.grad,) = torch.autograd.grad(loss, w)   # the input only, not the model's weights
            with torch.no_grad():
                adv = margin.detach() < -confidence
                norm = dist2.detach().sqrt()   # distance to x as represented; exact norms below
                better = adv & (norm < best_norm)
                if better.any():
                    best_norm[better] = norm[better]
                    best_adv[better] = xa.detach()[better]
                round_success |= adv
            opt.step()
            if abort_early and step % check_every == check_every - 1:
                if loss.item() > prev * 0.9999:
                    break
                prev = loss.item()
        with torch.no_grad():
            c_hi = torch.where(round_success, torch.minimum(c_hi, const), c_hi)
            c_lo = torch.where(round_success, c_lo, torch.maximum(c_lo, const))
            bisect = (c_lo + c_hi) / 2
            const = torch.where(torch.isfinite(c_hi), bisect, const * 10)

    success = torch.isfinite(best_norm)
    with torch.no_grad():
        success &= predict(model, best_adv) != labels
    x_adv = torch.where(per_example(success, x), best_adv, x)
    return AttackResult(x_adv=x_adv, norms=flat_norm(x_adv - x, 2), success=success, p=2,
                        labels=labels, info={"const_lo": c_lo, "const_hi": c_hi})
