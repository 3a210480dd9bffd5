"""Draw the README's pictures from a model file, with the library's own chart functions.

    python docs/pictures.py MODEL [FOLDER]      # e.g. python docs/pictures.py mlp.npz docs

Writes learning-curves.png, confusion-matrix.png and misclassified.png into FOLDER (default:
this file's folder), measured on the test set of the data the model was trained on.
"""

import sys
from pathlib import Path

from nnscratch import Sequential, plots
from nnscratch.usecases.inspect import inspect_model, load_model_data, misclassified_indices


def main(model_path: str, folder: Path) -> None:
    model = Sequential.load(model_path)
    dataset = load_model_data(model.metadata).dataset
    seen = inspect_model(model, dataset.test_images, dataset.test_labels)

    figure = plots.learning_curves(plots.new_figure(9, 3.2), model.metadata["history"])
    plots.save_png(figure, folder / "learning-curves.png")

    figure = plots.new_figure(6, 5)
    plots.confusion_heatmap(figure.add_subplot(), seen.report["confusion_matrix"])
    plots.save_png(figure, folder / "confusion-matrix.png")

    wrong = misclassified_indices(seen.probabilities, seen.labels, 16)
    figure = plots.misclassified_gallery(
        plots.new_figure(9, 3.2), seen.images, seen.labels, seen.probabilities, wrong
    )
    plots.save_png(figure, folder / "misclassified.png")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).parent))
