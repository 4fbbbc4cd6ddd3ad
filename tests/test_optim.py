"""course_utils.optim against torch.optim: every test runs the same computation in both.

The from-scratch optimizers replay torch's for-loop op by op, so on CPU the trajectories,
the state and the state dicts are compared *bitwise* with ``torch.optim.X(foreach=False)``.
Where torch takes another path (fused kernels, differentiable Adam, CUDA foreach) the
comparison uses a stated tolerance and says why. Targets always come from running torch.
"""

import copy
import inspect
import itertools
import warnings

import pytest
import torch

from course_utils import optim as ours

SHAPES = [(3, 4), (5,), (), (2, 1, 3)]   # a matrix, a vector, a scalar, a 3-d tensor
STEPS = 8
LR_CHANGE_STEP = 4                      # every group's lr is halved before this step

PAIRS = {"SGD": (ours.SGD, torch.optim.SGD), "Adam": (ours.Adam, torch.optim.Adam),
         "AdamW": (ours.AdamW, torch.optim.AdamW)}


# --------------------------------------------------------------------------- helpers
def make_params(dtype, device="cpu", seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=gen, dtype=dtype).to(device).requires_grad_()
            for s in SHAPES]


def make_grads(params, steps=STEPS, seed=1, twists=True):
    """Gradients for every step, with the twists that decide edge cases (unless twists=False).

    p1 has no gradient at steps 2 and 5 (no update, no decay, no state change); p2 first gets
    a gradient at step 3 (its state, and SGD's first buffer, start there); p3's gradient is
    all zeros on even steps (weight decay still acts).
    """
    gen = torch.Generator().manual_seed(seed)
    schedule = []
    for t in range(steps):
        grads = [torch.randn(p.shape, generator=gen, dtype=p.dtype).to(p.device) for p in params]
        if twists and t in (2, 5):
            grads[1] = None
        if twists and t < 3:
            grads[2] = None
        if twists and t % 2 == 0:
            grads[3] = torch.zeros_like(grads[3])
        schedule.append(grads)
    return schedule


def halve_lr(group):
    if torch.is_tensor(group["lr"]):
        group["lr"].mul_(0.5)                # in place, as schedulers write tensor lrs
    else:
        group["lr"] *= 0.5


def assert_same(a, b, path="state_dict"):
    """Recursive equality: tensors bitwise (dtype, device, values), dicts in key order."""
    if torch.is_tensor(a):
        assert torch.is_tensor(b), path
        assert (a.dtype, a.device, a.shape) == (b.dtype, b.device, b.shape), path
        assert torch.equal(a, b), f"{path}: max diff {(a - b).abs().max()}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{path}: {list(a)} != {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{path}: {a!r} != {b!r}"


def fresh(kwargs):
    """A copy of kwargs whose tensors are new objects (each optimizer owns its lr tensor)."""
    def copy(v):
        if torch.is_tensor(v):
            return v.clone()
        return tuple(map(copy, v)) if isinstance(v, tuple) else v
    return {k: copy(v) for k, v in kwargs.items()}


def run_both(name, kwargs, dtype=torch.float64, group2=None, device="cpu", torch_kwargs=None,
             check=assert_same, steps=STEPS, twists=True, torch_cls=None):
    """Train ours and torch's side by side on identical params and grads; check every step.

    ``group2``: hyper-parameters of a second param group (params 2 and 3), or None for one
    group. Both get ``foreach=False`` (torch's for-loop, which ours replicates; the flag lands
    in the state dict) unless ``torch_kwargs`` says what torch's optimizer receives.
    ``torch_cls`` replaces torch's class of the same name.
    """
    our_cls, torch_cls = PAIRS[name][0], torch_cls or PAIRS[name][1]
    if torch_kwargs is None:
        kwargs = torch_kwargs = dict(kwargs, foreach=False)
    base = make_params(dtype, device)
    grads = make_grads(base, twists=twists)
    opts, param_sets = [], []
    for cls, kw in [(our_cls, kwargs), (torch_cls, torch_kwargs)]:
        ps = [p.detach().clone().requires_grad_() for p in base]
        groups = ps if group2 is None else [{"params": ps[:2]}, {"params": ps[2:], **group2}]
        opts.append(cls(groups, **fresh(kw)))
        param_sets.append(ps)
    for t in range(steps):
        for opt, ps in zip(opts, param_sets):
            if t == LR_CHANGE_STEP:
                for group in opt.param_groups:
                    halve_lr(group)
            for p, g in zip(ps, grads[t]):
                p.grad = None if g is None else g.clone()
            opt.step()
        for i, (p, q) in enumerate(zip(*param_sets)):
            check(p.detach(), q.detach(), f"step {t}, param {i}")
        check(opts[0].state_dict(), opts[1].state_dict(), f"step {t}, state_dict")
    return opts, param_sets


