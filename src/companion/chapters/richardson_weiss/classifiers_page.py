"""Table 1 of Richardson & Weiss as printed, and the helpers of the page on classifiers trained
on the symmetric data sets (Section 3, Figures 7, 8, 16-19, Appendices B.3-B.5, C, D.3).

*Adversarial accuracy.* Table 1 prints "clean (adversarial)" accuracies, e.g. "100% (0%)" for
the Bayes-optimal classifier, which the paper shows to be robust. Its attacks have an unlimited
budget (Section 2.4): every point can then be moved into the other class (at worst onto a test
point of that class), so a correct prediction that survives the attack is an attack *failure*.
The number in brackets is therefore the fraction of the evaluated points that were classified
correctly and whose attack failed (:attr:`experiment.Evaluation.adversarial_accuracy`); the
RBF SVM's "100% (4%)" on MNIST 0/6 is 4 % of attacks that did not find the boundary.
:func:`segment_attack` confirms it on our failures: each has an adversarial point at a finite
distance.
"""
from __future__ import annotations

import math
import numpy as np
import torch

from . import experiment as ex
from . import grid

__all__ = ["MODELS", "MODEL_NAMES", "TABLE1", "TABLE1_PAIRS", "pair_label", "parse_cell",
           "printed_cell",
           "table1_entries", "table1_rows", "adversarial_tolerance", "ratio_se",
           "closer_margin", "clopper_pearson_lower", "segment_attack", "declare_data",
           "split_samples", "failure_row", "gamma_rows",
           "example_rows", "histogram_figure"]

#: the classifiers of Table 1, in its column order
MODELS = ("bayes", "cnn", "linear_svm", "rbf_svm")
#: their names in Table 1
MODEL_NAMES = {"bayes": "Bayes-optimal", "cnn": "CNN", "linear_svm": "Linear SVM",
               "rbf_svm": "RBF SVM"}

#: Table 1 of the paper exactly as printed: dataset / attribute -> the four cells
#: "clean (adversarial)" in the order of :data:`MODELS`
TABLE1 = {
    "CelebA / Bangs": ("100% (0%)", "100% (0%)", "100% (0%)", "96% (18%)"),
    "CelebA / Black Hair": ("100% (0%)", "98% (2%)", "100% (0%)", "96% (26%)"),
    "CelebA / Brown Hair": ("100% (0%)", "99% (1%)", "100% (0%)", "86% (16%)"),
    "CelebA / Heavy Makeup": ("100% (0%)", "100% (0%)", "100% (0%)", "96% (14%)"),
    "CelebA / High Cheekbones": ("100% (0%)", "100% (0%)", "100% (0%)", "96% (10%)"),
    "CelebA / Male": ("100% (0%)", "100% (0%)", "100% (0%)", "100% (8%)"),
    "CelebA / Mouth Slightly Open": ("100% (0%)", "100% (0%)", "100% (0%)", "94% (8%)"),
    "CelebA / No Beard": ("100% (0%)", "100% (0%)", "100% (0%)", "94% (10%)"),
    "CelebA / Smiling": ("100% (0%)", "100% (0%)", "100% (0%)", "96% (10%)"),
    "CelebA / Wearing Earrings": ("100% (0%)", "99% (1%)", "100% (0%)", "94% (16%)"),
    "CelebA / Wearing Lipstick": ("100% (0%)", "100% (0%)", "100% (0%)", "92% (18%)"),
    "CelebA / Eyeglasses": ("100% (0%)", "100% (0%)", "100% (0%)", "100% (22%)"),
    "MNIST / 06": ("100% (0%)", "100% (0%)", "100% (0%)", "100% (4%)"),
    "MNIST / 27": ("100% (0%)", "100% (0%)", "100% (0%)", "100% (7%)"),
    "MNIST / 45": ("100% (0%)", "100% (0%)", "100% (0%)", "100% (8%)"),
}
#: the book's pair of each row of Table 1
TABLE1_PAIRS = {row: ("celeba-" + row.split(" / ")[1].replace(" ", "_")
                      if row.startswith("CelebA") else
                      "mnist-{}-{}".format(*row.split(" / ")[1])) for row in TABLE1}


