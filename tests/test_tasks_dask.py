"""The task engine on a real Dask cluster: a ``distributed.LocalCluster`` of two worker
processes started here. A grid of tiny tasks with a dependency lands in the client's cache
bit-identical to a local run; a worker killed in the middle of a task is replaced, the task
retried (resuming from its epoch checkpoint) and the cache is right; a failing task is named
with its key while the others finish. The workers never see the client's cache directory."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from companion import artifacts, integrity, tasks  # noqa: E402
from companion.training import weights_digest  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import task_fixtures as fx  # noqa: E402
from test_tasks import NB, model_task, preds_task  # noqa: E402


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two worker processes (one thread each); they inherit a worker-only artifacts directory
    and resume-checkpoint directory, and find task_fixtures on their PYTHONPATH."""
    base = tmp_path_factory.mktemp("cluster")
    mp = pytest.MonkeyPatch()
    mp.setenv("COMPANION_ARTIFACTS_DIR", str(base / "worker-artifacts"))
    mp.setenv("COMPANION_PARTIAL_DIR", str(base / "worker-partial"))
    mp.setenv("PYTHONPATH", os.pathsep.join([str(HERE), *sys.path]))
    t0 = time.perf_counter()
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.CRITICAL)
    print(f"LocalCluster with 2 worker processes up in {time.perf_counter() - t0:.1f} s")
    mp.undo()
    try:
        yield c, base
    finally:
        c.close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The client's cache (the workers were started with other directories)."""
    monkeypatch.setenv("COMPANION_ARTIFACTS_DIR", str(tmp_path / "client-cache"))
    monkeypatch.setenv("COMPANION_PARTIAL_DIR", str(tmp_path / "client-partial"))
    return tmp_path / "client-cache"


def _digests(planned):
    out = {}
    for p in planned:
        data = artifacts.read_artifact(p.path, p.kind)
        assert data is not None, p.name
        if p.kind == "model":
            model = artifacts.read_checkpoint(data, fx.maker(p.key)())[0]
            out[p.name] = weights_digest(model)
        else:
            out[p.name] = {k: v.tobytes() for k, v in artifacts.load_arrays(data).items()}
    return out


def test_a_grid_with_a_dependency_on_the_cluster_is_bit_identical_to_a_local_run(cluster, cache, tmp_path):
    c, base = cluster
    grid = [model_task("g0", seed=0), model_task("g1", seed=1, epochs=3),
            preds_task("g0-preds", "g0"), preds_task("g1-preds", "g1", seed=2)]
    with tasks.isolated_registry(grid):
        remote = tasks.tasks_for([NB], "ci", directory=cache)
        out = []
        t0 = time.perf_counter()
        rep = tasks.train(remote, scheduler=c.scheduler_address, echo=out.append, directory=cache)
        print(f"grid of 4 on the cluster: {time.perf_counter() - t0:.1f} s")
        assert sorted(rep.trained) == ["g0", "g0-preds", "g1", "g1-preds"], out
        assert "Dask scheduler" in out[0] and "2 worker(s)" in out[0]
        assert all(integrity.is_verified(p.path) for p in remote)
        local = tasks.tasks_for([NB], "ci", directory=tmp_path / "local-cache")
        tasks.train(local, jobs=0, echo=lambda line: None)
        assert _digests(remote) == _digests(local)
    # the workers wrote nothing but (now deleted) resume checkpoints: no shared filesystem needed
    assert not [f for f in (base / "worker-artifacts").rglob("*") if f.is_file()]
    assert not [f for f in (base / "worker-partial").rglob("*") if f.is_file()]


def test_a_worker_killed_in_the_middle_of_a_task_is_retried_and_the_cache_is_right(cluster, cache, tmp_path):
    c, base = cluster
    pid_file = tmp_path / "pid"
    t = model_task("victim", function="task_fixtures:killable", epochs=4, pid_file=str(pid_file))
    killed = {}

    def killer():
        deadline = time.time() + 60
        while time.time() < deadline and not pid_file.exists():
            time.sleep(0.05)
        time.sleep(0.1)
        pid = int(pid_file.read_text())
        killed["pid"] = pid
        os.kill(pid, signal.SIGKILL)

    with tasks.isolated_registry([t]):
        planned = tasks.tasks_for([NB], "ci", directory=cache)
        th = threading.Thread(target=killer, daemon=True)
        th.start()
        out = []
        t0 = time.perf_counter()
        rep = tasks.train(planned, scheduler=c.scheduler_address, echo=out.append, directory=cache)
        print(f"killed-worker task: {time.perf_counter() - t0:.1f} s")
        th.join(5)
        assert killed and rep.trained == ["victim"], out
        p = planned[0]
        data = artifacts.read_artifact(p.path)
        meta = artifacts.read_checkpoint(data, fx.maker(p.key)())[1]["meta"]
        # the retry resumed after epoch 2 (the epoch checkpoint the killed worker left)
        assert meta["batches_here"] == 2 * 3
        X, Y = fx.data(p.key)
        ref = fx.maker(p.key)()
        from companion.training import train

        train(ref, X, Y, fx.config(p.key))
        assert meta["weights_sha256"] == weights_digest(ref)
        assert integrity.is_verified(p.path)
        assert not list(cache.glob("*.tmp")) and not list(cache.glob(".*.tmp"))
    assert not [f for f in (base / "worker-partial").rglob("*") if f.is_file()]


def test_a_failing_task_on_the_cluster_is_named_and_the_others_finish(cluster, cache):
    c, _ = cluster
    grid = [model_task("ok"), model_task("broken", function="task_fixtures:failing"),
            preds_task("needs-broken", "broken"), preds_task("needs-ok", "ok")]
    with tasks.isolated_registry(grid):
        planned = tasks.tasks_for([NB], "ci", directory=cache)
        with pytest.raises(tasks.TrainFailed) as err:
            tasks.train(planned, scheduler=c.scheduler_address, echo=lambda line: None,
                        directory=cache)
        broken = next(p for p in planned if p.name == "broken")
        assert f"task broken (profile ci, key {broken.digest}" in str(err.value)
        assert "ValueError: deliberate failure of broken" in str(err.value)
        rep = err.value.report
        assert sorted(rep.trained) == ["needs-ok", "ok"] and rep.skipped == ["needs-broken"]
        assert not [f for f in cache.glob("broken-*") if f.suffix != ".lock"]  # nothing written


def test_a_scheduler_that_does_not_answer_is_a_clear_error_within_seconds(cache):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tasks.isolated_registry([model_task("unsent")]):
        planned = tasks.tasks_for([NB], "ci", directory=cache)
        t0 = time.perf_counter()
        with pytest.raises(tasks.SchedulerUnreachable, match="no Dask scheduler answers"):
            tasks.train(planned, scheduler=f"tcp://127.0.0.1:{port}", connect_timeout=2,
                        directory=cache)
        assert time.perf_counter() - t0 < 6
        with pytest.raises(tasks.SchedulerUnreachable):
            tasks.train(planned, scheduler="not an address", connect_timeout=1, directory=cache)
    assert not cache.exists() or not [f for f in cache.rglob("*") if f.suffix != ".lock"]
