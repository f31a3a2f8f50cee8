"""Delete attachment files older than the retention period (MEDIA_RETENTION_DAYS; off when 0)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from conversations.media import attachments_expire


class Command(BaseCommand):
    help = "Delete the files of attachments stored more than MEDIA_RETENTION_DAYS days ago (0: never)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Override MEDIA_RETENTION_DAYS for this run.")

    def handle(self, *args, days=None, **options):
        days = settings.MEDIA_RETENTION_DAYS if days is None else days
        if days <= 0:
            self.stdout.write("Media retention is off (MEDIA_RETENTION_DAYS=0): nothing deleted.")
            return
        count = attachments_expire(older_than=timezone.now() - timedelta(days=days))
        self.stdout.write(f"Deleted the files of {count} attachment(s) stored more than {days} days ago.")