def pair_label(pair) -> str:
    """A pair as the page's tables name it: family and the two class names.

    Used on :doc:`/notebooks/rw-classifiers`.

    Examples
    --------
    >>> pair_label("mnist-0-6"), pair_label("fashion-5-7")
    ('MNIST 0/6', 'Fashion-MNIST Sandal/Sneaker')
    """
    p = ex.check_pair(pair)
    family = {"mnist": "MNIST", "fashion": "Fashion-MNIST", "celeba": "CelebA",
              "cifar": "CIFAR-10"}[p.family]
    if p.family == "celeba":
        return f"{family} {p.attribute.replace('_', ' ')}"
    return f"{family} {p.labels[0]}/{p.labels[1]}"


def parse_cell(cell: str) -> tuple:
    """``(clean, adversarial)`` accuracies, as fractions, of a printed cell ``"96% (18%)"``.

    Used on :doc:`/notebooks/rw-classifiers`.

    Examples
    --------
    >>> parse_cell("96% (18%)")
    (0.96, 0.18)
    """
    text = str(cell).strip()
    head, _, rest = text.partition("(")
    if not rest.endswith(")") or not head.strip().endswith("%") or not rest[:-1].endswith("%"):
        raise ValueError(f"not a Table 1 cell 'clean% (adversarial%)': {cell!r}")
    return (round(float(head.strip()[:-1]) / 100, 6), round(float(rest[:-2]) / 100, 6))


def printed_cell(clean: float, adversarial: float) -> str:
    """A cell in Table 1's format (whole percents), e.g. ``"100% (25%)"``.

    Examples
    --------
    >>> printed_cell(1.0, 0.25)
    '100% (25%)'
    """
    for name, v in (("clean", clean), ("adversarial", adversarial)):
        if not (isinstance(v, (int, float, np.floating)) and 0 <= float(v) <= 1):
            raise ValueError(f"{name} accuracy must be a fraction in [0, 1], got {v!r}")
    return f"{float(clean) * 100:.0f}% ({float(adversarial) * 100:.0f}%)"


def table1_entries(profile: str) -> dict:
    """The grid entries of Table 1 under ``profile``: ``{pair: {kind: Entry}}`` for the
    symmetric data sets the profile builds (Bayes-optimal of the symmetric version with the
    gradient attack, CNN with CW-L2, linear and RBF SVM with the gradient attack).

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    ex.check_profile(profile)
    out: dict = {p: {} for p in grid.SYNTHETIC[profile]}
    for e in grid.group(profile, "bayes"):
        if e.version == "symmetric":
            out[e.pair]["bayes"] = e
    for e in grid.group(profile, "classifiers"):
        out[e.pair][e.kind] = e
    return out


def table1_rows(evals: dict, label=None) -> list:
    """Rows of Table 1 from evaluations ``{pair: {kind: Evaluation}}``: the dataset, and per
    model our cell (:func:`printed_cell`) beside the printed one (``"—"`` where the paper has
    no such row).

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    printed = {pair: row for row, pair in TABLE1_PAIRS.items()}
    rows = []
    for pair, by_kind in evals.items():
        missing = [k for k in MODELS if k not in by_kind]
        if missing:
            raise ValueError(f"pair {pair}: no evaluation for {missing}; need {MODELS}")
        paper = TABLE1.get(printed.get(pair), ("—",) * len(MODELS))
        row = {"data set": label(pair) if label else pair}
        for k, p in zip(MODELS, paper):
            e = by_kind[k]
            row[MODEL_NAMES[k]] = printed_cell(e.accuracy, e.adversarial_accuracy)
            row[f"{MODEL_NAMES[k]}, paper"] = p
        rows.append(row)
    return rows


