"""Figures of the Fawzi ML pages are displayed: every figure of a kernel, not only the first.

The cause of the missing figures of ``fawzi-experiments``: :func:`companion.plotting.image_rows`
made its figure inside ``matplotlib.rc_context``. The kernel's first figure loads the inline
backend, which switches interactive mode on; leaving the ``rc_context`` restored
``interactive = False``, and from then on the inline backend queued no figure for display (the
cells ran without error and showed nothing).
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from companion import plotting


def test_style_keeps_the_interactive_mode_switched_on_inside_it():
    was = mpl.is_interactive()
    try:
        mpl.interactive(False)
        with plotting.style():
            mpl.interactive(True)  # what the inline backend does when it is first loaded
        assert mpl.is_interactive()
    finally:
        mpl.interactive(was)


def test_style_still_restores_the_style():
    before = mpl.rcParams["lines.linewidth"]
    with plotting.style():
        mpl.rcParams["lines.linewidth"] = before + 3
    assert mpl.rcParams["lines.linewidth"] == before


def test_image_rows_leaves_the_interactive_mode_alone():
    was = mpl.is_interactive()
    try:
        mpl.interactive(True)
        fig = plotting.image_rows({"a": np.zeros((2, 6, 6)), "b": np.ones((2, 1, 6, 6))})
        assert mpl.is_interactive()
        assert fig.get_size_inches()[0] <= plotting.MAX_WIDTH + 1e-9
        plt.close(fig)
    finally:
        mpl.interactive(was)


def _image_cells(nb) -> list[bool]:
    return [any("image/png" in o.get("data", {}) for o in c.get("outputs", []))
            for c in nb.cells]


def test_every_figure_of_a_kernel_is_displayed():
    """In a real kernel: an image grid first (it loads the backend), then two more figures."""
    nbclient = pytest.importorskip("nbclient")
    nb = new_notebook(cells=[
        new_code_cell("import numpy as np\nfrom companion import plotting\n"
                      "fig = plotting.image_rows({'g(z)': np.zeros((3, 8, 8))})"),
        new_code_cell("fig, ax = plotting.figure()\nax.plot([0, 1], [0, 1], label='a')\n"
                      "plotting.label(ax, 'x', 'y')"),
        new_code_cell("with plotting.style():\n    fig, ax = plotting.figure(ncols=2)\n"
                      "fig = plotting.image_rows({'x': np.ones((2, 8, 8))})"),
        new_code_cell("fig, ax = plotting.figure()\nax.plot([1, 0])\n"
                      "plotting.label(ax, 'x', 'y')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    assert _image_cells(nb) == [True, True, True, True]
