"""Page helpers of Section 3 (Table 2, Figure 2a) and Section 4.2 (Figure 3b) of Ding et al.

The printed values of Table 2 (MNIST variants, eps = 0.3) and of Figure 3b (Fashion-MNIST and
edge-Fashion-MNIST, eps not stated), exactly as printed, in per cent; the evaluations of the
chapter's models in the order the paper lists them; the quantities the pages' records test
(the share of images that are correct but broken by the attack, the robust accuracy under the
paper's attack and a stronger one combined, contrasts of independent rates with their
standard error); and, for Figure 3b, the dependence of robust accuracy on the evaluation eps
(:func:`eps_sweep`, cached) and the bound that pins the unstated eps below 0.5 for binary
images (:func:`largest_class_share`).

Rates are fractions in [0, 1] throughout; the printed tables are in per cent, as printed, and
the records compare percentages.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ... import data as _data
from ... import plotting
from ...artifacts import cached_arrays
from . import experiment as ex
from . import grid
from .results import standard_error

__all__ = ["TABLE2_EPS", "TABLE2_PRINTED", "TABLE2_COLUMNS", "FIGURE3B_PRINTED",
           "FIGURE3B_COLUMNS", "FIGURE3B_VARIANTS", "COLUMN_NAMES", "SWEEP_EPS", "level",
           "short_label", "declare_data", "scale_note", "table2_evaluations",
           "figure3b_evaluations", "paper_rows", "broken_share", "tolerance", "StrongCheck",
           "robust_on_first", "strong_check", "contrast", "variant_images", "plot_figure2a",
           "plot_figure3b",
           "Sweep", "SWEEP_GROUPS", "eps_sweep", "plot_sweep", "plausible_eps",
           "largest_class_share"]

#: the l_inf radius of Table 2, as printed in its header
TABLE2_EPS = 0.3
#: Table 2 (Appendix C), in per cent as printed: standard training test accuracy; PGD training
#: test accuracy, robust accuracy and robustness w.r.t. predictions (eps = 0.3)
TABLE2_PRINTED = {
    "binarized": (98.5, 98.9, 98.1, 98.5),
    "original": (99.3, 99.2, 95.1, 95.1),
    "smooth-2": (99.3, 98.9, 93.0, 93.1),
    "smooth-3": (99.2, 99.0, 91.3, 91.4),
    "smooth-4": (99.1, 98.8, 90.3, 90.4),
    "smooth-5": (99.0, 98.7, 89.6, 89.7),
    "smooth-6": (99.1, 98.5, 87.6, 87.7),
    "smooth-7": (99.0, 98.3, 85.4, 85.5),
    "smooth-8": (99.0, 97.9, 83.1, 83.3),
}
#: the columns of Table 2, as :func:`companion.chapters.ding.results.rate_rows` names them
TABLE2_COLUMNS = ("std_accuracy", "pgd_accuracy", "robust_accuracy", "prediction_robustness")
#: Figure 3b, in per cent as printed: standard training accuracy, PGD training accuracy and
#: robust accuracy, for fMNIST (``"original"``) and efMNIST (``"edges"``)
FIGURE3B_PRINTED = {"original": (92.7, 81.2, 65.3), "edges": (88.3, 87.2, 86.6)}
#: the columns of Figure 3b
FIGURE3B_COLUMNS = ("std_accuracy", "pgd_accuracy", "robust_accuracy")
#: the Fashion-MNIST variants of Figure 3b
FIGURE3B_VARIANTS = ("original", "edges")
#: how the pages name the columns
COLUMN_NAMES = {"std_accuracy": "standard: accuracy", "pgd_accuracy": "PGD: accuracy",
                "robust_accuracy": "PGD: robust accuracy",
                "prediction_robustness": "PGD: robustness w.r.t. predictions"}
#: the evaluation radii of the sweep of Figure 3b's PGD models (the attack of the paper: 40
#: steps of 0.01, random start)
SWEEP_EPS = (0.05, 0.1, 0.2, 0.3)

_SHORT = {"binarized": "bin.", "original": "orig."}


def _pct(v: float) -> float:
    return 100.0 * float(v)


def level(variant: str) -> int:
    """The smoothing level of an MNIST variant: 0 for binarised, 1 for the original (a kernel of
    size 1 is the identity), ``s`` for ``smooth-s``: the order of Figure 2a's axis.

    Used on :doc:`/notebooks/ding-smoothing`.

    >>> [level(v) for v in ("binarized", "original", "smooth-2", "smooth-8")]
    [0, 1, 2, 8]
    """
    if variant == "binarized":
        return 0
    if variant == "original":
        return 1
    if isinstance(variant, str) and variant.startswith("smooth-"):
        tail = variant[len("smooth-"):]
        if tail.isdigit() and int(tail) >= 1:
            return int(tail)
    raise ValueError(f"no smoothing level for variant {variant!r}; valid: 'binarized', "
                     "'original', 'smooth-S' with an integer S >= 1")


def short_label(variant: str) -> str:
    """A variant as a tick label: ``bin.``, ``orig.``, ``s2`` ... (other names unchanged).

    >>> short_label("smooth-3"), short_label("binarized")
    ('s3', 'bin.')
    """
    if variant.startswith("smooth-"):
        return "s" + variant[len("smooth-"):]
    return _SHORT.get(variant, variant)


def declare_data(rec, dataset: str) -> None:
    """Declare ``dataset`` (both splits as the chapter loads them) in the records session.

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-edges`.
    """
    ex.declare_splits(rec, dataset)


def scale_note(profile: str, dataset: str) -> str:
    """What the profile trains and evaluates on ``dataset``, in one sentence for the records
    (the reason why numbers differ from the paper's at a reduced scale).

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-edges`.
    """
    cfg = ex.check_profile(profile)
    eps = ex.eps_for(profile, dataset)
    n = ex.model_key(profile, dataset, "original", "standard")["n"]
    if cfg["max_steps"]:
        length = f"{cfg['max_steps']:,} steps"
    else:
        length = (f"{cfg['std_epochs']} epoch(s) of standard and {cfg['pgd_epochs']} of "
                  f"PGD-{cfg['train_steps']}")
    return (f"{profile} profile: LeNet5 width {cfg['width']:g}, {length} training at eps "
            f"{eps:g} on {n:,} training images, evaluated on {cfg['eval_n']:,} test images")


def _pairs(profile: str, group: str, variants: Optional[Sequence[str]] = None) -> dict:
    out: dict = {}
    for e in grid.group(profile, group):
        label = ex.variant_label(e.variant)
        if variants is not None and label not in variants:
            continue
        out.setdefault(label, [None, None])[0 if e.objective == "standard" else 1] = \
            grid.evaluation(profile, e)
    return {k: tuple(v) for k, v in out.items()}


def table2_evaluations(profile: str) -> dict:
    """``{variant: (standard Evaluation, PGD Evaluation)}`` of the Table 2 models, in the
    paper's order (binarised, original, smooth-2 ...), trained and evaluated once (cached).

    Used on :doc:`/notebooks/ding-smoothing`.
    """
    return _pairs(profile, "table2")


def figure3b_evaluations(profile: str) -> dict:
    """``{variant: (standard Evaluation, PGD Evaluation)}`` of Fashion-MNIST (``"original"``)
    and edge-Fashion-MNIST (``"edges"``), trained and evaluated once (cached).

    Used on :doc:`/notebooks/ding-edges`.
    """
    return _pairs(profile, "fashion", FIGURE3B_VARIANTS)


def paper_rows(printed: dict, columns: Sequence[str]) -> list[dict]:
    """The printed table as rows of fractions (``variant`` and one value per column).

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-edges`.

    >>> paper_rows({"original": (99.3, 95.1)}, ("std_accuracy", "robust_accuracy"))
    [{'variant': 'original', 'std_accuracy': 0.993, 'robust_accuracy': 0.951}]
    """
    rows = []
    for variant, values in printed.items():
        if len(values) != len(columns):
            raise ValueError(f"{variant}: {len(values)} printed values for {len(columns)} "
                             f"columns {list(columns)}")
        rows.append({"variant": variant,
                     **{c: round(v / 100.0, 6) for c, v in zip(columns, values)}})
    return rows


def broken_share(ev) -> float:
    """Share of the test images that are classified correctly but not robustly: clean accuracy
    minus robust accuracy (robust images are a subset of the correct ones, so this is itself a
    rate with a binomial sampling error).

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-edges`.
    """
    y, c, a = (ev.arrays[k] for k in ("labels", "clean", "adv"))
    return float(np.mean((c == y) & (a != y)))


def tolerance(p: float, n: int, floor: float = 0.5) -> float:
    """A two-sided tolerance in percentage points for comparing a rate ``p`` measured on ``n``
    images with a printed one: two binomial standard errors plus ``floor`` points (the printed
    rounding and the seed-to-seed spread of a retrained model).

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-edges`.

    >>> round(tolerance(0.9, 100), 2)
    6.5
    """
    if not floor >= 0:
        raise ValueError(f"floor must be >= 0 percentage points, got {floor!r}")
    return 200.0 * standard_error(p, n) + floor


@dataclass(frozen=True)
class StrongCheck:
    """The paper's attack against the stronger one (restarts) on the first ``n`` test images:
    robust accuracy under each, and under both (an image counts only if neither breaks it)."""

    n: int
    weak: float
    strong: float
    both: float

    @property
    def loss(self) -> float:
        """How much robust accuracy the stronger attack removes beyond the paper's:
        ``weak - both``."""
        return self.weak - self.both


def robust_on_first(ev, k: int) -> float:
    """Robust accuracy of an evaluation on its first ``k`` test images only.

    Used on :doc:`/notebooks/ding-edges`, :doc:`/notebooks/ding-smoothing`.
    """
    if not (1 <= k <= ev.n):
        raise ValueError(f"k must be in [1, {ev.n}], got {k!r}")
    y, c, a = (ev.arrays[n][:k] for n in ("labels", "clean", "adv"))
    return float(np.mean((c == y) & (a == y)))


def strong_check(ev) -> StrongCheck:
    """:class:`StrongCheck` of a PGD model's evaluation (which has the ``strong`` part).

    Used on :doc:`/notebooks/ding-smoothing`.
    """
    if "strong" not in ev.arrays:
        raise ValueError("this evaluation has no stronger attack (its parts: "
                         f"{ev.key.get('parts')}); the Table 2 PGD models have one")
    k = len(ev.arrays["strong"])
    y, c, a, s = (ev.arrays[n][:k] for n in ("labels", "clean", "adv", "strong"))
    ok = c == y
    return StrongCheck(k, float(np.mean(ok & (a == y))), float(np.mean(ok & (s == y))),
                       float(np.mean(ok & (a == y) & (s == y))))


def contrast(plus: Sequence[float], minus: Sequence[float], n: int) -> tuple[float, float]:
    """``sum(plus) - sum(minus)`` of rates each measured on ``n`` images, and its standard
    error treating them as independent (conservative for rates measured on the same images,
    which are positively correlated).

    Used on :doc:`/notebooks/ding-edges`.

    >>> v, se = contrast([0.9, 0.8], [0.7, 0.85], 100)
    >>> round(v, 3), round(se, 4)
    (0.15, 0.0766)
    """
    rates = list(plus) + list(minus)
    if not rates:
        raise ValueError("contrast needs at least one rate")
    value = float(sum(plus) - sum(minus))
    se = math.sqrt(sum(standard_error(p, n) ** 2 for p in rates))
    return value, se


def variant_images(dataset: str, variants: Sequence[str], n: int = 8) -> dict:
    """``{variant: the first n test images under it}``, for :func:`companion.plotting.image_rows`.

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-edges`.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    return {v: ex.load_split(dataset, "test", v, n)[0].numpy() for v in variants}


