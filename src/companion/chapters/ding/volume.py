r"""Section 5.1 and Appendix D.1 of Ding et al.: the perturbable volume (Tables 6 and 7).

The volume itself is computed by :mod:`companion.distribution_measures`
(``Vol(x, eps) = prod_i (min(x_i + eps, 1) - max(x_i - eps, 0))``, in bits). This module adds
what the page checks beyond it:

* how Table 6 prints its averages (:func:`printing_rules`: cut towards zero, decided on the
  entries that do not depend on data);
* Table 6's MNIST part for every reading of the smoothing filter with the sampling error of
  our 1,996 test digits (:func:`table6_mnist`, :func:`matching_readings`): the offline digits
  are a 10,000-digit subset of MNIST, so the *shift* of each variant from the original, which
  is free of the subset's offset, is compared as well as the level;
* the saturation part on the data at hand (:func:`table6_saturation`: CIFAR-10 when it has
  been downloaded, else the Fashion-MNIST substitute, whose numbers are not the paper's);
* the arithmetic of Section 5.1 and Appendix D.1 (:func:`factor_check`: "a factor of
  ``2^2990 = 2^(-12352 - (-15342))``" against Table 6's -12354, and "84 bits");
* Table 7 (:func:`table7`): robust accuracy of the chapter's PGD-trained LeNet5 under PGD
  with and without the ``[0, 1]`` box, the paired standard error of the difference, and the
  bits the box removes from the ``eps``-ball (:func:`bits_removed`).
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from ... import data as _data
from ... import distribution_measures as _dm
from ... import transforms
from . import experiment as ex
from . import grid

__all__ = ["TABLE7_MNIST_PRINTED", "TABLE7_CIFAR10_PRINTED", "PAPER_TEST_N",
           "FACTOR_PRINTED", "BITS_PRINTED", "TABLE6_CIFAR10_VARIANTS", "RULES",
           "settings", "declare_data", "images_of", "printed_as", "printing_rules",
           "table6_mnist", "matching_readings",
           "table6_saturation", "factor_check", "bits_removed", "paired_difference",
           "table7", "table7_display", "pooled", "corner_gain"]

#: Table 7, MNIST: robust accuracy with / without the box (the Table 2 models, eps = 0.3)
TABLE7_MNIST_PRINTED = {"binarized": (0.981, 0.961), "original": (0.951, 0.951),
                        "smooth-2": (0.930, 0.929), "smooth-3": (0.913, 0.915),
                        "smooth-4": (0.903, 0.906), "smooth-5": (0.896, 0.899)}
#: Table 7, CIFAR-10 (eps = 8/255)
TABLE7_CIFAR10_PRINTED = {"saturate-1": (0.330, 0.327), "original": (0.432, 0.430),
                          "saturate-4": (0.640, 0.640), "saturate-8": (0.781, 0.781),
                          "saturate-16": (0.794, 0.794), "saturate-inf": (0.797, 0.794)}
#: the size of the paper's test sets (MNIST and CIFAR-10)
PAPER_TEST_N = 10_000
#: Section 5.1: "a factor of 2^2990 = 2^(-12352-(-15342))", with Table 6's original -12354
FACTOR_PRINTED = {"exponent": 2990, "original_in_formula": -12352, "original_in_table": -12354,
                  "inf": -15342}
#: Appendix D.1: "The different of 84 bits" between the original CIFAR-10 and -12270
BITS_PRINTED = 84
#: Table 6's CIFAR-10 columns (the original is saturation level 2)
TABLE6_CIFAR10_VARIANTS = ("original", "saturate-4", "saturate-8", "saturate-16",
                           "saturate-64", "saturate-256", "saturate-512", "saturate-inf")
#: ways of printing a real number as an integer
RULES = ("truncate", "floor", "round")


def settings(profile: str) -> dict:
    """The attack and training settings of ``profile`` that the page quotes, read from
    :data:`companion.chapters.ding.experiment.PROFILES`, with the paper profile's radii.

    Used on :doc:`/notebooks/ding-volume`.

    Parameters
    ----------
    profile : str

    Returns
    -------
    dict
        ``eps_mnist``, ``eps_fashion`` (this profile), ``eps_mnist_paper``,
        ``eps_fashion_paper``, ``eval_n``, ``eval_steps``, ``eval_step_size``,
        ``train_steps``, ``pgd_epochs``, ``n_train``.
    """
    cfg = ex.check_profile(profile)
    mnist, fashion = ex.DATASETS["mnist"], ex.DATASETS["fashion"]
    return {"eps_mnist": ex.eps_for(profile, mnist), "eps_fashion": ex.eps_for(profile, fashion),
            "eps_mnist_paper": ex.eps_for("paper", mnist),
            "eps_fashion_paper": ex.eps_for("paper", fashion), "eval_n": cfg["eval_n"],
            "eval_steps": cfg["eval_steps"], "eval_step_size": cfg["eval_step_size"],
            "train_steps": cfg["train_steps"], "pgd_epochs": cfg["pgd_epochs"],
            "n_train": cfg["n_train"]}


def declare_data(rec, cifar: bool = False) -> list[str]:
    """Declare the page's data in the records session ``rec``: the offline MNIST digits' test
    split, Fashion-MNIST's test split (the substitute for CIFAR-10) and, with ``cifar``,
    CIFAR-10's test split.

    Used on :doc:`/notebooks/ding-volume`.

    Parameters
    ----------
    rec : companion.records.Session
    cifar : bool
        CIFAR-10 is in the cache and used.

    Returns
    -------
    list of str
        One sentence per dataset, saying where it comes from.
    """
    out = []
    names = [ex.DATASETS["mnist"], ex.DATASETS["fashion"]] + (["cifar-10"] if cifar else [])
    for name in names:
        ds = _data.load(name, "test")
        p = ds.provenance
        if name == ex.DATASETS["fashion"] and not cifar:
            rec.use_data(f"{p['name']} ({p['split']}, {p['n']:,} images)", p["source"],
                         "stands in for CIFAR-10 (which needs a download) in Tables 6 and 7")
        else:
            ds.declare(rec)
        out.append(ds.sentence)
    return out


def images_of(dataset: str, variant, n: int | None = None) -> np.ndarray:
    """The first ``n`` test images of ``dataset`` under ``variant``, as the chapter's models
    see them (:func:`companion.chapters.ding.experiment.load_split`), float64 numpy.

    Used on :doc:`/notebooks/ding-volume`.

    Parameters
    ----------
    dataset : str
    variant : str or sequence of str
    n : int, optional
        All of the test split by default.

    Returns
    -------
    numpy.ndarray ``(n, C, H, W)``
    """
    X, _ = ex.load_split(dataset, "test", variant, n)
    return X.numpy().astype(np.float64)


def printed_as(value: float, rule: str) -> int:
    """``value`` as an integer under ``rule``: ``"truncate"`` (towards zero), ``"floor"``
    (towards minus infinity) or ``"round"`` (to the nearest, halves away from zero).

    Parameters
    ----------
    value : float
    rule : {"truncate", "floor", "round"}

    Returns
    -------
    int

    Examples
    --------
    >>> [printed_as(-1361.78, r) for r in RULES]
    [-1361, -1362, -1362]
    >>> printed_as(2.5, "round"), printed_as(-2.5, "round")
    (3, -3)
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; valid: {RULES}")
    if rule == "truncate":
        return int(math.trunc(value))
    if rule == "floor":
        return int(math.floor(value))
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def printing_rules() -> tuple[list[dict], dict]:
    """The entries of Table 6 that do not depend on data, printed under each rule.

    Used on :doc:`/notebooks/ding-volume`.

    Four values are closed forms: the "valid range" ends ``d log2 eps`` (a corner) and
    ``d log2 (2 eps)`` (a point ``eps`` inside every face), for MNIST (``d = 784``,
    ``eps = 0.3``) and CIFAR-10 (``d = 3072``, ``eps = 8/255``). Two table entries equal a
    corner for *every* image: binarised MNIST, and CIFAR-10 saturated at ``p = inf`` (8-bit
    levels ``k/255`` are never exactly 1/2, so every pixel goes to 0 or 1).

    Returns
    -------
    rows : list of dict
        ``entry``, ``exact``, ``printed``, and the integer under each rule of :data:`RULES`.
    matches : dict
        ``{rule: True if it reproduces every printed entry}``.
    """
    mnist = _dm.volume_bounds(784, _dm.TABLE6_EPS["mnist"])
    cifar = _dm.volume_bounds(3072, _dm.TABLE6_EPS["cifar10"])
    entries = [("MNIST range, corner", mnist[0], _dm.TABLE6_MNIST_RANGE_PRINTED[0]),
               ("MNIST range, interior", mnist[1], _dm.TABLE6_MNIST_RANGE_PRINTED[1]),
               ("MNIST binarized", mnist[0], _dm.TABLE6_MNIST_PRINTED["binarized"]),
               ("CIFAR-10 range, corner", cifar[0], _dm.TABLE6_CIFAR10_RANGE_PRINTED[0]),
               ("CIFAR-10 range, interior", cifar[1], _dm.TABLE6_CIFAR10_RANGE_PRINTED[1]),
               ("CIFAR-10 saturated, p = ∞", cifar[0],
                _dm.TABLE6_CIFAR10_PRINTED["saturate-inf"])]
    rows = []
    for name, exact, printed in entries:
        row = {"entry": name, "exact": exact, "printed": printed}
        row.update({r: printed_as(exact, r) for r in RULES})
        rows.append(row)
    matches = {r: all(row[r] == row["printed"] for row in rows) for r in RULES}
    return rows, matches


