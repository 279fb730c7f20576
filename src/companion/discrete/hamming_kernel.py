"""Compiled (numba) kernel of the hypercube breadth-first search: one fused pass per level.

The bitset layout is the one of :mod:`companion.discrete.hamming_bfs`: vertex ``v`` of
``{0,1}^N`` is bit ``v % 64`` of word ``v // 64`` (``2^(N-6)`` words; one word for ``N <= 6``).
One expansion step ``EXP(S) = S ∪ N(S)`` sets, for every output word ``w``,

    dst[w] = inword(src[w]) | OR_{i < N-6} src[w ^ 2^i]

(``inword``: the word and its six in-word neighbours, masked shifts). The kernel computes that
in a single pass over the output, blocked for the caches:

* a *block* of 2^14 words (128 KB) is produced at a time and stays in L2 until it is final;
* inside the block, one 8-word vector at a time is computed in registers (an LLVM IR loop,
  :func:`_expand8`): the in-word dimensions (shifts), the three dimensions inside the vector
  (lane permutations), then one cache-resident vector load per remaining dimension of the block;
* every dimension beyond the block ORs in a whole neighbour block, streamed in 4096-word
  chunks, four streams at a time.

Memory traffic per step is therefore one write of the bitset and one read, plus one more read
for every dimension whose neighbour block has left the caches by the time it is needed (about
``N - 6 - log2(cache words)`` of them: 2-4 at 2^30 with a 32 MB L3). The population count of
the new level (which also decides when a search may stop) and, on request, the distance of
every newly reached vertex are taken in the same pass while the block is still in cache.

Work is split over threads by ranges of blocks (the kernels release the GIL). Numba compiles
on first use and caches the machine code next to this file (``cache=True``): only the first run
on a machine pays the compile time.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["BLOCK_LOG2", "CHUNK_LOG2", "expand_into", "expand_dist", "popcount", "complement",
           "weight_class", "argmax_class", "copy_into"]

BLOCK_LOG2 = 14                    # 2^14-word blocks (128 KB, L2-resident)
CHUNK_LOG2 = 12                    # neighbour blocks are streamed in chunks of 4096 words
_MIN_PARALLEL_WORDS = 1 << 15      # below this, one thread (thread start-up dominates)

# masks of the bit positions whose in-word coordinate j is 0
_M0 = np.uint64(0x5555555555555555)
_M1 = np.uint64(0x3333333333333333)
_M2 = np.uint64(0x0F0F0F0F0F0F0F0F)
_M3 = np.uint64(0x00FF00FF00FF00FF)
_M4 = np.uint64(0x0000FFFF0000FFFF)
_M5 = np.uint64(0x00000000FFFFFFFF)
_MASKS = np.array([_M0, _M1, _M2, _M3, _M4, _M5], dtype=np.uint64)
_S1, _S2, _S4, _S8, _S16, _S32 = (np.uint64(1 << j) for j in range(6))
_ZERO = np.uint64(0)
_ONE = np.uint64(1)


@intrinsic
def _popcount(typingctx, x):
    """``llvm.ctpop.i64``: the POPCNT instruction (or its vector form)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def _ctz(typingctx, x):
    """``llvm.cttz.i64``: index of the lowest set bit (``x != 0``)."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))

    return sig, codegen


@njit(inline="always")
def _inword6(x):
    """``x`` and its neighbours along the six in-word coordinates."""
    return (x | ((x & _M0) << _S1) | ((x >> _S1) & _M0)
            | ((x & _M1) << _S2) | ((x >> _S2) & _M1)
            | ((x & _M2) << _S4) | ((x >> _S4) & _M2)
            | ((x & _M3) << _S8) | ((x >> _S8) & _M3)
            | ((x & _M4) << _S16) | ((x >> _S16) & _M4)
            | ((x & _M5) << _S32) | ((x >> _S32) & _M5))


@njit(inline="always")
def _inword_small(x, N):
    """In-word neighbours for ``N < 6`` (only coordinates ``j < N`` exist)."""
    r = x
    for j in range(N):
        m = _MASKS[j]
        s = np.uint64(1 << j)
        r |= ((x & m) << s) | ((x >> s) & m)
    return r


_I64 = ir.IntType(64)
_V8 = ir.VectorType(_I64, 8)
_IN_WORD = [(1 << j, int(m)) for j, m in enumerate(_MASKS)]
_LANE_PERMS = ([1, 0, 3, 2, 5, 4, 7, 6], [2, 3, 0, 1, 6, 7, 4, 5], [4, 5, 6, 7, 0, 1, 2, 3])


@intrinsic
def _expand8(typingctx, src, dst, w, offsets, m):
    """``dst[w:w+8] = src[w:w+8] | neighbours``, as one 8-word vector kept in registers: the six
    in-word dimensions (masked shifts), the three dimensions inside the vector (lane
    permutations), then ``m`` more dimensions, one vector load each
    (``src[(w ^ offsets[j]) : +8]``). numba's loops cannot keep an accumulator vector in
    registers across a loop over dimensions; this writes that loop in LLVM IR."""
    sig = types.void(src, dst, types.int64, offsets, types.int64)

    def codegen(context, builder, signature, args):
        sp = context.make_array(signature.args[0])(context, builder, args[0]).data
        dp = context.make_array(signature.args[1])(context, builder, args[1]).data
        op = context.make_array(signature.args[3])(context, builder, args[3]).data
        w_, m_ = args[2], args[4]
        vptr = _V8.as_pointer()

        def load8(idx):
            return builder.load(builder.bitcast(builder.gep(sp, [idx]), vptr), align=8)

        x = load8(w_)
        r = x
        for shift, mask in _IN_WORD:
            sv, mv = ir.Constant(_V8, [shift] * 8), ir.Constant(_V8, [mask] * 8)
            r = builder.or_(r, builder.shl(builder.and_(x, mv), sv))
            r = builder.or_(r, builder.and_(builder.lshr(x, sv), mv))
        for perm in _LANE_PERMS:
            r = builder.or_(r, builder.shuffle_vector(
                x, x, ir.Constant(ir.VectorType(ir.IntType(32), 8), perm)))
        entry = builder.block
        head = builder.append_basic_block("dims")
        body = builder.append_basic_block("dims.body")
        done = builder.append_basic_block("dims.done")
        builder.branch(head)
        builder.position_at_end(head)
        j = builder.phi(_I64)
        acc = builder.phi(_V8)
        j.add_incoming(ir.Constant(_I64, 0), entry)
        acc.add_incoming(r, entry)
        builder.cbranch(builder.icmp_signed("<", j, m_), body, done)
        builder.position_at_end(body)
        nxt = builder.or_(acc, load8(builder.xor(w_, builder.load(builder.gep(op, [j])))))
        j.add_incoming(builder.add(j, ir.Constant(_I64, 1)), body)
        acc.add_incoming(nxt, body)
        builder.branch(head)
        builder.position_at_end(done)
        builder.store(acc, builder.bitcast(builder.gep(dp, [w_]), vptr), align=8)
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always")
def _or_streams(src, d, nb, m, off, B):
    """``d[:B] |= OR_j src[nb[j] + off : + B]`` over ``j < m``, four streams at a time."""
    j = 0
    while j + 4 <= m:
        s0 = src[nb[j] + off:nb[j] + off + B]
        s1 = src[nb[j + 1] + off:nb[j + 1] + off + B]
        s2 = src[nb[j + 2] + off:nb[j + 2] + off + B]
        s3 = src[nb[j + 3] + off:nb[j + 3] + off + B]
        for k in range(B):
            d[k] |= (s0[k] | s1[k]) | (s2[k] | s3[k])
        j += 4
    if m - j == 3:
        s0 = src[nb[j] + off:nb[j] + off + B]
        s1 = src[nb[j + 1] + off:nb[j + 1] + off + B]
        s2 = src[nb[j + 2] + off:nb[j + 2] + off + B]
        for k in range(B):
            d[k] |= s0[k] | s1[k] | s2[k]
    elif m - j == 2:
        s0 = src[nb[j] + off:nb[j] + off + B]
        s1 = src[nb[j + 1] + off:nb[j + 1] + off + B]
        for k in range(B):
            d[k] |= s0[k] | s1[k]
    elif m - j == 1:
        s0 = src[nb[j] + off:nb[j] + off + B]
        for k in range(B):
            d[k] |= s0[k]


@njit(nogil=True, cache=True, boundscheck=False)
def _expand_range(src, dst, N, lo, hi, dist, level, block_log2, chunk_log2):
    """``dst[lo:hi] = EXP(src)[lo:hi]``; returns the population count of ``dst[lo:hi]``.

    ``lo`` and ``hi`` are multiples of the block (or the whole bitset when it is smaller). With
    ``level >= 0``, also ``dist[v] = level`` for every vertex ``v`` of ``dst \\ src`` in range.
    """
    n = N - 6 if N > 6 else 0          # word dimensions
    lv = np.uint8(max(level, 0))
    total = _ZERO
    if n < 3:                           # N < 9: fewer than 8 words (one vector)
        T = 1 << n
        for k in range(T):
            x = src[k]
            r = _inword6(x) if N >= 6 else _inword_small(x, N)
            for i in range(n):
                r |= src[k ^ (1 << i)]
            dst[k] = r
        return _finish(src, dst, 0, T, dist, level, lv)
    b = min(block_log2, n)
    c = min(chunk_log2, b)
    B, C = 1 << b, 1 << c
    inner = np.empty(b, np.int64)      # word offsets of the dimensions inside the block
    for j in range(3, b):
        inner[j - 3] = 1 << j
    nb = np.empty(n + 1, np.int64)
    for blk in range(lo, hi, B):
        # inside the block: one register vector of 8 words at a time (cache-resident loads)
        for w in range(blk, blk + B, 8):
            _expand8(src, dst, w, inner, b - 3)
        # beyond the block: whole neighbour blocks, streamed chunk by chunk
        m = n - b
        for j in range(m):
            nb[j] = blk ^ (1 << (b + j))
        for off in range(0, B, C):
            _or_streams(src, dst[blk + off:blk + off + C], nb, m, off, C)
        total += _finish(src, dst, blk, blk + B, dist, level, lv)
    return total


@njit(inline="always")
def _finish(src, dst, a, b, dist, level, lv):
    """Population count of ``dst[a:b]`` and, with ``level >= 0``, the distances of the vertices
    new in ``dst[a:b]`` (while the words are still in cache)."""
    cnt = _ZERO
    d = dst[a:b]
    for k in range(b - a):
        cnt += _popcount(d[k])
    if level >= 0:
        s = src[a:b]
        for k in range(b - a):
            new = d[k] & ~s[k]
            w64 = (a + k) * 64
            while new != _ZERO:
                dist[w64 + _ctz(new)] = lv
                new &= new - _ONE
    return cnt


@njit(nogil=True, cache=True, boundscheck=False)
def _popcount_range(words, lo, hi):
    total = _ZERO
    for k in range(lo, hi):
        total += _popcount(words[k])
    return total


def _threads() -> int:
    env = os.environ.get("COMPANION_BFS_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else (os.cpu_count() or 1), 8))


_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0


def _pool(k: int) -> ThreadPoolExecutor:
    global _POOL, _POOL_SIZE
    if _POOL is None or _POOL_SIZE != k:
        if _POOL is not None:
            _POOL.shutdown(wait=True)
        _POOL = ThreadPoolExecutor(k, thread_name_prefix="hamming-kernel")
        _POOL_SIZE = k
    return _POOL


def _ranges(nwords: int, threads: int) -> list[tuple[int, int]]:
    """Split ``[0, nwords)`` into at most ``threads`` ranges of whole blocks."""
    tile = min(1 << BLOCK_LOG2, nwords)
    if threads <= 1 or nwords < _MIN_PARALLEL_WORDS:
        return [(0, nwords)]
    tiles = nwords // tile
    per = -(-tiles // threads)
    return [(a * tile, min((a + per) * tile, nwords)) for a in range(0, tiles, per)]


def _check(words: np.ndarray, N: int) -> int:
    N = int(N)
    want = max(1, 2 ** (N - 6)) if N >= 6 else 1
    if words.dtype != np.uint64 or words.ndim != 1 or words.size != want:
        raise ValueError(f"need a uint64 bitset of {want} words for N = {N}, got "
                         f"{words.dtype} of shape {words.shape}")
    if not words.flags.c_contiguous:
        raise ValueError("the bitset must be C-contiguous")
    return N


_NO_DIST = np.zeros(0, np.uint8)


def expand_into(src: np.ndarray, dst: np.ndarray, N: int, threads: int | None = None) -> int:
    """``dst = EXP(src)`` on the hypercube ``{0,1}^N``.

    Parameters
    ----------
    src : numpy.ndarray
        The bitset of the set (C-contiguous ``uint64``, ``max(1, 2^(N-6))`` words).
    dst : numpy.ndarray
        Where ``EXP(src)`` is written: a bitset of the same size that does not overlap ``src``.
    N : int
        The dimension.
    threads : int, optional
        Worker threads (default: ``$COMPANION_BFS_THREADS``, else the available cores, at most
        8).

    Returns
    -------
    int
        ``|EXP(src)|``, the number of set bits of ``dst``.

    Examples
    --------
    >>> src = np.array([1], np.uint64)       # vertex 0 of {0,1}^3
    >>> dst = np.empty_like(src)
    >>> expand_into(src, dst, 3), dst
    (4, array([23], dtype=uint64))
    """
    return expand_dist(src, dst, N, None, -1, threads)


def expand_dist(src: np.ndarray, dst: np.ndarray, N: int, dist: np.ndarray | None, level: int,
                threads: int | None = None) -> int:
    """``dst = EXP(src)``, and ``dist[v] = level`` for every vertex ``v`` of ``dst \\ src``.

    Parameters
    ----------
    src : numpy.ndarray
        The bitset of the set (C-contiguous ``uint64``, ``max(1, 2^(N-6))`` words).
    dst : numpy.ndarray
        Where ``EXP(src)`` is written: a bitset of the same size that does not overlap ``src``.
    N : int
        The dimension.
    dist : numpy.ndarray or None
        The distances (C-contiguous ``uint8``, ``2^N`` entries), written in place for the new
        vertices; ``None``: no distances.
    level : int
        The distance of the new vertices (ignored without ``dist``).
    threads : int, optional
        Worker threads (default: ``$COMPANION_BFS_THREADS``, else the available cores, at most
        8).

    Returns
    -------
    int
        ``|EXP(src)|``, the number of set bits of ``dst``.

    Examples
    --------
    >>> dist = np.array([0, 9, 9, 9, 9, 9, 9, 9], np.uint8)
    >>> expand_dist(np.array([1], np.uint64), np.empty(1, np.uint64), 3, dist, 1), dist
    (4, array([0, 1, 1, 9, 1, 9, 9, 9], dtype=uint8))
    """
    N = _check(src, N)
    _check(dst, N)
    if np.shares_memory(src, dst):
        raise ValueError("expand: dst must not overlap src")
    if dist is None:
        dist, level = _NO_DIST, -1
    elif dist.dtype != np.uint8 or dist.size != 2 ** N or not dist.flags.c_contiguous:
        raise ValueError(f"dist must be a C-contiguous uint8 array of 2^{N} entries")
    parts = _ranges(src.size, _threads() if threads is None else threads)
    if len(parts) == 1:
        return int(_expand_range(src, dst, N, 0, src.size, dist, level, BLOCK_LOG2,
                                 CHUNK_LOG2))
    futs = [_pool(len(parts)).submit(_expand_range, src, dst, N, a, b, dist, level, BLOCK_LOG2,
                                     CHUNK_LOG2)
            for a, b in parts]
    return int(sum(f.result() for f in futs))


def popcount(words: np.ndarray, threads: int | None = None) -> int:
    """Number of set bits of a ``uint64`` array.

    Parameters
    ----------
    words : array_like
        The words (converted to a contiguous ``uint64`` array, flattened).
    threads : int, optional
        Worker threads (default: ``$COMPANION_BFS_THREADS``, else the available cores, at most
        8).

    Returns
    -------
    int
        The population count.

    Examples
    --------
    >>> popcount(np.array([3, 2**63], np.uint64))
    3
    """
    words = np.ascontiguousarray(words, dtype=np.uint64).ravel()
    parts = _ranges(words.size, _threads() if threads is None else threads)
    if len(parts) == 1:
        return int(_popcount_range(words, 0, words.size))
    futs = [_pool(len(parts)).submit(_popcount_range, words, a, b) for a, b in parts]
    return int(sum(int(f.result()) for f in futs))


def _run(kernel, nwords: int, threads: int | None, *args) -> list:
    """``kernel(*args, lo, hi)`` over ranges of whole blocks, on the worker threads."""
    parts = _ranges(nwords, _threads() if threads is None else threads)
    if len(parts) == 1:
        return [kernel(*args, 0, nwords)]
    futs = [_pool(len(parts)).submit(kernel, *args, a, b) for a, b in parts]
    return [f.result() for f in futs]


# ------------------------------------------------------------------ sets built in place
@njit(nogil=True, cache=True, boundscheck=False)
def _complement_range(words, last_mask, lo, hi):
    """``words[lo:hi] = ~words[lo:hi]`` (the last word keeps only the bits of real vertices)."""
    for k in range(lo, hi):
        words[k] = ~words[k]
    if hi == words.size:
        words[hi - 1] &= last_mask
    return 0


def complement(words: np.ndarray, N: int, threads: int | None = None) -> np.ndarray:
    """In place: the bitset of the vertices *not* in the set.

    Parameters
    ----------
    words : numpy.ndarray
        The bitset (C-contiguous ``uint64``, ``max(1, 2^(N-6))`` words), overwritten.
    N : int
        The dimension (for ``N < 6`` the bits of vertices beyond ``2^N`` stay 0).
    threads : int, optional
        Worker threads (default: ``$COMPANION_BFS_THREADS``, else the available cores, at most
        8).

    Returns
    -------
    numpy.ndarray
        ``words`` itself.

    Examples
    --------
    >>> complement(np.array([1], np.uint64), 2)     # {0} -> {1, 2, 3}
    array([14], dtype=uint64)
    """
    N = _check(words, N)
    last = np.uint64((1 << (2 ** N)) - 1) if N < 6 else ~_ZERO
    _run(_complement_range, words.size, threads, words, last)
    return words


@njit(nogil=True, cache=True, boundscheck=False)
def _weight_range(words, N, lo_w, hi_w, lo, hi):
    """``words[k]``: the vertices ``64 k + b`` whose Hamming weight is in ``[lo_w, hi_w]``."""
    table = np.zeros(8, np.uint64)          # table[t]: bits b (< 64) of weight exactly t
    for b in range(64 if N >= 6 else 1 << N):
        table[_popcount(np.uint64(b))] |= _ONE << np.uint64(b)
    for k in range(lo, hi):
        wk = np.int64(_popcount(np.uint64(k)))
        m = _ZERO
        for t in range(7):
            if lo_w <= wk + t <= hi_w:
                m |= table[t]
        words[k] = m
    return 0


def weight_class(N: int, max_weight: int, min_weight: int = 0,
                 threads: int | None = None) -> np.ndarray:
    """Bitset of the vertices of ``{0,1}^N`` with ``min_weight <= |v| <= max_weight``.

    The Hamming weight ``|v|`` is the number of 1 coordinates: a Hamming ball around ``0`` when
    ``min_weight = 0``.

    Parameters
    ----------
    N : int
        The dimension.
    max_weight : int
        The largest weight in the set.
    min_weight : int
        The smallest weight in the set.
    threads : int, optional
        Worker threads (default: ``$COMPANION_BFS_THREADS``, else the available cores, at most
        8).

    Returns
    -------
    numpy.ndarray
        The bitset (``uint64``, ``max(1, 2^(N-6))`` words).

    Examples
    --------
    The vertices 0, 1, 2 and 4 of ``{0,1}^3``:

    >>> weight_class(3, 1)
    array([23], dtype=uint64)
    """
    N = int(N)
    words = np.empty(max(1, 2 ** (N - 6)) if N >= 6 else 1, np.uint64)
    _run(_weight_range, words.size, threads, words, N, int(min_weight), int(max_weight))
    return words


@njit(nogil=True, cache=True, boundscheck=False)
def _argmax_range(words, N, t_hi, t_mid, mid_bits, t_lo, target, lo, hi):
    """Bit ``b`` of word ``k`` set iff ``argmax_c score_c(64 k + b) == target`` (the first
    maximum wins, as in ``np.argmax``), with ``score_c(64 k + b) = (t_hi[k >> mid_bits, c] +
    t_mid[k mod 2^mid_bits, c]) + t_lo[c, b]``."""
    K = t_lo.shape[0]
    nv = t_lo.shape[1]
    mmask = (1 << mid_bits) - 1
    base = np.empty(K, np.float64)
    best = np.empty(nv, np.float64)
    arg = np.empty(nv, np.int64)
    for k in range(lo, hi):
        h = k >> mid_bits
        for c in range(K):
            base[c] = t_hi[h, c] + t_mid[k & mmask, c]
        for b in range(nv):
            best[b] = base[0] + t_lo[0, b]
            arg[b] = 0
        for c in range(1, K):
            bc = base[c]
            for b in range(nv):
                sc = bc + t_lo[c, b]
                if sc > best[b]:
                    best[b] = sc
                    arg[b] = c
        m = _ZERO
        for b in range(nv):
            if arg[b] == target:
                m |= _ONE << np.uint64(b)
        words[k] = m
    return 0


def argmax_class(N: int, t_hi: np.ndarray, t_mid: np.ndarray, mid_bits: int, t_lo: np.ndarray,
                 target: int, threads: int | None = None) -> np.ndarray:
    """Bitset of the vertices ``v = 64 k + b`` of ``{0,1}^N`` that a table classifier labels
    ``target``.

    The class of ``v`` is ``argmax_c (t_hi[k >> mid_bits, c] + t_mid[k mod 2^mid_bits, c]) +
    t_lo[c, b]`` (the first maximum wins, as in ``np.argmax``): a linear classifier split into
    three lookup tables, two additions per class and vertex.

    Parameters
    ----------
    N : int
        The dimension.
    t_hi : numpy.ndarray
        Scores indexed by the high bits ``k >> mid_bits`` of the word index ``k``, shape
        ``(rows, classes)``.
    t_mid : numpy.ndarray
        Scores indexed by the low ``mid_bits`` bits of the word index, shape
        ``(2^mid_bits, classes)``.
    mid_bits : int
        How many word-index bits ``t_mid`` covers.
    t_lo : numpy.ndarray
        Scores of the in-word bits, shape ``(classes, min(64, 2^N))``.
    target : int
        The class whose vertices are set.
    threads : int, optional
        Worker threads (default: ``$COMPANION_BFS_THREADS``, else the available cores, at most
        8).

    Returns
    -------
    numpy.ndarray
        The bitset (``uint64``, ``max(1, 2^(N-6))`` words).

    Examples
    --------
    On ``{0,1}^2`` (one word, no word-index bits), class 1 wins on vertices 1 and 3:

    >>> t_lo = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])
    >>> argmax_class(2, np.zeros((1, 2)), np.zeros((1, 2)), 0, t_lo, 1)
    array([10], dtype=uint64)
    """
    N = int(N)
    words = np.empty(max(1, 2 ** (N - 6)) if N >= 6 else 1, np.uint64)
    _run(_argmax_range, words.size, threads, words, N, np.ascontiguousarray(t_hi, np.float64),
         np.ascontiguousarray(t_mid, np.float64), int(mid_bits),
         np.ascontiguousarray(t_lo, np.float64), int(target))
    return words


@njit(nogil=True, cache=True, boundscheck=False)
def _copy_range(src, dst, lo, hi):
    d = dst[lo:hi]
    s = src[lo:hi]
    for k in range(hi - lo):
        d[k] = s[k]
    return 0


def copy_into(src: np.ndarray, dst: np.ndarray, threads: int | None = None) -> None:
    """``dst[:] = src`` on the kernels' threads.

    The memory floor of one expansion step (one read and one write of the bitset), measured the
    way the kernel moves memory.

    Parameters
    ----------
    src : numpy.ndarray
        The words to copy (a 1-D array).
    dst : numpy.ndarray
        Where they go: the same shape and dtype.
    threads : int, optional
        Worker threads (default: ``$COMPANION_BFS_THREADS``, else the available cores, at most
        8).

    Returns
    -------
    None
        ``dst`` is written in place.
    """
    if src.shape != dst.shape or src.dtype != dst.dtype:
        raise ValueError("copy_into: src and dst must have the same shape and dtype")
    _run(_copy_range, src.size, threads, src, dst)
