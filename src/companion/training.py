"""Training loop (standard and adversarial), evaluation helpers and safe checkpoints.

One loop, :func:`train`, serves every chapter. What it minimises is an *objective*: a callable
``objective(model, x, y) -> loss`` evaluated on each mini-batch with the model in train mode.
:func:`standard_objective` is plain cross-entropy; :class:`PGDObjective` is Madry et al.'s
adversarial training (cross-entropy at a PGD example). Other objectives (TRADES, ...) plug in
the same way.

Runs are deterministic for a seed on a given machine and thread count: the seed fixes the
initial global torch RNG (random starts of PGD, dropout) and a separate generator shuffles the
data. Models are built by the caller, after ``torch.manual_seed``, or by :func:`build_model`.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import models as _models
from .progress import progress as _progress
from .attacks import AttackResult, pgd

Objective = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
Attack = Callable[..., AttackResult]

CHECKPOINT_FORMAT = "companion-checkpoint-1"


# --------------------------------------------------------------------------- objectives
def standard_objective(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy on the clean batch."""
    return F.cross_entropy(model(x), y)


@dataclass
class PGDObjective:
    """Adversarial training (Madry et al., 2018): cross-entropy at a PGD example of the batch.

    The example is generated with the model in ``eval()`` mode (batch-norm statistics are not
    updated by the attack), from a random start, returning the last iterate. ``mix`` in [0, 1]
    weights the adversarial loss against the clean one (1: adversarial only, as in Madry et al.).
    """

    eps: float
    norm: str = "linf"
    steps: int = 7
    step_size: Optional[float] = None
    box: Optional[tuple] = (0.0, 1.0)
    mix: float = 1.0

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        was_training = model.training
        model.eval()
        res = pgd(model, x, y, eps=self.eps, norm=self.norm, steps=self.steps,
                  step_size=self.step_size, box=self.box, seed=None, keep_best=False)
        model.train(was_training)
        loss = F.cross_entropy(model(res.x_adv), y)
        if self.mix < 1.0:
            loss = self.mix * loss + (1 - self.mix) * F.cross_entropy(model(x), y)
        return loss


