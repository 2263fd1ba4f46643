"""Layers: forward against NumPy, gradients of their functional forms, train/eval, init, input errors."""
import math
import re

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn
from minigan.gradcheck import gradcheck


def _rng(seed=0):
    return np.random.default_rng(seed)


# --------------------------------------------------------------------- every layer = its functional form
def _seeded_dropout(x):
    mg.manual_seed(3)  # the same mask at every call, so that finite differences see one linear map
    return F.dropout(x, 0.4, training=True)


# name, layer, the layer's functional form f(x, *params), input shape. Gradients are checked on f in float64.
LAYERS = [
    ("linear", nn.Linear(4, 3), lambda x, w, b: F.linear(x, w, b), (2, 5, 4)),
    ("conv2d", nn.Conv2d(2, 3, 3, stride=2, padding=1),
     lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), (2, 2, 5, 5)),
    ("conv_transpose2d", nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
     lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1), (2, 2, 3, 3)),
    ("batch_norm1d", nn.BatchNorm1d(3), lambda x, w, b: F.batch_norm(x, None, None, w, b), (5, 3)),
    ("batch_norm2d", nn.BatchNorm2d(2), lambda x, w, b: F.batch_norm(x, None, None, w, b), (3, 2, 2, 2)),
    ("layer_norm", nn.LayerNorm((2, 3)), lambda x, w, b: F.layer_norm(x, (2, 3), w, b), (4, 2, 3)),
    ("leaky_relu", nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), (3, 4)),
    ("dropout", nn.Dropout(0.4), _seeded_dropout, (3, 4)),
    ("flatten", nn.Flatten(), lambda x: x.reshape(2, 12), (2, 3, 2, 2)),
    ("unflatten", nn.Unflatten(1, (2, 3)), lambda x: x.reshape(4, 2, 3), (4, 6)),
]


@pytest.mark.parametrize("name, layer, functional, shape", LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_computes_its_functional_form(name, layer, functional, shape):
    x = mg.tensor(_rng().standard_normal(shape).astype(np.float32))
    if name == "dropout":
        mg.manual_seed(3)
    out = layer(x)
    expected = functional(x, *layer.parameters())
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("name, layer, functional, shape", LAYERS, ids=[case[0] for case in LAYERS])
def test_gradients_of_functional_forms(name, layer, functional, shape):
    rng = _rng(1)
    inputs = [rng.standard_normal(shape)] + [p.numpy() + 0.1 * rng.standard_normal(p.shape) for p in layer.parameters()]
    if name == "leaky_relu":
        inputs[0] = np.where(np.abs(inputs[0]) < 0.1, 0.5, inputs[0])  # stay away from the kink
    assert gradcheck(functional, inputs)


def test_embedding_and_eval_batch_norm_gradients():
    indices = mg.tensor(np.array([[0, 2], [2, 2]]))
    assert gradcheck(lambda w: F.embedding(indices, w), [_rng().standard_normal((3, 4))])
    running_mean, running_var = mg.tensor([0.5, -1.0]), mg.tensor([2.0, 0.5])
    assert gradcheck(lambda x, w, b: F.batch_norm(x, running_mean, running_var, w, b, training=False),
                     [_rng().standard_normal((3, 2, 2, 2)), np.array([1.5, 0.5]), np.array([0.1, -0.2])])


# --------------------------------------------------------------------- forward values against NumPy
def test_linear_matches_numpy():
    layer = nn.Linear(4, 3)
    x = _rng().standard_normal((5, 4)).astype(np.float32)
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), expected, rtol=1e-6)
    assert layer.weight.shape == (3, 4) and nn.Linear(4, 3, bias=False).bias is None


def test_layer_norm_matches_numpy():
    x = _rng().standard_normal((4, 2, 3))
    w, b = _rng(1).standard_normal((2, 3)), _rng(2).standard_normal((2, 3))
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * w + b
    np.testing.assert_allclose(F.layer_norm(mg.tensor(x), (2, 3), mg.tensor(w), mg.tensor(b)).numpy(), expected,
                               rtol=1e-10)


def test_embedding_looks_up_rows_and_adds_gradients_of_repeats():
    layer = nn.Embedding(5, 3)
    labels = mg.tensor(np.array([4, 0, 4]))
    out = layer(labels)
    np.testing.assert_array_equal(out.numpy(), layer.weight.numpy()[[4, 0, 4]])
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy()[:, 0], [1, 0, 0, 0, 2])


