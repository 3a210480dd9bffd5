"""Metrics against figures worked out by hand, and the zero-division conventions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnscratch.engine.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    precision_recall_f1,
)

# Three classes. True:      0 0 0 1 1 2
#                Predicted: 0 0 1 1 2 2
TRUE = np.array([0, 0, 0, 1, 1, 2])
PRED = np.array([0, 0, 1, 1, 2, 2])


def test_confusion_matrix_by_hand():
    # rows true, columns predicted
    assert confusion_matrix(PRED, TRUE, classes=3).tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_precision_recall_f1_by_hand():
    figures = precision_recall_f1(confusion_matrix(PRED, TRUE, classes=3))
    # class 0: TP 2, predicted 2, true 3 -> P 1, R 2/3, F1 = 2·(2/3)/(5/3) = 0.8
    # class 1: TP 1, predicted 2, true 2 -> P 1/2, R 1/2, F1 1/2
    # class 2: TP 1, predicted 2, true 1 -> P 1/2, R 1, F1 = 2·(1/2)/(3/2) = 2/3
    np.testing.assert_allclose(figures["precision"], [1, 1 / 2, 1 / 2])
    np.testing.assert_allclose(figures["recall"], [2 / 3, 1 / 2, 1])
    np.testing.assert_allclose(figures["f1"], [0.8, 1 / 2, 2 / 3])
    assert figures["support"].tolist() == [3, 2, 1]


def test_report_averages_by_hand():
    report = classification_report(PRED, TRUE, classes=3, loss=0.25)
    assert report["count"] == 6 and report["loss"] == 0.25
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["macro_avg"]["precision"] == pytest.approx((1 + 1 / 2 + 1 / 2) / 3)
    assert report["macro_avg"]["f1"] == pytest.approx((0.8 + 1 / 2 + 2 / 3) / 3)
    # weighted by support 3, 2, 1; weighted recall equals accuracy
    assert report["weighted_avg"]["precision"] == pytest.approx((3 * 1 + 2 / 2 + 1 / 2) / 6)
    assert report["weighted_avg"]["recall"] == pytest.approx(report["accuracy"])
    assert [row["label"] for row in report["per_class"]] == [0, 1, 2]
    assert report["confusion_matrix"] == confusion_matrix(PRED, TRUE, classes=3).tolist()


def test_classes_never_seen_or_never_predicted_give_zero_without_warnings():
    true = np.array([0, 0, 1, 1])
    pred = np.array([0, 0, 0, 0])  # class 1 never predicted; class 2 never occurs at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a division-by-zero RuntimeWarning would fail here
        report = classification_report(pred, true, classes=3)
    rows = report["per_class"]
    assert rows[0]["precision"] == pytest.approx(0.5) and rows[0]["recall"] == 1.0
    assert rows[1] == {"label": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert rows[2] == {"label": 2, "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    # macro counts the absent class, weighted does not
    assert report["macro_avg"]["recall"] == pytest.approx(1 / 3)
    assert report["weighted_avg"]["recall"] == pytest.approx(0.5)


def test_empty_input_and_mismatched_shapes():
    report = classification_report(np.array([], int), np.array([], int), classes=2)
    assert report["count"] == 0 and report["accuracy"] == 0.0
    assert report["macro_avg"]["f1"] == 0.0 and report["weighted_avg"]["f1"] == 0.0
    with pytest.raises(ValueError, match="must be"):
        accuracy(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="outside 0-2"):
        confusion_matrix(np.array([3]), np.array([0]), classes=3)


def test_against_a_loop_over_examples_on_random_labels():
    rng = np.random.default_rng(0)
    true, pred = rng.integers(0, 10, 5000), rng.integers(0, 10, 5000)
    expected = np.zeros((10, 10), dtype=np.int64)
    for t, p in zip(true, pred, strict=True):
        expected[t, p] += 1
    assert np.array_equal(confusion_matrix(pred, true), expected)
