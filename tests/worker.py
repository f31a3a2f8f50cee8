"""Run the background work of the tests: in this process (`run_tasks`) or as the real worker process
(`run_worker`, `inbound_worker`), which one end-to-end test per task keeps using."""

import copy
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django_tasks_db.management.commands.db_worker import Worker

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user = s["USER"] or "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def run_worker(extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url(), **(extra_env or {})}
    result = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def run_tasks(worker_env: dict | None = None) -> None:
    """Run every ready task here, with django-tasks-db's own worker loop, then return.

    The same loop as `run_worker` without a process start per call. `worker_env` is the environment
    a worker process would get, applied as settings. Tasks read committed rows: use it in
    transactional tests only.
    """
    assert not connection.in_atomic_block, "run_tasks needs a transactional test (transaction=True)"
    with override_settings(**_settings_from_env(worker_env or {})):
        Worker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="in-process",
        ).run()


_PLAIN_SETTINGS = {"MEDIA_ROOT", "WHATSAPP_API_BASE", "TELEGRAM_API_BASE", "META_GRAPH_API_BASE"}
_INT_SETTINGS = {"MEDIA_RETRY_BACKOFF_SECONDS", "MEDIA_DOWNLOAD_ATTEMPTS"}


def _settings_from_env(env: dict) -> dict:
    """The settings that config/settings.py would read from this environment."""
    values = {name: value for name, value in env.items() if name in _PLAIN_SETTINGS}
    values |= {name: int(value) for name, value in env.items() if name in _INT_SETTINGS}
    limits = {
        name.removeprefix("MEDIA_MAX_BYTES_").lower(): int(v)
        for name, v in env.items()
        if name.startswith("MEDIA_MAX_BYTES_")
    }
    if limits:
        values["MEDIA_MAX_BYTES"] = settings.MEDIA_MAX_BYTES | limits
    if "EMAIL_HOST" in env:
        # From the settings module itself: pytest-django swaps the test process's mailer for locmem.
        mailers = copy.deepcopy(import_module(os.environ["DJANGO_SETTINGS_MODULE"]).MAILERS)
        mailers["default"]["OPTIONS"].update(host=env["EMAIL_HOST"], port=int(env["EMAIL_PORT"]))
        values["MAILERS"] = mailers
    handled = values.keys() | {"EMAIL_HOST", "EMAIL_PORT"} | {n for n in env if n.startswith("MEDIA_MAX_BYTES_")}
    assert handled >= env.keys(), f"run_tasks cannot apply {sorted(env.keys() - handled)}"
    return values


@contextmanager
def inbound_worker(**env):
    """A real `manage.py inbound_worker` process, ready (listening) when the block starts."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "inbound_worker", "--batch-size", "1"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = worker.stdout.readline()
        assert "inbound worker ready" in ready, worker.stderr.read()
        yield worker
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
