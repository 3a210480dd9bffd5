"""cnn: the cnn preset's convolutional network (conv 5x5 16, ReLU, max-pool 2, conv 5x5 32, ReLU,
max-pool 2, dense 128, ReLU, dense 10), softmax cross-entropy, Adam lr 1e-3, batch 128, float32,
all 60,000 training images; nnscratch against the same network in PyTorch (CPU), both from the
same initial weights. The cnn-bn and lstm workloads do the same with those presets' networks
(the network alone: cnn-bn's augmentation and both presets' schedules are not timed here).

One unit of work is one epoch; the contenders take turns epoch by epoch, and the floor (the
network's matrix products alone) takes its turns too. Test accuracy is measured after every
epoch, outside the timed part.
"""

from __future__ import annotations

import time

import numpy as np

from .interleave import interleave, stats
from .peers import optional
from .trainers import NNScratchTrainer, TorchTrainer, epoch_units

NETWORK, LR, BATCH = "cnn", 1e-3, 128
NETWORKS = ("cnn", "cnn-bn", "lstm")  # the presets each a workload of this module trains
FLOOR = "floor (GEMMs only)"


def nnscratch_network(preset: str = NETWORK):
    """The preset's network taking rows of 784 floats in [0, 1] (the data every contender
    gets), with the initial weights ``build_model`` gives it."""
    from nnscratch import Sequential
    from nnscratch.model.presets import build_model, get_preset

    recipe = get_preset(preset)
    return Sequential(build_model(recipe).layers, seed=recipe.seed)


def torch_twin(model):
    """The same network in PyTorch, layer by layer, holding a copy of ``model``'s weights and
    buffers (a BatchNorm's running averages; its momentum is PyTorch's convention already)."""
    import torch

    nn, layers = torch.nn, []
    for layer, row in zip(model.layers, model.architecture((784,)), strict=True):
        kind, config = layer.name, layer.config()
        if kind == "Reshape":
            layers.append(nn.Unflatten(1, tuple(config["shape"])))
        elif kind == "Conv2D":
            conv = nn.Conv2d(
                config["in_channels"],
                config["out_channels"],
                config["kernel_size"],
                stride=config["stride"],
                padding=config["padding"],
            )
            _copy(conv, layer.params["W"], layer.params["b"])
            layers.append(conv)
        elif kind == "Dense":
            linear = nn.Linear(config["in_features"], config["out_features"])
            _copy(linear, layer.params["W"].T, layer.params["b"])
            layers.append(linear)
        elif kind == "BatchNorm":
            images = len(row["input_shape"]) == 3
            norm = (nn.BatchNorm2d if images else nn.BatchNorm1d)(
                config["features"], eps=config["eps"], momentum=config["momentum"]
            )
            _copy(norm, layer.params["gamma"], layer.params["beta"])
            with torch.no_grad():
                norm.running_mean.copy_(torch.from_numpy(layer.buffers["running_mean"]))
                norm.running_var.copy_(torch.from_numpy(layer.buffers["running_var"]))
            layers.append(norm)
        elif kind in ("LSTM", "GRU"):
            cell = getattr(nn, kind)(config["input_size"], config["hidden_size"], batch_first=True)
            with torch.no_grad():  # the same names and layout: PyTorch's is ours
                for ours, theirs in (
                    ("W_ih", "weight_ih_l0"),
                    ("W_hh", "weight_hh_l0"),
                    ("b_ih", "bias_ih_l0"),
                    ("b_hh", "bias_hh_l0"),
                ):
                    getattr(cell, theirs).copy_(torch.from_numpy(layer.params[ours]))
            layers.append(_recurrent(cell, last_only=not config["return_sequences"]))
        elif kind == "ReLU":
            layers.append(nn.ReLU())
        elif kind == "MaxPool2D":
            layers.append(nn.MaxPool2d(config["pool_size"]))
        elif kind == "Flatten":
            layers.append(nn.Flatten())
        elif kind == "Dropout":
            layers.append(nn.Dropout(config["rate"]))
        else:
            raise ValueError(f"no PyTorch twin for {kind}")
    return nn.Sequential(*layers)


def _recurrent(cell, last_only: bool):
    """A module that runs ``cell`` (nn.LSTM or nn.GRU) and returns every step's hidden state,
    or the last one only, as our layers do."""
    import torch

    class Recurrent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = cell

        def forward(self, x):
            states, _ = self.cell(x)
            return states[:, -1] if last_only else states

    return Recurrent()


def _copy(module, weight: np.ndarray, bias: np.ndarray) -> None:
    import torch

    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        module.bias.copy_(torch.from_numpy(bias))


class NNScratchCNN(NNScratchTrainer):
    def __init__(self, x, y, network: str = NETWORK):
        super().__init__(nnscratch_network(network), x, y, lr=LR, batch=BATCH)


