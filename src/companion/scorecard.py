"""The Reproduction scorecard page: every record of every executed notebook, in one place.

The page opens with a summary (per paper, the count of each verdict, and the claims that
differ, headline claims first, with their one-line reasons), then one collapsible table per
notebook in the book's order. Records of ``paper``-profile runs committed under
``results/paper/`` stand beside the ``ci`` values, marked as such.
"""
from __future__ import annotations

from pathlib import Path

from . import catalogue
from .records import (VERDICTS, fmt, load_all, load_results, md, table_markdown,
                      verdict_counts, UNEXPLAINED)

PAPER_TITLES = {
    "fawzi": "Fawzi, Fawzi & Fawzi: adversarial vulnerability for any classifier",
    "dai_gifford": "Dai & Gifford: image classifiers can not be made robust",
    "ding": "Ding et al.: sensitivity of robustness to input distributions",
    "richardson_weiss": "Richardson & Weiss: a Bayes-optimal view",
    "synthesis": "Synthesis: the four papers on the same images",
}
SHORT = {"fawzi": "Fawzi et al.", "dai_gifford": "Dai & Gifford", "ding": "Ding et al.",
         "richardson_weiss": "Richardson & Weiss", "synthesis": "Synthesis"}

__all__ = ["render", "write"]


def _paper_of(name: str) -> str:
    spec = catalogue.NOTEBOOKS.get(name)
    return spec.paper if spec is not None else "other"


def _order(payloads: list[dict]) -> list[dict]:
    # the book's order: papers as in PAPER_TITLES, notebooks as registered in the catalogue
    papers = list(PAPER_TITLES)
    names = list(catalogue.NOTEBOOKS)

    def rank(p):
        name = p["provenance"]["notebook"]
        paper = _paper_of(name)
        return (papers.index(paper) if paper in papers else len(papers),
                names.index(name) if name in names else len(names), name)

    return sorted(payloads, key=rank)


def _differs_sort_key(r: dict):
    # unexplained first (a defect of the book), then the paper's headline claims
    return (r["reason"] != UNEXPLAINED, not r.get("key", False))


