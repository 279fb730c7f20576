"""Lemma A.2 and Figures 3c / 3g of Richardson & Weiss: discrete features on a grid.

Two features, each quantised to ``L`` levels (the paper: ``L = 100``), so each class is a
probability table ``p_c`` of ``L x L`` cells. The Bayes-optimal decision (equal priors) in a
cell is the class with the larger table entry (ties go to class 0). A perturbation moves a
point from cell to cell; its size in *quantisation levels* is the L1 grid distance (one level
of one feature per step; :func:`flip_levels` also gives the L-infinity one). The number of
levels a point must move to change the decision is the grid distance from its cell to the
nearest cell of the other decision, computed exactly by a multi-source breadth-first search
from the cells of the other decision.

The paper describes the two tables only in words ("the minimal value of the probability table
is approximately the same in both classes" for the top, robust example; "a strong asymmetry"
for the bottom one); :func:`tables` is our reconstruction:

* ``"symmetric"`` (Figure 3c): two discretised isotropic Gaussians of the same width, centres
  ``(0.3, 0.5)`` and ``(0.7, 0.5)`` of the unit square, standard deviation ``0.1``, each mixed
  with the same uniform floor of weight ``floor`` (``1e-3``): equal minimal entries.
* ``"asymmetric"`` (Figure 3g): class 0 puts mass ``1 - eta`` on the single column ``k = L //
  2`` of feature 0 (Lemma A.2's ``p_1(f_i = k) -> 1``; along feature 1 a discretised Gaussian of
  standard deviation ``0.15``) and spreads ``eta`` uniformly over the other cells; class 1 is a
  broad Gaussian (centre ``(0.6, 0.5)``, standard deviation ``0.2``) with the floor, so that
  ``p_1(f) > 0`` in every cell (the Lemma's second condition).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["KINDS", "DiscretePair", "tables", "decisions", "flip_levels", "one_level_fraction",
           "cumulative_share", "class_summary"]

KINDS = ("symmetric", "asymmetric")
_METRICS = ("l1", "linf")


class DiscretePair(NamedTuple):
    """Two ``(L, L)`` probability tables (axis 0: feature 0, axis 1: feature 1).

    Used on :doc:`/notebooks/rw-discrete`.
    """

    p0: np.ndarray
    p1: np.ndarray
    kind: str


def _check_levels(levels) -> int:
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 3:
        raise ValueError(f"levels must be an integer >= 3, got {levels!r}")
    return int(levels)


def _gauss(levels: int, centre, sd: float) -> np.ndarray:
    c = (np.arange(levels) + 0.5) / levels
    g0 = np.exp(-0.5 * ((c - centre[0]) / sd) ** 2)
    g1 = np.exp(-0.5 * ((c - centre[1]) / sd) ** 2)
    t = np.outer(g0, g1)
    return t / t.sum()


def tables(kind: str = "symmetric", levels: int = 100, *, eta: float = 1e-6,
           floor: float = 1e-3) -> DiscretePair:
    """The two tables of Figure 3c (``"symmetric"``) or 3g (``"asymmetric"``), reconstructed
    as the module docstring says.

    Used on :doc:`/notebooks/rw-discrete`.

    Parameters
    ----------
    kind : {"symmetric", "asymmetric"}
    levels : int
        Quantisation levels per feature (>= 3).
    eta : float
        Asymmetric only: class 0's mass off the column ``k = levels // 2`` (``0 <= eta < 1``).
    floor : float
        Weight of the uniform table mixed into each broad class (``0 < floor < 1``).

    Examples
    --------
    >>> t = tables("asymmetric", 10, eta=0.0)
    >>> round(float(t.p0[5].sum()), 12), round(float(t.p0.sum()), 12), bool((t.p1 > 0).all())
    (1.0, 1.0, True)
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: valid kinds are {KINDS}")
    levels = _check_levels(levels)
    if not 0 <= eta < 1:
        raise ValueError(f"eta must be in [0, 1), got {eta!r}")
    if not 0 < floor < 1:
        raise ValueError(f"floor must be in (0, 1), got {floor!r}")
    u = np.full((levels, levels), 1.0 / levels ** 2)
    if kind == "symmetric":
        p0 = (1 - floor) * _gauss(levels, (0.3, 0.5), 0.1) + floor * u
        p1 = (1 - floor) * _gauss(levels, (0.7, 0.5), 0.1) + floor * u
        return DiscretePair(p0, p1, kind)
    k = levels // 2
    line = np.zeros((levels, levels))
    c = (np.arange(levels) + 0.5) / levels
    g = np.exp(-0.5 * ((c - 0.5) / 0.15) ** 2)
    line[k] = g / g.sum()
    rest = np.ones((levels, levels))
    rest[k] = 0.0
    p0 = (1 - eta) * line + eta * rest / rest.sum()
    p1 = (1 - floor) * _gauss(levels, (0.6, 0.5), 0.2) + floor * u
    return DiscretePair(p0, p1, kind)


def decisions(p0, p1) -> np.ndarray:
    """The Bayes-optimal decision per cell (equal priors): 1 where ``p1 > p0``, else 0.

    Used on :doc:`/notebooks/rw-discrete`.

    Examples
    --------
    >>> decisions([[0.5, 0.1]], [[0.2, 0.2]]).tolist()
    [[0, 1]]
    """
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    if p0.shape != p1.shape or p0.ndim != 2:
        raise ValueError(f"the tables must be 2-D of one shape, got {p0.shape}, {p1.shape}")
    return (p1 > p0).astype(np.int64)


