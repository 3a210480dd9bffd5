"""Optimizers: turn gradients into in-place parameter updates.

``optimizer.step(params, grads, decay)`` runs once per batch and updates every ``params[i]`` in
place. It is pure memory traffic next to the matrix products, so every update below is written
with ``out=`` and in-place operators on state preallocated at the first step: no array is
allocated per step, and a float32 parameter keeps float32 state and float32 arithmetic (Python
float factors are cast to the array's dtype by NumPy, never the array up to float64). Scalar
factors (scheduled rate, bias corrections) are computed once per step in Python floats.

**Gradients are consumed**: ``step`` uses ``grads[i]`` as scratch space and leaves garbage in
it. The model recomputes every gradient in the next backward pass, so this saves a buffer and a
pass over memory; copy the gradients first if you need them after the step.

Common options, for every optimizer:

* ``l2`` (coupled L2 penalty):     g <- g + l2 · p, before the update rule sees g;
* ``weight_decay`` (decoupled, as in AdamW):
                                   p <- p - lr_t · weight_decay · p, besides the update;
* ``schedule``: lr_t = lr · schedule(t), with t the number of steps already taken.

Both penalties apply only where ``decay[i]`` is true (weights), not to exempted parameters
(biases). For plain SGD they coincide; with momentum, and for Adam, they differ: the L2 term
goes through the velocity or the moments (Adam rescales it along with the gradient), while the
decoupled decay shrinks p by the same fraction everywhere.

PyTorch's ``weight_decay=`` is ours ``l2=``, except in its AdamW: ``torch.optim.SGD(...,
weight_decay=x)`` and ``torch.optim.Adam(..., weight_decay=x)`` are our ``SGD(..., l2=x)`` and
``Adam(..., l2=x)``, and ``torch.optim.AdamW(..., weight_decay=x)`` is our
``Adam(..., weight_decay=x)`` (or ``AdamW``). Each class's docstring says which is which.
"""

from ..elementwise import flush_period
from .adam import Adam
from .adamw import AdamW
from .base import Optimizer
from .registry import OPTIMIZERS, get_optimizer, optimizer_from_config
from .sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "Optimizer",
    "flush_period",
    "get_optimizer",
    "optimizer_from_config",
]
