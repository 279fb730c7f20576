#!/usr/bin/env python
"""Mutation testing of the book's mathematical modules with mutmut 3 (``make mutation``).

Each module is mutated on its own, in a scratch copy under ``_build/mutation/<module>/`` (the
working tree is never modified), and its mutants run only against the test files that cover it
(MODULES below; mutmut narrows further to the tests that call the mutated function). mutmut runs
one worker (``--max-children 1``): the machines this runs on have two shared cores.

A mutant counts as killed when a test fails on it or it runs out of time (an infinite loop).
Mutants that cannot change behaviour are listed in ``tests/mutation_equivalent.txt`` and left out
of the rate; each entry names the mutant and the line it produces, so an entry goes stale (and is
reported) when the source changes under it.

Usage::

    python scripts/mutation.py                      # every module, per-module and total rates
    python scripts/mutation.py discrete             # one group (bounds, discrete, latent, records)
    python scripts/mutation.py bit_depth --survivors  # one module; print the survivors' diffs
    python scripts/mutation.py --rev HEAD           # the committed state, not the working tree
    python scripts/mutation.py --report             # recount the last run (equivalents edited)
    python scripts/mutation.py --list               # the modules and their test files

Exit status 1 when a group's killed rate is below ``--fail-under`` (default 90%).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "_build" / "mutation"
EQUIVALENT = ROOT / "tests" / "mutation_equivalent.txt"
PKG = "src/companion"

# module (relative to src/companion) -> the test files that cover it, by group, in run order
GROUPS: dict[str, dict[str, list[str]]] = {
    "bounds": {
        "bounds/gaussian_isoperimetry.py": [
            "tests/test_gaussian_bounds.py",
            "tests/test_fawzi_pages_helpers.py",
        ],
    },
    "discrete": {
        "discrete/isoperimetry.py": ["tests/test_discrete_hamming.py"],
        "discrete/bit_depth.py": ["tests/test_discrete_bit_depth.py"],
        "discrete/robust_classifier.py": [
            "tests/test_discrete_robust_classifier.py",
            "tests/test_discrete_bit_depth.py",
        ],
        "discrete/line_drawings.py": ["tests/test_discrete_line_drawings.py"],
        "discrete/image_spaces.py": [
            "tests/test_discrete_paper.py",
            "tests/test_discrete_verification.py",
        ],
        "discrete/hamming_bfs.py": ["tests/test_discrete_hamming.py", "tests/test_bfs_kernel.py"],
        "discrete/hamming_graph.py": ["tests/test_discrete_paper.py"],
        "discrete/classifiers.py": ["tests/test_discrete_verification.py"],
        "discrete/verification.py": ["tests/test_discrete_verification.py"],
    },
    "latent": {
        "bounds/latent_partitions.py": [
            "tests/test_latent_partitions.py",
            "tests/test_fawzi_pages_helpers.py",
        ],
    },
    "records": {
        "records.py": ["tests/test_records.py", "tests/test_records_format.py"],
    },
}
KILLED = {"killed", "timeout"}


def module_key(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".")


def load_equivalent() -> dict[str, tuple[str, str]]:
    """mutant name -> (the mutated line it must produce, reason)."""
    out = {}
    if not EQUIVALENT.exists():
        return out
    for n, line in enumerate(EQUIVALENT.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) != 3 or not all(parts):
            raise SystemExit(
                f"{EQUIVALENT.name}:{n}: expected 'mutant | mutated line | reason', got {line!r}"
            )
        out[parts[0]] = (parts[1], parts[2])
    return out


def snapshot(rev: str) -> Path:
    """The package and the tests as committed in ``rev`` (``git archive``), extracted once."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    out = WORK / f"_rev_{sha[:12]}"
    if not out.exists():
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", sha, PKG, "tests"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        tmp.rename(out)
    print(f"    (sources and tests as committed in {rev} = {sha[:12]})")
    return out


