"""Every autograd operation: forward against NumPy, gradient and double gradient against finite differences."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigan as mg
from minigan.gradcheck import gradcheck, gradgradcheck


def _positive(shape, rng):
    return rng.uniform(0.5, 2.0, shape)


def _normal(shape, rng):
    return rng.standard_normal(shape)


def _away_from_zero(shape, rng):
    """Values whose sign is clear, so that |x|, relu, max and clip are differentiable at every entry."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def _distinct(shape, rng):
    """A shuffled grid of well-separated values with a random offset: no ties within or across inputs."""
    grid = rng.permutation(np.arange(np.prod(shape), dtype=float)).reshape(shape) * 0.3 - 1.0
    return grid + rng.uniform(0.02, 0.28)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name, minigan function, NumPy reference, input shapes, input sampler
OPS = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)], _normal),
    ("add-scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [(3,)], _normal),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [(2, 1, 3), (4, 1)], _normal),
    ("rsub-scalar", lambda a: 1.0 - a, lambda a: 1.0 - a, [(3,)], _normal),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [(3, 4), (3, 1)], _normal),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (4,)], _positive),
    ("rdiv-scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [(5,)], _positive),
    ("neg", lambda a: -a, lambda a: -a, [(2, 3)], _normal),
    ("pow-scalar", lambda a: a ** 3, lambda a: a ** 3, [(2, 3)], _normal),
    ("pow-tensor", lambda a, b: a ** b, lambda a, b: a ** b, [(2, 3), (3,)], _positive),
    ("exp", mg.exp, np.exp, [(2, 3)], _normal),
    ("log", mg.log, np.log, [(2, 3)], _positive),
    ("sqrt", mg.sqrt, np.sqrt, [(2, 3)], _positive),
    ("abs", mg.abs, np.abs, [(2, 3)], _away_from_zero),
    ("maximum", mg.maximum, np.maximum, [(3, 4), (4,)], _distinct),
    ("minimum", mg.minimum, np.minimum, [(3, 4), (3, 1)], _distinct),
    ("where", lambda a, b: mg.where(a.data > 0, a, b), lambda a, b: np.where(a > 0, a, b), [(3, 4), (4,)], _away_from_zero),
    ("clip", lambda a: mg.clip(a, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), [(4, 5)], _away_from_zero),
    ("matmul-2d", mg.matmul, np.matmul, [(3, 4), (4, 2)], _normal),
    ("matmul-batched", mg.matmul, np.matmul, [(2, 3, 4), (4, 5)], _normal),
    ("matmul-broadcast-batch", mg.matmul, np.matmul, [(2, 1, 3, 4), (3, 4, 2)], _normal),
    ("matmul-vector", mg.matmul, np.matmul, [(4,), (2, 4, 3)], _normal),
    ("matmul-matrix-vector", mg.matmul, np.matmul, [(3, 4), (4,)], _normal),
    ("matmul-outer", mg.matmul, np.matmul, [(2, 3, 1), (1, 4)], _normal),  # inner dimension 1: MatMul's product
    ("sum-all", lambda a: a.sum(), lambda a: a.sum(), [(3, 4)], _normal),
    ("sum-axis", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), [(2, 3, 4)], _normal),
    ("sum-axes-keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), lambda a: a.sum(axis=(0, 2), keepdims=True), [(2, 3, 4)], _normal),
    ("mean", lambda a: a.mean(axis=-1), lambda a: a.mean(axis=-1), [(3, 4)], _normal),
    ("max-all", lambda a: a.max(), lambda a: a.max(), [(3, 4)], _distinct),
    ("max-axis", lambda a: a.max(axis=0, keepdims=True), lambda a: a.max(axis=0, keepdims=True), [(3, 4)], _distinct),
    ("min-axis", lambda a: a.min(axis=1), lambda a: a.min(axis=1), [(3, 4)], _distinct),
    # var/std divide by n - 1 by default, as PyTorch's (NumPy's default divides by n).
    ("var", lambda a: a.var(axis=0), lambda a: a.var(axis=0, ddof=1), [(5, 3)], _normal),
    ("var-biased", lambda a: a.var(correction=0), lambda a: a.var(), [(5, 3)], _normal),
    ("var-unbiased-false", lambda a: a.var(dim=1, unbiased=False), lambda a: a.var(axis=1), [(5, 3)], _normal),
    ("std", lambda a: a.std(axis=1), lambda a: a.std(axis=1, ddof=1), [(3, 5)], _normal),
    ("std-biased", lambda a: a.std(axis=1, correction=0), lambda a: a.std(axis=1), [(3, 5)], _normal),
    ("norm", lambda a: a.norm(axis=1), lambda a: np.linalg.norm(a, axis=1), [(3, 5)], _normal),
    ("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [(2, 3, 4)], _normal),
    ("transpose", lambda a: a.T, lambda a: a.T, [(3, 4)], _normal),
    ("permute", lambda a: a.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), [(2, 3, 4)], _normal),
    ("transpose-two-dims", lambda a: a.transpose(0, 2), lambda a: np.swapaxes(a, 0, 2), [(2, 3, 4)], _normal),
    ("flatten-middle", lambda a: a.flatten(1, 2), lambda a: a.reshape(2, 12, 5), [(2, 3, 4, 5)], _normal),
    ("squeeze-dim", lambda a: a.squeeze(dim=1), lambda a: a.squeeze(axis=1), [(3, 1, 4)], _normal),
    ("unsqueeze-dim", lambda a: a.unsqueeze(dim=-1), lambda a: a[..., None], [(3, 4)], _normal),
    ("expand", lambda a: a.expand(2, -1, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)], _normal),
    ("chunk", lambda a: a.chunk(3, dim=1)[1], lambda a: a[:, 2:4], [(2, 5)], _normal),
    ("clone", lambda a: a.clone(), lambda a: a.copy(), [(2, 3)], _normal),
    ("cat-dim", lambda a, b: mg.cat([a, b], dim=0), lambda a, b: np.concatenate([a, b]), [(2, 3), (1, 3)], _normal),
    ("sum-dim-keepdim", lambda a: a.sum(dim=1, keepdim=True), lambda a: a.sum(axis=1, keepdims=True), [(2, 3)], _normal),
    ("index-basic", lambda a: a[1:, ::2, None], lambda a: a[1:, ::2, None], [(3, 5)], _normal),
    ("index-int-array-repeats", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], [(3, 2)], _normal),
    ("index-int-array-rows", lambda a: a[np.array([2, -1, 2, 0])], lambda a: a[np.array([2, -1, 2, 0])],
     [(3, 16, 16)], _normal),  # rows of 256 elements: the gradient adds row by row (shape.add_at)
    ("index-mixed", lambda a: a[np.array([1, 1, 0]), 1:], lambda a: a[np.array([1, 1, 0]), 1:], [(2, 3)], _normal),
    ("index-boolean", lambda a: a[a.data > 0], lambda a: a[a > 0], [(3, 4)], _away_from_zero),
    ("concatenate", lambda a, b: mg.concatenate([a, b, a], axis=1), lambda a, b: np.concatenate([a, b, a], axis=1), [(2, 3), (2, 1)], _normal),
    ("stack", lambda a, b: mg.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1), [(2, 3), (2, 3)], _normal),
    ("pad", lambda a: mg.pad(a, ((1, 0), (2, 1))), lambda a: np.pad(a, ((1, 0), (2, 1))), [(2, 3)], _normal),
    ("broadcast_to", lambda a: mg.broadcast_to(a, (2, 3, 4)), lambda a: np.broadcast_to(a, (2, 3, 4)), [(3, 1)], _normal),
    ("relu", mg.relu, lambda a: np.maximum(a, 0), [(3, 4)], _away_from_zero),
    ("leaky_relu", lambda a: mg.leaky_relu(a, 0.2), lambda a: np.where(a > 0, a, 0.2 * a), [(3, 4)], _away_from_zero),
    ("sigmoid", mg.sigmoid, lambda a: 1 / (1 + np.exp(-a)), [(3, 4)], _normal),
    ("tanh", mg.tanh, np.tanh, [(3, 4)], _normal),
    ("softplus", mg.softplus, lambda a: np.log1p(np.exp(a)), [(3, 4)], _normal),
    ("log_sigmoid", mg.log_sigmoid, lambda a: -np.log1p(np.exp(-a)), [(3, 4)], _normal),
    ("log_softmax", lambda a: mg.log_softmax(a, axis=1), lambda a: np.log(_softmax(a, 1)), [(3, 4)], _normal),
    ("softmax", lambda a: mg.softmax(a, axis=0), lambda a: _softmax(a, 0), [(3, 4)], _normal),
]


