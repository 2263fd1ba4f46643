"""minigan.lab.Playground: the lab in a notebook cell -- the page in an IFrame, the same run from Python."""
import urllib.request

import numpy as np
from PIL import Image

from minigan.lab import Playground


def test_the_playground_serves_the_page_and_shares_its_run_with_python(tmp_path):
    lab = Playground(hidden=16, batch_size=32, loss="minimax")
    try:
        html = lab._repr_html_()
        assert f'<iframe src="{lab.url}"' in html and lab.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(lab.url, timeout=30) as response:
            assert b"minigan lab" in response.read()
        assert set(lab.step("full", 3)) == {"update", "player", "g_loss", "g_grad_norm"}
        assert lab.change(loss="ns") == "loss changed: the networks keep training"
        with urllib.request.urlopen(lab.url + "api/state", timeout=30) as response:
            assert b'"steps": 3' in response.read()  # the page sees the steps Python took
        picture = lab.snapshot(size=200)
        assert isinstance(picture, Image.Image) and picture.size == (200, 200)
        assert np.asarray(picture).std() > 0
        saved = lab.save(tmp_path / "run")
        assert saved["frames"] == len(lab.session.snapshots) and (tmp_path / "run" / "training.gif").is_file()
        assert lab.command_line().startswith("python -m minigan.train ring --loss ns ")
    finally:
        lab.close()
