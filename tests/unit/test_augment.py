"""Augmentation: each transform checked on synthetic images (a dot moved by a shift, a rotation,
a scaling and an elastic field lands where the maths says), the random draws repeatable, and a
run that augments reproducible and bit-identical after a resume."""

from __future__ import annotations

import numpy as np
import pytest

from nnscratch import Adam, Sequential
from nnscratch.datasets import load_mnist
from nnscratch.datasets.augment import (
    AUGMENTATIONS,
    KINDS,
    Augmentation,
    elastic_field,
    gaussian_matrix,
    get_augmentation,
    warp,
)
from nnscratch.engine.layers import Dense, Flatten, ReLU
from nnscratch.errors import ConfigError
from nnscratch.training.checkpoint import Checkpointer, load_latest
from stop_at import StopAt


def dot(row, col, size=28):
    image = np.zeros((1, size, size), np.float32)
    image[0, row, col] = 1.0
    return image


def where(image):
    """(row, column) of the single lit pixel, which must hold all the ink at full strength."""
    lit = np.argwhere(image[0] > 1e-6)
    assert len(lit) == 1 and image[0][tuple(lit[0])] == pytest.approx(1.0, abs=1e-5), lit
    return tuple(int(v) for v in lit[0])


@pytest.mark.parametrize(("rows", "cols"), [(0, 0), (2, -3), (-5, 1), (1, 7)])
def test_a_shift_moves_a_dot_by_exactly_that_many_pixels(rows, cols):
    moved = warp(dot(10, 12), shift=np.array([[rows, cols]]))
    assert where(moved) == (10 + rows, 12 + cols)


def test_a_shift_beyond_the_edge_leaves_paper():
    moved = warp(dot(1, 1), shift=np.array([[-3, 0]]))
    assert not moved.any()
    # and what comes in from outside is blank too: a full image shifted loses a band
    full = np.ones((1, 6, 6), np.float32)
    shifted = warp(full, shift=np.array([[0, 2]]))
    np.testing.assert_array_equal(shifted[0, :, :2], 0)
    np.testing.assert_array_equal(shifted[0, :, 2:], 1)


@pytest.mark.parametrize(
    ("degrees", "expected"),
    [
        (90, (7, 10)),  # p - c = (-3.5, 6.5): right of centre, up a little -> above, left
        (180, (17, 7)),  # through the centre: 2c - p
        (-90, (20, 17)),  # clockwise
        (360, (10, 20)),
    ],
)
def test_a_rotation_turns_a_dot_counter_clockwise_about_the_centre(degrees, expected):
    moved = warp(dot(10, 20), rotation=np.array([np.deg2rad(degrees)]))
    assert where(moved) == expected


def test_a_scaling_moves_a_dot_away_from_the_centre_in_proportion():
    # 27x27 has its centre on pixel (13, 13), so doubled distances land on whole pixels.
    moved = warp(dot(10, 15, size=27), scale=np.array([2.0]))
    rows, cols = np.indices((27, 27))
    centre_of_mass = [(rows * moved[0]).sum() / moved.sum(), (cols * moved[0]).sum() / moved.sum()]
    np.testing.assert_allclose(centre_of_mass, (7, 17), atol=1e-5)
    assert moved[0, 7, 17] == pytest.approx(1.0)  # the dot's own pixel, at full strength
    shrunk = warp(dot(9, 17, size=27), scale=np.array([0.5]))
    assert where(shrunk) == (11, 15)


def test_an_elastic_field_moves_each_pixel_by_its_displacement():
    # A constant field d: output pixel q reads q + d, so the content moves by -d.
    field = np.zeros((1, 2, 28, 28), np.float32)
    field[:, 0], field[:, 1] = 1.0, -2.0
    assert where(warp(dot(10, 12), displacement=field)) == (9, 14)
    # A field that is zero except around the dot moves only the dot.
    image = dot(10, 12) + dot(20, 20)
    local = np.zeros((1, 2, 28, 28), np.float32)
    local[0, 1, 9:12, 9:12] = 3.0  # pixels near (10, 10) read 3 columns to the right
    moved = warp(image, displacement=local)
    assert moved[0, 10, 9] == pytest.approx(1.0) and moved[0, 20, 20] == pytest.approx(1.0)


def test_elastic_fields_are_smooth_seeded_and_scale_with_alpha():
    a = elastic_field(np.random.default_rng(0), 4, 28, 28, alpha=34, sigma=4)
    b = elastic_field(np.random.default_rng(0), 4, 28, 28, alpha=17, sigma=4)
    assert a.shape == (4, 2, 28, 28) and a.dtype == np.float32
    np.testing.assert_allclose(a, 2 * b, rtol=1e-6)
    # Smooth: neighbouring pixels move almost alike, far less than the field varies.
    step = np.abs(np.diff(a, axis=-1)).mean()
    assert step < 0.2 * a.std()
    assert 0.3 < a.std() < 3  # a pixel or so: a distortion, not a scramble
    # The blur is a Gaussian: symmetric, each row's weights those of the offset.
    g = gaussian_matrix(9, 2.0)
    np.testing.assert_allclose(g, g.T)
    assert g[4, 4] == pytest.approx(1 / (2 * np.sqrt(2 * np.pi)), rel=1e-6)


