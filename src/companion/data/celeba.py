"""CelebA (Liu et al., 2015): aligned faces, their 40 binary attributes, the official split.

CelebA needs a download (``python -m companion data prepare celeba --network``); nothing here
downloads. Three files of the dataset are used, stored in ``<data cache>/celeba/`` exactly as
published and checked against their SHA-256 on every load:

* ``img_align_celeba.zip``: 202,599 aligned and cropped JPEG faces of 178 x 218 pixels
  (``img_align_celeba/000001.jpg`` ...), read in place (nothing is extracted);
* ``list_attr_celeba.txt``: the number of images, the 40 attribute names, then one line per
  image with 40 values ``1`` (present) or ``-1`` (absent);
* ``list_eval_partition.txt``: one line per image, ``0`` (train, 162,770 images), ``1``
  (valid, 19,867) or ``2`` (test, 19,962).

:func:`load_attribute` returns one attribute as a two-class :class:`~companion.data.Dataset`
(label 1: the attribute is present) with the faces **downscaled to 64 x 64 colour**: the paper
does not state the size; its authors' code (``eitanrich/bayes-optimal-adv-examples``,
``utils.py``) reshapes CelebA samples to ``64 x 64 x 3``, and their MFA training on CelebA
(``eitanrich/gans-n-gmms``, ``mfa_train_celeba.py``) crops the box ``x = 25, y = 50``,
128 x 128 pixels, and resizes it to 64 x 64 with OpenCV's bilinear ``cv2.resize``, which for an
exact halving is the mean of each 2 x 2 block; that is what :func:`downscale` does (other
sides ``128 / k`` take ``k x k`` block means), rounded to uint8.

Checksums: the SHA-256 and sizes are those of TensorFlow Datasets'
``tensorflow_datasets/url_checksums/celeb_a.txt`` (commit
333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5); torchvision's ``datasets/celeba.py`` lists the MD5
of the same files (:data:`TORCHVISION_MD5`), kept here for reference.
"""
from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from .cache import DataFormatError
from .dataset import Dataset

__all__ = ["NAME", "ATTRIBUTES", "PARTITIONS", "N_IMAGES", "SPLIT_SIZES", "CROP", "SIDE",
           "ZIP_FOLDER", "TORCHVISION_MD5", "ZIP_FILE", "ATTR_FILE", "PARTITION_FILE",
           "check_attribute", "parse_attributes", "parse_partition", "read_tables",
           "attribute_labels", "downscale", "decode", "load_attribute", "check_files",
           "is_present"]

NAME = "celeba"
ZIP_FILE = "img_align_celeba.zip"
ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
#: the folder of the images inside the zip archive
ZIP_FOLDER = "img_align_celeba/"
#: the 40 attributes, in the order of ``list_attr_celeba.txt``
ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair",
    "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair",
    "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
    "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
    "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings",
    "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young")
#: the values of ``list_eval_partition.txt``
PARTITIONS = {"train": 0, "valid": 1, "test": 2}
N_IMAGES = 202_599
SPLIT_SIZES = {"train": 162_770, "valid": 19_867, "test": 19_962}
#: the face box of the authors' MFA training: ``(x, y, width, height)`` in the 178 x 218 image
CROP = (25, 50, 128, 128)
#: the side of the faces :func:`load_attribute` returns by default
SIDE = 64
#: torchvision's MD5 of the same files (``torchvision/datasets/celeba.py``, ``file_list``)
TORCHVISION_MD5 = {ZIP_FILE: "00d2c5bc6d35e252742224ab0c1e8fcb",
                   ATTR_FILE: "75e246fa4810816ffd6ee81facbd244c",
                   PARTITION_FILE: "d32c9cbf5e040fd4025c592c306e6668"}


