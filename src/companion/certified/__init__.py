"""Certified robustness of ReLU networks: bounds, certified error, certified training.

Ding et al. (Section 2.2, Appendix B.2) train Wong & Kolter's (2018) provably robust ConvNet and
find 3.00% certified robust error on binarised MNIST against 37.70% on the original digits, at
``eps = 0.3``. This package holds what that needs, for sequential networks of ``Conv2d``,
``Linear``, ``ReLU``, ``Flatten`` and :class:`Normalize` layers:

* :mod:`~companion.certified.models`: :func:`wong_kolter_convnet`, :func:`mlp`, the layer
  walker :func:`layers_of` and :func:`to_dense` (convolutions as Linear layers);
* :mod:`~companion.certified.propagation`: interval bound propagation (:func:`ibp`) and CROWN
  linear-relaxation bounds (:func:`crown`; full CROWN or CROWN-IBP) over an l_inf ball
  intersected with the box ``[0, 1]``, on specifications ``C`` such as the margins
  (:func:`margin_spec`, :func:`margin_bounds`); the module docstring says how memory scales;
* :mod:`~companion.certified.evaluate`: :func:`certify` / :func:`certified_error` on data, and
  :func:`box_effect`: what the box does to binarised versus original images;
* :mod:`~companion.certified.trainer`: :func:`certified_train` (robust cross-entropy of the
  worst-case logits, eps warm-up over the first half, CROWN-IBP's kappa and beta schedules);
* :mod:`~companion.certified.exact`: the exact minimum of a margin by MILP (HiGHS, big-M), for
  checking the bounds on small networks.
"""
from .propagation import (METHODS, Bounds, bounds, crown, ibp, input_box, margin_bounds,
                     margin_spec, preactivation_bounds)
from .evaluate import (Certification, binarize, box_effect, certified_error, certify,
                       log2_volume, relu_stability)
from .exact import ExactResult, affine_segments, exact_minimum
from .models import (SUPPORTED, Normalize, conv_matrix, layers_of, mlp, to_dense,
                     wong_kolter_convnet)
from .trainer import (TRAIN_METHODS, CertifiedTrainConfig, certified_train,
                      robust_cross_entropy, training_margins, warmup)
from . import models

__all__ = [
    "METHODS", "Bounds", "bounds", "crown", "ibp", "input_box", "margin_bounds", "margin_spec",
    "preactivation_bounds",
    "Certification", "binarize", "box_effect", "certified_error", "certify", "log2_volume",
    "relu_stability",
    "ExactResult", "affine_segments", "exact_minimum",
    "SUPPORTED", "Normalize", "conv_matrix", "layers_of", "mlp", "to_dense",
    "wong_kolter_convnet", "models",
    "TRAIN_METHODS", "CertifiedTrainConfig", "certified_train", "robust_cross_entropy",
    "training_margins", "warmup",
]
