"""Declared tasks, the registry, and the plan (dependency closure, order, state) of a profile."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional

__all__ = ["KINDS", "STATES", "TaskError", "Work", "Task", "register", "registered", "get",
           "isolated_registry", "register_provider", "Planned", "plan", "tasks_for", "state_of"]

KINDS = ("model", "arrays")
STATES = ("cached", "missing", "running")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
_FUNCTION = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")


class TaskError(ValueError):
    """A bad declaration or request (unknown task, notebook or profile, a dependency cycle, ...):
    raised before anything is computed."""


@dataclass(frozen=True)
class Work:
    """How much work one profile's version of a task is, and how fast it goes.

    ``amount`` is counted in ``unit`` (e.g. ``"images"``: examples through one training step,
    forward and backward). ``kind`` names the throughput class (e.g. ``"dcgan-w64-28px"``):
    every run of a task of that class records its measured throughput (units per second) for
    the machine it ran on, and estimates use the measured value when there is one. ``cpu`` and
    ``gpu`` are the reference throughputs (units per second) used otherwise: ``cpu`` on the
    book's CI machine (2 CPU cores), ``gpu`` on one GPU; ``source`` says where they come from.
    """

    amount: float
    unit: str = "examples"
    kind: str = ""
    cpu: Optional[float] = None
    gpu: Optional[float] = None
    source: str = ""

    def __post_init__(self):
        if not (self.amount >= 0):
            raise TaskError(f"work amount must be >= 0, got {self.amount!r}")
        for name in ("cpu", "gpu"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise TaskError(f"reference throughput {name}={v!r} must be > 0 "
                                "(units per second)")


@dataclass(frozen=True)
class Task:
    """A trained artifact, declared once: what determines it, what produces it, what it needs.

    name:
        The artifact's name; its cache file is ``<name>-<key digest>.pt`` (``.npz`` for
        ``kind="arrays"``), exactly the file ``artifacts.cached_model(name, key, ...)`` reads, so
        a notebook that asks the cache for it loads what the task produced.
    function:
        ``"package.module:function"``, importable on every worker; called as ``function(ctx)``
        with a :class:`companion.tasks.TaskContext` and returning ``(model, meta)`` (see
        :meth:`TaskContext.train_model`) or, for ``kind="arrays"``, a dict of arrays.
    keys:
        Per profile, the cache key: everything that determines the weights, exactly as the
        chapter's code computes it. A task exists in the profiles it has a key for.
    notebooks:
        The notebooks that load it (catalogue names).
    deps:
        Names of the tasks whose artifacts it needs (same profile); the function receives them
        in ``ctx.deps``.
    work:
        Per profile, a :class:`Work` (the cost estimate); optional.
    """

    name: str
    function: str
    keys: Mapping[str, dict]
    notebooks: tuple = ()
    deps: tuple = ()
    work: Mapping[str, Work] = field(default_factory=dict)
    kind: str = "model"
    title: str = ""

    def __post_init__(self):
        object.__setattr__(self, "notebooks", tuple(self.notebooks))
        object.__setattr__(self, "deps", tuple(self.deps))
        object.__setattr__(self, "keys", dict(self.keys))
        object.__setattr__(self, "work", dict(self.work))
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise TaskError(f"task name {self.name!r} must be a file-name-safe string "
                            "(letters, digits, '.', '_', '+', '-')")
        if not isinstance(self.function, str) or not _FUNCTION.match(self.function):
            raise TaskError(f"task {self.name!r}: function must be 'package.module:function' "
                            f"(importable by name on a worker), got {self.function!r}")
        if self.kind not in KINDS:
            raise TaskError(f"task {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if not self.keys:
            raise TaskError(f"task {self.name!r} has no key for any profile")
        for profile, key in self.keys.items():
            if not isinstance(key, dict):
                raise TaskError(f"task {self.name!r}, profile {profile!r}: the key must be a dict")
            try:
                json.dumps(key, sort_keys=True)
            except TypeError as exc:
                raise TaskError(f"task {self.name!r}, profile {profile!r}: the key must be "
                                f"JSON-serialisable (plain types): {exc}") from None
        extra = set(self.work) - set(self.keys)
        if extra:
            raise TaskError(f"task {self.name!r}: work given for profiles without a key: "
                            f"{sorted(extra)}")
        for w in self.work.values():
            if not isinstance(w, Work):
                raise TaskError(f"task {self.name!r}: work values must be Work(...), got {w!r}")
        if self.name in self.deps:
            raise TaskError(f"task {self.name!r} depends on itself")


_REGISTRY: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Declare ``task`` (a chapter module calls this at import). Names are unique."""
    if not isinstance(task, Task):
        raise TaskError(f"register() takes a Task, got {task!r}")
    old = _REGISTRY.get(task.name)
    if old is not None and old != task:
        raise TaskError(f"task {task.name!r} is registered twice, differently")
    _REGISTRY[task.name] = task
    return task


def registered() -> dict[str, Task]:
    """Every declared task, by name (a copy)."""
    _load_declarations()
    return dict(_REGISTRY)


def get(name: str) -> Task:
    """The declared task ``name``; an unknown name lists the declared ones."""
    _load_declarations()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise TaskError(f"unknown task {name!r}; declared tasks: "
                        f"{', '.join(sorted(_REGISTRY)) or 'none'}") from None


