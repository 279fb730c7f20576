"""The Ding chapter's core: model keys, the grid, its tasks, evaluations and ordering checks."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from companion import tasks
from companion.artifacts import key_digest
from companion.chapters.ding import experiment as ex
from companion.chapters.ding import grid, results
from companion.chapters.ding import tasks as dt


# ------------------------------------------------------------------------- keys and the grid
def test_declared_keys_equal_the_keys_the_pages_use(monkeypatch):
    """Every model and evaluation a page asks for (through grid.evaluation) is a declared task
    with the same key, so `companion train` fills the files the pages load."""
    declared = {t.name: t for t in dt.declare_tasks()}
    seen = {}

    def fake_cached_arrays(name, key, compute, **kw):
        seen[name] = key
        return {"labels": np.zeros(1), "clean": np.zeros(1)}

    monkeypatch.setattr(ex, "cached_arrays", fake_cached_arrays)
    for profile in ex.PROFILES:
        seen.clear()
        for g in grid.GROUPS:
            for e in grid.group(profile, g):
                grid.evaluation(profile, e)
        assert seen
        for name, key in seen.items():
            assert name in declared, f"{name} is evaluated by a page but not declared"
            task = declared[name]
            assert key_digest(task.keys[profile]) == key_digest(key), (name, profile)
            model = task.deps[0]
            assert key_digest(declared[model].keys[profile]) == key_digest(key["model"])


def test_a_model_shared_by_groups_is_trained_once_with_the_union_of_parts():
    merged = grid.entries("ci")
    e, _ = merged[ex.model_name(ex.model_key("ci", grid.MNIST, "original", "pgd"))]
    # Table 2 (nobox, strong), capacity (train at width 0.5): one model, one evaluation
    assert set(e.parts) == {"nobox", "strong", "train"}
    assert {"ding-smoothing", "ding-volume", "ding-capacity"} <= set(e.notebooks)


def test_the_ci_grid_has_the_groups_the_pages_need():
    t2 = grid.group("ci", "table2")
    assert {e.variant for e in t2} == {("binarized",), ("original",), ("smooth-2",),
                                       ("smooth-3",), ("smooth-4",), ("smooth-5",)}
    assert {e.objective for e in t2} == {"standard", "pgd"}
    t1 = grid.group("ci", "table1")
    assert ("binarized", "scale-0.79") in {e.variant for e in t1}
    paper = grid.group("paper", "table2")
    assert len({e.variant for e in paper}) == 9


def test_keys_differ_in_everything_that_changes_the_weights():
    base = ex.model_key("ci", grid.MNIST, "original", "pgd")
    others = [ex.model_key("ci", grid.MNIST, "smooth-3", "pgd"),
              ex.model_key("ci", grid.MNIST, "original", "standard"),
              ex.model_key("ci", grid.MNIST, "original", "pgd", width=1.0),
              ex.model_key("ci", grid.MNIST, "original", "pgd", n=1000),
              ex.model_key("ci", grid.MNIST, "original", "pgd", weight_decay=0.002),
              ex.model_key("ci", grid.MNIST, "original", "pgd", seed=1),
              ex.model_key("paper", grid.MNIST, "original", "pgd")]
    digests = {key_digest(k) for k in others}
    assert key_digest(base) not in digests and len(digests) == len(others)
    # smoothing records its filter reading in the key, other variants do not
    assert ex.model_key("ci", grid.MNIST, "smooth-3", "pgd")["smoothing"] == ex.SMOOTHING
    assert base["smoothing"] is None


def test_the_profiles_carry_the_papers_recipe():
    p = ex.PROFILES["paper"]
    assert (p["batch"], p["lr"], p["max_steps"]) == (50, 1e-4, 100_000)
    assert (p["train_steps"], p["train_step_size"], p["eps"]["mnist"]) == (40, 0.01, 0.3)
    assert (p["eval_steps"], p["eval_step_size"]) == (40, 0.01)
    assert ex.eps_for("ci", "cifar10") == pytest.approx(8 / 255)


def test_every_ding_task_names_a_registered_notebook():
    plan = tasks.tasks_for(["ding-smoothing"], "ci")
    names = {p.name for p in plan}
    assert ex.model_name(ex.model_key("ci", grid.MNIST, "smooth-5", "pgd")) in names
    assert "eval-" + ex.model_name(ex.model_key("ci", grid.MNIST, "smooth-5", "pgd")) in names


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("variant, needle", [
    ("smoothed-3", "unknown variant"), ("smooth-0", "kernel size"),
    ("saturate-0", "saturation level"), ("gamma-0", "gamma must be > 0"),
    ("scale-1.5", "scale factor"), ((), "empty variant")])
def test_bad_variants_are_rejected_before_any_compute(variant, needle):
    with pytest.raises(ValueError, match=needle) as err:
        ex.model_key("ci", grid.MNIST, variant, "pgd")
    assert "original" in str(err.value)  # the message lists what is valid


@pytest.mark.parametrize("kwargs, needle", [
    (dict(profile="fast"), "unknown profile"), (dict(objective="trades"), "unknown objective"),
    (dict(dataset="svhn"), "unknown dataset"), (dict(width=0.0), "width factor"),
    (dict(eps=0.0), "eps"), (dict(eps=1.5), "eps")])
def test_bad_settings_are_rejected(kwargs, needle):
    args = dict(profile="ci", dataset=grid.MNIST, variant="original", objective="pgd")
    args.update(kwargs)
    kw = {k: args.pop(k) for k in ("width", "eps") if k in args}
    with pytest.raises(ValueError, match=needle):
        ex.model_key(args["profile"], args["dataset"], args["variant"], args["objective"], **kw)


def test_unknown_evaluation_parts_are_rejected():
    key = ex.model_key("ci", grid.MNIST, "original", "pgd")
    with pytest.raises(ValueError, match="unknown evaluation part"):
        ex.eval_key("ci", key, ("nobox", "autoattack"))


# ------------------------------------------------------------------------------ variants
def test_prepare_chains_variants_left_to_right():
    x = np.array([[[0.2, 0.7], [0.6, 0.1]]], dtype=np.float64)
    out = ex.prepare(x, ("binarized", "scale-0.5"))
    np.testing.assert_allclose(out, [[[0.25, 0.75], [0.75, 0.25]]])
    # smoothing uses the chapter's reading: a vertical s x 1 window, mirror padded
    col = np.array([[0.0], [0.0], [1.0], [0.0]])
    sm = ex.prepare(col[None], "smooth-3")[0]
    # the pixel above the 1 averages (0, 0, 1) -> 1/3; a horizontal filter would leave it 0
    assert sm[1, 0] == pytest.approx(1 / 3) and sm[2, 0] == 1.0


# ------------------------------------------------------------------------------ evaluation
def _evaluation(labels, clean, adv, adv_pred=None, **extra):
    arrays = {"labels": np.array(labels), "clean": np.array(clean), "adv": np.array(adv)}
    arrays["adv_pred"] = np.array(adv_pred if adv_pred is not None else adv)
    arrays.update({k: np.array(v) for k, v in extra.items()})
    return ex.Evaluation({}, arrays)


def test_evaluation_rates_by_hand():
    ev = _evaluation(labels=[0, 1, 2, 3], clean=[0, 1, 2, 0], adv=[0, 7, 2, 0],
                     adv_pred=[0, 7, 2, 0], adv_nobox=[0, 1, 5, 0], strong=[0, 7])
    assert ev.n == 4
    assert ev.accuracy == 0.75
    # robust: correct on the clean image AND on its PGD example: images 0 and 2
    assert ev.robust_accuracy == 0.5
    # the prediction is unchanged for images 0, 2, 3 (image 3 is wrong but stable)
    assert ev.prediction_robustness == 0.75
    assert ev.robust_accuracy_nobox == 0.5  # images 0 and 1
    assert ev.strong_robust_accuracy == 0.5 and ev.weak_on_strong_subset == 0.5


def test_compute_evaluation_on_a_tiny_model(monkeypatch):
    """A linear model on 4x4 inputs: the recorded arrays agree with direct computation, the
    prediction attack reuses the label attack where the prediction is right, and the box-free
    attack is never weaker in loss terms than it should be (it may leave [0, 1])."""
    g = torch.Generator().manual_seed(0)
    X = torch.rand(40, 1, 4, 4, generator=g)
    Y = (X.flatten(1).mean(1) > 0.5).long()

    def fake_load(dataset, split, variant="original", n=None, seed=0):
        return X[:n], Y[:n]

    monkeypatch.setattr(ex, "load_split", fake_load)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    with torch.no_grad():
        net[1].weight.copy_(torch.stack([-torch.ones(16), torch.ones(16)]) / 16)
        net[1].bias.copy_(torch.tensor([0.5, -0.5]))
    mkey = ex.model_key("ci", grid.MNIST, "original", "pgd")
    ekey = ex.eval_key("ci", mkey, ("nobox",))
    ekey["n"] = 40
    out = ex.compute_evaluation(net, ekey)
    pred = net(X).argmax(1).numpy()
    np.testing.assert_array_equal(out["clean"], pred)
    # for this linear model the worst l_inf perturbation moves every pixel by eps towards the
    # other class: an image is robust iff its mean is more than eps from 0.5 (inside the box)
    m = X.flatten(1).mean(1).numpy()
    lo = np.clip(X.flatten(1).numpy() - ekey["eps"], 0, 1).mean(1)
    hi = np.clip(X.flatten(1).numpy() + ekey["eps"], 0, 1).mean(1)
    robust_exact = np.where(m > 0.5, lo > 0.5, hi <= 0.5)
    ev = ex.Evaluation(ekey, out)
    assert ev.robust_accuracy == pytest.approx(robust_exact.mean())
    assert ev.robust_accuracy_nobox <= ev.robust_accuracy + 1e-12


# ------------------------------------------------------------------------- ordering checks
def test_trend_matches_least_squares_and_detects_falls():
    lv, r = [1, 2, 3, 4], [0.95, 0.93, 0.90, 0.86]
    t = results.trend(lv, r, 10_000)
    w = 1 / (np.array(r) * (1 - np.array(r)))
    slope = np.polyfit(lv, r, 1, w=np.sqrt(w))[0]
    assert t.slope == pytest.approx(slope)
    assert t.falls() and not t.rises()
    flat = results.trend(lv, [0.9, 0.91, 0.9, 0.905], 100)
    assert not flat.falls() and not flat.rises()
    with pytest.raises(ValueError, match="distinct levels"):
        results.trend([1, 1], [0.5, 0.6], 10)


def test_ordered_and_band_use_the_sampling_error():
    se = math.hypot(results.standard_error(0.9, 500), results.standard_error(0.85, 500))
    assert (0.9 - 0.85) > 2 * se and results.ordered([0.9, 0.85], 500)
    assert not results.ordered([0.9, 0.89], 500)
    assert results.ordered([0.5, 0.9], 500, decreasing=False)
    assert results.within_band([0.98, 0.975, 0.985], 0.01)
    assert not results.within_band([0.98, 0.96], 0.01)
    with pytest.raises(ValueError, match="rate must be in"):
        results.standard_error(1.2, 10)
