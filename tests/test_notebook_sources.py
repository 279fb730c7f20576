"""Conventions of the code cells of every notebook source (notebooks/**/*.md).

* every line of a code cell, its options included, has at most 99 characters;
* the first code cell is the parameters cell; imports stand in the next one only (a solution
  cell of an exercise may repeat one of them, never import anything new);
* cell options are written as a YAML block between ``---`` lines, never as ``:tags:`` /
  ``:mystnb:`` lines.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks").glob("*/*.md"))
LIMIT = 99
#: Pending: pages another session is rewriting now; the lead removes them from this list once
#: that session lands (they are skipped, not expected to fail).
PENDING: set = set()

_FENCE = re.compile(r"^```\{code-cell\}[^\n]*$")


def code_cells(text: str) -> list[dict]:
    """Every code cell of a MyST notebook: first line number, option style, options and body
    lines, and whether it lies in an exercise solution (``solution-start`` ... ``solution-end``)."""
    lines = text.splitlines()
    cells, i, in_solution = [], 0, False
    while i < len(lines):
        line = lines[i]
        if line.startswith("```{solution-start}"):
            in_solution = True
        elif line.startswith("```{solution-end}"):
            in_solution = False
        if not _FENCE.match(line):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        block = lines[i + 1:j]
        style, options, body = None, {}, block
        if block and block[0] == "---":
            end = block.index("---", 1)
            style, options, body = "yaml", yaml.safe_load("\n".join(block[1:end])) or {}, \
                block[end + 1:]
        elif block and re.match(r"^:[\w-]+:", block[0]):
            style = "colon"
            k = 0
            while k < len(block) and (m := re.match(r"^:([\w-]+):\s*(.*)$", block[k])):
                options[m.group(1)] = m.group(2)
                k += 1
            body = block[k:]
        cells.append({"line": i + 1, "style": style, "options": options, "block": block,
                      "body": "\n".join(body), "solution": in_solution})
        i = j + 1
    return cells


def _imports(body: str) -> set[tuple[str, str]]:
    """(module, name) of every import statement of a cell (IPython magics left out)."""
    code = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(("%", "!")))
    out = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            out |= {(a.name, a.asname or a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out |= {(node.module or "", f"{a.name} as {a.asname or a.name}") for a in node.names}
    return out


def _rel(path: Path) -> str:
    return path.relative_to(ROOT / "notebooks").as_posix()


def _checked(path: Path) -> Path:
    if _rel(path) in PENDING:
        pytest.skip(f"{_rel(path)}: pending (another session is rewriting it)")
    return path


IDS = [_rel(p) for p in SOURCES]


def test_the_cell_reader_on_known_text():
    text = ("```{code-cell} ipython3\n---\ntags: [parameters]\n---\nseed = 0\n```\n\n"
            "```{code-cell} ipython3\n:tags: [remove-cell]\n\nimport os\n```\n"
            "```{solution-start} ex\n:class: dropdown\n```\n"
            "```{code-cell} ipython3\nimport math\n```\n```{solution-end}\n```\n")
    cells = code_cells(text)
    assert [(c["style"], c["options"], c["solution"]) for c in cells] == [
        ("yaml", {"tags": ["parameters"]}, False), ("colon", {"tags": "[remove-cell]"}, False),
        (None, {}, True)]
    assert _imports(cells[1]["body"]) == {("os", "os")}
    assert _imports("from a import b as c\nimport d.e") == {("a", "b as c"), ("d.e", "d.e")}


def test_pending_pages_exist():
    for rel in PENDING:
        assert (ROOT / "notebooks" / rel).is_file(), f"{rel} is pending but does not exist"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_code_lines_fit_in_99_columns(path):
    bad = []
    for cell in code_cells(_checked(path).read_text()):
        for k, line in enumerate(cell["block"], start=cell["line"] + 1):
            if len(line) > LIMIT:
                bad.append(f"line {k}: {len(line)} characters")
    assert not bad, f"{_rel(path)}: code lines over {LIMIT} characters: {bad}"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_cell_options_are_a_yaml_block(path):
    bad = [f"line {c['line']}: {c['block'][0]}" for c in code_cells(_checked(path).read_text())
           if c["style"] == "colon"]
    assert not bad, (f"{_rel(path)}: write cell options as a YAML block (---, tags: [...], ---), "
                     f"not as :tags: / :mystnb: lines: {bad}")


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_imports_only_in_the_cell_after_the_parameters(path):
    cells = code_cells(_checked(path).read_text())
    assert cells and "parameters" in cells[0]["options"].get("tags", []), (
        f"{_rel(path)}: the first code cell must be the parameters cell")
    assert not _imports(cells[0]["body"]), f"{_rel(path)}: the parameters cell imports"
    allowed = _imports(cells[1]["body"]) if len(cells) > 1 else set()
    bad = []
    for cell in cells[2:]:
        found = _imports(cell["body"])
        if not found:
            continue
        if cell["solution"]:
            new = found - allowed
            if new:
                bad.append(f"line {cell['line']} (a solution) imports something new: "
                           f"{sorted(new)}")
        else:
            bad.append(f"line {cell['line']} imports {sorted(found)}")
    assert not bad, (f"{_rel(path)}: imports belong in the first cell after the parameters "
                     f"cell: {bad}")
