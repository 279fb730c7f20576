"""Saturation and gamma (Ding et al., Section 3 with Table 3 and Figure 2b, Section 4.1 with
Figure 3a): the printed values and the rows the page compares them with.

The paper trains a WideResNet-28-4 on CIFAR-10 variants (saturation levels ``p`` of Table 3,
gamma values of Figure 3a). Offline, the chapter's declared substitute is Fashion-MNIST with
its LeNet5 (Section 4.2 of the paper: Fashion-MNIST "exhibit[s] similar behavior to CIFAR10"),
the models of ``grid.group(profile, "fashion")``. With ``dataset="cifar10"`` (downloaded) the
same rows come from :func:`companion.chapters.ding.experiment.evaluate` on CIFAR-10 variants;
that path trains the chapter's LeNet5 (3 input channels), not the paper's WideResNet, and does
not apply per-image standardisation: a different model, stated wherever its numbers appear.

Levels: a saturation variant is ``saturate-P`` (``original`` is ``P = 2``), its exponent is
``2 / P`` (:func:`exponent`; 0 for ``P = inf``, binarisation), the natural scale of a trend
(the map is ``|2x - 1|^(2/P)``); a gamma variant is ``gamma-G`` (``original`` is ``G = 1``).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from ... import data as _data
from ... import plotting, transforms
from ...attacks import pgd
from ...artifacts import cached_arrays
from ...attacks.base import predict
from ...training import run_attack
from . import experiment as ex
from . import grid
from .results import standard_error

__all__ = ["DATASETS", "TABLE3_COLUMNS", "COLUMN_NAMES", "STATEMENTS", "TABLE3_PRINTED",
           "FIGURE3A_GAMMAS", "CIFAR_ATTACK", "dataset_name", "saturation_level", "gamma_value",
           "exponent", "axis_position", "variants", "evaluations", "table3_rows", "gap", "spread",
           "spread_excess", "probe_radius", "moved_share", "declare_data", "scale_note",
           "variant_images", "plot_figure2b", "plot_figure3a"]

#: the page's ``dataset`` parameter: the offline substitute or the paper's data (download)
DATASETS = ("fashion-mnist", "cifar10")
#: the four columns of Table 3 (and of :func:`companion.chapters.ding.results.rate_rows`)
TABLE3_COLUMNS = ("std_accuracy", "pgd_accuracy", "robust_accuracy", "prediction_robustness")
#: the columns as the page's tables and figures name them (as on the chapter's Table 2 page)
COLUMN_NAMES = {"std_accuracy": "standard: accuracy", "pgd_accuracy": "PGD: accuracy",
                "robust_accuracy": "PGD: robust accuracy",
                "prediction_robustness": "PGD: robustness w.r.t. predictions"}
#: the statements of Sections 3.3 and 4.1 the page tests, by record id, in a few words
STATEMENTS = {
    "sat-robust-rises": "robust accuracy rises with saturation",
    "sat-gap-closes": "the clean-robust gap of PGD training closes",
    "sat-pred-rises": "robustness w.r.t. predictions rises",
    "sat-gap-small-top": "the gap is almost nil at the highest level",
    "sat-std-flat": "standard accuracy is flat up to level 16",
    "sat-std-drops-binary": "standard accuracy drops at binarisation",
    "sat-level1-less-robust": "level 1 is less robust than the original",
    "sat-robust-more-sensitive": "robust accuracy varies more than standard accuracy",
    "sat-pgd-clean-narrow": "the clean accuracy of PGD training varies less",
    "gamma-clean-flat": "over gamma, standard accuracy is flat",
    "gamma-robust-varies": "over gamma, robust accuracy varies more",
    "gamma-pgd-clean-varies": "over gamma, the clean accuracy of PGD training varies more",
}
#: Table 3 as printed: saturation level -> (standard training test accuracy, PGD training test
#: accuracy, robust accuracy at 8/255, robustness w.r.t. predictions at 8/255); level 2 is the
#: row "ORIGINAL"
TABLE3_PRINTED = {
    1: (0.938, 0.775, 0.330, 0.336),
    1.5: (0.947, 0.837, 0.387, 0.391),
    1.75: (0.952, 0.849, 0.411, 0.415),
    2: (0.950, 0.854, 0.432, 0.436),
    2.25: (0.948, 0.854, 0.444, 0.449),
    2.5: (0.948, 0.848, 0.464, 0.470),
    3: (0.945, 0.829, 0.517, 0.529),
    4: (0.938, 0.804, 0.640, 0.687),
    8: (0.933, 0.804, 0.781, 0.938),
    16: (0.929, 0.799, 0.794, 0.984),
    64: (0.896, 0.795, 0.793, 0.991),
    128: (0.853, 0.802, 0.799, 0.991),
    256: (0.830, 0.800, 0.797, 0.992),
    math.inf: (0.803, 0.800, 0.797, 0.992),
}
#: the gamma values of Figure 3a (its accuracies are drawn, not printed as numbers)
FIGURE3A_GAMMAS = transforms.GAMMA_VALUES
#: the paper's CIFAR-10 attack (Section 3.2): eps 8/255, 10 steps of 2/255
CIFAR_ATTACK = {"eps": 8 / 255, "steps": 10, "step_size": 2 / 255}


def dataset_name(dataset: str) -> str:
    """The chapter's dataset name of the page parameter (``"fashion-mnist"`` or
    ``"cifar10"``); anything else is rejected, naming the valid values.

    Parameters
    ----------
    dataset : str
        The page's ``dataset`` parameter.

    Returns
    -------
    str

    Examples
    --------
    >>> dataset_name("cifar10"), dataset_name("fashion-mnist")
    ('cifar10', 'fashion-mnist')
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {DATASETS}")
    return dataset


