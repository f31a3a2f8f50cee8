"""The inbound log under load: acceptance through the webhooks' production server (uvicorn serving
config.asgi), processing by inbound workers, and the time from POST to a stored (visible) message —
each beside its floor measured in the same run.

- Acceptance: signed WhatsApp webhooks through uvicorn (authenticate, then the group commit: the
  rows of concurrent requests and one NOTIFY per transaction, 200 after the commit), no worker
  running; floor: the same bodies inserted into the same table with bare psycopg, one autocommit
  insert each.
- Processing: N waiting deliveries (every sender writes twice: half the messages come from new
  senders) drained by one and by two `inbound_worker` processes already running; floor: the
  six-row psycopg ingest of bench/ingest.py.
- POST to visible: uvicorn and two inbound workers together, the load offered at a steady rate
  below the processing rate; per delivery, processed_at - received_at (the message is committed
  and the inbox's next poll shows it).
"""

import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

from bench.ingest import LOAD_PROCESSES, THREADS_PER_PROCESS, _payload, _worker

ROOT = Path(__file__).resolve().parents[1]


def _pg(database_url: str) -> str:
    return database_url.replace("postgres://", "postgresql://")


def _env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "600",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "INBOUND_POLL_SECONDS": "0.5",
    }


# The production server of webhooks as README's deployment section runs it: uvicorn serving
# config.asgi (its group commit writes the deliveries of concurrent requests in one transaction).
# BENCH_UVICORN_WORKERS, BENCH_UVICORN_HTTP and BENCH_UVICORN_LOOP try other settings.
UVICORN_WORKERS = int(os.environ.get("BENCH_UVICORN_WORKERS", 2))
UVICORN_HTTP = os.environ.get("BENCH_UVICORN_HTTP", "httptools")
UVICORN_LOOP = os.environ.get("BENCH_UVICORN_LOOP", "uvloop")


def _uvicorn(database_url: str, port: int, workers: int, path: str, secret: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--http", UVICORN_HTTP, "--loop", UVICORN_LOOP]
    command += ["--log-level", "warning", "--no-access-log", "--timeout-graceful-shutdown", "5"]
    if os.environ.get("BENCH_SERVER") == "granian":
        command = [sys.executable, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers), "--loop", UVICORN_LOOP, "--http", "1", "--no-ws"]
        command += ["--log-level", "warning"]
        command += os.environ.get("BENCH_GRANIAN_ARGS", "").split() + ["config.asgi:application"]
    server = subprocess.Popen(command, cwd=ROOT, env=_env(database_url))
    _wait_for(server, port)
    _warm_up(port, path, secret, workers)
    _clear(database_url)
    return server


