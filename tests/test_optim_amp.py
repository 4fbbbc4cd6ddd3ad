"""The AMP protocol of the fused path (issue 11, item 3), against torch's fused=True on CPU.

torch's fused SGD/Adam/AdamW declare ``_step_supports_amp_scaling``; ``GradScaler.step`` then
does not unscale the gradients itself but sets ``optimizer.grad_scale`` and
``optimizer.found_inf`` and calls ``step()``. The kernel divides each ``p.grad`` in place by
the scale, or, when ``found_inf`` is set, changes nothing at all (Adam's ``step`` is counted
and then uncounted). Ours does the same from scratch, without torch's fused kernels.

Tolerance: torch's fused kernels compute (4.2)/(5.3)/(5.4) as ``b*β + g*(1-β)`` with their
own operation order and vectorised FMAs, ours replays the for-loop's ``lerp_``/``addcmul_``;
the two differ by a few float32 ulps per step (about 1e-7 relative, the reference notes'
section 1.1/1.2 measure up to 6e-8 per step). Params and state are compared at
``FUSED_TOL`` (rtol 2e-6, atol 1e-7: some 10 ulps after 8 steps, far below any step's size);
what the protocol decides (unscaled gradients, skipped steps, Adam's ``step``, the scale's
updates) is compared exactly.
"""

import pytest
import torch

from course_utils import optim as ours

FUSED_TOL = dict(rtol=2e-6, atol=1e-7)
STEPS = 8
INF_STEP = 3            # not the first step: see test_sgd_skipped_first_step_keeps_no_buffer
CASES = {
    "SGD": (ours.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    "SGD-damped": (ours.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, maximize=True)),
    "Adam": (ours.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=1e-2, amsgrad=True)),
    "AdamW": (ours.AdamW, torch.optim.AdamW, dict(lr=0.01, maximize=True)),
}


def make_model(inputs=5, hidden=4, batch=16):
    """A seeded Linear-Tanh-Linear regression model and one batch (x, y) for it."""
    gen = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(inputs, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=gen))
    x, y = torch.randn(batch, inputs, generator=gen), torch.randn(batch, 1, generator=gen)
    return model, x, y


def compare_state(a, b, exact_step=True):
    assert list(a) == list(b)
    for key in a:
        assert (a[key].dtype, a[key].device) == (b[key].dtype, b[key].device), key
        if key == "step":
            assert torch.equal(a[key], b[key]), (a[key], b[key])
        else:
            torch.testing.assert_close(a[key], b[key], **FUSED_TOL, msg=key)


@pytest.mark.parametrize("name", CASES)
def test_grad_scaler_drives_ours_like_torch_fused(name):
    """Same model, same loss, a GradScaler each (growth every 2 clean steps); one step's
    gradient is made inf. Every step: params, grads, state and the scale agree."""
    our_cls, torch_cls, kwargs = CASES[name]
    runs = []
    for cls in (our_cls, torch_cls):
        model, x, y = make_model()
        opt = cls(model.parameters(), fused=True, **kwargs)
        assert opt._step_supports_amp_scaling is True
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8, growth_interval=2)
        runs.append((model, x, y, opt, scaler))
    scales = []
    for t in range(STEPS):
        before = [p.detach().clone() for p in runs[0][0].parameters()]
        for model, x, y, opt, scaler in runs:
            opt.zero_grad()
            scaler.scale(torch.nn.functional.mse_loss(model(x), y)).backward()
            if t == INF_STEP:
                with torch.no_grad():
                    model[0].weight.grad[1, 2] = float("inf")
            scaler.step(opt)
            scaler.update()
            assert not hasattr(opt, "grad_scale") and not hasattr(opt, "found_inf")
        (m_a, *_, opt_a, sc_a), (m_b, *_, opt_b, sc_b) = runs
        assert sc_a.get_scale() == sc_b.get_scale(), t
        assert sc_a.state_dict() == sc_b.state_dict(), t
        scales.append(sc_a.get_scale())
        moved = [not torch.equal(p.detach(), b) for p, b in zip(m_a.parameters(), before)]
        assert not any(moved) if t == INF_STEP else all(moved), (t, moved)
        for p, q in zip(m_a.parameters(), m_b.parameters()):
            torch.testing.assert_close(p, q, **FUSED_TOL, msg=f"step {t}")
            # unscaled in place (p.grad / scale, exactly as the kernel) or, when skipped, left
            # scaled with the inf: compared at the same tolerance since the grads come from
            # params that already differ by fused rounding
            torch.testing.assert_close(p.grad, q.grad, **FUSED_TOL, msg=f"step {t} grad")
            compare_state(opt_a.state[p], opt_b.state[q])
    # ×2 after every 2 clean steps, ×0.5 (and a fresh count) at the inf step
    assert scales == [256.0, 512.0, 512.0, 256.0, 256.0, 512.0, 512.0, 1024.0]
    if name.startswith("Adam"):                  # counted, uncounted at the skipped step
        assert all(s["step"].item() == STEPS - 1 for s in opt_a.state.values())


