"""Classifiers used across the book: LeNet5 (Madry et al.), a ResNet, a small CleverHans-style CNN.

Every model maps a batch of images ``(B, C, H, W)`` to logits ``(B, num_classes)`` and takes the
number of input channels, the input size (square, e.g. 28 or 32) and the number of classes as
parameters. :func:`build` constructs one from a name and keyword arguments, so that a checkpoint
can record how to rebuild its model (see :mod:`companion.training`).
"""
from __future__ import annotations

from typing import Any

from torch import nn

from .cnn import CleverHansCNN, SmallCNN, stride_layers
from .lenet import LeNet5
from .resnet import ResNet, resnet18, resnet50, resnet101, resnet_small
from .svm import (BinarySVM, GammaSearch, LinearSVM, RBFSVM, fit_svm, gamma_grid, gamma_search,
                  svm_from_arrays, svm_from_sklearn, svm_gradient_attack)

#: Names accepted by :func:`build`.
REGISTRY = {
    "lenet5": LeNet5,
    "small_cnn": SmallCNN,
    "cleverhans_cnn": CleverHansCNN,
    "resnet": ResNet,
    "resnet_small": resnet_small,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "resnet101": resnet101,
}


def build(name: str, **kwargs: Any) -> nn.Module:
    """Construct the model registered as ``name`` (see :data:`REGISTRY`) with ``kwargs``."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(REGISTRY)}")
    return REGISTRY[name](**kwargs)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


__all__ = ["LeNet5", "SmallCNN", "ResNet", "resnet_small", "resnet18", "resnet50", "resnet101",
           "build", "count_parameters", "REGISTRY", "CleverHansCNN", "stride_layers", "BinarySVM",
           "LinearSVM", "RBFSVM", "svm_from_sklearn", "svm_from_arrays", "fit_svm", "gamma_grid",
           "GammaSearch", "gamma_search", "svm_gradient_attack"]