# ------------------------------------------------------------------------------ figures
_STYLE = {"std_accuracy": dict(marker="o", linestyle="-"),
          "pgd_accuracy": dict(marker="s", linestyle="--"),
          "robust_accuracy": dict(marker="^", linestyle="-.", markersize=7),
          "prediction_robustness": dict(marker="x", linestyle=":", markersize=8)}


def plot_figure2a(evaluations: dict, eps: float):
    """Figure 2a redone: ours (left panel, at ``eps``) beside the paper's Table 2 values
    (right panel, eps = 0.3), one colour, marker and line style per quantity.

    Used on :doc:`/notebooks/ding-smoothing`.
    """
    fig, (ax0, ax1) = plotting.figure(ncols=2, sharey=True, height=3.6)
    ours = {v: {c: f(s, p) for c, f in _getters().items()} for v, (s, p) in
            evaluations.items()}
    paper = {r["variant"]: r for r in paper_rows(TABLE2_PRINTED, TABLE2_COLUMNS)}
    for ax, rows, title in ((ax0, ours, f"ours, $\\epsilon = {eps:g}$"),
                            (ax1, paper, f"the paper, $\\epsilon = {TABLE2_EPS:g}$")):
        variants = list(rows)
        x = [level(v) for v in variants]
        for i, c in enumerate(TABLE2_COLUMNS):
            ax.plot(x, [rows[v][c] for v in variants], color=plotting.series(i),
                    label=COLUMN_NAMES[c], **_STYLE[c])
        ax.set_xticks(x)
        ax.set_xticklabels([short_label(v) for v in variants])
        plotting.label(ax, "MNIST variant", "accuracy" if ax is ax0 else " ", title=title,
                       legend=False)
    handles, labels = ax0.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    return fig


