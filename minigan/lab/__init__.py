"""minigan lab: watch and steer a 2-D GAN as it trains -- in the browser, or in a notebook.

    python -m minigan.lab                 # a local page: http://127.0.0.1:8765/
    minigan.lab.Playground()              # the same page in a Jupyter cell, and the run in Python

A person picks a distribution (or draws one), a loss, penalties, learning rates, network sizes and
n_critic; plays, pauses, or steps one D update, one G update or one full step at a time; and sees D's
output as a heat map, where G's loss pushes each fake point, the critic's gradient-norm field and the
points where WGAN-GP measures it, loss and D-output curves, the modes covered, and the source of the
code that just ran. The GAN is minigan's own ``GANTrainer``; the page is plain HTML, JavaScript and
canvas, shipped in ``static/``.

One file per job (floor 6 of the house, with the CLIs):

* ``settings.py``      -- the choices, their bounds, and the check every request passes;
* ``distributions.py`` -- the training points of each distribution, their modes, the plane to show;
* ``fields.py``        -- heat map, G's gradient arrows, gradient norms, interpolation points: pure functions;
* ``session.py``       -- :class:`LabSession`, one run: build, change, step, and its picture as JSON;
* ``source.py``        -- "what just ran": the source of the functions an update called;
* ``command.py``       -- the run as a ``python -m minigan.train`` command line;
* ``export.py``        -- PNG frames and a GIF of the run;
* ``api.py``           -- the JSON endpoints, every request checked, one lock around the session;
* ``server.py``        -- HTTP (standard library only) for the page and the endpoints;
* ``notebook.py``      -- :class:`Playground`, the lab in a notebook;
* ``__main__.py``      -- ``python -m minigan.lab``.
"""
from .notebook import Playground  # noqa: F401
from .session import LabSession  # noqa: F401