class isolated_registry:
    """Context manager: an empty (or given) registry for the duration (tests)."""

    def __init__(self, tasks: Iterable[Task] = ()):
        self._tasks = list(tasks)

    def __enter__(self):
        global _LOADED
        _load_declarations()  # the real declarations first, so that they are restored on exit
        self._saved, self._loaded = dict(_REGISTRY), _LOADED
        _REGISTRY.clear()
        _LOADED = True
        for t in self._tasks:
            register(t)
        return self

    def __exit__(self, *exc):
        global _LOADED
        _REGISTRY.clear()
        _REGISTRY.update(self._saved)
        _LOADED = self._loaded


_LOADED = False
_PROVIDERS: list[str] = []


def register_provider(function: str) -> None:
    """Declare tasks lazily: ``function`` (``"package.module:function"``) returns a list of
    :class:`Task` and is called once, the first time tasks are planned or listed (not when the
    catalogue is imported), so a chapter module can declare tasks whose keys come from a module
    that imports torch without making ``companion list`` import it."""
    if not isinstance(function, str) or not _FUNCTION.match(function):
        raise TaskError(f"a task provider must be 'package.module:function', got {function!r}")
    if function not in _PROVIDERS:
        _PROVIDERS.append(function)


def _load_declarations() -> None:
    """Import the catalogue once (the chapter modules declare their tasks next to their
    notebooks), then call the registered providers."""
    global _LOADED
    if not _LOADED:
        _LOADED = True
        from .. import catalogue  # noqa: F401  (imports every chapter module)
        from .worker import import_function

        try:
            for spec in _PROVIDERS:
                declared = import_function(spec)()
                for t in declared or ():
                    register(t)
        except BaseException:
            _LOADED = False  # try again next time (the same declarations register idempotently)
            raise


@dataclass(frozen=True)
class Planned:
    """One task of a plan: the task under one profile, with its key, cache path and work."""

    task: Task
    profile: str
    key: dict
    digest: str
    path: Path
    deps: tuple
    work: Optional[Work]

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def kind(self) -> str:
        return self.task.kind

    def label(self) -> str:
        return f"{self.name} ({self.profile}, key {self.digest})"

    def describe_key(self) -> str:
        return json.dumps(self.key, sort_keys=True)


def plan(tasks: Iterable[Task | str], profile: str,
         directory: Optional[Path] = None) -> list[Planned]:
    """``tasks`` and everything they depend on, under ``profile``, dependencies first.

    Raises :class:`TaskError` for an unknown dependency, a dependency without a key for the
    profile, or a cycle.
    """
    from ..artifacts import artifact_path, key_digest

    wanted = [t if isinstance(t, Task) else get(t) for t in tasks]
    known = {t.name: t for t in wanted}
    order: list[Task] = []
    state: dict[str, int] = {}  # 1: visiting, 2: done

    def visit(t: Task, path: tuple):
        mark = state.get(t.name)
        if mark == 2:
            return
        if mark == 1:
            cycle = " -> ".join(path[path.index(t.name):] + (t.name,))
            raise TaskError(f"dependency cycle: {cycle}")
        if profile not in t.keys:
            via = f" (needed by {path[-1]})" if path else ""
            raise TaskError(f"task {t.name!r}{via} has no key for profile {profile!r}; "
                            f"it is declared for: {', '.join(t.keys)}")
        state[t.name] = 1
        for d in t.deps:
            dep = known.get(d)
            if dep is None:
                _load_declarations()
                dep = _REGISTRY.get(d)
            if dep is None:
                raise TaskError(f"task {t.name!r} depends on {d!r}, which is not declared")
            known[d] = dep
            visit(dep, path + (t.name,))
        state[t.name] = 2
        order.append(t)

    for t in wanted:
        visit(t, ())
    out = []
    for t in order:
        key = t.keys[profile]
        out.append(Planned(t, profile, key, key_digest(key),
                           artifact_path(t.name, key, t.kind, directory), t.deps,
                           t.work.get(profile)))
    return out


def tasks_for(notebooks: Optional[Iterable[str]], profile: str,
              directory: Optional[Path] = None) -> list[Planned]:
    """The plan of the tasks that ``notebooks`` (catalogue names or files; None or empty: every
    notebook) use under ``profile``, with their dependencies, dependencies first. An unknown
    notebook or profile raises ``catalogue.CatalogueError`` (listing the valid ones)."""
    from .. import catalogue

    _load_declarations()
    catalogue.check_profile(profile)
    names = [catalogue.canonical(n) for n in (notebooks or [])] or list(catalogue.NOTEBOOKS)
    for t in _REGISTRY.values():
        for nb in t.notebooks:
            if nb not in catalogue.NOTEBOOKS:
                raise TaskError(f"task {t.name!r} names notebook {nb!r}, which is not in the "
                                "catalogue")
    chosen = set(names)
    selected = [t for t in _REGISTRY.values()
                if profile in t.keys and chosen.intersection(t.notebooks)]
    return plan(selected, profile, directory)


def state_of(p: Planned) -> str:
    """``cached`` (a checksum-verified file is there), ``running`` (its lock is held: a notebook
    or a ``train`` run is producing it now) or ``missing``."""
    from ..artifacts import is_cached, is_locked

    if is_cached(p.path, p.kind):
        return "cached"
    return "running" if is_locked(p.path) else "missing"
