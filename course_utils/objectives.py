"""Test objectives with known minimisers, for watching optimizers work.

Chapter: 01_why_sgd_struggles (used again in 02–05).

Every objective is a callable on tensors of shape ``(..., dim)`` (so a whole grid evaluates at
once for contour plots), differentiable by autograd, and also offers an analytic ``grad``
that the tests check against autograd. ``minimizers`` lists the local minima and
``minimizer`` the global one, so a chapter can measure the distance to the optimum exactly.
"""

from __future__ import annotations

import math

import numpy as np
import torch


class Objective:
    """Base class: ``f(w)``, ``grad(w)``, the dimension and the known minima."""

    dim: int = 2
    minimizers: tuple[torch.Tensor, ...] = ()

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def grad(self, w: torch.Tensor) -> torch.Tensor:
        """Gradient by autograd; subclasses override with the closed form."""
        w = w.detach().requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(self(w).sum(), w)
        return g

    @property
    def minimizer(self) -> torch.Tensor:
        """The global minimiser (float64, CPU)."""
        if not self.minimizers:
            raise ValueError(f"{type(self).__name__} has no minimiser")
        values = [float(self(m)) for m in self.minimizers]
        return self.minimizers[int(np.argmin(values))]

    @property
    def min_value(self) -> float:
        return float(self(self.minimizer))

    def _check(self, w: torch.Tensor) -> torch.Tensor:
        if not isinstance(w, torch.Tensor):
            w = torch.as_tensor(w, dtype=torch.float64)
        if w.shape[-1:] != (self.dim,):
            raise ValueError(f"{type(self).__name__} takes points of shape (..., {self.dim}), got {tuple(w.shape)}")
        return w


def rotation(angle: float, dtype=torch.float64) -> torch.Tensor:
    """The 2×2 rotation by ``angle`` radians."""
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, -s], [s, c]], dtype=dtype)


class Quadratic(Objective):
    r"""f(w) = ½ (w − w*)ᵀ A (w − w*),  A = Q diag(λ) Qᵀ  (eigenvalues λ > 0, Q orthogonal).

    ``Q`` is the identity (axis-aligned valleys), a given orthogonal matrix, or, with
    ``rotate=True``, a random orthogonal matrix drawn from ``seed``.
    """

    def __init__(self, eigenvalues, *, center=None, Q: torch.Tensor | None = None,
                 rotate: bool = False, seed: int = 0):
        lam = torch.as_tensor(eigenvalues, dtype=torch.float64).flatten()
        if lam.numel() == 0 or not torch.all(lam > 0):
            raise ValueError(f"eigenvalues must be positive, got {lam.tolist()}")
        self.dim = lam.numel()
        self.eigenvalues = lam
        if Q is None:
            if rotate:
                g = torch.Generator().manual_seed(seed)
                Q, _ = torch.linalg.qr(torch.randn(self.dim, self.dim, generator=g, dtype=torch.float64))
            else:
                Q = torch.eye(self.dim, dtype=torch.float64)
        Q = torch.as_tensor(Q, dtype=torch.float64)
        if Q.shape != (self.dim, self.dim) or not torch.allclose(Q @ Q.T, torch.eye(self.dim, dtype=torch.float64), atol=1e-10):
            raise ValueError("Q must be an orthogonal matrix matching the eigenvalues")
        self.Q = Q
        self.A = Q @ torch.diag(lam) @ Q.T
        # Axis-aligned valleys need no matrix product: elementwise is exact and much faster
        # for thousands of runs at once (chapter 01 simulates 2,000 noisy runs in parallel).
        self.axis_aligned = bool(torch.equal(Q, torch.eye(self.dim, dtype=torch.float64)))
        self.center = (torch.zeros(self.dim, dtype=torch.float64) if center is None
                       else torch.as_tensor(center, dtype=torch.float64).flatten())
        self.minimizers = (self.center,)

    @classmethod
    def with_condition(cls, kappa: float, dim: int = 2, *, lam_min: float = 1.0, **kwargs) -> "Quadratic":
        """A quadratic whose eigenvalues run geometrically from ``lam_min`` to ``kappa·lam_min``."""
        if kappa < 1:
            raise ValueError(f"the condition number must be >= 1, got {kappa}")
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        lam = lam_min * torch.logspace(0, math.log10(kappa), dim, dtype=torch.float64) if dim > 1 \
            else torch.tensor([lam_min], dtype=torch.float64)
        return cls(lam, **kwargs)

    @property
    def condition_number(self) -> float:
        return float(self.eigenvalues.max() / self.eigenvalues.min())

    @property
    def L(self) -> float:
        """Largest eigenvalue (the gradient's Lipschitz constant)."""
        return float(self.eigenvalues.max())

    @property
    def mu(self) -> float:
        """Smallest eigenvalue (the strong-convexity constant)."""
        return float(self.eigenvalues.min())

    def __call__(self, w):
        w = self._check(w)
        d = w - self.center.to(w.device, w.dtype)
        Ad = d * self.eigenvalues.to(w.device, w.dtype) if self.axis_aligned else d @ self.A.to(w.device, w.dtype)
        return 0.5 * (Ad * d).sum(-1)

    def grad(self, w):
        w = self._check(w)
        d = w - self.center.to(w.device, w.dtype)
        if self.axis_aligned:
            return d * self.eigenvalues.to(w.device, w.dtype)
        return d @ self.A.to(w.device, w.dtype)  # A is symmetric

    def hessian(self) -> torch.Tensor:
        return self.A.clone()


