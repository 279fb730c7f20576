"""Exact graph distances on Hamming graphs by vectorised breadth-first search.

The images of a discrete image space ``I_{n,h,b}`` are the vertices of the Hamming graph
``H(N, q)`` with ``N = n^2 h`` coordinates (channels) and ``q = 2^b`` values each; the graph
distance is the L0 distance (Dai & Gifford, proof of Lemma 5). Two implementations:

* :func:`hypercube_distances` for ``q = 2`` (the Boolean hypercube ``{0,1}^N``): the vertex set
  is a bitset of ``2^N`` bits in ``uint64`` words (vertex ``v`` is bit ``v % 64`` of word
  ``v // 64``). One expansion step ``EXP(S) = S ∪ N(S)`` ORs ``N`` shifted copies: along
  coordinate ``j < 6`` the neighbour ``v ^ 2^j`` lies in the same word (masked shifts), along
  ``j >= 6`` in word ``w ^ 2^(j-6)`` (a swap of word blocks).
* :func:`hamming_distances` for any ``q``: the vertex set as a boolean array of shape
  ``(q,) * N``; along each axis a vertex has a neighbour in ``S`` iff the axis holds any vertex
  of ``S``, so ``EXP(S) = S | OR_a any(S, axis=a)``.

Both return, for every vertex, its exact distance to a seed set (multi-source BFS).
"""
from __future__ import annotations

import numpy as np

UNREACHED = np.iinfo(np.uint8).max

# masks of the bit positions whose coordinate j (< 6) is 0, for in-word neighbours
_LOW_MASKS = []
for _j in range(6):
    _m = 0
    for _b in range(64):
        if not (_b >> _j) & 1:
            _m |= 1 << _b
    _LOW_MASKS.append(np.uint64(_m))


def _check_dim(N: int) -> int:
    if not isinstance(N, (int, np.integer)) or N < 1 or N > 34:
        raise ValueError(f"dimension N must be an integer in [1, 34] (2^N vertices), got {N!r}")
    return int(N)


def pack(members: np.ndarray) -> np.ndarray:
    """Boolean membership of the ``2^N`` vertices -> bitset in ``uint64`` words."""
    members = np.asarray(members, dtype=bool)
    n = members.size
    if n & (n - 1) or n < 2:
        raise ValueError(f"need 2^N membership flags, got {n}")
    bits = np.packbits(members, bitorder="little")
    if bits.size % 8:
        bits = np.concatenate([bits, np.zeros(8 - bits.size % 8, np.uint8)])
    return bits.view(np.uint64)


def unpack(words: np.ndarray, N: int) -> np.ndarray:
    """Bitset -> boolean membership of the ``2^N`` vertices."""
    return np.unpackbits(words.view(np.uint8), bitorder="little", count=2 ** N).astype(bool)


def expand(words: np.ndarray, N: int) -> np.ndarray:
    """``EXP(S)``: the set and all its neighbours, on the bitset of the hypercube ``{0,1}^N``.

    In-place numpy operations on one scratch buffer (no temporaries per dimension); the work
    is split over two threads (numpy releases the GIL), each on its own half of the words for
    the in-word dimensions and the dimensions whose blocks fit in a half.
    """
    N = _check_dim(N)
    res = words.copy()
    halves = 2 if words.size >= 1 << 16 else 1
    size = words.size // halves

    def part(k: int) -> None:
        w = words[k * size:(k + 1) * size]
        r = res[k * size:(k + 1) * size]
        tmp = np.empty_like(w)
        for j in range(min(N, 6)):      # neighbour v ^ 2^j in the same word
            s = np.uint64(1 << j)
            np.bitwise_and(w, _LOW_MASKS[j], out=tmp)
            np.left_shift(tmp, s, out=tmp)
            np.bitwise_or(r, tmp, out=r)
            np.bitwise_and(w, ~_LOW_MASKS[j], out=tmp)
            np.right_shift(tmp, s, out=tmp)
            np.bitwise_or(r, tmp, out=r)
        for j in range(6, N):           # neighbour in word w ^ 2^(j-6): OR of swapped blocks
            block = 2 ** (j - 6)
            if 2 * block > w.size:
                break
            v = w.reshape(-1, 2, block)
            rr = r.reshape(-1, 2, block)
            np.bitwise_or(rr[:, 0, :], v[:, 1, :], out=rr[:, 0, :])
            np.bitwise_or(rr[:, 1, :], v[:, 0, :], out=rr[:, 1, :])

    if halves == 1:
        part(0)
        done = N
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(part, range(2)))
        done = 6 + int(np.log2(size))   # dimensions handled inside the halves
    for j in range(max(done, 6), N):    # the remaining (top) dimensions span both halves
        block = 2 ** (j - 6)
        v = words.reshape(-1, 2, block)
        rr = res.reshape(-1, 2, block)
        np.bitwise_or(rr[:, 0, :], v[:, 1, :], out=rr[:, 0, :])
        np.bitwise_or(rr[:, 1, :], v[:, 0, :], out=rr[:, 1, :])
    return res


