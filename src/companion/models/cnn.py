"""A small CNN in the style of the CleverHans tutorials: 3x3 convolutions, leaky ReLU, strided
downsampling instead of pooling, one linear layer on top."""
from __future__ import annotations

import torch
from torch import nn

from ._common import check_shape_args, scaled

__all__ = ["SmallCNN"]


def _out(size: int) -> int:
    """Side length after a 3x3 convolution with stride 2 and padding 1."""
    return (size - 1) // 2 + 1


class SmallCNN(nn.Module):
    """conv w, conv w /2, conv 2w, conv 2w /2 (3x3, leaky ReLU 0.1), flatten, linear.

    Parameters
    ----------
    in_channels, input_size, num_classes:
        Image channels, side length of the square input, number of classes.
    width:
        Number of channels of the first two convolutions (default 32); the last two have twice
        that.
    negative_slope:
        Slope of the leaky ReLU for negative inputs.
    """

    def __init__(self, in_channels: int = 1, input_size: int = 28, num_classes: int = 10,
                 width: int = 32, negative_slope: float = 0.1) -> None:
        super().__init__()
        check_shape_args(in_channels, input_size, num_classes)
        w = scaled(width, 1.0)
        act = lambda: nn.LeakyReLU(negative_slope)  # noqa: E731
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1), act(),
            nn.Conv2d(w, w, 3, stride=2, padding=1), act(),
            nn.Conv2d(w, 2 * w, 3, padding=1), act(),
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), act(),
        )
        side = _out(_out(input_size))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * w * side * side, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
