"""A small convolutional VAE (Kingma & Welling, 2014); its decoder is a smoother generator than a
GAN's and serves as an alternative map ``g`` from ``N(0, I_d)`` to images in [0, 1]."""
from __future__ import annotations

import time
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress as _progress
from ._common import upsampling_plan

__all__ = ["VAEDecoder", "ConvVAE", "vae_loss", "train_vae"]


class VAEDecoder(nn.Module):
    """z (B, d) -> images in [0, 1]: linear, then k transposed convolutions 4x4/2 (ReLU)."""

    def __init__(self, latent_dim: int = 16, channels: int = 1, image_size: int = 28,
                 width: int = 32) -> None:
        super().__init__()
        base, k = upsampling_plan(image_size)
        self.latent_dim, self.channels, self.image_size = latent_dim, channels, image_size
        c0 = width * 2 ** (k - 1)
        self.shape0 = (c0, base, base)
        self.fc = nn.Sequential(nn.Linear(latent_dim, c0 * base * base), nn.ReLU())
        layers, c = [], c0
        for _ in range(k - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.ReLU()]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1)]
        self.net = nn.Sequential(*layers)

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        """Pre-sigmoid outputs (used by the Bernoulli reconstruction loss)."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(self.fc(z).view(-1, *self.shape0))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(z))


class ConvVAE(nn.Module):
    """Encoder (k strided 4x4 convolutions -> mean and log-variance) and :class:`VAEDecoder`."""

    def __init__(self, latent_dim: int = 16, channels: int = 1, image_size: int = 28,
                 width: int = 32) -> None:
        super().__init__()
        base, k = upsampling_plan(image_size)
        layers, c = [nn.Conv2d(channels, width, 4, 2, 1), nn.ReLU()], width
        for _ in range(k - 1):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1), nn.ReLU()]
            c *= 2
        self.encoder = nn.Sequential(*layers, nn.Flatten())
        self.mu = nn.Linear(c * base * base, latent_dim)
        self.logvar = nn.Linear(c * base * base, latent_dim)
        self.decoder = VAEDecoder(latent_dim, channels, image_size, width)
        self.latent_dim = latent_dim

    def encode(self, x: torch.Tensor):
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder.logits(z), mu, logvar


def vae_loss(model: ConvVAE, x: torch.Tensor) -> torch.Tensor:
    """Negative ELBO per image: Bernoulli reconstruction (summed over pixels) plus KL."""
    logits, mu, logvar = model(x)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (rec + kl) / x.shape[0]


def train_vae(model: ConvVAE, X, *, epochs: int = 1, batch_size: int = 128, lr: float = 1e-3,
              seed: int = 0, max_steps: Optional[int] = None,
              time_budget: Optional[float] = None, progress: bool = True,
              device: Optional[str] = None) -> list:
    """Maximise the ELBO with Adam on images ``X`` (N, C, H, W) in [0, 1]. Deterministic for a
    seed; stops after ``epochs``, ``max_steps`` or ``time_budget`` seconds. Returns per-epoch
    mean losses; the model is left in ``eval()`` mode (use ``model.decoder`` as the generator).
    ``device`` moves the model there (batches follow)."""
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).float()
    if X.dim() != 4:
        raise ValueError(f"X must have shape (N, C, H, W), got {tuple(X.shape)}")
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    if device is not None:
        model.to(device)
    dev = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = X.shape[0]
    per_epoch = max(n // batch_size, 1)
    total = epochs * per_epoch if max_steps is None else min(epochs * per_epoch, max_steps)
    history, steps, start, stop = [], 0, time.perf_counter(), False
    model.train()
    bar = _progress(total=total, desc="VAE", disable=not progress)
    try:
        for epoch in range(epochs):
            perm = torch.randperm(n, generator=shuffle)
            total_loss = 0.0
            for b in range(per_epoch):
                loss = vae_loss(model, X[perm[b * batch_size:(b + 1) * batch_size]].to(dev))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total_loss += float(loss.detach())
                steps += 1
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss.detach()):.1f}")
                if (max_steps is not None and steps >= max_steps) or (
                        time_budget is not None and time.perf_counter() - start >= time_budget):
                    stop = True
                    break
            history.append({"epoch": epoch, "loss": total_loss / (b + 1), "steps": steps,
                            "seconds": time.perf_counter() - start})
            if stop:
                break
    finally:
        bar.close()
        model.eval()
    return history
