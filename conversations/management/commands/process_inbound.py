"""Process every waiting inbound delivery, then exit (operators, tests)."""

from django.core.management.base import BaseCommand

from channels.delivery_log import deliveries_replay
from conversations.inbound.processing import deliveries_process_waiting


class Command(BaseCommand):
    help = "Process every waiting inbound delivery and exit; --failed replays failed deliveries first."

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="Replay failed deliveries too.")

    def handle(self, *args, failed: bool = False, **options):
        if failed:
            replayed = deliveries_replay()
            self.stdout.write(f"{replayed} failed deliveries waiting again")
        processed = deliveries_process_waiting()
        self.stdout.write(f"{processed} deliveries processed")
