"""What runs on a worker: :func:`run_task` imports the task's function by name, calls it, and
returns the artifact as bytes plus metadata. It never writes into the artifacts cache (the
client does, see :mod:`companion.tasks.engine`), so workers need no shared filesystem; the only
file a worker writes is the task's epoch-boundary resume checkpoint, on its own disk.

This module imports no torch at import time (a local worker sets its thread count first).
"""
from __future__ import annotations

import importlib
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

__all__ = ["TaskCall", "Artifact", "TaskContext", "TaskResult", "import_function", "init_worker",
           "check_worker", "run_task"]


@dataclass(frozen=True)
class TaskCall:
    """Everything a worker needs to produce one artifact (plain, picklable data)."""

    name: str
    profile: str
    key: dict
    digest: str
    function: str
    kind: str
    deps: tuple = ()
    device: Optional[str] = None
    threads: Optional[int] = None
    attempt: int = 1

    def label(self) -> str:
        return f"{self.name} ({self.profile}, key {self.digest})"


@dataclass
class Artifact:
    """A produced artifact: its bytes (a checkpoint, or ``.npz`` arrays), their SHA-256 and the
    metadata stored with it. Dependencies reach a task's function as artifacts."""

    name: str
    kind: str
    data: bytes
    sha256: str
    meta: dict = field(default_factory=dict)

    def load_model(self, model):
        """Fill ``model`` (built by the caller, e.g. the dependency's own ``make()``) with the
        artifact's weights; returns it in eval mode."""
        from ..training import read_checkpoint

        if self.kind != "model":
            raise TypeError(f"artifact {self.name!r} holds {self.kind}, not a model")
        return read_checkpoint(self.data, model, origin=f"artifact {self.name}")[0]

    def arrays(self) -> dict:
        """The dict of arrays of an ``arrays`` artifact."""
        from ..artifacts import load_arrays

        if self.kind != "arrays":
            raise TypeError(f"artifact {self.name!r} holds a {self.kind}, not arrays")
        return load_arrays(self.data)


@dataclass
class TaskContext:
    """What a task's function receives.

    ``key`` is the cache key (everything that determines the artifact), ``deps`` the artifacts
    of the tasks it depends on (by name), ``device`` the device to train on (``None``: CPU, as
    the notebooks do), ``checkpoint`` the path of its epoch-boundary resume checkpoint on this
    worker (pass it to ``training.train(..., checkpoint=...)`` or ``train_gan``, or use
    :meth:`train_model`, which does).
    """

    name: str
    profile: str
    key: dict
    digest: str
    deps: dict
    device: Optional[str]
    checkpoint: Path
    attempt: int = 1

    def dep(self, name: str) -> Artifact:
        try:
            return self.deps[name]
        except KeyError:
            raise KeyError(f"task {self.name!r} has no dependency {name!r}; its dependencies: "
                           f"{sorted(self.deps) or 'none'}") from None

    def train_model(self, make: Callable[[], Any], fit: Callable[..., dict]):
        """``(model, meta)`` from ``make()`` and ``fit(model)`` (``fit(model, checkpoint=...)``
        if it takes a ``checkpoint`` argument), with the metadata
        :func:`companion.artifacts.cached_model` stores: the same recipe, so the file is the one a
        notebook would have trained."""
        from ..artifacts import produce_model

        return produce_model(self.key, make, fit, checkpoint=self.checkpoint)


@dataclass
class TaskResult:
    """The outcome of one :func:`run_task`: the artifact, or the error (with traceback)."""

    name: str
    profile: str
    digest: str
    ok: bool
    artifact: Optional[Artifact] = None
    error: str = ""
    traceback: str = ""
    skipped: bool = False
    seconds: float = 0.0
    host: str = ""
    pid: int = 0
    device: str = "cpu"
    attempt: int = 1
    resumed: bool = False   # it started from an epoch-boundary resume checkpoint


def import_function(spec: str) -> Callable:
    """The callable named ``"package.module:function"``."""
    module, _, attr = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ImportError(f"cannot import the task function {spec!r}: {type(exc).__name__}: "
                          f"{exc}") from None
    if not callable(fn):
        raise TypeError(f"task function {spec!r} is not callable")
    return fn


def init_worker(threads: Optional[int], env: Optional[dict] = None) -> None:
    """Initialiser of a local worker process: the client's ``COMPANION_*`` environment ``env``
    (where resume checkpoints go), its thread count and no progress bars (the engine prints one
    line per task)."""
    if env is not None:
        for k in [k for k in os.environ if k.startswith("COMPANION_")]:
            del os.environ[k]
        os.environ.update(env)
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(threads)
    os.environ["COMPANION_PROGRESS"] = "0"


