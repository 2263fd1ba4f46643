"""The graph walk: accumulation, no_grad, deep graphs, minigan.grad, freed graphs and error messages."""
import numpy as np
import pytest

import minigan as mg
from minigan.autograd.function import Function
from minigan.backend import DeviceError
from minigan.gradcheck import GradcheckError, gradcheck, gradgradcheck


def test_gradients_accumulate_over_backward_calls_and_uses():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()  # 2x
    (3 * x).sum().backward()  # + 3
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])
    y = mg.tensor([2.0], requires_grad=True)
    (y * y * y + y).sum().backward()  # y used in several places: 3y^2 + 1
    np.testing.assert_allclose(y.grad.numpy(), [13.0])


def test_leaves_never_share_a_gradient_array():
    a, b = mg.tensor([1.0], requires_grad=True), mg.tensor([1.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10
    np.testing.assert_allclose(b.grad.numpy(), [1.0])
    c = mg.tensor([1.0, 2.0], requires_grad=True)
    c.mean().backward()  # the mean's gradient is a read-only broadcast view: .grad gets a copy
    c.grad.data *= 2
    np.testing.assert_allclose(c.grad.numpy(), [1.0, 1.0])


def test_no_grad_records_nothing():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()

    @mg.no_grad()
    def evaluate(t):
        return t.exp()

    assert not evaluate(x).requires_grad
    assert mg.is_grad_enabled()


def test_a_chain_of_ten_thousand_ops_needs_no_recursion():
    x = mg.tensor(np.array([1.0]), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-9)


def test_non_scalar_backward_needs_a_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"non-scalar output \(shape \(2,\)\)"):
        (x * 2).backward()
    (x * 2).backward(mg.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        (x * 2).backward(mg.tensor([1.0, 2.0, 3.0]))


def test_second_backward_through_freed_graph_is_a_clear_error():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_grad_gives_exact_second_and_third_derivatives():
    # f(x) = x^3 sin-free polynomial + exp: f' = 3x^2 + exp(x), f'' = 6x + exp(x), f''' = 6 + exp(x)
    x = mg.tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    f = (x ** 3 + x.exp()).sum()
    (d1,) = mg.grad(f, x, create_graph=True)
    (d2,) = mg.grad(d1.sum(), x, create_graph=True)
    (d3,) = mg.grad(d2.sum(), x)
    xv = x.numpy()
    np.testing.assert_allclose(d1.numpy(), 3 * xv ** 2 + np.exp(xv), rtol=1e-12)
    np.testing.assert_allclose(d2.numpy(), 6 * xv + np.exp(xv), rtol=1e-12)
    np.testing.assert_allclose(d3.numpy(), 6 + np.exp(xv), rtol=1e-12)
    assert x.grad is None  # grad() never writes .grad


def test_gradient_penalty_reaches_the_weights_through_the_second_derivative():
    # D(x) = sum(tanh(x @ w)); penalty = ||dD/dx||^2 depends on w only through the backward pass.
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((4, 3)), requires_grad=True)

    def penalty(w):
        d = mg.tanh(x @ w).sum()
        (gx,) = mg.grad(d, x, create_graph=True)
        return (gx * gx).sum()

    assert gradcheck(penalty, [rng.standard_normal((3, 2))])


def test_grad_of_a_non_leaf_input_and_unused_inputs():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = mg.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    unused = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        mg.grad(y, [x, unused], retain_graph=True)
    gx, gu = mg.grad(y, [x, unused], allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), 18 * x.numpy())
    assert gu is None


class CountingSquare(Function):
    """x^2 that counts how often its backward runs and for which inputs."""

    calls = []

    def forward(self, x):
        return x * x

    def backward(self, grad):
        CountingSquare.calls.append(self.needs_input_grad)
        return 2 * grad * self.inputs[0]


