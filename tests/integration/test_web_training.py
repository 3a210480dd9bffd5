"""Live training in the server, through its API and its Server-Sent Events: the stream says what
the saved model file's history says; a page that goes stops nothing and leaves no stream or
worker behind; one run at a time; pause and continue, and a server stopped mid-run, end with the
weights of a run never stopped (the checkpoints of `nnscratch train`); a run that diverges says
so and keeps its last good weights; a model fine-tuned on your digits says before and after."""

from __future__ import annotations

import hashlib
import threading
import time

import numpy as np
import pytest

from live_servers import ended, kinds, read_events, start_server
from mini_mnist import write_mnist_folder
from nnscratch.datasets import load_mnist
from nnscratch.datasets.transforms import rotate
from nnscratch.model import Sequential, build_model, get_preset
from nnscratch.usecases.train import TrainOptions, plan_training, run_training, split_dev
from nnscratch.web.events import MISTAKES

TINY = {"preset": "mlp", "hidden": [16], "dev_size": 300}


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    return write_mnist_folder(tmp_path_factory.mktemp("data"), train=1500, test=300)


@pytest.fixture
def serve(tmp_path, small_models, data_folder):
    servers = []

    def start():
        servers.append(
            start_server(
                [small_models["mlp"], small_models["cnn"]],
                tmp_path / "runs",
                tmp_path / "digits",
                str(data_folder),
            )
        )
        return servers[-1]

    yield start
    for server in servers:
        if server.thread.is_alive():
            server.stop()
    assert not [t for t in threading.enumerate() if t.name == "nnscratch-training"]


def uninterrupted(data_folder, tmp_path, epochs: int) -> dict[str, np.ndarray]:
    """The weights `nnscratch train`'s own code ends with, for the TINY run of ``epochs``."""
    recipe = get_preset("mlp").with_overrides(hidden=(16,), dev_size=300, epochs=epochs)
    result = run_training(
        plan_training(
            TrainOptions(recipe=recipe, data=str(data_folder), out=tmp_path / "reference.npz")
        )
    )
    return result.model.get_weights()


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k].tobytes() == b[k].tobytes() for k in a)


