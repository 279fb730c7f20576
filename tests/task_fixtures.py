"""Tiny task functions for tests/test_tasks*.py, importable by name (``task_fixtures:...``) on
local and cluster worker processes. Each trains for a few milliseconds."""
from __future__ import annotations

import math
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from companion.training import TrainConfig, train

BATCH = 16


def data(key: dict):
    g = torch.Generator().manual_seed(key["seed"] + 7)
    X = torch.rand(key["n"], 1, 4, 4, generator=g)
    Y = (X.flatten(1).sum(1) > 8).long()
    return X, Y


def maker(key: dict):
    def make():
        torch.manual_seed(key["seed"])
        return nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(8, 2))
    return make


def config(key: dict) -> TrainConfig:
    return TrainConfig(epochs=key["epochs"], batch_size=BATCH, seed=key["seed"], progress=False)


def tiny_model(ctx):
    """A small classifier trained with companion.training.train (resumable)."""
    X, Y = data(ctx.key)

    def fit(model, checkpoint=None):
        r = train(model, X, Y, config(ctx.key), checkpoint=checkpoint)
        return {"loss": r.history[-1]["loss"]}

    return ctx.train_model(maker(ctx.key), fit)


def predictions(ctx):
    """Arrays that depend on a model task (named in the key): its logits on fixed inputs."""
    dep = ctx.dep(ctx.key["model"])
    model = dep.load_model(maker(dep.meta["key"])())
    z = torch.rand(8, 1, 4, 4, generator=torch.Generator().manual_seed(ctx.key["seed"]))
    with torch.no_grad():
        logits = model(z)
    return {"logits": logits.numpy(), "pred": logits.argmax(1).numpy()}


def failing(ctx):
    raise ValueError(f"deliberate failure of {ctx.name}")


def interrupting(ctx):
    raise KeyboardInterrupt  # as Ctrl-C in the middle of a task


def killable(ctx):
    """Trains ``epochs`` epochs with epoch checkpoints. Unless ``key["pid_file"]`` exists, the
    first batch after two epochs writes this process's pid there and waits to be killed; the
    retry (the file exists) resumes after epoch 2. ``batches_here`` counts the batches this
    attempt trained."""
    X, Y = data(ctx.key)
    pid_file = Path(ctx.key["pid_file"])
    per_epoch = math.ceil(ctx.key["n"] / BATCH)
    calls = [0]

    def objective(model, x, y):
        calls[0] += 1
        if not pid_file.exists() and calls[0] == 2 * per_epoch + 1:
            pid_file.write_text(str(os.getpid()))
            time.sleep(60)  # killed here by the test
        return F.cross_entropy(model(x), y)

    def fit(model, checkpoint=None):
        train(model, X, Y, config(ctx.key), objective, checkpoint=checkpoint)
        return {"batches_here": calls[0]}

    return ctx.train_model(maker(ctx.key), fit)


def dies_once(ctx):
    """The first attempt kills its own worker process (no Python cleanup); the retry trains."""
    marker = Path(ctx.key["marker"])
    if not marker.exists():
        marker.write_text("died")
        os._exit(3)
    return tiny_model(ctx)


def provide():
    """A task provider (see companion.tasks.register_provider)."""
    from companion import tasks

    key = {"seed": 5, "epochs": 1, "n": 16}
    return [tasks.Task("provided", "task_fixtures:tiny_model", keys={"ci": key},
                       notebooks=("fawzi-theorem2",))]


def recursive(ctx):
    """Wrong: asks the cache for its own artifact instead of ctx.train_model."""
    from companion import artifacts

    X, Y = data(ctx.key)
    return artifacts.cached_model(ctx.name, ctx.key, maker(ctx.key),
                                  lambda m: {"n": len(X)}, verbose=False)
