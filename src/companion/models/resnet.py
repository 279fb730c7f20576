"""ResNets for small images (28x28 or 32x32): a 3x3 stem without pooling, as for CIFAR-10.

``resnet18`` / ``resnet50`` / ``resnet101`` follow He et al. (2016) with the CIFAR-style stem
(``resnet18`` has 11,173,962 parameters for 3x32x32 inputs and 10 classes); ``resnet_small`` is a
narrow, shallow basic-block ResNet that trains in minutes on a CPU.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ._common import check_shape_args

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet_small", "resnet18", "resnet50",
           "resnet101"]


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        return nn.GroupNorm(min(8, channels), channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be 'batch', 'group' or 'none', got {kind!r}")


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (1x1 projection when shapes change)."""

    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int, norm: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = _norm(norm, planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = _norm(norm, planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride=stride, bias=False),
                                          _norm(norm, planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4), with a residual connection."""

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int, norm: str) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = _norm(norm, planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = _norm(norm, planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = _norm(norm, out)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != out:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, out, 1, stride=stride, bias=False),
                                          _norm(norm, out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return torch.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A ResNet for small square images.

    Parameters
    ----------
    in_channels, input_size, num_classes:
        Image channels, side length of the square input, number of classes.
    layers:
        Number of blocks per stage; stage ``i`` has ``base_width * 2**i`` planes and (for
        ``i > 0``) halves the resolution. ``(2, 2, 2, 2)`` with basic blocks is ResNet-18.
    block:
        ``"basic"`` (two 3x3 convolutions) or ``"bottleneck"`` (1x1-3x3-1x1, expansion 4).
    base_width:
        Planes of the first stage (64 in He et al.).
    norm:
        ``"batch"`` (default), ``"group"`` or ``"none"``. Attack a batch-norm model in
        ``eval()`` mode.
    """

    def __init__(self, in_channels: int = 3, input_size: int = 32, num_classes: int = 10,
                 layers: Sequence[int] = (2, 2, 2, 2), block: str = "basic", base_width: int = 64,
                 norm: str = "batch") -> None:
        super().__init__()
        check_shape_args(in_channels, input_size, num_classes)
        blocks = {"basic": BasicBlock, "bottleneck": Bottleneck}
        if block not in blocks:
            raise ValueError(f"block must be 'basic' or 'bottleneck', got {block!r}")
        if len(layers) < 1 or any(int(n) < 1 for n in layers):
            raise ValueError("layers must be a non-empty list of positive block counts, "
                             f"got {layers}")
        Block = blocks[block]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, base_width, 3, padding=1, bias=False),
                                  _norm(norm, base_width), nn.ReLU())
        stages, cin = [], base_width
        for i, n in enumerate(layers):
            planes = base_width * 2 ** i
            for j in range(int(n)):
                stride = 2 if (i > 0 and j == 0) else 1
                stages.append(Block(cin, planes, stride, norm))
                cin = planes * Block.expansion
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(cin, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def resnet_small(in_channels: int = 1, input_size: int = 28, num_classes: int = 10,
                 base_width: int = 16, norm: str = "batch") -> ResNet:
    """Three stages of one basic block each (16, 32, 64 planes by default): a ResNet-8."""
    return ResNet(in_channels, input_size, num_classes, layers=(1, 1, 1), block="basic",
                  base_width=base_width, norm=norm)


def resnet18(in_channels: int = 3, input_size: int = 32, num_classes: int = 10,
             base_width: int = 64, norm: str = "batch") -> ResNet:
    """ResNet-18: basic blocks (2, 2, 2, 2)."""
    return ResNet(in_channels, input_size, num_classes, (2, 2, 2, 2), "basic", base_width, norm)


def resnet50(in_channels: int = 3, input_size: int = 32, num_classes: int = 10,
             base_width: int = 64, norm: str = "batch") -> ResNet:
    """ResNet-50: bottleneck blocks (3, 4, 6, 3)."""
    return ResNet(in_channels, input_size, num_classes, (3, 4, 6, 3), "bottleneck", base_width,
                  norm)


def resnet101(in_channels: int = 3, input_size: int = 32, num_classes: int = 10,
              base_width: int = 64, norm: str = "batch") -> ResNet:
    """ResNet-101: bottleneck blocks (3, 4, 23, 3)."""
    return ResNet(in_channels, input_size, num_classes, (3, 4, 23, 3), "bottleneck", base_width,
                  norm)