def check_worker(functions: list) -> dict:
    """What a cluster worker can do: run on every worker before anything is submitted."""
    missing = []
    for spec in functions:
        try:
            import_function(spec)
        except Exception as exc:  # noqa: BLE001 - reported to the client
            missing.append(f"{spec}: {exc}")
    cuda = False
    try:
        import torch

        cuda = bool(torch.cuda.is_available())
    except Exception:  # pragma: no cover - torch is a requirement
        pass
    import companion

    return {"host": socket.gethostname(), "pid": os.getpid(), "missing": missing, "cuda": cuda,
            "companion": str(Path(companion.__file__).resolve().parent)}


def _tail(text: str, lines: int = 30) -> str:
    parts = text.rstrip().splitlines()
    return "\n".join(parts[-lines:])


def run_task(call: TaskCall, deps: Optional[dict] = None) -> TaskResult:
    """Produce the artifact of ``call`` on this worker; never raises for a failing task.

    ``deps`` maps each dependency's name to its :class:`Artifact` (or to the
    :class:`TaskResult` that produced it, as a cluster passes it); a failed dependency makes
    this task *skipped*.
    """
    t0 = time.perf_counter()
    common = dict(name=call.name, profile=call.profile, digest=call.digest,
                  host=socket.gethostname(), pid=os.getpid(), device=call.device or "cpu",
                  attempt=call.attempt)
    resolved = {}
    for dname, dep in (deps or {}).items():
        if isinstance(dep, TaskResult):
            if not dep.ok:
                return TaskResult(ok=False, skipped=True, error=f"its dependency {dname} failed",
                                  **common)
            dep = dep.artifact
        resolved[dname] = dep
    os.environ["COMPANION_PROGRESS"] = "0"
    try:
        missing = [d for d in call.deps if d not in resolved]
        if missing:
            raise RuntimeError(f"dependencies not provided: {missing}")
        import torch

        from ..artifacts import arrays_bytes, resume_path
        from ..integrity import remove, sha256_bytes
        from ..training import checkpoint_bytes, weights_digest

        if call.threads:
            torch.set_num_threads(int(call.threads))
        if call.device and call.device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"the task asks for device {call.device!r} but this worker "
                               f"({common['host']}) has no CUDA GPU")
        fn = import_function(call.function)
        ctx = TaskContext(call.name, call.profile, dict(call.key), call.digest, resolved,
                          call.device, resume_path(call.name, call.key), call.attempt)
        common["resumed"] = ctx.checkpoint.exists()
        from ..artifacts import SUFFIXES

        os.environ["COMPANION_TASK"] = f"{call.name}-{call.digest}{SUFFIXES[call.kind]}"
        try:
            out = fn(ctx)
        finally:
            os.environ.pop("COMPANION_TASK", None)
        seconds = time.perf_counter() - t0
        if call.kind == "model":
            model, meta = out if isinstance(out, tuple) else (out, {})
            if not isinstance(model, torch.nn.Module) or not isinstance(meta, dict):
                raise TypeError("a model task must return (model, meta) or a torch.nn.Module, "
                                f"got {type(out).__name__}")
            meta = dict(meta)
            if meta.setdefault("key", call.key) != call.key:
                raise ValueError(f"the function returned a model for key {meta['key']!r}, "
                                 f"not for the task's key {call.key!r}")
            meta.setdefault("train_seconds", round(seconds, 1))
            model.eval()
            meta.setdefault("weights_sha256", weights_digest(model))
            data = checkpoint_bytes(model.cpu(), meta=meta)
        else:
            if not isinstance(out, dict):
                raise TypeError("an arrays task must return a dict of arrays, got "
                                f"{type(out).__name__}")
            data = arrays_bytes(out)
            meta = {"key": call.key, "train_seconds": round(seconds, 1)}
        art = Artifact(call.name, call.kind, data, sha256_bytes(data), meta)
        remove(ctx.checkpoint)  # the finished artifact supersedes the resume checkpoint
        return TaskResult(ok=True, artifact=art, seconds=time.perf_counter() - t0, **common)
    except Exception as exc:  # noqa: BLE001 - the client reports it, naming the task and key
        return TaskResult(ok=False, error=f"{type(exc).__name__}: {exc}",
                          traceback=_tail(traceback.format_exc()),
                          seconds=time.perf_counter() - t0, **common)