class TorchCNN(TorchTrainer):
    """The same network in PyTorch (:func:`torch_twin`), from ``start_from``'s weights."""

    def __init__(self, x, y, start_from: NNScratchCNN, seed: int = 0):
        super().__init__(torch_twin(start_from.model), x, y, lr=LR, batch=BATCH, seed=seed)


def gemm_shapes(
    model, image_shape=(28, 28), batch: int = BATCH
) -> list[tuple[int, int, int, bool, bool]]:
    """(m, k, n, a transposed, b transposed) of every matrix product of one training step of
    ``model`` as nnscratch computes it (a transposed operand is a transposed view, which the
    BLAS reads as such): per Conv2D (im2col) the forward ``Wmat cols``, the weight gradient
    ``dzᵀ colsᵀ`` and, but for the first layer, the columns' gradient ``Wmatᵀ dzᵀ``; per
    Dense the forward ``x W``, ``xᵀ dz`` and, but for the first layer, ``dz Wᵀ``; per LSTM or
    GRU (G gates, T steps) the input's share of every step ``xs W_ihᵀ`` (T·N rows), each
    step's ``h W_hhᵀ`` and its gradient ``da W_hh``, the weight gradients ``daᵀ xs`` and
    ``daᵀ hs`` over all steps and, but for the first layer, ``da W_ih``. (BatchNorm has no
    matrix product.)"""
    shapes, first = [], True
    for row in model.architecture(image_shape):
        config = row["config"]
        if row["type"] == "Conv2D":
            c_out, h_out, w_out = row["output_shape"]
            depth = config["in_channels"] * config["kernel_size"] ** 2
            columns = h_out * w_out * batch
            shapes += [(c_out, depth, columns, False, False), (c_out, columns, depth, False, True)]
            if not first:
                shapes.append((depth, c_out, columns, True, False))
        elif row["type"] == "Dense":
            fan_in, fan_out = config["in_features"], config["out_features"]
            shapes += [
                (batch, fan_in, fan_out, False, False),
                (fan_in, batch, fan_out, True, False),
            ]
            if not first:
                shapes.append((batch, fan_out, fan_in, False, True))
        elif row["type"] in ("LSTM", "GRU"):
            steps, features = row["input_shape"]
            h = config["hidden_size"]
            rows = {"LSTM": 4, "GRU": 3}[row["type"]] * h
            shapes.append((steps * batch, features, rows, False, True))
            shapes += [(batch, h, rows, False, True)] * steps
            shapes += [(batch, rows, h, False, False)] * steps
            shapes += [
                (rows, steps * batch, features, True, False),
                (rows, steps * batch, h, True, False),
            ]
            if not first:
                shapes.append((steps * batch, rows, features, False, False))
        else:
            continue
        first = False
    return shapes


class CnnGemmFloor:
    """The matrix products of one training step (see :func:`gemm_shapes`) back to back, into
    preallocated outputs, once per step of an epoch: an epoch's lower bound with this BLAS."""

    name = FLOOR

    def __init__(self, model, steps: int, seed: int = 0):
        rng = np.random.default_rng(seed)

        def operand(rows, columns, transposed):
            if transposed:
                return rng.random((columns, rows), dtype=np.float32).T
            return rng.random((rows, columns), dtype=np.float32)

        self.steps = steps
        self.products = [
            (operand(m, k, ta), operand(k, n, tb), np.empty((m, n), dtype=np.float32))
            for m, k, n, ta, tb in gemm_shapes(model)
        ]

    def epoch(self) -> float:
        products = self.products
        start = time.perf_counter()
        for _ in range(self.steps):
            for a, b, out in products:
                np.matmul(a, b, out=out)
        return time.perf_counter() - start


def run(x, y, x_test, y_test, *, epochs: int, network: str = NETWORK) -> dict:
    """Train every contender ``epochs`` epochs on ``network`` (a preset of NETWORKS),
    interleaved; per contender the seconds per epoch and the test accuracy after each epoch;
    the floor's seconds per epoch."""
    ours = NNScratchCNN(x, y, network)
    players = [ours]
    if optional("torch"):
        players.append(TorchCNN(x, y, start_from=ours))
        # Same network, same weights, same outputs: else the race would mean nothing.
        np.testing.assert_allclose(
            ours.model.outputs(x_test[:500]), players[1].outputs(x_test[:500]), rtol=1e-3, atol=1e-4
        )
    units, accuracies = epoch_units(players, x_test, y_test)
    floor = CnnGemmFloor(ours.model, steps=-(-len(x) // BATCH))
    units[floor.name] = floor.epoch
    seconds = interleave(units, rounds=epochs)
    results = {}
    for name, times in seconds.items():
        results[name] = {"epoch_seconds": stats(times), "epoch_seconds_all": times}
        if name in accuracies:
            results[name].update(
                test_accuracy=accuracies[name][-1], test_accuracy_all=accuracies[name]
            )
    return results
