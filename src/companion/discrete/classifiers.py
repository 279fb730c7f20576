"""Classifiers on complete discrete image spaces, as label arrays over every image.

Used to verify Dai & Gifford's Theorem 1 exhaustively: Algorithm 1 (the robust classifier of
Theorem 2), a Hamming ball (the extremal set of the isoperimetric inequality), a random linear
classifier, a random labelling, and a small CNN trained on real (downscaled) digits.
"""
from __future__ import annotations

import numpy as np

from .image_spaces import ImageSpace

__all__ = ["algorithm1", "hamming_ball", "random_linear", "random_labelling", "digits_cnn"]


def algorithm1(space: ImageSpace) -> np.ndarray:
    """Algorithm 1: label 0 if the sum of the channel values is below ``n^2 h / 2``, else 1.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    out = np.empty(space.size, np.int8)
    for s, e in space.chunks():
        total = space.levels(s, e).sum(axis=1, dtype=np.int64)
        # sum of values = total / (q - 1) < N / 2  <=>  2 total < N (q - 1), exactly in integers
        out[s:e] = (2 * total >= space.N * (space.q - 1)).astype(np.int8)
    return out


def hamming_ball(space: ImageSpace) -> np.ndarray:
    """Label 0 on the largest L0 ball around the black image holding at most half the space."""
    import math

    sizes, total = [], 0
    for i in range(space.N + 1):
        total += math.comb(space.N, i) * (space.q - 1) ** i
        sizes.append(total)
    radius = max(i for i in range(space.N + 1) if 2 * sizes[i] <= space.size)
    out = np.empty(space.size, np.int8)
    for s, e in space.chunks():
        out[s:e] = ((space.levels(s, e) > 0).sum(axis=1) > radius).astype(np.int8)
    return out


def random_linear(space: ImageSpace, classes: int = 4, seed: int = 0) -> np.ndarray:
    """``argmax_k w_k . x + c_k`` with Gaussian ``w_k`` and offsets centred on the space."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((classes, space.N))
    c = -W.sum(axis=1) / 2 + rng.standard_normal(classes) * np.sqrt(space.N) / 4
    out = np.empty(space.size, np.int8)
    for s, e in space.chunks():
        x = space.levels(s, e).astype(np.float64) / (space.q - 1)
        out[s:e] = np.argmax(x @ W.T + c, axis=1)
    return out


def random_labelling(space: ImageSpace, classes: int = 4, seed: int = 0) -> np.ndarray:
    """Independent uniform labels.

    Used on :doc:`/notebooks/dai-gifford-paper`.
    """
    return np.random.default_rng(seed).integers(0, classes, space.size).astype(np.int8)


def digits_cnn(space: ImageSpace, seed: int = 0, epochs: int = 30):
    """A small CNN trained on scikit-learn's real 8x8 digits, downscaled to ``n x n`` and
    quantised to the space's ``2^b`` levels (``h = 1``), then applied to every image of the space.

    Returns ``(labels, info)``; ``info`` has the test accuracy on held-out downscaled digits and
    the dataset's provenance.
    """
    if space.h != 1:
        raise ValueError("digits_cnn needs a one-channel space (h = 1)")
    import torch
    from skimage.transform import resize
    from torch import nn

    from .. import data

    train, test = data.load("sklearn-digits", "train"), data.load("sklearn-digits", "test")

    def prep(ds):
        imgs = ds.float_images(channels_first=False)[..., 0]
        small = np.stack([resize(im, (space.n, space.n), anti_aliasing=True) for im in imgs])
        small = small / max(small.max(), 1e-9)
        levels = np.clip(np.round(small * (space.q - 1)), 0, space.q - 1) / (space.q - 1)
        return torch.tensor(levels, dtype=torch.float32)[:, None], torch.tensor(ds.labels)

    X, Y = prep(train)
    Xt, Yt = prep(test)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(16 * space.n * space.n, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), Y[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = float((model(Xt).argmax(1) == Yt).float().mean())
        out = np.empty(space.size, np.int8)
        for s, e in space.chunks(1 << 16):
            x = torch.tensor(space.images(s, e)[..., 0])[:, None]
            out[s:e] = model(x).argmax(1).numpy()
    return out, {"test_accuracy": acc, "dataset": train}
