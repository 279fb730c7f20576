r"""The figures of the Dai & Gifford pages, drawn through :mod:`companion.plotting`.

Each function takes what :mod:`companion.chapters.dai_gifford.experiments` computed and returns
the figure (a notebook cell assigns it, ``fig = figures.x(...)``, so that it is shown once).
Curves of one figure differ in colour *and* in line style or marker (:func:`curve`); a proved
bound is drawn in the ``bound`` role and no other curve of the figure takes its colour.
"""
from __future__ import annotations

import numpy as np

from ... import plotting
from ...discrete import hamming_graph

__all__ = ["curve", "wrapped_layers", "theorem1_exhaustive", "harper_growth", "theorem2_l1",
           "theorem2_mc",
           "corollary1", "lemma18", "find_perturbation", "bit_depth", "table1_crossover",
           "paper_table1", "paper_eq2", "paper_figure1", "figure2", "drawing_shares"]

#: colours for the curves of a figure that also shows a bound (the bound's blue left out)
_COLOURS = ["#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
_STYLES = ["-", "--", "-.", ":", (0, (5, 1.5)), (0, (1, 1.5))]
_MARKERS = ["o", "s", "^", "D", "v", "P"]


def curve(i: int, marker: bool = True, **overrides) -> dict:
    """Keyword arguments for ``ax.plot`` of the ``i``-th curve of a figure: a colour that is not
    the bound's, a line style and (by default) a marker, all three cycling together."""
    kw = dict(color=_COLOURS[i % len(_COLOURS)], linestyle=_STYLES[i % len(_STYLES)])
    if marker:
        kw.update(marker=_MARKERS[i % len(_MARKERS)], markersize=4.5)
    kw.update(overrides)
    return kw


def _positive(y):
    y = np.asarray(y, dtype=float)
    return np.where(y > 0, y, np.nan)


# =============================================================================== Theorem 1
def theorem1_exhaustive(checks, coincide=("Hamming ball", "Algorithm 1")):
    """Robust fraction of the most robust interesting class against the ``L^0`` size, for each
    verification of one space, with Theorem 1's bound. The classes named in ``coincide`` (the
    same set on binary images) are drawn first thick, then thin and dashed with open markers.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    fig, ax = plotting.figure()
    first, second = coincide
    order = sorted(checks, key=lambda v: (v.classifier != first, v.classifier == second))
    for i, v in enumerate(order):
        kw = curve(i)
        if v.classifier == first:
            kw.update(linewidth=3.2, markersize=7, alpha=0.55)
        if v.classifier == second:
            kw.update(color="#000000", linestyle="--", marker="o", markerfacecolor="none",
                      markersize=4, linewidth=1.2)
        ax.plot(v.sizes, _positive(v.worst), label=v.classifier, **kw)
    v = checks[0]
    ax.plot(v.sizes, v.bound, label="Theorem 1 bound", zorder=1, **plotting.line("bound"))
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1.5)
    plotting.label(ax, r"$L^0$ perturbation size $d$ (channels changed)",
                   "robust fraction of the most robust class", loc="upper right")
    return fig


def harper_growth(curves: dict, N: int = 16):
    """``|EXP^k(S)| / 2^N`` against ``k`` for sets of one size (:func:`expansion_curves`).

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    fig, ax = plotting.figure()
    for i, (name, y) in enumerate(curves.items()):
        ax.plot(np.arange(len(y)), y, label=name, **curve(i))
    plotting.label(ax, "expansion steps $k$", rf"$|\mathrm{{EXP}}^k(S)| / 2^{{{N}}}$",
                   loc="lower right")
    return fig


# =============================================================================== Theorem 2
def _guarantee(ax, cs, label=r"$1 - 4c$ (Theorem 2)"):
    cs = np.asarray(cs)
    ax.plot(cs, 1 - 4 * cs, label=label, **plotting.line("bound"))


def theorem2_l1(curves_by_b: dict, cs):
    """Exact robust fractions of Z (``L^1``; ``L^0`` too for ``b = 1``), one panel per bit depth,
    one curve per image size, with the guarantee ``1 - 4c``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    fig, axes = plotting.figure(ncols=len(curves_by_b), sharey=True)
    cs = np.asarray(cs)
    for ax, (b, curves) in zip(np.atleast_1d(axes), curves_by_b.items()):
        for i, (n, fr) in enumerate(curves.items()):
            ax.plot(cs, fr, label=f"$n = {n}$", **curve(i, markevery=7))
        _guarantee(ax, cs)
        plotting.label(ax, "$c$ (size $c n - 2$)", "fraction of $Z$ robust", title=f"$b = {b}$",
                       legend=b == list(curves_by_b)[-1])
    return fig


def theorem2_mc(curves: dict, cs, n_mc: int):
    """Monte Carlo robust fractions of Z (``b = 2``) in ``L^0`` and ``L^2`` with two standard
    error bars, one marker style per image size, and the guarantee ``1 - 4c``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    fig, axes = plotting.figure(ncols=2, sharey=True)
    cs = np.asarray(cs)
    ns = sorted({n for _, n in curves})
    for ax, p in zip(axes, (0, 2)):
        for i, n in enumerate(ns):
            fr = curves[(p, n)]
            se = np.sqrt(np.nan_to_num(fr * (1 - fr)) / n_mc)
            kw = curve(i, marker=False)
            plotting.estimate(ax, cs, fr, se, label=f"$n = {n}$", color=kw["color"],
                              marker=_MARKERS[i])
            ax.plot(cs, fr, color=kw["color"], linestyle=kw["linestyle"], linewidth=1.0)
        _guarantee(ax, cs)
        plotting.label(ax, "$c$", "fraction of $Z$ robust", title=f"$L^{p}$", legend=p == 2)
    return fig


def corollary1(grid, curves: dict):
    """Ratio of Table 1's upper to lower bound against ``n``, with the limits (dotted).

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    fig, ax = plotting.figure(height=4.2)
    styles = ["-", "--", "-.", (0, (5, 1.5)), (0, (3, 1, 1, 1, 1, 1))]
    for i, (name, (ratio, limit)) in enumerate(curves.items()):
        kw = curve(i, markevery=9, linestyle=styles[i % len(styles)])
        ax.plot(grid, ratio, label=name, **kw)
        ax.axhline(limit, color=kw["color"], linestyle=":", linewidth=1.0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plotting.label(ax, "image size $n$", "upper bound / lower bound", loc="upper center",
                   bbox_to_anchor=(0.5, -0.2), ncol=3)
    return fig


# =============================================================================== Theorem 3
def lemma18(sets):
    """Measure of the ``r``-interior of regular sets (solid, markers) against Lemma 18's bound
    for the same set (same colour, thin dashed).

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    fig, ax = plotting.figure()
    for i, s in enumerate(sets):
        kw = curve(i, markevery=15)
        kw["linestyle"] = "-"
        ax.plot(s.r, s.inner, label=rf"{s.name}, $\mu = {s.mu:.3f}$", **kw)
        ax.plot(s.r, s.lemma18, color=kw["color"], linestyle="--", linewidth=1.0)
    plotting.label(ax, "radius $r$", r"measure of the $r$-interior $\mu(C_r)$")
    return fig


def find_perturbation(exp: dict, cs, bs_shown=(1, 2, 4, 8), n: int = 8, c_size: float = 1.0):
    """Left: the failure rate of Algorithm 2 against ``c`` with Lemma 13's bound; right: the
    largest perturbation found at ``c = c_size`` against Lemma 12's bound, by bit depth.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    fig, axes = plotting.figure(ncols=2)
    cs = np.asarray(cs)
    ax = axes[0]
    for i, b in enumerate(bs_shown):
        ax.plot(cs, exp["fail"][b], label=f"$b = {b}$", **curve(i, markevery=6))
    ax.plot(cs, np.minimum(1, exp["bound"]), label=r"$2e^{-c^2/2}$ (Lemma 13)",
            **plotting.line("bound"))
    plotting.label(ax, "$c$ ($L^2$ radius in the cube)", "failure rate of Algorithm 2")
    ax = axes[1]
    bs = list(exp["largest"])
    ax.plot(bs, [exp["largest"][b] for b in bs], label="largest found", **curve(0))
    ax.plot(bs, [c_size + 2 * n / 2 ** b for b in bs], label=r"$c + 2n/2^b$ (Lemma 12)",
            **plotting.line("bound"))
    ax.set_yscale("log")
    plotting.label(ax, "bit depth $b$", r"$\Vert I - I'\Vert_2$ at $c = 1$")
    return fig


def bit_depth(res: dict, r: float = 0.2):
    """The ``r``-robust ``L^2`` size of Algorithm 1's Z against ``b`` between the bounds.

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    fig, ax = plotting.figure()
    b = res["b"]
    ax.plot(b, res["upper"], label=f"Theorem 3 upper bound, $r = {r}$",
            **plotting.line("bound", marker="s"))
    ax.plot(b, res["size"], label="Algorithm 1 (Monte Carlo)", **curve(0))
    ax.plot(b, res["lower"], label=f"Theorem 2 lower bound, $r = {r}$",
            **plotting.line("bound_alt", marker="^"))
    ax.set_yscale("log")
    plotting.label(ax, "bit depth $b$", "$L^2$ perturbation size")
    return fig


def table1_crossover(bs, cross):
    """The largest ``n`` at which Theorem 3's term wins, against ``b`` (``b`` where it never
    wins left out).

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    fig, ax = plotting.figure()
    bs, cross = np.asarray(bs), np.asarray(cross)
    ok = cross > 0
    ax.semilogy(bs[ok], cross[ok], **curve(0))
    plotting.label(ax, "bit depth $b$", "largest $n$ where Theorem 3's bound is smaller")
    return fig


# =============================================================================== paper page
def paper_table1(ns, table1_upper, table1_lower, r: float = 0.5):
    """Table 1 against ``n``: upper bounds solid, lower bounds dashed; left ``L^0`` and ``L^1``,
    right ``L^2`` at ``b = 1`` and ``b = 8`` (``h = 1``).

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    fig, axes = plotting.figure(ncols=2)
    ax = axes[0]
    ax.plot(ns, [table1_upper(r, n, p=1) for n in ns], label="upper", **plotting.line("bound"))
    ax.plot(ns, [table1_lower(r, n, p=1) for n in ns], label="lower",
            **plotting.line("bound_alt"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    plotting.label(ax, "image size $n$", "perturbation size", title="$L^0$ and $L^1$")
    ax = axes[1]
    for i, b in enumerate((1, 8)):
        kw = curve(i, marker=False)
        ax.plot(ns, [table1_upper(r, n, b=b, p=2) for n in ns], label=f"upper, $b = {b}$",
                color=kw["color"], linestyle="-")
        ax.plot(ns, [table1_lower(r, n, b=b, p=2) for n in ns], label=f"lower, $b = {b}$",
                color=kw["color"], linestyle="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plotting.label(ax, "image size $n$", "perturbation size", title="$L^2$")
    return fig


def paper_eq2(ns, ratios: dict):
    """Eq. (2): the bound over the typical distance against ``n``, with slope guides.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    fig, ax = plotting.figure()
    ns = np.asarray(ns, dtype=float)
    for i, ((p, b), y) in enumerate(ratios.items()):
        ax.plot(ns, y, label=f"$p = {p}$, $b = {b}$", **curve(i, markevery=8))
    ax.plot(ns, 0.03 / ns, label="slopes $-1$ and $-1/2$", **plotting.line("reference"))
    ax.plot(ns, 0.3 / np.sqrt(ns), **plotting.line("reference"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    plotting.label(ax, "image size $n$", "bound / typical distance", loc="upper right")
    return fig


def paper_figure1(fig1b: dict, N: int = 9, per_row: int = 32):
    """Figure 1 of the paper: (a) the Hamming graph of ``I_{2,1,1}``, every vertex drawn as its
    image; (b) ``I_{3,1,1}`` in bands of equal weight: the initial set, the images at distance 1,
    2 and 3 of it and the other images (the edges of the 9-cube are left out).

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    import matplotlib.pyplot as plt

    fig, axes = plotting.figure(nrows=2, height=9.6, gridspec_kw={"height_ratios": [1, 1.35]})
    ax = axes[0]
    E4 = hamming_graph.hypercube_edges(4)
    pos4 = hamming_graph.layered_layout(4) * np.array([1.25, 1.25])
    for u, v in E4:
        ax.plot(*pos4[[u, v]].T, color="0.55", lw=0.9, zorder=1)
    for v in range(16):
        x, y = pos4[v]
        ax.imshow(hamming_graph.bits(v, 4).reshape(2, 2), cmap="gray", vmin=0, vmax=1,
                  extent=(x - 0.32, x + 0.32, y - 0.32, y + 0.32), zorder=2)
        ax.add_patch(plt.Rectangle((x - 0.32, y - 0.32), 0.64, 0.64, fill=False, lw=0.8,
                                   zorder=3))
    ax.set_xlim(-3.9, 3.9)
    ax.set_ylim(-0.6, 5.6)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.grid(False)
    ax.set_yticks(1.25 * np.arange(5), [str(w) for w in range(5)])
    plotting.label(ax, "(a) $\\mathcal{I}_{2,1,1}$: edges join images one pixel apart",
                   "white pixels")
    ax = axes[1]
    dist = fig1b["dist"]
    pos, centres, spans = wrapped_layers(N, per_row=per_row)
    for w, (lo, hi) in enumerate(spans):
        if w % 2:
            ax.axhspan(lo - 0.5, hi + 0.5, color="0.93", zorder=0, lw=0)
    far = dist > 3
    ax.scatter(*pos[far].T, s=16, marker="s", color="0.7", zorder=2,
               label=f"farther ({int(far.sum())})")
    styles = {1: ("#D55E00", "^"), 2: ("#E69F00", "o"), 3: ("#CC79A7", "D")}
    for k, (colour, marker) in styles.items():
        at = dist == k
        ax.scatter(*pos[at].T, s=18, marker=marker, color=colour, zorder=3,
                   label=f"distance {k} ({int(at.sum())})")
    init = dist == 0
    ax.scatter(*pos[init].T, s=120, marker="*", color="black", zorder=4,
               label=f"initial set ({int(init.sum())})")
    ax.set_xticks([])
    ax.set_yticks(centres, [str(w) for w in range(N + 1)])
    ax.grid(False)
    plotting.label(ax, "(b) $\\mathcal{I}_{3,1,1}$: the images of one weight in a band of rows",
                   "white pixels", loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    return fig


def wrapped_layers(N: int, per_row: int = 32, gap: float = 1.0):
    """Positions of the vertices of ``{0,1}^N`` in blocks of rows, one block per weight (the
    number of white pixels), at most ``per_row`` vertices per row, in the order of
    :func:`~companion.discrete.hamming_graph.layered_layout`; returns the positions, the
    height of each block's centre and each block's lowest and highest row."""
    base = hamming_graph.layered_layout(N)
    pos = np.zeros_like(base)
    centres, spans, y = [], [], 0.0
    for w in range(N + 1):
        layer = np.flatnonzero(base[:, 1] == w)
        layer = layer[np.argsort(base[layer, 0], kind="stable")]
        rows = [layer[i:i + per_row] for i in range(0, len(layer), per_row)]
        top = y
        for row in rows:
            pos[row, 0] = np.arange(len(row)) - (len(row) - 1) / 2
            pos[row, 1] = y
            y += 1.0
        centres.append((top + y - 1.0) / 2)
        spans.append((top, y - 1.0))
        y += gap
    return pos, centres, spans


# =============================================================================== Section 3
def figure2(panels, dpi: float = 90):
    """Figure 2 of the paper: the six panels ``[(image, title), ...]`` on two rows of three
    (grey or RGB images in [0, 1]). Shown at ``dpi`` (below the book's 110) so that the two
    random images, which no image format compresses, keep the output small.

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.
    """
    fig, axes = plotting.figure(ncols=3, nrows=2, height=5.2)
    fig.set_dpi(dpi)
    for ax, (im, title) in zip(axes.flat, panels):
        small = im.shape[0] < 200
        ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=1,
                  interpolation="nearest" if small else "antialiased")
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_linewidth(0.6)
    return fig


def drawing_shares(shares: dict):
    """The drawing and Table 1's bound relative to the typical distance, against ``n``.

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.
    """
    fig, ax = plotting.figure()
    s = np.asarray(shares["sizes"], dtype=float)
    ax.loglog(s, shares["L0"], label=r"drawing $L^0$ / $\mathbb{E}\,L^0$ distance", **curve(0))
    ax.loglog(s, shares["L1"], label=r"drawing $L^1$ (at most) / $\mathbb{E}\,L^1$ distance",
              **curve(1))
    ax.loglog(s, shares["bound"], label=r"Table 1 bound ($L^1$, $r = 1/2$) / $\mathbb{E}\,L^1$",
              **plotting.line("bound", marker="^"))
    ax.loglog(s, 0.5 * shares["bound"][0] * s[0] / s, label="slope $-1$",
              **plotting.line("reference"))
    plotting.label(ax, "image size $n$", "size relative to the typical distance")
    return fig
