"""Execute the book's notebooks: jupytext source -> papermill (with parameters) -> executed .ipynb.

The executed notebooks land in ``book/notebooks/<name>.ipynb`` where Jupyter Book (execution
off) renders them; their reproduction records land in ``_build/records/<name>.json`` and their
wall times in ``_build/runtimes.json``. A failing cell stops the run of that notebook with a
:class:`NotebookFailed` naming the notebook and the cell; the partially executed notebook is
kept for diagnosis.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import catalogue

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def repo_root() -> Path:
    """The repository root: ``$COMPANION_ROOT``, else the nearest parent holding
    ``_config.yml``."""
    env = os.environ.get("COMPANION_ROOT")
    if env:
        return Path(env).resolve()
    for base in [Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]]:
        if (base / "_config.yml").exists() and (base / "notebooks").is_dir():
            return base
    raise FileNotFoundError(
        "cannot find the repository root (a folder with _config.yml and notebooks/); "
        "run from inside the repository or set COMPANION_ROOT"
    )


@dataclass
class Paths:
    root: Path

    @property
    def sources(self) -> Path:
        return self.root / "notebooks"

    @property
    def executed(self) -> Path:
        return self.root / "book" / "notebooks"

    @property
    def build(self) -> Path:
        return self.root / "_build"

    @property
    def records(self) -> Path:
        return self.build / "records"

    @property
    def runtimes(self) -> Path:
        return self.build / "runtimes.json"

    @property
    def reference_runtimes(self) -> Path:
        return self.sources / "runtimes.json"


class NotebookFailed(RuntimeError):
    """A notebook raised in one of its cells (the executed notebook is kept at ``output``)."""

    def __init__(self, name: str, cell: str, error: str, output: Path):
        self.name, self.cell, self.error, self.output = name, cell, error, output
        super().__init__(
            f"notebook {name!r} failed in {cell}: {error}\n"
            f"  the executed notebook with the traceback is kept at {output}"
        )

    def __reduce__(self):  # picklable, so a failure in a --jobs worker reaches the parent
        return (type(self), (self.name, self.cell, self.error, self.output))


@dataclass
class RunResult:
    name: str
    profile: str
    seconds: float
    output: Path
    parameters: dict


def load_source(name: str, paths: Paths):
    """The jupytext source of notebook ``name`` as an nbformat notebook, checked for a
    parameters cell."""
    import jupytext

    spec = catalogue.get(name)
    src = paths.sources / spec.source
    if not src.exists():
        raise FileNotFoundError(f"notebook {name!r}: source {src} does not exist")
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(
            f"notebook {name!r} ({src}) must have exactly one code cell tagged 'parameters', "
            f"found {len(tagged)}"
        )
    # the book shows the cell papermill injects (the values actually used), not the defaults
    tags = tagged[0].metadata.setdefault("tags", [])
    if "remove-cell" not in tags:
        tags.append("remove-cell")
    return nb


def _failed_cell(output: Path) -> str:
    """Describe the cell that raised in an executed notebook (index and first source line)."""
    try:
        import nbformat

        nb = nbformat.read(output, as_version=4)
        code_idx = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            code_idx += 1
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                return f"code cell {code_idx} (`{first[:70]}`)"
    except Exception:  # pragma: no cover - diagnosis only
        pass
    return "an unknown cell"


def kernel_config():
    """The traitlets configuration of the kernels that execute the notebooks.

    ipykernel 7.4 warns on stderr at start-up (``[IPKernelApp] WARNING | Kernel is running over
    TCP without encryption...``) whenever its kernel manager has not provisioned CurveZMQ keys,
    and jupyter_client 8.10's ``KernelManager.transport_encryption`` defaults to ``"disabled"``
    (papermill keeps that default). ``"auto"`` provisions the keys for every kernelspec that
    declares ``supported_encryption: ["curve"]`` (ipykernel's own does), so the kernel's sockets
    are encrypted and authenticated and the warning is gone at its source. A pyzmq built without
    libsodium has no CurveZMQ: the kernel then uses the IPC transport (local sockets), which the
    warning accepts as well.
    """
    import zmq
    from traitlets.config import Config

    cfg = Config()
    if zmq.has("curve"):
        cfg.KernelManager.transport_encryption = "auto"
    else:  # pragma: no cover - pyzmq wheels ship libsodium
        cfg.KernelManager.transport = "ipc"
    return cfg


def quiet_kernel_manager():
    """A kernel manager whose graceful shutdown sends no SIGINT.

    jupyter_client's ``shutdown_kernel`` interrupts the kernel before it asks it to shut down.
    On a busy machine the signal can reach ipykernel while it is still handling a message, which
    then logs ``[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.`` to the terminal of the
    run. After the last cell the kernel is idle, so the shutdown request alone suffices (and the
    manager still terminates, then kills, a kernel that does not answer it).
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietShutdownKernelManager(AsyncKernelManager):
        async def _async_interrupt_kernel(self) -> None:
            if getattr(self, "shutting_down", False):
                return
            await super()._async_interrupt_kernel()

    return QuietShutdownKernelManager


def execute(nb, output: Path, parameters: dict | None = None, cwd: Path | None = None) -> None:
    """Execute notebook ``nb`` with papermill into ``output`` (the settings every run uses)."""
    import papermill

    papermill.execute_notebook(
        nb, str(output), parameters=parameters, kernel_name="python3",
        cwd=str(cwd) if cwd is not None else None, progress_bar=False, log_output=False,
        config=kernel_config(), kernel_manager_class=quiet_kernel_manager(),
    )


def run_notebook(name: str, profile: str = "ci", overrides: dict[str, Any] | None = None,
                 paths: Paths | None = None) -> RunResult:
    """Execute notebook ``name`` under ``profile`` with parameter ``overrides``."""
    from papermill.exceptions import PapermillExecutionError

    paths = paths or Paths(repo_root())
    params = catalogue.resolve(name, profile, overrides)  # validated before any compute
    nb = load_source(name, paths)
    paths.executed.mkdir(parents=True, exist_ok=True)
    paths.records.mkdir(parents=True, exist_ok=True)
    out = paths.executed / f"{name}.ipynb"
    os.environ["COMPANION_RECORDS_DIR"] = str(paths.records)
    os.environ["COMPANION_ROOT"] = str(paths.root)
    stale = paths.records / f"{name}.json"
    if stale.exists():
        stale.unlink()
    t0 = time.perf_counter()
    try:
        execute(nb, out, params, paths.root)
    except PapermillExecutionError as exc:
        raise NotebookFailed(name, _failed_cell(out), f"{exc.ename}: {exc.evalue}", out) from None
    seconds = time.perf_counter() - t0
    if not stale.exists():
        raise NotebookFailed(name, "its last cell", "no reproduction records were written "
                             "(the notebook must end with rec.finish())", out)
    # The .ipynb that the page's download button serves starts by saying what to install and
    # which data to fetch (a Markdown cell tagged remove-cell: not shown on the HTML page).
    from .publish import add_download_note

    add_download_note(out, name, paths.root, paths.records)
    _store_runtime(paths, name, profile, seconds)
    return RunResult(name, profile, seconds, out, params)


def _store_runtime(paths: Paths, name: str, profile: str, seconds: float) -> None:
    data = read_runtimes(paths.runtimes)
    data.setdefault(name, {})[profile] = round(seconds, 1)
    paths.runtimes.parent.mkdir(parents=True, exist_ok=True)
    tmp = paths.runtimes.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(paths.runtimes)


def read_runtimes(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _worker_init(threads: int) -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def _run_one(args):
    name, profile, overrides, root = args
    try:
        return run_notebook(name, profile, overrides, Paths(Path(root)))
    except NotebookFailed as exc:
        return exc


def run_many(names: Iterable[str], profile: str = "ci", overrides: dict[str, Any] | None = None,
             jobs: int = 1, paths: Paths | None = None, echo=print) -> list[RunResult]:
    """Execute several notebooks, ``jobs`` at a time; raises the first failure after all ran."""
    from tqdm import tqdm

    paths = paths or Paths(repo_root())
    names = list(names)
    for name in names:  # validate everything before any compute
        catalogue.resolve(name, profile, _applicable(name, overrides))
    results: list[RunResult] = []
    failures: list[NotebookFailed] = []
    tasks = [(n, profile, _applicable(n, overrides), str(paths.root)) for n in names]
    bar = tqdm(total=len(tasks), desc=f"notebooks ({profile})", unit="nb")
    if jobs <= 1:
        outcomes = (_run_one(t) for t in tasks)
    else:
        threads = max(1, (os.cpu_count() or 2) // jobs)
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(threads,),
                                   mp_context=multiprocessing.get_context("fork"))
        futures = [pool.submit(_run_one, t) for t in tasks]
        outcomes = (f.result() for f in as_completed(futures))
    for res in outcomes:
        bar.update(1)
        if isinstance(res, NotebookFailed):
            failures.append(res)
            echo(f"FAILED {res}")
        else:
            results.append(res)
            where = res.output.relative_to(paths.root)
            echo(f"ok     {res.name:28s} {res.seconds:7.1f} s  -> {where}")
    bar.close()
    if jobs > 1:
        pool.shutdown()
    if failures:
        raise failures[0] if len(failures) == 1 else NotebookFailed(
            ", ".join(f.name for f in failures), "several cells",
            "; ".join(str(f) for f in failures), failures[0].output)
    return results


def _applicable(name: str, overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Overrides restricted to the parameters notebook ``name`` has (``seed`` always applies).

    When several notebooks run together, a ``-p`` override applies to every notebook that has
    that parameter; a parameter that no selected notebook has is an error (see the CLI).
    """
    if not overrides:
        return {}
    spec = catalogue.get(name)
    known = {"seed"} | {p.name for p in spec.params}
    return {k: v for k, v in overrides.items() if k in known}