def _mnist_split(split: str) -> np.ndarray:
    return _data.load(ex.DATASETS["mnist"], split).float_images(dtype=np.float64)


def table6_mnist(split: str = "test", *, eps: float = _dm.TABLE6_EPS["mnist"], z: float = 2.0,
                 readings: Mapping[str, Mapping] | None = None, images=None) -> list[dict]:
    """Table 6 (MNIST) on the offline digits for every smoothing reading, with sampling errors.

    Used on :doc:`/notebooks/ding-volume`.

    The rows of :func:`companion.distribution_measures.table6_volumes` (the valid range left
    out), each with ``se`` (standard error of our mean over the split's digits), ``se_shift``
    (paired standard error of the shift from the original) and two verdicts that allow for
    the sampling error of a subset: ``level_ok``, the printed integer (an average cut towards
    zero, :func:`printing_rules`) stands for ``(printed - 1, printed]``, and ours lies in it
    widened by ``z`` standard errors; ``shift_ok``, ``|shift - printed shift| <= 1 + z
    se_shift`` (a difference of two cut numbers is off by less than 1). The binarised row has
    no sampling error (every binary image has the corner volume).

    Parameters
    ----------
    split : {"test", "train", "all"}
        The offline digits (1,996 / 8,004 / 10,000).
    eps : float
        The radius (0.3, Table 6's).
    z : float
        Standard errors allowed.
    readings : mapping, optional
        ``{label: smoothing options}`` (:data:`companion.distribution_measures.SMOOTHING_READINGS`
        by default).
    images : array, optional
        Images ``(N, 1, 28, 28)`` in ``[0, 1]`` to use instead of the split (``N >= 2``).

    Returns
    -------
    list of dict
    """
    if split not in ("test", "train", "all"):
        raise ValueError(f"unknown split {split!r}; valid: 'test', 'train', 'all'")
    if not z >= 0:
        raise ValueError(f"z must be >= 0, got {z!r}")
    readings = _dm.SMOOTHING_READINGS if readings is None else readings
    if images is None:
        x, what = _mnist_split(split), f"{ex.DATASETS['mnist']} {split} split"
    else:
        x, what = np.asarray(images, dtype=np.float64), "given images"
        if x.ndim != 4 or x.shape[0] < 2:
            raise ValueError(f"images must be a batch (N >= 2, C, H, W), got {x.shape}")
    base = _dm.log_perturbable_volume(x, eps)
    n = len(base)
    rows = []
    for r in _dm.table6_volumes((x, np.zeros(n)), eps=eps, readings=readings):
        if r["variant"] == "valid range":
            continue
        name = r["variant"]
        if name == "original":
            imgs = x
        elif name == "binarized":
            imgs = transforms.binarize(x)
        else:
            imgs = transforms.smooth(x, int(name.split("-")[1]), **readings[r["reading"]])
        v = _dm.log_perturbable_volume(imgs, eps)
        se = float(v.std(ddof=1) / math.sqrt(n))
        se_shift = float((v - base).std(ddof=1) / math.sqrt(n))
        p = r["printed"]
        level_ok = (p - 1 - z * se) < r["ours"] <= (p + z * se)
        shift_ok = abs(r["shift"] - r["printed_shift"]) <= 1 + z * se_shift
        rows.append({**r, "n": n, "se": se, "se_shift": se_shift, "level_ok": bool(level_ok),
                     "shift_ok": bool(shift_ok), "z": z,
                     "data": f"{what} ({n:,} images)"})
    return rows


