"""course_utils.checkpoint: a resumed run equals the uninterrupted one, bitwise (chapter 10).

Each case trains N epochs straight, and k epochs + save + load into freshly built objects
+ N − k epochs, with a dropout model (so the torch RNG matters) and a shuffled data order
(so the generator matters); torch's and the course's optimizers and schedulers alike.
"""

from collections import Counter, OrderedDict

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.optim as our_optim
import course_utils.lr_scheduler as our_sched
from course_utils.checkpoint import (CheckpointError, load_checkpoint, plain, rng_state,
                                     save_checkpoint, set_rng_state)
from course_utils.data import Digits, load_digits
from course_utils.train import make_mlp, parameters_equal, train, validation_split


@pytest.fixture(scope="module")
def small():
    d = load_digits(device="cpu")
    return validation_split(Digits(d.x_train[::4], d.y_train[::4], d.x_test, d.y_test), 0.25)


def test_plain_turns_numpy_into_python_and_keeps_container_types():
    obj = {"lr": np.float64(0.1), "n": np.int64(3), "a": np.arange(3.0),
           "c": Counter({2: np.int64(1)}), "o": OrderedDict(x=(np.float32(0.5), [np.bool_(True)]))}
    out = plain(obj)
    assert type(out["lr"]) is float and out["lr"] == 0.1 and type(out["n"]) is int
    assert torch.equal(out["a"], torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64))
    assert type(out["c"]) is Counter and out["c"] == Counter({2: 1}) and type(out["c"][2]) is int
    assert type(out["o"]) is OrderedDict and out["o"]["x"] == (0.5, [True])
    assert type(out["o"]["x"][1][0]) is bool


def test_rng_state_round_trips():
    gen = torch.Generator().manual_seed(5)
    state = rng_state(gen)
    a, b = torch.rand(3), torch.rand(3, generator=gen)
    set_rng_state(state)
    gen.set_state(state["data"])
    assert torch.equal(a, torch.rand(3)) and torch.equal(b, torch.rand(3, generator=gen))


