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

__all__ = ["AttackResult", "Composed", "compose", "flat_norm", "per_example", "parse_p",
           "check_box", "check_batch", "predict", "make_generator"]

Model = Callable[[torch.Tensor], torch.Tensor]
Box = Optional[Tuple[float, float]]


@dataclass
class AttackResult:
    """Outcome of an attack on a batch.

    Attributes
    ----------
    x_adv : torch.Tensor
        The adversarial inputs (for a failed example: the attack's last iterate, or ``x`` itself
        for minimal-norm attacks).
    norms : torch.Tensor
        Per-example norm of ``x_adv - x`` (flattened), in the attack's norm ``p``.
    success : torch.Tensor
        Per-example flag: the model's prediction at ``x_adv`` differs from the label.
    p : float
        ``2`` or ``math.inf``.
    labels : torch.Tensor
        The labels the attack tried to change (true labels, or the model's predictions).
    info : dict
        Attack-specific extras (e.g. the Carlini-Wagner constants), tensors per example.

    Examples
    --------
    >>> r = AttackResult(x_adv=torch.zeros(2, 3), norms=torch.tensor([0.5, 2.0]),
    ...                  success=torch.tensor([True, False]), p=2, labels=torch.tensor([0, 1]))
    >>> r.success_rate, r.robust_accuracy
    (0.5, 0.5)
    >>> r.radii()
    tensor([0.5000,    inf])
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
        """Per-example robustness estimate of the batch.

        Returns
        -------
        torch.Tensor
            The norm where the attack succeeded, ``inf`` where it did not, shape ``(B,)``.
        """
        return torch.where(self.success, self.norms, torch.full_like(self.norms, math.inf))


class Composed(nn.Module):
    """``x -> f(g(x))`` as one module, e.g. a classifier on a generator's latent space.

    Parameters
    ----------
    f : callable
        The outer model (e.g. a classifier, inputs to logits).
    g : callable
        The inner model (e.g. a generator, latents to inputs).
    """

    def __init__(self, f: Model, g: Model) -> None:
        super().__init__()
        self.f, self.g = f, g

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``f(g(z))``.

        Parameters
        ----------
        z : torch.Tensor
            A batch of inputs of ``g``.

        Returns
        -------
        torch.Tensor
            The outputs of ``f`` on ``g(z)``.
        """
        return self.f(self.g(z))


def compose(f: Model, g: Model) -> Composed:
    """The classifier ``z -> f(g(z))``; attack it with any attack here to work in latent space.

    Parameters
    ----------
    f : callable
        The classifier, from inputs ``(B, ...)`` to logits ``(B, K)``.
    g : callable
        The generator (or any map) whose outputs ``f`` classifies.

    Returns
    -------
    Composed
        The module ``z -> f(g(z))``.

    Examples
    --------
    >>> h = compose(lambda x: 2 * x, lambda z: z + 1)
    >>> h(torch.tensor([[1.0]]))
    tensor([[4.]])
    """
    return Composed(f, g)


def flat_norm(t: torch.Tensor, p: float) -> torch.Tensor:
    """Per-example ``p``-norm of a batch, flattening all but the first dimension.

    Parameters
    ----------
    t : torch.Tensor
        A batch ``(B, ...)``.
    p : float
        ``2`` or ``math.inf``.

    Returns
    -------
    torch.Tensor
        The ``B`` norms.

    Examples
    --------
    >>> t = torch.tensor([[3.0, -4.0], [1.0, 0.0]])
    >>> flat_norm(t, 2), flat_norm(t, math.inf)
    (tensor([5., 1.]), tensor([4., 1.]))
    """
    t = t.flatten(1)
    if p == 2:
        return t.norm(dim=1)
    if math.isinf(p):
        return t.abs().amax(dim=1)
    raise ValueError(f"norm p must be 2 or inf, got {p}")