def check_attribute(name: str) -> str:
    """The canonical spelling of an attribute (case and ``_``/space insensitive).

    Examples
    --------
    >>> check_attribute("heavy makeup"), check_attribute("MALE")
    ('Heavy_Makeup', 'Male')
    """
    key = str(name).strip().replace(" ", "_").lower()
    for a in ATTRIBUTES:
        if a.lower() == key:
            return a
    raise ValueError(f"unknown CelebA attribute {name!r}; valid: {', '.join(ATTRIBUTES)}")


def _lines(text) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("ascii")
    return [line for line in text.splitlines() if line.strip()]


def parse_attributes(text, where: str = ATTR_FILE):
    """Parse ``list_attr_celeba.txt``: ``(names, files, values)``.

    ``names``: the attribute names of the header line; ``files``: the image names, in order;
    ``values``: int8 ``(N, len(names))`` with entries ``-1`` and ``1``. The first line (the
    number of images) is checked against the rows.

    Examples
    --------
    >>> names, files, v = parse_attributes("2\\nBangs Male \\n000001.jpg -1  1\\n"
    ...                                    "000002.jpg  1 -1\\n")
    >>> names, files, v.tolist()
    (['Bangs', 'Male'], ['000001.jpg', '000002.jpg'], [[-1, 1], [1, -1]])
    """
    lines = _lines(text)
    if len(lines) < 2:
        raise DataFormatError(f"{where}: expected a count line and a header line, got "
                              f"{len(lines)} line(s)")
    try:
        count = int(lines[0].split()[0])
    except ValueError:
        raise DataFormatError(f"{where}: the first line must be the number of images, got "
                              f"{lines[0][:40]!r}") from None
    names = lines[1].split()
    rows = lines[2:]
    if len(rows) != count:
        raise DataFormatError(f"{where}: the header says {count:,} images, {len(rows):,} rows "
                              "follow")
    files, values = [], np.empty((len(rows), len(names)), dtype=np.int8)
    for i, row in enumerate(rows):
        parts = row.split()
        if len(parts) != len(names) + 1:
            raise DataFormatError(f"{where}: row {i + 1} has {len(parts) - 1} values, expected "
                                  f"{len(names)}: {row[:60]!r}")
        files.append(parts[0])
        try:
            values[i] = [int(p) for p in parts[1:]]
        except ValueError:
            raise DataFormatError(f"{where}: row {i + 1} holds a non-integer value: "
                                  f"{row[:60]!r}") from None
    if not np.isin(values, (-1, 1)).all():
        raise DataFormatError(f"{where}: attribute values must be -1 or 1")
    return names, files, values


def parse_partition(text, where: str = PARTITION_FILE):
    """Parse ``list_eval_partition.txt``: ``(files, partition)``, partition int8 in {0, 1, 2}.

    Examples
    --------
    >>> parse_partition("000001.jpg 0\\n000002.jpg 2\\n")
    (['000001.jpg', '000002.jpg'], array([0, 2], dtype=int8))
    """
    files, part = [], []
    for i, row in enumerate(_lines(text)):
        parts = row.split()
        if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
            raise DataFormatError(f"{where}: line {i + 1} must be '<image> 0|1|2', got "
                                  f"{row[:60]!r}")
        files.append(parts[0])
        part.append(int(parts[1]))
    return files, np.asarray(part, dtype=np.int8)


def _spec():
    from .sources import resolve

    return resolve(NAME)


def _folder() -> Path:
    from .core import file_path

    spec = _spec()
    return file_path(spec, spec.files[0]).parent


def check_files(verify: bool = True) -> list[dict]:
    """Check that the three files are in the cache and match their SHA-256 (``verify``);
    raises :class:`~companion.data.MissingDataError` naming the missing files, the folder and
    ``python -m companion data prepare celeba --network``. Returns the provenance of the
    files."""
    from .core import _check_files

    spec = _spec()
    return _check_files(spec, spec.files, verify)