def _getters():
    return {"std_accuracy": lambda s, p: s.accuracy, "pgd_accuracy": lambda s, p: p.accuracy,
            "robust_accuracy": lambda s, p: p.robust_accuracy,
            "prediction_robustness": lambda s, p: p.prediction_robustness}


def plot_figure3b(evaluations: dict):
    """Figure 3b redone: bars of our three rates for fMNIST and efMNIST (hatched per
    quantity, two standard errors as error bars) and the printed values as stars.

    Used on :doc:`/notebooks/ding-edges`.
    """
    fig, ax = plotting.figure(height=4.0)
    width = 0.26
    getters = _getters()
    for i, c in enumerate(FIGURE3B_COLUMNS):
        for j, v in enumerate(FIGURE3B_VARIANTS):
            s, p = evaluations[v]
            value = getters[c](s, p)
            n = (s if c == "std_accuracy" else p).n
            xpos = j + (i - 1) * width
            ax.bar(xpos, value, width * 0.92, color=plotting.series(i),
                   hatch=("", "//", "..")[i], edgecolor="white",
                   yerr=2 * standard_error(value, n), capsize=3,
                   label=COLUMN_NAMES[c] if j == 0 else None)
            plotting.paper_point(ax, xpos, FIGURE3B_PRINTED[v][i] / 100.0,
                                 label="the paper" if (i == 0 and j == 0) else None)
    ax.set_xticks(range(len(FIGURE3B_VARIANTS)))
    ax.set_xticklabels(["fMNIST", "efMNIST"])
    ax.set_ylim(0.0, 1.0)
    plotting.label(ax, "data set", "accuracy", legend=False)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    return fig


