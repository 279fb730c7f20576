"""CelebA in the data layer, offline: the declared checksums and attribute names, the message
that names what to run with a network, the parsers on tiny synthetic files, the face crop and
downscaling, and the whole loader on a synthetic cache (PNG bytes under .jpg names)."""
import hashlib
import io
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from companion import data
from companion.data import celeba
from companion.data.sources import REGISTRY, FileSpec


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPANION_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


# ------------------------------------------------------------------- declaration
def test_declared_files_and_checksums():
    spec = data.resolve("CelebA")
    assert spec.name == "celeba" and not spec.offline and data.resolve("celeb_a") is spec
    # TensorFlow Datasets' url_checksums/celeb_a.txt: size and SHA-256 of each file
    tfds = {"img_align_celeba.zip": (1443490838, "46fb89443c578308acf364d7d379fe1b9efb793042c0af"
                                                 "734b6112e4fd3a8c74"),
            "list_attr_celeba.txt": (26721026, "f0e5da289d5ccf75ffe8811132694922b60f2af59256ed"
                                               "362afa03fefba324d0"),
            "list_eval_partition.txt": (2836386, "fc955bcb3ef8fbdf7d5640d9a8693a8431b5f2ee291a"
                                                 "5c1449a1549e7e073fe7")}
    assert {f.name: (f.size, f.sha256) for f in spec.files} == tfds
    for f in spec.files:
        assert f.urls and all("google" in u for u in f.urls) and "celeb_a" in f.checksum_source
    # torchvision's datasets/celeba.py, file_list (MD5)
    assert celeba.TORCHVISION_MD5 == {"img_align_celeba.zip": "00d2c5bc6d35e252742224ab0c1e8fcb",
                                      "list_attr_celeba.txt": "75e246fa4810816ffd6ee81facbd244c",
                                      "list_eval_partition.txt":
                                          "d32c9cbf5e040fd4025c592c306e6668"}


def test_attribute_names():
    a = celeba.ATTRIBUTES
    assert len(a) == len(set(a)) == 40
    assert a[0] == "5_o_Clock_Shadow" and a[-1] == "Young" and a.index("Male") == 20
    # the twelve attributes of the paper's Table 1
    table1 = ["Bangs", "Black_Hair", "Brown_Hair", "Heavy_Makeup", "High_Cheekbones", "Male",
              "Mouth_Slightly_Open", "No_Beard", "Smiling", "Wearing_Earrings",
              "Wearing_Lipstick", "Eyeglasses"]
    assert [celeba.check_attribute(t.replace("_", " ").lower()) for t in table1] == table1
    with pytest.raises(ValueError, match="unknown CelebA attribute 'Beard'; valid: 5_o_Clock"):
        celeba.check_attribute("Beard")
    assert sum(celeba.SPLIT_SIZES.values()) == celeba.N_IMAGES == 202_599


# ---------------------------------------------------------------------- offline
def test_offline_the_error_names_the_command_with_a_network(empty_cache):
    with pytest.raises(data.MissingDataError) as err:
        celeba.load_attribute("Male")
    msg = str(err.value)
    assert "python -m companion data prepare celeba --network" in msg
    for f in ("img_align_celeba.zip", "list_attr_celeba.txt", "list_eval_partition.txt"):
        assert f in msg
    assert str(empty_cache / "celeba") in msg
    assert not celeba.is_present()
    # the generic entry point says the same, and prepare offline downloads nothing
    with pytest.raises(data.MissingDataError, match="prepare celeba --network"):
        data.load("celeba")
    with pytest.raises(data.DataError, match="needs a download: python -m companion data "
                                             "prepare celeba --network"):
        data.prepare(["celeba"], network=False, verbose=False)
    assert not (empty_cache / "celeba").exists() or not any((empty_cache / "celeba").iterdir())


def test_bad_arguments_fail_before_any_file_is_read(empty_cache):
    with pytest.raises(ValueError, match="unknown CelebA attribute"):
        celeba.load_attribute("Moustache")
    with pytest.raises(ValueError, match="valid splits are train, valid, test, all"):
        celeba.load_attribute("Male", "validation")
    with pytest.raises(ValueError, match="side must divide"):
        celeba.load_attribute("Male", side=48)
    with pytest.raises(ValueError, match="n or n_per_class"):
        celeba.load_attribute("Male", n=3, n_per_class=2)


# ----------------------------------------------------------------------- parsers
ATTR_TEXT = ("3\n"
             "Bangs Male Smiling \n"
             "000001.jpg -1  1  1\n"
             "000002.jpg  1 -1 -1\n"
             "000003.jpg -1 -1  1\n")


def test_parse_a_tiny_attribute_file():
    names, files, values = celeba.parse_attributes(ATTR_TEXT)
    assert names == ["Bangs", "Male", "Smiling"]
    assert files == ["000001.jpg", "000002.jpg", "000003.jpg"]
    np.testing.assert_array_equal(values, [[-1, 1, 1], [1, -1, -1], [-1, -1, 1]])
    assert values.dtype == np.int8
    # bytes are read the same, blank trailing lines ignored
    assert celeba.parse_attributes(ATTR_TEXT.encode() + b"\n\n")[1] == files


@pytest.mark.parametrize("text, needle", [
    ("2\nBangs Male\n000001.jpg -1 1\n", "header says 2 images, 1 rows"),
    ("x\nBangs\n", "first line must be the number"),
    ("1\nBangs Male\n000001.jpg -1\n", "row 1 has 1 values, expected 2"),
    ("1\nBangs\n000001.jpg 0\n", "must be -1 or 1"),
    ("1\nBangs\n000001.jpg y\n", "non-integer"), ("1\n", "a count line and a header")])
def test_malformed_attribute_files_are_rejected(text, needle):
    with pytest.raises(data.DataFormatError, match=needle):
        celeba.parse_attributes(text)


def test_parse_partition():
    files, part = celeba.parse_partition("000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n")
    assert files == ["000001.jpg", "000002.jpg", "000003.jpg"] and part.tolist() == [0, 1, 2]
    with pytest.raises(data.DataFormatError, match="line 2"):
        celeba.parse_partition("000001.jpg 0\n000002.jpg 3\n")


# ------------------------------------------------------------------- downscaling
def test_downscale_crops_the_face_box_and_averages_blocks():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(218, 178, 3), dtype=np.uint8)
    out = celeba.downscale(img)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    # an independent implementation: PIL's crop (left, upper, right, lower) and box reduce
    ref = np.asarray(Image.fromarray(img).crop((25, 50, 153, 178)).reduce(2))
    assert np.abs(out.astype(int) - ref.astype(int)).max() <= 1
    # a hand-computed block: the mean of rows 50-51, columns 25-26
    assert out[0, 0, 0] == np.rint(img[50:52, 25:27, 0].mean())
    assert celeba.downscale(img, 32).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="smaller than the crop box"):
        celeba.downscale(img[:100])


# ----------------------------------------------------------- a synthetic cache
def _png(colour):
    buf = io.BytesIO()
    Image.fromarray(np.full((218, 178, 3), colour, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _fake_cache(root, monkeypatch):
    """Six faces of constant colours (PNG bytes, lossless), the 40 attributes, a partition."""
    folder = root / "celeba"
    folder.mkdir(parents=True)
    colours = [(10 * i, 255 - 10 * i, 3 * i) for i in range(6)]
    with zipfile.ZipFile(folder / "img_align_celeba.zip", "w") as z:
        for i, c in enumerate(colours):
            z.writestr(f"img_align_celeba/{i + 1:06d}.jpg", _png(c))
    male = [1, -1, 1, 1, -1, -1]
    rows = []
    for i in range(6):
        v = [-1] * 40
        v[20] = male[i]
        rows.append(f"{i + 1:06d}.jpg " + " ".join(f"{x:2d}" for x in v))
    (folder / "list_attr_celeba.txt").write_text(
        "6\n" + " ".join(celeba.ATTRIBUTES) + " \n" + "\n".join(rows) + "\n")
    (folder / "list_eval_partition.txt").write_text(
        "".join(f"{i + 1:06d}.jpg {p}\n" for i, p in enumerate([0, 0, 0, 0, 1, 2])))
    spec = REGISTRY["celeba"]
    files = []
    for f in spec.files:
        b = (folder / f.name).read_bytes()
        files.append(FileSpec(f.name, hashlib.sha256(b).hexdigest(), len(b), f.urls,
                              f.checksum_source))
    monkeypatch.setitem(REGISTRY, "celeba", replace(spec, files=tuple(files)))
    return colours, male


def test_the_loader_on_a_synthetic_cache(empty_cache, monkeypatch):
    colours, male = _fake_cache(empty_cache, monkeypatch)
    assert celeba.is_present()
    ds = celeba.load_attribute("male", "train")
    assert ds.classes == ("not Male", "Male") and len(ds) == 4
    assert ds.labels.tolist() == [1, 0, 1, 1]            # images 1-4 are the train split
    assert ds.images.shape == (4, 64, 64, 3)
    for k in range(4):                                   # constant faces stay constant
        assert (ds.images[k] == np.asarray(colours[k], np.uint8)).all()
    assert "Male" in ds.sentence and ds.provenance["split"] == "train"
    assert ds.float_images().shape == (4, 3, 64, 64)
    test = celeba.load_attribute("Male", "test", side=16)
    assert test.labels.tolist() == [0] and test.images.shape == (1, 16, 16, 3)
    # a balanced subset is drawn from the labels before decoding
    sub = celeba.load_attribute("Male", "all", n_per_class=2, seed=3)
    assert sorted(sub.labels.tolist()) == [0, 0, 1, 1]
    files, labels = celeba.attribute_labels("Male", "all")
    assert labels.tolist() == [(m + 1) // 2 for m in male] and len(files) == 6


def test_a_corrupt_file_is_never_used(empty_cache, monkeypatch):
    _fake_cache(empty_cache, monkeypatch)
    with open(empty_cache / "celeba" / "list_attr_celeba.txt", "a") as fh:
        fh.write(" ")
    with pytest.raises(data.ChecksumError, match="list_attr_celeba.txt"):
        celeba.load_attribute("Male")


def test_generic_load_points_to_the_attribute_loader():
    """CelebA has no whole-dataset reader: data.load names the loader to use instead."""
    from companion.data import core

    spec = core.REGISTRY["celeba"]
    with pytest.raises(core.DataError, match="load_attribute"):
        core._read(spec, "test")
