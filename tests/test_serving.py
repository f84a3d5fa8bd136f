"""Served the production way: request ids in the log and on error pages, and `make run`
serving gunicorn with the delivery worker beside it, both stopped by Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_a_server_error_is_logged_with_the_request_id_the_page_shows(app, client, capsys):
    @app.get("/boom-for-test")
    def boom():  # registered after startup, for this test only
        raise RuntimeError("boom in a view")

    boom.required_permission = "public"
    app.config["PROPAGATE_EXCEPTIONS"] = False

    response = client.get("/boom-for-test")

    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{12}", request_id)
    page = response.get_data(as_text=True)
    assert f"quote reference <strong>{request_id}</strong>" in page and "boom in a view" not in page
    log = capsys.readouterr().err
    line = next(line for line in log.splitlines() if "Exception on /boom-for-test" in line)
    assert re.match(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ERROR \[{request_id}\] lms: Exception on /boom-for-test \[GET\]", line)
    assert "RuntimeError: boom in a view" in log  # with its traceback


def test_every_response_carries_its_own_request_id(client):
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(3)}
    missing = client.get("/no-such-page")
    assert len(ids) == 3
    assert missing.headers["X-Request-Id"] in missing.get_data(as_text=True)


# --- make run ------------------------------------------------------------------------------------


def _session_processes(session: int) -> dict[int, str]:
    """Every live process in a session, with its command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session:
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if "Z" not in state.split()[1]:  # a zombie has exited already
            found[int(entry.name)] = cmdline
    return found


@pytest.mark.slow
def test_make_run_serves_with_gunicorn_and_the_delivery_worker_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    venv = Path(sys.prefix)
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith("LMS_") and key not in ("MAKEFLAGS", "MFLAGS")
    }
    env["LMS_INSTANCE_PATH"] = str(tmp_path / "instance")
    # The virtual environment running these tests, taken as installed already.
    make = subprocess.Popen(
        ["make", "-o", f"{venv}/.installed", "run", f"VENV={venv}", f"PORT={port}", "HOST=127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200 and response.headers["X-Request-Id"]
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                assert make.poll() is None, make.stdout.read()
                assert time.monotonic() < deadline, "make run never answered /healthz"
                time.sleep(0.3)
        running = _session_processes(make.pid)
        assert any("gunicorn" in cmd for cmd in running.values()), running
        assert any("deliver-mail" in cmd for cmd in running.values()), running
        # The worker starts beside the server and says so once it is up: wait for that line
        # (on a busy machine it can come a few seconds after the server answers).
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(make.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        while not any("LMS_SMTP_HOST is not set" in line for line in list(lines)) and time.monotonic() < deadline:
            time.sleep(0.2)

        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
        make.wait(timeout=60)
        reader.join(timeout=10)
        output = "".join(lines)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _session_processes(make.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _session_processes(make.pid) == {}, output
    assert f"Open this one-time link to create one: http://127.0.0.1:{port}/setup/" in output
    assert "LMS_SMTP_HOST is not set" in output  # the worker said why it sends nothing