def _inputs(shapes, sampler, seed=0):
    rng = np.random.default_rng(seed)
    return [sampler(shape, rng) for shape in shapes]


@pytest.mark.parametrize("name, fn, reference, shapes, sampler", OPS, ids=[op[0] for op in OPS])
def test_forward_matches_numpy(name, fn, reference, shapes, sampler):
    arrays = _inputs(shapes, sampler)
    out = fn(*[mg.tensor(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), reference(*arrays), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, fn, reference, shapes, sampler", OPS, ids=[op[0] for op in OPS])
def test_gradient(name, fn, reference, shapes, sampler):
    assert gradcheck(fn, _inputs(shapes, sampler))


@pytest.mark.parametrize("name, fn, reference, shapes, sampler", OPS, ids=[op[0] for op in OPS])
def test_double_gradient(name, fn, reference, shapes, sampler):
    assert gradgradcheck(fn, _inputs(shapes, sampler))


def test_float32_stays_float32():
    x = mg.randn(3, 4, requires_grad=True)
    y = (mg.sigmoid(x) * 2.0 + 1 - x.exp() / 3).sum()
    y.backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32


def test_astype_gradient_comes_back_in_the_input_dtype():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.double() ** 2
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_stable_activations_at_extreme_logits():
    x = mg.tensor([-100.0, 0.0, 100.0], requires_grad=True)
    values = [mg.sigmoid(x), mg.softplus(x), mg.log_sigmoid(x), mg.log_softmax(x)]
    for v in values:
        assert np.isfinite(v.numpy()).all()
    np.testing.assert_allclose(mg.log_sigmoid(x).numpy(), [-100.0, -np.log(2), 0.0], atol=1e-6)
    mg.log_sigmoid(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.5, 0.0], atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_broadcasting_gradients(data):
    """Random broadcast-compatible shapes: the gradient of each operand is summed back to its shape."""
    shape_a, shape_b = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3)).input_shapes
    op = data.draw(st.sampled_from([mg.add, mg.sub, mg.mul, mg.div, mg.maximum]))
    rng = np.random.default_rng(0)
    a = _distinct(shape_a, rng) if op is mg.maximum else rng.uniform(0.5, 2.0, shape_a)
    b = _distinct(shape_b, rng) + 0.15 if op is mg.maximum else rng.uniform(0.5, 2.0, shape_b)
    assert gradcheck(op, [a, b])


