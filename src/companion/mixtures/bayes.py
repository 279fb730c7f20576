"""The Bayes-optimal classifier of MFA classes, and the paper's gradient attack on it.

:class:`BayesOptimal` is a differentiable ``torch.nn.Module`` whose logits are the classes'
exact log-likelihoods plus their log priors, so every attack of :mod:`companion.attacks` (PGD,
DeepFool, Carlini-Wagner, bisection) applies to it unchanged. :func:`gradient_attack` is the
attack of Richardson & Weiss, Appendix C.2: fixed-size steps along the gradient of the
difference of the log-likelihoods of the source and target Gaussian components, until the
decision flips; the crossing is then refined by bisection on the last step (the refinement is
ours; the paper stops at the first step past the boundary).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
from torch import nn

from ..attacks.base import AttackResult, check_batch, predict
from .mfa import DTYPE, MFA

__all__ = ["BayesOptimal", "gradient_attack"]


class BayesOptimal(nn.Module):
    """``logits_c(x) = log p_c(x) + log prior_c`` for MFA class models ``p_0, p_1, ...``.

    Parameters
    ----------
    mfas : MFA (positional, one per class)
        One :class:`~companion.mixtures.MFA` per class (at least two), same data dimension.
    priors : sequence of float, optional
        Class priors (default: equal, as in the paper); positive, summing to 1.

    Notes
    -----
    Inputs ``(B, ...)`` are flattened and evaluated in float64; the logits ``(B, C)`` come back
    in the input's float dtype (float64 for exact values; :meth:`log_likelihoods` is always
    float64). The argmax is the Bayes-optimal decision when the data come from the models.

    Examples
    --------
    Two isotropic unit Gaussians at -1 and +1 on a line embedded in 2-D: the boundary is
    ``x_0 = 0``.

    >>> g0 = MFA([1.0], [[-1.0, 0.0]], [[[0.0], [0.0]]], [[1.0, 1.0]])
    >>> g1 = MFA([1.0], [[1.0, 0.0]], [[[0.0], [0.0]]], [[1.0, 1.0]])
    >>> f = BayesOptimal(g0, g1)
    >>> f(torch.tensor([[-0.1, 5.0], [0.1, -5.0]], dtype=torch.float64)).argmax(1).tolist()
    [0, 1]
    >>> (f(torch.tensor([[0.5, 0.0]], dtype=torch.float64)) @ torch.tensor([-1.0, 1.0],
    ...                                                          dtype=torch.float64)).item()
    1.0
    """

    def __init__(self, *mfas: MFA, priors: Optional[Sequence[float]] = None) -> None:
        super().__init__()
        if len(mfas) < 2 or not all(isinstance(m, MFA) for m in mfas):
            raise ValueError(f"BayesOptimal needs at least two MFA class models, got "
                             f"{[type(m).__name__ for m in mfas]}")
        if len({m.dim for m in mfas}) != 1:
            raise ValueError(f"the class models must share the data dimension, got "
                             f"{[m.dim for m in mfas]}")
        c = len(mfas)
        p = torch.full((c,), 1.0 / c, dtype=DTYPE) if priors is None else \
            torch.as_tensor(priors, dtype=DTYPE)
        if p.shape != (c,) or (p <= 0).any() or abs(float(p.sum()) - 1) > 1e-9:
            raise ValueError(f"priors must be {c} positive numbers summing to 1, got "
                             f"{priors}")
        self.classes = nn.ModuleList(mfas)
        self.register_buffer("log_priors", p.log())

    @property
    def dim(self) -> int:
        """The data dimension ``d``."""
        return self.classes[0].dim

    def log_likelihoods(self, x: torch.Tensor) -> torch.Tensor:
        """``log p_c(x)`` per class, ``(B, C)`` float64."""
        return torch.stack([m.log_prob(x) for m in self.classes], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, C)`` in the dtype of ``x`` (float32 inputs give float32 logits, so that
        the attacks of :mod:`companion.attacks` keep one dtype); computed in float64."""
        out = self.log_likelihoods(x) + self.log_priors
        return out.to(x.dtype) if x.is_floating_point() else out


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.detach().reshape(x.shape[0], -1).to(DTYPE)


