"""Attack throughput and strength: ours (companion.attacks) against foolbox 3.3.4 and the
Adversarial Robustness Toolbox (ART), on the same frozen model, batch and thread count.

Usage:  python benchmarks/attack_benchmark.py [--width 0.5] [--batch 128] [--repeats 5]
        [--threads 2] [--attacks pgd_linf,pgd_l2,deepfool,cw] [--libs ours,foolbox,art]
        [--json results.json]

ART is optional (the test suite does not use it, so it is not in requirements.txt). Install it
next to the pinned torch without letting pip touch torch:

    .venv/bin/pip install adversarial-robustness-toolbox==1.20.1 torch==2.13.0

What makes the comparison fair:

* frozen weights for every library: ``model.requires_grad_(False)``, so no library pays for
  gradients of the weights (foolbox and ART backpropagate into every parameter that requires
  grad; ours only ever asks for the input gradient, which would flatter it);
* the same model object in ``eval()`` mode, the same batch, ``torch.set_num_threads(--threads)``
  for all;
* one untimed warm-up run of every library and attack (allocator, oneDNN primitive caches);
* --repeats timed runs (at least 5), the libraries alternated in a rotating order, so that a
  slowdown of the machine hits all of them; medians with min-max, and the ratio of each
  reference to ours both as the ratio of medians and as the range of the per-round ratios;
* strength beside speed, measured by this script in the same way for every library (its own
  forward pass on the returned inputs): robust accuracy for PGD (and the largest perturbation
  norm, which must stay within the budget), success rate and median L2 norm of the successful
  examples for the minimal-norm attacks;
* a fixed calibration workload timed before, between and after the attacks, and the spread of
  every timing: a NOISY line flags a run during which the machine was busy (rerun it).

``floor`` is the attack's iterations alone on the same model (PGD: random start, gradient
step, projection and box; CW-L2: the Adam iterations of every round on the same loss), with no
best-so-far bookkeeping and no search: every forward and backward pass any implementation of
the same iterations must make. ``ours / floor`` says how much room is left in ours; when the
references are at the floor too, no implementation of the same computation can be much faster
than them, and only doing less work (``ours_es``) can.

Ratios are ``reference time / our time`` (> 1: ours is faster). ``ours_es`` is our PGD with
``early_stop=True`` (examples leave the batch once fooled; same attack, results equal up to the
model's batch-size rounding); its line shows the speed-up over ``ours``, and a last line the
references' ratios to it. ART's CW is another algorithm (a line search in every iteration):
``--art-cw`` includes it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
import warnings

import torch

from companion.attacks import carlini_wagner_l2, deepfool, pgd
from companion.models import LeNet5
from companion.training import TrainConfig, accuracy, train


def synthetic_data(n: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    protos = torch.nn.functional.avg_pool2d(torch.rand(10, 1, 28, 28, generator=g), 5, 1, 2)
    lo, hi = protos.amin((1, 2, 3), keepdim=True), protos.amax((1, 2, 3), keepdim=True)
    protos = (protos - lo) / (hi - lo)
    y = torch.arange(10).repeat(n // 10 + 1)[:n]
    x = (protos[y] + 0.3 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x, y


def floor_pgd(model, x, y, eps: float, steps: int, p: float) -> torch.Tensor:
    """The floor of PGD on this model: the same iterations (random start, a signed or
    normalised gradient step of 2.5 eps / steps, projection, the box) with nothing else, no
    best-so-far bookkeeping, no final forward pass. Any PGD pays at least its time."""
    g = torch.Generator().manual_seed(0)
    alpha = 2.5 * eps / steps
    if p == math.inf:
        d = (torch.rand(x.shape, generator=g) * 2 - 1) * eps
    else:
        d = torch.randn(x.shape, generator=g)
        d = d * (eps / d.flatten(1).norm(dim=1)).view(-1, 1, 1, 1)
    d = (x + d).clamp(0, 1) - x
    for _ in range(steps):
        d.requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(x + d), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, d)
        with torch.no_grad():
            if p == math.inf:
                d = (d + alpha * grad.sign()).clamp(-eps, eps)
            else:
                gn = grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
                d = d + alpha * grad / gn
                dn = d.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
                d = d * (eps / dn).clamp(max=1.0)
            d = (x + d).clamp(0, 1) - x
    return (x + d).detach()


def floor_cw(model, x, y, rounds: int, steps: int, c: float = 1e-3) -> torch.Tensor:
    """The floor of CW-L2: ``rounds x steps`` Adam iterations on the tanh-space variable with
    the same loss, and nothing else (no best-so-far images, no search on the constant)."""
    w = torch.atanh((x * 2 - 1).clamp(-1 + 1e-6, 1 - 1e-6)).clone()
    onehot = torch.nn.functional.one_hot(y, 10).bool()
    for _ in range(rounds):
        v = w.clone().requires_grad_(True)
        opt = torch.optim.Adam([v], lr=1e-2)
        for _ in range(steps):
            adv = (torch.tanh(v) + 1) / 2
            logits = model(adv)
            real = logits[onehot]
            other = logits.masked_fill(onehot, -math.inf).amax(1)
            loss = ((adv - x).flatten(1).pow(2).sum(1) + c * (real - other).clamp_min(0)).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return ((torch.tanh(v) + 1) / 2).detach()


def calibration_seconds() -> float:
    """A fixed CPU workload (matrix products on the configured threads): its time shows whether
    the machine's speed changed during the benchmark."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(384, 384, generator=g)
    t = time.perf_counter()
    for _ in range(30):
        a = torch.tanh(a @ a)
    return time.perf_counter() - t


