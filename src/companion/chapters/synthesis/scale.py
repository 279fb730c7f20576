r"""How big is a small perturbation: distances between images, bound radii, attack norms.

Everything on :doc:`/notebooks/synthesis-scale` is an L2 distance between images in
:math:`[0, 1]^{784}` (28 x 28 pixels, one channel): one pixel turned from black to white is a
distance of 1, the diagonal of the cube is :math:`\sqrt{784} = 28`. This module measures, on
the same test images the attacks of :mod:`companion.chapters.synthesis.experiment` used,

* the distance between two images of the data (:func:`pairwise_distances`, all pairs);
* per test image the distance to the nearest training image of another class and of its own
  class (:func:`nearest_by_class`, vectorised and chunked);
* the radii at which the upper bounds of :mod:`companion.bounds.robust_share` fall to a share
  (:func:`bound_shares`, read with :func:`companion.bounds.robust_share.radius_at_share`);
* the smallest adversarial perturbations the attacks found (:func:`adversarial_norms`) and the
  Richardson & Weiss norms on symmetric MFA samples (:func:`rw_norms`);

and builds the image examples of each radius (:func:`noise_at`, :func:`scaled_along`,
:func:`towards`), each clipped to the box with the norm after clipping reported.
"""
from __future__ import annotations

import numpy as np

from ...bounds import robust_share as rs
from . import experiment as ex

__all__ = ["IMAGE_SIDE", "datasets", "short_name", "pairwise_distances", "nearest_by_class",
           "quartiles", "adversarial_norms", "rw_norms", "bound_shares", "model_ref",
           "noise_at", "scaled_along", "towards", "clipped_norm", "strip_plot",
           "radius_examples", "median_interval", "declare_data",
           "strip_rows", "median_table_rows", "EXAMPLE_RADII", "EXAMPLE_ROWS",
           "pick_example", "example_grid", "median",
           "rw_half_gap"]

#: the side of the images (28 x 28 pixels, one channel, 8 bits)
IMAGE_SIDE = 28


def datasets(profile: str) -> tuple:
    """The chapter's data sets at ``profile`` (those of
    :func:`companion.chapters.synthesis.experiment.datasets`).

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    return tuple(ex.datasets(profile))


def short_name(dataset: str) -> str:
    """``"digits"`` or ``"Fashion-MNIST"``: the name a table column or a panel carries.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    return "Fashion-MNIST" if dataset.startswith("fashion") else "digits"


def _flat(X) -> np.ndarray:
    a = np.asarray(X, dtype=np.float64)
    if a.ndim < 2:
        raise ValueError(f"images must be an array (N, ...), got shape {a.shape}")
    return a.reshape(len(a), -1)


