"""conv2d and conv_transpose2d: values against direct NumPy loops, adjointness, first and second derivatives."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigan as mg
from minigan.functional import conv2d, conv_transpose2d
from minigan.gradcheck import gradcheck, gradgradcheck


def _taps(kernel, stride, dilation, out):
    """For kernel tap i: the slice of the (padded) input that tap reads for outputs 0..out-1."""
    return [slice(i * dilation, i * dilation + stride * (out - 1) + 1, stride) for i in range(kernel)]


def conv2d_reference(x, w, b, stride, padding, dilation):
    """Direct definition: y[n,o,p,q] = b[o] + sum_{c,i,j} w[o,c,i,j] * xpad[n, c, p*s + i*d, q*s + j*d]."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    o, _, kh, kw = w.shape
    oh = (xpad.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xpad.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], o, oh, ow))
    for i, rows in enumerate(_taps(kh, sh, dh, oh)):
        for j, cols in enumerate(_taps(kw, sw, dw, ow)):
            y += np.einsum("nchw,oc->nohw", xpad[:, :, rows, cols], w[:, :, i, j])
    return y if b is None else y + b[None, :, None, None]


def conv_transpose2d_reference(x, w, b, stride, padding, output_padding, dilation):
    """Direct definition: every input pixel scatters w[c, :, i, j] * x into the output, then the padding is cut."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    n, _, h, width = x.shape
    _, o, kh, kw = w.shape
    full = np.zeros((n, o, (h - 1) * sh + dh * (kh - 1) + 1 + oph, (width - 1) * sw + dw * (kw - 1) + 1 + opw))
    for i, rows in enumerate(_taps(kh, sh, dh, h)):
        for j, cols in enumerate(_taps(kw, sw, dw, width)):
            full[:, :, rows, cols] += np.einsum("nchw,co->nohw", x, w[:, :, i, j])
    y = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return y if b is None else y + b[None, :, None, None]


@st.composite
def geometries(draw):
    """A random valid convolution: batch 1-3, channels 1-4, kernel 1-5, stride 1-3, padding 0-2, dilation 1-2."""
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 9)) for k, p, d in zip(kernel, padding, dilation))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4))) + size
    out_channels = draw(st.integers(1, 4))
    return shape, out_channels, kernel, stride, padding, dilation


@settings(max_examples=60, deadline=None)
@given(geometries(), st.sampled_from([np.float32, np.float64]), st.booleans())
def test_conv2d_matches_the_direct_definition(geometry, dtype, with_bias):
    shape, out_channels, kernel, stride, padding, dilation = geometry
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((out_channels, shape[1]) + kernel).astype(dtype)
    b = rng.standard_normal(out_channels).astype(dtype) if with_bias else None
    y = conv2d(mg.tensor(x), mg.tensor(w), None if b is None else mg.tensor(b), stride, padding, dilation)
    assert y.dtype == dtype
    tolerance = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), conv2d_reference(x, w, b, stride, padding, dilation), rtol=tolerance, atol=tolerance)


@settings(max_examples=60, deadline=None)
@given(geometries(), st.sampled_from([np.float32, np.float64]), st.integers(0, 2 ** 32 - 1))
def test_conv2d_bias_in_the_layout_pass_gives_the_broadcast_adds_bits(geometry, dtype, seed):
    """Conv2d adds its bias while it reorders the GEMM rows to NCHW (kernels.conv_rows_to_nchw).
    Output and every gradient are bit for bit those of conv2d without bias followed by a broadcast add."""
    shape, out_channels, kernel, stride, padding, dilation = geometry
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape).astype(dtype), rng.standard_normal((out_channels, shape[1]) + kernel).astype(dtype),
              rng.standard_normal(out_channels).astype(dtype)]
    out_shape = conv2d(mg.tensor(arrays[0]), mg.tensor(arrays[1]), None, stride, padding, dilation).shape
    upstream = mg.tensor(rng.standard_normal(out_shape).astype(dtype))

    def outputs_and_gradients(fused):
        x, w, b = (mg.tensor(a, requires_grad=True) for a in arrays)
        if fused:
            y = conv2d(x, w, b, stride, padding, dilation)
        else:
            y = conv2d(x, w, None, stride, padding, dilation) + b.reshape(1, -1, 1, 1)
        (y * upstream).sum().backward()
        return [t.numpy().tobytes() for t in (y, x.grad, w.grad, b.grad)]

    assert outputs_and_gradients(fused=True) == outputs_and_gradients(fused=False)


@settings(max_examples=60, deadline=None)
@given(geometries(), st.data())
def test_conv_transpose2d_matches_the_direct_definition_and_is_the_adjoint(geometry, data):
    shape, out_channels, kernel, stride, padding, dilation = geometry
    output_padding = tuple(data.draw(st.integers(0, s - 1)) for s in stride)
    rng = np.random.default_rng(1)
    w = rng.standard_normal((shape[1], out_channels) + kernel)
    x = rng.standard_normal(shape)
    b = rng.standard_normal(out_channels)
    expected = conv_transpose2d_reference(x, w, b, stride, padding, output_padding, dilation)
    if min(expected.shape[2:]) < 1:
        return
    y = conv_transpose2d(mg.tensor(x), mg.tensor(w), mg.tensor(b), stride, padding, output_padding, dilation)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    # <conv_transpose(x), z> == <x, conv(z)> for the same weight: transposed convolution is the adjoint.
    z = rng.standard_normal(y.shape)
    lhs = ((y.numpy() - b[None, :, None, None]) * z).sum()
    conv_z = conv2d(mg.tensor(z), mg.tensor(w), None, stride, padding, dilation).numpy()
    assert conv_z.shape == x.shape
    np.testing.assert_allclose(lhs, (x * conv_z).sum(), rtol=1e-10)


# Fixed geometries for the (slower) finite-difference checks: strided, padded, dilated, non-square.
GRAD_CASES = [
    dict(shape=(2, 2, 5, 5), out=3, kernel=(3, 3), stride=1, padding=1, dilation=1),
    dict(shape=(1, 3, 7, 6), out=2, kernel=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    dict(shape=(3, 1, 6, 6), out=2, kernel=(4, 4), stride=2, padding=1, dilation=1),
]


def _conv_inputs(case, transposed, seed=0):
    rng = np.random.default_rng(seed)
    channels = case["shape"][1]
    w_shape = ((channels, case["out"]) if transposed else (case["out"], channels)) + case["kernel"]
    return [rng.standard_normal(case["shape"]), 0.5 * rng.standard_normal(w_shape), rng.standard_normal(case["out"])]


@pytest.mark.parametrize("case", GRAD_CASES)
def test_conv2d_gradients(case):
    def f(x, w, b):
        return conv2d(x, w, b, case["stride"], case["padding"], case["dilation"])

    inputs = _conv_inputs(case, transposed=False)
    assert gradcheck(f, inputs, max_elementwise=200)
    assert gradgradcheck(f, inputs, max_elementwise=60)


@pytest.mark.parametrize("case", GRAD_CASES)
def test_conv_transpose2d_gradients(case):
    def f(x, w, b):
        return conv_transpose2d(x, w, b, case["stride"], case["padding"], 0, case["dilation"])

    inputs = _conv_inputs(case, transposed=True)
    assert gradcheck(f, inputs, max_elementwise=200)
    assert gradgradcheck(f, inputs, max_elementwise=60)


def test_conv_transpose2d_gradients_with_output_padding():
    def f(x, w):
        return conv_transpose2d(x, w, None, stride=2, padding=1, output_padding=1)

    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal((2, 2, 3, 4)), rng.standard_normal((2, 3, 3, 3))]
    assert gradcheck(f, inputs)
    assert gradgradcheck(f, inputs, max_elementwise=60)


def test_input_gradient_penalty_through_two_conv_layers():
    """||d D(x) / dx||^2 differentiated w.r.t. the first layer's weight: the WGAN-GP path."""
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((2, 1, 6, 6)), requires_grad=True)
    w2 = mg.tensor(rng.standard_normal((2, 3, 3, 3)))

    def penalty(w1):
        h = mg.tanh(conv2d(x, w1, stride=2, padding=1))
        score = conv2d(h, w2).sum()
        (gx,) = mg.grad(score, x, create_graph=True)
        return (gx * gx).sum()

    assert gradcheck(penalty, [rng.standard_normal((3, 1, 3, 3))])


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(mg.zeros(2, 3, 8, 8), mg.zeros(4, 2, 3, 3)), r"conv2d: input has 3 channels \(shape \(2, 3, 8, 8\)\) but the weight expects 2 \(weight shape \(4, 2, 3, 3\)\)"),
    (lambda: conv2d(mg.zeros(3, 8, 8), mg.zeros(4, 3, 3, 3)), r"conv2d: expected a 4-D input \(N, C, H, W\), got shape \(3, 8, 8\)"),
    (lambda: conv2d(mg.zeros(1, 1, 2, 2), mg.zeros(1, 1, 5, 5), padding=1), r"conv2d: kernel \(5, 5\).*larger than the padded input: input shape \(1, 1, 2, 2\)"),
    (lambda: conv2d(mg.zeros(1, 1, 4, 4), mg.zeros(1, 1, 3, 3), stride=0), r"conv2d: stride and dilation must be positive"),
    (lambda: conv2d(mg.zeros(1, 1, 4, 4), mg.zeros(1, 1, 3, 3, dtype=np.float64)), r"conv2d: input dtype float32 differs from weight dtype float64"),
    (lambda: conv2d(mg.zeros(1, 1, 4, 4), mg.zeros(2, 1, 3, 3), mg.zeros(3)), r"conv2d: bias must have shape \(2,\), got \(3,\)"),
    (lambda: conv2d(mg.zeros(1, 1, 4, 4), mg.zeros(2, 1, 3, 3), mg.zeros(2, dtype=np.float64)),
     r"conv2d: bias dtype float64 differs from weight dtype float32"),
    (lambda: conv_transpose2d(mg.zeros(1, 1, 4, 4), mg.zeros(1, 2, 3, 3), mg.zeros(2, dtype=np.float64)),
     r"conv_transpose2d: bias dtype float64 differs from weight dtype float32"),
    (lambda: conv_transpose2d(mg.zeros(1, 2, 4, 4), mg.zeros(3, 1, 3, 3)), r"conv_transpose2d: input has 2 channels .* weight expects 3"),
    (lambda: conv_transpose2d(mg.zeros(1, 1, 4, 4), mg.zeros(1, 1, 3, 3), stride=2, output_padding=2), r"output_padding \(2, 2\) must be smaller than stride"),
])
def test_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
