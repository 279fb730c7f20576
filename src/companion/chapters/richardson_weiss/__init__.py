"""Richardson & Weiss (2021), "A Bayes-optimal view on adversarial examples": notebooks.

The chapter's artifacts (the real images of each pair, the fitted class models, the
classifiers trained on symmetric samples or real images, and the attack evaluations) are tasks
of the grid (:mod:`companion.chapters.richardson_weiss.tasks`), declared lazily so that listing
the catalogue does not import torch. Each page registers its parameters in its own block below.
"""
from ... import tasks as _tasks
from ...catalogue import Param, _nb, register

PAPER = "richardson_weiss"
#: the offline pairs a page may pick for its figures (trained in both profiles)
_PAIRS = ("mnist-0-6", "mnist-2-7", "mnist-4-5", "fashion-0-6", "fashion-5-7", "fashion-2-4")

# --- 1. the paper page: the setting, Figure 2, the map of results ---------------------------
register(_nb(
    "rw-paper", "rw/paper.md", "Richardson & Weiss: a Bayes-optimal view on adversarial examples",
    PAPER,
    Param("n_show", "int", 8, 8, "samples shown per data set (Figure 2)", min=1, max=8),
    ci_budget_s=240,
))

# --- 2. Theorem 1 and Figure 4: the noisy two-image toy --------------------------------------
register(_nb(
    "rw-theorem1", "rw/theorem1.md", "Theorem 1: two isotropic Gaussians, and a CNN on them",
    PAPER,
    Param("n_mc", "int", 2_000, 20_000,
          "Monte Carlo points per class and sigma in the check of the d/2 margin", min=100),
    ci_budget_s=240,
))

# --- 3. Theorem 2, Lemma A.1, Figure 14: symmetric MFAs ---------------------------------------
register(_nb(
    "rw-theorem2", "rw/theorem2.md", "Theorem 2 and Lemma A.1: distances to the subspaces",
    PAPER,
    Param("pair", "str", "mnist-0-6", "mnist-0-6", "the pair of Figure 14's histogram",
          choices=_PAIRS),
    ci_budget_s=240,
))

# --- 4. Lemma 1, Theorem 3, the 2-D toys of Figure 3 -----------------------------------------
register(_nb(
    "rw-theorem3", "rw/theorem3.md", "Lemma 1 and Theorem 3: asymmetric Gaussians in 2-D",
    PAPER,
    Param("n_points", "int", 400, 4_000, "points drawn per class in each 2-D toy", min=10),
))

# --- 5. Lemma A.2, Figures 3c and 3g: discrete distributions ----------------------------------
register(_nb(
    "rw-discrete", "rw/discrete.md", "Lemma A.2: discrete distributions, one level away",
    PAPER,
    Param("levels", "int", 100, 100, "quantisation levels per coordinate (the paper: 100)",
          min=10, max=400),
))

# --- 6. Figures 5 and 15: symmetric against asymmetric ----------------------------------------
register(_nb(
    "rw-symmetric-asymmetric", "rw/symmetric_asymmetric.md",
    "Symmetric and asymmetric data: Figures 5 and 15", PAPER,
    Param("pair", "str", "mnist-0-6", "mnist-0-6", "the pair of the adversarial images shown",
          choices=_PAIRS),
    ci_budget_s=240,
))

# --- 7. Table 1, Figures 7, 8, 16-19: classifiers on symmetric data ---------------------------
register(_nb(
    "rw-classifiers", "rw/classifiers.md",
    "Bayes-optimal, CNN, linear and RBF SVM: Table 1 and Figures 7, 8, 16-19", PAPER,
    Param("pair", "str", "mnist-0-6", "mnist-0-6", "the pair of the adversarial images shown",
          choices=_PAIRS),
    ci_budget_s=240,
))

# --- 8. Figures 9 and 10: bigger CNNs, more data, TRADES --------------------------------------
register(_nb(
    "rw-cnn-trades", "rw/cnn_trades.md",
    "Wider, deeper, more data, TRADES: Figures 9 and 10", PAPER,
    ci_budget_s=240,
))

# --- 9. Section 3.1, Tables 2-3, Figures 11-12: real data -------------------------------------
register(_nb(
    "rw-real-data", "rw/real_data.md",
    "Training and testing on real data: Tables 2-3, Figures 11-12", PAPER,
    ci_budget_s=240,
))

_tasks.register_provider("companion.chapters.richardson_weiss.tasks:declare_tasks")
