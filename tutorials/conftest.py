"""pytest runs every tutorial notebook (``--nbmake``, see pyproject.toml) in *quick mode* -- the notebooks of
``tutorials/solutions/`` too (this conftest covers the sub-folder; they read ``MINIGAN_QUICK`` the same way).

Each notebook reads ``MINIGAN_QUICK`` in its first cell: ``1`` shrinks training steps and sample
counts so the whole notebook runs in well under a minute, which is enough to prove every cell still
works with the library as it is today. The outputs committed with the notebooks come from full mode::

    MINIGAN_QUICK=0 python -m pytest tutorials/04_gan_game.ipynb --overwrite   # re-run one in full

The notebook's kernel is a child process, so setting the variable here reaches it.
"""
import os

os.environ.setdefault("MINIGAN_QUICK", "1")
