"""Exact graph distances on Hamming graphs by vectorised breadth-first search.

The images of a discrete image space ``I_{n,h,b}`` are the vertices of the Hamming graph
``H(N, q)`` with ``N = n^2 h`` coordinates (channels) and ``q = 2^b`` values each; the graph
distance is the L0 distance (Dai & Gifford, proof of Lemma 5). Two implementations:

* :func:`hypercube_distances` for ``q = 2`` (the Boolean hypercube ``{0,1}^N``): the vertex set
  is a bitset of ``2^N`` bits in ``uint64`` words (vertex ``v`` is bit ``v % 64`` of word
  ``v // 64``). One expansion step ``EXP(S) = S ∪ N(S)`` ORs ``N`` shifted copies: along
  coordinate ``j < 6`` the neighbour ``v ^ 2^j`` lies in the same word (masked shifts), along
  ``j >= 6`` in word ``w ^ 2^(j-6)`` (a swap of word blocks). Two implementations of the step,
  with identical results: ``"kernel"`` (the default), the compiled single-pass kernel of
  :mod:`companion.discrete.hamming_kernel`, and ``"numpy"``, the reference below (``N`` passes
  of numpy word operations per step). Choose with the ``impl`` argument or the environment
  variable ``COMPANION_BFS_IMPL``; :func:`hypercube_level_sizes` and :func:`robust_counts`
  work on bitsets alone (no per-vertex array), up to ``2^36`` vertices in two 8 GB bitsets.
* :func:`hamming_distances` for any ``q``: the vertex set as a boolean array of shape
  ``(q,) * N``; along each axis a vertex has a neighbour in ``S`` iff the axis holds any vertex
  of ``S``, so ``EXP(S) = S | OR_a any(S, axis=a)``.

Both return, for every vertex, its exact distance to a seed set (multi-source BFS).
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["UNREACHED", "IMPLEMENTATIONS", "pack", "unpack", "expand", "expand_numpy",
           "hypercube_distances", "hypercube_level_sizes", "robust_counts", "hamming_distances",
           "distance_to_other_class"]

UNREACHED = np.iinfo(np.uint8).max
IMPLEMENTATIONS = ("kernel", "numpy")

# masks of the bit positions whose coordinate j (< 6) is 0, for in-word neighbours
_LOW_MASKS = []
for _j in range(6):
    _m = 0
    for _b in range(64):
        if not (_b >> _j) & 1:
            _m |= 1 << _b
    _LOW_MASKS.append(np.uint64(_m))


def _check_dim(N: int, top: int = 34) -> int:
    if not isinstance(N, (int, np.integer)) or N < 1 or N > top:
        raise ValueError(f"dimension N must be an integer in [1, {top}] (2^N vertices), got {N!r}")
    return int(N)


def _impl(impl: str | None) -> str:
    """The implementation to use: ``impl``, else ``$COMPANION_BFS_IMPL``, else ``"kernel"``
    (``"numpy"`` where numba is missing)."""
    name = impl or os.environ.get("COMPANION_BFS_IMPL") or "kernel"
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"impl must be one of {IMPLEMENTATIONS}, got {name!r}")
    if name == "kernel" and impl is None:
        try:
            import numba  # noqa: F401
        except ImportError:      # pragma: no cover - numba is pinned in requirements.txt
            return "numpy"
    return name


def _words(N: int) -> int:
    return 2 ** (N - 6) if N >= 6 else 1


def pack(members: np.ndarray) -> np.ndarray:
    """Boolean membership of the ``2^N`` vertices -> bitset in ``uint64`` words.

    Parameters
    ----------
    members : array_like of bool
        ``2^N`` flags (``N >= 1``); flag ``v`` says whether vertex ``v`` is in the set.

    Returns
    -------
    numpy.ndarray
        The bitset: ``max(1, 2^(N-6))`` ``uint64`` words, vertex ``v`` at bit ``v % 64`` of word
        ``v // 64`` (unused high bits are 0).

    Examples
    --------
    >>> pack([True, False, False, True])
    array([9], dtype=uint64)
    """
    members = np.asarray(members, dtype=bool)
    n = members.size
    if n & (n - 1) or n < 2:
        raise ValueError(f"need 2^N membership flags, got {n}")
    bits = np.packbits(members, bitorder="little")
    if bits.size % 8:
        bits = np.concatenate([bits, np.zeros(8 - bits.size % 8, np.uint8)])
    return bits.view(np.uint64)


def unpack(words: np.ndarray, N: int) -> np.ndarray:
    """Bitset -> boolean membership of the ``2^N`` vertices (the inverse of :func:`pack`).

    Parameters
    ----------
    words : numpy.ndarray
        A ``uint64`` bitset of the hypercube ``{0,1}^N``.
    N : int
        The dimension.

    Returns
    -------
    numpy.ndarray
        ``2^N`` booleans.

    Examples
    --------
    >>> unpack(pack([True, False, False, True]), 2)
    array([ True, False, False,  True])
    """
    return np.unpackbits(words.view(np.uint8), bitorder="little", count=2 ** N).astype(bool)


def expand(words: np.ndarray, N: int, *, impl: str | None = None) -> np.ndarray:
    """``EXP(S)``: the set and all its neighbours, on the bitset of the hypercube ``{0,1}^N``.

    Parameters
    ----------
    words : numpy.ndarray
        The bitset of ``S`` (``uint64``, see :func:`pack`).
    N : int
        The dimension, ``1 <= N <= 34``.
    impl : {"kernel", "numpy"}, optional
        The implementation (default: ``$COMPANION_BFS_IMPL``, else ``"kernel"``; see the module
        docstring); both give identical results.

    Returns
    -------
    numpy.ndarray
        The bitset of ``EXP(S)`` (a new array).

    Examples
    --------
    The vertex 0 of ``{0,1}^3`` and its three neighbours 1, 2 and 4:

    >>> unpack(expand(pack([True] + [False] * 7), 3), 3).nonzero()[0]
    array([0, 1, 2, 4])
    """
    N = _check_dim(N)
    if _impl(impl) == "kernel":
        from . import hamming_kernel as hk

        src = np.ascontiguousarray(words, dtype=np.uint64)
        out = np.empty_like(src)
        hk.expand_into(src, out, N)
        return out
    return expand_numpy(words, N)


def expand_numpy(words: np.ndarray, N: int) -> np.ndarray:
    """The numpy reference of :func:`expand`.

    In-place numpy operations on one scratch buffer (no temporaries per dimension); the work
    is split over two threads (numpy releases the GIL), each on its own half of the words for
    the in-word dimensions and the dimensions whose blocks fit in a half.

    Parameters
    ----------
    words : numpy.ndarray
        The bitset of ``S`` (``uint64``, see :func:`pack`).
    N : int
        The dimension, ``1 <= N <= 34``.

    Returns
    -------
    numpy.ndarray
        The bitset of ``EXP(S)`` (a new array).

    Examples
    --------
    >>> unpack(expand_numpy(pack([True] + [False] * 7), 3), 3).nonzero()[0]
    array([0, 1, 2, 4])
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


