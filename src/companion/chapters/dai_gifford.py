"""Dai & Gifford, "Image classifiers can not be made robust to small perturbations": notebooks."""
from ..catalogue import Param, _nb, register

PAPER = "dai_gifford"

register(_nb(
    "dai-gifford-theorem1", "dai_gifford/theorem1.md",
    "Theorem 1: no classifier is robust (exhaustive check)", PAPER,
    Param("largest_n", "int", 4, 5, "side of the largest complete binary space checked (n x n, "
          "2^(n^2) images)", min=2, max=5),
    Param("cnn_epochs", "int", 30, 60, "training epochs of the small CNN on downscaled digits",
          min=1),
    ci_budget_s=120,
))
