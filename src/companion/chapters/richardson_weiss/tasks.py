"""The artifacts of the Richardson & Weiss chapter, declared as tasks of the grid.

Per pair of :mod:`companion.chapters.richardson_weiss.grid`: its real images (one arrays task,
so no task reads a dataset twice), its fitted class models (depending on them), the classifiers
it trains (CNN: a model task; SVMs: arrays tasks) and every evaluation (an arrays task depending
on what it needs: the classifier's artifact and the data it is tested on). The keys are the ones
the pages compute (:func:`experiment.eval_key` and the keys nested in it), so ``python -m
companion train`` fills the files the pages load. A task reads its dependencies through a
:class:`TaskStore` (never the cache). Throughputs: ``cpu`` measured on this machine (one thread
per worker); ``gpu`` are estimates, not measurements.
"""
from __future__ import annotations

from ...tasks import Task, Work
from . import experiment as ex
from . import grid

__all__ = ["TaskStore", "deps_of", "data_task", "fit_task", "cnn_task", "svm_task", "eval_task",
           "declare_tasks"]

#: CNN training, in images of the ci CNN (depth 4, width 8, 28 x 28 x 1: about 1 million
#: multiply-adds forward) through one step: about 1,000 per second on one CPU thread (measured
#: here); other CNNs count in proportion to their multiply-adds (width squared, depth, pixels,
#: channels), TRADES-k about k + 2 passes per image. The GPU rate is an estimate (a fraction of
#: an H200's throughput on such small convolutions), not a measurement.
_CPU_CNN = 1_000.0
_GPU_CNN = 1_000_000.0


class TaskStore:
    """The dependencies of a task, from its context (``ctx.deps``): the same calls as
    :class:`experiment.CacheStore`, but nothing is computed or written here."""

    def __init__(self, ctx):
        self.ctx = ctx

    def arrays(self, name: str, key: dict, compute):
        return self.ctx.dep(name).arrays()

    def model(self, name: str, key: dict, make, fit):
        art = self.ctx.dep(name)
        return art.load_model(make()), dict(art.meta)


def _models_deps(spec: dict) -> list:
    if "toy" in spec:
        return [ex.data_name(spec["toy"]["data"])]
    return [ex.fit_name(spec["fit"])]


def deps_of(key: dict) -> list:
    """The names of the artifacts an artifact of ``key`` reads (its task's dependencies)."""
    what = key["what"]
    if what == "rw-data":
        return []
    if what == "rw-mfa":
        return [ex.data_name(key["data"])]
    if what == "rw-samples":
        return _models_deps(key["models"])
    if what == "rw-real":
        return [ex.data_name(key["data"])]
    if what in ("rw-cnn", "rw-svm"):
        return deps_of(key["data"])
    if what == "rw-eval":
        c = key["classifier"]
        own = _models_deps(c["models"]) if c["what"] == "rw-bayes" else [ex.classifier_name(c)]
        return list(dict.fromkeys(own + deps_of(key["data"])))
    raise ValueError(f"no dependencies known for a key of kind {what!r}")


def data_task(ctx):
    """Read a pair's real images (:func:`experiment.compute_data`)."""
    return ex.compute_data(ctx.key)


def fit_task(ctx):
    """Fit a pair's class models (:func:`experiment.fit_models`) to its cached images."""
    key = ctx.key
    return ex.fit_models(key, TaskStore(ctx).arrays(ex.data_name(key["data"]), key["data"],
                                                    None))


def cnn_task(ctx):
    """Train a CNN (the recipe of :func:`experiment.classifier`)."""
    key, store = ctx.key, TaskStore(ctx)
    return ctx.train_model(lambda: ex.make_cnn(key), lambda m, checkpoint=None:
                           ex.fit_cnn(m, key, store, checkpoint, ctx.device))


def svm_task(ctx):
    """Fit an SVM (:func:`experiment.compute_svm`)."""
    return ex.compute_svm(ctx.key, TaskStore(ctx))


