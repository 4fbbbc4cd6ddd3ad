"""course_utils.optim.fast against torch.optim: flat buffers, foreach cores, compiled steps.

The eager flat optimizers and the foreach cores replay torch's for-loop op by op, so they are
compared *bitwise* with ``torch.optim.X(foreach=False)``. The compiled step is the same math
in another order (one fused loop), so it is compared in float64 at a relative 1e-12.
"""

import itertools

import pytest
import torch

from course_utils.optim import fast
from course_utils.optim import adam_step, sgd_step

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")

SHAPES = [(4, 8), (8,), (3, 5), (1,)]
STEPS = 6


def make_params(dtype=torch.float64, device="cpu", seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=gen, dtype=dtype).to(device).requires_grad_() for s in SHAPES]


def run(make_opt, dtype=torch.float64, device="cpu", steps=STEPS, lr_change=None):
    """Iterates of every step; grads are assigned into the existing .grad (flat views stay)."""
    params = make_params(dtype, device)
    opt = make_opt(params)
    gen = torch.Generator().manual_seed(1)
    trace = []
    for t in range(steps):
        opt.zero_grad()
        for p in params:
            g = torch.randn(p.shape, generator=gen, dtype=dtype).to(device)
            if p.grad is None:
                p.grad = g
            else:
                p.grad.copy_(g)
        if lr_change is not None and t == lr_change:
            opt.param_groups[0]["lr"] *= 0.5
        opt.step()
        trace.append(torch.cat([p.detach().flatten().clone() for p in params]))
    return torch.stack(trace)


def max_rel(a, b):
    return float(((a - b).abs() / torch.maximum(a.abs(), b.abs()).clamp_min(1e-300)).max())


SGD_GRID = [dict(momentum=m, dampening=d, weight_decay=w, nesterov=n)
            for m, d, w, n in itertools.product([0.0, 0.9], [0.0, 0.5], [0.0, 0.1], [False, True])
            if not (n and (m == 0 or d != 0))]
ADAM_GRID = [dict(betas=b, weight_decay=w, decoupled_weight_decay=d)
             for b, w, d in itertools.product([(0.9, 0.999), (0.5, 0.9)], [0.0, 0.1], [False, True])]


# --------------------------------------------------------------------------- flatten
def test_flatten_makes_views_and_keeps_values_and_identity():
    params = make_params()
    before = [p.detach().clone() for p in params]
    ids = [id(p) for p in params]
    flat, flat_grad = fast.flatten_parameters(params)
    assert flat.numel() == sum(p.numel() for p in params) == flat_grad.numel()
    assert [id(p) for p in params] == ids
    for p, b in zip(params, before):
        assert torch.equal(p, b) and p.is_leaf and p.requires_grad
        assert p.untyped_storage().data_ptr() == flat.untyped_storage().data_ptr()
        assert p.grad.untyped_storage().data_ptr() == flat_grad.untyped_storage().data_ptr()
    with torch.no_grad():
        flat.add_(1.0)
    assert torch.equal(params[1], before[1] + 1)


def test_backward_accumulates_into_the_flat_gradient():
    params = make_params()
    _, flat_grad = fast.flatten_parameters(params)
    loss = sum((p ** 2).sum() for p in params)
    loss.backward()
    loss = sum((p ** 2).sum() for p in params)
    loss.backward()
    expected = torch.cat([4 * p.detach().flatten() for p in params])
    assert torch.equal(flat_grad, expected)


def test_flatten_keeps_existing_grads_and_reuses_a_flat_layout():
    params = make_params()
    params[0].grad = torch.full_like(params[0], 3.0)
    flat, flat_grad = fast.flatten_parameters(params)
    assert torch.equal(params[0].grad, torch.full_like(params[0], 3.0))
    assert torch.equal(params[1].grad, torch.zeros_like(params[1]))
    flat2, flat_grad2 = fast.flatten_parameters(params)      # already flat: nothing moves
    assert flat2.data_ptr() == flat.data_ptr() and flat_grad2.data_ptr() == flat_grad.data_ptr()


def test_flatten_refuses_mixed_dtypes_and_empty_lists():
    with pytest.raises(ValueError, match="one dtype"):
        fast.flatten_parameters([torch.zeros(2), torch.zeros(2, dtype=torch.float64)])
    with pytest.raises(ValueError, match="empty"):
        fast.flatten_parameters([])


def test_replaced_grad_is_refused_and_zero_grad_keeps_the_views():
    params = make_params()
    opt = fast.FlatSGD(params, lr=0.1, momentum=0.9)
    for p in params:
        p.grad.fill_(1.0)
    opt.zero_grad()
    assert float(opt.flat_grad.abs().sum()) == 0.0 and params[0].grad is not None
    params[0].grad = torch.ones_like(params[0])
    with pytest.raises(RuntimeError, match="was replaced"):
        opt.step()


def test_flat_optimizers_take_one_group():
    a, b = make_params()[:2]
    with pytest.raises(ValueError, match="one parameter group"):
        fast.FlatSGD([{"params": [a]}, {"params": [b]}], lr=0.1)


# --------------------------------------------------------------------------- eager, bitwise
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kw", SGD_GRID, ids=str)
def test_flat_sgd_is_bitwise_torch_for_loop(kw, dtype):
    ours = run(lambda ps: fast.FlatSGD(ps, lr=0.1, **kw), dtype, lr_change=3)
    theirs = run(lambda ps: torch.optim.SGD(ps, lr=0.1, foreach=False, **kw), dtype, lr_change=3)
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kw", ADAM_GRID, ids=str)
def test_flat_adam_is_bitwise_torch_for_loop(kw, dtype):
    ours = run(lambda ps: fast.FlatAdam(ps, lr=0.01, **kw), dtype, lr_change=3)
    theirs = run(lambda ps: torch.optim.Adam(ps, lr=0.01, foreach=False, **kw), dtype, lr_change=3)
    assert torch.equal(ours, theirs)


