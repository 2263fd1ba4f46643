"""Inpainting (minigan.gan.inpainting): masks, the masked reconstruction losses, pasting, the scores of a fill, each
against a plain NumPy reference, and the context encoder."""
import numpy as np
import pytest

import minigan as mg
from minigan.gan import (
    ContextEncoder, gradient_energy, hole_psnr, mask_images, masked_l1_loss, masked_mse_loss, nearest_context_indices,
    paste, random_square_masks, square_mask,
)
from minigan.gradcheck import gradcheck


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape)


# --------------------------------------------------------------------- masks
def test_square_mask_is_centred_or_placed():
    mask = square_mask(28, 14)
    assert mask.shape == (1, 1, 28, 28) and mask.dtype == np.float32
    rows, cols = np.nonzero(mask[0, 0])
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (7, 20, 7, 20) and mask.sum() == 196
    placed = square_mask(8, 3, top=5, left=0)[0, 0]
    assert placed[5:8, 0:3].all() and placed.sum() == 9
    assert square_mask(5, 2).sum() == 4 and square_mask(5, 2)[0, 0, 1:3, 1:3].all()   # odd margin: floor


@pytest.mark.parametrize("kwargs", [dict(hole=0), dict(hole=29), dict(hole=10, top=19), dict(hole=10, left=-1)])
def test_square_mask_rejects_holes_that_do_not_fit(kwargs):
    with pytest.raises(ValueError, match="square_mask"):
        square_mask(28, **kwargs)


def test_random_square_masks_are_squares_at_seeded_positions():
    masks = random_square_masks(50, size=10, hole=4, rng=3)
    assert masks.shape == (50, 1, 10, 10)
    for mask in masks[:, 0]:
        rows, cols = np.nonzero(mask)
        assert mask.sum() == 16 and rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3
    corners = {(np.nonzero(m)[0].min(), np.nonzero(m)[1].min()) for m in masks[:, 0]}
    assert len(corners) > 10 and all(0 <= r <= 6 and 0 <= c <= 6 for r, c in corners)
    np.testing.assert_array_equal(masks, random_square_masks(50, size=10, hole=4, rng=3))


def test_mask_images_and_paste_keep_the_context():
    images, other, mask = _images((3, 1, 8, 8)), _images((3, 1, 8, 8), seed=1), square_mask(8, 4)
    masked = mask_images(images, mask, fill=0.5)
    hole = mask.astype(bool).repeat(3, axis=0)
    np.testing.assert_array_equal(masked[~hole], images[~hole])
    assert (masked[hole] == 0.5).all()
    pasted = paste(other, images, mask)
    np.testing.assert_array_equal(pasted[hole], other[hole])
    np.testing.assert_array_equal(pasted[~hole], images[~hole])


def test_paste_sends_gradient_to_the_hole_only():
    mask = random_square_masks(2, size=6, hole=3, rng=0).astype(np.float64)
    prediction = mg.tensor(_images((2, 1, 6, 6)), requires_grad=True)
    weights = _images((2, 1, 6, 6), seed=2)
    (paste(prediction, mg.tensor(_images((2, 1, 6, 6), seed=1)), mask) * weights).sum().backward()
    np.testing.assert_allclose(prediction.grad.numpy(), mask * weights, atol=1e-12)


# --------------------------------------------------------------------- losses
@pytest.mark.parametrize("per_image", [False, True])
def test_masked_losses_match_numpy(per_image):
    p, t = _images((4, 2, 7, 7)), _images((4, 2, 7, 7), seed=1)
    mask = random_square_masks(4, 7, 3, rng=5) if per_image else square_mask(7, 3)
    full = np.broadcast_to(mask, p.shape)
    expected_l2 = ((p - t) ** 2 * full).sum() / full.sum()
    expected_l1 = (np.abs(p - t) * full).sum() / full.sum()
    assert masked_mse_loss(mg.tensor(p), mg.tensor(t), mask).item() == pytest.approx(expected_l2, rel=1e-12)
    assert masked_l1_loss(mg.tensor(p), mg.tensor(t), mg.tensor(mask)).item() == pytest.approx(expected_l1, rel=1e-12)
    # the hole only: changing the context of the prediction changes nothing
    q = p + 5 * (1 - full)
    assert masked_mse_loss(mg.tensor(q), mg.tensor(t), mask).item() == pytest.approx(expected_l2, rel=1e-12)


