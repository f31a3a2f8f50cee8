from django.core.management.base import BaseCommand

from merging.backfill import backfill_run
from merging.models import BackfillRun
from merging.tasks import backfill_request


class Command(BaseCommand):
    help = "Find every pair of contacts sharing a phone or e-mail (queued for the worker, or --now)."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Run here instead of queueing for the worker")

    def handle(self, *args, now=False, **options):
        if now:
            run = backfill_run(BackfillRun.objects.create())
            self.stdout.write(f"Backfill #{run.pk}: {run.suggestions_created} new suggestion(s).")
        else:
            run = backfill_request(actor=None)
            self.stdout.write(f"Backfill #{run.pk} queued; the worker (manage.py db_worker) runs it.")
