"""A drawing is prepared as MNIST's digits were: cropped to its ink, fitted into the 20x20 box keeping its aspect
ratio (area averages, not nearest pixels), centred by centre of mass in 28x28, uint8 0..255."""

import numpy as np
import pytest

from nnstudio.data.digit_prep import centre_of_mass, ink_box, prepare_digit, resize


def ink_extent(image):
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def canvas(size=280):
    return np.zeros((size, size), dtype=np.uint8)


def test_a_vertical_bar_off_to_one_side_is_fitted_and_centred():
    drawn = canvas()
    drawn[40:240, 20:44] = 255  # a stroke 200 high, 24 wide, near the left edge
    out = prepare_digit(drawn)
    assert out.shape == (28, 28) and out.dtype == np.uint8
    h, w = ink_extent(out)
    assert h == 20 and w <= 20  # the longest side exactly fills the box
    cy, cx = centre_of_mass(out)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert out.max() == 255  # full ink stays full ink


def test_aspect_ratio_is_kept():
    drawn = canvas()
    drawn[100:160, 30:250] = 200  # 60 high, 220 wide: 20 wide and about 5.5 high once fitted
    out = prepare_digit(drawn)
    h, w = ink_extent(out)
    assert w == 20
    assert h in (5, 6, 7)  # 60 * 20 / 220 = 5.45 pixels, and the grey edge of a part-covered row
    assert abs(centre_of_mass(out)[0] - 14) <= 0.5


def test_shrinking_averages_areas_rather_than_picking_pixels():
    """An L whose upright is 14 px wide, 200 px high: fitted at 20/200 of its size, the upright is 1.4 pixels, so
    one column full and its neighbour 0.4 grey. Picking nearest pixels would give pure 0 or 255."""
    drawn = canvas()
    drawn[40:240, 100:114] = 255
    drawn[230:240, 100:200] = 255
    out = prepare_digit(drawn)
    values = set(np.unique(out).tolist())
    assert round(0.4 * 255) in values, "no grey edge: not anti-aliased"
    ink = 200 * 14 + 10 * 86
    assert out.sum() == pytest.approx(255 * ink / 100, rel=0.01)  # ink is conserved (scaled by (20/200)²)


def test_an_empty_drawing_gives_nothing():
    assert prepare_digit(canvas()) is None
    assert prepare_digit(np.full((50, 50), np.nan)) is None


def test_a_tiny_dot_fills_the_box_at_the_centre():
    drawn = canvas()
    drawn[7, 250] = 255
    out = prepare_digit(drawn)
    assert ink_extent(out) == (20, 20)
    assert np.allclose(centre_of_mass(out), (14, 14), atol=0.5)


def test_a_lopsided_drawing_keeps_all_its_ink():
    """A long bar with a heavy blob at one end: centring its mass would push the bar's far end past the edge, so it
    is shifted only as far as keeps all the ink."""
    drawn = canvas()
    drawn[20:260, 138:142] = 255
    drawn[20:60, 100:180] = 255
    out = prepare_digit(drawn)
    assert ink_extent(out)[0] == 20
    rows = np.flatnonzero(out.any(axis=1))
    assert rows[0] >= 0 and rows[-1] <= 27
    assert out.sum() == pytest.approx(resize(drawn[20:260, 100:180], 20, 7).sum(), rel=0.02)


@pytest.mark.parametrize("shape", [(8, 8), (12, 10), (28, 28), (32, 32)])
def test_other_picture_sizes_get_a_box_of_twenty_twenty_eighths(shape):
    box = ink_box(shape)
    assert box == tuple(round(s * 20 / 28) for s in shape)
    drawn = canvas()
    drawn[30:250, 120:160] = 255
    out = prepare_digit(drawn, shape)
    assert out.shape == shape
    h, w = ink_extent(out)
    assert h == box[0] and w <= box[1]
    cy, cx = centre_of_mass(out)
    assert abs(cy - shape[0] / 2) <= 0.5 and abs(cx - shape[1] / 2) <= 0.5


def test_float_and_out_of_range_ink():
    drawn = np.zeros((100, 100))
    drawn[20:80, 45:55] = 1e9  # more than full ink: taken as full
    drawn[0, 0] = -5.0  # negative: no ink
    out = prepare_digit(drawn)
    assert out.max() == 255 and ink_extent(out)[0] == 20


def test_a_drawing_must_be_two_dimensional():
    with pytest.raises(ValueError, match="2-D"):
        prepare_digit(np.zeros((3, 3, 3)))


def test_resize_conserves_mean_and_interpolates_when_enlarging():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 255, (60, 45))
    small = resize(image, 20, 15)
    assert small.mean() == pytest.approx(image.mean())
    assert resize(np.array([[0.0, 255.0]]), 1, 4).tolist() == [[0.0, 63.75, 191.25, 255.0]]


def test_centred_by_the_centre_of_mass_not_the_box():
    """An L has most of its ink in its upright: the mass, not the middle of its box, goes to (14, 14)."""
    drawn = canvas()
    drawn[40:240, 60:90] = 255
    drawn[210:240, 60:260] = 255
    out = prepare_digit(drawn)
    rows, cols = np.flatnonzero(out.any(axis=1)), np.flatnonzero(out.any(axis=0))
    assert np.allclose(centre_of_mass(out), (14, 14), atol=0.5)
    assert abs((cols[0] + cols[-1]) / 2 - 14) > 2  # its box is well off the middle
