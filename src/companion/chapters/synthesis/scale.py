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
* the smallest adversarial perturbations the attacks found (:func:`measure`) and the
  Richardson & Weiss norms on symmetric MFA samples (:func:`rw_norms`);

and builds the image examples of each radius (:func:`noise_at`, :func:`scaled_along`,
:func:`towards`), each clipped to the box with the norm after clipping reported.

The page itself only calls the assembled steps: :func:`measure_all` (one :class:`Measured`
per data set), :func:`strip_figure`, :func:`median_rows`, :func:`example_of` (one
:class:`Example` per data set), :func:`example_grid`, :func:`clipped_norm_rows` and
:func:`key_numbers`; :func:`measure` is the pure part of :func:`measure_all`, on arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...bounds import robust_share as rs
from . import experiment as ex

__all__ = ["IMAGE_SIDE", "squared_distances", "short_name", "pairwise_distances",
           "nearest_by_class",
           "quartiles", "rw_norms", "bound_shares",
           "noise_at", "scaled_along", "towards", "clipped_norm", "strip_plot",
           "radius_examples", "median_interval",
           "strip_rows", "median_table_rows", "EXAMPLE_RADII", "EXAMPLE_ROWS",
           "pick_example", "example_grid", "median", "rw_half_gap",
           "Measured", "measure", "measure_all", "model_id", "strip_figure", "median_rows",
           "Example", "example_of", "describe_example", "clipped_norm_rows", "key_numbers",
           "compared", "noise_norm_for", "RW_HALF_GAP_ROW"]

#: the side of the images (28 x 28 pixels, one channel, 8 bits)
IMAGE_SIDE = 28


def short_name(dataset: str) -> str:
    """``"digits"`` or ``"Fashion-MNIST"``: the name a table column or a panel carries.
    """
    return "Fashion-MNIST" if dataset.startswith("fashion") else "digits"


def _flat(X) -> np.ndarray:
    a = np.asarray(X, dtype=np.float64)
    if a.ndim < 2:
        raise ValueError(f"images must be an array (N, ...), got shape {a.shape}")
    return a.reshape(len(a), -1)


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``A`` and of ``B`` (>= 0).

    Examples
    --------
    >>> squared_distances(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]]))
    array([[25.,  1.]])
    """
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d, 0.0)


def pairwise_distances(X, chunk: int = 1024) -> np.ndarray:
    """The L2 distances of all pairs ``i < j`` of the images ``X`` (``n (n - 1) / 2`` values,
    row by row: (0, 1), (0, 2), ..., (1, 2), ...).

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
        d = np.sqrt(squared_distances(A[s:s + chunk], A))
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
        d = squared_distances(A[s:s + chunk], B)
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


def _adversarial(attacks) -> np.ndarray:
    """The finite smallest adversarial L2 norms of the correctly classified images."""
    v = np.asarray(attacks.l2)[np.asarray(attacks.correct, dtype=bool)]
    return v[np.isfinite(v)]


def rw_norms(profile: str, dataset: str) -> dict:
    """The Richardson & Weiss adversarial L2 norms on the symmetric MFA samples of the pair of
    ``dataset``'s family (``"bayes"``: the Bayes-optimal classifier, ``"cnn"``: a CNN trained on
    those samples), over the points classified correctly and fooled; and ``"pair"``.
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
    """The L2 distance between two images."""
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
    """``x`` plus Gaussian noise scaled to L2 norm ``radius``, clipped to [0, 1]."""
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


def strip_rows(pairs, nearest: dict, adversarial: dict, rw: dict) -> list:
    """The rows of :func:`strip_plot` and of the table of medians, top to bottom:
    ``(label, values, colour)`` for the data's distances (grey), each model's adversarial
    norms (green) and the Richardson & Weiss norms (purple).
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


def _example_columns(example, radii) -> tuple:
    """The columns of the image examples (0 for the clean image, then ``radii`` and the
    attack's own norm in order) and :func:`radius_examples` at them."""
    own = example.cw_norm
    cols = [0.0] + sorted(list(radii) + [own])
    return cols, radius_examples(example.x, example.adv, example.target, cols[1:],
                                 example.seed)


def example_grid(example, radii=EXAMPLE_RADII):
    """The figure of the image examples of one :class:`Example`.

    Used on :doc:`/notebooks/synthesis-scale`.

    Columns: the clean image, then each radius of ``radii`` and the attack's own norm
    :math:`\\|x_{adv} - x\\|` in order (its column titled "(CW)"); rows: the three ways of
    :func:`radius_examples` (:data:`EXAMPLE_ROWS`), the noise drawn with ``example.seed``.
    The norms after clipping are :func:`clipped_norm_rows`.

    Parameters
    ----------
    example : Example
        The image, its adversarial example and its nearest training image of another class.
    radii : sequence of float
        The L2 radii of the columns (besides the clean image and the attack's own norm).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ... import plotting

    cols, ex_rows = _example_columns(example, radii)
    x = np.asarray(example.x, dtype=float)
    grid = {EXAMPLE_ROWS[k]: np.concatenate([x[None], imgs])
            for k, (imgs, _) in ex_rows.items()}
    fig = plotting.image_rows(grid, size=0.85)
    own = example.cw_norm
    for ax, r in zip(fig.axes[:len(cols)], cols):
        title = "clean" if r == 0 else (f"{r:.2f} (CW)" if r == own else f"{r:g}")
        ax.set_title(title, fontsize=9.5)
    return fig


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
    """
    from ..richardson_weiss import experiment as _rex
    pair = ex.rw_entries(profile, dataset)["bayes"].pair
    return float(_rex.subspace_gap(*_rex.models(profile, pair, "symmetric")).min()) / 2.0


# ------------------------------------------------------------------ the page's steps
#: the label of the Richardson & Weiss row of :func:`median_rows`
RW_HALF_GAP_ROW = "R&W Theorem 2: d/2"
#: the label of Richardson & Weiss's radius among the figure's marks
_RW_MARK = "R&W Thm 2, d/2"
#: the bound names of :func:`bound_shares` and their short names in :func:`key_numbers`
_BOUND_KEYS = {"Dai & Gifford Thm 1": "t1", "Dai & Gifford Thm 3": "t3",
               "Ding et al. Thm 2.1": "cube", "Fawzi et al. Thm 4": "gen"}


@dataclass
class Measured:
    """Everything the page measures on one data set (built by :func:`measure`).

    ``X, Y`` are the test images the attacks used and their labels, ``Xtr, Ytr`` the training
    images the models learned from; ``refs`` and ``attacks`` map each model's kind
    (``"standard"``, ``"pgd"``, ``"certified"``) to its
    :class:`~companion.chapters.synthesis.experiment.ModelRef` and its
    :class:`~companion.chapters.synthesis.experiment.AttackArrays`; ``pairs`` the pairwise
    distances (:func:`pairwise_distances`), ``nearest`` the result of :func:`nearest_by_class`,
    ``adversarial`` each model's label -> finite smallest adversarial norms of the correctly
    classified images, ``rw`` the :func:`rw_norms`, ``radii`` each bound's radius at share 1/2,
    ``rw_half_gap`` Richardson & Weiss's :math:`d/2` and ``rows`` the :func:`strip_rows`.
    """

    dataset: str
    X: np.ndarray
    Y: np.ndarray
    Xtr: np.ndarray
    Ytr: np.ndarray
    refs: dict
    attacks: dict
    pairs: np.ndarray
    nearest: dict
    adversarial: dict
    rw: dict
    radii: dict
    rw_half_gap: float
    rows: list

    @property
    def name(self) -> str:
        """The data set's :func:`short_name`."""
        return short_name(self.dataset)


def measure(dataset: str, test, train, pair_images, refs: dict, attacks: dict, rw: dict,
            shares: dict, eps, rw_half_gap: float) -> Measured:
    """Assemble the measurements of one data set from its arrays (no cache is read).

    Parameters
    ----------
    dataset : str
        The data set's name.
    test, train : tuple of array_like
        ``(images, labels)`` of the attacked test images and of the training images.
    pair_images : array_like
        The images whose pairwise distances are measured.
    refs, attacks : dict
        Model kind -> its ModelRef (with a ``label``) and its attack arrays (with ``l2`` and
        ``correct`` per test image), in the order of the models.
    rw : dict
        ``"bayes"`` and ``"cnn"``: the Richardson & Weiss norms (:func:`rw_norms`).
    shares : dict
        Bound name -> its robust share at each radius of ``eps`` (:func:`bound_shares`).
    eps : array_like
        The increasing radii of ``shares``.
    rw_half_gap : float
        Richardson & Weiss's :math:`d/2` (:func:`rw_half_gap`).

    Returns
    -------
    Measured
    """
    X, Y = (np.asarray(a) for a in test)
    Xtr, Ytr = (np.asarray(a) for a in train)
    if set(refs) != set(attacks):
        raise ValueError(f"refs {sorted(refs)} and attacks {sorted(attacks)} differ")
    pairs = pairwise_distances(np.asarray(pair_images))
    nearest = nearest_by_class(X, Y, Xtr, Ytr)
    adversarial = {refs[k].label: _adversarial(attacks[k]) for k in refs}
    radii = {k: rs.radius_at_share(eps, s) for k, s in shares.items()}
    return Measured(dataset, X, Y, Xtr, Ytr, dict(refs), dict(attacks), pairs, nearest,
                    adversarial, rw, radii, float(rw_half_gap),
                    strip_rows(pairs, nearest, adversarial, rw))


def _inputs(profile: str, dataset: str, n_pairs: int, eps) -> dict:
    """The cached arrays :func:`measure` assembles, for ``dataset`` at ``profile``."""
    refs = {r.kind: r for r in ex.model_refs(profile, dataset)}
    attacks = {k: ex.attacks(profile, r) for k, r in refs.items()}
    return {"test": tuple(a.numpy() for a in ex.test_images(dataset, attacks["pgd"].n)),
            "train": tuple(a.numpy() for a in ex.training_images(profile, dataset)),
            "pair_images": ex.test_images(dataset, n_pairs)[0].numpy(),
            "refs": refs, "attacks": attacks, "rw": rw_norms(profile, dataset),
            "shares": bound_shares(profile, dataset, eps), "eps": eps,
            "rw_half_gap": rw_half_gap(profile, dataset)}


def measure_all(profile: str, datasets, n_pairs: int, eps) -> dict:
    """The :class:`Measured` of each data set of ``datasets``, from the cached attacks,
    images, bounds and Richardson & Weiss evaluations at ``profile``.

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    profile : str
        The profile whose cached measurements are read.
    datasets : sequence of str
        The data sets (:func:`datasets`).
    n_pairs : int
        How many of the first test images the pairwise distances use.
    eps : array_like
        The increasing L2 radii on which each bound's radius at share 1/2 is read.

    Returns
    -------
    dict
        Data set -> :class:`Measured`, in the order of ``datasets``.
    """
    e = np.asarray(eps, dtype=float)
    return {ds: measure(ds, **_inputs(profile, ds, n_pairs, e)) for ds in datasets}


def model_id(ref) -> str:
    """The short id of a model in record ids: its architecture (the label's first word,
    lower case) and its kind, e.g. ``"lenet5-pgd"``.

    Used on :doc:`/notebooks/synthesis-scale`.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> model_id(SimpleNamespace(label="ConvNet, certified (IBP) training", kind="certified"))
    'convnet-certified'
    """
    arch = ref.label.split(",")[0].strip()
    if not arch or not ref.kind:
        raise ValueError(f"no architecture or kind in {ref!r}")
    return f"{arch.lower()}-{ref.kind}"


