"""Exhaustive verification of Dai & Gifford's Theorem 1 (Lemma 5) on a complete image space."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hamming_bfs import distance_to_other_class
from .image_spaces import ImageSpace, robust_fractions
from .isoperimetry import l0_robust_fraction_bound

__all__ = ["Verification", "verify"]


@dataclass
class Verification:
    """Robust fractions of every interesting class against Theorem 1's bound, for each size d."""

    space: ImageSpace
    classifier: str
    pixels: bool                 # distance counts changed pixels (graph H(n^2, q^h)) not channels
    sizes: np.ndarray            # d = 0 .. max
    fractions: dict              # class -> robust fraction at each d
    bound: np.ndarray            # Theorem 1's bound at each d (1 = no information)

    @property
    def worst(self) -> np.ndarray:
        """The largest robust fraction over the interesting classes, at each d."""
        return np.max(np.stack(list(self.fractions.values())), axis=0)

    @property
    def holds(self) -> bool:
        """No interesting class has a robust fraction above the bound, at any d."""
        return bool(np.all(self.worst <= self.bound + 1e-12)) if self.fractions else True

    @property
    def first_informative(self) -> int:
        """The smallest size at which the bound is below 1."""
        return int(np.argmax(self.bound < 1)) if np.any(self.bound < 1) else -1

    def looseness(self) -> float:
        """``bound / worst`` at the first size where the bound says something (``inf`` if the
        classes are no longer robust there at all)."""
        d = self.first_informative
        if d < 0:
            return float("nan")
        w = self.worst[d]
        return float(self.bound[d] / w) if w > 0 else float("inf")


def verify(space: ImageSpace, labels: np.ndarray, classifier: str,
           pixels: bool = False) -> Verification:
    """Exact L0 distance of every image to the other classes (multi-source BFS), then the robust
    fraction of each interesting class at every size against Theorem 1 (channels: size
    ``c sqrt(h) n + 2``; pixels: ``c n + 2`` changed pixels, the remark after Lemma 5).

    Used on :doc:`/notebooks/dai-gifford-theorem1`.
    """
    labels = np.asarray(labels).ravel()
    if labels.size != space.size:
        raise ValueError(f"{classifier}: need one label per image of {space.name} "
                         f"({space.size}), got {labels.size}")
    if space.q == 2 and not pixels:
        dist = distance_to_other_class(labels)
    else:
        # hypercube=False: a one-axis shape (n = 1 with pixels, or N = 1) is the complete graph,
        # not a hypercube
        shaped = labels.reshape(space.hamming_shape(pixels))
        dist = distance_to_other_class(shaped, hypercube=False).ravel()
    top = space.n ** 2 if pixels else space.N
    sizes = np.arange(top + 1)
    fr = robust_fractions(labels, dist, top)
    bound = l0_robust_fraction_bound(sizes, space.n, 1 if pixels else space.h)
    return Verification(space, classifier, pixels, sizes, fr, bound)
