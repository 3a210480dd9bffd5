"""The training progress line as a terminal shows it: every field whole at any width, and never
so long that the terminal's "^C" echo wraps it (the bar would then be printed twice)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from rich.console import Console

from nnscratch.cli.progress import SPARE_CELLS, RichProgress, clock, loss_text
from nnscratch.training.loop import unit_word

# Every field the line may hold, each whole; a cut field ("2580/2...", "0:00:...") cannot match.
WHOLE_FIELDS = re.compile(
    r"(?P<where>(epoch|iteration) \d+/\d+)(?P<bar> [━╸╺]+)?"
    r"(?P<count> \d+/\d+)?"
    r"(?P<figures> loss (\d+\.\d{4}|\d\.\d\de\+\d\d|-)  acc (\d\.\d{4}|-)  dev (\d\.\d{4}|-))?"
    r"(?P<elapsed> \d+:\d\d:\d\d)?"
    r"(?P<left> left (\d+:\d\d:\d\d|-:--:--))?"
)


def new_run(steps_per_epoch: int, epochs: int) -> SimpleNamespace:
    """What the progress reads of a trainer, at the start of a run."""
    return SimpleNamespace(
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        epoch=0,
        step=0,
        unit=unit_word(steps_per_epoch == 1),
    )


def shown_line(width: int, steps_per_epoch: int, epochs: int, loss: float = 0.1234) -> str:
    """The bar's last line on a console of ``width`` cells, near the end of a run."""
    out = io.StringIO()
    progress = RichProgress(Console(file=out, width=width, force_terminal=False))
    run = new_run(steps_per_epoch, epochs)
    progress.on_train_begin(run)
    progress.on_epoch_begin(run, epochs)
    progress.on_batch_end(run, 1, loss)
    logs = {"train_loss": loss, "train_accuracy": 0.9876, "dev_accuracy": 0.9765}
    progress.on_epoch_end(run, epochs, logs)
    progress.progress.update(progress.task, completed=steps_per_epoch * epochs - 1)
    # Off a terminal the bar is not drawn as the run goes (the epoch's line is printed
    # instead): draw it once, as a terminal would show it.
    progress.console.print(progress.progress.get_renderable())
    progress.stop()  # (Rich ends with an empty line off a terminal)
    return out.getvalue().rstrip("\n").splitlines()[-1].rstrip()


@pytest.mark.parametrize("width", [200, 120, 100, 80, 72, 60, 50, 40, 24])
@pytest.mark.parametrize(
    "steps, epochs", [(430, 6), (1, 500), (469, 10)], ids=["mlp", "full-batch", "ten-epochs"]
)
def test_every_field_is_whole_and_the_line_leaves_room_for_the_ctrl_c_echo(width, steps, epochs):
    line = shown_line(width, steps, epochs)
    assert len(line) <= width - SPARE_CELLS, line
    match = WHOLE_FIELDS.fullmatch(line)
    assert match, line
    assert "…" not in line and "..." not in line
    if steps > 1 and match["count"]:
        assert match["count"].strip() == f"{steps * epochs - 1}/{steps * epochs}"
    if width >= 50 and steps > 1:  # the figures before the bar (issue 25, defect 19)
        assert match["figures"] == " loss 0.1234  acc 0.9876  dev 0.9765", line
    if width < 50 or width >= 72:
        assert match["bar"], line
    if width >= 80:  # a usual terminal shows the figures and the time left
        assert match["figures"] == " loss 0.1234  acc 0.9876  dev 0.9765", line
        assert match["left"], line
    if width >= 120:  # a wide one shows everything
        assert all(match[name] for name in ("elapsed", "left", "figures")), line
        assert steps == 1 or match["count"], line


def test_an_exploding_loss_makes_way_rather_than_being_cut():
    line = shown_line(80, 430, 6, loss=1.8e17)
    assert len(line) <= 80 - SPARE_CELLS
    assert WHOLE_FIELDS.fullmatch(line) and "loss 1.80e+17" in line


