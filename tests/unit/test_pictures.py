"""Pictures into MNIST's form: real MNIST digits drawn as pictures come back as MNIST made them,
and bad pictures give a DataError naming the file."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageDraw

from nnscratch.datasets import load_mnist
from nnscratch.datasets.inputs import read_input, read_inputs
from nnscratch.datasets.pictures import read_picture, to_mnist_form
from nnscratch.errors import DataError

ROWS = np.arange(28)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_mnist("test")[0][:200]


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    image = image.astype(np.float64)
    return (image.sum(axis=1) @ ROWS / image.sum(), image.sum(axis=0) @ ROWS / image.sum())


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_an_mnist_digit_is_already_in_mnist_form(digits):
    converted = np.stack([to_mnist_form(image) for image in digits])
    brightest = digits.max(axis=(1, 2))
    exact = brightest == 255
    np.testing.assert_array_equal(converted[exact], digits[exact])
    # A digit whose brightest pixel is 254 is stretched to 255: one grey level at most.
    assert np.abs(converted[~exact].astype(int) - digits[~exact]).max() <= 1
    assert (~exact).sum() < len(digits) / 4  # most are the first case


@pytest.mark.parametrize(
    "variant",
    [
        "dark on light",
        "off-centre on a larger sheet",
        "enlarged 3x",
        "dark, enlarged 2x, off-centre",
    ],
)
def test_variants_of_a_digit_give_the_same_mnist_form(digits, variant):
    for image in digits[:50]:
        expected = to_mnist_form(image)
        picture = image
        if "dark" in variant:
            picture = 255 - picture
        if "enlarged" in variant:
            factor = int(variant.split("enlarged ")[1][0])
            picture = np.kron(picture, np.ones((factor, factor), np.uint8))
        if "off-centre" in variant:
            sheet = np.full((140, 90), picture[0, 0], np.uint8)  # the picture's own paper
            sheet[7 : 7 + picture.shape[0], 90 - picture.shape[1] :] = picture
            picture = sheet
        np.testing.assert_array_equal(to_mnist_form(picture), expected)


def test_a_large_drawing_is_scaled_to_a_20_pixel_box_centred_by_mass():
    sheet = Image.new("L", (300, 400), 250)  # a thick pen on off-white paper, top left
    ImageDraw.Draw(sheet).line([(20, 20), (140, 20), (60, 230)], fill=30, width=18)
    image = to_mnist_form(np.asarray(sheet))
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert np.median(image) == 0 and image.max() == 255  # light ink on black
    assert max(ink_box(image)) == 20
    row, col = centre_of_mass(image)
    assert abs(row - 14) <= 0.5 and abs(col - 14) <= 0.5


def test_a_thin_or_small_digit_is_enlarged_to_the_box():
    small = np.zeros((40, 40))
    small[10:20, 18:21] = 200  # a "1", 10 pixels tall, grey ink
    image = to_mnist_form(small)
    assert ink_box(image)[0] == 20
    assert image.max() == 255  # contrast stretched: the ink's peak becomes full white


def test_grainy_grey_paper_and_faint_ink_give_the_same_digit(digits):
    rng = np.random.default_rng(0)
    sheet = 235 + rng.normal(0, 4, (80, 80))  # grey paper with grain (sd 4 grey levels)
    sheet[30:58, 10:38] -= digits[0] * 0.7  # faint ink: at most 178 levels below the paper
    image = to_mnist_form(np.clip(sheet, 0, 255))
    clean = to_mnist_form(digits[0])
    assert ink_box(image) == ink_box(clean)  # no grain speck survives to widen the box
    assert np.abs(image.astype(int) - clean).mean() < 3


def test_picture_files_png_jpeg_and_transparent(tmp_path, digits):
    expected = to_mnist_form(digits[0])
    Image.fromarray(255 - digits[0]).save(tmp_path / "d.png")
    assert np.array_equal(read_picture(tmp_path / "d.png"), expected)
    Image.fromarray(255 - digits[0]).convert("RGB").save(tmp_path / "d.jpg", quality=95)
    jpeg = read_picture(tmp_path / "d.jpg").astype(int)
    assert np.abs(jpeg - expected).mean() < 8  # lossy, but the same digit in the same place
    # Black ink on a transparent sheet (a canvas drawing) counts as ink on white paper.
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = digits[0]
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    assert np.array_equal(read_picture(tmp_path / "t.png"), expected)


def test_bad_pictures_name_the_file(tmp_path, digits):
    (tmp_path / "text.png").write_text("not a picture")
    with pytest.raises(DataError, match=r"text\.png: not a picture"):
        read_picture(tmp_path / "text.png")
    Image.fromarray(digits[0]).save(tmp_path / "cut.png")
    data = (tmp_path / "cut.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.png: damaged picture"):
        read_picture(tmp_path / "cut.png")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    with pytest.raises(DataError, match=r"blank\.png: holds no digit"):
        read_picture(tmp_path / "blank.png")
    with pytest.raises(DataError, match=r"no such file: .*gone\.png"):
        read_picture(tmp_path / "gone.png")


def test_a_huge_picture_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    from nnscratch.datasets import pictures

    Image.new("L", (30, 20), 255).save(tmp_path / "huge.png")
    monkeypatch.setattr(pictures, "MAX_PIXELS", 599)
    with pytest.raises(DataError, match=r"huge\.png: picture of 30x20 pixels is larger than 599"):
        read_picture(tmp_path / "huge.png")


def test_inputs_are_read_in_order_with_their_sources(tmp_path, digits):
    from nnscratch.datasets import write_digits_csv, write_idx

    write_idx(tmp_path / "images-idx3-ubyte.gz", digits[:3])
    write_digits_csv(tmp_path / "test.csv", digits[3:5])
    write_digits_csv(tmp_path / "train.csv", digits[5:6], np.array([9]))  # label ignored
    Image.fromarray(255 - digits[6]).save(tmp_path / "seven.png")
    images, sources = read_inputs(
        [
            tmp_path / "images-idx3-ubyte.gz",
            tmp_path / "test.csv",
            tmp_path / "train.csv",
            tmp_path / "seven.png",
        ]
    )
    assert images.shape == (7, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[:6], digits[:6])
    np.testing.assert_array_equal(images[6], to_mnist_form(digits[6]))
    files = [
        str(tmp_path / name)
        for name in ("images-idx3-ubyte.gz", "test.csv", "train.csv", "seven.png")
    ]
    assert sources == [
        {"file": files[0], "index": 0},
        {"file": files[0], "index": 1},
        {"file": files[0], "index": 2},
        {"file": files[1], "row": 1},
        {"file": files[1], "row": 2},
        {"file": files[2], "row": 1},
        {"file": files[3]},
    ]


def test_bad_inputs_name_the_file(tmp_path):
    from nnscratch.datasets import write_idx

    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        read_input(tmp_path / "empty.csv")
    header = ",".join(f"pixel{i}" for i in range(783))
    (tmp_path / "short.csv").write_text(header + "\n" + ",".join(["0"] * 783) + "\n")
    with pytest.raises(DataError, match=r"short\.csv, line 1: has 783 columns"):
        read_input(tmp_path / "short.csv")
    (tmp_path / "kaggle-short.csv").write_text(
        "label," + header + "\n" + ",".join(["1"] + ["0"] * 783) + "\n"
    )
    with pytest.raises(
        DataError,
        match=r"kaggle-short\.csv, line 1: has a label column "
        r"and 783 pixel columns",
    ):
        read_input(tmp_path / "kaggle-short.csv")
    write_idx(tmp_path / "labels-idx1-ubyte", np.arange(5, dtype=np.uint8))
    with pytest.raises(DataError, match=r"labels-idx1-ubyte: holds uint8 of shape \(5,\)"):
        read_input(tmp_path / "labels-idx1-ubyte")
    with pytest.raises(DataError, match="is a folder"):
        read_input(tmp_path)
    write_idx(tmp_path / "small-idx3-ubyte", np.zeros((2, 14, 14), np.uint8))
    (tmp_path / "one.csv").write_text(",".join(["0"] * 784) + "\n")
    with pytest.raises(DataError, match=r"images are 14x14, but those of .*one\.csv are 28x28"):
        read_inputs([tmp_path / "one.csv", tmp_path / "small-idx3-ubyte"])


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=60)))
@example(np.array([[20] + [0] * 18 + [2]], dtype=np.uint8))  # a speck pulled the mark out
def test_any_greyscale_picture_gives_mnist_form_or_says_it_holds_no_digit(picture):
    """No other exception, whatever the pixels. (The 20-pixel box is checked on real digits
    above: on noise a one-pixel "digit" enlarged 20 times drags its faint neighbours along.)"""
    try:
        image = to_mnist_form(picture)
    except DataError as error:
        assert "holds no digit" in str(error)
        return
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert image.max() > 0  # some ink survives (shrinking averages the peak down)
