"""2-D convolution and transposed convolution, differentiable to any order.

**Forward as one matrix product.** ``im2col`` copies every receptive field of the input into a
column, so a convolution becomes a single GEMM (the BLAS matrix product, as in Chainer and Caffe):

    cols = im2col(x)                       (C*kh*kw, N*OH*OW)
    y    = W.reshape(O, C*kh*kw) @ cols    (O, N*OH*OW)  -> (N, O, OH, OW)

**Three Functions close the loop.** Write conv2d as a bilinear map y = conv(x, W). Then

* dL/dx = conv_transpose2d(dL/dy, W)  -- the transposed convolution *is* the adjoint of conv2d;
* dL/dW = conv2d_weight(x, dL/dy)     -- correlate the input with the output gradient;

and the transposed convolution's derivatives are, symmetrically, a conv2d and a conv2d_weight.
``conv2d_weight`` is bilinear too, and its derivatives are again a conv2d (w.r.t. dL/dy) and a
conv_transpose2d (w.r.t. x). Since every backward is written with these three Functions, the
backward pass is differentiable as often as one likes -- which WGAN-GP and R1 need.

Shapes follow PyTorch: conv2d weight (O, C, kh, kw); conv_transpose2d weight (C_in, C_out, kh, kw).
"""
from __future__ import annotations

from .. import kernels
from ..autograd import Function, as_tensor, sum_to
from ..backend import array_module
from ..kernels.geometry import conv_output_size as _output_size


def _pair(value, name, function):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) for v in pair):
        raise ValueError(f"{function}: {name} must be an int or a pair of ints, got {value!r}")
    return pair


