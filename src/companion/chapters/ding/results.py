"""Rates with their sampling error, and the ordering checks the chapter's records use.

An evaluation's rates are means over ``n`` test images, so two models' rates differ by sampling
error alone by about ``sqrt(p (1 - p) / n)`` each. The paper's conclusions are orderings
("robust accuracy falls as the smoothing level grows", "clean accuracy stays flat"); these
helpers turn them into checks that can fail: a trend is *confirmed* when the fitted slope is
negative (positive) by more than ``z`` standard errors, *flat* when every value lies within a
stated band of the first.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["standard_error", "Trend", "trend", "within_band", "ordered", "rate_rows"]


def standard_error(p: float, n: int) -> float:
    """Binomial standard error ``sqrt(p (1 - p) / n)`` of a rate ``p`` measured on ``n`` images.

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-saturation-gamma`,
    :doc:`/notebooks/ding-edges`.

    >>> round(standard_error(0.9, 100), 3)
    0.03
    """
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"a rate must be in [0, 1], got {p!r}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n!r}")
    return math.sqrt(p * (1.0 - p) / n)


@dataclass(frozen=True)
class Trend:
    """A weighted least-squares line through rates against a level: ``slope`` per unit of
    level, its standard error ``se`` and ``z = slope / se``."""

    slope: float
    se: float
    z: float

    def falls(self, z: float = 2.0) -> bool:
        """The slope is negative by more than ``z`` standard errors."""
        return self.z < -z

    def rises(self, z: float = 2.0) -> bool:
        """The slope is positive by more than ``z`` standard errors."""
        return self.z > z


def trend(levels: Sequence[float], rates: Sequence[float], n: int | Sequence[int]) -> Trend:
    """The slope of ``rates`` against ``levels``, each rate weighted by its binomial variance
    (floored at one error in ``n`` so that rates of 0 or 1 keep a finite weight).

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-saturation-gamma`.

    >>> t = trend([0, 1, 2, 3], [0.9, 0.85, 0.8, 0.75], 1000)
    >>> round(t.slope, 3), t.falls()
    (-0.05, True)
    """
    x = np.asarray(levels, dtype=float)
    y = np.asarray(rates, dtype=float)
    ns = np.broadcast_to(np.asarray(n, dtype=float), y.shape)
    if x.shape != y.shape or x.size < 2:
        raise ValueError("trend needs at least two (level, rate) pairs of equal length, got "
                         f"{x.size} levels and {y.size} rates")
    if np.ptp(x) == 0:
        raise ValueError("trend needs at least two distinct levels")
    var = np.maximum(y * (1 - y), 1.0 / ns) / ns
    w = 1.0 / var
    xm = np.sum(w * x) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = float(np.sum(w * (x - xm) * y) / sxx)
    se = float(math.sqrt(1.0 / sxx))
    return Trend(slope, se, slope / se)


def within_band(rates: Sequence[float], band: float) -> bool:
    """Every rate lies within ``band`` of every other (``max - min <= band``).

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-saturation-gamma`.

    >>> within_band([0.97, 0.96, 0.975], 0.02), within_band([0.97, 0.90], 0.02)
    (True, False)
    """
    r = np.asarray(rates, dtype=float)
    if r.size == 0:
        raise ValueError("within_band needs at least one rate")
    if not band >= 0:
        raise ValueError(f"band must be >= 0, got {band!r}")
    return bool(r.max() - r.min() <= band + 1e-12)  # rates are means: allow rounding


def ordered(rates: Sequence[float], n: int, z: float = 2.0, decreasing: bool = True) -> bool:
    """Each consecutive pair is ordered (decreasing by default) beyond ``z`` combined standard
    errors: ``a - b > z sqrt(se_a^2 + se_b^2)``.

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-edges`.

    >>> ordered([0.95, 0.85, 0.75], 500), ordered([0.95, 0.94], 500)
    (True, False)
    """
    r = [float(v) for v in rates]
    if len(r) < 2:
        raise ValueError("ordered needs at least two rates")
    sign = 1.0 if decreasing else -1.0
    for a, b in zip(r, r[1:]):
        se = math.hypot(standard_error(a, n), standard_error(b, n))
        if not sign * (a - b) > z * se:
            return False
    return True


def rate_rows(evaluations: dict, columns: Sequence[str]) -> list[dict]:
    """``{label: (standard Evaluation or None, PGD Evaluation or None)}`` as table rows:
    ``variant`` and, per requested column, the rate (``std_accuracy``, ``pgd_accuracy``,
    ``robust_accuracy``, ``prediction_robustness``, ``robust_accuracy_nobox``,
    ``strong_robust_accuracy``).

    Used on :doc:`/notebooks/ding-smoothing`, :doc:`/notebooks/ding-saturation-gamma`,
    :doc:`/notebooks/ding-edges`.
    """
    getters = {
        "std_accuracy": lambda s, p: s.accuracy,
        "pgd_accuracy": lambda s, p: p.accuracy,
        "robust_accuracy": lambda s, p: p.robust_accuracy,
        "prediction_robustness": lambda s, p: p.prediction_robustness,
        "robust_accuracy_nobox": lambda s, p: p.robust_accuracy_nobox,
        "strong_robust_accuracy": lambda s, p: p.strong_robust_accuracy,
    }
    bad = [c for c in columns if c not in getters]
    if bad:
        raise ValueError(f"unknown column(s) {bad}; valid: {sorted(getters)}")
    rows = []
    for label, (std, pgd_) in evaluations.items():
        row = {"variant": label}
        for c in columns:
            row[c] = getters[c](std, pgd_)
        rows.append(row)
    return rows