@torch.no_grad()
def _direction(model: BayesOptimal, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Unit gradient of ``log pi_t N_t(x) - log pi_s N_s(x)`` for the best components.

    ``s``: the most likely component of the source class ``labels``; ``t``: the most likely
    component of the most likely other class, both at ``x``.
    """
    parts = []
    for m in model.classes:
        f = m._factors()
        xc, quad, v = m._terms(x, f)
        parts.append((m, f, xc, v, f.log_w + f.log_norm - 0.5 * quad))
    scores = torch.stack([torch.logsumexp(j, 1) for *_, j in parts], 1) + model.log_priors
    scores.scatter_(1, labels[:, None], -math.inf)
    target = scores.argmax(1)
    g = torch.zeros_like(x)
    for c, (m, f, xc, v, joint) in enumerate(parts):
        w = torch.zeros_like(joint)
        best = joint.argmax(1, keepdim=True)
        w.scatter_(1, best, 1.0)
        sign = (target == c).to(DTYPE) - (labels == c).to(DTYPE)
        if (sign != 0).any():
            g = g + m._score(xc, v, w * sign[:, None], f)
    return g / g.norm(dim=1, keepdim=True).clamp_min(1e-300)


def gradient_attack(model: BayesOptimal, x: torch.Tensor,
                    labels: Optional[torch.Tensor] = None, *, step_size: float = 0.01,
                    max_steps: int = 2000, bisect_steps: int = 30) -> AttackResult:
    """Richardson & Weiss's gradient attack (Appendix C.2) on a :class:`BayesOptimal` model.

    Every step moves each example by ``step_size`` (L2) along the normalised gradient of
    ``log pi_t N_t(x) - log pi_s N_s(x)``, where ``s`` is the most likely component of the
    source class at the current point and ``t`` the most likely component of the most likely
    other class (both re-chosen at every step), until the full mixture decision changes; the
    crossing is then located by ``bisect_steps`` halvings of that last step.

    Parameters
    ----------
    model:
        A :class:`BayesOptimal` classifier.
    x:
        ``(B, ...)`` inputs (flattened internally).
    labels:
        The classes to move away from (default: the predictions at ``x``). An example already
        classified otherwise is a success with norm 0.
    step_size:
        The L2 length of a step, in input units; the path is at most ``max_steps`` steps long.
    max_steps, bisect_steps:
        The step budget, and the halvings of the last step (its final error is
        ``step_size / 2 ** bisect_steps``).

    Returns
    -------
    AttackResult
        ``x_adv`` float64 (shaped like ``x``): the first point found past the boundary (``x``
        where the attack failed), ``norms = ||x_adv - x||_2``, an upper bound on the distance
        to the decision boundary; ``info["steps"]`` the steps taken.
    """
    if not isinstance(model, BayesOptimal):
        raise ValueError("gradient_attack needs a BayesOptimal model (its components' "
                         "gradients); use companion.attacks for other models")
    check_batch(x, labels)
    if not (math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be > 0, got {step_size}")
    if int(max_steps) != max_steps or max_steps < 0 or int(bisect_steps) != bisect_steps \
            or bisect_steps < 0:
        raise ValueError(f"max_steps and bisect_steps must be integers >= 0, got {max_steps}, "
                         f"{bisect_steps}")
    x0 = _flat(x)
    n = x0.shape[0]
    labels = predict(model, x0) if labels is None else labels.to(x0.device).long()
    cur, prev = x0.clone(), x0.clone()
    steps = torch.zeros(n, dtype=torch.long, device=x0.device)
    crossed = torch.zeros(n, dtype=torch.bool, device=x0.device)
    active = torch.arange(n, device=x0.device)
    for it in range(int(max_steps) + 1):
        flipped = predict(model, cur[active]) != labels[active]
        crossed[active[flipped]] = True
        active = active[~flipped]
        if it == max_steps or active.numel() == 0:
            break
        d = _direction(model, cur[active], labels[active])
        prev[active] = cur[active]
        cur[active] = cur[active] + step_size * d
        steps[active] += 1
    # bisection on the last step of the crossed examples (those with steps > 0)
    idx = torch.nonzero(crossed & (steps > 0)).flatten()
    lo, hi = prev[idx], cur[idx]
    for _ in range(int(bisect_steps)):
        mid = (lo + hi) / 2
        over = (predict(model, mid) != labels[idx])[:, None]
        hi = torch.where(over, mid, hi)
        lo = torch.where(over, lo, mid)
    x_adv = torch.where(crossed[:, None], cur, x0)
    x_adv[idx] = hi
    success = crossed & (predict(model, x_adv) != labels)
    x_adv = torch.where(success[:, None], x_adv, x0)
    norms = (x_adv - x0).norm(dim=1)
    return AttackResult(x_adv=x_adv.reshape(x.shape), norms=norms, success=success, p=2,
                        labels=labels, info={"steps": steps})
