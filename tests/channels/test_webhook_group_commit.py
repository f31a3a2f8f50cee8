"""Webhook POSTs through the production server of webhooks: uvicorn serving config.asgi, whose hot
path writes the deliveries of concurrent requests together (one transaction per batch) and answers
each 200 only once the transaction holding its row is committed."""

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from channels.delivery_log import delivery_body
from channels.models import ChannelKind, InboundDelivery, RateLimitWindow
from tests.factories import make_channel, signed_headers, wa_text, webchat_message
from tests.servers import asgi_server
from tests.worker import database_url

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 4096  # WEBHOOK_MAX_BYTES of the server under test


INLINE = 1000  # INBOUND_INLINE_MAX_BYTES of the server under test


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, media):
    # A short linger makes the writer wait for the requests sent together, so they share a batch.
    env = {"WEBHOOK_MAX_BYTES": str(LIMIT), "INBOUND_INLINE_MAX_BYTES": str(INLINE), "MEDIA_ROOT": str(media)}
    with django_db_blocker.unblock(), asgi_server(INBOUND_ACCEPT_LINGER_MS="50", **env) as url:
        yield url


def post(server, path, body: bytes, headers: dict, *, chunked=False, sent=None) -> tuple[int, dict]:
    """POST and wait for the answer: (status, JSON answer). `sent()` is called once the request is written."""
    parts = urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    if chunked:
        connection.request("POST", path, iter([body]), {**headers, "Content-Type": "application/json"})
    else:
        connection.request("POST", path, body, {"Content-Type": "application/json", **headers})
    if sent is not None:
        sent()
    response = connection.getresponse()
    content = response.read()
    connection.close()
    answer = json.loads(content) if response.getheader("Content-Type") == "application/json" else {}
    return response.status, answer


def wa_body(phone: str, text: str = "Hello") -> bytes:
    return json.dumps(wa_text(phone, text)).encode()


def post_together(server, channel, bodies: list[bytes], sent=None) -> list[tuple[int, dict]]:
    """POST every body at once, each from its own thread; the answers in the order of the bodies."""
    answers: list = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def send(n: int) -> None:
        start.wait()
        answers[n] = post(server, channel.webhook_path, bodies[n], signed_headers(channel, bodies[n]), sent=sent)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_an_accepted_delivery_is_stored_and_answered_200(server, whatsapp):
    body = wa_body("6281234500001")
    status, answer = post(server, whatsapp.webhook_path, body, {**signed_headers(whatsapp, body), "User-Agent": "x"})
    assert status == 200
    delivery = InboundDelivery.objects.get()
    assert answer == {"accepted": delivery.pk}
    assert delivery_body(delivery) == body
    assert delivery.channel == whatsapp
    assert delivery.status == InboundDelivery.Status.WAITING
    assert delivery.sender_key == f"{whatsapp.pk}:6281234500001"
    assert delivery.headers == {"Content-Type": "application/json", "User-Agent": "x"}  # not the signature


def test_concurrent_deliveries_are_each_stored_once_in_group_commits(server, whatsapp):
    bodies = [wa_body(f"62812346{n:05d}", f"message {n}") for n in range(24)]
    answers = post_together(server, whatsapp, bodies)
    assert [status for status, _ in answers] == [200] * len(bodies)
    stored = {d.pk: delivery_body(d) for d in InboundDelivery.objects.all()}
    assert len(stored) == len(bodies)
    # Each request was answered with the id of its own row.
    assert [stored[answer["accepted"]] for _, answer in answers] == bodies
    with psycopg.connect(database_url().replace("postgres://", "postgresql://")) as connection:
        transactions = connection.execute("SELECT count(DISTINCT xmin::text) FROM channels_inbounddelivery").fetchone()
    assert transactions[0] < len(bodies)  # rows written by one transaction share its xmin


