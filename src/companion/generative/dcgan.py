"""DCGAN (Radford et al., 2016) for small images.

As in Fawzi et al.'s experiments (latent d = 100).

The generator maps ``z ~ N(0, I_d)`` to images in [0, 1] (sigmoid output, so that classifiers
trained on [0, 1] data apply directly). Use it in ``eval()`` mode as the map ``g`` of the paper.
"""
from __future__ import annotations

import time
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..progress import progress as _progress
from ._common import upsampling_plan

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "train_gan", "sample"]


class DCGANGenerator(nn.Module):
    """z (B, d) -> linear to (w 2^(k-1), base, base), then k transposed convolutions 4x4/2.

    Parameters
    ----------
    latent_dim:
        d (100 in the paper).
    channels, image_size:
        Output images ``(channels, image_size, image_size)``; ``image_size`` 28 or 32 (any
        ``base * 2**k`` with base 3..7).
    width:
        Channels of the last hidden layer; earlier layers double it.
    """

    def __init__(self, latent_dim: int = 100, channels: int = 1, image_size: int = 28,
                 width: int = 64) -> None:
        super().__init__()
        if latent_dim < 1 or channels < 1 or width < 1:
            raise ValueError(f"latent_dim, channels and width must be >= 1, got "
                             f"{latent_dim}, {channels}, {width}")
        base, k = upsampling_plan(image_size)
        self.latent_dim, self.channels, self.image_size = latent_dim, channels, image_size
        c0 = width * 2 ** (k - 1)
        self.fc = nn.Sequential(nn.Linear(latent_dim, c0 * base * base),
                                nn.BatchNorm1d(c0 * base * base), nn.ReLU())
        self.shape0 = (c0, base, base)
        layers, c = [], c0
        for i in range(k - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2),
                       nn.ReLU()]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        return self.net(self.fc(z).view(-1, *self.shape0))


