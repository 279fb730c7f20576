r"""Shared figure style for every chapter: one look, labelled axes, consistent colours by role.

Usage in a notebook::

    from companion import plotting
    fig, ax = plotting.figure()                      # style applied, one panel
    ax.plot(x, bound, **plotting.line("bound"), label="Theorem 1")
    plotting.estimate(ax, x, p, se, label="Monte Carlo")
    plotting.label(ax, r"perturbation norm $\epsilon$", r"$P(r \le \epsilon)$")

Colours are assigned by *role* (a bound, an exact value, a Monte Carlo estimate, the paper's
value, ...) so the same kind of curve looks the same in every chapter. Several curves of one
role (e.g. one per number of classes) take :func:`series` colours. Never calls
``matplotlib.use``: notebooks keep their inline backend.
"""
from __future__ import annotations

from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["MAX_WIDTH", "ROLES", "STYLE", "apply_style", "style", "figure", "line", "series",
           "estimate", "label", "paper_point", "image_rows", "save"]

#: colour and line style of each role (colour-blind-safe Okabe-Ito palette)
ROLES = {
    "bound": dict(color="#0072B2", linestyle="-"),         # a proved bound (blue)
    "bound_alt": dict(color="#56B4E9", linestyle="--"),    # a weaker / closed-form variant (sky)
    "exact": dict(color="#000000", linestyle=":"),         # an exact value (black, dotted)
    "monte_carlo": dict(color="#D55E00", linestyle="none"),  # an estimate (vermillion markers)
    "paper": dict(color="#E69F00", linestyle="-."),        # the paper's printed value (orange)
    "model": dict(color="#009E73", linestyle="-"),         # an empirical model, classifier (green)
    "reference": dict(color="#999999", linestyle="--"),    # a guide line (grey)
}

#: the widest figure, in inches: about the page column (770 px) at ``figure.dpi``
MAX_WIDTH = 7.0

_SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

#: the rcParams of the book's figures
STYLE = {
    "figure.figsize": (6.0, 3.8),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "lines.markersize": 4.5,
    "errorbar.capsize": 2.0,
}


def apply_style() -> None:
    """Set the book's style globally (call once per notebook; :func:`figure` calls it)."""
    mpl.rcParams.update(STYLE)


def _resolve_backend() -> None:
    """Load pyplot's backend now, if it is not loaded yet.

    The Jupyter inline backend switches matplotlib's interactive mode on when it is first
    loaded, which happens when the kernel's first figure is made. Should that happen inside an
    ``rc_context``, leaving the context restores ``interactive = False``, and from then on the
    kernel displays no figure at all (they are made, but never queued for display). Loading the
    backend before entering the context keeps its settings out of what the context restores.
    """
    plt.draw_if_interactive()  # public entry point that resolves the backend; draws nothing new


@contextmanager
def style():
    """The book's style for the figures made inside a ``with`` block only.

    The backend is loaded first and matplotlib's interactive mode is kept as the block leaves
    it, so that figures made later in a notebook are still displayed (see
    :func:`_resolve_backend`).
    """
    _resolve_backend()
    with mpl.rc_context(STYLE):
        try:
            yield
        finally:
            interactive = mpl.is_interactive()
    mpl.interactive(interactive)


def figure(ncols: int = 1, nrows: int = 1, width: float | None = None, height: float | None = None,
           **kwargs):
    """A new figure in the book's style with ``nrows x ncols`` panels; returns ``(fig, axes)``.

    The width never exceeds :data:`MAX_WIDTH` (the page column at the figure's resolution), so a
    figure is shown at its natural size and its text at the size it was set: several panels
    share that width rather than widening the figure (which the page would scale down)."""
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be >= 1, got ncols={ncols!r}, nrows={nrows!r}")
    apply_style()
    if width is not None and width > MAX_WIDTH:
        raise ValueError(f"width={width!r} inches exceeds the page column ({MAX_WIDTH} inches "
                         "at the book's resolution): use more rows instead")
    w = width if width is not None else (6.0 if ncols == 1 else MAX_WIDTH)
    h = height if height is not None else (3.6 if ncols == 1 else 3.0) * nrows
    kwargs.setdefault("constrained_layout", True)
    return plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)


def line(role: str, **overrides) -> dict:
    """Keyword arguments for ``ax.plot`` that draw a curve of the given role (see
    :data:`ROLES`)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; valid roles: {', '.join(ROLES)}")
    kw = dict(ROLES[role])
    if role == "monte_carlo":
        kw.update(marker="o", markersize=3.5)
    kw.update(overrides)
    return kw


def series(i: int) -> str:
    """The ``i``-th colour of the book's categorical palette (cycles)."""
    return _SERIES[int(i) % len(_SERIES)]


def estimate(ax, x, value, se=None, k: float = 2.0, label: str | None = None,
             color: str | None = None, **kwargs):
    """Plot a Monte Carlo estimate as markers with ``+- k`` standard-error bars (default 2 SE)."""
    kw = line("monte_carlo")
    if color is not None:
        kw["color"] = color
    kw.update(kwargs)
    x = np.asarray(x)
    value = np.asarray(value)
    if se is None:
        return ax.plot(x, value, label=label, **kw)
    kw.pop("linestyle", None)
    return ax.errorbar(x, value, yerr=k * np.asarray(se), label=label, linestyle="none", **kw)


def paper_point(ax, x, y, label: str = "paper", **kwargs):
    """Mark a value printed in the paper (an orange star)."""
    kw = dict(color=ROLES["paper"]["color"], marker="*", markersize=11, linestyle="none", zorder=5)
    kw.update(kwargs)
    return ax.plot([x], [y], label=label, **kw)


def label(ax, xlabel: str, ylabel: str, title: str | None = None, legend: bool = True,
          **legend_kw) -> None:
    """Label both axes (required for every figure of the book), set an optional title, and draw
    the legend if any artist has a label (``legend_kw`` go to ``ax.legend``). Returns nothing, so a
    notebook cell ending with it prints no object repr."""
    if not xlabel or not ylabel:
        raise ValueError("every axis of the book's figures needs a label: give xlabel and ylabel")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(**legend_kw)


def save(fig, path) -> None:
    """Save a figure (e.g. a PNG to inspect outside the notebook)."""
    fig.savefig(path)


def image_rows(rows: dict, ncols: int | None = None, size: float = 0.9):
    """A grid of grey (or RGB) images: one row per entry of ``rows`` (row label -> array of
    images ``(N, C, H, W)`` or ``(N, H, W)`` in [0, 1]); the row labels stand on the left."""
    arrays = {k: np.asarray(v) for k, v in rows.items()}
    n = ncols or max(len(v) for v in arrays.values())
    size = min(size, (MAX_WIDTH - 1.2) / n)  # the grid fits the page column
    apply_style()  # as figure() does: globally, so the figure is displayed like any other
    fig, axes = plt.subplots(len(arrays), n, figsize=(size * n + 1.2, size * len(arrays)),
                             squeeze=False)
    for r, (name, imgs) in enumerate(arrays.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for sp in ax.spines.values():
                sp.set_visible(False)
            if c < len(imgs):
                im = imgs[c]
                if im.ndim == 3 and im.shape[0] in (1, 3):
                    im = np.moveaxis(im, 0, -1)
                if im.ndim == 3 and im.shape[-1] == 1:
                    im = im[..., 0]
                ax.imshow(np.clip(im, 0, 1), cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=1)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9.5)
    fig.subplots_adjust(wspace=0.05, hspace=0.08)
    return fig