def test_a_wrong_signature_is_refused_and_nothing_is_stored(server, whatsapp):
    body = wa_body("6281234500002")
    status, answer = post(server, whatsapp.webhook_path, body, {"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert status == 403
    assert "does not match" in answer["error"]
    status, _ = post(server, whatsapp.webhook_path, body, signed_headers(whatsapp, wa_body("6281234500003")))
    assert status == 403
    assert not InboundDelivery.objects.exists()


def test_a_body_over_the_limit_is_refused_413_whether_announced_or_not(server, whatsapp):
    body = json.dumps({**wa_text("6281234500004", "x" * LIMIT)}).encode()
    assert post(server, whatsapp.webhook_path, body, signed_headers(whatsapp, body)) == (
        413,
        {"error": "body too large"},
    )
    # Without Content-Length (chunked), the body read is what is measured.
    assert post(server, whatsapp.webhook_path, body, signed_headers(whatsapp, body), chunked=True)[0] == 413
    small = wa_body("6281234500005")
    assert post(server, whatsapp.webhook_path, small, signed_headers(whatsapp, small), chunked=True)[0] == 200
    assert [delivery_body(d) for d in InboundDelivery.objects.all()] == [small]


def test_a_large_delivery_is_kept_in_file_storage_not_in_the_row(server, whatsapp, media, settings):
    settings.MEDIA_ROOT = media
    body = wa_body("6281234500008", "long " * 300)
    assert INLINE < len(body) < LIMIT
    status, answer = post(server, whatsapp.webhook_path, body, signed_headers(whatsapp, body))
    assert status == 200
    delivery = InboundDelivery.objects.get(pk=answer["accepted"])
    assert bytes(delivery.body) == b"" and delivery.body_file and delivery.body_size == len(body)
    assert (media / delivery.body_file).read_bytes() == body == delivery_body(delivery)


def _accept_backends(connection, *, waiting_for_a_lock: bool = False) -> list[int]:
    """The group commit writers' database connections (those waiting for a lock, if asked)."""
    waiting = " AND wait_event_type = 'Lock'" if waiting_for_a_lock else ""
    return [
        pid
        for (pid,) in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'mergeinbox accept'"
            " AND datname = current_database()" + waiting
        )
    ]


def _accept_backends_waiting(connection) -> list[int]:
    return _accept_backends(connection, waiting_for_a_lock=True)


def test_a_lost_database_connection_answers_every_request_of_the_batch_503_and_stores_none(server, whatsapp):
    bodies = [wa_body(f"62812347{n:05d}") for n in range(8)]
    answers: list = []
    terminated = 0
    with psycopg.connect(database_url().replace("postgres://", "postgresql://")) as locker:
        locker.execute("LOCK TABLE channels_inbounddelivery IN ACCESS EXCLUSIVE MODE")
        sent = threading.Semaphore(0)
        sender = threading.Thread(target=lambda: answers.extend(post_together(server, whatsapp, bodies, sent.release)))
        sender.start()
        for _ in bodies:
            sent.acquire(timeout=30)
        time.sleep(0.5)  # every request is in the server: the first batch waits for the lock, the rest queue
        with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True) as admin:
            while sender.is_alive():
                for pid in _accept_backends_waiting(admin):
                    terminated += admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
                time.sleep(0.05)
        locker.rollback()
    assert [status for status, _ in answers] == [503] * len(bodies)
    assert 0 < terminated < len(bodies)  # batches of several requests failed together
    assert not InboundDelivery.objects.exists()
    # The next delivery gets a new connection.
    body = wa_body("6281234800000")
    assert post(server, whatsapp.webhook_path, body, signed_headers(whatsapp, body))[0] == 200
    assert InboundDelivery.objects.count() == 1


def test_a_row_the_database_refuses_fails_its_whole_batch_and_nothing_of_it_is_stored(server, whatsapp):
    first = wa_body("6281234900000")
    batch = [wa_body(f"62812349{n:05d}") for n in range(1, 7)]
    poison = batch[3]
    answers: dict = {}
    sent = threading.Semaphore(0)
    url = database_url().replace("postgres://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            sql.SQL(
                "ALTER TABLE channels_inbounddelivery ADD CONSTRAINT test_poison CHECK (body <> {}) NOT VALID"
            ).format(sql.Literal(poison))
        )
        try:
            with psycopg.connect(url) as locker:
                locker.execute("LOCK TABLE channels_inbounddelivery IN ACCESS EXCLUSIVE MODE")
                # The first delivery's batch waits for the lock; the others arrive meanwhile: the next batch.
                threads = [
                    threading.Thread(target=lambda: answers.update(first=post_together(server, whatsapp, [first])))
                ]
                threads[0].start()
                while not _accept_backends_waiting(admin):
                    time.sleep(0.05)
                threads.append(
                    threading.Thread(
                        target=lambda: answers.update(rest=post_together(server, whatsapp, batch, sent.release))
                    )
                )
                threads[1].start()
                for _ in batch:
                    sent.acquire(timeout=30)
                time.sleep(0.5)  # read by the server and queued behind the first batch
                locker.rollback()
            for thread in threads:
                thread.join(timeout=60)
        finally:
            admin.execute("ALTER TABLE channels_inbounddelivery DROP CONSTRAINT test_poison")
    assert answers["first"][0][0] == 200
    assert [status for status, _ in answers["rest"]] == [503] * len(batch)
    assert [delivery_body(d) for d in InboundDelivery.objects.all()] == [first]