def _wait_for(server: subprocess.Popen, port: int, seconds: float = 120) -> None:
    """The server answering (a loaded machine can take a minute to import Django in every worker)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} (port {port} taken?)")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/login/")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _warm_up(port: int, path: str, secret: str, workers: int) -> None:
    """Every worker's first request imports the URLconf, views and templates (seconds on a busy
    machine): that is start-up, not throughput, so it happens before the clock starts."""

    def post(thread: int) -> None:
        for n in range(3):
            body = _payload(f"62833{thread:03d}{n:04d}", f"wamid.warm.{uuid.uuid4().hex}")
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request(
                "POST", path, body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
            )
            connection.getresponse().read()
            connection.close()

    threads = [threading.Thread(target=post, args=(t,)) for t in range(workers * 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _inbound_workers(database_url: str, count: int) -> list[subprocess.Popen]:
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "inbound_worker"],
            cwd=ROOT,
            env=_env(database_url),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for worker in workers:
        assert "ready" in worker.stdout.readline()
    return workers


def _stop(processes) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)


def _clear(database_url: str) -> None:
    with psycopg.connect(_pg(database_url), autocommit=True) as connection:
        connection.execute("DELETE FROM channels_inbounddelivery")


def _summary(latencies: list[float], elapsed: float, errors: int) -> dict:
    latencies = sorted(latencies)
    return {
        "per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) if latencies else 0,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else 0,
        "errors": errors,
        "count": len(latencies),
    }


def measure_acceptance(
    database_url: str, public_id: str, secret: str, seconds: int = 10, workers: int = UVICORN_WORKERS
) -> dict:
    _clear(database_url)
    port = 18500 + os.getpid() % 400
    server = _uvicorn(database_url, port, workers, f"/webhooks/{public_id}/", secret)
    try:
        server_cpu, database_cpu = _cpu_seconds(_family(server.pid)), _cpu_seconds(_backends(database_url))
        with multiprocessing.Pool(LOAD_PROCESSES) as pool:
            started = time.monotonic()
            args = [(_worker, (port, f"/webhooks/{public_id}/", secret, seconds, s)) for s in range(LOAD_PROCESSES)]
            results = pool.map(_timed, args)
            elapsed = time.monotonic() - started
        server_cpu = _cpu_seconds(_family(server.pid)) - server_cpu
        database_cpu = _cpu_seconds(_backends(database_url)) - database_cpu
    finally:
        _stop([server])
    summary = _summary([x for (r, _) in results for x in r[0]], elapsed, sum(r[1] for (r, _) in results))
    summary["workers"] = workers
    summary["server"] = os.environ.get("BENCH_SERVER") or f"uvicorn --http {UVICORN_HTTP} --loop {UVICORN_LOOP}"
    summary |= _batches(database_url)
    summary["cpu_ms"] = _cpu_split(summary["count"], sum(cpu for _, cpu in results), server_cpu, database_cpu)
    _clear(database_url)
    return summary


def _timed(args):
    """Run a load function in this pool process; its result and the CPU seconds the process spent."""
    function, function_args = args
    started = time.process_time()
    result = function(function_args)
    return result, time.process_time() - started


def _cpu_seconds(pids) -> float:
    """User + system CPU seconds spent so far by these processes (those that still run)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _family(pid: int) -> list[int]:
    """A process and its children (uvicorn's workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return [pid, *children]


def _backends(database_url: str) -> list[int]:
    """PostgreSQL's server processes connected to this database (not its shared background processes)."""
    with psycopg.connect(_pg(database_url), autocommit=True) as connection:
        return [
            pid
            for (pid,) in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]


def _cpu_split(count: int, load: float, server: float, database: float) -> dict:
    """CPU milliseconds per delivery: load generator, server, PostgreSQL backends (WAL writer excluded)."""
    per = 1000 / max(count, 1)
    return {"load": round(load * per, 3), "server": round(server * per, 3), "postgres": round(database * per, 3)}


def _batches(database_url: str) -> dict:
    """How the accepted rows were grouped: rows inserted by one transaction share its xmin."""
    with psycopg.connect(_pg(database_url), autocommit=True) as connection:
        transactions, rows = connection.execute(
            "SELECT count(DISTINCT xmin::text), count(*) FROM channels_inbounddelivery"
        ).fetchone()
    return {"transactions": transactions, "rows_per_commit": rows / transactions if transactions else 0}


def _floor_insert_worker(args):
    database_url, channel_id, seconds, seed = args
    count, latencies = [0], []
    deadline = time.monotonic() + seconds

    backend_cpu = []

    def run(thread):
        with psycopg.connect(_pg(database_url), autocommit=True) as connection:
            backend = connection.info.backend_pid
            n = 0
            while time.monotonic() < deadline:
                n += 1
                sender = f"62855{seed:02d}{thread:02d}{n // 2:07d}"
                body = _payload(sender, f"wamid.{uuid.uuid4().hex}")
                started = time.perf_counter()
                connection.execute(
                    "INSERT INTO channels_inbounddelivery (channel_id, body, body_file, body_size, headers, sender_key,"
                    " received_at, status, attempts, error) VALUES (%s, %s, '', %s, %s, %s, now(), 'waiting', 0, '')",
                    (
                        channel_id,
                        body,
                        len(body),
                        json.dumps({"Content-Type": "application/json"}),
                        f"{channel_id}:{sender}",
                    ),
                )
                latencies.append((time.perf_counter() - started) * 1000)
                count[0] += 1
            backend_cpu.append(_cpu_seconds([backend]))  # after the clock: the backend's whole life

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS_PER_PROCESS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, sum(backend_cpu)