def outcome(build):
    """(exception type, message, warning messages) of ``build()``; type None if it passed."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            build()
            error = (None, None)
        except Exception as e:  # noqa: BLE001 - the exception itself is what is compared
            error = (type(e), str(e))
    return (*error, [str(w.message) for w in caught])


# ------------------------------------------------------------------- trajectories: SGD
SGD_GRID = [dict(lr=lr, momentum=mom, dampening=damp, nesterov=nest, weight_decay=wd,
                 maximize=mx)
            for lr, mom, damp, nest, wd, mx in itertools.product(
                [0.1, torch.tensor(0.05)], [0, 0.9], [0, 0.3], [False, True], [0, 0.1],
                [False, True])
            if not nest or (mom > 0 and damp == 0)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kwargs", SGD_GRID, ids=repr)
def test_sgd_matches_torch_bitwise(kwargs, dtype):
    group2 = {"lr": 0.03, "momentum": 0.5, "weight_decay": 0.05}
    run_both("SGD", kwargs, dtype, group2=group2)


def test_sgd_without_momentum_keeps_no_state():
    opts, _ = run_both("SGD", dict(lr=0.1, weight_decay=0.1))
    assert opts[0].state_dict()["state"] == {} == opts[1].state_dict()["state"]


def test_sgd_first_buffer_is_per_param_and_undamped():
    """p2 first gets a grad at step 3: its buffer is that grad (after maximize and L2)."""
    params = make_params(torch.float64)
    grads = make_grads(params, steps=4)
    opt = ours.SGD(params, lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1,
                   maximize=True)
    for t in range(4):
        before = params[2].detach().clone()
        for p, g in zip(params, grads[t]):
            p.grad = g
        opt.step()
    expected = (-grads[3][2]).add(before, alpha=0.1)
    assert torch.equal(opt.state[params[2]]["momentum_buffer"], expected)


# ------------------------------------------------------------------ trajectories: Adam
ADAM_BETAS = [(0.9, 0.999), (0.5, 0.9), (torch.tensor(0.8), torch.tensor(0.95))]
ADAM_GRID = [dict(lr=lr, betas=betas, weight_decay=wd, amsgrad=ams, maximize=mx,
                  decoupled_weight_decay=dec)
             for lr, betas, wd, ams, mx, dec in itertools.product(
                 [0.01, torch.tensor(0.02)], ADAM_BETAS, [0, 0.1], [False, True],
                 [False, True], [False, True])]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kwargs", ADAM_GRID, ids=repr)
def test_adam_matches_torch_bitwise(kwargs, dtype):
    group2 = {"lr": 0.03, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.05}
    run_both("Adam", kwargs, dtype, group2=group2)


ADAMW_GRID = [dict(lr=lr, amsgrad=ams, maximize=mx, **wd)
              for lr, wd, ams, mx in itertools.product(
                  [0.01, torch.tensor(0.02)], [{}, {"weight_decay": 0}, {"weight_decay": 0.3}],
                  [False, True], [False, True])]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kwargs", ADAMW_GRID, ids=repr)
def test_adamw_matches_torch_bitwise(kwargs, dtype):
    run_both("AdamW", kwargs, dtype, group2={"lr": 0.05, "weight_decay": 0.2, "eps": 1e-4})


def test_adamw_equals_torch_adam_with_decoupled_decay():
    kwargs = dict(lr=0.01, weight_decay=0.2, amsgrad=True, foreach=False)
    torch_kwargs = dict(kwargs, decoupled_weight_decay=True)
    run_both("AdamW", kwargs, torch_kwargs=torch_kwargs, torch_cls=torch.optim.Adam)


def test_adamw_zero_grad_still_decays():
    p = torch.randn(4, dtype=torch.float64, requires_grad=True)
    start = p.detach().clone()
    opt = ours.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = torch.zeros_like(p)
    opt.step()
    assert torch.equal(p.detach(), start.mul(1 - 0.1 * 0.5))


def test_grad_none_gets_no_state_and_no_decay():
    p, q = torch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
    q_start = q.detach().clone()
    for cls in (ours.SGD, ours.Adam, ours.AdamW):
        opt = cls([p, q], lr=0.1, weight_decay=0.5)
        p.grad, q.grad = torch.ones(3), None
        opt.step()
        assert q not in opt.state and torch.equal(q.detach(), q_start)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
])
def test_complex_params_match_torch(name, kwargs):
    run_both(name, kwargs, dtype=torch.complex64)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.2)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
])
def test_default_dtype_float64_matches_torch(name, kwargs):
    """torch keeps Adam's ``step`` in float64 when that is the default dtype; so do we."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        opts, _ = run_both(name, kwargs)
    finally:
        torch.set_default_dtype(previous)
    if name != "SGD":
        assert next(iter(opts[0].state.values()))["step"].dtype == torch.float64


