"""Support vector machines as differentiable torch modules (Richardson & Weiss, Appendix B.4-5).

A two-class scikit-learn ``SVC`` (kernel ``"linear"`` or ``"rbf"``) becomes a ``torch.nn.Module``
with the SVM's decision function

* linear: ``f(x) = w^T x + b`` (:class:`LinearSVM`, ``w = coef_[0]``, ``b = intercept_[0]``);
* RBF: ``f(x) = sum_i a_i exp(-gamma ||x - s_i||^2) + b`` (:class:`RBFSVM`: support vectors
  ``s_i``, dual coefficients ``a_i = y_i alpha_i``, intercept ``b``, kernel coefficient
  ``gamma = 1 / (2 sigma^2)``),

evaluated in float64, and the logits ``[-f(x) / 2, f(x) / 2]``: their argmax is the SVM's
decision (class index 1, scikit-learn's ``classes_[1]``, where ``f > 0``) and their difference
is ``f``, so every attack of :mod:`companion.attacks` applies unchanged. The paper's fast
attack on these models (Appendix C.2: fixed steps along the gradient until the decision
flips) is :func:`svm_gradient_attack`.

Fitting: :func:`fit_svm` (``SVC`` with ``C = 1``, the default the paper keeps) and the visible
bandwidth search of Appendix B.5, :func:`gamma_search` ("the highest gamma value that still
provided a high classification accuracy", made a stated rule). A fitted module is saved as plain
arrays (:meth:`BinarySVM.to_arrays`, for :func:`companion.artifacts.cached_arrays`) and rebuilt
by :func:`svm_from_arrays`.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

import numpy as np
import torch
from torch import nn

from ..attacks.base import AttackResult, check_batch

__all__ = ["KERNELS", "BinarySVM", "LinearSVM", "RBFSVM", "svm_from_sklearn", "svm_from_arrays",
           "fit_svm", "gamma_grid", "GammaSearch", "gamma_search", "svm_gradient_attack"]

#: the kernels a :class:`BinarySVM` can hold
KERNELS = ("linear", "rbf")
DTYPE = torch.float64


def _vector(a, name: str) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        t = a.detach().cpu().to(DTYPE).clone()
    else:
        t = torch.as_tensor(np.array(a, dtype=np.float64))
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return t


class BinarySVM(nn.Module):
    """The common part of :class:`LinearSVM` and :class:`RBFSVM`: logits from a decision
    function.

    Subclasses define :meth:`decision_function` and :meth:`decision_gradient` on flattened
    float64 inputs ``(B, d)``. ``classes`` holds the two labels the model was fitted on
    (scikit-learn's ``classes_``); the module predicts their indices 0 and 1.
    """

    kind = ""

    def __init__(self, dim: int, classes=(0, 1)) -> None:
        super().__init__()
        classes = tuple(int(c) for c in np.asarray(classes).reshape(-1))
        if len(classes) != 2 or classes[0] == classes[1]:
            raise ValueError(f"a binary SVM has two distinct classes, got {classes}")
        self.dim = int(dim)
        self.classes = classes

    def _input(self, x) -> torch.Tensor:
        t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
        if t.dim() == 1:
            t = t[None]
        t = t.reshape(t.shape[0], -1) if t.shape[0] else t.reshape(0, self.dim)
        t = t.to(device=self._device(), dtype=DTYPE)
        if t.shape[1] != self.dim:
            raise ValueError(f"inputs must have {self.dim} features (flattened), got "
                             f"{t.shape[1]}")
        return t

    def _device(self) -> torch.device:
        for b in self.buffers():
            return b.device
        return torch.device("cpu")

    def decision_function(self, x) -> torch.Tensor:  # pragma: no cover - abstract
        """``f(x)``, ``(B,)`` float64 (differentiable in ``x``)."""
        raise NotImplementedError

    def decision_gradient(self, x) -> torch.Tensor:  # pragma: no cover - abstract
        """``grad_x f(x)``, ``(B, d)`` float64, in closed form."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[-f(x) / 2, f(x) / 2]``, ``(B, 2)``, in the dtype of ``x`` (computed in
        float64); ``x`` is ``(B, ...)``, flattened."""
        f = self.decision_function(x)
        out = torch.stack([-f / 2, f / 2], dim=1)
        return out.to(x.dtype) if isinstance(x, torch.Tensor) and x.is_floating_point() else out

    def to_arrays(self, prefix: str = "") -> dict:
        """The model as plain numpy arrays (``kind``, ``classes`` and its parameters), keys
        prefixed by ``prefix``; :func:`svm_from_arrays` rebuilds it."""
        out = {"kind": np.array(self.kind), "classes": np.asarray(self.classes, np.int64)}
        out.update({k: v.detach().cpu().numpy().copy() for k, v in self.named_buffers()})
        return {prefix + k: v for k, v in out.items()}


class LinearSVM(BinarySVM):
    """``f(x) = w^T x + b``: a linear SVM (or any affine two-class decision).

    Parameters
    ----------
    weight : array_like
        ``(d,)`` the normal ``w``.
    bias : float
        The intercept ``b``.
    classes : pair of int
        The two labels (index 0: ``f <= 0``, index 1: ``f > 0``).

    Examples
    --------
    >>> m = LinearSVM([3.0, 4.0], -5.0)
    >>> m.decision_function(torch.tensor([[1.0, 1.0]])).item()
    2.0
    >>> m(torch.tensor([[1.0, 1.0], [0.0, 0.0]])).argmax(1).tolist()
    [1, 0]
    """

    kind = "linear"

    def __init__(self, weight, bias, classes=(0, 1)) -> None:
        w = _vector(weight, "weight")
        if w.dim() != 1 or w.numel() < 1:
            raise ValueError(f"weight must be a vector (d,), got shape {tuple(w.shape)}")
        b = _vector(bias, "bias").reshape(-1)
        if b.numel() != 1:
            raise ValueError(f"bias must be one number, got {b.numel()}")
        super().__init__(w.numel(), classes)
        self.register_buffer("weight", w)
        self.register_buffer("bias", b[0].clone())

    def decision_function(self, x) -> torch.Tensor:
        return self._input(x) @ self.weight + self.bias

    def decision_gradient(self, x) -> torch.Tensor:
        return self.weight.expand(self._input(x).shape[0], -1).clone()

    def distance(self, x) -> torch.Tensor:
        """The exact L2 distance ``|f(x)| / ||w||`` from each input to the hyperplane ``f = 0``,
        ``(B,)``."""
        return self.decision_function(x).abs() / self.weight.norm()

    def extra_repr(self) -> str:
        return f"d={self.dim}"


class RBFSVM(BinarySVM):
    """``f(x) = sum_i a_i exp(-gamma ||x - s_i||^2) + b``: an RBF-kernel SVM.

    Parameters
    ----------
    support_vectors : array_like
        ``(m, d)`` the support vectors ``s_i``.
    dual_coef : array_like
        ``(m,)`` the dual coefficients ``a_i`` (scikit-learn's ``dual_coef_[0]``, labels times
        Lagrange multipliers).
    intercept : float
        ``b`` (scikit-learn's ``intercept_[0]``).
    gamma : float
        The kernel coefficient ``gamma > 0`` (``1 / (2 sigma^2)`` for bandwidth ``sigma``).
    classes : pair of int
        The two labels.

    Examples
    --------
    One support vector at the origin with ``a = 1``, ``b = -exp(-1)``, ``gamma = 1``: ``f`` is
    zero on the unit circle.

    >>> m = RBFSVM([[0.0, 0.0]], [1.0], -math.exp(-1), 1.0)
    >>> x = torch.tensor([[0.6, 0.8]], dtype=torch.float64)
    >>> abs(m.decision_function(x).item()) < 1e-12
    True
    >>> m(torch.tensor([[0.1, 0.0], [2.0, 0.0]])).argmax(1).tolist()
    [1, 0]
    """

    kind = "rbf"

    def __init__(self, support_vectors, dual_coef, intercept, gamma, classes=(0, 1)) -> None:
        sv = _vector(support_vectors, "support_vectors")
        if sv.dim() != 2 or sv.shape[0] < 1 or sv.shape[1] < 1:
            raise ValueError(f"support_vectors must have shape (m, d) with m, d >= 1, got "
                             f"{tuple(sv.shape)}")
        a = _vector(dual_coef, "dual_coef").reshape(-1)
        if a.numel() != sv.shape[0]:
            raise ValueError(f"dual_coef must have one entry per support vector ({sv.shape[0]}),"
                             f" got {a.numel()}")
        b = _vector(intercept, "intercept").reshape(-1)
        if b.numel() != 1:
            raise ValueError(f"intercept must be one number, got {b.numel()}")
        g = float(np.asarray(gamma, dtype=np.float64).reshape(-1)[0])
        if not (math.isfinite(g) and g > 0):
            raise ValueError(f"gamma must be a finite number > 0, got {gamma!r}")
        super().__init__(sv.shape[1], classes)
        self.register_buffer("support_vectors", sv)
        self.register_buffer("dual_coef", a)
        self.register_buffer("intercept", b[0].clone())
        self.register_buffer("gamma", torch.tensor(g, dtype=DTYPE))
        self.register_buffer("sv_sq", (sv * sv).sum(1))

    def _kernel(self, x: torch.Tensor) -> torch.Tensor:
        d2 = (x * x).sum(1, keepdim=True) + self.sv_sq - 2 * x @ self.support_vectors.T
        return torch.exp(-self.gamma * d2.clamp_min(0))              # (B, m)

    def decision_function(self, x) -> torch.Tensor:
        return self._kernel(self._input(x)) @ self.dual_coef + self.intercept

    def decision_gradient(self, x) -> torch.Tensor:
        x = self._input(x)
        w = self._kernel(x) * self.dual_coef                          # (B, m)
        return -2 * self.gamma * (w.sum(1, keepdim=True) * x - w @ self.support_vectors)

    def to_arrays(self, prefix: str = "") -> dict:
        out = super().to_arrays(prefix)
        out.pop(prefix + "sv_sq")
        return out

    def extra_repr(self) -> str:
        return f"d={self.dim}, support vectors={self.support_vectors.shape[0]}, " \
               f"gamma={float(self.gamma):.4g}"


def svm_from_sklearn(svc) -> BinarySVM:
    """The :class:`LinearSVM` or :class:`RBFSVM` of a fitted two-class ``sklearn.svm.SVC``.

    The linear model takes ``coef_[0]`` and ``intercept_[0]``; the RBF one the support vectors,
    ``dual_coef_[0]``, ``intercept_[0]`` and the ``gamma`` the fit used (``svc.gamma`` when it
    is a number, the value ``"scale"`` or ``"auto"`` resolved to otherwise). Its decision
    function equals ``svc.decision_function`` (up to float64 rounding).
    """
    from sklearn.svm import SVC

    if not isinstance(svc, SVC):
        raise ValueError(f"svm_from_sklearn takes a fitted sklearn.svm.SVC, got "
                         f"{type(svc).__name__}")
    if not hasattr(svc, "support_vectors_"):
        raise ValueError("the SVC is not fitted: call .fit(X, y) first (or use fit_svm)")
    if svc.kernel not in KERNELS:
        raise ValueError(f"kernel {svc.kernel!r} is not supported; valid: {KERNELS}")
    if len(svc.classes_) != 2:
        raise ValueError(f"a binary SVC is needed, this one has {len(svc.classes_)} classes")
    classes = np.asarray(svc.classes_)
    if not np.array_equal(classes, np.round(classes)):
        raise ValueError(f"class labels must be integers, got {classes.tolist()}")
    if svc.kernel == "linear":
        return LinearSVM(svc.coef_[0], svc.intercept_[0], classes)
    gamma = svc.gamma if isinstance(svc.gamma, (int, float)) else svc._gamma
    return RBFSVM(svc.support_vectors_, svc.dual_coef_[0], svc.intercept_[0], gamma, classes)


def svm_from_arrays(arrays: dict, prefix: str = "") -> BinarySVM:
    """Rebuild a :class:`BinarySVM` from what :meth:`BinarySVM.to_arrays` returned (e.g. the
    dict :func:`companion.artifacts.cached_arrays` loads), keys prefixed by ``prefix``.

    Examples
    --------
    >>> m = RBFSVM([[0.0, 1.0], [1.0, 0.0]], [0.5, -0.5], 0.1, 2.0)
    >>> r = svm_from_arrays(m.to_arrays("svm_"), "svm_")
    >>> type(r).__name__, float(r.gamma), r.support_vectors.shape
    ('RBFSVM', 2.0, torch.Size([2, 2]))
    """
    try:
        kind = str(arrays[prefix + "kind"])
    except KeyError:
        raise ValueError(f"no {prefix + 'kind'!r} entry: not the arrays of an SVM (keys: "
                         f"{sorted(arrays)})") from None
    get = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    classes = get.get("classes", (0, 1))
    if kind == "linear":
        return LinearSVM(get["weight"], get["bias"], classes)
    if kind == "rbf":
        return RBFSVM(get["support_vectors"], get["dual_coef"], get["intercept"], get["gamma"],
                      classes)
    raise ValueError(f"unknown SVM kind {kind!r}; valid: {KERNELS}")


def _data(X, y=None):
    X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
    if X.ndim < 2 or X.shape[0] < 1:
        raise ValueError(f"X must be (N, ...) with N >= 1 examples, got shape {X.shape}")
    X = X.reshape(X.shape[0], -1)
    if not np.isfinite(X).all():
        raise ValueError("X must be finite (no NaN or inf)")
    if y is None:
        return X
    y = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must hold one label per example ({X.shape[0]}), got {y.shape[0]}")
    labels = np.unique(y)
    if len(labels) != 2:
        raise ValueError(f"a binary SVM needs exactly two classes in y, got {labels.tolist()}")
    return X, y


def _check_c(C: float) -> float:
    c = float(C)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"C (the SVM's regularisation) must be a finite number > 0, got {C!r}")
    return c


def fit_svm(X, y, kernel: str = "linear", C: float = 1.0, gamma="scale") -> BinarySVM:
    """Fit a two-class ``sklearn.svm.SVC`` and return it as a :class:`BinarySVM`.

    Parameters
    ----------
    X : array_like
        ``(N, ...)`` training inputs (flattened, float64).
    y : array_like
        ``(N,)`` labels, exactly two distinct integers.
    kernel : str
        ``"linear"`` (Appendix B.4) or ``"rbf"`` (Appendix B.5).
    C : float
        Regularisation (``> 0``); the paper keeps scikit-learn's default 1.
    gamma : float or str
        RBF kernel coefficient (``> 0``), or ``"scale"`` (scikit-learn's
        ``1 / (d Var(X))``); ignored by the linear kernel.

    Returns
    -------
    BinarySVM
        A :class:`LinearSVM` or :class:`RBFSVM` equal to the fitted SVC.
    """
    from sklearn.svm import SVC

    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; valid: {KERNELS}")
    c = _check_c(C)
    if kernel == "rbf" and gamma != "scale":
        g = float(gamma)
        if not (math.isfinite(g) and g > 0):
            raise ValueError(f"gamma must be a finite number > 0 or 'scale', got {gamma!r}")
        gamma = g
    X, y = _data(X, y)
    svc = SVC(kernel=kernel, C=c, gamma=gamma if kernel == "rbf" else "scale")
    return svm_from_sklearn(svc.fit(X, y))


def gamma_grid(X, factors: Sequence[float] = (1, 2, 4, 8, 16, 32, 64)) -> np.ndarray:
    """Candidate RBF coefficients: ``factors`` times scikit-learn's ``"scale"`` value
    ``1 / (d Var(X))`` (``Var`` over all entries of the flattened ``X``).

    Examples
    --------
    >>> gamma_grid(np.array([[0.0, 0.0], [2.0, 2.0]]), (1, 4)).tolist()   # d = 2, Var = 1
    [0.5, 2.0]
    """
    X = _data(X)
    var = float(X.var())
    if not var > 0:
        raise ValueError("X has zero variance: no scale for gamma")
    f = np.asarray(factors, dtype=np.float64)
    if f.ndim != 1 or f.size < 1 or not (f > 0).all():
        raise ValueError(f"factors must be one or more numbers > 0, got {factors!r}")
    return f / (X.shape[1] * var)


class GammaSearch(NamedTuple):
    """What :func:`gamma_search` returns: the table and the chosen gamma."""

    gammas: np.ndarray      #: the candidates, increasing
    accuracies: np.ndarray  #: validation accuracy of the RBF SVM fitted with each
    gamma: float            #: the chosen one
    threshold: float        #: the accuracy it had to reach
    rule: str               #: the rule, in words

    def rows(self) -> list:
        """``[(gamma, accuracy, chosen), ...]`` for a table."""
        return [(float(g), float(a), bool(g == self.gamma))
                for g, a in zip(self.gammas, self.accuracies)]


def gamma_search(X_train, y_train, X_val, y_val, gammas=None, C: float = 1.0,
                 tolerance: float = 0.01) -> GammaSearch:
    """The largest gamma that keeps a high accuracy (Appendix B.5), by a stated rule.

    An RBF SVM is fitted on ``(X_train, y_train)`` for every candidate gamma and scored on
    ``(X_val, y_val)``; the chosen gamma is **the largest one whose validation accuracy is at
    least the best accuracy of the table minus** ``tolerance``. A larger gamma is a narrower
    kernel: far from the training data the decision function falls back to its intercept, so
    the SVM is harder to fool, until the kernel is so narrow that the accuracy drops.

    Parameters
    ----------
    X_train, y_train, X_val, y_val : array_like
        Training and validation inputs ``(N, ...)`` and binary labels.
    gammas : sequence of float, optional
        Candidates (``> 0``); default :func:`gamma_grid` of ``X_train``.
    C : float
        Regularisation of every fit (``> 0``).
    tolerance : float
        How much accuracy below the best still counts as high (``0 <= tolerance < 1``).

    Returns
    -------
    GammaSearch
        The table (sorted by gamma), the chosen gamma, the threshold and the rule.
    """
    c = _check_c(C)
    if not (0 <= float(tolerance) < 1):
        raise ValueError(f"tolerance must be in [0, 1) (an accuracy difference), got "
                         f"{tolerance!r}")
    Xt, yt = _data(X_train, y_train)
    Xv, yv = _data(X_val, y_val)
    if Xv.shape[1] != Xt.shape[1]:
        raise ValueError(f"X_val has {Xv.shape[1]} features, X_train {Xt.shape[1]}")
    g = gamma_grid(Xt) if gammas is None else np.asarray(gammas, dtype=np.float64).reshape(-1)
    if g.size < 1 or not (np.isfinite(g).all() and (g > 0).all()):
        raise ValueError(f"gammas must be one or more finite numbers > 0, got {gammas!r}")
    g = np.unique(g)
    acc = []
    for gamma in g:
        m = fit_svm(Xt, yt, "rbf", c, float(gamma))
        pred = np.asarray(m.classes)[m(torch.as_tensor(Xv)).argmax(1).numpy()]
        acc.append(float(np.mean(pred == yv)))
    acc = np.asarray(acc)
    threshold = float(acc.max() - tolerance)
    chosen = float(g[np.flatnonzero(acc >= threshold - 1e-12).max()])
    rule = (f"the largest gamma whose validation accuracy is at least the best accuracy "
            f"({acc.max():.4f}) minus {float(tolerance):g}")
    return GammaSearch(g, acc, chosen, threshold, rule)


def svm_gradient_attack(model: BinarySVM, x: torch.Tensor, labels: Optional[torch.Tensor] = None,
                        *, step_size: float = 0.01, max_steps: int = 2000,
                        bisect_steps: int = 30) -> AttackResult:
    """The gradient attack of Appendix C.2 on an SVM: fixed L2 steps along ``-+grad f`` until
    the decision flips, then bisection on the last step.

    Each step moves an example by ``step_size`` along the normalised gradient of the decision
    function, downhill for class index 1 (``f > 0``) and uphill for class index 0, until the
    predicted class differs from ``labels``; the crossing is then located by ``bisect_steps``
    halvings of the last step. A linear SVM is crossed along ``w``, so the norm is its exact
    distance ``|f(x)| / ||w||`` up to ``step_size / 2 ** bisect_steps``. Where the gradient
    vanishes (far from every support vector of an RBF SVM) the example stays put: the attack
    fails there.

    Parameters
    ----------
    model : BinarySVM
        The SVM to attack.
    x : torch.Tensor
        ``(B, ...)`` inputs (flattened internally); no box: inputs may leave ``[0, 1]``.
    labels : torch.Tensor, optional
        Class indices (0 or 1) to move away from (default: the predictions at ``x``).
    step_size : float
        The L2 length of a step (``> 0``).
    max_steps, bisect_steps : int
        The step budget and the halvings of the last step (``>= 0``).

    Returns
    -------
    AttackResult
        ``x_adv`` float64 shaped like ``x`` (``x`` where the attack failed), L2 ``norms``,
        ``success``, ``labels``; ``info["steps"]``: the steps taken.
    """
    if not isinstance(model, BinarySVM):
        raise ValueError("svm_gradient_attack needs a BinarySVM (LinearSVM or RBFSVM); use "
                         "companion.attacks for other models")
    check_batch(x, labels)
    if not (math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be > 0, got {step_size}")
    if int(max_steps) != max_steps or max_steps < 0 or int(bisect_steps) != bisect_steps \
            or bisect_steps < 0:
        raise ValueError(f"max_steps and bisect_steps must be integers >= 0, got {max_steps}, "
                         f"{bisect_steps}")
    with torch.no_grad():
        x0 = model._input(x.detach())
        n = x0.shape[0]

        def pred(z):
            return (model.decision_function(z) > 0).long()

        labels = pred(x0) if labels is None else labels.to(x0.device).long()
        if ((labels != 0) & (labels != 1)).any():
            raise ValueError("labels must be class indices 0 or 1")
        sign = labels.to(DTYPE) * 2 - 1                # +1: go down in f, -1: go up
        cur, prev = x0.clone(), x0.clone()
        steps = torch.zeros(n, dtype=torch.long, device=x0.device)
        crossed = torch.zeros(n, dtype=torch.bool, device=x0.device)
        active = torch.arange(n, device=x0.device)
        for it in range(int(max_steps) + 1):
            flipped = pred(cur[active]) != labels[active]
            crossed[active[flipped]] = True
            active = active[~flipped]
            if it == max_steps or active.numel() == 0:
                break
            g = model.decision_gradient(cur[active])
            gn = g.norm(dim=1, keepdim=True)
            moving = gn[:, 0] > 0
            d = torch.where(moving[:, None], g / gn.clamp_min(1e-300), torch.zeros_like(g))
            prev[active] = cur[active]
            cur[active] = cur[active] - step_size * sign[active, None] * d
            steps[active] += moving.long()
            active = active[moving]                    # a zero gradient: stuck, the attack fails
            if active.numel() == 0:
                break
        idx = torch.nonzero(crossed & (steps > 0)).flatten()
        lo, hi = prev[idx], cur[idx]
        for _ in range(int(bisect_steps)):
            mid = (lo + hi) / 2
            over = (pred(mid) != labels[idx])[:, None]
            hi = torch.where(over, mid, hi)
            lo = torch.where(over, lo, mid)
        x_adv = torch.where(crossed[:, None], cur, x0)
        x_adv[idx] = hi
        success = crossed & (pred(x_adv) != labels)
        x_adv = torch.where(success[:, None], x_adv, x0)
        norms = (x_adv - x0).norm(dim=1)
    return AttackResult(x_adv=x_adv.reshape(x.shape), norms=norms, success=success, p=2,
                        labels=labels, info={"steps": steps})
