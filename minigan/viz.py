"""Pictures of a GAN at work: sample grids, training curves and an animation of training.

* :func:`image_grid` tiles a batch of images (values in [-1, 1], as the generator's tanh makes
  them) into one uint8 picture; :func:`save_image_grid` writes it as a PNG.
* :func:`plot_training_curves` draws the losses and D's outputs logged during training.
* :func:`save_gif` turns the grids saved during training into an animated GIF: watching the same
  latent vectors turn from noise into digits is the best picture of what training does.

Files are written with matplotlib and Pillow (which matplotlib itself requires), headless: the
figures are plain ``matplotlib.figure.Figure`` objects, never pyplot's, so importing this module
leaves the user's backend alone (a notebook keeps its inline plots) and needs no display.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from PIL import Image


def image_grid(images, nrow=None, padding=2, scale=1) -> np.ndarray:
    """Tile images (N, C, H, W) with values in [-1, 1] into a uint8 grid (rows, cols) or (rows, cols, 3).

    ``nrow`` images per row (default: a square-ish grid); ``padding`` pixels of black between
    them; each pixel repeated ``scale`` times along both axes (for small 28x28 digits).
    """
    images = images.numpy() if hasattr(images, "numpy") else np.asarray(images)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"image_grid: expected images of shape (N, 1 or 3, H, W), got {images.shape}")
    n, channels, height, width = images.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / nrow)
    pixels = np.clip((images + 1) * 127.5, 0, 255).round().astype(np.uint8).transpose(0, 2, 3, 1)
    grid = np.zeros((rows * (height + padding) + padding, nrow * (width + padding) + padding, channels), np.uint8)
    for i in range(n):
        top, left = padding + (i // nrow) * (height + padding), padding + (i % nrow) * (width + padding)
        grid[top:top + height, left:left + width] = pixels[i]
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return grid[..., 0] if channels == 1 else grid


def save_image_grid(images, path, nrow=None, scale=2) -> np.ndarray:
    """Write :func:`image_grid` of ``images`` to ``path`` (PNG); returns the grid."""
    grid = image_grid(images, nrow=nrow, scale=scale)
    Image.fromarray(grid).save(path)
    return grid


def save_gif(frames, path, seconds_per_frame=0.25) -> None:
    """Write uint8 grids (all the same shape) as an animated GIF that loops forever."""
    if not frames:
        raise ValueError("save_gif: no frames to write")
    pictures = [Image.fromarray(frame) for frame in frames]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=int(seconds_per_frame * 1000), loop=0)


def smooth(values, window):
    """Moving average of a training curve: ``(means, window)``, the window shrunk to fit short curves.

    ``means`` has ``len(values) - window + 1`` entries (``np.convolve(..., mode="valid")``): entry ``i`` is the
    mean of ``values[i:i + window]``, so plot it against ``steps[window - 1:]``. ``window`` is clipped to
    ``1..len(values)``, and the window actually used is returned so that a legend can say it.
    """
    values = np.asarray(values, dtype=float)
    window = max(1, min(int(window), len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid"), window


def plot_training_curves(records, path, window=25) -> None:
    """Plot losses and D's mean outputs from a list of per-step dicts (as ``GANTrainer.step`` returns).

    Left: D and G losses; right: D's mean output on real and on generated samples. Curves are
    smoothed with a moving average of ``window`` logged steps (:func:`smooth`; raw values are noisy
    from batch to batch). Records of a live evaluation (``eval_fd``, ..., from ``python -m
    minigan.train``) add two panels, unsmoothed: FD, and precision / recall / coverage.
    """
    steps = np.array([r["step"] for r in records])
    evaluated = [r for r in records if "eval_fd" in r]
    figure = Figure(figsize=(11, 8) if evaluated else (11, 4))
    axes = figure.subplots(2, 2).ravel() if evaluated else figure.subplots(1, 2)
    panels = [(axes[0], ("d_loss", "g_loss"), "losses"), (axes[1], ("d_real", "d_fake"), "D's mean output")]
    for axis, keys, title in panels:
        for key in keys:
            pairs = [(s, r[key]) for s, r in zip(steps, records) if key in r and np.isfinite(r[key])]
            if not pairs:
                continue
            x, y = np.array(pairs).T
            means, used = smooth(y, window)
            axis.plot(x[used - 1:], means, label=key)
    if evaluated:
        at = [r["step"] for r in evaluated]
        axes[2].plot(at, [r["eval_fd"] for r in evaluated], "o-", label="FD (held-out digits)")
        for key in ("precision", "recall", "coverage"):
            axes[3].plot(at, [r[f"eval_{key}"] for r in evaluated], "o-", label=key)
        axes[3].set_ylim(0, 1)
        panels += [(axes[2], (), "live evaluation: FD (lower is better)"),
                   (axes[3], (), "live evaluation: precision, recall, coverage")]
    for axis, _, title in panels:
        axis.set_xlabel("step")
        axis.set_title(title)
        if axis.get_legend_handles_labels()[0]:
            axis.legend()
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def save_scatter(real, fake, path, title=None) -> None:
    """Real and generated toy samples in one picture: a scatter plot for 2-D, histograms for 1-D."""
    real, fake = np.asarray(real), np.asarray(fake)
    figure = Figure(figsize=(5, 5) if real.shape[1] == 2 else (6, 4))
    axis = figure.subplots()
    if real.shape[1] == 2:
        axis.scatter(real[:, 0], real[:, 1], s=4, alpha=0.4, label="real")
        axis.scatter(fake[:, 0], fake[:, 1], s=4, alpha=0.4, label="generated")
        axis.set_aspect("equal")
    else:
        bins = np.linspace(min(real.min(), fake.min()), max(real.max(), fake.max()), 60)
        axis.hist(real[:, 0], bins=bins, alpha=0.5, density=True, label="real")
        axis.hist(fake[:, 0], bins=bins, alpha=0.5, density=True, label="generated")
    axis.legend(loc="upper right")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