def test_activation_modules():
    x = np.array([-2.0, -0.5, 0.5, 2.0], dtype=np.float32)
    t = mg.tensor(x)
    np.testing.assert_allclose(nn.ReLU()(t).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(nn.LeakyReLU()(t).numpy(), np.where(x > 0, x, 0.01 * x))
    np.testing.assert_allclose(nn.Tanh()(t).numpy(), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(t).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-6)
    assert nn.Identity()(t) is t


def test_dcgan_shapes():
    """28 -> 14 -> 7 down with stride-2 convs, and back up with transposed convs."""
    x = mg.randn(2, 1, 28, 28)
    down = nn.Sequential(nn.Conv2d(1, 4, 4, 2, 1), nn.Conv2d(4, 8, 4, 2, 1))
    up = nn.Sequential(nn.ConvTranspose2d(8, 4, 4, 2, 1), nn.ConvTranspose2d(4, 1, 4, 2, 1))
    assert down(x).shape == (2, 8, 7, 7) and up(down(x)).shape == (2, 1, 28, 28)
    assert up[0].weight.shape == (8, 4, 4, 4)  # (in, out, kh, kw), as in PyTorch


# --------------------------------------------------------------------- train / eval
def test_dropout_train_and_eval():
    layer = nn.Dropout(0.25)
    x = mg.ones(200, 100)
    mg.manual_seed(0)
    y = layer(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01  # 20,000 draws: the standard error is 0.003
    mg.manual_seed(0)
    np.testing.assert_array_equal(layer(x).numpy(), y)  # reproducible
    layer.eval()
    assert layer(x) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_batch_norm_running_statistics_and_eval():
    layer = nn.BatchNorm2d(2, momentum=0.3)
    x = _rng().standard_normal((4, 2, 3, 3)).astype(np.float32) * 2 + 1
    layer(mg.tensor(x))
    layer(mg.tensor(x))
    mean, unbiased_var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3), ddof=1)
    # two updates from (0, 1): r <- 0.7 r + 0.3 v, twice
    np.testing.assert_allclose(layer.running_mean.numpy(), (1 - 0.7 ** 2) * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.49 + (1 - 0.49) * unbiased_var, rtol=1e-5)
    assert layer.num_batches_tracked.item() == 2

    layer.eval()
    frozen = layer.running_mean.numpy().copy()
    y = layer(mg.tensor(x)).numpy()
    per_channel = (slice(None), None, None)
    expected = (x - layer.running_mean.numpy()[per_channel]) / np.sqrt(layer.running_var.numpy()[per_channel] + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer.running_mean.numpy(), frozen)  # eval does not update
    assert layer.num_batches_tracked.item() == 2


def test_batch_norm_cumulative_average_and_no_tracking():
    layer = nn.BatchNorm1d(3, momentum=None)
    batches = [_rng(i).standard_normal((6, 3)).astype(np.float32) for i in range(3)]
    for batch in batches:
        layer(mg.tensor(batch))
    np.testing.assert_allclose(layer.running_mean.numpy(), np.mean([b.mean(axis=0) for b in batches], axis=0),
                               rtol=1e-5, atol=1e-6)

    untracked = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    assert list(untracked.state_dict()) == []
    y = untracked(mg.tensor(batches[0])).numpy()  # batch statistics even in eval mode
    np.testing.assert_allclose(y, (batches[0] - batches[0].mean(0)) / np.sqrt(batches[0].var(0) + 1e-5),
                               rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------- init
def test_default_init_bounds_and_spread():
    mg.manual_seed(0)
    layer = nn.Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    for p in (layer.weight.numpy(), layer.bias.numpy()):
        assert np.abs(p).max() <= bound
    assert abs(layer.weight.numpy().std() - bound / math.sqrt(3)) < 0.03 * bound
    transposed = nn.ConvTranspose2d(16, 8, 4)  # PyTorch's fan_in of a (in, out, k, k) weight is out * k * k
    assert np.abs(transposed.weight.numpy()).max() <= 1 / math.sqrt(8 * 16)
    assert np.abs(transposed.weight.numpy()).max() > 0.95 / math.sqrt(8 * 16)


def test_init_functions():
    w = mg.zeros(200, 100, 3, 3)
    assert nn.init.calculate_fan_in_and_fan_out(w) == (900, 1800)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    mg.manual_seed(0)
    assert nn.init.kaiming_normal_(w, nonlinearity="relu") is w
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 900), rel=0.01)
    nn.init.kaiming_uniform_(w, a=0.2, mode="fan_out")
    assert np.abs(w.numpy()).max() == pytest.approx(math.sqrt(3 * 2 / 1.04 / 1800), rel=0.01)
    nn.init.xavier_uniform_(w, gain=2.0)
    assert np.abs(w.numpy()).max() == pytest.approx(2 * math.sqrt(6 / 2700), rel=0.01)
    nn.init.xavier_normal_(w)
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 2700), rel=0.01)
    nn.init.normal_(w, 1.0, 0.5)
    assert w.numpy().mean() == pytest.approx(1.0, abs=0.01) and w.numpy().std() == pytest.approx(0.5, rel=0.01)
    nn.init.uniform_(w, -3.0, -2.0)
    assert -3 <= w.numpy().min() and w.numpy().max() < -2
    nn.init.constant_(w, 0.25)
    assert np.all(w.numpy() == 0.25)
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")