# ------------------------------------------------------------------------------ eps sweep
@dataclass(frozen=True)
class Sweep:
    """Robust accuracy of one model under the paper's attack at several radii, on the first
    ``n`` test images; ``clean`` is its clean accuracy there."""

    variant: str
    eps: tuple
    clean: float
    robust: tuple
    n: int

    def broken(self) -> tuple:
        """``clean - robust`` at each eps (the share correct but broken)."""
        return tuple(self.clean - r for r in self.robust)


#: the datasets and variants :func:`eps_sweep` knows, per grid group
SWEEP_GROUPS = {"fashion": FIGURE3B_VARIANTS, "table2": tuple(TABLE2_PRINTED)}


def eps_sweep(profile: str, variant: str, n: int, eps: Sequence[float] = SWEEP_EPS,
              objective: str = "pgd", group: str = "fashion") -> Sweep:
    """Attack a model of the chapter's grid (``variant`` of Fashion-MNIST for Figure 3b, group
    ``"fashion"``, or of MNIST for Table 2, group ``"table2"``) with the paper's attack (40
    steps of 0.01, random start, the evaluation's seed and early stopping) at each radius of
    ``eps``, on the first ``n`` test images; computed once and cached.

    Used on :doc:`/notebooks/ding-edges`, :doc:`/notebooks/ding-smoothing`.
    """
    if group not in SWEEP_GROUPS:
        raise ValueError(f"unknown group {group!r}; valid: {sorted(SWEEP_GROUPS)}")
    if variant not in SWEEP_GROUPS[group]:
        raise ValueError(f"unknown variant {variant!r} for group {group!r}; valid: "
                         f"{SWEEP_GROUPS[group]}")
    if objective not in ex.OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; valid: {ex.OBJECTIVES}")
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    eps = tuple(float(e) for e in eps)
    if not eps or any(not (0 < e < 1) for e in eps):
        raise ValueError(f"eps must be a non-empty sequence of radii in (0, 1), got {eps!r}")
    cfg = ex.check_profile(profile)
    matches = [e for e in grid.group(profile, group)
               if e.variant == (variant,) and e.objective == objective]
    if not matches:
        raise ValueError(f"no {objective} model of variant {variant!r} in group {group!r} at "
                         f"profile {profile!r}")
    entry = matches[0]
    mkey = entry.key(profile)
    key = {"what": "ding-eps-sweep", "model": mkey, "eps": list(eps), "n": int(n),
           "steps": cfg["eval_steps"], "step_size": cfg["eval_step_size"], "seed": 0,
           "early_stop": True}

    def compute():
        from ...attacks import pgd
        from ...attacks.base import predict
        from ...training import run_attack

        net, _ = grid.model_of(profile, entry)
        net.eval()
        X, Y = ex.load_split(entry.dataset, "test", entry.variant, int(n))
        adv = []
        for e in eps:
            res = run_attack(net, X, Y, pgd, eps=e, steps=key["steps"],
                             step_size=key["step_size"], box=(0.0, 1.0), seed=0,
                             early_stop=key["early_stop"])
            adv.append(predict(net, res.x_adv).numpy())
        return {"labels": Y.numpy(), "clean": predict(net, X).numpy(), "adv": np.stack(adv)}

    a = cached_arrays(f"sweep-{ex.model_name(mkey)}", key, compute)
    ok = a["clean"] == a["labels"]
    robust = tuple(float(np.mean(ok & (row == a["labels"]))) for row in a["adv"])
    return Sweep(variant, eps, float(np.mean(ok)), robust, int(len(a["labels"])))


