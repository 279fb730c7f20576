"""Lint of the executed notebooks: what a reader of the book must never see.

papermill writes the executed notebooks to ``book/notebooks/*.ipynb`` and Jupyter Book renders
their outputs as they are. :func:`lint_notebook` reads one executed notebook (nbformat 4 JSON)
and reports every output that does not belong on a page, naming the notebook, the code cell
(its index among the code cells of the executed notebook, counted from 1, as in the failures of
:mod:`companion.pipeline`, and its first source line) and the rule:

``error``
    An error output (a traceback).
``stderr``
    Any output on the stderr stream.
``warning``
    Warning text in any output: ``Warning:``, ``WARNING``, a warning class name such as
    ``UserWarning`` or ``DeprecationWarning`` (``[IPKernelApp] WARNING`` included).
``progress``
    Progress-bar output: a carriage return (``\\r`` not followed by ``\\n``), a rate such as
    ``12.3it/s`` or ``4.5s/it``, a tqdm bar ``%|``, or a Jupyter widget (``tqdm.notebook``).
``figure``
    A cell carrying ``mystnb.figure`` metadata without an image output (``image/png``,
    ``image/svg+xml`` or ``image/jpeg``), or with outputs beside its image (the figure cell
    shows only its figure).
``repr``
    A bare representation: an ``execute_result`` shown as plain text only (the implicit display
    of a value, e.g. ``Record(id=...)``, ``13198``, ``np.float64(0.39)``, ``{'a': 1}``), or a
    plain-text-only display or printed stdout whose whole text is a number, an object repr
    (``<companion.x.Y object at 0x...>``, ``Name(field=...)``) or a dict/list/tuple/set repr.
    Markdown, HTML, LaTeX and image outputs are explicitly formatted and never flagged.
``size``
    A single output over :data:`MAX_IMAGE_BYTES` (300 kB, decoded, per image) or over
    :data:`MAX_TEXT_BYTES` (20 kB, UTF-8, per text representation or stream).
``lines``
    A cell whose shown text (streams and plain-text-only results) has more than
    :data:`MAX_LINES` (60) lines.

``error``, ``stderr`` and ``warning`` apply to every code cell: they mean something went wrong
even where the page does not show it. The presentation rules (``progress``, ``figure``,
``repr``, ``size``, ``lines``) skip the cells whose outputs the reader never sees, those tagged
``remove-output`` or ``remove-cell``.
"""
from __future__ import annotations

import ast
import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

#: Largest image output (decoded bytes) a page may carry.
MAX_IMAGE_BYTES = 300_000
#: Largest text output (UTF-8 bytes of one representation or one stream output).
MAX_TEXT_BYTES = 20_000
#: Most lines of shown text output per cell.
MAX_LINES = 60

RULES = ("error", "stderr", "warning", "progress", "figure", "repr", "size", "lines")
HIDDEN_TAGS = frozenset({"remove-output", "remove-cell", "remove_output", "remove_cell"})
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")
#: Representations that make an output explicitly formatted (not a bare repr).
FORMATTED_TYPES = ("text/markdown", "text/html", "text/latex", "image/png", "image/svg+xml",
                   "image/jpeg", "application/vnd.jupyter.widget-view+json")
WIDGET_TYPE = "application/vnd.jupyter.widget-view+json"

_WARNING = re.compile(r"\bWarning:|\bWARNING\b|\b[A-Z][A-Za-z]*Warning\b")
_PROGRESS = re.compile(r"\r(?!\n)|\d\s*(?:it/s|s/it)\b|\b(?:it/s|s/it)\]|%\|")
_SPECIAL = re.compile(r"[-+]?(?:nan|inf)|<[^<>\n]+>")  # nan, inf, <... object at 0x...>
#: Expressions that are a bare value when they are the whole text of an output.
_BARE_NODES = (ast.Constant, ast.UnaryOp, ast.Call, ast.Dict, ast.List, ast.Tuple, ast.Set)


@dataclass(frozen=True)
class Problem:
    """One lint problem of an executed notebook.

    Attributes
    ----------
    notebook : str
        The notebook's file name (e.g. ``fawzi-theorem1.ipynb``).
    cell : int or None
        Index of the code cell among the code cells of the executed notebook, from 1
        (None for a problem of the whole file, e.g. invalid JSON).
    first_line : str
        The cell's first non-empty source line (shortened to 70 characters).
    rule : str
        One of :data:`RULES` (or ``invalid`` for an unreadable notebook).
    detail : str
        What was found, with an excerpt of the offending output.
    """

    notebook: str
    cell: Optional[int]
    first_line: str
    rule: str
    detail: str

    def __str__(self) -> str:
        where = (f"code cell {self.cell} (`{self.first_line}`)" if self.cell is not None
                 else "the notebook")
        return f"{self.notebook}, {where}: [{self.rule}] {self.detail}"


