"""The package's layout: concepts at the bottom, chapters above them, no arrow downwards-up.

Concept modules (bounds, attacks, models, generative, data, discrete, the training loop, the
plotting and display helpers, ...) never import a chapter package; a notebook imports concept
modules and its own chapter's package only. The book's machinery (catalogue, CLI, pipeline,
scorecard, tasks) may import the chapters: it is what registers them.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "src" / "companion"
#: the book's machinery: allowed to import the chapter registry
MACHINERY = {"catalogue.py", "cli.py", "pipeline.py", "scorecard.py", "__main__.py",
             "publish.py", "lint.py"}


def _concept_modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "chapters" or (len(rel.parts) == 1 and rel.name in MACHINERY):
            continue
        if rel.parts[0] == "tasks" and rel.name == "__init__.py":
            continue
        yield path


def _imports(path: Path, pkg: Path = PKG) -> list[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    rel = path.relative_to(pkg.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    else:
        parts = parts[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append(mod)
            out += [f"{mod}.{a.name}" for a in node.names]
    return out


def test_import_resolution_sees_relative_chapter_imports(tmp_path):
    # the checker itself must catch "from ..chapters import x" in a concept module
    pkg = tmp_path / "companion"
    (pkg / "bounds").mkdir(parents=True)
    fake = pkg / "bounds" / "probe.py"
    fake.write_text("from ..chapters import fawzi\nimport numpy\n")
    assert "companion.chapters.fawzi" in _imports(fake, pkg)
    fake.write_text("from ..chapters.fawzi.experiment import setup\n")
    assert "companion.chapters.fawzi.experiment" in _imports(fake, pkg)
    fake.write_text("from . import gaussian\n")
    assert _imports(fake, pkg) == ["companion.bounds", "companion.bounds.gaussian"]


@pytest.mark.parametrize("path", list(_concept_modules()), ids=lambda p: str(p.relative_to(PKG)))
def test_concepts_never_import_chapters(path):
    bad = [m for m in _imports(path) if m == "companion.chapters"
           or m.startswith("companion.chapters.")]
    assert not bad, f"{path.relative_to(ROOT)} imports chapter code {bad}: move the shared " \
                    "piece down into a concept module"


IMPORT_LINE = re.compile(r"^\s*(?:from|import)\s+(companion\.chapters(?:\.\w+)?)", re.M)


def _chapter_of(source) -> str:
    """The chapter package of a notebook source: its catalogue entry's paper (the folder
    ``notebooks/rw`` holds the pages of ``companion.chapters.richardson_weiss``)."""
    from companion import catalogue

    rel = source.relative_to(ROOT / "notebooks").as_posix()
    papers = {spec.source: spec.paper for spec in catalogue.NOTEBOOKS.values()}
    return papers.get(rel, source.parent.name)


@pytest.mark.parametrize("source", sorted((ROOT / "notebooks").glob("*/*.md")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_import_only_their_own_chapter(source):
    paper = _chapter_of(source)
    for mod in IMPORT_LINE.findall(source.read_text()):
        assert mod in ("companion.chapters", f"companion.chapters.{paper}") or \
            mod.startswith(f"companion.chapters.{paper}."), \
            f"{source.relative_to(ROOT)} imports {mod}: a page imports its own chapter only"
    text = source.read_text()
    for other in ("dai_gifford", "fawzi", "ding", "richardson_weiss"):
        if other != paper:
            assert f"chapters.{other}" not in text and f"chapters import {other}" not in text, \
                f"{source.relative_to(ROOT)} uses chapter {other}"