def test_large_input_uses_random_directions():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    assert gradcheck(lambda a, b: mg.tanh(a @ b), [a, b], max_elementwise=100)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_add_at_row_by_row_gives_numpys_add_at_bits(data):
    """shape.add_at adds whole rows in the index's order: the same bits as numpy.add.at, repeats,
    negative indices, -0.0 and both dtypes included, on both sides of its row-size threshold."""
    from minigan.autograd.shape import ROW_BY_ROW_FROM, add_at

    rows = data.draw(st.integers(1, 6))
    row_shape = data.draw(st.sampled_from([(ROW_BY_ROW_FROM,), (2, ROW_BY_ROW_FROM // 2 + 1), (3,), (1, 1)]))
    index = np.array(data.draw(st.lists(st.integers(-rows, rows - 1), min_size=0, max_size=40)), dtype=np.int64)
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    values = (rng.standard_normal((len(index),) + row_shape) * 10.0 ** rng.uniform(-4, 4, (len(index),) + row_shape))
    values = values.astype(dtype)
    values[rng.random(values.shape) < 0.05] = -0.0
    expected, got = np.zeros((rows,) + row_shape, dtype), np.zeros((rows,) + row_shape, dtype)
    np.add.at(expected, index, values)
    add_at(got, index, values)
    assert got.tobytes() == expected.tobytes()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_matmul_with_inner_dimension_one_gives_numpys_bits(data):
    """MatMul computes an outer product (inner dimension 1) as a broadcast product: the same bits as
    numpy.matmul, -0.0, inf and nan included, for both dtypes and broadcast batch axes."""
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    batch_a, batch_b = data.draw(st.sampled_from([((), ()), ((2,), ()), ((3, 1), (2,)), ((), (2,))]))
    rows, columns = data.draw(st.integers(1, 70)), data.draw(st.integers(1, 70))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    a = rng.standard_normal(batch_a + (rows, 1)).astype(dtype)
    b = rng.standard_normal(batch_b + (1, columns)).astype(dtype)
    for array in (a, b):
        special = rng.random(array.shape)
        array[special < 0.1] = -0.0
        array[(0.1 <= special) & (special < 0.13)] = np.inf
        array[(0.13 <= special) & (special < 0.15)] = np.nan
    with np.errstate(invalid="ignore"):
        expected = np.matmul(a, b)
        got = (mg.tensor(a) @ mg.tensor(b)).numpy()
    assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
