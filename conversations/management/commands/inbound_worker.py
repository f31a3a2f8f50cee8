"""The inbound worker: a long-running process that turns accepted webhook deliveries into messages.

It wakes on PostgreSQL NOTIFY (sent by the webhook view when a delivery commits) and also looks
for work every INBOUND_POLL_SECONDS, so it works on SQLite and catches a lost notification.
Run several for more throughput: they share the work without breaking per-sender order.
"""

import signal
import time

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from channels.delivery_log import NOTIFY_CHANNEL
from conversations.inbound.processing import deliveries_process_waiting


class _Stopped(Exception):
    """Raised by the signal handler to end a wait (a retried system call would wait on)."""


class Command(BaseCommand):
    help = "Process inbound webhook deliveries as they arrive (runs until stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args, batch_size: int, **options):
        self.running = True
        self.waiting = False
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        listener = self._listen()
        poll = settings.INBOUND_POLL_SECONDS
        self.stdout.write(f"inbound worker ready ({'LISTEN ' + NOTIFY_CHANNEL if listener else 'polling'})")
        try:
            while self.running:
                close_old_connections()
                # One batch at a time: a stop request is honoured between batches, even with a backlog.
                processed = deliveries_process_waiting(batch_size=batch_size, limit=batch_size)
                if processed and options["verbosity"] > 1:
                    self.stdout.write(f"{processed} deliveries processed")
                if not processed and self.running:
                    self._wait(listener, poll)
        except _Stopped:
            pass
        finally:
            if listener is not None:
                listener.close()

    def _stop(self, *_):
        self.running = False
        if self.waiting:
            raise _Stopped

    def _listen(self):
        if connection.vendor != "postgresql":
            return None
        # A connection of its own, outside Django's, that only listens.
        db = connection.settings_dict
        listener = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            autocommit=True,
        )
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return listener

    def _wait(self, listener, seconds: float) -> None:
        # Only an idle wait may be cut short by a signal: a delivery in progress always finishes.
        self.waiting = True
        try:
            if not self.running:
                return
            if listener is None:
                time.sleep(seconds)
                return
            for _ in listener.notifies(timeout=seconds, stop_after=1):
                pass
        finally:
            self.waiting = False
