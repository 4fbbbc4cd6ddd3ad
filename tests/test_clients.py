"""The course's optimizers and schedulers in real training frameworks, with no hooks or flags.

Lightning and Hugging Face ``Trainer`` accept a scheduler, and decide how to step it, by
``isinstance`` against torch's classes. Each test here runs the same training twice, once with
torch's optimizer and scheduler and once with the course's (same seeds, same data), and checks
that the framework produced the same learning rates; the plateau tests also check that the
framework passed the monitored metric to ``ReduceLROnPlateau.step``. Nothing is downloaded
(``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``); the packages are in the ``test`` extra, and a
reader without them gets a skip, not an error.
"""

import os
import warnings

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched

import course_utils.lr_scheduler as our_sched
import course_utils.optim as our_optim

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

LIBS = {"torch": (torch.optim, torch_sched), "ours": (our_optim, our_sched)}


def synthetic(n=32, seed=0):
    """A fixed regression set: y = x·w + noise, float32, 4 features."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1 * torch.randn(n, generator=g)
    return x, y.unsqueeze(1)


# --------------------------------------------------------------------------- Lightning
def lightning_run(lib, plateau, tmp_path):
    pl = pytest.importorskip("pytorch_lightning")
    optim, sched = LIBS[lib]

    class Regression(pl.LightningModule):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.net = torch.nn.Linear(4, 1)
            self.lrs, self.val_losses = [], []

        def training_step(self, batch, batch_idx):
            self.lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])  # lr this step uses
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("val_loss", loss)
            if not self.trainer.sanity_checking:
                self.val_losses.append(loss.item())

        def configure_optimizers(self):
            opt = optim.SGD(self.parameters(), lr=0.05, momentum=0.9)
            if plateau:  # threshold 0.5: only a halving of the loss counts as an improvement
                scheduler = sched.ReduceLROnPlateau(opt, patience=0, threshold=0.5)
                config = {"scheduler": scheduler, "monitor": "val_loss", "interval": "epoch"}
            else:
                scheduler = sched.StepLR(opt, step_size=3, gamma=0.5)
                config = {"scheduler": scheduler, "interval": "step"}
            self.scheduler = scheduler
            return {"optimizer": opt, "lr_scheduler": config}

    x, y = synthetic()
    data = torch.utils.data.TensorDataset(x, y)
    train = torch.utils.data.DataLoader(data, batch_size=8, shuffle=False)
    val = torch.utils.data.DataLoader(data, batch_size=32)
    model = Regression()
    trainer = pl.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         default_root_dir=tmp_path / lib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # num_workers advice and the like
        trainer.fit(model, train, val)
    final_lr = trainer.optimizers[0].param_groups[0]["lr"]
    return model, final_lr


def test_lightning_steps_the_course_steplr_like_torchs(tmp_path):
    ours, ours_final = lightning_run("ours", plateau=False, tmp_path=tmp_path)
    ref, ref_final = lightning_run("torch", plateau=False, tmp_path=tmp_path)
    assert isinstance(ours.scheduler, our_sched.StepLR)
    assert len(ours.lrs) == 8 and ours.lrs == ref.lrs  # 2 epochs × 4 batches, bitwise
    assert ours_final == ref_final == 0.05 * 0.5 ** (8 // 3)
    assert ours.scheduler.last_epoch == ref.scheduler.last_epoch == 8  # stepped once per batch
    for p, q in zip(ours.net.parameters(), ref.net.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_lightning_passes_the_metric_to_the_course_plateau_rule(tmp_path):
    ours, ours_final = lightning_run("ours", plateau=True, tmp_path=tmp_path)
    ref, ref_final = lightning_run("torch", plateau=True, tmp_path=tmp_path)
    sched = ours.scheduler
    assert isinstance(sched, our_sched.ReduceLROnPlateau)
    assert ours.lrs == ref.lrs and ours.val_losses == ref.val_losses
    # stepped once per epoch, each time with the logged val_loss: the first became `best`,
    # the second (not 50% lower) was a bad epoch, and patience 0 cut the lr
    assert sched.last_epoch == 2 and sched.best == ours.val_losses[0]
    assert ours.val_losses[1] > 0.5 * ours.val_losses[0]
    assert ours_final == ref_final == 0.05 * 0.1
    assert sched.state_dict() == ref.scheduler.state_dict()


# --------------------------------------------------------------------------- Hugging Face
class Pairs(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


class TinyRegressor(torch.nn.Module):
    """What HF's Trainer needs from a model: keyword inputs, a dict with the loss."""

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 1)

    def forward(self, x, labels=None):
        out = self.net(x)
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