# ------------------------------------------------------------- the other torch paths
@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
])
def test_foreach_true_matches_torch_foreach_bitwise(name, kwargs):
    """On CPU torch's foreach path is bitwise equal to its for-loop, and hence to ours."""
    kwargs = dict(kwargs, foreach=True)
    run_both(name, kwargs, dtype=torch.float32, torch_kwargs=kwargs)


def test_foreach_nesterov_grad_side_effect_is_torch_only():
    """A documented difference: torch's foreach Nesterov SGD overwrites p.grad; ours never."""
    grads_after = []
    for cls in (ours.SGD, torch.optim.SGD):
        p = torch.zeros(3, requires_grad=True)
        opt = cls([p], lr=0.1, momentum=0.9, nesterov=True, foreach=True)
        p.grad = torch.ones(3)
        opt.step()
        grads_after.append(p.grad)
    assert torch.equal(grads_after[0], torch.ones(3))
    assert not torch.equal(grads_after[1], torch.ones(3))


def loose(a, b, path):
    """torch's fused and differentiable paths round differently from its for-loop (about
    1e-7 in float32), so they are compared at torch's default tolerances, layout exactly."""
    if torch.is_tensor(a):
        assert (a.dtype, a.device) == (b.dtype, b.device), path
        torch.testing.assert_close(a, b, msg=path)
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            loose(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            loose(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1, fused=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, fused=True)),
    ("AdamW", dict(lr=0.01, fused=True)),
])
def test_fused_cpu_close_to_torch_fused_with_same_state_layout(name, kwargs):
    """No twists: torch 2.13's fused SGD raises TypeError once some momentum buffers exist
    and a param gets its first gradient (ours handles that case like the for-loop)."""
    opts, _ = run_both(name, kwargs, dtype=torch.float32, torch_kwargs=kwargs, check=loose,
                       twists=False)
    if name != "SGD":
        step = next(iter(opts[0].state.values()))["step"]
        assert (step.dtype, step.device.type) == (torch.float32, "cpu")


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(torch.tensor(0.8), torch.tensor(0.9)))),
])
def test_differentiable_flag_matches_torch_bitwise(name, kwargs):
    """differentiable=True runs step() under autograd, so params must be non-leaf tensors.

    Regression: torch's differentiable Adam keeps the bias corrections as tensors computed
    from the float32 ``step`` (about 2e-7 away from its for-loop even in float64); ours used
    to keep the for-loop's arithmetic. Now both paths are replayed, each bitwise.
    """
    our_cls, torch_cls = PAIRS[name]
    leaf = torch.randn(5, dtype=torch.float64, requires_grad=True)
    results = []
    for cls, differentiable in [(our_cls, True), (torch_cls, True), (torch_cls, False)]:
        p = leaf.clone() if differentiable else leaf.detach().clone().requires_grad_()
        opt = cls([p], differentiable=differentiable, foreach=False, **fresh(kwargs))
        for t in range(3):
            p.grad = torch.full_like(p, 0.5 + t)
            opt.step()
        results.append((p.detach(), opt.state_dict()["state"]))
    assert_same(results[0], results[1])
    if name != "SGD":                 # the two arrangements of (5.6) round differently
        assert not torch.equal(results[1][0], results[2][0])


def diff_step(p, grad, state, cls, kwargs, *state_tensors):
    """One step as a function of (param, grad, state), as torch's own gradcheck tests do."""
    p = p.clone()
    p.grad = grad
    opt = cls([p], **kwargs)
    opt.state[p].update({k: v.clone() for k, v in state.items()})
    opt.step()
    return (p, *[v for v in opt.state[p].values() if v.requires_grad])


def diff_two_steps(p, grad, state, cls, kwargs, *hyper_tensors):
    """Two steps of MSE(sum(p), 2) with create_graph; returns the loss and what needs grad."""
    p = p.clone()
    p.grad = grad
    kwargs = {k: v.clone() if torch.is_tensor(v) else v for k, v in kwargs.items()}
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1").clone(), kwargs.pop("beta2").clone())
    hypers = [v for v in kwargs.values() if torch.is_tensor(v)] + list(kwargs.get("betas", ()))
    opt = cls([p], **kwargs)
    opt.state[p].update({k: v.clone() for k, v in state.items()})
    for _ in range(2):
        loss = (p.sum() - 2.0) ** 2
        loss.backward(inputs=(p,), create_graph=True)
        opt.step()
        opt.zero_grad()
    loss.backward(inputs=tuple(hypers), create_graph=True)
    return (loss, *[v for v in opt.state[p].values() if v.requires_grad], *hypers)


def rand64(*shape, requires_grad=True, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=gen, dtype=torch.float64).requires_grad_(requires_grad)


def adam_diff_state():
    return {"step": torch.tensor(10.0, dtype=torch.float64), "exp_avg": rand64(10, seed=1),
            "exp_avg_sq": rand64(10, seed=2), "max_exp_avg_sq": rand64(10, seed=3)}


