import json

from django.core.management.base import BaseCommand

from merging.exports import exported_contacts


class Command(BaseCommand):
    help = "Print every contact as JSON Lines: names, e-mails, phones, channels, merges, suggestions."

    def handle(self, *args, **options):
        for row in exported_contacts():
            self.stdout.write(json.dumps(row, ensure_ascii=False))
