"""Clipping from scratch equals torch's clip_grad_norm_; the hook clips inside any loop."""

import pytest
import torch

from course_utils import optim
from course_utils.clipping import ClipOnStep, clip_grad_norm


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("max_norm", [0.01, 1.0, 1e6])
def test_equals_torch_bitwise(dtype, max_norm):
    torch.manual_seed(0)
    ours = [torch.randn(s, dtype=dtype, requires_grad=True) for s in ((5, 3), (3,), (2, 2, 2))]
    theirs = [p.detach().clone().requires_grad_() for p in ours]
    for p, q in zip(ours, theirs):
        p.grad = torch.randn_like(p) * 3
        q.grad = p.grad.clone()
    n1 = clip_grad_norm(ours, max_norm)
    n2 = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert torch.equal(n1, n2)
    for p, q in zip(ours, theirs):
        assert torch.equal(p.grad, q.grad)


def test_step_is_bounded_by_lr_times_max_norm():
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(20, dtype=torch.float64))
    opt = optim.SGD([p], lr=0.5)
    clip = ClipOnStep(opt, max_norm=0.1)
    before = p.detach().clone()
    p.grad = 100 * torch.randn_like(p)
    opt.step()
    assert torch.linalg.vector_norm(p.detach() - before) < 0.5 * 0.1     # (13.12)
    assert clip.norms[0] > 100 and clip.clipped_fraction == 1.0
    clip.remove()
    p.grad = 100 * torch.ones_like(p)
    opt.step()
    assert len(clip.norms) == 1


def test_errors():
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        clip_grad_norm([torch.zeros(2, requires_grad=True)], 0.0)
    opt = optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        ClipOnStep(opt, -1.0)
