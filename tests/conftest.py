"""Fixtures that several test files share."""
import numpy as np
import pytest

from minigan import train
from minigan.data import write_idx


@pytest.fixture(scope="session")
def train_run(tmp_path_factory):
    """``train_run(name, *flags)``: the folder of a ``python -m minigan.train mnist`` run on 32 random 28x28 "digits".

    The command itself trains (in this process), so the weights are what a user's run leaves behind.
    """
    root = tmp_path_factory.mktemp("runs")
    rng = np.random.default_rng(0)
    write_idx(root / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (32, 28, 28), dtype=np.uint8))
    write_idx(root / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 32).astype(np.uint8))

    def run(name, *flags):
        out = root / name
        assert train.main(["mnist", "--data-dir", str(root), "--out", str(out), "--no-progress", *flags]) == 0
        return str(out)

    return run