def _sq_dists(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``A`` and of ``B`` (>= 0)."""
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def pairwise_distances(X, chunk: int = 1024) -> np.ndarray:
    """The L2 distances of all pairs ``i < j`` of the images ``X`` (``n (n - 1) / 2`` values,
    row by row: (0, 1), (0, 2), ..., (1, 2), ...).

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    X : array_like
        ``n >= 2`` images, any shape per image.
    chunk : int
        Rows of the distance matrix computed at a time.

    Returns
    -------
    numpy.ndarray
        The distances (float64).

    Examples
    --------
    >>> pairwise_distances([[0, 0], [3, 4], [0, 1]])
    array([5.        , 1.        , 4.24264069])
    """
    A = _flat(X)
    n = len(A)
    if n < 2:
        raise ValueError(f"need at least 2 images, got {n}")
    out = []
    for s in range(0, n, chunk):
        d = np.sqrt(_sq_dists(A[s:s + chunk], A))
        for i in range(len(d)):
            out.append(d[i, s + i + 1:])
    return np.concatenate(out)


def nearest_by_class(X, y, X_ref, y_ref, chunk: int = 256) -> dict:
    """Per image of ``X``, the L2 distance to the nearest image of ``X_ref`` of another class
    and of the same class, and the index of the nearest other-class one.

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    X, y : array_like
        Query images and their labels.
    X_ref, y_ref : array_like
        Reference images (the training set) and their labels.
    chunk : int
        Query images handled at a time (memory ``chunk x len(X_ref)``).

    Returns
    -------
    dict
        ``other``, ``same`` (distances, ``inf`` where the reference set has no such image) and
        ``other_index`` (index into ``X_ref``, -1 where none).

    Examples
    --------
    >>> r = nearest_by_class([[0.0]], [0], [[1.0], [-3.0], [0.5]], [1, 0, 0])
    >>> r["other"], r["same"], r["other_index"]
    (array([1.]), array([0.5]), array([0]))
    """
    A, B = _flat(X), _flat(X_ref)
    ya, yb = np.asarray(y).ravel(), np.asarray(y_ref).ravel()
    if len(ya) != len(A) or len(yb) != len(B) or A.shape[1] != B.shape[1]:
        raise ValueError("images and labels must agree in number, images in size")
    other = np.full(len(A), np.inf)
    same = np.full(len(A), np.inf)
    idx = np.full(len(A), -1, dtype=np.int64)
    for s in range(0, len(A), chunk):
        d = _sq_dists(A[s:s + chunk], B)
        eq = ya[s:s + chunk, None] == yb[None, :]
        do = np.where(eq, np.inf, d)
        ds = np.where(eq, d, np.inf)
        j = do.argmin(axis=1)
        rows = np.arange(len(d))
        other[s:s + chunk] = np.sqrt(do[rows, j])
        idx[s:s + chunk] = np.where(np.isfinite(do[rows, j]), j, -1)
        same[s:s + chunk] = np.sqrt(ds.min(axis=1))
    return {"other": other, "same": same, "other_index": idx}


def quartiles(values) -> dict:
    """The 5 %, 25 %, 50 %, 75 % and 95 % quantiles and the count of the finite values.

    Used on :doc:`/notebooks/synthesis-scale`.

    Examples
    --------
    >>> q = quartiles([1, 2, 3, 4, 5, np.inf])
    >>> q["median"], q["q25"], q["q75"], q["n"]
    (3.0, 2.0, 4.0, 5)
    """
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise ValueError("no finite value")
    q = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95])
    return {"q05": float(q[0]), "q25": float(q[1]), "median": float(q[2]),
            "q75": float(q[3]), "q95": float(q[4]), "n": int(v.size)}


def model_ref(profile: str, dataset: str, kind: str):
    """The :class:`~companion.chapters.synthesis.experiment.ModelRef` of ``kind``
    (``"standard"``, ``"pgd"``, ``"certified"``) on ``dataset``.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    for r in ex.model_refs(profile, dataset):
        if r.kind == kind:
            return r
    raise ValueError(f"no {kind!r} model on {dataset!r}")


def adversarial_norms(profile: str, dataset: str) -> dict:
    """Per model of ``dataset`` (its label -> array): the smallest adversarial L2 norm that
    DeepFool or CW-L2 found, over the correctly classified test images where one succeeded.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    out = {}
    for r in ex.model_refs(profile, dataset):
        a = ex.attacks(profile, r)
        v = a.l2[a.correct]
        out[r.label] = v[np.isfinite(v)]
    return out


def rw_norms(profile: str, dataset: str) -> dict:
    """The Richardson & Weiss adversarial L2 norms on the symmetric MFA samples of the pair of
    ``dataset``'s family (``"bayes"``: the Bayes-optimal classifier, ``"cnn"``: a CNN trained on
    those samples), over the points classified correctly and fooled; and ``"pair"``.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    ev = ex.rw_evaluations(profile, dataset)
    out = {k: np.asarray(ev[k].l2, dtype=float) for k in ("bayes", "cnn")}
    out["pair"] = ex.rw_entries(profile, dataset)["bayes"].pair
    return out


