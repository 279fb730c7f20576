"""The catalogue of the book's notebooks: names, sources, parameters and their profile values.

Every notebook takes ``profile`` and ``seed``; the other parameters are declared here, once,
with their type, their value under each profile and their valid range. The command line
validates ``-p name=value`` overrides against this catalogue *before* any computation, and a
notebook turns its parameters cell into settings with :func:`settings`::

    # parameters cell of a notebook
    profile = "ci"
    seed = 0
    n_samples = None        # None: the profile's value

    cfg = settings("fawzi-theorem1", profile=profile, seed=seed, n_samples=n_samples)
    cfg.n_samples           # the profile's value, or the override

Profiles: ``ci`` is what continuous integration runs on 2 CPU cores; ``paper`` is paper scale.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

PROFILES = ("ci", "paper")
PROFILE_HELP = {
    "ci": "what CI runs on 2 CPU cores (small sample sizes, short training)",
    "paper": "paper scale (large Monte Carlo samples, full training; may need a GPU or hours)",
}

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


class CatalogueError(ValueError):
    """A bad notebook name, profile or parameter (raised before any computation)."""


@dataclass(frozen=True)
class Param:
    """One notebook parameter: its type, its value under each profile and its valid range."""

    name: str
    type: str
    ci: Any
    paper: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None

    def default(self, profile: str) -> Any:
        return getattr(self, profile)

    def describe(self) -> str:
        rng = ""
        if self.choices is not None:
            rng = f", one of {list(self.choices)}"
        elif self.min is not None or self.max is not None:
            lo = "-inf" if self.min is None else self.min
            hi = "inf" if self.max is None else self.max
            rng = f", in [{lo}, {hi}]"
        return f"{self.name} ({self.type}{rng}; ci={self.ci!r}, paper={self.paper!r}): {self.help}"

    def parse(self, raw: Any, notebook: str) -> Any:
        """Convert ``raw`` (a string from the command line, or a Python value) and check its
        range."""
        caster = _TYPES[self.type]
        try:
            if isinstance(raw, str) and self.type == "bool":
                low = raw.strip().lower()
                if low not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(raw)
                value = low in ("true", "1", "yes")
            elif isinstance(raw, str) and self.type == "int":
                value = int(raw.strip())
            elif isinstance(raw, str) and self.type == "float":
                value = float(raw.strip())
            elif self.type == "int" and isinstance(raw, float):
                if not raw.is_integer():
                    raise ValueError(raw)
                value = int(raw)
            elif self.type == "int" and isinstance(raw, bool):
                raise ValueError(raw)
            else:
                value = caster(raw)
        except (TypeError, ValueError):
            raise CatalogueError(
                f"notebook {notebook!r}: parameter {self.name!r} must be of type {self.type}, "
                f"got {raw!r}. Valid: {self.describe()}"
            ) from None
        if self.choices is not None and value not in self.choices:
            raise CatalogueError(
                f"notebook {notebook!r}: parameter {self.name!r}={value!r} is not one of "
                f"{list(self.choices)}"
            )
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            raise CatalogueError(
                f"notebook {notebook!r}: parameter {self.name!r}={value!r} is out of range. "
                f"Valid: {self.describe()}"
            )
        return value


SEED = Param("seed", "int", 0, 0, "seed of every random number generator", min=0, max=2**32 - 1)


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook of the book: its jupytext source under ``notebooks/`` and its parameters."""

    name: str
    source: str
    title: str
    paper: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    ci_budget_s: float = 60.0

    def param(self, name: str) -> Param:
        if name == "seed":
            return SEED
        for p in self.params:
            if p.name == name:
                return p
        valid = ["profile", "seed"] + [p.name for p in self.params]
        raise CatalogueError(
            f"notebook {self.name!r} has no parameter {name!r}; valid parameters: {valid}"
        )


def _nb(name, source, title, paper, *params, ci_budget_s=60.0):
    return NotebookSpec(name, source, title, paper, tuple(params), ci_budget_s)


NOTEBOOKS: dict[str, NotebookSpec] = {}


def register(spec: NotebookSpec) -> NotebookSpec:
    if spec.name in NOTEBOOKS:
        raise CatalogueError(f"notebook {spec.name!r} is registered twice")
    NOTEBOOKS[spec.name] = spec
    return spec