# --------------------------------------------------------------------------- training
@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`train`.

    ``time_budget`` (seconds) and ``max_steps`` stop training early (after the current batch);
    ``lr_milestones`` are epochs at which the learning rate is multiplied by ``lr_decay``;
    ``device`` (e.g. ``"cuda"``) moves the model there and each batch as it is used (data stay
    where they are).
    """

    epochs: int = 1
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    seed: int = 0
    time_budget: Optional[float] = None
    max_steps: Optional[int] = None
    lr_milestones: Sequence[int] = ()
    lr_decay: float = 0.1
    progress: bool = True
    device: Optional[str] = None


@dataclass
class TrainResult:
    """What :func:`train` did: per-epoch history, steps, seconds, and whether a limit stopped it."""

    history: list = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    stopped_early: bool = False
    reason: str = ""


def _as_tensors(X, Y) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X)
    Y = torch.as_tensor(np.asarray(Y) if not isinstance(Y, torch.Tensor) else Y)
    if not X.is_floating_point():
        raise ValueError(f"X must hold floating point images (scale to [0, 1]), got {X.dtype}")
    if Y.dim() != 1 or Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y must be a vector of {X.shape[0]} labels, got shape {tuple(Y.shape)}")
    return X, Y.long()


def _optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                               weight_decay=cfg.weight_decay)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', got {cfg.optimizer!r}")


def train(model: nn.Module, X, Y, config: Optional[TrainConfig] = None,
          objective: Optional[Objective] = None, *, desc: str = "train") -> TrainResult:
    """Train ``model`` on images ``X`` (N, C, H, W) in [0, 1] and labels ``Y`` (N,).

    Parameters
    ----------
    config:
        A :class:`TrainConfig` (default: one epoch of Adam, lr 1e-3, batch 128, seed 0).
    objective:
        ``objective(model, x, y) -> loss``; default :func:`standard_objective`; use
        :class:`PGDObjective` for adversarial training.
    desc:
        Label of the progress bar (on the command line only, see :mod:`companion.progress`).

    Returns
    -------
    TrainResult
        ``history`` has one entry per (possibly partial) epoch: mean loss, clean accuracy on every
        tenth batch right after its update (``train_acc_sampled``), steps and elapsed seconds.
        The model is left in ``eval()`` mode.
    """
    cfg = config or TrainConfig()
    objective = objective or standard_objective
    X, Y = _as_tensors(X, Y)
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise ValueError(f"need epochs >= 1 and batch_size >= 1, got {cfg.epochs}, {cfg.batch_size}")
    torch.manual_seed(cfg.seed)
    shuffle = torch.Generator().manual_seed(cfg.seed)
    if cfg.device is not None:
        model.to(cfg.device)
    device = device_of(model)
    opt = _optimizer(model, cfg)
    n = X.shape[0]
    per_epoch = math.ceil(n / cfg.batch_size)
    total = cfg.epochs * per_epoch
    if cfg.max_steps is not None:
        total = min(total, int(cfg.max_steps))
    result = TrainResult()
    start = time.perf_counter()
    bar = _progress(total=total, desc=desc, disable=not cfg.progress)
    model.train()
    try:
        for epoch in range(cfg.epochs):
            if epoch in set(cfg.lr_milestones):
                for group in opt.param_groups:
                    group["lr"] *= cfg.lr_decay
            perm = torch.randperm(n, generator=shuffle)
            loss_sum, correct, seen = 0.0, 0, 0
            for b in range(per_epoch):
                idx = perm[b * cfg.batch_size:(b + 1) * cfg.batch_size]
                x, y = X[idx].to(device), Y[idx].to(device)
                loss = objective(model, x, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                with torch.no_grad():
                    was = model.training
                    model.eval()
                    correct += int((model(x).argmax(1) == y).sum()) if b % 10 == 0 else 0
                    model.train(was)
                seen += len(y) if b % 10 == 0 else 0
                loss_sum += float(loss.detach()) * len(y)
                result.steps += 1
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss.detach()):.3f}", epoch=epoch)
                elapsed = time.perf_counter() - start
                if cfg.max_steps is not None and result.steps >= cfg.max_steps:
                    result.stopped_early, result.reason = True, "max_steps"
                elif cfg.time_budget is not None and elapsed >= cfg.time_budget:
                    result.stopped_early, result.reason = True, "time_budget"
                if result.stopped_early:
                    break
            done = min((b + 1) * cfg.batch_size, n)
            result.history.append({"epoch": epoch, "loss": loss_sum / done,
                                   "train_acc_sampled": correct / max(seen, 1),
                                   "steps": result.steps,
                                   "seconds": time.perf_counter() - start})
            if result.stopped_early:
                break
    finally:
        bar.close()
        model.eval()
    result.seconds = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------- evaluation
def device_of(model) -> torch.device:
    """The device of a module's first parameter or buffer (CPU for parameter-free callables)."""
    if isinstance(model, nn.Module):
        for t in list(model.parameters()) + list(model.buffers()):
            return t.device
    return torch.device("cpu")


class _EvalMode:
    """Context manager: put a module in eval mode and restore its previous mode."""

    def __init__(self, model: nn.Module) -> None:
        self.model, self.was = model, model.training

    def __enter__(self):
        self.model.eval()
        return self.model

    def __exit__(self, *exc):
        self.model.train(self.was)


def predict(model: nn.Module, X, batch_size: int = 512) -> torch.Tensor:
    """Predicted classes for all of ``X``, in batches, in eval mode."""
    X = torch.as_tensor(X)
    out, device = [], device_of(model)
    with _EvalMode(model), torch.no_grad():
        for i in range(0, X.shape[0], batch_size):
            out.append(model(X[i:i + batch_size].to(device)).argmax(1).cpu())
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def accuracy(model: nn.Module, X, Y, batch_size: int = 512) -> float:
    """Clean accuracy of ``model`` on ``(X, Y)``."""
    X, Y = _as_tensors(X, Y)
    return float((predict(model, X, batch_size) == Y).float().mean())