def test_masked_mse_gradient_and_gradcheck():
    mask = square_mask(6, 2).astype(np.float64)
    p = mg.tensor(_images((2, 1, 6, 6)), requires_grad=True)
    t = mg.tensor(_images((2, 1, 6, 6), seed=1))
    masked_mse_loss(p, t, mask).backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 * mask * (p.numpy() - t.numpy()) / 8, atol=1e-12)   # 2 images x 4
    gradcheck(lambda a: masked_mse_loss(a, t, mask), [p])
    gradcheck(lambda a: masked_l1_loss(a, t, mask), [mg.tensor(_images((2, 1, 6, 6), seed=3), requires_grad=True)])


def test_the_minimiser_of_the_masked_mse_is_the_mean_of_the_fillings():
    """One context, five equally likely fillings: a constant prediction minimising the average masked L2 over them
    is their mean, and each filling itself scores exactly twice the mean's loss on average."""
    mask = square_mask(6, 4).astype(np.float64)
    fillings = _images((5, 1, 6, 6), seed=7)
    prediction = mg.tensor(np.zeros((1, 1, 6, 6)), requires_grad=True)
    for _ in range(200):   # gradient descent on the expected loss
        loss = sum(masked_mse_loss(prediction, mg.tensor(f[None]), mask) for f in fillings) / len(fillings)
        prediction.grad = None
        loss.backward()
        prediction.data -= 2.0 * prediction.grad.data
    mean = fillings.mean(axis=0, keepdims=True)
    np.testing.assert_allclose(prediction.numpy() * mask, mean * mask, atol=1e-8)

    def expected_loss(guess):
        return np.mean([masked_mse_loss(mg.tensor(guess), mg.tensor(f[None]), mask).item() for f in fillings])
    sampler = np.mean([expected_loss(f[None]) for f in fillings])
    assert sampler == pytest.approx(2 * expected_loss(mean), rel=1e-10)


def test_masked_losses_reject_bad_input():
    p, t = mg.tensor(_images((2, 1, 4, 4))), mg.tensor(_images((2, 1, 4, 4), seed=1))
    with pytest.raises(ValueError, match="no hole"):
        masked_mse_loss(p, t, np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="differ"):
        masked_l1_loss(p, mg.tensor(_images((2, 1, 4, 3))), square_mask(4, 2))
    with pytest.raises(ValueError, match="dimensions"):
        masked_mse_loss(p, t, square_mask(4, 2)[0])
    with pytest.raises(TypeError, match="Tensors"):
        masked_mse_loss(p.numpy(), t.numpy(), square_mask(4, 2))


# --------------------------------------------------------------------- scores
def test_hole_psnr_against_numpy_and_scale():
    truth, fill, mask = _images((3, 1, 8, 8)), _images((3, 1, 8, 8), seed=1), square_mask(8, 4)
    hole = mask[0, 0].astype(bool)
    mse = ((fill[:, 0][:, hole] - truth[:, 0][:, hole]) ** 2).mean(axis=1)
    np.testing.assert_allclose(hole_psnr(fill, truth, mask), 10 * np.log10(4 / mse))
    # the same number on the [0, 1] scale with peak 1; the context does not count; a perfect fill is capped
    np.testing.assert_allclose(hole_psnr((fill + 1) / 2, (truth + 1) / 2, mask, peak=1.0), hole_psnr(fill, truth, mask))
    np.testing.assert_allclose(hole_psnr(paste(fill, truth + 1, mask), truth, mask), hole_psnr(fill, truth, mask))
    assert hole_psnr(truth, truth, mask).tolist() == [100.0] * 3


