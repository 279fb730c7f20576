"""Certified training: robust cross-entropy of the bound's worst-case logits, with eps warm-up.

Wong & Kolter (2018) minimise the cross-entropy of the worst-case logits their bound allows:
with lower bounds ``m_j`` of the margins ``logit_y - logit_j`` over the ball, the logits
``z_y = 0, z_j = -m_j`` are at least as bad as any attainable ones, and ``CE(z, y)`` is an upper
bound of the robust cross-entropy (:func:`robust_cross_entropy`). Here the bound is IBP
(Gowal et al., 2018) or CROWN-IBP (Zhang et al., 2020), both cheap enough to train with.

Schedules (:func:`warmup`), all linear in the optimisation step over the first
``warmup_fraction`` of the planned steps and then held:

* ``eps`` from ``eps_start`` (0; Ding et al.'s Appendix B.2 starts at 0.01) to ``eps``: the
  warm-up Wong & Kolter and Ding et al. use over the first half of training;
* ``kappa`` from ``kappa_start`` to ``kappa_end``: loss ``kappa CE(clean) + (1 - kappa)
  CE(worst case)``, CROWN-IBP's mixing (default 0 throughout: the robust loss only, as in
  Wong & Kolter);
* ``beta`` from ``beta_start`` to ``beta_end`` (CROWN-IBP only): the margin bound is ``beta
  CROWN-IBP + (1 - beta) IBP`` (Zhang et al.'s 1 -> 0).

Runs are deterministic for a seed on a given machine and thread count: the seed fixes the
global torch RNG and a separate generator shuffles the data. Build the model after
``torch.manual_seed`` (the initialisation is the caller's).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress as _progress
from ..training import device_of
from .propagation import _check, _chunked_backward, _propagate, input_box, margin_spec

#: Bounds :func:`certified_train` can train with.
TRAIN_METHODS = ("ibp", "crown-ibp")


def warmup(step: int, total: int, start: float, end: float,
           fraction: float = 0.5) -> float:
    """A value ramped linearly from ``start`` to ``end`` over the first ``fraction`` of
    ``total`` steps, then held at ``end``.

    Parameters
    ----------
    step : int
        The step, from 0 (the value is ``start``).
    total : int
        Planned number of steps.
    start, end : float
        Values at step 0 and from step ``round(fraction * total)`` on.
    fraction : float
        Part of training spent ramping, in ``[0, 1]`` (0: ``end`` from the first step).

    Returns
    -------
    float
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    ramp = int(round(fraction * int(total)))
    if ramp <= 0 or step >= ramp:
        return float(end)
    t = max(int(step), 0) / ramp
    return float(start + (end - start) * t)


