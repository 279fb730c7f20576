"""Progress bars for the command line only, never for the book's pages.

Every progress bar of the package goes through :func:`progress`. Outside a Jupyter kernel it is
a plain :class:`tqdm.tqdm` on ``sys.stderr``. Inside a Jupyter kernel (a notebook executed by
papermill, or opened in Jupyter) nothing of it may reach the notebook's outputs: a bar there
becomes thousands of ``\\r`` stderr outputs in the executed notebook and in the book page.

Writing to ``sys.__stderr__`` is not enough: ipykernel (6 and later, ``capture_fd_output``)
redirects the kernel's file descriptor 2 into a pipe that it forwards to the notebook, so
output written to ``sys.__stderr__`` still lands in the page. ipykernel keeps a duplicate of the
original descriptor (``sys.stderr._original_stdstream_copy``): the terminal of the process that
launched the kernel, for a papermill-launched kernel the terminal of ``python -m companion
run/build``. In a kernel the bar is written there *when that descriptor is a terminal*, and is
disabled otherwise (a CI log or a pipe would only collect ``\\r`` redraws, and nothing reads
them). ``COMPANION_PROGRESS=0`` disables every bar, ``COMPANION_PROGRESS=1`` keeps them on the
terminal descriptor even when it is not a TTY.
"""
from __future__ import annotations

import io
import os
import sys
from typing import Any, Iterable, Optional, TextIO

from tqdm import tqdm

_TERMINALS: dict[int, TextIO] = {}


def in_kernel() -> bool:
    """Whether this process is a Jupyter (ipykernel) kernel whose stderr goes to a notebook.

    Returns
    -------
    bool
        True when ``sys.stderr`` is ipykernel's output stream (the notebook's stderr).
    """
    return "ipykernel" in sys.modules and type(sys.stderr).__module__.startswith("ipykernel")


def _kernel_terminal_fd() -> Optional[int]:
    """The kernel's original stderr descriptor (not forwarded to the notebook), if any."""
    copy = getattr(sys.stderr, "_original_stdstream_copy", None)
    if isinstance(copy, int):
        return copy
    if getattr(sys.stderr, "_should_watch", True):
        return None  # unknown ipykernel internals: do not risk writing into the notebook
    try:  # fd capture is off: descriptor 2 is the real stderr
        return sys.__stderr__.fileno() if sys.__stderr__ is not None else None
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return None


def progress_stream() -> Optional[TextIO]:
    """Where progress bars go: a stream, or None when they are disabled.

    Returns
    -------
    TextIO or None
        ``sys.stderr`` outside a kernel; inside a kernel a stream on the kernel's original
        stderr descriptor when it is a terminal (or ``COMPANION_PROGRESS=1``), else None.
    """
    setting = os.environ.get("COMPANION_PROGRESS", "").strip().lower()
    if setting in {"0", "off", "false", "no"}:
        return None
    if not in_kernel():
        return sys.stderr
    fd = _kernel_terminal_fd()
    if fd is None:
        return None
    try:
        if not (os.isatty(fd) or setting in {"1", "on", "true", "yes"}):
            return None
    except OSError:
        return None
    stream = _TERMINALS.get(fd)
    if stream is None or stream.closed:
        stream = open(fd, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        _TERMINALS[fd] = stream
    return stream


def progress(iterable: Optional[Iterable] = None, *, disable: bool = False,
             leave: bool = False, **kwargs: Any) -> tqdm:
    """A tqdm progress bar that writes to the command line only (see the module docstring).

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over, as for :class:`tqdm.tqdm`.
    disable : bool
        Disable the bar regardless of where it would go.
    leave : bool
        Keep the finished bar on the terminal (default False: it is cleared).
    **kwargs
        Any other :class:`tqdm.tqdm` argument (``total``, ``desc``, ``unit``, ...); ``file`` is
        chosen here and may not be given.

    Returns
    -------
    tqdm.tqdm
        The bar; a disabled bar still supports ``update``, ``set_postfix`` and ``close``.
    """
    if "file" in kwargs:
        raise TypeError("progress() chooses the output stream itself; do not pass file=")
    stream = None if disable else progress_stream()
    return tqdm(iterable, file=stream if stream is not None else sys.stderr,
                disable=disable or stream is None, leave=leave, **kwargs)


__all__ = ["in_kernel", "progress", "progress_stream"]