def _transposed_size(size, kernel, stride, padding, output_padding, dilation):
    """Length of one output axis of a transposed convolution (the input size of the matching conv)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1 + output_padding


class _ConvGeometry:
    """Kernel size, stride, padding and dilation, shared by the three convolution Functions.

    ``cols`` optionally hands over ``im2col`` of the Function's first input when the caller has
    it already: conv2d's backward reuses the columns of its forward pass for the weight gradient,
    and conv_transpose2d's backward needs the columns of its incoming gradient twice. im2col is
    pure data movement (a few ms at DCGAN sizes), so not repeating it is a measurable saving.
    """

    def __init__(self, kernel_size, stride, padding, dilation, cols=None):
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.cols = cols

    def im2col(self, x):
        """im2col of the first input: the columns handed over, or freshly computed (and kept)."""
        if self.cols is None:
            self.cols = kernels.im2col(array_module(x).ascontiguousarray(x), **self.geometry())
        return self.cols

    def geometry(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding, dilation=self.dilation)

    def conv_output_padding(self, small_shape, large_shape):
        """The output_padding that makes a transposed conv of ``small_shape`` exactly ``large_shape``.

        A strided conv maps several input sizes to the same output size (7 and 8 both give 4 with
        k=3, s=2, p=1), so going back needs to be told which one: that is output_padding.
        """
        return tuple(
            large - _transposed_size(small, k, s, p, 0, d)
            for small, large, k, s, p, d in zip(small_shape[2:], large_shape[2:], self.kernel_size,
                                                self.stride, self.padding, self.dilation)
        )


class Conv2d(_ConvGeometry, Function):
    """y = conv2d(x, W) (+ bias b[o] on every output channel o, when a third input is given).

    The GEMM gives one row per output channel, (O, N*OH*OW); the output is NCHW. With a bias,
    ``kernels.conv_rows_to_nchw`` reorders and adds in one pass, the same sums as a broadcast add
    after the copy (0.25 instead of 0.67 ms for D's first layer at batch 64). dL/db sums dL/dy over
    N, H and W, exactly as the broadcast add's gradient would.
    """

    saved_inputs = (0, 1)  # backward reads x and W, never the bias

    def forward(self, x, w, bias=None):
        out_channels = w.shape[0]
        n, _, h, width = x.shape
        oh, ow = (_output_size(s, k, st, p, d) for s, k, st, p, d in
                  zip((h, width), self.kernel_size, self.stride, self.padding, self.dilation))
        rows = (w.reshape(out_channels, -1) @ self.im2col(x)).reshape(out_channels, n, oh * ow)
        if bias is None:
            y = array_module(x).ascontiguousarray(rows.transpose(1, 0, 2))
        else:
            y = kernels.conv_rows_to_nchw(rows, bias)
        return y.reshape(n, out_channels, oh, ow)

    def backward(self, grad):
        x, w = self.inputs[:2]
        dx = dw = None
        if self.needs_input_grad[0]:
            output_padding = self.conv_output_padding(grad.shape, x.shape)
            dx = ConvTranspose2d(output_padding=output_padding, **self.geometry())(grad, w)
        if self.needs_input_grad[1]:
            dw = Conv2dWeight(cols=self.cols, **self.geometry())(x, grad)
        if len(self.inputs) == 2:
            return dx, dw
        db = sum_to(grad, (1, w.shape[0], 1, 1)).reshape(w.shape[0]) if self.needs_input_grad[2] else None
        return dx, dw, db


class ConvTranspose2d(_ConvGeometry, Function):
    """y = conv_transpose2d(x, W): scatter every input pixel through the kernel (col2im of W^T x)."""

    def __init__(self, kernel_size, stride, padding, dilation, output_padding):
        super().__init__(kernel_size, stride, padding, dilation)
        self.output_padding = output_padding

    def forward(self, x, w):
        in_channels, out_channels = w.shape[:2]
        n, _, h, width = x.shape
        oh, ow = (_transposed_size(s, k, st, p, op, d) for s, k, st, p, op, d in
                  zip((h, width), self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation))
        x_rows = x.transpose(1, 0, 2, 3).reshape(in_channels, -1)  # (C_in, N*H*W)
        cols = w.reshape(in_channels, -1).T @ x_rows  # (C_out*kh*kw, N*H*W)
        return kernels.col2im(cols, (n, out_channels, oh, ow), **self.geometry())

    def backward(self, grad):
        x, w = self.inputs
        grad_cols = kernels.im2col(grad.xp.ascontiguousarray(grad.data), **self.geometry())
        dx = Conv2d(cols=grad_cols, **self.geometry())(grad, w) if self.needs_input_grad[0] else None
        dw = Conv2dWeight(cols=grad_cols, **self.geometry())(grad, x) if self.needs_input_grad[1] else None
        return dx, dw


class Conv2dWeight(_ConvGeometry, Function):
    """dW = conv2d_weight(x, gy): the weight gradient of conv2d, as a differentiable Function.

    dW[o, c, i, j] = sum over n, oh, ow of gy[n, o, oh, ow] * x[n, c, oh*s - p + i*d, ow*s - p + j*d]
    which in im2col form is one GEMM: gy (O, N*OH*OW) @ cols(x)^T.
    """

    def forward(self, x, gy):
        out_channels, channels = gy.shape[1], x.shape[1]
        gy_rows = gy.transpose(1, 0, 2, 3).reshape(out_channels, -1)
        return (gy_rows @ self.im2col(x).T).reshape(out_channels, channels, *self.kernel_size)

    def backward(self, grad_w):
        x, gy = self.inputs
        dx = dgy = None
        if self.needs_input_grad[0]:
            output_padding = self.conv_output_padding(gy.shape, x.shape)
            dx = ConvTranspose2d(output_padding=output_padding, **self.geometry())(gy, grad_w)
        if self.needs_input_grad[1]:
            dgy = Conv2d(**self.geometry())(x, grad_w)
        return dx, dgy


def _check_inputs(function, x, w, bias, weight_in_axis):
    """Shapes, dtypes and devices of a convolution's operands, with errors naming both shapes."""
    if x.ndim != 4:
        raise ValueError(f"{function}: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"{function}: expected a 4-D weight, got shape {w.shape}")
    if x.shape[1] != w.shape[weight_in_axis]:
        raise ValueError(
            f"{function}: input has {x.shape[1]} channels (shape {x.shape}) but the weight expects "
            f"{w.shape[weight_in_axis]} (weight shape {w.shape})"
        )
    if x.dtype != w.dtype:
        raise TypeError(f"{function}: input dtype {x.dtype} differs from weight dtype {w.dtype}")
    if bias is not None:
        out_channels = w.shape[1 - weight_in_axis]
        if bias.shape != (out_channels,):
            raise ValueError(f"{function}: bias must have shape ({out_channels},), got {bias.shape}")
        if bias.dtype != w.dtype:
            raise TypeError(f"{function}: bias dtype {bias.dtype} differs from weight dtype {w.dtype}")


def _check_geometry(function, stride, dilation, padding):
    if min(stride) < 1 or min(dilation) < 1:
        raise ValueError(f"{function}: stride and dilation must be positive, got stride {stride}, dilation {dilation}")
    if min(padding) < 0:
        raise ValueError(f"{function}: padding must be non-negative, got {padding}")


def add_channel_bias(y, bias):
    """y + bias over axis 1 (channels): a broadcast add whose gradient sums over N, H, W."""
    return y + bias.reshape((1, -1) + (1,) * (y.ndim - 2))


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``: x (N, C, H, W), weight (O, C, kh, kw)."""
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    stride, padding, dilation = (_pair(v, n, "conv2d") for v, n in
                                 ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    _check_inputs("conv2d", x, weight, bias, weight_in_axis=1)
    _check_geometry("conv2d", stride, dilation, padding)
    kernel_size = weight.shape[2:]
    for axis, size, k, p, d in zip("HW", x.shape[2:], kernel_size, padding, dilation):
        if size + 2 * p < d * (k - 1) + 1:
            raise ValueError(
                f"conv2d: kernel {tuple(kernel_size)} (dilation {dilation}) is larger than the padded "
                f"input: input shape {x.shape}, padding {padding}, weight shape {weight.shape}"
            )
    return Conv2d(kernel_size, stride, padding, dilation)(*((x, weight) if bias is None else (x, weight, bias)))


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution, as ``torch.nn.functional.conv_transpose2d``: weight (C_in, C_out, kh, kw)."""
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    stride, padding, output_padding, dilation = (
        _pair(v, n, "conv_transpose2d") for v, n in
        ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation"))
    )
    _check_inputs("conv_transpose2d", x, weight, bias, weight_in_axis=0)
    _check_geometry("conv_transpose2d", stride, dilation, padding)
    if any(not 0 <= op < s for op, s in zip(output_padding, stride)):
        # (PyTorch also accepts op < dilation; those extra rows would see no input at all.)
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller than stride {stride}")
    kernel_size = weight.shape[2:]
    out_size = [_transposed_size(s, k, st, p, op, d) for s, k, st, p, op, d in
                zip(x.shape[2:], kernel_size, stride, padding, output_padding, dilation)]
    if min(out_size) < 1:
        raise ValueError(
            f"conv_transpose2d: input shape {x.shape} with weight shape {weight.shape}, stride {stride} and "
            f"padding {padding} gives an empty output {tuple(out_size)}"
        )
    y = ConvTranspose2d(kernel_size, stride, padding, dilation, output_padding)(x, weight)
    return y if bias is None else add_channel_bias(y, bias)

