"""Argument checks shared by the model constructors."""
from __future__ import annotations


def check_shape_args(in_channels: int, input_size: int, num_classes: int,
                     min_size: int = 4) -> None:
    """Raise a ``ValueError`` naming the bad argument if the image geometry cannot be used."""
    if int(in_channels) < 1:
        raise ValueError(f"in_channels must be >= 1, got {in_channels}")
    if int(input_size) < min_size:
        raise ValueError(f"input_size must be >= {min_size} (square images), got {input_size}")
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")


def scaled(channels: int, width: float) -> int:
    """``channels * width`` rounded, at least 1."""
    if width <= 0:
        raise ValueError(f"width factor must be > 0, got {width}")
    return max(1, int(round(channels * width)))
