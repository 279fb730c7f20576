"""The synthesis chapter's measurements: the four papers on the same real images.

Nothing here trains a new classifier. Per data set (:data:`DATASETS`: the offline digits and
Fashion-MNIST at ``ci``), the chapter takes

* the Ding et al. chapter's LeNet5s trained normally and with PGD on the original images
  (:mod:`companion.chapters.ding.grid`), and, on the digits, its certified ConvNet
  (:mod:`companion.chapters.ding.certified`);
* the Fawzi et al. chapter's DCGAN recipe (:func:`companion.chapters.fawzi.experiment.generator`;
  the digits' generator is the one model this chapter adds, declared as a task);
* the Richardson & Weiss chapter's evaluations of the Bayes-optimal classifier, and of a CNN,
  on symmetric MFA samples fitted to a pair of the same data's classes
  (:mod:`companion.chapters.richardson_weiss.grid`);

and measures, once and cached (each is a declared task, :mod:`companion.chapters.synthesis.tasks`):

* :func:`attacks`: per model, on the first ``attack_n`` test images, the minimal L2
  perturbations found by DeepFool and by CW-L2 (kept in the box [0, 1]) and, at every l_inf
  radius of ``linf_eps``, whether PGD breaks the image;
* :func:`generator_measurements`: the generator's probabilistic modulus of continuity (the
  Fawzi chapter's estimate, shared with it where the settings agree), the class measures in
  latent space of the normally trained LeNet5, and its DeepFool robustness at generated images;
* :func:`uniform_measurements`: the same LeNet5s on uniformly random 8-bit images, the
  distribution Dai & Gifford's and Ding et al.'s cube bounds speak of: their class measures
  there, and DeepFool and CW-L2 robustness at such images.

Every attack is an *upper* estimate of the distance to the decision boundary, so a share of
images "robust at eps" computed from it over-estimates the true share: comparing it with an
upper bound is conservative (a measured share below the bound shows that the true share is).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ... import data as _data
from ...artifacts import cached_arrays
from ...attacks import carlini_wagner_l2, deepfool, pgd
from ...attacks.base import predict
from ...training import run_attack
from ..ding import certified as _cert
from ..ding import experiment as _dex
from ..ding import grid as _dgrid
from ..fawzi import experiment as _fex
from ..richardson_weiss import grid as _rgrid

__all__ = ["PROFILES", "DATASETS", "PAIRS", "check_profile", "datasets", "declare_data",
           "pair_of", "ModelRef",
           "model_refs", "load_model", "attack_key", "attack_name", "compute_attacks",
           "share_above", "AttackArrays", "attacks", "generator_key", "generator",
           "generator_measurements_key",
           "generator_measurements_name",
           "compute_generator_measurements", "generator_measurements", "uniform_key",
           "uniform_name", "uniform_images", "compute_uniform", "uniform_measurements",
           "class_proportions", "rw_entries", "rw_evaluations", "test_images",
           "training_images", "label_names"]

#: What each profile measures (fixed counts). ``attack_n`` test images per model (the first
#: ones, as the Ding chapter's evaluation); CW-L2 with 5 rounds of its constant's search;
#: PGD (l_inf) at each radius of ``linf_eps`` with ``pgd_steps`` steps of 2.5 eps / steps and
#: a random start; ``uniform_n`` random 8-bit images for the class measures of image space,
#: the first ``uniform_attack_n`` of them attacked; ``latent_n`` latents for the class
#: measures in latent space, ``generated_attack_n`` generated images attacked; the modulus
#: as the Fawzi chapter estimates it at the same profile.
PROFILES = {
    "ci": {"attack_n": 300, "deepfool": {"max_iter": 50, "overshoot": 0.02},
           "cw": {"steps": 100, "binary_search_steps": 5, "lr": 0.05, "initial_const": 1.0},
           "linf_eps": (0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4), "pgd_steps": 20,
           "uniform_n": 2_000, "uniform_attack_n": 200, "latent_n": 20_000,
           "generated_attack_n": 200, "modulus_n": 48, "modulus_steps": 20, "n_show": 8},
    "paper": {"attack_n": 10_000, "deepfool": {"max_iter": 50, "overshoot": 0.02},
              "cw": {"steps": 1_000, "binary_search_steps": 9, "lr": 0.01,
                     "initial_const": 1.0},
              "linf_eps": (0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4), "pgd_steps": 100,
              "uniform_n": 100_000, "uniform_attack_n": 2_000, "latent_n": 200_000,
              "generated_attack_n": 2_000, "modulus_n": 500, "modulus_steps": 50,
              "n_show": 8},
}

#: the data sets of the chapter, per profile: the Ding chapter's MNIST of the profile (the
#: paper profile's full MNIST needs a download) and Fashion-MNIST
DATASETS = {p: (_dgrid.MNIST_DATA[p], _dgrid.FASHION) for p in PROFILES}
#: the Richardson & Weiss pair of each family (two classes of the same data)
PAIRS = {"mnist": "mnist-0-6", "fashion": "fashion-0-6"}


def check_profile(profile: str) -> dict:
    """The settings of ``profile``; an unknown one is rejected, naming the valid ones.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {sorted(PROFILES)}")
    return PROFILES[profile]


