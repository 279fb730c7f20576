"""Reproduction records: every paper claim a notebook checks, with the paper's value and ours.

A notebook opens a :class:`Session` right after its parameters cell (:func:`start`), records
each claim it checks with one of the methods below, and ends with :meth:`Session.finish`, which
writes the records to ``$COMPANION_RECORDS_DIR/<notebook>.json`` (default ``_build/records``) and
displays, once per page, the table of the page's claims and the provenance footer (profile,
seed, data, package versions, wall time). The book's scorecard page is generated from those
JSON files (:mod:`companion.scorecard`).

The rules the methods enforce
-----------------------------
* ``paper`` holds only what the paper prints (a number, or the printed statement as text), or
  ``None`` when the paper prints nothing for the claim. The book's own criterion (a bound it
  computed, a threshold it chose) goes into ``criterion`` / ``reference``, never into ``paper``.
* A verdict is always *derived* from a comparison that can fail; no method takes a verdict.

  - :meth:`~Session.compare`: two-sided, ``|ours - paper| <= tol`` or ``<= rel * |paper|``
    (``0 < rel < 1``), against a number the paper prints;
  - :meth:`~Session.bound`: one-sided, ``ours <= bound`` (``side="upper"``) or ``>=``
    (``side="lower"``), the bound computed or printed;
  - :meth:`~Session.holds`: a statement evaluated to a bool (with the evidence in ``ours``);
  - :meth:`~Session.erratum`: the printed statement is checked *and* the corrected one; the
    verdict is ``erratum`` only if the printed one fails and the corrected one holds;
  - :meth:`~Session.self_check`: code against code, an algebraic identity; shown, never
    counted as a reproduction;
  - :meth:`~Session.not_applicable`: data or scale this machine cannot have;
  - :meth:`~Session.not_checked`: a claim the page discusses but does not compute.

* A failed comparison becomes ``differs`` with the explanation given in ``why_differs`` (say in
  advance what would explain a difference); a failure without one is recorded as unexplained,
  and the scorecard lists it first.

Numbers that prose quotes go through :meth:`Session.glue` (myst-nb glue), never typed by hand.
Claims are written in Markdown with mathematics in ``$...$``; :func:`md` renders them so that
what is written is what is shown.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

VERDICTS = ("reproduced", "differs", "erratum", "not applicable offline", "not checked")
KINDS = ("claim", "self-check")
ICONS = {"reproduced": "✓", "differs": "≠", "erratum": "✎", "not applicable offline": "–",
         "not checked": "·"}
UNEXPLAINED = "unexplained: the notebook gave no reason for a difference"

__all__ = ["ICONS", "KINDS", "UNEXPLAINED", "VERDICTS", "Record", "Session", "cell",
           "counts_sentence", "fmt", "footer_markdown", "load_all", "load_results",
           "machine_description", "md", "package_versions", "paper_text", "records_dir",
           "results_dir", "save_results", "start", "table_markdown", "verdict_counts",
           "verdict_text"]


def records_dir() -> Path:
    """Where records are written: ``$COMPANION_RECORDS_DIR`` or ``_build/records``.

    Returns
    -------
    pathlib.Path
        The folder of the ``<notebook>.json`` records files.
    """
    return Path(os.environ.get("COMPANION_RECORDS_DIR", "_build/records"))


def results_dir(profile: str) -> Path:
    """Where committed records of a profile live: ``<repository>/results/<profile>``.

    Parameters
    ----------
    profile : str
        A profile name (``"paper"``: records of paper-scale runs, committed with their
        hardware, date and wall time).

    Returns
    -------
    pathlib.Path
        ``$COMPANION_ROOT/results/<profile>`` (the current folder when the variable is unset).
    """
    return Path(os.environ.get("COMPANION_ROOT", ".")) / "results" / profile


@dataclass
class Record:
    """One checked claim (see the module docstring for the meaning of each field)."""

    id: str
    where: str
    claim: str
    paper: Any
    ours: Any
    criterion: str
    verdict: str
    reason: str
    notebook: str
    profile: str
    data: str
    kind: str = "claim"
    key: bool = False
    reference: Any = None
    corrected: Any = None


# --------------------------------------------------------------------------- rendering
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
_MATH = re.compile(r"(?<!\\)\$(?!\s)(.+?)(?<![\s\\])\$")


def _math_in_table(tex: str) -> str:
    # a bare | would split a table cell; \vert and \Vert typeset the same bars
    return tex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")


def md(text: Any) -> str:
    """Markdown that shows ``text`` as written, with ``$...$`` kept as mathematics.

    Outside ``$...$`` every character Markdown would interpret (``* _ ` [ ] < > | ~ #`` and
    the backslash) is escaped; inside, bars become ``\\vert`` / ``\\Vert`` so that the text can
    stand in a table cell. Newlines become spaces.

    Parameters
    ----------
    text : Any
        The claim, value or reason (converted with ``str``).

    Returns
    -------
    str
        One line of Markdown.

    Examples
    --------
    >>> md("r* <= r_X")
    'r\\\\* \\\\<= r\\\\_X'
    >>> md("$r^* \\\\le r_X$ holds")
    '$r^* \\\\le r_X$ holds'
    >>> md("$\\\\|z\\\\|$ and |x|")
    '$\\\\Vert z\\\\Vert $ and \\\\|x\\\\|'
    """
    s = str(text).replace("\n", " ")
    out, pos = [], 0
    for m in _MATH.finditer(s):
        out.append(_MD_SPECIAL.sub(r"\\\1", s[pos:m.start()]))
        out.append("$" + _math_in_table(m.group(1)) + "$")
        pos = m.end()
    out.append(_MD_SPECIAL.sub(r"\\\1", s[pos:]))
    return "".join(out)


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: :func:`md` of it.

    Parameters
    ----------
    text : Any
        The cell's content.

    Returns
    -------
    str

    Examples
    --------
    >>> cell("a | b")
    'a \\\\| b'
    """
    return md(text)


def fmt(v: Any) -> str:
    """A value as a reader should see it: 4 significant digits, thousands separators.

    Parameters
    ----------
    v : Any
        A number, bool, ``None``, string, or a list/tuple of those.

    Returns
    -------
    str

    Examples
    --------
    >>> fmt(24.531057167711403), fmt(13198), fmt(1.5e-7), fmt(None), fmt([0.25, 3])
    ('24.53', '13,198', '1.500e-07', '-', '0.25, 3')
    """
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0 or math.isnan(v) or math.isinf(v):
            return str(v)
        if float(v).is_integer() and abs(v) < 1e9:
            return f"{int(v):,}"
        if 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.3e}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt(x) for x in v)
    return str(v)


_fmt = fmt  # the name earlier modules used


def _jsonable(v: Any) -> Any:
    try:
        import numpy as np

        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            return v.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


def _is_bool(v: Any) -> bool:
    """A Python bool or a numpy bool (``numpy.bool_``), nothing else (not 0, 1 or 0.3)."""
    if isinstance(v, bool):
        return True
    try:
        import numpy as np

        return isinstance(v, np.bool_)
    except ImportError:  # pragma: no cover
        return False


def _number(name: str, v: Any, claim_id: str) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"claim {claim_id!r}: {name}={v!r} must be a number") from None
    if math.isnan(x):
        raise ValueError(f"claim {claim_id!r}: {name} is NaN; compute it before recording")
    return x


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
        """Declare a dataset the notebook uses (it appears in every record and the footer).

        Parameters
        ----------
        name : str
            The dataset, as a reader knows it (``"Fashion-MNIST"``).
        source : str
            Where this copy comes from (a package, a download, its checksum).
        substitution : str, optional
            What it replaces and why, when it stands in for the paper's data.

        Returns
        -------
        None
        """
        self.data.append({"name": name, "source": source, "substitution": substitution})

    def data_summary(self) -> str:
        """The declared datasets in one line.

        Returns
        -------
        str
            ``"none (synthetic samples only)"`` when the page declared no dataset.

        Examples
        --------
        >>> s = Session("a-page", "ci", 0)
        >>> s.data_summary()
        'none (synthetic samples only)'
        >>> s.use_data("digits", "scikit-learn 1.9.1", substitution="MNIST, offline")
        >>> s.data_summary()
        'digits (scikit-learn 1.9.1) [substitution: MNIST, offline]'
        """
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
    def _record(self, id: str, where: str, claim: str, *, paper: Any, ours: Any,
                criterion: str, ok: bool, why_differs: str, kind: str = "claim",
                key: bool = False, reference: Any = None, corrected: Any = None,
                verdict_ok: str = "reproduced") -> Record:
        verdict = verdict_ok if ok else "differs"
        reason = "" if ok else (why_differs.strip() or UNEXPLAINED)
        rec = Record(id, where, claim, _jsonable(paper), _jsonable(ours), criterion, verdict,
                     reason, self.notebook, self.profile, self.data_summary(), kind, bool(key),
                     _jsonable(reference), _jsonable(corrected))
        self._add(rec)
        return rec

    def compare(self, id: str, where: str, claim: str, *, paper: Any, ours: Any,
                tol: float | None = None, rel: float | None = None, why_differs: str = "",
                key: bool = False) -> None:
        """A number the paper prints, reproduced within a two-sided tolerance.

        Parameters
        ----------
        id, where, claim : str
            A unique id on the page, where in the paper, and the claim (Markdown, math in $).
        paper : float
            The value as the paper prints it.
        ours : float
            Our value.
        tol : float, optional
            Absolute tolerance: reproduced when ``|ours - paper| <= tol``.
        rel : float, optional
            Relative tolerance in (0, 1): reproduced when ``|ours - paper| <= rel * |paper|``.
            Exactly one of ``tol`` and ``rel`` is given.
        why_differs : str
            What explains a difference, should there be one (shown only then).
        key : bool
            A headline claim of the paper (listed first on the scorecard when it differs).

        Returns
        -------
        None
            The record is appended to :attr:`records` (nothing is returned, so a cell ending
            with a record call displays nothing).
        """
        p, o = _number("paper", paper, id), _number("ours", ours, id)
        if (tol is None) == (rel is None):
            raise ValueError(f"claim {id!r}: give exactly one of tol= (absolute) and rel=")
        if tol is not None:
            if not (tol >= 0 and math.isfinite(tol)):
                raise ValueError(f"claim {id!r}: tol={tol!r} must be finite and >= 0")
            ok, crit = abs(o - p) <= tol, f"|ours − paper| ≤ {fmt(float(tol))}"
        else:
            if not (0 < rel < 1):
                raise ValueError(f"claim {id!r}: rel={rel!r} must lie in (0, 1): a relative "
                                 "tolerance of 1 or more accepts 0 and twice the paper's value")
            ok = abs(o - p) <= rel * abs(p)
            crit = f"within {100 * rel:.3g}% of the paper's value"
        self._record(id, where, claim, paper=paper, ours=ours, criterion=crit, ok=ok,
                     why_differs=why_differs, key=key)

    def bound(self, id: str, where: str, claim: str, *, ours: Any, bound: Any,
              side: str = "upper", slack: float = 0.0, paper: Any = None,
              why_differs: str = "", key: bool = False) -> None:
        """A one-sided claim: ``ours <= bound + slack`` (``side="upper"``) or ``>= bound - slack``.

        Parameters
        ----------
        ours : float
            The measured or computed quantity.
        bound : float
            The bound it must respect (computed by the book from the paper's formula, or printed).
        side : {"upper", "lower"}
            Whether ``bound`` is an upper or a lower bound on ``ours``.
        slack : float
            A non-negative allowance (Monte Carlo error, say), stated in the criterion.
        paper : Any, optional
            What the paper prints for this claim (a number, or the statement as text); ``None``
            when it prints nothing.
        why_differs, key
            As in :meth:`compare`.

        Returns
        -------
        None
            The record is appended to :attr:`records` (nothing is returned, so a cell ending
            with a record call displays nothing).
        """
        o, b = _number("ours", ours, id), _number("bound", bound, id)
        if side not in ("upper", "lower"):
            raise ValueError(f"claim {id!r}: side={side!r}; valid: 'upper', 'lower'")
        if not (slack >= 0 and math.isfinite(slack)):
            raise ValueError(f"claim {id!r}: slack={slack!r} must be finite and >= 0")
        extra = f" + {fmt(float(slack))}" if slack else ""
        if side == "upper":
            ok, crit = o <= b + slack, f"ours ≤ bound {fmt(b)}{extra}"
        else:
            extra = extra.replace("+", "−")
            ok, crit = o >= b - slack, f"ours ≥ bound {fmt(b)}{extra}"
        self._record(id, where, claim, paper=paper, ours=ours, criterion=crit, ok=ok,
                     why_differs=why_differs, key=key, reference=bound)

    def holds(self, id: str, where: str, claim: str, *, ok: Any, ours: Any = None,
              paper: Any = None, why_differs: str = "", key: bool = False) -> None:
        """A statement of the paper, evaluated to a bool by the notebook.

        Parameters
        ----------
        ok : bool
            Whether the statement held on the computation.
        ours : Any, optional
            The evidence to show (a count, a margin, a short text); ``ok`` itself when omitted.
        paper : Any, optional
            The statement as printed (text), or the number the paper prints for it.
        why_differs, key
            As in :meth:`compare`.

        Returns
        -------
        None
            The record is appended to :attr:`records` (nothing is returned, so a cell ending
            with a record call displays nothing).
        """
        if not _is_bool(ok):
            raise ValueError(f"claim {id!r}: ok={ok!r} must be a bool")
        shown = bool(ok) if ours is None else ours
        self._record(id, where, claim, paper=paper, ours=shown,
                     criterion="the statement holds", ok=bool(ok), why_differs=why_differs,
                     key=key)

    def self_check(self, id: str, where: str, claim: str, *, ok: Any, ours: Any = None) -> None:
        """A self-consistency check (code against code, an identity): not a reproduction.

        Parameters
        ----------
        ok : bool
            Whether the check passed.
        ours : Any, optional
            The evidence to show.

        Returns
        -------
        None
            The record is appended to :attr:`records` (nothing is returned, so a cell ending
            with a record call displays nothing).
        """
        if not _is_bool(ok):
            raise ValueError(f"claim {id!r}: ok={ok!r} must be a bool")
        self._record(id, where, claim, paper=None, ours=bool(ok) if ours is None else ours,
                     criterion="self-consistency", ok=bool(ok),
                     why_differs="the book's own computations disagree: a bug to report",
                     kind="self-check")

    def erratum(self, id: str, where: str, claim: str, *, printed: str, corrected: str,
                printed_holds: Any, corrected_holds: Any, ours: Any = None,
                explanation: str) -> None:
        """A statement the paper prints that fails, and its correction that holds; both computed.

        The verdict is ``erratum`` when the printed statement fails and the corrected one holds;
        ``reproduced`` when the printed statement holds after all (then it is no erratum);
        ``differs`` when the correction fails too.

        Parameters
        ----------
        printed : str
            The statement (or value) as printed.
        corrected : str
            The corrected statement.
        printed_holds, corrected_holds : bool
            The two computed checks.
        ours : Any, optional
            The evidence (e.g. the value that refutes the printed statement).
        explanation : str
            Why the printed one is wrong (a sign lost, a factor...), shown with the verdict.

        Returns
        -------
        None
            The record is appended to :attr:`records` (nothing is returned, so a cell ending
            with a record call displays nothing).
        """
        for name, v in (("printed_holds", printed_holds), ("corrected_holds", corrected_holds)):
            if not _is_bool(v):
                raise ValueError(f"claim {id!r}: {name}={v!r} must be a bool")
        if not explanation.strip():
            raise ValueError(f"claim {id!r}: an erratum needs its explanation")
        printed_holds, corrected_holds = bool(printed_holds), bool(corrected_holds)
        crit = (f"printed statement {'holds' if printed_holds else 'fails'}, corrected one "
                f"{'holds' if corrected_holds else 'fails'}")
        if printed_holds:
            verdict, reason = "reproduced", "the printed statement holds: not an erratum"
        elif corrected_holds:
            verdict, reason = "erratum", explanation
        else:
            verdict, reason = "differs", ("neither the printed statement nor the correction "
                                          f"holds ({explanation})")
        rec = Record(id, where, claim, printed, _jsonable(ours), crit, verdict, reason,
                     self.notebook, self.profile, self.data_summary(), "claim", False, None,
                     corrected)
        self._add(rec)

    def not_applicable(self, id: str, where: str, claim: str, *, paper: Any,
                       reason: str) -> None:
        """A claim this machine cannot check: data that needs a download, or paper scale.

        Parameters
        ----------
        id, where, claim : str
            As in :meth:`compare`.
        paper : Any
            What the paper prints for the claim.
        reason : str
            Why it cannot be checked here (required).

        Returns
        -------
        None
            The record is appended to :attr:`records`.
        """
        if not reason.strip():
            raise ValueError(f"claim {id!r}: say why it is not applicable offline")
        rec = Record(id, where, claim, _jsonable(paper), None, "-", "not applicable offline",
                     reason, self.notebook, self.profile, self.data_summary())
        self._add(rec)

    def not_checked(self, id: str, where: str, claim: str, *, paper: Any = None,
                    reason: str) -> None:
        """A claim the page states but does not compute, and why.

        Parameters
        ----------
        id, where, claim : str
            As in :meth:`compare`.
        paper : Any, optional
            What the paper prints for the claim.
        reason : str
            Why the page does not compute it (required).

        Returns
        -------
        None
            The record is appended to :attr:`records`.
        """
        if not reason.strip():
            raise ValueError(f"claim {id!r}: say why it is not checked")
        rec = Record(id, where, claim, _jsonable(paper), None, "-", "not checked", reason,
                     self.notebook, self.profile, self.data_summary())
        self._add(rec)

    def _add(self, rec: Record) -> None:
        if any(r.id == rec.id for r in self.records):
            raise ValueError(f"claim id {rec.id!r} recorded twice in {self.notebook!r}")
        self.records.append(rec)

    def __repr__(self) -> str:
        return f"<records of {self.notebook} ({self.profile}): {len(self.records)} claims>"

    # ------------------------------------------------------------------ display
    def table_markdown(self, records: list[Record] | None = None,
                       others: dict[str, dict] | None = None) -> str:
        """The claims as a Markdown table (see the module function :func:`table_markdown`).

        Parameters
        ----------
        records : list of Record, optional
            The records to show (default: all of this session's).
        others : dict, optional
            Records of a ``paper``-profile run, by id, shown in an extra column.

        Returns
        -------
        str
        """
        return table_markdown([asdict(r) for r in (self.records if records is None
                                                   else records)], others)

    def glue(self, name: str, value: Any, fmt: str | None = None) -> Any:
        """Make ``value`` available to the prose as ``{glue:text}`name```; returns the value.

        Parameters
        ----------
        name : str
            The glue key.
        value : Any
            The value; numbers are shown with ``fmt`` (a format spec such as ``".2f"``) or, when
            it is omitted, with :func:`fmt` (4 significant digits, thousands separators).
        fmt : str, optional
            The format spec.

        Returns
        -------
        Any
            ``value`` itself, so that a computation can be glued where it is made.
        """
        from myst_nb import glue

        if fmt:
            shown = format(value, fmt)
        elif isinstance(value, (int, float)) or type(value).__module__ == "numpy":
            shown = globals()["fmt"](_jsonable(value))
        else:
            shown = value
        glue(name, shown, display=False)
        return value

    # ------------------------------------------------------------------ ending
    def provenance(self) -> dict:
        """Profile, seed, data, versions, machine, date and wall time of this run.

        Returns
        -------
        dict
            The provenance written with the records and shown in the footer.
        """
        return {
            "notebook": self.notebook,
            "profile": self.profile,
            "seed": self.seed,
            "data": self.data_summary(),
            "versions": package_versions(),
            "python": platform.python_version(),
            "machine": machine_description(),
            "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "wall_time_s": round(time.perf_counter() - self.started, 1),
        }

    def finish(self):
        """Write the records and display, once, the page's claims and its provenance footer.

        When committed records of the ``paper`` profile exist for this notebook
        (``results/paper/<notebook>.json``) and this run is not one, they are shown in their
        own column beside this run's values, marked with their hardware, date and wall time.

        Returns
        -------
        IPython.display.Markdown
        """
        from IPython.display import Markdown

        prov = self.provenance()
        out = records_dir()
        out.mkdir(parents=True, exist_ok=True)
        payload = {"provenance": prov, "records": [asdict(r) for r in self.records]}
        (out / f"{self.notebook}.json").write_text(json.dumps(payload, indent=1))
        others, other_prov = None, None
        if self.profile != "paper":
            committed = load_results("paper").get(self.notebook)
            if committed:
                others = {r["id"]: r for r in committed["records"]}
                other_prov = committed["provenance"]
        return Markdown(footer_markdown(payload, others, other_prov))


def verdict_counts(records: list[dict]) -> dict[str, int]:
    """Counts of each verdict among the claims (self-checks counted apart).

    Parameters
    ----------
    records : list of dict
        Records as in the JSON files.

    Returns
    -------
    dict of str to int
        One count per verdict, plus ``self-check`` (passed) and ``self-check failed``.

    Examples
    --------
    >>> recs = [{"verdict": "reproduced"}, {"verdict": "erratum"},
    ...         {"verdict": "reproduced", "kind": "self-check"}]
    >>> {k: v for k, v in verdict_counts(recs).items() if v}
    {'reproduced': 1, 'erratum': 1, 'self-check': 1}
    """
    out = {v: 0 for v in VERDICTS}
    out["self-check"] = 0
    out["self-check failed"] = 0
    for r in records:
        if r.get("kind", "claim") == "self-check":
            out["self-check" if r["verdict"] == "reproduced" else "self-check failed"] += 1
        else:
            out[r["verdict"]] += 1
    return out


def counts_sentence(records: list[dict]) -> str:
    """The verdicts of a list of records in one sentence.

    Parameters
    ----------
    records : list of dict
        Records as in the JSON files.

    Returns
    -------
    str

    Examples
    --------
    >>> recs = [{"verdict": "reproduced"}, {"verdict": "erratum"},
    ...         {"verdict": "reproduced", "kind": "self-check"}]
    >>> counts_sentence(recs)
    '2 claims: 1 reproduced, 1 erratum; 1 self-consistency check'
    """
    c = verdict_counts(records)
    n_claims = sum(c[v] for v in VERDICTS)
    parts = [f"{c[v]} {v}" for v in VERDICTS if c[v]]
    text = f"{n_claims} claim{'s' * (n_claims != 1)}"
    if parts:
        text += ": " + ", ".join(parts)
    n_self = c["self-check"] + c["self-check failed"]
    if n_self:
        text += f"; {n_self} self-consistency check{'s' * (n_self != 1)}"
        if c["self-check failed"]:
            text += f" ({c['self-check failed']} failed)"
    return text


def verdict_text(r: dict) -> str:
    """The verdict cell: symbol, verdict, and the reason where there is one.

    Parameters
    ----------
    r : dict
        A record.

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> verdict_text({"verdict": "differs", "reason": "a sign lost"})
    '≠ differs: a sign lost'
    """
    if r.get("kind", "claim") == "self-check":
        head = "✓ self-check" if r["verdict"] == "reproduced" else "≠ self-check failed"
    else:
        head = f"{ICONS[r['verdict']]} {r['verdict']}"
    return head + (f": {md(r['reason'])}" if r.get("reason") else "")


def paper_text(r: dict) -> str:
    """The paper cell: the printed value or statement ("-" when the paper prints none).

    Parameters
    ----------
    r : dict
        A record.

    Returns
    -------
    str
        Markdown; an erratum shows the printed and the corrected statement.

    Examples
    --------
    >>> paper_text({"paper": 0.48}), paper_text({"paper": None})
    ('0.48', '-')
    """
    if r.get("corrected") is not None:
        return f"printed: {md(fmt(r['paper']))}; corrected: {md(fmt(r['corrected']))}"
    return md(fmt(r["paper"]))


def table_markdown(records: list[dict], others: dict[str, dict] | None = None) -> str:
    """A Markdown table of records (dicts as in the JSON files).

    Parameters
    ----------
    records : list of dict
        The records to show, in order.
    others : dict, optional
        Records of a ``paper``-profile run, by id, shown in an extra column.

    Returns
    -------
    str
    """
    head = "| claim | paper | ours | criterion | verdict |"
    rule = "|---|---|---|---|---|"
    if others is not None:
        head, rule = head + " paper profile |", rule + "---|"
    rows = [head, rule]
    for r in records:
        row = (f"| **{md(r['where'])}**: {md(r['claim'])} | {paper_text(r)} | "
               f"{md(fmt(r['ours']))} | {md(r['criterion'])} | {verdict_text(r)} |")
        if others is not None:
            o = others.get(r["id"])
            row += (f" {md(fmt(o['ours']))} ({ICONS[o['verdict']]} {o['verdict']}) |" if o
                    else " not run |")
        rows.append(row)
    return "\n".join(rows)


def footer_markdown(payload: dict, others: dict[str, dict] | None = None,
                    other_prov: dict | None = None) -> str:
    """The end of a page: a collapsible table of its claims, then the provenance note.

    Parameters
    ----------
    payload : dict
        ``{"provenance": ..., "records": [...]}``, as written to the records file.
    others : dict, optional
        Records of a ``paper``-profile run, by id (an extra column).
    other_prov : dict, optional
        The provenance of that run (its machine, date and wall time are stated).

    Returns
    -------
    str
        MyST Markdown (a dropdown and an admonition).
    """
    prov, recs = payload["provenance"], payload["records"]
    versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items())
    parts = []
    if recs:
        parts += ["````{dropdown} Claims checked on this page: " + counts_sentence(recs),
                  ":open:", ""]
        if other_prov is not None:
            parts += [f"The *paper profile* column is a committed run at the paper's scale "
                      f"({md(other_prov['machine'])}, {other_prov['date']}, "
                      f"{fmt(other_prov['wall_time_s'])} s).", ""]
        parts += [table_markdown(recs, others), "````", ""]
    parts += [
        "```{admonition} Provenance",
        ":class: note",
        f"- **profile**: `{prov['profile']}`, **seed**: {prov['seed']}",
        f"- **data**: {md(prov['data'])}",
        f"- **claims checked**: {counts_sentence(recs)}",
        f"- **packages**: Python {prov['python']}, {versions}",
        f"- **machine**: {md(prov['machine'])}; run {prov['date']}",
        f"- **wall time**: {fmt(prov['wall_time_s'])} s",
        "```",
    ]
    return "\n".join(parts)