def render(payloads: list[dict], paper_results: dict[str, dict] | None = None) -> str:
    """Markdown of the scorecard page.

    Parameters
    ----------
    payloads : list of dict
        The records files of the executed notebooks (see :func:`records.load_all`).
    paper_results : dict, optional
        Committed ``paper``-profile records by notebook (see :func:`records.load_results`).

    Returns
    -------
    str
        The MyST source of the page.
    """
    paper_results = paper_results or {}
    payloads = _order(payloads)
    lines = [
        "(scorecard)=",
        "# Reproduction scorecard",
        "",
        "Every claim of the papers that a notebook of this book checks, with what the paper "
        "prints, our value, the criterion and the verdict. The page is generated from the "
        "records the executed notebooks wrote; nothing on it is typed by hand. A verdict is "
        "always derived from a comparison that can fail:",
        "",
        "- ✓ **reproduced**: our value meets the criterion;",
        "- ≠ **differs**: it does not, and the reason is given;",
        "- ✎ **erratum**: the statement as printed fails on the computation and the corrected "
        "one holds (both are computed);",
        "- – **not applicable offline**: the data or the scale is not available on this machine;",
        "- · **not checked**: the page discusses the claim but does not compute it.",
        "",
        "Self-consistency checks (the book's code against its own code, algebraic identities) "
        "are listed with the claims but not counted as reproductions. The *paper* column holds "
        "only what the paper prints (\"-\" where it prints no value).",
        "",
    ]
    if not payloads:
        lines.append("No notebook has been executed yet: run `python -m companion build`.")
        return "\n".join(lines) + "\n"

    by_paper: dict[str, list[dict]] = {}
    for p in payloads:
        by_paper.setdefault(_paper_of(p["provenance"]["notebook"]), []).append(p)

    # ---- summary
    cols = [*VERDICTS, "self-check"]
    lines += ["## Summary", "",
              "| paper | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    total = {c: 0 for c in cols}
    for paper, group in by_paper.items():
        c = verdict_counts([r for p in group for r in p["records"]])
        c["self-check"] += c.pop("self-check failed")
        for k in cols:
            total[k] += c[k]
        lines.append(f"| {SHORT.get(paper, paper)} | " + " | ".join(str(c[k]) for k in cols)
                     + " |")
    lines.append("| **all** | " + " | ".join(f"**{total[k]}**" for k in cols) + " |")
    lines.append("")

    differs = [r for p in payloads for r in p["records"]
               if r["verdict"] == "differs" and r.get("kind", "claim") == "claim"]
    failed_self = [r for p in payloads for r in p["records"]
                   if r["verdict"] == "differs" and r.get("kind") == "self-check"]
    lines += ["## What differs", ""]
    if differs:
        lines.append("Headline claims of the papers first.")
        lines.append("")
        for r in sorted(differs, key=_differs_sort_key):
            star = " (headline claim)" if r.get("key") else ""
            lines.append(
                f"- **{SHORT.get(_paper_of(r['notebook']), '')}, {md(r['where'])}**{star}: "
                f"{md(r['claim'])} Paper {md(fmt(r['paper']))}, ours {md(fmt(r['ours']))}. "
                f"*Why*: {md(r['reason'])} ({{doc}}`notebooks/{r['notebook']}`)")
    else:
        lines.append("No claim differs.")
    lines.append("")
    if failed_self:
        lines += ["## Failed self-consistency checks", ""]
        for r in failed_self:
            lines.append(f"- {md(r['where'])}: {md(r['claim'])} "
                         f"({{doc}}`notebooks/{r['notebook']}`)")
        lines.append("")

    # ---- runs
    lines += ["## The runs", "",
              "| notebook | profile | seed | data | wall time (s) | claims |",
              "|---|---|---|---|---:|---:|"]
    for p in payloads:
        prov = p["provenance"]
        lines.append(f"| {{doc}}`notebooks/{prov['notebook']}` | `{prov['profile']}` | "
                     f"{prov['seed']} | {md(prov['data'])} | {fmt(prov['wall_time_s'])} | "
                     f"{len(p['records'])} |")
    for name, p in paper_results.items():
        prov = p["provenance"]
        lines.append(f"| {{doc}}`notebooks/{name}` (committed) | `{prov['profile']}` | "
                     f"{prov['seed']} | {md(prov['data'])} | {fmt(prov['wall_time_s'])} | "
                     f"{len(p['records'])} |")
    lines.append("")

    # ---- per paper, per notebook
    for paper, group in by_paper.items():
        lines += [f"## {PAPER_TITLES.get(paper, paper)}", ""]
        for p in group:
            name = p["provenance"]["notebook"]
            c = verdict_counts(p["records"])
            summary = ", ".join(f"{c[v]} {v}" for v in VERDICTS if c[v]) or "no claims"
            other = paper_results.get(name)
            others = {r["id"]: r for r in other["records"]} if other else None
            lines += [f"### {{doc}}`notebooks/{name}`", "",
                      f"````{{dropdown}} {summary}", ""]
            if other:
                op = other["provenance"]
                lines += [f"The *paper profile* column: a committed run "
                          f"({md(op['machine'])}, {op['date']}, {fmt(op['wall_time_s'])} s).",
                          ""]
            lines += [table_markdown(p["records"], others), "````", ""]
    return "\n".join(lines) + "\n"


def write(records_dir: Path, target: Path, results: Path | None = None) -> int:
    """Write the scorecard page to ``target``; returns the number of records shown.

    Parameters
    ----------
    records_dir : pathlib.Path
        The executed notebooks' records (``_build/records``).
    target : pathlib.Path
        The page to write (``book/scorecard.md``).
    results : pathlib.Path, optional
        The folder of committed paper-profile records (default ``results/paper``).
    """
    payloads = load_all(records_dir)
    paper_results = load_results("paper", results)
    target.write_text(render(payloads, paper_results))
    return sum(len(p["records"]) for p in payloads)
