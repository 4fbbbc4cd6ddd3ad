"""Companion package of *Momentum and Learning-Rate Decay, from scratch in PyTorch*.

Every reusable piece of the course lives here, one concept per module:

=================  ==========================================================
``device``         choose CUDA → MPS → CPU once; seeding and determinism
``data``           the 8×8 digits shipped in ``data/``, verified by sha256
``objectives``     test functions with known minimisers (quadratics, saddle…)
``optim``          SGD, Adam and AdamW from scratch, equal to ``torch.optim``
``schedules``      every ``torch.optim.lr_scheduler`` class from scratch
``plotting``       the course style, contours, loss curves, schedules
``verify``         run two optimizers side by side; ``show_source``
=================  ==========================================================
"""

__version__ = "0.1.0"
