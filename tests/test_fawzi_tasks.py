"""The Fawzi chapter's declared tasks fill exactly the cache files its notebooks load."""
from __future__ import annotations

import torch

from companion import tasks
from companion.artifacts import key_digest
from companion.chapters.fawzi import experiment as le
from companion.chapters.fawzi import tasks as ft


def _runtime_keys(monkeypatch, profile):
    """The keys experiment.generator / classifiers pass to cached_model (captured, not run)."""
    seen = {}

    def fake_cached_model(name, key, make, fit, **kw):
        seen[name] = key
        return None, {}

    monkeypatch.setattr(le, "cached_model", fake_cached_model)
    n = min(le.TRAINING[profile]["n_train"], 60_000)
    X = torch.zeros(n, 1, 28, 28)
    le.generator("fashion-mnist", profile, 0, X)
    le.classifiers("fashion-mnist", profile, 0, data=(X, torch.zeros(n), X[:2], torch.zeros(2),
                                                      None))
    return seen


def test_declared_keys_equal_the_keys_the_notebooks_use(monkeypatch):
    declared = {t.name: t for t in ft.declare_tasks()}
    for profile in ("ci", "paper"):
        runtime = _runtime_keys(monkeypatch, profile)
        assert runtime, "nothing captured"
        for name, key in runtime.items():
            assert name in declared, f"{name} is trained by the notebooks but not declared"
            assert key_digest(declared[name].keys[profile]) == key_digest(key), (name, profile)


def test_the_chapter_registers_its_tasks_for_its_notebooks():
    plan = tasks.tasks_for(["fawzi-experiments"], "ci")
    names = {p.task.name if hasattr(p, "task") else p.name for p in plan}
    assert {"dcgan-fashion-mnist", "lenet5-fashion-mnist", "small_cnn-fashion-mnist",
            "resnet_small-fashion-mnist"} <= names
    assert not tasks.tasks_for(["fawzi-theorem1"], "ci")  # the analytic pages train nothing


def test_the_how_to_rerun_page_includes_the_paper_profile_plan(tmp_path):
    from pathlib import Path

    from companion import cli

    target = tmp_path / "paper-tasks.md"
    cli.write_paper_plan(target)
    text = target.read_text()
    assert "`resnet101-fashion-mnist`" in text and "GPU-hours" in text
    assert "| `lenet5-fashion-mnist` | LeNet (2 conv layers) |" in text  # the paper's title
    page = (Path(__file__).resolve().parents[1] / "book" / "how-to-rerun.md").read_text()
    assert "{include} _generated/paper-tasks.md" in page
