"""Run a plan: the missing tasks, dependencies first, on local worker processes or a Dask cluster.

The client (this process) is the only writer of the artifacts cache. For each task it takes the
artifact's lock (so a notebook that asks for it meanwhile waits instead of training it again,
and ``tasks`` shows it as running), submits :func:`companion.tasks.worker.run_task`, and when
the worker returns the checkpoint bytes it verifies their SHA-256 and writes them with
:func:`companion.artifacts.store` (atomic, checksummed). A task that is already cached is not
run; one whose lock another process holds is waited for. An interrupted run loses only the
tasks in flight (their workers keep epoch-boundary resume checkpoints, so a rerun resumes
them); a task whose function raises is reported with its name and key, its dependents are
skipped, every other task still runs.

Backends: :class:`LocalBackend` (``jobs`` worker processes on this machine) and
:class:`DaskBackend` (an existing ``distributed`` scheduler: ``train --scheduler ADDRESS``;
dependencies are passed to the cluster as futures, so the scheduler orders them and moves
artifacts between workers itself, and a task whose worker dies is rescheduled by it).
"""
from __future__ import annotations

import json
import os
import sys
import time
import uuid
from concurrent import futures as cf
from dataclasses import dataclass, field
from typing import Callable, Optional

from .core import Planned, TaskError
from .worker import Artifact, TaskCall, TaskResult, check_worker, init_worker, run_task


class EngineError(TaskError):
    """The engine cannot start: a scheduler that does not answer, workers that cannot import
    the package, ... (raised before any task runs; nothing is written)."""


class SchedulerUnreachable(EngineError):
    """No Dask scheduler answers at the given address."""


class WorkerLost(RuntimeError):
    """The worker process running a task died (killed, out of memory)."""


class TrainFailed(RuntimeError):
    """Some tasks failed (each named with its key); every other task was run and stored."""

    def __init__(self, failures: list, report: "Report"):
        self.failures, self.report = failures, report
        lines = [f"{len(failures)} of {report.total} task(s) failed:"]
        for p, res in failures:
            lines.append(f"  task {p.name} (profile {p.profile}, key {p.digest} = "
                         f"{p.describe_key()}) failed: {res.error}")
            if res.traceback:
                lines.extend("      " + line for line in res.traceback.splitlines()[-8:])
        super().__init__("\n".join(lines))

    def __reduce__(self):
        return (type(self), (self.failures, self.report))


@dataclass
class Report:
    """What :func:`train` did, task by task."""

    total: int = 0
    cached: list = field(default_factory=list)       # names already cached before the run
    trained: list = field(default_factory=list)      # names produced and stored by this run
    elsewhere: list = field(default_factory=list)    # names another process produced meanwhile
    failed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped


# --------------------------------------------------------------------------- backends
class InlineBackend:
    """Every task in this process, one after the other (``jobs=0``: tests and debugging)."""

    chains = False
    eager = True  # each result is stored before the next task starts
    threads = None
    where = "this process (inline)"

    def submit(self, call: TaskCall, deps: dict):
        fut = cf.Future()
        fut.set_result(run_task(call, deps))
        return fut

    def wait(self, pending: list, timeout: Optional[float]):
        return [f for f in pending if f.done()]

    def result(self, fut) -> TaskResult:
        return fut.result()

    def close(self, cancel: bool = False) -> None:
        pass