def eval_task(ctx):
    """Attack a classifier (the recipe of :func:`experiment.evaluate`)."""
    ekey, store = ctx.key, TaskStore(ctx)
    model, _ = ex._classifier_of_key(ekey["classifier"], store)
    x, y = ex._test_data(ekey, store)
    return ex.compute_evaluation(ekey, model, x, y, ctx.device)


def _cnn_work(key: dict) -> Work:
    steps = key["objective"]["trades"]["steps"] + 2 if key["objective"] else 1
    d = key["data"]
    n = d["n"] if d["what"] == "rw-samples" else 1_000
    scale = (key["arch"]["width"] / 8) ** 2 * key["arch"]["depth"] / 4 \
        * (key["arch"]["input_size"] / 28) ** 2 * key["arch"]["in_channels"]
    return Work(key["train"]["epochs"] * n * steps * max(scale, 0.25), "images",
                "rw-cnn-d4-w8-28px", cpu=_CPU_CNN, gpu=_GPU_CNN,
                source="cpu: measured here (1 thread); gpu: an estimate (not measured)")


def _artifact_tasks(key: dict, out: dict, profile: str, notebooks: tuple) -> None:
    """Declare the task of the artifact of ``key`` (and, recursively, of what it reads)."""
    what = key.get("what")
    here = "companion.chapters.richardson_weiss.tasks"
    if what is None and "version" in key:               # a models spec
        _artifact_tasks(key["toy"]["data"] if "toy" in key else key["fit"], out, profile,
                        notebooks)
        return
    if what in ("rw-samples", "rw-real", "rw-bayes"):   # no artifact of their own
        for sub in ("models", "data"):
            if sub in key and isinstance(key[sub], dict):
                _artifact_tasks(key[sub], out, profile, notebooks)
        return
    if what == "rw-data":
        name, fn, kind, title = ex.data_name(key), "data_task", "arrays", \
            f"real images of {key['pair']} ({key['dataset']})"
    elif what == "rw-mfa":
        _artifact_tasks(key["data"], out, profile, notebooks)
        name, fn, kind, title = ex.fit_name(key), "fit_task", "arrays", \
            f"MFA fits of {key['pair']}, K = {key['components']}, l = {key['latent']}"
    elif what in ("rw-cnn", "rw-svm"):
        _artifact_tasks(key["data"], out, profile, notebooks)
        name = ex.classifier_name(key)
        fn, kind = ("cnn_task", "model") if what == "rw-cnn" else ("svm_task", "arrays")
        title = f"{name[3:].split('-')[0]} on {key['pair']}"
    elif what == "rw-eval":
        _artifact_tasks(key["classifier"], out, profile, notebooks)
        _artifact_tasks(key["data"], out, profile, notebooks)
        name, fn, kind = ex.eval_name(key), "eval_task", "arrays"
        title = "evaluation " + name[len("rw-eval-"):]
    else:
        raise ValueError(f"no task for a key of kind {what!r}")
    d = out.setdefault(name, {"function": f"{here}:{fn}", "kind": kind, "keys": {},
                              "work": {}, "nbs": (), "deps": tuple(deps_of(key)),
                              "title": title})
    if d["keys"].get(profile, key) != key:
        raise RuntimeError(f"two keys for {name} in profile {profile}")  # a naming bug
    if tuple(deps_of(key)) != d["deps"]:
        raise RuntimeError(f"{name}: dependencies differ between profiles")
    d["keys"][profile] = key
    d["nbs"] = tuple(dict.fromkeys(d["nbs"] + tuple(notebooks)))
    if what == "rw-cnn":
        d["work"][profile] = _cnn_work(key)


def declare_tasks() -> list:
    """Every artifact of the chapter (real images, fits, classifiers, evaluations), in both
    profiles."""
    out: dict = {}
    for profile in ex.PROFILES:
        for name, (entry, key) in grid.entries(profile).items():
            _artifact_tasks(key, out, profile, entry.notebooks)
    return [Task(name, d["function"], keys=d["keys"], notebooks=d["nbs"], deps=d["deps"],
                 work=d["work"], kind=d["kind"], title=d["title"]) for name, d in out.items()]
