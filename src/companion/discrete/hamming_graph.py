"""Small Hamming graphs drawn in Dai & Gifford's Figure 1, and exact typical distances
(Eq. (1)).

Figure 1 (a) is the Hamming graph of ``I_{2,1,1}`` (binary 2 x 2 images, the 4-cube) and (b) an
initial set in ``I_{3,1,1}`` (binary 3 x 3 images, the 9-cube) with everything within graph
distance 3 of it. Vertex ``v`` of ``{0,1}^N`` is the image whose channel ``j`` (row-major) is bit
``N - 1 - j`` of ``v``, the numbering of :class:`companion.discrete.image_spaces.ImageSpace`.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["hypercube_edges", "bits", "layered_layout", "typical_distance_law",
           "typical_distance_exact", "k_hbp"]


def hypercube_edges(N: int) -> np.ndarray:
    """Edges ``(u, v)``, ``u < v``, of the Hamming graph ``{0,1}^N`` (images differing in exactly
    one channel); shape ``(N 2^(N-1), 2)``.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    if not 1 <= N <= 20:
        raise ValueError(f"N must be in 1..20 to list edges, got {N}")
    v = np.arange(2 ** N, dtype=np.int64)
    rows = []
    for j in range(N):
        u = v[(v >> j) & 1 == 0]
        rows.append(np.stack([u, u | (1 << j)], axis=1))
    return np.concatenate(rows)


def bits(v, N: int) -> np.ndarray:
    """Channel values (0/1) of vertex (image) numbers ``v``, shape ``(..., N)``, most significant
    bit first (channel 0 = top-left pixel).

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    v = np.asarray(v, dtype=np.int64)
    return ((v[..., None] >> np.arange(N - 1, -1, -1)) & 1).astype(np.uint8)


def layered_layout(N: int, seed: int = 0) -> np.ndarray:
    """Positions ``(2^N, 2)`` that put vertex ``v`` at height = its Hamming weight (number of
    white pixels) and spread each layer evenly in x, ordered to shorten edges (each vertex at the
    mean rank of its neighbours one layer down, a single barycentre sweep)."""
    weight = np.array([bin(v).count("1") for v in range(2 ** N)])
    pos = np.zeros((2 ** N, 2))
    order_prev = {0: 0.0}
    for w in range(N + 1):
        layer = np.flatnonzero(weight == w)
        if w == 0:
            key = np.zeros(len(layer))
        else:
            key = np.array([np.mean([order_prev[v ^ (1 << j)] for j in range(N) if v >> j & 1])
                            + 1e-6 * v for v in layer])
        ranked = layer[np.argsort(key, kind="stable")]
        xs = np.linspace(-1, 1, len(ranked)) * (len(ranked) - 1) / 2 if len(ranked) > 1 else [0.0]
        order_prev = {}
        for x, v in zip(xs, ranked):
            pos[v] = (x, w)
            order_prev[v] = x
    return pos


def typical_distance_law(n: int, h: int, b: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact law of ``||I - I'||_p`` for independent uniform ``I, I' in I_{n,h,b}`` (``p = 0``:
    L0): ``(values, probabilities)``.

    The channel differences ``D_j = |X_j - Y_j| (q - 1)`` are i.i.d. on ``{0..q-1}``; the law of
    ``sum_j D_j^p`` (integers) is an exact convolution, and the norm is its ``1/p``-th power
    with ``(q - 1)`` divided out. Cost ``O(N^2 (q-1)^{2p})``: for ``N`` up to a few hundred."""
    if min(n, h, b) < 1 or p < 0:
        raise ValueError(f"need n, h, b >= 1 and p >= 0; got n={n}, h={h}, b={b}, p={p}")
    q, N = 2 ** b, n * n * h
    one = np.zeros((q - 1) ** max(p, 1) + 1)
    for d in range(q):
        w = (q if d == 0 else 2 * (q - d)) / q ** 2           # Pr(|X - Y| (q-1) = d)
        one[(1 if d else 0) if p == 0 else d ** p] += w
    law = np.array([1.0])
    for _ in range(N):
        law = np.convolve(law, one)
    s = np.arange(len(law), dtype=float)
    values = s if p == 0 else s ** (1.0 / p) / (q - 1)
    return values, law


def typical_distance_exact(n: int, h: int, b: int, p: int) -> float:
    """Exact ``E||I - I'||_p`` (see :func:`typical_distance_law`).

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    values, law = typical_distance_law(n, h, b, p)
    return float((values * law).sum())


def k_hbp(h: int, b: int, p: int, k: Fraction) -> float:
    """The constant of Eq. (1) built in Eq. (85): ``k/(2-k) (h k / 2)^{1/max(p,1)}``."""
    k = float(k)
    return k / (2 - k) * (h * k / 2) ** (1 / max(p, 1))