def datasets(profile: str) -> tuple:
    """The chapter's data sets under ``profile``: the digits, then Fashion-MNIST.

    Used on :doc:`/notebooks/synthesis-bounds`, :doc:`/notebooks/synthesis-scale`.
    """
    check_profile(profile)
    return DATASETS[profile]


def declare_data(rec, profile: str) -> None:
    """Declare the training and test splits of every data set of the chapter in the records
    session ``rec`` (as the Ding chapter, whose models these are, declares them).

    Used on :doc:`/notebooks/synthesis-agreement`, :doc:`/notebooks/synthesis-bounds`,
    :doc:`/notebooks/synthesis-scale`.
    """
    for dataset in datasets(profile):
        _dex.declare_splits(rec, dataset)


def pair_of(dataset: str) -> str:
    """The Richardson & Weiss pair of ``dataset``'s family (:data:`PAIRS`).

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    return PAIRS[_dex.family(dataset)]


def _check_dataset(profile: str, dataset: str) -> str:
    if dataset not in datasets(profile):
        raise ValueError(f"dataset {dataset!r} is not one of the chapter's at profile "
                         f"{profile!r}; valid: {datasets(profile)}")
    return dataset


@dataclass(frozen=True)
class ModelRef:
    """One trained classifier of the Ding chapter that this chapter measures.

    ``kind`` is ``"standard"``, ``"pgd"`` or ``"certified"``; ``key`` its cache key and
    ``name`` its task (artifact) name.
    """

    dataset: str
    kind: str
    label: str
    key: dict
    name: str


def model_refs(profile: str, dataset: str) -> list:
    """The Ding chapter's models on ``dataset``: normally trained, PGD-trained and (on the
    certified models' digits) the certified ConvNet trained on the original images.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    _check_dataset(profile, dataset)
    out = []
    for objective, label in (("standard", "LeNet5, standard training"),
                             ("pgd", "LeNet5, PGD training")):
        e = _dgrid.Entry(dataset, ("original",), objective)
        key = e.key(profile)
        out.append(ModelRef(dataset, objective, label, key, _dex.model_name(key)))
    if dataset == _cert.DATASET:
        key = _cert.model_key(profile, "original")
        out.append(ModelRef(dataset, "certified", "ConvNet, certified (IBP) training", key,
                            _cert.model_name(key)))
    return out


def _ref(profile: str, dataset: str, kind: str) -> ModelRef:
    for r in model_refs(profile, dataset):
        if r.kind == kind:
            return r
    raise ValueError(f"no {kind!r} model on {dataset!r}; valid kinds: "
                     f"{[r.kind for r in model_refs(profile, dataset)]}")


def load_model(profile: str, ref: ModelRef) -> torch.nn.Module:
    """The trained network of ``ref`` (from the cache; trained there first if missing)."""
    if ref.kind == "certified":
        net, _ = _cert.model(profile, "original")
    else:
        net, _ = _dgrid.model_of(profile, _dgrid.Entry(ref.dataset, ("original",), ref.kind))
    return net.eval()


def make_network(ref_key: dict) -> torch.nn.Module:
    """An untrained network of the architecture of a model key (for loading in a task)."""
    if ref_key.get("what") == "ding-certified-convnet":
        return _cert.make_model(ref_key)
    return _dex.make_model(ref_key)


def test_images(dataset: str, n: int) -> tuple:
    """The first ``n`` test images of ``dataset`` as ``(X, Y)`` float tensors in [0, 1].

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    return _dex.load_split(dataset, "test", "original", n)


def training_images(profile: str, dataset: str) -> tuple:
    """The training images the Ding chapter's models of ``dataset`` learned from.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    key = _dgrid.Entry(dataset, ("original",), "standard").key(profile)
    return _dex.load_split(dataset, "train", "original", key["n"], key["seed"])


