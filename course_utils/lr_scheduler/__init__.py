"""Every scheduler of ``torch.optim.lr_scheduler``, from scratch, laid out and exported like torch's.

Chapter: 08_torch_schedulers, 09_reduce_lr_on_plateau

Same names, signatures, defaults, ``state_dict`` keys, warnings and error messages as torch
2.13, and the same floating-point arithmetic, so every per-step lr equals torch's bitwise.
Import every class from here (``from course_utils.lr_scheduler import StepLR``), as you would
from ``torch.optim.lr_scheduler``.

==============  ==================================================================
module          what it holds
==============  ==================================================================
``base``        ``LRScheduler``: torch's mechanics (the step at construction, …)
``epoch``       functions of the epoch: StepLR, CosineAnnealingLR, LinearLR, …
``cyclic``      warm restarts, CyclicLR, OneCycleLR (momentum cycling)
``composite``   SequentialLR, ChainedScheduler
``plateau``     ReduceLROnPlateau, driven by a metric
==============  ==================================================================

The pure step -> value functions behind the closed forms are in ``course_utils.schedules``.
"""

from .base import LRScheduler
from .composite import ChainedScheduler, SequentialLR
from .cyclic import CosineAnnealingWarmRestarts, CyclicLR, ExactWarmRestarts, OneCycleLR
from .epoch import (ConstantLR, CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR,
                    MultiplicativeLR, MultiStepLR, PolynomialLR, StepLR)
from .plateau import ReduceLROnPlateau

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
    "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts", "ExactWarmRestarts", "CyclicLR", "OneCycleLR",
    "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau",
]