def hyper(value):
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


DIFF_CASES = [  # torch's TestDifferentiableOptimizer, for SGD, Adam and AdamW
    ("SGD", diff_step, {"momentum_buffer": rand64(10, seed=4)}, {"lr": 0.9}),
    *[("SGD", diff_two_steps, {"momentum_buffer": rand64(10, seed=4)}, {key: hyper(value)})
      for key, value in [("lr", 0.01), ("momentum", 0.9), ("weight_decay", 0.5)]],
    ("Adam", diff_step, adam_diff_state(), {"lr": 0.9, "amsgrad": True}),
    ("AdamW", diff_step, adam_diff_state(), {"lr": 0.9, "amsgrad": True}),
    ("Adam", diff_two_steps, adam_diff_state(), {"lr": hyper(0.001)}),
    ("Adam", diff_two_steps, adam_diff_state(), {"weight_decay": hyper(0.999)}),
    ("Adam", diff_two_steps, adam_diff_state(), {"beta1": hyper(0.9), "beta2": hyper(0.999)}),
    ("AdamW", diff_two_steps, adam_diff_state(), {"weight_decay": hyper(0.999)}),
]


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("name,fn,state,kwargs", DIFF_CASES,
                         ids=[f"{c[0]}-{c[1].__name__}-{'-'.join(c[3])}" for c in DIFF_CASES])
def test_differentiable_step_passes_gradcheck_like_torch(name, fn, state, kwargs):
    """Regression: with differentiable=True, gradients flow through step() to the param, the
    grad, the state and tensor hyper-parameters, as in torch (ours used to fail: in-place
    updates of saved tensors, and ``alpha=``/``value=`` refusing tensors)."""
    kwargs = dict(kwargs, differentiable=True)
    for cls in PAIRS[name]:
        inputs = (rand64(10, seed=5), rand64(10, seed=6), state, cls, kwargs,
                  *state.values(), *kwargs.values())
        assert torch.autograd.gradcheck(fn, inputs)
    p, g = rand64(10, seed=5), rand64(10, seed=6)
    outputs = [fn(p, g, state, cls, kwargs) for cls in PAIRS[name]]
    assert_same(*[[o.detach() for o in out] for out in outputs])


# ---------------------------------------------------------------- closure, sparse, dups
@pytest.mark.parametrize("name", PAIRS)
def test_step_returns_closure_loss_computed_with_grad(name):
    results = []
    for cls in PAIRS[name]:
        w = torch.linspace(-1, 1, 6, dtype=torch.float64, requires_grad=True)
        opt = cls([w], lr=0.05)

        def closure():
            opt.zero_grad()
            loss = (w ** 2 - w).sum()
            loss.backward()
            return loss
        with torch.no_grad():                 # step() must switch grad back on for closure
            losses = [opt.step(closure) for _ in range(3)]
        results.append((torch.stack(losses), w.detach(), opt.step()))
    assert_same(results[0], results[1], "losses and params")
    assert results[0][2] is None                   # no closure, no loss


@pytest.mark.parametrize("kwargs", [dict(momentum=0), dict(momentum=0.9, dampening=0.2),
                                    dict(momentum=0.9, nesterov=True, maximize=True),
                                    dict(momentum=0.9, weight_decay=0.1)])
def test_sgd_sparse_grads_behave_like_torch(kwargs):
    """torch's for-loop takes sparse grads except with weight decay; ours runs the same ops."""
    results = []
    for cls in PAIRS["SGD"]:
        p = torch.ones(5, requires_grad=True)
        opt = cls([p], lr=0.1, foreach=False, **kwargs)

        def two_steps():
            for _ in range(2):
                p.grad = torch.sparse_coo_tensor([[1, 3]], [1.0, 2.0], (5,))
                opt.step()
        results.append((outcome(two_steps)[:2], p.detach().clone()))
    assert results[0][0] == results[1][0]
    assert torch.equal(results[0][1], results[1][1])


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, momentum=0.9)),
                                         ("Adam", dict(lr=0.1, amsgrad=True))])
