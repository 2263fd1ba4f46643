"""minigan.data.translation: grey-scale erosion and dilation against a loop reference; the unpaired stroke domains."""
import numpy as np
import pytest

from minigan.data.translation import BACKGROUND, dilate, erode, stroke_domains


def reference(images, size, shape, pick):
    """Pixel by pixel: ``pick`` (min or max) over the neighbours inside the image (outside counts as background)."""
    images = np.asarray(images, dtype=np.float64)
    r = size // 2
    out = np.empty_like(images)
    h, w = images.shape[-2:]
    for idx in np.ndindex(images.shape[:-2]):
        for y in range(h):
            for x in range(w):
                values = []
                for i in range(-r, r + 1):
                    for j in range(-r, r + 1):
                        if shape == "cross" and i != 0 and j != 0:
                            continue
                        yy, xx = y + i, x + j
                        values.append(images[idx + (yy, xx)] if 0 <= yy < h and 0 <= xx < w else BACKGROUND)
                out[idx + (y, x)] = pick(values)
    return out


@pytest.mark.parametrize("shape", ["square", "cross"])
@pytest.mark.parametrize("size", [1, 3, 5])
@pytest.mark.parametrize("batch_shape", [(2, 1), (3,)])
def test_erode_and_dilate_match_a_loop_reference(shape, size, batch_shape):
    images = np.random.default_rng(size).uniform(-1, 1, batch_shape + (7, 9)).astype(np.float32)
    np.testing.assert_array_equal(erode(images, size, shape), reference(images, size, shape, min))
    np.testing.assert_array_equal(dilate(images, size, shape), reference(images, size, shape, max))


def test_a_stroke_gets_thinner_and_thicker_by_one_pixel_per_side():
    image = np.full((1, 1, 11, 11), BACKGROUND, dtype=np.float32)
    image[..., 2:9, 4:7] = 1.0                                # a vertical stroke 3 pixels wide, 7 tall
    thin, thick = erode(image), dilate(image)
    assert (thin[0, 0] == 1).sum(axis=1).max() == 1           # 1 pixel wide (the cross shortens it by 1 at each end)
    assert (thin[0, 0] == 1).sum() == 5
    assert (thick[0, 0] == 1).sum(axis=1).max() == 5          # 5 pixels wide, 9 tall
    assert (thick[0, 0] == 1).sum() == 45
    np.testing.assert_array_equal(erode(image, 1), image)     # size 1: the identity
    assert erode(image).dtype == np.float32


def test_erosion_and_dilation_are_dual_and_ordered():
    images = np.random.default_rng(0).uniform(-1, 1, (4, 1, 8, 8))
    # Duality: eroding an image is dilating its negative (with the background negated too: not our padding),
    # so compare the interiors, where the padding plays no part.
    np.testing.assert_allclose(erode(images, 3, "square")[..., 1:-1, 1:-1],
                               -dilate(-images, 3, "square")[..., 1:-1, 1:-1])
    assert (erode(images) <= images).all() and (images <= dilate(images)).all()


@pytest.mark.parametrize("bad", [dict(size=2), dict(size=0), dict(shape="disk")])
def test_bad_structuring_elements_are_refused(bad):
    with pytest.raises(ValueError, match="morphology"):
        erode(np.zeros((1, 5, 5)), **bad)


def test_stroke_domains_split_the_digits_without_pairs():
    rng = np.random.default_rng(3)
    images = rng.uniform(-1, 1, (11, 1, 6, 6)).astype(np.float32)
    labels = np.arange(11)
    domains = stroke_domains(images, labels, np.random.default_rng(7))
    assert domains.x.shape == (5, 1, 6, 6) and domains.y.shape == (6, 1, 6, 6)
    assert sorted(domains.x_labels.tolist() + domains.y_labels.tolist()) == labels.tolist()   # disjoint, complete
    np.testing.assert_array_equal(domains.x, erode(images[domains.x_labels]))
    np.testing.assert_array_equal(domains.y, dilate(images[domains.y_labels]))
    again = stroke_domains(images, labels, np.random.default_rng(7))
    np.testing.assert_array_equal(again.x_labels, domains.x_labels)                            # seeded
    with pytest.raises(ValueError, match="stroke_domains"):
        stroke_domains(images, labels[:3], rng)
