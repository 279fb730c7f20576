"""Generative models and the generator quantities of Fawzi et al. (2018), Section 3.2.

- :class:`DCGANGenerator` / :class:`DCGANDiscriminator` / :func:`train_gan` (d = 100 in the
  paper),
- :class:`ConvVAE` / :func:`train_vae` (its ``decoder`` is a smoother generator),
- :func:`estimate_modulus` -> :class:`Modulus` (omega and its inverse, footnote 6),
- :func:`invert` (latent inversion, Eq. (7)) and :class:`Robustified` (the classifier of
  Theorem 6).
"""
from .continuity import Modulus, estimate_modulus, local_max_distance
from .dcgan import DCGANDiscriminator, DCGANGenerator, sample, train_gan
from .inversion import Inversion, Robustified, invert
from .vae import ConvVAE, VAEDecoder, train_vae, vae_loss

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "train_gan", "sample", "ConvVAE", "VAEDecoder",
           "train_vae", "vae_loss", "Modulus", "estimate_modulus", "local_max_distance",
           "Inversion", "invert", "Robustified"]