def read_tables(verify: bool = True):
    """The attribute table and the split of the cached files: ``(files, values, partition)``
    (image names, int8 ``(202599, 40)`` values in {-1, 1}, int8 partition in {0, 1, 2}),
    after :func:`check_files`."""
    check_files(verify)
    folder = _folder()
    names, files, values = parse_attributes((folder / ATTR_FILE).read_bytes())
    if tuple(names) != ATTRIBUTES:
        raise DataFormatError(f"{ATTR_FILE}: attribute names {names[:3]}... differ from the "
                              "40 CelebA attributes")
    pfiles, part = parse_partition((folder / PARTITION_FILE).read_bytes())
    if pfiles != files:
        raise DataFormatError(f"{PARTITION_FILE} and {ATTR_FILE} list different images")
    return files, values, part


def _check_split(split: str) -> str:
    if split not in (*PARTITIONS, "all"):
        raise ValueError(f"split={split!r}: valid splits are {', '.join(PARTITIONS)}, all")
    return split


def attribute_labels(attribute: str, split: str = "train", verify: bool = True):
    """``(files, labels)`` of one attribute in one split (labels int64: 1 present, 0 absent),
    from the two text files only (no image is decoded)."""
    attribute, split = check_attribute(attribute), _check_split(split)
    files, values, part = read_tables(verify)
    keep = np.ones(len(files), bool) if split == "all" else part == PARTITIONS[split]
    col = values[keep, ATTRIBUTES.index(attribute)]
    return [f for f, k in zip(files, keep) if k], (col > 0).astype(np.int64)


def _check_side(side: int) -> int:
    s = int(side)
    if s != side or s < 1 or CROP[2] % s:
        raise ValueError(f"side must divide the {CROP[2]}-pixel crop (1, 2, 4, 8, 16, 32, 64 or "
                         f"128), got {side!r}")
    return s


def downscale(image: np.ndarray, side: int = SIDE) -> np.ndarray:
    """Crop the face box :data:`CROP` of a 218 x 178 (x 3) image and average ``k x k`` blocks
    (``k = 128 / side``); uint8, rounded.

    Examples
    --------
    >>> img = np.zeros((218, 178, 3), np.uint8)
    >>> img[50:52, 25:27] = [[[10, 0, 0], [20, 0, 0]], [[30, 0, 0], [41, 0, 0]]]
    >>> out = downscale(img, 64)
    >>> out.shape, out[0, 0].tolist()              # (10 + 20 + 30 + 41) / 4 = 25.25
    ((64, 64, 3), [25, 0, 0])
    """
    side = _check_side(side)
    x, y, w, h = CROP
    a = np.asarray(image)
    if a.ndim < 2 or a.shape[0] < y + h or a.shape[1] < x + w:
        raise ValueError(f"image of shape {a.shape} is smaller than the crop box {CROP} "
                         "(x, y, width, height)")
    crop = a[y:y + h, x:x + w].astype(np.float64)
    k = w // side
    out = crop.reshape(side, k, side, k, *crop.shape[2:]).mean(axis=(1, 3))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def decode(archive: zipfile.ZipFile, files, side: int = SIDE) -> np.ndarray:
    """Decode the images ``files`` (names such as ``000001.jpg``) from the open zip archive and
    :func:`downscale` them: ``(N, side, side, 3)`` uint8, RGB."""
    from PIL import Image

    side = _check_side(side)
    out = np.empty((len(files), side, side, 3), dtype=np.uint8)
    for i, f in enumerate(files):
        try:
            data = archive.read(ZIP_FOLDER + f)
        except KeyError:
            raise DataFormatError(f"{ZIP_FILE}: no member {ZIP_FOLDER + f}") from None
        with Image.open(io.BytesIO(data)) as im:
            out[i] = downscale(np.asarray(im.convert("RGB")), side)
    return out


