"""Networks the certified bounds understand: sequential Conv2d / Linear / ReLU / Flatten stacks.

:func:`wong_kolter_convnet` is Wong & Kolter's (2018) small provably robust ConvNet, the model
of Ding et al.'s Section 2.2 (Appendix B.2). :class:`Normalize` is an optional per-channel
input normalisation that the bounds propagate exactly. :func:`layers_of` flattens a model into
the list of layers the bounds walk through (or says why it cannot); :func:`to_dense` rewrites
every convolution as the equivalent :class:`torch.nn.Linear` layer (for tests, and for the
exact MILP of :mod:`companion.certified.exact`).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn



class Normalize(nn.Module):
    """Per-channel input normalisation ``(x - mean) / std`` on ``(B, C, ...)`` inputs.

    Parameters
    ----------
    mean, std : sequence of float
        One value per channel; every ``std`` must be non-zero.
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        mean_t = torch.as_tensor(mean, dtype=torch.float32).reshape(-1)
        std_t = torch.as_tensor(std, dtype=torch.float32).reshape(-1)
        if mean_t.numel() != std_t.numel():
            raise ValueError(f"mean and std need one value per channel, got {mean_t.numel()} "
                             f"and {std_t.numel()}")
        if bool((std_t == 0).any()):
            raise ValueError("std must be non-zero")
        self.register_buffer("mean", mean_t)
        self.register_buffer("std", std_t)

    def _shaped(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``t`` (one value per channel) broadcastable against ``x`` (channels on axis 1)."""
        return t.to(x).reshape((1, -1) + (1,) * (x.dim() - 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self._shaped(self.mean, x)) / self._shaped(self.std, x)


def _check_geometry(in_channels: int, size: int, num_classes: int) -> None:
    """Raise a ``ValueError`` naming the argument when the geometry cannot be used."""
    if int(in_channels) < 1:
        raise ValueError(f"in_channels must be >= 1, got {in_channels}")
    if int(size) < 8:
        raise ValueError(f"size must be >= 8 (two stride-2 convolutions), got {size}")
    if int(num_classes) < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}")


def _conv_out(size: int, kernel: int = 4, stride: int = 2, padding: int = 1) -> int:
    """Side length after a convolution."""
    return (size + 2 * padding - kernel) // stride + 1


def wong_kolter_convnet(in_channels: int = 1, size: int = 28,
                        num_classes: int = 10) -> nn.Sequential:
    """Wong & Kolter's (2018) small ConvNet for provably robust training.

    conv 16 (4x4, stride 2, padding 1), ReLU, conv 32 (4x4, stride 2, padding 1), ReLU, flatten,
    fc 100, ReLU, fc ``num_classes``; no pooling. On 28x28 MNIST the feature maps are 16x14x14
    and 32x7x7 (166,406 parameters), as in Ding et al.'s Appendix B.2 ("2 convolutional layers
    with 16 and 32 channels, each with a stride of 2; ... hidden dimension 100").

    Parameters
    ----------
    in_channels : int
        Image channels.
    size : int
        Side length of the square input (at least 8).
    num_classes : int
        Number of logits.

    Returns
    -------
    torch.nn.Sequential
        A plain sequential stack, as :func:`layers_of` needs.
    """
    _check_geometry(in_channels, size, num_classes)
    side = _conv_out(_conv_out(size))
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 4, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * side * side, 100), nn.ReLU(),
        nn.Linear(100, num_classes),
    )


def mlp(sizes: Sequence[int]) -> nn.Sequential:
    """A fully connected ReLU network ``sizes[0] -> ... -> sizes[-1]`` (no ReLU after the last).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, at least two.

    Returns
    -------
    torch.nn.Sequential
        Flatten, then Linear and ReLU layers.
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"need at least two positive layer sizes, got {sizes}")
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


#: Layer types the bounds propagate.
SUPPORTED = (nn.Conv2d, nn.Linear, nn.ReLU, nn.Flatten, Normalize)