def measure_acceptance_floor(database_url: str, channel_id: int, seconds: int = 10) -> dict:
    _clear(database_url)
    with multiprocessing.Pool(LOAD_PROCESSES) as pool:
        started = time.monotonic()
        results = pool.map(
            _timed, [(_floor_insert_worker, (database_url, channel_id, seconds, s)) for s in range(LOAD_PROCESSES)]
        )
        elapsed = time.monotonic() - started
    _clear(database_url)
    summary = _summary([x for (r, _), _ in results for x in r], elapsed, 0)
    load, database = sum(cpu for _, cpu in results), sum(r[1] for r, _ in results)
    summary["cpu_ms"] = _cpu_split(summary["count"], load, 0, database)
    del summary["cpu_ms"]["server"]
    return summary


def _seed_waiting(database_url: str, channel_id: int, count: int, tag: str) -> None:
    """`count` waiting deliveries; every sender writes twice, so half the messages are from new senders."""
    rows = []
    for i in range(count):
        sender = f"628{tag}{i // 2:07d}"
        body = _payload(sender, f"wamid.{tag}.{i}")
        rows.append(
            (channel_id, body, len(body), json.dumps({"Content-Type": "application/json"}), f"{channel_id}:{sender}")
        )
    with psycopg.connect(_pg(database_url)) as connection:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO channels_inbounddelivery (channel_id, body, body_file, body_size, headers, sender_key,"
                " received_at, status, attempts, error) VALUES (%s, %s, '', %s, %s, %s, now(), 'waiting', 0, '')",
                rows,
            )
        connection.execute("NOTIFY mi_inbound")


def _pending(database_url: str) -> tuple[int, int]:
    with psycopg.connect(_pg(database_url), autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FILTER (WHERE status IN ('waiting', 'processing')),"
            " count(*) FILTER (WHERE status = 'failed') FROM channels_inbounddelivery"
        ).fetchone()
    return row[0], row[1]


def measure_processing(database_url: str, channel_id: int, workers: int, count: int = 10_000) -> dict:
    _clear(database_url)
    processes = _inbound_workers(database_url, workers)
    try:
        tag = f"{workers}{int(time.time()) % 100000:05d}"
        started = time.monotonic()
        _seed_waiting(database_url, channel_id, count, tag)
        while _pending(database_url)[0]:
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        _stop(processes)
    failed = _pending(database_url)[1]
    _clear(database_url)
    return {"per_s": count / elapsed, "count": count, "failed": failed, "workers": workers, "seconds": elapsed}


def _paced_worker(args):
    port, path, secret, seconds, seed, rate = args
    errors = [0]
    deadline = time.monotonic() + seconds

    def run(thread: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        interval = THREADS_PER_PROCESS * LOAD_PROCESSES / rate
        next_at, n = time.monotonic(), 0
        while time.monotonic() < deadline:
            n += 1
            sender = f"62844{seed:02d}{thread:02d}{n // 2:07d}"
            body = _payload(sender, f"wamid.{uuid.uuid4().hex}")
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            try:
                connection.request(
                    "POST", path, body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                )
                response = connection.getresponse()
                response.read()
                errors[0] += response.status != 200
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS_PER_PROCESS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors[0]


def measure_post_to_visible(
    database_url: str, public_id: str, secret: str, rate: float, seconds: int = 15, inbound: int = 2
) -> dict:
    _clear(database_url)
    port = 18900 + os.getpid() % 90
    processes = [_uvicorn(database_url, port, UVICORN_WORKERS, f"/webhooks/{public_id}/", secret)]
    processes += _inbound_workers(database_url, inbound)
    try:
        with multiprocessing.Pool(LOAD_PROCESSES) as pool:
            args = [(port, f"/webhooks/{public_id}/", secret, seconds, s, rate) for s in range(LOAD_PROCESSES)]
            errors = sum(pool.map(_paced_worker, args))
        while _pending(database_url)[0]:
            time.sleep(0.2)
    finally:
        _stop(processes)
    with psycopg.connect(_pg(database_url), autocommit=True) as connection:
        delays = [
            row[0]
            for row in connection.execute(
                "SELECT extract(epoch FROM processed_at - received_at) * 1000 FROM channels_inbounddelivery"
                " WHERE status = 'done'"
            )
        ]
    _clear(database_url)
    delays = sorted(float(d) for d in delays)
    return {
        "offered_per_s": rate,
        "count": len(delays),
        "p50_ms": statistics.median(delays) if delays else 0,
        "p99_ms": delays[max(0, int(len(delays) * 0.99) - 1)] if delays else 0,
        "max_ms": delays[-1] if delays else 0,
        "errors": errors,
        "inbound_workers": inbound,
    }