def label_names(dataset: str) -> tuple:
    """The class names of ``dataset``.

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    ds = _data.load(dataset, "test")
    names = ds.provenance.get("classes") or getattr(ds, "classes", None)
    return tuple(names) if names else tuple(str(i) for i in range(10))


def class_proportions(profile: str, dataset: str) -> np.ndarray:
    """The share of each class among the training labels the models learned from.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    _, y = training_images(profile, dataset)
    return np.bincount(y.numpy(), minlength=10) / len(y)


# ------------------------------------------------------------------ attacks on test images
def attack_key(profile: str, ref: ModelRef) -> dict:
    """The cache key of :func:`attacks` for the model ``ref``."""
    cfg = check_profile(profile)
    return {"what": "synthesis-attacks", "model": ref.key, "dataset": ref.dataset,
            "n": cfg["attack_n"], "deepfool": cfg["deepfool"], "cw": cfg["cw"],
            "linf_eps": [float(e) for e in cfg["linf_eps"]], "pgd_steps": cfg["pgd_steps"],
            "n_show": cfg["n_show"]}


def attack_name(ref: ModelRef) -> str:
    """The artifact (and task) name of the attacks on ``ref``."""
    return "synthesis-attacks-" + ref.name


def share_above(norms, eps) -> np.ndarray:
    """Share of the points whose norm (their distance to another class as an attack found it:
    ``inf`` where it failed, 0 where already misclassified) exceeds each radius of ``eps``.

    Examples
    --------
    >>> share_above([0.0, 1.0, 2.0, np.inf], [0.5, 1.0, 3.0]).tolist()
    [0.75, 0.5, 0.25]
    """
    v = np.asarray(norms, dtype=float).ravel()
    e = np.asarray(eps, dtype=float).reshape(-1, 1)
    return (v[None, :] > e).mean(axis=1)


def _verified(net, x_adv: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
    """L2 norms of ``x_adv - x`` where ``x_adv`` is misclassified, ``inf`` elsewhere."""
    wrong = (predict(net, x_adv) != y).numpy()
    norms = (x_adv - x).flatten(1).norm(dim=1).numpy().astype(np.float64)
    return np.where(wrong, norms, np.inf)


def _l2_attacks(net, X: torch.Tensor, Y: torch.Tensor, key: dict) -> dict:
    df = run_attack(net, X, Y, deepfool, box=(0.0, 1.0), **key["deepfool"])
    cw = run_attack(net, X, Y, carlini_wagner_l2, box=(0.0, 1.0), **key["cw"])
    return {"deepfool": _verified(net, df.x_adv, X, Y), "cw": _verified(net, cw.x_adv, X, Y),
            "cw_adv": cw.x_adv, "deepfool_adv": df.x_adv}


def compute_attacks(net: torch.nn.Module, key: dict) -> dict:
    """The arrays of :func:`attacks` (see :class:`AttackArrays`) for ``net``."""
    X, Y = test_images(key["dataset"], key["n"])
    net.eval()
    clean = predict(net, X).numpy()
    l2 = _l2_attacks(net, X, Y, key)
    k = key["n_show"]
    out = {"labels": Y.numpy(), "clean": clean, "deepfool": l2["deepfool"], "cw": l2["cw"],
           "show_cw": l2["cw_adv"][:k].numpy(), "show_deepfool": l2["deepfool_adv"][:k].numpy(),
           "linf_eps": np.asarray(key["linf_eps"])}
    broken = []
    for eps in key["linf_eps"]:
        r = run_attack(net, X, Y, pgd, eps=eps, steps=key["pgd_steps"],
                       step_size=2.5 * eps / key["pgd_steps"], box=(0.0, 1.0), seed=0,
                       early_stop=True)
        broken.append((predict(net, r.x_adv) != Y).numpy())
    out["linf_broken"] = np.stack(broken, axis=1)
    return out


@dataclass(frozen=True)
class AttackArrays:
    """Per test image: ``labels``, ``clean`` predictions, the L2 norms of the DeepFool and
    CW-L2 adversarial examples (``inf`` where the attack failed), and ``linf_broken[i, j]``,
    whether PGD at ``linf_eps[j]`` broke image ``i``; ``show_*`` the first adversarial
    examples."""

    key: dict
    arrays: dict

    @property
    def n(self) -> int:
        return int(len(self.arrays["labels"]))

    @property
    def correct(self) -> np.ndarray:
        return self.arrays["clean"] == self.arrays["labels"]

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean())

    @property
    def l2(self) -> np.ndarray:
        """The smallest L2 perturbation found per image (0 where the image is misclassified,
        ``inf`` where neither attack succeeded)."""
        best = np.minimum(self.arrays["deepfool"], self.arrays["cw"])
        return np.where(self.correct, best, 0.0)

    def l2_share(self, eps) -> np.ndarray:
        """Share of the test images classified correctly with no perturbation found below
        each L2 radius (an upper estimate of the robust accuracy)."""
        return share_above(self.l2, eps)

    def attack_share(self, attack: str, eps) -> np.ndarray:
        """:meth:`l2_share` for one attack (``"deepfool"`` or ``"cw"``) alone."""
        return share_above(np.where(self.correct, self.arrays[attack], 0.0), eps)

    @property
    def linf_eps(self) -> np.ndarray:
        return np.asarray(self.arrays["linf_eps"], dtype=float)

    def linf_share(self) -> np.ndarray:
        """Share correct and unbroken by PGD at each radius of :attr:`linf_eps` and every
        smaller one (an attack that succeeds at a smaller radius succeeds at a larger)."""
        broken = np.logical_or.accumulate(self.arrays["linf_broken"], axis=1)
        return (self.correct[:, None] & ~broken).mean(axis=0)