def run_attack(model: nn.Module, X, labels=None, attack: Attack = pgd, batch_size: int = 256,
               progress: bool = False, **kwargs: Any) -> AttackResult:
    """Run ``attack(model, x, labels, **kwargs)`` over all of ``X`` in batches (eval mode, on the
    model's device) and concatenate the results on the CPU (``x_adv``, ``norms``, ``success``,
    ``labels`` and tensor ``info``)."""
    X = torch.as_tensor(X)
    parts, device = [], device_of(model)
    with _EvalMode(model):
        for i in _progress(range(0, X.shape[0], batch_size),
                           desc=getattr(attack, "__name__", "attack"), disable=not progress):
            lab = None if labels is None else torch.as_tensor(labels)[i:i + batch_size].to(device)
            r = attack(model, X[i:i + batch_size].to(device), lab, **kwargs)
            parts.append(AttackResult(r.x_adv.cpu(), r.norms.cpu(), r.success.cpu(), r.p,
                                      r.labels.cpu(), {k: v.cpu() for k, v in r.info.items()
                                                       if isinstance(v, torch.Tensor)}))
    if not parts:
        raise ValueError("X is empty: nothing to attack")
    info = {k: torch.cat([p.info[k] for p in parts]) for k in parts[0].info
            if isinstance(parts[0].info[k], torch.Tensor)}
    return AttackResult(x_adv=torch.cat([p.x_adv for p in parts]),
                        norms=torch.cat([p.norms for p in parts]),
                        success=torch.cat([p.success for p in parts]), p=parts[0].p,
                        labels=torch.cat([p.labels for p in parts]), info=info)


def robust_accuracy(model: nn.Module, X, Y, attack: Attack = pgd, batch_size: int = 256,
                    progress: bool = False, **kwargs: Any) -> float:
    """Fraction of examples classified correctly *and* still correctly after ``attack``
    (e.g. ``robust_accuracy(model, X, Y, pgd, eps=0.1, steps=40)``)."""
    X, Y = _as_tensors(X, Y)
    clean = predict(model, X) == Y.cpu()
    res = run_attack(model, X, Y, attack, batch_size, progress, **kwargs)
    return float((clean & ~res.success).float().mean())


def prediction_robustness(model: nn.Module, X, attack: Attack = pgd, batch_size: int = 256,
                          progress: bool = False, **kwargs: Any) -> float:
    """Robustness with respect to predictions: the fraction of examples whose *predicted* class
    ``attack`` cannot change (labels are the model's own predictions; no ground truth needed)."""
    res = run_attack(model, X, None, attack, batch_size, progress, **kwargs)
    return float((~res.success).float().mean())


# --------------------------------------------------------------------------- checkpoints
def build_model(spec: dict, seed: Optional[int] = None) -> nn.Module:
    """Build a model from ``{"name": ..., "kwargs": {...}}`` (see :func:`companion.models.build`),
    after ``torch.manual_seed(seed)`` if a seed is given."""
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"spec must be a dict like {{'name': 'lenet5', 'kwargs': {{}}}}, got {spec!r}")
    if seed is not None:
        torch.manual_seed(seed)
    return _models.build(spec["name"], **dict(spec.get("kwargs", {})))


def save_checkpoint(path, model: nn.Module, *, spec: Optional[dict] = None,
                    optimizer: Optional[torch.optim.Optimizer] = None,
                    meta: Optional[dict] = None) -> Path:
    """Save the model weights (plus optional model spec, optimizer state and metadata of plain
    Python types) so that :func:`load_checkpoint` can read them with ``weights_only=True``.
    The file is written atomically."""
    for name, value in (("spec", spec), ("meta", meta)):
        try:
            json.dumps(value, allow_nan=True)
        except TypeError as exc:
            raise ValueError(f"checkpoint {name} must hold plain Python types (str, int, float, "
                             f"bool, None, lists, dicts) so that weights_only loading works: {exc}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": CHECKPOINT_FORMAT, "state_dict": model.state_dict(),
               "spec": spec, "meta": meta or {},
               "optimizer": optimizer.state_dict() if optimizer is not None else None}
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path, model: Optional[nn.Module] = None, map_location="cpu"):
    """Load a checkpoint written by :func:`save_checkpoint` with ``torch.load(weights_only=True)``
    (no arbitrary code runs). Fills ``model``, or builds one from the stored spec. Returns
    ``(model, checkpoint_dict)``; the model is in eval mode."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; train the model first or fix the path")
    ckpt = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a companion checkpoint (written by save_checkpoint)")
    if model is None:
        if not ckpt.get("spec"):
            raise ValueError(f"{path} has no model spec; pass the model to fill")
        model = build_model(ckpt["spec"])
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt


__all__ = ["Objective", "standard_objective", "PGDObjective", "TrainConfig", "TrainResult", "train",
           "device_of", "predict", "accuracy", "run_attack", "robust_accuracy",
           "prediction_robustness", "build_model", "save_checkpoint", "load_checkpoint"]