def test_loss_text_is_at_most_8_characters():
    assert [loss_text(v) for v in (0.1234, 12.3456, 99.99, 123.0, 1.8e17)] == [
        "0.1234",
        "12.3456",
        "99.9900",
        "1.23e+02",
        "1.80e+17",
    ]


EPOCH_LINE = re.compile(
    r"(?P<where>(epoch|iteration) \d+/\d+)  loss (?P<loss>\d\.\d{4})  acc (?P<acc>\d\.\d{4})"
    r"  dev (?P<dev>\d\.\d{4}|-)  \d+:\d\d:\d\d  left (\d+:\d\d:\d\d|-:--:--)"
)


def printed_lines(epochs: int, steps_per_epoch: int, *, terminal: bool, log_every=None) -> str:
    """What a run of ``epochs`` prints on a console that is (or is not) a terminal."""
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=terminal)
    progress = RichProgress(console, log_every=log_every)
    run = new_run(steps_per_epoch, epochs)
    progress.on_train_begin(run)
    for epoch in range(1, epochs + 1):
        progress.on_epoch_begin(run, epoch)
        for step in range(steps_per_epoch):
            progress.on_batch_end(run, step, 1 / (epoch + 1))
        dev = 0.9 + epoch / 1000 if epoch % 2 else float("nan")  # some runs have no dev set
        logs = {"train_loss": 2 / epoch, "train_accuracy": 0.8 + epoch / 1000, "dev_accuracy": dev}
        progress.on_epoch_end(run, epoch, logs)
    progress.stop()
    return out.getvalue()


def test_off_a_terminal_each_epoch_prints_its_figures_as_a_line():
    # A job whose output goes to a file would otherwise say nothing until it ends.
    lines = printed_lines(3, 5, terminal=False).rstrip("\n").splitlines()
    matches = [m for line in lines if (m := EPOCH_LINE.fullmatch(line.rstrip()))]
    assert len(matches) == len(lines)  # the bar's last state is not printed after them
    assert [m["where"] for m in matches] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    # The epoch's mean loss, not the last batch's (which the bar shows: 1 / (epoch + 1))
    assert [m["loss"] for m in matches] == ["2.0000", "1.0000", "0.6667"]
    assert [m["acc"] for m in matches] == ["0.8010", "0.8020", "0.8030"]
    assert [m["dev"] for m in matches] == ["0.9010", "-", "0.9030"]


def test_a_full_batch_run_prints_every_tenth_of_its_iterations():
    lines = printed_lines(45, 1, terminal=False).splitlines()
    wheres = [m["where"] for line in lines if (m := EPOCH_LINE.fullmatch(line.rstrip()))]
    assert wheres == [f"iteration {i}/45" for i in (4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 45)]


def test_no_epoch_lines_on_a_terminal_nor_beside_the_tutorials_lines():
    on_terminal = printed_lines(3, 5, terminal=True)
    assert "epoch 1/3" in on_terminal  # the bar was drawn...
    assert not re.search(r"epoch \d/3  loss", on_terminal)  # ... and no line printed
    with_log_every = printed_lines(4, 5, terminal=False, log_every=2).splitlines()
    assert [line.rstrip() for line in with_log_every if line.startswith("Epoch")] == [
        "Epoch    2: accuracy 0.8020",
        "Epoch    4: accuracy 0.8040",
    ]
    assert not any(EPOCH_LINE.fullmatch(line.rstrip()) for line in with_log_every)


def test_clock_says_hours_minutes_and_seconds():
    assert [clock(s) for s in (0, 59.9, 61, 3600 * 2 + 62)] == [
        "0:00:00",
        "0:00:59",
        "0:01:01",
        "2:01:02",
    ]


def test_what_follows_training_is_said_on_a_terminal_until_stop():
    # Measuring the largest networks on 70,000 images takes half a minute after the bar ends.
    for terminal in (True, False):
        out = io.StringIO()
        console = Console(file=out, width=100, force_terminal=terminal)
        progress = RichProgress(console, then="measuring the network")
        run = new_run(5, 1)
        progress.on_train_begin(run)
        progress.on_train_end(run)
        assert (progress.status is not None) == terminal
        progress.stop()
        assert progress.status is None
        assert ("measuring the network" in out.getvalue()) == terminal
