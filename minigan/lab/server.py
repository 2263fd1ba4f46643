"""The lab's web server: the page's three files, and the JSON endpoints of ``api``, over plain HTTP.

Standard library only (``http.server``). Each request is answered in its own thread; the API
holds one lock around the session, so requests never train at the same time. The page is static:
``static/index.html``, ``lab.js`` and ``lab.css``, shipped inside the package and served from it --
nothing is fetched from the internet, by the server or by the page.

A request the lab cannot use is a 4xx answer with ``{"error": "..."}``; a bug in the lab is a 500
with the same shape, its traceback on the server's stderr -- never a crashed server.

    server = LabServer(port=0).start()   # a background thread, on a free port
    print(server.url)
    server.stop()
"""
from __future__ import annotations

import json
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from .api import LabAPI

STATIC = {"/": ("index.html", "text/html"), "/index.html": ("index.html", "text/html"),
          "/lab.js": ("lab.js", "text/javascript"), "/lab.css": ("lab.css", "text/css")}
MAX_BODY = 1_000_000  # bytes: a drawing of the most points allowed fits many times over


def static_file(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


class _Handler(BaseHTTPRequestHandler):
    """One request: a static file, or the API's answer as JSON. ``server.api`` is the :class:`LabAPI`."""

    server_version = "minigan-lab"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in STATIC:
            name, kind = STATIC[path]
            self._send(200, static_file(name), f"{kind}; charset=utf-8")
        elif path == "/favicon.ico":
            self._send(204, b"", "text/plain")
        else:
            self._answer(b"")

    def do_POST(self):
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            self._json(413, {"error": f"the request body must be at most {MAX_BODY:,} bytes, with a Content-Length"})
            return
        self._answer(self.rfile.read(int(length)))

    def _answer(self, body):
        try:
            status, answer = self.server.api.handle(self.command, self.path, body)
        except Exception as error:  # a bug in the lab: answer it, say it, keep serving
            traceback.print_exc(file=sys.stderr)
            status, answer = 500, {"error": f"the lab failed on this request ({type(error).__name__}: {error}); "
                                            "the server is still running -- Reset may help"}
        self._json(status, answer)

    def _json(self, status, answer):
        self._send(status, json.dumps(answer, allow_nan=False).encode(), "application/json")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class _QuietServer(ThreadingHTTPServer):
    """An HTTP server for which a page that goes away mid-answer (a closed tab) is no error to report."""

    daemon_threads = True  # a page left open never keeps Python from exiting

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LabServer:
    """The lab on ``http://host:port/`` (port 0: any free one, see :attr:`url`), serving ``api``."""

    def __init__(self, api=None, host="127.0.0.1", port=0, verbose=False):
        self.api = api if api is not None else LabAPI()
        self.httpd = _QuietServer((host, port), _Handler)
        self.httpd.api, self.httpd.verbose = self.api, verbose
        self.thread = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def serve_forever(self) -> None:
        """Answer requests in this thread until :meth:`stop` (from another thread) or Ctrl-C."""
        try:
            self.httpd.serve_forever(poll_interval=0.05)  # how soon stop() is noticed
        finally:
            self.httpd.server_close()

    def start(self) -> "LabServer":
        """Answer requests in a background thread; returns the server."""
        self.thread = threading.Thread(target=self.serve_forever, name="minigan-lab", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop the background thread of :meth:`start` (or just close a server that never served)."""
        if self.thread is None:
            self.httpd.server_close()
            return
        self.httpd.shutdown()
        self.thread.join()
