"""DiffAugment and ADA (minigan.gan.augment): each transformation against a NumPy reference, its gradients (first and
second order, so R1 and WGAN-GP pass through it), its randomness, and GANTrainer applying it to every image D sees."""
import numpy as np
import pytest

import minigan as mg
from minigan import optim
from minigan.gan.augment import AdaptiveAugment, DiffAugment, Translate, brightness, contrast, cutout, cutout_masks, translate
from minigan.gan.models import DCGANDiscriminator, DCGANGenerator
from minigan.gan.training import GANTrainer
from minigan.gradcheck import gradcheck, gradgradcheck


def _images(n=4, size=8, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 1, size, size)).astype(dtype)


def _shift_reference(image, dy, dx, fill):
    """One (C, H, W) image moved by (dy, dx) with a loop over destination pixels: the plain definition."""
    out = np.full_like(image, fill)
    _, height, width = image.shape
    for i in range(height):
        for j in range(width):
            if 0 <= i - dy < height and 0 <= j - dx < width:
                out[:, i, j] = image[:, i - dy, j - dx]
    return out


@pytest.mark.parametrize("size", [5, 8, 28])
def test_translate_matches_the_pixel_loop_for_every_shift_including_beyond_the_frame(size):
    shifts = np.array([(dy, dx) for dy in range(-size - 1, size + 2, 2) for dx in (-size, -3, 0, 2, size + 1)])
    images = _images(len(shifts), size, seed=size)
    out = Translate(shifts, fill=-1.0)(mg.tensor(images)).numpy()
    for n, (dy, dx) in enumerate(shifts):
        np.testing.assert_array_equal(out[n], _shift_reference(images[n], dy, dx, -1.0))


def test_translate_draws_shifts_within_the_ratio_and_fills_with_the_background():
    images = np.full((200, 1, 28, 28), 0.5)
    out = translate(mg.tensor(images), ratio=0.125, rng=np.random.default_rng(0)).numpy()
    # A constant image shifted by (dy, dx) has |dy| rows and |dx| columns of background (-1).
    background_rows = (out == -1).all(axis=(1, 3)).sum(axis=1)
    background_cols = (out == -1).all(axis=(1, 2)).sum(axis=1)
    assert background_rows.max() == 4 and background_cols.max() == 4  # round(0.125 * 28) = 4 (3.5 rounds to even)
    assert (background_rows == 0).any() and (background_cols == 0).any()
    assert set(np.unique(out)) == {-1.0, 0.5}


def test_cutout_paints_one_square_of_the_ratios_side_with_the_fill():
    masks = cutout_masks(500, 28, 28, ratio=0.5, probability=1.0, rng=np.random.default_rng(1))
    cut = masks[:, 0] == 0
    rows, cols = cut.any(axis=2).sum(axis=1), cut.any(axis=1).sum(axis=1)
    assert rows.max() == 14 and cols.max() == 14  # a full 14 x 14 square when it lies inside the frame
    assert (cut.sum(axis=(1, 2)) == rows * cols).all()  # a rectangle (the square clipped by the frame)
    assert rows.min() >= 7 and cols.min() >= 7  # its centre is inside the image
    images = _images(3, 28)
    out = cutout(mg.tensor(images), ratio=0.5, fill=-1.0, rng=np.random.default_rng(2)).numpy()
    keep = cutout_masks(3, 28, 28, 0.5, 1.0, np.random.default_rng(2))
    np.testing.assert_array_equal(out, np.where(keep == 1, images, -1.0))


