"""minigan.lab's server, over real HTTP on a free port of 127.0.0.1: the page, the endpoints, bad requests.

Every bad request must get a 4xx with a JSON message -- and the server must answer the next request.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from minigan.lab.__main__ import main as lab_main
from minigan.lab.api import LabAPI
from minigan.lab.server import LabServer
from minigan.lab.session import LabSession

SMALL = {"hidden": 16, "batch_size": 32}


@pytest.fixture
def server(tmp_path):
    server = LabServer(LabAPI(LabSession(SMALL), out=str(tmp_path / "exports")), port=0).start()
    yield server
    server.stop()


def _call(server, method, path, body=None, raw=None):
    """(status, parsed JSON or text) of one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(server.url.rstrip("/") + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text, kind = response.status, response.read().decode(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        status, text, kind = error.code, error.read().decode(), error.headers["Content-Type"]
    return status, json.loads(text) if kind == "application/json" else text


def test_it_serves_the_page_and_its_files_from_the_package(server):
    status, page = _call(server, "GET", "/")
    assert status == 200 and '<script src="lab.js"></script>' in page and "http" not in page.split("<body>")[1]
    for name, marker in (("/lab.js", "'use strict';"), ("/lab.css", "#plane")):
        status, text = _call(server, "GET", name)
        assert status == 200 and marker in text
    assert server.url.startswith("http://127.0.0.1:")


def test_the_endpoints_train_and_report(server):
    status, options = _call(server, "GET", "/api/options")
    assert status == 200 and "wgan-gp" in options["choices"]["loss"] and "two_moons" in options["choices"]["dataset"]
    status, state = _call(server, "POST", "/api/step", {"kind": "d", "count": 2})
    assert status == 200 and state["updates"] == {"d": 2, "g": 0, "steps": 0}
    status, state = _call(server, "POST", "/api/step", {"kind": "full", "count": 3})
    assert state["updates"] == {"d": 5, "g": 3, "steps": 3} and len(state["fake"]) == 512
    assert _call(server, "GET", f"/api/state?since={state['version']}")[1] == {"version": state["version"],
                                                                              "unchanged": True}
    status, state = _call(server, "POST", "/api/settings", {"loss": "wgan-gp"})
    assert status == 200 and state["notice"] == "loss changed: the networks keep training"
    assert len(state["penalty_points"]) == 128
    status, state = _call(server, "POST", "/api/reset", {})
    assert status == 200 and state["updates"] == {"d": 0, "g": 0, "steps": 0}
    status, saved = _call(server, "POST", "/api/export", {})
    assert status == 200 and saved["frames"] == 1 and os.path.isfile(saved["gif"])


@pytest.mark.parametrize("method, path, body, status, message", [
    ("POST", "/api/settings", b"{not json", 400, "the request body is not valid JSON"),
    ("POST", "/api/settings", b"[1, 2]", 400, "must be a JSON object, not list"),
    ("POST", "/api/settings", b"\xff\xfe", 400, "not valid JSON"),
    ("POST", "/api/settings", b'{"lr_g": 1e9}', 400, "G's learning rate (lr_g) must be between 1e-06 and 1"),
    ("POST", "/api/settings", b'{"hidden": 0}', 400, "(hidden) must be between 1 and 512, not 0"),
    ("POST", "/api/settings", b'{"dataset": "drawn", "points": [[0, 0]]}', 400, "needs at least 3 points"),
    ("POST", "/api/settings", b'{"lr_d": NaN}', 400, "(lr_d) must be between"),
    ("POST", "/api/settings", b'{"hidden": Infinity}', 400, "(hidden) must be between 1 and 512, not inf"),
    ("POST", "/api/settings", b'{"seed": ' + b"9" * 400 + b"}", 400, "more digits than a float holds"),
    ("POST", "/api/settings", b'{"dataset": "drawn", "points": [[0, 0], [1, 1], [2, 1e999]]}', 400,
     "each drawn point must be [x, y] with finite |x|, |y| <= 10"),
    ("POST", "/api/settings", b'{"learning_rate": 1}', 400, "unknown setting 'learning_rate'"),
    ("POST", "/api/step", b'{"kind": "both"}', 400, "kind must be one of d, g, full"),
    ("POST", "/api/step", b'{"count": 100000}', 400, "count must be a whole number from 1 to 200"),
    ("POST", "/api/step", b'{"count": true}', 400, "count must be a whole number"),
    ("POST", "/api/step", b'{"kind": "d", "speed": 3}', 400, "unknown key 'speed' in this request"),
    ("POST", "/api/reset", b'{"now": 1}', 400, "unknown key 'now' in this request; it takes none"),
    ("GET", "/api/nothing", None, 404, "GET /api/nothing is not an endpoint of the lab"),
    ("GET", "/api/step", None, 405, "/api/step does not take GET"),
])
def test_bad_requests_get_a_clear_4xx_and_the_server_carries_on(server, method, path, body, status, message):
    got, answer = _call(server, method, path, raw=body)
    assert got == status and message in answer["error"]
    assert _call(server, "POST", "/api/step", {"kind": "full"})[0] == 200


def test_an_oversized_body_is_refused_unread(server):
    connection = http.client.HTTPConnection(*server.httpd.server_address[:2], timeout=30)
    connection.putrequest("POST", "/api/settings")
    connection.putheader("Content-Length", "2000000")  # announced, never sent: the server must not wait for it
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and "at most 1,000,000 bytes" in json.loads(response.read())["error"]
    connection.close()
    assert _call(server, "GET", "/api/options")[0] == 200


def test_a_diverged_run_answers_409_until_reset(server):
    with server.api.lock:
        server.api.session.diverged = "the run diverged at update 3: d_loss became nan"
    status, answer = _call(server, "POST", "/api/step", {"kind": "full"})
    assert status == 409 and "press Reset" in answer["error"]
    assert _call(server, "GET", "/api/state")[1]["diverged"].startswith("the run diverged")
    assert _call(server, "POST", "/api/reset", {})[1]["diverged"] is None
    assert _call(server, "POST", "/api/step", {"kind": "full"})[0] == 200


def test_a_bug_is_a_500_with_a_message_and_the_server_lives(server, monkeypatch, capsys):
    monkeypatch.setattr(server.api.session, "restart", lambda: 1 / 0)
    status, answer = _call(server, "POST", "/api/reset", {})
    assert status == 500 and "ZeroDivisionError" in answer["error"] and "still running" in answer["error"]
    assert "Traceback" in capsys.readouterr().err
    assert _call(server, "GET", "/api/options")[0] == 200


def test_requests_from_many_threads_take_turns(server):
    answers = []

    def train():
        answers.append(_call(server, "POST", "/api/step", {"kind": "full", "count": 2})[0])
    threads = [threading.Thread(target=train) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 6
    assert _call(server, "GET", "/api/state")[1]["updates"]["steps"] == 12


def _default_ctrl_c():
    """In the child before exec: Ctrl-C's default action. A shell starts a background job (``pytest &``) with SIGINT
    ignored, the child would inherit that, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_the_command_line_prints_the_url_and_stops_cleanly_on_ctrl_c():
    process = subprocess.Popen([sys.executable, "-m", "minigan.lab", "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=_default_ctrl_c)
    try:
        line = process.stdout.readline()
        assert line.startswith("minigan lab: http://127.0.0.1:") and "(Ctrl-C stops it)" in line
        url = line.split()[2]
        with urllib.request.urlopen(url + "api/options", timeout=30) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0 and "minigan lab: stopped" in out and "Traceback" not in err


def test_the_command_line_refuses_a_bad_port_and_a_busy_one(server, capsys):
    with pytest.raises(SystemExit) as exit_code:
        lab_main(["--port", "70000"])
    assert exit_code.value.code == 2 and "--port must be from 0 to 65535, not 70000" in capsys.readouterr().err
    busy_port = server.url.rsplit(":", 1)[1].strip("/")
    assert lab_main(["--port", busy_port]) == 1 and "the port is in use" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        lab_main(["--help"])
    assert "--open" in capsys.readouterr().out
