"""Adversarial attacks on any differentiable model: PGD (Linf, L2), DeepFool (L2), CW-L2.

All attacks are batched, take a *model* that is any callable from inputs ``(B, ...)`` to logits
``(B, K)`` (for latent-space attacks pass ``compose(f, g)``), and return an
:class:`AttackResult` with per-example perturbation norms and success flags.

Defaults to keep in mind: :func:`pgd` and :func:`carlini_wagner_l2` keep inputs in the box
``(0, 1)`` unless ``box=None`` (pass ``None`` in latent space); :func:`deepfool` is unconstrained
unless a box is given. :func:`bisection` needs only predictions (for classifiers without useful
gradients) and refines any adversarial end point along a segment.
"""
from .base import AttackResult, Composed, compose, flat_norm, predict
from .bisection import bisection
from .cw import carlini_wagner_l2
from .deepfool import deepfool
from .pgd import pgd

__all__ = ["AttackResult", "Composed", "compose", "flat_norm", "predict", "pgd", "deepfool",
           "carlini_wagner_l2", "bisection"]
