"""Command line of the companion book: ``python -m companion`` (or the ``companion`` script).

    companion list                          notebooks, their parameters and measured run times
    companion run NAME [NAME ...] [--profile ci|paper] [-p name=value ...] [--jobs N]
    companion build [--profile ci|paper] [--jobs N] [--skip-run]   (trains the missing tasks first)
    companion tasks [NOTEBOOK ...] [--profile P] [--markdown]  trained artifacts: state, cost
    companion train [NOTEBOOK ...] [--profile P] [--jobs N | --scheduler ADDRESS] [--device D]
    companion scorecard                     regenerate book/scorecard.md from the records
    companion lint [NOTEBOOK ...]           lint the executed notebooks (see companion.lint)
    companion publish DIR [--git]           the executed notebooks, laid out for the launch buttons
    companion data status | prepare [NAME ...] [--network]

A notebook may be named as in ``list`` or as its file: ``fawzi-theorems4-5``, ``theorems4_5``,
``fawzi/theorems4_5``, ``notebooks/fawzi/theorems4_5.md`` and ``fawzi_theorems4_5`` are the same.
Bad input (an unknown notebook, profile or parameter, a value of the wrong type or out of
range) exits with status 2 before any computation, listing what is valid (and, for a notebook
name, the nearest ones). A failing notebook exits with status 1, naming the notebook and cell,
and keeps the executed notebook.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import catalogue, pipeline, scorecard
from .publish import PublishError


def _parser() -> argparse.ArgumentParser:
    notebooks = ", ".join(catalogue.NOTEBOOKS)
    p = argparse.ArgumentParser(
        prog="python -m companion",
        description="Execute and build the robustness-limits companion book.",
        epilog="Profiles: " + "; ".join(f"{k}: {v}" for k, v in catalogue.PROFILE_HELP.items())
        + f". Notebooks: {notebooks}.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("list", help="list the notebooks, their parameters and measured run times")

    def add_run_options(sp):
        sp.add_argument("--profile", default="ci", help="ci (default) or paper")
        sp.add_argument("--jobs", type=int, default=1,
                        help="notebooks to run in parallel (default 1; 2 uses both cores)")

    r = sub.add_parser("run", help="execute one or more notebooks with papermill")
    r.add_argument("names", nargs="+", metavar="NAME",
                   help=f"notebook names ({notebooks}), or their files, e.g. theorems4_5")
    add_run_options(r)
    r.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a parameter (repeatable), e.g. -p n_mc=1000 -p seed=3")

    b = sub.add_parser("build", help="train the missing tasks, execute every notebook, write "
                       "the scorecard, build the HTML book")
    add_run_options(b)
    b.add_argument("--skip-run", action="store_true",
                   help="reuse the executed notebooks already in book/notebooks")

    tk = sub.add_parser("tasks", help="list the trained artifacts (tasks) the notebooks use: "
                        "state (cached / missing / running), estimated cost, dependencies")
    tk.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                    help="notebook names or files (default: every notebook)")
    tk.add_argument("--profile", default="ci", help="ci (default) or paper")
    tk.add_argument("--markdown", action="store_true",
                    help="print the per-chapter Markdown table (as on the how-to-rerun page)")

    tr = sub.add_parser("train", help="train the missing tasks in dependency order, on local "
                        "worker processes or on a Dask cluster; results land in the artifacts "
                        "cache")
    tr.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                    help="notebook names or files whose tasks to train (default: every notebook)")
    tr.add_argument("--profile", default="ci", help="ci (default) or paper")
    tr.add_argument("--jobs", type=int, default=1,
                    help="local worker processes (default 1; 2 uses both cores)")
    tr.add_argument("--scheduler", metavar="ADDRESS", default=None,
                    help="submit to the Dask scheduler at ADDRESS (tcp://HOST:8786) instead")
    tr.add_argument("--device", default=None,
                    help="device the tasks train on (default: CPU, as the notebooks do; cuda "
                         "on GPU workers)")
    tr.add_argument("--connect-timeout", type=float, default=5.0, metavar="SECONDS",
                    help="how long to wait for the scheduler to answer (default 5)")

    sub.add_parser("scorecard", help="regenerate book/scorecard.md from _build/records")

    rs = sub.add_parser("results", help="keep the records of a paper-profile run in results/")
    rsub = rs.add_subparsers(dest="results_command", required=True, metavar="ACTION")
    rsave = rsub.add_parser("save", help="copy _build/records of a profile's runs to "
                            "results/<profile>/ (to commit; the pages show them beside ci)")
    rsave.add_argument("--profile", default="paper", help="the profile to keep (default paper)")

    lt = sub.add_parser("lint", help="check the executed notebooks for output a page must not "
                        "show (stderr, warnings, progress bars, bare reprs, oversized output)")
    lt.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                    help="notebook names or .ipynb paths (default: every executed notebook)")

    pb = sub.add_parser("publish", help="write the executed notebooks, each with a first cell "
                        "that installs companion at this commit, and the Binder files into DIR "
                        "(the content of the 'notebooks' branch that the launch buttons open)")
    pb.add_argument("dir", metavar="DIR",
                    help="the folder to write (e.g. ../robustness-limits-notebooks)")
    pb.add_argument("--git", action="store_true",
                    help="make DIR a git repository on branch 'notebooks' and commit (no push)")

    d = sub.add_parser("data", help="offline data: status, prepare")
    dsub = d.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    dsub.add_parser("status", help="what is in the data cache, and how to fetch what is not")
    dp = dsub.add_parser("prepare", help="prepare datasets in the cache (offline ones by default)")
    dp.add_argument("names", nargs="*", metavar="NAME",
                    help="datasets (default: every offline one)")
    dp.add_argument("--network", action="store_true",
                    help="also download the datasets that need a network (checksummed)")
    return p


def _parse_params(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise catalogue.CatalogueError(f"-p {item!r}: expected NAME=VALUE, e.g. -p n_mc=1000")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def _check_overrides(names: list[str], profile: str, overrides: dict[str, str]) -> None:
    """Every override must belong to at least one selected notebook and parse for each that
    has it."""
    catalogue.check_profile(profile)
    specs = [catalogue.get(n) for n in names]
    for key in overrides:
        if key == "profile":
            raise catalogue.CatalogueError("set the profile with --profile, not -p profile=...")
        owners = [s for s in specs if key == "seed" or any(p.name == key for p in s.params)]
        if not owners:
            valid = sorted({"seed"} | {p.name for s in specs for p in s.params})
            raise catalogue.CatalogueError(
                f"parameter {key!r} belongs to none of the selected notebooks "
                f"({', '.join(names)}); valid parameters: {valid}"
            )
        for s in owners:
            catalogue.resolve(s.name, profile, {key: overrides[key]})


def cmd_list() -> int:
    paths = pipeline.Paths(pipeline.repo_root())
    measured = pipeline.read_runtimes(paths.runtimes)
    reference = pipeline.read_runtimes(paths.reference_runtimes)
    print(f"{'notebook':28s} {'paper':16s} {'ci (s)':>8s} {'paper (s)':>10s}  title")
    for spec in catalogue.NOTEBOOKS.values():
        times = []
        for prof in catalogue.PROFILES:
            t = measured.get(spec.name, {}).get(prof)
            ref = reference.get(spec.name, {}).get(prof)
            if t is not None:
                times.append(f"{t:.1f}")
            else:
                times.append(f"~{ref:.0f}" if ref is not None else "-")
        print(f"{spec.name:28s} {spec.paper:16s} {times[0]:>8s} {times[1]:>10s}  {spec.title}")
        for prm in (catalogue.SEED, *spec.params):
            print(f"{'':30s}- {prm.describe()}")
    print("\nRun times: measured in this checkout (_build/runtimes.json); '~' marks the reference "
          "times in notebooks/runtimes.json; '-' not measured.")
    print("Profiles: " + "; ".join(f"{k}: {v}" for k, v in catalogue.PROFILE_HELP.items()))
    return 0


def _task_group(planned) -> str:
    """The chapter a task belongs to (the paper of its first notebook), for the task tables."""
    if not planned.task.notebooks:
        return "other"
    return catalogue.get(planned.task.notebooks[0]).paper


def _use_repository_cache() -> None:
    """Point the artifacts cache at ``<repository>/_build/artifacts`` (unless
    ``$COMPANION_ARTIFACTS_DIR`` says otherwise), where the executed notebooks look."""
    import os

    os.environ.setdefault("COMPANION_ROOT", str(pipeline.repo_root()))


def cmd_tasks(args) -> int:
    from . import tasks

    _use_repository_cache()
    planned = tasks.tasks_for(args.notebooks, args.profile)
    if args.markdown:
        print(tasks.plan_markdown(planned, group=_task_group))
    else:
        print(tasks.table(planned))
    return 0


def cmd_train(notebooks, profile: str, jobs: int, scheduler=None, device=None,
              connect_timeout: float = 5.0) -> int:
    """Train the missing tasks of ``notebooks`` (all when empty); 1 if some task failed."""
    from . import tasks

    if jobs < 1:
        raise catalogue.CatalogueError(f"--jobs {jobs}: must be at least 1")
    _use_repository_cache()
    planned = tasks.tasks_for(notebooks, profile)
    try:
        tasks.train(planned, jobs=jobs, scheduler=scheduler, device=device,
                    connect_timeout=connect_timeout)
    except tasks.TrainFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_build(profile: str, jobs: int, skip_run: bool) -> int:
    catalogue.check_profile(profile)
    paths = pipeline.Paths(pipeline.repo_root())
    t0 = time.perf_counter()
    if not skip_run:
        # the trained artifacts first, on every core, so no notebook waits on another's training
        if cmd_train([], profile, jobs) != 0:
            return 1
        if paths.records.exists():
            shutil.rmtree(paths.records)
        pipeline.run_many(list(catalogue.NOTEBOOKS), profile, jobs=jobs, paths=paths)
    t_run = time.perf_counter() - t0
    if _lint_failed([paths.executed / f"{n}.ipynb" for n in catalogue.NOTEBOOKS
                     if (paths.executed / f"{n}.ipynb").exists()]):
        return 1
    n = scorecard.write(paths.records, paths.root / "book" / "scorecard.md",
                        results=paths.root / "results" / "paper")
    print(f"scorecard: {n} claims -> book/scorecard.md")
    write_paper_plan(paths.root / "book" / "_generated" / "paper-tasks.md")
    html = paths.build / "html"
    if html.exists():
        shutil.rmtree(html)
    # jupyter_book.cli.main has no __main__ guard: call its click entry point explicitly
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", "book", "--config", "_config.yml", "--all", "-W", "--keep-going"]
    print("$ jupyter-book", " ".join(cmd[3:]), flush=True)
    t1 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=paths.root)
    if proc.returncode != 0 or not (html / "index.html").exists():
        print(f"jupyter-book build failed (exit {proc.returncode}); see the warnings above",
              file=sys.stderr)
        return 1
    print(f"notebooks: {t_run:.0f} s, jupyter-book: {time.perf_counter() - t1:.0f} s; "
          f"book in {html}/index.html")
    return 0


def _lint_failed(notebooks) -> bool:
    """Lint ``notebooks``; print the report (to stderr) and return True if there are problems."""
    from . import lint

    notebooks = list(notebooks)
    problems = lint.lint_paths(notebooks)
    if problems:
        print(lint.format_report(problems), file=sys.stderr)
    else:
        print(f"notebook lint: {len(notebooks)} executed notebook(s), no problems")
    return bool(problems)


def cmd_lint(targets: list[str]) -> int:
    """``companion lint``: exit 1 with the report on problems, 0 when every notebook is clean."""
    from pathlib import Path

    paths = pipeline.Paths(pipeline.repo_root())
    if targets:
        notebooks = []
        for t in targets:
            if t.endswith(".ipynb") or (Path(t).is_file() and not t.endswith(".md")):
                notebooks.append(Path(t))
            else:  # a name, or a source file: an unknown one exits 2 with the nearest names
                notebooks.append(paths.executed / f"{catalogue.canonical(t)}.ipynb")
        missing = [str(n) for n in notebooks if not n.is_file()]
        if missing:
            raise FileNotFoundError(f"no executed notebook at {', '.join(missing)}; run "
                                    "`python -m companion run NAME` first")
    else:
        notebooks = sorted(paths.executed.glob("*.ipynb"))
        if not notebooks:
            raise FileNotFoundError(f"no executed notebooks in {paths.executed}; run "
                                    "`python -m companion build` or `run NAME` first")
    return 1 if _lint_failed(notebooks) else 0


def write_paper_plan(target) -> None:
    """The paper-profile task table of every chapter (estimated GPU-hours, how to run it on a
    cluster), included by book/how-to-rerun.md; from the declared reference throughputs only,
    so the page does not depend on the machine that builds it."""
    from . import tasks

    def chapter(p) -> str:
        spec = catalogue.NOTEBOOKS.get(p.task.notebooks[0]) if p.task.notebooks else None
        return scorecard.PAPER_TITLES.get(spec.paper, spec.paper) if spec else ""

    text = tasks.plan_markdown(tasks.tasks_for(None, "paper"), group=chapter, rates={})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def cmd_results(args) -> int:
    from . import records

    catalogue.check_profile(args.profile)
    if args.profile == "ci":
        raise catalogue.CatalogueError("ci records are regenerated by every build; keep only "
                                       "paper-profile runs: --profile paper")
    paths = pipeline.Paths(pipeline.repo_root())
    target = paths.root / "results" / args.profile
    saved = records.save_results(args.profile, paths.records, target)
    if not saved:
        print(f"no {args.profile}-profile records in {paths.records}: run a notebook first, "
              f"e.g. python -m companion run fawzi-theorem1 --profile {args.profile}",
              file=sys.stderr)
        return 1
    print(f"saved {len(saved)} records file(s) to {target.relative_to(paths.root)}/: "
          + ", ".join(saved) + " (commit them; the pages and the scorecard show them)")
    return 0


def html_staleness(paths: pipeline.Paths) -> str | None:
    """A line saying that the HTML book is missing or older than the executed notebooks, with
    the command that rebuilds it from them; None when it is up to date (or nothing ran)."""
    executed = list(paths.executed.glob("*.ipynb"))
    if not executed:
        return None
    index = paths.build / "html" / "index.html"
    refresh = "python -m companion build --skip-run"
    if not index.exists():
        return (f"note: the HTML book ({index.parent.relative_to(paths.root)}) has not been "
                f"built; build it from the executed notebooks with: {refresh}")
    built = index.stat().st_mtime
    newer = sorted(p for p in executed if p.stat().st_mtime > built)
    if not newer:
        return None
    shown = ", ".join(p.stem for p in newer[:4])
    if len(newer) > 4:
        shown += f" and {len(newer) - 4} more"
    return (f"note: the HTML book ({index.parent.relative_to(paths.root)}) is older than "
            f"{len(newer)} executed notebook(s) ({shown}); refresh it with: {refresh}")


def cmd_data(args) -> int:
    from . import data

    if args.data_command == "status":
        print(data.status_report())
        return 0
    data.prepare(args.names or None, network=args.network)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "list":
            return cmd_list()
        if args.command == "run":
            overrides = _parse_params(args.param)
            names = list(dict.fromkeys(catalogue.canonical(name) for name in args.names))
            _check_overrides(names, args.profile, overrides)
            if args.jobs < 1:
                raise catalogue.CatalogueError(f"--jobs {args.jobs}: must be at least 1")
            pipeline.run_many(names, args.profile, overrides, jobs=args.jobs)
            notice = html_staleness(pipeline.Paths(pipeline.repo_root()))
            if notice:
                print(notice)
            return 0
        if args.command == "build":
            if args.jobs < 1:
                raise catalogue.CatalogueError(f"--jobs {args.jobs}: must be at least 1")
            return cmd_build(args.profile, args.jobs, args.skip_run)
        if args.command == "tasks":
            return cmd_tasks(args)
        if args.command == "train":
            return cmd_train(args.notebooks, args.profile, args.jobs, args.scheduler,
                             args.device, args.connect_timeout)
        if args.command == "scorecard":
            paths = pipeline.Paths(pipeline.repo_root())
            n = scorecard.write(paths.records, paths.root / "book" / "scorecard.md",
                                results=paths.root / "results" / "paper")
            print(f"scorecard: {n} claims -> book/scorecard.md")
            return 0
        if args.command == "results":
            return cmd_results(args)
        if args.command == "data":
            return cmd_data(args)
        if args.command == "lint":
            return cmd_lint(args.notebooks)
        if args.command == "publish":
            from . import publish

            publish.publish(Path(args.dir), pipeline.repo_root(), git=args.git)
            return 0
    except catalogue.CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except pipeline.NotebookFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except PublishError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # data errors name the file, where it was looked for and the fix
        from .data import DataError
        from .tasks import TaskError

        # TaskError: a bad declaration, the engine cannot start
        if isinstance(exc, (DataError, TaskError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
    return 0
