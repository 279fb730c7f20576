"""Hypercube BFS against its memory floor, measured in the same run.

    python benchmarks/bfs_benchmark.py                      # 2^24 .. 2^30, 5 runs each
    python benchmarks/bfs_benchmark.py --dims 30 --runs 7   # the target size only
    python benchmarks/bfs_benchmark.py --dims 24,26 --reference   # also time the numpy step
    python benchmarks/bfs_benchmark.py --dims 30,31,32 --extrapolate 36   # 6x6 binary space

A full search expands the set {0} of the hypercube {0,1}^N to full depth: N steps
EXP(S) = S ∪ N(S) on a bitset of 2^N bits (two buffers), each step one call of the compiled
kernel (companion.discrete.hamming_kernel). The result is checked: |EXP^k({0})| must be the
Hamming ball size sum_{i<=k} C(N, i) at every level.

The floor. Whatever the algorithm, a step must read the bitset once and write it once: 2^N/4
bytes. The floor of a step is therefore the time of a plain copy of the same bitset (same size,
same buffers, same thread count as the kernel, and the faster of that and a single-threaded
numpy copy), measured in the same run, alternating with the searches; the floor of a search
is N such copies. A bitset that fits in the last-level cache is compared with a copy that
also runs from the cache, one that does not with a copy from memory: the table says which.

Every size is run --runs times (default 5) after one warm-up run (which also pays numba's
compile or cache load); the table gives medians with the min-max range, and a line flags any
size whose spread (max / min > 1 + --noisy) says that the machine was busy: rerun those.
The last column is the same ratio in CPU time (search CPU seconds over copy CPU seconds, both
on the same threads): on a machine shared with other work it is the steadier of the two, since
a compute-bound kernel loses more wall time to other processes than a memory-bound copy.
This is a benchmark script, not a timed test.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import numpy as np

from companion.discrete import hamming_bfs as hb
from companion.discrete import hamming_kernel as hk


def llc_bytes() -> int | None:
    """Size of the last-level cache (sysfs), or None."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    best = None
    try:
        for idx in sorted(os.listdir(base)):
            if not idx.startswith("index"):
                continue
            with open(f"{base}/{idx}/size") as fh:
                txt = fh.read().strip()
            mult = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}.get(txt[-1], 1)
            val = int(txt.rstrip("KMG")) * mult
            best = val if best is None or val > best else best
    except OSError:
        return None
    return best


def ball_sizes(N: int) -> list[int]:
    out, total = [], 0
    for i in range(N + 1):
        total += math.comb(N, i)
        out.append(total)
    return out


def search(N: int, a: np.ndarray, b: np.ndarray, threads: int) -> tuple[float, float, list[int]]:
    """One full search from vertex 0; returns (wall seconds, CPU seconds, level sizes)."""
    a[:] = 0
    a[0] = 1
    sizes = [1]
    src, dst = a, b
    t, c = time.perf_counter(), time.process_time()
    for _ in range(N):
        sizes.append(hk.expand_into(src, dst, N, threads))
        src, dst = dst, src
    return time.perf_counter() - t, time.process_time() - c, sizes


