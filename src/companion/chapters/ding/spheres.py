r"""The concentric-spheres experiment of Appendix D.2.2 (Figure 6's intuition), as a task.

ReLU networks with one hidden layer of growing width are trained on the two concentric spheres
of :mod:`companion.spheres` (radii 1 and :math:`1 + g`, :math:`\mathbb{R}^n`), normally and with
l2 PGD adversarial training at radius :math:`r = g \cdot` ``radius_fraction``, for a few gaps
:math:`g`; each is evaluated on fresh points of the spheres: clean accuracy and robust accuracy
under l2 PGD at the same radius (no box: the inputs are not images). The paper prints no numbers
for this experiment; its argument is the ordering the page checks: as the gap shrinks, clean
accuracy needs more width, and robust accuracy more still.

The whole sweep is one cached arrays task (:func:`declare_tasks`, :func:`sweep_task`) whose key
(:func:`sweep_key`) is the one :func:`sweep` computes when the page asks for it, so ``python -m
companion train`` fills the file the page loads. At ``ci`` it takes about 25 s on one thread.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ... import spheres as _sp
from ...artifacts import cached_arrays
from ...attacks import pgd
from ...certified.models import mlp
from ...tasks import Task, Work
from ...training import PGDObjective, TrainConfig, accuracy, robust_accuracy, train

__all__ = ["SETTINGS", "OBJECTIVES", "NAME", "NOTEBOOKS", "sweep_key", "compute_sweep",
           "sweep_task", "Sweep", "sweep", "declare_tasks"]

#: the artifact (and task) name of the sweep
NAME = "ding-spheres-sweep"
#: the pages that load it
NOTEBOOKS = ("ding-capacity",)
#: training objectives, in the order of the arrays' first axis
OBJECTIVES = ("standard", "pgd")

#: What each profile trains. ``ci`` is sized for one CPU thread (about 25 s in all); ``paper``
#: is a larger version of the same sweep (the paper gives no settings for this experiment).
SETTINGS = {
    "ci": {"n": 10, "train_per_sphere": 2_000, "test_per_sphere": 1_000,
           "gaps": [0.4, 0.2, 0.1], "radius_fraction": 0.25, "widths": [4, 16, 64, 256],
           "epochs": 20, "batch": 200, "lr": 1e-2, "train_steps": 5, "eval_steps": 40,
           "seed": 0},
    "paper": {"n": 100, "train_per_sphere": 50_000, "test_per_sphere": 10_000,
              "gaps": [0.4, 0.2, 0.1, 0.05], "radius_fraction": 0.25,
              "widths": [4, 16, 64, 256, 1024, 4096], "epochs": 50, "batch": 200, "lr": 1e-3,
              "train_steps": 10, "eval_steps": 100, "seed": 0},
}


def _check_profile(profile: str) -> dict:
    if profile not in SETTINGS:
        raise ValueError(f"unknown profile {profile!r}; valid: {sorted(SETTINGS)}")
    return SETTINGS[profile]


def sweep_key(profile: str) -> dict:
    """The cache key of the sweep under ``profile``: every setting that determines it.

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    dict
    """
    cfg = _check_profile(profile)
    return {"what": "ding-spheres-sweep", "model": "mlp-1-hidden-relu",
            "objectives": list(OBJECTIVES), **{k: (list(v) if isinstance(v, (list, tuple))
                                                   else v) for k, v in cfg.items()}}


def _radius(key: dict, gap: float) -> float:
    return float(gap) * key["radius_fraction"]


def compute_sweep(key: dict) -> dict:
    """Train and evaluate every network of the sweep ``key`` (see :func:`sweep_key`).

    Returns the arrays ``gaps``, ``widths``, ``radii`` and, of shape ``(objective, gap,
    width)``, ``clean`` and ``robust`` (test accuracies), ``train_clean`` (accuracy on the
    training points) and ``seconds`` (training time).
    """
    gaps, widths = list(key["gaps"]), list(key["widths"])
    shape = (len(OBJECTIVES), len(gaps), len(widths))
    out = {name: np.zeros(shape) for name in ("clean", "robust", "train_clean", "seconds")}
    for gi, gap in enumerate(gaps):
        # the same directions at every gap (seeded alike): only the gap differs
        X, y = _sp.sample_spheres(key["n"], key["train_per_sphere"], gap, key["seed"] + 1)
        Xt, yt = _sp.sample_spheres(key["n"], key["test_per_sphere"], gap, key["seed"] + 2)
        X, y, Xt, yt = (torch.as_tensor(a) for a in (X, y, Xt, yt))
        r = _radius(key, gap)
        for wi, width in enumerate(widths):
            for oi, objective in enumerate(OBJECTIVES):
                torch.manual_seed(key["seed"])
                net = mlp([key["n"], int(width), 2])
                obj = None
                if objective == "pgd":
                    obj = PGDObjective(eps=r, norm="l2", steps=key["train_steps"], box=None)
                cfg = TrainConfig(epochs=key["epochs"], batch_size=key["batch"], lr=key["lr"],
                                  seed=key["seed"], progress=False)
                t0 = time.perf_counter()
                train(net, X, y, cfg, obj)
                out["seconds"][oi, gi, wi] = time.perf_counter() - t0
                out["clean"][oi, gi, wi] = accuracy(net, Xt, yt)
                out["train_clean"][oi, gi, wi] = accuracy(net, X, y)
                out["robust"][oi, gi, wi] = robust_accuracy(
                    net, Xt, yt, pgd, eps=r, norm="l2", steps=key["eval_steps"], box=None,
                    seed=key["seed"])
    out.update(gaps=np.asarray(gaps, dtype=float), widths=np.asarray(widths, dtype=np.int64),
               radii=np.asarray([_radius(key, g) for g in gaps]))
    return out


def sweep_task(ctx) -> dict:
    """The task: :func:`compute_sweep` of ``ctx.key``."""
    return compute_sweep(ctx.key)


@dataclass(frozen=True)
class Sweep:
    """The sweep's results, with the readings the page's criteria use.

    Used on :doc:`/notebooks/ding-capacity`.

    ``arrays`` as :func:`compute_sweep` returns them; ``n_test`` points per evaluation (both
    spheres).
    """

    key: dict
    arrays: dict

    @property
    def gaps(self) -> list[float]:
        """The gaps, largest first."""
        return [float(g) for g in self.arrays["gaps"]]

    @property
    def widths(self) -> list[int]:
        """The hidden widths."""
        return [int(w) for w in self.arrays["widths"]]

    @property
    def radii(self) -> list[float]:
        """The robust radius at each gap."""
        return [float(r) for r in self.arrays["radii"]]

    @property
    def n_test(self) -> int:
        """Test points per evaluation (both spheres)."""
        return 2 * int(self.key["test_per_sphere"])

    def rate(self, metric: str, objective: str) -> np.ndarray:
        """``(gap, width)`` array of ``metric`` (``"clean"``, ``"robust"``, ``"train_clean"``)
        for the networks trained with ``objective``."""
        if metric not in ("clean", "robust", "train_clean"):
            raise ValueError(f"unknown metric {metric!r}; valid: 'clean', 'robust', "
                             "'train_clean'")
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}; valid: {OBJECTIVES}")
        return np.asarray(self.arrays[metric][OBJECTIVES.index(objective)], dtype=float)

    def smallest_width(self, metric: str, objective: str, threshold: float) -> list[float]:
        """Per gap, the smallest width whose ``metric`` reaches ``threshold`` (``inf`` if no
        width of the sweep does)."""
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        a = self.rate(metric, objective)
        out = []
        for row in a:
            hit = [w for w, v in zip(self.widths, row) if v >= threshold]
            out.append(float(hit[0]) if hit else math.inf)
        return out

    def rows(self) -> list[dict]:
        """One table row per (gap, width): the four test accuracies."""
        out = []
        for gi, g in enumerate(self.gaps):
            for wi, w in enumerate(self.widths):
                out.append({"gap": g, "$r$": self.radii[gi], "width": w,
                            "standard, clean": self.rate("clean", "standard")[gi, wi],
                            "standard, robust": self.rate("robust", "standard")[gi, wi],
                            "PGD, clean": self.rate("clean", "pgd")[gi, wi],
                            "PGD, robust": self.rate("robust", "pgd")[gi, wi]})
        return out


def sweep(profile: str) -> Sweep:
    """The sweep of ``profile``, computed once and cached (the task fills the same file).

    Used on :doc:`/notebooks/ding-capacity`.

    Parameters
    ----------
    profile : str
        ``"ci"`` or ``"paper"``.

    Returns
    -------
    Sweep
    """
    key = sweep_key(profile)
    return Sweep(key, cached_arrays(NAME, key, lambda: compute_sweep(key)))


def _work(key: dict) -> Work:
    per_net = key["epochs"] * 2 * key["train_per_sphere"]
    n_nets = len(key["gaps"]) * len(key["widths"])
    amount = n_nets * per_net * (1 + (1 + key["train_steps"]))   # standard + PGD-k
    return Work(amount, "examples", "ding-spheres-mlp", cpu=320_000.0, gpu=2_000_000.0,
                source="cpu: measured here (1 thread, the ci sweep); gpu: an estimate")


def declare_tasks() -> list[Task]:
    """The sweep, as one arrays task per profile.

    Used by :mod:`companion.chapters.ding.tasks`.
    """
    keys = {p: sweep_key(p) for p in SETTINGS}
    return [Task(NAME, "companion.chapters.ding.spheres:sweep_task", keys=keys, kind="arrays",
                 notebooks=NOTEBOOKS, work={p: _work(k) for p, k in keys.items()},
                 title="concentric spheres: one-hidden-layer ReLU networks, standard and "
                       "l2 PGD training, by width and gap")]