def test_duplicate_param_in_group_matches_torch(name, kwargs):
    results = []
    for cls in PAIRS[name]:
        p = torch.ones(3, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # the duplicate warning is compared elsewhere
            opt = cls([p, p], foreach=False, **kwargs)
        for _ in range(2):
            p.grad = torch.full_like(p, 0.5)
            opt.step()
        results.append((p.detach(), opt.state_dict()))
    assert_same(results[0], results[1])


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_checks_the_whole_group_before_updating(name):
    """A sparse grad on the second param fails the step before the first param moves."""
    results = []
    for cls in PAIRS[name]:
        dense, sparse = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
        opt = cls([dense, sparse], lr=0.1)
        dense.grad, sparse.grad = torch.ones(3), torch.ones(3).to_sparse()
        results.append((outcome(opt.step)[:2], dense.detach(), opt.state_dict()))
    assert_same(results[0][1:], results[1][1:])
    assert results[0][0] == results[1][0] and results[0][0][0] is RuntimeError
    assert torch.equal(results[0][1], torch.ones(3))


def failing_sgd_step(C):
    """The first param is updated, the second one's sparse grad fails the L2 term."""
    dense, sparse = torch.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    opt = C([dense, sparse], lr=0.1, momentum=0.9, weight_decay=0.1, foreach=False)
    dense.grad, sparse.grad = torch.ones(3), torch.ones(3).to_sparse()
    return opt, [dense, sparse]


def failing_adam_step(C):
    """A malformed betas tuple in a group fails before any state is created."""
    p = torch.ones(3, requires_grad=True)
    opt = C([p], lr=0.1)
    opt.param_groups[0]["betas"] = (0.9, 0.99, 0.5)
    p.grad = torch.ones(3)
    return opt, [p]


@pytest.mark.parametrize("name,build", [("SGD", failing_sgd_step), ("Adam", failing_adam_step)])
def test_failed_step_leaves_the_state_torch_leaves(name, build):
    """Regression: torch stores SGD's buffers only after the whole group is updated, and
    unpacks Adam's betas before creating state; a step that fails keeps those effects."""
    results = []
    for cls in PAIRS[name]:
        opt, params = build(cls)
        results.append((outcome(opt.step)[:2], [p.detach() for p in params], opt.state_dict()))
    assert results[0][0] == results[1][0] and results[0][0][0] is not None
    assert_same(results[0][1:], results[1][1:])


# ------------------------------------------------------------------ API and checkpoints
@pytest.mark.parametrize("name", PAIRS)
def test_signature_matches_torch(name):
    def described(cls):
        return [(p.name, p.kind, p.default)
                for p in inspect.signature(cls.__init__).parameters.values()]
    assert described(PAIRS[name][0]) == described(PAIRS[name][1])


@pytest.mark.parametrize("name", PAIRS)
def test_group_keys_and_state_key_order_match_torch(name):
    kwargs = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1, amsgrad=True)
    opts, params = run_both(name, kwargs, steps=1)
    assert list(opts[0].param_groups[0]) == list(opts[1].param_groups[0])
    assert list(opts[0].state[params[0][0]]) == list(opts[1].state[params[1][0]])