def load_attribute(attribute: str, split: str = "train", n: Optional[int] = None,
                   seed: Optional[int] = 0, *, n_per_class: Optional[int] = None,
                   side: int = SIDE, verify: bool = True) -> Dataset:
    """One CelebA attribute as a two-class dataset of faces, ``side x side`` colour.

    Parameters
    ----------
    attribute : str
        One of :data:`ATTRIBUTES` (case-insensitive, spaces for ``_``); label 1 where it is
        present.
    split : str
        ``"train"``, ``"valid"``, ``"test"`` (the official partition) or ``"all"``.
    n : int, optional
        Keep ``n`` images of the split (drawn with ``numpy.random.default_rng(seed)``, kept in
        file order; ``seed=None``: the first ``n``) before anything is decoded.
    n_per_class : int, optional
        Instead of ``n``: up to ``n_per_class`` images of each label, drawn the same way.
    side : int
        Output side (64, the default, or another divisor of the 128-pixel crop).
    verify : bool
        Check the three files against their SHA-256 first (hashes the 1.4 GB archive).

    Returns
    -------
    Dataset
        ``images`` uint8 ``(N, side, side, 3)``, ``labels`` int64 in {0, 1}, ``classes``
        ``("not <attribute>", "<attribute>")`` and the provenance.
    """
    attribute, split = check_attribute(attribute), _check_split(split)
    side = _check_side(side)
    if n is not None and n_per_class is not None:
        raise ValueError("give n or n_per_class, not both")
    for name, v in (("n", n), ("n_per_class", n_per_class)):
        if v is not None and (int(v) != v or v < 1):
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    files_prov = check_files(verify)
    files, labels = attribute_labels(attribute, split, verify=False)
    pos = np.arange(len(files))
    rng = np.random.default_rng(seed) if seed is not None else None
    note = f"all {len(files):,} images of the official {split} split"
    if n is not None and n < len(pos):
        pos = np.sort(rng.choice(pos, n, replace=False)) if rng is not None else pos[:n]
        note = f"{n:,} of the {len(files):,} images of the {split} split" + \
            (f" (drawn with seed {seed})" if rng is not None else " (the first)")
    elif n_per_class is not None:
        parts = []
        for c in (0, 1):
            pc = pos[labels == c]
            k = min(int(n_per_class), len(pc))
            parts.append(np.sort(rng.choice(pc, k, replace=False)) if rng is not None
                         else pc[:k])
        pos = np.sort(np.concatenate(parts))
        note = (f"up to {n_per_class:,} images per label of the {split} split"
                + (f" (drawn with seed {seed})" if rng is not None else " (the first)"))
    chosen = [files[i] for i in pos]
    with zipfile.ZipFile(_folder() / ZIP_FILE) as z:
        images = decode(z, chosen, side)
    y = labels[pos]
    spec = _spec()
    classes = (f"not {attribute}", attribute)
    prov = {
        "name": NAME, "requested": NAME, "title": spec.title, "split": split,
        "n": int(len(y)), "source": spec.source, "citation": spec.citation,
        "files": copy.deepcopy(files_prov), "subset": False, "subset_of": None,
        "substitute": False, "substitute_for": None, "substitution": None,
        "selection": note, "levels": "uint8 colour levels 0..255 (block means, rounded)",
        "note": spec.note, "attribute": attribute, "side": side,
        "sentence": (f"CelebA aligned faces, attribute {attribute}, {split} split: {len(y):,} "
                     f"colour images ({int(y.sum()):,} with the attribute), cropped to the "
                     f"128 x 128 face box at (25, 50) and averaged down to {side} x {side} "
                     f"pixels; {note}; SHA-256 verified ({spec.citation})."),
    }
    return Dataset(NAME, split, images, y, classes, prov, 255)


def is_present() -> bool:
    """Whether the three files are in the cache (not hashed: :func:`check_files` verifies)."""
    return all((_folder() / f).is_file() for f in (ZIP_FILE, ATTR_FILE, PARTITION_FILE))
