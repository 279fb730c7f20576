"""LeNet5 in the variant of Madry et al. (2018), used for their MNIST challenge."""
from __future__ import annotations

import torch
from torch import nn

from ._common import check_shape_args, scaled

__all__ = ["LeNet5"]


class LeNet5(nn.Module):
    """conv 32 5x5 (same padding), ReLU, max-pool 2; conv 64 5x5, ReLU, max-pool 2; fc 1024,
    ReLU; fc.

    Parameters
    ----------
    in_channels, input_size, num_classes:
        Image channels, side length of the square input, number of classes.
    width:
        Multiplies the channel and hidden sizes (32, 64, 1024); ``width=1`` is Madry et al.'s
        network (3,274,634 parameters on 28x28x1 inputs with 10 classes).
    """

    def __init__(self, in_channels: int = 1, input_size: int = 28, num_classes: int = 10,
                 width: float = 1.0) -> None:
        super().__init__()
        check_shape_args(in_channels, input_size, num_classes)
        c1, c2, h = scaled(32, width), scaled(64, width), scaled(1024, width)
        side = input_size // 2 // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(c2 * side * side, h), nn.ReLU(), nn.Linear(h, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