def machine_description() -> str:
    """The processor architecture, core count and accelerator (if torch sees one).

    Returns
    -------
    str
        E.g. ``"x86_64, 2 CPU cores"``.
    """
    text = f"{platform.machine()}, {os.cpu_count()} CPU cores"
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                text += f", {torch.cuda.get_device_name(0)}"
        except Exception:  # pragma: no cover - diagnostics only
            pass
    return text


def package_versions() -> dict[str, str]:
    """Versions of the scientific packages in use (those already imported).

    Returns
    -------
    dict of str to str
        Distribution name -> version (``companion`` and ``numpy`` always).
    """
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
    """Open the records of a notebook run (call it right after the parameters cell).

    Parameters
    ----------
    notebook : str
        The notebook's name in the catalogue (``"fawzi-theorem1"``).
    profile : str
        The profile it runs at (``"ci"`` or ``"paper"``).
    seed : int
        Its seed.

    Returns
    -------
    Session

    Raises
    ------
    companion.catalogue.CatalogueError
        For a notebook or profile the catalogue does not know.
    """
    from .catalogue import check_profile, get

    get(notebook)
    check_profile(profile)
    return Session(notebook, profile, int(seed))


def load_all(directory: Path | None = None) -> list[dict]:
    """Every records file under ``directory``, sorted by notebook name.

    Parameters
    ----------
    directory : pathlib.Path, optional
        Default :func:`records_dir`.

    Returns
    -------
    list of dict
        The parsed JSON files (``provenance`` and ``records``).
    """
    directory = directory or records_dir()
    files = sorted(Path(directory).glob("*.json"))
    return [json.loads(f.read_text()) for f in files]