def test_gradient_energy_against_loops():
    images, mask = _images((2, 1, 6, 7)), square_mask(7, 3)[..., :6, :]
    for n in range(2):
        total, count = 0.0, 0
        for r in range(6):
            for c in range(7):
                for dr, dc in ((0, 1), (1, 0)):
                    if r + dr < 6 and c + dc < 7 and mask[0, 0, r, c] and mask[0, 0, r + dr, c + dc]:
                        total += (images[n, 0, r + dr, c + dc] - images[n, 0, r, c]) ** 2
                        count += 1
        assert count == 12                                            # a 3x3 hole: 6 + 6 neighbour pairs
        assert gradient_energy(images, mask)[n] == pytest.approx(total / count, rel=1e-12)
    checkerboard = np.indices((4, 4)).sum(axis=0) % 2 * 2.0 - 1       # -1/+1: every difference is 2
    assert gradient_energy(checkerboard[None, None]).tolist() == [4.0]
    assert gradient_energy(np.full((1, 1, 5, 5), 0.3), square_mask(5, 2)).tolist() == [0.0]
    with pytest.raises(ValueError, match="pair"):
        gradient_energy(images, square_mask(7, 1)[..., :6, :])


def test_nearest_context_indices_brute_force_and_blind_to_the_hole():
    mask = square_mask(8, 4)
    bank, queries = _images((40, 1, 8, 8), seed=1), _images((7, 1, 8, 8), seed=2)
    found = nearest_context_indices(queries, bank, mask, k=5, batch_size=3)
    context = ~mask[0, 0].astype(bool)
    for q, row in zip(queries, found):
        distances = ((bank[:, 0][:, context] - q[0][context]) ** 2).sum(axis=1)
        np.testing.assert_array_equal(row, np.argsort(distances)[:5])
    scribbled = queries + 10 * mask                                   # the hole's pixels do not matter
    np.testing.assert_array_equal(nearest_context_indices(scribbled, bank, mask, k=5), found)
    assert nearest_context_indices(bank[:4], bank, mask, k=1)[:, 0].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="k must be"):
        nearest_context_indices(queries, bank, mask, k=41)
    with pytest.raises(ValueError, match="one mask"):
        nearest_context_indices(queries, bank, random_square_masks(2, 8, 4), k=1)


# --------------------------------------------------------------------- the model
def test_context_encoder_shapes_range_and_checks():
    mg.manual_seed(0)
    G = ContextEncoder()
    assert G.num_parameters() == 418_945
    out = G(mg.tensor(_images((3, 1, 28, 28)).astype(np.float32)))
    assert out.shape == (3, 1, 28, 28) and np.abs(out.numpy()).max() <= 1
    with pytest.raises(ValueError, match="expected input"):
        G(mg.tensor(np.zeros((2, 1, 14, 14), np.float32)))


def test_every_hole_pixel_of_the_context_encoder_sees_the_whole_context():
    """The 7x7 code makes the receptive field the whole image: one output pixel in the hole has a gradient with
    respect to every input pixel, its corners included (a stack of 4x4 convolutions alone would see a patch)."""
    mg.manual_seed(0)
    G = ContextEncoder(width=4, bottleneck=8).double()
    x = mg.tensor(_images((2, 1, 28, 28)), requires_grad=True)
    G(x)[0, 0, 14, 14].backward()
    reach = np.abs(x.grad.numpy()[0, 0])
    assert (reach > 0).all()
    # the second image of the batch is reached only through batch norm's batch statistics, and in eval mode not at all
    G.eval()
    x.grad = None
    G(x)[0, 0, 14, 14].backward()
    assert (np.abs(x.grad.numpy()[0, 0]) > 0).all() and (x.grad.numpy()[1] == 0).all()
