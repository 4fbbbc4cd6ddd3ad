"""course_utils.optim's schedule-free SGD and AdamW against the ``schedulefree`` package (1.4.1).

Ours applies the package's tensor operations in the package's order, so on CPU trajectories,
the params seen in eval mode, the state and the state dicts are compared *bitwise*. One test
checks the semantics from the equations instead: a three-sequence (x, y, z) implementation
written from (13.13)-(13.22), in float64 at 1e-12 (other operations, so not bitwise). The
deliberate differences from the package each have a test at the end that shows both sides.
"""

import inspect
import itertools

import pytest
import torch
import torch.nn.functional as F

schedulefree = pytest.importorskip("schedulefree")

from course_utils import optim as ours                                   # noqa: E402
from course_utils.optim import schedule_free as sfmod                    # noqa: E402
from test_optim import assert_same                                      # noqa: E402  bitwise, recursive

PAIRS = {"SGD": (ours.SGDScheduleFree, schedulefree.SGDScheduleFree),
         "AdamW": (ours.AdamWScheduleFree, schedulefree.AdamWScheduleFree)}
SHAPES = [(3, 4), (5,), (), (2, 1, 3)]
STEPS = 9
LR_CHANGE_STEP = 6            # lr is halved here: lr_max, not γ_t, keeps weighing the average
EVAL_AFTER = {1, 3, 4, 8}     # look at x (eval mode) after these steps, then back to train mode


def make_params(dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=gen, dtype=dtype).requires_grad_() for s in SHAPES]


def make_grads(params, steps=STEPS, seed=1):
    """Per-step gradients; p1 has none at steps 2 and 5, p2 gets its first one at step 3."""
    gen = torch.Generator().manual_seed(seed)
    schedule = []
    for t in range(steps):
        grads = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params]
        if t in (2, 5):
            grads[1] = None
        if t < 3:
            grads[2] = None
        schedule.append(grads)
    return schedule


def fresh(kwargs):
    return {k: v.clone() if torch.is_tensor(v) else v for k, v in kwargs.items()}


def build(cls, base, kwargs, group2, device="cpu"):
    ps = [p.detach().to(device, copy=True).requires_grad_() for p in base]
    groups = ps if group2 is None else [{"params": ps[:2]}, {"params": ps[2:], **group2}]
    return cls(groups, **fresh(kwargs)), ps


def load_grads(ps, grads):
    for p, g in zip(ps, grads):
        p.grad = None if g is None else g.to(p.device, copy=True)   # theirs overwrites p.grad


def run_both(name, kwargs, *, dtype=torch.float64, group2=None, their_kwargs=None,
             device="cpu", check=None):
    """Ours and the package's side by side, with mode switches; every step checked bitwise
    (or with ``check``)."""
    same = check or assert_same
    base = make_params(dtype)
    grads = make_grads(base)
    (a, pa), (b, pb) = (build(PAIRS[name][0], base, kwargs, group2, device),
                        build(PAIRS[name][1], base, their_kwargs or kwargs, group2, device))
    for opt in (a, b):
        opt.train()
    for t in range(STEPS):
        for opt, ps in ((a, pa), (b, pb)):
            if t == LR_CHANGE_STEP:
                for group in opt.param_groups:
                    group["lr"] = group["lr"] * 0.5
            load_grads(ps, grads[t])
            opt.step()
        same([p.detach() for p in pa], [p.detach() for p in pb], f"step {t}: y")
        if t in EVAL_AFTER:
            for opt in (a, b):
                opt.eval()
                if t == 4:
                    opt.eval()                         # a second eval() changes nothing
            same([p.detach() for p in pa], [p.detach() for p in pb], f"step {t}: x")
            for opt in (a, b):
                opt.train()
                if t == 4:
                    opt.train()
        theirs = b.state_dict()
        for group in theirs["param_groups"]:          # the one key allowed to differ
            group["foreach"] = kwargs.get("foreach", group["foreach"])
        same(a.state_dict(), theirs, f"step {t}")
    return (a, pa), (b, pb)