def per_example(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a ``(B,)`` vector to broadcast against a batch shaped like ``like``.

    Parameters
    ----------
    v : torch.Tensor
        One value per example, shape ``(B,)``.
    like : torch.Tensor
        A batch ``(B, ...)``.

    Returns
    -------
    torch.Tensor
        A view of ``v`` of shape ``(B, 1, ..., 1)`` (as many dimensions as ``like``).

    Examples
    --------
    >>> per_example(torch.ones(2), torch.zeros(2, 3, 4)).shape
    torch.Size([2, 1, 1])
    """
    return v.view(-1, *([1] * (like.dim() - 1)))


def parse_p(norm) -> float:
    """The norm of an attack, from its usual spellings.

    Parameters
    ----------
    norm : str or float
        ``"linf"``, ``"inf"``, ``math.inf``, ``"l2"``, ``"2"`` or ``2`` (case-insensitive).

    Returns
    -------
    float
        ``math.inf`` or ``2``; any other norm raises ``ValueError``.

    Examples
    --------
    >>> parse_p("Linf"), parse_p("l2")
    (inf, 2)
    """
    key = norm.lower() if isinstance(norm, str) else norm
    if key in ("linf", "inf") or (isinstance(key, (int, float)) and math.isinf(key)):
        return math.inf
    if key in ("l2", "2", 2):
        return 2
    raise ValueError(f"norm must be 'linf' or 'l2', got {norm!r}")


def check_box(box: Box) -> Box:
    """Validate an optional ``(low, high)`` box constraint.

    Parameters
    ----------
    box : tuple of float or None
        ``(low, high)`` with ``low < high``, or ``None`` for no box.

    Returns
    -------
    tuple of float or None
        ``(float(low), float(high))``, or ``None``; raises ``ValueError`` otherwise.

    Examples
    --------
    >>> check_box((0, 1))
    (0.0, 1.0)
    """
    if box is None:
        return None
    lo, hi = float(box[0]), float(box[1])
    if not lo < hi:
        raise ValueError(f"box must be (low, high) with low < high, got {box}; "
                         "or None for no box")
    return lo, hi


def check_batch(x: torch.Tensor, labels: Optional[torch.Tensor]) -> None:
    """Raise a clear error for inputs the attacks cannot use.

    Parameters
    ----------
    x : torch.Tensor
        The batch: a floating point tensor ``(B, ...)`` with at least two dimensions.
    labels : torch.Tensor or None
        ``None``, or one label per example (shape ``(B,)``).

    Returns
    -------
    None
        Raises ``ValueError`` when ``x`` or ``labels`` cannot be used.
    """
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError("x must be a batched tensor of shape (B, ...); add a batch dimension "
                         "with x.unsqueeze(0) for a single example")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating point tensor, got {x.dtype}")
    if labels is not None and labels.shape != (x.shape[0],):
        raise ValueError(f"labels must have shape ({x.shape[0]},), got {tuple(labels.shape)}")


@torch.no_grad()
def predict(model: Model, x: torch.Tensor) -> torch.Tensor:
    """The model's predicted classes (argmax of the logits) on a batch, without gradients.

    Parameters
    ----------
    model : callable
        From inputs ``(B, ...)`` to logits ``(B, K)``.
    x : torch.Tensor
        The batch.

    Returns
    -------
    torch.Tensor
        The ``B`` predicted classes (``int64``).

    Examples
    --------
    >>> predict(lambda x: torch.cat([x, -x], 1), torch.tensor([[1.0], [-1.0]]))
    tensor([0, 1])
    """
    return model(x).argmax(dim=1)


def make_generator(seed: Optional[int], device: torch.device) -> Optional[torch.Generator]:
    """A seeded ``torch.Generator`` (or ``None`` to use the global RNG).

    Parameters
    ----------
    seed : int or None
        The seed; ``None`` for the global torch RNG.
    device : torch.device
        The device of the generator.

    Returns
    -------
    torch.Generator or None
        A generator seeded with ``seed``, or ``None`` when ``seed`` is ``None``.
    """
    if seed is None:
        return None
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen
