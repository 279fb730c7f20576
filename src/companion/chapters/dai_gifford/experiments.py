"""The computations behind the Dai & Gifford pages, one function per experiment.

The notebooks of the chapter call these functions and record what they return; the figures are
drawn from their results by :mod:`companion.chapters.dai_gifford.figures`. Every function that
draws random numbers takes the generator and consumes it in a documented order, so a page that
calls them in the order of its sections reproduces the same numbers from the same seed.

Sections
--------
* Theorem 1 (Appendix A.1): :func:`verification_summary`, :func:`bound_ratio`,
  :func:`eq25_growth`, :func:`lemma5_vertex_counts`, :func:`expansion_curves`.
* Theorem 2 (Appendix A.2): :func:`closed_forms_vs_brute_force`, :func:`binary_exact_margin`,
  :func:`l1_robust_curves`, :func:`clt_limit`, :func:`mc_robust_curves`, :func:`lemma7_grid`,
  :func:`lemma8_gap`, :func:`lemma9_counts`, :func:`corollary1_limit`.
* Theorem 3 (Appendix A.3-A.4): :func:`known_set_interiors`, :func:`lemma16_min_step`,
  :func:`eq82_chain`, :func:`find_perturbation_experiment`, :func:`bit_depth_robustness`,
  :func:`theorem3_crossover`.
* The paper page (Section 2, Appendix A.5): :func:`definitions_check`,
  :func:`table1_consistency`, :func:`table1_l0_equals_l1`, :func:`typical_distance_cases`,
  :func:`eq2_ratios`, :func:`harper_neighbourhood_bound`, :func:`figure1b`.
* Section 3: :func:`mc_typical_distance_samples`, :func:`drawing_shares`.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ...discrete import bit_depth as bd
from ...discrete import hamming_bfs, hamming_graph, isoperimetry, line_drawings
from ...discrete import robust_classifier as rc
from ...discrete.image_spaces import ImageSpace, interesting_classes

__all__ = [
    "space_tex", "theorem1_classifiers", "SUMMARY_FORMATS", "verification_summary", "bound_ratio",
    "eq25_growth", "lemma5_vertex_counts",
    "expansion_curves", "closed_forms_vs_brute_force", "binary_exact_margin",
    "l1_robust_curves", "clt_limit", "mc_robust_curves", "lemma7_grid", "lemma8_gap",
    "binary_robust_fraction", "lemma9_counts", "corollary1_limit", "corollary1_curves",
    "known_set_interiors",
    "lemma16_min_step", "eq82_chain", "find_perturbation_experiment", "bit_depth_robustness",
    "theorem3_crossover", "definitions_check", "table1_consistency", "table1_l0_equals_l1",
    "table1_values", "typical_distance_cases", "eq2_ratios", "harper_neighbourhood_bound",
    "figure1b", "mc_typical_distance_samples", "drawing_shares",
]


# =============================================================================== Theorem 1
def space_tex(space: ImageSpace) -> str:
    """The space's name as mathematics, ``$\\mathcal{I}_{n,h,b}$``.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    return f"$\\mathcal{{I}}_{{{space.n},{space.h},{space.b}}}$"


def theorem1_classifiers(space: ImageSpace, seed: int, cnn_epochs: int) -> tuple[dict, dict]:
    """The classifiers checked on ``space``: Algorithm 1, the Hamming ball, a random linear
    classifier and a random labelling (4 classes each), and on the binary 4 x 4 space a small
    CNN trained on downscaled real digits. Returns ``(labels by name, info)``; ``info`` holds
    the CNN's dataset (to declare) and test accuracy when it was trained.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    from ...discrete import classifiers as C

    out = {"Algorithm 1": C.algorithm1(space), "Hamming ball": C.hamming_ball(space),
           "random linear (4 classes)": C.random_linear(space, 4, seed),
           "random labelling (4 classes)": C.random_labelling(space, 4, seed)}
    info = {}
    if space.h == 1 and space.b == 1 and space.n == 4:
        labels, info = C.digits_cnn(space, seed, cnn_epochs)
        out[f"CNN on 4x4 digits (test acc. {info['test_accuracy']:.0%})"] = labels
    return out, info


def bound_ratio(v) -> float:
    """The largest ``robust fraction / Theorem 1's bound`` of a
    :class:`~companion.discrete.verification.Verification`, over the sizes where the bound says
    something (is below 1); Theorem 1 holds there iff this is at most 1 (``0`` when the bound
    is never informative or no class is interesting).

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    informative = v.bound < 1
    if not v.fractions or not informative.any():
        return 0.0
    return float(np.max(v.worst[informative] / v.bound[informative]))


#: column formats of :func:`verification_summary`'s table
SUMMARY_FORMATS = {"robust fraction": ".2e", "bound": ".3f", "largest ratio": ".3f"}


def verification_summary(checks) -> list[dict]:
    """One row per verification (space, classifier): the number of interesting classes, the
    first size ``d`` where the bound is below 1, the largest robust fraction of an interesting
    class and the bound there, and :func:`bound_ratio`.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    rows = []
    for v in checks:
        d = v.first_informative
        rows.append({"space": space_tex(v.space), "classifier": v.classifier,
                     "classes": len(v.fractions), "$d$": d,
                     "robust fraction": float(v.worst[d]), "bound": float(v.bound[d]),
                     "largest ratio": bound_ratio(v)})
    return rows


def eq25_growth(n: int = 400, c: float = 0.01) -> dict:
    """Eq. (25) of the proof of Theorem 4, on its extremal set.
    Used on :doc:`/notebooks/dai-gifford-theorem1`.


    In the hypercube ``{0,1}^n`` let ``S`` be the largest Hamming ball holding at most half the
    vertices (radius ``r``) and ``S'`` the vertices of ``S`` from which no path of at most
    ``k = floor(c sqrt(n) + 2)`` edges leaves ``S``: the ball of radius ``r - k``. Then
    ``EXP^k(S') = S`` and the growth ``|EXP^k(S')| / |S'|`` is ``U(r) / U(r - k)`` (binomial
    sums with ``p = 1/2``, exact). Eq. (25) prints the lower bound ``2 e^{2(c sqrt n + 1)^2/n}``;
    Lemma 4 gives ``(1/2) e^{2(c sqrt n + 1)^2/n}``.

    Returns
    -------
    dict
        ``growth``, ``printed`` and ``corrected`` (the two lower bounds), ``r``, ``k``,
        ``half_ok`` (``|S| <= 2^n / 2``).
    """
    if not 0 < c:
        raise ValueError(f"c must be > 0, got {c}")
    half = Fraction(1, 2)
    p = Fraction(1, 2)
    r = max(x for x in range(n) if isoperimetry.binomial_cdf(n, p, x) <= half)
    k = math.floor(c * math.sqrt(n) + 2)
    growth = isoperimetry.binomial_cdf(n, p, r) / isoperimetry.binomial_cdf(n, p, r - k)
    e = math.exp(2 * (c * math.sqrt(n) + 1) ** 2 / n)
    return {"growth": float(growth), "printed": 2 * e, "corrected": 0.5 * e, "r": r, "k": k,
            "half_ok": isoperimetry.binomial_cdf(n, p, r) <= half}


def lemma5_vertex_counts(space: ImageSpace) -> dict:
    """Vertex counts of the bijection in the proof of Lemma 5: ``Q^{N}`` with ``|Q| = 2^n``
    levels as printed, with ``|Q| = 2^b`` as corrected, against the number of images; and
    whether a set of ``2^n`` (``2^b``) equally spaced values can have largest value 0 and
    smallest 1, as printed (only a single point could).

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    printed_levels, corrected_levels = 2 ** space.n, 2 ** space.b
    return {"images": space.size,
            "printed_vertices": printed_levels ** space.N,
            "corrected_vertices": corrected_levels ** space.N,
            "printed_extremes_possible": printed_levels == 1,
            "corrected_extremes": (0.0, 1.0)}


def expansion_curves(N: int = 16, radius: int = 4, steps: int = 6, seed: int = 0) -> dict:
    """``|EXP^k(S)| / 2^N``, ``k = 0..steps``, for three sets of the size of the Hamming ball of
    ``radius`` in ``{0,1}^N``: the ball, a uniformly random set and an initial segment of the
    vertex numbering (a subcube-like set). Harper's theorem (Lemma 3): the ball grows slowest.

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    pop = np.array([bin(i).count("1") for i in range(2 ** N)])
    ball = pop <= radius
    rng = np.random.default_rng(seed)
    rand = np.zeros(2 ** N, bool)
    rand[rng.choice(2 ** N, int(ball.sum()), replace=False)] = True
    segment = np.arange(2 ** N) < ball.sum()
    out = {}
    for name, S in (("Hamming ball", ball), ("random set", rand), ("initial segment", segment)):
        d = hamming_bfs.hypercube_distances(S, N)
        out[name] = np.array([np.mean(d <= k) for k in range(steps + 1)])
    return out


# =============================================================================== Theorem 2
#: the complete spaces (channels N, levels q) on which the closed forms meet brute force
BRUTE_FORCE_SPACES = ((5, 2), (3, 4), (4, 4), (2, 8), (3, 8))


def closed_forms_vs_brute_force(spaces=BRUTE_FORCE_SPACES,
                                norms=(0, 1, 2, 3, "inf")) -> tuple[float, int]:
    """Largest difference between Algorithm 1's closed-form minimal perturbation and the brute
    force minimum over every image of the other class, over every image of each complete space
    ``(N, q)`` and every norm; and the number of images checked.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    worst, n_images = 0.0, 0
    for N, q in spaces:
        v = np.array(list(itertools.product(range(q), repeat=N)))
        n_images += len(v)
        for p in norms:
            diff = np.abs(rc.minimal_perturbation(v, q, p)
                          - rc.brute_force_minimal_perturbation(v, q, p))
            worst = max(worst, float(diff.max()))
    return worst, n_images


def binary_exact_margin(ns, cs) -> tuple[float, float, int]:
    """Theorem 2 for ``b = 1``, ``L^0`` (Lemma 10), in exact arithmetic: the smallest
    ``robust fraction - (1 - 4c)`` over image sizes ``ns`` and constants ``cs`` (where the size
    ``c n - 2`` is non-negative), the largest difference between the binomial count and the
    convolution of :func:`~companion.discrete.robust_classifier.z_robust_fraction_l1`, and the
    number of ``(n, c)`` cases.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    margin, disagree, count = math.inf, 0.0, 0
    for n in ns:
        N = n * n
        for c in cs:
            size = rc.theorem2_size(c, n)
            if math.isnan(size):
                continue
            exact = rc.z_robust_fraction_binary(N, size)
            margin = min(margin, float(exact - (1 - 4 * Fraction(c))))
            disagree = max(disagree, abs(float(exact) - rc.z_robust_fraction_l1(N, 2, size)))
            count += 1
    return margin, disagree, count


def l1_robust_curves(ns, cs, b: int) -> dict:
    """Exact fraction of Z robust to ``L^1`` size ``c n - 2`` (``h = 1``) for each ``n`` in
    ``ns`` at every ``c`` of ``cs`` (``nan`` where the size is negative).

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    q = 2 ** b
    out = {}
    for n in ns:
        fr = []
        for c in cs:
            size = rc.theorem2_size(c, n, b=b)
            fr.append(np.nan if math.isnan(size) else rc.z_robust_fraction_l1(n * n, q, size))
        out[n] = np.array(fr)
    return out


def min_margin(curves: dict, cs) -> float:
    """The smallest ``fraction - (1 - 4c)`` over all curves (``nan`` points skipped).

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    cs = np.asarray(cs)
    out = math.inf
    for fr in curves.values():
        ok = ~np.isnan(fr)
        if ok.any():
            out = min(out, float(np.min(fr[ok] - (1 - 4 * cs[ok]))))
    return out


def clt_limit(c: float, n: int, q: int = 2) -> tuple[float, float]:
    """The central-limit value of the proof sketch of Theorem 2 against the exact fraction:
    ``(2 Phi(-c' / sigma), exact)`` with ``c' = (c n - 2) / n`` the effective constant and
    ``sigma^2 = (q + 1) / (12 (q - 1))`` the variance of one channel value (``h = 1``,
    ``b = log2 q``).

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    from scipy.stats import norm

    var = (q + 1) / (12 * (q - 1))
    size = rc.theorem2_size(c, n, b=int(round(math.log2(q))))
    lim = float(2 * norm.cdf(-(size / n) / math.sqrt(var)))
    return lim, rc.z_robust_fraction_l1(n * n, q, size)


def mc_robust_curves(ns, cs, n_mc: int, rng, q: int = 4) -> dict:
    """Monte Carlo fraction of Z robust to ``L^0`` size ``c n - 2`` and to ``L^2`` size
    ``(c n - 2)^{1/2} / (q - 1)``, from ``n_mc`` uniform images of Z per ``n`` (drawn with
    ``rng`` in the order of ``ns``); ``{(p, n): fractions}`` with ``p`` in ``(0, 2)``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    b = int(round(math.log2(q)))
    out = {}
    for n in ns:
        z = rc.z_sample(n * n, q, n_mc, rng)
        d = {0: rc.minimal_perturbation(z, q, 0), 2: rc.minimal_perturbation(z, q, 2)}
        for p in (0, 2):
            fr = []
            for c in cs:
                s = rc.theorem2_size(c, n, b=b, p=p)
                fr.append(np.nan if math.isnan(s) else float((d[p] > s).mean()))
            out[(p, n)] = np.array(fr)
    return out


#: Lemma 7's symmetric Y: three i.i.d. uniform {-1, +1} summed (D of Lemma 8's proof, k = 2,
#: three channels, times 4)
LEMMA7_Y = {s: Fraction(math.comb(3, (s + 3) // 2), 8) for s in (-3, -1, 1, 3)}


def lemma7_grid(ns=(4, 7, 10, 15, 20), y_pmf=None) -> tuple[bool, int]:
    """Lemma 7 in exact arithmetic at every half-integer ``t < n/2`` (``t >= -3/2``) for each
    ``n``: whether ``Pr(X + Y <= t) >= Pr(X < t)`` everywhere, and the number of ``(n, t)``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    y_pmf = LEMMA7_Y if y_pmf is None else y_pmf
    ok, count = True, 0
    for n in ns:
        for t2 in range(-3, n, 2):
            t = Fraction(t2, 2)
            if t < Fraction(n, 2):
                lhs, rhs = rc.lemma7_sides(n, y_pmf, t)
                ok &= lhs >= rhs
                count += 1
    return bool(ok), count


def lemma8_gap(ns=(4, 16, 64, 256), ks=(1, 2, 8), ts=(0.1, 0.5, 1.0, 2.0, 4.0)) -> float:
    """The smallest ``Pr(sum <= E - t + 1) - (1/2 - 2t/sqrt(n))`` of Lemma 8 on the grid.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    return min(lhs - rhs for n in ns for k in ks for t in ts
               for lhs, rhs in [rc.lemma8_sides(n, k, t)])


def binary_robust_fraction(N: int, d: float) -> Fraction:
    """:func:`~companion.discrete.robust_classifier.z_robust_fraction_binary` (the exact
    fraction of Z robust to ``L^0`` size ``d`` when ``b = 1``) with the binomial coefficients
    computed incrementally, fast enough for ``N`` of ten thousand channels.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    T = (N + 1) // 2
    top = max(T - math.floor(d), 0)
    good, total, coef = 0, 0, 1
    for s in range(T):
        if s < top:
            good += coef
        total += coef
        coef = coef * (N - s) // (s + 1)
    return Fraction(good, total)


def lemma9_counts(n: int = 4, c: float = 0.75) -> dict:
    """The count of the proof of Lemma 9 on the complete binary space ``I_{n,1,1}``: ``|Z'|``
    (images of Z robust to ``L^1`` perturbations of size ``c n - 2``) by enumerating every
    image, against ``Pr(I in Z') 2^{-N}`` (as printed) and ``Pr(I in Z') 2^{N}``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    N = n * n
    if N > 20:
        raise ValueError(f"enumerating 2^{N} images is too much; take n <= 4")
    v = np.array(list(itertools.product(range(2), repeat=N)))
    size = c * n - 2
    in_z = rc.algorithm1_labels(v, 2) == 0
    robust = rc.minimal_perturbation(v, 2, 1) > size
    count = int((in_z & robust).sum())
    pr = Fraction(count, 2 ** N)
    return {"count": count, "printed": float(pr / 2 ** N), "corrected": float(pr * 2 ** N),
            "size": size, "images": 2 ** N}


def corollary1_limit(r: float = 0.5, b: int = 8, big: int = 10 ** 9) -> dict:
    """Corollary 1 at robustness ``r``: the limits ``K = 4 sqrt(ln(2/r)/2) / (1 - r)`` of the
    ratio of Table 1's upper to lower bound for ``p <= 1`` and ``(2^b - 1) sqrt(K)`` for
    ``p = 2``, and the ratios at ``n = big``.

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    K = 4 * math.sqrt(math.log(2 / r) / 2) / (1 - r)
    return {"K": K, "ratio_p1": rc.table1_upper(r, big, p=1) / rc.table1_lower(r, big, p=1),
            "K_p2": (2 ** b - 1) * math.sqrt(K),
            "ratio_p2": rc.table1_upper(r, big, b=b, p=2) / rc.table1_lower(r, big, b=b, p=2)}


def corollary1_curves(grid, r: float = 0.5, bs=(1, 2, 4, 8)) -> dict:
    """Ratio of Table 1's upper to lower bound along the image sizes ``grid``, for ``p <= 1``
    and for ``p = 2`` at each bit depth (keyed by their legend labels), with their limits
    (``h = 1``).

    Used on :doc:`/notebooks/dai-gifford-theorem2`.
    """
    K = corollary1_limit(r)["K"]
    out = {"$p \\leq 1$": (np.array([rc.table1_upper(r, n, p=1) / rc.table1_lower(r, n, p=1)
                                  for n in grid]), K)}
    for b in bs:
        ratio = np.array([rc.table1_upper(r, n, b=b, p=2) / rc.table1_lower(r, n, b=b, p=2)
                          for n in grid])
        out[f"$p = 2$, $b = {b}$"] = (ratio, (2 ** b - 1) * math.sqrt(K))
    return out


# =============================================================================== Theorem 3
#: regular sets with known interiors: (name, function r -> (mu(C), mu(C_r)))
KNOWN_SETS = (
    ("slab $x_1 \\leq 1/2$", lambda r: bd.slab_interior(0.5, r)),
    ("box $[0, 0.625]^2$", lambda r: bd.corner_box_interior(0.625, 2, r)),
    ("box $[0, 0.75]^3$", lambda r: bd.corner_box_interior(0.75, 3, r)),
    ("box $[0, 0.5]^3$", lambda r: bd.corner_box_interior(0.5, 3, r)),
)


@dataclass
class KnownSet:
    """The ``r``-interior of a regular set along a grid of radii, with Lemma 18-19's bounds."""

    name: str
    mu: float
    r: np.ndarray
    inner: np.ndarray
    lemma18: np.ndarray
    lemma19: np.ndarray = field(default=None)


def known_set_interiors(r) -> list[KnownSet]:
    """The interiors of :data:`KNOWN_SETS` at radii ``r`` with the bounds of Lemma 18
    (``Phi(Phi^{-1}(mu) - r)``) and Lemma 19 (``2 e^{-r^2/2} mu``).

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    r = np.asarray(r, dtype=float)
    out = []
    for name, f in KNOWN_SETS:
        mu = f(0.0)[0]
        inner = np.array([f(x)[1] for x in r])
        b18 = np.array([bd.lemma18_bound(mu, x) for x in r])
        b19 = np.array([bd.lemma19_bound(x) for x in r]) * mu
        out.append(KnownSet(name, mu, r, inner, b18, b19))
    return out


def lemma16_min_step(ks=(0.1, 1.0, 3.0), x=None) -> float:
    """The smallest step of ``log Phi(x - k) - log Phi(x)`` along a grid of ``x`` (Lemma 16:
    ``Phi(x - k)/Phi(x)`` increases in ``x``, so every step is ``>= 0``).

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    from scipy.stats import norm

    x = np.linspace(-8, 8, 4001) if x is None else np.asarray(x)
    return float(min(np.min(np.diff(norm.logcdf(x - k) - norm.logcdf(x))) for k in ks))


def eq82_chain(cgrid) -> dict:
    """The last step of Eq. (82) along ``cgrid``: the printed middle term ``Phi(1/2-c)/Phi(1/2)``
    and the corrected ``2 Phi(-c)`` against ``2 e^{-c^2/2}``; ``c_star`` is the smallest ``c``
    of the grid where the printed step fails (``nan`` if none).

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    cgrid = np.asarray(cgrid, dtype=float)
    printed = np.array([bd.lemma19_middle_printed(c) for c in cgrid])
    corrected = np.array([bd.lemma19_middle_corrected(c) for c in cgrid])
    bound = np.array([bd.lemma19_bound(c) for c in cgrid])
    fails = cgrid[printed >= bound]
    return {"c": cgrid, "printed": printed, "corrected": corrected, "bound": bound,
            "printed_holds": bool(fails.size == 0),
            "corrected_holds": bool(np.all(corrected < bound)),
            "c_star": float(fails.min()) if fails.size else float("nan")}


def find_perturbation_experiment(n: int, bs, cs, n_mc: int, rng, c_size: float = 1.0) -> dict:
    """Algorithm 2 (FindPerturbation) on Algorithm 1 extended to the cube, on ``n_mc`` uniform
    images of Z in ``I_{n,1,b}`` for each bit depth (``rng``: the images, then the points
    ``p_1`` in their cells, bit depth by bit depth).
    Used on :doc:`/notebooks/dai-gifford-theorem3`.


    Returns
    -------
    dict
        ``fail[b]``: failure rate at each ``c`` of ``cs``; ``se[b]``: its standard error;
        ``largest[b]``: the largest ``L^2`` size of the perturbations found at ``c = c_size``
        (``nan`` if none); ``lemma12_ratio``: the largest size over Lemma 12's bound
        ``c + 2n/2^b``; ``lemma13_excess``: the largest ``fail - 3 se - 2 e^{-c^2/2}`` over the
        ``c`` where the bound is below 1 (negative when Lemma 13 holds there).
    """
    cs = np.asarray(cs, dtype=float)
    bound = np.array([bd.theorem3_robustness(c) for c in cs])
    informative = bound < 1
    fail, se, largest = {}, {}, {}
    ratio12, excess13 = 0.0, -math.inf
    for b in bs:
        q = 2 ** b
        z = rc.z_sample(n * n, q, n_mc, rng)
        p1 = np.minimum((z + rng.random(z.shape)) / q, 1.0)
        near = [bd.nearest_other_class_algorithm1(p, q) for p in p1]
        dist = np.array([d for d, _ in near])
        f = np.array([(dist > c).mean() for c in cs])
        s = np.sqrt(np.maximum(f * (1 - f), 1 / n_mc) / n_mc)
        fail[b], se[b] = f, s
        if informative.any():
            excess13 = max(excess13, float(np.max((f - 3 * s - bound)[informative])))
        moved = [np.linalg.norm((o - v) / (q - 1)) for (d, o), v in zip(near, z) if d <= c_size]
        largest[b] = max(moved) if moved else float("nan")
        lim = c_size + 2 * n / q
        ratio12 = max([ratio12] + [m / lim for m in moved])
    return {"fail": fail, "se": se, "largest": largest, "lemma12_ratio": ratio12,
            "lemma13_excess": excess13, "bound": bound}


def bit_depth_robustness(n: int, bs, n_mc: int, rng, r: float = 0.2) -> dict:
    """The largest ``L^2`` size to which Algorithm 1's class Z in ``I_{n,1,b}`` is ``r``-robust:
    the ``(1 - r)``-quantile of the exact minimal ``L^2`` perturbation of ``n_mc`` uniform images
    of Z per bit depth (``rng`` in the order of ``bs``), with Theorem 3's upper bound
    (``c + 2n/2^b`` at ``2 e^{-c^2/2} = r``) and Theorem 2's lower bound
    (``(c n - 2)^{1/2}/(2^b - 1)`` at ``1 - 4c = r``).

    Used on :doc:`/notebooks/dai-gifford-theorem3`.
    """
    size = []
    for b in bs:
        q = 2 ** b
        z = rc.z_sample(n * n, q, n_mc, rng)
        size.append(float(np.quantile(rc.minimal_perturbation(z, q, 2), 1 - r)))
    c3 = math.sqrt(2 * math.log(2 / r))
    c2 = (1 - r) / 4
    return {"b": list(bs), "size": size,
            "upper": [bd.theorem3_size(c3, n, 1, b, 2) for b in bs],
            "lower": [rc.theorem2_size(c2, n, 1, b, 2) for b in bs]}


def theorem3_crossover(bs, r: float = 0.5, p: float = 2, n_max: float = 1e7,
                       points: int = 4000) -> list[int]:
    """For each bit depth, the largest image size ``n`` (on a log grid up to ``n_max``) at which
    Theorem 3's term of Table 1's ``p >= 2`` upper bound is below Theorem 1's (0 if never).

    Used on :doc:`/notebooks/dai-gifford-paper`, :doc:`/notebooks/dai-gifford-theorem3`.
    """
    ns = np.unique(np.geomspace(1, n_max, points).astype(int))
    out = []
    for b in bs:
        wins = [n for n in ns
                for t1, t3 in [bd.table1_lp_upper_parts(r, int(n), 1, b, p)] if t3 < t1]
        out.append(int(max(wins)) if wins else 0)
    return out


# =============================================================================== paper page
def definitions_check(space: ImageSpace, labellings: dict, sizes=(0, 1, 2)) -> tuple[int, list]:
    """Definitions 1-3 on a complete binary space: the distance of every image to the nearest
    image of another class by breadth-first search and by brute force over all pairs; returns
    the largest disagreement and one row per class (classifier, label, size, interesting,
    robust fraction at each of ``sizes``).

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    if space.q != 2:
        raise ValueError("definitions_check enumerates binary spaces (b = 1)")
    imgs = space.images().reshape(space.size, -1)
    pair_l0 = (imgs[:, None, :] != imgs[None, :, :]).sum(-1)
    worst, rows = 0, []
    for name, lab in labellings.items():
        bfs = hamming_bfs.distance_to_other_class(lab).astype(int)
        brute = np.where(lab[:, None] != lab[None, :], pair_l0, 10 ** 6).min(1)
        worst = max(worst, int(np.abs(bfs - brute).max()))
        inter = interesting_classes(lab)
        for y in np.unique(lab):
            C = lab == y
            row = {"classifier": name, "label": int(y), "images": int(C.sum()),
                   "interesting": "yes" if y in inter else "no"}
            for d in sizes:
                row[f"robust at $d = {d}$"] = float(np.mean(bfs[C] > d))
            rows.append(row)
    return worst, rows


def table1_consistency(ns=(4, 16, 28, 32, 64, 224, 1000), hs=(1, 3), bs=(1, 2, 8),
                       rs=(0.1, 0.5, 0.9, 0.99)) -> float:
    """The largest relative difference between Table 1 (as implemented in
    :mod:`~companion.discrete.isoperimetry`), Theorems 1-3 at ``c(r)`` and the second
    implementation in :mod:`~companion.discrete.robust_classifier`, over the grid and
    ``p = 0..3``.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    worst = 0.0
    for n, h, b, r in itertools.product(ns, hs, bs, rs):
        c1, c2 = math.sqrt(math.log(2 / r) / 2), (1 - r) / 4
        c3 = math.sqrt(2 * math.log(2 / r))
        for p in (0, 1, 2, 3):
            up = isoperimetry.table1_upper(r, n, h, b, p)
            lo = isoperimetry.table1_lower(r, n, h, b, p)
            thm_up = isoperimetry.perturbation_size(c1, n, h, p)
            if p >= 2:
                thm_up = min(thm_up, bd.theorem3_size(c3, n, h, b, p))
            thm_lo = rc.theorem2_size(c2, n, h, b, max(p, 1))
            other_up = rc.table1_upper(r, n, h, b, max(p, 1))
            other_lo = rc.table1_lower(r, n, h, b, max(p, 1))
            worst = max(worst, abs(up - thm_up) / up, abs(up - other_up) / up)
            scale = max(abs(lo), 1e-9)
            if not math.isnan(thm_lo):
                worst = max(worst, abs(lo - thm_lo) / scale, abs(lo - other_lo) / scale)
    return worst


def table1_l0_equals_l1(ns=(16, 64, 224), hs=(1, 3), bs=(1, 8), rs=(0.1, 0.5, 0.9)) -> bool:
    """Whether Table 1's ``L^0`` entries equal its ``L^1`` entries and Theorems 1-2 at ``p = 0``
    (upper ``2 + sqrt(h/2 ln(2/r)) n``, lower ``(1-r)/4 sqrt(h) n - 2``) on the grid.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    return all(
        math.isclose(isoperimetry.table1_upper(r, n, h, b, 0),
                     isoperimetry.table1_upper(r, n, h, b, 1))
        and math.isclose(isoperimetry.table1_upper(r, n, h, b, 0),
                         isoperimetry.perturbation_size(math.sqrt(math.log(2 / r) / 2), n, h, 0))
        and math.isclose(isoperimetry.table1_lower(r, n, h, b, 0),
                         (1 - r) / 4 * math.sqrt(h) * n - 2)
        for n, h, b, r in itertools.product(ns, hs, bs, rs))


def table1_values(cases=((28, 1, 8, 0.5), (224, 3, 8, 0.5))) -> list[dict]:
    """Rows of Table 1 evaluated at ``(n, h, b, r)`` for ``L^0, L^1, L^2, L^3``.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    rows = []
    for n, h, b, r in cases:
        for p in (0, 1, 2, 3):
            rows.append({"$n$": n, "$h$": h, "$b$": b, "$r$": r, "norm": f"$L^{p}$",
                         "upper bound": isoperimetry.table1_upper(r, n, h, b, p),
                         "lower bound": isoperimetry.table1_lower(r, n, h, b, p)})
    return rows


def typical_distance_cases(n_exact: int, n_mc: int, rng, bs=(1, 2), ps=(0, 1, 2)) -> dict:
    """Exact ``E||I - I'||_p`` (law by convolution) for ``n = 2, 4, ..., n_exact``, ``h = 1``,
    against Eq. (85)'s lower bound and a Monte Carlo estimate from ``n_mc`` pairs (``rng`` in
    the order ``n``, ``b``, ``p``).
    Used on :doc:`/notebooks/dai-gifford-paper`.


    Returns
    -------
    dict
        ``rows`` (n, b, p, exact, Monte Carlo, Eq. (85)), ``min_ratio`` (smallest exact / lower
        bound), ``worst_z`` (largest ``|MC - exact|`` in standard errors of the exact law).
    """
    rows, min_ratio, worst_z = [], math.inf, 0.0
    for n in range(2, n_exact + 1, 2):
        for b in bs:
            for p in ps:
                values, law = hamming_graph.typical_distance_law(n, 1, b, p)
                exact = float((values * law).sum())
                sd = math.sqrt(max(float((values ** 2 * law).sum()) - exact ** 2, 0.0))
                lower = hamming_graph.k_hbp(1, b, p, line_drawings.k_bp(b, p)) * n ** (
                    2 / max(p, 1))
                min_ratio = min(min_ratio, exact / lower)
                mc = line_drawings.mc_typical_distance(n, 1, b, p, n_mc, rng)
                worst_z = max(worst_z, abs(mc - exact) / (sd / math.sqrt(n_mc)))
                rows.append({"$n$": n, "$b$": b, "$p$": p, "exact": exact, "Monte Carlo": mc,
                             "Eq. (85) bound": lower})
    return {"rows": rows, "min_ratio": min_ratio, "worst_z": worst_z}


def eq2_ratios(ns, cases=((0, 1), (1, 8), (2, 1), (2, 8)), r: float = 0.01, fit: int = 10):
    """Eq. (2): Table 1's upper bound at ``r`` divided by the typical distance (Eq. (84) for
    ``p <= 1``, Eq. (85)'s lower bound for ``p = 2``), ``h = 1``, along ``ns``; returns
    ``{(p, b): ratios}`` and the log-log slopes fitted on the last ``fit`` sizes.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    ns = np.asarray(ns)
    ratios, slopes = {}, {}
    for p, b in cases:
        k = line_drawings.k_bp(b, p)
        typical = np.array([float(n * n * k) if p <= 1 else hamming_graph.k_hbp(1, b, p, k) * n
                            for n in ns])
        ratio = np.array([isoperimetry.table1_upper(r, int(n), 1, b, p) for n in ns]) / typical
        ratios[(p, b)] = ratio
        slopes[(p, b)] = float(np.polyfit(np.log(ns[-fit:]), np.log(ratio[-fit:]), 1)[0])
    return ratios, slopes


def harper_neighbourhood_bound(N: int, size: int, radius: int) -> int:
    """Lemma 3 (Harper) on the hypercube ``{0,1}^N``: the smallest possible number of vertices
    within distance ``radius`` of a set of ``size`` vertices, attained by the first ``size``
    vertices of the simplicial order (by weight, then reverse-lexicographically).

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    verts = sorted(range(2 ** N), key=lambda v: (bin(v).count("1"),
                                                 [-(v >> j & 1) for j in range(N)]))
    seeds = np.zeros(2 ** N, bool)
    seeds[verts[:size]] = True
    return int((hamming_bfs.hypercube_distances(seeds, N) <= radius).sum())


def figure1b(rng, N: int = 9, seeds: int = 3, radius: int = 3) -> dict:
    """Figure 1b: ``seeds`` uniformly random vertices of ``{0,1}^N`` (drawn with ``rng``), the
    distance of every vertex to them (BFS), the same neighbourhood by brute force, and a BFS
    tree (each vertex within ``radius`` joined to one neighbour one step closer).

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    init = np.zeros(2 ** N, bool)
    init[rng.choice(2 ** N, seeds, replace=False)] = True
    dist = hamming_bfs.hypercube_distances(init, N).astype(int)
    near = dist <= radius
    v = np.arange(2 ** N)
    pairs_l0 = np.array([[bin(a ^ s).count("1") for s in np.flatnonzero(init)] for a in v])
    brute = pairs_l0.min(1) <= radius
    tree = []
    for u in np.flatnonzero(near & (dist > 0)):
        for j in range(N):
            w = u ^ (1 << j)
            if dist[w] == dist[u] - 1:
                tree.append((int(w), int(u)))
                break
    return {"init": init, "dist": dist, "near": near, "brute_near": brute,
            "tree": np.array(tree).reshape(-1, 2)}


# =============================================================================== Section 3
def mc_typical_distance_samples(n: int, h: int, b: int, p: int, m: int, rng) -> np.ndarray:
    """The ``m`` sampled distances ``||I - I'||_p`` behind
    :func:`~companion.discrete.line_drawings.mc_typical_distance` (same draws from ``rng``, so
    their mean is that function's value).

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.
    """
    q = 2 ** b
    N = n * n * h
    out = np.empty(m)
    for i in range(m):
        d = np.abs(rng.integers(0, q, N) - rng.integers(0, q, N)) / (q - 1)
        out[i] = np.count_nonzero(d) if p == 0 else float((d ** p).sum() ** (1 / p))
    return out


def drawing_shares(sizes, h: int = 3, b: int = 8, r: float = 0.5) -> dict:
    """The parachute drawn at each image size: its ``L^0`` size (``h`` channels per pixel) over
    the expected ``L^0`` distance, its ``L^1`` size at most (one per channel) over the expected
    ``L^1`` distance, and Table 1's ``L^1`` upper bound at ``r`` over the expected ``L^1``
    distance (Eq. (2)).

    Used on :doc:`/notebooks/dai-gifford-line-drawings`.
    """
    share0, share1, bound = [], [], []
    for m in sizes:
        k = int(line_drawings.parachute_mask(m).sum())
        e0 = float(line_drawings.typical_distance_power(m, h, b, 0))
        e1 = float(line_drawings.typical_distance_power(m, h, b, 1))
        share0.append(h * k / e0)
        share1.append(h * k / e1)
        bound.append(rc.table1_upper(r, m, h, b, 1) / e1)
    return {"sizes": list(sizes), "L0": np.array(share0), "L1": np.array(share1),
            "bound": np.array(bound)}
