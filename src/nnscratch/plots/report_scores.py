"""The report's sections about the scores: metrics, learning curves, confusion matrix, per-class
scores, and galleries of the misclassified and the hardest images."""

from __future__ import annotations

from ..usecases.inspect import Inspection, hardest_indices, misclassified_indices
from . import charts
from .report_html import embedded_figure, esc, fmt, section, table

GALLERY_SIZE = 32  # images per gallery: four rows of eight


def metrics_section(c) -> str:
    """Accuracy and loss per split as recorded at the end of training, and precision, recall
    and F1 per class measured now on the evaluated images."""
    metrics, report = c["meta"].get("metrics") or {}, c["evaluated"].report
    splits = [
        (split, fmt(metrics.get(f"{split}_accuracy")), fmt(metrics.get(f"{split}_loss")))
        for split in ("train", "dev", "test")
    ]
    per_class = [
        (
            r["label"],
            f"{r['precision']:.4f}",
            f"{r['recall']:.4f}",
            f"{r['f1']:.4f}",
            f"{r['support']:,}",
        )
        for r in report["per_class"]
    ]
    for name in ("macro_avg", "weighted_avg"):
        avg = report[name]
        per_class.append(
            (
                name.replace("_avg", " average"),
                f"{avg['precision']:.4f}",
                f"{avg['recall']:.4f}",
                f"{avg['f1']:.4f}",
                f"{avg['support']:,}",
            )
        )
    return section(
        "metrics",
        "<h3>At the end of training</h3>",
        table(splits, ("split", "accuracy", "loss"), numeric=(1, 2)),
        f"<h3>Per class, on {esc(c['evaluated_on'])}</h3>",
        f"<p>accuracy {report['accuracy']:.4f}, loss {fmt(report['loss'])}</p>",
        table(per_class, ("class", "precision", "recall", "F1", "support"), numeric=(1, 2, 3, 4)),
    )


def learning_curves_section(c) -> str:
    """Loss and accuracy per epoch (or step), train against dev."""
    meta = c["meta"]
    history = meta.get("history")
    if not history or not history.get("epoch"):
        return section("learning-curves", "<p>The model file holds no training history.</p>")
    figure = charts.learning_curves(charts.new_figure(9, 3.4), history, unit=c["unit"])
    return section(
        "learning-curves",
        embedded_figure(
            figure,
            "loss and accuracy curves",
            f"Loss and accuracy per {c['unit']} on the "
            f"training and dev sets; the dotted line marks the best dev {c['unit']}.",
        ),
    )


def confusion_section(c) -> str:
    """The confusion matrix as a heat map."""
    figure = charts.new_figure(6.2, 5.2)
    charts.confusion_heatmap(figure.add_subplot(), c["evaluated"].report["confusion_matrix"])
    return section(
        "confusion-matrix",
        embedded_figure(
            figure,
            "confusion matrix",
            f"Rows: true label; columns: predicted label; on "
            f"{c['evaluated_on']}. Off the diagonal: the mistakes.",
        ),
    )


def per_class_section(c) -> str:
    """Precision, recall and F1 per class, as a bar chart."""
    figure = charts.new_figure(8.5, 3.6)
    charts.per_class_scores(figure.add_subplot(), c["evaluated"].report)
    return section(
        "per-class",
        embedded_figure(
            figure,
            "per-class precision, recall and F1",
            "Precision: of the images predicted as this digit, the share that are. Recall: of the "
            "images of this digit, the share found. F1: their harmonic mean.",
        ),
    )


def _gallery_height(count: int) -> float:
    return 0.4 + 1.45 * max(1, -(-count // 8))


def misclassified_section(c) -> str:
    """A gallery of the most confident mistakes on the evaluated images."""
    ev: Inspection = c["evaluated"]
    wrong = misclassified_indices(ev.probabilities, ev.labels)
    shown = wrong[:GALLERY_SIZE]
    figure = charts.new_figure(9, _gallery_height(len(shown)))
    charts.misclassified_gallery(figure, ev.images, ev.labels, ev.probabilities, shown)
    return section(
        "misclassified",
        embedded_figure(
            figure,
            "misclassified images",
            f"The {len(shown)} most confident of the "
            f"{len(wrong):,} mistakes on {c['evaluated_on']}: predicted label (probability), true "
            f"label, image index.",
        ),
    )


def hardest_section(c) -> str:
    """A gallery of the training images with the highest loss."""
    tr: Inspection = c["training"]
    shown = hardest_indices(tr.losses, GALLERY_SIZE)
    figure = charts.new_figure(9, _gallery_height(len(shown)) + 0.3)
    charts.hardest_gallery(figure, tr.images, tr.labels, tr.losses, tr.probabilities, shown)
    return section(
        "hardest",
        embedded_figure(
            figure,
            "hardest training images",
            f"The {len(shown)} training images with the highest "
            f"loss -log p(label): label and index, the network's guess, the loss. Mislabelled "
            f"digits hide here.",
        ),
    )


# The gates of each recurrent layer, in the order of its weights' row blocks (PyTorch's).
