"""Live training in the server: one run at a time, in a background thread, through the code of
``nnscratch train`` (:func:`~nnscratch.usecases.train.plan_training`,
:func:`~nnscratch.usecases.train.run_training`, its checkpoints), its progress published as
events the page receives as Server-Sent Events.

A run lives in a folder of its own under the runs folder: ``run.json`` (what was asked, and
its state), ``checkpoints/`` (every epoch, every 10 iterations of a full-batch run, and when
paused), ``model.npz`` (the run's model file, written when it ends or pauses) and, for a
fine-tuning, ``digits/``: the user's digits exported when it started, so that the run trains
on data that does not change under it and can resume. Pausing is a stop at the next batch
boundary with a checkpoint, and continuing is resuming from it, exactly as ``--resume`` does;
so is continuing a run that a stopped server left.

Events (:class:`~nnscratch.web.events.Event`, most published by the run's callback,
:class:`~nnscratch.web.events.Publisher`; the page draws them): ``start`` (a new run),
``plan`` (the run in words), ``batch`` (a step, at most twice a second), ``progress`` (every
epoch, every
``log_every`` iterations of a full-batch run: the figures of its history, the first layer's
weights and the watched drawing's probabilities), ``drawing`` (the drawing scored again),
``state`` (paused, stopped, diverged, ...), ``done`` (the metrics) and ``saved``.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.digitset import DigitSet
from ..errors import ConfigError, NNScratchError, TrainingDiverged
from ..model import Recipe, Sequential
from ..training.checkpoint import list_checkpoints, load_latest
from ..usecases.resume import resumed_run
from ..usecases.train import (
    TrainingResult,
    TrainOptions,
    measure,
    plan_training,
    run_training,
    save_result,
    split_dev,
)
from . import answers, run_requests
from .events import Event, Publisher, clean, history_event, plan_event, probabilities
from .hardening import server_folders
from .limits import give_back_freed_memory
from .runs import RunFolder, find_runs, new_run, remove_stale_temporaries
from .served import ServedModel, ServedModels

log = logging.getLogger(__name__)

# What a run may be doing; the first four have a worker thread.
ACTIVE = ("starting", "running", "pausing", "stopping")
SAVABLE = ("completed", "early_stopping", "stopped", "diverged")


class Conflict(answers.Conflict):
    """The run is in no state for what was asked (the web face answers 409)."""


class Busy(Conflict):
    """A run is training already: one at a time per server."""


class LiveTraining:
    """The server's training runs: at most one trains at a time. Thread-safe."""

    def __init__(
        self,
        runs: str | Path,
        models: ServedModels,
        *,
        digits: DigitSet | None = None,
        data: str = "mnist",
    ) -> None:
        self.runs, self.models, self.digits, self.data = Path(runs), models, digits, data
        self._lock = threading.Condition()
        self._events: list[Event] = []
        self._next_id = 1
        self._run: RunFolder | None = None
        self._state, self._message = "idle", ""
        self._worker: threading.Thread | None = None
        self._control: str | None = None  # "pause" or "stop", for the worker's next batch
        self._drawing: np.ndarray | None = None
        self._drawing_version = 0
        self._finished_model: tuple[float, Sequential] | None = None
        # Where the run's events and messages name a file, they name it by these folders.
        self.folders = server_folders(models, runs=self.runs, digits=digits)
        self.closing = False
        self.streams = 0  # event streams open now (each ends when its page goes)
        remove_stale_temporaries(self.runs)  # what a save or a run killed midway left
        self._take_up_left_run()

    # --- what the page asks ------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The current run (None before any) and its state, and what can be done now."""
        with self._lock:
            run, state = self._run, self._state
            return {
                "state": state,
                "message": self.folders.shown(self._message),
                "run": None if run is None else run.describe(),
                "last_event": self._next_id - 1,
                "choices": self.choices(),
                "can": {
                    "start": state not in ACTIVE,
                    "pause": state == "running",
                    "resume": state in ("paused", "interrupted"),
                    "step": state in ("paused", "interrupted")
                    and run is not None
                    and run.recipe.full_batch,
                    "stop": state in ("running", "paused", "interrupted"),
                    "save": state in SAVABLE and run is not None and run.model_path.exists(),
                },
            }

    def choices(self) -> dict[str, Any]:
        """What the page's form offers (:func:`~nnscratch.web.run_requests.choices`)."""
        return run_requests.choices(self.models, self.digits)

    def start(self, request: dict[str, Any]) -> dict[str, Any]:
        """Start the run ``request`` asks for (see :meth:`recipe_of`); Busy while one runs."""
        with self._lock:
            if self._state in ACTIVE:
                title = "" if self._run is None else f" ({self._run.describe()['title']})"
                raise Busy(
                    f"a run is training already{title}; "
                    f"pause or stop it first, or wait for it to end"
                )
            recipe, init_from = self.recipe_of(request)
            run = new_run(self.runs, request, recipe, init_from)
            data = self.data
            if init_from is not None:
                if self.digits is None:  # recipe_of refuses a fine-tuning without them
                    raise ConfigError("this server keeps no digits to fine-tune on")
                data = str(run.folder / "digits")
                self.digits.export_idx(data)
            run.write(state="starting", data=data)
            self._begin(run, "starting")
            self.publish("start", {"run": run.describe()})
            self._spawn(resume=False)
        return self.status()

    def recipe_of(self, request: dict[str, Any]) -> tuple[Recipe, Path | None]:
        """The recipe of a start request (:func:`~nnscratch.web.run_requests.recipe_of`)."""
        return run_requests.recipe_of(request, self.models, self.digits)

    def pause(self) -> dict[str, Any]:
        return self._ask("pause", "running")

    def stop(self) -> dict[str, Any]:
        with self._lock:
            if self._state in ("paused", "interrupted"):  # nothing trains: it just ends
                self._set_state("stopped", "stopped; its model is the one of the last checkpoint")
                return self.status()
        return self._ask("stop", "running")

    def resume(self, *, one_iteration: bool = False) -> dict[str, Any]:
        """Carry on a paused run (or one a stopped server left) from its last checkpoint; with
        ``one_iteration`` (a full-batch run only) for one iteration, then paused again."""
        with self._lock:
            if self._state not in ("paused", "interrupted"):
                raise Conflict(f"there is no paused run to continue (the run is {self._state})")
            if one_iteration and not (self._run is not None and self._run.recipe.full_batch):
                raise Conflict("one iteration at a time is for a full-batch run (as classic)")
            self._set_state(
                "starting",
                "one iteration, then paused"
                if one_iteration
                else "continuing from the last checkpoint",
            )
            self._spawn(resume=True, control="pause" if one_iteration else None)
        return self.status()

    def watch(self, pixels: np.ndarray) -> int:
        """The drawing (H, W) whose probabilities the run's events carry, with the version they
        name it by (returned: a page shows only the bars of the version it set, not another
        page's drawing); scored at once by a run that is not training (by its model file)."""
        with self._lock:
            self._drawing = np.array(pixels, dtype=np.uint8)
            self._drawing_version += 1
            version, drawing = self._drawing_version, self._drawing
            idle = self._state not in ACTIVE and self._run is not None
        if idle:
            model = self._run_model()
            if model is not None:
                self.publish(
                    "drawing", {"probabilities": probabilities(model, drawing), "version": version}
                )
        return version

    def save(self, name: str) -> ServedModel:
        """Write the finished run's model to ``runs/models/NAME.npz`` (atomically, by the
        model file code) and serve it under ``name`` beside the others. A name ending in
        .npz is the file's name: ``a.npz`` writes a.npz and serves it as ``a``."""
        name = name.removesuffix(".npz") or name
        with self._lock:
            run, state = self._run, self._state
            if run is None:
                raise Conflict(
                    "there is no run to save: none was started since the server started, and "
                    "the newest run in the runs folder is not one that finished unsaved"
                )
            if state not in SAVABLE or not run.model_path.exists():
                raise Conflict(f"there is no finished run to save (the run is {state})")
            if name in self.models.by_name:
                raise Conflict(f"a model is named {name!r} already; choose another name")
        model = Sequential.load(run.model_path)
        path = self.runs / "models" / f"{name}.npz"
        if path.exists():
            raise Conflict(
                f"{path} exists already (saved from an earlier run); choose another name"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        served = ServedModel(name, Sequential.load(path), file=path.name, path=str(path))
        self.models.add(served)
        with self._lock:
            self._finished_model = None  # the served model scores drawings from now on
            run.write(saved=name)
        self.publish("saved", {"name": name, "file": str(path)})
        return served

    # --- the event stream --------------------------------------------------------------------

    def events_after(self, last: int) -> list[Event]:
        """The current run's events after id ``last`` (all of them for an id before it)."""
        with self._lock:
            return [event for event in self._events if event.id > last]

    def close(self) -> None:
        """The server is stopping: a training run pauses at its next batch (a checkpoint to
        continue from after a restart) and the event streams end."""
        with self._lock:
            self.closing = True
            if self._state == "running" or self._state == "starting":
                self._control = "pause"
            self._lock.notify_all()

    def join(self, timeout: float = 60) -> bool:
        """Wait for the worker to end; True if none is left."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return worker is None or not worker.is_alive()

    # --- the worker --------------------------------------------------------------------------

    def _spawn(self, *, resume: bool, control: str | None = None) -> None:
        self._control = control  # "pause": one iteration (its first batch end), then paused
        self._worker = threading.Thread(
            target=self._work, args=(self._run, resume), name="nnscratch-training", daemon=True
        )
        self._worker.start()

    def _work(self, run: RunFolder, resume: bool) -> None:
        try:
            self._train(run, resume)
        finally:
            # The run's data, network, optimizer and batches are garbage now (_train's frame
            # is gone); glibc keeps the freed pages in this thread's arena unless asked
            # (measured: 185 of the 490 MB a run of a 4x2048 network took stayed).
            gc.collect()
            give_back_freed_memory()

    def _train(self, run: RunFolder, resume: bool) -> None:
        publisher = Publisher(self, run)
        try:
            if resume:
                checkpoint, recipe, saved = resumed_run(run.checkpoints)
                options = TrainOptions(
                    recipe=recipe, data=saved["data"], out=run.model_path, resume=checkpoint
                )
            else:
                options = TrainOptions(
                    recipe=run.recipe,
                    data=run.data,
                    out=run.model_path,
                    checkpoint_dir=run.checkpoints,
                    init_from=run.init_from,
                    force=True,
                )
            plan = plan_training(options)
            publisher.plan = plan
            self.publish("plan", plan_event(plan, resumed=resume))
            with self._lock:
                if self._control is None:
                    self._set_state("running", "training")
            result = run_training(plan, callbacks=[publisher])
            self._finish(run, result)
        except TrainingDiverged as error:
            self._keep_diverged(run, publisher, error)
        except NNScratchError as error:
            self._set_state("failed", str(error), lock=True)
        except Exception as error:  # a bug: the page says so, the server goes on
            log.exception("training run %s failed", run.id)
            self._set_state("failed", f"internal error: {type(error).__name__}: {error}", lock=True)

    def _finish(self, run: RunFolder, result: TrainingResult) -> None:
        with self._lock:
            control = self._control
        if result.stopped == "interrupted" and control == "pause":
            state, message = "paused", "paused; continue from its last checkpoint"
        elif result.stopped == "interrupted":
            state, message = "stopped", "stopped by you; its model is saved for the run"
        else:
            state = result.stopped
            message = "finished" if state == "completed" else "early stopping ended the run"
        self.publish(
            "done",
            {
                "stopped": state,
                "metrics": clean(result.metrics),
                "fine_tune": result.fine_tune,
                "epochs": len(result.history.epoch),
            },
        )
        self._set_state(state, message, lock=True)

    def _keep_diverged(self, run: RunFolder, publisher: Publisher, error: TrainingDiverged) -> None:
        """A run that diverged keeps its last good weights (the loop put them back): they
        become the run's model file, so it can still be looked at or saved."""
        trainer, plan = publisher.trainer, publisher.plan
        if trainer is not None and plan is not None:
            dataset = plan.dataset
            x, y, x_dev, y_dev = split_dev(plan.recipe, dataset.train_images, dataset.train_labels)
            history = error.history
            metrics = measure(
                trainer.model,
                history,
                {
                    "train": (x, y),
                    "dev": (x_dev, y_dev),
                    "test": (dataset.test_images, dataset.test_labels),
                },
            )
            result = TrainingResult(
                plan.recipe, trainer.model, history, metrics, trainer.optimizer, len(x), len(y_dev)
            )
            try:
                save_result(result, plan)
            except NNScratchError as failure:
                log.warning("the kept weights of run %s were not saved: %s", run.id, failure)
        self._set_state("diverged", str(error), lock=True)

    # --- state and events --------------------------------------------------------------------

    def _begin(self, run: RunFolder, state: str) -> None:
        self._run, self._events, self._finished_model = run, [], None
        self._state, self._message = state, ""

    def _set_state(self, state: str, message: str, *, lock: bool = False) -> None:
        if lock:
            with self._lock:
                return self._set_state(state, message)
        self._state, self._message = state, message
        if self._run is not None:
            self._run.write(state=state, message=message)
        self.publish("state", {"state": state, "message": message})

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            text = json.dumps(self.folders.shown_in(data), allow_nan=False)
            self._events.append(Event(self._next_id, kind, text))
            self._next_id += 1
            self._lock.notify_all()

    def _ask(self, control: str, needed: str) -> dict[str, Any]:
        with self._lock:
            if self._state not in (needed, "starting"):
                raise Conflict(f"there is no run training to {control} (the run is {self._state})")
            self._control = control
            self._set_state(
                "pausing" if control == "pause" else "stopping", f"{control} at the next batch"
            )
        return self.status()

    def control(self) -> str | None:
        return self._control

    def drawing(self) -> tuple[int, np.ndarray | None]:
        with self._lock:
            return self._drawing_version, self._drawing

    def _run_model(self) -> Sequential | None:
        if self._run is None:
            return None
        path = self._run.model_path
        try:
            stamp = path.stat().st_mtime
        except OSError:
            return None
        if self._finished_model is None or self._finished_model[0] != stamp:
            self._finished_model = (stamp, Sequential.load(path))
        return self._finished_model[1]

    def _take_up_left_run(self) -> None:
        """At start, the newest run, if a stopped server left it mid-way (shown as it was,
        ready to continue from its last checkpoint) or finished and unsaved (ready to save)."""
        run = next(iter(find_runs(self.runs)), None)
        if run is not None and run.state in SAVABLE and not run.saved:
            if run.model_path.exists():
                self._begin(run, run.state)
                self.publish("start", {"run": run.describe()})
                self._set_state(run.state, f"{run.message}; not saved yet")
            return
        if (
            run is None
            or run.state not in ACTIVE + ("paused", "interrupted")
            or not list_checkpoints(run.checkpoints)
        ):
            return
        try:
            checkpoint = load_latest(run.checkpoints)
        except NNScratchError as error:
            log.warning("run %s cannot be continued: %s", run.id, error)
            return
        self._begin(run, "interrupted")
        self.publish("start", {"run": run.describe()})
        history = checkpoint.state.history
        for index in range(len(history.epoch)):
            if history.epoch[index] % run.every == 0:
                self.publish("progress", history_event(history, index, run.epochs))
        self._set_state(
            "interrupted",
            f"the server stopped during this run; continue it "
            f"from its checkpoint after {checkpoint.epoch} {run.unit}s",
        )
