"""Tables for the book's pages: rows of values rendered as Markdown a reader can read.

Notebooks never build tables by string concatenation: they pass rows to :func:`table`, which
formats every number with :func:`companion.records.fmt` (4 significant digits, thousands
separators) unless a column format is given, escapes the text (mathematics in ``$...$`` is
kept), and returns an object that Jupyter displays as a Markdown table.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from .records import fmt, md

__all__ = ["markdown_table", "table"]


def _cell(value: Any, spec: str | None) -> str:
    if spec is not None and value is not None and not isinstance(value, str):
        try:
            return md(format(value, spec))
        except (TypeError, ValueError):
            pass
    if isinstance(value, str):
        return md(value)
    try:
        import numpy as np

        if isinstance(value, np.generic):
            value = value.item()
    except ImportError:  # pragma: no cover
        pass
    return md(fmt(value))


def markdown_table(rows: Iterable[Mapping[str, Any] | Sequence[Any]],
                   columns: Sequence[str] | None = None,
                   formats: Mapping[str, str] | None = None,
                   align: Mapping[str, str] | None = None) -> str:
    """The Markdown source of a table.

    Parameters
    ----------
    rows : iterable of mapping or sequence
        One entry per row: a mapping from column name to value, or a sequence in the order of
        ``columns``.
    columns : sequence of str, optional
        The column headers (Markdown; math in ``$...$``). Required when rows are sequences;
        by default the keys of the first mapping.
    formats : mapping, optional
        A format spec per column (e.g. ``{"bound": ".3f", "share": ".1%"}``).
    align : mapping, optional
        ``"l"``, ``"r"`` or ``"c"`` per column; numbers default to right, text to left.

    Returns
    -------
    str

    Examples
    --------
    >>> print(markdown_table([{"n": 3, "$r^*$": 0.123456}, {"n": 1000, "$r^*$": 2.0}]))
    | n | $r^*$ |
    |---:|---:|
    | 3 | 0.1235 |
    | 1,000 | 2 |
    """
    rows = list(rows)
    formats = dict(formats or {})
    if columns is None:
        if not rows or not isinstance(rows[0], Mapping):
            raise ValueError("give columns= when the rows are sequences (or there are none)")
        columns = list(rows[0].keys())
    columns = list(columns)
    values = []
    for i, row in enumerate(rows):
        if isinstance(row, Mapping):
            missing = [c for c in columns if c not in row]
            if missing:
                raise ValueError(f"row {i} has no value for columns {missing}")
            values.append([row[c] for c in columns])
        else:
            row = list(row)
            if len(row) != len(columns):
                raise ValueError(f"row {i} has {len(row)} values for {len(columns)} columns")
            values.append(row)
    align = dict(align or {})
    rules = []
    for j, c in enumerate(columns):
        a = align.get(c)
        if a is None:
            numeric = all(isinstance(v[j], (int, float)) or type(v[j]).__module__ == "numpy"
                          for v in values if v[j] is not None) and values
            a = "r" if numeric else "l"
        rules.append({"l": "---", "r": "---:", "c": ":---:"}[a])
    lines = ["| " + " | ".join(md(c) for c in columns) + " |", "|" + "|".join(rules) + "|"]
    for v in values:
        lines.append("| " + " | ".join(_cell(x, formats.get(c)) for x, c in zip(v, columns))
                     + " |")
    return "\n".join(lines)


class _Markdown:
    """A Markdown display object without a misleading repr in plain-text contexts."""

    def __init__(self, text: str):
        self.data = text

    def _repr_markdown_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return self.data


def table(rows, columns=None, formats=None, align=None):
    """:func:`markdown_table`, displayed as a table when it ends a notebook cell.

    Parameters
    ----------
    rows : iterable of mapping or sequence
        The rows, as in :func:`markdown_table`.
    columns, formats, align : optional
        As in :func:`markdown_table`.

    Returns
    -------
    object
        A display object whose ``_repr_markdown_`` is the table (Jupyter shows it as a table;
        its plain repr is the Markdown source).

    Examples
    --------
    >>> table([{"K": 10, "bound": 0.4734}])
    | K | bound |
    |---:|---:|
    | 10 | 0.4734 |
    """
    return _Markdown(markdown_table(rows, columns, formats, align))
