"""Reproduction records: every paper claim a notebook checks, with the paper's value and ours.

A notebook opens a :class:`Session` right after its parameters cell, records each claim it
checks with :meth:`Session.check` (or :meth:`Session.not_applicable`), shows them with
:meth:`Session.table`, and ends with :meth:`Session.finish`, which writes the records to
``$COMPANION_RECORDS_DIR/<notebook>.json`` (default ``_build/records``) and prints the
provenance footer (profile, seed, data, package versions, wall time). The book's scorecard page
is generated from those JSON files (:mod:`companion.scorecard`).

Numbers that prose quotes go through :meth:`Session.glue` (myst-nb glue), never typed by hand.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VERDICTS = ("reproduced", "differs", "not applicable offline", "erratum")
COMPARISONS = ("abs", "rel", "at_most", "at_least", "holds")


def records_dir() -> Path:
    """Where records are written: ``$COMPANION_RECORDS_DIR`` or ``_build/records``."""
    return Path(os.environ.get("COMPANION_RECORDS_DIR", "_build/records"))


@dataclass
class Record:
    """One checked claim. ``verdict`` is derived from the comparison unless given."""

    id: str
    where: str
    claim: str
    paper: Any
    ours: Any
    tolerance: str
    verdict: str
    reason: str
    notebook: str
    profile: str
    data: str


def cell(text: Any) -> str:
    """Text safe inside a markdown table cell (pipes escaped, one line)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0 or math.isnan(v) or math.isinf(v):
            return str(v)
        if 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.3e}"
    return str(v)


