"""Classifier-agnostic robustness bounds, one module per paper's tool.

- :mod:`companion.bounds.gaussian_isoperimetry`: Fawzi, Fawzi & Fawzi (2018), Theorems 1-3 and
  Lemmas 1-2 (bounds from the Gaussian isoperimetric inequality in the latent space).
"""