def test_a_refused_host_is_answered_400_and_nothing_is_stored(server, whatsapp):
    body = wa_body("6281234500006")
    status, _ = post(server, whatsapp.webhook_path, body, {**signed_headers(whatsapp, body), "Host": "evil.example"})
    assert status == 400
    assert not InboundDelivery.objects.exists()


def test_the_verification_handshake_and_unknown_channels_are_answered_by_django(server, whatsapp):
    parts = urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "GET", whatsapp.webhook_path + "?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"
    )
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"1158201444")
    body = wa_body("6281234500007")
    path = whatsapp.webhook_path.replace(str(whatsapp.public_id), "00000000-0000-0000-0000-000000000000")
    assert post(server, path, body, signed_headers(whatsapp, body))[0] == 404


def test_web_chat_webhook_posts_are_accepted_with_their_rate_limits(server):
    webchat = make_channel(ChannelKind.WEBCHAT)
    body = json.dumps(webchat_message("session-1", "Hi there")).encode()
    status, answer = post(server, webchat.webhook_path, body, signed_headers(webchat, body))
    assert status == 200
    assert delivery_body(InboundDelivery.objects.get(pk=answer["accepted"])) == body
    status, _ = post(server, webchat.webhook_path, body, {"Authorization": "Bearer wrong"})
    assert status == 403
    # Counted by the web chat limits (the Django view's), per visitor address and per channel.
    assert RateLimitWindow.objects.filter(scope="webhook:visitor").exists()


def test_a_writer_connection_that_died_while_idle_costs_no_delivery(server, whatsapp):
    first = wa_body("6281235000001")
    assert post(server, whatsapp.webhook_path, first, signed_headers(whatsapp, first))[0] == 200
    with psycopg.connect(database_url().replace("postgres://", "postgresql://"), autocommit=True) as admin:
        killed = [
            admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] for pid in _accept_backends(admin)
        ]
    assert killed == [True]  # a database restart, an idle timeout...
    second = wa_body("6281235000002")
    assert post(server, whatsapp.webhook_path, second, signed_headers(whatsapp, second))[0] == 200
    assert InboundDelivery.objects.count() == 2


def test_a_database_that_does_not_answer_gets_503_in_time_and_a_full_queue_at_once(whatsapp):
    bodies = [wa_body(f"62812351{n:05d}") for n in range(6)]
    url = database_url().replace("postgres://", "postgresql://")
    with asgi_server(INBOUND_ACCEPT_TIMEOUT_SECONDS="2", INBOUND_ACCEPT_MAX_WAITING="2") as slow_server:
        with psycopg.connect(url) as locker:
            locker.execute("LOCK TABLE channels_inbounddelivery IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            answered_at: list[float] = []

            def post_one(body: bytes) -> int:
                status = post(slow_server, whatsapp.webhook_path, body, signed_headers(whatsapp, body))[0]
                answered_at.append(time.monotonic() - started)
                return status

            statuses: list[int] = []
            threads = [threading.Thread(target=lambda b=body: statuses.append(post_one(b))) for body in bodies]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            time.sleep(1)  # the lock outlives every request
            locker.rollback()
    assert statuses == [503] * len(bodies)  # never a hung request, never a 200 for a row not stored
    assert max(answered_at) < 8
    assert min(answered_at) < 1.5  # over INBOUND_ACCEPT_MAX_WAITING: refused without waiting
    assert not InboundDelivery.objects.exists()
