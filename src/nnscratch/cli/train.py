"""``nnscratch train``: its options turned into a plan (:mod:`nnscratch.usecases.train`), and the
plan and the result drawn on the terminal: the run in words, a progress bar, the closing table,
and what to do after a stop."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.table import Table

from .. import checks
from ..environment import require
from ..errors import ConfigError, NNScratchError, TrainingDiverged
from ..model import DEFAULT_PRESET, FULL_BATCH, Recipe, get_preset
from ..usecases import finetune
from ..usecases.resume import resumed_run
from ..usecases.train import (
    TrainingPlan,
    TrainingResult,
    TrainOptions,
    default_out,
    plan_training,
    run_training,
)
from .options import print_json
from .progress import RichProgress

# Recipe fields the train command has an option for (--dev-size sets dev_size).
OPTION_FIELDS = frozenset(
    {
        "epochs",
        "lr",
        "batch_size",
        "hidden",
        "activation",
        "optimizer",
        "dropout",
        "dev_size",
        "stratify",
        "early_stopping",
        "seed",
        "weight_decay",
        "schedule",
        "conv",
        "batch_norm",
        "augment",
        "cell",
        "ema",
        "label_smoothing",
        "freeze",
    }
)


def option_name(field: str) -> str:
    """The train option that sets recipe field ``field`` (``dev_size``: ``--dev-size``); a field
    no option sets is named as the recipe's."""
    if field in OPTION_FIELDS:
        return f"--{field.replace('_', '-')}"
    return f"the recipe's {field}"


def train_command(
    *,
    preset: str | None,
    data: str | None,
    overrides: dict,
    out: Path | None,
    quiet: bool,
    overwrite: bool = False,
    json_output: bool,
    checkpoint_dir: str | Path | None,
    checkpoint_every: int | None,
    resume: Path | None,
    force: bool,
    report: str | None,
    recipe_file: Path | None = None,
    init_from: Path | None = None,
) -> int:
    """Run ``nnscratch train`` with its parsed options; returns the exit status.

    ``overrides`` holds the recipe fields given on the command line, and only those. Every
    option is checked, and every output tried, before any data is loaded or anything drawn.
    """
    checkpoint, recorded_out = None, None
    check_ignored_options(data, checkpoint_dir, checkpoint_every, resume)
    if recipe_file is not None and (preset is not None or resume is not None):
        other = "--preset" if preset is not None else "--resume"
        raise ConfigError(
            f"--recipe and {other} cannot be combined: "
            + (
                'name the preset in the recipe file (preset = "cnn")'
                if preset is not None
                else "a resumed run keeps its recipe"
            )
        )
    if recipe_file is not None:
        from ..model.recipefile import read_recipe_file

        base = read_recipe_file(recipe_file)
    elif resume is not None:
        # Options not given again come from the checkpoint; a change is refused unless --force.
        checkpoint, base, saved = resumed_run(resume, preset)
        # Where the model goes is the command line's to say, never a file's: the path the
        # checkpoint recorded is only mentioned (an edited one could name any file).
        data, recorded_out = (saved["data"] if data is None else data), saved["out"]
        checkpoint_every = checkpoint_every or saved["checkpoint_every"]
    elif init_from is not None:
        if preset is not None:
            raise ConfigError(
                f"--preset {preset}: --init-from {init_from} trains the network "
                f"and recipe of its model file; leave --preset out"
            )
        base = finetune.fine_tune_recipe(finetune.load_origin(init_from).recipe)
    else:
        base = get_preset(preset or DEFAULT_PRESET, option="--preset")
    recipe = base.with_overrides(overrides, name=option_name)
    if "cell" in overrides and not recipe.recurrent:
        raise ConfigError(
            f"--cell {overrides['cell']}: the {recipe.name} recipe has no recurrent layer, so "
            f"it would change nothing; start from one that has (--preset lstm)"
        )
    out = out or default_out(recipe, None if resume is not None else init_from)
    report_path = None if report is None else Path(report) if report else out.with_suffix(".html")
    if report_path is not None:  # said before training, not after it
        require("plots", "--report")
    plan = plan_training(
        TrainOptions(
            recipe=recipe,
            data="mnist" if data is None else data,
            out=out,
            overwrite=overwrite,
            checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir),
            checkpoint_every=checkpoint_every,
            resume=checkpoint,
            force=force,
            report=report_path,
            init_from=init_from,
        )
    )
    # Human output goes to stderr under --json, so stdout stays machine-readable.
    console = Console(stderr=json_output, quiet=quiet)
    show_plan(console, plan)
    if recorded_out is not None and recorded_out != out:
        console.print(
            f"the run was writing {escape(str(recorded_out))}: this one writes "
            f"{escape(str(out))} (give --output {escape(str(recorded_out))} to write there)"
        )
    progress = RichProgress(
        Console(stderr=True, quiet=quiet),
        log_every=recipe.log_every,
        then="measuring the network on its training and test images, saving it",
    )
    try:
        result = run_training(plan, callbacks=[progress])
    except KeyboardInterrupt:  # a second Ctrl-C, or one while the model is saved
        say_what_is_kept(plan, out)
        raise
    except TrainingDiverged:
        console.print(
            f"nothing was written to {out}"
            + (
                f"; the checkpoints in {plan.checkpoint_dir} are those of before"
                if plan.checkpoint_dir is not None
                else ""
            )
        )
        raise
    finally:
        progress.stop()  # an exception skips on_train_end: the bar would stay live, cursor hidden
    show_result(console, result)
    summary = result.summary(with_checkpoint=plan.checkpoint_dir is not None)
    if report_path is not None:
        from ..plots.report import write_report

        try:
            write_report(out, report_path)
        except NNScratchError as error:
            raise ConfigError(
                f"the model was saved to {out}, but the report could not be "
                f"written: {error}; write it later with: nnscratch report {out} "
                f"--output {report_path}"
            ) from None
        summary["report_path"] = str(report_path)
        console.print(f"report: {report_path}")
    if json_output:
        print_json(summary)
    return result.exit_status