def test_the_mps_generator_is_saved_and_restored_when_present(tmp_path, monkeypatch):
    import course_utils.checkpoint as ckpt

    device_state = {"now": torch.tensor([1, 2, 3], dtype=torch.uint8)}
    monkeypatch.setattr(ckpt, "mps_available", lambda: True)
    monkeypatch.setattr(torch.mps, "get_rng_state", lambda: device_state["now"].clone())
    monkeypatch.setattr(torch.mps, "set_rng_state", lambda s: device_state.update(now=s.clone()))
    model = make_mlp(seed=0)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    device_state["now"] = torch.tensor([9, 9, 9], dtype=torch.uint8)     # the generator moved on
    load_checkpoint(tmp_path / "c.pt", model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    assert device_state["now"].tolist() == [1, 2, 3]
    set_rng_state({"torch": torch.get_rng_state(), "cuda": []})        # a file from before: no "mps" key


SETUPS = {
    "sgd-momentum+multistep": (lambda o, p: o.SGD(p, lr=0.1, momentum=0.9),
                               lambda s, opt, total: s.MultiStepLR(opt, [total // 2, total // 2 + 3])),
    "nesterov+onecycle": (lambda o, p: o.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                          lambda s, opt, total: s.OneCycleLR(opt, max_lr=0.3, total_steps=total)),
    "adam+warmup-cosine": (lambda o, p: o.Adam(p, lr=0.01),
                           lambda s, opt, total: s.SequentialLR(
                               opt, [s.LinearLR(opt, 0.1, total_iters=4),
                                     s.CosineAnnealingLR(opt, total - 4)], [4])),
    "adamw+plateau": (lambda o, p: o.AdamW(p, lr=0.01),
                      lambda s, opt, total: s.ReduceLROnPlateau(opt, patience=0, factor=0.5)),
}
EPOCHS, SPLIT, BATCH = 4, 2, 64


def _fresh(libs, setup, data, seed=0):
    lib_optim, lib_sched = libs
    make_opt, make_sched = SETUPS[setup]
    model = make_mlp(dropout=0.2, seed=seed)
    opt = make_opt(lib_optim, model.parameters())
    total = EPOCHS * -(-len(data.y_train) // BATCH)
    return model, opt, make_sched(lib_sched, opt, total), torch.Generator().manual_seed(seed)


def _straight(libs, setup, data, val):
    torch.manual_seed(1)
    model, opt, sched, gen = _fresh(libs, setup, data)
    train(model, opt, data, epochs=EPOCHS, batch_size=BATCH, scheduler=sched, generator=gen,
          validation=val)
    return model, opt, sched


def _resumed(libs, setup, data, val, path, *, restore_scheduler=True, restore_rng=True,
             restore_data=True):
    torch.manual_seed(1)
    model, opt, sched, gen = _fresh(libs, setup, data)
    train(model, opt, data, epochs=SPLIT, batch_size=BATCH, scheduler=sched, generator=gen,
          validation=val)
    save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, generator=gen)
    torch.manual_seed(99)                      # the new process starts from another state
    model, opt, sched, gen = _fresh(libs, setup, data, seed=7)
    load_checkpoint(path, model=model, optimizer=opt, scheduler=sched if restore_scheduler else None,
                    generator=gen if restore_data else None, rng=restore_rng)
    train(model, opt, data, epochs=EPOCHS - SPLIT, batch_size=BATCH, scheduler=sched,
          generator=gen, validation=val)
    return model, opt, sched


LIBS = {"torch": (torch.optim, torch_sched), "ours": (our_optim, our_sched)}


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("setup", SETUPS)
def test_a_resumed_run_equals_the_uninterrupted_run_bitwise(small, tmp_path, lib, setup):
    data, val = small
    a_model, a_opt, a_sched = _straight(LIBS[lib], setup, data, val)
    b_model, b_opt, b_sched = _resumed(LIBS[lib], setup, data, val, tmp_path / "ckpt.pt")
    assert parameters_equal(a_model, b_model, exact=True)
    assert [g["lr"] for g in a_opt.param_groups] == [g["lr"] for g in b_opt.param_groups]
    assert a_sched.state_dict() == b_sched.state_dict()
    for sa, sb in zip(a_opt.state.values(), b_opt.state.values()):
        assert all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.mark.parametrize("omit", ["restore_scheduler", "restore_rng", "restore_data"])
def test_leaving_out_any_piece_changes_the_result(small, tmp_path, omit):
    data, val = small
    a_model, *_ = _straight(LIBS["ours"], "nesterov+onecycle", data, val)
    b_model, *_ = _resumed(LIBS["ours"], "nesterov+onecycle", data, val, tmp_path / "c.pt",
                           **{omit: False})
    assert not parameters_equal(a_model, b_model, exact=False)


def test_a_numpy_lr_breaks_weights_only_loading_unless_converted(tmp_path):
    model = make_mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=np.logspace(-3, 0, 4)[1], momentum=0.9)
    torch.save(opt.state_dict(), tmp_path / "raw.pt")
    with pytest.raises(Exception, match="Weights only load failed"):
        torch.load(tmp_path / "raw.pt", weights_only=True)
    save_checkpoint(tmp_path / "ok.pt", model=model, optimizer=opt)
    fresh = torch.optim.SGD(make_mlp(seed=1).parameters(), lr=1.0, momentum=0.9)
    load_checkpoint(tmp_path / "ok.pt", model=make_mlp(seed=1), optimizer=fresh)
    assert type(fresh.param_groups[0]["lr"]) is float and fresh.param_groups[0]["lr"] == 0.01


def test_an_unloadable_object_is_refused_when_saving_not_when_loading(tmp_path):
    model = make_mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(CheckpointError, match="would not load with weights_only=True: it holds .*"):
        save_checkpoint(tmp_path / "bad.pt", model=model, optimizer=opt, extra={"fn": np.sqrt})


def test_asking_for_a_generator_state_that_was_not_saved_is_an_error(tmp_path):
    model = make_mlp(seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    save_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, extra={"epoch": 3})
    extra = load_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt)
    assert extra == {"epoch": 3}
    with pytest.raises(CheckpointError, match="holds no data-order generator state"):
        load_checkpoint(tmp_path / "c.pt", model=model, optimizer=opt, generator=torch.Generator())
