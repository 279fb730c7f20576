"""What every attack returns, and the small helpers they share.

An attack takes a *model*: any callable mapping a batch of inputs ``(B, ...)`` to logits
``(B, K)`` through differentiable torch operations. A classifier ``f`` is one; so is
``compose(f, g)``, the classifier ``z -> f(g(z))`` on a generator's latent space, which is how the
book attacks in latent space.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

import torch
from torch import nn

Model = Callable[[torch.Tensor], torch.Tensor]
Box = Optional[Tuple[float, float]]


@dataclass
class AttackResult:
    """Outcome of an attack on a batch.

    Attributes
    ----------
    x_adv:
        The adversarial inputs (for a failed example: the attack's last iterate, or ``x`` itself
        for minimal-norm attacks).
    norms:
        Per-example norm of ``x_adv - x`` (flattened), in the attack's norm ``p``.
    success:
        Per-example flag: the model's prediction at ``x_adv`` differs from the label.
    p:
        ``2`` or ``math.inf``.
    labels:
        The labels the attack tried to change (true labels, or the model's predictions).
    info:
        Attack-specific extras (e.g. the Carlini-Wagner constants), tensors per example.
    """

    x_adv: torch.Tensor
    norms: torch.Tensor
    success: torch.Tensor
    p: float
    labels: torch.Tensor
    info: dict = field(default_factory=dict)

    @property
    def success_rate(self) -> float:
        """Fraction of examples whose label the attack changed."""
        return float(self.success.float().mean())

    @property
    def robust_accuracy(self) -> float:
        """Fraction of examples still classified as their label after the attack."""
        return 1.0 - self.success_rate

    def radii(self) -> torch.Tensor:
        """Per-example robustness estimate: the norm where the attack succeeded, ``inf`` where not."""
        return torch.where(self.success, self.norms, torch.full_like(self.norms, math.inf))


class Composed(nn.Module):
    """``x -> f(g(x))`` as one module, e.g. a classifier on a generator's latent space."""

    def __init__(self, f: Model, g: Model) -> None:
        super().__init__()
        self.f, self.g = f, g

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.f(self.g(z))


def compose(f: Model, g: Model) -> Composed:
    """The classifier ``z -> f(g(z))``; attack it with any attack here to work in latent space."""
    return Composed(f, g)


def flat_norm(t: torch.Tensor, p: float) -> torch.Tensor:
    """Per-example ``p``-norm of a batch, flattening all but the first dimension."""
    t = t.flatten(1)
    if p == 2:
        return t.norm(dim=1)
    if math.isinf(p):
        return t.abs().amax(dim=1)
    raise ValueError(f"norm p must be 2 or inf, got {p}")


def per_example(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a ``(B,)`` vector to broadcast against a batch shaped like ``like``."""
    return v.view(-1, *([1] * (like.dim() - 1)))


def parse_p(norm) -> float:
    """Accept ``"linf"``, ``"inf"``, ``math.inf``, ``"l2"`` or ``2``; return ``math.inf`` or ``2``."""
    key = norm.lower() if isinstance(norm, str) else norm
    if key in ("linf", "inf") or (isinstance(key, (int, float)) and math.isinf(key)):
        return math.inf
    if key in ("l2", "2", 2):
        return 2
    raise ValueError(f"norm must be 'linf' or 'l2', got {norm!r}")


def check_box(box: Box) -> Box:
    """Validate an optional ``(low, high)`` box constraint."""
    if box is None:
        return None
    lo, hi = float(box[0]), float(box[1])
    if not lo < hi:
        raise ValueError(f"box must be (low, high) with low < high, got {box}; or None for no box")
    return lo, hi


def check_batch(x: torch.Tensor, labels: Optional[torch.Tensor]) -> None:
    """Raise a clear error for inputs the attacks cannot use."""
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError("x must be a batched tensor of shape (B, ...); add a batch dimension "
                         "with x.unsqueeze(0) for a single example")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating point tensor, got {x.dtype}")
    if labels is not None and labels.shape != (x.shape[0],):
        raise ValueError(f"labels must have shape ({x.shape[0]},), got {tuple(labels.shape)}")


@torch.no_grad()
def predict(model: Model, x: torch.Tensor) -> torch.Tensor:
    """The model's predicted classes (argmax of the logits) on a batch."""
    return model(x).argmax(dim=1)


def make_generator(seed: Optional[int], device: torch.device) -> Optional[torch.Generator]:
    """A seeded ``torch.Generator`` (or ``None`` to use the global RNG)."""
    if seed is None:
        return None
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen
