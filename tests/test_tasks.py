"""The task engine on this machine: declarations, plans, states, local workers, failures,
interruptions, checksums, epoch-boundary resume, estimates and the CLI (tiny tasks, ms each).
The Dask cluster tests are in tests/test_tasks_dask.py."""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from companion import artifacts, catalogue, cli, integrity, tasks
from companion.training import (EpochCheckpoint, PGDObjective, TrainConfig, train,
                                weights_digest)

sys.path.insert(0, str(Path(__file__).parent))
import task_fixtures as fx  # noqa: E402

NB = "fawzi-theorem1"  # any catalogue notebook: the tasks below are declared for it


def model_task(name, seed=0, epochs=2, n=48, deps=(), function="task_fixtures:tiny_model",
               notebooks=(NB,), **extra):
    key = {"seed": seed, "epochs": epochs, "n": n, **extra}
    return tasks.Task(name, function, keys={"ci": key, "paper": {**key, "epochs": epochs + 1}},
                      notebooks=notebooks, deps=deps,
                      work={"ci": tasks.Work(epochs * n, "examples", "tiny", cpu=1e4, gpu=1e6)})


def preds_task(name, model, seed=0):
    return tasks.Task(name, "task_fixtures:predictions", keys={"ci": {"model": model, "seed": seed}},
                      notebooks=(NB,), deps=(model,), kind="arrays")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    d = tmp_path / "artifacts"
    monkeypatch.setenv("COMPANION_ARTIFACTS_DIR", str(d))
    monkeypatch.setenv("COMPANION_ROOT", str(Path(__file__).resolve().parents[1]))
    monkeypatch.delenv("COMPANION_PARTIAL_DIR", raising=False)
    return d


def lines():
    out = []
    return out, out.append


# --------------------------------------------------------------------------- declarations
def test_declarations_are_checked():
    with pytest.raises(tasks.TaskError, match="module:function"):
        tasks.Task("a", "no_colon", keys={"ci": {}})
    with pytest.raises(tasks.TaskError, match="file-name-safe"):
        tasks.Task("a/b", "m:f", keys={"ci": {}})
    with pytest.raises(tasks.TaskError, match="JSON"):
        tasks.Task("a", "m:f", keys={"ci": {"x": object()}})
    with pytest.raises(tasks.TaskError, match="without a key"):
        tasks.Task("a", "m:f", keys={"ci": {}}, work={"paper": tasks.Work(1)})
    with pytest.raises(tasks.TaskError, match="kind"):
        tasks.Task("a", "m:f", keys={"ci": {}}, kind="pickle")
    with tasks.isolated_registry([model_task("a")]):
        tasks.register(model_task("a"))  # the same declaration twice is fine
        with pytest.raises(tasks.TaskError, match="twice"):
            tasks.register(model_task("a", seed=1))
        with pytest.raises(tasks.TaskError, match="unknown task"):
            tasks.get("zzz")


def test_plan_orders_dependencies_and_rejects_cycles_and_unknown_ones(cache):
    m, p = model_task("m"), preds_task("p", "m")
    with tasks.isolated_registry([p, m]):
        assert [x.name for x in tasks.plan(["p"], "ci")] == ["m", "p"]
        planned = tasks.tasks_for([NB], "ci")
        assert [x.name for x in planned] == ["m", "p"]
        assert planned[0].path == artifacts.artifact_path("m", m.keys["ci"], "model")
        assert planned[1].path.suffix == ".npz"
        assert tasks.tasks_for(["fawzi-theorem2"], "ci") == []
        assert [x.name for x in tasks.tasks_for([], "paper")] == ["m"]  # p has no paper key
        with pytest.raises(catalogue.CatalogueError, match="unknown notebook"):
            tasks.tasks_for(["no-such-notebook"], "ci")
        with pytest.raises(catalogue.CatalogueError, match="profile"):
            tasks.tasks_for([NB], "huge")
    with tasks.isolated_registry([model_task("a", deps=("b",)), model_task("b", deps=("a",))]):
        with pytest.raises(tasks.TaskError, match="cycle: a -> b -> a"):
            tasks.plan(["a"], "ci")
    with tasks.isolated_registry([model_task("a", deps=("ghost",))]):
        with pytest.raises(tasks.TaskError, match="ghost"):
            tasks.plan(["a"], "ci")
    with tasks.isolated_registry([model_task("a", notebooks=("no-such-nb",))]):
        with pytest.raises(tasks.TaskError, match="no-such-nb"):
            tasks.tasks_for([], "ci")


def test_a_provider_declares_tasks_lazily_when_tasks_are_first_planned(monkeypatch):
    from companion.tasks import core

    with tasks.isolated_registry():
        monkeypatch.setattr(core, "_PROVIDERS", [])
        monkeypatch.setattr(core, "_LOADED", False)
        tasks.register_provider("task_fixtures:provide")
        assert "provided" not in core._REGISTRY  # nothing called yet
        assert [p.name for p in tasks.tasks_for(["fawzi-theorem2"], "ci")] == ["provided"]
        with pytest.raises(tasks.TaskError, match="module:function"):
            tasks.register_provider("not a function")


# --------------------------------------------------------------------------- engine, locally
def test_a_task_writes_the_file_cached_model_loads_bit_identical_to_the_notebook_path(cache, tmp_path):
    t = model_task("clf")
    key = t.keys["ci"]
    with tasks.isolated_registry([t]):
        planned = tasks.tasks_for([NB], "ci")
        assert tasks.state_of(planned[0]) == "missing"
        out, echo = lines()
        rep = tasks.train(planned, jobs=1, echo=echo)
        assert rep.trained == ["clf"] and tasks.state_of(planned[0]) == "cached"
        assert sum(l.startswith("[") for l in out) == 1  # one progress line per task
        assert integrity.is_verified(planned[0].path)
    # the notebook path (cached_model) loads it without training...
    X, Y = fx.data(key)
    fit_calls = []

    def fit(model):
        fit_calls.append(1)
        train(model, X, Y, fx.config(key))
        return {}

    model, meta = artifacts.cached_model("clf", key, fx.maker(key), fit, verbose=False)
    assert meta["cached"] and not fit_calls and meta["key"] == key
    # ...and trains bit-identical weights when it has to, in another cache
    other, meta2 = artifacts.cached_model("clf", key, fx.maker(key), fit, tmp_path / "elsewhere",
                                          verbose=False)
    assert fit_calls and not meta2["cached"]
    assert weights_digest(other) == weights_digest(model) == meta["weights_sha256"]


def test_local_grid_on_two_workers_with_a_dependency_then_nothing_to_do(cache):
    grid = [model_task(f"m{i}", seed=i) for i in range(3)] + [preds_task("p", "m0")]
    with tasks.isolated_registry(grid):
        planned = tasks.tasks_for([NB], "ci")
        out, echo = lines()
        t0 = time.perf_counter()
        rep = tasks.train(planned, jobs=2, echo=echo)
        print(f"local grid, 2 worker processes: {time.perf_counter() - t0:.1f} s")
        assert sorted(rep.trained) == ["m0", "m1", "m2", "p"] and rep.ok
        assert [tasks.state_of(p) for p in planned] == ["cached"] * 4
        assert "2 local worker process(es), 1 thread(s) each" in out[0]
        # the arrays of p were computed from m0 as stored
        m0 = artifacts.read_checkpoint(artifacts.read_artifact(planned[0].path), fx.maker(grid[0].keys["ci"])())[0]
        arrays = artifacts.load_arrays(artifacts.read_artifact(planned[-1].path, "arrays"))
        z = torch.rand(8, 1, 4, 4, generator=torch.Generator().manual_seed(0))
        assert torch.equal(torch.as_tensor(arrays["logits"]), m0(z).detach())
        out2, echo2 = lines()
        assert tasks.train(planned, jobs=2, echo=echo2).cached == ["m0", "m1", "m2", "p"]
        assert out2 == ["tasks: all 4 cached, nothing to train"]


def test_a_failing_task_names_task_and_key_and_the_others_finish(cache):
    grid = [model_task("good"), model_task("bad", function="task_fixtures:failing"),
            preds_task("after-bad", "bad"), preds_task("after-good", "good")]
    with tasks.isolated_registry(grid):
        planned = tasks.tasks_for([NB], "ci")
        out, echo = lines()
        with pytest.raises(tasks.TrainFailed) as err:
            tasks.train(planned, jobs=0, echo=echo)
        msg = str(err.value)
        bad = next(p for p in planned if p.name == "bad")
        assert "task bad (profile ci, key " + bad.digest in msg
        assert '"epochs": 2' in msg and "ValueError: deliberate failure of bad" in msg
        rep = err.value.report
        assert sorted(rep.trained) == ["after-good", "good"]
        assert rep.failed == ["bad"] and rep.skipped == ["after-bad"]
        assert any("skipped" in l and "after-bad" in l for l in out)
        states = {p.name: tasks.state_of(p) for p in planned}
        assert states == {"good": "cached", "bad": "missing", "after-bad": "missing",
                          "after-good": "cached"}
        assert not list(cache.glob("bad-*.pt"))  # nothing half-written


def test_a_task_that_asks_the_cache_for_itself_fails_instead_of_deadlocking(cache):
    with tasks.isolated_registry([model_task("selfish", function="task_fixtures:recursive")]):
        with pytest.raises(tasks.TrainFailed, match="ctx.train_model"):
            tasks.train(tasks.tasks_for([NB], "ci"), jobs=0, echo=lambda line: None)


def test_an_interrupted_train_loses_only_the_task_in_flight(cache):
    grid = [model_task("first"), model_task("stop", function="task_fixtures:interrupting"),
            model_task("last", deps=("stop",))]
    with tasks.isolated_registry(grid):
        planned = tasks.tasks_for([NB], "ci")
        with pytest.raises(KeyboardInterrupt):
            tasks.train(planned, jobs=0, echo=lambda line: None)
        assert [tasks.state_of(p) for p in planned] == ["cached", "missing", "missing"]
        assert not artifacts.is_locked(planned[1].path)  # its lock was released


def test_a_dead_local_worker_is_replaced_and_its_task_retried(cache, tmp_path):
    t = model_task("phoenix", function="task_fixtures:dies_once", marker=str(tmp_path / "died"))
    with tasks.isolated_registry([t]):
        out, echo = lines()
        rep = tasks.train(tasks.tasks_for([NB], "ci"), jobs=1, echo=echo)
        assert rep.trained == ["phoenix"] and any("retry" in l for l in out)


def test_a_task_locked_by_another_process_is_running_and_waited_for(cache):
    t = model_task("busy")
    with tasks.isolated_registry([t]):
        planned = tasks.tasks_for([NB], "ci")
        lock = artifacts.ArtifactLock(planned[0].path)
        assert lock.acquire(blocking=False)
        assert tasks.state_of(planned[0]) == "running"
        # the holder (e.g. a notebook) stores it, then releases; train waits, then finds it cached
        import threading

        def finish():
            time.sleep(0.3)
            res = tasks.run_task(tasks.TaskCall("busy", "ci", planned[0].key, planned[0].digest,
                                                t.function, "model"))
            artifacts.store(planned[0].path, res.artifact.data, res.artifact.sha256, lock=lock)
            lock.release()

        th = threading.Thread(target=finish)
        th.start()
        out, echo = lines()
        rep = tasks.train(planned, jobs=0, echo=echo, poll=0.05)
        th.join()
        assert rep.elsewhere == ["busy"] and not rep.trained
        assert any("waiting" in l for l in out)


# --------------------------------------------------------------------------- checksums
def test_a_corrupt_checkpoint_is_detected_and_retrained_never_loaded(cache):
    t = model_task("fragile")
    with tasks.isolated_registry([t]):
        planned = tasks.tasks_for([NB], "ci")
        tasks.train(planned, jobs=0, echo=lambda line: None)
        path = planned[0].path
        good = path.read_bytes()
        data = bytearray(good)
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        assert tasks.state_of(planned[0]) == "missing"
        # the notebook path retrains instead of loading it
        key = t.keys["ci"]
        X, Y = fx.data(key)
        calls = []

        def fit(model):
            calls.append(1)
            train(model, X, Y, fx.config(key))
            return {}

        model, meta = artifacts.cached_model("fragile", key, fx.maker(key), fit, verbose=False)
        assert calls and not meta["cached"]
        assert path.with_name(path.name + ".corrupt").exists()
        assert integrity.is_verified(path)
        # a truncated (partial) file: the engine retrains it
        path.write_bytes(good[:100])
        rep = tasks.train(planned, jobs=0, echo=lambda line: None)
        assert rep.trained == ["fragile"] and integrity.is_verified(path)
    from companion.training import load_checkpoint

    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(ValueError, match="checksum"):  # load_checkpoint refuses it as well
        load_checkpoint(path, fx.maker(key)())


def test_cached_arrays_are_checksummed(cache):
    calls = []

    def compute():
        calls.append(1)
        return {"a": torch.arange(5).numpy()}

    artifacts.cached_arrays("arr", {"k": 1}, compute)
    path = artifacts.artifact_path("arr", {"k": 1}, "arrays")
    assert integrity.is_verified(path)
    path.write_bytes(path.read_bytes()[:-3])
    assert list(artifacts.cached_arrays("arr", {"k": 1}, compute)["a"]) == [0, 1, 2, 3, 4]
    assert len(calls) == 2


def test_a_file_cached_before_checksums_is_adopted_if_it_loads(cache):
    key = {"seed": 0, "epochs": 1, "n": 16}
    model = fx.maker(key)()
    path = artifacts.artifact_path("old", key)
    path.parent.mkdir(parents=True)
    from companion.training import checkpoint_bytes

    path.write_bytes(checkpoint_bytes(model, meta={"key": key, "train_seconds": 1.0}))
    assert artifacts.is_cached(path) and integrity.is_verified(path)
    broken = artifacts.artifact_path("old2", key)
    broken.write_bytes(b"PK\x03\x04 not a checkpoint")
    assert not artifacts.is_cached(broken)


# --------------------------------------------------------------------------- resume
class _Stop(Exception):
    pass


def test_train_resumes_at_an_epoch_boundary_bit_identical(tmp_path):
    key = {"seed": 3, "epochs": 4, "n": 48}
    X, Y = fx.data(key)
    cfg = TrainConfig(epochs=4, batch_size=16, seed=3, progress=False, lr_milestones=(2,))
    obj = PGDObjective(eps=0.1, steps=2)  # random starts: the global RNG state matters
    ref = fx.maker(key)()
    train(ref, X, Y, cfg, obj)

    calls = [0]

    class Interrupting(PGDObjective):
        def __call__(self, model, x, y):
            calls[0] += 1
            if calls[0] == 8:  # in epoch 3 (3 batches per epoch)
                raise _Stop
            return super().__call__(model, x, y)

    ck = tmp_path / "resume.pt"
    with pytest.raises(_Stop):
        train(fx.maker(key)(), X, Y, cfg, Interrupting(eps=0.1, steps=2), checkpoint=ck)
    assert integrity.is_verified(ck)
    resumed = fx.maker(key)()
    res = train(resumed, X, Y, cfg, Interrupting(eps=0.1, steps=2), checkpoint=ck)
    assert calls[0] == 8 + 6  # 8 calls up to the interruption in epoch 2; epochs 2-3 again
    assert weights_digest(resumed) == weights_digest(ref) and len(res.history) == 4
    # a corrupt resume checkpoint is ignored: training starts afresh (and ends the same)
    ck.write_bytes(ck.read_bytes()[:-10])
    fresh = fx.maker(key)()
    calls[0] = 100
    train(fresh, X, Y, cfg, Interrupting(eps=0.1, steps=2), checkpoint=ck)
    assert calls[0] == 112 and weights_digest(fresh) == weights_digest(ref)
    # a checkpoint written for other settings is not resumed from
    other = EpochCheckpoint(ck, {"something": "else"})
    assert other.load() is None


