"""inference: predicting the 10,000 test images (raw uint8 pixels, scaled inside the model) in
batches of 1,000, and one image at a time; nnscratch against PyTorch with the same weights.

Units alternate between the contenders: one pass over the test set (throughput), or a block of
single-image predictions, each timed on its own (latency).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .interleave import interleave, stats
from .peers import optional

HIDDEN, BATCH = (512, 512), 1000
FLOOR = "floor (products only)"


def nnscratch_model():
    from nnscratch import Dense, Flatten, ReLU, Sequential

    layers, width = [Flatten()], 784
    for units in HIDDEN:
        layers += [Dense(width, units), ReLU()]
        width = units
    return Sequential(layers + [Dense(width, 10)], input_scale=1 / 255, seed=0)


def torch_twin(model):
    """The same network in PyTorch, holding a copy of ``model``'s weights."""
    import torch

    layers = []
    for layer in model.layers:
        if "W" in layer.params:
            linear = torch.nn.Linear(*layer.params["W"].shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(layer.params["W"].T))
                linear.bias.copy_(torch.from_numpy(layer.params["b"]))
            layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).eval()


def run(images: np.ndarray, *, rounds: int, singles: int) -> dict:
    """Images per second in batches of 1,000 and the median single-image latency."""
    model = nnscratch_model()
    predictors = {
        "nnscratch": (
            lambda x: model.predict(x, batch_size=BATCH),
            lambda x: int(model.predict(x)[0]),
        )
    }
    torch = optional("torch")
    if torch:
        net = torch_twin(model)

        def torch_batches(x):
            out = []
            with torch.inference_mode():
                for i in range(0, len(x), BATCH):
                    rows = torch.from_numpy(x[i : i + BATCH]).reshape(-1, 784).float().div_(255)
                    out.append(net(rows).argmax(dim=1))
            return torch.cat(out).numpy()

        def torch_single(x):
            with torch.inference_mode():
                return int(
                    net(torch.from_numpy(x).reshape(1, 784).float().div_(255)).argmax(dim=1).item()
                )

        predictors["pytorch"] = (torch_batches, torch_single)
        # Same weights, same answers: a benchmark of wrong predictions would be worthless.
        agree = np.mean(predictors["nnscratch"][0](images) == torch_batches(images))
        if agree < 0.999:
            raise RuntimeError(f"nnscratch and PyTorch disagree on {1 - agree:.2%} of images")

    # The floor of one image's latency: its three matrix products alone, on pixels already
    # converted, with no bias, activation, check or argmax.
    weights = [layer.params["W"] for layer in model.layers if "W" in layer.params]
    rows = model.prepare(images).reshape(len(images), -1)

    def products_only(x):
        a = rows[x]
        for W in weights:
            a = a @ W
        return a

    singles_of = {name: p[1] for name, p in predictors.items()}
    singles_of[FLOOR] = products_only
    latencies: dict[str, list[float]] = {name: [] for name in singles_of}

    def batch_unit(predict_batches):
        def unit():
            start = time.perf_counter()
            predict_batches(images)
            return time.perf_counter() - start

        return unit

    def single_unit(name, predict_one):
        def unit():
            for i in range(singles):
                batch = slice(i, i + 1) if name == FLOOR else images[i : i + 1]
                start = time.perf_counter()
                predict_one(batch)
                latencies[name].append(time.perf_counter() - start)
            return statistics.median(latencies[name][-singles:])

        return unit

    throughput = interleave(
        {name: batch_unit(p[0]) for name, p in predictors.items()}, rounds=rounds
    )
    interleave({name: single_unit(name, one) for name, one in singles_of.items()}, rounds=rounds)
    results = {
        name: {
            "batch_seconds": stats(throughput[name]),
            "images_per_second": len(images) / statistics.median(throughput[name]),
            "latency_seconds": stats(latencies[name]),
        }
        for name in predictors
    }
    results[FLOOR] = {"latency_seconds": stats(latencies[FLOOR])}
    return results
