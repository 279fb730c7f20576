"""Dai & Gifford, "Image classifiers can not be made robust to small perturbations": notebooks."""
from ...catalogue import Param, _nb, register

PAPER = "dai_gifford"

register(_nb(
    "dai-gifford-theorem1", "dai_gifford/theorem1.md",
    "Theorem 1: no classifier is robust (exhaustive check)", PAPER,
    Param("largest_n", "int", 4, 5, "side of the largest complete binary space checked (n x n, "
          "2^(n^2) images)", min=2, max=5),
    Param("cnn_epochs", "int", 30, 60, "training epochs of the small CNN on downscaled digits",
          min=1),
    Param("binary_n", "int", 0, 6, "side of the complete binary space also checked with the "
          "bitset search (2^(n^2) images without enumerating them; 6 needs 16 GB; 0: off)",
          min=0, max=6),
    ci_budget_s=120,
))

# Theorem 2 / Corollary 1 (written by helper session B, see .notes/issue3-split.md)
register(_nb(
    "dai-gifford-theorem2", "dai_gifford/theorem2.md",
    "Theorem 2 and Corollary 1: a robust classifier", PAPER,
    Param("n_mc", "int", 2000, 20000, "Monte Carlo images of class Z per image size (b = 2)",
          min=100),
    Param("n_max", "int", 256, 1024, "largest image size n of the exact robust-fraction curves",
          min=8, max=4096),
))

# Theorem 3 (helper session B)
register(_nb(
    "dai-gifford-theorem3", "dai_gifford/theorem3.md", "Theorem 3: robustness and bit depth",
    PAPER,
    Param("n_mc", "int", 400, 5000, "Monte Carlo images of class Z per bit depth", min=50),
))

# Section 3, line drawings (helper session B)
register(_nb(
    "dai-gifford-line-drawings", "dai_gifford/line_drawings.md",
    "Section 3: line drawings and the human classifier", PAPER,
    Param("n_mc", "int", 20, 200, "uniform image pairs for the typical distance", min=5),
))

# The paper notebook: Definitions 1-3, Table 1, Eq. (1)-(2), Figure 1 (helper session C)
register(_nb(
    "dai-gifford-paper", "dai_gifford/paper.md",
    "The paper: image spaces, Table 1, typical distances and Figure 1", PAPER,
    Param("n_exact", "int", 8, 16, "largest image size n of the exact typical distances", min=2,
          max=32),
    Param("n_mc", "int", 200, 2000, "Monte Carlo image pairs per (n, b, p)", min=20),
))