def matching_readings(rows: Sequence[dict]) -> list[str]:
    """The smoothing readings whose every smoothed row of :func:`table6_mnist` has both
    ``level_ok`` and ``shift_ok``.

    Used on :doc:`/notebooks/ding-volume`.

    Parameters
    ----------
    rows : sequence of dict
        The rows of :func:`table6_mnist`.

    Returns
    -------
    list of str
        In the order the readings first appear.
    """
    verdict: dict[str, bool] = {}
    for r in rows:
        if r["reading"] == "-":
            continue
        verdict[r["reading"]] = verdict.get(r["reading"], True) and r["level_ok"] \
            and r["shift_ok"]
    return [k for k, ok in verdict.items() if ok]


def table6_saturation(dataset: str, *, split: str = "test", eps: float = 8 / 255,
                      variants: Sequence[str] = TABLE6_CIFAR10_VARIANTS,
                      n: int | None = None) -> list[dict]:
    """Table 6's saturation columns computed on ``dataset``.

    Used on :doc:`/notebooks/ding-volume`.

    On ``"cifar-10"`` (a download) these are the paper's quantities; on ``"fashion-mnist"``
    (the chapter's substitute, 784 pixels instead of 3,072) they are not, and the per-pixel
    values (bits divided by the pixel count) are what may be set beside the paper's.

    Parameters
    ----------
    dataset : {"cifar-10", "fashion-mnist"}
    split : str
        The split (Table 6 uses the test images).
    eps : float
        The radius (``8/255``, Table 6's CIFAR-10 radius).
    variants : sequence of str
        ``original`` and ``saturate-P`` names.
    n : int, optional
        Only the first ``n`` images.

    Returns
    -------
    list of dict
        ``variant``, ``ours`` (mean log2 volume), ``ours_printed`` (cut towards zero),
        ``per_pixel``, ``removed`` (bits the box removes, mean), ``printed`` and
        ``printed_per_pixel`` (CIFAR-10's, ``None`` where Table 6 has no column),
        ``comparable`` (the data is CIFAR-10), ``d``, ``n``.
    """
    if dataset not in ("cifar-10", ex.DATASETS["fashion"]):
        raise ValueError(f"unknown dataset {dataset!r}; valid: 'cifar-10', 'fashion-mnist'")
    chains = [ex.variant_chain(v) for v in variants]
    for c in chains:
        if len(c) != 1 or not (c[0] == "original" or c[0].startswith("saturate-")):
            raise ValueError(f"{c!r} is not 'original' or a saturation 'saturate-P'")
    ds = _data.load(dataset, split)
    if n is not None:
        ds = ds.take(int(n))
    x = ds.float_images(dtype=np.float64)
    d = int(np.prod(x.shape[1:]))
    rows = []
    for (name,) in chains:
        xv = ex.prepare(x, name)
        v = _dm.log_perturbable_volume(xv, eps)
        full = d * math.log2(2 * eps)                    # the whole ball, (2 eps)^d
        key = "saturate-2" if name == "original" else name
        printed = _dm.TABLE6_CIFAR10_PRINTED.get(key)
        rows.append({"variant": name, "ours": float(v.mean()),
                     "ours_printed": _dm.printed_integer(float(v.mean())),
                     "per_pixel": float(v.mean()) / d, "removed": full - float(v.mean()),
                     "printed": printed,
                     "printed_per_pixel": None if printed is None else printed / 3072,
                     "comparable": dataset == "cifar-10", "d": d, "n": len(ds)})
    return rows


