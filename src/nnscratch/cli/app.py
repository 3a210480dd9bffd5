"""The ``nnscratch`` command: a thin face over the library.

Heavy imports (NumPy, the engine) happen inside the commands, so ``nnscratch --help`` is quick.
A user's mistake ends with one line on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import re
import sys

import typer

from .inspect_commands import gradcheck, info, report, show
from .model_commands import evaluate, export, predict
from .options import Command, Group
from .serve import serve
from .training_commands import lr_find, sweep, train

app = typer.Typer(
    help="Neural networks from scratch in NumPy, with MNIST bundled.",
    # --install-completion and --show-completion, for bash, zsh, fish and PowerShell.
    add_completion=True,
    # -h as well as --help, for every command (Click's contexts inherit the names).
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    cls=Group,
    pretty_exceptions_enable=False,
)

EXIT_USER_ERROR = 2


def _print_version(asked: bool) -> None:
    if asked:
        from .. import __version__

        print(f"nnscratch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print nnscratch's version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    """Neural networks from scratch in NumPy, with MNIST bundled."""


# In the order `nnscratch --help` lists them.
app.command(cls=Command)(train)
app.command(cls=Command)(evaluate)
app.command(cls=Command)(predict)
app.command(cls=Command)(info)
app.command(cls=Command)(show)
app.command(cls=Command)(report)
app.command(cls=Command)(gradcheck)
app.command("lr-find", cls=Command)(lr_find)
app.command(cls=Command)(sweep)
app.command(cls=Command)(export)
app.command(cls=Command)(serve)  # its options and body: cli/serve.py


def main(argv: list[str] | None = None) -> int:
    """The ``nnscratch`` command with ``argv`` (default: the process's arguments); returns the
    exit status, which the console script exits with."""
    from ..errors import NNScratchError

    command = typer.main.get_command(app)
    argv = _aliases(_bare_report_flag(list(sys.argv[1:] if argv is None else argv)))
    try:
        result = command.main(args=argv, prog_name="nnscratch", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except NNScratchError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        from ..training.signals import EXIT_INTERRUPTED

        print("nnscratch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        # Click's usage errors (bad option value, unknown option), vendored or not by Typer.
        if hasattr(error, "format_message") and hasattr(error, "exit_code"):
            message = error.format_message()
            if not message.strip():  # bare `nnscratch`: the help was printed instead
                return error.exit_code
            negative = re.fullmatch(r"-\d+", str(getattr(error, "option_name", "")))
            if argv[:1] == ["show"] and negative:
                # `show m.npz -1`: Click reads -1 as an option; say what show itself says.
                return _fail(f"INDEX {negative[0]} is negative; images are numbered from 0")
            return _fail(_our_wording(error) or message, error.exit_code)
        raise


# What a value must be, in checks.py's words, for each kind of Pydantic error Typer reports.
_MUST_BE = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_parsing": "true or false",
    "greater_than_equal": "{ge} or more",
    "greater_than": "more than {gt}",
    "less_than_equal": "at most {le}",
    "less_than": "less than {lt}",
}

# Other names of options, kept working but not shown: train's --out before --output.
_ALIASES = {"--out": "--output"}


def _our_wording(error: Exception) -> str | None:
    """A bad option value that Typer refused (its Pydantic message "Invalid value for
    '--seed': Input should be a valid integer...") in the wording of our own checks:
    ``--seed must be a whole number, got 'x'``; None for any other usage error."""
    param = getattr(error, "param", None)
    details = getattr(error.__cause__, "errors", None)
    if param is None or not callable(details):
        return None
    found = details()
    if not found or found[0].get("type") not in _MUST_BE:
        return None
    first = found[0]
    long_names = [name for name in getattr(param, "opts", []) if name.startswith("--")]
    name = long_names[0] if long_names else param.human_readable_name
    must = _MUST_BE[first["type"]].format(**first.get("ctx", {}))
    return f"{name} must be {must}, got {first.get('input')!r}"


def _aliases(argv: list[str]) -> list[str]:
    """Each option's other names (:data:`_ALIASES`) as its one name, ``--out=x`` too."""
    named = []
    for arg in argv:
        option, equals, value = arg.partition("=")
        named.append(_ALIASES.get(option, option) + equals + value if option in _ALIASES else arg)
    return named


# Options of train whose value may be left out, and the value a bare one means.
_BARE_VALUES = {"--report": "", "--augment": "elastic"}


def _bare_report_flag(argv: list[str]) -> list[str]:
    """``train --report`` without a path means "beside the model": give it the empty value;
    a bare ``--augment`` means ``--augment elastic``.

    Typer's bundled Click has no options with an optional value, so a bare ``--report``
    (last, or followed by another option) becomes ``--report=`` here.
    """
    if not argv or argv[0] != "train":
        return argv
    return [
        f"{arg}={_BARE_VALUES[arg]}"
        if arg in _BARE_VALUES and (i + 1 == len(argv) or argv[i + 1].startswith("-"))
        else arg
        for i, arg in enumerate(argv)
    ]


def _fail(message: str, status: int = EXIT_USER_ERROR) -> int:
    print(f"nnscratch: error: {' '.join(message.split())}", file=sys.stderr)
    return status