def _text(value) -> str:
    """Join nbformat's multiline strings (a list of lines in the JSON) into one string."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


def _excerpt(text: str, n: int = 80) -> str:
    """A short one-line excerpt of ``text`` (``\\r`` and newlines made visible)."""
    text = text.strip()
    short = text[:n] + ("..." if len(text) > n else "")
    return repr(short)


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line[:70] + ("..." if len(line) > 70 else "")
    return ""


def _hidden(cell: dict) -> bool:
    tags = cell.get("metadata", {}).get("tags", []) or []
    return bool(HIDDEN_TAGS.intersection(tags))


def _texts(output: dict) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` for every textual part of an output (stream, error, text mimetypes)."""
    kind = output.get("output_type")
    if kind == "stream":
        yield f"stream {output.get('name', '?')}", _text(output.get("text"))
    elif kind == "error":
        yield "error", "\n".join([f"{output.get('ename', '')}: {output.get('evalue', '')}",
                                  *map(str, output.get("traceback", []) or [])])
    for mime, value in (output.get("data") or {}).items():
        if mime.startswith("text/") or mime == "image/svg+xml" or mime.endswith("json"):
            text = value if isinstance(value, (str, list)) else json.dumps(value)
            yield mime, _text(text)


def _image_bytes(value) -> int:
    raw = _text(value)
    try:
        return len(base64.b64decode(raw, validate=False))
    except (binascii.Error, ValueError):
        return len(raw.encode())


