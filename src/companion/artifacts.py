"""Train once, reuse everywhere: a cache of trained models shared by the notebooks.

Several notebooks use the same trained networks (the Fawzi et al. generator and classifiers,
for instance). :func:`cached_model` trains a model the first time it is asked for and loads the
checkpoint afterwards. The cache key holds everything that determines the weights (the model
spec, the training settings, the data, the seed), so a different profile or seed trains a
different model. Checkpoints live under ``$COMPANION_ARTIFACTS_DIR`` (default
``_build/artifacts`` in the repository) and are written atomically under a file lock, so two
notebooks running in parallel never train the same model twice or read a half-written file.

Every cached file has a SHA-256 sidecar (``<file>.sha256``, see :mod:`companion.integrity`),
verified on every load: a file that does not match is moved aside (``<file>.corrupt``) and
treated as missing, so it is retrained, never loaded. (A file cached before checksums existed is
kept if it loads completely, and gets its sidecar then.) The same files are written by
:mod:`companion.tasks` (``python -m companion train``), whose workers return the checkpoint
bytes to the client that stores them here with :func:`store` under the same lock.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import io
import json
import os
import time
from pathlib import Path
from typing import Callable, Optional

from torch import nn

from . import integrity
from .training import checkpoint_bytes, read_checkpoint, weights_digest

#: File suffix of each kind of artifact.
SUFFIXES = {"model": ".pt", "arrays": ".npz"}


def artifacts_dir() -> Path:
    """``$COMPANION_ARTIFACTS_DIR``, else ``<repository>/_build/artifacts``."""
    env = os.environ.get("COMPANION_ARTIFACTS_DIR")
    if env:
        return Path(env)
    root = os.environ.get("COMPANION_ROOT")
    return Path(root or ".") / "_build" / "artifacts"


def key_digest(key: dict) -> str:
    """A short stable digest of a JSON-serialisable cache key."""
    try:
        text = json.dumps(key, sort_keys=True)
    except TypeError as exc:
        raise ValueError(f"cache key must be JSON-serialisable (plain types), got {key!r}: {exc}")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def artifact_path(name: str, key: dict, kind: str = "model",
                  directory: Path | None = None) -> Path:
    """Where artifact ``name`` for ``key`` is cached: ``<dir>/<name>-<digest>.pt`` for a model,
    ``.npz`` for arrays."""
    if kind not in SUFFIXES:
        raise ValueError(f"unknown artifact kind {kind!r}; valid: {sorted(SUFFIXES)}")
    directory = Path(directory) if directory is not None else artifacts_dir()
    return directory / f"{name}-{key_digest(key)}{SUFFIXES[kind]}"


def resume_path(name: str, key: dict, directory: Path | None = None) -> Path:
    """The epoch-boundary resume checkpoint of the training of ``name`` for ``key``:
    ``$COMPANION_PARTIAL_DIR`` (default ``<artifacts dir>/partial``) on the machine that trains."""
    env = os.environ.get("COMPANION_PARTIAL_DIR")
    if env:
        base = Path(env)
    else:
        base = (Path(directory) if directory is not None else artifacts_dir()) / "partial"
    return base / f"{name}-{key_digest(key)}.resume.pt"


def _lock_file(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_file(path), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class ArtifactLock:
    """The lock of one cached artifact, held across a long operation (the task engine holds it
    while a worker trains the artifact, so a notebook asking for it waits instead of training it
    a second time, and ``tasks`` reports it as running). :func:`cached_model` takes the same
    lock."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fh = None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; with ``blocking=False`` return False at once if another holds it."""
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(_lock_file(self.path), "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    @property
    def held(self) -> bool:
        return self._fh is not None


def is_locked(path: Path) -> bool:
    """Whether another process (or another lock object here) holds the lock of ``path`` now:
    the artifact is being produced (a notebook training it, or ``python -m companion train``)."""
    lock = _lock_file(Path(path))
    if not lock.exists():
        return False
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def _parses(kind: str) -> Callable[[bytes], object]:
    """A function that reads an artifact of ``kind`` completely (raises if it cannot)."""
    def model(data: bytes):
        import torch

        ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
            raise ValueError("not a companion checkpoint")

    def arrays(data: bytes):
        import numpy as np

        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            for k in z.files:
                z[k]

    return {"model": model, "arrays": arrays}[kind]


def read_artifact(path: Path, kind: str = "model") -> Optional[bytes]:
    """The verified bytes of a cached artifact, or None when it is missing, corrupt or partial
    (a file that fails its checksum is moved aside and never loaded; see
    :mod:`companion.integrity`)."""
    return integrity.read_verified(path, adopt=_parses(kind))


def is_cached(path: Path, kind: str = "model") -> bool:
    """Whether a valid (checksum-verified) artifact is cached at ``path``."""
    path = Path(path)
    if integrity.recorded_digest(path) is None:
        return read_artifact(path, kind) is not None  # adopts a pre-checksum file that loads
    return integrity.is_verified(path)


def store(path: Path, data: bytes, sha256: Optional[str] = None,
          lock: Optional[ArtifactLock] = None) -> bool:
    """Write artifact bytes ``data`` (checksum ``sha256`` as computed by their producer) into the
    cache at ``path``, atomically and under the artifact's lock (``lock`` if the caller already
    holds it). Returns False, writing nothing, when a valid file is already there (another
    process produced it meanwhile)."""
    path = Path(path)
    ctx = contextlib.nullcontext() if lock is not None and lock.held else _locked(path)
    with ctx:
        if integrity.is_verified(path):
            return False
        integrity.write_verified(path, data, sha256)
        return True


def _fit_accepts_checkpoint(fit: Callable) -> bool:
    try:
        return "checkpoint" in inspect.signature(fit).parameters
    except (TypeError, ValueError):
        return False


def produce_model(key: dict, make: Callable[[], nn.Module], fit: Callable[..., dict],
                  checkpoint: Optional[Path] = None) -> tuple[nn.Module, dict]:
    """Build a model with ``make()`` and train it with ``fit(model)`` (``fit(model,
    checkpoint=...)`` when ``fit`` takes a ``checkpoint`` argument: the epoch-boundary resume
    file). Returns ``(model, meta)`` with the metadata every cached model carries: what ``fit``
    returned, ``train_seconds``, ``key`` and ``weights_sha256``. The one recipe shared by
    :func:`cached_model` and the task workers of :mod:`companion.tasks`, so both produce the
    same file for a key."""
    model = make()
    t0 = time.perf_counter()
    if checkpoint is not None and _fit_accepts_checkpoint(fit):
        meta = dict(fit(model, checkpoint=checkpoint) or {})
    else:
        meta = dict(fit(model) or {})
    meta.setdefault("train_seconds", round(time.perf_counter() - t0, 1))
    meta["key"] = key
    model.eval()
    meta["weights_sha256"] = weights_digest(model)
    return model, meta


def cached_model(name: str, key: dict, make: Callable[[], nn.Module],
                 fit: Callable[[nn.Module], dict], directory: Path | None = None,
                 verbose: bool = True):
    """The model ``name`` for ``key``: loaded from the cache, or built with ``make()``, trained
    with ``fit(model)`` (which returns a dict of plain metadata, e.g. losses and seconds) and
    saved.

    Returns ``(model, meta)`` with the model in eval mode; ``meta["cached"]`` says whether it
    came from the cache and ``meta["summary"]`` is one line saying what happened (trained, and
    how long, or loaded from the cache), printed to stdout unless ``verbose`` is false. That
    line is all a notebook shows of the training: progress bars go to the command line only
    (see :mod:`companion.progress`).

    A cached file that fails its checksum is retrained, never loaded. If ``fit`` takes a
    ``checkpoint`` argument it is given the resume file of :func:`resume_path` (pass it to
    :func:`companion.training.train` or ``train_gan``): an interrupted training resumes at its
    last epoch boundary.
    """
    path = artifact_path(name, key, "model", directory)
    if os.environ.get("COMPANION_TASK") == path.name:
        raise RuntimeError(f"the task producing {path.name} called cached_model for its own "
                           "artifact (the engine holds its lock, and a worker must not write the "
                           "cache): produce it with ctx.train_model(make, fit) instead")
    with _locked(path):
        data = read_artifact(path, "model")
        if data is not None:
            model, ckpt = read_checkpoint(data, make(), origin=str(path))
            meta = dict(ckpt["meta"])
            meta["cached"] = True
            return model, _announce(meta, _summary(name, meta), verbose)
        resume = resume_path(name, key, directory)
        model, meta = produce_model(key, make, fit, checkpoint=resume)
        integrity.write_verified(path, checkpoint_bytes(model, meta=meta))
        integrity.remove(resume)
        meta["cached"] = False
        return model, _announce(meta, _summary(name, meta), verbose)


def _summary(name: str, meta: dict) -> str:
    seconds = meta.get("train_seconds")
    took = f"{float(seconds):.1f} s" if isinstance(seconds, (int, float)) else "unknown time"
    if meta.get("cached"):
        return f"model {name}: loaded from the cache (trained earlier in {took})"
    return f"model {name}: trained in {took}, saved to the cache"


def _announce(meta: dict, line: str, verbose: bool) -> dict:
    meta["summary"] = line
    if verbose:
        print(line, flush=True)
    return meta


def cached_arrays(name: str, key: dict, compute: Callable[[], dict],
                  directory: Path | None = None) -> dict:
    """Numpy arrays ``compute()`` returns (a dict of name -> array), computed once per ``key`` and
    stored as ``.npz`` under the same lock discipline as :func:`cached_model`."""
    import numpy as np

    path = artifact_path(name, key, "arrays", directory)
    with _locked(path):
        data = read_artifact(path, "arrays")
        if data is not None:
            return load_arrays(data)
        arrays = {k: np.asarray(v) for k, v in compute().items()}
        integrity.write_verified(path, arrays_bytes(arrays))
        return arrays


def arrays_bytes(arrays: dict) -> bytes:
    """The ``.npz`` bytes of a dict of arrays (as :func:`cached_arrays` stores them)."""
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    return buf.getvalue()


def load_arrays(data: bytes) -> dict:
    """The dict of arrays in ``.npz`` bytes (no pickles)."""
    import numpy as np

    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def clear(directory: Path | None = None) -> int:
    """Delete every cached checkpoint (with its checksum, and every resume checkpoint); returns
    how many artifacts were removed."""
    directory = Path(directory) if directory is not None else artifacts_dir()
    n = 0
    for f in [*directory.glob("*.pt"), *directory.glob("*.npz")]:
        integrity.remove(f)
        n += 1
    for f in [*directory.glob("*.corrupt"), *directory.glob("partial/*")]:
        f.unlink()
    return n


__all__ = ["ArtifactLock", "SUFFIXES", "artifact_path", "artifacts_dir", "arrays_bytes",
           "cached_arrays", "cached_model", "clear", "is_cached", "is_locked", "key_digest",
           "load_arrays", "produce_model", "read_artifact", "resume_path", "store"]
