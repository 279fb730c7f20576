"""The Reproduction scorecard page: every record of every executed notebook, in one place."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from . import catalogue
from .records import VERDICTS, _fmt, load_all
from .records import cell as _cell

PAPER_TITLES = {
    "fawzi": "Fawzi, Fawzi & Fawzi: adversarial vulnerability for any classifier",
    "dai_gifford": "Dai & Gifford: image classifiers can not be made robust",
    "ding": "Ding et al.: sensitivity of robustness to input distributions",
    "richardson_weiss": "Richardson & Weiss: a Bayes-optimal view",
}
# plain symbols that common text fonts carry (no emoji font needed)
ICONS = {"reproduced": "✓", "differs": "≠", "not applicable offline": "–", "erratum": "✎"}


def render(payloads: list[dict]) -> str:
    """Markdown of the scorecard page from the records payloads (see :func:`records.load_all`)."""
    lines = [
        "(scorecard)=",
        "# Reproduction scorecard",
        "",
        "Every claim of the papers that a notebook of this book checks, with the paper's value, ours, "
        "the tolerance and the verdict. This page is generated from the reproduction records that "
        "the executed notebooks wrote; nothing on it is typed by hand. Verdicts: "
        "✓ reproduced, ≠ differs (with the reason), ✎ erratum (the printed statement is "
        "wrong; the corrected one is checked), – not applicable offline.",
        "",
    ]
    all_records = [r for p in payloads for r in p["records"]]
    counts = Counter(r["verdict"] for r in all_records)
    lines.append(
        f"**{len(all_records)} claims** from {len(payloads)} notebooks: "
        + ", ".join(f"{ICONS[v]} {counts.get(v, 0)} {v}" for v in VERDICTS)
        + "."
    )
    lines.append("")
    lines += ["| notebook | profile | seed | data | wall time (s) | claims |", "|---|---|---|---|---|---|"]
    for p in payloads:
        prov = p["provenance"]
        lines.append(
            f"| {{doc}}`notebooks/{prov['notebook']}` | `{prov['profile']}` | {prov['seed']} | "
            f"{_cell(prov['data'])} | {prov['wall_time_s']} | {len(p['records'])} |"
        )
    lines.append("")
    by_paper: dict[str, list[dict]] = {}
    for p in payloads:
        name = p["provenance"]["notebook"]
        paper = catalogue.NOTEBOOKS[name].paper if name in catalogue.NOTEBOOKS else "other"
        by_paper.setdefault(paper, []).append(p)
    for paper, group in by_paper.items():
        lines += [f"## {PAPER_TITLES.get(paper, paper)}", ""]
        for p in group:
            name = p["provenance"]["notebook"]
            lines += [f"### {{doc}}`notebooks/{name}`", "",
                      "| claim | paper | ours | verdict |", "|---|---|---|---|"]
            for r in p["records"]:
                verdict = f"{ICONS[r['verdict']]} {r['verdict']} ({_cell(r['tolerance'])})"
                if r["reason"]:
                    verdict += f": {_cell(r['reason'])}"
                lines.append(
                    f"| **{_cell(r['where'])}**: {_cell(r['claim'])} <br>`{r['id']}` | "
                    f"{_cell(_fmt(r['paper']))} | {_cell(_fmt(r['ours']))} | {verdict} |"
                )
            lines.append("")
    if not all_records:
        lines.append("No notebook has been executed yet: run `python -m companion build`.")
    return "\n".join(lines) + "\n"


def write(records_dir: Path, target: Path) -> int:
    """Write the scorecard page to ``target``; returns the number of claims."""
    payloads = load_all(records_dir)
    target.write_text(render(payloads))
    return sum(len(p["records"]) for p in payloads)
