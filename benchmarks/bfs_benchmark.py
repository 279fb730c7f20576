"""Throughput of the bit-packed hypercube breadth-first search against the memory-bandwidth limit.

    python benchmarks/bfs_benchmark.py --dim 26        # quick
    python benchmarks/bfs_benchmark.py --dim 30        # the `paper` target: 2^30 vertices, full depth

Expands the set {0} of the Boolean hypercube {0,1}^N to full depth (N steps of EXP) and reports
vertices per second (vertex-steps: 2^N vertices times N steps per run) next to the bound set by
memory bandwidth: each step reads and writes the 2^N / 8-byte bitset about 4 times per dimension
(masked shifts or block ORs), so a step moves about 4 N 2^N / 8 bytes; the bandwidth is measured
with a large numpy copy. This is a benchmark script, not a timed test.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from companion.discrete.hamming_bfs import expand, pack


def bandwidth_gbs(nbytes: int = 1 << 28, repeats: int = 3) -> float:
    """Copy bandwidth (read + write) in GB/s, best of ``repeats``."""
    a = np.ones(nbytes // 8, np.uint64)
    b = np.empty_like(a)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(b, a)
        best = max(best, 2 * a.nbytes / (time.perf_counter() - t) / 1e9)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=26, help="N: the hypercube has 2^N vertices (<= 34)")
    args = ap.parse_args()
    N = args.dim
    seeds = np.zeros(2 ** N, bool)
    seeds[0] = True
    words = pack(seeds)
    del seeds
    t0 = time.perf_counter()
    for _ in range(N):
        words = expand(words, N)
    secs = time.perf_counter() - t0
    assert int(np.unpackbits(words.view(np.uint8)).sum()) == 2 ** N, "full depth must reach every vertex"
    bw = bandwidth_gbs()
    moved = 4 * N * (2 ** N / 8) * N        # bytes over all N steps
    print(f"hypercube 2^{N}: full depth ({N} steps) in {secs:.2f} s; "
          f"{2 ** N * N / secs:.3e} vertex-steps/s")
    print(f"memory bandwidth (numpy copy) {bw:.1f} GB/s -> lower bound on the time "
          f"{moved / (bw * 1e9):.2f} s; achieved {moved / secs / 1e9:.1f} GB/s "
          f"({moved / secs / 1e9 / bw:.0%} of the copy bandwidth)")


if __name__ == "__main__":
    main()