def prepare(module: str, tests: list[str], source: Path = ROOT) -> Path:
    """A fresh scratch project: a copy of the package, the module's test files, a mutmut config
    (from the working tree, or from ``source``, a snapshot of a commit)."""
    work = WORK / module_key(module)
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(
        source / PKG, work / PKG, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    (work / "tests").mkdir(parents=True)
    missing = [t for t in tests if not (source / t).exists()]
    tests = [t for t in tests if t not in missing]
    if missing:
        print(f"    (skipping missing test files: {', '.join(missing)})")
    if not tests:
        raise SystemExit(f"none of the test files for {module} exists")
    for t in tests + ["tests/conftest.py"]:
        if (source / t).exists():
            shutil.copy2(source / t, work / t)
    toml_list = lambda xs: "[" + ", ".join(json.dumps(x) for x in xs) + "]"  # noqa: E731
    (work / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        f"source_paths = {toml_list([PKG])}\n"
        f"only_mutate = {toml_list([f'{PKG}/{module}'])}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]\n'
        # CPU limit (the tests' time + 1 s) x 10: a mutant past it is stuck (killed by timeout)
        "timeout_multiplier = 5.0\n"
        "use_git_change_detection = false\n"
        "\n[tool.pytest.ini_options]\n"
        'testpaths = ["tests"]\n'
    )
    return work


def mutated_lines(work: Path, module: str, names) -> dict[str, list[str]]:
    """The '+' lines of each mutant's diff, computed by mutmut in the scratch project."""
    code = (
        "import json, sys\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "path, names = sys.argv[1], json.loads(sys.stdin.read())\n"
        "out = {}\n"
        "for n in names:\n"
        "    d = get_diff_for_mutant(n, path=path).splitlines()[2:]\n"
        "    out[n] = [l for l in d if l[:1] in '+-']\n"
        "print(json.dumps(out))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, f"{PKG}/{module}"],
        cwd=work,
        input=json.dumps(list(names)),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(res.stdout)


def run_module(
    module: str,
    tests: list[str],
    equivalent,
    survivors: bool,
    source: Path = ROOT,
    report_only: bool = False,
) -> dict:
    from mutmut.stats import status_by_exit_code

    work = WORK / module_key(module)
    meta = work / "mutants" / PKG / f"{module}.meta"
    if report_only:
        if not meta.exists():
            raise SystemExit(f"no results for {module} under {work}: run without --report first")
        if (work / "wall.json").exists():
            wall = json.loads((work / "wall.json").read_text())["wall_s"]
        else:  # a run before wall.json existed: from the config written just before mutmut started
            wall = (work / "mutmut.log").stat().st_mtime - (
                work / "pyproject.toml"
            ).stat().st_mtime
    else:
        work = prepare(module, tests, source)
        env = dict(
            os.environ,
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        mutmut = Path(sys.executable).parent / "mutmut"
        t0 = time.monotonic()
        with open(work / "mutmut.log", "w") as log:
            rc = subprocess.run(
                [str(mutmut), "run", "--max-children", "1"],
                cwd=work,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            ).returncode
        wall = time.monotonic() - t0
        if rc != 0 or not meta.exists():
            tail = (work / "mutmut.log").read_text(errors="replace")[-3000:]
            raise SystemExit(
                f"mutmut failed on {module} (exit {rc}); see {work / 'mutmut.log'}:\n{tail}"
            )
        (work / "wall.json").write_text(json.dumps({"wall_s": wall}))
    status = {
        k: status_by_exit_code[v]
        for k, v in json.loads(meta.read_text())["exit_code_by_key"].items()
    }
    mine = {k: v for k, v in equivalent.items() if k in status}
    diffs = mutated_lines(
        work, module, sorted(set(mine) | {k for k, s in status.items() if s not in KILLED})
    )
    excluded, stale = [], []
    for k, (line, _reason) in mine.items():
        plus = [d[1:].strip() for d in diffs[k] if d.startswith("+")]
        (excluded if line in plus else stale).append(k)
    counted = {k: s for k, s in status.items() if k not in excluded}
    killed = sum(s in KILLED for s in counted.values())
    res = {
        "module": module,
        "total": len(counted),
        "killed": killed,
        "excluded": len(excluded),
        "stale": stale,
        "timeouts": sum(s == "timeout" for s in counted.values()),
        "wall": wall,
        "not_killed": {k: s for k, s in counted.items() if s not in KILLED},
    }
    if survivors:
        for k, s in sorted(res["not_killed"].items(), key=lambda kv: mutant_order(kv[0])):
            print(f"  -- {k.rsplit('.', 1)[-1]} [{s}]")
            for d in diffs[k]:
                print(f"     {d}")
    return res


def mutant_order(name: str):
    fn, _, n = name.rpartition("__mutmut_")
    return fn, int(n) if n.isdigit() else 0


def rate(killed: int, total: int) -> float:
    return 100.0 * killed / total if total else 100.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="groups or modules (default: all groups)")
    ap.add_argument(
        "--survivors", action="store_true", help="print the diff of every mutant not killed"
    )
    ap.add_argument(
        "--fail-under", type=float, default=90.0, help="minimum killed rate per group, in %%"
    )
    ap.add_argument(
        "--rev",
        help="mutate the sources and tests as committed in this revision (e.g. HEAD) "
        "instead of the working tree",
    )
    ap.add_argument(
        "--report",
        action="store_true",
        help="do not run mutmut: recount the last run (after editing the equivalent list)",
    )
    ap.add_argument("--list", action="store_true", help="list the modules and their test files")
    args = ap.parse_args(argv)
    if args.list:
        for g, mods in GROUPS.items():
            for m, ts in mods.items():
                print(f"{g:9} {PKG}/{m:34} {' '.join(ts)}")
        return 0
    selected: dict[str, dict[str, list[str]]] = {}
    for name in args.names or list(GROUPS):
        hits = {g: dict(mods) for g, mods in GROUPS.items() if g == name} or {
            g: {m: ts for m, ts in mods.items() if Path(m).stem == name or m == name}
            for g, mods in GROUPS.items()
        }
        hits = {g: mods for g, mods in hits.items() if mods}
        if not hits:
            ap.error(f"unknown group or module {name!r} (see --list)")
        for g, mods in hits.items():
            selected.setdefault(g, {}).update(mods)
    equivalent = load_equivalent()
    t_all = time.monotonic()
    source = snapshot(args.rev) if args.rev and not args.report else ROOT
    results: dict[str, list[dict]] = {}
    for g, mods in selected.items():
        for m, ts in mods.items():
            print(f"[{g}] {PKG}/{m} against {', '.join(ts)} ...", flush=True)
            r = run_module(m, ts, equivalent, args.survivors, source, args.report)
            results.setdefault(g, []).append(r)
            pct = rate(r["killed"], r["total"])
            print(
                f"[{g}] {m}: {r['killed']}/{r['total']} killed = {pct:.1f}% ({r['timeouts']} by "
                f"timeout, {r['excluded']} equivalent excluded) in {r['wall']:.0f} s",
                flush=True,
            )
            for k in r["stale"]:
                print(f"    stale entry in {EQUIVALENT.name} (counted): {k}")
    wall = (
        sum(r["wall"] for rs in results.values() for r in rs)
        if args.report
        else time.monotonic() - t_all
    )
    print(
        "\nMutation testing (mutmut, one worker): killed / total, equivalent mutants excluded"
        + (" (recounted from the last run; times are that run's)" if args.report else "")
    )
    print(f"{'module':44} {'killed':>7} {'total':>6} {'rate':>7} {'excl':>5} {'time':>7}")
    failed, K, T = [], 0, 0
    for g, rs in results.items():
        for r in rs:
            print(
                f"{PKG + '/' + r['module']:44} {r['killed']:7d} {r['total']:6d} "
                f"{rate(r['killed'], r['total']):6.1f}% {r['excluded']:5d} {r['wall']:6.0f}s"
            )
        k, t = sum(r["killed"] for r in rs), sum(r["total"] for r in rs)
        K, T = K + k, T + t
        excl = sum(r["excluded"] for r in rs)
        print(
            f"{'  group ' + g:44} {k:7d} {t:6d} {rate(k, t):6.1f}% {excl:5d} "
            f"{sum(r['wall'] for r in rs):6.0f}s"
        )
        if rate(k, t) < args.fail_under:
            failed.append(g)
    print(f"{'total':44} {K:7d} {T:6d} {rate(K, T):6.1f}%       {wall:6.0f}s  (wall time)")
    if failed:
        print(f"below {args.fail_under:g}%: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
