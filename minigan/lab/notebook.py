"""The lab in a Jupyter notebook: the same page, served by the notebook's kernel, and the same run in Python.

    from minigan.lab import Playground
    lab = Playground(dataset="ring", loss="minimax")   # any lab settings, as keywords
    lab                          # the interactive page in the cell: play, step D / G, draw, ...
    lab.step("full", 300)        # or train from Python: the page follows within a second
    lab.change(loss="ns")
    lab.snapshot()               # a still picture of the plane (what a saved notebook shows to readers)
    lab.save("runs/lab-ring")    # PNG frames, a GIF, and the python -m minigan.train command line
    lab.close()

The page is an ``<iframe>`` of a lab server that the kernel runs in a background thread on
127.0.0.1, so it shows where the browser runs on the kernel's machine (a local Jupyter). The page
and the Python methods share one session behind one lock: a cell that trains and a page that plays
take turns, update by update.
"""
from __future__ import annotations

import html

from PIL import Image

from .api import LabAPI
from .export import render_frame, save_run
from .server import LabServer
from .session import LabSession


class Playground:
    def __init__(self, port: int = 0, height: int = 900, **settings):
        self.api = LabAPI(LabSession(settings))
        self.server = LabServer(self.api, port=port).start()
        self.height = height

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def session(self) -> LabSession:
        """The run itself; hold ``self.api.lock`` while using it if the page may be open."""
        return self.api.session

    def _repr_html_(self) -> str:
        url = html.escape(self.url)
        return (f'<iframe src="{url}" width="100%" height="{self.height}" style="border: 0"></iframe>'
                f'<p style="font-size: small">minigan lab at <a href="{url}" target="_blank">{url}</a>, '
                "served by this kernel (<code>.close()</code> stops it)</p>")

    def step(self, kind: str = "full", count: int = 1) -> dict:
        """``count`` updates of one ``kind`` ("d", "g" or "full", as the page's buttons); returns the last numbers."""
        with self.api.lock:
            self.session.step(kind, count)
            return self.session.history[-1]

    def change(self, **settings) -> str:
        """Change settings (``loss="ns"``, ``lr_g=2e-4``, ...): live ones keep the networks, others restart."""
        with self.api.lock:
            return self.session.change(settings)

    def reset(self) -> None:
        with self.api.lock:
            self.session.restart()

    def snapshot(self, size: int = 400) -> Image.Image:
        """The plane now -- D's heat map, real (green) and fake (purple) points -- as a picture."""
        with self.api.lock:
            s = self.session
            frame = {"update": s.total_updates, "fake": s.fake_points(), "heat_map": s.heat_map()}
            return Image.fromarray(render_frame(frame, s.real, s.extent, size))

    def save(self, folder) -> dict:
        """Save the run's frames, GIF and command line into ``folder`` (see :func:`minigan.lab.export.save_run`)."""
        with self.api.lock:
            s = self.session
            snapshots, real, extent, command = list(s.snapshots), s.real, s.extent, s.command()
        return save_run(snapshots, real, extent, command, folder)

    def command_line(self) -> str:
        """The ``python -m minigan.train`` line of this run (``session.command()`` says what it cannot say)."""
        with self.api.lock:
            return self.session.command()["line"]

    def close(self) -> None:
        """Stop the page's server (the run stays in ``session``)."""
        self.server.stop()
