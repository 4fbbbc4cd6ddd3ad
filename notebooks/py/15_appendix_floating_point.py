# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 15 · Appendix: floating point and bitwise equality
#
# *Why the same formula, written two ways, can differ in the last bit, and what the course
# demands of an implementation because of it.*
#
# **Prerequisites:** chapter 00; chapter 05 for Adam.
# **Runtime:** a few seconds on a laptop CPU.
#
# **After this chapter you can**
# 1. explain why `p - lr * g` and `p.add_(g, alpha=-lr)` can differ in the last bit.

# %% tags=["colab"]
# On Colab: fetch the course and its companion package. Anywhere else this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(["git", "clone", "-q", "--depth", "1",
                    "https://github.com/momentum-course/momentum-lr-decay", "/content/course"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/course"], check=True)
    sys.path.insert(0, "/content/course")

# %%
import torch

from course_utils.device import setup

device = setup(seed=0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. One rounding or two
#
# $$
# \operatorname{fl}(a + b) = (a + b)(1 + \delta), \quad |\delta| \le u \tag{15.1}
# $$

# %% [markdown]
# ## Summary
#
# 1. Work in progress.
#
# ## Exercises
#
# **1.** Placeholder.

# %% tags=["solution"]
print(0.1 + 0.2 == 0.3)

# %% [markdown]
# ## References
#
# * D. Goldberg, *What every computer scientist should know about floating-point arithmetic*,
#   ACM Computing Surveys 23(1), 1991.
