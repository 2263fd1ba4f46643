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


# ---- 04 the GAN game -------------------------------------------------------------------------------------------
def check_04_exercise_1(equilibrium_loss, boundary):
    """D's loss (-V) when p_g = p_data, and the x > 0 where D* = 1/2 for p_data = N(0, 1), p_g = N(0, 2^2)."""
    if _pending(equilibrium_loss, "`equilibrium_loss` (D's loss at p_g = p_data) and `boundary`"):
        return
    assert abs(float(equilibrium_loss) - math.log(4)) < 0.01, \
        f"{float(equilibrium_loss):.4f}: what are D* and -V when the two densities are equal?"
    truth = math.sqrt(8 / 3 * math.log(2))
    assert abs(abs(float(boundary)) - truth) < 0.05, \
        f"{float(boundary):.3f}: D* = 1/2 exactly where the two densities are equal -- solve for x"
    print(f"right: -V = log 4 = {math.log(4):.4f} at p_g = p_data; D* > 1/2 for |x| < sqrt(8 ln 2 / 3) = {truth:.4f}")


def check_04_exercise_3(kl_estimate):
    """KL(p_g || p_data) for p_g = N(2, 0.7^2), p_data = N(0, 1), estimated from the trained D's logit."""
    if _pending(kl_estimate, "`kl_estimate`, -mean of the trained D's logit on samples of p_g"):
        return
    truth = math.log(1 / 0.7) + (0.7 ** 2 + 2.0 ** 2) / 2 - 0.5
    assert float(kl_estimate) > 0, "a KL divergence is positive: E_{p_g}[-logit], the sign matters"
    assert abs(float(kl_estimate) - truth) < 0.1, \
        f"{float(kl_estimate):.3f} is off: on samples of p_g the logit estimates log p_data - log p_g"
    print(f"right: the estimate {float(kl_estimate):.3f} is within 0.1 of the closed form {truth:.4f}")


def check_04_exercise_4(optimum):
    """Your ``optimum(p_data, p_g, a, b)``: the raw output of the best least-squares D at a point."""
    if _pending(optimum, "`lsgan_optimum`, a function of (p_data, p_g, a, b)"):
        return
    rng = np.random.default_rng(0)
    p, q = rng.uniform(0.01, 1, 100), rng.uniform(0.01, 1, 100)
    for a, b in ((0.0, 1.0), (-1.0, 1.0), (0.2, 0.7)):
        mine = np.asarray(optimum(p, q, a, b), dtype=float)
        assert np.allclose(mine, (b * p + a * q) / (p + q), atol=1e-6), \
            f"not the minimiser for a = {a}, b = {b}: set the derivative of the pointwise loss to 0"
    print("right: y* = (b p_data + a p_g) / (p_data + p_g), D* itself for a = 0, b = 1")


def check_04_exercise_6(k, d_losses, g_losses, trainer_stats):
    """Your loop with k D steps per G step against ``GANTrainer(n_critic=k).step``'s returned stats, one per call."""
    if _pending(d_losses, "`hand_d_losses`, `hand_g_losses` and `trainer_stats` (the dicts step returned)"):
        return
    d_losses, g_losses = [float(v) for v in d_losses], [float(v) for v in g_losses]
    assert len(d_losses) == k * len(g_losses), \
        f"{len(d_losses)} D steps and {len(g_losses)} G steps: with k = {k} there are k D steps per G step"
    assert len(trainer_stats) == len(d_losses), "GANTrainer.step makes one D step per call: call it once per D step"
    assert d_losses == [s["d_loss"] for s in trainer_stats], \
        "the D losses differ from GANTrainer's: same seeds, same batches, the noise drawn in the same order?"
    assert g_losses == [s["g_loss"] for s in trainer_stats if "g_loss" in s], \
        "the G losses differ: which fake batch does GANTrainer's G step reuse?"
    print(f"right: {len(d_losses)} D losses and {len(g_losses)} G losses, bit-identical to GANTrainer(n_critic={k})")


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


