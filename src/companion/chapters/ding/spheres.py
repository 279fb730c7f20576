r"""The concentric-spheres experiment of Appendix D.2.2 (Figure 6's intuition), as a task.

ReLU networks with one hidden layer of growing width are trained on the two concentric spheres
of :mod:`companion.spheres` (radii 1 and :math:`1 + g`, :math:`\mathbb{R}^n`), normally and with
l2 PGD adversarial training at radius :math:`r = g \cdot` ``radius_fraction``, for a few gaps
:math:`g`; each is evaluated on fresh points of the spheres: clean accuracy and robust accuracy
under l2 PGD at the same radius (no box: the inputs are not images). The paper prints no numbers
for this experiment; its argument is the ordering the page checks: as the gap shrinks, clean
accuracy needs more width, and robust accuracy more still.

The whole sweep is one cached arrays task (:func:`declare_tasks`, :func:`sweep_task`) whose key
(:func:`sweep_key`) is the one :func:`sweep` computes when the page asks for it, so ``python -m
companion train`` fills the file the page loads. At ``ci`` it takes about 25 s on one thread.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ... import plotting
from ... import spheres as _sp
from ...artifacts import cached_arrays
from ...attacks import pgd
from ...certified.models import mlp
from ...tasks import Task, Work
from ...training import PGDObjective, TrainConfig, accuracy, robust_accuracy, train

__all__ = ["SETTINGS", "OBJECTIVES", "NAME", "NOTEBOOKS", "sweep_key", "compute_sweep",
           "sweep_task", "Sweep", "sweep", "declare_tasks", "FIGURE6", "figure6_polygons",
           "plot_figure6", "plot_min_facets", "plot_sweep", "theorem_d1_examples",
           "first_contradiction"]

#: the artifact (and task) name of the sweep
NAME = "ding-spheres-sweep"
#: the pages that load it
NOTEBOOKS = ("ding-capacity",)
#: training objectives, in the order of the arrays' first axis
OBJECTIVES = ("standard", "pgd")

#: What each profile trains. ``ci`` is sized for one CPU thread (about 25 s in all); ``paper``
#: is a larger version of the same sweep (the paper gives no settings for this experiment).
SETTINGS = {
    "ci": {"n": 10, "train_per_sphere": 2_000, "test_per_sphere": 1_000,
           "gaps": [0.4, 0.2, 0.1], "radius_fraction": 0.25, "widths": [4, 16, 64, 256],
           "epochs": 20, "batch": 200, "lr": 1e-2, "train_steps": 5, "eval_steps": 40,
           "seed": 0},
    "paper": {"n": 100, "train_per_sphere": 50_000, "test_per_sphere": 10_000,
              "gaps": [0.4, 0.2, 0.1, 0.05], "radius_fraction": 0.25,
              "widths": [4, 16, 64, 256, 1024, 4096], "epochs": 50, "batch": 200, "lr": 1e-3,
              "train_steps": 10, "eval_steps": 100, "seed": 0},
}


def _check_profile(profile: str) -> dict:
    if profile not in SETTINGS:
        raise ValueError(f"unknown profile {profile!r}; valid: {sorted(SETTINGS)}")
    return SETTINGS[profile]


def sweep_key(profile: str) -> dict:
    """The cache key of the sweep under ``profile``: every setting that determines it.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    dict
    """
    cfg = _check_profile(profile)
    return {"what": "ding-spheres-sweep", "model": "mlp-1-hidden-relu",
            "objectives": list(OBJECTIVES), **{k: (list(v) if isinstance(v, (list, tuple))
                                                   else v) for k, v in cfg.items()}}


def _radius(key: dict, gap: float) -> float:
    return float(gap) * key["radius_fraction"]


def compute_sweep(key: dict) -> dict:
    """Train and evaluate every network of the sweep ``key`` (see :func:`sweep_key`).

    Returns the arrays ``gaps``, ``widths``, ``radii`` and, of shape ``(objective, gap,
    width)``, ``clean`` and ``robust`` (test accuracies), ``train_clean`` (accuracy on the
    training points) and ``seconds`` (training time).
    """
    gaps, widths = list(key["gaps"]), list(key["widths"])
    shape = (len(OBJECTIVES), len(gaps), len(widths))
    out = {name: np.zeros(shape) for name in ("clean", "robust", "train_clean", "seconds")}
    for gi, gap in enumerate(gaps):
        # the same directions at every gap (seeded alike): only the gap differs
        X, y = _sp.sample_spheres(key["n"], key["train_per_sphere"], gap, key["seed"] + 1)
        Xt, yt = _sp.sample_spheres(key["n"], key["test_per_sphere"], gap, key["seed"] + 2)
        X, y, Xt, yt = (torch.as_tensor(a) for a in (X, y, Xt, yt))
        r = _radius(key, gap)
        for wi, width in enumerate(widths):
            for oi, objective in enumerate(OBJECTIVES):
                torch.manual_seed(key["seed"])
                net = mlp([key["n"], int(width), 2])
                obj = None
                if objective == "pgd":
                    obj = PGDObjective(eps=r, norm="l2", steps=key["train_steps"], box=None)
                cfg = TrainConfig(epochs=key["epochs"], batch_size=key["batch"], lr=key["lr"],
                                  seed=key["seed"], progress=False)
                t0 = time.perf_counter()
                train(net, X, y, cfg, obj)
                out["seconds"][oi, gi, wi] = time.perf_counter() - t0
                out["clean"][oi, gi, wi] = accuracy(net, Xt, yt)
                out["train_clean"][oi, gi, wi] = accuracy(net, X, y)
                out["robust"][oi, gi, wi] = robust_accuracy(
                    net, Xt, yt, pgd, eps=r, norm="l2", steps=key["eval_steps"], box=None,
                    seed=key["seed"])
    out.update(gaps=np.asarray(gaps, dtype=float), widths=np.asarray(widths, dtype=np.int64),
               radii=np.asarray([_radius(key, g) for g in gaps]))
    return out


def sweep_task(ctx) -> dict:
    """The task: :func:`compute_sweep` of ``ctx.key``."""
    return compute_sweep(ctx.key)


@dataclass(frozen=True)
class Sweep:
    """The sweep's results, with the readings the page's criteria use.

    ``arrays`` as :func:`compute_sweep` returns them; ``n_test`` points per evaluation (both
    spheres).
    """

    key: dict
    arrays: dict

    @property
    def gaps(self) -> list[float]:
        """The gaps, largest first."""
        return [float(g) for g in self.arrays["gaps"]]

    @property
    def widths(self) -> list[int]:
        """The hidden widths."""
        return [int(w) for w in self.arrays["widths"]]

    @property
    def radii(self) -> list[float]:
        """The robust radius at each gap."""
        return [float(r) for r in self.arrays["radii"]]

    @property
    def n_test(self) -> int:
        """Test points per evaluation (both spheres)."""
        return 2 * int(self.key["test_per_sphere"])

    def rate(self, metric: str, objective: str) -> np.ndarray:
        """``(gap, width)`` array of ``metric`` (``"clean"``, ``"robust"``, ``"train_clean"``)
        for the networks trained with ``objective``."""
        if metric not in ("clean", "robust", "train_clean"):
            raise ValueError(f"unknown metric {metric!r}; valid: 'clean', 'robust', "
                             "'train_clean'")
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}; valid: {OBJECTIVES}")
        return np.asarray(self.arrays[metric][OBJECTIVES.index(objective)], dtype=float)

    def smallest_width(self, metric: str, objective: str, threshold: float) -> list[float]:
        """Per gap, the smallest width whose ``metric`` reaches ``threshold`` (``inf`` if no
        width of the sweep does)."""
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        a = self.rate(metric, objective)
        out = []
        for row in a:
            hit = [w for w, v in zip(self.widths, row) if v >= threshold]
            out.append(float(hit[0]) if hit else math.inf)
        return out

    def rows(self) -> list[dict]:
        """One table row per (gap, width): the four test accuracies."""
        out = []
        for gi, g in enumerate(self.gaps):
            for wi, w in enumerate(self.widths):
                out.append({"gap": g, "$r$": self.radii[gi], "width": w,
                            "standard, clean": self.rate("clean", "standard")[gi, wi],
                            "standard, robust": self.rate("robust", "standard")[gi, wi],
                            "PGD, clean": self.rate("clean", "pgd")[gi, wi],
                            "PGD, robust": self.rate("robust", "pgd")[gi, wi]})
        return out


def sweep(profile: str) -> Sweep:
    """The sweep of ``profile``, computed once and cached (the task fills the same file).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    Sweep
    """
    key = sweep_key(profile)
    return Sweep(key, cached_arrays(NAME, key, lambda: compute_sweep(key)))


def _work(key: dict) -> Work:
    per_net = key["epochs"] * 2 * key["train_per_sphere"]
    n_nets = len(key["gaps"]) * len(key["widths"])
    amount = n_nets * per_net * (1 + (1 + key["train_steps"]))   # standard + PGD-k
    return Work(amount, "examples", "ding-spheres-mlp", cpu=320_000.0, gpu=2_000_000.0,
                source="cpu: measured here (1 thread, the ci sweep); gpu: an estimate")


def declare_tasks() -> list[Task]:
    """The sweep, as one arrays task per profile.

    Used by :mod:`companion.chapters.ding.tasks`.
    """
    keys = {p: sweep_key(p) for p in SETTINGS}
    return [Task(NAME, "companion.chapters.ding.spheres:sweep_task", keys=keys, kind="arrays",
                 notebooks=NOTEBOOKS, work={p: _work(k) for p, k in keys.items()},
                 title="concentric spheres: one-hidden-layer ReLU networks, standard and "
                       "l2 PGD training, by width and gap")]


# ------------------------------------------------------------------------------ Figure 6
#: the gaps and the robust radius of Figure 6 redone (the paper draws it without numbers)
FIGURE6 = {"small_gap": 0.15, "large_gap": 0.3, "radius": 0.05}


def figure6_polygons(small_gap: float = FIGURE6["small_gap"],
                     large_gap: float = FIGURE6["large_gap"],
                     radius: float = FIGURE6["radius"]) -> dict:
    """The polygons of Figure 6 redone: the fewest-sided regular polygon that separates the
    circles at the small gap (``clean``, about the unit circle) and the one that separates them
    robustly at ``radius`` (``robust``, about the inflated circle), with whether each separates
    in each panel (:func:`companion.spheres.separates`, exact).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    small_gap, large_gap : float
        The gaps of the left and middle panels, and of the right one.
    radius : float
        The robust radius (below half of the small gap).

    Returns
    -------
    dict
        ``m_clean``, ``m_robust`` (side counts), ``clean``, ``robust``, ``clean_inflated``
        (polytopes: the clean polygon about the unit circle and about the inflated one) and the
        booleans ``clean_separates`` (small gap, r = 0), ``clean_robust_small`` (small gap at
        ``radius``, best placement), ``robust_separates`` (small gap at ``radius``),
        ``clean_robust_large`` (large gap at ``radius``).
    """
    m_clean = _sp.min_facets_2d(small_gap)
    m_robust = _sp.min_facets_2d(small_gap, radius)
    clean = _sp.regular_polygon(m_clean)
    clean_inflated = _sp.regular_polygon(m_clean, inradius=1.0 + radius)
    robust = _sp.regular_polygon(m_robust, inradius=1.0 + radius)
    return {"m_clean": m_clean, "m_robust": m_robust, "clean": clean, "robust": robust,
            "clean_inflated": clean_inflated,
            "clean_separates": _sp.separates(clean, small_gap),
            "clean_robust_small": _sp.separates(clean_inflated, small_gap, radius),
            "robust_separates": _sp.separates(robust, small_gap, radius),
            "clean_robust_large": _sp.separates(clean_inflated, large_gap, radius)}


def _circle(ax, r, **kw):
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(r * np.cos(t), r * np.sin(t), **kw)


def _ring(ax, r, width, color):
    t = np.linspace(0, 2 * np.pi, 400)
    c, s = np.cos(t), np.sin(t)
    ax.fill(np.r_[(r + width) * c, (r - width) * c[::-1]],
            np.r_[(r + width) * s, (r - width) * s[::-1]], color=color, alpha=0.25, lw=0)


def _polygon(ax, K, **kw):
    v = K.vertices()
    order = np.argsort(np.arctan2(v[:, 1], v[:, 0]))
    v = v[order]
    ax.plot(np.r_[v[:, 0], v[:1, 0]], np.r_[v[:, 1], v[:1, 1]], **kw)


def plot_figure6(small_gap: float = FIGURE6["small_gap"],
                 large_gap: float = FIGURE6["large_gap"],
                 radius: float = FIGURE6["radius"]):
    """Figure 6 of the paper, redone in the plane with exact polygons: left, the small gap and
    the fewest-sided polygon that separates the circles; middle, the same gap with the
    ``radius``-rings around both circles, which that polygon cannot clear, and the polygon with
    more sides that does; right, the large gap, where the first polygon clears the rings.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    small_gap, large_gap : float
        The gaps of the panels.
    radius : float
        The robust radius.

    Returns
    -------
    matplotlib.figure.Figure
    """
    p = figure6_polygons(small_gap, large_gap, radius)
    fig, axes = plotting.figure(ncols=3, height=2.9)
    inner, outer = plotting.series(0), plotting.series(1)
    panels = [(small_gap, False), (small_gap, True), (large_gap, True)]
    for i, (ax, (g, rob)) in enumerate(zip(axes, panels)):
        if rob:
            _ring(ax, 1.0, radius, inner)
            _ring(ax, 1.0 + g, radius, outer)
        _circle(ax, 1.0, color=inner, lw=1.6, label="inner class")
        _circle(ax, 1.0 + g, color=outer, lw=1.6, linestyle="--", label="outer class")
        K = p["clean_inflated"] if rob else p["clean"]
        _polygon(ax, K, color=plotting.ROLES["model"]["color"], lw=1.4,
                 label=f"{p['m_clean']} facets")
        if i == 1:
            _polygon(ax, p["robust"], color="#000000", lw=1.2, linestyle=":",
                     label=f"{p['m_robust']} facets")
        lim = 1.0 + large_gap + 0.2
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        plotting.label(ax, "$x_1$", "$x_2$", legend=False)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4)
    return fig


def plot_min_facets(dims=(10, 100, 784), radius_fraction: float = 0.25,
                    gaps=None):
    """The least number of facets of a polytope that separates the spheres, against the gap:
    left Theorem D.1's :math:`e^{n/(2d^2)}`, right the covering count with the exact caps;
    solid clean, dashed robust at :math:`r = ` ``radius_fraction`` times the gap.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    dims : sequence of int
        The dimensions, one colour each.
    radius_fraction : float
        The robust radius as a share of the gap, in [0, 1/2).
    gaps : sequence of float, optional
        The gaps (default: 40 from 0.01 to 1, log-spaced).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not 0 <= radius_fraction < 0.5:
        raise ValueError(f"radius_fraction must be in [0, 1/2), got {radius_fraction!r}")
    g = np.geomspace(0.01, 1.0, 40) if gaps is None else np.asarray(gaps, dtype=float)
    fig, axes = plotting.figure(ncols=2, height=3.3)
    markers = ("o", "s", "^", "D")
    for ax, bound, title in zip(axes, ("exp", "cap"), ("$e^{n/(2d^2)}$ (Theorem D.1)",
                                                       "covering count, exact caps")):
        for i, n in enumerate(dims):
            for rob in (False, True):
                y = [_sp.log10_min_facets(n, x, radius_fraction * x if rob else 0.0, bound)
                     for x in g]
                ax.plot(g, y, color=plotting.series(i), linestyle="--" if rob else "-",
                        marker=markers[i % 4], markevery=8, markersize=4,
                        label=f"n = {n}" + (", robust" if rob else ""))
        ax.set_xscale("log")
        ax.set_yscale("log")
        plotting.label(ax, "gap $g$", "$\\log_{10}$ (least facet count)", title=title,
                       legend=False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    return fig


def plot_sweep(result: Sweep):
    """Clean and robust test accuracy against the hidden width, one panel per gap, for
    standard and PGD training (two standard errors as bars).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    result : Sweep
        The sweep.

    Returns
    -------
    matplotlib.figure.Figure
    """
    k = len(result.gaps)
    fig, axes = plotting.figure(ncols=k, height=3.2, sharey=True)
    axes = np.atleast_1d(axes)
    curves = [("clean", "standard", "standard, clean", 0, "-", "o"),
              ("robust", "standard", "standard, robust", 0, ":", "s"),
              ("clean", "pgd", "PGD, clean", 1, "--", "^"),
              ("robust", "pgd", "PGD, robust", 1, "-.", "D")]
    n = result.n_test
    for gi, ax in enumerate(axes):
        for metric, obj, label, c, ls, mk in curves:
            y = result.rate(metric, obj)[gi]
            se = [2 * math.sqrt(max(v * (1 - v), 1 / n) / n) for v in y]
            ax.errorbar(result.widths, y, yerr=se, color=plotting.series(c + (2 if
                        metric == "robust" else 0)), linestyle=ls, marker=mk, label=label)
        ax.axhline(1.0, **plotting.line("reference"), lw=1.0)
        ax.set_xscale("log", base=2)
        ax.set_xticks(result.widths)
        ax.set_xticklabels([str(w) for w in result.widths])
        ax.minorticks_off()
        plotting.label(ax, "hidden width", "test accuracy" if gi == 0 else " ",
                       title=f"$g = {result.gaps[gi]:g}$, $r = {result.radii[gi]:g}$",
                       legend=False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4)
    return fig


# ------------------------------------------------------------------------------ Theorem D.1
def theorem_d1_examples(dims=(2, 3, 4, 5, 6)) -> list[dict]:
    """Known polytopes against Theorem D.1: per dimension the cube, the cross-polytope and the
    net polytope (:func:`companion.spheres.net_polytope`), with their facet count, their
    distance from the ball (measured: circumradius over inradius, which bounds the
    Banach-Mazur distance from above and equals it for the cube and the cross-polytope) and
    the two lower bounds at that distance.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    dims : sequence of int
        Dimensions, 2 to 6.

    Returns
    -------
    list of dict
        ``polytope``, ``n``, ``facets``, ``distance``, ``exp bound``, ``covering bound``.
    """
    rows = []
    for n in dims:
        for name, K in (("cube", _sp.cube(n)), ("cross-polytope", _sp.cross_polytope(n)),
                        ("net", _sp.net_polytope(n))):
            d = K.distance_bound()
            rows.append({"polytope": name, "n": n, "facets": K.facets, "distance": d,
                         "exp bound": _sp.facet_lower_bound(n, d),
                         "covering bound": _sp.covering_facet_lower_bound(n, d)})
    return rows


def first_contradiction(d: float = 2.0, per_dim: int = 4, limit: int = 10_000) -> int:
    """The least dimension ``n`` at which ``per_dim * n`` facets fall below Theorem D.1's
    :math:`e^{n/(2d^2)}` (a polytope at distance ``d`` with that many facets cannot exist).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    d : float
        The distance from the ball (>= 1).
    per_dim : int
        Facets per dimension (>= 1).
    limit : int
        The largest dimension searched.

    Returns
    -------
    int

    Examples
    --------
    >>> first_contradiction()
    41
    """
    if per_dim < 1:
        raise ValueError(f"per_dim must be >= 1, got {per_dim!r}")
    for n in range(1, int(limit) + 1):
        if per_dim * n < _sp.facet_lower_bound(n, d):
            return n
    raise ValueError(f"no contradiction up to n = {limit}")