def layers_of(model: nn.Module) -> list[nn.Module]:
    """The layers of a sequential ReLU network, nested :class:`~torch.nn.Sequential` flattened.

    ``Identity`` and ``Dropout`` layers are dropped (they are the identity in ``eval()`` mode,
    which is what a certificate is about).

    Parameters
    ----------
    model : torch.nn.Module
        A :class:`~torch.nn.Sequential` (possibly nested) of :data:`SUPPORTED` layers, or a
        single supported layer.

    Returns
    -------
    list of torch.nn.Module

    Raises
    ------
    TypeError
        For a layer the bounds do not handle (batch norm, pooling, other activations, a module
        with its own ``forward``), a ``Flatten`` that does not flatten all but the batch axis,
        or a convolution with non-zero padding mode.
    """
    out: list[nn.Module] = []

    def walk(m: nn.Module) -> None:
        if isinstance(m, nn.Sequential):
            for child in m:
                walk(child)
        elif isinstance(m, (nn.Identity, nn.Dropout)):
            return
        elif isinstance(m, SUPPORTED):
            if isinstance(m, nn.Flatten) and (m.start_dim != 1 or m.end_dim != -1):
                raise TypeError("only Flatten(start_dim=1, end_dim=-1) is supported")
            if isinstance(m, nn.Conv2d) and m.padding_mode != "zeros":
                raise TypeError(f"only zero-padded convolutions, got {m.padding_mode!r}")
            if isinstance(m, nn.Conv2d) and isinstance(m.padding, str):
                raise TypeError("give the convolution's padding as integers, not 'same'/'valid'")
            out.append(m)
        else:
            raise TypeError(f"{type(m).__name__} is not supported by the certified bounds; "
                            "use a Sequential of Conv2d, Linear, ReLU, Flatten, Normalize")

    walk(model)
    if not out:
        raise TypeError("the model has no layers")
    return out


def conv_matrix(conv: nn.Conv2d, input_shape: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The convolution as a dense affine map on flattened ``(C, H, W)`` inputs.

    Parameters
    ----------
    conv : torch.nn.Conv2d
        The layer.
    input_shape : sequence of int
        ``(C, H, W)`` of one input.

    Returns
    -------
    (W, b) : tuple of torch.Tensor
        ``W`` of shape ``(m, n)`` and ``b`` of shape ``(m,)`` with ``conv(x).flatten() == W @
        x.flatten() + b`` (``n = C H W``, ``m`` the number of outputs).
    """
    c, h, w = (int(s) for s in input_shape)
    n = c * h * w
    weight = conv.weight.detach()
    basis = torch.eye(n, dtype=weight.dtype, device=weight.device).reshape(n, c, h, w)
    cols = F.conv2d(basis, weight, None, conv.stride, conv.padding, conv.dilation, conv.groups)
    out_shape = cols.shape[1:]
    matrix = cols.reshape(n, -1).T.contiguous()
    if conv.bias is None:
        bias = torch.zeros(matrix.shape[0], dtype=weight.dtype, device=weight.device)
    else:
        bias = conv.bias.detach()[:, None, None].expand(out_shape).reshape(-1).clone()
    return matrix, bias


def to_dense(model: nn.Module, input_shape: Sequence[int]) -> nn.Sequential:
    """The same network with every convolution and normalisation as a dense Linear layer.

    Parameters
    ----------
    model : torch.nn.Module
        A network :func:`layers_of` accepts.
    input_shape : sequence of int
        The shape of one input (without the batch axis).

    Returns
    -------
    torch.nn.Sequential
        ``Flatten`` followed by Linear and ReLU layers, computing the same function (up to
        floating point rounding) in the dtype of the model's parameters.
    """
    shape = tuple(int(s) for s in input_shape)
    out: list[nn.Module] = [nn.Flatten()]
    probe_dtype = next((p.dtype for p in model.parameters()), torch.float32)
    for layer in layers_of(model):
        if isinstance(layer, nn.Flatten):
            shape = (int(torch.tensor(shape).prod()),)
            continue
        if isinstance(layer, nn.ReLU):
            out.append(nn.ReLU())
            continue
        if isinstance(layer, nn.Conv2d):
            matrix, bias = conv_matrix(layer, shape)
            probe = torch.zeros((1,) + shape, dtype=layer.weight.dtype)
            shape = tuple(layer(probe).shape[1:])
        elif isinstance(layer, Normalize):
            c = shape[0]
            per = int(torch.tensor(shape[1:]).prod()) if len(shape) > 1 else 1
            scale = (1.0 / layer.std.to(probe_dtype)).repeat_interleave(per)
            if scale.numel() != c * per:
                raise ValueError(f"Normalize has {layer.std.numel()} channels, input has {c}")
            matrix = torch.diag(scale)
            bias = -(layer.mean.to(probe_dtype) / layer.std.to(probe_dtype)).repeat_interleave(per)
        else:  # Linear
            matrix, bias = layer.weight.detach(), layer.bias
            bias = torch.zeros(matrix.shape[0], dtype=matrix.dtype) if bias is None \
                else bias.detach()
            shape = (matrix.shape[0],)
        dense = nn.Linear(matrix.shape[1], matrix.shape[0]).to(matrix.dtype)
        with torch.no_grad():
            dense.weight.copy_(matrix)
            dense.bias.copy_(bias)
        out.append(dense)
    return nn.Sequential(*out)


__all__ = ["Normalize", "wong_kolter_convnet", "mlp", "SUPPORTED", "layers_of", "conv_matrix",
           "to_dense"]
