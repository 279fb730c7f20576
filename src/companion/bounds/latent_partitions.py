r"""Classifiers defined directly as partitions of the Gaussian latent space, with exact
:math:`r_\mathcal{Z}`.

For the bounds of Fawzi, Fawzi & Fawzi (2018) only the partition :math:`\{C_i\}` of the latent
space :math:`\mathbb R^d` induced by :math:`f \circ g` matters. The partitions here are simple
enough that the distance :math:`r_\mathcal{Z}(z)` from a latent vector to the other classes is
known in closed form, so Monte Carlo estimates of :math:`P(r_\mathcal{Z} \le \epsilon)` have no
attack error, and most also have an exact distribution to compare with.

- :class:`Slabs`: classes are intervals of :math:`z_1` (a half-space is one boundary; ``K``
  equal-measure parallel slabs are an affine ``argmax`` classifier).
- :class:`Sectors`: ``K`` equal angular sectors ("pizza slices") in the :math:`(z_1, z_2)` plane
  (the linear ``argmax`` classifier with ``K`` weight vectors evenly spread in a plane).
- :class:`Checkerboard`: Example 1, the parity of :math:`\sum_i \lfloor z_i \rfloor`.
- :class:`RotatedSectorPair`: two sector classifiers rotated by an angle, for Theorem 3
  (perturbations that fool both).

All take latent samples as an array of shape ``(n, d)``; :func:`sample_latent` draws them.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate
from scipy.stats import norm

__all__ = ["sample_latent", "map_latent", "empirical_cdf", "Slabs", "Sectors", "Checkerboard",
           "RotatedSectorPair"]

TWO_PI = 2 * math.pi


def sample_latent(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """``n`` latent vectors :math:`z \\sim \\mathcal N(0, I_d)`, shape ``(n, d)``."""
    if int(n) < 1 or int(d) < 1:
        raise ValueError(f"need n >= 1 samples and dimension d >= 1, got n={n!r}, d={d!r}")
    return rng.standard_normal((int(n), int(d)))


def map_latent(rng: np.random.Generator, n: int, d: int, fn,
               chunk_entries: int = 2_000_000) -> np.ndarray:
    """``fn(z)`` over ``n`` fresh latent samples :math:`z \\sim \\mathcal N(0, I_d)`, drawn in
    chunks of at most ``chunk_entries`` numbers so that paper-scale sample sizes fit in memory.
    ``fn`` maps an ``(m, d)`` array to ``m`` values; the results are concatenated.

    Used on :doc:`/notebooks/fawzi-paper`, :doc:`/notebooks/fawzi-theorem1`.
    """
    if int(n) < 1 or int(d) < 1:
        raise ValueError(f"need n >= 1 samples and dimension d >= 1, got n={n!r}, d={d!r}")
    rows = max(1, int(chunk_entries) // int(d))
    parts = [np.asarray(fn(rng.standard_normal((min(rows, int(n) - s), int(d)))))
             for s in range(0, int(n), rows)]
    return np.concatenate(parts)


def empirical_cdf(r, eps) -> tuple[np.ndarray, np.ndarray]:
    r"""Monte Carlo estimate of :math:`P(r \le \epsilon)` at each ``eps``, with its standard error
    :math:`\sqrt{p(1-p)/n}`. Returns ``(p, se)`` with the shape of ``eps``.

    Used on :doc:`/notebooks/fawzi-theorem1`, :doc:`/notebooks/fawzi-theorem3`.
    """
    r = np.sort(np.asarray(r, dtype=float).ravel())
    if r.size == 0:
        raise ValueError("empirical_cdf needs at least one sample")
    e = np.asarray(eps, dtype=float)
    p = np.searchsorted(r, e, side="right") / r.size
    return p, np.sqrt(p * (1 - p) / r.size)


def _as_samples(z, min_dim: int) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    if z.ndim != 2 or z.shape[1] < min_dim:
        raise ValueError(f"z must be an array of shape (n, d) with d >= {min_dim}, "
                         f"got shape {z.shape}")
    return z


def _check_eps(eps) -> np.ndarray:
    e = np.asarray(eps, dtype=float)
    if np.any(np.isnan(e)) or np.any(e < 0):
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    return e


def _rayleigh_cdf(eps, scale):
    """P(rho * scale <= eps) for rho the norm of a 2-D standard Gaussian (``scale > 0``)."""
    with np.errstate(divide="ignore"):
        return 1.0 - np.exp(-(eps ** 2) / (2 * scale ** 2))


# ------------------------------------------------------------------------------------ slabs
class Slabs:
    r"""Classes are the intervals of :math:`z_1` cut at sorted ``boundaries``
    :math:`b_1 < \dots < b_{K-1}`: class ``k`` is :math:`b_k \le z_1 < b_{k+1}` (with
    :math:`b_0 = -\infty`, :math:`b_K = \infty`).

    Used on :doc:`/notebooks/fawzi-paper`, :doc:`/notebooks/fawzi-theorem1`,
    :doc:`/notebooks/fawzi-theorem2`, :doc:`/notebooks/fawzi-theorem3`.

    :math:`r_\mathcal{Z}(z) = \min_k |z_1 - b_k|`: moving :math:`z_1` across the nearest boundary
    changes the class, and a perturbation shorter than that leaves :math:`z_1` (hence the class) in
    the same interval. One boundary is a half-space (Remark 4).
    """

    def __init__(self, boundaries):
        b = np.asarray(boundaries, dtype=float).ravel()
        if b.size == 0 or not np.all(np.isfinite(b)) or np.any(np.diff(b) <= 0):
            raise ValueError("boundaries must be a non-empty, finite, strictly increasing list; "
                             f"got {boundaries!r}")
        self.boundaries = b
        self.K = b.size + 1

    @classmethod
    def equal_measure(cls, K: int) -> "Slabs":
        """``K`` slabs of measure ``1/K`` each: boundaries :math:`\\Phi^{-1}(k/K)`."""
        if int(K) != K or K < 2:
            raise ValueError(f"K must be an integer >= 2, got {K!r}")
        return cls(norm.ppf(np.arange(1, K) / K))

    @property
    def measures(self) -> np.ndarray:
        c = np.concatenate([[0.0], norm.cdf(self.boundaries), [1.0]])
        return np.diff(c)

    def classify(self, z) -> np.ndarray:
        z = _as_samples(z, 1)
        return np.searchsorted(self.boundaries, z[:, 0], side="right")

    def r_z(self, z) -> np.ndarray:
        z = _as_samples(z, 1)
        return np.abs(z[:, :1] - self.boundaries[None, :]).min(axis=1)

    def _cells(self):
        b = self.boundaries
        mids = (b[1:] + b[:-1]) / 2
        return b, np.concatenate([[-np.inf], mids]), np.concatenate([mids, [np.inf]])

    def cdf(self, eps):
        r"""Exact :math:`P(r_\mathcal{Z} \le \epsilon)`: sum over boundaries of the Gaussian mass
        of :math:`[b_k - \epsilon, b_k + \epsilon]` inside the Voronoi cell of :math:`b_k` on the
        line."""
        e = _check_eps(eps)[..., None]
        b, lo, hi = self._cells()
        upper = np.minimum(b + e, hi)
        lower = np.maximum(b - e, lo)
        out = (norm.cdf(upper) - norm.cdf(lower)).sum(axis=-1)
        return out if out.ndim else float(out)

    def mean(self) -> float:
        r"""Exact :math:`E\, r_\mathcal{Z} = \sum_k \int_{\text{cell}_k} |t - b_k| \phi(t)\, dt` in
        closed form (:math:`\int (t - b)\phi = -\phi(t) - b\Phi(t)`)."""
        b, lo, hi = self._cells()
        right = norm.pdf(b) - norm.pdf(hi) - b * (norm.cdf(hi) - norm.cdf(b))
        left = b * (norm.cdf(b) - norm.cdf(lo)) + norm.pdf(b) - norm.pdf(lo)
        return float((right + left).sum())


# ------------------------------------------------------------------------------------ sectors
class Sectors:
    r"""``K`` equal angular sectors of the :math:`(z_1, z_2)` plane: class ``k`` is the angle
    :math:`\varphi \in [\varphi_0 + 2\pi k/K, \varphi_0 + 2\pi(k+1)/K)`; other coordinates are
    ignored.

    Used on :doc:`/notebooks/fawzi-paper`, :doc:`/notebooks/fawzi-theorem1`,
    :doc:`/notebooks/fawzi-theorem2`.

    For :math:`K \ge 2` each sector is convex, so :math:`r_\mathcal{Z}` is the distance to its
    nearer boundary ray: :math:`\rho \sin\Delta`, with :math:`\rho = \|(z_1, z_2)\|` and
    :math:`\Delta \le \pi/K \le \pi/2` the angle to that ray. Since :math:`\rho` is Rayleigh and
    the angle uniform and independent,
    :math:`E\, r_\mathcal{Z} = \sqrt{\pi/2}\,\frac{K}{\pi}(1 - \cos\frac{\pi}{K})`.
    """

    def __init__(self, K: int, phase: float = 0.0):
        if int(K) != K or K < 2:
            raise ValueError("K must be an integer >= 2 (a sector of angle > pi is not convex), "
                             f"got {K!r}")
        self.K = int(K)
        self.phase = float(phase)
        self.width = TWO_PI / self.K

    @property
    def measures(self) -> np.ndarray:
        return np.full(self.K, 1.0 / self.K)

    def _angle(self, z):
        z = _as_samples(z, 2)
        return (np.mod(np.arctan2(z[:, 1], z[:, 0]) - self.phase, TWO_PI),
                np.hypot(z[:, 0], z[:, 1]))

    def classify(self, z) -> np.ndarray:
        phi, _ = self._angle(z)
        return np.minimum((phi // self.width).astype(int), self.K - 1)

    def r_z(self, z) -> np.ndarray:
        phi, rho = self._angle(z)
        within = np.mod(phi, self.width)
        delta = np.minimum(within, self.width - within)
        return rho * np.sin(delta)

    def cdf(self, eps):
        r"""Exact :math:`P(r_\mathcal{Z} \le \epsilon) =
        \frac{K}{\pi}\int_0^{\pi/K} 1 - e^{-\epsilon^2/(2\sin^2\Delta)}\, d\Delta`
        (by quadrature)."""
        e = _check_eps(eps)
        half = self.width / 2
        f = lambda x, ee: 1 - math.exp(-ee ** 2 / (2 * math.sin(x) ** 2)) if x > 0 else 0.0  # noqa: E731
        vals = [integrate.quad(f, 0, half, args=(ee,), epsabs=1e-12, limit=200)[0] / half
                for ee in e.ravel()]
        out = np.asarray(vals).reshape(e.shape)
        return out if out.ndim else float(out)

    def mean(self) -> float:
        return math.sqrt(math.pi / 2) * (self.K / math.pi) * (1 - math.cos(math.pi / self.K))


# ------------------------------------------------------------------------------------ checkerboard
class Checkerboard:
    r"""Example 1, the checkerboard: class 0 (the paper's :math:`C_1`) is
    :math:`\{z : \sum_i \lfloor z_i \rfloor \text{ even}\}`, class 1 the rest.

    Used on :doc:`/notebooks/fawzi-theorem1`.

    (The paper prints :math:`\sum_i |x_i| \bmod 2 = 0`, a null set; its proof, A.3, sums over unit
    cells :math:`\prod_i [j_i, j_i + 1)` by the parity of :math:`j_1 + \dots + j_d`, i.e. of
    :math:`\sum_i \lfloor z_i \rfloor`.)

    Exact robustness: :math:`r_\mathcal{Z}(z) = \min_i \min(\{z_i\}, 1 - \{z_i\})`, the distance
    from some coordinate to the nearest integer (:math:`\{\cdot\}` the fractional part). Moving
    that coordinate across the integer changes one floor by 1 and flips the parity; conversely a
    perturbation :math:`v` with :math:`\|v\|_2 < \min_i \operatorname{dist}(z_i, \mathbb Z)` has
    :math:`|v_i| \le \|v\|_2 < \operatorname{dist}(z_i, \mathbb Z)` for every ``i``, so every
    floor and the class stay the same.
    """

    def __init__(self, d: int):
        if int(d) != d or d < 1:
            raise ValueError(f"dimension d must be an integer >= 1, got {d!r}")
        self.d = int(d)

    @property
    def measures(self) -> np.ndarray:
        # E[(-1)^floor(z)] = 0 for z ~ N(0, 1) (the cells [j, j+1) and [-j-1, -j) have equal mass
        # and opposite signs), so both classes have measure exactly 1/2.
        return np.array([0.5, 0.5])

    def _check(self, z):
        z = _as_samples(z, self.d)
        if z.shape[1] != self.d:
            raise ValueError(f"z must have d={self.d} columns, got shape {z.shape}")
        return z

    def classify(self, z) -> np.ndarray:
        z = self._check(z)
        return (np.floor(z).sum(axis=1).astype(np.int64) % 2).astype(int)

    def r_z(self, z) -> np.ndarray:
        z = self._check(z)
        frac = z - np.floor(z)
        return np.minimum(frac, 1 - frac).min(axis=1)

    @staticmethod
    def inner_mass(eps):
        r""":math:`q(\epsilon) = P(\{z_1\} \in [\epsilon, 1 - \epsilon]) =
        \sum_{j \in \mathbb Z} \Phi(j + 1 - \epsilon) - \Phi(j + \epsilon)` for one coordinate
        (``eps <= 1/2``; 0 beyond)."""
        e = _check_eps(eps)
        j = np.arange(-40, 40)
        q = (norm.cdf(j + 1 - e[..., None]) - norm.cdf(j + e[..., None])).sum(axis=-1)
        q = np.where(e <= 0.5, np.clip(q, 0, 1), 0.0)
        return q if q.ndim else float(q)

    def cdf(self, eps):
        r"""Exact :math:`P(r_\mathcal{Z} \le \epsilon) = 1 - q(\epsilon)^d` (independent
        coordinates)."""
        out = 1 - np.asarray(self.inner_mass(eps)) ** self.d
        return out if out.ndim else float(out)

    def mean(self) -> float:
        r""":math:`E\, r_\mathcal{Z} = \int_0^{1/2} q(\epsilon)^d\, d\epsilon` (quadrature)."""
        return float(integrate.quad(lambda e: self.inner_mass(e) ** self.d, 0, 0.5, epsabs=1e-13,
                                    limit=200)[0])

    def r_z_samples(self, rng: np.random.Generator, n: int,
                    chunk_entries: int = 2_000_000) -> np.ndarray:
        """:math:`r_\\mathcal{Z}` of ``n`` fresh latent samples, drawn in chunks to bound
        memory."""
        return map_latent(rng, n, self.d, self.r_z, chunk_entries)

    @staticmethod
    def parity_mean() -> float:
        r""":math:`E[(-1)^{\lfloor z \rfloor}] = \sum_{j \in \mathbb Z} (-1)^j (\Phi(j+1) -
        \Phi(j))` for :math:`z \sim \mathcal N(0, 1)`, summed numerically over :math:`|j| \le 40`.

        It vanishes (the cells :math:`[j, j+1)` and :math:`[-j-1, -j)` carry equal mass and
        opposite signs); computed, it is zero up to rounding."""
        j = np.arange(-40, 40)
        return float(np.sum((-1.0) ** j * (norm.cdf(j + 1) - norm.cdf(j))))

    def parity_measures(self) -> np.ndarray:
        r"""The class measures computed from the parity rather than assumed:
        :math:`\nu(C_1) = (1 + m^d)/2` with :math:`m =` :meth:`parity_mean` (independent
        coordinates: :math:`E[(-1)^{\sum_i \lfloor z_i \rfloor}] = m^d`)."""
        even = (1 + self.parity_mean() ** self.d) / 2
        return np.array([even, 1 - even])

    def quantile(self, q: float) -> float:
        r"""The ``q``-quantile of :math:`r_\mathcal{Z}`: the :math:`\epsilon` with
        :math:`P(r_\mathcal{Z} \le \epsilon) = q` (``0 < q < 1``), by root finding on
        :meth:`cdf`."""
        from scipy import optimize

        if not 0 < q < 1:
            raise ValueError(f"q must be a probability in (0, 1), got {q!r}")
        return float(optimize.brentq(lambda e: self.cdf(e) - q, 0.0, 0.5, xtol=1e-14))


# ------------------------------------------------------------------------------------ Theorem 3
class RotatedSectorPair:
    r"""Two classifiers for Theorem 3: ``f = Sectors(K)`` and ``h = Sectors(K, phase=theta)``.

    Used on :doc:`/notebooks/fawzi-theorem3`.

    They disagree on ``K`` wedges of angle :math:`\theta`, so
    :math:`\delta = P(f \ne h) = K\theta/(2\pi)` (``0 <= theta <= 2 pi / K``). ``K = 2`` is two
    half-spaces through the origin whose normals make the angle :math:`\theta`
    (:math:`\delta = \theta/\pi`).

    :meth:`shared_distance` is the exact norm of the smallest perturbation :math:`v` with
    :math:`f(z + v) \ne f(z)` and :math:`h(z + v) \ne h(z)`: the distance from :math:`z` to the
    complement of :math:`U = C_{f(z)}(f) \cup C_{h(z)}(h)`. Both sectors contain :math:`z`, so
    :math:`U` is an angular interval around the angle of :math:`z`; if :math:`\Delta` is the angle
    to its nearer end, the nearest point outside is on that ray at distance :math:`\rho\sin\Delta`
    when :math:`\Delta \le \pi/2`, and is the origin (distance :math:`\rho`) otherwise.
    """

    def __init__(self, K: int, theta: float):
        self.f = Sectors(K)
        if not 0 <= theta <= self.f.width:
            raise ValueError(f"theta must be in [0, 2 pi / K] = [0, {self.f.width:.6g}], "
                             f"got {theta!r}")
        self.K = self.f.K
        self.theta = float(theta)
        self.h = Sectors(K, phase=theta)

    @property
    def delta(self) -> float:
        return self.K * self.theta / TWO_PI

    def _escape_angle(self, phi):
        """Angle to the nearer end of U for a point at angle ``phi`` (in [0, 2 pi))."""
        w = self.f.width
        back_f = np.mod(phi, w)                    # back to the start of f's sector
        fwd_f = w - back_f
        back_h = np.mod(phi - self.theta, w)       # h's sectors start at theta + k w
        fwd_h = w - back_h
        return np.minimum(np.maximum(back_f, back_h), np.maximum(fwd_f, fwd_h))

    @property
    def outside_measures(self) -> np.ndarray:
        r""":math:`\nu(\overline{C_i(f)} \cap \overline{C_i(h)})` for each class: the complement of
        two overlapping sectors, whose union spans the angle :math:`2\pi/K + \theta`."""
        return np.full(self.K, 1 - (self.f.width + self.theta) / TWO_PI)

    def shared_distance(self, z) -> np.ndarray:
        z = _as_samples(z, 2)
        phi = np.mod(np.arctan2(z[:, 1], z[:, 0]), TWO_PI)
        rho = np.hypot(z[:, 0], z[:, 1])
        delta = np.minimum(self._escape_angle(phi), math.pi / 2)
        return rho * np.sin(delta)

    def agree(self, z) -> np.ndarray:
        return self.f.classify(z) == self.h.classify(z)

    def cdf(self, eps):
        r"""Exact :math:`P(\exists v: \|v\| \le \epsilon \text{ fooling both})` by quadrature over
        the angle (the radius is Rayleigh):
        :math:`\frac{K}{2\pi}\int_0^{2\pi/K} 1 - e^{-\epsilon^2/(2 s(\varphi)^2)}\, d\varphi`,
        :math:`s = \sin\min(\Delta(\varphi), \pi/2)`."""
        e = _check_eps(eps)
        w = self.f.width

        def f(x, ee):
            s = math.sin(min(float(self._escape_angle(np.array(x))), math.pi / 2))
            return 1 - math.exp(-ee ** 2 / (2 * s * s)) if s > 0 else 0.0

        # where the piecewise-linear escape angle bends or hits pi/2
        t, hp = self.theta, math.pi / 2
        kinks = sorted({t, t / 2, (w + t) / 2, hp, w + t - hp, hp - w + t, w - hp})
        kinks = [k for k in kinks if 0 < k < w]
        vals = [integrate.quad(f, 0, w, args=(ee,), points=kinks, epsabs=1e-12, limit=400)[0] / w
                for ee in e.ravel()]
        out = np.asarray(vals).reshape(e.shape)
        return out if out.ndim else float(out)
