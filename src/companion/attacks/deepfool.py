"""DeepFool (Moosavi-Dezfooli, Fawzi & Frossard, 2016), L2, multi-class.

At each step the classifier is linearised around the current point and the point is moved onto
the nearest linearised decision boundary (plus ``1e-4`` in norm); the accumulated step is
scaled by ``1 + overshoot`` to land on the other side. This is the method Fawzi et al. (2018)
use to estimate robustness in Table 1, in latent space as well (attack ``compose(f, g)``).

The batch shrinks to the examples not fooled yet, and the gradients of all ``f_k - f_label`` come
from one forward pass and one backward pass per candidate class.
"""
from __future__ import annotations

from typing import Optional

import torch

from .base import AttackResult, Box, Model, check_batch, check_box, flat_norm, per_example

__all__ = ["deepfool"]


@torch.enable_grad()
def deepfool(model: Model, x: torch.Tensor, labels: Optional[torch.Tensor] = None, *,
             overshoot: float = 0.02, max_iter: int = 50, candidates: Optional[int] = None,
             box: Box = None) -> AttackResult:
    """Minimal L2 perturbations by DeepFool.

    Parameters
    ----------
    model : callable
        Any differentiable callable from inputs ``(B, ...)`` to logits ``(B, K)``
        (``eval()`` mode).
    x : torch.Tensor
        The batch ``(B, ...)``.
    labels : torch.Tensor, optional
        The labels to move away from (default: the model's predictions, which is what the
        robustness ``r(x)`` measures; an example already misclassified gets norm 0).
    overshoot : float
        The final perturbation is ``(1 + overshoot)`` times the accumulated steps (0.02 in the
        paper).
    max_iter : int
        Iterations per example (50 in the paper).
    candidates : int, optional
        Only the ``candidates`` classes with the largest initial logits (label included) are
        considered, as in the original implementation; ``None``: all classes.
    box : tuple of float or None
        Optional ``(low, high)`` clipping of the iterates (``None``: unconstrained, as in the
        paper).

    Returns
    -------
    AttackResult
        ``norms`` are the L2 norms of ``x_adv - x``; ``info["iterations"]`` the steps taken.

    Examples
    --------
    On a linear classifier one step reaches the boundary ``x = 0.3`` (then the overshoot):

    >>> model = lambda x: torch.cat([0.3 - x, x - 0.3], 1)
    >>> r = deepfool(model, torch.zeros(1, 1))
    >>> bool(r.success[0]), int(r.info["iterations"][0]), round(float(r.norms[0]), 4)
    (True, 1, 0.3061)
    """
    check_batch(x, labels)
    box = check_box(box)
    if overshoot < 0 or max_iter < 0:
        raise ValueError(f"need overshoot >= 0 and max_iter >= 0, got {overshoot}, {max_iter}")
    x = x.detach()
    n = x.shape[0]
    with torch.no_grad():
        logits0 = model(x)
    k = logits0.shape[1]
    if labels is None:
        labels = logits0.argmax(1)
    labels = labels.to(x.device)
    c = k if candidates is None else int(candidates)
    if not 2 <= c <= k:
        raise ValueError(f"candidates must be between 2 and the number of classes {k}, "
                         f"got {candidates}")
    masked = logits0.clone()
    masked.scatter_(1, labels[:, None], -torch.inf)
    others = masked.topk(c - 1, dim=1).indices           # (n, c-1) classes to move towards

    r_tot = torch.zeros_like(x)
    x_adv = x.clone()
    iterations = torch.zeros(n, dtype=torch.long, device=x.device)
    success = torch.zeros(n, dtype=torch.bool, device=x.device)
    active = torch.arange(n, device=x.device)
    for it in range(max_iter + 1):
        xa = x_adv[active].requires_grad_(True)
        logits = model(xa)
        la = labels[active]
        fooled = logits.detach().argmax(1) != la
        if fooled.any():
            success[active[fooled]] = True
        keep = ~fooled
        if it == max_iter or not keep.any():
            break
        f0 = logits.gather(1, la[:, None])[:, 0]
        oa = others[active]
        diffs, grads = [], []
        for j in range(c - 1):
            d = logits.gather(1, oa[:, j:j + 1])[:, 0] - f0
            (g,) = torch.autograd.grad(d.sum(), xa, retain_graph=j < c - 2)
            diffs.append(d.detach())
            grads.append(g)
        diffs = torch.stack(diffs, 1)                        # (b, c-1), negative while not fooled
        grads = torch.stack(grads, 1)                        # (b, c-1, ...)
        gnorm = grads.flatten(2).norm(dim=2) + 1e-8
        dist = diffs.abs() / gnorm
        best = dist.argmin(1)
        idx = torch.arange(len(active), device=x.device)
        w = grads[idx, best]
        # as in the reference implementation: 1e-4 added to the distance, step along w / ||w||
        step = (dist[idx, best] + 1e-4) / gnorm[idx, best]
        # only the examples not fooled yet move
        act = active[keep]
        r_tot[act] = r_tot[act] + (per_example(step, w) * w)[keep]
        new = x[act] + (1 + overshoot) * r_tot[act]
        if box is not None:
            new = new.clamp(*box)
        x_adv[act] = new.detach()
        iterations[act] += 1
        active = act
    x_adv = x_adv.detach()
    norms = flat_norm(x_adv - x, 2)
    return AttackResult(x_adv=x_adv, norms=norms, success=success, p=2, labels=labels,
                        info={"iterations": iterations})