def test_brightness_shifts_and_contrast_scales_each_image_about_its_mean():
    images = _images(6, 8)
    bright = brightness(mg.tensor(images), rng=np.random.default_rng(3)).numpy()
    offsets = (bright - images).reshape(6, -1)
    np.testing.assert_allclose(offsets, offsets[:, :1].repeat(64, axis=1), atol=1e-12)
    assert (np.abs(offsets[:, 0]) <= 0.5).all() and len(set(offsets[:, 0].round(9))) == 6
    contrasted = contrast(mg.tensor(images), rng=np.random.default_rng(4)).numpy()
    np.testing.assert_allclose(contrasted.mean(axis=(1, 2, 3)), images.mean(axis=(1, 2, 3)), atol=1e-12)
    ratio = (contrasted - contrasted.mean(axis=(1, 2, 3), keepdims=True)) / (
        images - images.mean(axis=(1, 2, 3), keepdims=True))
    factors = ratio.reshape(6, -1)[:, 0]
    np.testing.assert_allclose(ratio.reshape(6, -1), factors[:, None].repeat(64, axis=1), rtol=1e-9)
    assert ((factors >= 0.5) & (factors <= 1.5)).all()


def test_probability_zero_is_the_identity_and_probability_p_augments_about_p_of_the_images():
    images = _images(400, 8)
    unchanged = DiffAugment("translation,cutout,brightness,contrast", probability=0.0)(
        mg.tensor(images), rng=np.random.default_rng(5)).numpy()
    np.testing.assert_array_equal(unchanged, images)
    changed = DiffAugment("brightness", probability=0.3)(mg.tensor(images), rng=np.random.default_rng(6)).numpy()
    share = (changed != images).any(axis=(1, 2, 3)).mean()
    assert 0.24 < share < 0.36


@pytest.mark.parametrize("policy", ["translation", "cutout", "brightness", "contrast", "translation,cutout"])
def test_gradients_and_second_gradients_match_finite_differences(policy):
    augment = DiffAugment(policy, translation_ratio=0.25, cutout_ratio=0.5)
    weights = mg.tensor(np.random.default_rng(7).standard_normal((3, 1, 6, 6)))

    def augmented(x):  # the same random draw at every evaluation, a smooth function on top so the 2nd order is not 0
        return (augment(x, rng=np.random.default_rng(8)) * weights).tanh()

    x = mg.tensor(_images(3, 6, seed=9), requires_grad=True)
    assert gradcheck(augmented, (x,))
    assert gradgradcheck(augmented, (x,))


def test_the_random_draws_come_from_minigans_seeded_generator():
    images = mg.tensor(_images(8, 8))
    mg.manual_seed(11)
    first = DiffAugment("translation,cutout")(images).numpy()
    mg.manual_seed(11)
    again = DiffAugment("translation,cutout")(images).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, DiffAugment("translation,cutout")(images).numpy())


def test_float32_images_stay_float32():
    out = DiffAugment("translation,cutout,brightness,contrast")(mg.tensor(_images(2, 8, dtype=np.float32)))
    assert out.dtype == np.float32


@pytest.mark.parametrize("arguments, message", [
    ({"policy": "translation,flip"}, "unknown transformation"),
    ({"policy": ""}, "unknown transformation"),
    ({"probability": 1.5}, "probability must be in"),
])
def test_bad_settings_are_clear_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        DiffAugment(**arguments)


def test_images_of_the_wrong_rank_are_a_clear_error():
    with pytest.raises(ValueError, match=r"expected images \(N, C, H, W\), got shape \(4, 8\)"):
        DiffAugment()(mg.tensor(np.zeros((4, 8))))


class _Spy:
    """An augmentation that records the batch sizes it is called with and passes the images through it."""

    def __init__(self):
        self.calls, self.inner = [], DiffAugment("translation")

    def __call__(self, images):
        self.calls.append(images.shape[0])
        return self.inner(images)


def _dcgan_trainer(augment, r1_gamma=0.0):
    mg.manual_seed(0)
    g, d = DCGANGenerator(latent_dim=8, width=4), DCGANDiscriminator(width=4)
    return GANTrainer(g, d, optim.Adam(g.parameters(), lr=2e-4), optim.Adam(d.parameters(), lr=2e-4),
                      augment=augment, r1_gamma=r1_gamma)


