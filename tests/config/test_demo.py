"""The demo for new users: a "customer" writes on any channel, and replies on every channel are sent."""

import pytest
from django.core.management import CommandError, call_command

from channels.models import ChannelIdentity, ChannelKind
from config.demo.sink import start_platform_sink, start_smtp_sink
from config.workspace.models import User
from conversations.models import Conversation, DeliveryStatus, Direction, Message
from conversations.services import message_send
from tests.factories import make_channel, process_inbound
from tests.servers import stop_in_background
from tests.worker import run_tasks

# The live server and the worker are other threads/processes: they must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = {
    ChannelKind.WHATSAPP: "+62 812-3456-7890",
    ChannelKind.TELEGRAM: "5123456789",
    ChannelKind.MESSENGER: "6543210987654321",
    ChannelKind.INSTAGRAM: "1234567890123456",
    ChannelKind.EMAIL: "sheena@example.com",
    ChannelKind.WEBCHAT: "visitor-42",
}


def simulate(live_server, kind, text, *extra):
    """The command posts to the running server; then the inbound worker's pass stores the message."""
    call_command("simulate_inbound", kind, "--url", live_server.url, "--text", text, *extra)
    process_inbound()


@pytest.mark.parametrize("kind", list(SENDERS))
def test_simulate_inbound_posts_a_signed_delivery_the_server_stores(live_server, kind):
    channel = make_channel(kind, secret=f"another-secret-{kind}")
    simulate(live_server, kind, "Halo, masih ada?", "--from", SENDERS[kind], "--name", "Sheena Nelson")
    message = Message.objects.get(channel=channel)
    assert message.direction == Direction.INBOUND
    assert "Halo, masih ada?" in message.body
    assert message.conversation.status == "open"


def test_simulated_whatsapp_sender_becomes_a_contact_with_the_phone(live_server, whatsapp):
    simulate(live_server, "whatsapp", "Halo", "--from", "+62 812-3456-7890", "--name", "Sheena Nelson")
    identity = ChannelIdentity.objects.get(channel=whatsapp)
    assert identity.external_id == "6281234567890"
    assert identity.contact.name == "Sheena Nelson"
    assert identity.contact.keys.filter(value="+6281234567890").exists()


def test_simulate_inbound_picks_the_named_channel(live_server):
    make_channel(ChannelKind.TELEGRAM, name="First bot")
    second = make_channel(ChannelKind.TELEGRAM, name="Second bot")
    simulate(live_server, "telegram", "hi", "--channel", "Second bot")
    assert Message.objects.get().channel == second


def test_simulate_inbound_refuses_a_sender_the_platform_cannot_have(live_server, telegram):
    with pytest.raises(CommandError, match="numeric chat id"):
        simulate(live_server, "telegram", "hi", "--from", "not-a-number")
    assert not Message.objects.exists()


def test_simulate_inbound_says_when_there_is_no_channel_of_that_kind(live_server):
    with pytest.raises(CommandError, match="No active instagram channel"):
        simulate(live_server, "instagram", "hi")


def test_simulate_inbound_says_when_the_server_is_not_running():
    make_channel(ChannelKind.WHATSAPP)
    with pytest.raises(CommandError, match="Could not reach"):
        call_command("simulate_inbound", "whatsapp", "--url", "http://127.0.0.1:9", "--text", "hi")


@pytest.fixture
def demo_sinks(worker_env):
    """The sinks `make demo` runs, and the settings it gives the worker."""
    platforms, server = start_platform_sink()
    mail, controller = start_smtp_sink()
    worker_env.update(
        WHATSAPP_API_BASE=platforms.url + "/v21.0",
        TELEGRAM_API_BASE=platforms.url,
        META_GRAPH_API_BASE=platforms.url,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(controller.port),
    )
    yield platforms, mail
    stop_in_background(server)
    controller.stop()


def test_replies_on_every_demo_channel_are_marked_sent(live_server, demo_sinks, worker_env):
    platforms, mail = demo_sinks
    call_command("demo", "--people", "2")
    manager = User.objects.get(username="manager")
    replies = []
    for kind in (ChannelKind.WHATSAPP, ChannelKind.TELEGRAM, ChannelKind.MESSENGER, ChannelKind.INSTAGRAM, "email"):
        simulate(live_server, kind, f"Halo from {kind}", "--from", SENDERS[kind])
        inbound = Message.objects.filter(channel__kind=kind, body__contains=f"Halo from {kind}").get()
        conversation = Conversation.objects.get(pk=inbound.conversation_id)
        replies.append(
            message_send(actor=manager, conversation=conversation, identity=inbound.identity, body=f"Reply {kind}")
        )
    run_tasks(worker_env)
    for reply in replies:
        reply.refresh_from_db()
        assert (reply.channel.kind, reply.status, reply.error) == (reply.channel.kind, DeliveryStatus.SENT, "")
    sent_texts = [r.body.get("text") or r.body.get("message", {}).get("text") for r in platforms.requests]
    assert {"body": "Reply whatsapp", "preview_url": False} in sent_texts
    assert {"Reply telegram", "Reply messenger", "Reply instagram"} <= {t for t in sent_texts if isinstance(t, str)}
    assert [recipients for recipients, _ in mail.messages] == [["sheena@example.com"]]