SGD_GRID = [{}, dict(lr=0.1), dict(lr=0.05, momentum=0.5, weight_decay=0.01),
            dict(lr=0.2, warmup_steps=4), dict(lr=0.1, warmup_steps=3, r=1.0, weight_lr_power=0),
            dict(lr=0.3, momentum=0.99, weight_decay=0.1, warmup_steps=5, r=0.5,
                 weight_lr_power=3.0),
            dict(lr=0.0), dict(lr=torch.tensor(0.1, dtype=torch.float64), warmup_steps=2),
            dict(lr=0.1, warmup_steps=2.5)]       # fractional: γ overshoots at t = 3, as theirs
ADAMW_GRID = [{}, dict(lr=0.01, betas=(0.5, 0.99)), dict(lr=0.02, weight_decay=0.05),
              dict(lr=0.05, warmup_steps=4, r=2.0), dict(eps=1e-3, weight_lr_power=0.5),
              dict(lr=0.03, betas=(0.95, 0.9), weight_decay=0.2, warmup_steps=20),
              dict(lr=0.01, betas=(1.0, 0.999)), dict(lr=0.0, weight_decay=0.1),
              dict(lr=torch.tensor(0.01, dtype=torch.float64), weight_decay=0.01)]
GRIDS = [("SGD", kw) for kw in SGD_GRID] + [("AdamW", kw) for kw in ADAMW_GRID]


@pytest.mark.parametrize("foreach", [True, False])
@pytest.mark.parametrize("name,kwargs", GRIDS)
def test_matches_schedulefree_bitwise(name, kwargs, foreach):
    run_both(name, dict(kwargs, foreach=foreach))


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, weight_decay=0.01)),
                                         ("AdamW", dict(lr=0.01, weight_decay=0.01))])
def test_our_one_path_matches_both_package_paths(name, kwargs):
    """Ours has one implementation; it equals the package's foreach and for-loop paths."""
    for ours_fe, theirs_fe in itertools.product([True, False], repeat=2):
        run_both(name, dict(kwargs, foreach=ours_fe), their_kwargs=dict(kwargs, foreach=theirs_fe))


@pytest.mark.parametrize("name,group2", [("SGD", dict(lr=0.5, momentum=0.8, warmup_steps=2)),
                                         ("AdamW", dict(lr=0.1, betas=(0.8, 0.9), r=1.0))])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_two_groups_and_float32_match_bitwise(name, group2, dtype):
    run_both(name, dict(weight_decay=0.01), dtype=dtype, group2=group2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, weight_decay=0.01, warmup_steps=3)),
                                         ("AdamW", dict(lr=0.01, weight_decay=0.01, r=1.0))])
def test_cuda_matches_schedulefree(name, kwargs):
    """Against the package's for-loop the kernels are the same: bitwise. Its foreach path uses
    CUDA's multi-tensor kernels, which may round differently: float64 at 1e-12."""
    run_both(name, dict(kwargs, foreach=False), device="cuda")

    def close(a, b, path=""):
        if torch.is_tensor(a):
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, msg=path)
        elif isinstance(a, dict):
            assert list(a) == list(b), path
            for k in a:
                close(a[k], b[k], f"{path}[{k!r}]")
        elif isinstance(a, (list, tuple)):
            for i, (x, y) in enumerate(zip(a, b)):
                close(x, y, f"{path}[{i}]")
        else:
            assert a == b, path
    run_both(name, dict(kwargs, foreach=True), device="cuda", check=close)