def test_the_trainer_augments_every_image_d_sees_in_both_steps_and_the_penalty():
    spy = _Spy()
    trainer = _dcgan_trainer(spy, r1_gamma=1.0)
    real = mg.tensor(_images(5, 28, dtype=np.float32))
    stats = trainer.step(real)
    # D step: real, fake, and R1's critic on real; G step: fake.
    assert spy.calls == [5, 5, 5, 5]
    assert stats["penalty"] > 0 and np.isfinite(stats["g_loss"])


def test_an_augmented_step_differs_from_a_plain_one_and_g_still_gets_a_gradient_through_t():
    real = mg.tensor(_images(6, 28, dtype=np.float32))
    plain, augmented = _dcgan_trainer(None), _dcgan_trainer(DiffAugment("translation,cutout"))
    assert plain.step(real)["d_loss"] != augmented.step(real)["d_loss"]
    grads = [p.grad for p in augmented.generator.parameters()]
    assert all(g is not None and np.abs(g.numpy()).sum() > 0 for g in grads)


# ---------------------------------------------------------------- ADA: the adaptive probability
def test_adaptive_probability_starts_at_zero_and_moves_by_the_ramp_after_every_interval():
    ada = AdaptiveAugment("translation", target=0.6, interval=2, ramp_images=100)
    sure = np.full((10, 1), 3.0)  # D calls every real image real: r = 1 > target
    assert ada.probability == 0.0
    ada.observe(sure)
    assert ada.probability == 0.0  # the first step of the interval only counts
    ada.observe(sure)
    assert ada.probability == pytest.approx(20 / 100)  # interval * batch / ramp
    for _ in range(20):
        ada.observe(sure)
    assert ada.probability == 1.0  # kept in [0, 1]
    unsure = np.array([[1.0], [-1.0]] * 5)  # r = 0 < target: p goes down again
    ada.observe(unsure), ada.observe(unsure)
    assert ada.probability == pytest.approx(0.8)


def test_adaptive_probability_reads_the_share_of_real_images_called_real():
    ada = AdaptiveAugment("translation", target=0.6, interval=1, ramp_images=10)
    ada.observe(np.array([1.0] * 7 + [-1.0] * 3))  # r = 0.4 < 0.6: stays at 0
    assert ada.probability == 0.0
    ada.observe(np.array([1.0] * 9 + [-1.0] * 1))  # r = 0.8 > 0.6
    assert ada.probability == 1.0


def test_the_trainer_feeds_ada_the_real_logits_reports_p_and_checkpoints_it():
    real = mg.tensor(_images(8, 28, dtype=np.float32))
    trainer = _dcgan_trainer(AdaptiveAugment("translation,cutout", interval=1, ramp_images=80))
    first = trainer.step(real)
    assert first["augment_p"] == 0.0  # the strength this step used
    probabilities = [trainer.step(real)["augment_p"] for _ in range(60)]
    assert max(probabilities) > 0  # a D shown the same 8 images is soon sure of them
    state = trainer.state_dict()
    resumed = _dcgan_trainer(AdaptiveAugment("translation,cutout", interval=1, ramp_images=80))
    resumed.load_state_dict(state)
    assert resumed.augment.state_dict() == trainer.augment.state_dict()
    with pytest.raises(KeyError, match="adapts its augmentation"):
        resumed.load_state_dict({k: v for k, v in state.items() if k != "augment"})


def test_plain_diffaugment_reports_no_strength_and_saves_no_state():
    trainer = _dcgan_trainer(DiffAugment("translation"))
    assert "augment_p" not in trainer.step(mg.tensor(_images(4, 28, dtype=np.float32)))
    assert "augment" not in trainer.state_dict()


@pytest.mark.parametrize("arguments", [dict(target=1.0), dict(interval=0), dict(ramp_images=0)])
def test_bad_adaptive_settings_are_clear_errors(arguments):
    with pytest.raises(ValueError, match="AdaptiveAugment: need 0 < target < 1"):
        AdaptiveAugment("translation", **arguments)
