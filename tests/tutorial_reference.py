"""The classic "MNIST from scratch in NumPy" tutorial, bugs included: a reference, not a test.

A plain rendering of the tutorial's algorithm in its own column form, written for
tests/unit/test_tutorial_bugs.py so that each of its known bugs can be shown on a real
implementation before checking that nnscratch does not have it. Do not fix anything here: the
bugs are the point.

Shapes, as in the tutorial: X (784, m) with one example per column, Y (m,) labels,
W1 (10, 784), b1 (10, 1), W2 (10, 10), b2 (10, 1); Z = W.dot(X) + b.

The bugs, marked BUG(n) below:

1. db = sum(dZ) / m is summed over every axis: one scalar for all units, not one per unit;
2. the gradients are divided by ``m``, the data file's row count set at module level by
   :func:`load_data`, not by the number of examples in the batch being differentiated;
3. softmax is exp(Z) / sum(exp(Z)) with no maximum subtracted: large logits give inf / inf;
4. the one-hot matrix is Y.max() + 1 rows high: the largest label in the batch, not 10;
5. the "test prediction" helper shows images and labels of the training set;
6. no seed: weights and the shuffle come from NumPy's global, unseeded generator.
"""

import numpy as np

# Module-level state, as the tutorial keeps it: set by load_data().
m = None  # BUG(2): the row count of the whole data file, used below as "the" batch size
n = None
X_train = Y_train = X_dev = Y_dev = None


def load_data(data, dev_size=1000):
    """Split ``data`` (rows of ``label, pixel0 .. pixel783``) as the tutorial does: shuffle
    the rows, the first ``dev_size`` are the dev set, the rest the training set, transposed
    into columns and scaled by 1/255."""
    global m, n, X_train, Y_train, X_dev, Y_dev
    data = np.array(data)
    m, n = data.shape
    np.random.shuffle(data)  # BUG(6): global generator, no seed
    data_dev = data[0:dev_size].T
    Y_dev = data_dev[0]
    X_dev = data_dev[1:n] / 255.0
    data_train = data[dev_size:m].T
    Y_train = data_train[0]
    X_train = data_train[1:n] / 255.0


def init_params():
    """U(-0.5, 0.5) for every weight and bias. BUG(6): np.random.rand, no way to pass a seed."""
    W1 = np.random.rand(10, 784) - 0.5
    b1 = np.random.rand(10, 1) - 0.5
    W2 = np.random.rand(10, 10) - 0.5
    b2 = np.random.rand(10, 1) - 0.5
    return W1, b1, W2, b2


def ReLU(Z):
    return np.maximum(Z, 0)


def ReLU_deriv(Z):
    return Z > 0


def softmax(Z):
    """Column-wise softmax. BUG(3): no max subtracted, so exp(1000) = inf and inf/inf = nan."""
    return np.exp(Z) / np.sum(np.exp(Z), axis=0)


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = ReLU(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def one_hot(Y):
    """(Y.max() + 1, m) one-hot columns. BUG(4): the width is the largest label present."""
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    return one_hot_Y.T


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y):
    """Gradients of the cross-entropy. BUG(2): divided by the global ``m``, whatever the number
    of columns of X; BUG(1): db1 and db2 are scalars summed over units and examples alike."""
    one_hot_Y = one_hot(Y)
    dZ2 = A2 - one_hot_Y
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * np.sum(dZ2)
    dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1)
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


def get_predictions(A2):
    return np.argmax(A2, 0)


def get_accuracy(predictions, Y):
    return np.sum(predictions == Y) / Y.size


def gradient_descent(X, Y, alpha, iterations):
    """Full-batch gradient descent from fresh (unseeded) weights."""
    W1, b1, W2, b2 = init_params()
    for _ in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
    return W1, b1, W2, b2


def make_predictions(X, W1, b1, W2, b2):
    _, _, _, A2 = forward_prop(W1, b1, W2, b2, X)
    return get_predictions(A2)


def test_prediction(index, W1, b1, W2, b2):
    """The tutorial's "test" of the network on one image. BUG(5): it takes the image and the
    label from the training set. Returns (image column, prediction, label)."""
    current_image = X_train[:, index, None]
    prediction = make_predictions(current_image, W1, b1, W2, b2)
    label = Y_train[index]
    return current_image, prediction, label


# Not a test, though its name says so: keep pytest from collecting it where imported.
test_prediction.__test__ = False
