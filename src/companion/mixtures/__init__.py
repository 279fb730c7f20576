"""Mixtures of factor analysers and the Bayes-optimal classifiers of Richardson & Weiss.

- :class:`MFA` (exact log-likelihood by Woodbury and the determinant lemma, responsibilities,
  closed-form scores, sampling), :func:`fit_mfa` (EM of Ghahramani & Hinton, k-means + PPCA
  or factor-analysis initialisation) -> :class:`FitResult`;
- :func:`make_symmetric` / :func:`make_asymmetric` (Section 2.3, Appendix B.2);
- :class:`BayesOptimal` (a differentiable classifier: logits = log-likelihoods + log priors)
  and :func:`gradient_attack` (Appendix C.2);
- the exact ground truth for two Gaussians: :func:`boundary_distance` (Lagrange multipliers
  and a 1-D root search), with the closed forms :func:`hyperplane_distance` and
  :func:`sphere_distance`.
"""
from .bayes import BayesOptimal, gradient_attack
from .datasets import AsymmetricPair, make_asymmetric, make_symmetric, principal_direction
from .mfa import MFA, FitResult, em_step, fit_mfa, init_mfa
from .quadric import (BoundaryDistance, Quadric, boundary_distance, gaussian_quadric,
                      hyperplane_distance, quadric_distance, sphere_distance)

__all__ = ["MFA", "FitResult", "fit_mfa", "init_mfa", "em_step", "make_symmetric",
           "make_asymmetric", "AsymmetricPair", "principal_direction", "BayesOptimal",
           "gradient_attack", "Quadric", "BoundaryDistance", "gaussian_quadric",
           "quadric_distance", "boundary_distance", "hyperplane_distance", "sphere_distance"]