def test_grad_skips_branches_that_do_not_lead_to_the_inputs():
    CountingSquare.calls = []
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    weight = mg.tensor([3.0, 4.0], requires_grad=True)
    y = (x * CountingSquare()(weight)).sum()
    mg.grad(y, x)
    assert CountingSquare.calls == []  # the weight branch was never differentiated
    y = (x * CountingSquare()(weight)).sum()
    y.backward()
    assert CountingSquare.calls == [(True,)]


def test_shape_mismatch_names_both_shapes():
    a, b = mg.zeros(3, 4), mg.zeros(5)
    with pytest.raises(ValueError, match=r"add: shapes \(3, 4\) and \(5,\)"):
        a + b
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: shapes \(3, 4\) and \(5,\)"):
        a @ b
    with pytest.raises(ValueError, match=r"reshape.*\(3, 4\).*\(5, -1\)"):
        a.reshape(5, -1)
    with pytest.raises(IndexError, match=r"shape \(3, 4\)"):
        a[5]


def test_mixing_devices_is_a_clear_error():
    class OtherDeviceTensor(mg.Tensor):
        device = "cuda"

    a = mg.zeros(2)
    b = OtherDeviceTensor(np.zeros(2, dtype=np.float32))
    with pytest.raises(DeviceError, match=r"Add: inputs are on different devices \(cpu:\(2,\), cuda:\(2,\)\)"):
        a + b


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2], requires_grad=True)


class BrokenExp(Function):
    """exp with a deliberately wrong backward (missing the output factor)."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, grad):
        return grad * 1.0


class BrokenSecondOrderExp(Function):
    """exp whose backward is right in value but cut off from the graph (wrong second derivative)."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, grad):
        return grad * mg.tensor(self._output_data)


class AddWithoutSumTo(Function):
    """a + b whose backward forgets to sum the broadcast b's gradient back to b's shape."""

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


def test_a_gradient_of_the_wrong_shape_is_a_clear_error():
    a = mg.tensor(np.ones((4, 3)), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"AddWithoutSumTo.backward returned a gradient of shape \(4, 3\) "
                                           r"for input 1, which has shape \(3,\)"):
        AddWithoutSumTo()(a, b).sum().backward()
    with pytest.raises(RuntimeError, match="AddWithoutSumTo.backward"):
        mg.grad(AddWithoutSumTo()(a, b).sum(), b)
    assert b.grad is None


def test_gradcheck_catches_a_wrong_backward():
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3,\)\) at index \(0,\): analytic .*, numeric"):
        gradcheck(lambda x: BrokenExp()(x), [np.array([0.1, 0.5, 1.0])])
    big = np.linspace(0, 1, 600)
    with pytest.raises(GradcheckError, match="along random direction"):
        gradcheck(lambda x: BrokenExp()(x), [big])


def test_gradgradcheck_catches_a_wrong_double_backward():
    x = np.array([0.1, 0.5, 1.0])
    assert gradcheck(lambda x: BrokenSecondOrderExp()(x), [x])
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda x: BrokenSecondOrderExp()(x), [x])


def test_tensor_basics():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.shape == (2, 2) and t.dtype == np.float32 and t.device == "cpu" and t.ndim == 2
    assert mg.tensor([1, 2]).dtype.kind == "i"
    assert mg.tensor(np.zeros(2)).dtype == np.float64
    assert t.sum().item() == 10.0
    assert (t > 2).numpy().tolist() == [[False, False], [True, True]]
    d = (t * mg.tensor(2.0, requires_grad=True)).detach()
    assert d.is_leaf and not d.requires_grad
    assert "grad_fn=Mul" in repr(t * mg.tensor(2.0, requires_grad=True))
    np.testing.assert_array_equal((np.ones(2) + mg.tensor([1.0, 2.0])).numpy(), [2.0, 3.0])


def test_grad_fn_and_inputs_walk_the_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3.0).exp()
    assert x.grad_fn is None and x.is_leaf
    assert type(y.grad_fn).__name__ == "Exp"
    mul = y.grad_fn.inputs[0].grad_fn
    assert type(mul).__name__ == "Mul" and mul.inputs[0] is x
