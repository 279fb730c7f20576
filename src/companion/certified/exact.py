"""Exact verification of small ReLU networks: a mixed-integer linear program (HiGHS).

:func:`exact_minimum` computes ``min c . f(x')`` over the l_inf ball intersected with the box
exactly, with the big-M encoding of Tjeng et al. (2019): for a ReLU ``a = max(z, 0)`` whose
pre-activation lies in ``[l, u]`` with ``l < 0 < u``, a binary ``d`` and

    a >= z,  a >= 0,  a <= z - l (1 - d),  a <= u d;

stable ReLUs are encoded as ``a = z`` or ``a = 0``. The constants ``l, u`` are interval bounds
(IBP) of the network; they only need to be valid, and a too tight one would show as a MILP
minimum above the value at a point of the region. The returned minimiser ``x*`` lets a caller
check the minimum against the network itself (``c . f(x*)`` equals it up to the solver's
tolerances). Convolutions are converted to dense matrices (:func:`~.models.conv_matrix`), so
this is for networks of a few hundred neurons at most (each unstable ReLU is one binary).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
from torch import nn

from .propagation import Box, input_box, preactivation_bounds
from .models import Normalize, conv_matrix, layers_of


@dataclass
class ExactResult:
    """The exact minimum of ``c . f`` over the region, a minimiser, and solver facts."""

    value: float
    x: np.ndarray
    binaries: int
    status: str


def affine_segments(model: nn.Module, input_shape: Sequence[int]) -> list:
    """The network as alternating dense affine maps and ReLUs.

    Parameters
    ----------
    model : torch.nn.Module
        A network :func:`~.models.layers_of` accepts.
    input_shape : sequence of int
        Shape of one input.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        ``[(W_0, b_0), ..., (W_L, b_L)]`` in float64 such that ``f(x) = W_L relu(... relu(W_0
        x + b_0) ...) + b_L`` on flattened inputs; consecutive affine layers are composed.
    """
    shape = tuple(int(s) for s in input_shape)
    n = int(np.prod(shape))
    W, b = np.eye(n), np.zeros(n)
    segments = []
    for layer in layers_of(model):
        if isinstance(layer, nn.ReLU):
            segments.append((W, b))
            W, b = np.eye(W.shape[0]), np.zeros(W.shape[0])
            continue
        if isinstance(layer, nn.Flatten):
            shape = (int(np.prod(shape)),)
            continue
        if isinstance(layer, nn.Conv2d):
            m, c = conv_matrix(layer, shape)
            probe = torch.zeros((1,) + shape, dtype=layer.weight.dtype)
            shape = tuple(layer(probe).shape[1:])
        elif isinstance(layer, Normalize):
            per = int(np.prod(shape[1:])) if len(shape) > 1 else 1
            std = layer.std.double().numpy()
            mean = layer.mean.double().numpy()
            m = torch.as_tensor(np.diag(np.repeat(1.0 / std, per)))
            c = torch.as_tensor(np.repeat(-mean / std, per))
        else:
            m = layer.weight.detach()
            c = torch.zeros(m.shape[0]) if layer.bias is None else layer.bias.detach()
            shape = (m.shape[0],)
        m64, c64 = m.double().cpu().numpy(), c.double().cpu().numpy()
        W, b = m64 @ W, m64 @ b + c64
    segments.append((W, b))
    return segments


def exact_minimum(model: nn.Module, x: torch.Tensor, eps: float, c, *, box: Box = (0.0, 1.0),
                  time_limit: Optional[float] = 60.0) -> ExactResult:
    """Exact ``min c . f(x')`` over ``||x' - x||_inf <= eps`` within ``box``, by MILP.

    Parameters
    ----------
    model : torch.nn.Module
        A small sequential ReLU network.
    x : torch.Tensor
        One input, without the batch axis.
    eps : float
        l_inf radius.
    c : array_like
        The objective on the outputs, e.g. ``e_y - e_j`` for a margin.
    box : pair of float or None
        Input domain (default ``(0, 1)``).
    time_limit : float, optional
        Seconds HiGHS may spend.

    Returns
    -------
    ExactResult
        ``value``, the minimiser ``x`` (shape of ``x``), the number of binaries and the status.

    Raises
    ------
    RuntimeError
        When HiGHS does not prove optimality.
    """
    from scipy.optimize import Bounds as LPBounds
    from scipy.optimize import LinearConstraint, milp
    from scipy.sparse import coo_matrix

    xb = x.detach().unsqueeze(0)
    xb = xb.to(_dtype(model))
    in_shape = tuple(xb.shape[1:])
    segs = affine_segments(model, in_shape)
    with torch.no_grad():
        pre = [(lb[0].double().flatten().cpu().numpy(), ub[0].double().flatten().cpu().numpy())
               for lb, ub in preactivation_bounds(model, xb, eps, "ibp", box=box)]
    lo, hi = input_box(xb.double(), eps, box)
    lo, hi = lo.flatten().cpu().numpy(), hi.flatten().cpu().numpy()
    c = np.asarray(c, dtype=float).reshape(-1)

    # variables: x (n0), then per ReLU layer: z (n), a (n), d (n)
    var_lo, var_hi, integ = [], [], []

    def add(count, low, high, is_int):
        start = len(var_lo)
        var_lo.extend(np.broadcast_to(low, count).tolist())
        var_hi.extend(np.broadcast_to(high, count).tolist())
        integ.extend([int(is_int)] * count)
        return start

    x0 = add(lo.size, lo, hi, False)
    rows, cols, vals, r_lo, r_hi = [], [], [], [], []
    row = 0

    def constraint(entries, low, high):
        nonlocal row
        for col, val in entries:
            rows.append(row)
            cols.append(col)
            vals.append(val)
        r_lo.append(low)
        r_hi.append(high)
        row += 1

    prev, prev_n = x0, lo.size
    binaries = 0
    for (W, b), (lb, ub) in zip(segs[:-1], pre):
        n = W.shape[0]
        margin = 1e-6 * (1.0 + np.maximum(np.abs(lb), np.abs(ub)))  # float32 IBP rounding
        z0 = add(n, lb - margin, ub + margin, False)
        a0 = add(n, 0.0, np.maximum(ub, 0.0) + margin, False)
        d0 = add(n, 0.0, 1.0, True)
        for i in range(n):
            entries = [(z0 + i, 1.0)] + [(prev + j, -W[i, j]) for j in range(prev_n)
                                         if W[i, j] != 0.0]
            constraint(entries, b[i], b[i])
            if ub[i] <= 0:
                constraint([(a0 + i, 1.0)], 0.0, 0.0)
                constraint([(d0 + i, 1.0)], 0.0, 0.0)
            elif lb[i] >= 0:
                constraint([(a0 + i, 1.0), (z0 + i, -1.0)], 0.0, 0.0)
                constraint([(d0 + i, 1.0)], 1.0, 1.0)
            else:
                binaries += 1
                constraint([(a0 + i, 1.0), (z0 + i, -1.0)], 0.0, np.inf)
                constraint([(a0 + i, 1.0), (z0 + i, -1.0), (d0 + i, -lb[i])], -np.inf, -lb[i])
                constraint([(a0 + i, 1.0), (d0 + i, -ub[i])], -np.inf, 0.0)
        prev, prev_n = a0, n
    W, b = segs[-1]
    if W.shape[0] != c.size:
        raise ValueError(f"c has {c.size} entries, the network has {W.shape[0]} outputs")
    obj = np.zeros(len(var_lo))
    obj[prev:prev + prev_n] = c @ W
    A = coo_matrix((vals, (rows, cols)), shape=(row, len(var_lo)))
    res = milp(obj, constraints=LinearConstraint(A, r_lo, r_hi), integrality=np.array(integ),
               bounds=LPBounds(np.array(var_lo), np.array(var_hi)),
               options={"mip_rel_gap": 1e-9, "time_limit": time_limit, "disp": False})
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"HiGHS did not solve the MILP: {res.message}")
    x_star = np.clip(res.x[x0:x0 + lo.size], lo, hi).reshape(in_shape)
    return ExactResult(float(res.fun + c @ b), x_star, binaries, str(res.message))


def _dtype(model: nn.Module) -> torch.dtype:
    return next((p.dtype for p in model.parameters()), torch.float32)


__all__ = ["ExactResult", "affine_segments", "exact_minimum"]
