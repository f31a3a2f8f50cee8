"""Work run by the worker (`manage.py db_worker`): thin tasks that call services."""

from django.tasks import task
from django.utils import timezone

from conversations.delivery import message_deliver
from conversations.media import attachment_process


@task()
def deliver_message(*, message_id: int) -> str:
    """Send one pending outbound message through its platform's API; record the outcome."""
    return message_deliver(message_id=message_id)


@task()
def process_attachment(*, attachment_id: int) -> str:
    """Download one attachment through its platform (retried with backoff), then thumbnail it."""
    outcome = attachment_process(attachment_id=attachment_id)
    if outcome.retry_in is not None:
        process_attachment.using(run_after=timezone.now() + outcome.retry_in).enqueue(attachment_id=attachment_id)
    return outcome.status
