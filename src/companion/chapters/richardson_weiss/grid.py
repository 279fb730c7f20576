"""Which pairs, classifiers and evaluations the Richardson & Weiss chapter computes, per profile,
and which pages use them.

The pages ask for evaluations by *group*: ``"bayes"`` (the Bayes-optimal classifiers of the
symmetric and asymmetric versions, gradient attack), ``"classifiers"`` (CNN with CW-L2, linear
and RBF SVM with the gradient attack, all trained on symmetric samples), ``"cw_check"`` (CW-L2
on the symmetric Bayes-optimal classifier, the paper's check of its gradient attack),
``"capacity"`` (deeper, wider CNNs and more samples, Figure 9), ``"trades"`` (TRADES-trained
CNNs, Figure 10), ``"real"`` (the classifiers trained and tested on real images, and the CNN
trained on symmetric samples tested on real images: Tables 2-3, Figures 11-12) and ``"toy"``
(the noisy two-image data of Theorem 1, Figure 4). An evaluation that several groups share is
computed once; the declared tasks (:mod:`companion.chapters.richardson_weiss.tasks`) are built
from :func:`entries`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from . import experiment as ex

__all__ = ["MNIST_PAIRS", "FASHION_PAIRS", "CELEBA_TABLE1", "CELEBA_REAL", "CIFAR_PAIRS",
           "SYNTHETIC", "CW_CHECK", "CAPACITY", "TRADES", "REAL", "TOYS", "GROUPS", "PAGES",
           "Entry", "group", "entries", "evaluation", "classifier_of"]

#: the paper's MNIST pairs (Section 2.1)
MNIST_PAIRS = ("mnist-0-6", "mnist-2-7", "mnist-4-5")
#: the book's offline second family: T-shirt/top-Shirt, Pullover-Coat, Sandal-Sneaker
FASHION_PAIRS = ("fashion-0-6", "fashion-2-4", "fashion-5-7")
#: the twelve CelebA attributes of Table 1
CELEBA_TABLE1 = tuple(f"celeba-{a}" for a in (
    "Bangs", "Black_Hair", "Brown_Hair", "Heavy_Makeup", "High_Cheekbones", "Male",
    "Mouth_Slightly_Open", "No_Beard", "Smiling", "Wearing_Earrings", "Wearing_Lipstick",
    "Eyeglasses"))
#: the five CelebA attributes of Tables 2 and 3
CELEBA_REAL = tuple(f"celeba-{a}" for a in ("Male", "Smiling", "Bangs", "Heavy_Makeup",
                                            "Eyeglasses"))
#: Figure 12: CIFAR-10 class i against class i + 1
CIFAR_PAIRS = tuple(f"cifar-{i}-{i + 1}" for i in range(0, 9, 2))

#: the pairs whose symmetric and asymmetric data sets the profile builds (``paper`` adds the
#: CelebA attributes, which need a download)
SYNTHETIC = {"ci": MNIST_PAIRS + FASHION_PAIRS,
             "paper": MNIST_PAIRS + FASHION_PAIRS + CELEBA_TABLE1}
#: where the Bayes-optimal classifier is also attacked with CW-L2
CW_CHECK = {"ci": ("mnist-0-6",), "paper": MNIST_PAIRS + ("celeba-Male",)}
#: Figure 9: CNN depths and widths (on ``pairs``) and numbers of training samples (on
#: ``n_pairs``; up to a million, held in memory: MNIST only), one changed at a time from the
#: profile's CNN
CAPACITY = {"ci": {"pairs": ("mnist-0-6",), "depth": (8,), "width": (16,), "epochs": (10,),
                   "n_pairs": ("mnist-0-6",), "n": (6_000,)},
            "paper": {"pairs": MNIST_PAIRS + ("celeba-Male",), "depth": (2, 8, 16),
                      "width": (8, 64, 128), "epochs": (20,), "n_pairs": MNIST_PAIRS,
                      "n": (2_000, 200_000, 1_000_000)}}
#: Figure 10: TRADES betas (Zhang et al.'s trade-off), on these pairs
TRADES = {"ci": {"pairs": ("mnist-0-6",), "beta": (1.0, 6.0)},
          "paper": {"pairs": MNIST_PAIRS + CELEBA_TABLE1, "beta": (0.1, 1.0, 3.0, 6.0, 10.0)}}
#: Section 3.1: pairs trained and tested on real images (``paper``: CelebA and CIFAR-10,
#: downloads), and whose symmetric-sample CNN is tested on real images (Table 3)
REAL = {"ci": {"pairs": ("mnist-0-6", "fashion-0-6"), "table3": ("mnist-0-6", "fashion-0-6")},
        "paper": {"pairs": MNIST_PAIRS + CELEBA_REAL + CIFAR_PAIRS,
                  "table3": MNIST_PAIRS + CELEBA_REAL}}
#: Theorem 1: the noisy two-image toys
TOYS = {"ci": ("toy-mnist-0-6",), "paper": ("toy-mnist-0-6", "toy-fashion-0-6")}

GROUPS = ("bayes", "classifiers", "cw_check", "capacity", "trades", "real", "toy")
#: the pages that use each group
PAGES = {
    "bayes": ("rw-paper", "rw-theorem2", "rw-symmetric-asymmetric", "rw-classifiers"),
    "classifiers": ("rw-paper", "rw-classifiers", "rw-cnn-trades"),
    "cw_check": ("rw-theorem2", "rw-classifiers"),
    "capacity": ("rw-cnn-trades",),
    "trades": ("rw-cnn-trades",),
    "real": ("rw-real-data",),
    "toy": ("rw-theorem1",),
}


@dataclass(frozen=True)
class Entry:
    """One evaluation of the grid: the classifier (what :func:`experiment.classifier_key`
    takes), the test data, the attack, and the pages that use it."""

    pair: str
    kind: str
    train: str = "symmetric"
    version: str = "symmetric"
    depth: Optional[int] = None
    width: Optional[int] = None
    n: Optional[int] = None
    epochs: Optional[int] = None
    beta: Optional[float] = None
    test: Optional[str] = None
    attack: Optional[str] = "default"
    notebooks: tuple = field(default=(), compare=False)

    def kwargs(self) -> dict:
        """The keyword arguments of :func:`experiment.classifier_key` /
        :func:`experiment.evaluate`."""
        out = {"train": self.train}
        if self.kind == "bayes":
            return {"version": self.version}
        for k in ("depth", "width", "n", "epochs", "beta"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out

    def classifier_key(self, profile: str) -> dict:
        return ex.classifier_key(profile, self.pair, self.kind, **self.kwargs())

    def eval_key(self, profile: str) -> dict:
        ckey = self.classifier_key(profile)
        test = self.test if self.test is not None else ex._default_test(ckey)
        return ex.eval_key(profile, ckey, test, self.attack)


def group(profile: str, name: str) -> list:
    """The entries of one group under ``profile`` (before merging with other groups).

    Used on :doc:`/notebooks/rw-paper`, :doc:`/notebooks/rw-symmetric-asymmetric`,
    :doc:`/notebooks/rw-theorem1`.
    """
    ex.check_profile(profile)
    if name == "bayes":
        return [Entry(p, "bayes", version=v) for p in SYNTHETIC[profile]
                for v in ("symmetric", "asymmetric")]
    if name == "classifiers":
        return [Entry(p, k) for p in SYNTHETIC[profile]
                for k in ("cnn", "linear_svm", "rbf_svm")]
    if name == "cw_check":
        return [Entry(p, "bayes", attack="cw") for p in CW_CHECK[profile]]
    if name == "capacity":
        c = CAPACITY[profile]
        return [Entry(p, "cnn", **{what: v}) for p in c["pairs"]
                for what in ("depth", "width", "epochs") for v in c[what]] + \
            [Entry(p, "cnn", n=v) for p in c["n_pairs"] for v in c["n"]]
    if name == "trades":
        t = TRADES[profile]
        return [Entry(p, "cnn", beta=b) for p in t["pairs"] for b in t["beta"]]
    if name == "real":
        r = REAL[profile]
        return [Entry(p, k, train="real") for p in r["pairs"]
                for k in ("cnn", "linear_svm", "rbf_svm")] + \
            [Entry(p, "cnn", test="real", attack=None) for p in r["table3"]]
    if name == "toy":
        return [e for p in TOYS[profile] for e in (Entry(p, "bayes"), Entry(p, "cnn"))]
    raise ValueError(f"unknown group {name!r}; valid: {GROUPS}")


def entries(profile: str) -> dict:
    """Every evaluation of the profile, merged across groups: ``{evaluation name: (entry,
    key)}`` with the entry's ``notebooks`` the union over the groups that use it."""
    out: dict = {}
    for g in GROUPS:
        for e in group(profile, g):
            key = e.eval_key(profile)
            name = ex.eval_name(key)
            if name in out:
                old, okey = out[name]
                if okey != key:
                    raise RuntimeError(f"two keys for evaluation {name}")  # a naming bug
                e = replace(old, notebooks=tuple(dict.fromkeys(old.notebooks + PAGES[g])))
            else:
                e = replace(e, notebooks=PAGES[g])
            out[name] = (e, key)
    return out


def evaluation(profile: str, entry: Entry) -> ex.Evaluation:
    """The evaluation of a grid entry (cached; its task fills the same file).

    Used on :doc:`/notebooks/rw-classifiers`, :doc:`/notebooks/rw-paper`,
    :doc:`/notebooks/rw-symmetric-asymmetric`, :doc:`/notebooks/rw-theorem1`,
    :doc:`/notebooks/rw-theorem2`.
    """
    return ex.evaluate(profile, entry.pair, entry.kind, test=entry.test, attack=entry.attack,
                       **entry.kwargs())


def classifier_of(profile: str, entry: Entry):
    """``(model, info)`` of a grid entry's classifier.

    Used on :doc:`/notebooks/rw-classifiers`.
    """
    return ex.classifier(profile, entry.pair, entry.kind, **entry.kwargs())
