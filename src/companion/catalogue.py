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
        """Convert ``raw`` (a string from the command line, or a Python value) and check its range."""
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
    """The catalogue entry of notebook ``name``; an unknown name lists the valid ones."""
    try:
        return NOTEBOOKS[name]
    except KeyError:
        raise CatalogueError(
            f"unknown notebook {name!r}; valid notebooks: {', '.join(NOTEBOOKS)}"
        ) from None


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise CatalogueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    return profile


def resolve(name: str, profile: str = "ci", overrides: dict[str, Any] | None = None) -> dict[str, Any]:
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