def copy_floor(a: np.ndarray, b: np.ndarray, threads: int, steps: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``steps`` plain copies of the bitset (per copy the faster of the
    kernel-thread copy and numpy's)."""
    total = cpu = 0.0
    for _ in range(steps):
        t, c = time.perf_counter(), time.process_time()
        hk.copy_into(a, b, threads)
        t1, c1 = time.perf_counter(), time.process_time()
        np.copyto(b, a)
        t2, c2 = time.perf_counter(), time.process_time()
        if t1 - t <= t2 - t1:
            total, cpu = total + t1 - t, cpu + c1 - c
        else:
            total, cpu = total + t2 - t1, cpu + c2 - c1
    return total, cpu


def reference_search(N: int) -> float:
    """Seconds of a full search with the numpy reference step (hamming_bfs.expand_numpy)."""
    w = np.zeros(2 ** (N - 6), np.uint64)
    w[0] = 1
    t = time.perf_counter()
    for _ in range(N):
        w = hb.expand_numpy(w, N)
    return time.perf_counter() - t


def fmt(vals: list[float], scale: float = 1.0, digits: int = 3) -> str:
    med = statistics.median(vals) * scale
    return f"{med:.{digits}f} [{min(vals) * scale:.{digits}f}-{max(vals) * scale:.{digits}f}]"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", default="24,26,28,30", help="comma-separated N (2^N vertices)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per size (after a warm-up)")
    ap.add_argument("--threads", type=int, default=None, help="kernel threads (default: all CPUs)")
    ap.add_argument("--noisy", type=float, default=0.25, help="flag spreads max/min above 1+this")
    ap.add_argument("--reference", action="store_true", help="also time the numpy reference step")
    ap.add_argument("--extrapolate", type=int, default=None,
                    help="extrapolate the full search and the 6x6 check to 2^this vertices")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    threads = args.threads or hk._threads()
    dims = [int(x) for x in args.dims.split(",")]
    llc = llc_bytes()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"hypercube BFS from one vertex to full depth; {threads} kernel thread(s), "
          f"{os.cpu_count()} CPUs, last-level cache "
          f"{llc / 2**20 if llc else float('nan'):.0f} MiB, load average {load:.1f} at start; "
          f"median [min-max] of {args.runs} runs after a warm-up")
    print(f"{'N':>3s} {'bitset':>8s} {'in LLC':>6s} {'search s':>22s} {'ms/step':>8s} "
          f"{'floor s':>22s} {'ratio':>16s} {'GB/s copy':>9s} {'ratio CPU time':>16s}")
    res = {"threads": threads, "llc_bytes": llc, "load_start": load, "runs": args.runs,
           "sizes": {}}
    noisy = []
    for N in dims:
        nwords = max(1, 2 ** (N - 6))
        a = np.zeros(nwords, np.uint64)
        b = np.zeros(nwords, np.uint64)
        want = ball_sizes(N)
        searches, floors, cpu_ratios = [], [], []
        for r in range(args.runs + 1):                  # run 0: warm-up (compile, page faults)
            secs, cpu, sizes = search(N, a, b, threads)
            if sizes != want:
                raise AssertionError(f"N={N}: level sizes {sizes} differ from the ball sizes")
            fl, fl_cpu = copy_floor(a, b, threads, N)
            if r:
                searches.append(secs)
                floors.append(fl)
                cpu_ratios.append(cpu / fl_cpu if fl_cpu > 0 else math.nan)
        ratios = [s / f for s, f in zip(searches, floors)]
        nbytes = a.nbytes
        in_llc = llc is not None and 2 * nbytes <= llc
        gbs = 2 * nbytes * N / statistics.median(floors) / 1e9
        spread = max(max(searches) / min(searches), max(floors) / min(floors))
        if spread > 1 + args.noisy:
            noisy.append((N, spread))
        print(f"{N:3d} {nbytes / 2**20:6.0f}MB {'yes' if in_llc else 'no':>6s} "
              f"{fmt(searches):>22s} "
              f"{statistics.median(searches) / N * 1e3:8.2f} {fmt(floors):>22s} "
              f"{fmt(ratios, digits=2):>16s} {gbs:9.1f} {fmt(cpu_ratios, digits=1):>16s}")
        entry = {"bitset_bytes": nbytes, "fits_llc": in_llc, "search_s": searches,
                 "floor_s": floors, "ratio": ratios, "ratio_cpu": cpu_ratios, "copy_gbs": gbs,
                 "spread": spread}
        if args.reference:
            entry["reference_s"] = reference_search(N)
            print(f"    numpy reference step: {entry['reference_s']:.2f} s "
                  f"({entry['reference_s'] / statistics.median(searches):.1f}x the kernel, "
                  f"{entry['reference_s'] / statistics.median(floors):.0f}x the floor)")
        res["sizes"][N] = entry
        del a, b
    for N, spread in noisy:
        print(f"NOISY: N={N} runs spread {spread:.2f}x (max/min): the machine was busy; rerun")
    if not noisy:
        print(f"spread of every size within {args.noisy:.0%} (max/min): no sign of a busy machine")
    if args.extrapolate:
        # per-step time grows like 2^N once the bitset is far larger than the cache
        top = max(dims)
        per_step = statistics.median(res["sizes"][top]["search_s"]) / top
        M = args.extrapolate
        step_M = per_step * 2 ** (M - top)
        floor_M = statistics.median(res["sizes"][top]["floor_s"]) / top * 2 ** (M - top)
        print(f"extrapolated from 2^{top} (time per step x 2^(N - {top})): a full search at 2^{M} "
              f"takes about {step_M * M:.0f} s ({step_M:.1f} s per step, floor "
              f"{floor_M * M:.0f} s), "
              f"two bitsets of {2 ** M / 8 / 2**30:.0f} GiB; Theorem 1 on the binary 6x6 space "
              f"runs one such search per interesting class")
        res["extrapolated"] = {"N": M, "search_s": step_M * M, "floor_s": floor_M * M}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
    return res


if __name__ == "__main__":
    main()