def say_what_is_kept(plan: TrainingPlan, out: Path) -> None:
    """After a run cut off at once (a second Ctrl-C), the newest checkpoint and how to resume
    from it, on stderr, before the exit 130."""
    from ..training.checkpoint import list_checkpoints
    from ..usecases.resume import resume_command

    directory = plan.checkpoint_dir
    saved = list_checkpoints(directory) if directory is not None else []
    if saved:
        command = resume_command(directory, out, default_out(plan.recipe))
        print(
            f"nnscratch: stopped at once; the last checkpoint saved is {saved[-1][1]}; "
            f"resume with: {command}",
            file=sys.stderr,
        )


def check_ignored_options(
    data: str | None,
    checkpoint_dir: str | Path | None,
    checkpoint_every: int | None,
    resume: Path | None,
) -> None:
    """Refuse options that would otherwise be ignored or mean something else without a word:
    an empty ``--data`` (not the bundled MNIST), an empty ``--checkpoint-dir`` (not the current
    folder), and ``--checkpoint-every`` with no checkpoints to write."""
    if data is not None and not data.strip():
        raise ConfigError("--data is empty; give mnist, a folder of IDX files or a CSV file")
    if checkpoint_dir is not None and not str(checkpoint_dir).strip():
        raise ConfigError("--checkpoint-dir is empty; give a folder, e.g. --checkpoint-dir ckpt")
    if checkpoint_every is not None:  # its value is wrong before its being alone is
        checks.whole("--checkpoint-every", checkpoint_every, low=1)
    if checkpoint_every is not None and checkpoint_dir is None and resume is None:
        raise ConfigError(
            f"--checkpoint-every {checkpoint_every} needs --checkpoint-dir DIR: "
            f"without it no checkpoints are written"
        )


def train_into(recipe: Recipe, out: Path, *, console: Console, data: str = "mnist") -> None:
    """Train ``recipe`` on ``data`` and save it to ``out``, with the progress bar on
    ``console``: what ``serve`` does for a preset that is not in its cache yet."""
    plan = plan_training(TrainOptions(recipe=recipe, data=data, out=out))
    progress = RichProgress(Console(stderr=True, quiet=console.quiet), log_every=None)
    try:
        run_training(plan, callbacks=[progress])
    finally:
        progress.stop()


def parse_hidden(text: str | None, option: str = "--hidden") -> tuple[int, ...] | None:
    """``--hidden 512,256`` (or ``--conv 32,64``) as sizes (their values are checked with the
    rest of the recipe); ``none`` for no layers."""
    if text is None:
        return None
    if text.strip().lower() == "none":
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes:
        example = "32,64" if option == "--conv" else "512,256"
        raise ConfigError(
            f"{option} takes sizes separated by commas, like {example}, or none; got {text!r}"
        )
    return sizes


