"""CNNs in the style of the CleverHans tutorials: 3x3 convolutions, leaky ReLU, strided
downsampling instead of pooling, one linear layer on top.

:class:`SmallCNN` has four convolutions; :class:`CleverHansCNN` (Richardson & Weiss, Appendix
B.3) has a depth and a width factor, with the strided layers spread evenly along the depth."""
from __future__ import annotations

import torch
from torch import nn

from ._common import check_shape_args, scaled

__all__ = ["SmallCNN", "CleverHansCNN", "stride_layers"]


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


def stride_layers(depth: int, n_strides: int) -> tuple:
    """The indices (0-based) of the strided layers of a :class:`CleverHansCNN`.

    The ``depth`` convolutions are cut into ``n_strides`` blocks of (nearly) equal length and the
    last layer of each block has stride 2: layer ``floor((i + 1) * depth / n_strides) - 1`` for
    ``i = 0 .. n_strides - 1``. With ``depth = 4`` and two strides these are layers 1 and 3, the
    layout of :class:`SmallCNN`.

    Parameters
    ----------
    depth : int
        Number of convolutions (``>= 1``).
    n_strides : int
        Number of stride-2 layers (``0 <= n_strides <= depth``).

    Returns
    -------
    tuple of int
        The strided layers, increasing.

    Examples
    --------
    >>> stride_layers(4, 2), stride_layers(6, 2), stride_layers(3, 3), stride_layers(5, 0)
    ((1, 3), (2, 5), (0, 1, 2), ())
    """
    if int(depth) != depth or depth < 1:
        raise ValueError(f"depth must be an integer >= 1 (convolutions), got {depth!r}")
    if int(n_strides) != n_strides or not 0 <= n_strides <= depth:
        raise ValueError(f"n_strides must be an integer in 0..depth = 0..{depth}, got "
                         f"{n_strides!r}")
    return tuple((i + 1) * int(depth) // int(n_strides) - 1 for i in range(int(n_strides)))


class CleverHansCNN(nn.Module):
    """The CNN of Richardson & Weiss (Appendix B.3), with depth and width factors.

    ``depth`` 3x3 convolutions (padding 1) with leaky ReLU; ``n_strides`` of them, equally spaced
    along the depth (:func:`stride_layers`), have stride 2 and double the number of channels;
    then one fully connected layer. The channels start at ``width`` and double at every strided
    layer, so the last convolution has ``width * 2 ** n_strides``. ``CleverHansCNN(depth=4,
    width=w)`` has the strides of :class:`SmallCNN` (layers 1 and 3) but doubles the channels
    at the strided layers themselves (w, 2w, 2w, 4w), as the appendix says ("at each such layer
    we doubled the width").

    Parameters
    ----------
    in_channels, input_size, num_classes:
        Image channels, side length of the square input, number of classes.
    depth:
        Number of convolutions (``>= n_strides``, ``>= 1``).
    width:
        Channels of the first convolution (``>= 1``; twice that if it is strided).
    n_strides:
        Number of stride-2 layers (default 2: 28 -> 14 -> 7, 64 -> 32 -> 16).
    negative_slope:
        Slope of the leaky ReLU for negative inputs; 0.2 is the default of
        ``tf.nn.leaky_relu``, which the CleverHans models use.
    """

    def __init__(self, in_channels: int = 1, input_size: int = 28, num_classes: int = 10,
                 depth: int = 4, width: int = 32, n_strides: int = 2,
                 negative_slope: float = 0.2) -> None:
        super().__init__()
        check_shape_args(in_channels, input_size, num_classes, min_size=1)
        if int(width) != width or width < 1:
            raise ValueError(f"width must be an integer >= 1 (channels of the first "
                             f"convolution), got {width!r}")
        strided = set(stride_layers(depth, n_strides))
        layers, cin, cout, side = [], int(in_channels), int(width), int(input_size)
        for i in range(int(depth)):
            stride = 2 if i in strided else 1
            if stride == 2:
                cout = 2 * cout
            layers += [nn.Conv2d(cin, cout, 3, stride=stride, padding=1),
                       nn.LeakyReLU(negative_slope)]
            side = _out(side) if stride == 2 else side
            cin = cout
        self.depth, self.width, self.n_strides = int(depth), int(width), int(n_strides)
        self.strided = tuple(sorted(strided))
        self.out_side = side
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(cin * side * side, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