def plot_sweep(sweeps: Sequence[Sweep], printed: dict, train_eps: float):
    """Robust accuracy against the evaluation eps (two standard errors as bars; the clean
    accuracy at eps = 0), the printed robust accuracies as horizontal lines, the training eps
    as a vertical line.

    Used on :doc:`/notebooks/ding-edges`.
    """
    fig, ax = plotting.figure(height=4.2)
    names = {"original": "fMNIST", "edges": "efMNIST"}
    markers = {"original": "o", "edges": "s"}
    for i, s in enumerate(sweeps):
        x = (0.0,) + s.eps
        y = (s.clean,) + s.robust
        se = [standard_error(v, s.n) for v in y]
        colour = plotting.series(i)
        ax.plot(x, y, color=colour, linestyle=("-", "--")[i % 2], marker=markers[s.variant],
                label=f"{names[s.variant]}, ours")
        ax.errorbar(x, y, yerr=[2 * v for v in se], color=colour, linestyle="none",
                    capsize=3)
        ax.axhline(printed[s.variant][2] / 100.0, **plotting.line(
            "paper", color=colour, linestyle=(":", "-.")[i % 2]),
            label=f"{names[s.variant]}, the paper (eps not stated)")
    ax.axvline(train_eps, **plotting.line("reference"), label="our training eps")
    ax.set_ylim(0.0, 1.0)
    plotting.label(ax, r"evaluation $\epsilon$ ($\ell_\infty$)", "robust accuracy",
                   legend=False)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    return fig


def plausible_eps(sweeps: dict, printed: dict, floor: float = 0.02) -> list[float]:
    """The evaluation radii at which every model's share of correct-but-broken images lies
    within two standard errors plus ``floor`` of the printed one (printed PGD accuracy minus
    printed robust accuracy).

    Used on :doc:`/notebooks/ding-edges`.

    >>> s = Sweep("edges", (0.1, 0.3), 0.9, (0.89, 0.5), 400)
    >>> plausible_eps({"edges": s}, {"edges": (88.3, 87.2, 86.6)})
    [0.1]
    """
    if not sweeps:
        raise ValueError("plausible_eps needs at least one sweep")
    grids = {tuple(s.eps) for s in sweeps.values()}
    if len(grids) != 1:
        raise ValueError(f"the sweeps use different eps grids: {sorted(grids)}")
    out = []
    for i, e in enumerate(next(iter(grids))):
        ok = True
        for v, s in sweeps.items():
            target = (printed[v][1] - printed[v][2]) / 100.0
            b = s.broken()[i]
            if abs(b - target) > 2 * standard_error(min(max(b, 0.0), 1.0), s.n) + floor:
                ok = False
        if ok:
            out.append(e)
    return out


def largest_class_share(dataset: str, split: str = "test") -> float:
    """The largest share of one class among the images of ``split``: the highest robust
    accuracy any classifier can have at a radius that maps every image to one point (eps >=
    0.5 for images in [0, 1], which can all be moved to the constant image 0.5).

    Used on :doc:`/notebooks/ding-edges`.
    """
    labels = np.asarray(_data.load(dataset, split).labels)
    if labels.size == 0:
        raise ValueError(f"{dataset} {split} has no images")
    return float(np.bincount(labels).max() / labels.size)
