"""Companion package of *Momentum and Learning-Rate Decay, from scratch in PyTorch*.

Every reusable piece of the course lives here, one concept per module; each module's
docstring names the chapter that teaches it.

The mathematics (chapters 01–09)

=========================  ==============================================================
``optim``                  SGD, Adam and AdamW from scratch, laid out like ``torch.optim``:
                           ``sgd``, ``adam`` (the math), ``_compat`` (torch's flags), ``fast``
``lr_scheduler``           every ``torch.optim.lr_scheduler`` class from scratch: ``base``,
                           ``epoch``, ``cyclic``, ``composite``, ``plateau``
``schedules``              schedules as pure functions of the step (no classes);
``cyclic_schedules``       the cyclic and one-cycle ones
``stepping``               ``LRDriver``: the one loop step that drives an lr, from a scheduler
                           object, a pure schedule or nothing
``objectives``             test functions with known minimisers (quadratics, saddle, …)
``quadratic_theory``       momentum on a quadratic in closed form: rates, stability, optima
``lr_trace``, ``plateau``  record and compare what schedulers do, step by step
=========================  ==============================================================

Practice and evidence (chapters 10–12)

=========================  ==============================================================
``data``                   the data shipped in ``data/``, verified by sha256
``train``, ``range_test``  small models, a training loop, the learning-rate range test
``checkpoint``             save and resume so that nothing is lost
``guards``                 stop a diverging run with a message naming step and lr
``bench``                  ``python -m course_utils bench``: optimizer steps timed
``experiments``            the Fashion-MNIST experiments: registry, resumable runner, Student-t
                           intervals; ``python -m course_utils experiments run|table|check``
=========================  ==============================================================

Training practice and scaling out (chapters 13–14)

=========================  ==============================================================
``scaling``                batch size and the lr: linear and square-root rules, warm-up,
                           the critical batch size, a recipe carried to k processes
``accumulation``           k micro-batches equal one batch; the scheduler per optimizer step
``precision``              AMP's skipped steps and the scheduler; bytes per parameter
``clipping``               gradient clipping by the global norm, from scratch and as a hook
``data_parallel``          DDP and ZeroRedundancyOptimizer with the course's classes, torchrun
=========================  ==============================================================

Around the chapters

=========================  ==============================================================
``device``                 choose CUDA → MPS → CPU once; seeding
``plotting``, ``widgets``  the course style and figures; interactive explorers
``verify``                 run two optimizers side by side; ``show_source``
``publish``                the instructors' toolchain: book site, slides, student editions
                           (learners never import it)
=========================  ==============================================================
"""

__version__ = "0.1.0"