def factor_check(original: float | None = None) -> dict:
    """The arithmetic of Section 5.1 and Appendix D.1 on CIFAR-10's volumes.

    Used on :doc:`/notebooks/ding-volume`.

    The ``p = inf`` entry is exact for every 8-bit image (:func:`printing_rules`): ``3072
    log2 (8/255)``; the interior ``-12270`` is ``3072 log2 (16/255)``. The original's average
    is ``original`` when CIFAR-10 was computed; otherwise Table 6's printed -12354, an average
    cut towards zero, i.e. anywhere in ``(-12355, -12354]``. From these, the exponent of the
    factor between the original's volume and the saturated one's lies in an interval, and so
    does the gap to the full ball ("84 bits").

    Parameters
    ----------
    original : float, optional
        Our average log2 volume of the original CIFAR-10 test images.

    Returns
    -------
    dict
        ``inf``, ``interior`` (exact), ``original`` (interval), ``exponent`` (interval of
        ``original - inf``), ``gap`` (interval of ``interior - original``), and the checks
        ``printed_exponent_ok`` (2990 within 1 of ``exponent``), ``corrected_exponent``
        (the printed original minus the printed ``-15342``) with ``corrected_exponent_ok``,
        ``bits_ok`` (84 within 1 of ``gap``) and ``formula_original_bits_ok`` (the same with
        the formula's -12352 instead of the table's -12354).
    """
    inf, interior = _dm.volume_bounds(3072, _dm.TABLE6_EPS["cifar10"])
    p = FACTOR_PRINTED["original_in_table"]
    lo, hi = (p - 1.0, float(p)) if original is None else (float(original), float(original))

    def contains(interval, k):
        # an integer k describes a real value within 1 of it (cut or rounded either way)
        a, b = interval
        return bool(math.floor(a) <= k <= math.ceil(b))

    exponent = (lo - inf, hi - inf)
    gap = (interior - hi, interior - lo)
    q = FACTOR_PRINTED["original_in_formula"]
    # the paper's own arithmetic on its printed integers, with the table's original
    corrected = _dm.printed_integer(hi) - _dm.printed_integer(inf)
    return {"inf": inf, "interior": interior, "original": (lo, hi), "exponent": exponent,
            "gap": gap,
            "printed_exponent_ok": contains(exponent, FACTOR_PRINTED["exponent"]),
            "corrected_exponent": int(corrected),
            "corrected_exponent_ok": contains(exponent, corrected),
            "bits_ok": contains(gap, BITS_PRINTED),
            "formula_original_bits_ok": contains((interior - q, interior - (q - 1.0)),
                                                 BITS_PRINTED)}


