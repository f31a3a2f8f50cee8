from django.db import transaction
from django.tasks import task
from django.utils import timezone

from config.workspace import permissions
from merging.backfill import backfill_run
from merging.models import BackfillRun


@task()
def run_backfill(*, run_id: int) -> int:
    run = BackfillRun.objects.get(pk=run_id)
    try:
        return backfill_run(run).suggestions_created
    except Exception as exc:
        BackfillRun.objects.filter(pk=run_id).update(
            status=BackfillRun.Status.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
        )
        raise


def backfill_request(*, actor) -> BackfillRun:
    """Queue a full detection pass for the worker (after an import or a change of region)."""
    permissions.require(actor is None or permissions.can_request_backfill(actor))
    with transaction.atomic():
        run = BackfillRun.objects.create(requested_by=actor)
        run_backfill.enqueue(run_id=run.pk)
    return run
