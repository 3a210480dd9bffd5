"""The classic tutorial's algorithm rendered straightforwardly, as the tutorial computes it:
float64, one example per column, ``Z = W·X + b``. Written for this benchmark as the baseline of
the classic workload (its known bugs fixed, so it learns exactly what nnscratch's classic preset
learns).

Shapes: X (784, m) float64 in [0, 1], Y (m,) int labels, W1 (10, 784), b1 (10, 1),
W2 (10, 10), b2 (10, 1).
"""

from __future__ import annotations

import numpy as np


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2.dot(A1) + b2
    E = np.exp(Z2 - Z2.max(axis=0))
    A2 = E / E.sum(axis=0)
    return Z1, A1, Z2, A2


def one_hot(Y, classes=10):
    one_hot_Y = np.zeros((classes, Y.size))
    one_hot_Y[Y, np.arange(Y.size)] = 1
    return one_hot_Y


def backward_prop(Z1, A1, A2, W2, X, Y):
    m = Y.size
    dZ2 = A2 - one_hot(Y)
    dW2 = dZ2.dot(A1.T) / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
    dW1 = dZ1.dot(X.T) / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    return dW1, db1, dW2, db2


def gradient_descent(params, X, Y, alpha, iterations):
    """``iterations`` full-batch steps W <- W - alpha·dW; returns the new (W1, b1, W2, b2)."""
    W1, b1, W2, b2 = params
    for _ in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, A2, W2, X, Y)
        W1 = W1 - alpha * dW1
        b1 = b1 - alpha * db1
        W2 = W2 - alpha * dW2
        b2 = b2 - alpha * db2
    return W1, b1, W2, b2


def predict(params, X):
    """Predicted labels (m,) for columns X (784, m)."""
    return forward_prop(*params, X)[3].argmax(axis=0)