def adversarial_tolerance(p: float, n: int, floor: float = 0.05) -> float:
    """The tolerance of a comparison of an adversarial accuracy with a printed rate ``p`` on
    ``n`` points: three binomial standard errors at ``p``, and at least ``floor`` (at a printed
    0 % the standard error vanishes; ``floor`` lets a few of 50-100 attacks fail).

    Used on :doc:`/notebooks/rw-classifiers`.

    Examples
    --------
    >>> adversarial_tolerance(0.0, 100)
    0.05
    >>> round(adversarial_tolerance(0.5, 100), 6)
    0.15
    """
    if not (0 <= float(p) <= 1):
        raise ValueError(f"p must be a rate in [0, 1], got {p!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if not (0 <= float(floor) < 1):
        raise ValueError(f"floor must be in [0, 1), got {floor!r}")
    return max(float(floor), 3 * math.sqrt(p * (1 - p) / n))


def _mean_se(v) -> tuple:
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.size < 2 or not np.isfinite(v).all():
        raise ValueError(f"need at least 2 finite values, got {v.size}")
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))


def ratio_se(a, b) -> tuple:
    """``(mean(a) / mean(b), its standard error)`` for two independent samples (delta method:
    relative errors add in quadrature).

    Used on :doc:`/notebooks/rw-classifiers`.

    Examples
    --------
    >>> r, se = ratio_se([2.0, 4.0], [1.0, 3.0])
    >>> r, round(se, 6)
    (1.5, 0.901388)
    """
    ma, sa = _mean_se(a)
    mb, sb = _mean_se(b)
    if ma <= 0 or mb <= 0:
        raise ValueError("both means must be > 0 (L2 norms)")
    r = ma / mb
    return r, r * math.hypot(sa / ma, sb / mb)


def closer_margin(target, near, far) -> tuple:
    """How much closer the mean of ``near`` is to the mean of ``target`` than the mean of
    ``far`` is: ``(|m_far - m_t| - |m_near - m_t|, its standard error)``, the three samples
    independent (delta method; ``m_t`` enters with the difference of the two signs).

    Used on :doc:`/notebooks/rw-classifiers`.

    Examples
    --------
    Means 3.1, 3.5 and 1.1, each with standard error 0.1; the target's error counts twice, as
    the two distances move in opposite directions with it:

    >>> d, se = closer_margin([3.0, 3.2], [3.4, 3.6], [1.0, 1.2])
    >>> round(d, 6), round(se, 6)
    (1.6, 0.244949)
    """
    mt, st = _mean_se(target)
    mn, sn = _mean_se(near)
    mf, sf = _mean_se(far)
    s_near, s_far = np.sign(mn - mt), np.sign(mf - mt)
    d = abs(mf - mt) - abs(mn - mt)
    return d, math.sqrt(sf ** 2 + sn ** 2 + (st * (s_far - s_near)) ** 2)