class Saddle(Objective):
    """f(x, y) = ½ x² − ½ y² + ¼ y⁴: a saddle at the origin between minima at (0, ±1).

    Gradient descent started exactly on the line y = 0 converges to the saddle; any tiny y
    component grows like (1 + α)ᵗ and carries it away — slowly when it starts small.
    """

    saddle_point = torch.zeros(2, dtype=torch.float64)

    def __init__(self):
        self.minimizers = (torch.tensor([0.0, 1.0], dtype=torch.float64),
                           torch.tensor([0.0, -1.0], dtype=torch.float64))

    def __call__(self, w):
        w = self._check(w)
        x, y = w[..., 0], w[..., 1]
        return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4

    def grad(self, w):
        w = self._check(w)
        x, y = w[..., 0], w[..., 1]
        return torch.stack([x, -y + y**3], dim=-1)


class LocalMinima1D(Objective):
    """A 1-D polynomial with several local minima, defined by its critical points.

    f′(w) = c ∏ᵢ (w − rᵢ) with an odd number of roots r₁ < … < r_n; the odd-numbered roots
    (r₁, r₃, …) are minima and the even-numbered ones maxima, so every minimiser is known
    exactly. ``f`` is the antiderivative, shifted so that f(0) = 0.
    """

    dim = 1

    def __init__(self, critical_points=(-1.6, -0.6, 0.3, 1.1, 1.9), scale: float = 1.0):
        r = sorted(float(x) for x in critical_points)
        if len(r) % 2 == 0 or len(set(r)) != len(r):
            raise ValueError("give an odd number of distinct critical points")
        self.critical_points = tuple(r)
        self.dcoef = scale * np.poly(r)  # f' coefficients, highest power first
        self.coef = np.polyint(self.dcoef)
        self.minimizers = tuple(torch.tensor([x], dtype=torch.float64) for x in r[0::2])
        self.maximizers = tuple(torch.tensor([x], dtype=torch.float64) for x in r[1::2])

    @staticmethod
    def _horner(coef, w):
        out = torch.zeros_like(w)
        for c in coef:
            out = out * w + float(c)
        return out

    def __call__(self, w):
        w = self._check(w)
        return self._horner(self.coef, w[..., 0])

    def grad(self, w):
        w = self._check(w)
        return self._horner(self.dcoef, w[..., 0]).unsqueeze(-1)


class NoisyGradient(Objective):
    """Wrap an objective so that ``grad`` returns ∇f(w) + σ ξ, ξ ~ N(0, I) drawn from ``generator``.

    The value ``f(w)`` stays exact; only the gradient oracle is noisy, as with minibatches.
    """

    def __init__(self, base: Objective, sigma: float, generator: torch.Generator | None = None):
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        self.base, self.sigma = base, float(sigma)
        self.dim, self.minimizers = base.dim, base.minimizers
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __call__(self, w):
        return self.base(w)

    def grad(self, w):
        w = self._check(w)
        noise = torch.randn(w.shape, generator=self.generator, dtype=w.dtype)
        return self.base.grad(w) + self.sigma * noise.to(w.device)


def optimize(objective: Objective, w0, make_optimizer, steps: int, *, make_scheduler=None,
             schedule=None, dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
    """Run an optimizer on an objective and return the path of iterates, shape (steps + 1, dim).

    ``make_optimizer([w])`` builds any ``torch.optim.Optimizer`` (torch's or the course's);
    the gradient comes from ``objective.grad`` (exact, or noisy for :class:`NoisyGradient`).
    The lr is driven by :class:`~course_utils.stepping.LRDriver`: ``make_scheduler(optimizer)``
    builds a scheduler stepped after every step, or ``schedule(t)`` is a pure schedule that
    sets the lr of step t (at most one of the two). A run whose iterate stops being finite
    raises :class:`~course_utils.guards.DivergenceError` naming the step and the learning rate.
    """
    from .guards import check_finite
    from .stepping import LRDriver

    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    w = torch.as_tensor(w0, dtype=dtype).detach().clone().to(device).requires_grad_(True)
    opt = make_optimizer([w])
    driver = LRDriver(opt, make_scheduler(opt) if make_scheduler is not None else None,
                      schedule=schedule)
    path = [w.detach().clone()]
    for t in range(1, steps + 1):
        w.grad = objective.grad(w.detach())
        opt.step()
        driver.step()
        path.append(check_finite(w.detach().clone(), step=t, lr=opt, what="the iterate"))
    return torch.stack(path)
