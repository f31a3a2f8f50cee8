import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from channels.models import ChannelIdentity, ChannelKind
from conversations.models import Conversation, DeliveryStatus, Message
from conversations.services import SendRefused, message_retry, message_send
from tests.factories import deliver, email_raw, make_channel, meta_delivery, meta_message, tg_text, wa_text
from tests.worker import run_tasks, run_worker

# The tasks run as the worker runs them, each in its own transaction: they must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


class SmtpSink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server(worker_env):
    sink = SmtpSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    worker_env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port))
    yield sink
    controller.stop()


def reply(agent, channel, body="Terima kasih!"):
    conversation = Conversation.objects.get()
    identity = ChannelIdentity.objects.get(channel=channel)
    return message_send(actor=agent, conversation=conversation, identity=identity, body=body)


def test_whatsapp_reply_goes_to_the_graph_messages_endpoint(client, whatsapp, agent, platform, worker_env):
    deliver(client, whatsapp, wa_text("6281234567890", "halo"))
    message = reply(agent, whatsapp)
    assert message.status == DeliveryStatus.PENDING
    run_worker(worker_env)  # the one end-to-end send through the real worker process
    request = platform.requests[-1]
    assert request.path == "/v21.0/106540352242922/messages"
    assert request.headers["Authorization"] == "Bearer wa-token"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Terima kasih!"},
    }
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.platform_message_id.startswith("wamid.sent")


def test_telegram_reply_uses_send_message(client, telegram, agent, platform, worker_env):
    deliver(client, telegram, tg_text(5123456789, "hi"))
    message = reply(agent, telegram, "Hello Sheena")
    run_tasks(worker_env)
    request = platform.requests[-1]
    assert request.path == "/bot123456:bot-token/sendMessage"
    assert request.body == {"chat_id": 5123456789, "text": "Hello Sheena"}
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def test_messenger_reply_uses_the_send_api(client, agent, platform, worker_env):
    channel = make_channel(ChannelKind.MESSENGER)
    from guardian.shortcuts import assign_perm

    assign_perm("channels.access_channel", agent, channel)
    payload = meta_delivery(meta_message("6543", "hi", "m1"))
    deliver(client, channel, payload)
    Message.objects.update(created_at="2099-01-01T00:00:00Z")
    ChannelIdentity.objects.update(last_inbound_at="2099-01-01T00:00:00Z")
    message = reply(agent, channel, "Yes it is")
    run_tasks(worker_env)
    request = platform.requests[-1]
    assert request.path == "/me/messages?access_token=page-token"
    assert request.body == {"recipient": {"id": "6543"}, "messaging_type": "RESPONSE", "message": {"text": "Yes it is"}}
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def test_email_reply_goes_over_smtp_threaded_to_the_customer_message(
    client, email_channel, agent, smtp_server, worker_env
):
    deliver(
        client,
        email_channel,
        email_raw("sheena@example.com", "Another color?", subject="Colors", message_id="<q1@mail>"),
    )
    message = reply(agent, email_channel, "Yes, in blue.")
    run_tasks(worker_env)
    recipients, content = smtp_server.messages[-1]
    assert recipients == ["sheena@example.com"]
    sent = message_from_bytes(content)
    assert sent["In-Reply-To"] == "<q1@mail>"
    assert sent["Subject"] == "Re: Colors"
    assert "Yes, in blue." in sent.get_payload()
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def test_failed_send_is_shown_on_the_message_and_can_be_retried(client, whatsapp, agent, platform, worker_env):
    deliver(client, whatsapp, wa_text("6281234567890", "halo"))
    platform.fail_with = (
        400,
        {"error": {"message": "(#131030) Recipient phone number not in allowed list", "code": 131030}},
    )
    message = reply(agent, whatsapp)
    run_tasks(worker_env)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert "131030" in message.error
    platform.fail_with = None
    message_retry(actor=agent, message=message)
    run_tasks(worker_env)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT
    assert message.error == ""


def test_unreachable_platform_marks_the_message_failed(client, whatsapp, agent, settings, worker_env):
    settings.WHATSAPP_API_BASE = "http://127.0.0.1:9"
    deliver(client, whatsapp, wa_text("6281234567890", "halo"))
    message = reply(agent, whatsapp)
    run_tasks(worker_env)
    message.refresh_from_db()
    assert message.status == DeliveryStatus.FAILED
    assert "could not reach" in message.error


def test_whatsapp_outside_24_hours_is_refused_before_sending(client, whatsapp, agent):
    deliver(client, whatsapp, wa_text("6281234567890", "halo", ts=1_600_000_000))
    with pytest.raises(SendRefused, match="24 hours"):
        reply(agent, whatsapp)
    assert Message.objects.filter(direction="out").count() == 0


def test_agent_without_channel_access_cannot_send(client, whatsapp, agent_without_access):
    from django.core.exceptions import PermissionDenied

    deliver(client, whatsapp, wa_text("6281234567890", "halo"))
    with pytest.raises(PermissionDenied):
        reply(agent_without_access, whatsapp)
