"""``nnscratch evaluate``, ``predict`` and ``export``: the commands that put a trained model to
use, on a test set, on files of your own, or as an ONNX file."""

from __future__ import annotations

from pathlib import Path

import typer

from .options import print_json


def evaluate(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    data: str = typer.Option(
        "mnist",
        help="'mnist' (bundled), a folder of IDX files named "
        "as MNIST's, or a CSV file with a label column.",
    ),
    split: str = typer.Option(
        "auto", help="test, train, or auto: the test set if the data has one, else all of it."
    ),
    json_output: bool = typer.Option(
        False, "--json", help="Print every figure as one JSON object instead of tables."
    ),
) -> None:
    """Loss, accuracy, per-class precision/recall/F1, averages and the confusion matrix."""
    from ..usecases.evaluate import evaluate_file

    report = evaluate_file(model, data, split)
    if json_output:
        print_json(report)
        return
    from rich.console import Console

    from .tables import evaluation_view

    Console().print(evaluation_view(report))


def predict(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    inputs: list[Path] = typer.Argument(
        ...,
        metavar="INPUTS",
        help="IDX image files, CSV files (Kaggle's test.csv; "
        "a label column is ignored) or pictures (PNG, JPEG, "
        "...).",
        show_default=False,
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write Kaggle's submission CSV (ImageId,Label; ImageId from 1) to this file.",
    ),
    top: int | None = typer.Option(
        None, metavar="K", help="Show the K most likely digits of each image.", min=1, max=10
    ),
    json_output: bool = typer.Option(
        False,
        "--json",
        help="Print source, label and all probabilities of every image as one JSON object.",
    ),
) -> None:
    """Predict the digits in files and pictures; optionally write a Kaggle submission."""
    from ..usecases.predict import check_output, predict_files, write_submission

    if output is not None:
        check_output(output, model, inputs)
    predictions = predict_files(model, inputs)
    if output is not None:
        write_submission(output, predictions.labels)
    if json_output:
        print_json(
            {
                "model": str(model),
                "count": len(predictions.labels),
                "predictions": predictions.as_json(top),
            }
        )
        return
    from rich.console import Console

    from .tables import prediction_view

    console = Console()
    console.print(prediction_view(predictions, top))
    if output is not None:
        count = len(predictions.labels)
        console.print(f"wrote {count:,} prediction{'' if count == 1 else 's'} to {output}")


def export(
    model: Path = typer.Argument(
        ..., metavar="MODEL", help="Model file (.npz) written by nnscratch train."
    ),
    output: Path = typer.Argument(
        ...,
        metavar="OUTPUT",
        help="ONNX file to write (.onnx), or a page that draws and reads digits offline (.html).",
    ),
    opset: int | None = typer.Option(
        None, "--opset", metavar="N", help="ONNX only: operator set to write, 13 to 19 [17]."
    ),
    input_type: str | None = typer.Option(
        None,
        "--input-type",
        metavar="TYPE",
        help="ONNX only: the input's type, float32 [default], or uint8 for 0-255 pixels "
        "(cast inside the graph).",
    ),
) -> None:
    """Write the network as ONNX (for onnxruntime and other runtimes: raw pixels in) or as one
    HTML page that draws, reads and explains digits in a browser, offline."""
    from ..errors import ConfigError
    from ..fileio import check_outputs

    # Writable, and no model file overwritten, whatever the format; then the format by name.
    check_outputs([("OUTPUT", output, "output")], [("the model file MODEL", model)])
    suffix = output.suffix.lower()
    if suffix == ".html":
        _export_page(model, output, opset, input_type)
        return
    if suffix != ".onnx":
        raise ConfigError(
            f"OUTPUT {output}: the name's ending chooses the format, .onnx (an ONNX file) or "
            f".html (a page that reads digits offline)"
        )
    from ..usecases.export import export_model_file

    done = export_model_file(model, output, opset=opset, input_type=input_type or "float32")
    scaled = ""
    if done.input_scale is not None:
        inverse = 1 / done.input_scale
        words = (
            f"1/{round(inverse)}"
            if abs(inverse - round(inverse)) < 1e-6 * inverse
            else f"{done.input_scale:.6g}"
        )
        scaled = f", scaled by {words} inside the graph"
    print(
        f"wrote {done.output} (ONNX opset {done.opset}, {done.size:,} bytes): input "
        f"(N, {', '.join(map(str, done.input_shape))}) {done.input_type} raw values{scaled}; "
        f"outputs "
        f"logits and probabilities (N, {done.classes})"
    )


def _export_page(model: Path, output: Path, opset: int | None, input_type: str | None) -> None:
    """``export MODEL page.html``: the options that only ONNX files take are refused."""
    from ..errors import ConfigError

    given = [
        name for name, v in (("--opset", opset), ("--input-type", input_type)) if v is not None
    ]
    if given:
        raise ConfigError(
            f"{' and '.join(given)} {'apply' if len(given) > 1 else 'applies'} to ONNX files "
            f"(.onnx) only; an .html page takes neither"
        )
    from ..fileio import check_outputs
    from ..web.share import write_page

    check_outputs([("OUTPUT", output, "digit.html")], [("the model file MODEL", model)])
    size = write_page(model, output)
    print(f"wrote {output} ({size:,} bytes): open it in a browser to draw digits, offline")
