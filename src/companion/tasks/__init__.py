"""Trained artifacts as a planned task grid: declared once, trained in parallel, resumable, and
on a Dask cluster when one machine is not enough.

A *task* is one trained artifact (a model checkpoint, or cached arrays) declared with
:func:`register`: its cache key per profile (everything that determines the weights, the same
dict the chapter's code passes to :func:`companion.artifacts.cached_model`), the function that
produces it (``"package.module:function"``, importable on any worker), the tasks it depends on,
the notebooks that use it and an estimate of its work. This module knows nothing about any
chapter; chapter modules declare their tasks next to their notebooks::

    from companion import tasks

    tasks.register(tasks.Task(
        name="dcgan-fashion-mnist",                # cache file dcgan-fashion-mnist-<digest>.pt
        function="companion.latent_experiment:generator_task",
        keys={"ci": {...}, "paper": {...}},               # exactly the keys the chapter computes
        notebooks=("fawzi-theorems4-5", "fawzi-theorem6", "fawzi-experiments"),
        work={"ci": tasks.Work(1500 * 64, "images", "dcgan-w64-28px", cpu=..., gpu=...)},
    ))

    def generator_task(ctx):                              # runs on a worker
        make, fit = ...                                   # the recipe cached_model uses
        return ctx.train_model(make, fit)          # (model, meta), resumable: ctx.checkpoint

Notebooks keep calling ``cached_model``: they load what a task stored, and still train on
demand when run alone. ``python -m companion tasks`` lists a plan with the state of each task
(cached / missing / running), its estimated cost and dependencies; ``python -m companion train``
runs the missing ones (:func:`train`) on ``--jobs`` local processes or on a Dask cluster
(``--scheduler``), and ``build`` runs them before the notebooks.
"""
from .core import (KINDS, STATES, Planned, Task, TaskError, Work, get, isolated_registry, plan,
                   register, register_provider, registered, state_of, tasks_for)
from .engine import (EngineError, Report, SchedulerUnreachable, TrainFailed, WorkerLost,
                     read_rates, train)
from .report import duration, estimate, plan_markdown, rows, table
from .worker import Artifact, TaskCall, TaskContext, TaskResult, run_task

__all__ = ["Artifact", "EngineError", "KINDS", "Planned", "Report", "STATES",
           "SchedulerUnreachable", "Task", "TaskCall", "TaskContext", "TaskError", "TaskResult",
           "TrainFailed", "Work", "WorkerLost", "duration", "estimate", "get", "isolated_registry",
           "plan", "plan_markdown", "read_rates", "register", "register_provider", "registered",
           "rows", "run_task", "state_of", "table", "tasks_for", "train"]