def hf_run(lib, tmp_path):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    optim, sched = LIBS[lib]
    torch.manual_seed(0)
    model = TinyRegressor()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = sched.ReduceLROnPlateau(opt, patience=0, threshold=0.5)
    seen = {"lrs": [], "eval_losses": []}

    class Record(transformers.TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            seen["lrs"].append(opt.param_groups[0]["lr"])

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            seen["eval_losses"].append(metrics["eval_loss"])

    x, y = synthetic()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / lib), num_train_epochs=3, per_device_train_batch_size=8,
        per_device_eval_batch_size=32, eval_strategy="epoch", save_strategy="no",
        logging_strategy="no", report_to=[], use_cpu=True, disable_tqdm=True, seed=0,
        metric_for_best_model="loss", greater_is_better=False, dataloader_num_workers=0)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=Pairs(x, y),
                                   eval_dataset=Pairs(x, y), optimizers=(opt, scheduler),
                                   callbacks=[Record()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    return scheduler, seen, [p.detach().clone() for p in model.parameters()]


def test_hf_trainer_passes_the_eval_metric_to_the_course_plateau_rule(tmp_path):
    sched, seen, params = hf_run("ours", tmp_path)
    ref_sched, ref_seen, ref_params = hf_run("torch", tmp_path)
    assert isinstance(sched, our_sched.ReduceLROnPlateau)
    assert seen == ref_seen
    assert len(seen["lrs"]) == 12 and len(seen["eval_losses"]) == 3
    # HF stepped it once per evaluation, with eval_loss: the first became `best`, the later
    # ones (never 50% lower) were bad epochs, and patience 0 cut the lr after epoch 2
    assert sched.last_epoch == 3 and sched.best == seen["eval_losses"][0]
    assert seen["lrs"] == [0.05] * 8 + [0.05 * 0.1] * 4
    assert sched.state_dict() == ref_sched.state_dict()
    for p, q in zip(params, ref_params, strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


HF_SCHEDULES = {
    "get_cosine_schedule_with_warmup": {"num_warmup_steps": 3, "num_training_steps": 20},
    "get_linear_schedule_with_warmup": {"num_warmup_steps": 3, "num_training_steps": 20},
    "get_cosine_with_hard_restarts_schedule_with_warmup":
        {"num_warmup_steps": 2, "num_training_steps": 20, "num_cycles": 3},
    "get_polynomial_decay_schedule_with_warmup":
        {"num_warmup_steps": 2, "num_training_steps": 20, "power": 2.0},
    "get_inverse_sqrt_schedule": {"num_warmup_steps": 4},
    "get_constant_schedule_with_warmup": {"num_warmup_steps": 5},
}


def hf_schedule_run(lib, kind, helper, kwargs, steps=20):
    transformers = pytest.importorskip("transformers")
    optim, _ = LIBS[lib]
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1).double()
    if kind == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    else:
        opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.99))
    scheduler = getattr(transformers, helper)(opt, **kwargs)
    x, y = (t.double() for t in synthetic())
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        scheduler.step()
    return lrs, [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("helper", sorted(HF_SCHEDULES))
def test_hf_schedule_helpers_drive_the_course_optimizers_like_torchs(helper, kind):
    ours_lrs, ours_params = hf_schedule_run("ours", kind, helper, HF_SCHEDULES[helper])
    ref_lrs, ref_params = hf_schedule_run("torch", kind, helper, HF_SCHEDULES[helper])
    assert ours_lrs == ref_lrs and len(set(ours_lrs)) > 2  # the helper's schedule, really used
    for p, q in zip(ours_params, ref_params, strict=True):  # for-loop torch: bitwise (see optim)
        torch.testing.assert_close(p, q, rtol=0, atol=0)
