"""Momentum on a quadratic in closed form: iteration matrix, spectral radius, optimal α and β.

Chapter: 03_quadratic_model (the theory), 02_momentum (measured rates against ``geometric_rate``).

On f(w) = ½ (w − w*)ᵀ A (w − w*) with A = Q diag(λ) Qᵀ, momentum in PyTorch's form with a
constant learning rate, z_{t+1} = β z_t + ∇f(w_t), w_{t+1} = w_t − α z_{t+1}, splits into one
independent 2×2 linear system per eigenvalue λ, acting on the coordinates
x = qᵀ(w − w*) and z = qᵀ(buffer). Everything below is a function of (λ, α, β), vectorised
by broadcasting over tensors, in float64 on the CPU. Equations, numbered as in chapter 03:

    (3.3)  (z, x)_{t+1} = R (z, x)_t,   R = [[β, λ], [−αβ, 1 − αλ]]
    (3.4)  σ² − (1 + β − αλ) σ + β = 0                    (eigenvalues σ₁, σ₂ of R)
    (3.5)  |σ₁|, |σ₂| < 1  ⇔  0 ≤ β < 1 and 0 < αλ < 2 + 2β
    (3.6)  (1 − √β)² < αλ < (1 + √β)²  ⇒  σ complex, |σ₁| = |σ₂| = √β
    (3.7)  β = (1 − √(αλ))²  ⇒  σ₁ = σ₂ = 1 − √(αλ)       (critical damping, αλ ≤ 1)
    (3.8)  ρ(α, β) = max over λ ∈ [μ, L] of max|σ| = max(ρ_μ, ρ_L)
    (3.9)  α* = (2 / (√L + √μ))²,  β* = ((√κ − 1)/(√κ + 1))²,  ρ* = (√κ − 1)/(√κ + 1)
    (3.10) gradient descent: α = 2 / (L + μ),  ρ = (κ − 1)/(κ + 1)
    (3.11) with gradient noise σ_g ξ:  Var x = α σ_g² (1 + β) / (λ (1 − β)(2 + 2β − αλ))
    (3.12)                              Var x ≈ α σ_g² / (2λ (1 − β))        (αλ ≪ 1)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

__all__ = ["iteration_matrix", "iteration_eigenvalues", "spectral_radius", "convergence_rate",
           "stability_limit", "complex_interval", "critical_momentum", "Tuning", "optimal_gd",
           "optimal_momentum", "geometric_rate", "stationary_variance", "eigen_trajectory",
           "plot_rate_map", "plot_phase_portrait"]


def _t(x) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.float64)


def iteration_matrix(lam, lr, momentum) -> torch.Tensor:
    """R(λ) of (3.3), shape (..., 2, 2): one step of momentum on the state (z, x).

    z_{t+1} = β z_t + λ x_t and x_{t+1} = x_t − α z_{t+1} = −αβ z_t + (1 − αλ) x_t.
    """
    lam, lr, beta = torch.broadcast_tensors(_t(lam), _t(lr), _t(momentum))
    row_z = torch.stack([beta, lam], dim=-1)                          # (3.3) first row
    row_x = torch.stack([-lr * beta, 1 - lr * lam], dim=-1)           # (3.3) second row
    return torch.stack([row_z, row_x], dim=-2)


def iteration_eigenvalues(lam, lr, momentum) -> torch.Tensor:
    """The two roots σ₁, σ₂ of (3.4), complex dtype, shape (..., 2); |σ₁| ≥ |σ₂|."""
    lam, lr, beta = torch.broadcast_tensors(_t(lam), _t(lr), _t(momentum))
    b = (1 + beta - lr * lam).to(torch.complex128)                    # trace of R
    root = torch.sqrt(b * b - 4 * beta)                               # complex square root
    first, second = (b + root) / 2, (b - root) / 2                    # (3.4)
    swap = second.abs() > first.abs()
    return torch.stack([torch.where(swap, second, first), torch.where(swap, first, second)], dim=-1)


def spectral_radius(lam, lr, momentum) -> torch.Tensor:
    """max(|σ₁|, |σ₂|) of R(λ): the asymptotic contraction per step of one eigen-direction.

    Real roots (discriminant ≥ 0): (|b| + √(b² − 4β)) / 2 with b = 1 + β − αλ; complex roots:
    √β exactly, since σ₁σ₂ = det R = β and the roots are conjugate          (3.6)
    """
    lam, lr, beta = torch.broadcast_tensors(_t(lam), _t(lr), _t(momentum))
    b = 1 + beta - lr * lam
    disc = b * b - 4 * beta
    real = (b.abs() + disc.clamp_min(0).sqrt()) / 2
    return torch.where(disc >= 0, real, beta.sqrt())


def convergence_rate(eigenvalues, lr, momentum=0.0) -> torch.Tensor:
    """Worst spectral radius over the given eigenvalues (3.8); ``lr`` and ``momentum`` broadcast.

    The result has the broadcast shape of ``lr`` and ``momentum`` (a grid for a heat-map).
    For a spectrum filling [μ, L], passing (μ, L) suffices: ρ(λ) falls, is flat at √β, then
    rises as λ grows, so its maximum over an interval sits at an end.
    """
    lam = _t(eigenvalues).flatten()
    lr, beta = torch.broadcast_tensors(_t(lr), _t(momentum))
    return spectral_radius(lam, lr[..., None], beta[..., None]).amax(dim=-1)


def stability_limit(momentum) -> torch.Tensor:
    """The largest stable αλ for momentum β: 2 + 2β (3.5); 2 for gradient descent."""
    return 2 + 2 * _t(momentum)


def complex_interval(momentum) -> tuple[torch.Tensor, torch.Tensor]:
    """The band of αλ where the roots are complex and the rate is √β: ((1 − √β)², (1 + √β)²) (3.6)."""
    s = _t(momentum).sqrt()
    return (1 - s) ** 2, (1 + s) ** 2


def critical_momentum(lam, lr) -> torch.Tensor:
    """β = (1 − √(αλ))², where the two roots meet (3.7): the edges of the complex band (3.6).

    In both cases the double root is 1 − √(αλ). For αλ ≤ 1 it is positive: critical damping,
    the fastest β for that direction. For 1 < αλ < 4 it is negative: the band's upper edge,
    where the iterates alternate in sign without rippling.
    """
    return (1 - (_t(lr) * _t(lam)).sqrt()) ** 2


class Tuning(NamedTuple):
    """A tuned pair (learning rate, momentum) and its predicted rate per step."""

    lr: float
    momentum: float
    rate: float


def optimal_gd(mu: float, L: float) -> Tuning:
    """Gradient descent's best constant step on a spectrum in [μ, L] (3.10)."""
    _check_spectrum(mu, L)
    kappa = L / mu
    return Tuning(2 / (L + mu), 0.0, (kappa - 1) / (kappa + 1))


