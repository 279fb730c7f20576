"""The synthesis chapter's measurements, declared as tasks.

Per model of :func:`companion.chapters.synthesis.experiment.model_refs`: its attacks on test
images and on uniformly random images (arrays, depending on the model's task in the Ding
chapter); per data set: the generator's measurements (depending on its DCGAN and on the
normally trained LeNet5). The DCGAN of a data set the Fawzi chapter does not train (the
digits) is declared here, with the Fawzi chapter's recipe and key. The cache keys are the ones
the pages compute, so ``python -m companion train`` fills the files the pages load.
"""
from __future__ import annotations

import numpy as np

from ...tasks import Task, Work
from ..fawzi import tasks as _ftasks
from ..fawzi.experiment import LATENT_DIM, TRAINING
from . import experiment as ex

__all__ = ["NOTEBOOKS", "PAGES", "declare_tasks", "attacks_task", "uniform_task",
           "generator_task", "other_inputs", "inputs_task"]

#: which pages load which measurements
NOTEBOOKS = {"attacks": ("synthesis-bounds", "synthesis-agreement", "synthesis-scale"),
             "uniform": ("synthesis-agreement",),
             "generator": ("synthesis-bounds", "synthesis-agreement", "synthesis-scale")}


def _net(ctx, mkey: dict, name: str):
    return ctx.dep(name).load_model(ex.make_network(mkey)).eval()


def _model_dep(ctx) -> str:
    names = [n for n in ctx.deps if not n.startswith("dcgan-")]
    if len(names) != 1:
        raise RuntimeError(f"task {ctx.name!r} expects one model dependency, got {names}")
    return names[0]


def attacks_task(ctx):
    """The attacks on test images of the model this task depends on."""
    return ex.compute_attacks(_net(ctx, ctx.key["model"], _model_dep(ctx)), ctx.key)


def uniform_task(ctx):
    """The model this task depends on, on uniformly random 8-bit images."""
    return ex.compute_uniform(_net(ctx, ctx.key["model"], _model_dep(ctx)), ctx.key)


def generator_task(ctx):
    """The generator's modulus, latent class measures and robustness at generated images."""
    from ...generative import DCGANGenerator
    key = ctx.key
    gname = [n for n in ctx.deps if n.startswith("dcgan-")][0]
    g = key["generator"]
    G = ctx.dep(gname).load_model(DCGANGenerator(LATENT_DIM, g["channels"], g["size"],
                                                 width=g["width"])).eval()
    net = _net(ctx, key["classifier"], _model_dep(ctx))
    return ex.compute_generator_measurements(G, net, key)


def declare_tasks() -> list:
    """Every measurement of the chapter, in both profiles (and the digits' DCGAN)."""
    here = "companion.chapters.synthesis.tasks"
    by_name: dict = {}

    def add(name, function, profile, key, deps, notebooks, title, work=None):
        d = by_name.setdefault(name, {"function": function, "keys": {}, "deps": deps,
                                      "nbs": (), "title": title, "work": {}, "kind": "arrays"})
        if d["deps"] != deps:  # Task.deps is one tuple for every profile: a naming bug
            raise RuntimeError(f"task {name!r} would depend on {d['deps']} and on {deps}")
        d["keys"][profile] = key
        d["nbs"] = tuple(dict.fromkeys(d["nbs"] + notebooks))
        if work is not None:
            d["work"][profile] = work
        return d

    for profile in ex.PROFILES:
        for dataset in ex.datasets(profile):
            refs = ex.model_refs(profile, dataset)
            for ref in refs:
                k = ex.attack_key(profile, ref)
                add(ex.attack_name(ref), f"{here}:attacks_task", profile, k, (ref.name,),
                    NOTEBOOKS["attacks"], f"attacks on {ref.label} ({dataset})")
                if ref.kind != "certified":
                    k = ex.uniform_key(profile, ref)
                    add(ex.uniform_name(ref), f"{here}:uniform_task", profile, k, (ref.name,),
                        NOTEBOOKS["uniform"], f"{ref.label} on uniform images ({dataset})")
            gname = f"dcgan-{dataset}"
            if dataset != _ftasks.DATASET:
                c = TRAINING[profile]
                d = add(gname, f"{_ftasks.__name__}:generator_task", profile,
                        _ftasks.generator_key(dataset, profile), (),
                        NOTEBOOKS["generator"], f"DCGAN generator, d = 100 ({dataset})",
                        Work(c["gan_steps"] * c["gan_batch"], "images", "dcgan-w64-28px",
                             cpu=_ftasks._CPU["dcgan"], gpu=_ftasks._GPU["dcgan"],
                             source="cpu: the ci run on 2 cores; gpu: an estimate"))
                d["kind"] = "model"
            std = [r for r in refs if r.kind == "standard"][0]
            k = ex.generator_measurements_key(profile, dataset)
            add(ex.generator_measurements_name(profile, dataset), f"{here}:generator_task",
                profile, k,
                (gname, std.name), NOTEBOOKS["generator"],
                f"generator measurements ({dataset})")
        # one per profile: the inputs' names differ between profiles
        inputs = other_inputs(profile)
        add(f"synthesis-inputs-{profile}", f"{here}:inputs_task", profile,
            {"what": "synthesis-inputs", "inputs": list(inputs)}, inputs, PAGES,
            "the other chapters' evaluations the synthesis reads")
    return [Task(name, d["function"], keys=d["keys"], notebooks=d["nbs"], deps=d["deps"],
                 work=d["work"], kind=d["kind"], title=d["title"])
            for name, d in by_name.items()]


#: the pages of the part
PAGES = ("synthesis-bounds", "synthesis-agreement", "synthesis-scale")


def other_inputs(profile: str) -> tuple:
    """The task names of the other chapters' artifacts the part's pages read directly: the
    Richardson & Weiss class models and evaluations of each pair, and the Ding chapter's
    evaluations of the original and binarised PGD models and of the certified ConvNet."""
    from ..ding import certified as _cert
    from ..ding import experiment as _dex
    from ..ding import grid as _dgrid
    from ..richardson_weiss import experiment as _rex
    names = []
    for dataset in ex.datasets(profile):
        pair = ex.PAIRS[_dex.family(dataset)]
        names.append(_rex.fit_name(_rex.fit_key(profile, pair)))
        for e in ex.rw_entries(profile, dataset).values():
            names.append(_rex.eval_name(e.eval_key(profile)))
        for variant in (("original",), ("binarized",)):
            for objective in _dex.OBJECTIVES:
                key = _dgrid.Entry(dataset, variant, objective).key(profile)
                if _dex.model_name(key) in _dgrid.entries(profile):
                    names.append(_dex.eval_name(key))
        if dataset == _cert.DATASET:
            names.append(_cert.eval_name(_cert.model_key(profile, "original")))
    return tuple(dict.fromkeys(names))


def inputs_task(ctx):
    """Nothing to compute: the task exists so that planning the part's pages trains the other
    chapters' artifacts they read (its dependencies); it returns their names."""
    return {"inputs": np.array(sorted(ctx.deps))}