def _looks_bare(text: str) -> bool:
    """Whether ``text`` is a bare value: a number, a quoted string, an object repr
    (``<... object at 0x...>``), a constructor call (``Record(id=...)``, ``np.float64(0.39)``)
    or a container (dict, list, tuple, set); i.e. it parses as one such Python expression."""
    s = text.strip()
    if not s:
        return False
    if _SPECIAL.fullmatch(s):
        return True
    try:
        node = ast.parse(s, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return isinstance(node, _BARE_NODES)


def _visible(output: dict) -> bool:
    """Whether a page shows anything of ``output`` (papermill's ``application/...`` records and
    other machine-only representations are not rendered)."""
    if output.get("output_type") in {"stream", "error"}:
        return True
    return any(m.startswith(("text/", "image/")) or m == WIDGET_TYPE
               for m in (output.get("data") or {}))


def _cell_problems(cell: dict) -> Iterator[tuple[str, str]]:
    """``(rule, detail)`` for every problem of one code cell."""
    outputs = cell.get("outputs", []) or []
    hidden = _hidden(cell)
    shown_lines = 0
    for k, out in enumerate(outputs, 1):
        kind = out.get("output_type")
        data = out.get("data") or {}
        where = f"output {k}"
        if kind == "error":
            evalue = _excerpt(_text(out.get("evalue")))
            yield "error", f"{where}: {out.get('ename', '?')}: {evalue}"
        if kind == "stream" and out.get("name") == "stderr":
            yield "stderr", f"{where}: stderr output {_excerpt(_text(out.get('text')))}"
        for mime, text in _texts(out):
            m = _WARNING.search(text)
            if m and kind != "error":
                start = max(0, m.start() - 30)
                yield "warning", f"{where} ({mime}): warning text {_excerpt(text[start:])}"
                break
        if hidden:
            continue
        for mime, text in _texts(out):
            if mime in {"text/plain", "stream stdout", "stream stderr"} and _PROGRESS.search(text):
                yield "progress", f"{where} ({mime}): progress-bar output {_excerpt(text)}"
                break
        if WIDGET_TYPE in data:
            yield "progress", f"{where}: a Jupyter widget (e.g. a tqdm.notebook bar)"
        if kind == "execute_result" and set(data) <= {"text/plain"}:
            yield "repr", (f"{where}: bare value shown as plain text "
                           f"{_excerpt(_text(data.get('text/plain')))}; display it formatted "
                           "(Markdown, a table, a sentence) or end the line with ';'")
        elif kind == "display_data" and set(data) <= {"text/plain"} and _looks_bare(
                _text(data.get("text/plain"))):
            yield "repr", f"{where}: bare repr displayed {_excerpt(_text(data['text/plain']))}"
        elif kind == "stream" and out.get("name") == "stdout" and _looks_bare(
                _text(out.get("text"))):
            yield "repr", f"{where}: printed a bare repr {_excerpt(_text(out.get('text')))}"
        for mime, value in data.items():
            if mime in IMAGE_TYPES and mime != "image/svg+xml":
                size = _image_bytes(value)
                if size > MAX_IMAGE_BYTES:
                    yield "size", f"{where} ({mime}): {size:,} bytes > {MAX_IMAGE_BYTES:,}"
        for mime, text in _texts(out) if kind != "error" else ():
            size = len(text.encode())
            limit = MAX_IMAGE_BYTES if mime == "image/svg+xml" else MAX_TEXT_BYTES
            if size > limit:
                yield "size", f"{where} ({mime}): {size:,} bytes > {limit:,}"
        if kind == "stream":
            shown_lines += len(_text(out.get("text")).splitlines())
        elif kind in {"execute_result", "display_data"} and not any(
                t in data for t in FORMATTED_TYPES):
            shown_lines += len(_text(data.get("text/plain")).splitlines())
    if hidden:
        return
    if shown_lines > MAX_LINES:
        yield "lines", f"{shown_lines} lines of text output > {MAX_LINES}"
    figure = (cell.get("metadata", {}).get("mystnb") or {}).get("figure")
    if figure is not None:
        name = figure.get("name", "?") if isinstance(figure, dict) else "?"
        images = [o for o in outputs if any(t in (o.get("data") or {}) for t in IMAGE_TYPES)]
        if not images:
            yield "figure", f"figure {name!r} has no image output (image/png or image/svg+xml)"
        extra = [o for o in outputs if o not in images and _visible(o)]
        if images and extra:
            kinds = ", ".join(sorted({str(o.get("output_type")) for o in extra}))
            yield "figure", (f"figure {name!r} has {len(extra)} output(s) beside its image "
                             f"({kinds}); a figure cell shows only its figure")


def lint_notebook(path) -> list[Problem]:
    """Lint one executed notebook.

    Parameters
    ----------
    path : str or pathlib.Path
        An executed notebook (``.ipynb``, nbformat 4 JSON).

    Returns
    -------
    list of Problem
        Every problem found, in cell order (empty for a clean notebook).
    """
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Problem(path.name, None, "", "invalid", f"cannot read {path}: {exc}")]
    problems: list[Problem] = []
    index = 0
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        index += 1
        first = _first_line(_text(cell.get("source")))
        seen = set()
        for rule, detail in _cell_problems(cell):
            if (rule, detail) not in seen:
                seen.add((rule, detail))
                problems.append(Problem(path.name, index, first, rule, detail))
    return problems


def lint_paths(paths: Iterable) -> list[Problem]:
    """Lint several executed notebooks.

    Parameters
    ----------
    paths : iterable of str or pathlib.Path
        The notebooks.

    Returns
    -------
    list of Problem
        The problems of every notebook, notebook by notebook.
    """
    return [p for path in paths for p in lint_notebook(path)]


def lint_directory(directory) -> list[Problem]:
    """Lint every ``*.ipynb`` of a folder (e.g. ``book/notebooks``).

    Parameters
    ----------
    directory : str or pathlib.Path
        The folder of executed notebooks.

    Returns
    -------
    list of Problem
        The problems of every notebook, in the order of the file names.
    """
    return lint_paths(sorted(Path(directory).glob("*.ipynb")))


def format_report(problems: list[Problem]) -> str:
    """A report of ``problems`` for the terminal.

    Parameters
    ----------
    problems : list of Problem
        What :func:`lint_notebook` or :func:`lint_directory` returned.

    Returns
    -------
    str
        One line per problem under a heading that counts them, or a one-line all-clear.
    """
    if not problems:
        return "notebook lint: no problems"
    books = sorted({p.notebook for p in problems})
    lines = [f"notebook lint: {len(problems)} problem(s) in {len(books)} executed notebook(s) "
             f"(limits: images {MAX_IMAGE_BYTES // 1000} kB, text {MAX_TEXT_BYTES // 1000} kB "
             f"per output, {MAX_LINES} lines per cell)"]
    lines += [f"  {p}" for p in problems]
    return "\n".join(lines)


__all__ = ["MAX_IMAGE_BYTES", "MAX_LINES", "MAX_TEXT_BYTES", "Problem", "RULES", "format_report",
           "lint_directory", "lint_notebook", "lint_paths"]