def hypercube_distances(seeds: np.ndarray, N: int, max_depth: int | None = None, *,
                        impl: str | None = None) -> np.ndarray:
    """Exact graph distance of every vertex of ``{0,1}^N`` to the seed set (multi-source BFS).

    With the kernel, each level is one pass that also writes the distances of its new vertices.

    Parameters
    ----------
    seeds : array_like of bool
        Membership of the ``2^N`` vertices in the seed set (vertex ``v``'s coordinate ``j`` is
        bit ``j`` of ``v``).
    N : int
        The dimension, ``1 <= N <= 34``.
    max_depth : int, optional
        Stop after this many steps (default: ``N``, the diameter).
    impl : {"kernel", "numpy"}, optional
        The implementation (default: ``$COMPANION_BFS_IMPL``, else ``"kernel"``; see the module
        docstring); both give identical results.

    Returns
    -------
    numpy.ndarray
        ``2^N`` distances (``uint8``): ``UNREACHED`` (255) where not reached within
        ``max_depth`` steps or when the seed set is empty.

    Examples
    --------
    The distance to vertex 0 is the Hamming weight:

    >>> hypercube_distances([True, False, False, False], 2)
    array([0, 1, 1, 2], dtype=uint8)
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
    if _impl(impl) == "kernel":
        from . import hamming_kernel as hk

        grown = np.empty_like(reached)
        size = hk.popcount(reached)
        for k in range(1, depth + 1):
            new_size = hk.expand_dist(reached, grown, N, dist, k)
            if new_size == size:
                break
            reached, grown, size = grown, reached, new_size
        return dist
    for k in range(1, depth + 1):
        grown = expand_numpy(reached, N)
        new = grown & ~reached
        if not new.any():
            break
        dist[unpack(new, N)] = k
        reached = grown
    return dist


def hypercube_level_sizes(words: np.ndarray, N: int, max_depth: int | None = None, *,
                          overwrite: bool = False, impl: str | None = None) -> np.ndarray:
    """``|EXP^k(S)|`` for ``k = 0 .. depth``, for a set ``S`` given as a bitset.

    No per-vertex array: two bitsets of ``2^N / 8`` bytes, one of them ``words`` itself when
    ``overwrite``. ``2^36`` vertices take two 8 GB bitsets.

    Parameters
    ----------
    words : numpy.ndarray
        The bitset of ``S`` (``uint64``, ``max(1, 2^(N-6))`` words, see :func:`pack`).
    N : int
        The dimension, ``1 <= N <= 40``.
    max_depth : int, optional
        The last ``k`` (default: ``N``).
    overwrite : bool
        Use ``words`` as one of the two bitsets (with the kernel; its content is then lost).
    impl : {"kernel", "numpy"}, optional
        The implementation (default: ``$COMPANION_BFS_IMPL``, else ``"kernel"``; see the module
        docstring); both give identical results.

    Returns
    -------
    numpy.ndarray
        ``depth + 1`` sizes (``int64``); once the set stops growing the remaining entries repeat
        the last.

    Examples
    --------
    From one vertex of ``{0,1}^3``: the Hamming balls of radius 0 to 3 (1, 4, 7 and 8 vertices):

    >>> hypercube_level_sizes(pack([True] + [False] * 7), 3)
    array([1, 4, 7, 8])
    """
    N = _check_dim(N, 40)
    words = np.asarray(words)
    if words.dtype != np.uint64 or words.shape != (_words(N),):
        raise ValueError(f"need a uint64 bitset of {_words(N)} words for N = {N}, got "
                         f"{words.dtype} of shape {words.shape}")
    depth = N if max_depth is None else max(0, min(int(max_depth), N))
    sizes = np.zeros(depth + 1, np.int64)
    if _impl(impl) == "kernel":
        from . import hamming_kernel as hk

        cur = words if overwrite and words.flags.c_contiguous else np.array(words, order="C")
        nxt = np.empty_like(cur)
        sizes[0] = hk.popcount(cur)
        for k in range(1, depth + 1):
            if sizes[k - 1] in (0, 2 ** N):
                sizes[k:] = sizes[k - 1]
                break
            sizes[k] = hk.expand_into(cur, nxt, N)
            cur, nxt = nxt, cur
        return sizes
    cur = words.copy()
    sizes[0] = int(np.unpackbits(cur.view(np.uint8)).sum())
    for k in range(1, depth + 1):
        cur = expand_numpy(cur, N)
        sizes[k] = int(np.unpackbits(cur.view(np.uint8)).sum())
    return sizes


def robust_counts(class_words: np.ndarray, N: int, *, overwrite: bool = False,
                  impl: str | None = None) -> np.ndarray:
    """For a class ``S`` of ``{0,1}^N``, the number of its vertices robust at each L0 size.

    A vertex of ``S`` is robust to L0 perturbations of size ``d`` (Definition 2) when it lies
    at distance greater than ``d`` from every vertex outside ``S``. Computed as
    ``2^N - |EXP^d(V \\ S)|``, i.e. one BFS from the complement, with two bitsets and no
    per-vertex array.

    Parameters
    ----------
    class_words : numpy.ndarray
        The bitset of ``S`` (``uint64``, see :func:`pack`).
    N : int
        The dimension, ``1 <= N <= 40``.
    overwrite : bool
        Use ``class_words`` itself as one of the two bitsets (with the kernel; its content is
        then lost).
    impl : {"kernel", "numpy"}, optional
        The implementation (default: ``$COMPANION_BFS_IMPL``, else ``"kernel"``; see the module
        docstring); both give identical results.

    Returns
    -------
    numpy.ndarray
        ``N + 1`` counts (``int64``), for ``d = 0 .. N``.

    Examples
    --------
    The class ``{v : |v| <= 1}`` of ``{0,1}^3``: its 4 vertices are not in the other class,
    only the vertex 0 is at distance > 1 from it:

    >>> robust_counts(pack([True, True, True, False, True, False, False, False]), 3)
    array([4, 1, 0, 0])
    """
    N = _check_dim(N, 40)
    if _impl(impl) == "kernel":
        from . import hamming_kernel as hk

        outside = class_words if overwrite else np.array(class_words, dtype=np.uint64, order="C")
        hk.complement(outside, N)
    else:
        outside = ~np.asarray(class_words, dtype=np.uint64)
        if N < 6:
            outside &= np.uint64((1 << 2 ** N) - 1)
    sizes = hypercube_level_sizes(outside, N, overwrite=True, impl=impl)
    return 2 ** N - sizes


def hamming_distances(seeds: np.ndarray, max_depth: int | None = None) -> np.ndarray:
    """Exact graph distance of every vertex of ``H(N, q)`` to a seed set.

    Parameters
    ----------
    seeds : array_like of bool
        Membership of the vertices (index tuples) in the seed set, shape ``(q,) * N``.
    max_depth : int, optional
        Stop after this many steps (default: ``N``, the diameter).

    Returns
    -------
    numpy.ndarray
        ``uint8`` distances of the shape of ``seeds`` (``UNREACHED``, 255, where unreached).

    Examples
    --------
    In ``H(2, 3)`` (3 x 3 grid, vertices adjacent when they share a row or a column):

    >>> seeds = np.zeros((3, 3), bool)
    >>> seeds[0, 0] = True
    >>> hamming_distances(seeds)
    array([[0, 1, 1],
           [1, 2, 2],
           [1, 2, 2]], dtype=uint8)
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

    One multi-source BFS per class, from the vertices outside the class.

    Parameters
    ----------
    labels : array_like
        The classifier's label of every vertex, either flat of length ``2^N`` (the hypercube,
        bitset BFS) or of shape ``(q,) * N`` (any Hamming graph).
    hypercube : bool, optional
        Whether ``labels`` is the flat hypercube form (default: when ``labels`` is 1-D).

    Returns
    -------
    numpy.ndarray
        ``uint8`` distances of the shape of ``labels`` (``UNREACHED``, 255, with one class).

    Examples
    --------
    >>> distance_to_other_class(np.array([0, 0, 0, 1]))
    array([2, 1, 1, 1], dtype=uint8)
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