def robust_cross_entropy(lower_margins: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the worst-case logits ``z_y = 0, z_j = -m_j`` (mean over the batch).

    Parameters
    ----------
    lower_margins : torch.Tensor
        ``(B, K - 1)`` lower bounds of ``logit_y - logit_j`` in the order of
        :func:`~.propagation.margin_spec`.
    y : torch.Tensor
        Labels ``(B,)``.

    Returns
    -------
    torch.Tensor
        A scalar; ``log(1 + sum_j exp(-m_j))``, an upper bound of the cross-entropy of every
        logit vector the region can produce.
    """
    zeros = torch.zeros_like(lower_margins[:, :1])
    # the label's worst-case logit (0) first: class order does not change the cross-entropy
    logits = torch.cat([zeros, -lower_margins], 1)
    return F.cross_entropy(logits, torch.zeros_like(y))


def training_margins(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
                     method: str = "ibp", beta: float = 1.0,
                     box=(0.0, 1.0)) -> torch.Tensor:
    """Differentiable margin lower bounds for training: IBP, or ``beta CROWN-IBP + (1 - beta)
    IBP`` (not intersected, as in Zhang et al., 2020).

    Parameters
    ----------
    model : torch.nn.Module
        The sequential ReLU network being trained.
    x, y : torch.Tensor
        A batch and its labels.
    eps : float
        l_inf radius.
    method : {"ibp", "crown-ibp"}
        The bound.
    beta : float
        CROWN-IBP's weight (ignored for IBP; 0 computes IBP only).
    box : pair of float or None
        Input domain.

    Returns
    -------
    torch.Tensor
        ``(B, K - 1)`` lower bounds of the margins.
    """
    if method not in TRAIN_METHODS:
        raise ValueError(f"method must be one of {TRAIN_METHODS}, got {method!r}")
    layers = _check(model, x, None)
    k = layers[-1].out_features if isinstance(layers[-1], nn.Linear) else None
    if k is None:
        raise ValueError("the last layer must be Linear")
    C = margin_spec(y, k, x.dtype)
    lo, hi = input_box(x, eps, box)
    i_lo, _, pre, shapes = _propagate(layers, lo, hi, C, None, 0)
    if method == "ibp" or beta <= 0:
        return i_lo
    c_lo, _ = _chunked_backward(layers, shapes[:-1], pre, lo, hi, C, False, 2 ** 62)
    return beta * c_lo + (1.0 - beta) * i_lo if beta < 1 else c_lo


@dataclass
class CertifiedTrainConfig:
    """Hyper-parameters of :func:`certified_train` (defaults: Ding et al.'s Appendix B.2 --
    batch 50, Adam 1e-3, eps warm-up over the first half -- at ``eps = 0.1``).

    ``time_budget`` (seconds) and ``max_steps`` stop training after the current batch; the
    schedules are planned over ``min(epochs * batches, max_steps)`` steps either way.
    """

    eps: float = 0.1
    epochs: int = 10
    batch_size: int = 50
    lr: float = 1e-3
    method: str = "ibp"
    eps_start: float = 0.0
    warmup_fraction: float = 0.5
    kappa_start: float = 0.0
    kappa_end: float = 0.0
    beta_start: float = 1.0
    beta_end: float = 0.0
    box: Optional[Sequence[float]] = (0.0, 1.0)
    weight_decay: float = 0.0
    seed: int = 0
    time_budget: Optional[float] = None
    max_steps: Optional[int] = None
    progress: bool = True
    device: Optional[str] = None


def _data(X, Y) -> tuple:
    X = X if isinstance(X, torch.Tensor) else torch.as_tensor(np.asarray(X))
    Y = Y if isinstance(Y, torch.Tensor) else torch.as_tensor(np.asarray(Y))
    if not X.is_floating_point():
        raise ValueError(f"X must hold floating point inputs, got {X.dtype}")
    if Y.dim() != 1 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must be a vector of {X.shape[0]} labels, got {tuple(Y.shape)}")
    return X, Y.long()


def certified_train(model: nn.Module, X, Y, config: Optional[CertifiedTrainConfig] = None, *,
                    desc: str = "certified") -> dict:
    """Train ``model`` on ``(X, Y)`` to minimise the robust cross-entropy of a certified bound.

    Parameters
    ----------
    model : torch.nn.Module
        A sequential ReLU network ending in a Linear layer (e.g.
        :func:`~.models.wong_kolter_convnet`).
    X, Y : array_like or torch.Tensor
        Training inputs in the box and labels.
    config : CertifiedTrainConfig, optional
        Hyper-parameters (default ``CertifiedTrainConfig()``).
    desc : str
        Label of the progress bar (command line only, :func:`companion.progress.progress`).

    Returns
    -------
    dict
        Per epoch (lists): ``epoch``, ``eps`` / ``kappa`` / ``beta`` (at the epoch's last step),
        ``loss``, ``robust_loss``, ``clean_loss`` (means), ``train_error`` and
        ``train_certified_error`` (fractions over the epoch's batches, each measured at the
        step's own eps with the training bound), ``seconds``; and ``steps``, ``total_steps``,
        ``total_seconds``, ``stopped_early``, ``reason``, ``config`` (the settings). The model
        is left in ``eval()`` mode.
    """
    cfg = config or CertifiedTrainConfig()
    if cfg.method not in TRAIN_METHODS:
        raise ValueError(f"method must be one of {TRAIN_METHODS}, got {cfg.method!r}")
    if cfg.epochs < 1 or cfg.batch_size < 1 or cfg.eps < 0:
        raise ValueError("need epochs >= 1, batch_size >= 1 and eps >= 0")
    X, Y = _data(X, Y)
    torch.manual_seed(cfg.seed)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    if cfg.device is not None:
        model.to(cfg.device)
    device = device_of(model)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n = X.shape[0]
    per_epoch = math.ceil(n / cfg.batch_size)
    total = cfg.epochs * per_epoch
    if cfg.max_steps is not None:
        total = min(total, int(cfg.max_steps))
    keys = ("epoch", "eps", "kappa", "beta", "loss", "robust_loss", "clean_loss", "train_error",
            "train_certified_error", "seconds")
    hist: dict = {k: [] for k in keys}
    hist.update(steps=0, total_steps=total, total_seconds=0.0, stopped_early=False,
                reason="", config={k: getattr(cfg, k) for k in cfg.__dataclass_fields__})
    start = time.perf_counter()
    bar = _progress(total=total, desc=desc, disable=not cfg.progress)
    model.train()
    step = 0
    try:
        for epoch in range(cfg.epochs):
            perm = torch.randperm(n, generator=shuffle)
            sums = dict(loss=0.0, robust=0.0, clean=0.0, wrong=0, uncert=0, seen=0)
            eps_t = kappa = beta = 0.0
            for b in range(per_epoch):
                idx = perm[b * cfg.batch_size:(b + 1) * cfg.batch_size]
                x, y = X[idx].to(device), Y[idx].to(device)
                eps_t = warmup(step, total, cfg.eps_start, cfg.eps, cfg.warmup_fraction)
                kappa = warmup(step, total, cfg.kappa_start, cfg.kappa_end, cfg.warmup_fraction)
                beta = warmup(step, total, cfg.beta_start, cfg.beta_end, cfg.warmup_fraction)
                if kappa > 0:
                    logits = model(x)
                else:  # the clean loss is only reported: no graph for it
                    with torch.no_grad():
                        logits = model(x)
                clean = F.cross_entropy(logits, y)
                margins = training_margins(model, x, y, eps_t, cfg.method, beta, cfg.box)
                robust = robust_cross_entropy(margins, y)
                loss = kappa * clean + (1.0 - kappa) * robust if kappa > 0 else robust
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                with torch.no_grad():
                    wrong = logits.argmax(1) != y
                    sums["wrong"] += int(wrong.sum())
                    sums["uncert"] += int((wrong | (margins <= 0).any(1)).sum())
                sums["seen"] += len(y)
                sums["loss"] += float(loss.detach()) * len(y)
                sums["robust"] += float(robust.detach()) * len(y)
                sums["clean"] += float(clean.detach()) * len(y)
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss.detach()):.3f}", eps=f"{eps_t:.3f}")
                if cfg.max_steps is not None and step >= cfg.max_steps:
                    hist["stopped_early"], hist["reason"] = True, "max_steps"
                elif cfg.time_budget is not None and \
                        time.perf_counter() - start >= cfg.time_budget:
                    hist["stopped_early"], hist["reason"] = True, "time_budget"
                if hist["stopped_early"]:
                    break
            seen = max(sums["seen"], 1)
            for key, value in (("epoch", epoch), ("eps", eps_t), ("kappa", kappa),
                               ("beta", beta if cfg.method == "crown-ibp" else 0.0),
                               ("loss", sums["loss"] / seen),
                               ("robust_loss", sums["robust"] / seen),
                               ("clean_loss", sums["clean"] / seen),
                               ("train_error", sums["wrong"] / seen),
                               ("train_certified_error", sums["uncert"] / seen),
                               ("seconds", time.perf_counter() - start)):
                hist[key].append(value)
            if hist["stopped_early"]:
                break
    finally:
        bar.close()
        model.eval()
    hist["steps"] = step
    hist["total_seconds"] = time.perf_counter() - start
    return hist


__all__ = ["TRAIN_METHODS", "warmup", "robust_cross_entropy", "training_margins",
           "CertifiedTrainConfig", "certified_train"]