def bound_shares(profile: str, dataset: str, eps) -> dict:
    """The upper bounds on the robust share at the L2 radii ``eps`` (name -> curve): Dai &
    Gifford's Theorems 1 and 3 and Ding et al.'s Theorem 2.1 with the training classes'
    proportions as class measures, and Fawzi et al.'s Theorem 4 on the data's DCGAN with the
    standard LeNet5's latent class measures.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    e = np.asarray(eps, dtype=float)
    props = ex.class_proportions(profile, dataset)
    g = ex.generator_measurements(profile, dataset)
    return {
        "Dai & Gifford Thm 1": np.asarray(rs.hamming_l2_share(e, IMAGE_SIDE), dtype=float),
        "Dai & Gifford Thm 3": np.asarray(rs.bit_depth_share(e, props, IMAGE_SIDE)),
        "Ding et al. Thm 2.1": np.asarray(rs.cube_share(e, props)),
        "Fawzi et al. Thm 4": np.asarray(rs.generator_share(e, g["measures"],
                                                            ex.modulus_of(g))),
    }


# ------------------------------------------------------------------ images at each radius
def clipped_norm(x, x_new) -> float:
    """The L2 distance between two images.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    return float(np.linalg.norm(np.asarray(x_new, float).ravel() - np.asarray(x, float).ravel()))


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 1.0)


def scaled_along(x, direction, radius: float) -> np.ndarray:
    """``x`` moved by L2 length ``radius`` along ``direction`` (any non-zero array of the
    image's shape), then clipped to [0, 1]: the clipped image may be nearer than ``radius``.

    Examples
    --------
    >>> scaled_along(np.array([0.5, 0.5]), np.array([3.0, 4.0]), 0.5)
    array([0.8, 0.9])
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(direction, dtype=float)
    n = np.linalg.norm(d)
    if d.shape != x.shape or not n > 0 or radius < 0:
        raise ValueError("direction must be non-zero, of the image's shape; radius >= 0")
    return _clip(x + radius * d / n)


def noise_at(x, radius: float, seed: int = 0) -> np.ndarray:
    """``x`` plus Gaussian noise scaled to L2 norm ``radius``, clipped to [0, 1].

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    x = np.asarray(x, dtype=float)
    return scaled_along(x, np.random.default_rng(seed).standard_normal(x.shape), radius)


