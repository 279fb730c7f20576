"""The sources of the analytic Fawzi et al. pages follow the book's page conventions
(notes on the records API, hidden record-keeping cells, theorem boxes, exercises)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["paper", "theorem1", "theorem2", "theorem3"]
RECORD_CALL = re.compile(r"^rec\.(compare|bound|holds|self_check|erratum|not_applicable|"
                         r"not_checked)\(", re.M)


def _source(page: str) -> str:
    return (ROOT / "notebooks" / "fawzi" / f"{page}.md").read_text()


def _code_cells(text: str):
    """(options block, body) of every code cell of a MyST notebook source."""
    for m in re.finditer(r"```\{code-cell\} ipython3\n(.*?)\n```(?=\n|$)", text, re.S):
        block = m.group(1)
        opts = ""
        if block.startswith("---\n"):
            end = block.index("\n---\n", 4)
            opts, block = block[4:end], block[end + 5:]
        elif block.startswith(":tags:"):
            opts, _, block = block.partition("\n")
        yield opts, block


@pytest.mark.parametrize("page", PAGES)
def test_only_the_current_records_api(page):
    text = _source(page)
    for old in ("rec.check(", "rec.table(", "verdict=", "compare=\"", "Markdown("):
        assert old not in text, f"{page}: {old!r} is not part of the page conventions"


@pytest.mark.parametrize("page", PAGES)
def test_code_lines_fit_the_page(page):
    for _, body in _code_cells(_source(page)):
        for line in body.splitlines():
            assert len(line) <= 99, f"{page}: code line of {len(line)} characters: {line[:50]}"


@pytest.mark.parametrize("page", PAGES)
def test_record_cells_hidden_and_finish_cell_shows_no_input(page):
    cells = list(_code_cells(_source(page)))
    finish = [opts for opts, body in cells if "rec.finish()" in body]
    assert len(finish) == 1 and "remove-input" in finish[0]
    for opts, body in cells:
        if RECORD_CALL.search(body):
            assert "remove-cell" in opts, f"{page}: a cell recording claims is not hidden"
            assert "mystnb" not in opts, f"{page}: a figure cell records claims"


@pytest.mark.parametrize("page", PAGES)
def test_theorem_boxes_are_unnumbered(page):
    text = _source(page)
    for m in re.finditer(r"^`{3,}\{prf:(\w+)\}([^\n]*)\n((?::[^\n]*\n)*)", text, re.M):
        kind, title, options = m.groups()
        if kind == "proof":
            continue  # sphinx-proof's proofs take no number (and no :nonumber: option)
        assert ":nonumber:" in options, f"{page}: prf:{kind} {title.strip()!r} is numbered"
        assert re.search(r"\b(Theorem|Lemma)\s+\d", title), f"{page}: {title!r} has no number"


@pytest.mark.parametrize("page", PAGES)
def test_exercises_end_the_page(page):
    text = _source(page)
    assert "\n## Exercises\n" in text
    tail = text[text.index("\n## Exercises\n"):]
    labels = re.findall(r"```\{exercise\}\n:label: (\S+)", tail)
    assert 2 <= len(labels) <= 4
    for label in labels:
        assert f"```{{solution-start}} {label}\n:class: dropdown\n```" in tail
    assert tail.count("```{solution-end}") == len(labels)
    assert tail.index("rec.finish()") > tail.rindex("```{solution-end}")
    assert not RECORD_CALL.search(tail), f"{page}: exercises record no claims"


@pytest.mark.parametrize("page", PAGES)
def test_figures_only_through_the_plotting_module(page):
    text = _source(page)
    assert "plt.subplots" not in text and "matplotlib.use" not in text
    assert "fontsize" not in text


def test_landing_page_states_prerequisites_and_goals():
    head = (ROOT / "book" / "papers" / "fawzi.md").read_text().split("\n## ", 1)[0]
    assert "**Prerequisites.**" in head and "**Learning goals.**" in head