def test_train_gan_resumes_at_an_epoch_boundary_bit_identical(tmp_path):
    from companion.generative import DCGANDiscriminator, DCGANGenerator, train_gan

    X = torch.rand(48, 1, 28, 28, generator=torch.Generator().manual_seed(0))

    def nets():
        torch.manual_seed(0)
        return DCGANGenerator(100, 1, 28, width=4), DCGANDiscriminator(1, 28, width=4)

    G, D = nets()
    train_gan(G, D, X, epochs=3, batch_size=16, seed=0, progress=False)
    calls = [0]

    class Flaky(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            calls[0] += 1
            if calls[0] == 3 * 3 * 2 + 1:  # 3 calls per step, 3 steps per epoch: in epoch 2
                raise _Stop
            return self.inner(x)

    ck = tmp_path / "gan.pt"
    G1, D1 = nets()
    with pytest.raises(_Stop):
        train_gan(G1, Flaky(D1), X, epochs=3, batch_size=16, seed=0, progress=False, checkpoint=ck)
    G2, D2 = nets()
    train_gan(G2, Flaky(D2), X, epochs=3, batch_size=16, seed=0, progress=False, checkpoint=ck)
    assert calls[0] == 18 + 1 + 9
    assert weights_digest(G2) == weights_digest(G)


def test_a_task_resumes_from_its_checkpoint_on_the_worker(cache, tmp_path):
    t = model_task("resumable", function="task_fixtures:killable", epochs=4,
                   pid_file=str(tmp_path / "pid"))
    (tmp_path / "pid").write_text("no wait")
    with tasks.isolated_registry([t]):
        planned = tasks.tasks_for([NB], "ci")
        p = planned[0]
        ckpath = artifacts.resume_path(p.name, p.key)
        # a checkpoint after epoch 2, as an interrupted run leaves it
        X, Y = fx.data(p.key)
        per_epoch = math.ceil(p.key["n"] / fx.BATCH)
        with pytest.raises(_Stop):
            n = [0]

            def objective(model, x, y):
                n[0] += 1
                if n[0] > 2 * per_epoch:
                    raise _Stop
                return torch.nn.functional.cross_entropy(model(x), y)

            objective.__qualname__ = "killable.<locals>.objective"
            objective.__module__ = "task_fixtures"
            train(fx.maker(p.key)(), X, Y, fx.config(p.key), objective, checkpoint=ckpath)
        assert ckpath.exists()
        tasks.train(planned, jobs=0, echo=lambda line: None)
        meta = artifacts.read_checkpoint(artifacts.read_artifact(p.path), fx.maker(p.key)())[1]["meta"]
        assert meta["batches_here"] == 2 * per_epoch  # only epochs 3 and 4 were trained
        assert not ckpath.exists() and not integrity.sidecar(ckpath).exists()
        ref = fx.maker(p.key)()
        train(ref, X, Y, fx.config(p.key))
        assert meta["weights_sha256"] == weights_digest(ref)


# --------------------------------------------------------------------------- estimates, CLI
def test_estimates_use_measured_throughput_after_a_run(cache):
    t = model_task("timed")
    with tasks.isolated_registry([t]):
        planned = tasks.tasks_for([NB], "ci")
        e = tasks.estimate(planned[0], {})
        assert e["here"] == pytest.approx(96 / 1e4) and not e["here_measured"]
        assert e["gpu"] == pytest.approx(96 / 1e6)
        tasks.train(planned, jobs=0, echo=lambda line: None)
        rates = tasks.read_rates()
        assert rates["tiny"] and all(k.startswith("cpu@") for k in rates["tiny"])
        assert tasks.estimate(planned[0])["here_measured"]
        text = tasks.table(planned)
        assert "timed" in text and "cached" in text and NB in text
        md = tasks.plan_markdown(tasks.tasks_for([NB], "paper"), group=lambda p: "Chapter X")
        assert "**Chapter X**" in md and "GPU-hours" in md and "--scheduler" in md
        assert "| `timed` |" in md


def test_cli_tasks_and_train(cache, capsys):
    grid = [model_task("cli-a"), preds_task("cli-b", "cli-a")]
    with tasks.isolated_registry(grid):
        assert cli.main(["tasks", NB]) == 0
        out = capsys.readouterr().out
        assert "cli-a" in out and "missing" in out and "cli-b" in out
        assert cli.main(["train", "fawzi/theorem1", "--jobs", "1"]) == 0  # named as its file
        out = capsys.readouterr().out
        assert "[1/2] trained  cli-a" in out and "[2/2] trained  cli-b" in out
        assert cli.main(["tasks", NB, "--markdown"]) == 0
        assert "| `cli-b` |" in capsys.readouterr().out
        assert cli.main(["train", "no-such-notebook"]) == 2
        assert "unknown notebook" in capsys.readouterr().err
        assert cli.main(["train", NB, "--jobs", "0"]) == 2
    with tasks.isolated_registry([model_task("cli-bad", function="task_fixtures:failing")]):
        assert cli.main(["train", NB]) == 1
        err = capsys.readouterr().err
        assert "task cli-bad (profile ci, key" in err and "deliberate failure" in err


def test_cli_train_with_a_scheduler_that_does_not_answer_fails_fast_and_writes_nothing(cache, capsys):
    import socket

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tasks.isolated_registry([model_task("remote")]):
        t0 = time.perf_counter()
        rc = cli.main(["train", NB, "--scheduler", f"tcp://127.0.0.1:{port}", "--connect-timeout", "2"])
        took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert rc == 2 and took < 8, took
    assert "no Dask scheduler answers" in err and f"127.0.0.1:{port}" in err
    assert not cache.exists() or not [f for f in cache.rglob("*") if f.is_file() and f.suffix != ".lock"]
