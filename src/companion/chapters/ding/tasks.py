"""The trained models of the Ding et al. chapter and their evaluations, declared as tasks.

One model task per entry of :func:`companion.chapters.ding.grid.entries` and one arrays task
(its evaluation, depending on it) per model; the certified models of Section 2.2
(:mod:`companion.chapters.ding.certified`) and the concentric-spheres sweep of Appendix D.2.2
(:mod:`companion.chapters.ding.spheres`) add their own. The cache keys are the ones the pages
compute (:func:`experiment.model_key`, :func:`experiment.eval_key`), so ``python -m companion
train`` fills the files the pages load. Throughputs: ``cpu`` measured on this machine (2
cores, one thread per worker); ``gpu`` are estimates, not measurements.
"""
from __future__ import annotations

import importlib

from ...tasks import Task, Work
from . import experiment as ex
from . import grid

__all__ = ["declare_tasks", "model_task", "eval_task", "PROVIDERS"]

#: images per second through one training step at width 0.5 on one CPU thread (standard;
#: PGD-k costs about k + 1 times as much per image)
_CPU = 1_750.0
_GPU = 40_000.0
#: other modules of the chapter that declare tasks (``module:function`` returning tasks)
PROVIDERS = ("companion.chapters.ding.certified:declare_tasks",
             "companion.chapters.ding.spheres:declare_tasks")


def model_task(ctx):
    """Train the LeNet5 of ``ctx.key`` (the recipe of :func:`experiment.model`)."""
    key = ctx.key
    return ctx.train_model(lambda: ex.make_model(key), lambda m, checkpoint=None:
                           ex.fit_model(m, key, checkpoint=checkpoint))


def eval_task(ctx):
    """Evaluate the model this task depends on (the recipe of :func:`experiment.evaluate`)."""
    ekey = ctx.key
    net = ctx.dep(ex.model_name(ekey["model"])).load_model(ex.make_model(ekey["model"]))
    return ex.compute_evaluation(net, ekey)


def _cost(key: dict, profile: str) -> float:
    """Images through a forward-backward pass, PGD steps counted."""
    passes = 1 + (key["pgd"]["steps"] if key["pgd"] else 0)
    if key["max_steps"]:
        amount = key["max_steps"] * key["batch"]
    else:
        amount = key["epochs"] * key["n"]
    return amount * passes * max(key["width"] / 0.5, 0.25) ** 2


def declare_tasks() -> list[Task]:
    """Every model and evaluation of the chapter, in both profiles."""
    here = "companion.chapters.ding.tasks"
    by_name: dict[str, dict] = {}
    for profile in ex.PROFILES:
        for name, (entry, key) in grid.entries(profile).items():
            d = by_name.setdefault(name, {"keys": {}, "ekeys": {}, "work": {}, "nbs": ()})
            d["keys"][profile] = key
            d["ekeys"][profile] = ex.eval_key(profile, key, entry.parts)
            d["work"][profile] = Work(_cost(key, profile), "images", "ding-lenet5-w0.5",
                                      cpu=_CPU, gpu=_GPU,
                                      source="cpu: measured here (1 thread); gpu: an estimate")
            d["nbs"] = tuple(dict.fromkeys(d["nbs"] + entry.notebooks))
            d["title"] = (f"LeNet5 ({entry.objective}) on {entry.dataset}, "
                          f"{ex.variant_label(entry.variant)}")
    out = []
    for name, d in by_name.items():
        out.append(Task(name, f"{here}:model_task", keys=d["keys"], notebooks=d["nbs"],
                        work=d["work"], title=d["title"]))
        out.append(Task("eval-" + name, f"{here}:eval_task", keys=d["ekeys"], kind="arrays",
                        deps=(name,), notebooks=d["nbs"], title="evaluation of " + name))
    for spec in PROVIDERS:
        module, fn = spec.split(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise
            continue  # not written yet
        out += getattr(mod, fn)()
    return out