# ------------------------------------------------ the semantics, from the equations alone
def three_sequences(name, kwargs, base, grads):
    """(y, x) after every step, from (13.13)-(13.22) with x, y, z all kept explicitly."""
    lr, wd = kwargs["lr"], kwargs.get("weight_decay", 0)
    T, r, p = kwargs.get("warmup_steps", 0), kwargs.get("r", 0.0), kwargs.get("weight_lr_power", 2)
    beta = kwargs.get("momentum", 0.9) if name == "SGD" else kwargs.get("betas", (0.9, 0.999))[0]
    beta2, eps = kwargs.get("betas", (0.9, 0.999))[1], kwargs.get("eps", 1e-8)
    x, z = [b.detach().clone() for b in base], [b.detach().clone() for b in base]
    v = [torch.zeros_like(b) for b in base]
    y = [(1 - beta) * zi + beta * xi for xi, zi in zip(x, z)]
    lr_max, weights, out = 0.0, [], []
    for t, gs in enumerate(grads, start=1):
        lr_t = lr * min(1.0, t / T) if T else lr                         # (13.17)
        lr_max = max(lr_max, lr_t)
        weights.append(t ** r * lr_max ** p)
        c = weights[-1] / sum(weights)                                   # (13.16)
        for i, g in enumerate(gs):
            if g is None:
                continue
            if name == "SGD":
                d = g + wd * y[i]                                        # (13.20)
            else:
                v[i] = beta2 * v[i] + (1 - beta2) * g * g                # (13.21)
                d = g / (torch.sqrt(v[i] / (1 - beta2 ** t)) + eps) + wd * y[i]   # (13.22)
            z[i] = z[i] - lr_t * d                                       # (13.14)
            x[i] = (1 - c) * x[i] + c * z[i]                             # (13.15)
            y[i] = (1 - beta) * z[i] + beta * x[i]                       # (13.13)
        out.append(([t.clone() for t in y], [t.clone() for t in x]))
    return out


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.2, momentum=0.7, weight_decay=0.05, warmup_steps=3)),
    ("SGD", dict(lr=0.1, r=1.5, weight_lr_power=1.0, warmup_steps=4)),
    ("AdamW", dict(lr=0.01)), ("AdamW", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1,
                                              warmup_steps=3, r=1.0))])
def test_train_mode_shows_y_and_eval_mode_shows_the_average_x(name, kwargs):
    base = make_params(torch.float64)
    grads = [[g if g is not None else torch.zeros(s, dtype=torch.float64)
              for g, s in zip(gs, SHAPES)] for gs in make_grads(base)]   # all step every time
    expected = three_sequences(name, kwargs, base, grads)
    opt, ps = build(PAIRS[name][0], base, kwargs, None)
    opt.train()
    for t in range(STEPS):
        load_grads(ps, grads[t])
        opt.step()
        y, x = expected[t]
        for p, yi in zip(ps, y):
            torch.testing.assert_close(p.detach(), yi, rtol=1e-12, atol=1e-12)
        opt.eval()
        for p, xi in zip(ps, x):
            torch.testing.assert_close(p.detach(), xi, rtol=1e-12, atol=1e-12)
        opt.train()


def test_weights_from_the_formula():
    """c_t = 1/t without warm-up (x is the plain mean of the z's); γ_t = γ t/T during warm-up."""
    lr_max, total = -1.0, 0.0
    for k in range(6):
        lr_t, lr_max, total, c = sfmod.schedule_free_weight(
            k, lr=0.4, warmup_steps=0, r=0.0, weight_lr_power=2, lr_max=lr_max, weight_sum=total)
        assert (lr_t, lr_max) == (0.4, 0.4) and c == pytest.approx(1 / (k + 1), rel=1e-15)
    lr_max, total, ws = -1.0, 0.0, []
    for k in range(6):
        lr_t, lr_max, total, c = sfmod.schedule_free_weight(
            k, lr=0.4, warmup_steps=4, r=1.0, weight_lr_power=2, lr_max=lr_max, weight_sum=total)
        assert lr_t == pytest.approx(0.4 * min(1, (k + 1) / 4), rel=1e-15)
        ws.append((k + 1) * lr_t ** 2)
        assert c == pytest.approx(ws[-1] / sum(ws), rel=1e-14)
    # A fractional warm-up ramps while t − 1 < T, so γ_3 = γ · 3/2.5 > γ, as in the package.
    assert sfmod.schedule_free_weight(2, lr=0.4, warmup_steps=2.5, r=0.0, weight_lr_power=2,
                                      lr_max=-1.0, weight_sum=0.0)[0] == 0.4 * (3 / 2.5)
    assert sfmod.schedule_free_weight(0, lr=0.0, warmup_steps=0, r=0.0, weight_lr_power=2,
                                      lr_max=-1.0, weight_sum=0.0)[3] == 0


# ------------------------------------------------------------------ checkpoints and modes
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.1, weight_decay=0.01, warmup_steps=3)),
                                         ("AdamW", dict(lr=0.01, weight_decay=0.01, r=1.0))])
