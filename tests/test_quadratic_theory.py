"""course_utils.quadratic_theory: every closed form checked against an independent computation.

Targets come from linear algebra (torch.linalg.eigvals, a Lyapunov solve, matrix powers) or
from running torch.optim.SGD itself, never from the formulas under test.
"""

import math

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
import torch

from course_utils import quadratic_theory as qt
from course_utils.objectives import Quadratic, optimize

GRID = [(lam, lr, beta) for lam in (0.1, 1.0, 7.0) for lr in (0.01, 0.2, 0.5) for beta in (0.0, 0.3, 0.9, 0.99)]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.mark.parametrize("lam, lr, beta", GRID)
def test_iteration_matrix_is_one_step_of_torch_sgd(lam, lr, beta):
    """(3.3): R maps (buffer, position) before a step of torch's SGD to the pair after it."""
    w = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, momentum=beta)
    states = [torch.tensor([0.0, 0.7], dtype=torch.float64)]
    for _ in range(5):
        w.grad = lam * w.detach().clone()
        opt.step()
        buf = opt.state[w]["momentum_buffer"] if beta else w.grad
        states.append(torch.cat([buf.detach(), w.detach()]))
    R = qt.iteration_matrix(lam, lr, beta)
    for before, after in zip(states, states[1:]):
        torch.testing.assert_close(R @ before, after, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("lam, lr, beta", GRID)
def test_eigenvalues_and_radius_match_linalg(lam, lr, beta):
    R = qt.iteration_matrix(lam, lr, beta)
    ours = qt.iteration_eigenvalues(lam, lr, beta)
    ref = torch.linalg.eigvals(R)
    ref = ref[ref.abs().argsort(descending=True)]
    # roots of a 2×2 polynomial agree to rounding; near a double root only to √eps
    torch.testing.assert_close(ours.abs(), ref.abs(), rtol=1e-7, atol=1e-12)
    assert math.isclose(float(qt.spectral_radius(lam, lr, beta)), float(ref.abs().max()), rel_tol=1e-7, abs_tol=1e-12)
    torch.testing.assert_close(ours.prod(), torch.tensor(beta, dtype=torch.complex128), rtol=1e-12, atol=1e-14)


def test_radius_is_the_growth_rate_of_matrix_powers():
    R = qt.iteration_matrix(1.0, 0.3, 0.8)
    power = torch.linalg.matrix_norm(torch.linalg.matrix_power(R, 2000), ord=2) ** (1 / 2000)
    assert math.isclose(float(power), float(qt.spectral_radius(1.0, 0.3, 0.8)), rel_tol=5e-3)


def test_broadcasting_over_grids():
    lrs = torch.linspace(0.01, 1, 7, dtype=torch.float64)
    betas = torch.linspace(0, 0.9, 5, dtype=torch.float64)
    A, B = torch.meshgrid(lrs, betas, indexing="xy")
    assert qt.iteration_matrix(2.0, A, B).shape == (5, 7, 2, 2)
    assert qt.spectral_radius(2.0, A, B).shape == (5, 7)
    rate = qt.convergence_rate([0.5, 2.0], A, B)
    torch.testing.assert_close(rate, torch.maximum(qt.spectral_radius(0.5, A, B), qt.spectral_radius(2.0, A, B)))


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_stability_boundary(beta):
    edge = float(qt.stability_limit(beta))
    assert edge == pytest.approx(2 + 2 * beta)
    assert float(qt.spectral_radius(edge * (1 - 1e-6), 1.0, beta)) < 1
    assert float(qt.spectral_radius(edge * (1 + 1e-6), 1.0, beta)) > 1
    assert float(qt.spectral_radius(edge, 1.0, beta)) == pytest.approx(1.0, abs=1e-12)


def test_complex_band_has_rate_sqrt_beta_and_critical_damping_meets_it():
    beta = 0.64
    lo, hi = qt.complex_interval(beta)
    inside = torch.linspace(float(lo) + 1e-9, float(hi) - 1e-9, 50, dtype=torch.float64)
    torch.testing.assert_close(qt.spectral_radius(inside, 1.0, beta), torch.full_like(inside, 0.8))
    assert qt.iteration_eigenvalues(inside, 1.0, beta).imag.abs().min() > 0
    for alpha_lam in (0.04, 0.25, 0.81):
        b = float(qt.critical_momentum(alpha_lam, 1.0))
        assert float(qt.spectral_radius(alpha_lam, 1.0, b)) == pytest.approx(1 - math.sqrt(alpha_lam), rel=1e-6)


@pytest.mark.parametrize("kappa", [10.0, 100.0, 1000.0])
def test_optimal_parameters_are_optimal_on_a_grid(kappa):
    mu, L = 1.0, kappa
    best = qt.optimal_momentum(mu, L)
    assert float(qt.convergence_rate([mu, L], best.lr, best.momentum)) == pytest.approx(best.rate, rel=1e-6)
    lrs = torch.linspace(0.2, 4.0, 200, dtype=torch.float64) / L
    betas = torch.linspace(0.0, 0.999, 200, dtype=torch.float64)
    A, B = torch.meshgrid(lrs, betas, indexing="xy")
    assert float(qt.convergence_rate([mu, L], A, B).min()) >= best.rate - 1e-9
    gd = qt.optimal_gd(mu, L)
    rates = qt.convergence_rate([mu, L], lrs, 0.0)
    assert float(rates.min()) >= gd.rate - 1e-12
    assert float(qt.convergence_rate([mu, L], gd.lr, 0.0)) == pytest.approx(gd.rate, rel=1e-12)


def test_max_over_the_interval_is_at_its_ends():
    lam = torch.linspace(1.0, 50.0, 2001, dtype=torch.float64)
    for lr, beta in [(0.01, 0.5), (0.03, 0.9), (0.07, 0.2), (0.0395, 0.0)]:
        dense = float(qt.spectral_radius(lam, lr, beta).max())
        assert float(qt.convergence_rate([1.0, 50.0], lr, beta)) == pytest.approx(dense, rel=1e-12)


@pytest.mark.parametrize("lam, lr, beta", [(1.0, 0.05, 0.0), (1.0, 0.05, 0.9), (3.0, 0.1, 0.5), (0.2, 1.0, 0.99)])
def test_stationary_variance_solves_the_lyapunov_equation(lam, lr, beta):
    """Σ = R Σ Rᵀ + n nᵀ with noise n = σ(1, −α) entering z and, through it, x."""
    sigma = 0.7
    R = qt.iteration_matrix(lam, lr, beta)
    n = sigma * torch.tensor([1.0, -lr], dtype=torch.float64)
    eye = torch.eye(4, dtype=torch.float64)
    vec = torch.linalg.solve(eye - torch.kron(R, R), torch.outer(n, n).flatten())
    assert float(qt.stationary_variance(lam, lr, beta, sigma)) == pytest.approx(float(vec.reshape(2, 2)[1, 1]), rel=1e-10)


def test_stationary_variance_is_infinite_when_unstable():
    assert math.isinf(float(qt.stationary_variance(1.0, 2.5, 0.0, 1.0)))
    assert math.isinf(float(qt.stationary_variance(1.0, 0.1, 1.0, 1.0)))


def test_measured_rate_of_torch_sgd_matches_the_prediction():
    q = Quadratic.with_condition(100.0, dim=6, rotate=True, seed=1)
    best = qt.optimal_momentum(q.mu, q.L)
    path = optimize(q, torch.ones(6), lambda ps: torch.optim.SGD(ps, lr=best.lr, momentum=best.momentum), 400)
    errors = (path - q.minimizer).norm(dim=1)
    assert qt.geometric_rate(errors, 100, 400) == pytest.approx(best.rate, rel=1e-2)


def test_geometric_rate_and_its_errors():
    e = 3.0 * 0.9 ** torch.arange(30, dtype=torch.float64)
    assert qt.geometric_rate(e) == pytest.approx(0.9, rel=1e-12)
    assert qt.geometric_rate(e, 5, 12) == pytest.approx(0.9, rel=1e-12)
    with pytest.raises(ValueError, match="start"):
        qt.geometric_rate(e, 10, 10)
    with pytest.raises(ValueError, match="mu"):
        qt.optimal_momentum(2.0, 1.0)


def test_eigen_trajectory_matches_matrix_powers():
    path = qt.eigen_trajectory(2.0, 0.1, 0.7, x0=1.5, steps=12)
    R = qt.iteration_matrix(2.0, 0.1, 0.7)
    assert path.shape == (13, 2)
    torch.testing.assert_close(path[12], torch.linalg.matrix_power(R, 12) @ torch.tensor([0.0, 1.5], dtype=torch.float64))


def test_plot_helpers_return_their_axes():
    ax = qt.plot_rate_map(1.0, 30.0)
    assert isinstance(ax, mpl.axes.Axes) and ax.collections
    fig, ax2 = plt.subplots()
    assert qt.plot_phase_portrait(1.0, 0.05, 0.9, ax=ax2, label="under-damped") is ax2
    assert len(ax2.lines) == 2