def timed_rounds(fns: dict, repeats: int) -> dict:
    """Run every function once untimed, then ``repeats`` rounds in a rotating order.

    Returns, per name, the wall and CPU seconds of each round (list) and the last output."""
    names = list(fns)
    out = {k: {"wall": [], "cpu": [], "result": None} for k in names}
    for k in names:                                   # warm-up
        out[k]["result"] = fns[k]()
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for k in order:
            w, c = time.perf_counter(), time.process_time()
            out[k]["result"] = fns[k]()
            out[k]["wall"].append(time.perf_counter() - w)
            out[k]["cpu"].append(time.process_time() - c)
    return out


def spread(v: list[float]) -> float:
    return max(v) / min(v) if min(v) > 0 else math.inf


def fmt(v: list[float], digits: int = 2) -> str:
    return f"{statistics.median(v):.{digits}f} [{min(v):.{digits}f}-{max(v):.{digits}f}]"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=float, default=0.5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--attacks", default="pgd_linf,pgd_l2,deepfool,cw")
    ap.add_argument("--libs", default="ours,ours_es,floor,foolbox,art",
                    help="ours_es: ours with early_stop=True (PGD only); floor: the bare "
                         "iterations (PGD, CW)")
    ap.add_argument("--art-cw", action="store_true",
                    help="also run ART's CW (another algorithm, with a line search per step: "
                         "minutes per run and much weaker at these settings)")
    ap.add_argument("--cw-steps", type=int, default=100)
    ap.add_argument("--noisy", type=float, default=0.25,
                    help="flag timings whose max/min exceeds 1 + this")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args(argv)
    if args.repeats < 5:
        print(f"note: --repeats {args.repeats} < 5: too few runs for a stable median")
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    libs = args.libs.split(",")
    import foolbox as fb
    art = None
    if "art" in libs:
        try:
            import art
            from art.attacks.evasion import (
                CarliniL2Method,
                DeepFool,
                ProjectedGradientDescent,
            )
            from art.estimators.classification import PyTorchClassifier
        except ImportError:
            print("ART not installed: skipped (pip install adversarial-robustness-toolbox==1.20.1 "
                  "torch==2.13.0)")
            libs.remove("art")
            art = None

    X, Y = synthetic_data(3000)
    torch.manual_seed(0)
    model = LeNet5(width=args.width)
    train(model, X[:2000], Y[:2000], TrainConfig(epochs=1, batch_size=64, lr=1e-3, progress=False))
    model.eval()
    model.requires_grad_(False)                 # frozen for every library
    x = X[2000:2000 + args.batch].contiguous()
    with torch.no_grad():
        y = model(x).argmax(1)
    n = len(x)
    fmodel = fb.PyTorchModel(model, bounds=(0, 1))
    if "art" in libs:
        import art as art_mod
        clf = PyTorchClassifier(model, loss=torch.nn.CrossEntropyLoss(), input_shape=(1, 28, 28),
                                nb_classes=10, clip_values=(0.0, 1.0), device_type="cpu")
        xn, yn = x.numpy(), y.numpy()
        art = art_mod

    def as_tensor(a):
        return a if isinstance(a, torch.Tensor) else torch.from_numpy(a)

    def strength(key, adv, eps=None, p=None):
        """Robust accuracy / success and norms of ``adv``, measured the same way for everyone."""
        adv = as_tensor(adv).to(x.dtype)
        with torch.no_grad():
            pred = model(adv).argmax(1)
        d = (adv - x).flatten(1)
        ok = pred != y
        if key.startswith("pgd"):
            norm = d.abs().amax(1) if p == math.inf else d.norm(dim=1)
            return {"robust_acc": 1 - ok.float().mean().item(), "max_norm": norm.max().item(),
                    "eps": eps, "in_budget": bool((norm <= eps * (1 + 1e-4) + 1e-6).all())}
        ok &= adv.flatten(1).abs().sum(1) > 0        # foolbox's "nothing found" is a zero image
        l2 = d.norm(dim=1)
        return {"success": ok.float().mean().item(),
                "median_l2": l2[ok].median().item() if ok.any() else math.nan}

    seed = {"v": 0}

    def fb_seed():
        torch.manual_seed(seed["v"])

    def art_run(make, *data):
        import numpy as np

        np.random.seed(seed["v"])               # ART's random starts use numpy's global RNG
        return make().generate(*data)

    attacks = {
        "pgd_linf": ("PGD Linf eps=0.03, 40 steps, random start", 0.03, math.inf, {
            "ours": lambda: pgd(model, x, y, eps=0.03, steps=40).x_adv,
            "ours_es": lambda: pgd(model, x, y, eps=0.03, steps=40, early_stop=True).x_adv,
            "floor": lambda: floor_pgd(model, x, y, 0.03, 40, math.inf),
            "foolbox": lambda: (fb_seed(), fb.attacks.LinfPGD(steps=40, rel_stepsize=2.5 / 40)(
                fmodel, x, y, epsilons=0.03)[1])[1],
            "art": lambda: art_run(lambda: ProjectedGradientDescent(
                clf, norm=math.inf, eps=0.03, eps_step=2.5 * 0.03 / 40, max_iter=40,
                num_random_init=1, batch_size=n, verbose=False), xn, yn),
        }),
        "pgd_l2": ("PGD L2 eps=0.5, 40 steps, random start", 0.5, 2, {
            "ours": lambda: pgd(model, x, y, eps=0.5, norm="l2", steps=40).x_adv,
            "ours_es": lambda: pgd(model, x, y, eps=0.5, norm="l2", steps=40,
                                   early_stop=True).x_adv,
            "floor": lambda: floor_pgd(model, x, y, 0.5, 40, 2),
            "foolbox": lambda: (fb_seed(), fb.attacks.L2PGD(steps=40, rel_stepsize=2.5 / 40)(
                fmodel, x, y, epsilons=0.5)[1])[1],
            "art": lambda: art_run(lambda: ProjectedGradientDescent(
                clf, norm=2, eps=0.5, eps_step=2.5 * 0.5 / 40, max_iter=40, num_random_init=1,
                batch_size=n, verbose=False), xn, yn),
        }),
        "deepfool": ("DeepFool L2, 50 iter, overshoot 0.02, 10 candidates", None, 2, {
            "ours": lambda: deepfool(model, x, y, box=(0, 1)).x_adv,
            "foolbox": lambda: fb.attacks.L2DeepFoolAttack(
                steps=50, candidates=10, overshoot=0.02)(fmodel, x, y, epsilons=None)[1],
            "art": lambda: art_run(lambda: DeepFool(clf, max_iter=50, epsilon=0.02, nb_grads=10,
                                                    batch_size=n, verbose=False), xn),
        }),
        "cw": (f"CW-L2, 5 x {args.cw_steps} steps, no early abort", None, 2, {
            "ours": lambda: carlini_wagner_l2(model, x, y, binary_search_steps=5,
                                              steps=args.cw_steps, abort_early=False).x_adv,
            "floor": lambda: floor_cw(model, x, y, 5, args.cw_steps),
            "foolbox": lambda: fb.attacks.L2CarliniWagnerAttack(
                binary_search_steps=5, steps=args.cw_steps, abort_early=False)(
                fmodel, x, y, epsilons=None)[1],
            # ART's CW is another algorithm (a line search on the step per iteration)
            "art": lambda: art_run(lambda: CarliniL2Method(
                clf, binary_search_steps=5, max_iter=args.cw_steps, initial_const=1e-3,
                learning_rate=1e-2, batch_size=n, verbose=False), xn, yn),
        }),
    }
    versions = {"torch": torch.__version__, "foolbox": fb.__version__}
    if art is not None:
        versions["art"] = art.__version__
    load = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    results = {"model": f"LeNet5 width {args.width} (frozen weights)", "batch": n,
               "threads": args.threads, "repeats": args.repeats, "versions": versions,
               "load_avg_start": load, "attacks": {}, "calibration_s": []}
    results["clean_acc_heldout"] = accuracy(model, X[2000:], Y[2000:])
    results["calibration_s"].append(calibration_seconds())
    print(f"{results['model']}, held-out accuracy {results['clean_acc_heldout']:.2f} on the "
          f"synthetic task; batch {n}; {args.threads} threads for every library; "
          f"{', '.join(f'{k} {v}' for k, v in versions.items())}; load average "
          f"{load[0]:.1f} at start; times: median [min-max] of {args.repeats} runs after a "
          f"warm-up, libraries alternated")
    noisy = []
    for key in args.attacks.split(","):
        label, eps, p, fns = attacks[key]
        fns = {k: v for k, v in fns.items()
               if k in libs and (key != "cw" or k != "art" or args.art_cw)}
        runs = timed_rounds(fns, args.repeats)
        results["calibration_s"].append(calibration_seconds())
        entry = {"label": label, "libs": {}}
        print(f"\n{label}")
        print(f"  {'library':8s} {'wall s':>22s} {'cpu s':>22s} {'ratio ref/ours':>24s}  strength")
        ours_w = runs["ours"]["wall"] if "ours" in runs else None
        for lib, r in runs.items():
            st = strength(key, r["result"], eps, p)
            e = {"wall_s": r["wall"], "cpu_s": r["cpu"], "strength": st}
            ratio_txt = ""
            if ours_w is not None and lib != "ours":
                rounds = [a / b for a, b in zip(r["wall"], ours_w)]
                e["ratio"] = statistics.median(r["wall"]) / statistics.median(ours_w)
                e["ratio_rounds"] = [min(rounds), max(rounds)]
                ratio_txt = f"{e['ratio']:.2f} [{min(rounds):.2f}-{max(rounds):.2f}]"
                if lib in ("ours_es", "floor"):        # shown as the speed-up over ours
                    rounds = [b / a for a, b in zip(r["wall"], ours_w)]
                    e["speedup"] = 1 / e["ratio"]
                    ratio_txt = f"x{e['speedup']:.2f} [{min(rounds):.2f}-{max(rounds):.2f}]"
            if spread(r["wall"]) > 1 + args.noisy:
                noisy.append(f"{key}/{lib}: wall times spread {spread(r['wall']):.2f}x")
            st_txt = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                               for k, v in st.items())
            print(f"  {lib:8s} {fmt(r['wall']):>22s} {fmt(r['cpu']):>22s} {ratio_txt:>24s}  "
                  f"{st_txt}")
            entry["libs"][lib] = e
        if "floor" in runs and "ours" in runs:
            ratio = statistics.median(ours_w) / statistics.median(runs["floor"]["wall"])
            entry["ours_over_floor"] = ratio
            print(f"  ours / floor: {ratio:.2f} (the same iterations with no bookkeeping: the "
                  "most that any implementation of them could gain over ours)")
        if "ours_es" in runs:
            es = runs["ours_es"]["wall"]
            parts = []
            for lib in ("foolbox", "art"):
                if lib in runs:
                    rounds = [a / b for a, b in zip(runs[lib]["wall"], es)]
                    ratio = statistics.median(runs[lib]["wall"]) / statistics.median(es)
                    entry["libs"][lib]["ratio_vs_early_stop"] = ratio
                    parts.append(f"{lib} {ratio:.2f} [{min(rounds):.2f}-{max(rounds):.2f}]")
            print(f"  reference / ours with early_stop: {', '.join(parts)}")
        results["attacks"][key] = entry
    cal = results["calibration_s"]
    if spread(cal) > 1 + args.noisy:
        noisy.append(f"calibration workload {fmt(cal, 3)} s: the machine's speed changed "
                     f"({spread(cal):.2f}x)")
    load_end = os.getloadavg() if hasattr(os, "getloadavg") else (math.nan,) * 3
    results["load_avg_end"] = load_end
    results["noisy"] = noisy
    print(f"\ncalibration workload {fmt(cal, 3)} s over the run; load average "
          f"{load_end[0]:.1f} at end")
    for line in noisy:
        print(f"NOISY: {line}; rerun on a quiet machine")
    if not noisy:
        print(f"every timing within {args.noisy:.0%} (max/min): no sign of a busy machine")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, default=float)
    return results


if __name__ == "__main__":
    main()