class DCGANDiscriminator(nn.Module):
    """Image -> one logit: k strided 4x4 convolutions.

    Leaky ReLU 0.2, batch norm after the first.
    """

    def __init__(self, channels: int = 1, image_size: int = 28, width: int = 64) -> None:
        super().__init__()
        base, k = upsampling_plan(image_size)
        layers, c = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)], width
        for _ in range(k - 1):
            layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c),
                       nn.LeakyReLU(0.2)]
            c *= 2
        layers += [nn.Flatten(), nn.Linear(c * base * base, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)[:, 0]


def train_gan(generator: DCGANGenerator, discriminator: nn.Module, X, *, epochs: int = 1,
              batch_size: int = 64, lr: float = 2e-4, betas=(0.5, 0.999), seed: int = 0,
              max_steps: Optional[int] = None, time_budget: Optional[float] = None,
              progress: bool = True, device: Optional[str] = None, checkpoint=None) -> list:
    """Train a GAN with the non-saturating loss and Adam (Radford et al.'s settings) on images
    ``X`` (N, C, H, W) in [0, 1]. Deterministic for a seed. Stops after ``epochs``, ``max_steps``
    or ``time_budget`` seconds, whichever comes first. Returns per-epoch dicts of mean losses.
    ``device`` moves both networks there (batches follow). Both are left in ``eval()`` mode.
    ``checkpoint``: optional path of an epoch-boundary resume checkpoint (both networks, both
    optimizers, the RNG states; see :class:`companion.training.EpochCheckpoint`): an interrupted
    run called again with the same path and settings resumes after its last finished epoch and
    ends bit-identical to an uninterrupted one."""
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).float()
    expected = (generator.channels, generator.image_size, generator.image_size)
    if X.dim() != 4 or tuple(X.shape[1:]) != expected:
        raise ValueError(f"X must have shape (N, {expected[0]}, {expected[1]}, {expected[2]}) "
                         f"to match the generator, got {tuple(X.shape)}")
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    if device is not None:
        generator.to(device)
        discriminator.to(device)
    dev = next(generator.parameters()).device
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=betas)
    n = X.shape[0]
    per_epoch = n // batch_size
    if per_epoch < 1:
        raise ValueError(f"need at least batch_size={batch_size} images, got {n}")
    total = epochs * per_epoch if max_steps is None else min(epochs * per_epoch, max_steps)
    history, steps, start, stop = [], 0, time.perf_counter(), False
    first_epoch, resume = 0, None
    if checkpoint is not None:
        from ..training import EpochCheckpoint, restore_rng_state, rng_state

        resume = EpochCheckpoint(checkpoint, {
            "loop": "train_gan", "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "betas": list(betas), "seed": seed, "max_steps": max_steps,
            "time_budget": time_budget, "data": list(X.shape),
            "params": [list(q.shape)
                       for q in [*generator.parameters(), *discriminator.parameters()]]})
        state = resume.load()
        if state is not None:
            generator.load_state_dict(state["modules"]["generator"])
            discriminator.load_state_dict(state["modules"]["discriminator"])
            opt_g.load_state_dict(state["optimizers"]["generator"])
            opt_d.load_state_dict(state["optimizers"]["discriminator"])
            restore_rng_state(state["rng"], shuffle)
            history, steps, stop = list(state["history"]), int(state["steps"]), bool(state["stop"])
            first_epoch, start = int(state["epoch"]) + 1, start - float(state["seconds"])
            if stop:
                first_epoch = epochs
    generator.train()
    discriminator.train()
    bar = _progress(total=total, desc="GAN", disable=not progress, initial=steps)
    try:
        for epoch in range(first_epoch, epochs):
            perm = torch.randperm(n, generator=shuffle)
            sums = [0.0, 0.0]
            for b in range(per_epoch):
                real = X[perm[b * batch_size:(b + 1) * batch_size]].to(dev)
                z = torch.randn(real.shape[0], generator.latent_dim, device=dev)
                fake = generator(z)
                ones = torch.ones(real.shape[0], device=dev)
                d_loss = (F.binary_cross_entropy_with_logits(discriminator(real), ones)
                          + F.binary_cross_entropy_with_logits(discriminator(fake.detach()),
                                                               0 * ones))
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
                sums[0] += float(d_loss.detach())
                sums[1] += float(g_loss.detach())
                steps += 1
                bar.update(1)
                bar.set_postfix(d=f"{float(d_loss.detach()):.2f}",
                                g=f"{float(g_loss.detach()):.2f}")
                if (max_steps is not None and steps >= max_steps) or (
                        time_budget is not None and time.perf_counter() - start >= time_budget):
                    stop = True
                    break
            done = b + 1
            history.append({"epoch": epoch, "d_loss": sums[0] / done, "g_loss": sums[1] / done,
                            "steps": steps, "seconds": time.perf_counter() - start})
            if resume is not None:
                resume.save({"modules": {"generator": generator.state_dict(),
                                         "discriminator": discriminator.state_dict()},
                             "optimizers": {"generator": opt_g.state_dict(),
                                            "discriminator": opt_d.state_dict()},
                             "rng": rng_state(shuffle), "epoch": epoch, "history": history,
                             "steps": steps, "stop": stop,
                             "seconds": time.perf_counter() - start})
            if stop:
                break
    finally:
        bar.close()
        generator.eval()
        discriminator.eval()
    return history


@torch.no_grad()
def sample(generator: nn.Module, n: int, latent_dim: Optional[int] = None, seed: int = 0):
    """``(z, g(z))`` for ``n`` latents ``z ~ N(0, I_d)`` drawn with ``seed`` (generator in eval
    mode; both returned on the CPU)."""
    d = latent_dim or generator.latent_dim
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, d, generator=gen)
    was = generator.training
    generator.eval()
    x = generator(z.to(next(generator.parameters()).device)).cpu()
    generator.train(was)
    return z, x
