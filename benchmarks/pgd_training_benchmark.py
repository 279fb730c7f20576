"""PGD adversarial training throughput: ours (``companion.training.train`` with
``PGDObjective``) against independent implementations, on the same LeNet5, batch, steps, data
and thread count.

Usage:  python benchmarks/pgd_training_benchmark.py [--width 0.5] [--batch 50] [--steps 7]
        [--eps 0.1] [--batches 40] [--repeats 5] [--threads 1] [--libs ours,foolbox,art]
        [--json results.json]

The references:

* ``foolbox``: a plain PyTorch training loop (Adam, cross-entropy at the adversarial batch,
  Madry et al.'s recipe) whose adversarial examples come from foolbox 3.3.4's ``LinfPGD``
  (random start, ``--steps`` steps of ``2.5 eps / steps``, the box [0, 1]), the attack run with
  the weights frozen (``requires_grad_(False)``) so that foolbox does not pay for weight
  gradients ours never computes;
* ``art``: the Adversarial Robustness Toolbox's ``AdversarialTrainerMadryPGD`` (optional: ART
  is not in requirements.txt; install it next to the pinned torch with ``.venv/bin/pip install
  adversarial-robustness-toolbox==1.20.1 torch==2.13.0``). ART's trainer works on numpy arrays
  and shuffles itself, so its rate includes its own data handling.

Each library trains a fresh copy of the same initial weights on the same ``--batches`` batches
(synthetic 28x28 digits-like images; throughput does not depend on the pixel values) per
round; one untimed warm-up round each, then ``--repeats`` rounds in a rotating order, medians
with min-max; a fixed calibration workload before, between and after flags a NOISY run (the
machine's speed changed: rerun it). Ratios are ``reference time / our time`` (> 1: ours is
faster). The rates are images per second through one training step (attack included).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")  # ART's trainer draws progress bars

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from companion.models import LeNet5  # noqa: E402
from companion.training import PGDObjective, TrainConfig, train  # noqa: E402

CALIBRATION_SPREAD = 0.15


def synthetic_data(n: int, seed: int = 0):
    """``n`` digit-like images (smoothed random prototypes plus noise) and their labels."""
    g = torch.Generator().manual_seed(seed)
    protos = F.avg_pool2d(torch.rand(10, 1, 28, 28, generator=g), 5, 1, 2)
    lo, hi = protos.amin((1, 2, 3), keepdim=True), protos.amax((1, 2, 3), keepdim=True)
    protos = (protos - lo) / (hi - lo)
    y = torch.arange(10).repeat(n // 10 + 1)[:n]
    x = (protos[y] + 0.3 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
    return x, y


def calibration_seconds() -> float:
    """A fixed CPU workload: its time shows whether the machine's speed changed."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(384, 384, generator=g)
    t = time.perf_counter()
    for _ in range(30):
        a = torch.tanh(a @ a)
    return time.perf_counter() - t


def run_ours(model, X, Y, args):
    cfg = TrainConfig(epochs=1, batch_size=args.batch, lr=1e-3, seed=0, progress=False)
    train(model, X, Y, cfg, PGDObjective(eps=args.eps, steps=args.steps))


def run_foolbox(model, X, Y, args):
    import foolbox as fb

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    attack = fb.attacks.LinfPGD(abs_stepsize=2.5 * args.eps / args.steps, steps=args.steps,
                                random_start=True)
    model.eval()  # foolbox checks the mode when wrapping; the loop switches it per batch
    fmodel = fb.PyTorchModel(model, bounds=(0.0, 1.0))
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(X.shape[0], generator=g)
    for i in range(0, X.shape[0], args.batch):
        idx = perm[i:i + args.batch]
        x, y = X[idx], Y[idx]
        model.eval()
        model.requires_grad_(False)
        _, x_adv, _ = attack(fmodel, x, y, epsilons=args.eps)
        model.requires_grad_(True)
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(x_adv), y).backward()
        opt.step()


def run_art(model, X, Y, args):
    from art.defences.trainer import AdversarialTrainerMadryPGD
    from art.estimators.classification import PyTorchClassifier

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    clf = PyTorchClassifier(model=model, loss=torch.nn.CrossEntropyLoss(), optimizer=opt,
                            input_shape=(1, 28, 28), nb_classes=10, clip_values=(0.0, 1.0))
    trainer = AdversarialTrainerMadryPGD(clf, nb_epochs=1, batch_size=args.batch, eps=args.eps,
                                         eps_step=2.5 * args.eps / args.steps,
                                         max_iter=args.steps, num_random_init=1)
    trainer.fit(X.numpy(), Y.numpy())


RUNNERS = {"ours": run_ours, "foolbox": run_foolbox, "art": run_art}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=float, default=0.5)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--steps", type=int, default=7)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--libs", default="ours,foolbox,art")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.batches < 1:
        ap.error("--repeats and --batches must be >= 1")
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    libs = [s.strip() for s in args.libs.split(",") if s.strip()]
    unknown = [s for s in libs if s not in RUNNERS]
    if unknown or "ours" not in libs:
        ap.error(f"--libs must include 'ours' and name only {sorted(RUNNERS)}; got {libs}")
    if "art" in libs:
        try:
            import art  # noqa: F401
        except ImportError:
            print("ART is not installed: skipping it (see the module docstring)")
            libs.remove("art")
    n = args.batch * args.batches
    X, Y = synthetic_data(n)
    torch.manual_seed(0)
    init = LeNet5(width=args.width)

    def fresh():
        return copy.deepcopy(init)

    times = {k: [] for k in libs}
    calib = [calibration_seconds()]
    for lib in libs:  # warm-up
        RUNNERS[lib](fresh(), X, Y, args)
    for r in range(args.repeats):
        order = libs[r % len(libs):] + libs[:r % len(libs)]
        for lib in order:
            m = fresh()
            t = time.perf_counter()
            RUNNERS[lib](m, X, Y, args)
            times[lib].append(time.perf_counter() - t)
        calib.append(calibration_seconds())
    spread = (max(calib) - min(calib)) / min(calib)
    print(f"PGD training, LeNet5 width {args.width:g}, batch {args.batch}, PGD-{args.steps} at "
          f"eps {args.eps:g}, {n:,} images per round, {args.threads} thread(s), "
          f"{args.repeats} rounds")
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {"settings": vars(args), "images": n, "seconds": times, "calibration": calib,
           "noisy": spread > CALIBRATION_SPREAD, "threads": args.threads,
           "cpu_count": os.cpu_count()}
    for lib in libs:
        v = times[lib]
        print(f"  {lib:8s} {n / med[lib]:8.0f} images/s  (median {med[lib]:.2f} s, "
              f"min {min(v):.2f}, max {max(v):.2f})")
    out["ratios"] = {}
    for lib in libs:
        if lib == "ours":
            continue
        per_round = sorted(a / b for a, b in zip(times[lib], times["ours"]))
        ratio = med[lib] / med["ours"]
        out["ratios"][lib] = {"median_ratio": ratio, "per_round": per_round}
        print(f"  {lib} / ours: {ratio:.2f}x (per round {per_round[0]:.2f}-{per_round[-1]:.2f})")
    print(f"  calibration spread {spread:.0%}" + ("  NOISY: rerun on a quiet machine"
                                                  if out["noisy"] else ""))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
