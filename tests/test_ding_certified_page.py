"""The certified-robustness page of the Ding et al. chapter (Section 2.2, Appendix B.2).

* the declared tasks fill exactly the cache files the page loads (keys captured from the
  page's own calls, compared by digest);
* :func:`unstable_counts` on a hand-built network, with and without the box (closed form);
* the rates of :class:`Evaluation` on arrays whose answers are counted by hand;
* :func:`compute_evaluation` on a small key: shapes, and the orderings every sound evaluation
  must satisfy (CROWN never looser than IBP, a certified image never broken by PGD);
* bad input is rejected before anything is computed.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from companion import data, tasks
from companion.artifacts import key_digest
from companion.chapters.ding import certified as dc

torch.set_num_threads(1)


def _captured_keys(monkeypatch, profile):
    """The (name, key) pairs that the page's calls pass to the cache, nothing computed."""
    seen = {}

    def fake_model(name, key, make, fit, **kw):
        seen[name] = ("model", key)
        return None, {}

    def fake_arrays(name, key, compute, **kw):
        seen[name] = ("arrays", key)
        return {}

    monkeypatch.setattr(dc, "cached_model", fake_model)
    monkeypatch.setattr(dc, "cached_arrays", fake_arrays)
    for variant in dc.VARIANTS:
        dc.model(profile, variant)
        dc.evaluate(profile, variant)
    return seen


@pytest.mark.parametrize("profile", ["ci", "paper"])
def test_declared_keys_equal_the_keys_the_page_uses(monkeypatch, profile):
    declared = {t.name: t for t in dc.declare_tasks()}
    seen = _captured_keys(monkeypatch, profile)
    assert len(seen) == 4
    for name, (kind, key) in seen.items():
        assert name in declared, f"{name} is loaded by the page but not declared"
        task = declared[name]
        assert task.kind == kind
        assert key_digest(task.keys[profile]) == key_digest(key), (name, profile)
    for variant in dc.VARIANTS:  # each evaluation depends on its own model
        name = dc.model_name(dc.model_key(profile, variant))
        assert declared["eval-" + name].deps == (name,)


def test_the_chapter_declares_the_tasks_for_the_page():
    names = {p.task.name for p in tasks.tasks_for(["ding-certified"], "ci")}
    assert {"ding-certified-binarized", "ding-certified-original",
            "eval-ding-certified-binarized", "eval-ding-certified-original"} <= names


def test_profiles_follow_appendix_b2():
    paper = dc.model_key("paper", "binarized")
    # Appendix B.2: 100 epochs of batch 50, eps 0.01 -> 0.3 over the first 50, Adam 1e-3
    assert (paper["epochs"], paper["batch"], paper["lr"]) == (100, 50, 1e-3)
    assert (paper["eps_start"], paper["eps"]) == (0.01, 0.3)
    assert paper["epochs"] * paper["warmup_fraction"] == 50
    ci = dc.model_key("ci", "original")
    assert ci["eps"] == 0.3 and ci["batch"] == 50 and ci["method"] in ("ibp", "crown-ibp")
    assert dc.eval_key("ci", ci)["eps"] == 0.3


def test_data_sizes_are_those_of_the_offline_digits():
    assert len(data.load(dc.DATASET, "train")) == dc.N_TRAIN
    assert len(data.load(dc.DATASET, "test")) == dc.eval_key("ci", dc.model_key(
        "ci", "binarized"))["n"]


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="smooth-2.*binarized"):
        dc.model_key("ci", "smooth-2")
    with pytest.raises(ValueError, match="'gpu'.*ci"):
        dc.model_key("gpu", "original")
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    with pytest.raises(ValueError, match="method"):
        dc.unstable_counts(net, torch.zeros(1, 2), 0.1, "lp")
    with pytest.raises(ValueError, match="eps"):
        dc.unstable_counts(net, torch.zeros(1, 2), -0.1)
    with pytest.raises(ValueError, match="method"):
        _hand_evaluation().certified("lp")


# --------------------------------------------------------------------------- unstable ReLUs
def _diagonal_net(bias):
    """relu(x + b) per coordinate, then the sum: pre-activations are x_i + b_i exactly."""
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        net[1].weight.copy_(torch.eye(2))
        net[1].bias.copy_(torch.tensor(bias))
        net[3].weight.fill_(1.0)
        net[3].bias.zero_()
    return net


def test_unstable_counts_by_hand():
    net = _diagonal_net([-0.5, -0.05])
    # x = (0.5, 0): z1 = x1 - 0.5 in [-0.1, 0.1] (unstable); x2 in [0, 0.1] with the box, so
    # z2 in [-0.05, 0.05] (unstable); x = (1, 0): z1 in [0.4, 0.5] (stable), z2 unstable
    X = torch.tensor([[0.5, 0.0], [1.0, 0.0]])
    assert dc.unstable_counts(net, X, 0.1).tolist() == [[2], [1]]
    net = _diagonal_net([-0.5, 0.05])
    # z2 = x2 + 0.05: in [0.05, 0.15] inside the box (stable), [-0.05, 0.15] without it
    assert dc.unstable_counts(net, X, 0.1).tolist() == [[1], [0]]
    assert dc.unstable_counts(net, X, 0.1, box=None).tolist() == [[2], [1]]
    assert dc.unstable_counts(net, X, 0.0).tolist() == [[0], [0]]
    # one layer of ReLUs after one linear layer: CROWN cannot tighten it (IBP is exact there)
    assert dc.unstable_counts(net, X, 0.1, "crown", box=None).tolist() == [[2], [1]]


# --------------------------------------------------------------------------- Evaluation rates
def _hand_evaluation():
    """Six images, two classes of margins (K = 3, so two margins each)."""
    labels = np.array([0, 1, 2, 0, 1, 2])
    clean = np.array([0, 1, 2, 0, 2, 2])          # image 4 misclassified
    ibp = np.array([[1, 2], [0.5, -1], [1, 1], [-0.1, 3], [1, 1], [2, 2]], np.float32)
    crown = np.array([[1, 2], [0.5, 0.2], [1, 1], [0.1, 3]], np.float32)  # first four
    pgd = np.array([0, 0, 2, 0, 2, 1])             # image 1 and 5 broken by PGD
    cibp = ibp.copy()
    cibp[3] = [0.2, 3]                             # CROWN-IBP certifies image 3 as well
    arrays = {"labels": labels, "clean": clean, "ibp_margins": ibp, "cibp_margins": cibp,
              "crown_margins": crown,
              "pgd": pgd, "unstable_ibp": np.array([[1, 2, 0]] * 6),
              "unstable_crown": np.array([[1, 0, 0]] * 4),
              "sweep_eps": np.array([0.1, 0.3]),
              "sweep_ibp": np.array([[1, 1, 1, 1, 0, 1], [1, 0, 1, 0, 0, 0]], bool),
              "sweep_pgd": np.array([[0, 1, 2, 0], [1, 0, 2, 0]]),
              "seconds_parts": np.array(["ibp", "crown"]), "seconds": np.array([0.5, 2.0])}
    return dc.Evaluation({"eps": 0.3}, arrays)


def test_evaluation_rates_by_hand():
    ev = _hand_evaluation()
    assert ev.n == 6 and ev.crown_n == 4 and ev.eps == 0.3
    assert ev.clean_error == pytest.approx(1 / 6)
    # IBP certifies images 0, 2, 5 (1 and 3 have a non-positive margin, 4 is misclassified)
    assert ev.certified("ibp").tolist() == [True, False, True, False, False, True]
    assert ev.certified_error("ibp") == pytest.approx(0.5)
    assert ev.certified_error("ibp", subset=4) == pytest.approx(0.5)
    assert ev.certified("crown-ibp").tolist() == [True, False, True, True, False, True]
    assert ev.certified_error("crown-ibp") == pytest.approx(2 / 6)
    assert ev.certified("crown").tolist() == [True, True, True, True]
    assert ev.certified_error("crown") == 0.0
    # broken: 4 (clean), 1 and 5 (PGD)
    assert ev.broken.tolist() == [False, True, False, False, True, True]
    assert ev.pgd_error == pytest.approx(0.5)
    assert ev.certified_but_broken("ibp") == 1       # image 5
    assert ev.certified_but_broken("crown") == 1     # image 1
    assert ev.tighter_than_ibp("crown") == pytest.approx(0.0)
    assert ev.tighter_than_ibp("crown-ibp") == pytest.approx(0.0)
    assert ev.unstable("ibp").tolist() == [3] * 6
    s = ev.sweep()
    assert (s["n_ibp"], s["n_pgd"]) == (6, 4)
    assert s["ibp"].tolist() == pytest.approx([1 / 6, 4 / 6])
    # eps 0.1: image 1 predicted right (1); eps 0.3: image 0 broken (1 != 0), 1 broken (0 != 1)
    assert s["pgd"].tolist() == pytest.approx([0.0, 0.5])
    # image 0 is certified at eps 0.3 (sweep) but broken there: one contradiction
    assert ev.sweep_certified_but_broken() == 1
    assert ev.seconds == {"ibp": 0.5, "crown": 2.0}


