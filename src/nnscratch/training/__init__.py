"""Training: the loop, its callbacks and history, the training state, and checkpoints.

The loop knows a model only by the few methods it calls (forward, backward, trainable,
evaluate, get_weights, set_weights), so it sits below :mod:`nnscratch.model`, whose
``Sequential.fit`` calls down into it.
"""