def parse_batch_size(text: str | None) -> int | str | None:
    """``--batch-size 128`` or ``--batch-size full``."""
    if text is None:
        return None
    if text.strip().lower() == FULL_BATCH:
        return FULL_BATCH
    try:
        return int(text)  # its value is checked with the rest of the recipe
    except ValueError:
        raise ConfigError(
            f"--batch-size takes a positive whole number or 'full', got {text!r}"
        ) from None


# --- the view -------------------------------------------------------------------------------------


def show_plan(console: Console, plan: TrainingPlan) -> None:
    """The run in words, its data, and where a resumed run takes up."""
    recipe, dataset, resume = plan.recipe, plan.dataset, plan.options.resume
    console.print(f"[bold]{escape(recipe.name)}[/]: {escape(plan.description)}")
    console.print(
        f"data: {dataset.source} ({len(dataset.train_labels):,} training images"
        + (
            f", {len(dataset.test_labels):,} test images)"
            if dataset.test_labels is not None
            else ", no test set)"
        )
    )
    if plan.fine_tune is not None:
        console.print(fine_tune_start(plan.fine_tune))
    if resume is not None:
        text = f"{resume.epoch} {recipe.unit}s done"
        if resume.step:
            text += f", {resume.step} batches into epoch {resume.epoch + 1}"
        console.print(f"resuming from {resume.path}: {text}")


def show_result(console: Console, result: TrainingResult) -> None:
    """After an interruption, what was kept and how to resume; then the closing table."""
    if result.stopped == "interrupted":
        console.print(
            f"[yellow]interrupted after {len(result.history.epoch)} "
            f"{result.recipe.unit}s; the model so far is saved[/]"
        )
        # On stderr even under --quiet: how to get the run back is not progress chatter.
        if result.resume_command is not None:
            print(
                f"nnscratch: checkpoint saved to {result.checkpoint}; resume with: "
                f"{result.resume_command}",
                file=sys.stderr,
            )
        else:
            print(
                "nnscratch: to be able to resume a run, train with --checkpoint-dir DIR",
                file=sys.stderr,
            )
    console.print(closing_table(result))
    if result.fine_tune is not None:
        console.print(before_after_table(result.fine_tune))


def fine_tune_start(record: dict) -> str:
    """Where a fine-tuning starts, and what it is measured on."""
    start = record["from"]
    held = record.get("held_out")
    measured = (
        f"measured before and after on the {held_out_words(held)}"
        if held
        else "no held-out digits of the new data to measure on (it has no test split and "
        "--dev-size is 0); measured before and after"
    )
    return (
        f"fine-tuning {escape(start['file'])} (SHA-256 {start['sha256'][:12]}...): "
        f"{measured} and on MNIST's test set"
    )


def held_out_words(held: dict) -> str:
    """``40 digits of the test split of my-digits`` (the dev set: ``dev set held out of``)."""
    split = "test split of" if held["split"] == "test" else "dev set held out of"
    return escape(f"{held['count']:,} digits of the {split} {held['source']}")


def before_after_table(record: dict) -> Table:
    """Accuracy before and after a fine-tuning: on the new data's held-out digits (what was
    gained) and on MNIST's test set (what, if anything, was forgotten)."""
    table = Table(title="fine-tuning: accuracy before and after")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("measured on", "left"),
        ("digits", "right"),
        ("before", "right"),
        ("after", "right"),
        ("change", "right"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    held = record.get("held_out")
    rows = [("mnist_test", "MNIST's test set", record["mnist_test"]["count"])]
    if held:
        split = "test split" if held["split"] == "test" else "dev set"
        rows.insert(0, ("held_out", f"{held['source']} ({split})", held["count"]))
    for key, what, count in rows:
        before, after = record["before"][key], record["after"][key]
        table.add_row(
            escape(what), f"{count:,}", f"{before:.4f}", f"{after:.4f}", f"{after - before:+.4f}"
        )
    return table


def closing_table(result: TrainingResult) -> Table:
    table = Table(title="run summary", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    metrics = result.metrics
    table.add_row("preset", result.recipe.name)
    table.add_row(f"{result.recipe.unit}s", f"{len(result.history.epoch)} ({result.stopped})")
    for split in ("train", "dev", "test"):
        acc, loss = metrics[f"{split}_accuracy"], metrics[f"{split}_loss"]
        table.add_row(f"{split} accuracy", "-" if acc is None else f"{acc:.4f}  (loss {loss:.4f})")
    table.add_row("training time", f"{metrics['train_seconds']:.1f} s")
    table.add_row("model", str(result.model_path))
    return table
