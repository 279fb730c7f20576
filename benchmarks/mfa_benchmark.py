"""MFA fitting and log-likelihood speed on Fashion-MNIST, against scikit-learn, in one run.

Usage:  python benchmarks/mfa_benchmark.py [--classes 0,6] [--n 6000] [--K 10] [--l 6]
        [--iters 30] [--threads 1] [--attack 100] [--json results.json]

What it measures, on ``--n`` training images of each of the two classes (flattened, in [0, 1]):

* fit time of ``companion.mixtures.fit_mfa`` (k-means + PPCA initialisation, ``--iters`` EM
  iterations) per class, against scikit-learn's ``GaussianMixture(covariance_type="diag")``
  with the same K, k-means initialisation and exactly ``--iters`` EM iterations (``tol=0``),
  and ``FactorAnalysis(n_components=l)`` (one factor analyser, its default tolerance);
* log-likelihood throughput (points per second, median of 5) on the 2 x n training images:
  ``MFA.log_prob``, ``MFA.grad_log_prob``, ``GaussianMixture.score_samples``,
  ``FactorAnalysis.score_samples``;
* held-out mean log-likelihood per image (test split) of the three models, and the accuracy of
  the Bayes-optimal classifier built from the two MFAs on the real test images;
* the paper's gradient attack on ``--attack`` samples of class 0 (median and mean L2 norms):
  drawn from the symmetric models (sigma = 0.01), attacked on those, on the asymmetric models
  built from them (outlier weight 1 / (K + 1), the default, and 0.01); drawn from the fitted
  models, attacked on those and on the asymmetric models built from them.

All timings use ``--threads`` torch/BLAS/OpenMP threads for every library; ``cpu_s`` holds the
process CPU seconds of the same calls (``time.process_time``), the fairer figure on a busy
machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time


CPU = {}


def timed(fn, repeats=1, key=None):
    """``(result, median wall seconds)``; the median process CPU seconds go to ``CPU[key]``
    (with one thread, CPU time is the cost without the other processes' contention)."""
    out, ts, cs = None, [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        ts.append(time.perf_counter() - t)
        cs.append(time.process_time() - c)
    if key is not None:
        CPU[key] = statistics.median(cs)
    return out, statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--classes", default="0,6")
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--K", type=int, default=10)
    ap.add_argument("--l", type=int, default=6)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--attack", type=int, default=100)
    ap.add_argument("--json")
    args = ap.parse_args()

    import numpy as np
    import torch
    from sklearn.decomposition import FactorAnalysis
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    from companion import data
    from companion.mixtures import (BayesOptimal, fit_mfa, gradient_attack, make_asymmetric,
                                    make_symmetric)

    torch.set_num_threads(args.threads)
    classes = [int(c) for c in args.classes.split(",")]
    train, test = data.load("fashion-mnist", "train"), data.load("fashion-mnist", "test")

    def flat(ds, c, n=None):
        x = ds.images[ds.labels == c][:n].reshape(-1, 784).astype(np.float64) / 255.0
        return x

    Xs = [flat(train, c, args.n) for c in classes]
    Ts = [flat(test, c) for c in classes]
    res = {"classes": classes, "n_per_class": [len(x) for x in Xs], "K": args.K, "l": args.l,
           "iters": args.iters, "threads": args.threads, "loadavg_start": os.getloadavg()}
    with threadpool_limits(args.threads):
        mfas, gmms, fas = [], [], []
        for c, X, T in zip(classes, Xs, Ts):
            (m, hist), t_mfa = timed(lambda: fit_mfa(X, args.K, args.l, n_iter=args.iters,
                                                     seed=0), key=f"fit_mfa_class{c}")
            gmm, t_gmm = timed(lambda: GaussianMixture(
                args.K, covariance_type="diag", max_iter=args.iters, tol=0.0,
                init_params="kmeans", random_state=0, reg_covar=1e-4).fit(X),
                key=f"fit_gmm_diag_class{c}")
            fa, t_fa = timed(lambda: FactorAnalysis(args.l, random_state=0).fit(X),
                             key=f"fit_fa_class{c}")
            mfas.append(m)
            gmms.append(gmm)
            fas.append(fa)
            res[f"class{c}"] = {
                "fit_s": {"mfa": t_mfa, "gmm_diag": t_gmm, "factor_analysis": t_fa},
                "fa_iterations": int(fa.n_iter_),
                "em_history_min_increment": float(np.diff(hist).min()),
                "train_ll": {"mfa": float(hist[-1]), "gmm_diag": float(gmm.score(X)),
                             "factor_analysis": float(fa.score(X))},
                "test_ll": {"mfa": float(m.log_prob(T).mean()), "gmm_diag": float(gmm.score(T)),
                            "factor_analysis": float(fa.score(T))},
            }
        Xall = np.concatenate(Xs)
        xt = torch.as_tensor(Xall)
        thr = {}
        for name, fn in (("mfa_log_prob", lambda: mfas[0].log_prob(xt)),
                         ("mfa_grad_log_prob", lambda: mfas[0].grad_log_prob(xt)),
                         ("gmm_diag_score_samples", lambda: gmms[0].score_samples(Xall)),
                         ("fa_score_samples", lambda: fas[0].score_samples(Xall))):
            fn()
            _, t = timed(fn, repeats=5, key=name)
            thr[name] = {"points_per_s": len(Xall) / t, "ms_per_1000": 1e3 * t / len(Xall) * 1e3}
        res["throughput"] = thr
        f = BayesOptimal(*mfas)
        xtest = torch.as_tensor(np.concatenate(Ts))
        ytest = torch.cat([torch.full((len(t),), i) for i, t in enumerate(Ts)])
        res["bayes_accuracy_real_test"] = float((f(xtest).argmax(1) == ytest).double().mean())

        sym = [make_symmetric(m, 0.01) for m in mfas]
        x_sym, _ = sym[0].sample(args.attack, seed=1)
        x_fit, _ = mfas[0].sample(args.attack, seed=1)
        pairs = {"symmetric": (sym, x_sym),
                 "asymmetric(symmetric)_w=1/(K+1)": (make_asymmetric(sym, Xall)[:2], x_sym),
                 "asymmetric(symmetric)_w=0.01": (make_asymmetric(sym, Xall,
                                                                  outlier_weight=0.01)[:2],
                                                  x_sym),
                 "fitted": (mfas, x_fit),
                 "asymmetric(fitted)_w=1/(K+1)": (make_asymmetric(mfas, Xall)[:2], x_fit)}
        attacks = {}
        for name, ((m0, m1), x0) in pairs.items():
            clf = BayesOptimal(m0, m1)
            labels = torch.zeros(args.attack, dtype=torch.long)
            ok = clf(x0).argmax(1) == 0
            r, t = timed(lambda: gradient_attack(clf, x0, labels, step_size=0.01,
                                                 max_steps=5000))
            good = r.success & ok
            attacks[name] = {"clean_accuracy": float(ok.double().mean()),
                             "success": float(r.success.double().mean()),
                             "median_l2": float(r.norms[good].median()) if good.any() else None,
                             "mean_l2": float(r.norms[good].mean()) if good.any() else None,
                             "seconds": t}
        res["gradient_attack"] = attacks
        res["asymmetric_step"] = make_asymmetric(sym, Xall).step
    res["cpu_s"] = CPU
    res["loadavg_end"] = os.getloadavg()
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
