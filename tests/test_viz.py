"""minigan.viz: grids are exact, and drawing files never touches the user's matplotlib backend."""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from minigan import viz


def test_image_grid_places_each_image_with_padding():
    images = np.stack([np.full((1, 2, 2), v, np.float32) for v in (-1.0, 0.0, 1.0)])
    grid = viz.image_grid(images, nrow=2, padding=1)
    assert grid.shape == (1 + 2 * 3, 1 + 2 * 3)
    assert grid[1, 1] == 0 and grid[1, 4] == 128 and grid[4, 1] == 255
    assert grid[0].max() == 0 and grid[4, 4] == 0  # padding, and the empty fourth slot


def test_image_grid_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"image_grid: expected images of shape \(N, 1 or 3, H, W\), got \(2, 28, 28\)"):
        viz.image_grid(np.zeros((2, 28, 28)))


def test_importing_viz_keeps_the_backend_and_plots_write_pngs(tmp_path):
    # In a fresh process (the backend is chosen once per process): ask for a backend, import viz, check it stayed.
    code = (
        "import matplotlib; matplotlib.use('svg'); import minigan.viz as viz; "
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend(); "
        f"viz.plot_training_curves([{{'step': s, 'd_loss': 1.0, 'g_loss': 2.0, 'd_real': 0.6, 'd_fake': 0.4}} "
        f"for s in range(1, 40)], r'{tmp_path}/curves.png'); "
        "import numpy as np; r = np.random.default_rng(0); "
        f"viz.save_scatter(r.normal(size=(50, 2)), r.normal(size=(50, 2)), r'{tmp_path}/scatter.png', title='t')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    for name in ("curves.png", "scatter.png"):
        with Image.open(tmp_path / name) as picture:
            assert picture.format == "PNG" and picture.size[0] > 300
