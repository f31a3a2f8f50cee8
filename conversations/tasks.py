"""Background work for conversations, run by the worker (`manage.py db_worker`)."""

from django.db import transaction
from django.tasks import task

from channels.clients import SendFailed, send_message
from conversations.models import DeliveryStatus, Message


@task()
def deliver_message(*, message_id: int) -> str:
    """Send one pending outbound message through its platform's API; record the outcome."""
    message = Message.objects.select_related("channel", "identity", "conversation").get(pk=message_id)
    if message.status != DeliveryStatus.PENDING:
        return message.status
    try:
        platform_id = send_message(message)
    except SendFailed as exc:
        Message.objects.filter(pk=message_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, error=str(exc)[:2000]
        )
        return DeliveryStatus.FAILED
    with transaction.atomic():
        Message.objects.filter(pk=message_id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENT, platform_message_id=platform_id
        )
    return DeliveryStatus.SENT


@task()
def workflow_start(*, conversation_id: int) -> None:
    from conversations.workflows.engine import run_start

    run_start(conversation_id)


@task()
def workflow_answer(*, run_id: int, message_id: int) -> None:
    from conversations.workflows.engine import run_answer

    run_answer(run_id, message_id)


@task()
def workflow_timeout(*, run_id: int, waiting_step: int) -> None:
    from conversations.workflows.engine import run_timeout

    run_timeout(run_id, waiting_step)
