"""Figures 9-12 and Tables 2-3 of Richardson & Weiss: bigger CNNs, TRADES, real data.

The helpers of two pages: the CNN variants of Figure 9 (deeper, wider, more training samples,
longer training) and the TRADES models of Figure 10 against the Bayes-optimal classifier and
the RBF SVM (all trained on symmetric samples), and the classifiers trained and tested on
real images of Section 3.1 (Tables 2 and 3, Figures 11 and 12). The values the paper prints
(CelebA only: a download) are kept here beside ours.

Every evaluation comes from :mod:`companion.chapters.richardson_weiss.grid` (cached tasks)
except a few small ones this module adds (:data:`EXTRA_EPOCHS`, :data:`REAL_PAIRS` beyond the
grid's), which are trained and evaluated once by :func:`companion.chapters.richardson_weiss.
experiment.evaluate` and then cached like the rest.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
from matplotlib.ticker import MultipleLocator

from ... import data as _data
from ... import plotting
from ...attacks import carlini_wagner_l2
from . import experiment as ex
from . import grid

__all__ = ["TABLE2_PRINTED", "TABLE3_PRINTED", "REAL_PAIRS", "EXTRA_EPOCHS", "Summary",
           "summarize", "difference", "mean_drop", "paper_table3_drop", "printed_cell",
           "table2_sums",
           "declare_data", "capacity_rows", "trades_rows", "references", "real_rows",
           "table3_rows", "chosen_gamma",
           "rerun_cw", "median_with_failures", "half_subspace_distances", "plot_figure9",
           "plot_figure10", "plot_real"]

#: Table 2 of the paper (real CelebA images): attribute -> model -> (clean, adversarial) in %
TABLE2_PRINTED = {
    "Male": {"cnn": (94.7, 5.30), "linear_svm": (89.7, 10.3), "rbf_svm": (89.7, 11.3)},
    "Smiling": {"cnn": (88.0, 12.0), "linear_svm": (88.3, 11.7), "rbf_svm": (84.3, 16.3)},
    "Bangs": {"cnn": (94.0, 6.00), "linear_svm": (87.0, 13.0), "rbf_svm": (93.7, 24.7)},
    "Heavy_Makeup": {"cnn": (86.0, 14.0), "linear_svm": (83.7, 16.3),
                     "rbf_svm": (85.7, 20.7)},
    "Eyeglasses": {"cnn": (100.0, 0.00), "linear_svm": (93.7, 6.33), "rbf_svm": (96.3, 32.3)},
}
#: Table 3 of the paper: attribute -> (CNN trained on real images, CNN trained on symmetric
#: samples), accuracy on real test images in %
TABLE3_PRINTED = {"Male": (92.3, 88.0), "Smiling": (89.5, 85.6), "Bangs": (94.3, 90.4),
                  "Heavy_Makeup": (86.3, 79.9), "Eyeglasses": (98.4, 91.7)}
#: pairs trained and tested on real images per profile: the grid's, plus a Fashion-MNIST pair
#: at ``ci`` (trained by the page the first time, a few seconds)
REAL_PAIRS = {"ci": ("mnist-0-6", "fashion-0-6"),
              "paper": grid.REAL["paper"]["pairs"]}
#: Figure 9's "longer training": the profile's CNN trained for this many times its epochs
#: (the grid has no epoch variant; trained by the page the first time)
EXTRA_EPOCHS = 2

_KINDS = ("cnn", "linear_svm", "rbf_svm")


@dataclass(frozen=True)
class Summary:
    """What a page reports of one evaluation: clean accuracy, adversarial accuracy, the mean
    L2 of the successful attacks on correctly classified points and its standard error, the
    number of such points and the share of correct points whose attack failed."""

    accuracy: float
    adversarial_accuracy: Optional[float]
    mean_l2: float
    se_l2: float
    n: int
    n_fooled: int
    failed: float

    @property
    def acc_se(self) -> float:
        """Binomial standard error of the clean accuracy."""
        p = self.accuracy
        return math.sqrt(max(p * (1 - p), 0.0) / self.n)


def summarize(ev: ex.Evaluation) -> Summary:
    """The :class:`Summary` of an evaluation (``mean_l2`` NaN for a clean-only one)."""
    if not isinstance(ev, ex.Evaluation):
        raise TypeError(f"expected an Evaluation, got {type(ev).__name__}")
    if not ev.attacked:
        return Summary(ev.accuracy, None, math.nan, math.nan, ev.n, 0, math.nan)
    v = ev.l2
    se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan
    correct = int(ev.arrays["correct"].sum())
    failed = float((correct - v.size) / correct) if correct else math.nan
    return Summary(ev.accuracy, ev.adversarial_accuracy, ev.mean_l2, se, ev.n, int(v.size),
                   failed)


def difference(a: Summary, b: Summary) -> tuple:
    """``(a.mean_l2 - b.mean_l2, its standard error)``, the two means treated as independent.

    Used on :doc:`/notebooks/rw-cnn-trades`, :doc:`/notebooks/rw-real-data`.
    """
    for s in (a, b):
        if not isinstance(s, Summary) or math.isnan(s.mean_l2):
            raise ValueError(f"need two attacked Summary objects, got {s!r}")
    return a.mean_l2 - b.mean_l2, math.hypot(a.se_l2, b.se_l2)


def mean_drop(real_acc: Sequence[float], sym_acc: Sequence[float]) -> float:
    """Mean of ``real - symmetric`` accuracies (Table 3's "average accuracy reduction").

    Used on :doc:`/notebooks/rw-real-data`.
    """
    a, b = np.asarray(real_acc, float), np.asarray(sym_acc, float)
    if a.shape != b.shape or a.ndim != 1 or a.size == 0:
        raise ValueError(f"need two equal, non-empty 1-D sequences, got shapes {a.shape} and "
                         f"{b.shape}")
    return float(np.mean(a - b))


def paper_table3_drop() -> float:
    """The mean drop of the printed Table 3, in percentage points (the paper: "just 5%").

    Used on :doc:`/notebooks/rw-real-data`.
    """
    real, sym = zip(*TABLE3_PRINTED.values())
    return mean_drop(real, sym)


def printed_cell(clean: float, adversarial: float) -> str:
    """A Table 2 cell as the paper prints it: ``"94.7% (5.30%)"`` (three significant digits).

    Used on :doc:`/notebooks/rw-real-data`.
    """
    def three(v: float) -> str:
        if not (math.isfinite(v) and 0 <= v <= 100):
            raise ValueError(f"a printed percentage must be in [0, 100], got {v!r}")
        return f"{v:.2f}" if v < 10 else f"{v:.1f}"
    return f"{three(clean)}% ({three(adversarial)}%)"


def table2_sums() -> dict:
    """``clean + bracketed`` of every cell of the printed Table 2, per model: a list over the
    attributes, in percent (100 means the bracket is exactly the clean error).

    Used on :doc:`/notebooks/rw-real-data`.
    """
    return {k: [round(sum(row[k]), 2) for row in TABLE2_PRINTED.values()] for k in _KINDS}


def declare_data(rec, profile: str, families: Sequence[str]) -> None:
    """Declare the offline datasets of ``families`` (``"mnist"``, ``"fashion"``) in ``rec``.

    Used on :doc:`/notebooks/rw-cnn-trades`, :doc:`/notebooks/rw-real-data`.
    """
    ex.check_profile(profile)
    for f in families:
        if f not in ("mnist", "fashion"):
            raise ValueError(f"family {f!r}: valid offline families are 'mnist', 'fashion'")
        name = ex.dataset_of(profile, f"{f}-0-6")
        for split in ("train", "test"):
            _data.load(name, split).declare(rec)


def _entry(pair, **kw) -> grid.Entry:
    return grid.Entry(pair, "cnn", **kw)


def capacity_rows(profile: str) -> list:
    """Figure 9's CNNs: the profile's CNN and each variant of the ``capacity`` group plus the
    longer-trained one, as dicts (``variant``, ``what``, ``value``, ``summary``).

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    cfg = ex.check_profile(profile)
    c = cfg["cnn"]
    base_pair = grid.CAPACITY[profile]["pairs"][0]
    rows = [{"pair": base_pair, "variant": "baseline", "what": "baseline",
             "value": f"depth {c['depth']}, width {c['width']}, {c['epochs']} epochs, "
                      f"{cfg['n_train']:,} samples",
             "summary": summarize(grid.evaluation(profile, _entry(base_pair)))}]
    for e in grid.group(profile, "capacity"):
        for what in ("depth", "width", "n"):
            v = getattr(e, what)
            if v is not None:
                label = {"depth": "depth", "width": "width", "n": "samples"}[what]
                rows.append({"pair": e.pair, "variant": f"{label} {v:,}", "what": label,
                             "value": v, "summary": summarize(grid.evaluation(profile, e))})
    ep = c["epochs"] * EXTRA_EPOCHS
    ev = ex.evaluate(profile, base_pair, "cnn", epochs=ep)
    rows.append({"pair": base_pair, "variant": f"epochs {ep}", "what": "epochs", "value": ep,
                 "summary": summarize(ev)})
    return rows


def trades_rows(profile: str) -> list:
    """Figure 10's CNNs: standard training (``beta`` None) and TRADES at each beta of the
    ``trades`` group, as dicts (``pair``, ``beta``, ``summary``).

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    ex.check_profile(profile)
    out = []
    for pair in grid.TRADES[profile]["pairs"]:
        out.append({"pair": pair, "beta": None,
                    "summary": summarize(grid.evaluation(profile, _entry(pair)))})
    for e in grid.group(profile, "trades"):
        out.append({"pair": e.pair, "beta": e.beta,
                    "summary": summarize(grid.evaluation(profile, e))})
    return out


def references(profile: str, pair: str) -> dict:
    """The models Figures 9 and 10 compare against on ``pair`` (symmetric samples):
    ``bayes`` (gradient attack, the paper's dashed lines), ``bayes_cw`` (CW-L2 on the same
    points as the CNNs, where the grid has it, else None), ``rbf_svm`` (gradient attack).

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    ex.check_profile(profile)
    if pair not in grid.SYNTHETIC[profile]:
        raise ValueError(f"pair {pair!r} has no symmetric data at {profile}; valid: "
                         f"{grid.SYNTHETIC[profile]}")
    out = {"bayes": summarize(grid.evaluation(profile, grid.Entry(pair, "bayes"))),
           "rbf_svm": summarize(grid.evaluation(profile, grid.Entry(pair, "rbf_svm"))),
           "bayes_cw": None}
    if pair in grid.CW_CHECK[profile]:
        out["bayes_cw"] = summarize(grid.evaluation(profile,
                                                    grid.Entry(pair, "bayes", attack="cw")))
    return out


def real_rows(profile: str, pairs: Optional[Sequence[str]] = None) -> list:
    """Section 3.1: per pair and model trained on real images, the :class:`Summary` on real
    test images (CNN with CW-L2, SVMs with the gradient attack), as dicts.

    Used on :doc:`/notebooks/rw-real-data`.
    """
    ex.check_profile(profile)
    pairs = REAL_PAIRS[profile] if pairs is None else tuple(pairs)
    for p in pairs:
        ex.check_pair(p)
    return [{"pair": p, "kind": k,
             "summary": summarize(ex.evaluate(profile, p, k, train="real"))}
            for p in pairs for k in _KINDS]


def table3_rows(profile: str, pairs: Optional[Sequence[str]] = None) -> list:
    """Table 3: per pair, the clean accuracy on the same real test images of the CNN trained
    on real images and of the CNN trained on symmetric samples, as dicts (``pair``,
    ``real``, ``symmetric``: :class:`Summary`).

    Used on :doc:`/notebooks/rw-real-data`.
    """
    ex.check_profile(profile)
    pairs = grid.REAL[profile]["table3"] if pairs is None else tuple(pairs)
    out = []
    for p in pairs:
        r = ex.evaluate(profile, p, "cnn", train="real", test="real", attack=None)
        s = ex.evaluate(profile, p, "cnn", train="symmetric", test="real", attack=None)
        if not np.array_equal(r.arrays["labels"], s.arrays["labels"]):
            raise RuntimeError(f"{p}: the two evaluations are not on the same test images")
        out.append({"pair": p, "real": summarize(r), "symmetric": summarize(s),
                    "real_correct": np.asarray(r.arrays["correct"], bool),
                    "sym_correct": np.asarray(s.arrays["correct"], bool)})
    return out


def chosen_gamma(profile: str, pair: str, train: str = "real") -> tuple:
    """``(gamma, default)``: the RBF SVM's coefficient from the search of Appendix B.5 and
    the grid's first candidate, scikit-learn's ``1 / (d Var x)`` of the search's fit half.

    Used on :doc:`/notebooks/rw-real-data`.
    """
    model, info = ex.classifier(profile, pair, "rbf_svm", train=train)
    return float(model.gamma), float(np.min(info["search_gammas"]))


def rerun_cw(profile: str, pair: str, kind: str, n: int, steps: int,
             lr: Optional[float] = None) -> np.ndarray:
    """CW-L2 again on the first ``n`` test points of the grid's CW evaluation of ``kind``
    (``"cnn"``: the profile's CNN; ``"bayes"``: the Bayes-optimal classifier of the
    ``cw_check`` group) on ``pair``'s symmetric samples, with ``steps`` iterations (and ``lr``;
    default the evaluation's), everything else as the evaluation; returns the L2 norms of the
    successful attacks on correctly classified points (not cached: for exercises, a few
    seconds at small ``n``).

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    if kind not in ("cnn", "bayes"):
        raise ValueError(f"kind={kind!r}: valid kinds are 'cnn', 'bayes'")
    entry = grid.Entry(pair, kind, attack="cw") if kind == "bayes" else grid.Entry(pair, kind)
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    ekey = entry.eval_key(profile)
    a = ekey["attack"]
    if a is None or a["name"] != "cw":
        raise ValueError(f"{kind} on {pair} is not evaluated with CW-L2")  # pragma: no cover
    store = ex.CacheStore()
    model, _ = ex._classifier_of_key(ekey["classifier"], store)
    model.eval()
    x, y = ex._test_data(ekey, store)
    x, y = x[:n], y[:n]
    x = x.float() if isinstance(model, ex.CleverHansCNN) else x.double()
    with torch.no_grad():
        correct = (ex.predict(model, x) == y).numpy()
    res = carlini_wagner_l2(model, x, y, steps=int(steps),
                            binary_search_steps=a["binary_search_steps"],
                            lr=a["lr"] if lr is None else float(lr),
                            initial_const=a["initial_const"], confidence=a["confidence"],
                            box=None if a["box"] is None else tuple(a["box"]))
    ok = correct & res.success.numpy()
    d = (res.x_adv.reshape(x.shape).double() - x.double()).reshape(len(x), -1)
    return np.linalg.norm(d.numpy(), axis=1)[ok]


def median_with_failures(profile: str, pair: str, kind: str) -> float:
    """Median perturbation of the grid's evaluation of ``kind`` (trained on symmetric samples)
    on ``pair`` over the correctly classified points, a failed attack counted as infinite.

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    if kind not in ex.CLASSIFIERS:
        raise ValueError(f"kind={kind!r}: valid kinds are {ex.CLASSIFIERS}")
    a = grid.evaluation(profile, grid.Entry(pair, kind)).arrays
    v = np.where(a["success"], a["norms"], np.inf)[a["correct"]]
    return float(np.median(v)) if v.size else math.nan


def half_subspace_distances(profile: str, pair: str, n: int) -> np.ndarray:
    """Half the distance from each of the first ``n`` symmetric test samples of ``pair`` to the
    nearest component subspace of the *other* class (Theorem 2's scale of the optimal
    perturbation).

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    m = ex.models(profile, pair, "symmetric")
    x, y = ex.samples(profile, pair, "symmetric", "test")
    x = np.asarray(x[:n], np.float64).reshape(min(n, len(x)), -1)
    y = np.asarray(y[:n])
    d0 = ex.subspace_distances(m[0], x).min(axis=1)
    d1 = ex.subspace_distances(m[1], x).min(axis=1)
    return np.where(y == 0, d1, d0) / 2


def _bar(ax, i, s: Summary, color, hatch=None, label=None):
    ax.bar(i, s.mean_l2, yerr=2 * s.se_l2, color=color, hatch=hatch, edgecolor="black",
           linewidth=0.6, label=label)


def plot_figure9(rows: list, refs: dict):
    """Figure 9 redone: mean L2 of each CNN (bars, two standard errors) with the Bayes-optimal
    classifier's (dashed: gradient attack; dotted: CW-L2) across.

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    fig, ax = plotting.figure(width=plotting.MAX_WIDTH, height=3.4)
    for i, r in enumerate(rows):
        _bar(ax, i, r["summary"], plotting.series(i))
    ax.axhline(refs["bayes"].mean_l2, label="Bayes-optimal (gradient attack)",
               **plotting.line("exact", linestyle="--"))
    if refs["bayes_cw"] is not None:
        ax.axhline(refs["bayes_cw"].mean_l2, label="Bayes-optimal (CW-L2)",
                   **plotting.line("reference", linestyle=":"))
    ax.set_xticks(range(len(rows)), [r["variant"] for r in rows])
    ax.set_ylim(0, None)
    plotting.label(ax, "CNN variant", "mean L2 of CW-L2", legend=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return fig


def plot_figure10(trades: list, refs: dict, offset: float = 0.005):
    """Figure 10 redone: clean accuracy against mean L2 for standard and TRADES CNNs, the
    Bayes-optimal classifier and the RBF SVM (two standard errors both ways); the ``i``-th
    model is drawn ``i * offset`` lower so that equal accuracies do not hide each other.

    Used on :doc:`/notebooks/rw-cnn-trades`.
    """
    fig, ax = plotting.figure(width=plotting.MAX_WIDTH, height=3.4)
    markers = ("o", "s", "^", "v", "D", "P")
    pts = []
    for i, t in enumerate(trades):
        name = "CNN, standard" if t["beta"] is None else f"CNN, TRADES $\\beta$ = {t['beta']:g}"
        pts.append((t["summary"], name, markers[i % len(markers)], 6))
    pts += [(refs["bayes"], "Bayes-optimal (gradient attack)", "*", 11),
            (refs["rbf_svm"], "RBF SVM (gradient attack)", "X", 9)]
    for i, (s, name, m, size) in enumerate(pts):
        ax.errorbar(s.mean_l2, s.accuracy - i * offset, xerr=2 * s.se_l2, yerr=2 * s.acc_se,
                    marker=m, markersize=size, color=plotting.series(i), linestyle="none",
                    label=name)
    ax.axvline(refs["bayes"].mean_l2, **plotting.line("exact", linestyle="--"))
    low = min(s.accuracy for s, *_ in pts)
    ax.set_ylim(min(0.8, low - 0.05), 1.0 + offset * 2)
    ax.yaxis.set_major_locator(MultipleLocator(0.05))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlim(0, None)
    plotting.label(ax, "mean L2 of the attack", "clean accuracy", legend=False)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def plot_real(rows: list):
    """Figures 11-12 redone on our pairs: mean L2 per model trained on real images (bars, two
    standard errors), one group per pair.

    Used on :doc:`/notebooks/rw-real-data`.
    """
    fig, ax = plotting.figure(width=plotting.MAX_WIDTH * 0.8, height=3.2)
    pairs = list(dict.fromkeys(r["pair"] for r in rows))
    hatches = {"cnn": None, "linear_svm": "//", "rbf_svm": ".."}
    names = {"cnn": "CNN (CW-L2)", "linear_svm": "linear SVM (gradient)",
             "rbf_svm": "RBF SVM (gradient)"}
    for r in rows:
        j, k = pairs.index(r["pair"]), _KINDS.index(r["kind"])
        _bar(ax, 4 * j + k, r["summary"], plotting.series(k), hatches[r["kind"]],
             names[r["kind"]] if j == 0 else None)
    ax.set_xticks([4 * j + 1 for j in range(len(pairs))], pairs)
    ax.set_ylim(0, None)
    plotting.label(ax, "pair (real images)", "mean L2 of the attack", legend=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    return fig
