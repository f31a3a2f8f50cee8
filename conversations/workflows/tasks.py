"""The workflow engine's background work, run by the worker (`manage.py db_worker`)."""

from django.tasks import task

from conversations.models import WorkflowRun
from conversations.workflows import engine


@task()
def workflow_start(*, conversation_id: int) -> None:
    _schedule_timeout(engine.run_start(conversation_id))


@task()
def workflow_answer(*, run_id: int, message_id: int) -> None:
    _schedule_timeout(engine.run_answer(run_id, message_id))


@task()
def workflow_timeout(*, run_id: int, waiting_step: int) -> None:
    _schedule_timeout(engine.run_timeout(run_id, waiting_step))


def _schedule_timeout(run: WorkflowRun | None) -> None:
    """A question with a time limit wakes the run when the limit passes without an answer."""
    if run is not None and run.status == WorkflowRun.Status.WAITING and run.timeout_at:
        workflow_timeout.using(run_after=run.timeout_at).enqueue(run_id=run.pk, waiting_step=run.waiting_step)
