"""Training loop (standard and adversarial), evaluation helpers and safe checkpoints.

One loop, :func:`train`, serves every chapter. What it minimises is an *objective*: a callable
``objective(model, x, y) -> loss`` evaluated on each mini-batch with the model in train mode.
:func:`standard_objective` is plain cross-entropy; :class:`PGDObjective` is Madry et al.'s
adversarial training (cross-entropy at a PGD example); :class:`TRADESObjective` is Zhang et al.'s
TRADES (cross-entropy plus ``beta`` times the KL divergence to a nearby worst case). Other
objectives plug in the same way.

Runs are deterministic for a seed on a given machine and thread count: the seed fixes the
initial global torch RNG (random starts of PGD, dropout) and a separate generator shuffles the
data. Models are built by the caller, after ``torch.manual_seed``, or by :func:`build_model`.
"""
from __future__ import annotations

import io
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import models as _models
from .progress import progress as _progress
from .attacks import AttackResult, pgd
from .attacks.base import check_box, parse_p

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


@dataclass
class TRADESObjective:
    """TRADES (Zhang et al., 2019): ``CE(f(x), y) + beta * KL(softmax f(x) || softmax f(x'))``.

    The KL term is summed over classes and averaged over the batch (``reduction="batchmean"``,
    as in the authors' code: a summed ``KLDivLoss`` divided by the batch size). ``x'`` is found
    by :meth:`adversarial`, with the model in ``eval()`` mode: from ``x + init_std * N(0, I)``
    (``init_std = 0.001``; drawn from the global torch RNG, which :func:`train`'s seed fixes),
    ``steps`` ascent steps on ``KL(softmax f(x) || softmax f(x'))`` (sign steps for ``"linf"``,
    normalised-gradient steps for ``"l2"``, each followed by the projection on the ``eps``-ball
    around ``x`` and on ``box``). ``beta = 0`` is standard training; the paper's trade-off
    parameter is ``beta`` itself (Zhang et al.'s ``1 / lambda``).

    Parameters
    ----------
    eps : float
        Radius of the ball (``>= 0``), in the ``norm``.
    beta : float
        Weight of the robustness term (``>= 0``).
    norm : str
        ``"linf"`` or ``"l2"``.
    steps : int
        Ascent steps of the inner maximisation (``>= 0``).
    step_size : float, optional
        Step length (default ``2.5 * eps / steps``, as for :class:`PGDObjective`).
    box : tuple of float or None
        Bounds of the inputs (default ``(0, 1)``; ``None`` for unbounded inputs).
    init_std : float
        Standard deviation of the starting noise (``>= 0``).
    """

    eps: float
    beta: float = 6.0
    norm: str = "linf"
    steps: int = 10
    step_size: Optional[float] = None
    box: Optional[tuple] = (0.0, 1.0)
    init_std: float = 0.001

    def __post_init__(self):
        for name in ("eps", "beta", "init_std"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"TRADES {name} must be a finite number >= 0, got "
                                 f"{getattr(self, name)!r}")
        if int(self.steps) != self.steps or self.steps < 0:
            raise ValueError(f"TRADES steps must be an integer >= 0, got {self.steps!r}")
        if self.step_size is not None and not (float(self.step_size) > 0):
            raise ValueError(f"TRADES step_size must be > 0 (or None for 2.5 eps / steps), got "
                             f"{self.step_size!r}")
        self._p = parse_p(self.norm)
        self.box = check_box(self.box)

    def _alpha(self) -> float:
        if self.step_size is not None:
            return float(self.step_size)
        return 2.5 * float(self.eps) / max(int(self.steps), 1)

    def _project(self, x: torch.Tensor, x_adv: torch.Tensor) -> torch.Tensor:
        delta = x_adv - x
        if math.isinf(self._p):
            delta = delta.clamp(-self.eps, self.eps)
        else:
            norms = delta.flatten(1).norm(dim=1).clamp_min(1e-12)
            factor = (self.eps / norms).clamp(max=1.0)
            delta = delta * factor.view(-1, *([1] * (x.dim() - 1)))
        out = x + delta
        return out.clamp(*self.box) if self.box is not None else out

    def adversarial(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The inner maximisation: ``x'`` in the ball around ``x`` (detached), model in
        ``eval()`` mode (its mode is restored)."""
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                p_nat = F.softmax(model(x), dim=1)
            x_adv = (x + self.init_std * torch.randn_like(x)).detach()
            alpha = self._alpha()
            for _ in range(int(self.steps)):
                x_adv.requires_grad_(True)
                with torch.enable_grad():
                    kl = F.kl_div(F.log_softmax(model(x_adv), dim=1), p_nat, reduction="sum")
                    (grad,) = torch.autograd.grad(kl, x_adv)
                with torch.no_grad():
                    if math.isinf(self._p):
                        step = grad.sign()
                    else:
                        gn = grad.flatten(1).norm(dim=1).clamp_min(1e-12)
                        step = grad / gn.view(-1, *([1] * (x.dim() - 1)))
                    x_adv = self._project(x, x_adv.detach() + alpha * step)
        finally:
            model.train(was_training)
        return x_adv.detach()

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.beta == 0:      # standard training (no inner maximisation, no noise drawn)
            return F.cross_entropy(model(x), y)
        x_adv = self.adversarial(model, x)
        logits = model(x)
        robust = F.kl_div(F.log_softmax(model(x_adv), dim=1), F.softmax(logits, dim=1),
                          reduction="batchmean")
        return F.cross_entropy(logits, y) + self.beta * robust


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
    """What :func:`train` did: per-epoch history, steps, seconds, and whether a limit stopped
    it."""

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
          objective: Optional[Objective] = None, *, desc: str = "train",
          checkpoint=None) -> TrainResult:
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
    checkpoint:
        Optional path of an epoch-boundary resume checkpoint (see :class:`EpochCheckpoint`):
        after every epoch the weights, the optimizer, the RNG states and the history are saved
        there (checksummed); a later call with the same path, model, data and settings resumes
        after the last saved epoch, and ends bit-identical to an uninterrupted run. A checkpoint
        that is corrupt or was written for other settings is ignored (training starts afresh).
        The caller deletes it once the trained model is stored.

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
        raise ValueError(f"need epochs >= 1 and batch_size >= 1, got {cfg.epochs}, "
                         f"{cfg.batch_size}")
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
    resume = None if checkpoint is None else EpochCheckpoint(checkpoint, {
        "loop": "train", "config": {k: v for k, v in asdict(cfg).items()
                                    if k not in ("progress", "device")},
        "data": [list(X.shape), list(Y.shape)], "objective": describe_callable(objective),
        "params": [list(p.shape) for p in model.parameters()]})
    first_epoch, offset = 0, 0.0
    state = resume.load() if resume is not None else None
    if state is not None:
        model.load_state_dict(state["modules"]["model"])
        opt.load_state_dict(state["optimizers"]["opt"])
        restore_rng_state(state["rng"], shuffle)
        result.history, result.steps = list(state["history"]), int(state["steps"])
        result.stopped_early, result.reason = bool(state["stopped_early"]), str(state["reason"])
        first_epoch, offset = int(state["epoch"]) + 1, float(state["seconds"])
        if result.stopped_early:
            first_epoch = cfg.epochs
    start = time.perf_counter() - offset
    bar = _progress(total=total, desc=desc, disable=not cfg.progress, initial=result.steps)
    model.train()
    try:
        for epoch in range(first_epoch, cfg.epochs):
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
            if resume is not None:
                resume.save({"modules": {"model": model.state_dict()},
                             "optimizers": {"opt": opt.state_dict()},
                             "rng": rng_state(shuffle), "epoch": epoch,
                             "history": result.history, "steps": result.steps,
                             "stopped_early": result.stopped_early, "reason": result.reason,
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
        raise ValueError(f"spec must be a dict like {{'name': 'lenet5', 'kwargs': {{}}}}, "
                         f"got {spec!r}")
    if seed is not None:
        torch.manual_seed(seed)
    return _models.build(spec["name"], **dict(spec.get("kwargs", {})))


def checkpoint_bytes(model: nn.Module, *, spec: Optional[dict] = None,
                     optimizer: Optional[torch.optim.Optimizer] = None,
                     meta: Optional[dict] = None) -> bytes:
    """The bytes of the checkpoint :func:`save_checkpoint` writes (what a task worker returns
    to the client, which stores them in the artifacts cache)."""
    for name, value in (("spec", spec), ("meta", meta)):
        try:
            json.dumps(value, allow_nan=True)
        except TypeError as exc:
            raise ValueError(f"checkpoint {name} must hold plain Python types (str, int, float, "
                             f"bool, None, lists, dicts) so that weights_only loading works: "
                             f"{exc}")
    payload = {"format": CHECKPOINT_FORMAT, "state_dict": model.state_dict(),
               "spec": spec, "meta": meta or {},
               "optimizer": optimizer.state_dict() if optimizer is not None else None}
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


def save_checkpoint(path, model: nn.Module, *, spec: Optional[dict] = None,
                    optimizer: Optional[torch.optim.Optimizer] = None,
                    meta: Optional[dict] = None) -> Path:
    """Save the model weights (plus optional model spec, optimizer state and metadata of plain
    Python types) so that :func:`load_checkpoint` can read them with ``weights_only=True``.
    The file is written atomically, with a SHA-256 sidecar (see :mod:`companion.integrity`)."""
    from .integrity import write_verified

    path = Path(path)
    write_verified(path, checkpoint_bytes(model, spec=spec, optimizer=optimizer, meta=meta))
    return path


def load_checkpoint(path, model: Optional[nn.Module] = None, map_location="cpu"):
    """Load a checkpoint written by :func:`save_checkpoint` with ``torch.load(weights_only=True)``
    (no arbitrary code runs). Fills ``model``, or builds one from the stored spec. Returns
    ``(model, checkpoint_dict)``; the model is in eval mode. A checkpoint whose SHA-256 sidecar
    does not match raises :class:`ValueError` (corrupt or partial; it is never loaded)."""
    from .integrity import recorded_digest, sha256_bytes

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; train the model first or fix the path")
    data = path.read_bytes()
    expected = recorded_digest(path)
    if expected is not None and sha256_bytes(data) != expected:
        raise ValueError(f"{path} does not match its SHA-256 checksum ({path.name}.sha256): the "
                         "file is corrupt or partial; delete it and train the model again")
    return read_checkpoint(data, model, map_location, origin=str(path))


def read_checkpoint(data: bytes, model: Optional[nn.Module] = None, map_location="cpu",
                    origin: str = "checkpoint bytes"):
    """:func:`load_checkpoint` from the bytes of a checkpoint (e.g. verified against their
    checksum by the artifacts cache); returns ``(model, checkpoint_dict)``."""
    path = origin
    ckpt = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not a companion checkpoint (written by save_checkpoint)")
    if model is None:
        if not ckpt.get("spec"):
            raise ValueError(f"{path} has no model spec; pass the model to fill")
        model = build_model(ckpt["spec"])
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt


def weights_digest(model_or_state) -> str:
    """SHA-256 over a model's state dict (names, dtypes, shapes and bytes, in order): equal
    digests mean bit-identical weights, whatever else a checkpoint file holds (its metadata,
    such as training seconds, differs from run to run)."""
    import hashlib

    if isinstance(model_or_state, nn.Module):
        state = model_or_state.state_dict()
    else:
        state = model_or_state
    h = hashlib.sha256()
    for name, t in state.items():
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


# --------------------------------------------------------------------------- resumable training
def describe_callable(obj) -> str:
    """A description of a callable that is the same in every process (for resume fingerprints):
    ``module.qualname`` for functions, the repr of a dataclass-like object
    (``PGDObjective(eps=...)``), never a memory address."""
    import inspect

    if inspect.isfunction(obj) or inspect.ismethod(obj) or inspect.isbuiltin(obj):
        return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"
    text = repr(obj)
    if " at 0x" in text:
        return f"{type(obj).__module__}.{type(obj).__qualname__}"
    return text


def rng_state(*generators: torch.Generator) -> dict:
    """The RNG states a training loop depends on: torch's global CPU generator, every CUDA
    device's generator (when CUDA is in use) and the loop's own ``generators`` (e.g. the one that
    shuffles the data). :func:`restore_rng_state` puts them back."""
    cuda_on = torch.cuda.is_available() and torch.cuda.is_initialized()
    cuda = torch.cuda.get_rng_state_all() if cuda_on else []
    return {"torch": torch.get_rng_state(), "cuda": list(cuda),
            "generators": [g.get_state() for g in generators]}


def restore_rng_state(state: dict, *generators: torch.Generator) -> None:
    """Restore what :func:`rng_state` saved (the same ``generators``, in the same order)."""
    torch.set_rng_state(state["torch"])
    if state.get("cuda"):
        torch.cuda.set_rng_state_all(state["cuda"])
    saved = state.get("generators", [])
    if len(saved) != len(generators):
        raise ValueError(f"resume state has {len(saved)} generator states, the loop has "
                         f"{len(generators)}")
    for g, s in zip(generators, saved):
        g.set_state(s)


class EpochCheckpoint:
    """An epoch-boundary resume checkpoint of a training loop, at ``path``.

    ``fingerprint`` (plain data: the settings, data shapes and parameter shapes of the run) is
    stored with the state; :meth:`load` returns the state only when the file matches its SHA-256
    sidecar *and* was written for the same fingerprint, else ``None`` (a corrupt, partial or
    foreign checkpoint is never resumed from). :meth:`save` writes atomically, checksummed.
    The state holds tensors, state dicts and plain data, read back with ``weights_only=True``.
    """

    def __init__(self, path, fingerprint: dict):
        self.path = Path(path)
        self.fingerprint = json.dumps(fingerprint, sort_keys=True, default=str)

    def load(self) -> Optional[dict]:
        from .integrity import quarantine, read_verified

        data = read_verified(self.path)
        if data is None:
            return None
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception:
            quarantine(self.path)
            return None
        if not isinstance(state, dict) or state.get("fingerprint") != self.fingerprint:
            return None
        return state

    def save(self, state: dict) -> None:
        from .integrity import write_verified

        buf = io.BytesIO()
        torch.save({**state, "fingerprint": self.fingerprint}, buf)
        write_verified(self.path, buf.getvalue())

    def discard(self) -> None:
        from .integrity import remove

        remove(self.path)


__all__ = ["Objective", "standard_objective", "PGDObjective", "TRADESObjective", "TrainConfig",
           "TrainResult", "train", "device_of", "predict", "accuracy", "run_attack",
           "robust_accuracy", "prediction_robustness", "build_model", "save_checkpoint",
           "load_checkpoint", "checkpoint_bytes", "read_checkpoint", "weights_digest",
           "rng_state", "restore_rng_state", "EpochCheckpoint", "describe_callable"]