def saturation_level(variant) -> float:
    """The saturation level ``p`` of a variant: ``original`` is 2, ``saturate-P`` is ``P``.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    variant : str or tuple of one str
        A variant name.

    Returns
    -------
    float

    Examples
    --------
    >>> saturation_level("original"), saturation_level("saturate-4"), saturation_level(
    ...     ("saturate-inf",))
    (2.0, 4.0, inf)
    """
    (name,) = ex.variant_chain(variant)
    if name == "original":
        return 2.0
    if name.startswith("saturate-"):
        return float(transforms.variant(name).parameter)
    raise ValueError(f"{name!r} is not a saturation variant; valid: 'original', 'saturate-P'")


def gamma_value(variant) -> float:
    """The gamma ``G`` of a variant: ``original`` is 1, ``gamma-G`` is ``G``.

    Parameters
    ----------
    variant : str or tuple of one str
        A variant name.

    Returns
    -------
    float

    Examples
    --------
    >>> gamma_value("original"), gamma_value("gamma-0.6")
    (1.0, 0.6)
    """
    (name,) = ex.variant_chain(variant)
    if name == "original":
        return 1.0
    if name.startswith("gamma-"):
        return float(transforms.variant(name).parameter)
    raise ValueError(f"{name!r} is not a gamma variant; valid: 'original', 'gamma-G'")


def exponent(level: float) -> float:
    """The exponent ``2 / p`` of saturation level ``p`` (0 for ``p = inf``): 2 at level 1,
    1 for the original, falling to 0 (binarisation) as ``p`` grows.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    level : float
        ``p > 0`` or ``math.inf``.

    Returns
    -------
    float

    Examples
    --------
    >>> exponent(1), exponent(2), exponent(4), exponent(math.inf)
    (2.0, 1.0, 0.5, 0.0)
    """
    if not (isinstance(level, (int, float, np.integer, np.floating))
            and not isinstance(level, bool) and level > 0):
        raise ValueError(f"a saturation level must be a number > 0 or inf, got {level!r}")
    return 0.0 if math.isinf(level) else 2.0 / float(level)


def axis_position(level: float) -> float:
    """Where a saturation level sits on the figure's axis: ``log2 p``, with ``p = inf`` one
    step right of level 256 (``log2 256 + 1 = 9``).

    Parameters
    ----------
    level : float
        ``p > 0`` or ``math.inf``.

    Returns
    -------
    float

    Examples
    --------
    >>> axis_position(1), axis_position(16), axis_position(math.inf)
    (0.0, 4.0, 9.0)
    """
    exponent(level)  # validates
    return 9.0 if math.isinf(level) else math.log2(level)