def test_init_is_reproducible_with_manual_seed():
    mg.manual_seed(42)
    a = nn.Linear(5, 5).state_dict()
    mg.manual_seed(42)
    b = nn.Linear(5, 5).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_dcgan_init():
    mg.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(64, 64, 4), nn.BatchNorm2d(64), nn.ReLU(), nn.Linear(100, 200))
    model.apply(nn.init.dcgan_init)
    for layer in (model[0], model[3]):
        assert layer.weight.numpy().mean() == pytest.approx(0.0, abs=0.002)
        assert layer.weight.numpy().std() == pytest.approx(0.02, rel=0.02)
        assert np.all(layer.bias.numpy() == 0)
    assert model[1].weight.numpy().mean() == pytest.approx(1.0, abs=0.01)
    assert 0.01 < model[1].weight.numpy().std() < 0.03 and np.all(model[1].bias.numpy() == 0)


# --------------------------------------------------------------------- input errors name the layer
ERRORS = [
    (nn.Conv2d(1, 64, 4), (8, 3, 28, 28),
     "Conv2d(1, 64, kernel_size=(4, 4)): expected input (N, 1, H, W), got shape (8, 3, 28, 28)"),
    (nn.ConvTranspose2d(100, 64, 4, 1, 0, bias=False), (8, 100),
     "ConvTranspose2d(100, 64, kernel_size=(4, 4), bias=False): expected input (N, 100, H, W), got shape (8, 100)"),
    (nn.Linear(784, 10), (8, 1, 28, 28),
     "Linear(in_features=784, out_features=10, bias=True): expected input (*, 784), got shape (8, 1, 28, 28)"),
    (nn.BatchNorm1d(16), (8, 16, 4, 4),
     "BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): "
     "expected input (N, 16), got shape (8, 16, 4, 4)"),
    (nn.BatchNorm2d(16), (8, 32, 4, 4),
     "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): "
     "expected input (N, 16, H, W), got shape (8, 32, 4, 4)"),
    (nn.LayerNorm(10), (8, 12),
     "LayerNorm((10,), eps=1e-05, elementwise_affine=True): expected input (*, 10), got shape (8, 12)"),
    (nn.Unflatten(1, (1, 28, 28)), (8, 780),
     "Unflatten(dim=1, unflattened_size=(1, 28, 28)): "
     "expected an input whose axis 1 has 784 entries, got shape (8, 780)"),
    (nn.Flatten(2), (8, 5), "Flatten(start_dim=2, end_dim=-1): cannot flatten an input of shape (8, 5)"),
    (nn.InstanceNorm2d(3), (2, 4, 5, 5),
     "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False): "
     "expected input (N, 3, H, W), got shape (2, 4, 5, 5)"),
    (nn.GroupNorm(2, 4), (2, 6, 5, 5),
     "GroupNorm(2, 4, eps=1e-05, affine=True): expected input (N, 4, H, W), got shape (2, 6, 5, 5)"),
    (nn.LayerNorm((3, 4, 4)), (2, 3, 5, 5),
     "LayerNorm((3, 4, 4), eps=1e-05, elementwise_affine=True): expected input (*, 3, 4, 4), got shape (2, 3, 5, 5)"),
]


@pytest.mark.parametrize("layer, shape, message", ERRORS, ids=[type(e[0]).__name__ for e in ERRORS])
def test_wrong_input_shapes_are_named_by_the_layer(layer, shape, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        layer(mg.zeros(*shape))


def test_wrong_input_types():
    with pytest.raises(TypeError, match=r"Linear\(in_features=2.*expected a Tensor, got ndarray"):
        nn.Linear(2, 2)(np.zeros((1, 2)))
    with pytest.raises(TypeError, match=r"Embedding\(10, 3\): expected a Tensor of integer indices, got float32"):
        nn.Embedding(10, 3)(mg.zeros(4))
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 10\), got values from 0 to 10"):
        nn.Embedding(10, 3)(mg.tensor(np.array([0, 10])))
