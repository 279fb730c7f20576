"""Sound output bounds of sequential ReLU networks over an l_inf ball intersected with a box.

The input region of an example ``x`` is ``{x' : ||x' - x||_inf <= eps} & [low, high]^d``, the
box ``(0, 1)`` by default: a hyper-rectangle ``[max(x - eps, 0), min(x + eps, 1)]``
(:func:`input_box`). The box matters most for binarised data: a pixel at 0 or 1 can move by
``eps`` in one direction only, so its interval is ``[0, eps]`` or ``[1 - eps, 1]``, half the
width of the ball's ``[x - eps, x + eps]`` (see :func:`companion.certified.box_effect`).

Two bounds, both batched, both for networks of ``Conv2d``, ``Linear``, ``ReLU``, ``Flatten``
and :class:`~companion.certified.models.Normalize` layers (:func:`~.models.layers_of`):

* :func:`ibp` -- interval bound propagation (Gowal et al., 2018): centre and radius through
  every affine layer (radius through ``|W|``), ReLU applied to both ends. With a specification
  matrix ``C`` it is folded into the last Linear layer (``C W``), which is tighter than
  subtracting logit intervals. Cost: about two forward passes; memory: the activations.
* :func:`crown` -- CROWN (Zhang et al., 2018), the backward form of Wong & Kolter's (2018) dual
  network: linear bounds of ``C f(x')`` in ``x'`` are substituted back through the network,
  each unstable ReLU (``l < 0 < u``) replaced by its upper chord ``u (z - l) / (u - l)`` and
  the adaptive lower line ``alpha z`` with ``alpha = 1`` if ``u > -l`` else ``0``; the linear
  function of ``x'`` is then minimised exactly over the box. The pre-activation bounds ``l, u``
  it needs come either from IBP (``intermediate="ibp"``: CROWN-IBP, Zhang et al., 2020; one
  backward pass with ``S`` rows, the rows of ``C``) or from CROWN itself
  (``intermediate="crown"``: full CROWN; one backward pass per ReLU layer, with one row per
  neuron that IBP leaves unstable in some example of the chunk, intersected with IBP).

Memory of the backward passes. A pass with ``r`` rows from layer ``k`` holds coefficient
tensors of ``B r n_i`` numbers at the layers ``i < k`` it crosses (``B`` examples, ``n_i`` the
size of layer ``i``): two of them (lower and upper) when both bounds are asked for, plus the
temporaries of one layer. CROWN-IBP therefore costs ``O(B S max_i n_i)``: for Wong & Kolter's
ConvNet with ``S = 9`` margins and ``n_max = 16 x 14 x 14 = 3136``, about 113 kB a copy and an
example. Full CROWN costs ``O(B n_k max_{i<k} n_i)`` for its intermediate passes: ``n_k = 1568``
(the 32 x 7 x 7 pre-activations) through 3136 is 19.7 MB a copy and an example, roughly 80 MB
with both copies and temporaries -- 16 GB for 200 examples at once, which is how a
general-purpose tool runs out of 24 GB. Here the examples are processed in chunks of
``batch_size`` and the rows of every pass in chunks such that one coefficient copy holds at most
``max_elements`` numbers (default 2**23, 32 MB in float32); only the neurons IBP leaves unstable
get rows. The ReLU steps are built in place (``A sl + neg (su - sl)``) and every reduction is a
matrix product, so a pass holds a handful of coefficient copies at once: peak memory is about
``7 * max_elements`` numbers plus the activations of one chunk, whatever the number of
examples (measured: 230 MB above the baseline for full CROWN on the ConvNet at the default, in
float32; 126 MB at ``2**21``).

A CROWN bound is not always tighter than IBP (one ReLU with ``z`` in ``[-1, 2]``: CROWN's lower
line ``z`` gives ``-1``, IBP gives ``0``), so :func:`crown` intersects its result with IBP's by
default (``intersect_ibp=True``); the result is then never looser than IBP, elementwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .models import Normalize, layers_of

Box = Optional[Sequence[float]]

#: Methods accepted by :func:`bounds`.
METHODS = ("ibp", "crown-ibp", "crown")


@dataclass
class Bounds:
    """Elementwise bounds ``lower <= C f(x') <= upper`` for every ``x'`` of the input region.

    ``lower`` and ``upper`` have shape ``(B, S)`` (``S`` rows of the specification, or the
    outputs of the network when there is none); ``upper`` is ``None`` when it was not asked for.
    """

    lower: torch.Tensor
    upper: Optional[torch.Tensor]


# --------------------------------------------------------------------------- inputs and specs
def input_box(x: torch.Tensor, eps: float, box: Box = (0.0, 1.0)) -> tuple:
    """The input region ``[x - eps, x + eps]``, intersected with ``[box[0], box[1]]``.

    Parameters
    ----------
    x : torch.Tensor
        A batch of inputs.
    eps : float
        l_inf radius, at least 0 (a scalar, or a tensor broadcastable against ``x``).
    box : pair of float or None
        The input domain; ``None`` for none.

    Returns
    -------
    (lo, hi) : tuple of torch.Tensor
        Elementwise bounds, same shape as ``x``.
    """
    eps_t = torch.as_tensor(eps, dtype=x.dtype, device=x.device)
    if bool((eps_t < 0).any()):
        raise ValueError(f"eps must be >= 0, got {eps}")
    lo, hi = x - eps_t, x + eps_t
    if box is not None:
        low, high = float(box[0]), float(box[1])
        if not low <= high:
            raise ValueError(f"box must be (low, high) with low <= high, got {box}")
        lo, hi = lo.clamp(low, high), hi.clamp(low, high)
    return lo, hi


def margin_spec(y: torch.Tensor, num_classes: int,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Specification rows ``e_y - e_j`` for every ``j != y``: bounds of the margins.

    Parameters
    ----------
    y : torch.Tensor
        Labels, shape ``(B,)``.
    num_classes : int
        Number of logits ``K``.
    dtype : torch.dtype
        dtype of the result.

    Returns
    -------
    torch.Tensor
        ``C`` of shape ``(B, K - 1, K)``; row ``i`` of example ``b`` is ``e_y - e_j`` for the
        ``i``-th class ``j != y`` in increasing order, so ``(C @ logits)`` are the margins
        ``logit_y - logit_j``.
    """
    y = torch.as_tensor(y).long().reshape(-1)
    k = int(num_classes)
    if k < 2:
        raise ValueError(f"need at least 2 classes, got {k}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= k):
        raise ValueError(f"labels must lie in 0..{k - 1}")
    eye = torch.eye(k, dtype=dtype, device=y.device)
    others = torch.arange(k, device=y.device)[None, :].expand(y.numel(), k)
    keep = others != y[:, None]
    js = others[keep].reshape(y.numel(), k - 1)
    return eye[y][:, None, :] - eye[js]


# --------------------------------------------------------------------------- layer primitives
def _norm_params(layer: Normalize, like: torch.Tensor) -> tuple:
    """``(scale, shift)`` with ``layer(x) = scale * x + shift``, shaped like one input."""
    shape = (-1,) + (1,) * (like.dim() - 2)
    scale = (1.0 / layer.std.to(like)).reshape(shape)
    shift = (-layer.mean.to(like) / layer.std.to(like)).reshape(shape)
    return scale, shift


def _affine_interval(layer: nn.Module, lo: torch.Tensor, hi: torch.Tensor) -> tuple:
    """Interval image of ``[lo, hi]`` under an affine layer (centre-radius form)."""
    if isinstance(layer, nn.Flatten):
        return lo.flatten(1), hi.flatten(1)
    mid, rad = (hi + lo) / 2, (hi - lo) / 2
    if isinstance(layer, nn.Linear):
        mid = F.linear(mid, layer.weight, layer.bias)
        rad = F.linear(rad, layer.weight.abs())
    elif isinstance(layer, nn.Conv2d):
        mid = F.conv2d(mid, layer.weight, layer.bias, layer.stride, layer.padding,
                       layer.dilation, layer.groups)
        rad = F.conv2d(rad, layer.weight.abs(), None, layer.stride, layer.padding,
                       layer.dilation, layer.groups)
    elif isinstance(layer, Normalize):
        scale, shift = _norm_params(layer, mid)
        mid, rad = mid * scale + shift, rad * scale.abs()
    else:  # pragma: no cover - layers_of admits nothing else
        raise TypeError(type(layer).__name__)
    return mid - rad, mid + rad


def _spec_linear_interval(layer: nn.Linear, C: torch.Tensor, lo: torch.Tensor,
                          hi: torch.Tensor) -> tuple:
    """Interval of ``C (W a + b)`` for ``a`` in ``[lo, hi]``: ``C`` folded into ``W``."""
    w = torch.einsum("bsk,kn->bsn", C, layer.weight)
    mid, rad = (hi + lo) / 2, (hi - lo) / 2
    centre = torch.einsum("bsn,bn->bs", w, mid)
    if layer.bias is not None:
        centre = centre + torch.einsum("bsk,k->bs", C, layer.bias)
    radius = torch.einsum("bsn,bn->bs", w.abs(), rad)
    return centre - radius, centre + radius


def _apply_spec_interval(C: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> tuple:
    """Interval of ``C v`` for ``v`` in ``[lo, hi]`` (when no Linear layer can absorb ``C``)."""
    lo, hi = lo.flatten(1), hi.flatten(1)
    mid, rad = (hi + lo) / 2, (hi - lo) / 2
    centre = torch.einsum("bsn,bn->bs", C, mid)
    radius = torch.einsum("bsn,bn->bs", C.abs(), rad)
    return centre - radius, centre + radius


def _relu_relaxation(lb: torch.Tensor, ub: torch.Tensor) -> tuple:
    """Slopes and intercept of CROWN's ReLU relaxation ``sl z <= relu(z) <= su z + iu``."""
    unstable = (lb < 0) & (ub > 0)
    active = (lb >= 0).to(lb.dtype)
    denom = torch.where(unstable, ub - lb, torch.ones_like(ub))
    su = torch.where(unstable, ub / denom, active)
    iu = torch.where(unstable, -lb * ub / denom, torch.zeros_like(ub))
    sl = torch.where(unstable, (ub > -lb).to(lb.dtype), active)
    return sl, su, iu


def _dot(A: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``sum over the trailing axes of A * v`` as a matrix product (no temporary of A's size).

    ``A`` has shape ``(B, r, *shape)``; ``v`` is ``(B, *shape)`` (one vector an example) or
    broadcastable against ``shape`` alone (one vector for all). Returns ``(B, r)``.
    """
    b, r = A.shape[:2]
    flat = A.reshape(b, r, -1)
    if v.dim() == A.dim() - 1 and v.shape[0] == b:
        return torch.matmul(flat, v.reshape(b, -1, 1)).squeeze(-1)
    return torch.matmul(flat, v.expand(A.shape[2:]).reshape(-1))


def _back_affine(layer: nn.Module, A: torch.Tensor, in_shape: tuple) -> tuple:
    """``(A', c)`` with ``A . layer(a) = A' . a + c`` (``A`` of shape ``(B, r, *out_shape)``)."""
    b, r = A.shape[:2]
    if isinstance(layer, nn.Flatten):
        return A.reshape((b, r) + tuple(in_shape)), None
    if isinstance(layer, nn.Linear):
        const = None if layer.bias is None else A @ layer.bias
        return A @ layer.weight, const
    if isinstance(layer, nn.Conv2d):
        out_hw = A.shape[-2:]
        k_h, k_w = layer.weight.shape[-2:]
        pad = []
        for i, (n_in, n_out, k) in enumerate(zip(in_shape[-2:], out_hw, (k_h, k_w))):
            full = ((n_out - 1) * layer.stride[i] - 2 * layer.padding[i]
                    + layer.dilation[i] * (k - 1) + 1)
            pad.append(int(n_in) - full)
        flat = A.reshape((b * r,) + tuple(A.shape[2:]))
        back = F.conv_transpose2d(flat, layer.weight, None, layer.stride, layer.padding,
                                  tuple(pad), layer.groups, layer.dilation)
        const = None
        if layer.bias is not None:
            const = (A.sum(dim=(-2, -1)) * layer.bias).sum(-1)
        return back.reshape((b, r) + tuple(back.shape[1:])), const
    if isinstance(layer, Normalize):
        scale, shift = _norm_params(layer, A[:, 0])
        return A * scale, _dot(A, shift)
    raise TypeError(type(layer).__name__)  # pragma: no cover


def _backward(layers: list, shapes: list, pre: dict, lo: torch.Tensor, hi: torch.Tensor,
              spec: torch.Tensor, upper: bool) -> tuple:
    """Linear bounds of ``spec . layers(x')`` over ``[lo, hi]`` by backward substitution.

    ``spec`` has shape ``(B, r, *output_shape)``; ``pre[k]`` are the pre-activation bounds of
    the ReLU at position ``k``; ``shapes[k]`` is the input shape of layer ``k``. Returns
    ``(lower, upper)`` of shape ``(B, r)`` (``upper`` None unless asked for).
    """
    A_l = spec
    A_u = spec if upper else None
    c_l = torch.zeros(spec.shape[:2], dtype=spec.dtype, device=spec.device)
    c_u = c_l.clone() if upper else None
    for k in range(len(layers) - 1, -1, -1):
        layer = layers[k]
        if isinstance(layer, nn.ReLU):
            # lower bound: positive coefficients take the lower line, negative ones the upper;
            # pos * sl + neg * su = A * sl + neg * (su - sl), built in place (memory: A, neg and
            # the result, never more)
            sl, su, iu = _relu_relaxation(*pre[k])
            neg = A_l.clamp(max=0)
            c_l = c_l + _dot(neg, iu)
            new = A_l * sl.unsqueeze(1)
            A_l = new.addcmul_(neg, (su - sl).unsqueeze(1))
            del neg, new
            if upper:
                neg = A_u.clamp(max=0)
                c_u = c_u + _dot(A_u, iu) - _dot(neg, iu)
                new = A_u * su.unsqueeze(1)
                A_u = new.addcmul_(neg, (sl - su).unsqueeze(1))
                del neg, new
            continue
        A_l, const = _back_affine(layer, A_l, shapes[k])
        if const is not None:
            c_l = c_l + const
        if upper:
            A_u, const = _back_affine(layer, A_u, shapes[k])
            if const is not None:
                c_u = c_u + const
    mid, rad = (hi + lo) / 2, (hi - lo) / 2
    lower = _dot(A_l, mid) - _dot(A_l.abs(), rad) + c_l
    up = _dot(A_u, mid) + _dot(A_u.abs(), rad) + c_u if upper else None
    return lower, up


def _rows_per_pass(batch: int, width: int, max_elements: int) -> int:
    """How many rows one backward pass may carry within ``max_elements`` numbers a copy."""
    return max(1, int(max_elements) // max(1, batch * width))


def _chunked_backward(layers, shapes, pre, lo, hi, spec, upper, max_elements) -> tuple:
    """:func:`_backward` over chunks of the rows of ``spec``."""
    width = max(int(torch.tensor(s).prod()) for s in shapes)
    step = _rows_per_pass(spec.shape[0], width, max_elements)
    if spec.shape[1] <= step:
        return _backward(layers, shapes, pre, lo, hi, spec, upper)
    parts = [_backward(layers, shapes, pre, lo, hi, spec[:, i:i + step], upper)
             for i in range(0, spec.shape[1], step)]
    lower = torch.cat([p[0] for p in parts], 1)
    return lower, (torch.cat([p[1] for p in parts], 1) if upper else None)


def _needs_backward(layers: list, k: int) -> bool:
    """Whether CROWN can improve IBP at the input of layer ``k``: IBP is exact there when the
    layers before are one weight layer plus Flatten / Normalize (diagonal) layers."""
    weight_layers = sum(isinstance(m, (nn.Linear, nn.Conv2d)) for m in layers[:k])
    relus = sum(isinstance(m, nn.ReLU) for m in layers[:k])
    return relus > 0 or weight_layers > 1


# --------------------------------------------------------------------------- propagation
def _propagate(layers: list, lo: torch.Tensor, hi: torch.Tensor, C: Optional[torch.Tensor],
               intermediate: Optional[str], max_elements: int) -> tuple:
    """IBP forward pass, with CROWN-tightened pre-activation bounds when ``intermediate`` is
    ``"crown"``. Returns ``(ibp_lower, ibp_upper, pre, shapes)``."""
    pre: dict = {}
    shapes: list = []
    a_lo, a_hi = lo, hi
    last = len(layers) - 1
    for k, layer in enumerate(layers):
        shapes.append(tuple(a_lo.shape[1:]))
        if isinstance(layer, nn.ReLU):
            if intermediate == "crown" and _needs_backward(layers, k):
                a_lo, a_hi = _tighten(layers[:k], shapes, pre, lo, hi, a_lo, a_hi, max_elements)
            pre[k] = (a_lo, a_hi)
            a_lo, a_hi = a_lo.clamp(min=0), a_hi.clamp(min=0)
        elif k == last and C is not None and isinstance(layer, nn.Linear):
            a_lo, a_hi = _spec_linear_interval(layer, C, a_lo, a_hi)
            return a_lo, a_hi, pre, shapes + [(int(C.shape[2]),)]
        else:
            a_lo, a_hi = _affine_interval(layer, a_lo, a_hi)
    shapes.append(tuple(a_lo.shape[1:]))
    if C is not None:
        a_lo, a_hi = _apply_spec_interval(C, a_lo, a_hi)
    return a_lo.flatten(1), a_hi.flatten(1), pre, shapes


def _tighten(prefix: list, shapes: list, pre: dict, lo, hi, lb: torch.Tensor,
             ub: torch.Tensor, max_elements: int) -> tuple:
    """CROWN bounds of the neurons IBP leaves unstable, intersected with the IBP bounds ``lb, ub``
    of the output of ``prefix`` (one backward row per neuron unstable in some example of the
    chunk; each example keeps the tightened bounds of its own unstable neurons only)."""
    shape = tuple(lb.shape[1:])
    b = lb.shape[0]
    l_flat, u_flat = lb.reshape(b, -1), ub.reshape(b, -1)
    unstable = (l_flat < 0) & (u_flat > 0)
    idx = unstable.any(0).nonzero().flatten()
    if idx.numel() == 0:
        return lb, ub
    n = l_flat.shape[1]
    rows = torch.zeros((idx.numel(), n), dtype=lb.dtype, device=lb.device)
    rows[torch.arange(idx.numel(), device=lb.device), idx] = 1.0
    spec = rows.reshape((1, idx.numel()) + shape).expand((b, idx.numel()) + shape)
    cl, cu = _chunked_backward(prefix, shapes[:len(prefix)], pre, lo, hi, spec, True,
                               max_elements)
    # only where the example's own IBP bound is unstable: the result of an example then does
    # not depend on the other examples of its chunk
    own = unstable[:, idx]
    l_flat, u_flat = l_flat.clone(), u_flat.clone()
    l_flat[:, idx] = torch.where(own, torch.maximum(l_flat[:, idx], cl), l_flat[:, idx])
    u_flat[:, idx] = torch.where(own, torch.minimum(u_flat[:, idx], cu), u_flat[:, idx])
    return l_flat.reshape(lb.shape), u_flat.reshape(ub.shape)


def _check(model: nn.Module, x: torch.Tensor, C: Optional[torch.Tensor]) -> list:
    layers = layers_of(model)
    if x.dim() < 2:
        raise ValueError(f"x must be a batch (B, ...), got shape {tuple(x.shape)}")
    if C is not None and (C.dim() != 3 or C.shape[0] != x.shape[0]):
        raise ValueError(f"C must have shape (B, S, K) with B = {x.shape[0]}, "
                         f"got {tuple(C.shape)}")
    return layers


def _chunks(n: int, size: Optional[int]):
    size = n if size is None else max(1, int(size))
    for i in range(0, n, size):
        yield slice(i, min(i + size, n))


# --------------------------------------------------------------------------- public bounds
def ibp(model: nn.Module, x: torch.Tensor, eps: float, *, C: Optional[torch.Tensor] = None,
        box: Box = (0.0, 1.0)) -> Bounds:
    """Interval bound propagation of ``C f`` over the l_inf ball of radius ``eps`` in the box.

    Parameters
    ----------
    model : torch.nn.Module
        A sequential ReLU network (see :func:`~companion.certified.models.layers_of`).
    x : torch.Tensor
        A batch of inputs ``(B, ...)``.
    eps : float
        l_inf radius.
    C : torch.Tensor, optional
        Specification ``(B, S, K)``, e.g. :func:`margin_spec`; default: the outputs themselves.
    box : pair of float or None
        Input domain intersected with the ball (default ``(0, 1)``).

    Returns
    -------
    Bounds
        ``lower`` and ``upper`` of shape ``(B, S)`` (or ``(B, K)``). Differentiable in the
        parameters (for training).
    """
    layers = _check(model, x, C)
    lo, hi = input_box(x, eps, box)
    low, up, _, _ = _propagate(layers, lo, hi, C, None, 0)
    return Bounds(low, up)


def crown(model: nn.Module, x: torch.Tensor, eps: float, *, C: Optional[torch.Tensor] = None,
          box: Box = (0.0, 1.0), intermediate: str = "crown", upper: bool = True,
          intersect_ibp: bool = True, batch_size: Optional[int] = None,
          max_elements: int = 2 ** 23) -> Bounds:
    """CROWN linear-relaxation bounds of ``C f`` over the l_inf ball of radius ``eps`` in the box.

    Parameters
    ----------
    model, x, eps, C, box
        As for :func:`ibp`.
    intermediate : {"crown", "ibp"}
        Where the pre-activation bounds of the ReLUs come from: CROWN itself (full CROWN,
        tighter, one backward pass per ReLU layer) or IBP (CROWN-IBP, one backward pass).
    upper : bool
        Also compute the upper bound (a second coefficient tensor in the last pass).
    intersect_ibp : bool
        Return the elementwise tighter of CROWN and IBP (sound; never looser than IBP).
    batch_size : int, optional
        Examples per chunk (default: all at once); results are concatenated.
    max_elements : int
        Largest number of entries of one coefficient tensor of a backward pass; passes with
        more rows are split. See the module docstring for how memory scales.

    Returns
    -------
    Bounds
        ``lower`` (and ``upper``) of shape ``(B, S)``; differentiable in the parameters.
    """
    if intermediate not in ("crown", "ibp"):
        raise ValueError(f"intermediate must be 'crown' or 'ibp', got {intermediate!r}")
    layers = _check(model, x, C)
    lows, ups = [], []
    for part in _chunks(x.shape[0], batch_size):
        cp = None if C is None else C[part]
        low, up = _crown_chunk(layers, x[part], eps, cp, box, intermediate, upper,
                               intersect_ibp, max_elements)
        lows.append(low)
        ups.append(up)
    return Bounds(torch.cat(lows), torch.cat(ups) if upper else None)


def _crown_chunk(layers, x, eps, C, box, intermediate, upper, intersect_ibp, max_elements):
    lo, hi = input_box(x, eps, box)
    i_lo, i_hi, pre, shapes = _propagate(layers, lo, hi, C,
                                         "crown" if intermediate == "crown" else None,
                                         max_elements)
    spec = _output_spec(C, shapes[-1], x)
    low, up = _chunked_backward(layers, shapes[:-1], pre, lo, hi, spec, upper, max_elements)
    if intersect_ibp:
        low = torch.maximum(low, i_lo)
        up = torch.minimum(up, i_hi) if upper else None
    return low, up


def _output_spec(C: Optional[torch.Tensor], out_shape: tuple, x: torch.Tensor) -> torch.Tensor:
    """The rows of the final backward pass: ``C``, or the identity on the outputs."""
    if C is not None:
        return C.to(x.dtype)
    n = int(torch.tensor(out_shape).prod())
    eye = torch.eye(n, dtype=x.dtype, device=x.device)
    return eye.reshape((1, n) + tuple(out_shape)).expand((x.shape[0], n) + tuple(out_shape))


def bounds(model: nn.Module, x: torch.Tensor, eps: float, method: str = "ibp", *,
           C: Optional[torch.Tensor] = None, box: Box = (0.0, 1.0), upper: bool = True,
           batch_size: Optional[int] = None, max_elements: int = 2 ** 23) -> Bounds:
    """Bounds of ``C f`` by ``method``: ``"ibp"``, ``"crown-ibp"`` or ``"crown"``.

    ``"crown-ibp"`` and ``"crown"`` are :func:`crown` with ``intermediate="ibp"`` and
    ``"crown"``, intersected with IBP; the other arguments are those of :func:`crown`.

    Returns
    -------
    Bounds
    """
    if method == "ibp":
        if batch_size is None:
            return ibp(model, x, eps, C=C, box=box)
        parts = [ibp(model, x[p], eps, C=None if C is None else C[p], box=box)
                 for p in _chunks(x.shape[0], batch_size)]
        return Bounds(torch.cat([p.lower for p in parts]), torch.cat([p.upper for p in parts]))
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return crown(model, x, eps, C=C, box=box, upper=upper, batch_size=batch_size,
                 intermediate="ibp" if method == "crown-ibp" else "crown",
                 max_elements=max_elements)


def margin_bounds(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
                  method: str = "ibp", *, num_classes: Optional[int] = None,
                  box: Box = (0.0, 1.0), batch_size: Optional[int] = None,
                  max_elements: int = 2 ** 23) -> torch.Tensor:
    """Lower bounds of the margins ``logit_y - logit_j`` (``j != y``) over the input region.

    Parameters
    ----------
    model, x, eps, box, batch_size, max_elements
        As for :func:`bounds`.
    y : torch.Tensor
        Labels ``(B,)``.
    method : {"ibp", "crown-ibp", "crown"}
        The bound.
    num_classes : int, optional
        Number of logits (default: the ``out_features`` of the last layer).

    Returns
    -------
    torch.Tensor
        ``(B, K - 1)`` lower bounds, in the order of :func:`margin_spec`; an example is
        certified when all are positive.
    """
    if num_classes is None:
        last = layers_of(model)[-1]
        if not isinstance(last, nn.Linear):
            raise ValueError("give num_classes: the last layer is not Linear")
        num_classes = last.out_features
    C = margin_spec(torch.as_tensor(y, device=x.device), num_classes, x.dtype)
    return bounds(model, x, eps, method, C=C, box=box, upper=False, batch_size=batch_size,
                  max_elements=max_elements).lower


def preactivation_bounds(model: nn.Module, x: torch.Tensor, eps: float, method: str = "ibp",
                         *, box: Box = (0.0, 1.0), max_elements: int = 2 ** 23) -> list:
    """The bounds ``(l, u)`` of the input of every ReLU of the network, in order.

    Parameters
    ----------
    model, x, eps, box, max_elements
        As for :func:`crown`.
    method : {"ibp", "crown-ibp", "crown"}
        ``"ibp"`` and ``"crown-ibp"`` use IBP's pre-activation bounds (CROWN-IBP only changes
        the last layer); ``"crown"`` tightens them by CROWN.

    Returns
    -------
    list of (torch.Tensor, torch.Tensor)
        One pair per ReLU, each of shape ``(B, *shape)``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    layers = _check(model, x, None)
    lo, hi = input_box(x, eps, box)
    _, _, pre, _ = _propagate(layers, lo, hi, None, "crown" if method == "crown" else None,
                              max_elements)
    return [pre[k] for k in sorted(pre)]


__all__ = ["Bounds", "METHODS", "input_box", "margin_spec", "ibp", "crown", "bounds",
           "margin_bounds", "preactivation_bounds"]
