"""Ding et al. (2019), "On the sensitivity of adversarial robustness to input data
distributions": notebooks.

The trained models of the chapter (LeNet5 on the variants, the certified ConvNets, the
concentric-spheres networks) are tasks of the grid (:mod:`companion.chapters.ding.tasks`),
declared lazily so that listing the catalogue does not import torch. Each page registers its
parameters in its own block below.
"""
from ... import tasks as _tasks
from ...catalogue import Param, _nb, register

PAPER = "ding"

# --- 1. the paper page -----------------------------------------------------------------------
register(_nb(
    "ding-paper", "ding/paper.md", "Ding et al.: robustness depends on the input distribution",
    PAPER,
    Param("n_images", "int", 2_000, 10_000,
          "images per dataset in the pixel histograms and checks (MNIST: the first of the "
          "10,000 offline digits; the others: of their test split)", min=10, max=10_000),
))

# --- 2. Section 2.1: Example 1 and Proposition A.1 ---------------------------------------------
register(_nb(
    "ding-example1", "ding/example1.md", "Example 1 and Proposition A.1: an invertible map",
    PAPER,
    Param("n_mc", "int", 200_000, 5_000_000, "Monte Carlo samples per estimate", min=1_000),
))

# --- 3. Section 2.2: Theorem 2.1 and Example 2 -------------------------------------------------
register(_nb(
    "ding-theorem21", "ding/theorem2_1.md", "Theorem 2.1 and Example 2: the cube and the ball",
    PAPER,
    Param("n_mc", "int", 100_000, 2_000_000, "Monte Carlo samples per estimate", min=1_000),
))

# --- 4. Section 2.2: certified robustness on binarised and original MNIST ----------------------
register(_nb(
    "ding-certified", "ding/certified.md", "Provable robustness on binarised MNIST", PAPER,
    ci_budget_s=240,
))

# --- 5. Section 3: smoothing (Table 2, Figure 2a) ----------------------------------------------
register(_nb(
    "ding-smoothing", "ding/smoothing.md", "Smoothing MNIST: Table 2 and Figure 2a", PAPER,
    ci_budget_s=240,
))

# --- 6. Sections 3 and 4.1: saturation and gamma -----------------------------------------------
register(_nb(
    "ding-saturation-gamma", "ding/saturation_gamma.md",
    "Saturation and gamma: Table 3, Figures 2b and 3a", PAPER,
    Param("dataset", "str", "fashion-mnist", "fashion-mnist",
          "data of the saturation and gamma variants (CIFAR-10 needs a download)",
          choices=("fashion-mnist", "cifar10")),
    ci_budget_s=240,
))

# --- 7. Section 4.2: Fashion-MNIST and edge-Fashion-MNIST --------------------------------------
register(_nb(
    "ding-edges", "ding/edges.md", "Fashion-MNIST against its edges: Figure 3b", PAPER,
    Param("n_sweep", "int", 200, 2_000,
          "test images attacked at each radius of the eps sweep of the PGD models", min=10,
          max=10_000),
    ci_budget_s=240,
))

# --- 8. Section 5.1: perturbable volume (Tables 6 and 7) ---------------------------------------
register(_nb(
    "ding-volume", "ding/perturbable_volume.md", "Perturbable volume: Tables 6 and 7", PAPER,
    ci_budget_s=240,
))

# --- 9. Section 5.2: inter-class distance (Table 1, Figure 5) ----------------------------------
register(_nb(
    "ding-interclass", "ding/interclass_distance.md",
    "Inter-class distance: Table 1 and Figure 5", PAPER,
    ci_budget_s=240,
))

# --- 10. Section 5.3 and Appendix D.2.2: capacity, sample size, Theorem D.1 --------------------
register(_nb(
    "ding-capacity", "ding/capacity.md",
    "Model capacity and sample size: Figure 4, Tables 4-5 and Theorem D.1", PAPER,
    ci_budget_s=240,
))

_tasks.register_provider("companion.chapters.ding.tasks:declare_tasks")