def bits_removed(x, eps: float) -> float:
    """How many bits the box ``[0, 1]^d`` removes, on average, from the ``eps``-ball around
    the images ``x``: ``d log2 (2 eps)`` minus their average log2 perturbable volume.

    Used on :doc:`/notebooks/ding-volume`.

    Without the box every point has the volume ``(2 eps)^d``; with it a pixel at 0 or 1 keeps
    half its side (one bit), a pixel at distance ``t < eps`` from a face
    ``log2 (2 eps / (eps + t))``.

    Parameters
    ----------
    x : array
        Images in ``[0, 1]``.
    eps : float
        The ``l_inf`` radius, in ``(0, 1/2]``.

    Returns
    -------
    float
        Bits, ``>= 0``.

    Examples
    --------
    >>> round(bits_removed(np.array([[0.0, 1.0, 0.5]]), 0.1), 12)   # two pixels on a face
    2.0
    """
    if not (0 < eps <= 0.5):
        raise ValueError(f"eps must lie in (0, 1/2], got {eps!r}")
    return -_dm.mean_log_perturbable_volume(np.asarray(x, dtype=np.float64), eps,
                                            relative=True)


def paired_difference(box, nobox) -> tuple[float, float]:
    """Mean and standard error of ``nobox - box`` for per-image outcomes (1: robust), measured
    on the same images: the paired difference of two robust accuracies.

    Parameters
    ----------
    box, nobox : array of bool or {0, 1}
        One outcome per image, in the same order.

    Returns
    -------
    (float, float)
        The difference of the two rates and its standard error ``sd(d_i) / sqrt(n)`` (sample
        standard deviation, 0 when the two attacks agree on every image).

    Examples
    --------
    >>> paired_difference([1, 1, 1, 1], [1, 1, 1, 0])
    (-0.25, 0.25)
    """
    a = np.asarray(box, dtype=np.float64).reshape(-1)
    b = np.asarray(nobox, dtype=np.float64).reshape(-1)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"two outcome arrays of one length >= 2 needed, got {a.size} and "
                         f"{b.size}")
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("outcomes must be 0/1 (or bool)")
    d = b - a
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size))


