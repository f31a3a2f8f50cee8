"""Re-encrypt every channel secret with the current (first) key of FIELD_ENCRYPTION_KEYS.

Key rotation (docs/security.md): put the new key first, keep the old ones after it, deploy, run
this command, then remove the old keys.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from channels.models import Channel

FIELDS = ("secret", "verify_token", "access_token")


class Command(BaseCommand):
    help = "Re-encrypt channel secrets and access tokens with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for channel in Channel.objects.select_for_update().only("pk", *FIELDS):
                # The instance holds plain values; saving encrypts them with the first key.
                channel.save(update_fields=FIELDS)
                count += 1
        self.stdout.write(f"Re-encrypted the secrets of {count} channels with the current key.")