class LocalBackend:
    """``jobs`` worker processes on this machine, each with ``threads`` threads (default: the
    cores shared out, as ``run --jobs`` does for notebooks).

    Workers are forked from a *fork server*, a clean interpreter that has imported torch once
    (no thread pool started, so forking it is safe); the ``COMPANION_*`` environment of the
    moment is handed to each pool's workers explicitly.
    """

    chains = False  # a dependency must be stored before a dependent is submitted
    eager = False

    def __init__(self, jobs: int = 1, threads: Optional[int] = None):
        import multiprocessing

        if jobs < 1:
            raise TaskError(f"--jobs {jobs}: must be at least 1")
        self.jobs = jobs
        self.threads = threads or max(1, (os.cpu_count() or 1) // jobs)
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["torch", "companion.tasks.worker",
                                          "companion.artifacts"])
        self._pool = None
        self.where = f"{jobs} local worker process(es), {self.threads} thread(s) each"

    def _ensure(self):
        if self._pool is None:
            env = {k: v for k, v in os.environ.items() if k.startswith("COMPANION_")}
            self._pool = cf.ProcessPoolExecutor(max_workers=self.jobs, mp_context=self._ctx,
                                                initializer=init_worker,
                                                initargs=(self.threads, env))
        return self._pool

    def submit(self, call: TaskCall, deps: dict):
        return self._ensure().submit(run_task, call, deps)

    def wait(self, pending: list, timeout: Optional[float]):
        done, _ = cf.wait(pending, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def result(self, fut) -> TaskResult:
        try:
            return fut.result()
        except cf.process.BrokenProcessPool as exc:
            self._pool = None  # a fresh pool for what is resubmitted
            raise WorkerLost(f"a local worker process died ({exc})") from None

    def close(self, cancel: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if cancel:
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:  # in-flight tasks are lost; their resume checkpoints stay
                if proc.is_alive():
                    proc.terminate()
        else:
            pool.shutdown(wait=True)


class DaskBackend:
    """An existing Dask ``distributed`` scheduler at ``address`` (``tcp://host:8786``).

    Connecting fails within ``timeout`` seconds with :class:`SchedulerUnreachable` when nothing
    answers; workers must have this package installed (checked before anything is submitted).
    ``device="cuda"`` asks each task for the worker resource ``GPU=1`` (start GPU workers with
    ``dask worker ADDRESS --nthreads 1 --resources GPU=1``).
    """

    chains = True  # dependents are submitted with their dependencies' futures
    eager = False
    threads = None  # each worker's own setting

    def __init__(self, address: str, timeout: float = 5.0, functions=(),
                 device: Optional[str] = None):
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - pinned in requirements.txt
            raise EngineError("--scheduler needs the 'distributed' package (pip install "
                              "distributed, as pinned in requirements.txt)") from None
        import logging

        logging.getLogger("distributed").setLevel(logging.ERROR)
        self.address, self.device = address, device
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for a malformed address
            raise SchedulerUnreachable(
                f"no Dask scheduler answers at {address!r} within {timeout:g} s "
                f"({type(exc).__name__}: {exc}). Start one with `dask scheduler` (it prints its "
                f"address, tcp://HOST:8786) and workers with `dask worker tcp://HOST:8786`, each "
                f"with this package installed; nothing was run or written") from None
        try:
            try:
                self.client.wait_for_workers(1, timeout=timeout)
            except Exception:
                raise EngineError(f"the Dask scheduler at {address!r} has no workers (waited "
                                  f"{timeout:g} s); start some with `dask worker {address}`"
                                  ) from None
            try:
                reports = self.client.run(check_worker, list(functions))
            except Exception as exc:
                raise EngineError(
                    f"the workers of {address!r} cannot run companion tasks "
                    f"({type(exc).__name__}: {exc}); install this package (pip install -e . at "
                    "this commit) in every worker's environment") from None
            bad = {w: r["missing"] for w, r in reports.items() if r["missing"]}
            if bad:
                worker, missing = next(iter(bad.items()))
                raise EngineError(f"{len(bad)} worker(s) of {address!r} cannot import task "
                                  f"functions, e.g. {worker}: {'; '.join(missing)}; install this "
                                  "package at this commit on every worker")
            no_gpu = not any(r["cuda"] for r in reports.values())
            if device and device.startswith("cuda") and no_gpu:
                raise EngineError(f"--device {device}: no worker of {address!r} has a CUDA GPU")
        except BaseException:
            self.client.close()
            raise
        self.where = f"Dask scheduler {address} ({len(reports)} worker(s))"

    def submit(self, call: TaskCall, deps: dict):
        args = {}
        for name, dep in deps.items():  # cached dependencies travel once, scattered
            args[name] = self.client.scatter(dep, hash=False) if isinstance(dep, Artifact) else dep
        resources = {"GPU": 1} if self.device and self.device.startswith("cuda") else None
        return self.client.submit(run_task, call, args, key=f"train-{call.name}-{call.digest}-"
                                  f"{uuid.uuid4().hex[:8]}", pure=False, resources=resources)

    def wait(self, pending: list, timeout: Optional[float]):
        import threading

        done = [f for f in pending if f.done()]
        if done:
            return done
        event = threading.Event()
        for f in pending:  # (this client is not the default one that distributed.wait uses)
            f.add_done_callback(lambda _: event.set())
        deadline = None if timeout is None else time.monotonic() + timeout
        while not event.is_set():  # short waits, so Ctrl-C is handled at once
            left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if left <= 0:
                break
            event.wait(left)
        return [f for f in pending if f.done()]

    def result(self, fut) -> TaskResult:
        try:
            return fut.result()
        except Exception as exc:  # KilledWorker: the scheduler gave up after repeated deaths
            raise WorkerLost(f"{type(exc).__name__}: {exc}") from None

    def close(self, cancel: bool = False) -> None:
        self.client.close()


# --------------------------------------------------------------------------- measured rates
def rates_path(directory=None):
    from ..artifacts import artifacts_dir
    from pathlib import Path

    return (Path(directory) if directory is not None else artifacts_dir()) / "task-rates.json"


def read_rates(directory=None) -> dict:
    try:
        return json.loads(rates_path(directory).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _record_rate(p: Planned, res: TaskResult, directory) -> None:
    """Store the measured throughput (work units per second) of a finished task's class, per
    machine and device, for the estimates of :mod:`companion.tasks.report`."""
    w, meta = p.work, (res.artifact.meta if res.artifact else {})
    seconds = meta.get("train_seconds")
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        # train_seconds is rounded to 0.1 s: a fast task falls back on the worker's own timing
        seconds = res.seconds
    if w is None or not w.kind or not isinstance(seconds, (int, float)) or seconds <= 0:
        return
    if res.resumed:  # a resumed run's seconds do not cover all the work
        return
    device = "gpu" if res.device.startswith("cuda") else "cpu"
    path = rates_path(directory)
    rates = read_rates(directory)
    rates.setdefault(w.kind, {})[f"{device}@{res.host}"] = {
        "rate": w.amount / seconds, "unit": w.unit, "task": p.name, "profile": p.profile,
        "seconds": seconds, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(rates, indent=1, sort_keys=True))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- the driver
def _read_dep(p: Planned) -> Optional[Artifact]:
    from ..artifacts import read_artifact
    from ..integrity import sha256_bytes

    data = read_artifact(p.path, p.kind)
    if data is None:
        return None
    meta = {}
    if p.kind == "model":
        import io

        import torch

        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        meta = dict(loaded.get("meta") or {})
    return Artifact(p.name, p.kind, data, sha256_bytes(data), meta)


def train(planned: list[Planned], *, jobs: int = 1, scheduler: Optional[str] = None,
          device: Optional[str] = None, connect_timeout: float = 5.0, retries: int = 1,
          threads: Optional[int] = None, echo: Callable[[str], None] = print,
          poll: float = 0.5, directory=None) -> Report:
    """Produce the missing artifacts of ``planned`` (a plan from :func:`tasks_for` or
    :func:`plan`, dependencies first) and store them in the cache.

    ``jobs`` local worker processes (0: in this process), or the Dask scheduler at
    ``scheduler``. ``device``: what the task functions train on (default CPU, as the notebooks
    do; ``"cuda"`` on GPU workers).
    ``retries``: resubmissions of a task whose local worker process died (on a cluster the
    scheduler reschedules those itself). One line per task goes to ``echo``. Raises
    :class:`TrainFailed` at the end when some task failed (after every other task ran), and
    :class:`EngineError` before anything runs when the engine cannot start.
    """
    from ..artifacts import ArtifactLock, is_cached, store

    t0 = time.perf_counter()
    report = Report(total=len(planned))
    by_name = {p.name: p for p in planned}
    status: dict[str, str] = {}
    todo = []
    for p in planned:
        if is_cached(p.path, p.kind):
            status[p.name] = "cached"
            report.cached.append(p.name)
        else:
            todo.append(p)
    n_run = len(todo)
    # a scheduler is checked even when nothing is missing: a bad address is an error at once
    functions = sorted({p.task.function for p in todo})
    backend = (DaskBackend(scheduler, connect_timeout, functions, device)
               if scheduler else InlineBackend() if jobs == 0 else LocalBackend(jobs, threads))
    if not todo:
        backend.close()
        echo(f"tasks: all {len(planned)} cached, nothing to train" if planned
             else "tasks: none declared for these notebooks, nothing to train")
        report.seconds = time.perf_counter() - t0
        return report
    echo(f"tasks ({planned[0].profile}): {n_run} to train, {len(report.cached)} cached; "
         f"on {backend.where}")
    inflight: dict[str, tuple] = {}   # name -> (planned, future, lock, call)
    attempts: dict[str, int] = {}
    waiting_noted: set = set()
    failures: list = []
    done_count = 0

    def line(word: str, p: Planned, text: str = "") -> None:
        nonlocal done_count
        done_count += 1
        echo(f"[{done_count}/{n_run}] {word:8s} {p.name} ({p.profile}, {p.digest}){text}")

    def finish(p: Planned, res: TaskResult, lock) -> None:
        try:
            if res.ok:
                art = res.artifact
                wrote = store(p.path, art.data, art.sha256, lock=lock)
                status[p.name] = "done"
                if wrote:
                    report.trained.append(p.name)
                    _record_rate(p, res, directory)
                    line("trained", p, f"  {res.seconds:7.1f} s on {res.host}:{res.pid}"
                         + (f" ({res.device})" if res.device != "cpu" else ""))
                else:
                    report.elsewhere.append(p.name)
                    line("cached", p, "  (another process stored it meanwhile)")
            elif res.skipped:
                status[p.name] = "failed"
                report.skipped.append(p.name)
                line("skipped", p, f": {res.error}")
            else:
                status[p.name] = "failed"
                report.failed.append(p.name)
                failures.append((p, res))
                line("FAILED", p, f": {res.error}")
        finally:
            lock.release()

    try:
        while todo or inflight:
            for p in list(todo):
                bad = [d for d in p.deps if status.get(d) == "failed"]
                if bad:
                    todo.remove(p)
                    status[p.name] = "failed"
                    report.skipped.append(p.name)
                    line("skipped", p, f": its dependency {bad[0]} failed")
                    continue
                ready = all(status.get(d) in ("cached", "done")
                            or (backend.chains and d in inflight) for d in p.deps)
                if not ready:
                    continue
                lock = ArtifactLock(p.path)
                if not lock.acquire(blocking=False):
                    if p.name not in waiting_noted:
                        waiting_noted.add(p.name)
                        echo(f"      waiting  {p.name} ({p.profile}): another process is "
                             "producing it")
                    continue
                if is_cached(p.path, p.kind):  # produced by another process meanwhile
                    lock.release()
                    todo.remove(p)
                    status[p.name] = "cached"
                    report.elsewhere.append(p.name)
                    line("cached", p, "  (another process produced it)")
                    continue
                deps = {}
                for d in p.deps:
                    if d in inflight:
                        deps[d] = inflight[d][1]
                    else:
                        art = _read_dep(by_name[d])
                        if art is None:
                            raise RuntimeError(f"dependency {d} of {p.name} vanished from "
                                               "the cache")
                        deps[d] = art
                attempts[p.name] = attempts.get(p.name, 0) + 1
                call = TaskCall(p.name, p.profile, p.key, p.digest, p.task.function, p.kind,
                                p.deps, device, backend.threads, attempts[p.name])
                inflight[p.name] = (p, backend.submit(call, deps), lock, call)
                todo.remove(p)
                if backend.eager:
                    break
            if not inflight:
                if todo:
                    time.sleep(poll)  # everything left waits on another process
                continue
            futs = {v[1]: k for k, v in inflight.items()}
            blocked = any(p.name in waiting_noted for p in todo)
            order = {p.name: i for i, p in enumerate(planned)}
            done = sorted(backend.wait(list(futs), timeout=poll if blocked else None),
                          key=lambda f: order[futs[f]])  # dependencies first
            for fut in done:
                name = futs[fut]
                p, _, lock, call = inflight.pop(name)
                try:
                    res = backend.result(fut)
                except WorkerLost as exc:
                    bad = [d for d in p.deps if status.get(d) == "failed"]
                    if bad:
                        res = TaskResult(p.name, p.profile, p.digest, False, skipped=True,
                                         error=f"its dependency {bad[0]} failed")
                    elif not backend.chains and attempts[name] <= retries:
                        echo(f"      retry    {p.name} ({p.profile}): {exc}")
                        lock.release()
                        todo.insert(0, p)
                        continue
                    else:
                        res = TaskResult(p.name, p.profile, p.digest, False,
                                         error=f"its worker died: {exc}")
                finish(p, res, lock)
    except BaseException:
        lost = sorted(inflight)
        for p, fut, lock, call in inflight.values():
            lock.release()
        backend.close(cancel=True)
        if lost:
            print(f"interrupted: {len(lost)} task(s) in flight lost ({', '.join(lost)}); "
                  f"{len(report.trained)} stored; rerun to continue (long tasks resume from their "
                  "last epoch checkpoint)", file=sys.stderr, flush=True)
        raise
    backend.close()
    report.seconds = time.perf_counter() - t0
    echo(f"tasks: {len(report.trained)} trained, {len(report.cached) + len(report.elsewhere)} "
         f"cached, {len(report.failed)} failed, {len(report.skipped)} skipped in "
         f"{report.seconds:.1f} s")
    if failures or report.skipped:
        raise TrainFailed(failures, report)
    return report


__all__ = ["DaskBackend", "EngineError", "InlineBackend", "LocalBackend", "Report",
           "SchedulerUnreachable", "TrainFailed", "WorkerLost", "rates_path", "read_rates",
           "train"]