def optimal_momentum(mu: float, L: float) -> Tuning:
    """Polyak's optimal heavy-ball parameters on a spectrum in [μ, L] (3.9)."""
    _check_spectrum(mu, L)
    sqrt_kappa = math.sqrt(L / mu)
    lr = (2 / (math.sqrt(L) + math.sqrt(mu))) ** 2                   # (3.9) α*
    rate = (sqrt_kappa - 1) / (sqrt_kappa + 1)                        # (3.9) ρ* = √β*
    return Tuning(lr, rate**2, rate)                                  # (3.9) β* = ρ*²


def _check_spectrum(mu, L):
    if not 0 < mu <= L:
        raise ValueError(f"need 0 < mu <= L, got mu={mu}, L={L}")


def geometric_rate(errors, start: int = 0, stop: int | None = None) -> float:
    """Measured rate: the geometric mean of e_{t+1}/e_t for start ≤ t < stop, = (e_stop/e_start)^(1/(stop − start))."""
    e = _t(errors).flatten()
    stop = len(e) - 1 if stop is None else stop
    if not 0 <= start < stop < len(e):
        raise ValueError(f"need 0 <= start < stop < {len(e)}, got start={start}, stop={stop}")
    return float(torch.exp((e[stop].log() - e[start].log()) / (stop - start)))


def stationary_variance(lam, lr, momentum, sigma) -> torch.Tensor:
    """Stationary Var x of one eigen-direction when the gradient carries noise σ_g ξ (3.11).

    Exact for z_{t+1} = β z_t + λ x_t + σ_g ξ_t, x_{t+1} = x_t − α z_{t+1}, ξ_t ~ N(0, 1)
    independent; infinite outside the stable region (3.5). For small αλ it is close to
    α σ_g² / (2λ (1 − β)): at a fixed α it grows like 1 / (1 − β).
    """
    lam, lr, beta, sigma = torch.broadcast_tensors(_t(lam), _t(lr), _t(momentum), _t(sigma))
    gap = 2 + 2 * beta - lr * lam
    var = lr * sigma**2 * (1 + beta) / (lam * (1 - beta) * gap)       # (3.11)
    stable = (lr * lam > 0) & (gap > 0) & (beta >= 0) & (beta < 1)
    return torch.where(stable, var, torch.full_like(var, math.inf))