def hypercube_distances(seeds: np.ndarray, N: int, max_depth: int | None = None) -> np.ndarray:
    """Exact graph distance of every vertex of ``{0,1}^N`` to the seed set (``uint8``;
    ``255`` where not reached within ``max_depth`` steps or when the seed set is empty).

    ``seeds``: boolean membership of the ``2^N`` vertices (vertex ``v``'s coordinate ``j`` is
    bit ``j`` of ``v``).
    """
    N = _check_dim(N)
    seeds = np.asarray(seeds, dtype=bool)
    if seeds.size != 2 ** N:
        raise ValueError(f"seeds must flag all 2^{N} vertices, got {seeds.size}")
    dist = np.full(2 ** N, UNREACHED, np.uint8)
    dist[seeds] = 0
    if not seeds.any():
        return dist
    reached = pack(seeds)
    depth = N if max_depth is None else min(int(max_depth), N)
    for k in range(1, depth + 1):
        grown = expand(reached, N)
        new = grown & ~reached
        if not new.any():
            break
        dist[unpack(new, N)] = k
        reached = grown
    return dist


def hamming_distances(seeds: np.ndarray, max_depth: int | None = None) -> np.ndarray:
    """Exact graph distance of every vertex of ``H(N, q)`` to a seed set.

    ``seeds``: boolean array of shape ``(q,) * N`` (vertex = index tuple). Returns ``uint8``
    distances of the same shape (``255`` where unreached).
    """
    seeds = np.asarray(seeds, dtype=bool)
    q, N = seeds.shape[0], seeds.ndim
    if any(s != q for s in seeds.shape):
        raise ValueError(f"seeds must have shape (q,)*N, got {seeds.shape}")
    dist = np.full(seeds.shape, UNREACHED, np.uint8)
    dist[seeds] = 0
    reached = seeds.copy()
    depth = N if max_depth is None else min(int(max_depth), N)
    for k in range(1, depth + 1):
        grown = reached.copy()
        for a in range(N):
            grown |= reached.any(axis=a, keepdims=True)
        new = grown & ~reached
        if not new.any():
            break
        dist[new] = k
        reached = grown
    return dist


def distance_to_other_class(labels: np.ndarray, hypercube: bool | None = None) -> np.ndarray:
    """For every image (vertex), its exact L0 distance to the nearest image of another class.

    ``labels``: the classifier's label of every vertex, either flat of length ``2^N`` (the
    hypercube, bitset BFS) or of shape ``(q,) * N`` (any Hamming graph). One multi-source BFS
    per class, from the vertices outside the class.
    """
    labels = np.asarray(labels)
    flat = labels.ndim == 1 if hypercube is None else hypercube
    out = np.full(labels.shape, UNREACHED, np.uint8)
    for y in np.unique(labels):
        inside = labels == y
        if flat:
            N = int(np.log2(labels.size))
            d = hypercube_distances(~inside, N)
        else:
            d = hamming_distances(~inside)
        out[inside] = d[inside]
    return out
