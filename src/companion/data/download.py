"""Checksummed downloads: urllib, a tqdm progress bar, a temporary file, an atomic rename.

A file is downloaded only when its SHA-256 is known (:class:`NoChecksumError` otherwise). The
bytes go to a temporary file next to the destination while their SHA-256 is computed; only a
file with the right size and digest is renamed into place, so the cache never holds a partial
or unverified file. Mirrors are tried in order.

``$COMPANION_DATA_MIRROR`` (a URL prefix, e.g. ``http://127.0.0.1:8000/data`` or an institutional
mirror) replaces every upstream URL: the file ``<folder>/<name>`` of the cache is then fetched
from ``$COMPANION_DATA_MIRROR/<folder>/<name>`` and from nowhere else, so a mirror laid out like
the data cache (any copy of a cache folder served over HTTP) stands in for the network. The
SHA-256 recorded in :mod:`companion.data.sources` is checked exactly as for an upstream download.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Sequence

from ..progress import progress as _progress
from .cache import ChecksumError, DataError, NoChecksumError

__all__ = ["USER_AGENT", "MIRROR_ENV", "source_urls", "download"]

USER_AGENT = "companion-book-data/0.1 (+python urllib)"
MIRROR_ENV = "COMPANION_DATA_MIRROR"


def source_urls(folder: str, name: str, urls: Sequence[str]) -> tuple[str, ...]:
    """Where to download the cache file ``<folder>/<name>`` from: ``urls`` (the upstream
    mirrors, in order), or only ``$COMPANION_DATA_MIRROR/<folder>/<name>`` when that is set."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if mirror:
        path = f"{folder}/{name}" if folder else name
        return (f"{mirror.rstrip('/')}/{path}",)
    return tuple(urls)


def _fetch_one(url: str, dest: Path, sha256: str, size: int | None, timeout: float,
               progress: bool) -> None:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp)
    try:
        h = hashlib.sha256()
        n = 0
        with urllib.request.urlopen(req, timeout=timeout) as resp, os.fdopen(fd, "wb") as out:
            total = size or int(resp.headers.get("Content-Length") or 0) or None
            with _progress(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                           desc=dest.name, disable=not progress) as bar:
                while True:
                    block = resp.read(1 << 20)
                    if not block:
                        break
                    out.write(block)
                    h.update(block)
                    n += len(block)
                    bar.update(len(block))
        if size is not None and n != size:
            raise ChecksumError(f"{url}: received {n:,} bytes for {dest.name!r}, expected "
                                f"{size:,}; nothing was written to {dest.parent}")
        digest = h.hexdigest()
        if digest != sha256:
            raise ChecksumError(f"{url}: {dest.name!r} has SHA-256 {digest}, expected {sha256}; "
                                f"nothing was written to {dest.parent}")
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def download(urls: str | Sequence[str], dest: os.PathLike | str, sha256: str | None,
             size: int | None = None, *, timeout: float = 60.0, progress: bool = True) -> Path:
    """Download ``dest`` from the first of ``urls`` that answers with the right bytes.

    ``sha256`` is required: without one the download is refused. Raises :class:`DataError`
    (listing every URL tried and its error) when no mirror delivers a verified file.
    """
    dest = Path(dest)
    if not sha256:
        raise NoChecksumError(
            f"{dest.name}: no SHA-256 is recorded for this file, so it is not downloaded "
            "(an unverified file would make the book's results unverifiable)")
    if isinstance(urls, str):
        urls = [urls]
    if not urls:
        raise DataError(f"{dest.name}: no URL to download it from")
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        try:
            _fetch_one(url, dest, sha256, size, timeout, progress)
            return dest
        except (urllib.error.URLError, OSError, ChecksumError, ValueError) as exc:
            errors.append(f"  {url}: {exc}")
    raise DataError(f"could not download {dest.name} into {dest.parent}; tried:\n"
                    + "\n".join(errors))
