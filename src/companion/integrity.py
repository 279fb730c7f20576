"""Checksummed files: atomic writes with a SHA-256 sidecar, and reads that refuse a mismatch.

Every trained artifact (model checkpoint, cached arrays, epoch-boundary resume checkpoint) is
written with :func:`write_verified`: the bytes go to a temporary file that is flushed to disk and
renamed over the target (a reader never sees half a file), then a sidecar ``<file>.sha256`` in
``sha256sum`` format (``sha256sum -c`` checks it) records their digest. :func:`read_verified`
returns the bytes only when they match the sidecar; a corrupt, truncated or partially copied
file reads as *absent* (``None``), so the caller recomputes it instead of loading it.

A file without a sidecar is *unverified*: :func:`read_verified` returns ``None`` for it unless
``adopt`` is given, a callable that must parse the bytes completely (e.g. ``torch.load``); if it
succeeds the sidecar is written (files cached before checksums existed are kept, not retrained).
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Callable, Optional

SIDECAR_SUFFIX = ".sha256"


def sha256_bytes(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sidecar(path: os.PathLike | str) -> Path:
    """The checksum file of ``path``: ``<path>.sha256``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_verified(path: os.PathLike | str, data: bytes, sha256: Optional[str] = None) -> str:
    """Write ``data`` to ``path`` atomically, then its checksum sidecar; returns the digest.

    ``sha256``, when given, is the digest the producer computed: a mismatch (bytes damaged in
    transit) raises :class:`ValueError` and nothing is written.
    """
    path = Path(path)
    digest = sha256_bytes(data)
    if sha256 is not None and sha256 != digest:
        raise ValueError(f"refusing to write {path}: its bytes have SHA-256 {digest}, the "
                         f"producer announced {sha256} (damaged in transit)")
    side = sidecar(path)
    if side.exists():  # a stale sidecar must never vouch for the new bytes, even briefly
        side.unlink()
    _atomic_write(path, data)
    _atomic_write(side, f"{digest}  {path.name}\n".encode())
    return digest


def recorded_digest(path: os.PathLike | str) -> Optional[str]:
    """The digest the sidecar of ``path`` records, or None when there is no readable sidecar."""
    try:
        text = sidecar(path).read_text().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    digest = text.split()[0] if text else ""
    return digest if len(digest) == 64 and all(c in "0123456789abcdef" for c in digest) else None


def read_verified(path: os.PathLike | str, adopt: Optional[Callable[[bytes], object]] = None,
                  warn: Callable[[str], None] | None = None) -> Optional[bytes]:
    """The bytes of ``path`` if they match its sidecar, else ``None`` (absent, corrupt, partial).

    A file whose checksum does not match is renamed to ``<path>.corrupt`` (kept for diagnosis,
    never loaded) and ``warn`` (default: a line on stderr) says so. See the module docstring for
    ``adopt`` (files without a sidecar).
    """
    path = Path(path)
    warn = warn or (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    expected = recorded_digest(path)
    if expected is None:
        if adopt is None:
            return None
        try:
            adopt(data)
        except Exception as exc:  # unreadable: treat as absent, keep it aside
            quarantine(path)
            warn(f"warning: {path} has no checksum and does not load ({type(exc).__name__}: "
                 f"{exc}); moved aside to {path.name}.corrupt, it will be recomputed")
            return None
        _atomic_write(sidecar(path), f"{sha256_bytes(data)}  {path.name}\n".encode())
        return data
    if sha256_bytes(data) != expected:
        quarantine(path)
        warn(f"warning: {path} does not match its SHA-256 checksum (corrupt or partial); moved "
             f"aside to {path.name}.corrupt, it will be recomputed, never loaded")
        return None
    return data


def is_verified(path: os.PathLike | str) -> bool:
    """Whether ``path`` exists and matches its sidecar (without moving anything)."""
    path = Path(path)
    expected = recorded_digest(path)
    if expected is None or not path.exists():
        return False
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest() == expected


def quarantine(path: os.PathLike | str) -> None:
    """Move ``path`` to ``<path>.corrupt`` and drop its sidecar."""
    path = Path(path)
    if path.exists():
        os.replace(path, path.with_name(path.name + ".corrupt"))
    side = sidecar(path)
    if side.exists():
        side.unlink()


def remove(path: os.PathLike | str) -> None:
    """Delete ``path`` and its sidecar (missing files are fine)."""
    for p in (Path(path), sidecar(path)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


__all__ = ["is_verified", "quarantine", "read_verified", "recorded_digest", "remove",
           "sha256_bytes", "sidecar", "write_verified"]
