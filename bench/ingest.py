"""Ingest throughput: signed WhatsApp webhooks through gunicorn, beside a minimal psycopg floor.

The load generator runs in its own processes on loopback; half the messages come from new
senders (a contact, identity, key and conversation are created), half from known ones.
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
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
LOAD_PROCESSES, THREADS_PER_PROCESS = 2, 8


def _payload(sender: str, message_id: str) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "1",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {"phone_number_id": "1"},
                                "contacts": [{"profile": {"name": "Load Test"}, "wa_id": sender}],
                                "messages": [
                                    {
                                        "from": sender,
                                        "id": message_id,
                                        "timestamp": str(int(time.time())),
                                        "type": "text",
                                        "text": {"body": "Is this in stock?"},
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def _worker(args):
    port, path, secret, seconds, seed = args
    import threading

    latencies, errors = [], [0]
    deadline = time.monotonic() + seconds

    def run(thread: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            sender = f"62899{seed:02d}{thread:02d}{n // 2:07d}"  # every sender writes twice
            body = _payload(sender, f"wamid.{uuid.uuid4().hex}")
            signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            try:
                connection.request(
                    "POST", path, body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
                )
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors[0] += 1

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS_PER_PROCESS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_ingest(database_url: str, channel_public_id: str, secret: str, seconds: int = 20, workers: int = 4) -> dict:
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "600",
        "ALLOWED_HOSTS": "127.0.0.1",
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait(port)
        with multiprocessing.Pool(LOAD_PROCESSES) as pool:
            started = time.monotonic()
            results = pool.map(
                _worker, [(port, f"/webhooks/{channel_public_id}/", secret, seconds, s) for s in range(LOAD_PROCESSES)]
            )
            elapsed = time.monotonic() - started
        children = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        worker_rss_mb = max(_rss_kb(pid) for pid in children) / 1024
    finally:
        server.terminate()
        server.wait()
    latencies = sorted(latency for result in results for latency in result[0])
    return {
        "messages_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "errors": sum(result[1] for result in results),
        "worker_rss_mb": worker_rss_mb,
        "workers": workers,
    }


def _wait(port: int) -> None:
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/login/")
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


FLOOR_SQL = {
    "identity": "SELECT id, contact_id FROM channels_channelidentity WHERE channel_id = %s AND external_id = %s",
    "contact": "INSERT INTO contacts_contact (name, properties, absorbed_count, created_at, updated_at) "
    "VALUES (%s, '{}', 0, now(), now()) RETURNING id",
    "new_identity": "INSERT INTO channels_channelidentity (channel_id, external_id, contact_id, profile_id, "
    "display_name, "
    "username, created_at) VALUES (%s, %s, %s, %s, %s, '', now()) RETURNING id",
    "key": "INSERT INTO contacts_contactkey (contact_id, profile_id, kind, raw, value, match_value, is_valid, source, "
    "verified, created_at) VALUES (%s, %s, 'phone', %s, %s, %s, true, 'channel', true, now())",
    "open": "SELECT id FROM conversations_conversation WHERE contact_id = %s AND status = 'open'",
    "conversation": "INSERT INTO conversations_conversation (contact_id, profile_id, channel_id, status, opened_by, "
    "opened_at, last_message_at, unread_count, fields) VALUES (%s, %s, %s, 'open', 'contact', now(), "
    "now(), 0, '{}') RETURNING id",
    "message": "INSERT INTO conversations_message (conversation_id, identity_id, channel_id, direction, body, "
    "attachments, platform_message_id, status, error, created_at) VALUES (%s, %s, %s, 'in', %s, '[]', %s, "
    "'received', '', now())",
}


def _floor_worker(args):
    database_url, channel_id, seconds, seed = args
    import threading

    count = [0]
    deadline = time.monotonic() + seconds

    def run(thread):
        with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=False) as connection:
            n = 0
            while time.monotonic() < deadline:
                n += 1
                sender = f"62877{seed:02d}{thread:02d}{n // 2:07d}"
                with connection.transaction(), connection.cursor() as cursor:
                    row = cursor.execute(FLOOR_SQL["identity"], (channel_id, sender)).fetchone()
                    if row is None:
                        contact = cursor.execute(FLOOR_SQL["contact"], ("Load Test",)).fetchone()[0]
                        identity = cursor.execute(
                            FLOOR_SQL["new_identity"], (channel_id, sender, contact, contact, "Load Test")
                        ).fetchone()[0]
                        cursor.execute(FLOOR_SQL["key"], (contact, contact, sender, "+" + sender, "+" + sender))
                    else:
                        identity, contact = row
                    open_row = cursor.execute(FLOOR_SQL["open"], (contact,)).fetchone()
                    conversation = (
                        open_row[0]
                        if open_row
                        else cursor.execute(FLOOR_SQL["conversation"], (contact, contact, channel_id)).fetchone()[0]
                    )
                    cursor.execute(
                        FLOOR_SQL["message"],
                        (conversation, identity, channel_id, "Is this in stock?", uuid.uuid4().hex),
                    )
                count[0] += 1

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS_PER_PROCESS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count[0]


def measure_floor(database_url: str, channel_id: int, seconds: int = 20) -> dict:
    with multiprocessing.Pool(LOAD_PROCESSES) as pool:
        started = time.monotonic()
        counts = pool.map(_floor_worker, [(database_url, channel_id, seconds, s) for s in range(LOAD_PROCESSES)])
        elapsed = time.monotonic() - started
    return {"messages_per_s": sum(counts) / elapsed}