def test_ordering_and_tolerance_by_hand():
    ev = _hand_evaluation()                       # CROWN-IBP certified error 1/3
    a = dict(ev.arrays, cibp_margins=np.ones((6, 2), np.float32))  # all correct ones: 1/6
    o = dc.ordering({"binarized": dc.Evaluation(ev.key, a), "original": ev})
    se = np.sqrt((1 / 6) * (5 / 6) / 6 + (1 / 3) * (2 / 3) / 6)
    assert o["difference"] == pytest.approx(1 / 6) and o["se"] == pytest.approx(se)
    assert o["ok"] is False                       # 1/6 is less than 3 standard errors
    assert dc.ordering({"binarized": dc.Evaluation(ev.key, a), "original": ev}, z=0.5)["ok"]
    # 3 sqrt(p (1 - p) (1/n + 1/m)) with p = 0.5, n = m = 100: 3 * 0.5 * sqrt(0.02)
    assert dc.sampling_tolerance(0.5, 100, 100) == pytest.approx(1.5 * np.sqrt(0.02))
    with pytest.raises(ValueError, match="rate"):
        dc.sampling_tolerance(1.5, 100)


# --------------------------------------------------------------------------- a small evaluation
def test_compute_evaluation_on_a_small_key():
    mkey = dc.model_key("ci", "binarized")
    ekey = dict(dc.eval_key("ci", mkey), n=24, crown_n=6, sweep=[0.1, 0.3], sweep_n=6,
                pgd={"steps": 5, "step_size": 0.1, "restarts": 1, "random_start": True,
                     "seed": 0})
    net = dc.make_model(mkey)
    # a few clean steps so that some images are right and certified at small eps
    X, Y = dc.ex.load_split(dc.DATASET, "train", ["binarized"], 500)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for i in range(0, 500, 50):
        opt.zero_grad()
        nn.functional.cross_entropy(net(X[i:i + 50]), Y[i:i + 50]).backward()
        opt.step()
    a = dc.compute_evaluation(net, ekey)
    assert a["ibp_margins"].shape == (24, 9) and a["crown_margins"].shape == (6, 9)
    assert a["unstable_ibp"].shape == (24, 3) and a["unstable_crown"].shape == (6, 3)
    assert a["sweep_ibp"].shape == (2, 24) and a["sweep_pgd"].shape == (2, 6)
    ev = dc.Evaluation(ekey, a)
    assert ev.tighter_than_ibp("crown") >= 0.0 and ev.tighter_than_ibp("crown-ibp") >= 0.0
    assert (a["unstable_crown"] <= a["unstable_ibp"][:6]).all()
    assert ev.certified_but_broken("ibp") == 0 and ev.certified_but_broken("crown") == 0
    assert ev.sweep_certified_but_broken() == 0
    # the sweep at the evaluation radius repeats the main certificate and attack
    j = ekey["sweep"].index(ekey["eps"])
    assert (a["sweep_ibp"][j] == ev.certified("ibp")).all()
    assert (a["sweep_pgd"][j] == a["pgd"][:6]).all()
    # certificates shrink as the radius grows (the regions are nested)
    assert (a["sweep_ibp"][1] <= a["sweep_ibp"][0]).all()


def test_box_entry_and_rows():
    box = [{"model": m, "digits": d, "box": b, "boundary_pixels": 1.0, "width_ratio": 0.5,
            "unstable_per_example": 1.0, "certified_error": 0.1 * i}
           for i, (m, d, b) in enumerate([("binarized", "binarized", True),
                                          ("binarized", "original", False)])]
    assert dc.box_entry(box, "binarized", "original", False)["certified_error"] == 0.1
    with pytest.raises(ValueError, match="no entry.*there are"):
        dc.box_entry(box, "original", "original")
    rows = dc.box_rows(box)
    assert [r["box [0, 1]"] for r in rows] == ["yes", "no"]
    assert rows[1]["digits"] == "original" and rows[1]["certified error"] == 0.1
