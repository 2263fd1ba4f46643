"""Optimizers and learning-rate schedules, PyTorch-style: ``from minigan import optim``.

| file                | contents                                                                 |
|---------------------|--------------------------------------------------------------------------|
| ``optimizer.py``    | ``Optimizer``: parameter groups, state, ``step``, checkpoints            |
| ``sgd.py``          | ``SGD`` (momentum, Nesterov)                                             |
| ``adam.py``         | ``Adam``, ``AdamW`` (decoupled weight decay)                             |
| ``rmsprop.py``      | ``RMSprop`` (the original WGAN's optimizer)                              |
| ``lr_scheduler.py`` | ``StepLR``, ``LinearLR``, ``CosineAnnealingLR``, ``LambdaLR``            |

Each optimizer's docstring gives its update rule; ``optim.lr_scheduler`` gives each schedule's formula.
"""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
