import math

import pytest
import torch

from course_utils.objectives import LocalMinima1D, NoisyGradient, Objective, Quadratic, Saddle, rotation

OBJECTIVES = [
    Quadratic([1.0, 10.0]),
    Quadratic.with_condition(100.0, dim=5, rotate=True, seed=3, center=torch.arange(5.0)),
    Quadratic([2.0, 0.5], Q=rotation(0.3)),
    Saddle(),
    LocalMinima1D(),
]


@pytest.mark.parametrize("f", OBJECTIVES, ids=lambda f: type(f).__name__)
def test_analytic_gradient_equals_autograd(f):
    w = torch.randn(7, f.dim, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    by_autograd = Objective.grad(f, w)  # the base class differentiates f with autograd
    torch.testing.assert_close(f.grad(w), by_autograd, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("f", OBJECTIVES, ids=lambda f: type(f).__name__)
def test_minimizers_are_stationary_and_local_minima(f):
    for m in f.minimizers:
        assert f.grad(m).abs().max() < 1e-10
        g = torch.Generator().manual_seed(1)
        for _ in range(20):
            step = 1e-3 * torch.randn(f.dim, dtype=torch.float64, generator=g)
            assert f(m + step) > f(m)


def test_quadratic_spectrum_and_condition_number():
    q = Quadratic.with_condition(1000.0, dim=4, rotate=True, seed=0)
    assert q.condition_number == pytest.approx(1000.0, rel=1e-12)
    assert q.mu == pytest.approx(1.0) and q.L == pytest.approx(1000.0)
    eig = torch.linalg.eigvalsh(q.hessian())
    torch.testing.assert_close(eig, q.eigenvalues.sort().values, rtol=1e-10, atol=1e-10)


def test_quadratic_value_is_half_the_mahalanobis_distance():
    q = Quadratic([1.0, 4.0], center=[1.0, -1.0])
    assert float(q(torch.tensor([2.0, -1.0], dtype=torch.float64))) == 0.5
    assert float(q(torch.tensor([1.0, 0.0], dtype=torch.float64))) == 2.0


def test_objectives_evaluate_grids_and_keep_dtype():
    grid = torch.zeros(3, 4, 2, dtype=torch.float32)
    for f in (Quadratic([1.0, 2.0]), Saddle()):
        out = f(grid)
        assert out.shape == (3, 4) and out.dtype == torch.float32


@pytest.mark.parametrize("bad", [[1.0, 0.0], [-1.0], []])
def test_quadratic_needs_positive_eigenvalues(bad):
    with pytest.raises(ValueError, match="eigenvalues must be positive"):
        Quadratic(bad)


def test_quadratic_rejects_non_orthogonal_q_and_bad_condition():
    with pytest.raises(ValueError, match="orthogonal"):
        Quadratic([1.0, 2.0], Q=torch.ones(2, 2))
    with pytest.raises(ValueError, match="condition number must be >= 1"):
        Quadratic.with_condition(0.5)


@pytest.mark.parametrize("f", OBJECTIVES, ids=lambda f: type(f).__name__)
def test_a_point_given_as_a_python_list_is_read_as_float64(f):
    point = [0.5] * f.dim
    as_tensor = torch.tensor(point, dtype=torch.float64)
    assert torch.equal(f(point), f(as_tensor)) and torch.equal(f.grad(point), f.grad(as_tensor))


def test_wrong_point_shape_is_an_error():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        Saddle()(torch.zeros(3))


def test_saddle_has_its_saddle_at_the_origin():
    s = Saddle()
    assert s.grad(s.saddle_point).abs().max() == 0
    hess = torch.autograd.functional.hessian(lambda w: s(w), s.saddle_point)
    eig = torch.linalg.eigvalsh(hess)
    assert eig[0] < 0 < eig[1]


def test_local_minima_1d_classifies_critical_points():
    f = LocalMinima1D((-2.0, -1.0, 0.5, 1.0, 2.0))
    assert [float(m) for m in f.minimizers] == [-2.0, 0.5, 2.0]
    assert [float(m) for m in f.maximizers] == [-1.0, 1.0]
    values = [float(f(m)) for m in f.minimizers]
    assert float(f(f.minimizer)) == min(values)
    with pytest.raises(ValueError, match="odd number"):
        LocalMinima1D((0.0, 1.0))


def test_noisy_gradient_is_unbiased_with_the_stated_spread():
    base = Quadratic([1.0, 3.0])
    noisy = NoisyGradient(base, sigma=0.5, generator=torch.Generator().manual_seed(0))
    w = torch.tensor([1.0, 1.0], dtype=torch.float64)
    draws = torch.stack([noisy.grad(w) for _ in range(20000)])
    torch.testing.assert_close(draws.mean(0), base.grad(w), rtol=0, atol=0.02)
    assert draws.std(0).sub(0.5).abs().max() < 0.01
    assert noisy(w) == base(w)
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        NoisyGradient(base, sigma=-1.0)


def test_rotation_is_orthogonal():
    r = rotation(math.pi / 5)
    torch.testing.assert_close(r @ r.T, torch.eye(2, dtype=torch.float64))


def test_axis_aligned_fast_path_equals_the_matrix_form():
    q = Quadratic([1.0, 7.0, 30.0], center=[1.0, 2.0, -1.0])
    assert q.axis_aligned and not Quadratic([1.0, 2.0], rotate=True).axis_aligned
    w = torch.randn(50, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    d = w - q.center
    torch.testing.assert_close(q.grad(w), d @ q.A, rtol=1e-15, atol=0)
    torch.testing.assert_close(q(w), 0.5 * ((d @ q.A) * d).sum(-1), rtol=1e-14, atol=0)