def load_results(profile: str, directory: Path | None = None) -> dict[str, dict]:
    """Committed records of ``profile`` (``results/<profile>/*.json``), by notebook name.

    Parameters
    ----------
    profile : str
        The profile (only files of runs at this profile are returned).
    directory : pathlib.Path, optional
        Default :func:`results_dir` of the profile.

    Returns
    -------
    dict
        Notebook name -> its records file (empty when the folder does not exist).
    """
    directory = Path(directory) if directory is not None else results_dir(profile)
    if not directory.is_dir():
        return {}
    return {p["provenance"]["notebook"]: p for p in load_all(directory)
            if p["provenance"].get("profile") == profile}


def save_results(profile: str, source: Path | None = None, target: Path | None = None) -> list:
    """Copy the records of ``profile`` runs from ``source`` into ``results/<profile>/``.

    Parameters
    ----------
    profile : str
        The profile whose runs are kept.
    source : pathlib.Path, optional
        Default :func:`records_dir` (``_build/records``).
    target : pathlib.Path, optional
        Default :func:`results_dir` of the profile.

    Returns
    -------
    list of str
        The notebooks saved, so that they can be committed.
    """
    target = Path(target) if target is not None else results_dir(profile)
    saved = []
    for p in load_all(source):
        if p["provenance"].get("profile") != profile:
            continue
        target.mkdir(parents=True, exist_ok=True)
        name = p["provenance"]["notebook"]
        (target / f"{name}.json").write_text(json.dumps(p, indent=1))
        saved.append(name)
    return saved
