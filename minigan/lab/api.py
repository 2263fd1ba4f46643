"""The lab's JSON endpoints: requests in, checked; one session, one request at a time; answers out.

    GET  /api/options              the settings' defaults, choices, bounds, and which ones are live
    GET  /api/state[?since=V]      the whole picture of the run (or {"version": V, "unchanged": true})
    POST /api/settings  {name: value, ...}            change settings (live, or the run starts again)
    POST /api/step      {"kind": "d"|"g"|"full", "count": n}   train; answers the new state
    POST /api/reset     {}                            start the run again with the same settings
    POST /api/export    {}                            save frames, a GIF and the command line to disk

:meth:`LabAPI.handle` knows nothing of HTTP: it takes a method, a path and the body's bytes and
returns ``(status, answer)``. Every request is checked before it reaches the session -- malformed
JSON, a key the endpoint does not take, a count out of range, an absurd setting -- and answered
``4xx {"error": "..."}`` with a message meant for the page to show; the session never sees it.
The page and a notebook may send requests at the same time (the HTTP server answers each in its
own thread), so one lock is held around every use of the session.
"""
from __future__ import annotations

import json
import os
import threading
from urllib.parse import parse_qs, urlsplit

from .export import save_run
from .session import KINDS, LabSession, SessionError
from .settings import SettingsError, describe

MAX_COUNT = 200  # updates in one /api/step request: a page in play mode sends many small ones


class RequestError(Exception):
    """A request the lab will not carry out: ``status`` (4xx) and a message for the person."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class LabAPI:
    def __init__(self, session=None, out=os.path.join("runs", "lab")):
        self.session = session if session is not None else LabSession()
        self.out = out  # where /api/export writes
        self.lock = threading.Lock()
        self.routes = {
            ("GET", "/api/options"): lambda body, query: describe(),
            ("GET", "/api/state"): self.state,
            ("POST", "/api/settings"): self.change,
            ("POST", "/api/step"): self.step,
            ("POST", "/api/reset"): self.reset,
            ("POST", "/api/export"): self.export,
        }

    def handle(self, method: str, target: str, body: bytes = b"") -> tuple:
        """``(status, answer dict)`` for one request; never raises for anything a request can contain."""
        url = urlsplit(target)
        route = self.routes.get((method, url.path))
        try:
            if route is None:
                known = any(path == url.path for _, path in self.routes)
                raise RequestError(405 if known else 404,
                                   f"{method} {url.path} is not an endpoint of the lab" if not known
                                   else f"{url.path} does not take {method}")
            return 200, route(body, parse_qs(url.query))
        except RequestError as error:
            return error.status, {"error": str(error)}
        except SettingsError as error:
            return 400, {"error": str(error)}
        except SessionError as error:
            return 409, {"error": str(error)}

    # ------------------------------------------------------------------ the endpoints
    def state(self, body, query):
        since = query.get("since", [None])[0]
        with self.lock:
            if since is not None and since == str(self.session.version):
                return {"version": self.session.version, "unchanged": True}
            return self.session.state()

    def change(self, body, query):
        changes = _json_object(body)
        with self.lock:
            notice = self.session.change(changes)
            return {**self.session.state(), "notice": notice}

    def step(self, body, query):
        request = _json_object(body, allowed=("kind", "count"))
        kind, count = request.get("kind", "full"), request.get("count", 1)
        if kind not in KINDS:
            raise RequestError(400, f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT:
            raise RequestError(400, f"count must be a whole number from 1 to {MAX_COUNT}, not {count!r}")
        with self.lock:
            self.session.step(kind, count)
            return self.session.state()

    def reset(self, body, query):
        _json_object(body, allowed=())
        with self.lock:
            self.session.restart()
            return {**self.session.state(), "notice": "the run starts again"}

    def export(self, body, query):
        _json_object(body, allowed=())
        with self.lock:  # copy what the files need, then draw them without holding up training
            session = self.session
            snapshots, real, extent = list(session.snapshots), session.real, session.extent
            command = session.command()
            folder = os.path.join(self.out, f"{session.settings['dataset']}-{session.settings['loss']}"
                                            f"-update-{session.total_updates:06d}")
        try:
            saved = save_run(snapshots, real, extent, command, folder)
        except OSError as error:
            raise RequestError(500, f"could not write to {folder}: {error.strerror or error}") from None
        return {**saved, "notice": f"saved {saved['frames']} frames, {saved['gif']} and {saved['command']}"}


def _json_object(body: bytes, allowed=None) -> dict:
    """The request body as a JSON object (an empty body is {}), with only the ``allowed`` keys if given."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestError(400, f"the request body is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise RequestError(400, f"the request body must be a JSON object, not {type(value).__name__}")
    if allowed is not None:
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            takes = f"it takes {', '.join(allowed)}" if allowed else "it takes none"
            raise RequestError(400, f"unknown key {unknown[0]!r} in this request; {takes}")
    return value