@dataclass
class Session:
    """The records and provenance of one notebook run."""

    notebook: str
    profile: str
    seed: int
    data: list[dict] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    # ------------------------------------------------------------------ data provenance
    def use_data(self, name: str, source: str, substitution: str | None = None) -> None:
        """Declare a dataset the notebook uses; ``substitution`` says what it replaces and why."""
        self.data.append({"name": name, "source": source, "substitution": substitution})

    def data_summary(self) -> str:
        if not self.data:
            return "none (synthetic samples only)"
        parts = []
        for d in self.data:
            s = f"{d['name']} ({d['source']})"
            if d.get("substitution"):
                s += f" [substitution: {d['substitution']}]"
            parts.append(s)
        return "; ".join(parts)

    # ------------------------------------------------------------------ claims
    def check(
        self,
        id: str,
        where: str,
        claim: str,
        paper: Any,
        ours: Any,
        *,
        compare: str = "abs",
        tol: float = 0.0,
        reason: str = "",
        verdict: str | None = None,
    ) -> Record:
        """Record a claim and decide its verdict.

        ``compare``: ``abs`` (|ours - paper| <= tol), ``rel`` (|ours - paper| <= tol |paper|),
        ``at_most`` (ours <= paper + tol: our value respects the paper's upper bound),
        ``at_least`` (ours >= paper - tol), ``holds`` (``ours`` is a bool: the statement held).
        A claim that is not reproduced must say why in ``reason``. ``verdict="erratum"`` marks a
        corrected statement (``paper`` is the printed one, ``ours`` the corrected value).
        """
        if compare not in COMPARISONS:
            raise ValueError(f"compare={compare!r}; valid: {COMPARISONS}")
        if compare == "holds":
            ok = bool(ours)
            tol_text = "statement holds"
        else:
            o, p = float(ours), float(paper)
            if compare == "abs":
                ok, tol_text = abs(o - p) <= tol, f"abs {tol:g}"
            elif compare == "rel":
                ok, tol_text = abs(o - p) <= tol * abs(p), f"rel {tol:g}"
            elif compare == "at_most":
                ok, tol_text = o <= p + tol, f"ours <= paper + {tol:g}"
            else:
                ok, tol_text = o >= p - tol, f"ours >= paper - {tol:g}"
        if verdict is None:
            verdict = "reproduced" if ok else "differs"
        if verdict not in VERDICTS:
            raise ValueError(f"verdict={verdict!r}; valid: {VERDICTS}")
        if verdict in ("differs", "erratum") and not reason:
            raise ValueError(f"claim {id!r}: verdict {verdict!r} needs a reason")
        rec = Record(id, where, claim, _jsonable(paper), _jsonable(ours), tol_text, verdict,
                     reason, self.notebook, self.profile, self.data_summary())
        self._add(rec)
        return rec

    def not_applicable(self, id: str, where: str, claim: str, paper: Any, reason: str) -> Record:
        """Record a claim this run cannot check offline, and why."""
        rec = Record(id, where, claim, _jsonable(paper), None, "-", "not applicable offline",
                     reason, self.notebook, self.profile, self.data_summary())
        self._add(rec)
        return rec

    def _add(self, rec: Record) -> None:
        if any(r.id == rec.id for r in self.records):
            raise ValueError(f"claim id {rec.id!r} recorded twice in {self.notebook!r}")
        self.records.append(rec)

    # ------------------------------------------------------------------ display
    def table_markdown(self, records: list[Record] | None = None) -> str:
        rows = ["| claim | where | paper | ours | tolerance | verdict |", "|---|---|---|---|---|---|"]
        for r in records if records is not None else self.records:
            verdict = r.verdict + (f": {r.reason}" if r.reason else "")
            rows.append(
                f"| `{r.id}`: {cell(r.claim)} | {cell(r.where)} | {cell(_fmt(r.paper))} | "
                f"{cell(_fmt(r.ours))} | {cell(r.tolerance)} | {cell(verdict)} |"
            )
        return "\n".join(rows)

    def table(self, ids: list[str] | None = None):
        """Display the records (all, or those with the given ids) as a table."""
        from IPython.display import Markdown

        recs = self.records if ids is None else [r for r in self.records if r.id in ids]
        return Markdown(self.table_markdown(recs))

    def glue(self, name: str, value: Any, fmt: str | None = None) -> Any:
        """Make ``value`` available to the prose as ``{glue:text}`name```; returns the value."""
        from myst_nb import glue

        shown = format(value, fmt) if fmt else value
        glue(name, shown, display=False)
        return value

    # ------------------------------------------------------------------ ending
    def provenance(self) -> dict:
        return {
            "notebook": self.notebook,
            "profile": self.profile,
            "seed": self.seed,
            "data": self.data_summary(),
            "versions": package_versions(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "wall_time_s": round(time.perf_counter() - self.started, 1),
        }

    def finish(self):
        """Write the records and return the provenance footer for display."""
        from IPython.display import Markdown

        prov = self.provenance()
        out = records_dir()
        out.mkdir(parents=True, exist_ok=True)
        payload = {"provenance": prov, "records": [asdict(r) for r in self.records]}
        (out / f"{self.notebook}.json").write_text(json.dumps(payload, indent=1))
        versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items())
        counts = {v: sum(r.verdict == v for r in self.records) for v in VERDICTS}
        summary = ", ".join(f"{n} {v}" for v, n in counts.items() if n)
        text = (
            "```{admonition} Provenance\n:class: note\n"
            f"- **profile**: `{prov['profile']}`, **seed**: {prov['seed']}\n"
            f"- **data**: {prov['data']}\n"
            f"- **claims checked**: {len(self.records)} ({summary or 'none'})\n"
            f"- **packages**: Python {prov['python']}, {versions}\n"
            f"- **machine**: {prov['machine']}; run {prov['date']}\n"
            f"- **wall time**: {prov['wall_time_s']} s\n"
            "```"
        )
        return Markdown(text)


def _jsonable(v: Any) -> Any:
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return v.item()
    except ImportError:  # pragma: no cover
        pass
    return v


def package_versions() -> dict[str, str]:
    """Versions of the scientific packages in use (those already imported)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for mod, dist in [("companion", "companion"), ("numpy", "numpy"), ("scipy", "scipy"),
                      ("matplotlib", "matplotlib"), ("torch", "torch"),
                      ("sklearn", "scikit-learn"), ("skimage", "scikit-image")]:
        if mod in sys.modules or mod in ("companion", "numpy"):
            try:
                out[dist] = version(dist)
            except PackageNotFoundError:
                out[dist] = "unknown"
    return out


def start(notebook: str, profile: str, seed: int) -> Session:
    """Open the records of a notebook run (call it right after the parameters cell)."""
    from .catalogue import check_profile, get

    get(notebook)
    check_profile(profile)
    return Session(notebook, profile, int(seed))


def load_all(directory: Path | None = None) -> list[dict]:
    """Every records file under ``directory``, sorted by notebook name."""
    directory = directory or records_dir()
    files = sorted(Path(directory).glob("*.json"))
    return [json.loads(f.read_text()) for f in files]
