"""Geometry shared by the generators: how many x2 upsamplings lead to a given image size."""
from __future__ import annotations


def upsampling_plan(image_size: int) -> tuple[int, int]:
    """``(base, k)`` with ``image_size == base * 2**k`` and ``3 <= base <= 7``.

    For example 28 -> (7, 2) and 32 -> (4, 3).
    """
    size, k = int(image_size), 0
    while size > 7 and size % 2 == 0:
        size, k = size // 2, k + 1
    if size > 7 or size < 3 or k == 0:
        raise ValueError(f"image_size must be base * 2**k with base in 3..7 and k >= 1 "
                         f"(e.g. 28 or 32), got {image_size}")
    return size, k