def table7(profile: str, group: str, z: float = 2.0) -> list[dict]:
    """Table 7 on the chapter's PGD-trained models of ``group`` (``"table2"``: MNIST;
    ``"fashion"``: the Fashion-MNIST substitute for CIFAR-10).

    Used on :doc:`/notebooks/ding-volume`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.
    group : {"table2", "fashion"}
    z : float
        The criterion ``nobox >= box - z * se`` (``se`` the paired standard error).

    Returns
    -------
    list of dict
        Per PGD-trained model whose evaluation has the box-free attack (the grid's ``nobox``
        part): ``dataset``, ``variant``, ``n``, ``d`` (pixels per image), ``box``, ``nobox``
        (robust accuracies),
        ``diff`` and ``se`` (:func:`paired_difference`), ``ok``, ``reported`` (the
        evaluation's own ``robust_accuracy``), ``eps``, ``bits`` (:func:`bits_removed` of the
        evaluated images at ``eps``), ``eps_paper`` with ``bits_paper``, and the paper's
        ``paper_box`` / ``paper_nobox`` (CIFAR-10's for the Fashion-MNIST rows; ``None``
        where Table 7 has no row).
    """
    if group not in ("table2", "fashion"):
        raise ValueError(f"unknown group {group!r}; valid: 'table2', 'fashion'")
    ex.check_profile(profile)
    printed = TABLE7_MNIST_PRINTED if group == "table2" else TABLE7_CIFAR10_PRINTED
    rows = []
    for e in grid.group(profile, group):
        if e.objective != "pgd" or "nobox" not in e.parts:
            continue                      # the grid attacks these without the box only
        ev = grid.evaluation(profile, e)
        a = ev.arrays
        y, clean = a["labels"], a["clean"]
        box = (clean == y) & (a["adv"] == y)
        nobox = (clean == y) & (a["adv_nobox"] == y)
        diff, se = paired_difference(box, nobox)
        name = ex.variant_label(e.variant)
        X, _ = ex.load_split(e.dataset, "test", e.variant, len(y))
        eps, eps_paper = ex.eps_for(profile, e.dataset), ex.eps_for("paper", e.dataset)
        pb = printed.get(name)
        rows.append({"dataset": e.dataset, "variant": name, "n": int(len(y)),
                     "d": int(np.prod(X.shape[1:])),
                     "box": float(box.mean()), "nobox": float(nobox.mean()), "diff": diff,
                     "se": se, "ok": bool(diff >= -z * se), "z": z,
                     "reported": ev.robust_accuracy, "eps": eps,
                     "bits": bits_removed(X.numpy(), eps), "eps_paper": eps_paper,
                     "bits_paper": bits_removed(X.numpy(), eps_paper),
                     "paper_box": None if pb is None else pb[0],
                     "paper_nobox": None if pb is None else pb[1]})
    return rows


