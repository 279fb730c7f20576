"""Train once, reuse everywhere: a cache of trained models shared by the notebooks.

Several notebooks use the same trained networks (the Fawzi et al. generator and classifiers,
for instance). :func:`cached_model` trains a model the first time it is asked for and loads the
checkpoint afterwards. The cache key holds everything that determines the weights (the model
spec, the training settings, the data, the seed), so a different profile or seed trains a
different model. Checkpoints live under ``$COMPANION_ARTIFACTS_DIR`` (default
``_build/artifacts`` in the repository) and are written atomically under a file lock, so two
notebooks running in parallel never train the same model twice or read a half-written file.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Callable

from torch import nn

from .training import load_checkpoint, save_checkpoint


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


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cached_model(name: str, key: dict, make: Callable[[], nn.Module],
                 fit: Callable[[nn.Module], dict], directory: Path | None = None,
                 verbose: bool = True):
    """The model ``name`` for ``key``: loaded from the cache, or built with ``make()``, trained
    with ``fit(model)`` (which returns a dict of plain metadata, e.g. losses and seconds) and saved.

    Returns ``(model, meta)`` with the model in eval mode; ``meta["cached"]`` says whether it
    came from the cache and ``meta["summary"]`` is one line saying what happened (trained, and
    how long, or loaded from the cache), printed to stdout unless ``verbose`` is false. That
    line is all a notebook shows of the training: progress bars go to the command line only
    (see :mod:`companion.progress`).
    """
    directory = Path(directory) if directory is not None else artifacts_dir()
    path = directory / f"{name}-{key_digest(key)}.pt"
    with _locked(path):
        if path.exists():
            model, ckpt = load_checkpoint(path, make())
            meta = dict(ckpt["meta"])
            meta["cached"] = True
            return model, _announce(meta, _summary(name, meta), verbose)
        model = make()
        t0 = time.perf_counter()
        meta = dict(fit(model) or {})
        meta.setdefault("train_seconds", round(time.perf_counter() - t0, 1))
        meta["key"] = key
        model.eval()
        save_checkpoint(path, model, meta=meta)
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

    directory = Path(directory) if directory is not None else artifacts_dir()
    path = directory / f"{name}-{key_digest(key)}.npz"
    with _locked(path):
        if path.exists():
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        arrays = {k: np.asarray(v) for k, v in compute().items()}
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
        return arrays


def clear(directory: Path | None = None) -> int:
    """Delete every cached checkpoint; returns how many were removed."""
    directory = Path(directory) if directory is not None else artifacts_dir()
    n = 0
    for f in [*directory.glob("*.pt"), *directory.glob("*.npz")]:
        f.unlink()
        n += 1
    return n


__all__ = ["artifacts_dir", "cached_arrays", "cached_model", "clear", "key_digest"]
