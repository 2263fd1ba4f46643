"""Self-checks for the tutorial exercises that have one right answer.

Each ``check_NN_exercise_K(...)`` takes *your* answer, asserts that it is right (an ``AssertionError`` says what is
wrong), and prints a short confirmation. Called with ``None`` -- what the check cells in the notebooks pass until you
fill in an answer -- it only reminds you of what to fill in, so the notebooks run as they are. Only NumPy and the
exercise's own definitions are used: the checks never give the answer away in their messages.
The worked answers are in ``tutorials/solutions/``.
"""
import math

import numpy as np


def _pending(answer, what):
    if answer is None:
        print(f"not checked yet: fill in {what} and run this cell again")
        return True
    return False


# ---- 01 autograd -----------------------------------------------------------------------------------------------
def check_01_exercise_1(order):
    """Order of the backward calls for L = sum(a * b + exp(a)): a list of Function names, e.g. ["Sum", ...]."""
    if _pending(order, "`order`, the list of node names in the order their backward runs"):
        return
    order = [str(name) for name in order]
    assert sorted(order) == ["Add", "Exp", "Mul", "Sum"], f"the graph has four nodes (Sum, Add, Mul, Exp), you gave {order}"
    assert order[:2] == ["Sum", "Add"], "a topological order starts at the output: which node made L, which made its input?"
    assert order[2:] == ["Mul", "Exp"], ("both Mul and Exp are valid third nodes, but the engine's depth-first search "
                                         "picks one of them: check with spy_on")
    print("right: Sum, Add, then the engine's depth-first order visits Mul before Exp")


def check_01_exercise_2(col, row, col_grad, row_grad):
    """Gradients of (col * row).sum() for col (3, 1) and row (1, 4), as NumPy arrays."""
    if _pending(col_grad, "`col_grad` and `row_grad` (your formulas, as arrays)"):
        return
    col, row = np.asarray(col, float), np.asarray(row, float)
    col_grad, row_grad = np.asarray(col_grad, float), np.asarray(row_grad, float)
    assert col_grad.shape == col.shape, f"col.grad has col's shape {col.shape}, yours has {col_grad.shape}"
    assert row_grad.shape == row.shape, f"row.grad has row's shape {row.shape}, yours has {row_grad.shape}"
    assert np.allclose(col_grad, np.full(col.shape, row.sum())), "col.grad: what does col[i] multiply, and how often?"
    assert np.allclose(row_grad, np.full(row.shape, col.sum())), "row.grad: what does row[j] multiply, and how often?"
    print("right: col.grad[i] = row.sum() and row.grad[j] = col.sum()")


def check_01_exercise_4(zeros):
    """The zeros of d^3/dx^3 tanh x: a list of the x where it vanishes (any order)."""
    if _pending(zeros, "`zeros`, the x where the third derivative of tanh is 0"):
        return
    zeros = np.sort(np.asarray(zeros, float))
    truth = np.arctanh(1 / np.sqrt(3))
    assert len(zeros) == 2, f"the third derivative of tanh has two zeros on the real line, you gave {len(zeros)}"
    assert np.allclose(zeros, [-truth, truth], atol=2e-2), f"not quite: {zeros} (solve 1 - 3 tanh(x)^2 = 0)"
    print(f"right: x = +-artanh(1/sqrt(3)) = +-{truth:.4f}")


# ---- 02 convolution --------------------------------------------------------------------------------------------
def check_02_exercise_1(output_hw, cols_shape):
    """Input (4, 3, 6, 6), kernel 3, stride 2, padding 1: output (OH, OW) and the shape of im2col(x, 3, 2, 1)."""
    if _pending(output_hw, "`output_hw` = (OH, OW) and `cols_shape`"):
        return
    assert tuple(output_hw) == (3, 3), f"output size {tuple(output_hw)}: use floor((H + 2p - k) / s) + 1"
    assert tuple(cols_shape) == (27, 36), f"im2col shape {tuple(cols_shape)}: rows C*k*k, columns N*OH*OW"
    print("right: 3x3 outputs; im2col is (27, 36)")


def check_02_exercise_2(n_outputs, pixels):
    """Dilation 2, kernel 3 on the numbered 5x5 image (1..25): number of output pixels, pixels read (1-based)."""
    if _pending(n_outputs, "`n_outputs` and `pixels` (the numbers 1..25 the kernel reads)"):
        return
    assert int(n_outputs) == 1, f"a dilated 3-kernel with dilation 2 spans 5 pixels: how many positions fit in 5? ({n_outputs})"
    assert sorted(int(p) for p in pixels) == [1, 3, 5, 11, 13, 15, 21, 23, 25], "every other row and column, starting at 1"
    print("right: one output, reading pixels 1, 3, 5, 11, 13, 15, 21, 23, 25")


def check_02_exercise_5(even_kernels):
    """Stride 2: the kernel sizes k in 1..6 whose transposed-conv overlap map has a constant interior."""
    if _pending(even_kernels, "`constant_kernels`, the k in 1..6 with a checkerboard-free interior"):
        return
    assert sorted(int(k) for k in even_kernels) == [2, 4, 6], "not quite: compare the covering counts of even and odd output rows"
    print("right: k = 2, 4, 6 -- the kernel size must be divisible by the stride")


# ---- 03 batch norm ---------------------------------------------------------------------------------------------
def check_03_exercise_1(running_mean, batch_means):
    """momentum=None: the running mean after the batches equals the plain mean of the batch means."""
    if _pending(running_mean, "`running_mean` (the layer's buffer) and `batch_means`"):
        return
    assert np.allclose(np.asarray(running_mean), np.mean(np.asarray(batch_means), axis=0), atol=1e-5), \
        "the buffer is not the cumulative average of the batch means: did you pass momentum=None?"
    print("right: with momentum=None the buffer is the cumulative average, every batch weighted equally")


def check_03_exercise_3(backward_fn, x, gamma, running_var, eps=1e-5):
    """Your eval-mode backward ``backward_fn(dy) -> dx`` for per-channel gamma, running_var on (N, C) inputs."""
    if _pending(backward_fn, "`my_eval_backward`, a function of dy that returns dx"):
        return
    rng = np.random.default_rng(0)
    dy = rng.standard_normal(np.shape(x))
    expected = dy * np.asarray(gamma) / np.sqrt(np.asarray(running_var) + eps)
    assert np.allclose(backward_fn(dy), expected, atol=1e-6), "eval-mode batch norm is affine in x: what is its slope?"
    print("right: dx = gamma / sqrt(running_var + eps) * dy")


# ---- 05 losses -------------------------------------------------------------------------------------------------
def check_05_exercise_2(argmin_logit):
    """One-sided label smoothing with real_target 0.9: the logit that minimises D's loss on a real sample."""
    if _pending(argmin_logit, "`argmin_logit`, where D's smoothed loss on a real sample is smallest"):
        return
    assert abs(float(argmin_logit) - math.log(9)) < 0.05, f"{argmin_logit:.3f}: where is sigma(logit) = 0.9?"
    print(f"right: the minimum is at logit log 9 = {math.log(9):.3f}")


def check_05_exercise_5(w1):
    """W_1 between N(0, 0.3^2) and N(0, 1.5^2)."""
    if _pending(w1, "`w1`, the Wasserstein-1 distance as a number"):
        return
    truth = (1.5 - 0.3) * math.sqrt(2 / math.pi)
    assert abs(float(w1) - truth) < 0.02, f"{w1:.4f} is off: integrate |F_P - F_Q| numerically, or use E|X| of a normal"
    print(f"right: W1 = (1.5 - 0.3) * sqrt(2 / pi) = {truth:.4f}")