def strip_figure(measured: dict):
    """The figure of all distances on one log axis: one panel per data set of ``measured``
    (:func:`strip_plot` of its rows, with the bound radii and :math:`d/2` as marks).

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    measured : dict
        Data set -> :class:`Measured` (:func:`measure_all`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ... import plotting

    fig, axes = plotting.figure(nrows=len(measured), width=plotting.MAX_WIDTH,
                                height=4.8 * len(measured), squeeze=False)
    for ax, m in zip(axes.ravel(), measured.values()):
        strip_plot(ax, m.rows, {**m.radii, _RW_MARK: m.rw_half_gap})
        plotting.label(ax, "L2 distance between images in [0, 1]", m.name,
                       loc="upper center", bbox_to_anchor=(0.35, -0.13), ncol=2)
    return fig


def median_rows(measured: dict) -> list:
    """The table of medians (:func:`median_table_rows`, one column per data set) with the
    row of Richardson & Weiss's :math:`d/2` (:data:`RW_HALF_GAP_ROW`) appended.

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    measured : dict
        Data set -> :class:`Measured`.

    Returns
    -------
    list of dict
        ``{"distance": label, <short name>: median, ...}`` per row.
    """
    ms = list(measured.values())
    out = median_table_rows({m.name: m.rows for m in ms}, {m.name: m.radii for m in ms})
    out.append({"distance": RW_HALF_GAP_ROW, **{m.name: m.rw_half_gap for m in ms}})
    return out


@dataclass
class Example:
    """One test image of the examples: its index ``index`` among the test images, the image
    ``x``, the CW-L2 adversarial example ``adv`` of the PGD-trained model, its nearest
    training image of another class ``target``, their class names ``classes``, the data set's
    short ``name`` and the ``seed`` of the random noise."""

    name: str
    index: int
    x: np.ndarray
    adv: np.ndarray
    target: np.ndarray
    classes: tuple
    seed: int = 0

    @property
    def cw_norm(self) -> float:
        """The L2 norm of the CW perturbation."""
        return clipped_norm(self.x, self.adv)

    @property
    def target_distance(self) -> float:
        """The L2 distance to the nearest training image of another class."""
        return clipped_norm(self.x, self.target)


def example_of(measured: Measured, seed: int = 0) -> Example:
    """The example image of a data set: among the first test images whose CW adversarial
    images are kept, the one whose CW norm against the PGD-trained model is nearest that
    model's median (:func:`pick_example`), with its nearest training image of another class.

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    measured : Measured
        The data set's measurements; ``measured.attacks["pgd"].arrays`` holds ``show_cw``
        (the first CW adversarial images) and ``cw`` (the CW norm per test image).
    seed : int
        The seed of the example's random noise.

    Returns
    -------
    Example
    """
    att = measured.attacks["pgd"]
    show = np.asarray(att.arrays["show_cw"])
    i = pick_example(att.arrays["cw"], att.correct, len(show))
    j = int(measured.nearest["other_index"][i])
    if j < 0:
        raise ValueError(f"test image {i} has no training image of another class")
    names = ex.label_names(measured.dataset)
    return Example(measured.name, i, measured.X[i], show[i], measured.Xtr[j],
                   (names[measured.Y[i]], names[measured.Ytr[j]]), seed)


def describe_example(example: Example) -> str:
    """Two lines naming the example: its index and class, its CW norm, the class of its
    nearest training image of another class and their distance.

    Used on :doc:`/notebooks/synthesis-scale`.

    Examples
    --------
    >>> e = Example("digits", 2, np.zeros(2), np.array([0.6, 0.8]), np.array([3.0, 4.0]),
    ...             ("2", "8"))
    >>> print(describe_example(e))
    digits: test image 2 (2), CW norm 1.00;
      nearest other class: 8, at 5.00
    """
    e = example
    return (f"{e.name}: test image {e.index} ({e.classes[0]}), CW norm {e.cw_norm:.2f};\n"
            f"  nearest other class: {e.classes[1]}, at {e.target_distance:.2f}")


def clipped_norm_rows(examples, radii=EXAMPLE_RADII) -> list:
    """The table of the examples' norms after clipping: per example and row of
    :func:`example_grid` (the same images), the L2 distance to the clean image at each radius
    of ``radii`` and at the attack's own norm (column ``"at CW norm"``).

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    examples : iterable of Example
        The examples, in the order of the table.
    radii : sequence of float
        The radii of the columns, as in :func:`example_grid`.

    Returns
    -------
    list of dict
        ``{"image, row": "<name>, <row>", "<radius>": norm, ..., "at CW norm": norm}``, the
        columns in the order of ``radii``.
    """
    heads = [f"{r:g}" for r in radii] + ["at CW norm"]
    out = []
    for e in examples:
        cols, ex_rows = _example_columns(e, radii)
        own = e.cw_norm
        for k, (_, norms) in ex_rows.items():
            cells = {("at CW norm" if c == own else f"{c:g}"): float(v)
                     for c, v in zip(cols[1:], norms)}
            out.append({"image, row": f"{e.name}, {EXAMPLE_ROWS[k]}",
                        **{h: cells[h] for h in heads}})
    return out


def key_numbers(measured: Measured) -> dict:
    """The numbers the page's prose cites for one data set: name -> ``(value, format)``.

    Used on :doc:`/notebooks/synthesis-scale`.

    ``pairs``, ``other``, ``same``: median distances of the data; ``<kind>`` and
    ``<kind>_ratio`` for the standard and PGD-trained models: the median smallest adversarial
    norm and the median per image of its ratio to the distance to the nearest training image
    of another class; ``cert`` the certified model's median (where there is one); ``bayes``,
    ``cnn``, ``bayes_q05``: Richardson & Weiss's norms (medians, 5 % quantile); ``d2`` their
    :math:`d/2`; ``t1``, ``t3``, ``cube``, ``gen``: the bound radii at share 1/2;
    ``below_t3``: the share of the standard model's smallest adversarial norms below the
    Theorem 3 radius.

    Parameters
    ----------
    measured : Measured

    Returns
    -------
    dict
    """
    m = measured
    out = {"pairs": (median(m.pairs), ".1f"), "other": (median(m.nearest["other"]), ".1f"),
           "same": (median(m.nearest["same"]), ".1f")}
    for kind in ("standard", "pgd"):
        att = m.attacks[kind]
        l2 = np.asarray(att.l2)
        ok = np.asarray(att.correct, dtype=bool) & np.isfinite(l2)
        out[kind] = (median(l2[ok]), ".2f")
        out[f"{kind}_ratio"] = (np.median(l2[ok] / m.nearest["other"][ok]), ".0%")
    if "certified" in m.refs:
        out["cert"] = (median(m.adversarial[m.refs["certified"].label]), ".2f")
    out["bayes"] = (median(m.rw["bayes"]), ".2f")
    out["cnn"] = (median(m.rw["cnn"]), ".2f")
    out["d2"] = (m.rw_half_gap, ".2f")
    out["bayes_q05"] = (quartiles(m.rw["bayes"])["q05"], ".2f")
    for name, short in _BOUND_KEYS.items():
        out[short] = (m.radii[name], ".2f")
    att = m.attacks["standard"]
    l2 = np.asarray(att.l2)
    ok = np.asarray(att.correct, dtype=bool) & np.isfinite(l2)
    out["below_t3"] = (np.mean(l2[ok] < m.radii["Dai & Gifford Thm 3"]), ".0%")
    return out


def compared(a: float, b: float, words=("below", "about at", "above"),
             rel: float = 0.0) -> str:
    """The word of ``words`` that places ``a`` against ``b``: the middle one when they differ
    by at most ``rel`` of ``|b|``, else the first (``a`` smaller) or the last.

    Used on :doc:`/notebooks/synthesis-scale`.

    Examples
    --------
    >>> compared(5.0, 4.8, ("within", "at", "beyond"))
    'beyond'
    >>> compared(3.37, 3.41, rel=0.05)
    'about at'
    """
    if not (np.isfinite(a) and np.isfinite(b)) or rel < 0 or len(words) != 3:
        raise ValueError("a, b finite, rel >= 0 and three words")
    if abs(a - b) <= rel * abs(b):
        return words[1]
    return words[0] if a < b else words[2]


def noise_norm_for(x, clipped: float, seed: int = 0, hi: float = 64.0,
                   steps: int = 40) -> float:
    """The norm of the Gaussian noise of :func:`noise_at` (before clipping) whose clipped
    version has L2 norm ``clipped``, by bisection (the clipped norm grows with it).

    Used on :doc:`/notebooks/synthesis-scale`.

    Parameters
    ----------
    x : array_like
        The image.
    clipped : float
        The norm wanted after clipping (> 0, reachable below ``hi``).
    seed : int
        The seed of the noise's direction.
    hi : float
        The largest norm tried.
    steps : int
        Bisection steps.

    Returns
    -------
    float
        The upper end of the last bracket.

    Examples
    --------
    >>> round(noise_norm_for(np.full(784, 0.5), 1.0), 6)
    1.0
    """
    x = np.asarray(x, dtype=float)
    if not clipped > 0 or clipped_norm(x, noise_at(x, hi, seed)) < clipped:
        raise ValueError(f"a clipped norm {clipped!r} is not reached below {hi}")
    lo = 0.0
    for _ in range(steps):
        mid = (lo + hi) / 2
        if clipped_norm(x, noise_at(x, mid, seed)) < clipped:
            lo = mid
        else:
            hi = mid
    return hi