@pytest.mark.parametrize("kw", SGD_GRID, ids=str)
def test_foreach_sgd_step_is_bitwise_sgd_step(kw):
    ps_a, ps_b = make_params(), make_params()
    grads = [torch.randn_like(p) for p in ps_a]
    bufs_a, bufs_b = None, [None] * len(ps_b)
    with torch.no_grad():
        for _ in range(3):
            bufs_a = fast.foreach_sgd_step(ps_a, grads, bufs_a, lr=0.1, **kw)
            bufs_b = [sgd_step(p, g, b, lr=0.1, **kw) for p, g, b in zip(ps_b, grads, bufs_b)]
    assert all(torch.equal(a, b) for a, b in zip(ps_a, ps_b))


@pytest.mark.parametrize("kw", ADAM_GRID, ids=str)
def test_foreach_adam_step_and_flat_adam_step_are_bitwise_adam_step(kw):
    b1, b2 = kw["betas"]
    kw = dict(beta1=b1, beta2=b2, weight_decay=kw["weight_decay"],
              decoupled_weight_decay=kw["decoupled_weight_decay"])
    ps = [make_params() for _ in range(3)]
    grads = [torch.randn_like(p) for p in ps[0]]
    state = [[(torch.zeros_like(p), torch.zeros_like(p), torch.tensor(0.0)) for p in group] for group in ps]
    with torch.no_grad():
        for t in range(1, 4):
            fast.foreach_adam_step(ps[0], grads, [s[0] for s in state[0]], [s[1] for s in state[0]],
                                   t, lr=0.01, **kw)
            for p, g, (m, v, step) in zip(ps[1], grads, state[1]):
                fast.flat_adam_step(p, g, m, v, step, torch.empty_like(p), lr=0.01, **kw)
            for p, g, (m, v, step) in zip(ps[2], grads, state[2]):
                adam_step(p, g, m, v, step, lr=0.01, **kw)
    for a, b, c in zip(*ps):
        assert torch.equal(a, c) and torch.equal(b, c)


# --------------------------------------------------------------------------- compiled
COMPILE_SGD = dict(momentum=0.9, dampening=0.1, weight_decay=0.01)
COMPILE_ADAM = dict(weight_decay=0.1, decoupled_weight_decay=True)


def test_compiled_flat_steps_match_torch_in_float64():
    """One compilation per optimizer (they dominate this file's time); lr changes mid-run."""
    ours = run(lambda ps: fast.FlatSGD(ps, lr=0.1, **COMPILE_SGD, compile=True), lr_change=3)
    theirs = run(lambda ps: torch.optim.SGD(ps, lr=0.1, **COMPILE_SGD), lr_change=3)
    assert max_rel(ours, theirs) <= 1e-12
    ours = run(lambda ps: fast.FlatAdam(ps, lr=0.01, **COMPILE_ADAM, compile=True), lr_change=3)
    theirs = run(lambda ps: torch.optim.Adam(ps, lr=0.01, **COMPILE_ADAM), lr_change=3)
    assert max_rel(ours, theirs) <= 1e-12


def test_fused_math_equals_the_eager_cores_uncompiled():
    """The math handed to the compiler, run eagerly, is (4.1)–(4.3) and (5.1)–(5.6).

    Not bitwise: ``g + λθ`` rounds twice where torch's ``add(alpha=λ)`` rounds once, and where
    g ≈ −λθ the cancellation magnifies that last bit (hence 1e-12, not 1e-16).
    """
    gen = torch.Generator().manual_seed(2)
    p, g, b = (torch.randn(50, generator=gen, dtype=torch.float64) for _ in range(3))
    p2, b2 = p.clone(), b.clone()
    fast.sgd_fused_math(p, g, b, 0.1, 0.9, 0.1, 0.01, True, True)
    sgd_step(p2, g, b2, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01, nesterov=True)
    assert max_rel(p, p2) <= 1e-12 and max_rel(b, b2) <= 1e-12
    m, v = torch.zeros(50, dtype=torch.float64), torch.zeros(50, dtype=torch.float64)
    m2, v2, p3 = m.clone(), v.clone(), p.clone()
    fast.adam_fused_math(p, g, m, v, 0.01, 0.9, 0.999, 1e-8, 0.1, 0.01 / (1 - 0.9), (1 - 0.999) ** 0.5,
                         False, True)
    adam_step(p3, g, m2, v2, torch.tensor(0.0), lr=0.01, weight_decay=0.1)
    assert max_rel(p, p3) <= 1e-12 and max_rel(m, m2) <= 1e-12 and max_rel(v, v2) <= 1e-12


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_compiled_flat_steps_on_cuda():
    """float64 at 1e-12; float32 at assert_close's defaults (one fused loop rounds differently)."""
    for dtype in (torch.float64, torch.float32):
        pairs = [(lambda ps: fast.FlatAdam(ps, lr=0.01, **COMPILE_ADAM, compile=True),
                  lambda ps: torch.optim.Adam(ps, lr=0.01, **COMPILE_ADAM)),
                 (lambda ps: fast.FlatSGD(ps, lr=0.1, **COMPILE_SGD, compile=True),
                  lambda ps: torch.optim.SGD(ps, lr=0.1, **COMPILE_SGD))]
        for make_ours, make_theirs in pairs:
            ours, theirs = run(make_ours, dtype, "cuda").cpu(), run(make_theirs, dtype, "cuda").cpu()
            if dtype == torch.float64:
                assert max_rel(ours, theirs) <= 1e-12
            else:
                torch.testing.assert_close(ours, theirs)
