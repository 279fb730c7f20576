"""A reader for the IDX format of MNIST and Fashion-MNIST, gzipped or raw.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (TT: element type, DD: number of
dimensions), then DD big-endian uint32 sizes, then the elements in C order, big-endian.
MNIST-style image files have magic 2051 (``00 00 08 03``: uint8, 3 dimensions), label files
2049 (``00 00 08 01``). Gzip is recognised by its own magic bytes, not by the file name.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from .cache import DataFormatError

__all__ = ["IDX_TYPES", "MAGIC_IMAGES", "MAGIC_LABELS", "parse_idx", "read_idx", "read_idx_pair"]

#: IDX element type code -> big-endian numpy dtype
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAGIC_IMAGES = 0x00000803  # 2051
MAGIC_LABELS = 0x00000801  # 2049
_GZIP_MAGIC = b"\x1f\x8b"


def _raw_bytes(source: os.PathLike | str | bytes) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, where = bytes(source), "<bytes>"
    else:
        where = str(source)
        data = Path(source).read_bytes()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataFormatError(f"{where}: corrupt gzip stream ({exc})") from exc
    return data, where


def parse_idx(data: bytes, where: str = "<bytes>",
              expected_magic: int | None = None) -> np.ndarray:
    """Parse the (already decompressed) bytes of an IDX file into a native-endian array.

    Raises :class:`DataFormatError` for a bad magic number, an unknown element type, a magic
    other than ``expected_magic``, or a payload whose length does not match the header.
    """
    if len(data) < 4:
        raise DataFormatError(f"{where}: {len(data)} bytes, too short for an IDX header")
    magic = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0:
        raise DataFormatError(
            f"{where}: bad IDX magic number 0x{magic:08x} (the first two bytes must be zero); "
            "not an IDX file")
    if expected_magic is not None and magic != expected_magic:
        raise DataFormatError(
            f"{where}: IDX magic number {magic} (0x{magic:08x}), expected {expected_magic} "
            f"(0x{expected_magic:08x})")
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        raise DataFormatError(f"{where}: unknown IDX element type 0x{code:02x}")
    if ndim == 0:
        raise DataFormatError(f"{where}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFormatError(f"{where}: truncated IDX header ({len(data)} bytes)")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataFormatError(
            f"{where}: IDX header says shape {shape} of {dtype.name} ({expected:,} bytes in all), "
            f"the file has {len(data):,} bytes (truncated or trailing data)")
    arr = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)),
                        offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(source: os.PathLike | str | bytes, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (path or bytes; gzipped or raw). See :func:`parse_idx`."""
    data, where = _raw_bytes(source)
    return parse_idx(data, where, expected_magic)


def read_idx_pair(images: os.PathLike | str,
                  labels: os.PathLike | str) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST-style image file (magic 2051) and label file (magic 2049) and check they
    agree: ``(N, H, W) uint8`` images, ``(N,) int64`` labels."""
    x = read_idx(images, MAGIC_IMAGES)
    y = read_idx(labels, MAGIC_LABELS)
    if x.dtype != np.uint8 or y.dtype != np.uint8:
        raise DataFormatError(f"{images} / {labels}: expected unsigned byte elements")
    if x.shape[0] != y.shape[0]:
        raise DataFormatError(
            f"{images} has {x.shape[0]:,} images but {labels} has {y.shape[0]:,} labels")
    return x, y.astype(np.int64)