def towards(x, target, radius: float) -> np.ndarray:
    """The point at L2 distance ``radius`` from ``x`` on the straight segment to ``target``
    (``target`` itself once ``radius`` reaches their distance).

    Examples
    --------
    >>> towards(np.zeros(2), np.array([0.6, 0.8]), 0.5)
    array([0.3, 0.4])
    >>> towards(np.zeros(2), np.array([0.6, 0.8]), 5.0)
    array([0.6, 0.8])
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(target, dtype=float)
    d = np.linalg.norm(t - x)
    if t.shape != x.shape or not d > 0 or radius < 0:
        raise ValueError("target must differ from x and have its shape; radius >= 0")
    return x + min(radius / d, 1.0) * (t - x)


# ------------------------------------------------------------------ the figure
#: line styles and palette indices of the bound marks, in order (distinct both ways; the
#: palette's yellow is left out, too pale on white)
_MARK_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))
_MARK_COLOURS = (0, 1, 5, 7, 4)


def strip_plot(ax, rows: list, marks: dict, xlim=(0.05, 40.0)) -> None:
    """Draw one horizontal box per row on a log L2 axis and the bound radii as vertical marks.

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The panel.
    rows : list of (str, array_like, str)
        ``(label, values, colour)`` from top to bottom; the box spans the quartiles, the
        whiskers the 5 % and 95 % quantiles, the white dot is the median.
    marks : dict
        Label -> radius of a vertical mark (a bound's radius; ``inf`` is left out).
    xlim : tuple
        The range of the axis.
    """
    from ... import plotting

    ypos = np.arange(len(rows))[::-1]
    for y, (_, values, colour) in zip(ypos, rows):
        q = quartiles(values)
        ax.plot([q["q05"], q["q95"]], [y, y], color=colour, linewidth=1.2, solid_capstyle="butt")
        ax.plot([q["q25"], q["q75"]], [y, y], color=colour, linewidth=7, solid_capstyle="butt")
        ax.plot([q["median"]], [y], marker="o", markersize=4, color="white",
                markeredgecolor=colour, linestyle="none", zorder=3)
    for i, (name, r) in enumerate(marks.items()):
        if np.isfinite(r):
            ax.axvline(r, color=plotting.series(_MARK_COLOURS[i % 5]),
                       linestyle=_MARK_STYLES[i % 5],
                       linewidth=1.5, label=f"{name}: {r:.2g}", zorder=1.5)
    ax.set_xscale("log")
    ax.set_xlim(*xlim)
    ax.set_yticks(ypos)
    ax.set_yticklabels([r[0] for r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(False, axis="y")


def radius_examples(x, adversarial, target, radii, seed: int = 0) -> dict:
    """The image rows of the examples: ``x`` moved by each radius of ``radii``, three ways.

    * ``"noise"``: along a Gaussian direction (:func:`noise_at`), then clipped;
    * ``"attack"``: along the attack's direction ``adversarial - x`` (:func:`scaled_along`);
    * ``"towards"``: along the segment to ``target`` (:func:`towards`; no clipping needed).

    Returns
    -------
    dict
        Row name -> ``(images, norms)``: images of the shape of ``x`` stacked, and their L2
        distances to ``x`` after clipping.
    """
    x = np.asarray(x, dtype=float)
    delta = np.asarray(adversarial, dtype=float) - x
    make = {"noise": lambda r: noise_at(x, r, seed),
            "attack": lambda r: scaled_along(x, delta, r),
            "towards": lambda r: towards(x, target, r)}
    out = {}
    for name, f in make.items():
        imgs = np.stack([f(float(r)) for r in radii])
        out[name] = (imgs, np.array([clipped_norm(x, im) for im in imgs]))
    return out


def median_interval(values, z: float = 2.0) -> tuple:
    """A distribution-free interval for the median of the finite ``values``: the order
    statistics ``n/2 -+ z sqrt(n)/2`` (about 95 % coverage at ``z = 2``; the binomial
    standard error of the rank of the median is ``sqrt(n)/2``).

    Used on :doc:`/notebooks/synthesis-scale`.

    Examples
    --------
    >>> median_interval(np.arange(1, 101))
    (41.0, 61.0)
    """
    v = np.sort(np.asarray(values, dtype=float).ravel())
    v = v[np.isfinite(v)]
    n = v.size
    if n == 0:
        raise ValueError("no finite value")
    half = z * np.sqrt(n) / 2.0
    lo = int(np.clip(np.floor(n / 2.0 - half), 0, n - 1))
    hi = int(np.clip(np.ceil(n / 2.0 + half), 0, n - 1))
    return float(v[lo]), float(v[hi])


def declare_data(rec, profile: str) -> None:
    """Declare the training and test splits of every data set of the chapter in ``rec``.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    from ..ding import experiment as _dex
    for dataset in datasets(profile):
        _dex.declare_splits(rec, dataset)


def strip_rows(pairs, nearest: dict, adversarial: dict, rw: dict) -> list:
    """The rows of :func:`strip_plot` and of the table of medians, top to bottom:
    ``(label, values, colour)`` for the data's distances (grey), each model's adversarial
    norms (green) and the Richardson & Weiss norms (purple).

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    from ... import plotting

    rows = [("two test images", pairs, "#555555"),
            ("nearest, other class", nearest["other"], "#555555"),
            ("nearest, same class", nearest["same"], "#999999")]
    rows += [(label, v, plotting.series(2)) for label, v in adversarial.items()]
    rows += [("R&W Bayes-optimal (MFA data)", rw["bayes"], plotting.series(3)),
             ("R&W CNN (MFA data)", rw["cnn"], plotting.series(3))]
    return rows


def median_table_rows(per_dataset: dict, radii: dict) -> list:
    """The table of medians: one row per quantity of :func:`strip_rows` (``per_dataset``:
    column name -> its rows) and per bound radius (``radii``: column name -> name -> radius),
    ``"–"`` where a data set lacks the quantity.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    labels = list(dict.fromkeys(lab for rows in per_dataset.values() for lab, _, _ in rows))
    out = []
    for lab in labels:
        row = {"distance": lab}
        for col, rows in per_dataset.items():
            hit = [v for name, v, _ in rows if name == lab]
            row[col] = quartiles(hit[0])["median"] if hit else "–"
        out.append(row)
    names = list(dict.fromkeys(n for r in radii.values() for n in r))
    for n in names:
        out.append({"distance": f"bound = 1/2: {n}",
                    **{col: r.get(n, "–") for col, r in radii.items()}})
    return out


#: the radii of the image examples (L2)
EXAMPLE_RADII = (0.5, 1.0, 2.0, 4.0, 8.0)
#: the row names of the image examples
EXAMPLE_ROWS = {"noise": "random noise", "attack": "CW direction",
                "towards": "to other class"}


def pick_example(cw_norms, correct, n_show: int) -> int:
    """Among the first ``n_show`` test images, the correctly classified one with a finite
    attack norm nearest to the median of all finite norms of correct images.

    Used on :doc:`/notebooks/synthesis-scale`.

    Examples
    --------
    >>> pick_example(np.array([5.0, 1.0, np.inf, 2.2, 2.0]), np.array([1, 1, 1, 1, 0], bool), 4)
    3
    """
    v = np.asarray(cw_norms, dtype=float)
    ok = np.asarray(correct, dtype=bool) & np.isfinite(v)
    if not ok[:n_show].any():
        raise ValueError("no correctly classified image with a finite norm among the first")
    m = np.median(v[ok])
    gap = np.where(ok[:n_show], np.abs(v[:n_show] - m), np.inf)
    return int(np.argmin(gap))


def example_grid(x, adversarial, target, radii=EXAMPLE_RADII, seed: int = 0):
    """The figure of the image examples and the norms after clipping.

    Used on :doc:`/notebooks/synthesis-scale`.

    Columns: the clean image, then each radius of ``radii`` and the attack's own norm
    :math:`\\|x_{adv} - x\\|` in order (its column titled "(CW)"); rows: the three ways of
    :func:`radius_examples` (:data:`EXAMPLE_ROWS`).

    Returns
    -------
    (matplotlib.figure.Figure, list of float, dict)
        The figure, the columns' radii (0 for the clean image) and the rows' norms after
        clipping (row name -> array over the columns).
    """
    from ... import plotting

    x = np.asarray(x, dtype=float)
    own = clipped_norm(x, adversarial)
    cols = [0.0] + sorted(list(radii) + [own])
    ex_rows = radius_examples(x, adversarial, target, cols[1:], seed)
    grid = {EXAMPLE_ROWS[k]: np.concatenate([x[None], imgs]) for k, (imgs, _) in ex_rows.items()}
    norms = {EXAMPLE_ROWS[k]: np.concatenate([[0.0], n]) for k, (_, n) in ex_rows.items()}
    fig = plotting.image_rows(grid, size=0.85)
    top = fig.axes[:len(cols)]
    for ax, r in zip(top, cols):
        title = "clean" if r == 0 else (f"{r:.2f} (CW)" if r == own else f"{r:g}")
        ax.set_title(title, fontsize=9.5)
    return fig, cols, norms


def median(values) -> float:
    """The median of the finite ``values``.

    Used on :doc:`/notebooks/synthesis-scale`.

    Examples
    --------
    >>> median([3.0, 1.0, np.inf, 2.0])
    2.0
    """
    return quartiles(values)["median"]


def rw_half_gap(profile: str, dataset: str) -> float:
    """Richardson & Weiss's Theorem 2 radius :math:`d/2` on the symmetric MFA models of the
    pair of ``dataset``'s family: half the smallest distance between the affine subspaces of
    components of different classes (below it the Bayes-optimal classifier is robust at almost
    every point, as the noise vanishes).

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    from ..richardson_weiss import experiment as _rex
    pair = ex.rw_entries(profile, dataset)["bayes"].pair
    return float(_rex.subspace_gap(*_rex.models(profile, pair, "symmetric")).min()) / 2.0
