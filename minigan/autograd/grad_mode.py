"""Switching graph recording on and off: ``no_grad()``, ``enable_grad()`` and ``set_grad_enabled()``.

While recording is off, operations compute their values but remember nothing about how they were
made, so no backward pass can go through them. That is what evaluation, optimizer updates and
backward passes that need no second derivative (``create_graph=False``) want: no graph, no memory.

Each switch remembers the state it replaced on a *stack* and puts it back on exit, so switches nest
in any way -- even the same ``no_grad()`` object entered twice, one inside the other -- and the
state after the outermost exit is always the state before it, as in PyTorch.
"""
import functools

_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded for a later backward pass."""
    return _enabled


def _set_enabled(mode: bool) -> None:
    global _enabled
    _enabled = mode


class _GradMode:
    """Context manager (and decorator) that sets recording to ``self.mode`` and restores it after."""

    mode = True

    def __init__(self):
        self._previous = []  # one entry per `with` that is still open

    def __enter__(self):
        self._previous.append(is_grad_enabled())
        _set_enabled(self.mode)

    def __exit__(self, *exc_info):
        _set_enabled(self._previous.pop())

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
    """Record a graph exactly when ``mode`` is true: ``with set_grad_enabled(flag):``, or as a plain call.

    As in PyTorch, the switch happens when the object is made, so ``set_grad_enabled(False)`` on a
    line of its own turns recording off until it is turned on again; used in a ``with``, the state
    from before the call comes back at the end of the block.
    """

    def __init__(self, mode: bool):
        super().__init__()
        self.mode = bool(mode)
        self._previous.append(is_grad_enabled())  # what the first `with` restores
        self._made_the_switch = True
        _set_enabled(self.mode)

    def __enter__(self):
        if self._made_the_switch:  # the constructor already switched and saved the state before it
            self._made_the_switch = False
            return
        super().__enter__()

    def __call__(self, function):
        raise TypeError("set_grad_enabled is a context manager or a plain call, not a decorator; "
                        "use @no_grad() or @enable_grad()")