def one_param(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(7, generator=gen).requires_grad_(), 100.0 * torch.randn(7, generator=gen)


@pytest.mark.parametrize("name", CASES)
def test_hand_set_scale_unscales_grads_in_place_like_torch(name):
    """grad_scale=s, found_inf=0: p.grad becomes exactly g / s, and the step equals a step on
    g / s without any AMP attribute (bitwise for ours; torch's at the fused tolerance)."""
    our_cls, torch_cls, kwargs = CASES[name]
    scale = torch.tensor(96.0)        # not a power of two: g / s rounds
    results = []
    for cls in (our_cls, torch_cls):
        p, g = one_param()
        opt = cls([p], fused=True, **kwargs)
        for t in range(2):
            p.grad = g.clone() + t
            opt.grad_scale, opt.found_inf = scale.clone(), torch.tensor(0.0)
            opt.step()
            assert torch.equal(p.grad, (g + t) / scale)
        results.append((p.detach(), opt.state[p]))
    q, g = one_param()
    plain = our_cls([q], fused=True, **kwargs)
    for t in range(2):
        q.grad = (g + t) / scale
        plain.step()
    assert torch.equal(results[0][0], q.detach())
    for key, value in results[0][1].items():
        assert torch.equal(value, plain.state[q][key]), key
    torch.testing.assert_close(results[0][0], results[1][0], **FUSED_TOL)
    compare_state(results[0][1], results[1][1])


@pytest.mark.parametrize("name", CASES)
def test_hand_set_found_inf_skips_everything_like_torch(name):
    """found_inf=1 after one clean step: params, state, step and p.grad stay as they were."""
    our_cls, torch_cls, kwargs = CASES[name]
    results = []
    for cls in (our_cls, torch_cls):
        p, g = one_param()
        opt = cls([p], fused=True, **kwargs)
        p.grad = g.clone()
        opt.step()
        before = (p.detach().clone(), {k: v.clone() for k, v in opt.state[p].items()})
        p.grad = g.clone()
        opt.grad_scale, opt.found_inf = torch.tensor(8.0), torch.tensor(1.0)
        opt.step()
        assert torch.equal(p.detach(), before[0]) and torch.equal(p.grad, g)
        assert all(torch.equal(v, before[1][k]) for k, v in opt.state[p].items())
        results.append((p.detach(), opt.state[p]))
    torch.testing.assert_close(results[0][0], results[1][0], **FUSED_TOL)
    compare_state(results[0][1], results[1][1])


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_skipped_first_step_creates_torchs_zero_state(name):
    our_cls, torch_cls, kwargs = CASES[name]
    states = []
    for cls in (our_cls, torch_cls):
        p, g = one_param()
        opt = cls([p], fused=True, **kwargs)
        p.grad = g
        opt.found_inf = torch.tensor(1.0)    # grad_scale None: the user called unscale_ first
        opt.step()
        states.append(opt.state[p])
    for key in states[1]:
        assert torch.equal(states[0][key], states[1][key]), key
    assert states[0]["step"].item() == 0.0 and list(states[0]) == list(states[1])


def test_found_inf_without_scale_does_not_divide():
    """After scaler.unscale_(opt) GradScaler passes grad_scale=None: the grads are final."""
    p, g = one_param()
    opt = ours.SGD([p], lr=0.1, fused=True)
    p.grad = g.clone()
    opt.grad_scale, opt.found_inf = None, torch.tensor(0.0)
    opt.step()
    assert torch.equal(p.grad, g)
    q, _ = one_param()
    assert torch.equal(p.detach(), q.detach().add(g, alpha=-0.1))


def test_sgd_skipped_first_step_keeps_no_buffer():
    """torch's fused SGD allocates the first buffers with torch.empty_like before the kernel
    returns on found_inf, so a skipped first step leaves uninitialised memory as the buffer
    (compared here only by its presence). Ours keeps no buffer: the next clean step is a
    first step (b_1 = g), exactly as if the skipped one had never happened."""
    kwargs = dict(lr=0.1, momentum=0.9, fused=True)
    p, g = one_param()
    opt = ours.SGD([p], **kwargs)
    p.grad = g.clone()
    opt.found_inf = torch.tensor(1.0)
    opt.step()
    del opt.found_inf
    assert opt.state[p] == {}
    t_p, _ = one_param()
    t_opt = torch.optim.SGD([t_p], **kwargs)
    t_p.grad = g.clone()
    t_opt.found_inf = torch.tensor(1.0)
    t_opt.step()
    assert "momentum_buffer" in t_opt.state[t_p]    # torch: a buffer, of undefined values
    p.grad = g.clone()
    opt.step()
    fresh, _ = one_param()
    fresh_opt = ours.SGD([fresh], **kwargs)
    fresh.grad = g.clone()
    fresh_opt.step()
    assert torch.equal(p.detach(), fresh.detach())
    assert torch.equal(opt.state[p]["momentum_buffer"], fresh_opt.state[fresh]["momentum_buffer"])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_non_fused_refuses_amp_attributes_like_torch(name):
    """Only the fused path takes part in the protocol; torch's for-loop asserts, and so do we.
    Without fused, GradScaler unscales itself and never sets the attributes."""
    our_cls, torch_cls, kwargs = CASES[name]
    errors = []
    for cls in (our_cls, torch_cls):
        p, g = one_param()
        opt = cls([p], **kwargs)
        assert not getattr(opt, "_step_supports_amp_scaling", False)
        p.grad = g
        opt.grad_scale = torch.tensor(4.0)
        with pytest.raises(AssertionError) as info:
            opt.step()
        errors.append(str(info.value))
    assert errors[0] == errors[1] == "Expected grad_scale and found_inf to be None"


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_grad_scaler_with_non_fused_unscales_itself(name):
    """Without fused=True the scaler unscales and skips by itself (its ordinary protocol):
    ours then equals torch's for-loop bitwise, inf step included."""
    our_cls, torch_cls, kwargs = CASES[name]
    runs = []
    for cls in (our_cls, torch_cls):
        model, x, y = make_model()
        opt = cls(model.parameters(), foreach=False, **kwargs)
        runs.append((model, x, y, opt, torch.amp.GradScaler("cpu", init_scale=2.0 ** 8)))
    for t in range(4):
        for model, x, y, opt, scaler in runs:
            opt.zero_grad()
            scaler.scale(torch.nn.functional.mse_loss(model(x), y)).backward()
            if t == 1:
                with torch.no_grad():
                    model[2].bias.grad[0] = float("nan")
            scaler.step(opt)
            scaler.update()
        for p, q in zip(runs[0][0].parameters(), runs[1][0].parameters()):
            assert torch.equal(p, q)
    assert runs[0][4].get_scale() == runs[1][4].get_scale() == 2.0 ** 7