@pytest.mark.parametrize("direction", ["ours->theirs", "theirs->ours"])
@pytest.mark.parametrize("mode", ["eval", "train"])
def test_state_dict_round_trip_continues_identically(name, kwargs, direction, mode):
    """Save after 4 steps (in ``mode``), load into the other class, continue: bitwise equal."""
    src_cls, dst_cls = PAIRS[name] if direction == "ours->theirs" else PAIRS[name][::-1]
    base = make_params(torch.float64)
    grads = make_grads(base)
    src, ps = build(src_cls, base, kwargs, None)
    ref, pr = build(src_cls, base, kwargs, None)       # the run that never stops
    for opt, params in ((src, ps), (ref, pr)):
        opt.train()
        for t in range(4):
            load_grads(params, grads[t])
            opt.step()
    getattr(src, mode)()
    saved = src.state_dict()
    dst, pd = build(dst_cls, [p.detach() for p in ps], kwargs, None)
    dst.load_state_dict(saved)
    assert_same(dst.state_dict(), saved)
    dst.train()
    for t in range(4, STEPS):
        for opt, params in ((dst, pd), (ref, pr)):
            load_grads(params, grads[t])
            opt.step()
    assert_same([p.detach() for p in pd], [p.detach() for p in pr])
    dst.eval(), ref.eval()
    assert_same([p.detach() for p in pd], [p.detach() for p in pr])
    assert_same(dst.state_dict(), ref.state_dict())


@pytest.mark.parametrize("name", PAIRS)
def test_step_in_eval_mode_raises_the_packages_exception(name):
    errors = []
    for cls in PAIRS[name]:
        p = torch.zeros(3, requires_grad=True)
        p.grad = torch.ones(3)
        opt = cls([p])
        for switch in (None, "train-eval"):
            if switch:
                opt.train(), opt.step(), opt.eval()
            with pytest.raises(Exception) as info:
                opt.step()
            errors.append((type(info.value), str(info.value)))
    assert errors[:2] == errors[2:] and errors[0][0] is Exception
    assert errors[0] == (Exception, sfmod.NOT_IN_TRAIN_MODE)


@pytest.mark.parametrize("name", PAIRS)
def test_signature_defaults_and_group_keys_match(name):
    a, b = PAIRS[name]
    sig = lambda cls: [(q.name, q.default, q.kind)             # noqa: E731
                       for q in inspect.signature(cls).parameters.values()]
    assert sig(a) == sig(b)
    oa, ob = a([torch.zeros(2, requires_grad=True)]), b([torch.zeros(2, requires_grad=True)])
    assert_same(oa.defaults, ob.defaults)
    assert_same(oa.state_dict(), ob.state_dict())


def test_closure_loss_is_returned_like_the_package():
    losses = []
    for cls in PAIRS["AdamW"]:
        p = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
        opt = cls([p], lr=0.1)
        opt.train()

        def closure():
            opt.zero_grad()
            loss = (p ** 2).sum()
            loss.backward()
            return loss
        losses.append([opt.step(closure).item() for _ in range(3)] + p.detach().tolist())
    assert losses[0] == losses[1]


SGD_BAD = [dict(lr=-0.1), dict(weight_decay=-1e-3), dict(momentum=0), dict(momentum=1.0),
           dict(momentum=-0.5), dict(momentum=1.5)]


@pytest.mark.parametrize("kwargs", SGD_BAD)
def test_sgd_invalid_arguments_raise_the_packages_error(kwargs):
    outcomes = []
    for cls in PAIRS["SGD"]:
        with pytest.raises(ValueError) as info:
            cls([torch.zeros(2, requires_grad=True)], **kwargs)
        outcomes.append(str(info.value))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("name", PAIRS)
def test_empty_params_raise_like_the_package(name):
    for cls in PAIRS[name]:
        with pytest.raises(ValueError, match="empty parameter list"):
            cls([])


# ------------------------------------------------------------ deliberate differences
ADAMW_BAD = [dict(lr=-0.1), dict(eps=-1.0), dict(betas=(0.0, 0.999)), dict(betas=(1.5, 0.999)),
             dict(betas=(0.9, 1.0)), dict(weight_decay=-0.1)]