def test_augmentations_are_repeatable_from_the_generator_and_differ_per_image():
    images = load_mnist("train")[0][:16].astype(np.float32) / 255
    for kind, augmentation in AUGMENTATIONS.items():
        first = augmentation(images, np.random.default_rng(5))
        again = augmentation(images, np.random.default_rng(5))
        other = augmentation(images, np.random.default_rng(6))
        assert first.shape == images.shape and first.dtype == images.dtype, kind
        assert first.tobytes() == again.tobytes(), kind
        assert not np.array_equal(first, other), kind
        assert not np.array_equal(first, images), kind


def centres_of_mass(images):
    rows, cols = np.indices(images.shape[1:])
    ink = images.sum(axis=(1, 2))
    return np.stack(
        [(images * rows).sum(axis=(1, 2)) / ink, (images * cols).sum(axis=(1, 2)) / ink], axis=1
    )


@pytest.mark.parametrize(
    ("kind", "ink_range", "max_shift"),
    [("shift", (0.9, 1.0), 2), ("affine", (0.78, 1.24), 2), ("strong", (0.68, 1.36), 3)],
)
def test_shifts_and_affine_moves_stay_small(kind, ink_range, max_shift):
    images = load_mnist("train")[0][:300].astype(np.float32) / 255
    moved = get_augmentation(kind)(images, np.random.default_rng(7))
    # Ink: kept by a shift (but for strokes pushed off the edge); a scaling by s in
    # [0.9, 1.1] multiplies it by s² in [0.81, 1.21] ([0.72, 1.32] for s in [0.85, 1.15]),
    # give or take the resampling.
    ratio = moved.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert ink_range[0] <= ratio.min() and ratio.max() <= ink_range[1] + 1e-5, (
        ratio.min(),
        ratio.max(),
    )
    # The centre of mass moves by the shift (at most max_shift pixels on each axis), plus the
    # little that rotating and scaling about the image's centre adds.
    moved_by = np.abs(centres_of_mass(moved) - centres_of_mass(images))
    assert moved_by.max() <= max_shift + 0.5


def test_the_shift_kind_moves_whole_pixels_within_two():
    images = load_mnist("train")[0][:8].astype(np.float32) / 255
    moved = get_augmentation("shift")(images, np.random.default_rng(1))
    offsets = [(r, c) for r in range(-2, 3) for c in range(-2, 3)]
    for original, result in zip(images, moved, strict=True):
        matches = [
            o
            for o in offsets
            if np.array_equal(warp(original[None], shift=np.array([o]))[0], result)
        ]
        assert matches, "not a whole-pixel shift within 2"


def test_channels_of_one_image_move_alike():
    image = load_mnist("train")[0][:3].astype(np.float32) / 255
    two = np.stack([image, image], axis=1)  # (3, 2, 28, 28)
    moved = get_augmentation("elastic")(two, np.random.default_rng(2))
    np.testing.assert_array_equal(moved[:, 0], moved[:, 1])


def test_every_kind_has_its_moves_and_its_words():
    # A recipe with a kind of moves says them in words (``nnscratch info``, the model file).
    assert set(AUGMENTATIONS) == set(KINDS) - {"none"}
    for kind, augmentation in AUGMENTATIONS.items():
        assert augmentation.kind == kind
        assert augmentation.words.strip()


def test_unknown_kinds_are_refused_with_the_list():
    assert get_augmentation("none") is None
    with pytest.raises(
        ConfigError,
        match="unknown augmentation 'rotate'; choose one of: none, shift, affine, strong, elastic",
    ):
        get_augmentation("rotate")


# --- in training -------------------------------------------------------------------------------

N, DEV, BATCH = 700, 100, 100  # 6 steps per epoch


@pytest.fixture(scope="module")
def digits():
    x, y = load_mnist("train")
    return x[:N], y[:N]


class Recorder(Augmentation):
    """The elastic augmentation, noting the size of every batch it moves."""

    def __init__(self):
        super().__init__(**vars(AUGMENTATIONS["elastic"]))
        object.__setattr__(self, "sizes", [])

    def __call__(self, images, rng):
        self.sizes.append(len(images))
        return super().__call__(images, rng)


def run(digits, augment, **options):
    model = Sequential(
        [Flatten(), Dense(784, 32), ReLU(), Dense(32, 10)], input_scale=1 / 255, seed=1
    )
    history = model.fit(
        *digits,
        epochs=3,
        batch_size=BATCH,
        optimizer=Adam(lr=3e-3),
        validation_split=DEV,
        augment=augment,
        **options,
    )
    return model, history


def same_weights(a, b):
    return all(
        a.get_weights()[k].tobytes() == b.get_weights()[k].tobytes() for k in a.get_weights()
    )


def test_training_batches_are_augmented_and_the_dev_set_is_not(digits):
    recorder = Recorder()
    run(digits, recorder)
    assert recorder.sizes == [BATCH] * 6 * 3  # only the training steps' batches


def test_an_augmented_run_repeats_exactly_and_differs_from_a_plain_one(digits):
    elastic = get_augmentation("elastic")
    first, again, plain = run(digits, elastic), run(digits, elastic), run(digits, None)
    assert same_weights(first[0], again[0])
    assert first[1].dev_loss == again[1].dev_loss
    assert not same_weights(first[0], plain[0])


@pytest.mark.parametrize("at", [4, 6, 11])
def test_an_augmented_run_resumes_bit_identical(digits, tmp_path, at):
    elastic = get_augmentation("elastic")
    reference = run(digits, elastic)
    run(digits, elastic, callbacks=[StopAt(at), Checkpointer(tmp_path, every=None)])
    resumed = run(digits, elastic, resume=load_latest(tmp_path).state)
    assert same_weights(reference[0], resumed[0])
    assert reference[1].dev_loss == resumed[1].dev_loss