def get(name: str) -> NotebookSpec:
    """The catalogue entry of notebook ``name``, also spelled as its file (see :func:`canonical`);
    an unknown name suggests the nearest names and lists the valid ones."""
    try:
        return NOTEBOOKS[name]
    except (KeyError, TypeError):
        return NOTEBOOKS[canonical(name)]


def _key(text: str) -> str:
    return re.sub(r"[\s_/\\.]+", "-", str(text).strip().lower()).strip("-")


def _spellings(spec: NotebookSpec) -> dict[str, str]:
    """The keys a notebook answers to (normalised: lower case, ``_`` and ``/`` read as ``-``):
    its name, its source path without ``.md`` (``fawzi/theorems4_5``, also written
    ``fawzi_theorems4_5``) and its file name alone (``theorems4_5``, when no other has it)."""
    source = spec.source.removesuffix(".md")
    return {"name": _key(spec.name), "source": _key(source), "stem": _key(source.split("/")[-1])}


def canonical(name: str) -> str:
    """The catalogue name of a notebook given as its name or as its file: ``fawzi-theorems4-5``,
    ``theorems4_5``, ``fawzi/theorems4_5``, ``notebooks/fawzi/theorems4_5.md``,
    ``fawzi_theorems4_5`` or ``book/notebooks/fawzi-theorems4-5.ipynb``. An unknown or ambiguous
    name raises :class:`CatalogueError` with the nearest names (difflib) and the valid ones."""
    raw = str(name)
    if raw in NOTEBOOKS:
        return raw
    text = raw.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    for prefix in ("book/notebooks/", "notebooks/"):
        text = text.removeprefix(prefix)
    for suffix in (".md", ".ipynb"):
        text = text.removesuffix(suffix)
    if text in NOTEBOOKS:
        return text
    key = _key(text)
    by_spelling = {n: _spellings(s) for n, s in NOTEBOOKS.items()}
    hits = [n for n, keys in by_spelling.items() if key in (keys["name"], keys["source"])]
    if not hits:
        hits = [n for n, keys in by_spelling.items() if key == keys["stem"]]
    if len(hits) == 1:
        return hits[0]
    valid = ", ".join(NOTEBOOKS)
    if hits:
        which = ", ".join(f"{n} (notebooks/{NOTEBOOKS[n].source})" for n in hits)
        raise CatalogueError(f"notebook {raw!r} is ambiguous: it may be {which}; name one of them")
    targets: dict[str, str] = {}
    for n, keys in by_spelling.items():
        for k in keys.values():
            targets.setdefault(k, n)
    near = []
    for k in difflib.get_close_matches(key, list(targets), n=6, cutoff=0.6):
        if targets[k] not in near:
            near.append(targets[k])
    hint = f" (did you mean {' or '.join(near[:3])}?)" if near else ""
    raise CatalogueError(f"unknown notebook {raw!r}{hint}; valid notebooks: {valid}")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise CatalogueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    return profile


def resolve(name: str, profile: str = "ci",
            overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """All parameter values of notebook ``name`` under ``profile``, with checked ``overrides``.

    ``overrides`` maps parameter names to raw values (strings from the command line or Python
    values); ``None`` values mean "the profile's value". Raises :class:`CatalogueError` naming
    the bad input and the valid choices.
    """
    spec = get(name)
    check_profile(profile)
    values: dict[str, Any] = {"profile": profile, "seed": SEED.default(profile)}
    values.update({p.name: p.default(profile) for p in spec.params})
    for key, raw in (overrides or {}).items():
        if key == "profile":
            raise CatalogueError("set the profile with --profile, not as a parameter")
        param = spec.param(key)
        if raw is None:
            continue
        values[key] = param.parse(raw, name)
    return values


def settings(name: str, profile: str = "ci", **overrides: Any) -> SimpleNamespace:
    """The settings a notebook runs with (attribute access); see :func:`resolve`."""
    return SimpleNamespace(**resolve(name, profile, overrides))


# The chapters register their notebooks (one module per paper under companion.chapters).
from .chapters import load_all as _load_chapters  # noqa: E402

_load_chapters()