def eigen_trajectory(lam: float, lr: float, momentum: float, x0: float = 1.0, steps: int = 100,
                     z0: float = 0.0) -> torch.Tensor:
    """Iterate (3.3) from (z0, x0): the rows (z_t, x_t) for t = 0 … steps, shape (steps + 1, 2)."""
    R = iteration_matrix(lam, lr, momentum)
    states = [_t([z0, x0])]
    for _ in range(steps):
        states.append(R @ states[-1])
    return torch.stack(states)


def plot_rate_map(mu: float, L: float, *, lrs=None, momenta=None, ax=None, cmap="viridis"):
    """Heat-map of the rate (3.8) over (α, β), with the regime boundaries of (3.5)–(3.7).

    Draws the divergence boundary αL = 2 + 2β, the edges β = (1 − √(αλ))² of the complex
    band (3.6)–(3.7) for λ = μ and λ = L, gradient descent's best α on β = 0 and the optimum
    (3.9). Returns the Axes; its first collection is the heat-map.
    """
    import matplotlib.pyplot as plt

    from course_utils.plotting import ORANGE, VERMILLION, WHITE

    if ax is None:
        _, ax = plt.subplots()
    lrs = torch.linspace(1e-3 / L, 4 / L, 240, dtype=torch.float64) if lrs is None else _t(lrs)
    momenta = torch.linspace(0, 0.999, 240, dtype=torch.float64) if momenta is None else _t(momenta)
    A, B = torch.meshgrid(lrs, momenta, indexing="xy")
    rate = convergence_rate([mu, L], A, B).clamp(max=1.0)
    mesh = ax.pcolormesh(lrs.numpy() * L, momenta.numpy(), rate.numpy(), cmap=cmap, vmin=rate.min().item(),
                         vmax=1.0, shading="auto")
    ax.figure.colorbar(mesh, ax=ax, label="rate per step (1 = no progress)")
    a = lrs.numpy() * L
    ax.plot(a, a / 2 - 1, color=WHITE, lw=1.5, ls="--", label=r"divergence: $\alpha L = 2 + 2\beta$")
    for lam, name, ls in ((mu, r"\mu", ":"), (L, "L", "-.")):
        ok = (lrs * lam < 4).numpy()
        ax.plot(a[ok], critical_momentum(lam, lrs[ok]).numpy(), color=WHITE, lw=1.2, ls=ls,
                label=rf"edges of the $\sqrt{{\beta}}$ band for ${name}$")
    best, gd = optimal_momentum(mu, L), optimal_gd(mu, L)
    ax.plot(best.lr * L, best.momentum, "*", color=VERMILLION, ms=14, label=r"optimum $(\alpha^*, \beta^*)$")
    ax.plot(gd.lr * L, 0.0, "o", color=ORANGE, ms=8, clip_on=False, label=r"best GD, $\alpha = 2/(L+\mu)$")
    ax.set_ylim(float(momenta[0]), float(momenta[-1]))
    ax.set_xlabel(r"step size $\alpha L$ (in units of $1/L$)")
    ax.set_ylabel(r"momentum $\beta$")
    return ax


def plot_phase_portrait(lam: float, lr: float, momentum: float, *, x0: float = 1.0, steps: int = 60,
                        ax=None, label: str | None = None, color=None):
    """Position x_t against velocity v_t = x_t − x_{t−1} = −α z_t of one eigen-direction (3.3)."""
    import matplotlib.pyplot as plt

    from course_utils.plotting import BLACK

    if ax is None:
        _, ax = plt.subplots()
    path = eigen_trajectory(lam, lr, momentum, x0=x0, steps=steps)
    x, v = path[:, 1].numpy(), (-lr * path[:, 0]).numpy()
    ax.plot(x, v, marker="o", ms=2.5, lw=0.8, label=label, color=color)
    ax.plot([0], [0], "*", color=BLACK, ms=9)
    ax.set_xlabel(r"position $x_t$")
    ax.set_ylabel(r"velocity $x_t - x_{t-1}$")
    return ax