def table7_display(rows: Sequence[dict], paper_label: str = "paper") -> list[dict]:
    """The rows of :func:`table7` as a table to show: percentages, the difference with twice
    its standard error, and the bits the box removes.

    Used on :doc:`/notebooks/ding-volume`.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`table7`.
    paper_label : str
        How the paper's columns are headed (``"paper, CIFAR-10"`` beside Fashion-MNIST rows).

    Returns
    -------
    list of dict
        Text cells, ready for :func:`companion.display.table`.
    """
    def pct(v):
        return "-" if v is None else f"{100 * v:.1f}%"

    out = []
    for r in rows:
        out.append({"variant": r["variant"], f"{paper_label}, box": pct(r["paper_box"]),
                    f"{paper_label}, no box": pct(r["paper_nobox"]), "ours, box": pct(r["box"]),
                    "ours, no box": pct(r["nobox"]),
                    "no box − box": f"{100 * r['diff']:+.1f} ± {100 * r['z'] * r['se']:.1f}",
                    "bits removed (ours)": f"{r['bits']:.0f}",
                    "bits removed (paper's eps)": f"{r['bits_paper']:.0f}"})
    return out


def pooled(rows: Sequence[dict], z: float = 2.0) -> dict:
    """The differences of :func:`table7` rows averaged over the models: ``diff`` (mean of the
    rows' ``diff``), ``se`` (``sqrt(sum se_i^2) / k``, the models taken as independent),
    ``ok`` (``diff >= -z se``) and ``k``.

    Used on :doc:`/notebooks/ding-volume`.

    Parameters
    ----------
    rows : sequence of dict
        Rows with ``diff`` and ``se``.
    z : float

    Returns
    -------
    dict

    Examples
    --------
    >>> pooled([{"diff": -0.01, "se": 0.003}, {"diff": 0.0, "se": 0.004}])["se"]
    0.0025
    """
    if not rows:
        raise ValueError("pooled needs at least one row")
    k = len(rows)
    diff = float(np.mean([r["diff"] for r in rows]))
    se = float(math.sqrt(sum(r["se"] ** 2 for r in rows)) / k)
    return {"diff": diff, "se": se, "ok": bool(diff >= -z * se), "k": k, "z": z}


def corner_gain(rows: Sequence[dict], z: float = 2.0) -> dict:
    """Does the box-free attack gain more on the variants whose images are corners of the
    cube (binary images: the box removes exactly ``d`` bits) than on the others?

    Used on :doc:`/notebooks/ding-volume`.

    If the perturbable volume mattered, lifting the box, which gives a corner the most extra
    room, should lower robust accuracy most there. The comparison is of the mean ``diff``
    (no box minus box) of the corner rows with that of the other rows (:func:`pooled`), with
    the standard error of the difference of the two means.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`table7` (``diff``, ``se``, ``bits``, ``d``, ``variant``).
    z : float

    Returns
    -------
    dict
        ``corners`` and ``others`` (the variant names), ``corner_diff``, ``other_diff``,
        ``gap`` (``corner_diff - other_diff``, negative when the corners lose more), ``se``,
        ``ok`` (``gap >= -z se``: no larger loss at the corners).

    Examples
    --------
    >>> rows = [{"variant": "b", "diff": -0.10, "se": 0.01, "bits": 784.0, "d": 784},
    ...         {"variant": "o", "diff": -0.05, "se": 0.01, "bits": 690.0, "d": 784}]
    >>> g = corner_gain(rows)
    >>> g["corners"], g["others"], round(g["gap"], 3), g["ok"]
    (['b'], ['o'], -0.05, False)
    """
    corners = [r for r in rows if abs(r["bits"] - r["d"]) < 1e-6]
    others = [r for r in rows if abs(r["bits"] - r["d"]) >= 1e-6]
    if not corners or not others:
        raise ValueError("corner_gain needs rows of binary images (bits removed = d) and "
                         f"others; got {len(corners)} and {len(others)}")
    a, b = pooled(corners, z), pooled(others, z)
    gap = a["diff"] - b["diff"]
    se = math.hypot(a["se"], b["se"])
    return {"corners": [r["variant"] for r in corners], "others": [r["variant"] for r in others],
            "corner_diff": a["diff"], "other_diff": b["diff"], "gap": gap, "se": se,
            "ok": bool(gap >= -z * se), "z": z}