def flip_levels(decision, metric: str = "l1") -> np.ndarray:
    """Per cell, the fewest quantisation levels to a cell with the other decision (``-1``
    where no such cell exists): multi-source breadth-first search on the grid, 4 neighbours
    (``"l1"``, one level of one feature per step) or 8 (``"linf"``).

    Used on :doc:`/notebooks/rw-discrete`.

    Examples
    --------
    >>> flip_levels([[0, 0, 0, 1]]).tolist()
    [[3, 2, 1, 1]]
    >>> flip_levels([[0, 0], [0, 1]], "linf").tolist()
    [[1, 1], [1, 1]]
    """
    if metric not in _METRICS:
        raise ValueError(f"metric={metric!r}: valid metrics are {_METRICS}")
    dec = np.asarray(decision)
    if dec.ndim != 2 or not np.isin(dec, (0, 1)).all():
        raise ValueError("decision must be a 2-D array of 0/1")
    steps = [(1, 0), (-1, 0), (0, 1), (0, -1)]
    if metric == "linf":
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    out = np.full(dec.shape, -1, dtype=np.int64)
    for c in (0, 1):
        dist = np.full(dec.shape, -1, dtype=np.int64)
        frontier = dec != c            # distance 0: the cells of the other decision
        dist[frontier] = 0
        level = 0
        while frontier.any():
            level += 1
            grown = np.zeros_like(frontier)
            for di, dj in steps:
                grown |= _shift(frontier, di, dj)
            frontier = grown & (dist < 0)
            dist[frontier] = level
        mine = dec == c
        out[mine] = dist[mine]
    return out


def _shift(mask: np.ndarray, di: int, dj: int) -> np.ndarray:
    """``mask`` moved by ``(di, dj)`` cells, zero-filled."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(di, 0):h + min(di, 0), max(dj, 0):w + min(dj, 0)] = \
        mask[max(-di, 0):h + min(-di, 0), max(-dj, 0):w + min(-dj, 0)]
    return out


def one_level_fraction(pair: DiscretePair, label: int = 0) -> float:
    """Lemma A.2's quantity: the mass of class ``label`` in cells it wins whose decision flips
    after moving one level (L1), over the class's mass (misclassified mass excluded).

    Used on :doc:`/notebooks/rw-discrete`.

    Examples
    --------
    >>> round(one_level_fraction(tables("asymmetric", 20, eta=0.0)), 6)
    1.0
    """
    if label not in (0, 1):
        raise ValueError(f"label must be 0 or 1, got {label!r}")
    p = pair.p0 if label == 0 else pair.p1
    dec = decisions(pair.p0, pair.p1)
    lv = flip_levels(dec)
    return float(p[(dec == label) & (lv == 1)].sum() / p.sum())


def cumulative_share(p, decision, levels_map, label: int, ks) -> np.ndarray:
    """Per ``k`` in ``ks``: the share of class ``label``'s mass (table ``p``) whose decision a
    move of at most ``k`` levels changes: the mass decided the other way (``k = 0``) plus the
    mass of the class's own cells at flip distance ``<= k``.

    Used on :doc:`/notebooks/rw-discrete`.

    Examples
    --------
    >>> cumulative_share([[0.5, 0.25, 0.25]], [[0, 0, 1]], [[2, 1, 1]], 0, [0, 1, 2]).tolist()
    [0.25, 0.5, 1.0]
    """
    p, dec, lv = (np.asarray(a) for a in (p, decision, levels_map))
    if not (p.shape == dec.shape == lv.shape):
        raise ValueError(f"p, decision and levels_map must share a shape, got {p.shape}, "
                         f"{dec.shape}, {lv.shape}")
    if label not in (0, 1):
        raise ValueError(f"label must be 0 or 1, got {label!r}")
    mine = dec == label
    wrong = p[~mine].sum()
    return np.array([(wrong + p[mine & (lv >= 0) & (lv <= k)].sum()) / p.sum() for k in ks])


def class_summary(pair: DiscretePair) -> list:
    """Per class of a pair: its smallest entry, the mass of the cells it wins, the share of its
    mass that one level flips in L1 and in L-infinity (among its correctly decided cells), and
    the mean number of L1 levels over its correctly decided mass.

    Used on :doc:`/notebooks/rw-discrete`.

    Examples
    --------
    >>> rows = class_summary(DiscretePair(np.array([[0.6, 0.4]]), np.array([[0.1, 0.9]]), "toy"))
    >>> [(r["class"], r["mass it wins"], r["one level (L1)"], r["mean levels"]) for r in rows]
    [(0, 0.6, 0.6, 1.0), (1, 0.9, 0.9, 1.0)]
    """
    dec = decisions(pair.p0, pair.p1)
    l1, linf = flip_levels(dec), flip_levels(dec, "linf")
    rows = []
    for c, p in enumerate((pair.p0, pair.p1)):
        won = dec == c
        mass = float(p[won].sum())
        rows.append({"tables": pair.kind, "class": c, "smallest entry": float(p.min()),
                     "mass it wins": mass,
                     "one level (L1)": float(p[won & (l1 == 1)].sum() / p.sum()),
                     "one level (L$\\infty$)": float(p[won & (linf == 1)].sum() / p.sum()),
                     "mean levels": float((p * l1)[won].sum() / mass) if mass else np.nan})
    return rows