def variants(profile: str, dataset: str) -> dict:
    """The saturation and gamma variants of the page, each list sorted by its level.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Fashion-MNIST: the profile's Fashion group without ``edges``
    (:data:`companion.chapters.ding.grid.FASHION_GROUP`). CIFAR-10: the same names, the
    paper's full lists (Table 3's levels, Figure 3a's gammas) under the ``paper`` profile.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.
    dataset : {"fashion-mnist", "cifar10"}
        The page's ``dataset`` parameter.

    Returns
    -------
    dict
        ``{"saturation": tuple of names, "gamma": tuple of names}``; ``original`` is in both.
    """
    ex.check_profile(profile)
    dataset_name(dataset)
    if dataset == "cifar10" and profile == "paper":
        names = tuple("original" if p == 2 else f"saturate-{p:g}" for p in TABLE3_PRINTED)
        names += tuple(f"gamma-{g:g}" for g in FIGURE3A_GAMMAS if g != 1.0)
    else:
        names = tuple(v for v in grid.FASHION_GROUP[profile] if v != "edges")
    sat = [v for v in names if v == "original" or v.startswith("saturate-")]
    gam = [v for v in names if v == "original" or v.startswith("gamma-")]
    return {"saturation": tuple(sorted(sat, key=saturation_level)),
            "gamma": tuple(sorted(gam, key=gamma_value))}


def evaluations(profile: str, dataset: str, names: Sequence[str]) -> dict:
    """``{variant: (standard Evaluation, PGD Evaluation)}`` for the page's variants.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Fashion-MNIST: the cached evaluations of the grid (``grid.group(profile, "fashion")``,
    :func:`companion.chapters.ding.grid.evaluation`). CIFAR-10: :func:`companion.chapters.
    ding.experiment.evaluate` with ``dataset="cifar10"`` (trains the chapter's LeNet5 the
    first time: slow, and not the paper's WideResNet).

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.
    dataset : {"fashion-mnist", "cifar10"}
        The page's ``dataset`` parameter.
    names : sequence of str
        Variant names (from :func:`variants`).

    Returns
    -------
    dict
    """
    ex.check_profile(profile)
    dataset_name(dataset)
    chains = [ex.variant_chain(v) for v in names]
    if dataset == "fashion-mnist":
        entries = {(e.variant, e.objective): e for e in grid.group(profile, "fashion")}
        missing = [c for c in chains if (c, "pgd") not in entries]
        if missing:
            raise ValueError(f"variants {missing} are not in the {profile!r} Fashion group; "
                             f"valid: {grid.FASHION_GROUP[profile]}")
        return {ex.variant_label(c): (grid.evaluation(profile, entries[(c, "standard")]),
                                      grid.evaluation(profile, entries[(c, "pgd")]))
                for c in chains}
    return {ex.variant_label(c): (ex.evaluate(profile, "cifar10", c, "standard"),
                                  ex.evaluate(profile, "cifar10", c, "pgd"))
            for c in chains}


def table3_rows(levels: Optional[Sequence[float]] = None) -> list[dict]:
    """Table 3 as printed, as rows with the columns of
    :func:`companion.chapters.ding.results.rate_rows`, plus ``level`` and ``gap`` (PGD clean
    accuracy minus robust accuracy).

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    levels : sequence of float, optional
        Only these levels (each must be a row of Table 3); all 14 by default.

    Returns
    -------
    list of dict
        In the printed order.

    Examples
    --------
    >>> r = table3_rows([2])[0]
    >>> r["variant"], r["robust_accuracy"], round(r["gap"], 3)
    ('original', 0.432, 0.422)
    """
    keep = list(TABLE3_PRINTED) if levels is None else [float(v) for v in levels]
    bad = [v for v in keep if v not in TABLE3_PRINTED]
    if bad:
        raise ValueError(f"levels {bad} are not rows of Table 3; valid: {list(TABLE3_PRINTED)}")
    rows = []
    for p, vals in TABLE3_PRINTED.items():
        if p not in keep:
            continue
        row = {"variant": "original" if p == 2 else f"saturate-{p:g}", "level": float(p)}
        row.update(dict(zip(TABLE3_COLUMNS, vals)))
        row["gap"] = row["pgd_accuracy"] - row["robust_accuracy"]
        rows.append(row)
    return rows