def attacks(profile: str, ref: ModelRef) -> AttackArrays:
    """The attacks on the model ``ref`` (computed once and cached; its task fills the file).

    Used on :doc:`/notebooks/synthesis-scale`.
    """
    key = attack_key(profile, ref)
    return AttackArrays(key, cached_arrays(attack_name(ref), key,
                                           lambda: compute_attacks(load_model(profile, ref),
                                                                   key)))


# ---------------------------------------------------------------------- the generator
def generator_key(profile: str, dataset: str) -> dict:
    """The cache key of the DCGAN of ``dataset``, as the Fawzi chapter builds it."""
    from ..fawzi.tasks import generator_key as _gkey
    return _gkey(dataset, profile)


def generator(profile: str, dataset: str):
    """``(G, meta)``: the Fawzi chapter's DCGAN recipe on ``dataset`` (trained once, cached).
    """
    _check_dataset(profile, dataset)
    G, meta = _fex.generator(dataset, profile, 0)
    return G.eval(), meta


def generator_measurements_key(profile: str, dataset: str) -> dict:
    """The cache key of :func:`generator_measurements`."""
    cfg = check_profile(profile)
    std = _ref(profile, dataset, "standard")
    return {"what": "synthesis-generator", "generator": generator_key(profile, dataset),
            "classifier": std.key, "latent_n": cfg["latent_n"],
            "attack_n": cfg["generated_attack_n"], "modulus_n": cfg["modulus_n"],
            "modulus_steps": cfg["modulus_steps"], "deepfool": cfg["deepfool"]}


def compute_generator_measurements(G, net, key: dict) -> dict:
    """The arrays of :func:`generator_measurements` for the generator ``G`` and ``net``."""
    from ...generative.robustness import class_measures, latent_samples
    mod = _fex.generator_modulus(G, key["generator"], key["modulus_n"], key["modulus_steps"],
                                 3000)
    measures = class_measures(net, G, key["latent_n"], 2000)
    with torch.no_grad():
        x = G(latent_samples(key["attack_n"], 1000))
    pred = predict(net, x)
    df = run_attack(net, x, pred, deepfool, box=(0.0, 1.0), **key["deepfool"])
    return {"t": mod.t, "omega": mod.omega, "samples": mod.samples,
            "failure_prob": np.asarray(mod.failure_prob), "measures": measures,
            "r_star": _verified(net, df.x_adv, x, pred), "show": x[:8].numpy()}


def generator_measurements(profile: str, dataset: str) -> dict:
    """The generator's modulus (``t``, ``omega``, ``samples``, ``failure_prob``), the latent
    class measures of the normally trained LeNet5 (``measures``) and its DeepFool robustness
    at generated images (``r_star``, prediction-based; ``inf`` where DeepFool failed).

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    key = generator_measurements_key(profile, dataset)

    def compute():
        G, _ = generator(profile, dataset)
        return compute_generator_measurements(G, load_model(profile,
                                                            _ref(profile, dataset, "standard")),
                                              key)

    return cached_arrays(generator_measurements_name(profile, dataset), key, compute)


def generator_measurements_name(profile: str, dataset: str) -> str:
    """The artifact (and task) name of :func:`generator_measurements` (it names the classifier,
    whose name differs between profiles)."""
    return "synthesis-generator-" + _ref(profile, dataset, "standard").name


def modulus_of(arrays: dict):
    """The :class:`companion.generative.Modulus` stored in :func:`generator_measurements`.

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    from ...generative import Modulus
    return Modulus(arrays["t"], arrays["omega"], float(arrays["failure_prob"]),
                   arrays["samples"])