# ---- 06 mode collapse ------------------------------------------------------------------------------------------
def check_06_exercise_5(r1_hand, r1_library, none_names, names):
    """R1 by hand and ``minigan.gan.r1_penalty`` on the same D and x; the parameters whose gradient is None."""
    if _pending(r1_hand, "`r1_hand`, `r1_library` (two numbers) and `none_names` (the parameters left None)"):
        return
    r1_hand, r1_library = float(r1_hand), float(r1_library)
    assert abs(r1_hand - r1_library) <= 1e-9 * max(1.0, abs(r1_library)), \
        f"{r1_hand:.12f} vs the library's {r1_library:.12f}: E ||grad_x D(x)||^2, squared norm, no square root"
    expected = sorted(name for name in names if name.endswith("bias"))
    assert sorted(none_names) == expected, \
        f"{sorted(none_names)}: which parameters enter grad_x D(x) only through the signs of the pre-activations?"
    print(f"right: R1 = {r1_library:.6f} both ways; the {len(expected)} biases get no gradient")


# ---- 16 style GAN ----------------------------------------------------------------------------------------------
def check_16_exercise_1(layer, w, x, demod):
    """The weights (N, O, I, K, K) that a ModulatedConv2d ``layer`` really applies to sample n for styles ``w``."""
    if _pending(demod, "`demod`, the per-sample demodulated weights as an array (N, O, I, K, K)"):
        return
    demod = np.asarray(demod, float)
    weight = layer.weight.numpy().astype(float)
    o, i, k, _ = weight.shape
    n = w.shape[0]
    assert demod.shape == (n, o, i, k, k), (f"expected shape {(n, o, i, k, k)} (one weight tensor per sample), "
                                            f"got {demod.shape}")
    energy = (demod ** 2).sum(axis=(2, 3, 4))
    assert np.allclose(energy, 1.0, atol=1e-6), ("demodulation divides every output channel's weights by their norm: "
                                                 "sum over (i, k) of demod^2 should be 1, got "
                                                 f"{energy.min():.4f}..{energy.max():.4f}")
    styles = layer.affine(w).numpy().astype(float)
    truth = styles[:, None, :, None, None] * weight[None] / math.sqrt(i * k * k)
    truth = truth / np.sqrt((truth ** 2).sum(axis=(2, 3, 4), keepdims=True) + layer.eps)
    assert np.allclose(demod, truth, atol=1e-6), ("unit norm, but not the layer's weights: the style of input "
                                                  "channel i is layer.affine(w)[n, i] and multiplies weight[:, i]")
    # and they are what the layer computes: a plain convolution per sample, plus the bias
    xs = np.pad(x.numpy().astype(float), ((0, 0), (0, 0), (k // 2, k // 2), (k // 2, k // 2)))
    h, wd = x.shape[2], x.shape[3]
    patches = np.stack([xs[:, :, a:a + h, b:b + wd] for a in range(k) for b in range(k)], axis=2)  # (N, I, K*K, H, W)
    out = np.einsum("noik,nikhw->nohw", demod.reshape(n, o, i, k * k), patches)
    out = out + layer.bias.numpy()[None, :, None, None]
    assert np.allclose(out, layer(x, w).numpy(), atol=1e-6), ("a convolution with these weights does not give "
                                                              "layer(x, w)")
    print("right: unit norm per output channel, and a plain convolution with them reproduces layer(x, w)")


def check_16_exercise_2(max_change):
    """The largest |pixel difference| between G(z) and G(0.5 z), with the same noise."""
    if _pending(max_change, "`max_change`, the largest pixel difference between the two batches"):
        return
    assert float(max_change) < 1e-3, (f"{float(max_change):.4f}: far from 0 -- did both batches get the same noise? "
                                      "(pass noise=..., or compare images made with zero noise)")
    print(f"right: {float(max_change):.1e} -- the mapping network normalises z first, so psi * z and z give the same w")


# ---- 14 image-to-image -----------------------------------------------------------------------------------------
def check_14_exercise_1(fields):
    """The receptive fields of PatchGANDiscriminator for n_layers = 0, 1, 2, 3 (4x4 kernels), as a list."""
    if _pending(fields, "`fields`, the receptive fields for n_layers = 0, 1, 2, 3"):
        return
    fields = [int(f) for f in fields]
    assert len(fields) == 4, f"give four numbers, one for each of n_layers = 0, 1, 2, 3 (you gave {len(fields)})"
    truth = []
    for n_layers in range(4):
        field = 1
        # from the output back: the last conv (stride 1), the n_layers-th (stride 1, if any), then the stride-2 ones
        for stride in [1] + [1] * min(n_layers, 1) + [2] * max(n_layers, 1):
            field = (field - 1) * stride + 4
        truth.append(field)
    for n_layers, (mine, right) in enumerate(zip(fields, truth)):
        assert mine == right, (f"n_layers={n_layers}: {mine} is off -- list the strides of its convolutions "
                               "(print(D)) and apply r <- (r - 1) s + k from the last layer back")
    print(f"right: {truth}; only n_layers = 2 and 3 see all 28 pixels of a digit (their patch is the whole image)")


def check_14_exercise_2(l1_best, l2_best):
    """Your ``l1_best(p)`` and ``l2_best(p)``: the c minimising E|Y - c| and E(Y - c)^2, Y = +1 w.p. p, else -1."""
    if _pending(l1_best, "`l1_best` and `l2_best`, functions of p"):
        return
    p = np.concatenate([np.linspace(0.01, 0.49, 25), np.linspace(0.51, 0.99, 25)])
    mine1, mine2 = np.asarray(l1_best(p), dtype=float), np.asarray(l2_best(p), dtype=float)
    assert mine2.shape == p.shape and np.allclose(mine2, 2 * p - 1, atol=1e-6), \
        "l2_best: the minimiser of a mean squared error is the mean of Y"
    assert mine1.shape == p.shape and np.allclose(mine1, np.where(p > 0.5, 1.0, -1.0), atol=1e-6), \
        "l1_best: the minimiser of a mean absolute error is a median of Y -- which of +-1 holds at least half the mass?"
    print("right: L2 gives the mean 2p - 1 (grey for an uncertain pixel), L1 the median: -1 below p = 1/2, +1 above")


# ---- 15 inpainting ---------------------------------------------------------------------------------------------
def check_15_exercise_1(ratio, decibels):
    """A sampler against the mean: E||f_i - f_j||^2 / E||f_j - mean||^2 over one context's fillings; its cost in dB."""
    if _pending(ratio, "`ratio` (measured on the neighbours' holes) and `decibels`"):
        return
    assert abs(float(ratio) - 2) < 1e-6, (
        f"{float(ratio):.4f}: expand ||f_i - f_j||^2 around the mean of the fillings; average over all K x K pairs "
        "(a filling against itself counts, at distance 0)")
    assert decibels is not None and abs(float(decibels) - 10 * math.log10(2)) < 0.01, \
        "PSNR is 10 log10(peak^2 / MSE): what does a factor on the MSE do to it?"
    print(f"right: a sample of p(hole | context) has twice the mean's squared error: "
          f"{10 * math.log10(2):.2f} dB less PSNR")


def check_15_exercise_2(factor):
    """The factor that the whole-image MSE puts on a hole pixel's gradient, relative to the masked MSE (14x14 hole)."""
    if _pending(factor, "`factor`, the ratio of the two losses' gradients on a hole pixel"):
        return
    assert abs(float(factor) - 196 / 784) < 1e-6, f"{factor}: both losses are means -- over how many pixels each?"
    print("right: 196 / 784 = 1/4, the share of the image that is hole")