@pytest.mark.parametrize("kwargs", ADAMW_BAD)
def test_adamw_rejects_what_the_package_accepts(kwargs):
    """The package validates nothing (β1 = 0 fails only later, dividing by zero in eval())."""
    p = torch.zeros(2, requires_grad=True)
    theirs = schedulefree.AdamWScheduleFree([p], **kwargs)
    theirs.train()
    p.grad = torch.ones(2)
    theirs.step()
    if kwargs.get("betas", (1,))[0] == 0.0:
        with pytest.raises(ZeroDivisionError):
            theirs.eval()
    with pytest.raises(ValueError, match="Invalid"):
        ours.AdamWScheduleFree([torch.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(weight_decay=0.1)), ("AdamW", {})])
def test_grad_is_left_as_the_gradient(name, kwargs):
    """The package overwrites p.grad with the step direction g_t; ours leaves it alone."""
    grads = []
    for cls in PAIRS[name]:
        p = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
        opt = cls([p], **kwargs)
        opt.train()
        p.grad = torch.tensor([0.5, 0.25, -1.0], dtype=torch.float64)
        opt.step()
        grads.append(p.grad)
    assert grads[0].tolist() == [0.5, 0.25, -1.0]
    assert grads[1].tolist() != [0.5, 0.25, -1.0]


@pytest.mark.parametrize("name", PAIRS)
def test_a_group_added_in_train_mode_joins_train_mode(name):
    """The package adds it in eval mode: eval() then skips it, and train() moves it off y."""
    base = make_params(torch.float64)
    grads = make_grads(base)
    grads = [[torch.ones(s, dtype=torch.float64) * (t + 1) for s in SHAPES] for t in range(3)]
    results = {}
    for label, cls, late in [("ours", PAIRS[name][0], True), ("theirs", PAIRS[name][1], True),
                             ("upfront", PAIRS[name][0], False)]:
        ps = [p.detach().clone().requires_grad_() for p in base]
        opt = cls([{"params": ps[:2]}] + ([] if late else [{"params": ps[2:]}]))
        opt.train()
        if late:
            opt.add_param_group({"params": ps[2:]})
        for g in grads:
            load_grads(ps, g)
            opt.step()
        y = [p.detach().clone() for p in ps]
        opt.eval()
        x = [p.detach().clone() for p in ps]
        opt.train()
        results[label] = (y, x, [p.detach().clone() for p in ps])
    assert_same(results["ours"], results["upfront"])
    y, x, back = results["theirs"]
    assert_same(y, results["ours"][0])                     # the steps themselves agree
    assert torch.equal(x[2], y[2])                         # eval() left the late group at y
    assert not torch.equal(back[2], y[2])                  # and train() then moved it off y


# --------------------------------------------------------- a plain loop on the course's data
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.5, warmup_steps=5)),
                                         ("AdamW", dict(lr=0.01, warmup_steps=5))])
def test_a_training_loop_on_digits_learns_and_matches_the_package(name, kwargs):
    from course_utils.data import load_digits
    from course_utils.train import make_mlp

    data = load_digits(device="cpu")
    gen = torch.Generator().manual_seed(0)
    runs = []
    for cls in PAIRS[name]:
        model = make_mlp(32, seed=0)
        opt = cls(model.parameters(), **kwargs)
        losses = []
        for step in range(41):
            if step % 20 == 0:                   # evaluate the average x, then back to y
                opt.eval(), model.eval()
                with torch.no_grad():
                    losses.append(F.cross_entropy(model(data.x_test), data.y_test).item())
                opt.train(), model.train()
            idx = torch.randint(len(data.y_train), (64,), generator=gen.manual_seed(step))
            opt.zero_grad()
            F.cross_entropy(model(data.x_train[idx]), data.y_train[idx]).backward()
            opt.step()
        opt.eval()
        with pytest.raises(Exception, match="not in train mode"):
            opt.step()
        runs.append((losses, [p.detach().clone() for p in model.parameters()]))
    (losses, params), (their_losses, their_params) = runs
    assert losses[2] < losses[1] < losses[0]
    assert losses == their_losses
    assert_same(params, their_params)
