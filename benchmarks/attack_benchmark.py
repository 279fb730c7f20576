"""Attack throughput: ours (companion.attacks) against foolbox 3.3.4 on the same model and batch.

Usage:  python benchmarks/attack_benchmark.py [--width 0.5] [--batch 128] [--repeats 3]
        [--threads 2] [--attacks pgd_linf,pgd_l2,deepfool,cw] [--json results.json]

The model is Madry et al.'s LeNet5 (scaled by --width) trained for a few seconds on synthetic
28x28 data (10 noisy prototypes), so that its predictions are varied like a real classifier's.
Each attack runs with the same settings in both libraries (CW without early abort, so that both
do the same number of steps; with it, the step counts depend on each library's loss
bookkeeping); the table gives images per second
(median of --repeats alternating runs), the ratio foolbox time / our time (> 1: ours is faster)
in wall-clock and in CPU time (steadier on a shared machine), and each library's strength on the
batch (robust accuracy for PGD, median norm of the successful minimal attacks).
"""
from __future__ import annotations

import argparse
import json
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


def timed_pair(fn_a, fn_b, repeats: int):
    """Run ``fn_a`` and ``fn_b`` alternately ``repeats`` times; median wall and CPU seconds of each.

    The machine may be shared: CPU time (``time.process_time``) is less sensitive to other
    processes than wall time, and alternating the two spreads any slowdown over both."""
    wall = ([], [])
    cpu = ([], [])
    outs = [None, None]
    for _ in range(repeats):
        for i, fn in enumerate((fn_a, fn_b)):
            w, c = time.perf_counter(), time.process_time()
            outs[i] = fn()
            wall[i].append(time.perf_counter() - w)
            cpu[i].append(time.process_time() - c)
    med = statistics.median
    return (med(wall[0]), med(cpu[0]), outs[0]), (med(wall[1]), med(cpu[1]), outs[1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=float, default=0.5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--attacks", default="pgd_linf,pgd_l2,deepfool,cw")
    ap.add_argument("--cw-steps", type=int, default=100)
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import foolbox as fb

    X, Y = synthetic_data(3000)
    torch.manual_seed(0)
    model = LeNet5(width=args.width)
    train(model, X[:2000], Y[:2000], TrainConfig(epochs=1, batch_size=64, lr=1e-3, progress=False))
    model.eval()
    x = X[2000:2000 + args.batch].contiguous()
    with torch.no_grad():
        y = model(x).argmax(1)
    fmodel = fb.PyTorchModel(model, bounds=(0, 1))
    n = len(x)

    def norms(adv):
        return (adv - x).flatten(1).norm(dim=1)

    runs = {
        "pgd_linf": (
            "PGD Linf eps=0.03, 40 steps",
            lambda: pgd(model, x, y, eps=0.03, steps=40),
            lambda: fb.attacks.LinfPGD(steps=40, rel_stepsize=2.5 / 40)(fmodel, x, y, epsilons=0.03),
            lambda r: ("robust acc", r.robust_accuracy),
            lambda o: ("robust acc", 1 - o[2].float().mean().item())),
        "pgd_l2": (
            "PGD L2 eps=0.5, 40 steps",
            lambda: pgd(model, x, y, eps=0.5, norm="l2", steps=40),
            lambda: fb.attacks.L2PGD(steps=40, rel_stepsize=2.5 / 40)(fmodel, x, y, epsilons=0.5),
            lambda r: ("robust acc", r.robust_accuracy),
            lambda o: ("robust acc", 1 - o[2].float().mean().item())),
        "deepfool": (
            "DeepFool L2, 50 iter, overshoot 0.02, 10 candidates",
            lambda: deepfool(model, x, y, box=(0, 1)),
            lambda: fb.attacks.L2DeepFoolAttack(steps=50, candidates=10, overshoot=0.02)(
                fmodel, x, y, epsilons=None),
            lambda r: ("median L2", r.norms[r.success].median().item()),
            lambda o: ("median L2", norms(o[1])[o[2]].median().item())),
        "cw": (
            f"CW-L2, 5 x {args.cw_steps} steps, no early abort",
            lambda: carlini_wagner_l2(model, x, y, binary_search_steps=5, steps=args.cw_steps,
                                      abort_early=False),
            lambda: fb.attacks.L2CarliniWagnerAttack(binary_search_steps=5, steps=args.cw_steps,
                                                     abort_early=False)(fmodel, x, y, epsilons=None),
            lambda r: ("median L2", r.norms[r.success].median().item()),
            lambda o: ("median L2", norms(o[1])[o[2] & (o[1].flatten(1).abs().sum(1) > 0)]
                       .median().item())),
    }
    results = {"model": f"LeNet5 width {args.width}", "batch": n, "threads": args.threads,
               "torch": torch.__version__, "foolbox": fb.__version__, "attacks": {}}
    results["clean_acc_heldout"] = accuracy(model, X[2000:], Y[2000:])
    print(f"{results['model']} (held-out accuracy {results['clean_acc_heldout']:.2f} on the "
          f"synthetic task), batch {n}, {args.threads} threads, median of {args.repeats}")
    print(f"{'attack':52s} {'ours img/s':>10s} {'foolbox':>8s} {'ratio':>6s} {'ratio(cpu)':>10s}"
          f"  strength ours / foolbox")
    for key in args.attacks.split(","):
        label, ours_fn, fb_fn, ours_s, fb_s = runs[key]
        (w1, c1, r), (w2, c2, o) = timed_pair(ours_fn, fb_fn, args.repeats)
        (what, s1), (_, s2) = ours_s(r), fb_s(o)
        entry = {"label": label, "ours_img_s": n / w1, "foolbox_img_s": n / w2,
                 "ratio": w2 / w1, "ours_cpu_s": c1, "foolbox_cpu_s": c2, "ratio_cpu": c2 / c1,
                 "metric": what, "ours": s1, "foolbox": s2}
        results["attacks"][key] = entry
        print(f"{label:52s} {entry['ours_img_s']:10.1f} {entry['foolbox_img_s']:8.1f} "
              f"{entry['ratio']:6.2f} {entry['ratio_cpu']:10.2f}  {what} {s1:.4f} / {s2:.4f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
