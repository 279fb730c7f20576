"""Fawzi, Fawzi & Fawzi (2018), "Adversarial vulnerability for any classifier": notebooks."""
from ..catalogue import Param, _nb, register

PAPER = "fawzi"

register(_nb(
    "fawzi-paper", "fawzi/paper.md", "Fawzi et al.: adversarial vulnerability for any classifier",
    PAPER,
    Param("n_mc", "int", 20_000, 1_000_000, "Monte Carlo samples for the checks on this page", min=100),
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
