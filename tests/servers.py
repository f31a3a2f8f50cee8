"""The app served as in production, for tests that need real processes: pages by gunicorn (WSGI),
the live-update stream and the webhooks by uvicorn (ASGI). pytest-django's live_server is WSGI and
would buffer an endless event stream, and would not run the ASGI webhook path."""

import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

from tests.worker import ROOT, database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_in_background(server) -> None:
    """Stop a server thread without waiting the half second its serve_forever loop may take to notice:
    the test is over and nothing depends on the old server (each test gets its own port)."""

    def stop():
        server.shutdown()
        server.server_close()

    threading.Thread(target=stop, daemon=True).start()


def _wait_for(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read())
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


@contextmanager
def pages_and_stream(**env):
    """Yields (pages URL, stream URL): gunicorn serving config.wsgi and uvicorn serving config.asgi,
    two processes on two ports, both on the test database; pages open the stream on uvicorn."""
    pages_port, stream_port = free_port(), free_port()
    pages_url, stream_url = f"http://127.0.0.1:{pages_port}", f"http://127.0.0.1:{stream_port}"
    common = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "False",
        "LIVE_STREAM_URL": f"{stream_url}/live/stream/",
        "LIVE_STREAM_ALLOWED_ORIGINS": pages_url,
        **env,
    }
    commands = [
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{pages_port}",
            "-w",
            "2",
            "--log-level",
            "warning",
        ],
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(stream_port),
            "--log-level",
            "warning",
            # Open streams never end by themselves: do not wait for them when stopping.
            "--timeout-graceful-shutdown",
            "1",
        ],
    ]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=common, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    try:
        _wait_for(pages_port, processes[0])
        _wait_for(stream_port, processes[1])
        yield pages_url, stream_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def asgi_server(**env):
    """Yields the URL of uvicorn serving config.asgi (one process) on the test database, run with the
    options README's deployment section gives it."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    command += ["--http", "httptools", "--loop", "uvloop", "--log-level", "warning", "--timeout-graceful-shutdown", "1"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "DEBUG": "False", "ALLOWED_HOSTS": "127.0.0.1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
