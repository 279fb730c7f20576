"""Classifier-agnostic robustness bounds, one module per paper's tool.

- :mod:`companion.bounds.gaussian_isoperimetry`: Fawzi, Fawzi & Fawzi (2018), Theorems 1-3 and
  Lemmas 1-2 (bounds from the Gaussian isoperimetric inequality in the latent space).
- :mod:`companion.bounds.latent_partitions` and :mod:`companion.bounds.image_space`: latent
  partitions whose robustness is known exactly, and the bounds read through a generator.
- :mod:`companion.bounds.concentration`: Ding et al. (2019), Example 1, Proposition A.1 and
  Theorem 2.1 (the Irwin-Hall law, concentration on the cube and the ball).
"""
