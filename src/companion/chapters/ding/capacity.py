r"""Page helpers of Section 5.3 of Ding et al.: model capacity and training-set size.

Tables 4 (LeNet5 of widen factors 0.125 to 4 on the MNIST variants) and 5 (WideResNet of widen
factors 0.25, 1, 4 on the saturated CIFAR-10 variants), exactly as printed, in per cent; the
evaluations of the chapter's capacity and size models (:func:`companion.chapters.ding.grid.group`
``"capacity"`` and ``"sizes"``, evaluated on the test images and on training images) as rows
and as the panels of Figure 4; and the quantities the page's records test: the robust
generalisation gap (training minus test robust accuracy) and differences of independent rates
with their standard errors.

The text of the paper was extracted from its PDF; two cells of Table 4 are empty there
(:data:`TABLE4_MISSING`) and several rows of Table 5 are merged or garbled; those were put
back together as :data:`TABLE5_RECONSTRUCTED` says, each checked against Table 3, which
repeats the widen-factor-4 test columns.

Rates are fractions in [0, 1]; the printed tables are in per cent, as printed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ... import plotting
from . import experiment as ex
from . import grid
from .results import Trend, standard_error, trend

__all__ = ["BLOCKS", "BLOCK_TITLES", "TABLE4_WIDTHS", "TABLE4_PRINTED", "TABLE4_MISSING",
           "TABLE5_WIDTHS", "TABLE5_PRINTED", "TABLE5_RECONSTRUCTED", "TABLE5_LABELS", "printed",
           "printed_rows", "declare_data", "Pair", "capacity_pairs", "size_pairs", "rates_of",
           "robust_gap", "counts", "Difference", "difference", "width_trend", "size_trend",
           "flat_check", "rise_threshold", "printed_rise", "comparison_rows", "table4_rows",
           "tolerance", "plot_figure4"]

#: the three blocks of Tables 4 and 5
BLOCKS = ("standard_accuracy", "pgd_accuracy", "pgd_robust_accuracy")
#: the blocks' headings as printed
BLOCK_TITLES = {"standard_accuracy": "standard training, accuracy",
                "pgd_accuracy": "PGD training, accuracy",
                "pgd_robust_accuracy": "PGD training, robust accuracy"}
#: Table 4's widen factors
TABLE4_WIDTHS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
#: Table 5's widen factors (WideResNet on CIFAR-10)
TABLE5_WIDTHS = (0.25, 1.0, 4.0)

_ = None  # an empty cell
#: Table 4 (Appendix C), in per cent as printed: per block and MNIST variant, the training-set
#: values at the six widen factors, then the test-set values (eps = 0.3)
TABLE4_PRINTED = {
    "standard_accuracy": {
        "binarized": (99.9, 100.0, 100.0, 99.6, 100.0, 100.0, _, 99.0, 99.2, 98.5, 99.4, 99.2),
        "original": (100.0, 100.0, 100.0, 100.0, 100.0, 100.0,
                     98.8, 99.2, 99.2, 99.3, 99.4, 99.3),
        "smooth-2": (99.9, 100.0, 100.0, 100.0, 100.0, 100.0, 98.8, 99.0, 99.1, 99.3, 99.3, 99.4),
        "smooth-3": (99.9, 99.9, 100.0, 100.0, 100.0, 100.0, 98.8, 98.8, 99.2, 99.2, 99.1, 99.3),
        "smooth-4": (99.9, 100.0, 100.0, 100.0, 100.0, 100.0, 98.7, 99.0, 99.0, 99.1, 99.4, 99.4),
        "smooth-5": (99.8, 100.0, 100.0, 100.0, 100.0, 100.0, 98.5, 99.0, 99.2, 99.0, 99.3, 99.3),
        "smooth-6": (99.8, 100.0, 100.0, 100.0, 100.0, 100.0, _, 98.9, 99.0, 99.1, 99.2, 99.3),
        "smooth-7": (99.8, 99.9, 100.0, 100.0, 100.0, 100.0, 98.5, 98.8, 99.0, 99.0, 99.3, 99.3),
        "smooth-8": (99.7, 100.0, 100.0, 100.0, 100.0, 100.0, 98.4, 98.9, 98.9, 99.0, 99.2, 99.0),
    },
    "pgd_accuracy": {
        "binarized": (97.8, 99.6, 100.0, 100.0, 100.0, 100.0, 97.4, 98.3, 98.8, 98.9, 99.0, 99.2),
        "original": (97.0, 98.4, 99.8, 100.0, 100.0, 100.0, 97.0, 98.2, 98.9, 99.2, 99.1, 99.2),
        "smooth-2": (96.1, 98.1, 99.0, 99.9, 100.0, 100.0, 96.1, 97.8, 98.5, 98.9, 99.0, 99.0),
        "smooth-3": (96.3, 97.8, 98.9, 99.7, 99.9, 100.0, 96.5, 97.6, 98.6, 99.0, 99.1, 99.1),
        "smooth-4": (95.3, 97.3, 98.5, 99.5, 99.8, 99.9, 95.4, 97.2, 98.1, 98.8, 99.0, 99.0),
        "smooth-5": (94.9, 96.5, 98.0, 99.3, 99.6, 99.8, 95.0, 96.5, 97.9, 98.7, 98.9, 98.9),
        "smooth-6": (93.2, 95.6, 97.4, 99.0, 99.5, 99.7, 93.5, 95.7, 97.1, 98.5, 98.7, 98.7),
        "smooth-7": (91.9, 95.0, 97.5, 98.7, 99.2, 99.4, 92.4, 95.2, 97.2, 98.3, 98.5, 98.7),
        "smooth-8": (89.4, 94.2, 96.5, 98.4, 99.0, 99.3, 89.7, 94.4, 96.4, 97.9, 98.2, 98.4),
    },
    "pgd_robust_accuracy": {
        "binarized": (95.2, 98.5, 100.0, 100.0, 100.0, 100.0, 94.5, 96.5, 98.0, 98.1, 98.0, 98.0),
        "original": (86.9, 90.8, 97.9, 99.3, 99.6, 99.8, 87.1, 89.9, 95.2, 95.1, 94.8, 94.9),
        "smooth-2": (80.5, 87.6, 90.9, 98.0, 99.1, 99.5, 81.2, 87.0, 88.7, 93.0, 92.3, 92.1),
        "smooth-3": (75.2, 82.0, 90.3, 95.5, 97.8, 98.7, 75.7, 81.5, 88.5, 91.3, 91.6, 90.8),
        "smooth-4": (71.9, 77.6, 87.5, 93.9, 96.8, 97.9, 72.7, 77.7, 86.3, 90.3, 90.6, 90.0),
        "smooth-5": (65.7, 77.1, 85.7, 92.5, 94.6, 95.0, 66.2, 77.1, 85.1, 89.6, 89.8, 88.4),
        "smooth-6": (58.0, 71.5, 80.5, 90.6, 93.1, 93.8, 59.3, 72.0, 80.2, 87.6, 88.0, 87.2),
        "smooth-7": (61.7, 74.2, 83.3, 87.6, 90.5, 92.6, 62.8, 75.3, 83.0, 85.4, 86.7, 87.8),
        "smooth-8": (70.3, 72.4, 80.3, 85.3, 90.5, 88.7, 71.7, 73.2, 80.3, 83.1, 86.9, 83.8),
    },
}
#: the cells of Table 4 that are empty in the extracted text: (block, variant, split, width)
TABLE4_MISSING = (("standard_accuracy", "binarized", "test", 0.125),
                  ("standard_accuracy", "smooth-6", "test", 0.125))

#: Table 5 (Appendix C), in per cent: per block and saturation level (``original`` is level 2),
#: the training-set values at widen factors 0.25, 1, 4, then the test-set values (eps = 8/255)
TABLE5_PRINTED = {
    "standard_accuracy": {
        "saturate-1": (85.5, 99.9, 100.0, 82.4, 91.1, 93.8),
        "saturate-1.5": (87.0, 99.9, 100.0, 84.2, 92.1, 94.7),
        "saturate-1.75": (87.4, 99.9, 100.0, 84.5, 93.0, 95.2),
        "original": (87.2, 99.9, 100.0, 84.4, 92.5, 95.0),
        "saturate-2.25": (87.3, 99.9, 100.0, 84.5, 92.5, 94.8),
        "saturate-2.5": (86.4, 99.9, 100.0, 83.7, 92.3, 94.8),
        "saturate-3": (86.2, 99.9, 100.0, 84.0, 92.2, 94.5),
        "saturate-4": (85.8, 99.9, 100.0, 83.1, 91.1, 93.8),
        "saturate-8": (84.6, 99.8, 100.0, 81.2, 90.1, 93.3),
        "saturate-16": (83.5, 99.7, 100.0, 81.0, 89.4, 92.9),
        "saturate-64": (80.5, 99.4, 100.0, 79.2, 86.9, 89.6),
        "saturate-128": (77.1, 98.7, 100.0, 74.6, 83.0, 85.3),
        "saturate-256": (73.7, 97.6, 100.0, 70.7, 76.5, 83.0),
        "saturate-inf": (73.2, 97.3, 99.9, 70.6, 76.3, 80.3),
    },
    "pgd_accuracy": {
        "saturate-1": (45.4, 68.3, 93.1, 46.8, 66.9, 77.5),
        "saturate-1.5": (52.1, 76.5, 98.0, 53.3, 74.1, 83.7),
        "saturate-1.75": (53.8, 79.5, 99.2, 55.3, 77.0, 84.9),
        "original": (56.1, 81.4, 99.7, 57.1, 78.4, 85.4),
        "saturate-2.25": (56.8, 82.7, 99.9, 58.1, 78.8, 85.4),
        "saturate-2.5": (57.6, 83.9, 100.0, 58.3, 79.1, 84.8),
        "saturate-3": (60.0, 86.3, 100.0, 60.8, 79.1, 82.9),
        "saturate-4": (62.8, 91.3, 100.0, 63.7, 77.9, 80.4),
        "saturate-8": (67.7, 96.1, 100.0, 67.0, 76.6, 80.4),
        "saturate-16": (67.2, 96.1, 99.9, 66.0, 76.4, 79.9),
        "saturate-64": (70.0, 96.5, 99.9, 68.6, 75.8, 79.5),
        "saturate-128": (71.4, 96.4, 99.9, 68.9, 76.6, 80.2),
        "saturate-256": (68.6, 96.9, 99.9, 65.7, 76.6, 80.0),
        "saturate-inf": (71.5, 96.9, 99.9, 69.7, 76.1, 80.0),
    },
    "pgd_robust_accuracy": {
        "saturate-1": (24.0, 36.9, 71.1, 25.6, 34.4, 33.0),
        "saturate-1.5": (29.0, 44.4, 81.3, 31.6, 40.7, 38.7),
        "saturate-1.75": (30.9, 47.8, 86.0, 32.7, 44.0, 41.1),
        "original": (32.4, 50.4, 90.3, 35.0, 45.5, 43.2),
        "saturate-2.25": (33.9, 52.9, 93.4, 36.1, 47.3, 44.4),
        "saturate-2.5": (35.5, 55.4, 96.0, 37.5, 49.1, 46.4),
        "saturate-3": (38.4, 61.5, 98.9, 40.6, 52.5, 51.7),
        "saturate-4": (44.9, 77.4, 99.7, 46.1, 60.4, 64.0),
        "saturate-8": (62.3, 95.0, 99.8, 61.9, 74.9, 78.1),
        "saturate-16": (66.0, 95.5, 99.9, 65.0, 75.5, 79.4),
        "saturate-64": (69.1, 95.3, 99.9, 67.6, 75.5, 79.3),
        "saturate-128": (70.7, 96.2, 99.9, 68.2, 76.2, 79.9),
        "saturate-256": (68.0, 96.7, 99.9, 65.2, 76.3, 79.7),
        "saturate-inf": (70.9, 96.7, 99.9, 69.2, 75.8, 79.7),
    },
}
#: how the rows of Table 5 that the extracted text merges or garbles were put back
TABLE5_RECONSTRUCTED = {
    ("standard_accuracy", "saturate-64"): "its line carries one extra 100.0%, which belongs to "
    "the merged line of levels 128 and 256 (one 100.0% short)",
    ("standard_accuracy", "saturate-128"): "merged with level 256; values interleaved",
    ("standard_accuracy", "saturate-256"): "merged with level 128; values interleaved",
    ("standard_accuracy", "saturate-inf"): "printed twice, the second time garbled "
    "('13.270 91.370 99.970'); the first reading kept",
    ("pgd_accuracy", "original"): "merged with level 2.25; values interleaved",
    ("pgd_accuracy", "saturate-2.25"): "merged with the original; values interleaved",
    ("pgd_accuracy", "saturate-2.5"): "labelled 'SATURATE 2.23' (the row between 2.25 and 3)",
    ("pgd_robust_accuracy", "saturate-8"): "merged with level 16; values interleaved",
    ("pgd_robust_accuracy", "saturate-16"): "merged with level 8; values interleaved",
    ("pgd_robust_accuracy", "saturate-64"): "seven values ('... 67.6% 75.5% 75.5% 79.4%'); "
    "the widen-factor-4 test value is Table 3's 79.3% (the extra 75.5% and 79.4% repeat "
    "level 16's)",
}
#: Table 5's row labels as printed
TABLE5_LABELS = {"original": "original", "saturate-inf": "saturate inf"}


def _table(table: int) -> tuple[dict, tuple]:
    if table == 4:
        return TABLE4_PRINTED, TABLE4_WIDTHS
    if table == 5:
        return TABLE5_PRINTED, TABLE5_WIDTHS
    raise ValueError(f"unknown table {table!r}; valid: 4 (LeNet5, MNIST), 5 (WideResNet, "
                     "CIFAR-10)")


def printed(table: int, block: str, variant: str, split: str, width: float
            ) -> Optional[float]:
    """One printed cell of Table 4 or 5, as a fraction (``None`` for an empty cell).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    table : int
        4 or 5.
    block : str
        One of :data:`BLOCKS`.
    variant : str
        A row (``"original"``, ``"smooth-3"``, ``"saturate-64"``, ...).
    split : str
        ``"train"`` or ``"test"``.
    width : float
        A widen factor of the table.

    Returns
    -------
    float or None

    Examples
    --------
    >>> printed(4, "pgd_robust_accuracy", "original", "test", 1)
    0.951
    """
    values, widths = _table(table)
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; valid: {BLOCKS}")
    if variant not in values[block]:
        raise ValueError(f"Table {table} has no row {variant!r}; rows: {list(values[block])}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if float(width) not in widths:
        raise ValueError(f"Table {table} has no widen factor {width!r}; valid: {widths}")
    i = widths.index(float(width)) + (len(widths) if split == "test" else 0)
    v = values[block][variant][i]
    return None if v is None else round(v / 100.0, 6)


def printed_rows(table: int, block: str) -> list[dict]:
    """The rows of one block of Table 4 or 5 as printed, for ``display.table``: the row
    label, then ``train w`` and ``test w`` per widen factor (per cent strings, ``-`` for an
    empty cell).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    table : int
        4 or 5.
    block : str
        One of :data:`BLOCKS`.

    Returns
    -------
    list of dict
    """
    values, widths = _table(table)
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; valid: {BLOCKS}")
    rows = []
    for variant, cells in values[block].items():
        row = {"variant": TABLE5_LABELS.get(variant, variant.replace("-", " "))}
        for split, part in (("train", cells[:len(widths)]), ("test", cells[len(widths):])):
            for w, v in zip(widths, part):
                row[f"{split} {w:g}"] = "-" if v is None else f"{v:.1f}%"
        rows.append(row)
    return rows


def declare_data(rec, dataset: str = grid.MNIST) -> None:
    """Declare the MNIST digits of the chapter (both splits) in the records session.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    rec : companion.records.Session
        The page's session.
    dataset : str
        The dataset name (the chapter's offline MNIST by default).

    Returns
    -------
    None
    """
    ex.declare_splits(rec, dataset)


# ------------------------------------------------------------------------------ our models
@dataclass(frozen=True)
class Pair:
    """The standard and the PGD model of one point of Figure 4 and their evaluations.

    ``variant`` is the MNIST variant, ``width`` the widen factor and ``n`` the number of
    training images; ``std`` and ``pgd`` are :class:`~companion.chapters.ding.experiment.
    Evaluation` objects with the ``"train"`` part.
    """

    variant: str
    width: float
    n: int
    std: ex.Evaluation
    pgd: ex.Evaluation


def _pairs(profile: str, group: str) -> list[Pair]:
    found: dict = {}
    for e in grid.group(profile, group):
        key = e.key(profile)
        label = ex.variant_label(e.variant)
        slot = found.setdefault((label, key["width"], key["n"]), [None, None])
        slot[0 if e.objective == "standard" else 1] = grid.evaluation(profile, e)
    return [Pair(v, w, n, s, p) for (v, w, n), (s, p) in found.items()]


def capacity_pairs(profile: str) -> list[Pair]:
    """The capacity models of ``profile`` (``grid.group(profile, "capacity")``), by variant,
    then width; trained and evaluated on first use (the declared tasks fill the same files).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    list of Pair
    """
    return sorted(_pairs(profile, "capacity"), key=lambda p: (p.variant, p.width))


def size_pairs(profile: str) -> list[Pair]:
    """The training-set-size models of ``profile`` (``grid.group(profile, "sizes")``), by
    variant, then size.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    list of Pair
    """
    return sorted(_pairs(profile, "sizes"), key=lambda p: (p.variant, p.n))


#: the six rates of a pair, in Table 4's order (block, split)
_RATES = (("standard_accuracy", "train", lambda p: p.std.train_accuracy),
          ("standard_accuracy", "test", lambda p: p.std.accuracy),
          ("pgd_accuracy", "train", lambda p: p.pgd.train_accuracy),
          ("pgd_accuracy", "test", lambda p: p.pgd.accuracy),
          ("pgd_robust_accuracy", "train", lambda p: p.pgd.train_robust_accuracy),
          ("pgd_robust_accuracy", "test", lambda p: p.pgd.robust_accuracy))


def rates_of(pair: Pair) -> dict:
    """``{(block, split): rate}`` for the six rates of Table 4 (fractions).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pair : Pair
        A standard and a PGD model.

    Returns
    -------
    dict
    """
    return {(b, s): float(f(pair)) for b, s, f in _RATES}


def counts(pair: Pair) -> tuple[int, int]:
    """The numbers of evaluated training and test images of the PGD model.

    Parameters
    ----------
    pair : Pair
        A standard and a PGD model.

    Returns
    -------
    tuple of int
        ``(n_train, n_test)``.
    """
    return len(pair.pgd.arrays["train_labels"]), pair.pgd.n


def _n_of(pair: Pair, block: str, split: str) -> int:
    ev = pair.std if block == "standard_accuracy" else pair.pgd
    return len(ev.arrays["train_labels"]) if split == "train" else ev.n


def _check_rate(block: str, split: str) -> None:
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; valid: {BLOCKS}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def width_trend(pairs: Sequence[Pair], block: str, split: str) -> Trend:
    """The weighted slope of one rate against the log2 widen factor (per doubling), with its
    standard error (:func:`companion.chapters.ding.results.trend`).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pairs : sequence of Pair
        The capacity models of one variant.
    block : str
        One of :data:`BLOCKS`.
    split : str
        ``"train"`` or ``"test"``.

    Returns
    -------
    Trend
    """
    _check_rate(block, split)
    return trend(np.log2([p.width for p in pairs]),
                 [rates_of(p)[(block, split)] for p in pairs],
                 [_n_of(p, block, split) for p in pairs])


def size_trend(pairs: Sequence[Pair], block: str, split: str) -> Trend:
    """The weighted slope of one rate against the log2 training-set size (per doubling).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pairs : sequence of Pair
        The size models of one variant.
    block : str
        One of :data:`BLOCKS`.
    split : str
        ``"train"`` or ``"test"``.

    Returns
    -------
    Trend
    """
    _check_rate(block, split)
    return trend(np.log2([p.n for p in pairs]), [rates_of(p)[(block, split)] for p in pairs],
                 [_n_of(p, block, split) for p in pairs])


def flat_check(pairs: Sequence[Pair], paper_variant: str = "original", z: float = 3.0) -> dict:
    """Whether the clean accuracy of standard training is "invariant to model sizes": per
    split, the spread (max - min) over the widths against a band of Table 4's own spread over
    the same widths plus ``z`` standard errors of a difference at the mean rate.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pairs : sequence of Pair
        The capacity models of one variant.
    paper_variant : str
        The row of Table 4 whose spread is allowed.
    z : float
        Standard errors of a difference added to the band.

    Returns
    -------
    dict
        ``{"train": (lo, hi, band), "test": (lo, hi, band), "ok": bool}``.
    """
    out: dict = {}
    ok = True
    for split in ("train", "test"):
        v = np.array([rates_of(p)[("standard_accuracy", split)] for p in pairs])
        n = min(_n_of(p, "standard_accuracy", split) for p in pairs)
        pv = [printed(4, "standard_accuracy", paper_variant, split, p.width) for p in pairs
              if p.width in TABLE4_WIDTHS]
        pv = [x for x in pv if x is not None]
        spread = float(np.ptp(pv)) if pv else 0.0
        band = spread + z * math.sqrt(2) * standard_error(float(v.mean()), n)
        out[split] = (float(v.min()), float(v.max()), band)
        ok &= bool(np.ptp(v) <= band)
    out["ok"] = ok
    return out


def rise_threshold(n: int = 10_000, ref: float = 0.9, z: float = 2.0) -> float:
    """A change of a printed rate that sampling alone would rarely make: ``z`` standard errors
    of a difference of two rates ``ref`` on ``n`` images each, rounded to a printed point.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    n : int
        Images per rate (the paper's test sets have 10,000).
    ref : float
        The rate the error is taken at.
    z : float
        Standard errors.

    Returns
    -------
    float
        A fraction, a multiple of 0.01 (at least 0.01).

    Examples
    --------
    >>> rise_threshold()
    0.01
    """
    return max(0.01, round(z * math.sqrt(2) * standard_error(ref, n), 2))


def printed_rise(table: int, block: str, variant: str, split: str, a: float, b: float
                 ) -> float:
    """The printed rate at widen factor ``b`` minus that at ``a`` (fractions).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    table : int
        4 or 5.
    block : str
        One of :data:`BLOCKS`.
    variant : str
        The row.
    split : str
        ``"train"`` or ``"test"``.
    a, b : float
        Two widen factors of the table.

    Returns
    -------
    float

    Examples
    --------
    >>> round(printed_rise(4, "pgd_robust_accuracy", "smooth-8", "test", 1, 2), 3)
    0.038
    """
    return printed(table, block, variant, split, b) - printed(table, block, variant, split, a)


def robust_gap(pair: Pair) -> tuple[float, float]:
    """The robust generalisation gap of the PGD model: training minus test robust accuracy,
    and its standard error (the two rates are measured on independent images).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pair : Pair
        A standard and a PGD model.

    Returns
    -------
    tuple of float
        ``(gap, se)``.
    """
    n_train, n_test = counts(pair)
    a, b = pair.pgd.train_robust_accuracy, pair.pgd.robust_accuracy
    return a - b, math.hypot(standard_error(a, n_train), standard_error(b, n_test))


@dataclass(frozen=True)
class Difference:
    """``a - b`` of two independent rates and its standard error; ``z`` is their ratio.

    Used on :doc:`/notebooks/ding-capacity`.
    """

    value: float
    se: float

    @property
    def z(self) -> float:
        """The difference in standard errors (``inf`` when both rates are exact)."""
        if self.se == 0:
            return math.copysign(math.inf, self.value) if self.value else 0.0
        return self.value / self.se


def difference(a: float, n_a: int, b: float, n_b: int) -> Difference:
    """The difference of two rates measured on ``n_a`` and ``n_b`` independent images.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    a, b : float
        The rates, in [0, 1].
    n_a, n_b : int
        Their sample sizes.

    Returns
    -------
    Difference

    Examples
    --------
    >>> d = difference(0.9, 100, 0.8, 100)
    >>> round(d.value, 3), round(d.se, 4)
    (0.1, 0.05)
    """
    return Difference(float(a) - float(b),
                      math.hypot(standard_error(a, n_a), standard_error(b, n_b)))


def tolerance(p: float, n: int, floor: float = 0.005) -> float:
    """A two-sided tolerance for comparing a rate ``p`` measured on ``n`` images with a printed
    one: two binomial standard errors plus ``floor`` (the printed rounding and the spread of a
    retrained model).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    p : float
        The measured rate, in [0, 1].
    n : int
        Its sample size.
    floor : float
        Added to the two standard errors (>= 0).

    Returns
    -------
    float

    Examples
    --------
    >>> round(tolerance(0.9, 100), 3)
    0.065
    """
    if not floor >= 0:
        raise ValueError(f"floor must be >= 0, got {floor!r}")
    return 2.0 * standard_error(p, n) + floor


def comparison_rows(pairs: Sequence[Pair], by: str, paper_variant: Optional[str] = None
                    ) -> list[dict]:
    """One row per pair: ``by`` (``"width"`` or ``"n"``), the variant, and per rate of Table 4
    ours (and, with ``paper_variant``, Table 4's printed value at that width, ``None`` where the
    table has none).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pairs : sequence of Pair
        The models.
    by : str
        ``"width"`` or ``"n"``: the first column.
    paper_variant : str, optional
        The row of Table 4 to put beside ours (widths only).

    Returns
    -------
    list of dict
    """
    if by not in ("width", "n"):
        raise ValueError(f"by must be 'width' or 'n', got {by!r}")
    short = {"standard_accuracy": "std acc.", "pgd_accuracy": "PGD acc.",
             "pgd_robust_accuracy": "PGD rob."}
    rows = []
    for p in pairs:
        row = {by: p.width if by == "width" else p.n, "variant": p.variant}
        for (block, split), v in rates_of(p).items():
            row[f"{short[block]} {split}"] = v
            if paper_variant is not None:
                pv = None
                if p.width in TABLE4_WIDTHS:
                    pv = printed(4, block, paper_variant, split, p.width)
                row[f"{short[block]} {split} (paper)"] = pv
        rows.append(row)
    return rows


def table4_rows(pairs: Sequence[Pair], paper_variant: str = "original") -> list[dict]:
    """Ours beside Table 4, one row per block and width: ``block``, ``width``, ``train``,
    ``train, paper``, ``test``, ``test, paper`` (fractions; ``None`` where the table has no
    value).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pairs : sequence of Pair
        The capacity models (one variant).
    paper_variant : str
        The row of Table 4 to put beside ours.

    Returns
    -------
    list of dict
    """
    rows = []
    for block in BLOCKS:
        for p in pairs:
            r = rates_of(p)
            row = {"block": BLOCK_TITLES[block], "width": p.width}
            for split in ("train", "test"):
                row[split] = r[(block, split)]
                row[f"{split}, paper"] = (printed(4, block, paper_variant, split, p.width)
                                          if p.width in TABLE4_WIDTHS else None)
            rows.append(row)
    return rows


# ------------------------------------------------------------------------------ figure
def plot_figure4(pairs: Sequence[Pair], by: str, paper_variant: Optional[str] = None):
    """Figure 4 of the paper, redone: two rows (training set, test set), three panels each
    (standard training accuracy, PGD training accuracy, PGD robust accuracy) against the
    widen factor or the training-set size, one curve per variant; with ``paper_variant``
    Table 4's row at every printed widen factor as stars.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    pairs : sequence of Pair
        The models.
    by : str
        ``"width"`` or ``"n"``.
    paper_variant : str, optional
        The row of Table 4 to mark (widths only).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if by not in ("width", "n"):
        raise ValueError(f"by must be 'width' or 'n', got {by!r}")
    fig, axes = plotting.figure(ncols=3, nrows=2, height=5.2)
    variants = list(dict.fromkeys(p.variant for p in pairs))
    markers = ("o", "s", "^", "D")
    styles = ("-", "--", "-.", ":")
    for (block, split, get), ax in zip(_RATES_BY_PANEL, axes.ravel()):
        for i, v in enumerate(variants):
            sel = [p for p in pairs if p.variant == v]
            x = [p.width if by == "width" else p.n for p in sel]
            y = [get(p) for p in sel]
            n = [_n_of(p, block, split) for p in sel]
            se = [2 * standard_error(a, k) for a, k in zip(y, n)]
            ax.errorbar(x, y, yerr=se, color=plotting.series(i), marker=markers[i % 4],
                        linestyle=styles[i % 4], label=f"ours, {v}")
        if paper_variant is not None and by == "width":
            xs = [w for w in TABLE4_WIDTHS
                  if printed(4, block, paper_variant, split, w) is not None]
            ys = [printed(4, block, paper_variant, split, w) for w in xs]
            ax.plot(xs, ys, color=plotting.ROLES["paper"]["color"], marker="*", markersize=9,
                    linestyle=":", label=f"Table 4, {paper_variant}")
        ax.set_xscale("log", base=2)
        if by == "width":
            ax.set_xticks(sorted({w for w in TABLE4_WIDTHS}) if paper_variant else
                          sorted({p.width for p in pairs}))
            ax.set_xticklabels([_width_label(t) for t in ax.get_xticks()])
        else:
            ticks = sorted({p.n for p in pairs})
            ax.set_xticks(ticks)
            ax.set_xticklabels([f"{t:,}" for t in ticks])
        ax.minorticks_off()
        plotting.label(ax, "widen factor" if by == "width" else "training images",
                       f"{split} {_PANEL_YLABEL[block]}", legend=False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
    return fig


def _width_label(w: float) -> str:
    """A widen factor as a short tick label: 1/8, 1/4, 1/2, 1, 2, 4."""
    inv = 1.0 / w
    return f"1/{round(inv)}" if w < 1 and abs(inv - round(inv)) < 1e-9 else f"{w:g}"


_RATES_BY_PANEL = [r for r in _RATES if r[1] == "train"] + [r for r in _RATES if r[1] == "test"]
_PANEL_YLABEL = {"standard_accuracy": "acc., standard", "pgd_accuracy": "acc., PGD",
                 "pgd_robust_accuracy": "robust acc., PGD"}
