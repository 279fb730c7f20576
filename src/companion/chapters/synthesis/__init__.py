"""The synthesis: the four papers side by side, on the same real images (notebooks).

The chapter trains no classifier of its own: it reads the cached models and evaluations of the
Ding et al., Fawzi et al. and Richardson & Weiss chapters and adds its measurements
(:mod:`companion.chapters.synthesis.experiment`), each a declared task
(:mod:`companion.chapters.synthesis.tasks`). Each page registers its parameters below.
"""
from ... import tasks as _tasks
from ...catalogue import Param, _nb, register

PAPER = "synthesis"

# --- 1. every bound and every measurement on one axis ----------------------------------------
register(_nb(
    "synthesis-bounds", "synthesis/bounds.md",
    "One data set, every bound: the robust share against the radius", PAPER,
    ci_budget_s=60,
))

# --- 2. where the papers agree, and where they seem not to ----------------------------------
register(_nb(
    "synthesis-agreement", "synthesis/agreement.md",
    "Where the papers agree, and where they seem not to", PAPER,
    ci_budget_s=60,
))

# --- 3. how big is small? --------------------------------------------------------------------
register(_nb(
    "synthesis-scale", "synthesis/scale.md",
    "How big is a small perturbation?", PAPER,
    Param("n_pairs", "int", 500, 10_000, "test images whose pairwise distances are measured",
          min=10),
    ci_budget_s=60,
))

_tasks.register_provider("companion.chapters.synthesis.tasks:declare_tasks")