# ------------------------------------------------------------------- uniform random images
def uniform_key(profile: str, ref: ModelRef) -> dict:
    """The cache key of :func:`uniform_measurements` for ``ref``."""
    cfg = check_profile(profile)
    return {"what": "synthesis-uniform", "model": ref.key, "n": cfg["uniform_n"],
            "attack_n": cfg["uniform_attack_n"], "bits": 8, "seed": 0,
            "deepfool": cfg["deepfool"], "cw": cfg["cw"]}


def uniform_name(ref: ModelRef) -> str:
    """The artifact (and task) name of :func:`uniform_measurements` for ``ref``."""
    return "synthesis-uniform-" + ref.name


def uniform_images(n: int, seed: int = 0, bits: int = 8, shape=(1, 28, 28)) -> torch.Tensor:
    """``n`` images drawn uniformly from the ``bits``-bit images: every channel an
    independent uniform level ``k / (2^bits - 1)``.

    Used on :doc:`/notebooks/synthesis-agreement`.
    """
    if n < 1 or bits < 1:
        raise ValueError(f"need n >= 1 and bits >= 1, got n={n}, bits={bits}")
    g = torch.Generator().manual_seed(seed)
    levels = torch.randint(0, 2 ** bits, (n, *shape), generator=g)
    return levels.float() / (2 ** bits - 1)


def compute_uniform(net: torch.nn.Module, key: dict) -> dict:
    """The arrays of :func:`uniform_measurements` for ``net``."""
    X = uniform_images(key["n"], key["seed"], key["bits"])
    net.eval()
    pred = predict(net, X)
    Xa, pa = X[:key["attack_n"]], pred[:key["attack_n"]]
    l2 = _l2_attacks(net, Xa, pa, key)
    return {"pred": pred.numpy(), "deepfool": l2["deepfool"], "cw": l2["cw"]}


def uniform_measurements(profile: str, ref: ModelRef) -> dict:
    """``ref`` on uniformly random 8-bit images: ``pred`` (its class for each of
    ``uniform_n`` images) and, for the first ``uniform_attack_n``, the L2 norms of DeepFool and
    CW-L2 away from that class (``inf`` where the attack failed).

    Used on :doc:`/notebooks/synthesis-agreement`.
    """
    key = uniform_key(profile, ref)
    return cached_arrays(uniform_name(ref), key,
                         lambda: compute_uniform(load_model(profile, ref), key))


# ----------------------------------------------------------------- Richardson & Weiss
def rw_entries(profile: str, dataset: str) -> dict:
    """The Richardson & Weiss evaluations on the pair of ``dataset``'s family: the
    Bayes-optimal classifier and the CNN on symmetric MFA samples, and the CNN trained and
    attacked on the pair's real images.
    """
    pair = PAIRS[_dex.family(_check_dataset(profile, dataset))]
    out = {"bayes": _rgrid.Entry(pair, "bayes", version="symmetric"),
           "cnn": _rgrid.Entry(pair, "cnn")}
    real = [e for e in _rgrid.group(profile, "real") if e.pair == pair and e.kind == "cnn"
            and e.attack == "default"]
    if real:
        out["cnn_real"] = real[0]
    return out


def rw_evaluations(profile: str, dataset: str) -> dict:
    """The cached evaluations of :func:`rw_entries` (``{name: Evaluation}``).

    Used on :doc:`/notebooks/synthesis-bounds`.
    """
    return {k: _rgrid.evaluation(profile, e) for k, e in rw_entries(profile, dataset).items()}


def rw_share(evaluation, eps) -> np.ndarray:
    """Share of a Richardson & Weiss evaluation's points classified correctly with no
    adversarial example found below each L2 radius.
    """
    a = evaluation.arrays
    return share_above(np.where(a["correct"], np.where(a["success"], a["norms"], np.inf),
                                0.0), eps)


def certified_sweep(profile: str, n: int) -> dict:
    """The certified ConvNet's IBP certificates on its first ``n`` test images, from the Ding
    chapter's cached evaluation: ``eps`` (the sweep's radii), ``certified[j, i]`` (image ``i``
    classified correctly and certified at ``eps[j]``) and ``accuracy`` on those images (the
    same images :func:`attacks` uses, so certificate and attack can be compared per image).
    """
    ev = _cert.evaluate(profile, "original")
    a = ev.arrays
    if n > len(a["labels"]):
        raise ValueError(f"n={n} exceeds the {len(a['labels'])} certified test images")
    ok = (a["clean"] == a["labels"])[:n]
    cert = np.asarray(a["sweep_ibp"])[:, :n]
    return {"eps": np.asarray(a["sweep_eps"], dtype=float), "certified": cert & ok[None, :],
            "accuracy": float(ok.mean())}
