"""Switching graph recording on and off: ``no_grad()`` and ``enable_grad()``.

While recording is off, operations compute their values but remember nothing about how they were
made, so no backward pass can go through them. That is what evaluation, optimizer updates and
backward passes that need no second derivative (``create_graph=False``) want: no graph, no memory.
"""
import functools

_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded for a later backward pass."""
    return _enabled


class _GradMode:
    """Context manager (and decorator) that sets recording to ``self.mode`` and restores it after."""

    mode = True

    def __enter__(self):
        global _enabled
        self._previous, _enabled = _enabled, self.mode

    def __exit__(self, *exc_info):
        global _enabled
        _enabled = self._previous

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """``with no_grad():`` -- compute without recording a graph (like ``torch.no_grad``)."""

    mode = False


class enable_grad(_GradMode):
    """``with enable_grad():`` -- record a graph again, even inside ``no_grad()``."""

    mode = True


class set_grad_enabled(_GradMode):
    """``with set_grad_enabled(flag):`` -- record a graph exactly when ``flag`` is true."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __call__(self, function):
        raise TypeError("set_grad_enabled is a context manager only")
