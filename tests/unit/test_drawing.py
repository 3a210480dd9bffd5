"""Drawings (strokes) into MNIST's form through the pictures code, and the probes' image changes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from nnscratch.datasets import load_mnist, transforms
from nnscratch.datasets.drawing import (
    MAX_POINTS,
    RASTER_SIDE,
    drawing_to_mnist,
    make_strokes,
    render_strokes,
)
from nnscratch.datasets.pictures import NoDigitError, mnist_form_steps, read_picture, to_mnist_form
from nnscratch.errors import DataError
from web_models import digit_strokes


def strokes(*lines, brush=10.0):
    return make_strokes([{"brush": brush, "points": points} for points in lines], 100, 100)


def test_a_stroke_is_drawn_anti_aliased_with_the_brush_width():
    picture = render_strokes(strokes([[20, 50], [80, 50]], brush=10), 100, 100)
    # The canvas's inked part (60 + 10 wide, 10 high) is drawn at scale 1, with a margin of 2.
    assert picture.shape == (14, 74)
    column = picture[:, 37].astype(float) / 255
    assert column.sum() == pytest.approx(10, abs=0.3) and (column == 1).sum() >= 9
    # Across a diagonal stroke the ink ramps up and down, and a column holds w·√2 of it.
    diagonal = render_strokes(strokes([[20, 20], [80, 80]], brush=10), 100, 100)
    column = diagonal[:, diagonal.shape[1] // 2].astype(float) / 255
    assert ((column > 0.05) & (column < 0.95)).sum() >= 2
    assert column.sum() == pytest.approx(10 * np.sqrt(2), abs=0.5)
    assert (picture[0] == 0).all() and (picture[:, 0] == 0).all()  # the frame is paper


def test_a_thicker_brush_gives_thicker_strokes_in_the_28x28_input():
    thin = drawing_to_mnist(strokes([[50, 10], [50, 90]], [[30, 30], [50, 10]], brush=6), 100, 100)
    bold = drawing_to_mnist(strokes([[50, 10], [50, 90]], [[30, 30], [50, 10]], brush=16), 100, 100)
    assert bold.field.astype(int).sum() > 1.5 * thin.field.astype(int).sum()


def test_a_large_drawing_is_drawn_at_most_raster_side_pixels():
    picture = render_strokes(
        make_strokes([{"brush": 40, "points": [[100, 100], [1900, 1900]]}], 2000, 2000), 2000, 2000
    )
    assert max(picture.shape) <= RASTER_SIDE + 2 * 2 + 1


def test_points_past_the_canvas_are_clipped_as_the_canvas_clips_them():
    inside = render_strokes(strokes([[20, 50], [80, 50]]), 100, 100)
    past = render_strokes(strokes([[20, 50], [80, 50]], [[150, 50], [190, 50]]), 100, 100)
    assert past.shape[1] <= inside.shape[1] + 20  # nothing drawn beyond x = 100
    assert render_strokes(strokes([[150, 150], [190, 190]]), 100, 100).size == 0
    with pytest.raises(NoDigitError):
        drawing_to_mnist(strokes([[150, 150], [190, 190]]), 100, 100)
    with pytest.raises(NoDigitError):
        drawing_to_mnist([], 100, 100)


def test_a_rendered_drawing_saved_as_a_picture_gives_predict_the_same_input(tmp_path):
    # One implementation: the page's drawing and the same drawing as a PNG file for
    # `nnscratch predict` reach the network as the same 28x28 pixels.
    image = load_mnist("test")[0][0]
    drawn = make_strokes(digit_strokes(image), 280, 280)
    path = tmp_path / "drawing.png"
    Image.fromarray(render_strokes(drawn, 280, 280)).save(path)
    np.testing.assert_array_equal(read_picture(path), drawing_to_mnist(drawn, 280, 280).field)


def test_an_mnist_digit_traced_as_strokes_comes_back_close_to_itself():
    images = load_mnist("test")[0]
    for image in images[:5]:
        field = drawing_to_mnist(make_strokes(digit_strokes(image), 280, 280), 280, 280).field
        a, b = image.astype(float).ravel(), field.astype(float).ravel()
        assert np.corrcoef(a, b)[0, 1] > 0.75  # cropped, fitted into 20x20, centred as MNIST


def test_the_steps_are_those_to_mnist_form_takes():
    picture = render_strokes(strokes([[30, 20], [60, 20], [40, 80]]), 100, 100)
    steps = mnist_form_steps(picture)
    np.testing.assert_array_equal(steps.field, to_mnist_form(picture))
    ink_rows = np.flatnonzero(picture.any(axis=1))
    ink_cols = np.flatnonzero(picture.any(axis=0))
    assert steps.cropped.shape == (np.ptp(ink_rows) + 1, np.ptp(ink_cols) + 1)
    assert max(steps.scaled.shape) in (20, 21)  # the visible ink is 20; a faint edge may add one


def test_a_picture_read_from_an_open_file_is_read_as_from_its_path(tmp_path):
    path = tmp_path / "seven.png"
    Image.fromarray(255 - load_mnist("test")[0][0]).resize((140, 140)).save(path)
    from_file = read_picture(io.BytesIO(path.read_bytes()), name="upload")
    np.testing.assert_array_equal(from_file, read_picture(path))
    with pytest.raises(DataError, match="^upload: not a picture"):
        read_picture(io.BytesIO(b"not a picture"), name="upload")


def test_a_picture_over_the_pixel_limit_is_refused_before_decoding(tmp_path):
    path = tmp_path / "big.png"
    Image.new("L", (300, 300), 255).save(path)
    with pytest.raises(DataError, match="larger than 50,000 pixels"):
        read_picture(path, max_pixels=50_000)


@pytest.mark.parametrize(
    "drawing, message",
    [
        ([{"brush": 0, "points": [[1, 2]]}], r"strokes\[0\]\.brush must be a positive number"),
        (
            [{"brush": 10, "points": [[1, 2]]}, {"brush": float("nan"), "points": [[1, 2]]}],
            r"strokes\[1\]\.brush",
        ),
        ([{"brush": 10, "points": []}], r"strokes\[0\]\.points must be a non-empty list"),
        ([{"brush": 10, "points": [[1, 2, 3]]}], r"strokes\[0\]\.points must be a non-empty"),
        (
            [{"brush": 10, "points": [[1, 2], [3, float("inf")]]}],
            r"strokes\[0\]\.points\[1\] is not a pair of finite numbers",
        ),
        ([{"brush": 10, "points": "abc"}], r"strokes\[0\]\.points must be"),
        ([{"brush": 10, "points": [[1, 2], [1e300, 2]]}], r"points\[1\] lies more than 100,000"),
        ([{"brush": 10, "points": [[1, 2]] * (MAX_POINTS + 1)}], "more than 20,000 points"),
    ],
)
def test_a_malformed_drawing_is_refused_naming_the_stroke(drawing, message):
    with pytest.raises(DataError, match=message):
        make_strokes(drawing, 100, 100)


def test_a_canvas_of_no_size_is_refused():
    with pytest.raises(DataError, match="canvas width"):
        make_strokes([], 0, 100)
    with pytest.raises(DataError, match="canvas height"):
        make_strokes([], 100, float("nan"))


# --- the probes' changes --------------------------------------------------------------------------


def bar(horizontal: bool) -> np.ndarray:
    image = np.zeros((28, 28), np.uint8)
    if horizontal:
        image[13:15, 6:22] = 255
    else:
        image[6:22, 13:15] = 255
    return image


def test_shift_moves_the_ink_and_fills_with_paper():
    moved = transforms.shift(bar(True), 3, -2)
    np.testing.assert_array_equal(moved[11:13, 9:25], 255)
    assert moved.sum() == bar(True).astype(float).sum()
    assert transforms.shift(bar(True), 30, 0).sum() == 0


def test_rotate_a_quarter_turn_makes_a_horizontal_bar_vertical_and_zero_changes_nothing():
    turned = transforms.rotate(bar(True), 90)
    assert np.corrcoef(turned.ravel(), bar(False).astype(float).ravel())[0, 1] > 0.9
    np.testing.assert_allclose(transforms.rotate(bar(True), 0), bar(True), atol=1e-4)
    # Anticlockwise on screen: the bar's right end goes up.
    slanted = transforms.rotate(bar(True), 30)
    right, left = slanted[:, 18:22], slanted[:, 6:10]
    rows = np.arange(28)[:, None]
    assert (right * rows).sum() / right.sum() < (left * rows).sum() / left.sum()


def test_thicken_and_thin_add_and_remove_ink():
    image = bar(True)
    assert transforms.thicken(image, 1).sum() > image.sum()
    assert transforms.thicken(image, -1).sum() < image.sum()
    np.testing.assert_array_equal(transforms.thicken(image, 0), image)
    assert transforms.thicken(image, -2).sum() == 0  # a bar 2 pixels high is thinned away


def test_noise_is_the_same_for_the_same_seed_and_stays_in_range():
    a = transforms.add_noise(bar(True), 0.5, seed=3)
    np.testing.assert_array_equal(a, transforms.add_noise(bar(True), 0.5, seed=3))
    assert a.min() >= 0 and a.max() <= 255 and not np.array_equal(a, bar(True))
    np.testing.assert_array_equal(transforms.add_noise(bar(True), 0.0), bar(True))
