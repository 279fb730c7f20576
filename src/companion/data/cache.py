"""The data cache: where dataset files live, how they are verified, and the errors.

One directory holds every dataset file, one sub-folder per dataset
(``<cache>/fashion-mnist/train-images-idx3-ubyte.gz``, ``<cache>/cifar-10/...``). It is

* ``$COMPANION_DATA_DIR`` when that environment variable is set (any path; ``~`` is expanded);
* otherwise ``$XDG_CACHE_HOME/companion`` when ``XDG_CACHE_HOME`` is set;
* otherwise ``~/.cache/companion``.

A per-user cache outside the repository is the default so that every checkout and worktree of
the book shares one copy of the data and ``git clean`` never deletes it.

Every file is checked against a SHA-256 recorded in :mod:`companion.data.sources` each time it is
read. A file that is absent raises :class:`MissingDataError`, one whose checksum differs raises
:class:`ChecksumError`; both messages name the file, where it was looked for and the command
that fetches it (``python -m companion data prepare NAME``).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["ENV_VAR", "DataError", "MissingDataError", "ChecksumError", "DataFormatError",
           "NoChecksumError", "UnknownDatasetError", "data_dir", "data_dir_description",
           "prepare_command", "sha256_file", "sha256_bytes", "verify_file", "atomic_write_bytes"]

ENV_VAR = "COMPANION_DATA_DIR"


# --------------------------------------------------------------------------- errors
class DataError(Exception):
    """Base class of every error of the data layer."""


class MissingDataError(DataError, FileNotFoundError):
    """A dataset file is not in the cache."""


class ChecksumError(DataError):
    """A file's SHA-256 (or size) differs from the recorded one."""


class DataFormatError(DataError, ValueError):
    """A file does not have the expected format (bad magic number, truncated, ...)."""


class NoChecksumError(DataError):
    """A download was asked for a file that has no recorded checksum: refused."""


class UnknownDatasetError(DataError, KeyError):
    """A dataset name that the registry does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------- locations
def data_dir() -> Path:
    """The cache directory (see the module docstring for how it is chosen). Not created here."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "companion"


def data_dir_description() -> str:
    """Where the cache is and why, for messages: ``/path (from $COMPANION_DATA_DIR)``."""
    if os.environ.get(ENV_VAR):
        return f"{data_dir()} (from ${ENV_VAR})"
    return f"{data_dir()} (default; set ${ENV_VAR} to move it)"


def prepare_command(name: str, network: bool = False) -> str:
    """The CLI command that prepares dataset ``name``."""
    return f"python -m companion data prepare {name}" + (" --network" if network else "")


# --------------------------------------------------------------------------- hashing
def sha256_file(path: os.PathLike | str, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_file(path: Path, sha256: str, size: int | None = None, *, dataset: str,
                command: str) -> str:
    """Check that ``path`` exists and has the recorded size and SHA-256; return the digest.

    Raises :class:`MissingDataError` or :class:`ChecksumError`, naming the file, the folder it
    was looked for in, and ``command`` (how to fetch it again).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(
            f"{dataset}: file {path.name!r} not found in {path.parent} "
            f"(data cache {data_dir_description()}). Fetch it with: {command}")
    if size is not None:
        got_size = path.stat().st_size
        if got_size != size:
            raise ChecksumError(
                f"{dataset}: file {path.name!r} in {path.parent} has {got_size:,} bytes, "
                f"expected {size:,} (truncated or a different file). Delete it and fetch it "
                f"again with: {command}")
    digest = sha256_file(path)
    if digest != sha256:
        raise ChecksumError(
            f"{dataset}: file {path.name!r} in {path.parent} has SHA-256 {digest}, expected "
            f"{sha256} (corrupt or a different file). Delete it and fetch it again with: "
            f"{command}")
    return digest


# --------------------------------------------------------------------------- writing
def atomic_write_bytes(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` through a temporary file in the same folder and a rename, so
    a reader never sees a half-written file."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; cached data is readable like any file
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