def gap(evaluation: ex.Evaluation) -> tuple[float, float]:
    """The clean-robust gap of a PGD-trained model and its standard error.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    The gap, clean accuracy minus robust accuracy, is the share of test images classified
    correctly whose PGD example is not: a rate on ``n`` images, with binomial error.

    Parameters
    ----------
    evaluation : companion.chapters.ding.experiment.Evaluation
        An attacked evaluation (``adv`` present).

    Returns
    -------
    (float, float)
        ``(gap, standard error)``.
    """
    a = evaluation.arrays
    if "adv" not in a:
        raise ValueError("gap needs an attacked evaluation (a PGD-trained model)")
    g = float(np.mean((a["clean"] == a["labels"]) & (a["adv"] != a["labels"])))
    return g, standard_error(g, evaluation.n)


def spread(rates: Sequence[float], n: int) -> tuple[float, float]:
    """The range ``max - min`` of rates measured on ``n`` images each, and its standard
    error: the binomial errors of the largest and the smallest rate combined.

    Parameters
    ----------
    rates : sequence of float
        At least two rates in [0, 1].
    n : int
        Images per rate.

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> r, se = spread([0.9, 0.8, 0.85], 100)
    >>> round(r, 3), round(se, 4)     # sqrt(0.09/100 + 0.16/100)
    (0.1, 0.05)
    """
    r = [float(v) for v in rates]
    if len(r) < 2:
        raise ValueError("spread needs at least two rates")
    hi, lo = max(r), min(r)
    return hi - lo, math.hypot(standard_error(hi, n), standard_error(lo, n))


def spread_excess(robust: Sequence[float], clean: Sequence[float], n: int,
                  z: float = 2.0) -> dict:
    """Whether robust accuracy varies across variants more than clean accuracy does: the
    difference of the two :func:`spread` values against ``z`` standard errors.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    robust, clean : sequence of float
        Robust accuracies of the PGD models and clean accuracies of the standard models,
        one per variant.
    n : int
        Images per rate.
    z : float
        Standard errors required.

    Returns
    -------
    dict
        ``robust_spread``, ``clean_spread``, ``excess`` (their difference), ``se`` (the
        errors of both spreads combined) and ``holds`` (``excess > z se``).

    Examples
    --------
    >>> s = spread_excess([0.6, 0.7], [0.90, 0.91], 1000)
    >>> round(s["excess"], 3), s["holds"]
    (0.09, True)
    """
    rs, rse = spread(robust, n)
    cs, cse = spread(clean, n)
    if not z >= 0:
        raise ValueError(f"z must be >= 0, got {z!r}")
    se = math.hypot(rse, cse)
    return {"robust_spread": rs, "clean_spread": cs, "excess": rs - cs, "se": se,
            "holds": bool(rs - cs > z * se)}