def test_the_event_stream_says_what_the_saved_model_file_says(serve, tmp_path):
    server = serve()
    http = server.client()
    image = load_mnist("test")[0][0]
    watched = http.post("/api/training/drawing", json={"pixels": image.tolist()})
    assert watched.status_code == 200 and watched.json() == {"watched": True, "version": 1}
    started = http.post("/api/training/start", json={**TINY, "epochs": 3})
    assert started.status_code == 200, started.text
    events = read_events(server.url, until=ended)
    assert [e["kind"] for e in events][:2] == ["start", "plan"]
    assert kinds(events, "state")[-1]["state"] == "completed"
    saved = http.post("/api/training/save", json={"name": "tiny"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["file"] == "runs/models/tiny.npz"  # under the runs folder, no path
    model = Sequential.load(tmp_path / saved.json()["file"])
    history = model.metadata["history"]
    progress = kinds(events, "progress")
    assert [p["epoch"] for p in progress] == history["epoch"] == [1, 2, 3]
    for p in progress:
        for key in ("train_loss", "train_accuracy", "dev_loss", "dev_accuracy", "lr", "seconds"):
            assert p[key] == history[key][p["epoch"] - 1], key
        assert p["weights"]["shape"] == [16, 28, 28]
        assert max(abs(v) for row in p["weights"]["values"][0] for v in row) == 100
    # The last event's first-layer images and drawing are those of the saved model.
    W = model.layers[1].params["W"][:, 0].reshape(28, 28)
    np.testing.assert_array_equal(
        progress[-1]["weights"]["values"][0], np.round(W / np.abs(W).max() * 100).astype(int)
    )
    np.testing.assert_allclose(
        progress[-1]["drawing"], model.predict_proba(image[None])[0], atol=1e-6
    )
    assert {p["drawing_version"] for p in progress} == {1}  # the drawing sent, by its name
    done = kinds(events, "done")[0]
    assert done["metrics"]["test_accuracy"] == model.metadata["metrics"]["test_accuracy"]
    again = http.post("/api/training/save", json={"name": "tiny"})
    assert again.status_code == 409 and "a model is named 'tiny' already" in again.text
    # Saved, it is served beside the others, and answers as its file does.
    assert [m["name"] for m in http.get("/api/models").json()["models"]] == ["mlp", "cnn", "tiny"]
    answer = http.post("/api/predict", json={"pixels": image.tolist(), "models": ["tiny"]})
    assert (
        answer.json()["answers"][0]["probabilities"]
        == model.predict_proba(image[None])[0].astype(np.float64).tolist()
    )


def test_a_page_that_goes_stops_nothing_and_leaves_no_stream_or_worker(
    serve, tmp_path, data_folder
):
    server = serve()
    http = server.client()
    assert http.post("/api/training/start", json={**TINY, "epochs": 8}).status_code == 200
    seen = read_events(server.url, until=lambda events: len(kinds(events, "progress")) >= 2)
    deadline = time.monotonic() + 60  # the server notices the closed connection
    while server.live.streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.live.streams == 0
    events = read_events(server.url, until=ended)  # a page opened again: the whole run
    assert kinds(events, "state")[-1]["state"] == "completed"
    assert [p["epoch"] for p in kinds(events, "progress")] == list(range(1, 9))
    assert events[0]["id"] == seen[0]["id"]  # the same run, from its start
    model = Sequential.load(
        server.live.status()["run"]
        and (tmp_path / "runs" / server.live.status()["run"]["id"] / "model.npz")
    )
    assert same_weights(model.get_weights(), uninterrupted(data_folder, tmp_path, 8))
    assert server.live.join(timeout=30)


def test_a_second_start_is_refused_while_a_run_trains(serve):
    server = serve()
    http = server.client()
    assert http.post("/api/training/start", json={**TINY, "epochs": 6}).status_code == 200
    second = http.post("/api/training/start", json={"preset": "cnn"})
    assert second.status_code == 409
    assert second.json()["detail"].startswith(
        "a run is training already (mlp, trained from scratch); pause or stop it first"
    )
    events = read_events(server.url, until=ended)
    assert kinds(events, "state")[-1]["state"] == "completed"
    assert kinds(events, "start") == [kinds(events, "start")[0]]  # one run only


def test_pause_and_continue_end_as_a_run_never_paused(serve, tmp_path, data_folder):
    server = serve()
    http = server.client()
    assert http.post("/api/training/start", json={**TINY, "epochs": 30}).status_code == 200
    read_events(server.url, until=lambda events: len(kinds(events, "progress")) >= 1)
    assert http.post("/api/training/pause").status_code == 200
    events = read_events(server.url, until=ended)
    assert kinds(events, "state")[-1]["state"] == "paused"
    status = http.get("/api/training").json()
    assert status["can"] == {
        "start": True,
        "pause": False,
        "resume": True,
        "step": False,  # one iteration at a time: a full-batch run's
        "stop": True,
        "save": False,
    }
    run = tmp_path / "runs" / status["run"]["id"]
    assert (run / "checkpoints").is_dir() and any((run / "checkpoints").iterdir())
    assert http.post("/api/training/resume").status_code == 200
    events = read_events(server.url, after=events[-1]["id"], until=ended)
    assert kinds(events, "plan")[0]["resumed"] is True
    assert kinds(events, "state")[-1]["state"] == "completed"
    model = Sequential.load(run / "model.npz")
    assert model.metadata["history"]["epoch"] == list(range(1, 31))
    assert same_weights(model.get_weights(), uninterrupted(data_folder, tmp_path, 30))


def test_each_epoch_shows_the_dev_set_s_current_mistakes(serve, tmp_path, data_folder):
    """Item 7 of issue 26: every progress event carries the dev images the model gets wrong
    now (a bounded number, the surest first) with their labels and guesses, and how many."""
    server = serve()
    http = server.client()
    assert http.post("/api/training/start", json={**TINY, "epochs": 2}).status_code == 200
    events = read_events(server.url, until=ended)
    progress = kinds(events, "progress")
    assert [p["epoch"] for p in progress] == [1, 2]
    for event in progress:
        mistakes = event["mistakes"]
        assert mistakes["of"] == TINY["dev_size"]
        assert mistakes["count"] == round((1 - event["dev_accuracy"]) * mistakes["of"])
        shown = mistakes["shown"]
        assert 0 < len(shown) == min(MISTAKES, mistakes["count"])
        assert all(m["label"] != m["guess"] for m in shown)
        sureness = [m["confidence"] for m in shown]
        assert sureness == sorted(sureness, reverse=True)
    # The last event's mistakes are the saved model's, on the run's own dev images.
    run = tmp_path / "runs" / http.get("/api/training").json()["run"]["id"]
    model = Sequential.load(run / "model.npz")
    recipe = get_preset("mlp").with_overrides(hidden=(16,), dev_size=300, epochs=2)
    dataset = plan_training(
        TrainOptions(recipe=recipe, data=str(data_folder), out=tmp_path / "unused.npz")
    ).dataset
    _, _, x_dev, y_dev = split_dev(recipe, dataset.train_images, dataset.train_labels)
    found = model.predict_proba(x_dev)
    assert progress[-1]["mistakes"]["count"] == int((found.argmax(1) != y_dev).sum())
    for mistake in progress[-1]["mistakes"]["shown"]:
        index = mistake["index"]
        np.testing.assert_array_equal(mistake["pixels"], x_dev[index])
        assert (mistake["label"], mistake["guess"]) == (y_dev[index], found[index].argmax())
        assert mistake["confidence"] == pytest.approx(found[index].max(), abs=1e-4)


def test_a_paused_full_batch_run_advances_one_iteration_at_a_time(serve, tmp_path):
    """Item 7 of issue 26: pause, then step: one iteration, its figures, paused again (and its
    checkpoint and model file say so); a run of mini-batches cannot step."""
    server = serve()
    http = server.client()
    start = {"preset": "classic", "epochs": 1000, "dev_size": 300}
    assert http.post("/api/training/start", json=start).status_code == 200
    # Paused at once (a starting run may be): its iterations are too quick to wait for one.
    assert http.post("/api/training/pause").status_code == 200
    events = read_events(server.url, until=ended)
    paused_at = kinds(events, "progress")[-1]["epoch"]  # a pause tells its iteration
    status = http.get("/api/training").json()
    assert status["state"] == "paused" and status["can"]["step"] and status["can"]["resume"]
    run = tmp_path / "runs" / status["run"]["id"]
    for n in (1, 2):
        stepped = http.post("/api/training/step")
        assert stepped.status_code == 200 and stepped.json()["can"]["step"] is False
        events = read_events(server.url, after=events[-1]["id"], until=ended)
        assert [p["epoch"] for p in kinds(events, "progress")] == [paused_at + n]
        assert kinds(events, "state")[-1]["state"] == "paused"
        history = Sequential.load(run / "model.npz").metadata["history"]
        assert history["epoch"] == list(range(1, paused_at + n + 1))
    assert http.get("/api/training").json()["can"]["step"]
    assert http.post("/api/training/stop").status_code == 200
    # Mini-batches: pausing is possible, one iteration at a time is not.
    assert http.post("/api/training/start", json={**TINY, "epochs": 30}).status_code == 200
    read_events(server.url, until=lambda events: len(kinds(events, "progress")) >= 1)
    assert http.post("/api/training/pause").status_code == 200
    read_events(server.url, after=events[-1]["id"], until=ended)
    assert not http.get("/api/training").json()["can"]["step"]
    refused = http.post("/api/training/step")
    assert refused.status_code == 409
    assert "one iteration at a time is for a full-batch run" in refused.json()["detail"]


def test_a_server_stopped_mid_run_continues_it_after_a_restart(serve, tmp_path, data_folder):
    first = serve()
    assert (
        first.client().post("/api/training/start", json={**TINY, "epochs": 40}).status_code == 200
    )
    read_events(first.url, until=lambda events: len(kinds(events, "progress")) >= 2)
    first.stop()  # Ctrl-C: the run pauses at its next batch, with a checkpoint
    again = serve()  # a new server on the same folders
    http = again.client()
    status = http.get("/api/training").json()
    assert status["state"] == "interrupted" and status["can"]["resume"]
    shown = read_events(again.url, until=lambda events: any(e["kind"] == "state" for e in events))
    done_before = len(kinds(shown, "progress"))
    assert done_before >= 2  # the charts so far, from the checkpoint's history
    assert http.post("/api/training/resume").status_code == 200
    events = read_events(again.url, until=ended)
    assert kinds(events, "state")[-1]["state"] == "completed"
    model = Sequential.load(tmp_path / "runs" / status["run"]["id"] / "model.npz")
    assert model.metadata["history"]["epoch"] == list(range(1, 41))
    assert same_weights(model.get_weights(), uninterrupted(data_folder, tmp_path, 40))
    # A model saved from a run of an earlier server is not served now, but is not overwritten.
    earlier = tmp_path / "runs" / "models" / "earlier.npz"
    earlier.parent.mkdir(parents=True, exist_ok=True)
    earlier.write_bytes(b"saved before the restart")
    refused = http.post("/api/training/save", json={"name": "earlier"})
    assert refused.status_code == 409 and "exists already" in refused.text
    assert earlier.read_bytes() == b"saved before the restart"


def test_a_run_that_diverges_says_so_and_keeps_its_last_good_weights(serve, tmp_path):
    server = serve()
    http = server.client()
    request = {**TINY, "epochs": 3, "lr": 1e6}
    assert http.post("/api/training/start", json=request).status_code == 200
    events = read_events(server.url, until=ended)
    state = kinds(events, "state")[-1]
    assert state["state"] == "diverged"
    assert state["message"].startswith("training diverged: the loss rose to ")
    assert "the initial weights were kept" in state["message"]
    run = http.get("/api/training").json()
    assert run["can"]["save"] and not run["can"]["resume"]
    kept = Sequential.load(tmp_path / "runs" / run["run"]["id"] / "model.npz")
    initial = build_model(get_preset("mlp").with_overrides(hidden=(16,)))
    assert same_weights(kept.get_weights(), initial.get_weights())
    assert kept.metadata["history"]["stopped"] == "diverged"
    assert http.post("/api/training/save", json={"name": "kept"}).status_code == 200


def test_a_model_fine_tuned_on_your_digits_from_the_page_says_before_and_after(
    serve, tmp_path, small_models
):
    server = serve()
    http = server.client()
    images, labels = load_mnist("train")
    for image, label in zip(images[20000:20060], labels[20000:20060], strict=True):
        turned = np.clip(np.round(rotate(image, 30)), 0, 255).astype(int)
        assert (
            http.post(
                "/api/digits", json={"pixels": turned.tolist(), "label": int(label)}
            ).status_code
            == 200
        )
    started = http.post(
        "/api/training/start", json={"mode": "fine_tune", "model": "mlp", "freeze": 1, "epochs": 3}
    )
    assert started.status_code == 200, started.text
    assert started.json()["run"]["title"] == "fine-tuning mlp on your digits"
    events = read_events(server.url, until=ended)
    assert kinds(events, "state")[-1]["state"] == "completed"
    record = kinds(events, "done")[0]["fine_tune"]
    held = record["held_out"]
    # One in five of the set is held out (digitset.held_out).
    assert held["split"] == "test"
    assert held["count"] == 60 // 5
    assert set(record["before"]) == set(record["after"]) == {"held_out", "mnist_test"}
    assert kinds(events, "plan")[0]["fine_tune"]["before"] == record["before"]
    saved = http.post("/api/training/save", json={"name": "mine"}).json()
    model = Sequential.load(tmp_path / saved["file"])
    started_from = model.metadata["fine_tuned_from"]["from"]
    assert started_from["sha256"] == hashlib.sha256(small_models["mlp"].read_bytes()).hexdigest()
    assert model.metadata["recipe"]["freeze"] == 1
    start = Sequential.load(small_models["mlp"]).get_weights()
    assert all(
        model.get_weights()[k].tobytes() == start[k].tobytes() for k in ("layers.1.W", "layers.1.b")
    )


@pytest.mark.parametrize(
    "path, body, status, message",
    [
        (
            "/api/training/start",
            {"mode": "fine_tune", "model": "mlp"},
            409,  # the set's state, not the request, stands in the way
            "fine-tuning needs at least 10 of your digits; your set has 0",
        ),
        (
            "/api/training/start",
            {"mode": "fine_tune", "model": "nothing"},
            422,
            "unknown model 'nothing'",
        ),
        (
            "/api/training/start",
            {"preset": "mlp", "freeze": 1},
            422,
            "freeze keeps layers of a trained model",
        ),
        ("/api/training/start", {"preset": "mlp", "epochs": 0}, 422, "epochs: "),
        ("/api/training/pause", None, 409, "there is no run training to pause (the run is idle)"),
        ("/api/training/resume", None, 409, "there is no paused run to continue"),
        ("/api/training/step", None, 409, "there is no paused run to continue"),
        ("/api/training/save", {"name": "x"}, 409, "there is no run to save: none was started"),
        ("/api/training/save", {"name": "../up"}, 422, "name: "),
    ],
)
def test_what_cannot_be_done_is_refused_with_a_message(serve, path, body, status, message):
    answer = serve().client().post(path, json=body)
    assert answer.status_code == status
    assert message in answer.json()["detail"]
