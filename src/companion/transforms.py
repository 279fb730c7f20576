"""Data-distribution transforms of Ding et al. (Sections 3-5): "semantic-lossless" shifts.

Every transform maps a batch of images in ``[0, 1]`` to a batch of the same shape, dtype and
array type: a numpy array or a torch tensor of shape ``(N, C, H, W)``, ``(N, H, W)`` or a single
``(H, W)`` image (the spatial axes are always the last two). All but :func:`canny_edges` are
vectorised (torch tensors stay on their device); floating-point input is required (use
:meth:`companion.data.Dataset.float_images` for grey levels).

* :func:`binarize` -- "rounding all pixel values to 0 or 1" (Section 2.2, footnote 5):
  ``x > 0.5 -> 1``, ``x <= 0.5 -> 0`` (``numpy.round``'s half-to-even rule also sends 0.5 to 0;
  8-bit images never hold 0.5 exactly, ``127/255 < 0.5 < 128/255``).
* :func:`smooth` -- Section 3.1: "first applying average filter of kernel size s to x_i to
  generate an intermediate smooth image, and then take pixel-wise maximum between x_i and the
  intermediate smooth image". The paper does not say how the filter treats the border, where
  the window of an even size sits, or (as the printed tables suggest) along which axes it runs;
  :func:`average_filter` offers the readings (``padding``, ``origin``, ``direction``).
* :func:`saturate` -- Section 3.1: ``sign(2x-1) |2x-1|^(2/p) / 2 + 1/2``; ``p = 2`` is the
  identity, ``p = inf`` binarisation (with 0.5 kept at 0.5: ``sign(0) = 0``).
* :func:`gamma` -- Section 4.1: ``x -> x^gamma``.
* :func:`scale` -- Section 5.2: ``x -> a (x - 0.5) + 0.5`` (``a < 1`` pulls towards 0.5).
* :func:`canny_edges` -- Section 4.2: edge-Fashion-MNIST, scikit-image's Canny detector with
  ``sigma = 1`` (its default hysteresis thresholds), edges 1 and the rest 0.

The registry :func:`variant` / :func:`apply_variant` names them ``original``, ``binarized``,
``smooth-S``, ``saturate-P``, ``gamma-G``, ``scale-A``, ``edges``; a name or a parameter that
is not valid is rejected before any computation, with a message listing what is valid.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = [
    "PADDINGS", "ORIGINS", "DIRECTIONS", "MNIST_VARIANTS", "CIFAR_SATURATION_LEVELS",
    "GAMMA_VALUES", "FASHION_VARIANTS", "VALID_VARIANTS",
    "binarize", "average_filter", "smooth", "saturate", "gamma", "scale", "canny_edges",
    "Variant", "variant", "apply_variant",
]

#: border readings of the average filter (see :func:`average_filter`)
PADDINGS = ("zero", "reflect", "mirror", "edge", "shrink")
#: where the window of an even kernel size sits (see :func:`average_filter`)
ORIGINS = ("low", "high")
#: the axes the average filter runs along (see :func:`average_filter`)
DIRECTIONS = ("both", "vertical", "horizontal")

#: the MNIST variants of the paper's Figure 2a and Tables 2, 4 and 7
MNIST_VARIANTS = ("binarized", "original") + tuple(f"smooth-{s}" for s in range(2, 9))
#: the saturation levels of the CIFAR-10 variants (Tables 3 and 5; 2 is the original)
CIFAR_SATURATION_LEVELS = (1, 1.5, 1.75, 2, 2.25, 2.5, 3, 4, 8, 16, 64, 128, 256, math.inf)
#: the gamma values of Section 4.1 (Figure 3a)
GAMMA_VALUES = (0.6, 0.8, 1.0, 1.2, 1.4)
#: Fashion-MNIST and edge-Fashion-MNIST (Section 4.2)
FASHION_VARIANTS = ("original", "edges")

#: what :func:`variant` accepts, as the error messages list it
VALID_VARIANTS = (
    "'original' (alias 'identity'); 'binarized' (aliases 'binarised', 'binary'); "
    "'smooth-S' with an integer kernel size S >= 1 (e.g. 'smooth-3'); "
    "'saturate-P' with a level P > 0 or 'inf' (e.g. 'saturate-16', 'saturate-inf'); "
    "'gamma-G' with G > 0 (e.g. 'gamma-0.6'); "
    "'scale-A' with 0 <= A <= 1 (e.g. 'scale-0.97'); "
    "'edges' (aliases 'edge', 'canny')")


def _is_torch(x) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


def _check(x, what: str, spatial: bool = True):
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise TypeError(f"{what}: expected a numpy array or a torch tensor, got {type(x)!r}")
    floating = x.is_floating_point() if _is_torch(x) else np.issubdtype(x.dtype, np.floating)
    if not floating:
        raise TypeError(f"{what}: expected floating-point images in [0, 1], got dtype "
                        f"{x.dtype} (grey levels? use Dataset.float_images())")
    if spatial and x.ndim < 2:
        raise ValueError(f"{what}: expected images (..., H, W), got shape {tuple(x.shape)}")
    return x


def _sign(x):
    if _is_torch(x):
        import torch
        return torch.sign(x)
    return np.sign(x)


def binarize(x, threshold: float = 0.5):
    """Round every pixel to 0 or 1: ``x > threshold -> 1``, ``x <= threshold -> 0``.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor
        Floating-point images in ``[0, 1]``, any shape (the map is pixel-wise).
    threshold : float
        0.5 by default; a pixel exactly at the threshold goes to 0.

    Returns
    -------
    Same type, shape and dtype as ``x``, values in ``{0, 1}``.

    Examples
    --------
    >>> binarize(np.array([[0.0, 0.5, 0.502, 1.0]]))
    array([[0., 0., 1., 1.]])
    """
    x = _check(x, "binarize", spatial=False)
    out = x > threshold
    return out.to(x.dtype) if _is_torch(x) else out.astype(x.dtype)


def _window_indices(n: int, size: int, origin: str, padding: str):
    """Indices into ``range(n)`` of the padded line, and the in-image mask, for a box of
    ``size`` whose output ``i`` covers ``i - b .. i - b + size - 1``."""
    b = size // 2 if origin == "low" else (size - 1) // 2
    pos = np.arange(-b, n - b + size - 1)
    inside = (pos >= 0) & (pos < n)
    if padding in ("zero", "shrink", "edge"):
        idx = np.clip(pos, 0, n - 1)
    elif padding == "reflect":          # d c b a | a b c d | d c b a (edge repeated)
        r = np.mod(pos, 2 * n)
        idx = np.where(r >= n, 2 * n - 1 - r, r)
    else:                               # "mirror": d c b | a b c d | c b a (edge not repeated)
        if n == 1:
            idx = np.zeros_like(pos)
        else:
            r = np.mod(pos, 2 * n - 2)
            idx = np.where(r >= n, 2 * n - 2 - r, r)
    return idx, inside


def _box_along(x, axis: int, size: int, origin: str, padding: str):
    """Mean over a window of ``size`` along ``axis`` (negative), with the border reading."""
    n = x.shape[axis]
    idx, inside = _window_indices(n, size, origin, padding)
    shape = [1] * x.ndim
    shape[axis] = idx.size
    if _is_torch(x):
        import torch
        xp = x.index_select(x.ndim + axis, torch.as_tensor(idx, device=x.device))
        mask = torch.as_tensor(inside.reshape(shape), dtype=x.dtype, device=x.device)
    else:
        xp = np.take(x, idx, axis=axis)
        mask = inside.reshape(shape).astype(x.dtype)
    if padding in ("zero", "shrink"):
        xp = xp * mask

    def window_sum(a):
        sl = [slice(None)] * a.ndim
        total = 0
        for j in range(size):
            sl[axis] = slice(j, j + n)
            total = total + a[tuple(sl)]
        return total

    s = window_sum(xp)
    if padding == "shrink":
        return s / window_sum(mask)
    return s / size


def _check_filter(size, padding, origin, direction):
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"average filter: the kernel size must be an integer >= 1, "
                         f"got {size!r}")
    for what, value, valid in (("padding", padding, PADDINGS), ("origin", origin, ORIGINS),
                               ("direction", direction, DIRECTIONS)):
        if value not in valid:
            raise ValueError(f"average filter: unknown {what} {value!r}; valid: "
                             + ", ".join(repr(v) for v in valid))


def average_filter(x, size: int, *, padding: str = "zero", origin: str = "low",
                   direction: str = "both"):
    """Average ("box", "mean") filter of kernel size ``size`` over the last two axes.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor
        Floating-point images ``(..., H, W)``.
    size : int
        Kernel size ``s >= 1``: the window is ``s x s`` (``s x 1`` or ``1 x s`` with
        ``direction``); ``s = 1`` is the identity.
    padding : {"zero", "reflect", "mirror", "edge", "shrink"}
        How the window reads outside the image. ``"zero"``: zeros (``scipy.ndimage``
        ``mode="constant"``, PyTorch ``conv2d(padding=...)``); ``"reflect"``: ``d c b a | a b c
        d`` (scipy ``"reflect"``, OpenCV ``BORDER_REFLECT``); ``"mirror"``: ``d c b | a b c d``
        (scipy ``"mirror"``, OpenCV's default ``BORDER_REFLECT_101``, PyTorch ``"reflect"``);
        ``"edge"``: the border pixel repeated; ``"shrink"``: the mean over the pixels of the
        window that lie inside the image (``avg_pool2d(count_include_pad=False)``).
    origin : {"low", "high"}
        For an even ``s``, output pixel ``i`` averages ``i - s/2 .. i + s/2 - 1`` (``"low"``:
        scipy's ``uniform_filter`` and OpenCV's ``blur``) or ``i - s/2 + 1 .. i + s/2``
        (``"high"``: PyTorch ``padding="same"``, MATLAB's ``imfilter``). No effect for odd
        ``s``, whose window ``i - (s-1)/2 .. i + (s-1)/2`` is centred.
    direction : {"both", "vertical", "horizontal"}
        ``"both"``: the ``s x s`` filter the paper's words describe; ``"vertical"``: a ``s x 1``
        window along the rows axis ``H`` only (what OpenCV's ``blur(img, (s, s))`` does to a
        channels-first ``(1, H, W)`` array, which it reads as one row of ``H`` pixels with ``W``
        channels); ``"horizontal"``: ``1 x s`` along ``W``.

    Returns
    -------
    Same type, shape and dtype as ``x``.

    Examples
    --------
    >>> x = np.zeros((3, 3)); x[1, 1] = 9.0
    >>> average_filter(x, 3)
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    >>> average_filter(np.array([[0.0, 4.0]]), 2, direction="horizontal")
    array([[0., 2.]])
    >>> average_filter(np.array([[0.0, 4.0]]), 2, direction="horizontal", origin="high")
    array([[2., 2.]])
    >>> average_filter(np.array([[0.0, 4.0]]), 2, direction="horizontal", padding="edge",
    ...                origin="high")
    array([[2., 4.]])
    """
    _check_filter(size, padding, origin, direction)
    x = _check(x, "average_filter")
    out = x
    if direction in ("both", "vertical") and size > 1:
        out = _box_along(out, -2, int(size), origin, padding)
    if direction in ("both", "horizontal") and size > 1:
        out = _box_along(out, -1, int(size), origin, padding)
    return out


def smooth(x, size: int, *, padding: str = "zero", origin: str = "low",
           direction: str = "both"):
    """The smoothed image of Section 3.1: ``max(x, average_filter(x, size))`` pixel-wise.

    Never decreases a pixel, keeps ``[0, 1]``, and ``size = 1`` is the identity. The keyword
    arguments choose the reading of the filter (:func:`average_filter`); with the defaults
    (the paper's words: an ``s x s`` average, zeros outside the image) the printed Table 6 and
    Table 1 numbers are *not* reproduced, with ``direction="vertical"`` they are (see
    :mod:`companion.distribution_measures`).

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.0, 0.0]])
    >>> smooth(x, 2)
    array([[1.  , 0.25],
           [0.25, 0.25]])
    >>> smooth(x, 2, origin="high")
    array([[1., 0.],
           [0., 0.]])
    """
    _check_filter(size, padding, origin, direction)
    x = _check(x, "smooth")
    avg = average_filter(x, size, padding=padding, origin=origin, direction=direction)
    if _is_torch(x):
        import torch
        return torch.maximum(x, avg)
    return np.maximum(x, avg)


def _check_level(p, what: str = "saturation level"):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or math.isnan(p) or p <= 0:
        raise ValueError(f"{what} must be a number > 0 (math.inf allowed), got {p!r}")


def saturate(x, p: float):
    """Saturation of level ``p``: ``sign(2x-1) |2x-1|^(2/p) / 2 + 1/2`` pixel-wise.

    ``p > 2`` pushes pixels towards 0 and 1, ``p < 2`` pulls them towards 0.5; ``p = 2`` is the
    identity and ``p = inf`` maps ``x < 0.5`` to 0, ``x > 0.5`` to 1 and keeps 0.5.
    ``|saturate(x, p) - 0.5|`` is non-decreasing in ``p`` and the output stays in ``[0, 1]``.

    Examples
    --------
    >>> x = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    >>> saturate(x, 2)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    >>> saturate(x, 4)              # |2x-1| = 1/2 -> sqrt(1/2) / 2
    array([0.        , 0.14644661, 0.5       , 0.85355339, 1.        ])
    >>> saturate(x, 1)              # |2x-1| = 1/2 -> 1/4 / 2
    array([0.   , 0.375, 0.5  , 0.625, 1.   ])
    >>> saturate(x, math.inf)
    array([0. , 0. , 0.5, 1. , 1. ])
    """
    _check_level(p)
    x = _check(x, "saturate", spatial=False)
    t = 2 * x - 1
    return _sign(t) * abs(t) ** (2.0 / p) / 2 + 0.5


def gamma(x, g: float):
    """Gamma mapping ``x -> x^g`` (Section 4.1); ``g = 1`` is the identity, ``g < 1``
    brightens, ``g > 1`` darkens (the output is non-increasing in ``g`` on ``[0, 1]``).

    Examples
    --------
    >>> gamma(np.array([0.0, 0.25, 1.0]), 0.5)
    array([0. , 0.5, 1. ])
    """
    if isinstance(g, bool) or not isinstance(g, (int, float, np.integer, np.floating)) \
            or not math.isfinite(g) or g <= 0:
        raise ValueError(f"gamma must be a finite number > 0, got {g!r}")
    x = _check(x, "gamma", spatial=False)
    return x ** g


def scale(x, a: float):
    """Scaling towards the centre, ``x -> a (x - 0.5) + 0.5`` (Section 5.2); ``a = 1`` is the
    identity and ``0 <= a <= 1`` keeps ``[0, 1]``. Every distance between two images is
    multiplied by ``|a|``.

    Examples
    --------
    >>> scale(np.array([0.0, 0.5, 1.0]), 0.8)
    array([0.1, 0.5, 0.9])
    """
    if isinstance(a, bool) or not isinstance(a, (int, float, np.integer, np.floating)) \
            or not math.isfinite(a):
        raise ValueError(f"scale factor must be a finite number, got {a!r}")
    x = _check(x, "scale", spatial=False)
    return a * (x - 0.5) + 0.5


def canny_edges(x, sigma: float = 1.0, low_threshold: float | None = None,
                high_threshold: float | None = None):
    """Edge images (Section 4.2): scikit-image's ``feature.canny(image, sigma)`` on every 2-D
    image of the batch; edge pixels 1, the rest 0. The hysteresis thresholds default to
    scikit-image's (10% and 20% of the maximum of the float dtype, i.e. 0.1 and 0.2 of the
    gradient magnitude of ``[0, 1]`` images). A Python loop over images (about 0.1 ms each).

    Examples
    --------
    >>> x = np.zeros((1, 12, 12)); x[0, 3:9, 3:9] = 1.0
    >>> e = canny_edges(x)
    >>> e.shape, e.dtype, sorted(set(e.ravel().tolist()))
    ((1, 12, 12), dtype('float64'), [0.0, 1.0])
    >>> bool(e[0, 6, 6]), bool(e[0, 0, 0]), int(e.sum()) > 0
    (False, False, True)
    """
    from skimage import feature

    if not (isinstance(sigma, (int, float)) and sigma >= 0):
        raise ValueError(f"canny_edges: sigma must be a number >= 0, got {sigma!r}")
    x = _check(x, "canny_edges")
    if _is_torch(x):
        import torch
        arr = x.detach().cpu().numpy()
        out = canny_edges(arr, sigma, low_threshold, high_threshold)
        return torch.as_tensor(out, dtype=x.dtype, device=x.device)
    flat = np.asarray(x, dtype=np.float64).reshape((-1,) + x.shape[-2:])
    out = np.empty(flat.shape, dtype=bool)
    for i, img in enumerate(flat):
        out[i] = feature.canny(img, sigma=sigma, low_threshold=low_threshold,
                               high_threshold=high_threshold)
    return out.reshape(x.shape).astype(x.dtype)


def _identity(x):
    return _check(x, "original", spatial=False)


@dataclass(frozen=True)
class Variant:
    """A named dataset variant: ``variant("smooth-3")(x)`` applies it.

    Attributes
    ----------
    name : str
        Canonical name (``"binarized"``, ``"smooth-3"``, ``"saturate-inf"``, ...).
    family : str
        ``"original"``, ``"binarized"``, ``"smooth"``, ``"saturate"``, ``"gamma"``, ``"scale"``
        or ``"edges"``.
    parameter : float or int or None
        The kernel size, level, gamma or scale factor.
    options : dict
        Keyword options passed on (the filter reading of ``smooth``, Canny's ``sigma``).
    """

    name: str
    family: str
    parameter: Any = None
    options: dict = field(default_factory=dict)

    def __call__(self, x):
        fn = _FAMILIES[self.family][0]
        if self.parameter is None:
            return fn(x, **self.options)
        return fn(x, self.parameter, **self.options)


# family -> (function, keyword options it accepts)
_FAMILIES: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "original": (_identity, ()),
    "binarized": (binarize, ("threshold",)),
    "smooth": (smooth, ("padding", "origin", "direction")),
    "saturate": (saturate, ()),
    "gamma": (gamma, ()),
    "scale": (scale, ()),
    "edges": (canny_edges, ("sigma", "low_threshold", "high_threshold")),
}
_ALIASES = {"original": "original", "identity": "original", "binarized": "binarized",
            "binarised": "binarized", "binary": "binarized", "edges": "edges",
            "edge": "edges", "canny": "edges"}
_PARAM = re.compile(r"^(smooth|saturate|gamma|scale)-(.+)$")


def _bad(name, why: str) -> ValueError:
    return ValueError(f"variant {name!r}: {why}. Valid variants: {VALID_VARIANTS}")


def _number(text: str):
    t = text.strip().lower()
    if t in ("inf", "infinity", "∞"):
        return math.inf
    return float(t)


def variant(name: str, **options) -> Variant:
    """Parse and check a variant name; nothing is computed.

    Parameters
    ----------
    name : str
        ``original``, ``binarized``, ``smooth-S``, ``saturate-P``, ``gamma-G``, ``scale-A`` or
        ``edges`` (case-insensitive; see :data:`VALID_VARIANTS`).
    **options
        ``smooth``: ``padding``, ``origin``, ``direction`` (:func:`average_filter`);
        ``binarized``: ``threshold``; ``edges``: ``sigma``, ``low_threshold``,
        ``high_threshold``. Options another family does not take are rejected.

    Raises
    ------
    ValueError
        Unknown name, a kernel size that is not an integer >= 1, a saturation level or gamma
        <= 0, a scale factor outside ``[0, 1]``, an unknown option: the message lists the
        valid variants.

    Examples
    --------
    >>> variant("smooth-3")
    Variant(name='smooth-3', family='smooth', parameter=3, options={})
    >>> variant("Saturate-INF").name
    'saturate-inf'
    >>> variant("gamma-0")
    Traceback (most recent call last):
    ...
    ValueError: variant 'gamma-0': gamma must be > 0, got 0. Valid variants: ...
    """
    if not isinstance(name, str):
        raise _bad(name, "a variant name is a string")
    key = name.strip().lower()
    if key in _ALIASES:
        family, param, canon = _ALIASES[key], None, _ALIASES[key]
    else:
        m = _PARAM.match(key)
        if not m:
            raise _bad(name, "unknown variant")
        family, text = m.groups()
        try:
            value = _number(text)
        except ValueError:
            raise _bad(name, f"{text!r} is not a number") from None
        if math.isnan(value):
            raise _bad(name, "the parameter is NaN")
        if family == "smooth":
            if not (math.isfinite(value) and value == int(value) and value >= 1):
                raise _bad(name, f"the kernel size must be an integer >= 1, got {text}")
            param = int(value)
        elif family == "saturate":
            if value <= 0:
                raise _bad(name, f"the saturation level must be > 0, got {text}")
            param = value if not float(value).is_integer() or math.isinf(value) else int(value)
        elif family == "gamma":
            if not (math.isfinite(value) and value > 0):
                raise _bad(name, f"gamma must be > 0, got {text}")
            param = value
        else:
            if not (0 <= value <= 1):
                raise _bad(name, f"the scale factor must be in [0, 1], got {text}")
            param = value
        canon = f"{family}-{_fmt(param)}"
    allowed = _FAMILIES[family][1]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise _bad(name, f"option(s) {', '.join(unknown)} not accepted by {family!r} "
                         f"(accepted: {', '.join(allowed) or 'none'})")
    if family == "smooth":
        try:
            _check_filter(param, options.get("padding", "zero"), options.get("origin", "low"),
                          options.get("direction", "both"))
        except ValueError as err:
            raise _bad(name, str(err)) from None
    return Variant(canon, family, param, dict(options))


def _fmt(p) -> str:
    if isinstance(p, float) and math.isinf(p):
        return "inf"
    if isinstance(p, float) and p.is_integer():
        return str(int(p))
    return str(p)


def apply_variant(x, name: str, **options):
    """``variant(name, **options)(x)``: the name is checked before any computation.

    Examples
    --------
    >>> apply_variant(np.array([[0.2, 0.9]]), "binarized")
    array([[0., 1.]])
    >>> apply_variant(np.array([[0.2, 0.9]]), "smooth-0")
    Traceback (most recent call last):
    ...
    ValueError: variant 'smooth-0': the kernel size must be an integer >= 1, got 0. ...
    """
    return variant(name, **options)(x)