def clopper_pearson_lower(k: int, n: int, alpha: float = 0.05) -> float:
    """The one-sided ``1 - alpha`` Clopper-Pearson lower bound of a rate of ``k`` in ``n``.

    Used on :doc:`/notebooks/rw-classifiers`.

    Examples
    --------
    >>> round(clopper_pearson_lower(100, 100), 6)    # alpha ** (1 / n) when k = n
    0.970487
    >>> clopper_pearson_lower(0, 10)
    0.0
    """
    from scipy.stats import beta

    for name, v in (("k", k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {v!r}")
    if n < 1 or k > n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return 0.0 if k == 0 else float(beta.ppf(alpha, k, n - k + 1))


def segment_attack(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor,
                   pool: torch.Tensor, bisect_steps: int = 30) -> tuple:
    """An attack that cannot fail: move each point along the segment to the nearest point of
    ``pool`` that ``model`` assigns to another class, and bisect for the crossing.

    Used on :doc:`/notebooks/rw-classifiers`.

    With an unlimited budget every point of a classifier that predicts both classes has an
    adversarial point at a finite distance; this finds one (an upper bound on the distance to
    the decision boundary, not the nearest boundary point).

    Parameters
    ----------
    model : torch.nn.Module
        A two-class classifier returning logits ``(B, 2)``.
    x : torch.Tensor
        ``(B, ...)`` points.
    labels : torch.Tensor
        ``(B,)`` the class each point must leave.
    pool : torch.Tensor
        ``(M, ...)`` candidate end points (e.g. test points).
    bisect_steps : int
        Halvings of the segment (``>= 1``).

    Returns
    -------
    tuple
        ``(norms, success, x_adv)``: L2 norms (float64, ``nan`` where no pool point is on the
        other side), success flags, the adversarial points shaped like ``x``.
    """
    if isinstance(bisect_steps, bool) or not isinstance(bisect_steps, int) or bisect_steps < 1:
        raise ValueError(f"bisect_steps must be an integer >= 1, got {bisect_steps!r}")
    if len(x) != len(labels):
        raise ValueError(f"x has {len(x)} points, labels {len(labels)}")
    if pool.shape[1:] != x.shape[1:]:
        raise ValueError(f"pool points have shape {tuple(pool.shape[1:])}, x {tuple(x.shape[1:])}")
    tensors = list(model.parameters()) + list(model.buffers())
    dtype = tensors[0].dtype if tensors else torch.float64
    labels = labels.long()

    def pred(z):
        with torch.no_grad():
            return model(z.to(dtype)).argmax(1)

    pool_pred = pred(pool)
    flat_x, flat_p = x.reshape(len(x), -1).double(), pool.reshape(len(pool), -1).double()
    dist = torch.cdist(flat_x, flat_p)
    dist[labels[:, None] == pool_pred[None, :]] = math.inf
    best = dist.argmin(1)
    ok = torch.isfinite(dist[torch.arange(len(x)), best])
    lo, hi = flat_x.clone(), flat_p[best].clone()
    shape = (-1,) + tuple(x.shape[1:])
    for _ in range(bisect_steps):
        mid = (lo + hi) / 2
        over = (pred(mid.reshape(shape)) != labels)[:, None]
        hi = torch.where(over, mid, hi)
        lo = torch.where(over, lo, mid)
    success = ok & (pred(hi.reshape(shape)) != labels)
    norms = torch.where(success, (hi - flat_x).norm(dim=1),
                        torch.full((len(x),), math.nan, dtype=torch.float64))
    return norms.numpy(), success.numpy(), hi.reshape(x.shape)


def declare_data(rec, profile: str, pairs) -> None:
    """Declare in a records session the real images the class models of ``pairs`` were fitted
    to (one entry per dataset) and the symmetric samples drawn from them.

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    from ... import data

    for name in dict.fromkeys(ex.dataset_of(profile, p) for p in pairs):
        data.load(name, "train").declare(rec)
    rec.use_data("samples of the symmetric MFA models", "drawn by the book from the class "
                 "models fitted to the images above (companion.chapters.richardson_weiss)",
                 "the paper's synthetic data sets are not published; ours are rebuilt offline")


def split_samples(profile: str, pair, split: str = "test") -> tuple:
    """The seeded symmetric samples ``(X, y)`` of a pair's ``split`` (``"train"``: what the
    classifiers learn from; ``"test"``: what they are attacked on), as
    :func:`experiment.samples` draws them.

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    return ex.samples(profile, pair, "symmetric", split)


def failure_row(profile: str, pair, evaluation) -> tuple:
    """The RBF SVM's failed attacks on a pair: rerun the gradient attack of ``evaluation``
    (its settings from the profile), then break each failure with :func:`segment_attack`
    towards the test samples.

    Used on :doc:`/notebooks/rw-classifiers`.

    Returns
    -------
    tuple
        ``(row, reproduced)``: the table row (failures, how many are of the class of the SVM's
        intercept, how many used every step, how many the segment attack breaks, its mean L2,
        the gradient attack's mean L2, the mean over every correct point with the failures at
        their segment distances) and whether the rerun gives the cached successes.
    """
    from ...models.svm import svm_gradient_attack

    if evaluation.key.get("classifier", {}).get("kernel") != "rbf":
        raise ValueError("failure_row needs an evaluation of an RBF SVM")
    svm, _ = ex.classifier(profile, pair, "rbf_svm")
    x, y = split_samples(profile, pair, "test")
    n, g = evaluation.n, ex.check_profile(profile)["gradient"]
    res = svm_gradient_attack(svm, x[:n], y[:n], step_size=g["step_size"],
                              max_steps=g["max_steps"], bisect_steps=g["bisect_steps"])
    a = evaluation.arrays
    reproduced = bool((res.success.numpy() == a["success"]).all())
    failed = a["correct"] & ~a["success"]
    norms, ok, _ = segment_attack(svm, x[:n][failed], y[:n][failed], x)
    far = int(svm.intercept > 0)                # the class of f = b, far from the data
    done = np.concatenate([evaluation.l2, norms[ok]])
    row = {"failed": int(failed.sum()),
           "in the intercept's class": int((y[:n][failed] == far).sum()),
           "out of steps": int((res.info["steps"].numpy()[failed] == g["max_steps"]).sum()),
           "segment succeeds": int(ok.sum()),
           "segment L2": float(np.nanmean(norms)) if ok.any() else math.nan,
           "gradient L2": evaluation.mean_l2, "L2, completed": float(done.mean())}
    return row, reproduced


def gamma_rows(info: dict) -> list:
    """The RBF SVM's gamma search (Appendix B.5) as table rows: gamma, its factor over the
    smallest candidate (scikit-learn's ``"scale"``), validation accuracy, whether it reaches
    the threshold, whether it was chosen (:func:`companion.models.svm.gamma_search`).

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    for k in ("search_gammas", "search_accuracies", "search_threshold"):
        if k not in info:
            raise ValueError(f"not an RBF SVM's info: no {k!r}; has {sorted(info)}")
    g = np.asarray(info["search_gammas"], dtype=np.float64)
    acc = np.asarray(info["search_accuracies"], dtype=np.float64)
    thr = float(info["search_threshold"])
    high = acc >= thr - 1e-12
    chosen = int(np.flatnonzero(high).max())
    return [{"gamma": float(gi), "factor": float(gi / g[0]), "validation accuracy": float(a),
             "high": "yes" if h else "no", "chosen": "◀" if i == chosen else ""}
            for i, (gi, a, h) in enumerate(zip(g, acc, high))]


def example_rows(evals: dict, n: int = 8, magnify: float = 3.0) -> dict:
    """The rows of Figures 8 and 16-19: the originals (shared by every model: the first test
    points), then per model its adversarial points and its perturbations shown as
    ``0.5 + magnify * delta`` (grey is no change).

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    if not (magnify > 0):
        raise ValueError(f"magnify must be > 0, got {magnify!r}")
    first = evals[MODELS[0]].arrays["x_show"][:n]
    rows = {"original": first}
    for k in MODELS:
        a = evals[k].arrays
        if not np.allclose(a["x_show"][:n], first, atol=1e-5):
            raise ValueError(f"{k} was evaluated on other points than {MODELS[0]}")
        rows[f"{MODEL_NAMES[k]}: adversarial"] = a["adv_show"][:n]
        rows[f"{MODEL_NAMES[k]}: change x{magnify:g}"] = 0.5 + magnify * (a["adv_show"][:n]
                                                                          - first)
    return rows


def histogram_figure(evals: dict, levels: int = 60):
    """Per-pixel change histograms (Figures 8, 16-19): one panel per model, counts of the
    changes of the fooled points in grey levels ``k / 255`` (log scale, ``|k| <= levels``),
    the mean L2 in the panel title as in the paper. Returns the figure.

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    from ... import plotting

    centres = np.rint((ex.HIST_EDGES[:-1] + ex.HIST_EDGES[1:]) / 2 * 255).astype(int)
    keep = np.abs(centres) <= levels
    fig, axes = plotting.figure(ncols=2, nrows=2, sharex=True)
    for i, (k, ax) in enumerate(zip(MODELS, axes.flat)):
        e = evals[k]
        h = e.arrays["hist"].astype(float)
        ax.step(centres[keep], np.where(h[keep] > 0, h[keep], np.nan), where="mid",
                color=plotting.series(i))
        ax.axvspan(-5, 5, color=plotting.ROLES["reference"]["color"], alpha=0.15)
        ax.set_yscale("log")
        plotting.label(ax, "change (grey levels of 1/255)" if i >= 2 else " ", "pixels",
                       title=f"{MODEL_NAMES[k]}: mean L2 {e.mean_l2:.2f}")
    return fig

