"""Companion package of *Momentum and Learning-Rate Decay, from scratch in PyTorch*.

Every reusable piece of the course lives here, one concept per module; each module's
docstring names the chapter that teaches it.

The mathematics (chapters 01–07)

=========================  ==============================================================
``optim``                  SGD, Adam and AdamW from scratch, equal to ``torch.optim``
``schedules``              schedules as pure functions of the step; exports every scheduler
``scheduler_base``         torch's ``LRScheduler`` mechanics, rewritten (step at construction…)
``schedulers``             the epoch schedulers (StepLR, CosineAnnealingLR, …)
``cyclic_schedulers``      warm restarts, CyclicLR, OneCycleLR
``composite_schedulers``   SequentialLR, ChainedScheduler, ReduceLROnPlateau
``objectives``             test functions with known minimisers (quadratics, saddle, …)
``quadratic_theory``       momentum on a quadratic in closed form: rates, stability, optima
``lr_trace``, ``plateau``  record and compare what schedulers do, step by step
=========================  ==============================================================

Practice (chapters 08–09)

=========================  ==============================================================
``data``                   the 8×8 digits shipped in ``data/``, verified by sha256
``train``, ``range_test``  small models, a training loop, the learning-rate range test
``checkpoint``             save and resume so that nothing is lost
``guards``                 stop a diverging run with a message naming step and lr
``fast``, ``bench``        flat-buffer optimizer steps; ``python -m course_utils bench``
=========================  ==============================================================

Around the chapters

=========================  ==============================================================
``device``                 choose CUDA → MPS → CPU once; seeding and determinism
``plotting``, ``widgets``  the course style and figures; interactive explorers
``verify``                 run two optimizers side by side; ``show_source``
``book``, ``notebooks``    book.toml, generated tables, executing chapters
``site``, ``slides``,      the offline book site, reveal.js decks, student editions,
``student``, ``browser``   and headless-Chromium checks of what readers see
=========================  ==============================================================
"""

__version__ = "0.1.0"