def train(opt, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else g.clone()
        opt.step()


CHECKPOINT_CASES = [("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
                    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
                    ("Adam", dict(lr=torch.tensor(0.01), betas=(torch.tensor(0.8),
                                                                torch.tensor(0.9)))),
                    ("AdamW", dict(lr=0.01, weight_decay=0.1))]


@pytest.mark.parametrize("direction", ["ours_to_torch", "torch_to_ours"])
@pytest.mark.parametrize("name,kwargs", CHECKPOINT_CASES)
def test_checkpoint_interchange_continues_identically(name, kwargs, direction, tmp_path):
    """Save mid-training with torch.save, load with weights_only=True into the other class;
    the resumed run must equal an uninterrupted run of the saving class, bit for bit."""
    saver_cls, loader_cls = PAIRS[name] if direction == "ours_to_torch" else PAIRS[name][::-1]
    params = make_params(torch.float32)
    grads = make_grads(params, steps=STEPS)
    saver = saver_cls(params, **fresh(kwargs))
    train(saver, params, grads[:4])
    torch.save({"params": [p.detach() for p in params], "optim": saver.state_dict()},
               tmp_path / "ckpt.pt")
    train(saver, params, grads[4:])             # the uninterrupted run

    ckpt = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    resumed = [p.clone().requires_grad_() for p in ckpt["params"]]
    loader = loader_cls(resumed, **fresh(kwargs))
    loader.load_state_dict(ckpt["optim"])
    train(loader, resumed, grads[4:])
    assert_same([p.detach() for p in resumed], [p.detach() for p in params], "params")
    assert_same(loader.state_dict(), saver.state_dict())


OLD_FLAGS = {"SGD": ["nesterov", "maximize", "foreach", "differentiable", "fused"],
             "Adam": ["amsgrad", "maximize", "foreach", "capturable", "differentiable",
                      "decoupled_weight_decay", "fused"]}


@pytest.mark.parametrize("name", PAIRS)
def test_old_torch_checkpoints_are_completed_like_torch(name):
    """A state dict from an older torch: flags missing, Adam's ``step`` a plain float.
    ``__setstate__`` fills them in; AdamW even decouples a loaded Adam checkpoint."""
    saver_cls = torch.optim.SGD if name == "SGD" else torch.optim.Adam
    kwargs = dict(lr=0.1, momentum=0.9) if name == "SGD" else dict(lr=0.1, weight_decay=0.1)
    params = make_params(torch.float32)
    grads = make_grads(params, steps=6, twists=False)
    saver = saver_cls(params, **kwargs)
    train(saver, params, grads[:3])
    old = saver.state_dict()
    for group in old["param_groups"]:
        for key in OLD_FLAGS["SGD" if name == "SGD" else "Adam"]:
            del group[key]
    for state in old["state"].values():
        if "step" in state:
            state["step"] = state["step"].item()
    results = []
    for cls in PAIRS[name]:
        resumed = [p.detach().clone().requires_grad_() for p in params]
        opt = cls(resumed, **kwargs)
        opt.load_state_dict(copy.deepcopy(old))   # loading aliases the saved tensors
        train(opt, resumed, grads[3:])
        results.append(([p.detach() for p in resumed], opt.state_dict()))
    assert_same(results[0], results[1])
    if name == "AdamW":
        assert results[0][1]["param_groups"][0]["decoupled_weight_decay"] is True


@pytest.mark.parametrize("kwargs", [dict(), dict(fused=True), dict(amsgrad=True, fused=True)])
def test_step_dtype_under_default_float64_matches_torch(kwargs):
    """``step`` is float64 when that is the default dtype, but float32 for fused groups."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        states = []
        for cls in PAIRS["Adam"]:
            p = torch.ones(3, requires_grad=True)
            opt = cls([p], **kwargs)
            stepped(opt)
            states.append(opt.state[p])
    finally:
        torch.set_default_dtype(previous)
    assert list(states[0]) == list(states[1])
    for key in states[0]:            # fused rounds differently: values at default tolerances
        assert states[0][key].dtype == states[1][key].dtype
        torch.testing.assert_close(states[0][key], states[1][key])
    assert states[0]["step"].dtype == (torch.float32 if kwargs else torch.float64)


def test_functional_cores_work_on_plain_tensors():
    """Chapters call sgd_step / adam_step on toys; they must equal torch.optim on a leaf."""
    x_sgd, x_adam = torch.tensor([1.0, -2.0]), torch.tensor([1.0, -2.0])
    buf, m, v, step = None, torch.zeros(2), torch.zeros(2), torch.tensor(0.0)
    w_sgd, w_adam = x_sgd.clone().requires_grad_(), x_adam.clone().requires_grad_()
    t_sgd = torch.optim.SGD([w_sgd], lr=0.1, momentum=0.9, nesterov=True, foreach=False)
    t_adam = torch.optim.AdamW([w_adam], lr=0.1, foreach=False)
    for _ in range(5):
        buf = ours.sgd_step(x_sgd, 2 * x_sgd, buf, lr=0.1, momentum=0.9, nesterov=True)
        ours.adam_step(x_adam, 2 * x_adam, m, v, step, lr=0.1, weight_decay=1e-2,
                       decoupled_weight_decay=True)
        for w, opt in [(w_sgd, t_sgd), (w_adam, t_adam)]:
            w.grad = 2 * w.detach()
            opt.step()
    assert torch.equal(x_sgd, w_sgd.detach()) and torch.equal(x_adam, w_adam.detach())
    assert step.item() == 5


# ------------------------------------------------------------------ every bad argument
def param():
    return torch.randn(2, requires_grad=True)


def stepped(opt, grad=None):
    """Give every param a gradient (dense ones unless given) and take one step."""
    for group in opt.param_groups:
        for p in group["params"]:
            p.grad = torch.ones_like(p) if grad is None else grad(p)
    opt.step()


def same_param_twice(cls, arrange):
    p = param()
    return cls(arrange(p))


def sparse_grad(p):
    return torch.ones_like(p).to_sparse()


def meta_param():
    return torch.zeros(2, device="meta", requires_grad=True)


def with_foreach_turned_on(opt):
    opt.param_groups[0]["foreach"] = True
    return opt


def with_group(opt, **changes):
    """Change the first group after construction, where torch validates nothing."""
    opt.param_groups[0].update(changes)
    return opt


def non_leaf():
    """A param for differentiable=True, which refuses in-place updates of leaves."""
    return param().clone()


def tensor_lr_foreach_stops_at_first_param(C):
    """torch checks param by param, so the second param's .grad is never read (reading a
    non-leaf's .grad warns)."""
    first, second = non_leaf(), non_leaf()
    opt = with_foreach_turned_on(C([first, second], lr=torch.tensor(0.01), differentiable=True))
    first.grad = torch.ones(2)
    opt.step()


def step_needing_grad(C):
    opt = C([non_leaf()], differentiable=True)
    stepped(opt)
    next(iter(opt.state.values()))["step"].requires_grad_()
    stepped(opt)


BASE_CASES = {  # section 3.1 of the reference notes; run for SGD, Adam and AdamW
    "params_is_tensor": lambda C: C(param()),
    "empty": lambda C: C([]),
    "set_in_group": lambda C: C([{"params": {param()}}]),
    "top_level_set_accepted": lambda C: C({param()}),
    "non_leaf": lambda C: C([param() * 2]),
    "float_param": lambda C: C([1.0]),
    "same_param_two_groups": lambda C: same_param_twice(
        C, lambda p: [{"params": [p]}, {"params": [p]}]),
    "duplicate_in_group_warns": lambda C: same_param_twice(C, lambda p: [p, p]),
    "mixed_names": lambda C: C([("weight", param()), param()]),
    "named_group_after_unnamed": lambda C: C([{"params": [param()], "lr": 1e-2},
                                              {"params": [("weight", param())]}]),
    "add_param_group_non_dict": lambda C: C([param()]).add_param_group([1]),
    "group_hyper_params_not_validated": lambda C: C([{"params": [param()], "lr": -1.0}]),
    "differentiable_leaf_at_step": lambda C: stepped(C([param()], differentiable=True)),
    "fused_meta_at_step": lambda C: stepped(C([meta_param()], fused=True)),
    "fused_and_differentiable": lambda C: C([param()], fused=True, differentiable=True),
    "fused_and_foreach": lambda C: C([param()], fused=True, foreach=True),
    "fused_foreach_differentiable": lambda C: C([param()], fused=True, foreach=True,
                                                differentiable=True),
    "fused_error_after_empty_check": lambda C: C([], fused=True, foreach=True),
}

SGD_CASES = {  # section 3.2
    "lr_tensor_two_elements": lambda C: C([param()], lr=torch.tensor([0.1, 0.1])),
    "lr_tensor_one_element_1d_accepted": lambda C: stepped(C([param()], lr=torch.tensor([0.1]))),
    "lr_negative": lambda C: C([param()], lr=-0.1),
    "lr_none": lambda C: C([param()], lr=None),
    "lr_string": lambda C: C([param()], lr="0.1"),
    "lr_checked_before_params": lambda C: C([], lr=-1),
    "lr_checked_before_params_type": lambda C: C(param(), lr=-1),
    "momentum_negative": lambda C: C([param()], lr=1e-2, momentum=-0.5),
    "momentum_none": lambda C: C([param()], momentum=None),
    "weight_decay_negative": lambda C: C([param()], weight_decay=-1),
    "weight_decay_tensor_negative": lambda C: C([param()], weight_decay=torch.tensor(-1.0)),
    "nesterov_without_momentum": lambda C: C([param()], nesterov=True),
    "nesterov_with_dampening": lambda C: C([param()], momentum=0.9, dampening=0.1,
                                           nesterov=True),
    "nesterov_checked_after_weight_decay": lambda C: C([param()], nesterov=True,
                                                       weight_decay=-1),
    "momentum_above_one_accepted": lambda C: stepped(C([param()], momentum=1.5)),
    "dampening_out_of_range_accepted": lambda C: (C([param()], momentum=0.9, dampening=-1),
                                                  C([param()], momentum=0.9, dampening=2)),
    "lr_zero_accepted": lambda C: stepped(C([param()], lr=0)),
    "fused_sparse_grad_at_step": lambda C: stepped(C([param()], fused=True), grad=sparse_grad),
    "nesterov_in_group_not_validated": lambda C: stepped(C([{"params": [param()],
                                                             "nesterov": True}], lr=0.1)),
}

ADAM_CASES = {  # section 3.3
    "lr_tensor_with_foreach": lambda C: C([param()], lr=torch.tensor(0.001), foreach=True),
    "lr_tensor_with_foreach_capturable_accepted": lambda C: C(
        [param()], lr=torch.tensor(0.001), foreach=True, capturable=True),
    "lr_tensor_two_elements": lambda C: C([param()], lr=torch.tensor([1e-3, 1e-3])),
    "lr_tensor_two_elements_foreach": lambda C: C([param()], lr=torch.tensor([1e-3, 1e-3]),
                                                  foreach=True),
    "lr_negative": lambda C: C([param()], lr=-1e-3),
    "lr_none": lambda C: C([param()], lr=None),
    "lr_checked_before_params": lambda C: C([], lr=-1),
    "eps_negative": lambda C: C([param()], eps=-1e-8),
    "eps_none": lambda C: C([param()], eps=None),
    "beta0_one": lambda C: C([param()], lr=1e-2, betas=(1.0, 0.0)),
    "beta0_negative": lambda C: C([param()], betas=(-0.1, 0.9)),
    "beta1_one": lambda C: C([param()], betas=(0.9, 1.0)),
    "betas_none": lambda C: C([param()], betas=None),
    "betas_too_short": lambda C: C([param()], betas=(0.9,)),
    "weight_decay_negative": lambda C: C([param()], lr=1e-2, weight_decay=-1),
    "betas_mixed_float_tensor": lambda C: C([param()], betas=(0.9, torch.tensor(0.99))),
    "betas_mixed_tensor_float": lambda C: C([param()], betas=(torch.tensor(0.9), 0.99)),
    "betas_ints": lambda C: C([param()], betas=(0, 0.999)),
    "betas_tensors_with_foreach": lambda C: C(
        [param()], betas=(torch.tensor(0.9), torch.tensor(0.99)), foreach=True),
    "betas_1d_tensors_accepted": lambda C: stepped(C(
        [param()], betas=(torch.tensor([0.9]), torch.tensor([[0.99]])))),
    "beta_tensor_two_elements": lambda C: C(
        [param()], betas=(torch.tensor([0.9, 0.9]), torch.tensor(0.99))),
    "beta_tensor_empty": lambda C: C([param()], betas=(torch.tensor(0.9), torch.tensor([]))),
    "sparse_grad_at_step": lambda C: stepped(C([param()]), grad=sparse_grad),
    "capturable_cpu_at_step": lambda C: stepped(C([param()], capturable=True)),
    "tensor_lr_foreach_set_later_at_step": lambda C: stepped(
        with_foreach_turned_on(C([param()], lr=torch.tensor(0.01)))),
    "edge_values_accepted": lambda C: stepped(C([param()], lr=0, betas=(0.0, 0.0), eps=0)),
    "betas_list_accepted": lambda C: stepped(C([param()], betas=[0.9, 0.999])),
    # Regressions (found by a random fuzzer): refusals of torch's other paths at step().
    "betas_three_values_in_group_at_step": lambda C: stepped(
        with_group(C([param()]), betas=(0.9, 0.99, 0.5))),
    "foreach_differentiable_at_step": lambda C: stepped(
        C([non_leaf()], foreach=True, differentiable=True)),
    "foreach_capturable_at_step": lambda C: stepped(C([param()], foreach=True, capturable=True)),
    "fused_capturable_accepted": lambda C: stepped(C([param()], fused=True, capturable=True)),
    "tensor_betas_foreach_set_later_at_step": lambda C: stepped(with_foreach_turned_on(
        C([param()], betas=(torch.tensor(0.9), torch.tensor(0.99))))),
    "two_element_lr_foreach_capturable_at_step": lambda C: stepped(with_group(
        C([param()], foreach=True, capturable=True), lr=torch.tensor([0.1, 0.1]))),
    "step_requiring_grad_differentiable_at_step": step_needing_grad,
    "tensor_lr_foreach_checked_param_by_param_at_step": tensor_lr_foreach_stops_at_first_param,
}

ERROR_CASES = ([(n, k, f) for n in PAIRS for k, f in BASE_CASES.items()]
               + [("SGD", k, f) for k, f in SGD_CASES.items()]
               + [(n, k, f) for n in ("Adam", "AdamW") for k, f in ADAM_CASES.items()]
               + [("AdamW", "decoupled_weight_decay_kwarg",
                   lambda C: C([param()], decoupled_weight_decay=True))])


@pytest.mark.parametrize("name,case,build", ERROR_CASES,
                         ids=[f"{n}-{k}" for n, k, _ in ERROR_CASES])
def test_errors_and_warnings_match_torch(name, case, build):
    """Same exception class, same message, same warnings, or both accept the input."""
    our_cls, torch_cls = PAIRS[name]
    ours_result, torch_result = outcome(lambda: build(our_cls)), outcome(lambda: build(torch_cls))
    assert ours_result == torch_result
    accepted = case.endswith(("accepted", "not_validated"))
    warns = case.endswith("warns")
    assert (torch_result[0] is None) == (accepted or warns), torch_result
    assert bool(torch_result[2]) == warns, torch_result


# ---------------------------------------------------------------------------- CUDA
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.gpu
@cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=torch.tensor(0.1), momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=torch.tensor(0.01), betas=(torch.tensor(0.8), torch.tensor(0.9)))),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
])
def test_cuda_forloop_matches_torch_bitwise(name, kwargs, dtype):
    """The same elementwise kernels run on the GPU, so the for-loop comparison stays exact."""
    run_both(name, kwargs, dtype, device="cuda", group2={"lr": 0.03, "weight_decay": 0.05})


@pytest.mark.gpu
@cuda
@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),                # torch: foreach
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, capturable=True)),
    ("AdamW", dict(lr=0.01, fused=True)),
])
def test_cuda_other_paths_close_to_torch_with_same_state_layout(name, kwargs):
    """torch's default (foreach), capturable and fused CUDA paths round differently from
    its for-loop, so values are compared at default tolerances; dtypes and devices exactly."""
    opts, _ = run_both(name, kwargs, torch.float32, device="cuda", torch_kwargs=kwargs,
                       check=loose)
    if name != "SGD":
        step = next(iter(opts[0].state.values()))["step"]
        assert (step.dtype, step.device.type) == (torch.float32, "cuda")