def probe_radius(profile: str, variant, eps: float, objective: str = "pgd",
                 steps: Optional[int] = None, step_size: Optional[float] = None) -> dict:
    """A Fashion-MNIST model of the grid attacked at another radius ``eps`` (it was trained at
    the profile's): clean and robust accuracy on the profile's evaluation images (computed
    once and cached, with the evaluation's early stopping: an image leaves the attack once it
    is misclassified).

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.
    variant : str
        A variant of the profile's Fashion group.
    eps : float
        The l_inf radius of the attack, in (0, 1].
    objective : {"pgd", "standard"}
        Which of the two models of the variant.
    steps, step_size : optional
        The attack (the profile's evaluation attack by default: 40 steps of 0.01, random
        start).

    Returns
    -------
    dict
        ``eps``, ``n``, ``accuracy``, ``robust_accuracy``, ``gap`` and ``se`` (the gap's
        binomial standard error).
    """
    cfg = ex.check_profile(profile)
    eps = ex.check_eps(eps)
    chain = ex.variant_chain(variant)
    entries = {(e.variant, e.objective): e for e in grid.group(profile, "fashion")}
    if (chain, objective) not in entries:
        raise ValueError(f"no {objective!r} model of {variant!r} in the {profile!r} Fashion "
                         f"group; valid variants: {grid.FASHION_GROUP[profile]}, objectives: "
                         f"{ex.OBJECTIVES}")
    entry = entries[(chain, objective)]
    mkey = entry.key(profile)
    steps = int(steps or cfg["eval_steps"])
    step_size = float(step_size or cfg["eval_step_size"])
    key = {"what": "ding-probe-radius", "model": mkey, "eps": eps, "n": cfg["eval_n"],
           "steps": steps, "step_size": step_size, "early_stop": True}

    def compute():
        net, _ = grid.model_of(profile, entry)
        net.eval()
        X, Y = ex.load_split(grid.FASHION, "test", chain, cfg["eval_n"])
        res = run_attack(net, X, Y, pgd, eps=eps, steps=steps, step_size=step_size,
                         box=(0.0, 1.0), seed=0, early_stop=True)
        return {"labels": Y.numpy(), "clean": predict(net, X).numpy(),
                "adv": predict(net, res.x_adv).numpy()}

    a = cached_arrays(f"ding-probe-{ex.model_name(mkey)}-eps{eps:.4g}", key, compute)
    ok = a["clean"] == a["labels"]
    rob = ok & (a["adv"] == a["labels"])
    n = int(len(a["labels"]))
    g = float(np.mean(ok & ~rob))
    return {"eps": eps, "n": n, "accuracy": float(ok.mean()),
            "robust_accuracy": float(rob.mean()), "gap": g, "se": standard_error(g, n)}


def moved_share(dataset: str, names: Sequence[str], eps: float, n: int = 1_000) -> dict:
    """How much each variant moves the test images, in units of the radius: the share of
    pixels it changes by more than ``eps``, and the share of the original pixels that lie
    exactly at 0 or 1 (which no saturation level moves).

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    dataset : {"fashion-mnist", "cifar10"}
        The page's ``dataset`` parameter.
    names : sequence of str
        Variant names.
    eps : float
        The radius, in (0, 1].
    n : int
        The first ``n`` test images.

    Returns
    -------
    dict
        ``{"corners": share of pixels at 0 or 1, variant: share moved by more than eps}``.
    """
    eps = ex.check_eps(eps)
    imgs = variant_images(dataset, ["original", *names], n)
    x = imgs["original"]
    out = {"corners": float(np.mean((x == 0.0) | (x == 1.0)))}
    for v in names:
        out[v] = float(np.mean(np.abs(imgs[v] - x) > eps))
    return out


def declare_data(rec, dataset: str) -> str:
    """Declare the page's data in its records session; returns the sentence the page shows.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    rec : companion.records.Session
        The page's records.
    dataset : {"fashion-mnist", "cifar10"}
        The page's ``dataset`` parameter.

    Returns
    -------
    str
        The provenance sentence of the test split.
    """
    dataset_name(dataset)
    ds = _data.load(dataset, "test")
    if dataset == "fashion-mnist":
        p = ds.provenance
        rec.use_data(f"{p['name']} (train and test splits)", p["source"],
                     "CIFAR-10 (needs a download): Fashion-MNIST, which Section 4.2 of the "
                     "paper finds to behave like CIFAR-10, with the chapter's LeNet5")
    else:
        ds.declare(rec)
    return ds.sentence


def scale_note(profile: str, dataset: str) -> str:
    """What the profile trains and evaluates, in one sentence for the records (why numbers
    differ from the paper's).

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.
    dataset : {"fashion-mnist", "cifar10"}
        The page's ``dataset`` parameter.

    Returns
    -------
    str
    """
    cfg = ex.check_profile(profile)
    dataset_name(dataset)
    eps = ex.eps_for(profile, dataset)
    n = ex.model_key(profile, dataset, "original", "standard")["n"]
    if cfg["max_steps"]:
        length = f"{cfg['max_steps']:,} steps"
    else:
        length = (f"{cfg['std_epochs']} epochs of standard and {cfg['pgd_epochs']} of "
                  f"PGD-{cfg['train_steps']}")
    data = ("Fashion-MNIST in place of CIFAR-10" if dataset == "fashion-mnist"
            else "CIFAR-10")
    return (f"{data}; {profile} profile: LeNet5 width {cfg['width']:g} (the paper: "
            f"WideResNet-28-4), {length} training at eps {eps:.3g} on {n:,} training images, "
            f"evaluated on {cfg['eval_n']:,} test images")


def variant_images(dataset: str, names: Sequence[str], n: int = 8) -> dict:
    """``{variant: its first n test images}``, for :func:`companion.plotting.image_rows`.

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    dataset : {"fashion-mnist", "cifar10"}
        The page's ``dataset`` parameter.
    names : sequence of str
        Variant names.
    n : int
        Images per variant (>= 1).

    Returns
    -------
    dict
        Arrays ``(n, C, H, W)`` in [0, 1], keyed by variant name.
    """
    dataset_name(dataset)
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return {v: ex.load_split(dataset, "test", v, n)[0].numpy() for v in names}


_STYLE = {"std_accuracy": dict(marker="o", linestyle="-"),
          "pgd_accuracy": dict(marker="s", linestyle="--"),
          "robust_accuracy": dict(marker="^", linestyle="-.", markersize=7),
          "prediction_robustness": dict(marker="x", linestyle=":", markersize=8)}


def _draw(ax, x, rows, columns, n=None):
    for i, c in enumerate(columns):
        y = np.array([r[c] for r in rows])
        kw = dict(color=plotting.series(i), label=COLUMN_NAMES[c], **_STYLE[c])
        if n is None:
            ax.plot(x, y, **kw)
        else:
            se = np.array([standard_error(v, n) for v in y])
            ax.errorbar(x, y, yerr=2 * se, capsize=2, **kw)


def plot_figure2b(rows: Sequence[dict], n: int, eps: float, data_label: str):
    """Figure 2b redone: ours (left, rows of :func:`companion.chapters.ding.results.rate_rows`
    with two standard errors) beside the paper's Table 3 (right, CIFAR-10 at 8/255), against
    the saturation level on a log scale (``inf`` one step right of 256).

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    rows : sequence of dict
        Our rows: ``variant`` and the four :data:`TABLE3_COLUMNS`.
    n : int
        Test images per rate (for the error bars).
    eps : float
        Our radius (panel title).
    data_label : str
        Our data (panel title), e.g. ``"Fashion-MNIST"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax0, ax1) = plotting.figure(ncols=2, sharey=True, height=3.6)
    paper = table3_rows()
    for ax, rs, nn, title in ((ax0, rows, n, f"ours: {data_label}, $\\epsilon = {eps:.3g}$"),
                              (ax1, paper, None, "the paper: CIFAR-10, $\\epsilon = 8/255$")):
        x = [axis_position(saturation_level(r["variant"])) for r in rs]
        _draw(ax, x, rs, TABLE3_COLUMNS, nn)
        plotting.label(ax, "saturation level $p$", "accuracy" if ax is ax0 else " ",
                       title=title, legend=False)
    ticks = [1, 2, 4, 16, 64, 256, math.inf]
    for ax in (ax0, ax1):
        ax.set_xticks([axis_position(p) for p in ticks])
        ax.set_xticklabels(["$\\infty$" if math.isinf(p) else f"{p:g}" for p in ticks])
    handles, labels = ax0.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    return fig


def plot_figure3a(rows: Sequence[dict], n: int, eps: float, data_label: str):
    """Figure 3a redone: our accuracies against gamma, with two standard errors (the paper
    draws its CIFAR-10 values without printing them, so there is no panel of the paper's).

    Used on :doc:`/notebooks/ding-saturation-gamma`.

    Parameters
    ----------
    rows : sequence of dict
        ``variant`` and the four :data:`TABLE3_COLUMNS`, one row per gamma variant.
    n : int
        Test images per rate.
    eps : float
        Our radius (title).
    data_label : str
        Our data (title).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plotting.figure(height=3.6)
    x = [gamma_value(r["variant"]) for r in rows]
    _draw(ax, x, rows, TABLE3_COLUMNS, n)
    ax.set_xticks(x)
    plotting.label(ax, "gamma $\\gamma$ of $x \\mapsto x^\\gamma$", "accuracy",
                   title=f"{data_label}, $\\epsilon = {eps:.3g}$", loc="lower left",
                   ncols=2)
    return fig
